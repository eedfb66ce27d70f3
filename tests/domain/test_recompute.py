"""Which running clocks a loaded schedule counts again, and the rule that a party's period is never
shortened while the authority's own clocks take the official date."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from core.calendar import YearSchedule, build_calendar
from core.jurisdiction import DEFAULT_JURISDICTION, load_jurisdiction
from core.policy import case_policy
from domain.calendar import CHINA_TZ
from domain.deadlines import due_instant
from domain.lifecycle import ClockTimes
from domain.model import Actor, CaseIntake, CaseState, Channel, Deadline, DeadlineStatus, Organisation, Person
from domain.recompute import CalendarChange, RecomputedClock, apply_recomputed, clocks_to_recompute

POLICY = case_policy(load_jurisdiction(DEFAULT_JURISDICTION))
PROVISIONAL = build_calendar()
# A 2027 schedule of our own making: 春节 only 5-8 Feb (no make-up days for its weekend), Sun 14 Feb worked.
OFF = {
    date(2027, 1, 1),
    *[date(2027, 2, d) for d in range(5, 9)],
    date(2027, 4, 5),
    date(2027, 5, 1),
    date(2027, 5, 2),
    date(2027, 6, 9),
    date(2027, 9, 15),
    *[date(2027, 10, d) for d in range(1, 4)],
}
OFFICIAL = build_calendar(schedules={2027: YearSchedule(2027, frozenset(OFF), frozenset({date(2027, 2, 14)}))})
NOW = datetime(2027, 1, 29, 10, 0, tzinfo=CHINA_TZ)


def clock(seq, kind, start, *, provisional=True, status=DeadlineStatus.OPEN, resolved=None) -> Deadline:
    rule = POLICY.deadlines[kind]
    return Deadline(
        seq,
        kind,
        "hrss",
        start,
        due_instant(rule, start, PROVISIONAL),
        rule.basis,
        status=status,
        resolved_at=resolved,
        provisional=provisional,
    )


def case(*deadlines) -> CaseState:
    intake = CaseIntake(
        "DX-2026-000009",
        Channel.HOTLINE,
        NOW,
        NOW,
        Actor("c", "clerk", "petition"),
        Person("张三"),
        [],
        Organisation("某公司"),
        Decimal("0"),
        "",
        POLICY,
    )
    state = CaseState(intake=intake, deadlines=list(deadlines))
    state.payment_due_at = next((d.due_at for d in deadlines if d.kind == "order_payment"), None)
    return state


def recomputed(state: CaseState) -> list[RecomputedClock]:
    """What the activity returns: each clock counted again from its start on the official calendar."""
    return [
        RecomputedClock(c.seq, ClockTimes(due_instant(POLICY.deadlines[c.rule], c.start, OFFICIAL)))
        for c in clocks_to_recompute(state, {2027}, NOW)
    ]


def day(at: datetime) -> date:
    return at.astimezone(CHINA_TZ).date()


def test_only_running_counted_clocks_touching_the_year_are_counted_again():
    state = case(
        clock(1, "investigate", NOW - timedelta(days=40)),
        clock(2, "order_payment", NOW),  # computed on the provisional year
        clock(3, "order_payment", NOW, provisional=False),  # a date the order itself set
        clock(4, "police_transfer", NOW),  # hours: no calendar
        clock(5, "acknowledge", NOW - timedelta(days=2), status=DeadlineStatus.MET, resolved=NOW),
        clock(6, "acknowledge", datetime(2026, 12, 1, 9, tzinfo=CHINA_TZ)),  # ran out in 2026
    )
    assert [c.seq for c in clocks_to_recompute(state, {2027}, NOW)] == [1, 2]
    assert clocks_to_recompute(state, {2028}, NOW) == []


def test_party_period_is_never_shortened_and_authority_clock_takes_the_official_date():
    investigate = clock(1, "investigate", datetime(2026, 12, 2, 10, tzinfo=CHINA_TZ))
    order = clock(2, "order_payment", NOW)  # 7 days from Fri 29 Jan = 除夕, rolled past the provisional 春节
    state = case(investigate, order)
    old_investigate, old_order = investigate.due_at, order.due_at
    assert day(old_order) == date(2027, 2, 11) and day(old_investigate) == date(2027, 3, 3)

    assert apply_recomputed(state, CalendarChange(2027, 3, "国办发明电〔2026〕X号"), recomputed(state), NOW)
    # the authority's clock: the official date, earlier (5 Feb and 8 Feb off, Sun 14 worked)
    assert day(investigate.due_at) == date(2027, 2, 26) and investigate.provisional is False
    # the party's period: the official count gives Tue 9 Feb, the party keeps the 11th it was told
    assert day(due_instant(POLICY.deadlines["order_payment"], NOW, OFFICIAL)) == date(2027, 2, 9)
    assert order.due_at == old_order and order.provisional is False and state.payment_due_at == old_order
    events = {e.data["deadline"]: e for e in state.timeline}
    moved = events["investigate"]
    assert moved.kind == "deadline_recomputed" and "2027年3月3日调整为2027年2月26日" in moved.summary
    assert moved.data["old_due_at"] == old_investigate.isoformat() and moved.data["version"] == 3
    assert events["order_payment"].kind == "deadline_confirmed"
    assert state.version == 1
    # a second delivery of the same schedule changes nothing
    assert not apply_recomputed(state, CalendarChange(2027, 3), recomputed(state), NOW)
    assert len(state.timeline) == 2


def test_party_period_moves_later_when_the_schedule_gives_more_days():
    notice = clock(1, "blacklist_notice", datetime(2027, 2, 1, 10, tzinfo=CHINA_TZ))
    state = case(notice)
    old = notice.due_at
    later = old + timedelta(days=2)
    assert apply_recomputed(state, CalendarChange(2027, 1), [RecomputedClock(1, ClockTimes(later))], NOW)
    assert notice.due_at == later and state.timeline[0].data["old_due_at"] == old.isoformat()
