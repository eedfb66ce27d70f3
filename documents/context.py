"""What each document says, written from the case's facts in the words a county office uses.

`document_context` turns the case state and a document request into the values its template shows:
parties by their names, units by their official names (代县人力资源和社会保障局, 上馆镇人民政府), amounts
as ¥ figures and in capitals (大写), dates and times in China time. Nothing internal reaches paper: no
unit or channel codes, no usernames, no markers of the configuration such as "(check)".
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from functools import partial

from documents.render import DOCUMENT_KINDS, SERVED_KINDS
from domain.calendar import CHINA_TZ
from domain.enforcement import unpaid_shares
from domain.formatting import china_time, chinese_date, yuan, yuan_with_capitals
from domain.jurisdiction import Jurisdiction
from domain.lifecycle import (
    DEADLINE_LABELS,
    LEVEL_LABELS,
    OUTCOME_LABELS,
    STAGE_LABELS,
    DocumentRequest,
)
from domain.listing import PERSON_ROLES
from domain.model import RECEIVING_UNIT, REFERRING_UNIT, CaseState, Deadline, Party
from domain.ui_text import CHANNEL_LABELS

# The kind's word in the document number (发文字号): 代欠薪令〔2026〕9-3号.
DOC_NO_WORDS = {
    "receipt": "受",
    "referral": "转",
    "order_to_pay": "令",
    "payment_decision": "决",
    "result_notice": "告",
    "escalation": "督",
    "deposit_payout": "保",
    "police_transfer": "移",
    "court_reminder": "催",
    "major_case_dispatch": "调",
    "blacklist_notice": "信告",
    "blacklist_decision": "信决",
    "service_record": "送",
    "non_acceptance": "不受",
}

# How a document was served (送达方式), in the order the 送达回证 lists them.
SERVICE_METHODS = {
    "direct": "直接送达",
    "left_at_address": "留置送达",
    "post": "邮寄送达",
    "electronic": "电子送达",
    "public_notice": "公告送达",
}

# Documents with legal effect on a party: issued by labour inspection (劳动保障监察条例 arts. 11, 18 and 26),
# the unit that investigates wage complaints where no industry unit leads (the routing's default unit).
LABOUR_INSPECTION_KINDS = frozenset(
    {
        "order_to_pay",
        "payment_decision",
        "deposit_payout",
        "police_transfer",
        "court_reminder",
        "blacklist_notice",
        "blacklist_decision",
        "service_record",
        "non_acceptance",
    }
)

_MARKERS = re.compile(r"\s*[(（]\s*check\s*[)）]", re.IGNORECASE)


def clean_citation(text: str | None) -> str | None:
    """A citation from the jurisdiction file without the maintainers' markers ("(check)")."""
    if text is None:
        return None
    return _MARKERS.sub("", text).strip() or None


def official_unit_name(jurisdiction: Jurisdiction, code: str | None) -> str:
    """A unit as it signs: 县人社局 of 代县 → 代县人力资源和社会保障局, 上馆镇 → 代县上馆镇人民政府."""
    unit = jurisdiction.units.get(code or "")
    if unit is None:
        return jurisdiction.office_name
    name = unit.name
    if unit.kind == "township":
        return f"{jurisdiction.name}{name}人民政府" if not name.endswith("人民政府") else name
    if name.startswith("县委"):
        return f"{jurisdiction.name}{name}"
    if name.startswith("县"):
        return f"{jurisdiction.name}{name[1:]}"
    return name


def doc_no(jurisdiction: Jurisdiction, state: CaseState, seq: int, kind: str) -> str:
    """The document number: the county's character, 欠薪, the kind's word, the case's year and serial."""
    county = jurisdiction.name.rstrip("县区市旗") or jurisdiction.name
    year = state.intake.received_at.astimezone(CHINA_TZ).year
    serial = state.case_no.rsplit("-", 1)[-1].lstrip("0") or "0"
    return f"{county}欠薪{DOC_NO_WORDS.get(kind, '')}〔{year}〕{serial}-{seq}号"


