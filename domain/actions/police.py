"""The police referral (国务院令310): approval, transfer, the police's decision, reconsideration, supervision."""

from datetime import datetime
from typing import Annotated

from annotated_types import MaxLen

from domain.actions.base import (
    CASE_WORKERS,
    POLICE,
    Action,
    ClockRequest,
    Reference,
    Text,
    clock_awaited,
    command,
)
from domain.actions.effects import court_route, crime, day, doc, event, open_clock, resolve
from domain.errors import InvalidInput, NotAllowedNow
from domain.model import CaseState, DeadlineStatus, Stage
from domain.procedure import STATUTORY_PROCEDURE

POLICE_STAGE = frozenset({Stage.POLICE_REFERRED})


@command
class ApprovePoliceReferral:
    """The unit head approves the police referral (国务院令310 art. 5); the transfer notice is issued."""


@command
class RejectPoliceReferral:
    """The unit head does not approve the police referral: the case goes to court enforcement."""

    reason: Text


@command
class TransferToPolice:
    """The transfer notice and files reached the police (within 24 hours of approval)."""

    reference: Reference | None = None


@command
class PoliceDecision:
    """The police decide whether to file the case (立案), 3 days after the transfer (国务院令310 art. 8);
    a refusal needs its reason."""

    filed: bool
    reason: Annotated[str, MaxLen(2000)] | None = None

    def __post_init__(self):
        if not self.filed and not self.reason:
            raise InvalidInput(code="refusal_needs_reason", field="reason")


@command
class RequestReconsideration:
    """Ask the police to reconsider a refusal, within 3 days (国务院令310 art. 9)."""


@command
class RequestSupervision:
    """Ask the procuratorate to supervise the refusal (立案监督, 国务院令310 art. 9)."""


# The documents that order payment (责令支付) for 法释〔2013〕3号 art. 4.
PAYMENT_ORDERS = ("order_to_pay", "payment_decision")


def service_missing(state: CaseState) -> str | None:
    """None once an order to correct or a handling decision was served on the party, or posted with a
    photo or video record (公告送达 with `evidence`, where the employer absconded); else the refusal's code."""
    served = [s for s in state.services if s.kind in PAYMENT_ORDERS]
    if any(s.method != "public_notice" or s.evidence for s in served):
        return None
    return "posting_needs_evidence" if served else "order_not_served"


def check_crime_conditions(state: CaseState, now: datetime) -> None:
    """法释〔2013〕3号 art. 4 (procedure 3): payment was ordered and served (or posted, with a record), its
    date passed, and what is still owed reaches the crime threshold (art. 3)."""
    missing = service_missing(state)
    if missing is not None:
        raise NotAllowedNow(code=missing)
    if state.order_lapsed_at is None and (state.payment_due_at is None or state.payment_due_at > now):
        due = day(state.payment_due_at) if state.payment_due_at else "—"
        raise NotAllowedNow(code="order_not_lapsed", due=due)
    found = crime(state, state.outstanding)
    if not found.met:
        raise NotAllowedNow(code="below_threshold_at_approval", owed=str(state.outstanding), reason=found.reason)


def _check_approval(state: CaseState, cmd, now: datetime) -> None:
    if state.procedure >= STATUTORY_PROCEDURE:
        check_crime_conditions(state, now)


def _apply_approval(state: CaseState, cmd, actor, now, times):
    resolve(state, "police_approval", now)
    state.police_approved_at = now
    police = state.intake.policy.police_unit
    if police not in state.liaison_units:
        state.liaison_units.append(police)
    open_clock(state, "police_transfer", state.lead_unit, now, times["police_transfer"])
    event(state, now, "police_approved", actor.username, "单位负责人批准移送公安机关，应于24小时内移送")
    return [doc(state, "police_transfer", amount=str(state.outstanding), to_unit=police)]


