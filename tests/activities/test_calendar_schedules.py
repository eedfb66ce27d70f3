"""Loaded schedules in the database (versioned), the worker's cache of them, and the open cases a year
touches; SQLite and PostgreSQL."""

import dataclasses
from datetime import date, datetime

from sqlmodel import Session

from activities.calendar import ScheduleCache
from db.calendar import cases_counting_year, history, load_schedule
from db.cases import project_case
from db.engine import session_scope
from domain.calendar import CHINA_TZ
from domain.model import DeadlineStatus, Stage
from tests.domain.test_recompute import case, clock

OFF = [date(2027, 1, 1), date(2027, 2, 5)]


def store(engine, case_no: str, *deadlines, stage=Stage.INVESTIGATING) -> None:
    state = case(*deadlines)
    state.intake = dataclasses.replace(state.intake, case_no=case_no)
    state.stage, state.lead_unit, state.version = stage, "hrss", 1
    with session_scope(engine) as session:
        project_case(session=session, state=state, pending=[])


def test_cache_reads_again_only_when_a_newer_version_was_loaded(engine):
    cache = ScheduleCache(engine)
    assert cache.get() == {}
    with session_scope(engine) as session:
        load_schedule(session=session, year=2027, holidays=OFF, workdays=[], source="第一版", loaded_by="admin")
    assert cache.get()[2027].source == "第一版" and cache.get()[2027].holidays == frozenset(OFF)
    with session_scope(engine) as session:
        load_schedule(
            session=session,
            year=2027,
            holidays=OFF[:1],
            workdays=[date(2027, 2, 20)],
            source="第二版",
            loaded_by="admin2",
        )
    newest = cache.get()[2027]
    assert newest.source == "第二版" and newest.workdays == frozenset({date(2027, 2, 20)})
    with Session(engine) as session:
        assert [(r.source, r.loaded_by) for r in history(session, 2027)] == [("第二版", "admin2"), ("第一版", "admin")]


def test_cases_counting_a_year_are_the_open_ones_with_a_running_clock_in_it(engine):
    into_2027 = clock(1, "investigate", datetime(2026, 12, 2, 10, tzinfo=CHINA_TZ))
    in_2026 = clock(1, "acknowledge", datetime(2026, 11, 2, 10, tzinfo=CHINA_TZ))
    met = clock(
        1,
        "investigate",
        datetime(2026, 12, 2, 10, tzinfo=CHINA_TZ),
        status=DeadlineStatus.MET,
        resolved=datetime(2026, 12, 20, tzinfo=CHINA_TZ),
    )
    store(engine, "DX-2026-000001", into_2027)
    store(engine, "DX-2026-000002", in_2026)
    store(engine, "DX-2026-000003", met)
    store(engine, "DX-2026-000004", dataclasses.replace(into_2027), stage=Stage.CLOSED)
    store(engine, "DX-2026-000005", dataclasses.replace(into_2027))
    with Session(engine) as session:
        assert cases_counting_year(session, 2027) == ["DX-2026-000001", "DX-2026-000005"]
        assert cases_counting_year(session, 2027, after="DX-2026-000001", limit=1) == ["DX-2026-000005"]
        assert cases_counting_year(session, 2028) == []
