"""The dishonest-employer list (人社部令45号): read it, and take an employer off it early.

Listing happens in a case (`propose_blacklist` → 5 WD objection period → `blacklist_decision`); the
listing lasts the jurisdiction's `blacklist_period_years` (3, art. 11). Early removal (arts. 12-14): the
employer corrected the arrears, `blacklist_removal_after_months` (6) have passed since listing, and it gave a
written promise; decided by labour inspection's unit head (the co-handling unit) or the office of the
leading group.
"""

from datetime import datetime, timezone
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field, StringConstraints

from api.deps import CurrentUser, JurisdictionDep, SessionDep
from api.params import Offset, RecordId
from api.schemas import Strict
from db.blacklist import BlacklistEntry, get_entry, list_blacklist, remove_entry
from db.cases import get_case
from domain.errors import Forbidden, NotAllowedNow
from domain.roles import Role

router = APIRouter(prefix="/api/blacklist", tags=["blacklist"])


class BlacklistEntryOut(BaseModel):
    id: int
    case_no: str
    employer_name: str
    credit_code: str | None
    reason: str
    listed_at: datetime
    expires_at: datetime
    removed_at: datetime | None
    removal_reason: str | None
    status: str = Field(description="listed, expired (the period ran out) or removed (early removal)")


class BlacklistOut(BaseModel):
    items: list[BlacklistEntryOut]
    total: int


class RemovalIn(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    corrected: bool = Field(description="the employer has paid the arrears (改正)")
    written_promise: bool = Field(description="the employer gave a written promise of credit repair (信用承诺)")


def _out(entry: BlacklistEntry, now: datetime) -> BlacklistEntryOut:
    return BlacklistEntryOut(**entry.model_dump(exclude={"removed_by"}), status=entry.status_at(now))


def _months_between(start: datetime, end: datetime) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if end.day < start.day else months


@router.get("", response_model=BlacklistOut, summary="The dishonest-employer list")
def get_blacklist(
    session: SessionDep,
    _user: CurrentUser,
    active: Annotated[bool, Query(description="only employers listed now")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
    offset: Offset = 0,
) -> BlacklistOut:
    """Employers listed, newest first, with their case and listing period."""
    now = datetime.now(timezone.utc)
    rows, total = list_blacklist(session=session, active_only=active, now=now, limit=limit, offset=offset)
    return BlacklistOut(items=[_out(r, now) for r in rows], total=total)


@router.post("/{entry_id}/removal", response_model=BlacklistEntryOut, summary="Early removal from the list")
def post_removal(
    entry_id: RecordId, body: RemovalIn, session: SessionDep, user: CurrentUser, jurisdiction: JurisdictionDep
) -> BlacklistEntryOut:
    """Take an employer off the list early (人社部令45号 arts. 12-14)."""
    labour_inspection = jurisdiction.routing.co_handler
    if user.role not in (Role.SUPERVISOR, Role.ADMIN) and not (
        user.role == Role.UNIT_HEAD and user.unit == labour_inspection
    ):
        raise Forbidden(code="removal_deciders", unit=labour_inspection)
    entry = get_entry(session=session, entry_id=entry_id)
    if entry is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"there is no blacklist entry {entry_id}")
    now = datetime.now(timezone.utc)
    if entry.status_at(now) != "listed":
        raise NotAllowedNow(code="entry_not_listed", status=entry.status_at(now))
    if not (body.corrected and body.written_promise):
        raise NotAllowedNow(code="removal_needs_correction")
    wait = jurisdiction.thresholds.blacklist_removal_after_months
    if _months_between(entry.listed_at, now) < wait:
        raise NotAllowedNow(code="removal_too_early", months=wait, listed=f"{entry.listed_at:%Y-%m-%d}")
    case = get_case(session=session, case_no=entry.case_no)
    if case is not None:
        owed = case.amount_owed if case.amount_owed is not None else case.amount_claimed
        if owed - case.amount_recovered > Decimal("0"):
            raise NotAllowedNow(code="removal_case_unpaid", case_no=case.case_no, owed=owed - case.amount_recovered)
    remove_entry(session=session, entry=entry, reason=body.reason, by=user.username, now=now)
    session.commit()
    return _out(entry, now)