def _apply_rejection(state: CaseState, cmd: RejectPoliceReferral, actor, now, times):
    resolve(state, "police_approval", now)
    event(
        state, now, "police_rejected", actor.username, f"单位负责人不批准移送公安机关：{cmd.reason}", reason=cmd.reason
    )
    return court_route(state, now, times)


def _rejection_clocks(state: CaseState, cmd, now: datetime) -> list[ClockRequest]:
    # from procedure 3 the court route waits for the decision's windows (domain/actions/challenge.py)
    return [] if state.procedure >= STATUTORY_PROCEDURE else [ClockRequest("court_reminder", "court_reminder", now)]


def _apply_transfer(state: CaseState, cmd: TransferToPolice, actor, now, times):
    resolve(state, "police_transfer", now)
    state.police_referred_at = now
    police = state.intake.policy.police_unit
    open_clock(state, "police_review", police, now, times["police_review"])
    event(
        state,
        now,
        "police_transferred",
        actor.username,
        "涉嫌犯罪案件移送书及有关材料已移送公安机关，公安机关应于3日内决定是否立案",
    )
    return []


def police_decision_awaited(state: CaseState) -> bool:
    """The police have not filed, and a decision is due: after the transfer, after a reconsideration, or
    while the procuratorate supervises a refusal."""
    if state.police_filed is True:
        return False
    if state.procedure >= STATUTORY_PROCEDURE and state.open_deadline("police_transfer") is not None:
        return True  # from the approval on: a decision by the police shows the transfer was received
    return bool(
        state.open_deadline("police_review")
        or state.open_deadline("police_reconsider_answer")
        or state.intake.policy.procuratorate_unit in state.liaison_units
    )


def _decision_clocks(state: CaseState, cmd: PoliceDecision, now: datetime) -> list[ClockRequest]:
    if cmd.filed:
        return []
    if state.open_deadline("police_review") is not None or (
        state.procedure >= STATUTORY_PROCEDURE and state.open_deadline("police_transfer") is not None
    ):
        return [ClockRequest("police_reconsider", "police_reconsider", now)]
    if state.open_deadline("police_reconsider_answer") is not None:
        return [ClockRequest("procuratorate_supervision", "procuratorate_supervision", now)]
    return []


def _apply_decision(state: CaseState, cmd: PoliceDecision, actor, now, times):
    reason = cmd.reason or ""
    reconsidered = state.open_deadline("police_reconsider_answer") is not None
    if state.procedure >= STATUTORY_PROCEDURE and state.open_deadline("police_transfer") is not None:
        resolve(state, "police_transfer", now)  # the police decided: the transfer reached them
        state.police_referred_at = state.police_referred_at or now
    resolve(state, "police_review", now)
    resolve(state, "police_reconsider_answer", now)
    state.police_decided_at = now
    state.police_filed = cmd.filed
    if state.police_filed:
        resolve(state, "court_application", now, DeadlineStatus.CANCELLED)  # the criminal case goes on
        event(state, now, "police_filed", actor.username, "公安机关决定立案侦查" + (f"：{reason}" if reason else ""))
        return []
    state.police_refusals += 1
    if "police_reconsider" in times:
        open_clock(state, "police_reconsider", state.lead_unit, now, times["police_reconsider"])
        follow = "移送机关可于3日内提请复议，或建议人民检察院立案监督"
    elif "procuratorate_supervision" in times:
        open_clock(state, "procuratorate_supervision", state.lead_unit, now, times["procuratorate_supervision"])
        follow = "移送机关可于3日内建议人民检察院立案监督"
    else:
        follow = "可申请人民法院强制执行"
    kind = "复议决定维持不予立案" if reconsidered else "决定不予立案"
    event(state, now, "police_refused", actor.username, f"公安机关{kind}：{reason}；{follow}", reason=reason)
    return []


def _apply_reconsideration(state: CaseState, cmd, actor, now, times):
    resolve(state, "police_reconsider", now)
    open_clock(
        state, "police_reconsider_answer", state.intake.policy.police_unit, now, times["police_reconsider_answer"]
    )
    event(
        state,
        now,
        "police_reconsideration",
        actor.username,
        "提请公安机关复议不予立案决定，公安机关应于3日内作出复议决定",
    )
    return []


