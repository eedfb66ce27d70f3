"""Builds the working-day calendar: official schedules, provisional years and a county's additions.

- Official years: the State Council schedules held by the `chinesecalendar` package (2004-2026 in
  1.11), replaced year by year by the schedules an admin loaded (db.calendar), each as a whole.
- Provisional years (any other year, up to PROVISIONAL_YEARS_AHEAD after the last official one): the
  statutory holidays of 全国年节及纪念日放假办法, with lunar dates and the 清明 solar term from
  `lunar-python` (docs/calendar.md says why that library).
- The jurisdiction file's `calendar:` adds a county's own days off or working days on top; they never
  make a year official.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from chinese_calendar import constants
from lunar_python import Lunar, Solar

from domain.calendar import (
    Festival,
    UnknownYearPolicy,
    WorkCalendar,
    provisional_days_off,
    statutory_festivals,
)
from domain.errors import InvalidInput

# The years a schedule can be given or shown for (the API's range).
FIRST_PROVISIONAL_YEAR = 2000
LAST_PROVISIONAL_YEAR = 2099
# A calendar counts the statutory holidays of the years without a schedule up to this many years after
# the last official one (each year costs a few milliseconds of lunar arithmetic, once per process). Due
# dates are bounded at the edge to a few years ahead; a later year, which no case reaches, counts Monday to
# Friday and is still marked provisional.
PROVISIONAL_YEARS_AHEAD = 10


@dataclass(frozen=True)
class YearSchedule:
    """One year's official schedule: days off and make-up working days (调休)."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str = ""


@lru_cache(maxsize=1)
def _package_years() -> dict[int, tuple[frozenset[date], frozenset[date]]]:
    """The State Council schedules held by the package, by year."""
    years: dict[int, tuple[set[date], set[date]]] = {}
    for day in constants.holidays:
        years.setdefault(day.year, (set(), set()))[0].add(day)
    for day in constants.workdays:
        years.setdefault(day.year, (set(), set()))[1].add(day)
    return {year: (frozenset(off), frozenset(on)) for year, (off, on) in years.items()}


def package_schedule(year: int) -> YearSchedule | None:
    """The schedule the package holds for a year, if any."""
    days = _package_years().get(year)
    if days is None:
        return None
    return YearSchedule(year, days[0], days[1], source="chinesecalendar")


def festivals(year: int) -> list[Festival]:
    """The statutory holiday blocks of a year, with its lunar dates and solar term."""
    eve = Lunar.fromYmd(year, 1, 1).getSolar().next(-1)  # 除夕: the day before 正月初一
    qingming = Solar.fromYmd(year, 4, 1).getLunar().getJieQiTable()["清明"]

    def ymd(solar) -> date:
        return date(solar.getYear(), solar.getMonth(), solar.getDay())

    return statutory_festivals(
        year,
        spring_festival_eve=ymd(eve),
        qingming=ymd(qingming),
        dragon_boat=ymd(Lunar.fromYmd(year, 5, 5).getSolar()),
        mid_autumn=ymd(Lunar.fromYmd(year, 8, 15).getSolar()),
    )


@lru_cache(maxsize=256)
def provisional_holidays(year: int) -> frozenset[date]:
    """The days off of a year counted on the statute alone (no 调休)."""
    return provisional_days_off(festivals(year))


def _policy(unknown_year: str) -> UnknownYearPolicy:
    try:
        policy = UnknownYearPolicy(unknown_year)
    except ValueError:
        choices = ", ".join(p.value for p in UnknownYearPolicy)
        raise InvalidInput(
            f"Unknown calendar policy {unknown_year!r}; use one of: {choices}.", field="unknown_year"
        ) from None
    # Cases opened before provisional years existed carry `weekends` in their policy: counting Monday to
    # Friday ignores the statutory holidays, so such a year is counted on the statute from now on.
    return UnknownYearPolicy.PROVISIONAL if policy is UnknownYearPolicy.WEEKENDS else policy


def official_years(schedules: Mapping[int, YearSchedule] = {}) -> dict[int, YearSchedule]:
    """Every official schedule: the package's years, replaced by (or added to by) loaded ones."""
    years = {year: package_schedule(year) for year in _package_years()}
    years.update(schedules)
    return years


def year_status(year: int, schedules: Mapping[int, YearSchedule] = {}) -> str:
    """`official` when the year's whole schedule is held, otherwise `provisional`."""
    return "official" if year in official_years(schedules) else "provisional"


def build_calendar(
    *,
    extra_holidays: Iterable[date] = (),
    extra_workdays: Iterable[date] = (),
    unknown_year: str = "provisional",
    schedules: Mapping[int, YearSchedule] = {},
) -> WorkCalendar:
    """The calendar of official and provisional years with a jurisdiction's extra days (extras win)."""
    policy = _policy(unknown_year)
    extra_off = frozenset(extra_holidays)
    extra_on = frozenset(extra_workdays)
    both = extra_off & extra_on
    if both:
        listed = ", ".join(d.isoformat() for d in sorted(both))
        raise InvalidInput(f"Dates listed both as holidays and as workdays: {listed}.")
    return _build(policy, extra_off, extra_on, tuple(sorted(schedules.items(), key=lambda kv: kv[0])))


