"""When a deadline falls due: rules applied to a start instant and a working-day calendar."""

import calendar
import re
from datetime import date, datetime, time, timedelta, timezone

from domain.calendar import CHINA_TZ, WorkCalendar, add_calendar_days, add_working_days
from domain.errors import InvalidInput
from domain.rules import DeadlineRule, PeriodUnit

_END_OF_DAY = time(23, 59, 59)

_NUMBER = r"(\d+(?:\.\d+)?)"
_ISO_DURATION = re.compile(rf"P(?:{_NUMBER}D)?(?:T(?=\d)(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?")


def _require_aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{what} must be timezone-aware, got the naive datetime {value.isoformat()}.")


def _end_of_china_day(day: date) -> datetime:
    return datetime.combine(day, _END_OF_DAY, tzinfo=CHINA_TZ).astimezone(timezone.utc)


def add_months(cal: WorkCalendar, start: date, n: int) -> date:
    """Last day of an n-month period after start: the same day of the month n months on (the month's last
    day where it is shorter), rolled forward to a working day (民事诉讼法 art. 85)."""
    if n < 1:
        raise InvalidInput(f"A period in months must be at least 1 month, got {n}.")
    month_index = start.month - 1 + n
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
    while not cal.is_working_day(day):
        day += timedelta(days=1)
    return day


def due_instant(rule: DeadlineRule, start: datetime, cal: WorkCalendar) -> datetime:
    """The instant (UTC) at which the rule's period, started at start, runs out."""
    _require_aware(start, "The start of a deadline")
    if rule.unit in (PeriodUnit.WORKING_DAYS, PeriodUnit.CALENDAR_DAYS):
        # Days are counted on the Chinese calendar date; the period ends at the end of its last day.
        start_day = start.astimezone(CHINA_TZ).date()
        if rule.unit is PeriodUnit.WORKING_DAYS:
            last_day = add_working_days(cal, start_day, rule.amount)
        else:
            last_day = add_calendar_days(cal, start_day, rule.amount)
        return _end_of_china_day(last_day)
    if rule.unit is PeriodUnit.MONTHS:
        return _end_of_china_day(add_months(cal, start.astimezone(CHINA_TZ).date(), rule.amount))
    if rule.unit is PeriodUnit.HOURS:
        if rule.amount < 1:
            raise InvalidInput(f"Deadline {rule.name!r} needs at least 1 hour, got {rule.amount}.")
        return (start + timedelta(hours=rule.amount)).astimezone(timezone.utc)
    if rule.duration_seconds <= 0:
        raise InvalidInput(f"Deadline {rule.name!r} needs a positive duration, got {rule.duration_seconds}s.")
    return (start + rule.duration).astimezone(timezone.utc)


def extended_due(rule: DeadlineRule, current_due: datetime, extra_working_days: int, cal: WorkCalendar) -> datetime:
    """The new due instant (UTC) after extending current_due by extra_working_days."""
    _require_aware(current_due, "The current due instant")
    if extra_working_days < 1:
        raise InvalidInput(f"An extension must be at least 1 working day, got {extra_working_days}.")
    if rule.unit in (PeriodUnit.WORKING_DAYS, PeriodUnit.CALENDAR_DAYS, PeriodUnit.MONTHS):
        # Extensions are granted in working days (e.g. 劳动保障监察条例 art. 17: +30 WD).
        due_day = current_due.astimezone(CHINA_TZ).date()
        return _end_of_china_day(add_working_days(cal, due_day, extra_working_days))
    if rule.unit is PeriodUnit.HOURS:
        return (current_due + timedelta(days=extra_working_days)).astimezone(timezone.utc)
    # Duration rules (drills and tests): each extra "day" is one more period of the rule.
    return (current_due + extra_working_days * rule.duration).astimezone(timezone.utc)


def parse_iso_duration(text: str) -> float:
    """Seconds in an ISO 8601 duration of the form PnDTnHnMnS, e.g. 'PT30S', 'P2DT3H', 'PT0.5S'."""
    cleaned = text.strip().upper() if isinstance(text, str) else ""
    match = _ISO_DURATION.fullmatch(cleaned)
    if not cleaned or match is None or not any(match.groups()):
        raise InvalidInput(
            f"Not an ISO 8601 duration: {text!r}; use the form PnDTnHnMnS, e.g. PT30S, PT1H30M or P2DT3H."
        )
    days, hours, minutes, seconds = (float(group) if group else 0.0 for group in match.groups())
    return days * 86400 + hours * 3600 + minutes * 60 + seconds