def liable_party_name(state: CaseState) -> str:
    """The name of the party found liable (the employer until findings say otherwise)."""
    project = state.intake.project
    org = None
    if project is not None and state.liable_party is not None:
        org = {
            Party.GENERAL_CONTRACTOR: project.general_contractor,
            Party.CONSTRUCTION_UNIT: project.construction_unit,
            Party.SUBCONTRACTOR: project.subcontractor,
        }.get(state.liable_party)
    return org.name if org else state.intake.employer.name


def _role_phrase(state: CaseState) -> str:
    """ "你单位作为某项目的施工总承包单位" where the party is liable by its role on a project."""
    project = state.intake.project
    roles = {
        Party.GENERAL_CONTRACTOR: "施工总承包单位",
        Party.CONSTRUCTION_UNIT: "建设单位",
        Party.SUBCONTRACTOR: "分包单位",
    }
    if project is None or state.liable_party not in roles:
        return ""
    return f"你单位作为{project.name}项目的{roles[state.liable_party]}"


def payer_name(state: CaseState, payer: Party) -> str:
    """Who paid, by name: a company's name, or the source of the money."""
    if payer in (Party.EMPLOYER, Party.SUBCONTRACTOR, Party.GENERAL_CONTRACTOR, Party.CONSTRUCTION_UNIT):
        project = state.intake.project
        org = {
            Party.GENERAL_CONTRACTOR: project.general_contractor if project else None,
            Party.CONSTRUCTION_UNIT: project.construction_unit if project else None,
            Party.SUBCONTRACTOR: project.subcontractor if project else None,
        }.get(payer)
        return org.name if org else state.intake.employer.name
    return {Party.DEPOSIT: "项目工资保证金", Party.EMERGENCY_FUND: "县应急周转金", Party.COURT: "人民法院强制执行"}[
        payer
    ]


def payments_text(state: CaseState) -> str:
    """Each payment by date, payer and amount, then what is recovered and what is still owed."""
    parts = []
    for p in state.payments:
        source = payer_name(state, p.payer)
        if p.payer is Party.DEPOSIT:
            parts.append(f"{chinese_date(p.at)}从{source}中支付{yuan(p.amount)}")
        elif p.payer is Party.COURT:
            parts.append(f"{chinese_date(p.at)}经{source}执行到位{yuan(p.amount)}")
        elif p.payer is Party.EMERGENCY_FUND:
            parts.append(f"{chinese_date(p.at)}由{source}垫付{yuan(p.amount)}")
        else:
            parts.append(f"{chinese_date(p.at)}{source}支付{yuan(p.amount)}")
    if not parts:
        return f"截至目前尚未追回欠薪，仍欠{yuan(state.outstanding)}。"
    tail = "已全部支付到位" if state.outstanding == 0 else f"尚欠{yuan(state.outstanding)}"
    return f"{'；'.join(parts)}。累计追回{yuan(state.amount_recovered)}，{tail}。"


def _owed(state: CaseState) -> Decimal:
    return state.amount_owed if state.amount_owed is not None else state.intake.amount_claimed


def _findings_sentence(state: CaseState) -> str:
    """What the investigation found, for the complainant."""
    if state.substantiated is False:
        return "经调查核实，你（们）反映的拖欠工资问题不成立。"
    if state.substantiated is None:
        return ""
    employer, liable = state.intake.employer.name, liable_party_name(state)
    months = f"{state.months_unpaid}个月" if state.months_unpaid else ""
    found = f"{employer}拖欠{len(state.intake.workers)}名农民工{months}工资共计{yuan(_owed(state))}"
    if liable != employer:
        found += f"，依法由{liable}清偿"
    return f"经调查核实，你（们）反映的问题属实：{found}。"


