"""Cases: register complaints, list and read them, take actions, fetch documents, statistics."""

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import (
    APIRouter,
    Body,
    Depends,
    Header,
    HTTPException,
    Query,
    Request,
    Response,
    status,
)
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api import schemas
from api.actions import PUBLIC_ACTIONS, action_params, body_schema
from api.case_service import CaseNotFound, perform_action, register_case, visible_units
from api.case_views import (
    DocumentNotFound,
    case_detail,
    load_visible_case,
    may_see_personal_data,
    summary_of,
    visible_document,
)
from api.deps import (
    CurrentUser,
    JurisdictionDep,
    SessionDep,
    SettingsDep,
    TemporalDep,
    expire_reads,
    require_roles,
)
from api.errors import validation_error_response
from api.params import Offset, RecordId
from api.routes.calendar import loaded_calendar
from db.accounts import User
from db.case_list import case_stats, list_cases
from db.cases import Document, get_case
from documents.pdf import PdfUnavailable, render_pdf
from domain.actions import Action
from domain.errors import InvalidInput
from domain.roles import Role

router = APIRouter(tags=["cases"])

Registrar = Annotated[
    User, Depends(require_roles(Role.CLERK, Role.CASEWORKER, Role.UNIT_HEAD, Role.SUPERVISOR, Role.ADMIN))
]
IdempotencyKeyHeader = Annotated[
    str | None, Header(alias="Idempotency-Key", max_length=200, description="the same key returns the same case")
]


def _detail(session, record, user, jurisdiction, view_recorded: bool = False) -> schemas.CaseDetail:
    calendar = loaded_calendar(session, jurisdiction)
    return case_detail(session=session, record=record, user=user, calendar=calendar, view_recorded=view_recorded)


def _body_optional(action: Action) -> bool:
    return not body_schema(action.name).get("required")


def _load(session, case_no, user):
    try:
        return load_visible_case(session=session, case_no=case_no, user=user)
    except CaseNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"there is no case {case_no}") from None


