"""The dishonest-employer list (人社部令45号): read it, and take an employer off it early.

Listing happens in a case (`propose_blacklist` → 5 WD objection period → `blacklist_decision`); the
listing lasts the jurisdiction's `blacklist_period_years` (3, art. 11). Early removal (arts. 12-14): the
employer corrected the arrears, `blacklist_removal_after_months` (6) have passed, and it gave a written
promise; decided by labour inspection's unit head (the co-handling unit) or the office of the leading group.

Entries of cases on procedure 3 (domain/listing.py) count the 6 months from the correction (the payment
that paid everything, recorded by the case's projection), and the employer applies first
(`removal_application`): the decision is due `blacklist_removal` (15 WD) from the application. Older
entries keep counting from the listing, without an application.
"""

from datetime import datetime, timezone
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field, StringConstraints

from api.deps import CurrentUser, JurisdictionDep, SessionDep
from api.params import Offset, RecordId
from api.schemas import Strict
from core.calendar import build_calendar
from db.blacklist import BlacklistEntry, apply_for_removal, get_entry, list_blacklist, remove_entry
from db.cases import get_case
from domain.deadlines import due_instant
from domain.errors import Forbidden, NotAllowedNow
from domain.identity import mask_id
from domain.jurisdiction import Jurisdiction
from domain.listing import PERSON_ROLES, early_removal_from
from domain.procedure import STATUTORY_PROCEDURE
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
    procedure: int = Field(description="the procedure of the case that listed it (3: 人社部令45号 as written)")
    persons: list[dict] = Field(
        default_factory=list,
        description="listed with the employer: {name, id_number (masked), role, role_label} (arts. 5, 9)",
    )
    corrected_at: datetime | None = Field(None, description="when the arrears were paid in full (art. 13)")
    removal_from: datetime | None = Field(None, description="from when early removal may be applied for")
    removal_applied_at: datetime | None = None
    removal_due_at: datetime | None = Field(None, description="the removal decision is due (15 WD, art. 14)")


class BlacklistOut(BaseModel):
    items: list[BlacklistEntryOut]
    total: int


class RemovalApplicationIn(Strict):
    written_promise: bool = Field(description="the employer gave a written promise of credit repair (信用承诺)")
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class RemovalIn(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    corrected: bool = Field(description="the employer has paid the arrears (改正)")
    written_promise: bool = Field(description="the employer gave a written promise of credit repair (信用承诺)")


def _out(entry: BlacklistEntry, now: datetime, months: int | None = None) -> BlacklistEntryOut:
    persons = [
        {**p, "id_number": mask_id(p.get("id_number")), "role_label": PERSON_ROLES.get(p.get("role", ""), "")}
        for p in entry.persons
    ]
    statutory = entry.procedure >= STATUTORY_PROCEDURE
    return BlacklistEntryOut(
        **entry.model_dump(exclude={"removed_by", "persons_json"}),
        status=entry.status_at(now),
        persons=persons,
        removal_from=early_removal_from(entry.corrected_at, months) if statutory and months else None,
    )


def _deciders(user, jurisdiction: Jurisdiction, roles: tuple[str, ...]) -> None:
    labour_inspection = jurisdiction.routing.co_handler
    if user.role not in (Role.SUPERVISOR, Role.ADMIN) and not (user.role in roles and user.unit == labour_inspection):
        raise Forbidden(code="removal_deciders", unit=labour_inspection)


def _listed_entry(session, entry_id: int, now: datetime) -> BlacklistEntry:
    entry = get_entry(session=session, entry_id=entry_id)
    if entry is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"there is no blacklist entry {entry_id}")
    if entry.status_at(now) != "listed":
        raise NotAllowedNow(code="entry_not_listed", status=entry.status_at(now))
    return entry


def _six_months_since_correction(entry: BlacklistEntry, now: datetime, months: int) -> None:
    """人社部令45号 art. 13: corrected, and `months` since the correction."""
    if entry.corrected_at is None:
        raise NotAllowedNow(code="removal_not_corrected")
    since = early_removal_from(entry.corrected_at, months)
    assert since is not None
    if now < since:
        raise NotAllowedNow(
            code="removal_too_early_after_correction",
            months=months,
            corrected=f"{entry.corrected_at:%Y-%m-%d}",
            from_day=f"{since:%Y-%m-%d}",
        )


