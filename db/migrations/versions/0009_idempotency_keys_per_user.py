"""intake idempotency keys are the user's: primary key (username, key)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 03:40:00

A key used to be global: replaying another user's key and body returned that user's case. The table is
rebuilt with the username in its primary key; each existing key becomes the key of the user who registered
its intake (from the stored intake).
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import db.types

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("key", "request_hash", "case_no", "intake_json", "created_at")


def _table(name: str, *primary_key: str) -> sa.Table:
    columns = [sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)] \
        if "username" in primary_key else []
    return sa.Table(
        name, sa.MetaData(), *columns,
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('request_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('case_no', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('intake_json', sa.Text(), nullable=False),
        sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint(*primary_key, name=f"pk_{name}"),
    )


def _copy(source: sa.Table, target: sa.Table, with_username: bool) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(*(source.c[c] for c in _COLUMNS))).mappings().all()
    out, seen = [], set()
    for row in rows:
        values = dict(row)
        if with_username:
            values["username"] = json.loads(row["intake_json"]).get("registered_by", {}).get("username", "")
        elif row["key"] in seen:  # downgrade: one user's key wins
            continue
        seen.add(row["key"])
        out.append(values)
    if out:
        bind.execute(target.insert(), out)


def _rebuild(with_username: bool) -> None:
    old = _table('idempotency_keys', *(("username", "key") if not with_username else ("key",)))
    # named after what it becomes: PostgreSQL keeps the primary key's name through the rename
    name = 'idempotency_keys_per_user' if with_username else 'idempotency_keys_global'
    new = _table(name, *(("username", "key") if with_username else ("key",)))
    new.create(op.get_bind())
    _copy(old, new, with_username)
    op.drop_table('idempotency_keys')
    op.rename_table(name, 'idempotency_keys')


def upgrade() -> None:
    _rebuild(with_username=True)


def downgrade() -> None:
    _rebuild(with_username=False)
