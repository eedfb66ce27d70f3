"""Reading a case as a user may see it: its list row, its detail (ID numbers and phones masked for the
roles that do not handle it, every unmasked view audited), its documents.

Reads come from the database projection, which the workflow has written before an update returns.
"""

import json
from datetime import datetime, timezone

from sqlmodel import Session

from api import schemas
from api.case_service import UNMASKED_ROLES, CaseNotFound, ensure_visible
from api.params import parse_number
from db.accounts import User
from db.audit import CASE_DETAIL, DOCUMENT, record_views
from db.case_documents import document_list, get_document
from db.cases import (
    CaseRecord,
    Document,
    case_state,
    get_case,
)
from documents import UNMASKED_KINDS
from domain.calendar import CHINA_TZ, working_days_between
from domain.enforcement import liable_party_for
from domain.identity import mask_id, mask_phone
from domain.lifecycle import DEADLINE_LABELS, STAGE_LABELS, enforcement_unit
from domain.model import CaseState


def may_see_personal_data(user: User) -> bool:
    """Whether the user's role needs ID numbers and phones unmasked (every such view is audited)."""
    return user.role in UNMASKED_ROLES


def summary_of(record: CaseRecord) -> schemas.CaseSummary:
    """The list row of a case."""
    return schemas.CaseSummary(
        case_no=record.case_no,
        stage=record.stage,
        stage_label=STAGE_LABELS.get(record.stage, record.stage),
        lead_unit=record.lead_unit,
        township=record.township,
        employer_name=record.employer_name,
        project_name=record.project_name,
        complainant_name=record.complainant_name,
        workers_count=record.workers_count,
        amount_claimed=record.amount_claimed,
        amount_owed=record.amount_owed,
        amount_recovered=record.amount_recovered,
        next_deadline_at=record.next_deadline_at,
        overdue=record.overdue,
        escalated=record.escalated,
        major=record.major,
        received_at=record.received_at,
    )


def case_detail(
    *, session: Session, record: CaseRecord, user: User, calendar=None, view_recorded: bool = False
) -> schemas.CaseDetail:
    """Everything about one case that the user may see: from the projected workflow state, and the issued
    documents' rows (their hashes and issue times are the database's). `view_recorded`: the caller has
    already committed this view's audit row (POST /api/cases does, in the intake's own transaction)."""
    state: CaseState = case_state(record)
    intake = state.intake
    unmasked = may_see_personal_data(user)
    id_out = (lambda v: v) if unmasked else mask_id
    phone_out = (lambda v: v) if unmasked else mask_phone
    if unmasked and not view_recorded:  # recorded before anything is shown: no audit row, no unmasked view
        record_views(
            session=session,
            username=user.username,
            role=user.role,
            unit=user.unit,
            case_nos=[record.case_no],
            via=CASE_DETAIL,
        )
    now = datetime.now(timezone.utc)
    deadlines = []
    for d in state.deadlines:
        left = None
        if calendar is not None and d.status.value == "open":
            left = working_days_between(calendar, now.astimezone(CHINA_TZ).date(), d.due_at.astimezone(CHINA_TZ).date())
        deadlines.append(
            schemas.DeadlineOut(
                kind=d.kind,
                label=DEADLINE_LABELS.get(d.kind, d.kind),
                unit=d.unit,
                start_at=d.start_at,
                due_at=d.due_at,
                status=d.status.value,
                level=d.level,
                basis=d.basis,
                resolved_at=d.resolved_at,
                working_days_left=left,
                provisional=d.provisional,
            )
        )
    docs = document_list(session=session, case_no=record.case_no)  # the list needs no HTML
    suggestion = liable_party_for(intake.project, intake.employer)
    project = None
    if intake.project is not None:
        p = intake.project
        project = {
            "id": p.id,
            "name": p.name,
            "type": p.facts.type,
            "township": p.facts.township,
            "has_permit": p.facts.has_permit,
            "land": p.facts.land,
            "government_invested": p.facts.government_invested,
            "construction_unit": _org(p.construction_unit),
            "general_contractor": _org(p.general_contractor),
            "subcontractor": _org(p.subcontractor),
        }
    return schemas.CaseDetail(
        **summary_of(record).model_dump(),
        version=state.version,
        co_units=state.co_units,
        enforcement_unit=enforcement_unit(state),
        channel=intake.channel.value,
        registered_at=intake.registered_at,
        registered_by=intake.registered_by.username,
        routing_reason=state.routing_reason,
        complainant={
            "name": intake.complainant.name,
            "phone": phone_out(intake.complainant.phone),
            "id_number": id_out(intake.complainant.id_number),
        },
        employer=_org(intake.employer),
        project=project,
        workers=[
            schemas.WorkerOut(name=w.name, id_number=id_out(w.id_number), amount_owed=w.amount_owed)
            for w in intake.workers
        ],
        description=intake.description,
        outstanding=state.outstanding,
        liable_party=state.liable_party.value if state.liable_party else None,
        findings=state.findings_text,
        order_amount=state.order_amount,
        outcome=state.outcome,
        milestones={
            "referred_at": state.referred_at,
            "accepted_at": state.accepted_at,
            "findings_at": state.findings_at,
            "order_served_at": state.order_served_at,
            "payment_due_at": state.payment_due_at,
            "deposit_drawn_at": state.deposit_drawn_at,
            "police_proposed_at": state.police_proposed_at,
            "police_approved_at": state.police_approved_at,
            "police_referred_at": state.police_referred_at,
            "police_decided_at": state.police_decided_at,
            "court_reminded_at": state.court_reminded_at,
            "court_filed_at": state.court_filed_at,
            "closed_at": state.closed_at,
        },
        deadlines=deadlines,
        timeline=[schemas.EventOut(at=e.at, kind=e.kind, actor=e.actor, summary=e.summary) for e in state.timeline],
        escalations=[
            schemas.EscalationOut(at=e.at, level=e.level, reason=e.reason, deadline_kind=e.deadline_kind, unit=e.unit)
            for e in state.escalations
        ],
        payments=[
            schemas.PaymentOut(at=p.at, amount=p.amount, payer=p.payer.value, actor=p.actor, reference=p.reference)
            for p in state.payments
        ],
        pending_actions=json.loads(record.pending_actions),
        documents=[
            schemas.DocumentOut(
                seq=d.seq,
                kind=d.kind,
                title=d.title,
                url=f"/api/cases/{record.case_no}/documents/{d.seq}",
                content_hash=d.content_hash,
                issued_at=d.issued_at,
            )
            for d in docs
        ],
        related_cases=list(state.related_cases),
        joined_to=state.joined_to,
        suggested_liable_party=suggestion.party.value,
        suggested_liable_party_reason=suggestion.reason,
        enforcement=enforcement_summary(state, id_out),
    )


