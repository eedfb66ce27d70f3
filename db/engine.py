"""The database engine, sessions and schema creation (SQLite for one machine, PostgreSQL for real)."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, create_engine

from core.config import get_settings

# Modules that define tables (imported before metadata is used).
TABLE_MODULES = (
    "db.accounts",
    "db.logins",
    "db.audit",
    "db.cases",
    "db.deposits",
    "db.blacklist",
    "db.outbox",
    "db.satisfaction",
    "db.calendar",
    "db.monitoring",
)


# Under a burst (fifty complaints at once) writers queue for SQLite's one write lock for seconds.
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option of sessions that read and then write in one transaction (session_scope).
IMMEDIATE = "sqlite_begin_immediate"

# A queue per SQLite engine for this process's writing sessions (session_scope), made with the engine.
# SQLite's busy handler polls, sleeping up to 100 ms between tries, so under a burst a writer that has waited
# long keeps losing the lock to newcomers: fifty concurrent complaints had a p99 over 8 s at a p50 of 1.6 s
# (bench, phase b). Taking this lock first lets the process's writers take SQLite's lock one after another;
# only the processes (the API and the workers) still meet at SQLite's own lock. PostgreSQL has none: its
# row locks queue fairly.
_WRITE_QUEUES: WeakKeyDictionary[Engine, threading.RLock] = WeakKeyDictionary()


def _sqlite_begin(conn) -> None:
    """Take the write lock when the transaction begins, for sessions that will write.

    In WAL mode a deferred transaction that has read and then tries to write after another writer committed
    fails at once with "database is locked" (its snapshot is stale; the busy timeout does not apply). Taking
    the lock up front makes such a transaction wait its turn instead."""
    if conn.get_execution_options().get(IMMEDIATE):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")  # wait for the write lock instead of failing
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _postgres_session(dbapi_connection, _record) -> None:
    """Plan every statement with its own parameters. psycopg prepares a statement run five times on a
    connection, and PostgreSQL then may keep one generic plan for every parameter: the case list's search
    page, planned for no bigram in particular, went from 2 to 180-220 ms at 100,000 cases once it was
    (bench/case_queries.py)."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_custom_plan")
    dbapi_connection.commit()


def make_engine(url: str) -> Engine:
    """A new engine for this URL, configured for SQLite or PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        _WRITE_QUEUES[engine] = threading.RLock()
        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=10)
    event.listen(engine, "connect", _postgres_session)
    return engine


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    """The engine of this process, from the settings."""
    return make_engine(get_settings().database_url)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back if it raises (on SQLite it holds the write
    lock from its first statement, so that a read followed by a write never fails on a stale snapshot, and
    waits its turn behind this process's other writing sessions first)."""
    with (
        _WRITE_QUEUES.get(engine) or nullcontext(),
        Session(engine.execution_options(**{IMMEDIATE: True}), expire_on_commit=False) as session,
    ):
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def import_tables() -> None:
    """Import every module that defines tables, so that SQLModel.metadata knows them all."""
    for name in TABLE_MODULES:
        importlib.import_module(name)


def create_all(engine: Engine) -> None:
    """Create the models' tables directly: a shortcut for tests only; services use db.migrate.upgrade()."""
    import_tables()
    SQLModel.metadata.create_all(engine)
