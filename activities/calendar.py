"""The working-day calendar of the activities: official schedules loaded in the database, cached per
process; the clocks' instants (an activity's, or the service's for a new case just before its workflow
starts); the recomputation of a running case's clocks when a year's schedule is loaded.

Whatever these return is recorded in the case's history (the activity's result), so a replay never
reads the database or sees a schedule loaded later."""

import logging
import threading
from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from weakref import WeakKeyDictionary

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from core.calendar import YearSchedule, build_calendar
from db.calendar import cases_counting_year, current_schedules, latest_version
from domain import lifecycle, procedure
from domain.calendar import CHINA_TZ, WorkCalendar
from domain.deadlines import due_instant, extended_due
from domain.errors import DomainError
from domain.lifecycle import ClockRequest, ClockTimes
from domain.messages import CaseOpening, ClockRules, ComputeClocksInput
from domain.model import CaseIntake, CasePolicy, CaseState
from domain.recompute import RecomputeClocksInput, RecomputedClock

log = logging.getLogger(__name__)


@lru_cache(maxsize=32)
def _calendar(
    unknown_year: str,
    holidays: tuple[str, ...],
    workdays: tuple[str, ...],
    schedules: tuple[tuple[int, YearSchedule], ...],
) -> WorkCalendar:
    return build_calendar(
        extra_holidays=[date.fromisoformat(d) for d in holidays],
        extra_workdays=[date.fromisoformat(d) for d in workdays],
        unknown_year=unknown_year,
        schedules=dict(schedules),
    )


def calendar_for(policy: CasePolicy | ClockRules, schedules: Mapping[int, YearSchedule] = {}) -> WorkCalendar:
    """The working-day calendar of a case's jurisdiction, with the loaded official schedules."""
    return _calendar(
        policy.calendar_unknown_year,
        tuple(policy.calendar_extra_holidays),
        tuple(policy.calendar_extra_workdays),
        tuple(sorted(schedules.items())),
    )


class ScheduleCache:
    """The loaded schedules of this process, read again only when a newer version was loaded."""

    def __init__(self, engine: Engine | None):
        self.engine = engine
        self._lock = threading.Lock()
        self._version = -1
        self._schedules: dict[int, YearSchedule] = {}

    def get(self) -> dict[int, YearSchedule]:
        if self.engine is None:
            return {}
        with Session(self.engine) as session:
            version = latest_version(session)
            with self._lock:
                if version != self._version:
                    self._schedules, self._version = current_schedules(session), version
                return self._schedules


_CACHES: "WeakKeyDictionary[Engine, ScheduleCache]" = WeakKeyDictionary()


def schedule_cache(engine: Engine) -> ScheduleCache:
    """The process's ScheduleCache of an engine (the API counts a new case's first clocks with it)."""
    cache = _CACHES.get(engine)
    if cache is None:
        cache = _CACHES.setdefault(engine, ScheduleCache(engine))
    return cache


def clock_times(
    policy: CasePolicy | ClockRules,
    rule_name: str,
    start: datetime,
    cal: WorkCalendar,
    levels: int,
    *,
    extend_working_days: int = 0,
    extend_from: datetime | None = None,
) -> ClockTimes:
    """Due instant, later escalation instants and whether a provisional year was counted."""
    rule = policy.deadlines[rule_name]
    step = policy.deadlines["escalation_step"]
    if extend_working_days:
        due = extended_due(rule, extend_from or start, extend_working_days, cal)
    else:
        due = due_instant(rule, start, cal)
    escalate_at = []
    at = due
    for _ in range(max(levels - 1, 0)):
        at = due_instant(step, at, cal)
        escalate_at.append(at)
    counted = rule.unit.value in ("working_days", "calendar_days", "months")
    assumed = cal.years_assumed(start.astimezone(CHINA_TZ).date(), due.astimezone(CHINA_TZ).date()) if counted else []
    return ClockTimes(due, escalate_at, provisional=bool(assumed))