def _crime_sentence(state: CaseState, unpaid: Decimal) -> str:
    """Why what is unpaid reaches the threshold of 拒不支付劳动报酬罪 (法释〔2013〕3号 art. 3)."""
    crime = state.intake.policy.crime
    shares = unpaid_shares(state.intake.workers, unpaid)
    if (
        state.months_unpaid
        and state.months_unpaid >= crime.months_unpaid
        and max(shares, default=Decimal("0")) >= crime.amount_per_worker
    ):
        return (
            f"拖欠劳动者劳动报酬{state.months_unpaid}个月，单人未付最高{yuan(max(shares))}，达到"
            f"{yuan(crime.amount_per_worker)}的追诉标准（法释〔2013〕3号第三条）。"
        )
    workers = sum(1 for s in shares if s > 0)
    return (
        f"拖欠{workers}名劳动者劳动报酬共计{yuan(unpaid)}，达到{crime.workers_total}人以上、"
        f"{yuan(crime.amount_total)}以上的追诉标准（法释〔2013〕3号第三条）。"
    )


def _transfer_facts(state: CaseState, unpaid: Decimal) -> str:
    """The facts of a transfer to the police: findings, order, what stayed unpaid, why it is a crime."""
    lines = []
    if state.findings_at is not None:
        months = f"{state.months_unpaid}个月" if state.months_unpaid else ""
        employer, liable = state.intake.employer.name, liable_party_name(state)
        owes = f"，依法由{liable}清偿" if liable != employer else ""
        lines.append(
            f"{chinese_date(state.findings_at)}，经调查认定，{employer}拖欠{len(state.intake.workers)}名"
            f"农民工{months}工资共计{yuan(_owed(state))}{owes}。"
        )
    unpaid_text = ""
    if state.order_served_at is not None and state.payment_due_at is not None:
        order_amount = state.order_amount if state.order_amount is not None else _owed(state)
        unpaid_text = (
            f"{chinese_date(state.order_served_at)}，本机关向{liable_party_name(state)}送达"
            f"《{DOCUMENT_KINDS['order_to_pay']}》，责令其于{china_time(state.payment_due_at)}前支付"
            f"{yuan(order_amount)}。"
        )
    if state.absconded:
        unpaid_text += "该单位负责人以逃匿方式逃避支付劳动者的劳动报酬。"
    elif state.unpaid_at_deadline is not None:
        unpaid_text += f"期限届满，仍有{yuan(state.unpaid_at_deadline)}未支付。"
    if state.deposit_drawn:
        unpaid_text += (
            f"{chinese_date(state.deposit_drawn_at)}，本机关动用项目工资保证金支付"
            f"{yuan(state.deposit_drawn)}，尚欠{yuan(state.outstanding)}。"
        )
    if unpaid_text:
        lines.append(unpaid_text)
    lines.append(_crime_sentence(state, unpaid))
    if state.findings_text:
        lines.append(state.findings_text)
    return "\n".join(lines)


def _status_text(state: CaseState, jurisdiction: Jurisdiction) -> str:
    """Where a major case stands, for the leader's dispatch."""
    lines = [
        f"当前阶段：{STAGE_LABELS[state.stage]}；承办单位：{official_unit_name(jurisdiction, state.lead_unit)}。",
        f"涉及农民工{len(state.intake.workers)}人，应付{yuan(_owed(state))}，已追回{yuan(state.amount_recovered)}，"
        f"尚欠{yuan(state.outstanding)}。",
    ]
    for d in state.deadlines:
        if d.resolved_at is None:
            status = "已逾期" if d.status.value == "missed" else "办理中"
            lines.append(
                f"{DEADLINE_LABELS.get(d.kind, '办理')}：{official_unit_name(jurisdiction, d.unit)}，"
                f"期限{china_time(d.due_at)}，{status}。"
            )
    if state.emergency_outstanding > 0:
        lines.append(f"应急周转金待追回{yuan(state.emergency_outstanding)}。")
    return "\n".join(lines)


