"""the statistics index covers the outcome: GET /api/stats groups the cases by whether they were joined to
their matter (outcome `joined`, domain/joining.py) since the one-matter rule, and ix_cases_stats (0014) did
not hold the outcome, so the statistics read every case row again instead of the index alone
(db/case_list.py case_stats; 100,000 cases on SQLite: 402 ms p50 with 0014's index)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 18:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ['lead_unit', 'township', 'stage', 'overdue', 'escalated', 'amount_claimed', 'amount_recovered']
COLUMNS = [*BEFORE, 'outcome']


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_stats')
        batch_op.create_index('ix_cases_stats', COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_stats')
        batch_op.create_index('ix_cases_stats', BEFORE, unique=False)
