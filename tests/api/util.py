"""Helpers shared by the API tests: valid sample bodies and a count of every table's rows."""

from sqlalchemy import Engine, func, select
from sqlmodel import Session, SQLModel

from db.engine import import_tables

# Valid under GB 11643 and GB 32100 (tests/domain/test_identity.py checks the algorithms).
ID_NUMBER = "140923198506123018"
ID_NUMBER_2 = "11010519491231002X"
CREDIT_CODE = "91350100M000100Y43"
PHONE = "13912345678"

PROJECT = {
    "name": "雁门关景区道路改造工程",
    "type": "transport",
    "township": "yanmenguan",
    "has_permit": True,
    "land": "state",
    "government_invested": True,
    "construction_unit": {"name": "代县交通建设投资有限公司", "credit_code": CREDIT_CODE},
    "general_contractor": {"name": "山西某路桥工程有限公司", "credit_code": None},
}


def complaint(**over) -> dict:
    """A valid complaint without a project (hrss leads it)."""
    body = {
        "channel": "hotline",
        "complainant": {"name": "王秀英", "phone": PHONE, "id_number": ID_NUMBER},
        "workers": [
            {"name": "王秀英", "id_number": ID_NUMBER, "amount_owed": "12000.00"},
            {"name": "李建国", "id_number": ID_NUMBER_2, "amount_owed": 24000},
        ],
        "employer": {"name": "山西某劳务有限公司", "credit_code": None},
        "description": "春节前工资未结清",
    }
    body.update(over)
    return body


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table of the schema."""
    import_tables()
    with Session(engine) as session:
        return {
            table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in SQLModel.metadata.sorted_tables
        }
