"""The audit trail of personal data: who saw unmasked ID numbers and phones, when, of which case.

个人信息保护法 art. 51: a handler of personal information keeps access to it controlled and recorded.
Rows are only ever added.
"""

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Field, Session, SQLModel, col, select

from db.types import UTCDateTime, utcnow

# Where unmasked data was shown.
CASE_DETAIL = "case_detail"  # the case as the API or the web UI returns it
TEMPORAL_CODEC = "temporal_codec"  # Temporal payloads decrypted by the codec endpoint (Web UI, CLI)
DOCUMENT = "document"  # an issued document that shows IDs and bank accounts unmasked (deposit payout notice)


class PersonalDataViewBase(SQLModel):
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    username: str = Field(max_length=64, index=True)
    role: str = Field(max_length=16)
    unit: str = Field(max_length=32)
    case_no: str | None = Field(default=None, max_length=32, index=True)
    via: str = Field(max_length=32)
    detail: str = Field(default="", max_length=200)


class PersonalDataView(PersonalDataViewBase, table=True):
    __tablename__ = "personal_data_views"

    id: int | None = Field(default=None, primary_key=True)


class PersonalDataViewPublic(PersonalDataViewBase):
    id: int


class PersonalDataViewList(SQLModel):
    items: list[PersonalDataViewPublic]
    total: int


def record_views(
    *, session: Session, username: str, role: str, unit: str, case_nos: list[str | None], via: str, detail: str = ""
) -> None:
    """Add one audit row per case (None: the case is not known) and commit."""
    add_views(session=session, username=username, role=role, unit=unit, case_nos=case_nos, via=via, detail=detail)
    session.commit()


def add_views(
    *, session: Session, username: str, role: str, unit: str, case_nos: list[str | None], via: str, detail: str = ""
) -> None:
    """Add one audit row per case to the session's transaction (the caller commits)."""
    now = utcnow()
    for case_no in case_nos:
        session.add(
            PersonalDataView(
                at=now, username=username, role=str(role), unit=unit, case_no=case_no, via=via, detail=detail[:200]
            )
        )


def list_views(
    *, session: Session, case_no: str | None = None, username: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[PersonalDataView], int]:
    """Audit rows, newest first, optionally of one case or one user, and how many match in all."""
    query = select(PersonalDataView)
    if case_no:
        query = query.where(PersonalDataView.case_no == case_no)
    if username:
        query = query.where(PersonalDataView.username == username)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(PersonalDataView.id).desc()).offset(offset).limit(limit))
    return list(rows), total
