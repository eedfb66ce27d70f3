"""The case list's queries at scale, without Temporal: the projection tables filled in bulk, then the list,
filter, search and stats functions the API calls (db/case_list.py) timed one call at a time.

    python -m bench.case_queries --cases 100000 --db sqlite
    python -m bench.case_queries --cases 100000 --db postgres --explain

The rows are written directly (cases, case_units and the search bigrams; no workflow states), with varied
lead units, townships, stages and overdue flags, and employer names that share common bigrams
(劳务有限公司). SQLite is a file in a temporary directory; PostgreSQL a schema of its own in the `test`
database at 127.0.0.1:5432 (bench/pg.py). Both are dropped afterwards.
"""

from __future__ import annotations

import argparse
import itertools
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, text
from sqlmodel import Session

from bench.report import latency_summary
from core.config import Settings
from core.jurisdiction import DEFAULT_JURISDICTION, load_jurisdiction
from db.case_list import case_stats, list_cases
from db.cases import PARTY_SEPARATOR, CaseRecord, CaseUnit
from db.engine import make_engine
from db.search import CaseSearchGram, grams_of

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
# Stages as a county's case list holds them: a third closed, most open ones under investigation.
STAGES = {
    "intake": 4,
    "referred": 12,
    "investigating": 25,
    "payment_ordered": 10,
    "decided": 5,
    "deposit_drawdown": 2,
    "police_referred": 3,
    "court_enforcement": 4,
    "closed": 35,
}
TRADE_CHARS = "恒泰鑫源晋北雁门滹沱宏达诚信天成丰泽永安金石华瑞福顺兴隆昌盛广汇长城东方新世纪鼎盛"
# Most employers of wage complaints are labour-service companies: 劳务有限公司 is in most cases' names.
KINDS = {"劳务有限公司": 60, "建筑工程有限公司": 15, "建设集团有限公司": 10, "装饰工程有限公司": 8, "劳务派遣中心": 7}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国"
WORKS = ["道路改造工程", "住宅小区", "安置房项目", "水利枢纽工程", "学校教学楼", "污水管网工程", "景区提升工程"]
RARE_EMPLOYER = "代县鹤鸣山泉劳务有限公司"  # one case: the rare name searched
BATCH = 2_000  # cases written per transaction
ROUNDS = 100  # timed calls of each query (the p99 of 30 lies between their two slowest: one stall sets it)


# Lead units: labour inspection leads a quarter of the cases (weighted below), the industry bureaus and
# the townships the rest.
LEADS = ["housing", "transport", "water", "development", "industry", "market", "education", "energy"]


