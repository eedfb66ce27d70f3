"""One case: its page with the action forms, taking an action from a form, its documents."""

from datetime import datetime, timezone

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.actions import PUBLIC_ACTIONS, action_params
from api.case_service import perform_action
from api.case_views import DocumentNotFound, case_detail, load_visible_case, visible_document
from api.deps import JurisdictionDep, SessionDep, TemporalDep, expire_reads
from api.inputs import WEB_FORM
from api.routes.cases import document_html, document_pdf
from api.routes.complainant_office import message_rows, sms_configured
from api.web.display import People, readable
from api.web.errors import WebRoute
from api.web.forms import action_body, action_fields, action_forms, errors_by_field
from api.web.pages import (
    PageNotFound,
    calendar,
    clean,
    days_view,
    error_page,
    redirect,
    render,
)
from api.web.texts import NO_PDF, REFUSAL_PREFIX, VALUE_LABELS
from api.web_auth import CheckedForm, WebUser
from db.accounts import User, people
from db.cases import case_state
from db.monitoring import list_warnings
from db.outbox import case_messages
from documents.pdf import PdfUnavailable, pdf_available
from domain.errors import DomainError, Forbidden, InvalidInput, NotAllowedNow
from domain.jurisdiction import Jurisdiction
from domain.labels import STAGE_LABELS
from domain.model import CaseState, Stage

router = APIRouter(route_class=WebRoute, include_in_schema=False)

# The milestones (domain.model.CaseState) that show a case reached each stage.
STAGE_MILESTONES = {
    Stage.REFERRED: ("referred_at",),
    Stage.INVESTIGATING: ("accepted_at",),
    Stage.PAYMENT_ORDERED: ("order_served_at",),
    Stage.DECIDED: ("decided_at",),
    Stage.DEPOSIT_DRAWDOWN: ("deposit_drawn_at",),
    Stage.POLICE_REFERRED: ("police_proposed_at", "police_referred_at"),
    Stage.COURT_ENFORCEMENT: ("court_reminded_at", "court_filed_at"),
    Stage.CLOSED: ("closed_at",),
}


# The enforcement ladder branches after the deposit: a suspected crime goes to the police (刑法第276条之一),
# an unpaid order to the court (行政强制法第53条); the stage bar draws them one above the other.
BRANCHES = (Stage.POLICE_REFERRED, Stage.COURT_ENFORCEMENT)


def lifecycle_steps(state: CaseState) -> list[dict]:
    """The stages in order, each marked done, current, skipped or todo, with its number in the stage bar
    (the two branches of the ladder share one) and whether it is a branch."""
    stages = list(Stage)
    current = stages.index(state.stage)
    steps = []
    number = 0
    for index, stage in enumerate(stages):
        reached = stage is Stage.INTAKE or any(
            getattr(state, name, None) is not None for name in STAGE_MILESTONES.get(stage, ())
        )
        if stage is state.stage:
            status = "current"
        elif index < current:
            status = "done" if reached else "skipped"
        elif reached:  # e.g. a case transferred back from investigating to referred
            status = "done"
        else:
            status = "todo"
        if not (stage in BRANCHES and index and stages[index - 1] in BRANCHES):
            number += 1
        steps.append(
            {
                "stage": stage.value,
                "label": STAGE_LABELS[stage],
                "status": status,
                "num": number,
                "branch": stage in BRANCHES,
            }
        )
    return steps


def _case_page(
    request: Request,
    session,
    record,
    user: User,
    jurisdiction: Jurisdiction,
    *,
    status: int = 200,
    failed: dict | None = None,
    done: str | None = None,
) -> HTMLResponse:
    cal = calendar(request, session)
    detail = case_detail(session=session, record=record, user=user, calendar=cal)
    state = case_state(record)
    now = datetime.now(timezone.utc)
    # The liable party the rules suggest (谁用工谁负责, 总包先行清偿 …) is preselected in the findings form.
    suggested = detail.suggested_liable_party
    defaults = {"findings": {"liable_party": suggested}} if suggested else {}
    notes = {}
    if suggested:
        reason = detail.suggested_liable_party_reason or ""
        notes["findings"] = f"依据项目情况，建议责任主体为{VALUE_LABELS.get(suggested, suggested)}" + (
            f"：{reason}" if reason else "。"
        )
    forms, others = action_forms(state, detail.pending_actions, user, jurisdiction, defaults, notes)
    # The action just taken (still pending when it may be taken again, e.g. amending the findings) goes
    # after the others, so that the next step is the open form on top.
    forms.sort(key=lambda f: f["action"] == done)
    deadlines = []
    for d in detail.deadlines:
        view = days_view(d.due_at, cal, now) if d.status in ("open", "missed") and d.resolved_at is None else None
        deadlines.append({"d": d, "days": view})
    # the messages to the complainant (staff phone where none was sent), and the warning a case came from
    outbox = message_rows(case_messages(session=session, case_no=record.case_no), sms=sms_configured(request))
    warnings = list_warnings(session=session, case_no=record.case_no)[0] if detail.channel == "township_warning" else []
    actors = {e.actor for e in detail.timeline} | {p.actor for p in detail.payments} | {detail.registered_by}
    return render(
        request,
        "case.html",
        status=status,
        people=People(people(session=session, usernames=actors), jurisdiction),  # one query for the page
        say=lambda text: readable(text, jurisdiction),
        case=detail,
        steps=lifecycle_steps(state),
        deadlines=deadlines,
        forms=forms,
        others=others,
        failed=failed or {},
        outstanding=detail.outstanding,
        pdf_ok=pdf_available(),
        outbox=outbox,
        source_warnings=warnings,
    )


