"""The dishonest-employer list (拖欠农民工工资失信联合惩戒对象名单, 人社部令45号).

A listing is decided inside a case (the workflow's `blacklist_decision`) and written here by the
projection activity, once per case. It outlives the case: the listing runs 3 years (art. 11) and early
removal (arts. 12-14) is decided here, through the API, long after the case workflow has closed.
"""

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, Session, SQLModel, select

from db.types import UTCDateTime, utcnow
from domain.model import CaseState


class BlacklistEntry(SQLModel, table=True):
    __tablename__ = "blacklist_entries"
    id: int | None = Field(default=None, primary_key=True)
    case_no: str = Field(max_length=32, unique=True)
    employer_name: str = Field(max_length=300, index=True)
    credit_code: str | None = Field(default=None, max_length=18, index=True)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    listed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    removed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    removal_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    removed_by: str | None = Field(default=None, max_length=64)

    def status_at(self, now: datetime) -> str:
        """listed, removed (early, art. 12) or expired (the period ran out, art. 11)."""
        if self.removed_at is not None:
            return "removed"
        return "expired" if self.expires_at <= now else "listed"

    @property
    def status(self) -> str:
        return self.status_at(utcnow())


def project_blacklist(*, session: Session, state: CaseState) -> BlacklistEntry | None:
    """Write a case's listing decision once (later changes, such as removal, are made here, not by the case)."""
    if state.blacklist != "listed" or state.blacklist_listed_at is None:
        return None
    existing = session.exec(select(BlacklistEntry).where(BlacklistEntry.case_no == state.case_no)).first()
    if existing is not None:
        return existing
    entry = BlacklistEntry(
        case_no=state.case_no,
        employer_name=state.intake.employer.name,
        credit_code=state.intake.employer.credit_code,
        reason=state.blacklist_reason or "",
        listed_at=state.blacklist_listed_at,
        expires_at=state.blacklist_until,
    )
    session.add(entry)
    session.flush()
    return entry


def list_blacklist(
    *, session: Session, active_only: bool = False, now: datetime | None = None, limit: int = 200, offset: int = 0
) -> tuple[list[BlacklistEntry], int]:
    """Entries, newest listing first; active_only: still listed (neither removed nor expired)."""
    query = select(BlacklistEntry)
    if active_only:
        query = query.where(BlacklistEntry.removed_at.is_(None), BlacklistEntry.expires_at > (now or utcnow()))
    rows = list(session.exec(query.order_by(BlacklistEntry.listed_at.desc())))
    return rows[offset : offset + limit], len(rows)


def get_entry(*, session: Session, entry_id: int) -> BlacklistEntry | None:
    """One entry, or None."""
    return session.get(BlacklistEntry, entry_id)


def remove_entry(
    *, session: Session, entry: BlacklistEntry, reason: str, by: str, now: datetime | None = None
) -> BlacklistEntry:
    """Take an entry off the list early (人社部令45号 arts. 12-14)."""
    entry.removed_at = now or utcnow()
    entry.removal_reason = reason
    entry.removed_by = by
    session.add(entry)
    session.flush()
    return entry
