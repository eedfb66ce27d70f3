"""The changes actions share: moving the stage, recording events, clocks, payments, documents, closing."""

from datetime import datetime
from decimal import Decimal

from domain.actions.base import ClockTimes, DocumentRequest, Times
from domain.calendar import CHINA_TZ
from domain.enforcement import assess_crime, blacklist_criteria
from domain.errors import NotAllowedNow
from domain.labels import DEADLINE_LABELS, OUTCOME_LABELS, PARTY_LABELS
from domain.model import (
    RECEIVING_UNIT,
    REFERRING_UNIT,
    Actor,
    CaseState,
    Deadline,
    DeadlineStatus,
    DocumentRef,
    Event,
    Party,
    Payment,
    Stage,
)
from domain.procedure import STATUTORY_PROCEDURE

# Transitions are data: one table, one place that checks it.
TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    Stage.INTAKE: frozenset({Stage.REFERRED, Stage.CLOSED}),
    Stage.REFERRED: frozenset({Stage.REFERRED, Stage.INVESTIGATING, Stage.CLOSED}),
    Stage.INVESTIGATING: frozenset(
        {Stage.REFERRED, Stage.PAYMENT_ORDERED, Stage.DECIDED, Stage.POLICE_REFERRED, Stage.CLOSED}
    ),
    Stage.PAYMENT_ORDERED: frozenset(
        {Stage.DECIDED, Stage.DEPOSIT_DRAWDOWN, Stage.POLICE_REFERRED, Stage.COURT_ENFORCEMENT, Stage.CLOSED}
    ),
    # → investigating: a handling decision revoked on review or suit (procedure 3, domain/actions/challenge.py)
    Stage.DECIDED: frozenset(
        {Stage.DEPOSIT_DRAWDOWN, Stage.POLICE_REFERRED, Stage.COURT_ENFORCEMENT, Stage.CLOSED, Stage.INVESTIGATING}
    ),
    Stage.DEPOSIT_DRAWDOWN: frozenset(
        {Stage.POLICE_REFERRED, Stage.COURT_ENFORCEMENT, Stage.CLOSED, Stage.INVESTIGATING}
    ),
    Stage.POLICE_REFERRED: frozenset({Stage.COURT_ENFORCEMENT, Stage.CLOSED, Stage.INVESTIGATING}),
    Stage.COURT_ENFORCEMENT: frozenset({Stage.CLOSED, Stage.INVESTIGATING}),
    Stage.CLOSED: frozenset(),
}


def move(state: CaseState, to: Stage) -> None:
    if to not in TRANSITIONS[state.stage]:
        raise NotAllowedNow(code="bad_transition", stage=state.stage.value, to=to.value)
    state.stage = to


def event(state: CaseState, now: datetime, kind: str, actor: str, summary: str, **data) -> None:
    state.timeline.append(Event(len(state.timeline) + 1, now, kind, actor, summary, data))


def doc(state: CaseState, kind: str, **params) -> DocumentRequest:
    seq = len(state.documents) + 1
    state.documents.append(DocumentRef(seq, kind))
    return DocumentRequest(seq, kind, params)


def open_clock(
    state: CaseState, kind: str, unit: str, start: datetime, times: ClockTimes, rule: str | None = None
) -> Deadline:
    """Open the clock `kind`; its basis is that of the rule `rule` (default: the rule named like the clock)."""
    basis = state.intake.policy.deadlines[rule or kind]
    clock = Deadline(
        len(state.deadlines) + 1,
        kind,
        unit,
        start,
        times.due_at,
        basis.basis,
        escalate_at=list(times.escalate_at),
        provisional=times.provisional,
    )
    state.deadlines.append(clock)
    return clock


def extend_clock(clock: Deadline, times: ClockTimes, working_days: int) -> None:
    """Move an open or missed clock to its extended instants (computed outside the workflow); a missed one
    runs again from level 0."""
    clock.due_at = times.due_at
    clock.escalate_at = list(times.escalate_at)
    clock.provisional = clock.provisional or times.provisional
    clock.extended_working_days += working_days
    if clock.status is DeadlineStatus.MISSED:
        clock.status = DeadlineStatus.OPEN
        clock.level = 0


def resolve(state: CaseState, kind: str, now: datetime, status: DeadlineStatus = DeadlineStatus.MET) -> None:
    clock = state.open_deadline(kind)
    if clock is None:
        return
    clock.resolved_at = now
    if clock.status is DeadlineStatus.OPEN:
        clock.status = status


def day(at: datetime) -> str:
    local = at.astimezone(CHINA_TZ)
    return f"{local.year}年{local.month}月{local.day}日"


def crime(state: CaseState, outstanding: Decimal):
    return assess_crime(
        workers=state.intake.workers,
        outstanding=outstanding,
        months_unpaid=state.months_unpaid,
        threshold=state.intake.policy.crime,
    )


