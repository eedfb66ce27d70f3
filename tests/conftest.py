"""Shared test fixtures."""

import secrets
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

# ---- databases ---------------------------------------------------------------------------------
# `db_url` runs a test on SQLite and on PostgreSQL; each PostgreSQL test starts with an empty schema.

PG_HOST = "127.0.0.1:5432"
PG_DATABASE = "test"
PG_USERS = ("postgres", "root")  # trust authentication on the test machine


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[tuple[psycopg.Connection, str]]:
    """An autocommit connection to the test database and the user it logged in as; skips without one."""
    errors = []
    for user in PG_USERS:
        url = f"postgresql://{user}@{PG_HOST}/{PG_DATABASE}"
        try:
            conn = psycopg.connect(url, connect_timeout=3, autocommit=True)
        except psycopg.OperationalError as exc:
            errors.append(f"{user}: {str(exc).strip()}")
            continue
        conn.execute("SET lock_timeout = '10s'")  # fail rather than hang on a leaked transaction
        yield conn, user
        conn.close()
        return
    pytest.skip(f"PostgreSQL not reachable at {PG_HOST}/{PG_DATABASE} ({'; '.join(errors)})")


@pytest.fixture(scope="session")
def pg_schema(pg_admin) -> Iterator[str]:
    """A schema of its own for this test session, dropped at the end."""
    conn, _ = pg_admin
    schema = f"wagecase_test_{secrets.token_hex(4)}"
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    yield schema
    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(scope="session")
def pg_url(pg_admin, pg_schema) -> str:
    """A SQLAlchemy URL whose connections use `pg_schema` (search_path)."""
    _, user = pg_admin
    return f"postgresql+psycopg://{user}@{PG_HOST}/{PG_DATABASE}?options=-csearch_path%3D{pg_schema}"


def empty_pg_schema(conn: psycopg.Connection, schema: str) -> None:
    """Drop everything in the schema."""
    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A SQLite file in the test's temporary directory."""
    return f"sqlite:///{tmp_path / 'wagecase.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request) -> str:
    """An empty database: a SQLite file, or the session's PostgreSQL schema emptied."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    url = request.getfixturevalue("pg_url")
    conn, _ = request.getfixturevalue("pg_admin")
    empty_pg_schema(conn, request.getfixturevalue("pg_schema"))
    return url


# ---- passwords ---------------------------------------------------------------------------------
# Production argon2 costs ~160 ms per hash and per check; the suite creates and logs in hundreds of
# users, so tests use the cheapest argon2 parameters. The algorithm and code path stay the same.


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing():
    from argon2 import PasswordHasher

    import db.accounts

    original = db.accounts._hasher
    db.accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    db.accounts._hasher = original