def _issuer(state: CaseState, req: DocumentRequest, jurisdiction: Jurisdiction) -> str:
    authority = state.intake.policy.authority(req.kind)
    if authority is not None:  # who issues what, as the case's policy says (docs/domain.md)
        received_by = state.intake.registered_by.unit or jurisdiction.office_unit
        if authority.unit == RECEIVING_UNIT:  # the unit whose clerk received the complaint
            return official_unit_name(jurisdiction, received_by)
        if authority.unit == REFERRING_UNIT:  # the unit that refers it on (at intake: the receiving unit)
            return official_unit_name(jurisdiction, req.params.get("from_unit") or received_by)
        return official_unit_name(jurisdiction, authority.unit)
    if req.kind == "referral":  # the unit that refers signs; the office of the leading group at intake
        return (
            official_unit_name(jurisdiction, req.params["from_unit"])
            if req.params.get("from_unit")
            else jurisdiction.office_name
        )
    if req.kind in LABOUR_INSPECTION_KINDS:  # whatever unit leads, labour inspection decides these
        return official_unit_name(jurisdiction, state.intake.policy.routing.default_unit)
    code = state.lead_unit or jurisdiction.office_unit
    if req.kind in ("receipt", "escalation", "major_case_dispatch"):
        code = jurisdiction.office_unit
    return official_unit_name(jurisdiction, code)


def _served_addressee(state: CaseState, kind: str) -> str:
    if kind in ("blacklist_notice", "blacklist_decision"):
        return state.intake.employer.name
    return liable_party_name(state)


def _enforced_decision_ref(state: CaseState, jurisdiction: Jurisdiction) -> str:
    """The decision a 催告书 enforces: from procedure 3 the 行政处理决定书 (the court enforces it, not the
    order to correct), else the order."""
    decision = next((d for d in reversed(state.documents) if d.kind == "payment_decision"), None)
    if state.procedure < 3 or decision is None:
        return _order_decision_ref(state, jurisdiction)
    return f"《{DOCUMENT_KINDS['payment_decision']}》（{doc_no(jurisdiction, state, decision.seq, decision.kind)}）"


def _order_decision_ref(state: CaseState, jurisdiction: Jurisdiction) -> str:
    order = next((d for d in reversed(state.documents) if d.kind == "order_to_pay"), None)
    if order is None:
        return f"责令支付决定（案件编号{state.case_no}）"
    return f"《{DOCUMENT_KINDS['order_to_pay']}》（{doc_no(jurisdiction, state, order.seq, order.kind)}）"


def _due(clock: Deadline | None, fmt=china_time) -> str | None:
    """A clock's due date as a document prints it; （暂定） while it was counted on a provisional year
    (docs/calendar.md)."""
    if clock is None:
        return None
    return fmt(clock.due_at) + ("（暂定）" if clock.provisional else "")


def _order_due(state: CaseState) -> str | None:
    """The order's due date; provisional only when the period was counted, not set by the order itself."""
    if state.payment_due_at is None:
        return None
    order = next((d for d in reversed(state.deadlines) if d.kind == "order_payment"), None)
    if order is not None and order.due_at == state.payment_due_at:
        return _due(order)
    return china_time(state.payment_due_at)


