"""Provisional years: the statutory holidays of 全国年节及纪念日放假办法 (revised 2024) with 补假, no 调休;
loaded schedules; arithmetic that jumps instead of walking; the due-date bound.

Expected 2027 dates were worked out by hand: 元旦 Fri 1 Jan; 春节 除夕 Fri 5 Feb to 初三 Mon 8 Feb, Sat 6 and
Sun 7 made up on Tue 9 and Wed 10; 清明 Mon 5 Apr; 劳动节 Sat 1 and Sun 2 May made up on Mon 3 and Tue 4;
端午 Wed 9 Jun; 中秋 Wed 15 Sep; 国庆 Fri 1 to Sun 3 Oct, made up on Mon 4 and Tue 5."""

from datetime import date, datetime, timedelta

import pytest

from core.calendar import YearSchedule, build_calendar, check_schedule, festivals, provisional_holidays, year_status
from domain.calendar import (
    CHINA_TZ,
    MAX_DUE_YEARS_AHEAD,
    Festival,
    WorkCalendar,
    add_calendar_days,
    add_working_days,
    check_due_at,
    check_received_at,
    provisional_days_off,
    working_days_between,
)
from domain.errors import InvalidInput

CAL = build_calendar()
D = date


def test_lunar_dates_of_2027():
    blocks = {f.name: f.days for f in festivals(2027)}
    assert blocks["春节"] == (D(2027, 2, 5), D(2027, 2, 6), D(2027, 2, 7), D(2027, 2, 8))
    assert blocks["清明节"] == (D(2027, 4, 5),)
    assert blocks["端午节"] == (D(2027, 6, 9),)
    assert blocks["中秋节"] == (D(2027, 9, 15),)
    assert blocks["国庆节"] == (D(2027, 10, 1), D(2027, 10, 2), D(2027, 10, 3))


def test_provisional_2027_days_off():
    off = provisional_holidays(2027)
    expected = {
        D(2027, 1, 1),
        *[D(2027, 2, d) for d in range(5, 11)],
        D(2027, 4, 5),
        *[D(2027, 5, d) for d in range(1, 5)],
        D(2027, 6, 9),
        D(2027, 9, 15),
        *[D(2027, 10, d) for d in range(1, 6)],
    }
    assert off == expected
    assert not CAL.is_working_day(D(2027, 2, 10))  # 补假 for Sunday 7 Feb
    assert CAL.is_working_day(D(2027, 2, 11))
    assert not CAL.is_working_day(D(2027, 2, 13))  # no 调休 on a provisional year: Saturday stays off


def test_make_up_day_skips_days_already_off():
    # A block ending on a Friday with a Saturday in it: the make-up day is the Monday after it.
    fri, sat = D(2027, 1, 8), D(2027, 1, 9)
    assert provisional_days_off([Festival("x", (fri, sat))]) == {fri, sat, D(2027, 1, 11)}
    # Next block already off on that Monday: the make-up day moves to Tuesday.
    off = provisional_days_off([Festival("a", (sat,)), Festival("b", (D(2027, 1, 11),))])
    assert off == {sat, D(2027, 1, 11), D(2027, 1, 12)}


def test_investigation_accepted_today_counts_new_year_and_spring_festival():
    # 60 working days from Wed 2 Dec 2026: Monday to Friday alone gives 24 Feb 2027; the statute moves it
    # past 元旦 (1 weekday) and 春节 with its make-up days (4 weekdays): 3 Mar 2027.
    weekdays_only = WorkCalendar(frozenset(), frozenset(), frozenset())
    assert add_working_days(weekdays_only, D(2026, 12, 2), 60) == D(2027, 2, 24)
    assert add_working_days(CAL, D(2026, 12, 2), 60) == D(2027, 3, 3)
    assert CAL.years_assumed(D(2026, 12, 2), D(2027, 3, 3)) == [2027]


def test_seven_day_order_served_before_spring_festival_runs_past_it():
    # served Fri 29 Jan 2027 + 7 days = Fri 5 Feb (除夕), rolled to the first working day: Thu 11 Feb.
    assert add_calendar_days(CAL, D(2027, 1, 29), 7) == D(2027, 2, 11)


def test_official_2025_and_2026_unchanged():
    # 2025: 春节 28 Jan-4 Feb off, Sun 26 Jan and Sat 8 Feb worked (the State Council's 调休).
    assert [CAL.is_working_day(D(2025, 1, d)) for d in (26, 27, 28)] == [True, True, False]
    assert not CAL.is_working_day(D(2025, 2, 4)) and CAL.is_working_day(D(2025, 2, 8))
    assert add_working_days(CAL, D(2025, 1, 24), 5) == D(2025, 2, 7)  # Sun 26, Mon 27, Wed 5, Thu 6, Fri 7
    # 2026: 春节 15-23 Feb, Sat 14 and Sat 28 worked.
    assert add_working_days(CAL, D(2026, 2, 13), 5) == D(2026, 2, 27)
    assert year_status(2026) == "official" and year_status(2027) == "provisional"


