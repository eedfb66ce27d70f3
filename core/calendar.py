"""Builds the working-day calendar from the chinesecalendar package and jurisdiction overrides."""

from collections.abc import Iterable
from datetime import date
from functools import lru_cache

from chinese_calendar import constants

from domain.calendar import UnknownYearPolicy, WorkCalendar
from domain.errors import InvalidInput


@lru_cache(maxsize=1)
def _package_days() -> tuple[frozenset[date], frozenset[date]]:
    """Holidays and make-up working days published by the State Council, as held by the package."""
    return frozenset(constants.holidays), frozenset(constants.workdays)


def build_calendar(
    *,
    extra_holidays: Iterable[date] = (),
    extra_workdays: Iterable[date] = (),
    unknown_year: str = "weekends",
) -> WorkCalendar:
    """The State Council calendar with a jurisdiction's extra holidays and workdays (overrides win)."""
    try:
        policy = UnknownYearPolicy(unknown_year)
    except ValueError:
        choices = ", ".join(p.value for p in UnknownYearPolicy)
        raise InvalidInput(
            f"Unknown calendar policy {unknown_year!r}; use one of: {choices}.", field="unknown_year"
        ) from None
    extra_off = frozenset(extra_holidays)
    extra_on = frozenset(extra_workdays)
    both = extra_off & extra_on
    if both:
        listed = ", ".join(d.isoformat() for d in sorted(both))
        raise InvalidInput(f"Dates listed both as holidays and as workdays: {listed}.")
    package_off, package_on = _package_days()
    holidays = (package_off | extra_off) - extra_on
    workdays = (package_on | extra_on) - extra_off
    known_years = frozenset(d.year for d in package_off | package_on | extra_off | extra_on)
    return WorkCalendar(
        holidays=holidays, workdays=workdays, known_years=known_years, unknown_year=policy
    )
