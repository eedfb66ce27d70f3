"""Activities of the case workflow: deadline instants, documents and the database projection.

All three run as local activities (short, on the worker that runs the workflow) and are idempotent:
a retry after a crash computes the same instants, finds the same document, rewrites the same rows.
"""

import json
import logging
from datetime import datetime
from decimal import Decimal
from collections.abc import Mapping

from pydantic import TypeAdapter
from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.deposits import DepositActivities
from activities.calendar import ScheduleCache, calendar_for, clock_times
from core.calendar import YearSchedule
from db.blacklist import project_blacklist
from db.cases import CaseRecord
from db.cases import project_case as write_projection
from db.cases import store_document
from db.engine import session_scope
from db.outbox import enqueue_complainant_messages
from documents import DOCUMENT_KINDS, content_hash, render_document
from domain.calendar import CHINA_TZ
from domain.enforcement import unpaid_shares
from domain.errors import DomainError
from domain.identity import mask_id
from domain.jurisdiction import Jurisdiction
from domain.lifecycle import (
    DEADLINE_LABELS,
    LEVEL_LABELS,
    OUTCOME_LABELS,
    PARTY_LABELS,
    STAGE_LABELS,
    ClockTimes,
    DocumentRequest,
    pending_actions,
)
from domain.messages import ClockRules, ComputeClocksInput, IssueDocumentsInput
from domain.model import CasePolicy, CaseState, Deadline, WorkerClaim, document_url

log = logging.getLogger(__name__)

CHANNEL_LABELS = {
    "hotline": "12345/12333热线",
    "online": "网上线索平台",
    "walk_in": "来访",
    "petition": "信访转办",
    "media": "媒体线索",
    "union": "工会报告",
    "township_warning": "乡镇预警",
    "self_report": "企业报告",
}


def compute_clocks(input: ComputeClocksInput, schedules: Mapping[int, YearSchedule] = {}) -> dict[str, ClockTimes]:
    """Due instants (and later escalation instants) for the clocks an action opens or extends, on the
    official schedules loaded so far and, for other years, the provisional calendar (marked as such)."""
    rules = input.rules or input.policy  # ClockRules has the policy's attribute names
    cal = calendar_for(rules, schedules)
    out: dict[str, ClockTimes] = {}
    try:
        for req in input.requests:
            times = clock_times(rules, req.rule, req.start, cal, input.escalation_levels,
                                extend_working_days=req.extend_working_days)
            if times.provisional:
                log.info("case %s: %s counted on a provisional year (no official schedule loaded yet)",
                         input.case_no, req.rule)
            out[req.key] = times
    except DomainError as err:
        raise ApplicationError(err.message, type=err.kind, non_retryable=True) from None
    return out


def _fmt_time(value: datetime | None) -> str:
    if value is None:
        return "—"
    local = value.astimezone(CHINA_TZ)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def _fmt_date(value: datetime) -> str:
    local = value.astimezone(CHINA_TZ)
    return f"{local.year}年{local.month}月{local.day}日"


def _due(clock: Deadline | None, fmt=None) -> str | None:
    """A clock's due date as a document prints it; （暂定） while it was counted on a provisional year."""
    if clock is None:
        return None
    return (fmt or _fmt_time)(clock.due_at) + ("（暂定）" if clock.provisional else "")


def _order_clock(state: CaseState) -> Deadline | None:
    return next((d for d in reversed(state.deadlines) if d.kind == "order_payment"), None)


def _order_due(state: CaseState) -> str:
    order = _order_clock(state)
    if order is not None and order.due_at == state.payment_due_at:
        return _due(order)
    return _fmt_time(state.payment_due_at)


def _fmt_money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}元"


