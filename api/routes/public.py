"""The complainants' JSON routes (no login): file a complaint online, follow it, rate its handling.

Every look-up that does not match counts against the case number and the client's address; after
MAX_FAILURES in FAILURE_WINDOW_SECONDS both answer 429 (api/public_door.py). Online complaints are
limited per address too. Nothing personal goes into a URL: every route takes a POSTed body.
"""

from typing import Annotated

from fastapi import APIRouter, Body, Header, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api import schemas
from api.case_service import register_case
from api.deps import JurisdictionDep, SessionDep, SettingsDep, TemporalDep
from api.errors import validation_error_response
from api.public_door import (
    NOT_FOUND,
    ProgressQuery,
    PublicProgress,
    RatingIn,
    find_case,
    online_registrant,
    progress_view,
    throttles,
)
from api.throttle import client_address
from db.cases import get_case
from db.engine import session_scope
from db.satisfaction import RATING_LABELS, AlreadyRated, rate_case
from domain.errors import InvalidInput
from domain.joining import JOINED
from domain.jurisdiction import Jurisdiction

router = APIRouter(tags=["public"])

LOOKUP_RESPONSES = {
    404: {"description": "no case with this number and phone (the same for an unknown case)"},
    429: {"description": "too many failed look-ups for this case or from this address"},
}


def too_many(wait: int, what: str) -> HTTPException:
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        headers={"Retry-After": str(wait)},
        detail=f"{what}; try again in {wait} s (请{(wait + 59) // 60}分钟后再试)",
    )


def check_lookup_allowed(request: Request, case_no: str) -> None:
    """429 once this case number or this address has failed too often lately."""
    wait = throttles(request.app).lookups.retry_after(case_no.strip().upper(), client_address(request))
    if wait:
        raise too_many(wait, "too many failed look-ups for this case number or from this address")


def note_lookup_failed(request: Request, case_no: str) -> None:
    throttles(request.app).lookups.failed(case_no.strip().upper(), client_address(request))


def not_found() -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)


@router.post(
    "/api/public/progress",
    response_model=PublicProgress,
    responses=LOOKUP_RESPONSES,
    summary="Follow a case: its number and the complainant's phone (no login)",
)
def post_progress(query: ProgressQuery, request: Request, session: SessionDep, jurisdiction: JurisdictionDep) -> dict:
    """The stage in plain words, the unit handling the case, the deadlines that bind the government, transfers
    and the result. A wrong phone and an unknown case number get the same 404; after 5 failures for one case
    or from one address within 10 minutes, 429."""
    check_lookup_allowed(request, query.case_no)
    record = find_case(session=session, case_no=query.case_no, phone=query.phone)
    if record is None:
        note_lookup_failed(request, query.case_no)
        raise not_found()
    return progress_view(session=session, record=record, jurisdiction=jurisdiction)


@router.post(
    "/api/public/ratings",
    status_code=status.HTTP_201_CREATED,
    responses=LOOKUP_RESPONSES,
    summary="Rate the handling of a closed case, once (满意度; no login)",
)
def post_rating(body: RatingIn, request: Request, session: SessionDep) -> dict:
    """`rating`: satisfied, basically_satisfied or unsatisfied, with an optional comment. 409 before the case is
    closed or once it is rated. An unsatisfied rating goes to the office of the leading group."""
    check_lookup_allowed(request, body.case_no)
    record = find_case(session=session, case_no=body.case_no, phone=body.phone)
    if record is None:
        note_lookup_failed(request, body.case_no)
        raise not_found()
    if record.stage != "closed":
        raise HTTPException(
            status.HTTP_409_CONFLICT, "the case is not closed yet; rate it once it is (案件办结后才能评价)"
        )
    if record.outcome == JOINED:  # 有案必接: handled in its matter, whose closure is rated
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "this complaint was joined to the open case about the same matter and is handled there; it cannot be "
            "rated on its own (本投诉已并入同一欠薪事项的案件办理，不单独评价)",
        )
    try:
        row = rate_case(
            session=session, case_no=record.case_no, unit=record.lead_unit, rating=body.rating, comment=body.comment
        )
        session.commit()
    except AlreadyRated:
        session.rollback()
        raise HTTPException(status.HTTP_409_CONFLICT, "this case has been rated already (该案件已评价)") from None
    return {"case_no": row.case_no, "rating": row.rating, "label": RATING_LABELS[row.rating]}


def complaint_body(raw: dict) -> schemas.CaseCreate:
    """A complaint as POST /api/cases takes it, filed online: channel `online`, received now, a phone to follow
    it with. Raises ValidationError, or InvalidInput without a phone."""
    body = {**raw, "channel": "online"}
    body.pop("received_at", None)  # received when it arrives: an online complaint cannot be back-dated
    body.pop("late_entry_reason", None)  # nor entered late
    parsed = schemas.CaseCreate.model_validate(body)
    if parsed.complainant.phone is None:
        raise InvalidInput(
            "complainant.phone is required online: the complainant follows the case with it (请填写手机号码)",
            field="body.complainant.phone",
        )
    return parsed


async def file_complaint(
    *,
    request: Request,
    body: schemas.CaseCreate,
    jurisdiction: Jurisdiction,
    client,
    task_queue: str,
    idempotency_key: str | None,
) -> str:
    """Register an online complaint through the case service (as the clerks' path does); counts it against the
    address. The caller checks the address's limit first."""
    key = f"public:{idempotency_key}" if idempotency_key else None
    case_no = await register_case(
        client=client,
        engine=request.app.state.engine,
        body=body,
        user=online_registrant(jurisdiction),
        jurisdiction=jurisdiction,
        task_queue=task_queue,
        idempotency_key=key,
    )
    throttles(request.app).complaints.failed("", client_address(request))
    return case_no


def check_complaint_allowed(request: Request) -> None:
    """429 once this address has filed MAX_COMPLAINTS_PER_ADDRESS complaints in the window."""
    wait = throttles(request.app).complaints.retry_after("", client_address(request))
    if wait:
        raise too_many(wait, "too many complaints from this address")


@router.post(
    "/api/public/complaints",
    status_code=status.HTTP_201_CREATED,
    responses={429: {"description": "too many complaints from this address"}},
    summary="File a complaint online (no login)",
)
async def post_public_complaint(
    request: Request,
    session: SessionDep,
    client: TemporalDep,
    settings: SettingsDep,
    jurisdiction: JurisdictionDep,
    body: Annotated[dict, Body()],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
):
    """The body of `POST /api/cases` (channel is `online` whatever is sent; `received_at` is now; the
    complainant's phone is required, to follow the case with). Routed and acknowledged like any complaint;
    answers `{case_no, lead_unit, lead_unit_name}`."""
    check_complaint_allowed(request)
    try:
        parsed = complaint_body(body)
    except ValidationError as err:
        return validation_error_response(request, err, prefix="body")
    session.commit()  # hold no connection while the workflow works
    case_no = await file_complaint(
        request=request,
        body=parsed,
        jurisdiction=jurisdiction,
        client=client,
        task_queue=settings.task_queue,
        idempotency_key=idempotency_key,
    )
    record = await run_in_threadpool(_fresh, request.app.state.engine, case_no)
    unit = jurisdiction.units.get(record.lead_unit)
    return JSONResponse(
        status_code=201,
        content={
            "case_no": case_no,
            "lead_unit": record.lead_unit,
            "lead_unit_name": unit.name if unit else record.lead_unit,
        },
    )


def _fresh(engine, case_no: str):
    with session_scope(engine) as session:
        return get_case(session=session, case_no=case_no)
