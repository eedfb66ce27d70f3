"""PostgreSQL for the query measurements: a schema of its own, filled with projection rows in bulk.

Running 100,000 workflows takes an hour on two cores, so the rows are written directly with
db.cases.project_case, from the states of real cases of this run (renumbered, other employers).
The schema is dropped afterwards.
"""

from __future__ import annotations

import secrets
import time

import psycopg
from psycopg import sql
from pydantic import TypeAdapter
from sqlalchemy import create_engine, text

from bench.phases import TRADE_NAMES, progress
from db.cases import project_case
from db.engine import create_all, make_engine, session_scope
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
        self.url = (f"postgresql+psycopg://{self.user}@{PG_HOST}/{PG_DATABASE}"
                    f"?options=-csearch_path%3D{self.name}")

    @staticmethod
    def _connect() -> tuple[psycopg.Connection, str]:
        errors = []
        for user in PG_USERS:
            try:
                return psycopg.connect(f"postgresql://{user}@{PG_HOST}/{PG_DATABASE}", connect_timeout=3,
                                       autocommit=True), user
            except psycopg.OperationalError as exc:
                errors.append(f"{user}: {str(exc).strip()}")
        raise RuntimeError(f"PostgreSQL is not reachable at {PG_HOST}/{PG_DATABASE}: {'; '.join(errors)}")

    def drop(self) -> None:
        """Drop the schema and everything in it."""
        self.conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self.name)))
        self.conn.close()


def sample_states(sqlite_path, limit: int = 1000) -> list[str]:
    """state_json of up to `limit` cases of the run's SQLite projection (open, escalated and closed)."""
    engine = create_engine(f"sqlite:///{sqlite_path}")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT state_json FROM cases ORDER BY random() LIMIT :n"), {"n": limit}).all()
    engine.dispose()
    return [r[0] for r in rows]


def fill(url: str, states: list[str], count: int, batch: int = 500) -> dict:
    """Write `count` projection rows with project_case (the worker's own write path); returns timing."""
    engine = make_engine(url)
    create_all(engine)
    t0 = time.perf_counter()
    done = 0
    while done < count:
        with session_scope(engine) as session:
            for n in range(done, min(done + batch, count)):
                state = _STATE.validate_json(states[n % len(states)])
                state.intake.case_no = f"PG-2026-{n + 1:07d}"
                state.intake.employer.name = f"代县{TRADE_NAMES[n % len(TRADE_NAMES)]}劳务有限公司第{n % 997}分公司"
                project_case(session=session, state=state, pending=pending_actions(state))
        done = min(done + batch, count)
        if done % 10_000 == 0 or done == count:
            progress(f"postgres: {done:,} of {count:,} rows ({time.perf_counter() - t0:.0f} s)")
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return {"rows": count, "seconds": round(time.perf_counter() - t0, 1)}
