"""Working-day calendar: State Council holidays, make-up days (调休), overrides and unknown years.

Expected dates below were worked out by hand from the published 2026 holiday schedule."""

from datetime import date

import pytest

from core.calendar import build_calendar
from domain.calendar import (
    UnknownYearPolicy,
    add_calendar_days,
    add_working_days,
    working_days_between,
)
from domain.errors import CalendarUnknown, InvalidInput

CAL = build_calendar()


def test_spring_festival_2026_data():
    assert all(not CAL.is_working_day(date(2026, 2, day)) for day in range(15, 24))
    assert CAL.is_working_day(date(2026, 2, 14))  # Saturday, make-up day
    assert CAL.is_working_day(date(2026, 2, 28))  # Saturday, make-up day
    assert not CAL.is_working_day(date(2026, 2, 7))  # ordinary Saturday
    assert CAL.is_working_day(date(2026, 2, 24))


def test_working_days_across_spring_festival():
    # Sat 14 (make-up) is WD1; 15-23 off; 24, 25, 26, 27 are WD2-WD5.
    assert add_working_days(CAL, date(2026, 2, 13), 5) == date(2026, 2, 27)
    assert add_working_days(CAL, date(2026, 2, 13), 1) == date(2026, 2, 14)
    # From Sat 14: 24, 25, 26, 27, Sat 28 (make-up).
    assert add_working_days(CAL, date(2026, 2, 14), 5) == date(2026, 2, 28)
    assert add_working_days(CAL, date(2026, 2, 14), 6) == date(2026, 3, 2)


def test_working_days_around_national_day_2026():
    assert CAL.is_working_day(date(2026, 9, 20))  # Sunday, make-up day
    assert CAL.is_working_day(date(2026, 10, 10))  # Saturday, make-up day
    assert not CAL.is_working_day(date(2026, 10, 1))
    # Sun 20 (make-up), Mon 21, Tue 22.
    assert add_working_days(CAL, date(2026, 9, 18), 3) == date(2026, 9, 22)
    # Oct 1-7 off; Thu 8, Fri 9, Sat 10 (make-up), Mon 12, Tue 13.
    assert add_working_days(CAL, date(2026, 9, 30), 5) == date(2026, 10, 13)
    # Mid-Autumn Fri 25 is off: Wed 23, Thu 24, Mon 28, Tue 29, Wed 30.
    assert add_working_days(CAL, date(2026, 9, 22), 5) == date(2026, 9, 30)


def test_working_days_must_be_positive():
    with pytest.raises(InvalidInput):
        add_working_days(CAL, date(2026, 3, 2), 0)
    with pytest.raises(InvalidInput):
        add_calendar_days(CAL, date(2026, 3, 2), -1)


def test_calendar_days_roll_from_saturday_to_monday():
    # 民事诉讼法 art. 85: Mon 2 + 5 days = Sat 7, rolled to Mon 9.
    assert add_calendar_days(CAL, date(2026, 3, 2), 5) == date(2026, 3, 9)
    assert add_calendar_days(CAL, date(2026, 3, 2), 4) == date(2026, 3, 6)


def test_calendar_days_roll_out_of_spring_festival():
    # Tue 10 + 7 days = Tue 17, inside the holiday; first working day after it is Tue 24.
    assert add_calendar_days(CAL, date(2026, 2, 10), 7) == date(2026, 2, 24)
    # Sat 7 + 7 days = Sat 14, a make-up working day: no roll.
    assert add_calendar_days(CAL, date(2026, 2, 7), 7) == date(2026, 2, 14)


def test_working_days_between():
    assert working_days_between(CAL, date(2026, 2, 13), date(2026, 2, 27)) == 5
    assert working_days_between(CAL, date(2026, 2, 13), date(2026, 2, 13)) == 0
    assert working_days_between(CAL, date(2026, 2, 27), date(2026, 2, 13)) == 0
    assert working_days_between(CAL, date(2026, 3, 6), date(2026, 3, 8)) == 0


def test_unknown_year_is_provisional():
    assert not CAL.is_known_year(2031)
    assert CAL.is_known_year(2026)
    assert not CAL.is_working_day(date(2031, 1, 1))  # Wednesday: 元旦 on the statute
    assert not CAL.is_working_day(date(2031, 1, 4))  # Saturday
    # Fri 3 Jan 2031: Mon 6, Tue 7.
    assert add_working_days(CAL, date(2031, 1, 3), 2) == date(2031, 1, 7)
    assert CAL.years_assumed(date(2030, 12, 1), date(2031, 2, 1)) == [2030, 2031]
    assert CAL.years_assumed(date(2026, 12, 20), date(2031, 1, 10)) == [2027, 2028, 2029, 2030, 2031]
    assert CAL.years_assumed(date(2026, 1, 1), date(2026, 12, 31)) == []


def test_weekends_policy_of_older_cases_counts_the_statute():
    # Cases opened before provisional years carry `weekends`: they now count the statutory holidays too.
    assert build_calendar(unknown_year="weekends") == build_calendar(unknown_year="provisional")


def test_unknown_year_refused():
    cal = build_calendar(unknown_year="refuse")
    assert cal.unknown_year is UnknownYearPolicy.REFUSE
    assert cal.is_working_day(date(2026, 3, 2))
    with pytest.raises(CalendarUnknown) as caught:
        cal.is_working_day(date(2031, 1, 6))
    assert "2031" in caught.value.message and "calendar.unknown_year" in caught.value.message
    # A period that runs from a known year into an unknown one is refused too.
    with pytest.raises(CalendarUnknown):
        add_working_days(cal, date(2026, 12, 28), 10)


def test_bad_policy_rejected():
    with pytest.raises(InvalidInput):
        build_calendar(unknown_year="guess")


def test_overrides():
    cal = build_calendar(
        extra_holidays=[date(2026, 3, 4), date(2026, 2, 14)],
        extra_workdays=[date(2026, 3, 7), date(2026, 2, 16)],
    )
    assert not cal.is_working_day(date(2026, 3, 4))  # Wednesday made a local holiday
    assert cal.is_working_day(date(2026, 3, 7))  # Saturday made a working day
    assert not cal.is_working_day(date(2026, 2, 14))  # make-up day overridden to a holiday
    assert cal.is_working_day(date(2026, 2, 16))  # Spring Festival day overridden to a workday
    # From Tue 3, skipping Wed 4: Thu 5, Fri 6, Sat 7.
    assert add_working_days(cal, date(2026, 3, 3), 3) == date(2026, 3, 7)
    # The package calendar is untouched (cached data not mutated).
    assert CAL.is_working_day(date(2026, 3, 4))
    assert not CAL.is_working_day(date(2026, 3, 7))


def test_override_dates_never_make_their_year_official():
    cal = build_calendar(extra_holidays=[date(2027, 3, 8)])
    assert not cal.is_known_year(2027)
    assert cal.years_assumed(date(2027, 3, 1), date(2027, 3, 9)) == [2027]
    assert not cal.is_working_day(date(2027, 3, 8))  # the county's own day off
    assert not cal.is_working_day(date(2027, 2, 8))  # 春节 (provisional) still off
    refusing = build_calendar(extra_holidays=[date(2031, 1, 2)], unknown_year="refuse")
    with pytest.raises(CalendarUnknown):
        add_working_days(refusing, date(2031, 1, 5), 3)


def test_conflicting_overrides_rejected():
    with pytest.raises(InvalidInput):
        build_calendar(extra_holidays=[date(2026, 3, 4)], extra_workdays=[date(2026, 3, 4)])
