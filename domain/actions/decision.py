"""The handling decision (行政处理决定): labour inspection orders payment by a date, with 加付赔偿金.

An order to correct (限期改正指令书) that runs out unpaid does not by itself let the county draw the deposit
or go to the police or the court: labour inspection first decides (劳动保障监察条例 arts. 18 and 26;
劳动合同法 art. 85), within the `decision` clock. Only the decision's date passing unpaid moves the case on
by itself (the `enforce` step of domain/actions/order.py). Cases that started before this ladder keep the old
one (`CaseState.procedure` 1): for them neither step here is ever offered.
"""

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from annotated_types import Ge, Le

from domain.actions.base import (
    CASE_WORKERS,
    SYSTEM_ONLY,
    Action,
    Amount,
    ChinaTime,
    ClockRequest,
    ClockTimes,
    NoFields,
    china_time,
    command,
    set_field,
)
from domain.actions.challenge import on_court_route
from domain.actions.effects import day, doc, event, issuing_unit, move, open_clock, resolve
from domain.calendar import check_due_at
from domain.errors import InvalidInput, NotAllowedNow
from domain.labels import PARTY_LABELS
from domain.model import CaseState, DeadlineStatus, Party, Stage
from domain.procedure import LAWFUL_LADDER, STATUTORY_PROCEDURE

Percent = Annotated[int, Ge(50), Le(100)]
# Procedure 3: a case that reached the court route (after an absconding or a police refusal) with only an
# order to correct gets its decision there; the decision does not send it down the ladder again.
LATE_STAGES = frozenset({Stage.POLICE_REFERRED, Stage.COURT_ENFORCEMENT})


@command
class DecidePayment:
    """The 行政处理决定书: pay `amount` (default: everything still owed) by `due_at` (default: the
    order_payment period), and 加付赔偿金 of `compensation_percent` (50-100) of it to the workers where an
    order to correct already ran out unpaid (劳动保障监察条例 art. 26)."""

    amount: Amount | None = None
    due_at: ChinaTime | None = None
    compensation_percent: Percent | None = None

    def __post_init__(self):
        set_field(self, "due_at", china_time(self.due_at))


def order_lapsed_due(state: CaseState, now: datetime) -> bool:
    """On the lawful ladder: the order to correct ran out with money owed, and that is not yet recorded."""
    order = state.open_deadline("order_payment")
    return (
        state.procedure >= LAWFUL_LADDER
        and state.stage is Stage.PAYMENT_ORDERED
        and state.order_lapsed_at is None
        and order is not None
        and order.due_at <= now
        and state.outstanding > 0
    )


def decision_lapsed_due(state: CaseState, now: datetime) -> bool:
    """The decision's date passed with money owed: the case moves down the ladder (`enforce`)."""
    clock = state.open_deadline("decision_payment")
    return state.stage is Stage.DECIDED and clock is not None and clock.due_at <= now and state.outstanding > 0


def _apply_order_lapsed(state: CaseState, cmd, actor, now, times):
    state.order_lapsed_at = now
    state.unpaid_at_deadline = state.outstanding
    resolve(state, "order_payment", now, DeadlineStatus.MISSED)
    clock = open_clock(state, "decision", issuing_unit(state, "payment_decision"), now, times["decision"])
    event(
        state,
        now,
        "order_unpaid",
        "system",
        f"限期改正指令书期限届满，仍有 {state.outstanding} 元未支付；劳动保障监察机构应于{day(clock.due_at)}前"
        "作出行政处理决定（劳动保障监察条例第26条）",
    )
    return []


def _decision_awaited(state: CaseState) -> bool:
    if state.procedure < LAWFUL_LADDER or state.outstanding <= 0:
        return False
    if state.stage is Stage.INVESTIGATING:
        return state.substantiated is True
    if state.stage in LATE_STAGES:  # procedure 3: the court route found no decision to enforce
        return state.procedure >= STATUTORY_PROCEDURE and state.decided_at is None and on_court_route(state)
    return state.open_deadline("decision") is not None  # an order ran out unpaid


