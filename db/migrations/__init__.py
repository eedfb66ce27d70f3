"""Alembic migration scripts; run them with `python -m db upgrade` (see db/migrate.py)."""
