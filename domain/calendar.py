"""Working-day calendar (holidays and make-up working days) and day arithmetic.

A year is *official* when the State Council's schedule for it is held (the package's tables, or a
schedule an admin loaded as a whole). Any other year is *provisional*: its days off are the statutory
holidays of 全国年节及纪念日放假办法 (revised 2024) on their dates, a holiday on a weekend made up on
the next working day after its block (art. 6), and no make-up working days (调休), which only the
State Council's schedule sets. Every date computed on a provisional year says so (`years_assumed`).

The arithmetic counts weekdays by formula and looks the exceptions up in sorted lists: a period of
any length costs a handful of steps, not one per day.
"""

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum

from domain.errors import CalendarUnknown, InvalidInput

# China has had no daylight saving time since 1991; a fixed offset keeps this module pure.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

_ONE_DAY = timedelta(days=1)

# A due date set by an action (an order's or a decision's deadline) may lie at most this far ahead.
# Orders to pay set periods of days or weeks (劳动保障监察条例 art. 18; practice 3-15 days) and the
# longest period of a case, the 3-year listing of 人社部令45号 art. 11, is computed, not entered: three
# years leaves room for an instalment plan agreed in mediation, and anything later is a typing error
# (9999-12-31) that would put the case's clocks past any calendar the service can count.
MAX_DUE_YEARS_AHEAD = 3


class UnknownYearPolicy(StrEnum):
    """How to count a year whose official schedule is not held."""

    PROVISIONAL = "provisional"  # the statutory holidays with their make-up days (补假), marked provisional
    WEEKENDS = "weekends"  # Monday to Friday only (how the service counted before it knew the statute)
    REFUSE = "refuse"  # raise CalendarUnknown


@dataclass(frozen=True)
class Festival:
    """One statutory holiday block: its name and its days (全国年节及纪念日放假办法 art. 2)."""

    name: str
    days: tuple[date, ...]


def statutory_festivals(
    year: int, *, spring_festival_eve: date, qingming: date, dragon_boat: date, mid_autumn: date
) -> list[Festival]:
    """The holidays every citizen has off in `year` (art. 2, as revised 2024), in date order.

    The lunar dates and the solar term come from a lunar-calendar library (core.calendar): 除夕 (the
    last day of the lunar year before 正月初一), 清明 (the solar term), 端午 (五月初五), 中秋 (八月十五)."""

    def run(start: date, days: int) -> tuple[date, ...]:
        return tuple(start + timedelta(days=i) for i in range(days))

    festivals = [
        Festival("元旦", (date(year, 1, 1),)),
        Festival("春节", run(spring_festival_eve, 4)),  # 除夕 to 初三
        Festival("清明节", (qingming,)),
        Festival("劳动节", run(date(year, 5, 1), 2)),
        Festival("端午节", (dragon_boat,)),
        Festival("中秋节", (mid_autumn,)),
        Festival("国庆节", run(date(year, 10, 1), 3)),
    ]
    return sorted(festivals, key=lambda f: f.days[0])


def provisional_days_off(festivals: list[Festival]) -> frozenset[date]:
    """The days off of a provisional year: every festival day, and for each one that falls on a
    Saturday or Sunday a make-up day (补假, art. 6) on the next day after its block that would have been
    a working day (a weekday that is not already off)."""
    off = {day for f in festivals for day in f.days}
    for festival in sorted(festivals, key=lambda f: f.days[0]):
        owed = sum(1 for day in festival.days if day.weekday() >= 5)
        day = festival.days[-1]
        while owed:
            day += _ONE_DAY
            if day.weekday() < 5 and day not in off:
                off.add(day)
                owed -= 1
    return frozenset(off)


def _weekdays_through(ordinal: int) -> int:
    """Monday-to-Friday days among the date ordinals 1..ordinal (ordinal 1, 0001-01-01, is a Monday)."""
    weeks, rest = divmod(ordinal, 7)
    return weeks * 5 + min(rest, 5)


