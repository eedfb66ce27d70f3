"""blacklist_entries: the procedure the listing followed, the persons listed with the employer, when the
arrears were corrected, and the application for early removal with its due date (人社部令45号 arts. 5, 9,
12-14; docs/deadlines.md)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('blacklist_entries') as batch:
        batch.add_column(sa.Column('procedure', sa.Integer(), nullable=False, server_default='1'))
        batch.add_column(sa.Column('persons_json', sa.Text(), nullable=False, server_default='[]'))
        batch.add_column(sa.Column('corrected_at', UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('removal_applied_at', UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('removal_due_at', UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('blacklist_entries') as batch:
        for column in ('removal_due_at', 'removal_applied_at', 'corrected_at', 'persons_json', 'procedure'):
            batch.drop_column(column)
