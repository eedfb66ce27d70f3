"""PostgreSQL for the query measurements: a schema of its own, filled with projection rows in bulk.

Running 100,000 workflows takes hours on two cores, so the rows are written directly: a few thousand
cases with db.cases.project_case, from the states of real cases of this run (renumbered, other
employers), then renumbered copies of their rows made in SQL. The schema is dropped afterwards.
"""

from __future__ import annotations

import secrets
import time

import psycopg
from psycopg import sql
from pydantic import TypeAdapter
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from bench.phases import TRADE_NAMES, progress
from db.cases import project_case, with_policy
from db.engine import create_all, import_tables, make_engine, session_scope
from domain.lifecycle import pending_actions
from domain.model import CaseState

PG_HOST = "127.0.0.1:5432"
PG_DATABASE = "test"
PG_USERS = ("postgres", "root")  # trust authentication on the development machine, as tests/conftest.py
_STATE = TypeAdapter(CaseState)


class PostgresSchema:
    """A schema of its own in the test database; `url` makes SQLAlchemy connections use it."""

    def __init__(self):
        self.conn, self.user = self._connect()
        self.name = f"wagecase_bench_{secrets.token_hex(4)}"
        self.conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.name)))
        self.url = f"postgresql+psycopg://{self.user}@{PG_HOST}/{PG_DATABASE}?options=-csearch_path%3D{self.name}"

    @staticmethod
    def _connect() -> tuple[psycopg.Connection, str]:
        errors = []
        for user in PG_USERS:
            try:
                return psycopg.connect(
                    f"postgresql://{user}@{PG_HOST}/{PG_DATABASE}", connect_timeout=3, autocommit=True
                ), user
            except psycopg.OperationalError as exc:
                errors.append(f"{user}: {str(exc).strip()}")
        raise RuntimeError(f"PostgreSQL is not reachable at {PG_HOST}/{PG_DATABASE}: {'; '.join(errors)}")

    def drop(self) -> None:
        """Drop the schema and everything in it."""
        self.conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self.name)))
        self.conn.close()


def create_schema(url: str) -> None:
    """The service's tables, the way the service makes them (migrations where the project has them)."""
    try:
        from db.migrate import upgrade
    except ModuleNotFoundError:
        engine = make_engine(url)
        create_all(engine)
        engine.dispose()
        return
    upgrade(url)


def sample_states(sqlite_path, limit: int = 1000) -> list[str]:
    """state_json of up to `limit` cases of the run's SQLite projection (open, escalated and closed)."""
    engine = create_engine(f"sqlite:///{sqlite_path}")
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.state_json, p.policy_json FROM cases c LEFT JOIN case_policies p ON p.hash = c.policy_hash "
                "ORDER BY random() LIMIT :n"
            ),
            {"n": limit},
        ).all()
    engine.dispose()
    return [with_policy(state, policy) if policy else state for state, policy in rows]  # the policy is stored apart


def fill(url: str, states: list[str], count: int, templates: int = 2_000, batch: int = 500) -> dict:
    """Write `count` cases' projection rows: up to `templates` with project_case (the worker's own write
    path), the rest as renumbered copies of those rows made in SQL; returns timing."""
    create_schema(url)
    engine = make_engine(url)
    t0 = time.perf_counter()
    written = min(templates, count)
    for start in range(0, written, batch):
        with session_scope(engine) as session:
            for n in range(start, min(start + batch, written)):
                state = _STATE.validate_json(states[n % len(states)])
                state.intake.case_no = f"PG-2026-{n + 1:07d}"
                state.intake.employer.name = f"代县{TRADE_NAMES[n % len(TRADE_NAMES)]}劳务有限公司第{n % 997}分公司"
                project_case(session=session, state=state, pending=pending_actions(state))
    progress(f"postgres: {written:,} cases written with project_case ({time.perf_counter() - t0:.0f} s)")
    copies = -(-count // written) - 1  # each template row is copied this many times
    if copies > 0:
        _copy_cases(engine, written, copies, count)
    # VACUUM as autovacuum would after a bulk load: counts can then read the indexes alone.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    with engine.begin() as conn:
        total = conn.execute(text("SELECT count(*) FROM cases")).scalar_one()
    engine.dispose()
    progress(f"postgres: {total:,} cases ({time.perf_counter() - t0:.0f} s)")
    return {"rows": total, "written_with_project_case": written, "seconds": round(time.perf_counter() - t0, 1)}


def _copy_cases(engine, written: int, copies: int, count: int) -> None:
    """Copy every row of the template cases into `copies` renumbered cases, in every table keyed by case."""
    import_tables()
    wanted = count - written  # copies beyond `count` are not made
    with engine.begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if "case_no" not in table.columns or table.name == "idempotency_keys":
                continue
            columns = [c for c in table.columns if not (c.primary_key and c.name == "id")]
            names = ", ".join(f'"{c.name}"' for c in columns)
            values = ", ".join(
                "t.case_no || '-' || lpad(g::text, 3, '0')" if c.name == "case_no" else f't."{c.name}"' for c in columns
            )
            # the n-th copy of template k is case number (g - 1) * written + k beyond the templates
            conn.execute(
                text(
                    f'INSERT INTO "{table.name}" ({names}) SELECT {values} FROM "{table.name}" t '
                    f"CROSS JOIN generate_series(1, :copies) g "
                    f"WHERE t.case_no LIKE 'PG-2026-%' AND length(t.case_no) = 15 "
                    f"AND (g - 1) * :written + substr(t.case_no, 9)::int <= :wanted"
                ),
                {"copies": copies, "written": written, "wanted": wanted},
            )