def case_rows(count: int, seed: int = 1) -> Iterator[tuple[dict, list[dict], list[dict]]]:
    """(case row, its case_units rows, its search bigrams) of `count` cases, the same for a seed."""
    jurisdiction = load_jurisdiction(DEFAULT_JURISDICTION)
    townships = {t.code: t.name for t in jurisdiction.townships()}
    leads = LEADS + list(townships)
    rng = random.Random(seed)
    stages, stage_weights = list(STAGES), list(STAGES.values())
    kinds, kind_weights = list(KINDS), list(KINDS.values())
    for n in range(1, count + 1):
        case_no = f"DX-2026-{n:06d}"
        stage = rng.choices(stages, stage_weights)[0]
        closed = stage == "closed"
        lead = "hrss" if rng.random() < 0.25 else rng.choice(leads)
        township = rng.choice(list(townships)) if rng.random() < 0.9 else None
        overdue = not closed and rng.random() < 0.12
        registered = NOW - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        hours = -rng.randrange(1, 900) if overdue else rng.randrange(1, 90 * 24)
        due = None if closed else NOW + timedelta(hours=hours)
        trade = "".join(rng.sample(TRADE_CHARS, 2))
        employer = RARE_EMPLOYER if n == count // 2 else f"代县{trade}{rng.choices(kinds, kind_weights)[0]}"
        project = f"{townships.get(township or '', '代县')}{rng.choice(WORKS)}" if rng.random() < 0.8 else None
        parties = PARTY_SEPARATOR.join(
            [f"山西{''.join(rng.sample(TRADE_CHARS, 2))}建设集团有限公司", "代县住房保障中心"]
        )
        complainant = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
        claimed = Decimal(rng.randrange(2_000, 400_000)) + Decimal("0.50")
        case = dict(
            case_no=case_no,
            version=1,
            stage=stage,
            lead_unit=lead,
            township=township,
            channel="walk_in",
            received_at=registered - timedelta(hours=1),
            registered_at=registered,
            registered_by="clerk1",
            complainant_name=complainant,
            employer_name=employer,
            employer_credit_code=None,
            project_name=project,
            party_names=parties,
            description="",
            amount_claimed=claimed,
            amount_recovered=claimed if closed else Decimal("0"),
            workers_count=rng.randrange(1, 40),
            major=rng.random() < 0.03,
            overdue=overdue,
            escalated=overdue and rng.random() < 0.5,
            next_deadline_at=due,
            closed_at=registered + timedelta(days=30) if closed else None,
            pending_actions="[]",
            state_json="{}",  # never read by the list
            updated_at=NOW,
        )
        handlers = {lead: "lead"}
        if rng.random() < 0.2:
            handlers.setdefault(rng.choice(("hrss", "petition", "housing")), "co")
        units = [dict(case_no=case_no, unit=u, role=r, stage=stage, overdue=overdue) for u, r in handlers.items()]
        pieces = [case_no, employer, project, complainant, *parties.split(PARTY_SEPARATOR)]
        yield case, units, [dict(gram=g, case_no=case_no) for g in sorted(grams_of(pieces))]


def fill(url: str, count: int) -> dict:
    """Create the service's tables (its migrations) and write `count` cases' rows in bulk; returns timing."""
    from bench.pg import create_schema

    t0 = time.perf_counter()
    create_schema(url)
    engine = make_engine(url)
    made = iter(case_rows(count))
    n_grams = 0
    while batch := list(itertools.islice(made, BATCH)):
        with engine.begin() as conn:
            conn.execute(insert(CaseRecord), [case for case, _, _ in batch])
            conn.execute(insert(CaseUnit), [u for _, units, _ in batch for u in units])
            grams = [g for _, _, gs in batch for g in gs]
            conn.execute(insert(CaseSearchGram), grams)
            n_grams += len(grams)
    if engine.dialect.name == "postgresql":  # as autovacuum would after a bulk load: counts read the indexes alone
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return {"cases": count, "grams": n_grams, "seconds": round(time.perf_counter() - t0, 1)}


def queries(count_cap: int, search_cap: int) -> dict[str, Callable[[Session, int], object]]:
    """What is timed: name → a call with a session and the round's number (the API's own functions, with
    the caps the API gives them: Settings.count_cap_for)."""
    every = dict(visible_units=None, count_cap=count_cap)
    housing = dict(visible_units=["housing"], count_cap=count_cap)  # a caseworker's unit-scoped list
    searched = dict(visible_units=None, count_cap=search_cap)
    housing_searched = dict(visible_units=["housing"], count_cap=search_cap)
    return {
        "list (admin, offset 0..200)": lambda s, n: list_cases(session=s, **every, offset=50 * (n % 5)),
        "list (housing caseworker)": lambda s, n: list_cases(session=s, **housing),
        "filter stage=investigating": lambda s, n: list_cases(session=s, **every, stage="investigating"),
        "filter unit=housing": lambda s, n: list_cases(session=s, **every, unit="housing"),
        "filter township=yanmenguan": lambda s, n: list_cases(session=s, **every, township="yanmenguan"),
        "filter overdue=true": lambda s, n: list_cases(session=s, **every, overdue=True),
        "filter housing stage=referred overdue=false": lambda s, n: list_cases(
            session=s, **housing, stage="referred", overdue=False
        ),
        "search rare name 鹤鸣山泉": lambda s, n: list_cases(session=s, **searched, q="鹤鸣山泉"),
        "search common bigrams 劳务有限": lambda s, n: list_cases(session=s, **searched, q="劳务有限"),
        "search 劳务有限, every match counted": lambda s, n: list_cases(
            session=s, visible_units=None, q="劳务有限", count_cap=None
        ),
        "search most cases 有限公司": lambda s, n: list_cases(session=s, **searched, q="有限公司"),
        "search most cases 公司 (2 chars)": lambda s, n: list_cases(session=s, **searched, q="公司"),
        "search 劳务有限 housing caseworker": lambda s, n: list_cases(session=s, **housing_searched, q="劳务有限"),
        "stats": lambda s, n: case_stats(session=s),
    }


