"""A year's official schedule was loaded: which running clocks are counted again, and what changes.

The new instants are computed by an activity (activities.calendar.recompute_clocks) and reach the case
as its recorded result, so a replay never sees another calendar. The rules here are pure:

- only clocks still running (open, due later than now) whose rule counts days (working or calendar
  days) and whose period touches a changed year are counted again;
- a period given to a party (an order's deadline, the objection period of a blacklist notice, …) is
  never shortened: it keeps the later of its old and new date. Such a period is counted again only if
  it was computed on a provisional year: a date the order itself set is the order's, not the calendar's;
- the authority's own clocks take the new date, earlier or later;
- each change goes on the timeline with the old and the new date.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from domain.calendar import CHINA_TZ
from domain.lifecycle import DEADLINE_LABELS, ClockTimes
from domain.model import CasePolicy, CaseState, DeadlineStatus, Event
from domain.rules import PeriodUnit

# Periods the law gives a party (the employer, the liable party): once notified, never shortened.
PARTY_OWN_PERIODS = frozenset(
    {
        "order_payment",  # 限期改正指令书: the period to pay
        "blacklist_notice",  # 人社部令45号 art. 6: the period to object
        "payment_order_objection",  # 民事诉讼法 art. 227: the debtor's period to object to a 支付令
        "court_reminder",  # 行政强制法 art. 54: the period the 催告书 gives
        "decision_payment",
        "decision_review",
        "decision_suit",  # the handling decision's periods and windows
        "review_suit",
    }
)
_COUNTED = (PeriodUnit.WORKING_DAYS, PeriodUnit.CALENDAR_DAYS)


@dataclass
class CalendarChange:
    """The signal a case receives when a year's schedule was loaded (workflows.calendar)."""

    year: int
    version: int
    source: str = ""
    # Set by the service's payload converter, never by the sender: True only for a signal sealed with the
    # service's key (core/codec.py). A change from anyone else (the Temporal CLI) is dropped.
    sealed: bool = False
    SEALABLE: ClassVar[bool] = True


@dataclass
class ClockToRecompute:
    seq: int
    rule: str
    start: datetime
    extended_working_days: int = 0


@dataclass
class RecomputeClocksInput:
    case_no: str
    policy: CasePolicy
    clocks: list[ClockToRecompute]
    escalation_levels: int
    years: list[int] = field(default_factory=list)


@dataclass
class RecomputedClock:
    seq: int
    times: ClockTimes


def _year(at: datetime) -> int:
    return at.astimezone(CHINA_TZ).year


def clocks_to_recompute(state: CaseState, years: set[int], now: datetime) -> list[ClockToRecompute]:
    """The running clocks of a case that a new schedule of one of `years` may move."""
    out = []
    for clock in state.deadlines:
        if clock.resolved_at is not None or clock.status is not DeadlineStatus.OPEN or clock.due_at <= now:
            continue
        rule = state.intake.policy.deadlines.get(clock.kind)
        if rule is None or rule.unit not in _COUNTED:
            continue
        if clock.kind in PARTY_OWN_PERIODS and not clock.provisional:
            continue
        if not any(_year(clock.start_at) <= year <= _year(clock.due_at) for year in years):
            continue
        out.append(ClockToRecompute(clock.seq, clock.kind, clock.start_at, clock.extended_working_days))
    return out


def _day(at: datetime) -> str:
    local = at.astimezone(CHINA_TZ)
    return f"{local.year}年{local.month}月{local.day}日"


def apply_recomputed(state: CaseState, change: CalendarChange, results: list[RecomputedClock], now: datetime) -> bool:
    """Give the clocks their new instants; True if anything changed (the case's version is bumped)."""
    by_seq = {clock.seq: clock for clock in state.deadlines}
    where = f"{change.year}年节假日安排" + (f"（{change.source}）" if change.source else "")
    changed = False
    for result in results:
        clock = by_seq.get(result.seq)
        if clock is None or clock.resolved_at is not None or clock.status is not DeadlineStatus.OPEN:
            continue
        new = result.times
        due, escalate = new.due_at, list(new.escalate_at)
        if clock.kind in PARTY_OWN_PERIODS and due < clock.due_at:
            due, escalate = clock.due_at, list(clock.escalate_at)  # never shorten what the party was told
        if due == clock.due_at and escalate == clock.escalate_at and new.provisional == clock.provisional:
            continue
        old = clock.due_at
        clock.due_at, clock.escalate_at, clock.provisional = due, escalate, new.provisional
        label = DEADLINE_LABELS.get(clock.kind, clock.kind)
        if due != old:
            summary = f"{where}已载入：{clock.unit}「{label}」期限由{_day(old)}调整为{_day(due)}"
            kind = "deadline_recomputed"
        else:
            summary = f"{where}已载入：{clock.unit}「{label}」期限{_day(due)}不变" + (
                "" if new.provisional else "，已确定"
            )
            kind = "deadline_confirmed"
        state.timeline.append(
            Event(
                len(state.timeline) + 1,
                now,
                kind,
                "system",
                summary,
                {
                    "deadline": clock.kind,
                    "old_due_at": old.isoformat(),
                    "new_due_at": due.isoformat(),
                    "year": change.year,
                    "version": change.version,
                },
            )
        )
        if clock.kind == "order_payment" and state.payment_due_at == old:
            state.payment_due_at = due
        changed = True
    if changed:
        state.version += 1
    return changed
