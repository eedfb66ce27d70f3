"""Due instants of deadline rules; expected values worked out by hand."""

from datetime import datetime, timedelta, timezone

import pytest

from core.calendar import build_calendar
from domain.calendar import CHINA_TZ
from domain.deadlines import due_instant, extended_due, parse_iso_duration
from domain.errors import InvalidInput
from domain.rules import DeadlineRule, PeriodUnit

CAL = build_calendar()
UTC = timezone.utc

ACKNOWLEDGE = DeadlineRule("acknowledge", PeriodUnit.WORKING_DAYS, amount=5)
INVESTIGATE = DeadlineRule("investigate", PeriodUnit.WORKING_DAYS, amount=60, extension_working_days=30)
PAYMENT_ORDER = DeadlineRule("payment_order", PeriodUnit.CALENDAR_DAYS, amount=15)
TRANSFER = DeadlineRule("transfer", PeriodUnit.HOURS, amount=24)
DRILL = DeadlineRule("drill", PeriodUnit.DURATION, duration_seconds=30)


def china(*args) -> datetime:
    return datetime(*args, tzinfo=CHINA_TZ)


def test_working_days_end_of_day_in_china_returned_in_utc():
    due = due_instant(ACKNOWLEDGE, china(2026, 2, 13, 10, 0), CAL)
    assert due == datetime(2026, 2, 27, 15, 59, 59, tzinfo=UTC)
    assert due.tzinfo is UTC


def test_calendar_days_roll_to_working_day():
    # Sat 2026-02-07 + 15 days = Sun 22 (holiday) → Tue 24.
    due = due_instant(PAYMENT_ORDER, china(2026, 2, 7, 9, 0), CAL)
    assert due.astimezone(CHINA_TZ) == china(2026, 2, 24, 23, 59, 59)


def test_start_date_is_taken_in_china():
    one_day = DeadlineRule("one", PeriodUnit.WORKING_DAYS, amount=1)
    # 23:30 in Beijing (15:30 UTC) is still Monday 2 March: due Tue 3.
    due = due_instant(one_day, china(2026, 3, 2, 23, 30), CAL)
    assert due == datetime(2026, 3, 3, 15, 59, 59, tzinfo=UTC)
    # 16:30 UTC on Mon 2 March is already Tue 3 in Beijing: due Wed 4.
    due = due_instant(one_day, datetime(2026, 3, 2, 16, 30, tzinfo=UTC), CAL)
    assert due == datetime(2026, 3, 4, 15, 59, 59, tzinfo=UTC)
    # 16:30 UTC on Sun 1 March is Mon 2 in Beijing: due Tue 3.
    due = due_instant(one_day, datetime(2026, 3, 1, 16, 30, tzinfo=UTC), CAL)
    assert due == datetime(2026, 3, 3, 15, 59, 59, tzinfo=UTC)


def test_hours_and_duration_are_exact():
    start = china(2026, 2, 14, 10, 0)  # hours ignore the holiday that follows
    assert due_instant(TRANSFER, start, CAL) == datetime(2026, 2, 15, 2, 0, tzinfo=UTC)
    assert due_instant(DRILL, start, CAL) == datetime(2026, 2, 14, 2, 0, 30, tzinfo=UTC)
    short = DeadlineRule("short", PeriodUnit.DURATION, duration_seconds=parse_iso_duration("PT0.5S"))
    assert due_instant(short, start, CAL) - start == timedelta(milliseconds=500)


def test_naive_start_rejected():
    with pytest.raises(InvalidInput):
        due_instant(ACKNOWLEDGE, datetime(2026, 3, 2, 9, 0), CAL)
    with pytest.raises(InvalidInput):
        extended_due(INVESTIGATE, datetime(2026, 3, 2, 9, 0), 5, CAL)


def test_non_positive_amounts_rejected():
    with pytest.raises(InvalidInput):
        due_instant(DeadlineRule("zero", PeriodUnit.WORKING_DAYS, amount=0), china(2026, 3, 2), CAL)
    with pytest.raises(InvalidInput):
        due_instant(DeadlineRule("zero", PeriodUnit.DURATION), china(2026, 3, 2), CAL)
    with pytest.raises(InvalidInput):
        extended_due(INVESTIGATE, china(2026, 3, 2), 0, CAL)


def test_extended_due():
    current = china(2026, 2, 13, 23, 59, 59)
    # Sat 14 (make-up), 24, 25, 26, 27.
    assert extended_due(INVESTIGATE, current, 5, CAL) == datetime(2026, 2, 27, 15, 59, 59, tzinfo=UTC)
    # A calendar-day rule is extended in working days too.
    assert extended_due(PAYMENT_ORDER, current, 1, CAL) == datetime(2026, 2, 14, 15, 59, 59, tzinfo=UTC)
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    assert extended_due(TRANSFER, start, 2, CAL) == datetime(2026, 3, 4, 1, 0, tzinfo=UTC)
    assert extended_due(DRILL, start, 2, CAL) == datetime(2026, 3, 2, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT30S", 30),
        ("P1D", 86400),
        ("PT1H30M", 5400),
        ("P2DT3H", 2 * 86400 + 3 * 3600),
        ("PT0.5S", 0.5),
        ("P1DT1H1M1S", 86400 + 3600 + 60 + 1),
        (" pt2m ", 120),
    ],
)
def test_parse_iso_duration(text, seconds):
    assert parse_iso_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "P", "PT", "30S", "P1DT", "PT1M1H", "P1Y", "P1W", "PT-5S", "P1.D", "1 hour"])
def test_parse_iso_duration_rejects_bad_input(text):
    with pytest.raises(InvalidInput) as caught:
        parse_iso_duration(text)
    assert "ISO 8601" in caught.value.message


SUIT = DeadlineRule("decision_suit", PeriodUnit.MONTHS, amount=6)


def test_months_end_on_the_same_day_of_the_month_at_the_end_of_the_china_day():
    # served Thu 2026-03-12 → six months on is Sat 2026-09-12, rolled to Mon 09-14 (民事诉讼法 art. 85)
    assert due_instant(SUIT, china(2026, 3, 12, 10, 0), CAL).astimezone(CHINA_TZ) == china(2026, 9, 14, 23, 59, 59)
    # Tue 2026-06-09 + 6 months = Wed 2026-12-09, a working day
    assert due_instant(SUIT, china(2026, 6, 9, 10, 0), CAL).astimezone(CHINA_TZ) == china(2026, 12, 9, 23, 59, 59)


def test_months_clamp_to_the_last_day_of_a_shorter_month_and_cross_the_year():
    three = DeadlineRule("court_apply", PeriodUnit.MONTHS, amount=3)
    # 2025-11-30 + 3 months → 2026-02-28 (Sat, in the 2026 Spring Festival's make-up week: a working day)
    due = due_instant(three, china(2025, 11, 30, 9, 0), CAL).astimezone(CHINA_TZ).date()
    assert due.isoformat() == "2026-02-28"
    one = DeadlineRule("one", PeriodUnit.MONTHS, amount=1)
    # 2026-01-31 + 1 month → 02-28 (a make-up working day, Saturday)
    assert due_instant(one, china(2026, 1, 31, 9, 0), CAL).astimezone(CHINA_TZ).date().isoformat() == "2026-02-28"


def test_months_rule_reads_from_a_jurisdiction_file_and_describes_itself():
    assert SUIT.describe() == "6个月"
    with pytest.raises(InvalidInput):
        due_instant(DeadlineRule("zero", PeriodUnit.MONTHS, amount=0), china(2026, 1, 5), CAL)
