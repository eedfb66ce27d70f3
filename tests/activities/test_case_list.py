"""The case list: every filter combination lists, and counts, exactly the cases a plain filter over them gives,
whether the total is counted through the cases or from an index table alone (db.case_list.list_cases)."""

import itertools
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from sqlmodel import Session, select

from db.case_list import case_stats, list_cases
from db.cases import CaseUnit, project_case
from db.engine import session_scope
from domain.lifecycle import pending_actions
from domain.model import CaseState, Deadline, DeadlineStatus, Organisation, Stage
from tests.statements import captured_statements
from tests.workflows.conftest import make_intake

LEADS = ["housing", "hrss", "water"]
STAGES = [Stage.REFERRED, Stage.INVESTIGATING, Stage.CLOSED]
EMPLOYERS = ["代县恒泰劳务有限公司", "山西鑫源建设集团"]
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


def states() -> list[CaseState]:
    """Cases over every lead unit, stage, overdue flag, co-handler and employer; every third registered by clerk2."""
    out = []
    combos = itertools.product(LEADS, STAGES, [False, True], [None, "police"], EMPLOYERS)
    for n, (lead, stage, overdue, co, employer) in enumerate(combos, start=1):
        intake = make_intake()
        intake = replace(
            intake,
            case_no=f"DX-2026-{n:06d}",
            employer=Organisation(employer, None),
            registered_by=replace(intake.registered_by, username="clerk2" if n % 3 == 0 else "clerk1"),
        )
        deadline = Deadline(
            seq=1,
            kind="acknowledge",
            unit=lead,
            start_at=T0,
            due_at=T0 + timedelta(days=n),
            basis="",
            status=DeadlineStatus.MISSED if overdue else DeadlineStatus.OPEN,
        )
        out.append(
            CaseState(intake=intake, lead_unit=lead, stage=stage, co_units=[co] if co else [], deadlines=[deadline])
        )
    return out


def expected(
    cases: list[CaseState], *, visible_units, registered_by=None, stage=None, unit=None, overdue=None, q=None
) -> set[str]:
    found = set()
    for s in cases:
        units = {s.lead_unit, *s.co_units}
        if (
            visible_units is not None
            and not (units & set(visible_units))
            and s.intake.registered_by.username != registered_by
        ):
            continue
        if (
            (stage and s.stage != stage)
            or (unit and unit not in units)
            or (overdue is not None and s.overdue() != overdue)
        ):
            continue
        if q and q not in s.intake.employer.name and q not in s.case_no:
            continue
        found.add(s.case_no)
    return found


def test_every_filter_lists_and_counts_exactly_the_matching_cases(engine):
    cases = states()
    with session_scope(engine) as session:
        for s in cases:
            project_case(session=session, state=s, pending=pending_actions(s))
    scopes = [
        dict(visible_units=None),
        dict(visible_units=["housing"]),
        dict(visible_units=["police"]),
        dict(visible_units=["housing", "police"]),
        dict(visible_units=["water"], registered_by="clerk2"),
    ]
    filters = itertools.product(
        [None, "referred", "closed"], [None, "police"], [None, False, True], [None, "恒泰", "鑫源建设"]
    )
    checked = 0
    with Session(engine) as session:
        for scope, (stage, unit, overdue, q) in itertools.product(scopes, filters):
            asked = dict(**scope, stage=stage, unit=unit, overdue=overdue, q=q)
            rows, total, capped = list_cases(session=session, **asked, limit=200)
            want = expected(cases, **asked)
            assert {r.case_no for r in rows} == want, asked
            assert total == len(want) and not capped, asked  # no cap: every match counted
            checked += bool(want)
        # a page is the nearest deadlines first, and its total is still all matching cases
        rows, total, _ = list_cases(
            session=session, visible_units=["housing"], stage="referred", overdue=False, limit=3
        )
        want = expected(cases, visible_units=["housing"], stage="referred", overdue=False)
        assert total == len(want) > 3 and [r.case_no for r in rows] == sorted(want)[:3]
    assert checked > 100  # most combinations match some cases