def document_context(state: CaseState, req: DocumentRequest, jurisdiction: Jurisdiction, now: datetime) -> dict:
    """Everything a document template needs, formatted in Chinese."""
    intake = state.intake
    name = jurisdiction.unit_name
    issuer = req.params.get("from_unit") or state.lead_unit or jurisdiction.office_unit
    if req.kind in ("receipt", "escalation", "major_case_dispatch"):
        issuer = jurisdiction.office_unit
    ctx = {
        "jurisdiction_name": jurisdiction.full_name,
        "issuer": name(issuer) if issuer in jurisdiction.units else jurisdiction.office_name,
        "case_no": state.case_no,
        "issued_on": _fmt_date(now),
        "doc_no": f"{jurisdiction.name}欠薪〔{now.astimezone(CHINA_TZ).year}〕{state.case_no}-{req.seq}号",
        "complainant_name": intake.complainant.name,
        "channel_label": CHANNEL_LABELS.get(intake.channel.value, intake.channel.value),
        "received_at": _fmt_time(intake.received_at),
        "employer_name": intake.employer.name,
        "project_name": intake.project.name if intake.project else None,
        "workers_count": len(intake.workers),
        "amount_claimed": _fmt_money(intake.amount_claimed),
        "lead_unit_name": name(state.lead_unit),
        "description": intake.description,
        "hotline": "12333",
    }
    ack = state.open_deadline("acknowledge") or next((d for d in reversed(state.deadlines)
                                                       if d.kind == "acknowledge"), None)
    ctx["acknowledge_due"] = _due(ack)
    if req.kind == "referral":
        ctx.update(to_unit_name=name(req.params["to_unit"]),
                   from_unit_name=name(req.params["from_unit"]) if req.params.get("from_unit") else
                   jurisdiction.office_name,
                   routing_reason=req.params.get("reason") or state.routing_reason,
                   basis=ack.basis if ack else None)
    elif req.kind == "order_to_pay":
        party = state.liable_party
        ctx.update(liable_party_label=PARTY_LABELS[party] if party else "用人单位",
                   liable_party_name=_party_name(state),
                   amount=_fmt_money(Decimal(req.params["amount"])),
                   due_at=_order_due(state), facts=state.findings_text or None)
    elif req.kind == "result_notice":
        outcome = req.params.get("outcome", state.outcome or "")
        ctx.update(outcome_label=OUTCOME_LABELS.get(outcome, outcome),
                   amount_owed=_fmt_money(state.amount_owed), amount_recovered=_fmt_money(state.amount_recovered),
                   closed_on=_fmt_date(state.closed_at or now),
                   summary="\n".join(e.summary for e in state.timeline if e.kind in ("findings", "payment_recorded",
                                                                                      "closed")))
    elif req.kind == "escalation":
        clock = next(d for d in state.deadlines if d.seq == req.params["deadline_seq"])
        level = req.params["level"]
        ctx.update(to_unit_name=name(clock.unit), level_label=LEVEL_LABELS.get(level, level),
                   deadline_label=DEADLINE_LABELS.get(clock.kind, clock.kind), due_at=_due(clock),
                   overdue_text=f"该期限已于{_fmt_time(clock.due_at)}届满，尚未办理。", basis=clock.basis,
                   request=f"请{name(clock.unit)}立即办理「{DEADLINE_LABELS.get(clock.kind, clock.kind)}」事项，"
                           f"并将办理情况报{jurisdiction.office_name}。")
    elif req.kind == "deposit_payout":
        amount = Decimal(req.params["amount"])
        payout = next((d for d in reversed(state.deadlines) if d.kind == "deposit_payout"), None)
        shares = unpaid_shares(intake.workers, amount)
        ctx.update(bank=req.params.get("bank") or state.deposit_bank, amount=_fmt_money(amount),
                   payout_due=_due(payout, _fmt_date),
                   workers=[{"name": w.name, "masked_id": mask_id(w.id_number), "amount": _fmt_money(share)}
                            for w, share in zip(intake.workers, shares) if share > 0])
    elif req.kind == "police_transfer":
        police = req.params.get("to_unit") or state.intake.policy.police_unit
        ctx.update(amount=_fmt_money(Decimal(req.params["amount"])),
                   to_unit_name=name(police) if police in jurisdiction.units else None,
                   order_due_at=_order_due(state) if state.payment_due_at else None,
                   facts="\n".join(e.summary for e in state.timeline
                                   if e.kind in ("findings", "payment_ordered", "absconded", "deposit_drawn",
                                                 "order_unpaid", "police_proposed")) or None)
    elif req.kind == "court_reminder":
        order = next((d for d in reversed(state.documents) if d.kind == "order_to_pay"), None)
        year = (state.order_served_at or now).astimezone(CHINA_TZ).year
        decision = (f"《{DOCUMENT_KINDS['order_to_pay']}》（{jurisdiction.name}欠薪〔{year}〕{state.case_no}-{order.seq}号）"
                    if order else f"责令支付决定（案件编号 {state.case_no}）")
        rule = state.intake.policy.deadlines["court_reminder"]
        ctx.update(liable_party_name=_party_name(state), amount=_fmt_money(Decimal(req.params["amount"])),
                   decision_ref=decision, reply_days=rule.amount or None)
    elif req.kind in ("blacklist_notice", "blacklist_decision"):
        notice = next((d for d in reversed(state.deadlines) if d.kind == "blacklist_notice"), None)
        objected = any(e.kind == "blacklist_objection" for e in state.timeline)
        ctx.update(credit_code=intake.employer.credit_code, grounds=state.blacklist_reason,
                   objection_due=_due(notice, _fmt_date),
                   years=state.intake.policy.blacklist_years,
                   listed_on=_fmt_date(state.blacklist_listed_at) if state.blacklist_listed_at else None,
                   until=_fmt_date(state.blacklist_until) if state.blacklist_until else None,
                   objection_text=("你单位提出的陈述申辩意见经复核不能成立。" if objected else None))
    elif req.kind == "major_case_dispatch":
        ctx.update(leader_title=req.params.get("leader") or state.leader, status_text=_status_text(state),
                   next_dispatch_at=_fmt_date(state.next_dispatch_at) if state.next_dispatch_at else None)
    return ctx


