"""Alembic migrations: they build exactly the models' schema, on SQLite and PostgreSQL, safely in parallel."""

import os
import subprocess
import sys
import threading

import pytest
import sqlalchemy as sa
import sqlmodel
from alembic.autogenerate import compare_metadata, produce_migrations, render_python_code
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, create_engine, inspect, text
from sqlalchemy.pool import NullPool

import db.types
from db import migrate
from db.__main__ import main as db_main
from db.engine import create_all, make_engine
from tests.conftest import empty_pg_schema

HEAD = migrate.head()


@pytest.fixture
def fresh_pg_url(pg_admin, pg_schema, pg_url) -> str:
    """The session's PostgreSQL schema, emptied."""
    empty_pg_schema(pg_admin[0], pg_schema)
    return pg_url


def differences(url: str, metadata: MetaData | None = None) -> list:
    """What autogenerate would change to make the database match the models (empty when in sync)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, metadata if metadata is not None else migrate.target_metadata())
    finally:
        engine.dispose()


def schema_snapshot(url: str) -> dict[str, list]:
    """Table name → its columns and indexes, as the database reports them."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            return {
                name: [
                    sorted((c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(name)),
                    sorted(
                        (i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(name)
                    ),
                ]
                for name in inspector.get_table_names()
            }
    finally:
        engine.dispose()


def version_rows(url: str) -> list[str]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return [row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))]
    finally:
        engine.dispose()


def test_upgrade_builds_exactly_the_models(db_url):
    assert migrate.current(db_url) is None
    assert migrate.upgrade(db_url) == (None, HEAD)
    assert migrate.current(db_url) == HEAD
    assert migrate.check(db_url)
    tables = set(schema_snapshot(db_url))
    assert tables == set(migrate.target_metadata().tables) | {"alembic_version"}
    # Fails when a model changed without a migration: run `python -m db revision -m "…"`.
    assert differences(db_url) == []


def test_comparison_notices_a_model_change(sqlite_url):
    migrate.upgrade(sqlite_url)
    changed = MetaData()
    for table in migrate.target_metadata().tables.values():
        table.to_metadata(changed)
    changed.tables["cases"].append_column(Column("priority", Integer, nullable=True))
    diffs = differences(sqlite_url, changed)
    assert [(d[0], d[2], d[3].name) for d in diffs] == [("add_column", "cases", "priority")]


def test_upgrading_twice_is_a_no_op(db_url):
    migrate.upgrade(db_url)
    before = schema_snapshot(db_url)
    assert migrate.upgrade(db_url) == (HEAD, HEAD)
    assert schema_snapshot(db_url) == before
    assert version_rows(db_url) == [HEAD]


def test_unique_constraint_and_indexes_exist(db_url):
    migrate.upgrade(db_url)
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            uniques = {(u["name"], tuple(u["column_names"])) for u in inspector.get_unique_constraints("documents")}
            indexes = {i["name"]: tuple(i["column_names"]) for i in inspector.get_indexes("cases")}
            users = {i["name"]: bool(i["unique"]) for i in inspector.get_indexes("users")}
    finally:
        engine.dispose()
    assert ("uq_documents_case_seq", ("case_no", "seq")) in uniques
    assert indexes["ix_cases_stage_next"] == ("stage", "next_deadline_at")
    assert indexes["ix_cases_lead_next"] == ("lead_unit", "next_deadline_at")
    assert indexes["ix_cases_township_stage"] == ("township", "stage")
    assert users["ix_users_username"] is True


@pytest.mark.postgres
def test_postgres_tables_land_in_the_search_path_schema(fresh_pg_url, pg_admin, pg_schema):
    migrate.upgrade(fresh_pg_url)
    conn, _ = pg_admin
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (pg_schema,)
    ).fetchall()
    assert {r[0] for r in rows} == set(migrate.target_metadata().tables) | {"alembic_version"}