def supervision_awaited(state: CaseState) -> bool:
    """The police refused to file: supervision may be asked while either follow-up period runs."""
    return bool(state.open_deadline("police_reconsider") or state.open_deadline("procuratorate_supervision"))


def _apply_supervision(state: CaseState, cmd, actor, now, times):
    resolve(state, "police_reconsider", now, DeadlineStatus.CANCELLED)
    resolve(state, "procuratorate_supervision", now)
    procuratorate = state.intake.policy.procuratorate_unit
    if procuratorate not in state.liaison_units:
        state.liaison_units.append(procuratorate)
    event(state, now, "procuratorate_supervision", actor.username, "建议人民检察院对公安机关不予立案决定进行立案监督")
    return []


APPROVE_POLICE_REFERRAL = Action(
    name="approve_police_referral",
    issues="police_transfer",
    command=ApprovePoliceReferral,
    stages=POLICE_STAGE,
    roles=("unit_head",),
    office_roles=(),
    apply=_apply_approval,
    awaited=clock_awaited("police_approval"),
    not_awaited="approval_not_awaited",
    check=_check_approval,
    opens=("police_transfer",),
    label="批准移送公安",
    hint="批准后出具涉嫌犯罪案件移送书（行政执法机关移送涉嫌犯罪案件的规定 第五条）。",
)

REJECT_POLICE_REFERRAL = Action(
    name="reject_police_referral",
    command=RejectPoliceReferral,
    stages=POLICE_STAGE,
    roles=("unit_head",),
    office_roles=(),
    apply=_apply_rejection,
    awaited=clock_awaited("police_approval"),
    not_awaited="approval_not_awaited",
    clocks=_rejection_clocks,
    label="不批准移送公安",
    hint="不批准移送的，转入申请法院强制执行。",
    field_labels={"reason": "理由"},
)

TRANSFER_TO_POLICE = Action(
    name="transfer_to_police",
    command=TransferToPolice,
    stages=POLICE_STAGE,
    roles=CASE_WORKERS,
    apply=_apply_transfer,
    awaited=clock_awaited("police_transfer"),
    not_awaited="transfer_not_awaited",
    opens=("police_review",),
    label="登记已移送公安",
    hint="移送书及案卷材料送达公安机关后登记。",
    field_labels={"reference": "公安机关接收回执号"},
)

POLICE_DECISION = Action(
    name="police_decision",
    command=PoliceDecision,
    stages=POLICE_STAGE,
    roles=("liaison",),
    scope=POLICE,
    office_roles=(),
    apply=_apply_decision,
    awaited=police_decision_awaited,
    not_awaited="decision_not_awaited",
    clocks=_decision_clocks,
    label="登记公安立案决定",
    hint="公安机关自接受移送之日起3日内作出立案或不予立案决定。",
    field_labels={"filed": "是否立案", "reason": "不予立案理由"},
    bool_labels={"filed": ("已立案", "不予立案")},
)

REQUEST_RECONSIDERATION = Action(
    name="request_reconsideration",
    command=RequestReconsideration,
    stages=POLICE_STAGE,
    roles=CASE_WORKERS,
    apply=_apply_reconsideration,
    awaited=clock_awaited("police_reconsider"),
    not_awaited="reconsideration_not_awaited",
    opens=("police_reconsider_answer",),
    label="提请公安复议",
    hint="对不予立案决定有异议的，3日内提请复议。",
)

REQUEST_SUPERVISION = Action(
    name="request_supervision",
    command=RequestSupervision,
    stages=POLICE_STAGE,
    roles=CASE_WORKERS,
    apply=_apply_supervision,
    awaited=supervision_awaited,
    not_awaited="supervision_not_awaited",
    label="提请检察院立案监督",
    hint="公安机关复议后仍不立案的，提请检察院立案监督。",
)