def _walk(cal: WorkCalendar, start: date, end: date) -> int:
    """Day-by-day reference count."""
    count, day = 0, start + timedelta(days=1)
    while day <= end:
        count += cal.is_working_day(day)
        day += timedelta(days=1)
    return count


@pytest.mark.parametrize("start", [D(2024, 12, 20), D(2026, 9, 18), D(2026, 12, 2), D(2027, 1, 29)])
@pytest.mark.parametrize("n", [1, 3, 6, 17, 60, 90, 400])
def test_jumping_arithmetic_agrees_with_walking(start, n):
    due = add_working_days(CAL, start, n)
    assert CAL.is_working_day(due)
    assert _walk(CAL, start, due) == n == working_days_between(CAL, start, due)
    assert _walk(CAL, start, due - timedelta(days=1)) == n - 1


def test_far_dates_never_overflow():
    far = working_days_between(CAL, D(2026, 12, 2), D(9999, 12, 31))
    assert far > 2_000_000
    assert working_days_between(CAL, D(9999, 12, 31), D(2026, 12, 2)) == 0
    with pytest.raises(InvalidInput):
        add_working_days(CAL, D(9999, 12, 20), 30)
    with pytest.raises(InvalidInput):
        add_calendar_days(CAL, D(9999, 12, 30), 5)


def test_loaded_schedule_makes_the_year_official_and_replaces_the_statute():
    # A schedule of our own making: 春节 8 days 5-12 Feb, Sat 20 Feb worked.
    off = {
        D(2027, 1, 1),
        *[D(2027, 2, d) for d in range(5, 13)],
        D(2027, 4, 5),
        *[D(2027, 5, d) for d in range(1, 6)],
        D(2027, 6, 9),
        D(2027, 9, 15),
        *[D(2027, 10, d) for d in range(1, 8)],
    }
    on = {D(2027, 2, 20)}
    cal = build_calendar(schedules={2027: YearSchedule(2027, frozenset(off), frozenset(on), "国办发明电〔2026〕1号")})
    assert cal.is_known_year(2027) and cal.years_assumed(D(2026, 12, 2), D(2027, 3, 3)) == []
    assert not cal.is_working_day(D(2027, 2, 11)) and cal.is_working_day(D(2027, 2, 20))
    assert year_status(2027, {2027: YearSchedule(2027, frozenset(off), frozenset(on))}) == "official"
    assert check_schedule(2027, sorted(off), sorted(on)) == []


def test_schedule_checks_name_the_field():
    errors = {e.field: e for e in check_schedule(2027, [D(2027, 1, 1), D(2026, 12, 31)], [D(2027, 1, 4)])}
    assert errors["holidays.1"].code == "other_year" and "2026-12-31" in errors["holidays.1"].message
    assert errors["workdays.0"].code == "weekday_workday" and "周六或周日" in errors["workdays.0"].text_zh
    weekend_only = {e.field: e for e in check_schedule(2027, [D(2027, 1, 2), D(2027, 1, 3)], [])}
    assert weekend_only["holidays"].code == "no_weekday_off"
    missing = {e.field: e for e in check_schedule(2027, [D(2027, 1, 1), D(2027, 10, 1)], [])}
    assert "春节" in missing["holidays"].message and "春节" in missing["holidays"].text_zh
    twice = check_schedule(2027, [D(2027, 1, 1), D(2027, 1, 1)], [D(2027, 1, 1)])
    assert {(e.field, e.code) for e in twice} >= {("holidays.1", "twice")}


def test_due_at_bound():
    now = datetime(2026, 12, 2, 10, 0, tzinfo=CHINA_TZ)
    ok = datetime(2026, 12, 9, 23, 59, tzinfo=CHINA_TZ)
    assert check_due_at(ok, now) == ok
    limit = now.replace(year=2026 + MAX_DUE_YEARS_AHEAD)
    assert check_due_at(limit, now) == limit
    with pytest.raises(InvalidInput) as caught:
        check_due_at(datetime(9999, 12, 31, 23, 59, tzinfo=CHINA_TZ), now)
    assert caught.value.field == "due_at" and "9999-12-31" in caught.value.message
    with pytest.raises(InvalidInput):
        check_due_at(limit + timedelta(days=1), now)


def test_received_at_bound():
    now = datetime(2026, 12, 2, 10, 0, tzinfo=CHINA_TZ)
    recent = datetime(2025, 1, 5, 9, 0, tzinfo=CHINA_TZ)
    assert check_received_at(recent, now) == recent
    with pytest.raises(InvalidInput) as caught:
        check_received_at(datetime(2024, 12, 1, 9, 0, tzinfo=CHINA_TZ), now)
    assert caught.value.field == "received_at" and "2024-12-01" in caught.value.message
