"""users: must_change_password (set when the admin resets a password); cases: party_names, the project's
other parties, searched like the employer (filled and indexed for the cases already recorded)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 04:40:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCHED = ("case_no", "employer_name", "employer_credit_code", "project_name", "complainant_name")


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(
            sa.Column('must_change_password', sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('party_names', sa.Text(), nullable=False, server_default=''))
    _fill_party_names()


def _fill_party_names() -> None:
    """The parties of each recorded case from its state, and its search bigrams again with them."""
    from db.search import grams_of  # the same rule as the projection uses

    connection = op.get_bind()
    cases = sa.table("cases", *(sa.column(c) for c in (*SEARCHED, "state_json", "party_names")))
    grams = sa.table("case_search_grams", sa.column("gram"), sa.column("case_no"))
    for row in connection.execute(sa.select(cases)).all():
        project = (json.loads(row.state_json).get("intake") or {}).get("project") or {}
        names = [
            (project.get(role) or {}).get("name")
            for role in ("construction_unit", "general_contractor", "subcontractor")
        ]
        names = [name for name in names if name]
        if not names:
            continue
        connection.execute(
            cases.update().where(cases.c.case_no == row.case_no).values(party_names="\n".join(names))
        )
        connection.execute(grams.delete().where(grams.c.case_no == row.case_no))
        texts = [getattr(row, name) for name in SEARCHED] + names
        values = [{"gram": g, "case_no": row.case_no} for g in sorted(grams_of(texts))]
        if values:
            connection.execute(grams.insert(), values)


def downgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('party_names')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('must_change_password')
