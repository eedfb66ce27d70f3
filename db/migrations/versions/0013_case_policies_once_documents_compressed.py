"""case_policies: a case's policy (the jurisdiction's rules it started under) stored once for every case that
carries it, by hash; cases.policy_hash names it and state_json is written without it from now on (rows
written before keep the policy inside state_json and are read as they are); documents: html_zlib, the
HTML compressed, and html (the text of rows written before) may be empty

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 07:30:00
"""

import json
import zlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'case_policies',
        sa.Column('hash', sa.String(length=64), primary_key=True),
        sa.Column('policy_json', sa.Text(), nullable=False),
    )
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('policy_hash', sa.String(length=64), nullable=True))
    with op.batch_alter_table('documents') as batch:
        batch.add_column(sa.Column('html_zlib', sa.LargeBinary(), nullable=True))
        batch.alter_column('html', existing_type=sa.Text(), nullable=True)


def downgrade() -> None:
    """Put each case's policy back into its state_json and each document's HTML back into text."""
    connection = op.get_bind()
    cases = sa.table("cases", sa.column("case_no"), sa.column("state_json"), sa.column("policy_hash"))
    policies = sa.table("case_policies", sa.column("hash"), sa.column("policy_json"))
    texts = {row.hash: row.policy_json for row in connection.execute(sa.select(policies)).all()}
    for row in connection.execute(sa.select(cases).where(cases.c.policy_hash.is_not(None))).all():
        state = json.loads(row.state_json)
        state["intake"]["policy"] = json.loads(texts[row.policy_hash])
        connection.execute(
            cases.update()
            .where(cases.c.case_no == row.case_no)
            .values(state_json=json.dumps(state, ensure_ascii=False, separators=(",", ":")))
        )
    documents = sa.table("documents", sa.column("id"), sa.column("html"), sa.column("html_zlib"))
    for row in connection.execute(sa.select(documents).where(documents.c.html_zlib.is_not(None))).all():
        html = zlib.decompress(row.html_zlib).decode()
        connection.execute(documents.update().where(documents.c.id == row.id).values(html=html))
    with op.batch_alter_table('documents') as batch:
        batch.alter_column('html', existing_type=sa.Text(), nullable=False)
        batch.drop_column('html_zlib')
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('policy_hash')
    op.drop_table('case_policies')