def document_context(state: CaseState, req: DocumentRequest, jurisdiction: Jurisdiction, now: datetime) -> dict:
    """Everything the template of `req.kind` needs, written in Chinese."""
    intake = state.intake
    name = partial(official_unit_name, jurisdiction)
    ack = state.open_deadline("acknowledge") or next(
        (d for d in reversed(state.deadlines) if d.kind == "acknowledge"), None
    )
    ctx: dict = {
        "jurisdiction_name": jurisdiction.full_name,
        "issuer": _issuer(state, req, jurisdiction),
        "case_no": state.case_no,
        "issued_on": chinese_date(now),
        "doc_no": doc_no(jurisdiction, state, req.seq, req.kind),
        "complainant_name": intake.complainant.name,
        "channel_label": CHANNEL_LABELS.get(intake.channel.value, "来信来访"),
        "received_at": china_time(intake.received_at),
        "employer_name": intake.employer.name,
        "project_name": intake.project.name if intake.project else "未关联建设项目",
        "workers_count": len(intake.workers),
        "amount_claimed": yuan_with_capitals(intake.amount_claimed),
        "lead_unit_name": name(state.lead_unit),
        "description": intake.description,
        "hotline": "12333",
        "acknowledge_due": _due(ack),
    }
    kind = req.kind
    if kind == "referral":
        ctx.update(
            to_unit_name=name(req.params["to_unit"]),
            from_unit_name=name(req.params["from_unit"]) if req.params.get("from_unit") else jurisdiction.office_name,
            routing_reason=req.params.get("reason") or state.routing_reason,
            basis=clean_citation(ack.basis) if ack else None,
            co_units_text="、".join(name(u) for u in state.co_units) or "无",
        )
    elif kind == "order_to_pay":
        ctx.update(
            liable_party_name=liable_party_name(state),
            role_phrase=_role_phrase(state),
            amount=yuan_with_capitals(Decimal(req.params["amount"])),
            due_at=_order_due(state),
            facts=state.findings_text or None,
        )
    elif kind == "payment_decision":
        order = next((d for d in reversed(state.documents) if d.kind == "order_to_pay"), None)
        compensation = req.params.get("compensation")
        ctx.update(
            liable_party_name=liable_party_name(state),
            role_phrase=_role_phrase(state),
            amount=yuan_with_capitals(Decimal(req.params["amount"])),
            due_at=china_time(state.payment_due_at) if state.payment_due_at else None,
            facts=state.findings_text or None,
            order_ref=_order_decision_ref(state, jurisdiction) if order is not None else None,
            order_issued_on=chinese_date(state.order_served_at) if state.order_served_at else None,
            compensation=yuan_with_capitals(Decimal(compensation)) if compensation else None,
            percent=req.params.get("percent"),
        )
    elif kind == "result_notice":
        outcome = req.params.get("outcome", state.outcome or "")
        ctx.update(
            outcome_label=OUTCOME_LABELS.get(outcome, "已办结"),
            amount_owed=yuan(state.amount_owed) if state.amount_owed is not None else None,
            amount_recovered=yuan_with_capitals(state.amount_recovered),
            closed_on=chinese_date(state.closed_at or now),
            summary="\n".join(
                t
                for t in (
                    _findings_sentence(state),
                    payments_text(state) if state.payments or state.substantiated else "",
                )
                if t
            )
            or None,
        )
    elif kind == "non_acceptance":
        ended = intake.arrears_ended_at
        ctx.update(
            arrears_ended_on=chinese_date(ended) if ended else None,
            reason=req.params.get("reason"),
            limitation_text=state.intake.policy.deadlines["limitation"].describe()
            if "limitation" in state.intake.policy.deadlines
            else None,
        )
    elif kind == "escalation":
        clock = next(d for d in state.deadlines if d.seq == req.params["deadline_seq"])
        level = req.params["level"]
        label = DEADLINE_LABELS.get(clock.kind, "法定期限内办理")
        ctx.update(
            to_unit_name=name(clock.unit),
            level_label=LEVEL_LABELS.get(level, "上一级"),
            deadline_label=label,
            due_at=_due(clock),
            overdue_text=f"该期限已于{china_time(clock.due_at)}届满，至今未办理。",
            basis=clean_citation(clock.basis),
            request=f"接到本督办单后立即办理“{label}”事项，3个工作日内书面报送办理情况。",
        )
    elif kind == "deposit_payout":
        amount = Decimal(req.params["amount"])
        payout = next((d for d in reversed(state.deadlines) if d.kind == "deposit_payout"), None)
        shares = unpaid_shares(intake.workers, amount)
        project = intake.project
        ctx.update(
            bank=req.params.get("bank") or state.deposit_bank,
            amount=yuan_with_capitals(amount),
            total=yuan(amount),
            payout_due=_due(payout, chinese_date),
            general_contractor=(project.general_contractor.name if project and project.general_contractor else None),
            workers=[
                {
                    "name": w.name,
                    "id_number": w.id_number,
                    "bank": w.bank,
                    "bank_account": w.bank_account,
                    "amount": yuan(share),
                }
                for w, share in zip(intake.workers, shares)
                if share > 0
            ],
        )
    elif kind == "police_transfer":
        police = req.params.get("to_unit") or intake.policy.police_unit
        ctx.update(
            amount=yuan_with_capitals(Decimal(req.params["amount"])),
            to_unit_name=name(police) if police in jurisdiction.units else None,
            employer_name=liable_party_name(state),
            facts=_transfer_facts(state, Decimal(req.params["amount"])),
        )
    elif kind == "court_reminder":
        rule = intake.policy.deadlines["court_reminder"]
        ctx.update(
            liable_party_name=liable_party_name(state),
            amount=yuan_with_capitals(Decimal(req.params["amount"])),
            decision_ref=_enforced_decision_ref(state, jurisdiction),
            reply_days=rule.amount or None,
            final=state.decision_final_at is not None,  # procedure 3: the windows passed unchallenged
        )
    elif kind in ("blacklist_notice", "blacklist_decision"):
        notice = next((d for d in reversed(state.deadlines) if d.kind == "blacklist_notice"), None)
        objected = any(e.kind == "blacklist_objection" for e in state.timeline)
        ctx.update(
            credit_code=intake.employer.credit_code,
            grounds=state.blacklist_reason,
            objection_due=_due(notice, chinese_date),
            years=intake.policy.blacklist_years,
            listed_on=chinese_date(state.blacklist_listed_at) if state.blacklist_listed_at else None,
            until=chinese_date(state.blacklist_until) if state.blacklist_until else None,
            objection_text=("你单位提出的陈述申辩意见经复核不能成立。" if objected else None),
            # procedure 3 (人社部令45号 arts. 5, 8, 9): the lapse that met the grounds, and the persons listed
            lapsed_on=chinese_date(state.blacklist_grounds_at) if state.blacklist_grounds_at else None,
            persons=[
                {"role": PERSON_ROLES.get(p.role, p.role), "name": p.name, "id_number": p.id_number}
                for p in state.blacklist_persons
            ]
            or None,
        )
    elif kind == "major_case_dispatch":
        ctx.update(
            leader_title=req.params.get("leader") or state.leader,
            status_text=_status_text(state, jurisdiction),
            next_dispatch_at=chinese_date(state.next_dispatch_at) if state.next_dispatch_at else None,
        )
    elif kind == "service_record":
        ctx.update(service_context(state, req, jurisdiction))
    return ctx