def count_clocks(
    rules: CasePolicy | ClockRules,
    requests: list[ClockRequest],
    levels: int,
    schedules: Mapping[int, YearSchedule] = {},
    case_no: str = "",
) -> dict[str, ClockTimes]:
    """Due instants (and later escalation instants) for the clocks an action opens or extends, on the
    official schedules loaded so far and, for other years, the provisional calendar (marked as such).
    Raises DomainError when a rule cannot be counted."""
    cal = calendar_for(rules, schedules)
    out: dict[str, ClockTimes] = {}
    for req in requests:
        times = clock_times(rules, req.rule, req.start, cal, levels, extend_working_days=req.extend_working_days)
        if times.provisional:
            log.info("case %s: %s counted on a provisional year (no official schedule loaded yet)", case_no, req.rule)
        out[req.key] = times
    return out


def compute_clocks(input: ComputeClocksInput, schedules: Mapping[int, YearSchedule] = {}) -> dict[str, ClockTimes]:
    """The compute_clocks activity's work: count_clocks, its refusal as a non-retryable ApplicationError."""
    rules = input.rules or input.policy  # ClockRules has the policy's attribute names
    assert rules is not None
    try:
        return count_clocks(rules, input.requests, input.escalation_levels, schedules, input.case_no)
    except DomainError as err:
        raise ApplicationError(err.message, type=err.kind, non_retryable=True) from None


def open_clocks(intake: CaseIntake, schedules: Mapping[int, YearSchedule] = {}) -> CaseOpening | None:
    """The clocks a new case's registration opens (lifecycle.open_case on a case of today's procedure),
    counted as the compute_clocks activity counts them; None when a rule cannot be counted (the workflow
    then counts them itself and the activity reports why)."""
    state = CaseState(intake=intake, procedure=procedure.STATUTORY_PROCEDURE)
    requests = lifecycle.open_case(state)  # routes the throw-away state: the levels depend on `major`
    rules = ClockRules.for_requests(intake.policy, requests)
    try:
        times = count_clocks(rules, requests, len(lifecycle.escalation_levels(state)), schedules, intake.case_no)
    except DomainError:
        return None
    return CaseOpening(requests, times)


def recompute_clocks(input: RecomputeClocksInput, schedules: Mapping[int, YearSchedule] = {}) -> list[RecomputedClock]:
    """The clocks' instants counted again from their start on the calendar as it is now."""
    cal = calendar_for(input.policy, schedules)
    out = []
    try:
        for clock in input.clocks:
            times = clock_times(input.policy, clock.rule, clock.start, cal, input.escalation_levels)
            if clock.extended_working_days:  # the extension runs on from the period's own end
                times = clock_times(
                    input.policy,
                    clock.rule,
                    clock.start,
                    cal,
                    input.escalation_levels,
                    extend_working_days=clock.extended_working_days,
                    extend_from=times.due_at,
                )
            out.append(RecomputedClock(clock.seq, times))
    except DomainError as err:
        raise ApplicationError(err.message, type=err.kind, non_retryable=True) from None
    return out


class CalendarActivities:
    """Activities bound to this worker's database (the loaded schedules, the cases a year touches)."""

    def __init__(self, engine: Engine | None, schedules: ScheduleCache | None = None):
        self.engine = engine
        self.schedules = schedules or ScheduleCache(engine)

    @activity.defn(name="recompute_clocks")
    def recompute_clocks(self, input: RecomputeClocksInput) -> list[RecomputedClock]:
        return recompute_clocks(input, self.schedules.get())

    @activity.defn(name="cases_counting_year")
    def cases_counting_year(self, year: int, after: str, limit: int) -> list[str]:
        with Session(self.engine) as session:
            return cases_counting_year(session, year, after=after, limit=limit)

    def all(self) -> list:
        return [self.recompute_clocks, self.cases_counting_year]
