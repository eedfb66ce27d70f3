"""The order to pay (责令限期支付), payments, and the step the case takes when the order runs out unpaid."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from annotated_types import Ge, MaxLen

from domain.actions.base import (
    CASE_WORKERS,
    ENFORCEMENT,
    INVOLVED,
    SYSTEM_ONLY,
    Action,
    Amount,
    ChinaTime,
    ClockRequest,
    ClockTimes,
    Reference,
    china_time,
    command,
    set_field,
)
from domain.actions.effects import (
    court_route,
    crime,
    day,
    doc,
    event,
    maybe_close,
    move,
    open_clock,
    pay,
    propose_police,
    resolve,
)
from domain.calendar import check_due_at
from domain.errors import InvalidInput, NotAllowedNow
from domain.labels import PARTY_LABELS
from domain.model import CaseState, Party, Stage
from domain.procedure import STATUTORY_PROCEDURE


@command
class OrderPayment:
    """Serve the order to pay (限期改正指令书). Without `amount`, everything still owed; without `due_at`,
    the jurisdiction's order_payment period; a date means the end of that day (China time)."""

    amount: Amount | None = None
    due_at: ChinaTime | None = None

    def __post_init__(self):
        set_field(self, "due_at", china_time(self.due_at))


@command
class RecordPayment:
    """Money actually paid to the workers; `reference` is the bank transfer or receipt number."""

    amount: Amount
    payer: Party
    reference: Reference | None = None


@command
class Enforce:
    """The order ran out unpaid (a step of the workflow, with what was drawn from the deposit)."""

    drawn: Annotated[Decimal, Ge(0)] = Decimal("0")
    bank: Annotated[str, MaxLen(200)] | None = None
    reference: Reference | None = None


def _order_awaited(state: CaseState) -> bool:
    return state.substantiated is True


def _check_order(state: CaseState, cmd: OrderPayment, now: datetime) -> None:
    if cmd.amount is not None and cmd.amount > state.outstanding:
        raise InvalidInput(code="amount_exceeds_owed", field="amount", amount=cmd.amount, owed=state.outstanding)
    due = china_time(cmd.due_at)
    if due is not None and due <= now:
        raise InvalidInput(code="due_in_past", field="due_at")
    if due is not None:
        check_due_at(due, now)  # a period of days or weeks, never years: see domain/calendar.py


def _order_clocks(state: CaseState, cmd: OrderPayment, now: datetime) -> list[ClockRequest]:
    return [ClockRequest("order_payment", "order_payment", now)] if cmd.due_at is None else []


def _apply_order(state: CaseState, cmd: OrderPayment, actor, now, times):
    amount = cmd.amount if cmd.amount is not None else state.outstanding
    due = china_time(cmd.due_at) or times["order_payment"].due_at
    resolve(state, "investigate", now)
    move(state, Stage.PAYMENT_ORDERED)
    state.order_amount = amount
    state.order_served_at = now
    state.payment_due_at = due
    escalate = times["order_payment"].escalate_at if "order_payment" in times else []
    computed = cmd.due_at is None and "order_payment" in times  # the order's own date is not counted
    open_clock(
        state,
        "order_payment",
        state.lead_unit,
        now,
        ClockTimes(due, escalate, computed and times["order_payment"].provisional),
    )
    event(
        state,
        now,
        "payment_ordered",
        actor.username,
        f"送达限期改正指令书：责令{PARTY_LABELS[state.liable_party or Party.EMPLOYER]}于期限内支付 {amount} 元",
        amount=str(amount),
        due_at=due.isoformat(),
    )
    return [doc(state, "order_to_pay", amount=str(amount))]


def payment_awaited(state: CaseState) -> bool:
    """Something is owed, and (while investigating) substantiated findings name how much."""
    return state.outstanding > 0 and (state.stage is not Stage.INVESTIGATING or state.substantiated is True)


def _check_payment(state: CaseState, cmd: RecordPayment, now: datetime) -> None:
    if cmd.amount > state.outstanding:
        raise InvalidInput(code="payment_exceeds_owed", field="amount", amount=cmd.amount, owed=state.outstanding)
    if cmd.reference and any(p.reference == cmd.reference for p in state.payments):
        raise NotAllowedNow(code="reference_recorded", field="reference", reference=cmd.reference)


def _apply_payment(state: CaseState, cmd: RecordPayment, actor, now, times):
    pay(state, now, cmd.amount, cmd.payer, actor.username, cmd.reference)
    return maybe_close(state, actor, now)


def _check_enforce(state: CaseState, cmd: Enforce, now: datetime) -> None:
    if state.outstanding <= 0:
        raise NotAllowedNow(code="nothing_owed")
    if cmd.drawn > state.outstanding:
        raise InvalidInput(code="drawdown_too_large", field="drawn", drawn=cmd.drawn, owed=state.outstanding)