def service_context(state: CaseState, req: DocumentRequest, jurisdiction: Jurisdiction) -> dict:
    """The 送达回证 of document `served_seq`: what is served on whom, and the service once recorded."""
    seq = int(req.params["served_seq"])
    served = next((d for d in state.documents if d.seq == seq), None)
    if served is None or served.kind not in SERVED_KINDS:
        raise ValueError(f"document {seq} of case {state.case_no} is not one served on a party")
    served_at = req.params.get("served_at")
    if isinstance(served_at, str):
        served_at = datetime.fromisoformat(served_at)
    method = req.params.get("method")
    if method is not None and method not in SERVICE_METHODS:
        raise ValueError(f"unknown service method {method!r}; known: {', '.join(SERVICE_METHODS)}")
    return {
        "served_title": DOCUMENT_KINDS[served.kind],
        "served_doc_no": doc_no(jurisdiction, state, served.seq, served.kind),
        "addressee": _served_addressee(state, served.kind),
        "methods": [{"label": label, "ticked": code == method} for code, label in SERVICE_METHODS.items()],
        "place": req.params.get("place"),
        "recipient": req.params.get("recipient"),
        "witness": req.params.get("witness"),
        "server": req.params.get("server"),
        "served_at": china_time(served_at) if served_at else None,
    }
