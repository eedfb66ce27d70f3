"""Migration 0009: intake Idempotency-Keys become their user's; keys stored before it go to the user who registered."""

from alembic import command
from sqlalchemy import text

from db import migrate
from db.engine import make_engine

INTAKE = '{"registered_by": {"username": "%s", "role": "clerk", "unit": "petition"}}'


def test_existing_keys_become_the_keys_of_who_registered_the_intake(db_url):
    migrate.upgrade(db_url, "0005")
    engine = make_engine(db_url)
    with engine.begin() as connection:
        for key, user, case_no in [("call-1", "clerk1", "DX-2026-000001"), ("call-2", "clerk2", "DX-2026-000002")]:
            connection.execute(
                text(
                    "INSERT INTO idempotency_keys (key, request_hash, case_no, intake_json, "
                    "created_at) VALUES (:k, :h, :c, :j, CURRENT_TIMESTAMP)"
                ),
                {"k": key, "h": "0" * 64, "c": case_no, "j": INTAKE % user},
            )
    assert migrate.upgrade(db_url) == ("0005", migrate.head())
    with engine.begin() as connection:
        rows = connection.execute(text("SELECT username, key, case_no FROM idempotency_keys ORDER BY key")).all()
        assert [tuple(r) for r in rows] == [
            ("clerk1", "call-1", "DX-2026-000001"),
            ("clerk2", "call-2", "DX-2026-000002"),
        ]
        # now another user may use the same key
        connection.execute(
            text(
                "INSERT INTO idempotency_keys (username, key, request_hash, case_no, intake_json, "
                "created_at) VALUES ('clerk2', 'call-1', :h, 'DX-2026-000003', '{}', "
                "CURRENT_TIMESTAMP)"
            ),
            {"h": "0" * 64},
        )
    with migrate._locked_transaction(db_url) as connection:  # and back: one key per key again
        config = migrate._config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
    with engine.begin() as connection:
        keys = [r[0] for r in connection.execute(text("SELECT key FROM idempotency_keys ORDER BY key"))]
    engine.dispose()
    assert keys == ["call-1", "call-2"]