def _enforce_clocks(state: CaseState, cmd: Enforce, now: datetime) -> list[ClockRequest]:
    out = []
    if cmd.drawn > 0:
        out += [
            ClockRequest("deposit_payout", "deposit_payout", now),
            ClockRequest("deposit_replenish", "deposit_replenish", now),
        ]
    remaining = state.outstanding - cmd.drawn
    if remaining > 0:
        if crime(state, remaining).met:
            out.append(ClockRequest("police_approval", "police_approval", now))
        elif state.procedure < STATUTORY_PROCEDURE:  # from procedure 3 the court route waits (court_route)
            out.append(ClockRequest("court_reminder", "court_reminder", now))
    return out


def _apply_enforce(state: CaseState, cmd: Enforce, actor, now, times):
    """The order's deadline passed unpaid: draw the deposit, then police or court for what remains."""
    drawn = cmd.drawn
    docs = []
    state.unpaid_at_deadline = state.outstanding
    what = "行政处理决定" if state.stage is Stage.DECIDED else "限期支付"
    event(
        state,
        now,
        "decision_unpaid" if state.stage is Stage.DECIDED else "order_unpaid",
        "system",
        f"{what}期限届满，仍有 {state.outstanding} 元未支付，自动启动强制清欠程序",
    )
    if drawn > 0:
        bank = cmd.bank or "工资保证金存储银行"
        move(state, Stage.DEPOSIT_DRAWDOWN)
        state.deposit_drawn += drawn
        state.deposit_bank = bank
        state.deposit_drawn_at = now
        pay(state, now, drawn, Party.DEPOSIT, "system", cmd.reference)
        payout = open_clock(state, "deposit_payout", state.lead_unit, now, times["deposit_payout"])
        open_clock(state, "deposit_replenish", state.lead_unit, now, times["deposit_replenish"])
        event(
            state,
            now,
            "deposit_drawn",
            "system",
            f"动用工资保证金 {drawn} 元，向{bank}发出支付通知书，银行应于{day(payout.due_at)}前支付；"
            "施工总承包单位应按期补足保证金",
            amount=str(drawn),
            bank=bank,
        )
        docs.append(doc(state, "deposit_payout", amount=str(drawn), bank=bank))
    elif state.intake.project is not None:
        event(state, now, "deposit_empty", "system", "该项目未存储工资保证金或余额为零，无法动用")
    if state.outstanding == 0:
        return docs + maybe_close(state, actor, now)
    # What remains unpaid goes to the police where it is a crime (法释〔2013〕3号), else to the court.
    found = crime(state, state.outstanding)
    if found.met:
        propose_police(state, now, times, found.reason)
        return docs
    event(state, now, "below_crime_threshold", "system", found.reason)
    return docs + court_route(state, now, times)


ORDER_PAYMENT = Action(
    name="order_payment",
    issues="order_to_pay",
    command=OrderPayment,
    stages=frozenset({Stage.INVESTIGATING}),
    roles=CASE_WORKERS,
    apply=_apply_order,
    awaited=_order_awaited,
    not_awaited="findings_first",
    check=_check_order,
    clocks=_order_clocks,
    label="责令限期支付",
    hint="向责任主体送达限期改正指令书；期限留空则按规定期限。",
    field_labels={"amount": "金额（元）", "due_at": "支付期限"},
    field_help={"due_at": "留空则按规定期限"},
)

RECORD_PAYMENT = Action(
    name="record_payment",
    command=RecordPayment,
    stages=ENFORCEMENT | {Stage.INVESTIGATING},
    roles=CASE_WORKERS,
    scope=INVOLVED,
    apply=_apply_payment,
    awaited=payment_awaited,
    not_awaited="payment_not_awaited",
    check=_check_payment,
    moves_money=True,
    label="登记支付",
    hint="登记已实际支付给农民工的工资；全部付清后自动结案。",
    field_labels={"amount": "金额（元）", "payer": "支付方", "reference": "支付凭证号"},
    field_help={"reference": "银行转账或收据号码；同一凭证不能重复登记"},
)

ENFORCE = Action(
    name="enforce",
    command=Enforce,
    stages=frozenset({Stage.PAYMENT_ORDERED, Stage.DECIDED}),  # decided: the lawful ladder (decision.py)
    roles=SYSTEM_ONLY,
    office_roles=(),
    apply=_apply_enforce,
    check=_check_enforce,
    clocks=_enforce_clocks,
    label="限期届满未支付，启动强制清欠",
    field_labels={"drawn": "动用保证金（元）", "bank": "开户银行", "reference": "保证金台账记录"},
)
