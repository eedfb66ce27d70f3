"""Alembic's environment: db/migrate.py passes the connection in `config.attributes["connection"]`."""

from alembic import context

from db.migrate import render_item, target_metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None or context.is_offline_mode():
        raise RuntimeError("run migrations through db.migrate (python -m db …), not the alembic command")
    context.configure(
        connection=connection,
        target_metadata=target_metadata(),
        compare_type=True,
        render_item=render_item,
        # SQLite alters most things by copying the table; batch operations do that there and plain
        # ALTER elsewhere, so scripts generated against SQLite run on PostgreSQL too.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
