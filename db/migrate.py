"""Schema migrations with Alembic, configured in code (the scripts are in db/migrations/, no alembic.ini).

`upgrade()` is safe to run from several processes at start-up (API, workers, the migrate job): on
PostgreSQL it holds an advisory lock for the whole upgrade, which runs in one transaction; on SQLite it
opens the transaction with BEGIN IMMEDIATE, so the second process waits for the first to finish.
"""

import logging
import re
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeEngine
from sqlmodel import SQLModel

from core.config import get_settings
from db.engine import import_tables

log = logging.getLogger("wagecase.migrate")

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Advisory locks are per database (all its schemas share this one); held only while upgrading.
PG_LOCK_KEY = zlib.crc32(b"wagecase schema migrations")
SQLITE_BUSY_SECONDS = 60


class MigrationError(RuntimeError):
    """The database cannot be brought to the wanted revision as it is."""


def _config() -> Config:
    """An Alembic configuration without an ini file; env.py takes its connection from `attributes`."""
    config = Config()
    # ConfigParser interpolates values: a literal % must be written %%.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.set_main_option("truncate_slug_length", "40")
    return config


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head() -> str:
    """The newest revision in db/migrations/versions."""
    heads = _scripts().get_heads()
    if len(heads) != 1:
        raise MigrationError(f"expected one head revision, found {len(heads)}: {', '.join(heads) or 'none'}")
    return heads[0]


def target_metadata():
    """The metadata of every table the models define (what migrations must produce)."""
    import_tables()
    return SQLModel.metadata


def render_item(type_: str, obj, autogen_context):
    """Render our column types (db/types.py) as importable references, e.g. db.types.Money()."""
    if type_ == "type" and isinstance(obj, TypeEngine) and type(obj).__module__ == "db.types":
        autogen_context.imports.add("import db.types")
        return f"db.types.{type(obj).__name__}()"
    return False  # Alembic's default rendering


def _migration_engine(url: str | URL) -> Engine:
    """An engine for one migration run: no pool, and on SQLite explicit transactions that take the write lock."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, poolclass=NullPool)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, poolclass=NullPool, connect_args={"timeout": SQLITE_BUSY_SECONDS})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # the driver emits no BEGIN of its own; see _begin
        dbapi_connection.execute("PRAGMA journal_mode=WAL")

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # Take the write lock now rather than at the first write, so the DDL, the version row and
        # the check before them happen under one lock.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@contextmanager
def _locked_transaction(url: str | URL) -> Iterator[Connection]:
    """A connection in a transaction that no other upgrade of this database runs alongside."""
    engine = _migration_engine(url)
    try:
        with engine.connect() as connection, connection.begin():
            if connection.dialect.name == "postgresql":
                # Released when the transaction ends.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
            yield connection
    finally:
        engine.dispose()


def _revision_of(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _refuse_unversioned(connection: Connection) -> None:
    """Stop with a clear message if the tables exist but Alembic has never run (made by create_all)."""
    existing = set(inspect(connection).get_table_names()) & set(target_metadata().tables)
    if existing:
        raise MigrationError(
            f"the database has tables ({', '.join(sorted(existing))}) but no alembic_version: it was "
            "created without migrations (create_all). There is no deployed data to keep yet: delete the "
            "SQLite file or drop the schema, then run `python -m db upgrade`."
        )


def _upgrade_once(url: str | URL, revision: str) -> tuple[str | None, str | None]:
    # Alembic's `context` and `op` are process-wide proxies, so the lock also keeps two threads of
    # one process from running migrations at the same time.
    with _locked_transaction(url) as connection:
        before = _revision_of(connection)
        if before is None:
            _refuse_unversioned(connection)
        config = _config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        return before, _revision_of(connection)


def _is_sqlite_race(exc: OperationalError) -> bool:
    message = str(exc.orig).lower()
    return "database is locked" in message or "already exists" in message


def upgrade(url: str | URL | None = None, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the database (default: the settings' URL) to `revision`; returns the revisions before and after."""
    url = url or get_settings().database_url
    try:
        return _upgrade_once(url, revision)
    except OperationalError as exc:
        if make_url(url).get_backend_name() != "sqlite" or not _is_sqlite_race(exc):
            raise
        log.warning("migration raced another process (%s); trying once more", exc.orig)
        return _upgrade_once(url, revision)


def current(url: str | URL | None = None) -> str | None:
    """The revision the database is at, or None if no migration has run on it."""
    parsed = make_url(url or get_settings().database_url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        if not Path(parsed.database).exists():
            return None  # do not create the file just to look
    engine = create_engine(parsed, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return _revision_of(connection)
    finally:
        engine.dispose()


def check(url: str | URL | None = None) -> bool:
    """True if the database is at the head revision."""
    return current(url) == head()


def _next_rev_id() -> str:
    """0001, 0002, …: one more than the highest numbered revision."""
    numbers = [int(s.revision) for s in _scripts().walk_revisions() if re.fullmatch(r"\d+", s.revision)]
    return f"{max(numbers, default=0) + 1:04d}"


def _skip_if_unchanged(_context, _revision, directives: list) -> None:
    if all(d.upgrade_ops.is_empty() for d in directives):
        directives.clear()


def revision(message: str, rev_id: str | None = None) -> Path | None:
    """Autogenerate a migration from the models against a scratch SQLite database at head.

    Returns the new script's path, or None when the models match head and there is nothing to write.
    """
    rev_id = rev_id or _next_rev_id()
    with tempfile.TemporaryDirectory(prefix="wagecase-revision-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'scratch.db'}"
        upgrade(url)
        engine = _migration_engine(url)
        try:
            with engine.connect() as connection:
                config = _config()
                config.attributes["connection"] = connection
                script = command.revision(
                    config,
                    message=message,
                    autogenerate=True,
                    rev_id=rev_id,
                    process_revision_directives=_skip_if_unchanged,
                )
        finally:
            engine.dispose()
    if script is None or isinstance(script, list):
        return None
    return Path(script.path)


def display_url(url: str | URL | None = None) -> str:
    """The URL without its password, for messages."""
    return make_url(url or get_settings().database_url).render_as_string(hide_password=True)