@dataclass(frozen=True)
class WorkCalendar:
    """Days off (法定节假日 and 补假), make-up working days (调休) and the years held officially.

    `holidays` and `workdays` hold the official years' schedules, the provisional years' statutory
    holidays and a county's own additions; `known_years` only the years whose official schedule is
    held as a whole."""

    holidays: frozenset[date]
    workdays: frozenset[date]
    known_years: frozenset[int]
    unknown_year: UnknownYearPolicy = UnknownYearPolicy.WEEKENDS
    # sorted ordinals of the exceptions to Monday-Friday: weekdays off, weekend days worked
    _off: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _on: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        on = self.workdays
        object.__setattr__(
            self, "_off", tuple(sorted(d.toordinal() for d in self.holidays if d.weekday() < 5 and d not in on))
        )
        object.__setattr__(self, "_on", tuple(sorted(d.toordinal() for d in on if d.weekday() >= 5)))

    def is_known_year(self, year: int) -> bool:
        """True if the official schedule of this year is held."""
        return year in self.known_years

    def _check_years(self, first: int, last: int) -> None:
        if self.unknown_year is not UnknownYearPolicy.REFUSE:
            return
        for year in range(first, last + 1):
            if year not in self.known_years:
                raise CalendarUnknown(
                    f"The working-day calendar does not know the year {year}: load that year's schedule "
                    f"(节假日安排) on the calendar page, or count it provisionally (calendar.unknown_year)."
                )

    def is_working_day(self, d: date) -> bool:
        """True if d is a working day (工作日): make-up days count, holidays and weekends do not."""
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        self._check_years(d.year, d.year)
        return d.weekday() < 5

    def working_days_between(self, start: date, end: date) -> int:
        """Working days d with start < d <= end; 0 when end <= start. O(log n) in the exceptions."""
        if end <= start:
            return 0
        self._check_years(start.year, end.year)
        a, b = start.toordinal(), end.toordinal()
        count = _weekdays_through(b) - _weekdays_through(a)
        count -= bisect_right(self._off, b) - bisect_right(self._off, a)
        count += bisect_right(self._on, b) - bisect_right(self._on, a)
        return count

    def years_assumed(self, start: date, end: date) -> list[int]:
        """Years between start and end (inclusive, either order) counted provisionally (not official)."""
        first, last = sorted((start.year, end.year))
        return [year for year in range(first, last + 1) if not self.is_known_year(year)]


def _shift(day: date, days: int) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        raise InvalidInput(
            f"A period from {day.isoformat()} runs past the last date the calendar can count ({date.max.isoformat()})."
        ) from None


def add_working_days(cal: WorkCalendar, start: date, n: int) -> date:
    """The n-th working day after start (the start day itself is not counted)."""
    if n < 1:
        raise InvalidInput(f"A working-day period must be at least 1 day, got {n}.")
    day, left = start, n
    # Jump whole stretches whose working days are counted by formula, then walk the last few days.
    span = left * 7 // 5
    while left > 5 and span >= 7:
        end = _shift(day, span)
        counted = cal.working_days_between(day, end)
        if counted < left:
            day, left = end, left - counted
            span = left * 7 // 5
        else:  # a stretch with many make-up days: take a shorter one
            span //= 2
    while left:
        day = _shift(day, 1)
        if cal.is_working_day(day):
            left -= 1
    return day


def add_calendar_days(cal: WorkCalendar, start: date, n: int) -> date:
    """Last day of an n-day calendar period after start, rolled forward to a working day."""
    if n < 1:
        raise InvalidInput(f"A calendar-day period must be at least 1 day, got {n}.")
    # 民事诉讼法 art. 85: the start day is not counted; a last day that falls on a holiday
    # moves to the first working day after it.
    day = _shift(start, n)
    while not cal.is_working_day(day):
        day = _shift(day, 1)
    return day


def working_days_between(cal: WorkCalendar, start: date, end: date) -> int:
    """Number of working days d with start < d <= end; 0 when end <= start (never negative)."""
    return cal.working_days_between(start, end)


def check_due_at(due: datetime, now: datetime, *, field: str = "due_at") -> datetime:
    """A due date entered with an action, refused unless it lies within MAX_DUE_YEARS_AHEAD of now."""
    if due.tzinfo is None or due.utcoffset() is None:
        raise InvalidInput(f"{field} must carry a time zone (China time is assumed for a bare date).", field=field)
    local_now = now.astimezone(CHINA_TZ)
    try:
        limit = local_now.replace(year=local_now.year + MAX_DUE_YEARS_AHEAD)
    except ValueError:  # 29 February
        limit = local_now.replace(year=local_now.year + MAX_DUE_YEARS_AHEAD, day=28)
    if due > limit:
        raise InvalidInput(
            f"{field} {due.astimezone(CHINA_TZ):%Y-%m-%d} is more than {MAX_DUE_YEARS_AHEAD} years "
            f"ahead (latest {limit:%Y-%m-%d}); an order's period is days or weeks: check the date.",
            field=field,
        )
    return due


# 劳动保障监察条例 art. 20: violations older than two years are not pursued; a complaint entered as received
# longer ago than that is a typing error (or belongs to no case this service can still run).
MAX_RECEIVED_YEARS_BACK = 2


def check_received_at(received: datetime, now: datetime, *, field: str = "received_at") -> datetime:
    """When a complaint reached the government: refused when it lies more than MAX_RECEIVED_YEARS_BACK back."""
    if received.tzinfo is None or received.utcoffset() is None:
        raise InvalidInput(f"{field} must carry a time zone (China time is assumed without one).", field=field)
    local_now = now.astimezone(CHINA_TZ)
    try:
        earliest = local_now.replace(year=local_now.year - MAX_RECEIVED_YEARS_BACK)
    except ValueError:  # 29 February
        earliest = local_now.replace(year=local_now.year - MAX_RECEIVED_YEARS_BACK, day=28)
    if received < earliest:
        raise InvalidInput(
            f"{field} {received.astimezone(CHINA_TZ):%Y-%m-%d} is more than {MAX_RECEIVED_YEARS_BACK} "
            f"years back (earliest {earliest:%Y-%m-%d}, 劳动保障监察条例 art. 20): check the date.",
            field=field,
        )
    return received
