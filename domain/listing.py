"""The dishonest-employer list on the statutory procedure (人社部令第45号), as plain functions.

Procedure 3 (domain/procedure.py) follows the order as written; cases on procedures 1 and 2 keep the
rules of domain/actions/blacklist.py as they were (their histories replay). docs/deadlines.md explains:

- art. 5: the grounds are looked at when a payment deadline set by an order to correct (限期改正指令书) or
  a handling decision (行政处理决定书) lapses unpaid (责令支付期限届满): the amount left unpaid reaches the
  amount of the crime of refusing to pay (the `crime_*` thresholds of the jurisdiction file), or the arrears
  caused a group incident or an extreme event (the complaint's `group_incident`);
- art. 8: the listing decision is due 20 working days from that lapse, not from the proposal; +20 once
  with the approval of the head of the authority where the case is complicated;
- arts. 5, 9: the list names the employer with its legal representative (or principal) and the directly
  responsible persons;
- art. 11: a listing lasts 3 years; arts. 12-14: early removal once the arrears are corrected and 6 months
  have passed since the correction, with a written promise, decided within 15 working days of the
  application.
"""

from datetime import datetime
from decimal import Decimal

from domain.model import CaseState, DeadlineStatus, ListedPerson

# The roles of the persons listed with the employer, with their statutory names.
PERSON_ROLES = {
    "legal_representative": "法定代表人",
    "principal": "主要负责人",
    "responsible": "直接责任人员",
}
HEADS = ("legal_representative", "principal")  # one of them must be named (art. 9)

# The payment deadlines whose lapse is "责令支付期限届满": the order's, and the decision's.
PAYMENT_CLOCKS = ("order_payment", "decision_payment")


def grounds(*, unpaid: Decimal | None, crime_met: bool, group_incident: bool) -> str | None:
    """Why the employer is to be listed (art. 5), or None; `unpaid` is what the lapsed deadline left owed."""
    if unpaid is None or unpaid <= 0:
        return None
    if crime_met:
        return (
            "经责令限期支付工资，逾期未支付，且数额达到认定拒不支付劳动报酬罪的数额标准（人社部令第45号第五条第一项）"
        )
    if group_incident:
        return (
            "经责令限期支付工资，逾期未支付，且因拖欠农民工工资引发群体性事件、极端事件（人社部令第45号第五条第二项）"
        )
    return None


def lapsed_payment_deadline(state: CaseState, now: datetime) -> datetime | None:
    """The latest payment deadline that has passed without being met (the instant it lapsed), or None. A clock
    closed before its date (an order replaced by the decision, a case paid in full) never lapsed."""
    lapsed = [
        clock.due_at
        for clock in state.deadlines
        if clock.kind in PAYMENT_CLOCKS
        and clock.due_at <= now
        and clock.status is not DeadlineStatus.MET
        and (clock.resolved_at is None or clock.resolved_at >= clock.due_at)
    ]
    return max(lapsed) if lapsed else None


def correction_at(state: CaseState) -> datetime | None:
    """When the arrears were corrected: the payment that brought what is owed to nothing (art. 13)."""
    if state.outstanding > 0 or not state.payments:
        return None
    owed = state.amount_owed if state.amount_owed is not None else state.intake.amount_claimed
    paid = Decimal("0")
    for payment in state.payments:
        paid += payment.amount
        if paid >= owed:
            return payment.at
    return state.payments[-1].at


def add_months(at: datetime, months: int) -> datetime:
    """The same instant `months` calendar months on (the month's last day where it is shorter)."""
    index = at.month - 1 + months
    year, month = at.year + index // 12, index % 12 + 1
    for day in (at.day, 30, 29, 28):
        try:
            return at.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def early_removal_from(corrected_at: datetime | None, months: int) -> datetime | None:
    """From when early removal may be applied for: `months` after the correction (art. 13), or None."""
    return None if corrected_at is None else add_months(corrected_at, months)


def missing_heads(persons: list[ListedPerson]) -> bool:
    """The persons name neither the legal representative nor the principal (art. 9)."""
    return not any(person.role in HEADS for person in persons)


def persons_text(persons: list[ListedPerson]) -> str:
    """The persons as a document or the timeline names them: 法定代表人张三、直接责任人员李四."""
    return "、".join(f"{PERSON_ROLES.get(p.role, p.role)}{p.name}" for p in persons)