def measure(url: str, rounds: int, count_cap: int, search_cap: int) -> list[dict]:
    """p50/p99 of each query over `rounds` calls after two warm-up calls, with what the first call returned."""
    engine = make_engine(url)
    out = []
    with Session(engine) as session:
        for name, call in queries(count_cap, search_cap).items():
            for n in range(2):
                call(session, n)
            seconds = []
            for n in range(rounds):
                t0 = time.perf_counter()
                result = call(session, n)
                seconds.append(time.perf_counter() - t0)
                session.expunge_all()  # each call reads its rows again, as each request's own session does
            row = {"query": name, **latency_summary(seconds)}
            if isinstance(result, tuple):
                row["total"] = f"{result.total:,}{'+' if result.capped else ''}"
            out.append(row)
    engine.dispose()
    return out


def explain(url: str, count_cap: int, search_cap: int, names: list[str] | None = None) -> None:
    """EXPLAIN ANALYZE of every statement of the queries (all, or those named), printed (PostgreSQL)."""
    from sqlalchemy import event

    engine = make_engine(url)
    statements: list = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    with Session(engine) as session:
        for name, call in queries(count_cap, search_cap).items():
            if names and name not in names:
                continue
            statements.clear()
            event.listen(engine, "before_cursor_execute", keep)
            call(session, 0)
            event.remove(engine, "before_cursor_execute", keep)
            for statement, parameters in statements:
                plan = session.connection().exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                print(f"--- {name}: {statement.split()[:3]} …")
                print("\n".join(r[0] for r in plan))
    engine.dispose()


def table(rows: list[dict], title: str) -> str:
    """The figures as a markdown table."""
    lines = [f"### {title}", "", "| query | p50 ms | p99 ms | max ms | total |", "|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['query']} | {r['p50']} | {r['p99']} | {r['max']} | {r.get('total', '')} |")
    return "\n".join(lines)


def run(db: str, cases: int, rounds: int, count_cap: int, search_cap: int, show_plans: bool = False) -> dict:
    """Fill a scratch database, time the queries, drop it; {"fill": …, "queries": […], "table": markdown}."""
    workdir = schema = None
    try:
        if db == "postgres":
            from bench.pg import PostgresSchema

            schema = PostgresSchema()
            url = schema.url
        else:
            workdir = Path(tempfile.mkdtemp(prefix="wagecase-queries-"))
            url = f"sqlite:///{workdir / 'cases.db'}"
        filled = fill(url, cases)
        rows = measure(url, rounds, count_cap, search_cap)
        if show_plans and db == "postgres":
            explain(url, count_cap, search_cap)
    finally:
        if schema is not None:
            schema.drop()
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
    title = f"{db}, {cases:,} cases ({filled['grams']:,} bigrams), {rounds} rounds, count cap {count_cap:,} (a search's {search_cap:,})"
    return {"db": db, "fill": filled, "queries": rows, "table": table(rows, title)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.case_queries", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"timed calls of each query (default {ROUNDS})")
    parser.add_argument("--count-cap", type=int, default=Settings().count_cap, help="WAGECASE_COUNT_CAP")
    parser.add_argument(
        "--search-count-cap", type=int, default=Settings().search_count_cap, help="WAGECASE_SEARCH_COUNT_CAP"
    )
    parser.add_argument("--explain", action="store_true", help="PostgreSQL: print the plans of the common searches")
    args = parser.parse_args(argv)
    result = run(args.db, args.cases, args.rounds, args.count_cap, args.search_count_cap, args.explain)
    print(f"filled in {result['fill']['seconds']} s")
    print(result["table"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
