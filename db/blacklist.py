"""The dishonest-employer list (拖欠农民工工资失信联合惩戒对象名单, 人社部令45号).

A listing is decided inside a case (the workflow's `blacklist_decision`) and written here by the
projection activity, once per case. It outlives the case: the listing runs 3 years (art. 11) and early
removal (arts. 12-14) is decided here, through the API, long after the case workflow has closed.
"""

import json
from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, Session, SQLModel, select

from db.types import UTCDateTime, utcnow
from domain.listing import correction_at
from domain.model import CaseState
from domain.procedure import STATUTORY_PROCEDURE


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
    # procedure 3 (人社部令45号, domain/listing.py): the persons listed with the employer (JSON [{name,
    # id_number, role}]), when the arrears were corrected (the removal waits 6 months from it), and the
    # employer's application for early removal with the day its decision is due (15 WD).
    procedure: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    persons_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    corrected_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    removal_applied_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    removal_due_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))

    @property
    def persons(self) -> list[dict]:
        return json.loads(self.persons_json or "[]")

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
        corrected = correction_at(state)
        if existing.procedure >= STATUTORY_PROCEDURE and existing.corrected_at is None and corrected is not None:
            existing.corrected_at = corrected  # the arrears paid in full after the listing (art. 13)
            session.add(existing)
            session.flush()
        return existing
    statutory = state.procedure >= STATUTORY_PROCEDURE
    entry = BlacklistEntry(
        case_no=state.case_no,
        employer_name=state.intake.employer.name,
        credit_code=state.intake.employer.credit_code,
        reason=state.blacklist_reason or "",
        listed_at=state.blacklist_listed_at,
        expires_at=state.blacklist_until,
        procedure=state.procedure,
        persons_json=json.dumps(
            [{"name": p.name, "id_number": p.id_number, "role": p.role} for p in state.blacklist_persons],
            ensure_ascii=False,
        ),
        corrected_at=correction_at(state) if statutory else None,
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


def apply_for_removal(*, session: Session, entry: BlacklistEntry, at: datetime, due_at: datetime) -> BlacklistEntry:
    """Record the employer's application for early removal and the day its decision is due (arts. 12-14)."""
    entry.removal_applied_at = at
    entry.removal_due_at = due_at
    session.add(entry)
    session.flush()
    return entry


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
