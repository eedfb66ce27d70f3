"""case_units repeat stage and overdue: a unit's filtered list counted from its index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 21:54:29.164318
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('case_units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('overdue', sa.Boolean(), nullable=False, server_default=sa.false()))
    # the rows of existing cases take their case's stage and overdue flag
    op.execute("UPDATE case_units SET "
               "stage = (SELECT cases.stage FROM cases WHERE cases.case_no = case_units.case_no), "
               "overdue = (SELECT cases.overdue FROM cases WHERE cases.case_no = case_units.case_no) "
               "WHERE EXISTS (SELECT 1 FROM cases WHERE cases.case_no = case_units.case_no)")
    with op.batch_alter_table('case_units', schema=None) as batch_op:
        batch_op.alter_column('stage', server_default=None)
        batch_op.alter_column('overdue', server_default=None)
        batch_op.create_index('ix_case_units_unit_stage_overdue', ['unit', 'stage', 'overdue', 'case_no'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('case_units', schema=None) as batch_op:
        batch_op.drop_index('ix_case_units_unit_stage_overdue')
        batch_op.drop_column('overdue')
        batch_op.drop_column('stage')