@router.post(
    "/api/cases",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.CaseDetail,
    summary="Register a complaint (受理)",
)
async def post_case(
    body: schemas.CaseCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    user: Registrar,
    client: TemporalDep,
    settings: SettingsDep,
    jurisdiction: JurisdictionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> schemas.CaseDetail:
    """Register a complaint. Every complaint is registered (有案必接): it is routed to its lead unit at once,
    the acknowledge clock starts from `received_at`, and a receipt (受理回执) is issued."""
    session.commit()  # end the read transaction: hold no connection while the workflow works
    unmasked = may_see_personal_data(user)
    case_no = await register_case(
        client=client,
        engine=request.app.state.engine,
        body=body,
        user=user,
        jurisdiction=jurisdiction,
        task_queue=settings.task_queue,
        idempotency_key=idempotency_key,
        shown_unmasked=unmasked,
    )
    response.headers["Location"] = f"/api/cases/{case_no}"
    # the registrant is shown what they registered even when it was routed to a unit they cannot see
    return await run_in_threadpool(_fresh_detail, session, case_no, user, jurisdiction, unmasked)


def _fresh_detail(session, case_no: str, user, jurisdiction, view_recorded: bool = False) -> schemas.CaseDetail:
    """The case as its projection stands now (after the workflow wrote it)."""
    expire_reads(session, user)
    return _detail(session, get_case(session=session, case_no=case_no), user, jurisdiction, view_recorded)


@router.get("/api/cases", response_model=schemas.CaseList, summary="List cases")
def get_cases(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    stage: Annotated[str | None, Query(description="intake, referred, investigating, …")] = None,
    unit: Annotated[str | None, Query(description="lead or co-handling unit code")] = None,
    township: str | None = None,
    overdue: bool | None = None,
    q: Annotated[
        str | None, Query(max_length=100, description="case number, employer, project, complainant or credit code")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> schemas.CaseList:
    """Cases the user may see, nearest deadline first.

    `total` counts the matching cases up to a cap (WAGECASE_COUNT_CAP, 10,000 by default; with `q`,
    WAGECASE_SEARCH_COUNT_CAP, 1,000); when more match, `total` is the cap and `total_capped` is true (the
    inbox shows "10,000+")."""
    rows, total, capped = list_cases(
        session=session,
        visible_units=visible_units(user),
        registered_by=user.username if user.role == Role.CLERK else None,
        stage=stage,
        unit=unit,
        township=township,
        overdue=overdue,
        q=q,
        limit=limit,
        offset=offset,
        count_cap=settings.count_cap_for(q),
    )
    return schemas.CaseList(
        items=[summary_of(r) for r in rows], total=total, total_capped=capped, limit=limit, offset=offset
    )


@router.get("/api/cases/{case_no}", response_model=schemas.CaseDetail, summary="One case")
def get_case_detail(
    case_no: str, session: SessionDep, user: CurrentUser, jurisdiction: JurisdictionDep
) -> schemas.CaseDetail:
    """The case with its deadlines, timeline, escalations, payments, pending actions and documents."""
    return _detail(session, _load(session, case_no, user), user, jurisdiction)


async def _take_action(
    action: Action,
    case_no: str,
    body: Any,
    request: Request,
    *,
    session,
    user: User,
    client,
    jurisdiction,
    idempotency_key: str | None,
) -> schemas.CaseDetail | Response:
    try:
        params = action_params(action, body, jurisdiction)
    except ValidationError as err:
        return validation_error_response(request, err, prefix="body")
    except InvalidInput as err:
        raise InvalidInput(code=err.code, field=f"body.{err.field}" if err.field else "body", **err.params) from None
    await run_in_threadpool(_load, session, case_no, user)
    session.commit()  # end the read transaction: hold no connection while the workflow works
    await perform_action(
        client=client, case_no=case_no, action=action.name, params=params, user=user, idempotency_key=idempotency_key
    )
    # the actor saw the case before acting; after a transfer it may belong to another unit
    return await run_in_threadpool(_fresh_detail, session, case_no, user, jurisdiction)


def _action_endpoint(action: Action):
    async def take_action(
        case_no: str,
        request: Request,
        session: SessionDep,
        user: CurrentUser,
        client: TemporalDep,
        jurisdiction: JurisdictionDep,
        idempotency_key: IdempotencyKeyHeader = None,
        body: Annotated[Any, Body()] = None,
    ) -> schemas.CaseDetail:
        return await _take_action(
            action,
            case_no,
            body,
            request,
            session=session,
            user=user,
            client=client,
            jurisdiction=jurisdiction,
            idempotency_key=idempotency_key,
        )

    take_action.__name__ = f"action_{action.name}"
    return take_action


_ACTION_NOTES = (
    "409 when the action is not allowed now, 403 when your role or unit may not take it, 422 for "
    "invalid input (`errors` lists the fields); a refused action changes nothing."
)

# One documented route per action a person takes, generated from the registry (domain.actions).
for _action in PUBLIC_ACTIONS.values():
    router.add_api_route(
        f"/api/cases/{{case_no}}/actions/{_action.name}",
        _action_endpoint(_action),
        methods=["POST"],
        response_model=schemas.CaseDetail,
        tags=["case actions"],
        summary=f"{_action.label} ({_action.name})",
        description=body_schema(_action.name)["description"]
        + "\n\n"
        + _ACTION_NOTES
        + ("\n\nMoves money: send an `Idempotency-Key`." if _action.moves_money else ""),
        operation_id=f"action_{_action.name}",
        openapi_extra={
            "requestBody": {
                "required": not _body_optional(_action),
                "content": {"application/json": {"schema": body_schema(_action.name)}},
            }
        },
    )


@router.post("/api/cases/{case_no}/actions/{action}", include_in_schema=False)
async def post_unknown_action(case_no: str, action: str, user: CurrentUser) -> Response:
    """An action that does not exist, or one only the case takes by itself."""
    raise HTTPException(
        status.HTTP_404_NOT_FOUND, f"there is no action {action!r}; actions: {', '.join(PUBLIC_ACTIONS)}"
    )


def document_pdf(doc: Document) -> Response:
    """A stored document as a PDF download named after its case and title; raises PdfUnavailable."""
    pdf = render_pdf(doc.html)
    name = f"{doc.case_no}-{doc.title}.pdf"
    disposition = f"attachment; filename=\"{doc.case_no}-{doc.seq}.pdf\"; filename*=UTF-8''{quote(name, safe='')}"  # RFC 6266/5987
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


def document_html(doc: Document) -> HTMLResponse:
    """A stored document as printable HTML (it runs no script and loads nothing)."""
    return HTMLResponse(
        doc.html,
        headers={
            "ETag": f'"{doc.content_hash}"',
            "Cache-Control": "no-store",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        },
    )


def _visible_document(session, case_no: str, seq: int, user) -> Document:
    """Document `seq` of a case the user may see; 404 when either does not exist."""
    try:
        return visible_document(session=session, case_no=case_no, seq=seq, user=user)
    except CaseNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"there is no case {case_no}") from None
    except DocumentNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"case {case_no} has no document {seq}") from None


# Before the HTML route: its `{seq}` would take "1.pdf" too.
@router.get(
    "/api/cases/{case_no}/documents/{seq}.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, 503: {"description": "no PDF renderer installed"}},
    summary="An issued document as PDF (A4)",
)
def get_case_document_pdf(case_no: str, seq: RecordId, session: SessionDep, user: CurrentUser) -> Response:
    """The document rendered to PDF by WeasyPrint; the HTML version is always available."""
    doc = _visible_document(session, case_no, seq, user)
    try:
        return document_pdf(doc)
    except PdfUnavailable as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            f"PDF output is not available on this server ({exc}); the HTML document at "
            f"/api/cases/{case_no}/documents/{seq} prints to A4 from a browser",
        ) from None


@router.get(
    "/api/cases/{case_no}/documents/{seq}", response_class=HTMLResponse, summary="An issued document (printable HTML)"
)
def get_case_document(case_no: str, seq: RecordId, session: SessionDep, user: CurrentUser) -> HTMLResponse:
    return document_html(_visible_document(session, case_no, seq, user))


@router.get("/api/stats", response_model=schemas.Stats, summary="Statistics (KPI: closure rate ≥ 95%)")
def get_stats(session: SessionDep, user: CurrentUser, jurisdiction: JurisdictionDep) -> schemas.Stats:
    return schemas.Stats(
        **case_stats(session=session), closure_rate_target=float(jurisdiction.thresholds.closure_rate_target) / 100
    )