def _months_between(start: datetime, end: datetime) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if end.day < start.day else months


@router.get("", response_model=BlacklistOut, summary="The dishonest-employer list")
def get_blacklist(
    session: SessionDep,
    _user: CurrentUser,
    jurisdiction: JurisdictionDep,
    active: Annotated[bool, Query(description="only employers listed now")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
    offset: Offset = 0,
) -> BlacklistOut:
    """Employers listed, newest first, with their case and listing period."""
    now = datetime.now(timezone.utc)
    rows, total = list_blacklist(session=session, active_only=active, now=now, limit=limit, offset=offset)
    months = jurisdiction.thresholds.blacklist_removal_after_months
    return BlacklistOut(items=[_out(r, now, months) for r in rows], total=total)


@router.post(
    "/{entry_id}/removal_application",
    response_model=BlacklistEntryOut,
    summary="Record the employer's application for early removal (procedure 3)",
)
def post_removal_application(
    entry_id: RecordId,
    body: RemovalApplicationIn,
    session: SessionDep,
    user: CurrentUser,
    jurisdiction: JurisdictionDep,
) -> BlacklistEntryOut:
    """The employer applies for early removal (人社部令45号 arts. 12-14): it has corrected the arrears, 6
    months have passed since the correction, and it gives a written promise. The decision is due
    `blacklist_removal` (15 working days) from the application. Labour inspection records it."""
    _deciders(user, jurisdiction, (Role.CASEWORKER, Role.UNIT_HEAD))
    now = datetime.now(timezone.utc)
    entry = _listed_entry(session, entry_id, now)
    months = jurisdiction.thresholds.blacklist_removal_after_months
    if entry.procedure < STATUTORY_PROCEDURE:
        raise NotAllowedNow(code="not_awaited", action="removal_application")
    if entry.removal_applied_at is not None:
        raise NotAllowedNow(code="removal_applied")
    if not body.written_promise:
        raise NotAllowedNow(code="removal_needs_correction")
    _six_months_since_correction(entry, now, months)
    cal = jurisdiction.calendar
    calendar = build_calendar(
        extra_holidays=cal.extra_holidays, extra_workdays=cal.extra_workdays, unknown_year=str(cal.unknown_year)
    )
    due = due_instant(jurisdiction.rule("blacklist_removal"), now, calendar)
    apply_for_removal(session=session, entry=entry, at=now, due_at=due)
    session.commit()
    return _out(entry, now, months)


@router.post("/{entry_id}/removal", response_model=BlacklistEntryOut, summary="Early removal from the list")
def post_removal(
    entry_id: RecordId, body: RemovalIn, session: SessionDep, user: CurrentUser, jurisdiction: JurisdictionDep
) -> BlacklistEntryOut:
    """Take an employer off the list early (人社部令45号 arts. 12-14); on procedure 3 after its application."""
    _deciders(user, jurisdiction, (Role.UNIT_HEAD,))
    now = datetime.now(timezone.utc)
    entry = _listed_entry(session, entry_id, now)
    if not (body.corrected and body.written_promise):
        raise NotAllowedNow(code="removal_needs_correction")
    wait = jurisdiction.thresholds.blacklist_removal_after_months
    if entry.procedure >= STATUTORY_PROCEDURE:
        _six_months_since_correction(entry, now, wait)
        if entry.removal_applied_at is None:
            raise NotAllowedNow(code="removal_not_applied")
    elif _months_between(entry.listed_at, now) < wait:
        raise NotAllowedNow(code="removal_too_early", months=wait, listed=f"{entry.listed_at:%Y-%m-%d}")
    case = get_case(session=session, case_no=entry.case_no)
    if case is not None:
        owed = case.amount_owed if case.amount_owed is not None else case.amount_claimed
        if owed - case.amount_recovered > Decimal("0"):
            raise NotAllowedNow(code="removal_case_unpaid", case_no=case.case_no, owed=owed - case.amount_recovered)
    remove_entry(session=session, entry=entry, reason=body.reason, by=user.username, now=now)
    session.commit()
    return _out(entry, now, wait)