@router.get("/cases/{case_no}")
def case_page(
    case_no: str,
    request: Request,
    session: SessionDep,
    user: WebUser,
    jurisdiction: JurisdictionDep,
    done: str | None = None,
) -> Response:
    """One case: parties, workers, amounts, lifecycle, deadlines, timeline, documents and action forms
    (`done`: the action just taken, whose form no longer comes first)."""
    record = load_visible_case(session=session, case_no=case_no, user=user)
    return _case_page(request, session, record, user, jurisdiction, done=done)


def _status_of(exc: DomainError) -> int:
    return 403 if isinstance(exc, Forbidden) else 409 if isinstance(exc, NotAllowedNow) else 422


@router.post("/cases/{case_no}/actions/{name}")
async def case_action(
    case_no: str,
    name: str,
    request: Request,
    session: SessionDep,
    user: WebUser,
    form: CheckedForm,
    client: TemporalDep,
    jurisdiction: JurisdictionDep,
) -> Response:
    """Take an action from its form; a refusal shows the page again with the message, nothing changed."""
    record = load_visible_case(session=session, case_no=case_no, user=user)
    action = PUBLIC_ACTIONS.get(name)
    if action is None:
        raise PageNotFound(f"没有“{name}”这项操作。")
    specs = action_fields(action, jurisdiction)
    values = {spec.name: str(form.get(spec.name) or "") for spec in specs}

    def failed(status: int, fields: dict[str, str] | None = None, general: list[str] | None = None):
        info = {"action": name, "values": values, "fields": fields or {}, "general": general or []}
        return _case_page(request, session, record, user, jurisdiction, status=status, failed=info)

    data = action_body(specs, form)
    try:
        params = action_params(action, data, jurisdiction, context=WEB_FORM)  # amounts as written on paper
    except ValidationError as exc:
        fields, general = errors_by_field(
            exc,
            rename=lambda key: key.split(".", 1)[0],  # persons.1.role: at the persons' field
            empty=tuple(s.name for s in specs if s.name not in data),
        )
        return failed(422, fields, general)
    except InvalidInput as exc:
        return _refused(exc, values, failed)
    session.commit()  # end the read transaction: hold no connection while the workflow works
    try:
        await perform_action(
            client=client,
            case_no=case_no,
            action=name,
            params=params,
            user=user,
            idempotency_key=clean(form.get("key")),
        )
    except DomainError as exc:
        expire_reads(session, user)
        return _refused(exc, values, failed)
    expire_reads(session, user)
    try:  # after a transfer the case may belong to another unit
        load_visible_case(session=session, case_no=case_no, user=user)
    except Forbidden:
        return redirect(request, "/", f"{case_no}：已{action.label}。案件已不在本单位办理范围内。")
    return redirect(request, f"/cases/{case_no}?done={name}", f"已{action.label}。")


def _refused(exc: DomainError, values: dict, failed) -> HTMLResponse:
    """The case page again, the refusal in Chinese at its field or above the form."""
    status = _status_of(exc)
    field = exc.field.removeprefix("body.").split(".", 1)[0] if exc.field else None  # persons.1.id_number
    message = exc.text("zh")
    if field and field in values:
        return failed(status, {field: message})
    return failed(status, general=[f"{REFUSAL_PREFIX[status]}：{message}"])


def _document(session, case_no: str, seq: str, user: User):
    try:
        return visible_document(session=session, case_no=case_no, seq=seq, user=user)
    except DocumentNotFound:
        raise PageNotFound(f"案件 {case_no} 没有第 {seq} 号文书。") from None


# Before the HTML route: its `{seq}` would take "1.pdf" too.
@router.get("/cases/{case_no}/documents/{seq}.pdf")
def case_document_pdf(case_no: str, seq: str, request: Request, session: SessionDep, user: WebUser) -> Response:
    """An issued document of the case as a PDF download (A4)."""
    doc = _document(session, case_no, seq, user)
    try:
        return document_pdf(doc)
    except PdfUnavailable:
        return error_page(request, 503, *NO_PDF)


@router.get("/cases/{case_no}/documents/{seq}")
def case_document(case_no: str, seq: str, session: SessionDep, user: WebUser) -> Response:
    """An issued document of the case as printable HTML."""
    return document_html(_document(session, case_no, seq, user))
