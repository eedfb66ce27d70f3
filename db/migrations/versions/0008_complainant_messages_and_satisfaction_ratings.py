"""complainant messages and satisfaction ratings

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-02 03:14:21.417500
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import db.types

revision: str = '0008'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('complainant_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_no', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('event_seq', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('sent_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('provider_message_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_no', 'event_seq', name='uq_complainant_messages_case_event')
    )
    with op.batch_alter_table('complainant_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complainant_messages_case_no'), ['case_no'], unique=False)
        batch_op.create_index('ix_complainant_messages_status_next', ['status', 'next_attempt_at'], unique=False)

    op.create_table('satisfaction_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_no', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('rating', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('rated_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('follow_up', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('follow_up_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('follow_up_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('follow_up_note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_no')
    )
    with op.batch_alter_table('satisfaction_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_satisfaction_ratings_follow_up'), ['follow_up'], unique=False)
        batch_op.create_index(batch_op.f('ix_satisfaction_ratings_unit'), ['unit'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('satisfaction_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_satisfaction_ratings_unit'))
        batch_op.drop_index(batch_op.f('ix_satisfaction_ratings_follow_up'))

    op.drop_table('satisfaction_ratings')
    with op.batch_alter_table('complainant_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_complainant_messages_status_next')
        batch_op.drop_index(batch_op.f('ix_complainant_messages_case_no'))

    op.drop_table('complainant_messages')