@lru_cache(maxsize=32)
def _build(
    policy: UnknownYearPolicy,
    extra_off: frozenset[date],
    extra_on: frozenset[date],
    schedules: tuple[tuple[int, YearSchedule], ...],
) -> WorkCalendar:
    official = official_years(dict(schedules))
    off: set[date] = set()
    on: set[date] = set()
    for schedule in official.values():
        off |= schedule.holidays
        on |= schedule.workdays
    if policy is UnknownYearPolicy.PROVISIONAL:
        last = max(official, default=FIRST_PROVISIONAL_YEAR)
        for year in range(FIRST_PROVISIONAL_YEAR, min(last + PROVISIONAL_YEARS_AHEAD, LAST_PROVISIONAL_YEAR) + 1):
            if year not in official:
                off |= provisional_holidays(year)
    holidays = frozenset((off | extra_off) - extra_on)
    workdays = frozenset((on | extra_on) - extra_off)
    return WorkCalendar(holidays=holidays, workdays=workdays, known_years=frozenset(official), unknown_year=policy)


# What can be wrong with an entered schedule: one code each, its text in English (API) and Chinese (page).
SCHEDULE_ERRORS = {
    "other_year": ("{day} is not in {year}", "{day} 不在{year}年内"),
    "twice": ("{day} is listed twice", "{day} 重复填写"),
    "weekday_workday": (
        "{day} is a weekday; make-up working days (调休) are Saturdays or Sundays",
        "{day} 是工作日（周一至周五）；调休上班日应为周六或周日",
    ),
    "both": ("{day} is also listed as a holiday", "{day} 同时填为放假日和上班日"),
    "no_weekday_off": (
        "no weekday off in {year}: a State Council schedule gives the statutory holidays "
        "(元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆) as days off",
        "{year}年没有一个工作日放假：国务院办公厅的安排应包括元旦、春节、清明、劳动节、端午、中秋、国庆等法定节假日",
    ),
    "festival_missing": (
        "none of the days of {names} is off; enter the whole schedule, every statutory holiday included",
        "{names}没有任何一天放假：请完整填写全年安排，包括每个法定节假日",
    ),
}


@dataclass(frozen=True)
class ScheduleError:
    field: str  # holidays, holidays.3, workdays.0
    code: str  # a key of SCHEDULE_ERRORS
    params: tuple[tuple[str, str], ...] = ()

    @property
    def message(self) -> str:
        return SCHEDULE_ERRORS[self.code][0].format(**dict(self.params))

    @property
    def text_zh(self) -> str:
        return SCHEDULE_ERRORS[self.code][1].format(**dict(self.params))


def check_schedule(year: int, holidays: Iterable[date], workdays: Iterable[date]) -> list[ScheduleError]:
    """What is wrong with a year's schedule as entered (empty when it is fine)."""
    errors: list[ScheduleError] = []
    off, on = list(holidays), list(workdays)

    def add(field: str, code: str, **params) -> None:
        errors.append(ScheduleError(field, code, tuple((k, str(v)) for k, v in params.items())))

    for name, days in (("holidays", off), ("workdays", on)):
        seen: set[date] = set()
        for i, day in enumerate(days):
            if day.year != year:
                add(f"{name}.{i}", "other_year", day=day.isoformat(), year=year)
            elif day in seen:
                add(f"{name}.{i}", "twice", day=day.isoformat())
            seen.add(day)
    listed = set(off)
    for i, day in enumerate(on):
        if day.weekday() < 5:
            add(f"workdays.{i}", "weekday_workday", day=day.isoformat())
        elif day in listed:
            add(f"workdays.{i}", "both", day=day.isoformat())
    if not any(day.weekday() < 5 for day in off if day.year == year):
        add("holidays", "no_weekday_off", year=year)
    elif not errors and FIRST_PROVISIONAL_YEAR <= year <= LAST_PROVISIONAL_YEAR:
        missing = [f.name for f in festivals(year) if not any(d in listed for d in f.days)]
        if missing:
            add("holidays", "festival_missing", names="、".join(missing))
    return errors


def schedule_days(schedule: YearSchedule) -> tuple[list[date], list[date]]:
    """A schedule's days off and make-up working days, sorted."""
    return sorted(schedule.holidays), sorted(schedule.workdays)


# The State Council publishes next year's schedule late in the year (usually in November); from this day
# on the admin and the dashboard are told while next year is still counted provisionally.
WARN_FROM = (10, 1)


def next_year_warning(today: date, schedules: Mapping[int, YearSchedule] = {}) -> str | None:
    """From 1 October: the warning that next year's official schedule is not loaded yet (None otherwise)."""
    if (today.month, today.day) < WARN_FROM:
        return None
    year = today.year + 1
    if year_status(year, schedules) == "official":
        return None
    return (
        f"{year}年节假日安排尚未载入：跨入{year}年的期限目前按《全国年节及纪念日放假办法》规定的法定节假日暂定计算"
        f"（不含调休），页面显示「暂定」。国务院办公厅公布{year}年安排后，请管理员在「节假日安排」页面载入，"
        f"在办案件的期限将自动重新计算。"
    )
