"""index covering the case statistics: GET /api/stats and the dashboard group the cases by lead unit and
township and sum their stage, overdue and escalated flags and amounts; this index holds every column they
read, so the statistics read it alone instead of every case row (db/case_list.py case_stats)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 16:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ['lead_unit', 'township', 'stage', 'overdue', 'escalated', 'amount_claimed', 'amount_recovered']


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_stats', COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_stats')