def _status_text(state: CaseState) -> str:
    """Where a major case stands, in Chinese, for the leader's dispatch."""
    owed = state.amount_owed if state.amount_owed is not None else state.intake.amount_claimed
    lines = [f"当前阶段：{STAGE_LABELS[state.stage]}；承办单位：{state.lead_unit}；涉及{len(state.intake.workers)}人，"
             f"应付{_fmt_money(owed)}，已追回{_fmt_money(state.amount_recovered)}，尚欠{_fmt_money(state.outstanding)}。"]
    for d in state.deadlines:
        if d.resolved_at is None:
            status = "已逾期" if d.status.value == "missed" else "办理中"
            lines.append(f"{DEADLINE_LABELS.get(d.kind, d.kind)}（{d.unit}）期限{_due(d)}，{status}。")
    if state.emergency_outstanding > 0:
        lines.append(f"应急周转金待追回{_fmt_money(state.emergency_outstanding)}。")
    lines += [f"{_fmt_date(e.at)} {e.summary}" for e in state.timeline[-3:]]
    return "\n".join(lines)


def _party_name(state: CaseState) -> str:
    project = state.intake.project
    party = state.liable_party.value if state.liable_party else "employer"
    org = {"general_contractor": project.general_contractor if project else None,
           "construction_unit": project.construction_unit if project else None,
           "subcontractor": project.subcontractor if project else None}.get(party)
    return org.name if org else state.intake.employer.name


_ROSTER = TypeAdapter(list[WorkerClaim])
_POLICY = TypeAdapter(CasePolicy)


def _restore_intake(session, state: CaseState) -> bool:
    """Put the stored roster and policy back into a state sent without them; False without a stored case."""
    record = session.get(CaseRecord, state.case_no, with_for_update=True)
    if record is None:
        return False
    stored = json.loads(record.state_json)["intake"]
    state.intake.workers = _ROSTER.validate_python(stored["workers"])
    state.intake.policy = _POLICY.validate_python(stored["policy"])
    return True


class CaseActivities:
    """The activities bound to this worker's database engine and jurisdiction."""

    def __init__(self, engine: Engine, jurisdiction: Jurisdiction):
        self.engine = engine
        self.jurisdiction = jurisdiction
        self.deposits = DepositActivities(engine)
        self.schedules = ScheduleCache(engine)

    @activity.defn(name="compute_clocks")
    def compute_clocks(self, input: ComputeClocksInput) -> dict[str, ClockTimes]:
        return compute_clocks(input, self.schedules.get())

    def _store_documents(self, session, state: CaseState, requests: list[DocumentRequest]) -> list[dict]:
        now = activity.info().current_attempt_scheduled_time or datetime.now(CHINA_TZ)
        out = []
        for req in requests:
            html = render_document(req.kind, document_context(state, req, self.jurisdiction, now))
            doc = store_document(session=session, case_no=state.case_no, seq=req.seq, kind=req.kind,
                                 title=DOCUMENT_KINDS[req.kind], content_hash=content_hash(html), html=html)
            out.append({"seq": doc.seq, "url": document_url(state.case_no, doc.seq)})
        return out

    def _project(self, session, state: CaseState) -> None:
        enqueue_complainant_messages(session=session, state=state, unit_name=self.jurisdiction.unit_name,
                                     county=self.jurisdiction.name)  # before the projection: it tells new events
        if write_projection(session=session, state=state, pending=pending_actions(state)):
            project_blacklist(session=session, state=state)

    @activity.defn(name="record_step")
    def record_step(self, input: IssueDocumentsInput) -> bool:
        """Store the step's new documents and write the case's projection, in one transaction.

        False (nothing written) when the input omits the intake's roster and policy and there is no stored
        projection to take them from: the workflow then sends them."""
        with session_scope(self.engine) as session:
            state = input.state
            if input.intake_omitted and not _restore_intake(session, state):
                return False
            self._store_documents(session, state, input.requests)
            self._project(session, state)
        return True

    # The two activities that record_step replaced; cases started before it still replay through them.
    @activity.defn(name="issue_documents")
    def issue_documents(self, input: IssueDocumentsInput) -> list[dict]:
        """Render and store each requested document once; return their seq and URL."""
        with session_scope(self.engine) as session:
            return self._store_documents(session, input.state, input.requests)

    @activity.defn(name="project_case")
    def project_case(self, state: CaseState) -> None:
        """Write the case's projection (skipped if a newer version is already stored)."""
        with session_scope(self.engine) as session:
            self._project(session, state)

    def all(self) -> list:
        return [self.compute_clocks, self.record_step, self.issue_documents, self.project_case,
                *self.deposits.all()]