def run_concurrently(url: str, count: int = 2) -> list:
    """Upgrade from `count` threads released at the same moment; their results or exceptions."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = migrate.upgrade(url)
        except Exception as exc:  # reported by the assertion below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres
def test_concurrent_upgrades_on_postgres_both_succeed(fresh_pg_url):
    results = run_concurrently(fresh_pg_url)
    assert all(isinstance(r, tuple) for r in results), results
    # One did the work while the other waited for the lock and then found nothing to do.
    assert sorted(results, key=lambda r: r[0] or "") == [(None, HEAD), (HEAD, HEAD)]
    assert version_rows(fresh_pg_url) == [HEAD]
    assert differences(fresh_pg_url) == []


def test_concurrent_upgrades_on_sqlite_both_succeed(sqlite_url):
    results = run_concurrently(sqlite_url)
    assert all(isinstance(r, tuple) for r in results), results
    assert sorted(results, key=lambda r: r[0] or "") == [(None, HEAD), (HEAD, HEAD)]
    assert version_rows(sqlite_url) == [HEAD]


def test_database_made_by_create_all_is_refused_clearly(sqlite_url):
    engine = make_engine(sqlite_url)
    create_all(engine)
    engine.dispose()
    with pytest.raises(migrate.MigrationError, match="create_all"):
        migrate.upgrade(sqlite_url)


def test_rendered_migrations_import_our_types_and_run(sqlite_url):
    # What `python -m db revision` would write for the whole schema, executed as a migration would be.
    engine = create_engine(sqlite_url, poolclass=NullPool)
    opts = {"compare_type": True, "render_item": migrate.render_item, "render_as_batch": True}
    try:
        with engine.begin() as connection:
            context = MigrationContext.configure(connection, opts=opts)
            script = produce_migrations(context, migrate.target_metadata())
            code = render_python_code(script.upgrade_ops, render_item=migrate.render_item, render_as_batch=True)
            assert "db.types.Money()" in code and "db.types.UTCDateTime()" in code
            assert "sqlmodel.sql.sqltypes.AutoString(length=32)" in code
            with Operations.context(context):
                from alembic import op

                namespace = {"op": op, "sa": sa, "sqlmodel": sqlmodel, "db": db}
                exec(f"def upgrade():\n{code}\n", namespace)  # the code comes indented for a function body
                namespace["upgrade"]()
    finally:
        engine.dispose()
    assert differences(sqlite_url) == []


def test_cli_check_upgrade_current(sqlite_url, tmp_path, capsys):
    assert db_main(["--url", sqlite_url, "check"]) == 1
    # Run as operators do, from another directory, with the URL from the environment.
    env = {**os.environ, "WAGECASE_DATABASE_URL": sqlite_url}
    done = subprocess.run(
        [sys.executable, "-m", "db", "upgrade"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert f"upgraded from empty to {HEAD}" in done.stdout
    capsys.readouterr()
    assert db_main(["--url", sqlite_url, "check"]) == 0
    assert db_main(["--url", sqlite_url, "current"]) == 0
    assert f"{HEAD} (head)" in capsys.readouterr().out
    assert db_main(["--url", "postgresql+psycopg://nobody@127.0.0.1:1/none", "upgrade"]) == 1
    assert capsys.readouterr().err.startswith("error: ")


def test_case_units_of_existing_cases_take_their_stage_and_overdue_flag(db_url):
    """0004 adds stage and overdue to case_units: rows written before it are filled from their case."""
    from alembic import command
    from sqlmodel import Session, select

    from db.cases import CaseUnit, project_case
    from domain.model import Stage
    from tests.activities.test_case_list import states

    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    cases = [s for s in states() if s.co_units][::3]  # lead and co rows, of every stage, some overdue
    with Session(engine) as session:
        for s in cases:
            project_case(session=session, state=s, pending=[])
        session.commit()
    with migrate._locked_transaction(db_url) as connection:  # back to 0003: the columns are dropped
        config = migrate._config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    assert migrate.upgrade(db_url) == ("0003", HEAD)
    with Session(engine) as session:
        rows = {(r.case_no, r.unit): (r.stage, r.overdue) for r in session.exec(select(CaseUnit))}
    engine.dispose()
    assert rows == {(s.case_no, u): (s.stage.value, s.overdue()) for s in cases for u in (s.lead_unit, *s.co_units)}
    assert {stage for stage, _ in rows.values()} >= {Stage.REFERRED.value, Stage.CLOSED.value}
    assert {overdue for _, overdue in rows.values()} == {False, True}
