"""Migration 0011: cases recorded before it get their project's other parties, searchable at once."""

import json

from sqlalchemy import text
from sqlmodel import Session

from db import migrate
from db.case_list import list_cases
from db.engine import make_engine

STATE = {
    "intake": {
        "project": {
            "construction_unit": {"name": "代县某房地产开发有限公司"},
            "general_contractor": {"name": "晋阳恒远总承包集团"},
            "subcontractor": None,
        }
    }
}


def test_recorded_cases_are_found_by_their_general_contractor(db_url):
    migrate.upgrade(db_url, "0010")
    engine = make_engine(db_url)
    with engine.begin() as connection:
        for case_no, state in [("DX-2026-000001", STATE), ("DX-2026-000002", {"intake": {"project": None}})]:
            connection.execute(
                text(
                    "INSERT INTO cases (case_no, version, stage, lead_unit, channel, received_at, registered_at,"
                    " registered_by, complainant_name, employer_name, description, amount_claimed,"
                    " amount_recovered, workers_count, major, overdue, escalated, pending_actions, state_json,"
                    " updated_at) VALUES (:no, 1, 'referred', 'housing', 'walk_in', CURRENT_TIMESTAMP,"
                    " CURRENT_TIMESTAMP, 'clerk1', '张三', '山西某劳务有限公司', '', 100, 0, 1, false, false,"
                    " false, '[]', :state, CURRENT_TIMESTAMP)"
                ),
                {"no": case_no, "state": json.dumps(state, ensure_ascii=False)},
            )
            connection.execute(
                text("INSERT INTO case_search_grams (gram, case_no) VALUES ('劳务', :no)"), {"no": case_no}
            )
    assert migrate.upgrade(db_url) == ("0010", migrate.head())
    with Session(engine) as session:
        for q, found in [("恒远总承包", ["DX-2026-000001"]), ("房地产", ["DX-2026-000001"]), ("劳务", None)]:
            rows = list_cases(session=session, visible_units=None, q=q).rows
            numbers = sorted(r.case_no for r in rows)
            assert numbers == (found or ["DX-2026-000001", "DX-2026-000002"]), q
        party = session.exec(text("SELECT party_names FROM cases ORDER BY case_no")).all()
    engine.dispose()
    assert [p[0] for p in party] == ["代县某房地产开发有限公司\n晋阳恒远总承包集团", ""]