def test_a_capped_count_stops_at_the_cap_and_says_so_while_the_page_is_unchanged(engine):
    cases = states()
    with session_scope(engine) as session:
        for s in cases:
            project_case(session=session, state=s, pending=pending_actions(s))
    filters = itertools.product(
        [
            dict(visible_units=None),
            dict(visible_units=["housing", "police"]),
            dict(visible_units=["water"], registered_by="clerk2"),
        ],
        [None, "referred"],
        [None, "police"],
        [None, True],
        [None, "恒泰", "鑫源建设"],
    )
    sizes = set()
    with Session(engine) as session:
        for scope, stage, unit, overdue, q in filters:
            asked = dict(**scope, stage=stage, unit=unit, overdue=overdue, q=q)
            want = expected(cases, **asked)
            for cap in (5, 6):
                rows, total, capped = list_cases(session=session, **asked, limit=200, count_cap=cap)
                assert {r.case_no for r in rows} == want, asked  # the page is not capped
                assert (total, capped) == (min(len(want), cap), len(want) > cap), (asked, cap)
            sizes.add(len(want))
    # below, at, between and above the caps: 7 matches are 5 capped at 5, and exactly 7 at a cap of 7
    assert {3, 6} <= sizes and max(sizes) > 6, sorted(sizes)


def test_the_unit_rows_follow_the_case_stage_and_overdue_flag(engine):
    s = states()[0]
    with session_scope(engine) as session:
        project_case(session=session, state=s, pending=[])
    s.stage, s.version = Stage.CLOSED, s.version + 1
    s.deadlines[0].status = DeadlineStatus.MISSED
    with session_scope(engine) as session:
        project_case(session=session, state=s, pending=[])
    with Session(engine) as session:
        rows = session.exec(select(CaseUnit).where(CaseUnit.case_no == s.case_no)).all()
        assert [(r.unit, r.stage, r.overdue) for r in rows] == [(s.lead_unit, "closed", True)]
        assert list_cases(session=session, visible_units=[s.lead_unit], stage="referred")[1] == 0
        assert list_cases(session=session, visible_units=[s.lead_unit], stage="closed", overdue=True)[1] == 1


def test_stats_count_each_case_once_by_unit_and_by_township(engine):
    cases = states()
    with session_scope(engine) as session:
        for s in cases:
            project_case(session=session, state=s, pending=[])
    with Session(engine) as session:
        stats = case_stats(session=session)
    assert stats["total"] == len(cases)
    assert stats["closed"] == sum(s.stage == Stage.CLOSED for s in cases)
    assert stats["overdue"] == sum(s.overdue() for s in cases)
    assert stats["amount_claimed"] == sum(s.intake.amount_claimed for s in cases)
    for lead in LEADS:
        mine = [s for s in cases if s.lead_unit == lead]
        assert stats["by_unit"][lead]["total"] == len(mine)
        assert stats["by_unit"][lead]["closure_rate"] == round(
            sum(s.stage == Stage.CLOSED for s in mine) / len(mine), 4
        )
    assert sum(t["total"] for t in stats["by_township"].values()) == len(cases)


def test_the_statistics_read_their_index_alone(engine):
    """Every column case_stats reads is in ix_cases_stats (db/cases.py), so it never reads the case rows with
    their state: a column added to the statistics but not to the index fails here."""
    with Session(engine) as session:
        with captured_statements(engine) as seen:
            case_stats(session=session)
        ((statement, parameters),) = seen
        connection = session.connection()
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # an empty table is otherwise scanned
            plan = " ".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters))
            assert "Index Only Scan using ix_cases_stats" in plan, plan
        else:
            plan = " ".join(
                row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            )
            assert "USING COVERING INDEX ix_cases_stats" in plan, plan