def _check_decision(state: CaseState, cmd: DecidePayment, now: datetime) -> None:
    if cmd.amount is not None and cmd.amount > state.outstanding:
        raise InvalidInput(code="amount_exceeds_owed", field="amount", amount=cmd.amount, owed=state.outstanding)
    if cmd.due_at is not None:
        if cmd.due_at <= now:
            raise InvalidInput(code="due_in_past", field="due_at")
        check_due_at(china_time(cmd.due_at) or now, now)
    lapsed = state.stage is Stage.PAYMENT_ORDERED or (state.stage in LATE_STAGES and state.order_lapsed_at)
    if lapsed and cmd.compensation_percent is None:
        raise InvalidInput(code="compensation_required", field="compensation_percent")


def _decision_clocks(state: CaseState, cmd: DecidePayment, now: datetime) -> list[ClockRequest]:
    return [ClockRequest("decision_payment", "order_payment", now)] if cmd.due_at is None else []


def _apply_decision(state: CaseState, cmd: DecidePayment, actor, now, times):
    amount = cmd.amount if cmd.amount is not None else state.outstanding
    computed = times.get("decision_payment")
    due = china_time(cmd.due_at) or (computed.due_at if computed else now)
    resolve(state, "investigate", now)
    resolve(state, "decision", now)
    resolve(state, "order_payment", now, DeadlineStatus.MISSED)
    if state.stage not in LATE_STAGES:  # on the court route the decision is enforced there
        move(state, Stage.DECIDED)
    state.decided_at = now
    state.decision_amount = amount
    state.payment_due_at = due
    state.compensation_percent = cmd.compensation_percent
    state.compensation_amount = None
    if cmd.compensation_percent is not None:
        state.compensation_amount = (amount * cmd.compensation_percent / 100).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
    escalate = computed.escalate_at if computed else []
    if state.stage is Stage.DECIDED:  # on the court route its windows, not its date, move the case on
        open_clock(
            state,
            "decision_payment",
            state.lead_unit,
            now,
            ClockTimes(due, escalate, bool(computed and cmd.due_at is None and computed.provisional)),
            rule="decision",
        )
    party = PARTY_LABELS[state.liable_party or Party.EMPLOYER]
    extra = ""
    if state.compensation_amount is not None:
        extra = f"，并按应付金额的{cmd.compensation_percent}%向劳动者加付赔偿金 {state.compensation_amount} 元"
    event(
        state,
        now,
        "payment_decided",
        actor.username,
        f"作出行政处理决定：责令{party}于{day(due)}前支付 {amount} 元{extra}",
        amount=str(amount),
        due_at=due.isoformat(),
        compensation_percent=cmd.compensation_percent,
    )
    params = {"amount": str(amount)}
    if state.compensation_amount is not None:
        params.update(compensation=str(state.compensation_amount), percent=str(cmd.compensation_percent))
    return [doc(state, "payment_decision", **params)]


def _check_lapsed(state: CaseState, cmd, now: datetime) -> None:
    if not order_lapsed_due(state, now):
        raise NotAllowedNow(code="not_awaited", action="order_lapsed")


DECIDE_PAYMENT = Action(
    name="decide_payment",
    issues="payment_decision",
    command=DecidePayment,
    stages=frozenset({Stage.INVESTIGATING, Stage.PAYMENT_ORDERED}) | LATE_STAGES,
    roles=CASE_WORKERS,
    apply=_apply_decision,
    awaited=_decision_awaited,
    not_awaited="handling_decision_not_awaited",
    check=_check_decision,
    clocks=_decision_clocks,
    label="作出行政处理决定",
    hint="劳动保障监察机构作出行政处理决定书，责令限期支付；指令书逾期未履行的，同时责令加付赔偿金（50%至100%）。",
    field_labels={"amount": "金额（元）", "due_at": "支付期限", "compensation_percent": "加付赔偿金比例（%）"},
    field_help={
        "due_at": "留空则按规定期限",
        "compensation_percent": "限期改正指令书逾期未支付的必填，50至100（劳动保障监察条例第26条）",
    },
)

ORDER_LAPSED = Action(
    name="order_lapsed",
    command=NoFields,
    stages=frozenset({Stage.PAYMENT_ORDERED}),
    roles=SYSTEM_ONLY,
    office_roles=(),
    apply=_apply_order_lapsed,
    check=_check_lapsed,
    opens=("decision",),
    label="指令书逾期未履行，待作出行政处理决定",
)