def enforcement_summary(state: CaseState, id_out=mask_id) -> dict:
    """Where the case stands on the enforcement ladder (amounts as yuan strings)."""
    return {
        "deposit_drawn": f"{state.deposit_drawn:.2f}",
        "deposit_bank": state.deposit_bank,
        "absconded": state.absconded,
        "months_unpaid": state.months_unpaid,
        "police_filed": state.police_filed,
        "police_refusals": state.police_refusals,
        "liaison_units": list(state.liaison_units),
        "leader": state.leader,
        "next_dispatch_at": state.next_dispatch_at.isoformat() if state.next_dispatch_at else None,
        "emergency_fund": {
            "wages": f"{state.emergency_wages:.2f}",
            "living": f"{state.emergency_living:.2f}",
            "recovered": f"{state.emergency_recovered:.2f}",
            "outstanding": f"{state.emergency_outstanding:.2f}",
        },
        "blacklist": state.blacklist,
        "blacklist_until": state.blacklist_until.isoformat() if state.blacklist_until else None,
        # procedure 3 (人社部令45号 arts. 5, 8, 9): when the grounds were found, and who is listed with the employer
        "blacklist_grounds_at": state.blacklist_grounds_at.isoformat() if state.blacklist_grounds_at else None,
        "blacklist_persons": [
            {"name": p.name, "id_number": id_out(p.id_number), "role": p.role} for p in state.blacklist_persons
        ],
        # the handling decision (行政处理决定) and the 加付赔偿金 it orders paid to the workers (art. 26)
        "decision": None
        if state.decided_at is None
        else {
            "decided_at": state.decided_at.isoformat(),
            "amount": f"{state.decision_amount:.2f}" if state.decision_amount is not None else None,
            "compensation_percent": state.compensation_percent,
            "compensation_owed": f"{state.compensation_amount:.2f}" if state.compensation_amount is not None else None,
            # procedure 3: its service, when it became enforceable, and the party's challenges
            "served_at": state.decision_served_at.isoformat() if state.decision_served_at else None,
            "final_at": state.decision_final_at.isoformat() if state.decision_final_at else None,
            "challenges": [
                {
                    "kind": c.kind,
                    "filed_at": c.filed_at.isoformat(),
                    "body": c.body,
                    "reference": c.reference,
                    "result": c.outcome,
                    "decided_at": c.decided_at.isoformat() if c.decided_at else None,
                }
                for c in state.challenges
            ],
        },
    }


def _org(org) -> dict | None:
    return None if org is None else {"name": org.name, "credit_code": org.credit_code}


class DocumentNotFound(Exception):
    pass


def visible_document(*, session: Session, case_no: str, seq: int | str, user: User) -> Document:
    """Document `seq` of a case the user may see (CaseNotFound, Forbidden or DocumentNotFound otherwise)."""
    load_visible_case(session=session, case_no=case_no, user=user)
    number = seq if isinstance(seq, int) else parse_number(seq)
    doc = get_document(session=session, case_no=case_no, seq=number) if number is not None else None
    if doc is None:
        raise DocumentNotFound(f"{case_no}/{seq}")
    if doc.kind in UNMASKED_KINDS:  # full ID numbers and bank accounts: recorded before it is shown
        record_views(
            session=session,
            username=user.username,
            role=user.role,
            unit=user.unit,
            case_nos=[case_no],
            via=DOCUMENT,
            detail=f"{doc.title}（第{doc.seq}号文书）",
        )
    return doc


def load_visible_case(*, session: Session, case_no: str, user: User) -> CaseRecord:
    """The case's row if it exists and the user may see it (404 / 403 otherwise)."""
    record = get_case(session=session, case_no=case_no)
    if record is None:
        raise CaseNotFound(case_no)
    ensure_visible(session=session, record=record, user=user)
    return record