def blacklist_grounds(state: CaseState) -> str | None:
    """Why the employer may be listed (人社部令45号 art. 5), or None."""
    if state.unpaid_at_deadline is None:
        return None
    found = crime(state, state.unpaid_at_deadline)
    return blacklist_criteria(order_missed=True, crime=found, group_incident=state.intake.group_incident)


def pay(state: CaseState, now: datetime, amount: Decimal, payer: Party, who: str, reference: str | None) -> None:
    state.payments.append(Payment(len(state.payments) + 1, now, amount, payer, who, reference or None))
    state.amount_recovered += amount
    event(
        state,
        now,
        "payment_recorded",
        who,
        f"{PARTY_LABELS[payer]}支付 {amount} 元，累计追回 {state.amount_recovered} 元",
        amount=str(amount),
        payer=payer.value,
    )


def maybe_close(state: CaseState, actor: Actor, now: datetime) -> list[DocumentRequest]:
    """Close the case paid in full once the workers are paid, the deposit is restored and the fund repaid."""
    if state.outstanding > 0 or state.stage is Stage.CLOSED:
        return []
    waiting = [DEADLINE_LABELS[k] for k in ("deposit_payout", "deposit_replenish") if state.open_deadline(k)]
    if state.emergency_outstanding > 0:
        waiting.append(f"追回应急周转金 {state.emergency_outstanding} 元")
    if waiting:
        event(state, now, "paid_pending", "system", f"欠薪已全额清偿，待{'、'.join(waiting)}后结案")
        return []
    return close(state, "paid_in_full", actor, now)


# Clocks whose awaited act is the closing itself, whatever the outcome (信访工作条例 art. 32: 办结).
MET_BY_CLOSING = frozenset({"petition_handle"})


def close(state: CaseState, outcome: str, actor: Actor, now: datetime, *, notice: bool = True) -> list[DocumentRequest]:
    """Close the case; without `notice` the caller issues its own notice instead of the 处理结果告知书."""
    for clock in state.deadlines:
        if clock.resolved_at is None:
            clock.resolved_at = now
            if clock.status is DeadlineStatus.OPEN:
                met = outcome == "paid_in_full" or clock.kind in MET_BY_CLOSING
                clock.status = DeadlineStatus.MET if met else DeadlineStatus.CANCELLED
    move(state, Stage.CLOSED)
    state.outcome = outcome
    state.closed_at = now
    state.next_dispatch_at = None
    event(state, now, "closed", actor.username, f"结案：{OUTCOME_LABELS.get(outcome, outcome)}", outcome=outcome)
    return [doc(state, "result_notice", outcome=outcome)] if notice else []


def issuing_unit(state: CaseState, kind: str) -> str:
    """The unit that issues documents of `kind` and answers for their clocks: the authority the case's
    policy names, or the lead unit where it names none (a policy recorded before it did)."""
    authority = state.intake.policy.authority(kind)
    return (
        authority.unit
        if authority is not None and authority.unit not in (RECEIVING_UNIT, REFERRING_UNIT)
        else state.lead_unit
    )


def propose_police(state: CaseState, now: datetime, times: Times, reason: str) -> None:
    move(state, Stage.POLICE_REFERRED)
    state.police_proposed_at = now
    open_clock(state, "police_approval", issuing_unit(state, "police_transfer"), now, times["police_approval"])
    event(
        state,
        now,
        "police_proposed",
        "system",
        f"涉嫌拒不支付劳动报酬罪，拟移送公安机关，报单位负责人审批：{reason}",
        reason=reason,
    )


def court_reminder(state: CaseState, now: datetime, times: Times) -> list[DocumentRequest]:
    move(state, Stage.COURT_ENFORCEMENT)
    state.court_reminded_at = now
    clock = open_clock(state, "court_reminder", issuing_unit(state, "court_reminder"), now, times["court_reminder"])
    event(
        state,
        now,
        "court_reminder",
        "system",
        f"向{PARTY_LABELS[state.liable_party] if state.liable_party else '用人单位'}送达催告书，催告于{day(clock.due_at)}前"
        f"履行支付 {state.outstanding} 元；逾期未履行的，申请人民法院强制执行",
    )
    return [doc(state, "court_reminder", amount=str(state.outstanding))]


def court_route(state: CaseState, now: datetime, times: Times) -> list[DocumentRequest]:
    """What remains unpaid goes to the court. Before procedure 3 the 催告书 is issued at once; from
    procedure 3 the case waits for the decision's review and suit windows (domain/actions/challenge.py)."""
    if state.procedure < STATUTORY_PROCEDURE:
        return court_reminder(state, now, times)
    move(state, Stage.COURT_ENFORCEMENT)
    if state.decided_at is None:
        wait = "尚无行政处理决定：劳动保障监察机构应先作出行政处理决定并送达"
    elif state.decision_served_at is None:
        wait = "行政处理决定书尚未登记送达：申请复议、提起诉讼的期限自送达起算"
    else:
        wait = "待当事人申请行政复议、提起行政诉讼的期限届满后，送达催告书"
    event(state, now, "court_route", "system", f"转入申请人民法院强制执行程序（行政强制法第53条）：{wait}")
    return []
