"""Working-day calendar of the State Council (holidays and make-up working days) and day arithmetic."""

from dataclasses import dataclass
from datetime import date, timedelta, timezone
from enum import StrEnum

from domain.errors import CalendarUnknown, InvalidInput

# China has had no daylight saving time since 1991; a fixed offset keeps this module pure.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

_ONE_DAY = timedelta(days=1)


class UnknownYearPolicy(StrEnum):
    """What to do for a year whose holidays the calendar does not know."""

    WEEKENDS = "weekends"  # assume Monday to Friday are working days
    REFUSE = "refuse"  # raise CalendarUnknown


@dataclass(frozen=True)
class WorkCalendar:
    """Statutory holidays (法定节假日), make-up working days (调休) and the years they cover."""

    holidays: frozenset[date]
    workdays: frozenset[date]
    known_years: frozenset[int]
    unknown_year: UnknownYearPolicy = UnknownYearPolicy.WEEKENDS

    def is_known_year(self, year: int) -> bool:
        """True if the calendar holds the holidays and make-up days of this year."""
        return year in self.known_years

    def is_working_day(self, d: date) -> bool:
        """True if d is a working day (工作日): make-up days count, holidays and weekends do not."""
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        if not self.is_known_year(d.year) and self.unknown_year is UnknownYearPolicy.REFUSE:
            raise CalendarUnknown(code="calendar_year_unknown", year=d.year)
        return d.weekday() < 5

    def years_assumed(self, start: date, end: date) -> list[int]:
        """Years between start and end (inclusive, either order) that the calendar does not know."""
        first, last = sorted((start.year, end.year))
        return [year for year in range(first, last + 1) if not self.is_known_year(year)]


def add_working_days(cal: WorkCalendar, start: date, n: int) -> date:
    """The n-th working day after start (the start day itself is not counted)."""
    if n < 1:
        raise InvalidInput(f"A working-day period must be at least 1 day, got {n}.")
    day = start
    counted = 0
    while counted < n:
        day += _ONE_DAY
        if cal.is_working_day(day):
            counted += 1
    return day


def add_calendar_days(cal: WorkCalendar, start: date, n: int) -> date:
    """Last day of an n-day calendar period after start, rolled forward to a working day."""
    if n < 1:
        raise InvalidInput(f"A calendar-day period must be at least 1 day, got {n}.")
    # 民事诉讼法 art. 85: the start day is not counted; a last day that falls on a holiday
    # moves to the first working day after it.
    day = start + timedelta(days=n)
    while not cal.is_working_day(day):
        day += _ONE_DAY
    return day


def working_days_between(cal: WorkCalendar, start: date, end: date) -> int:
    """Number of working days d with start < d <= end; 0 when end <= start (never negative)."""
    count = 0
    day = start + _ONE_DAY
    while day <= end:
        if cal.is_working_day(day):
            count += 1
        day += _ONE_DAY
    return count
