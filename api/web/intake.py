"""Registering a complaint (受理登记): the intake form, its worker rows, a roster imported from Excel."""

import re
import uuid
from datetime import datetime, timezone

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from activities.cases import CHANNEL_LABELS
from api import schemas
from api.case_service import check_received_at, check_township, register_case
from api.case_views import load_visible_case
from api.deps import JurisdictionDep, SessionDep, SettingsDep, TemporalDep, expire_reads
from api.inputs import WEB_FORM
from api.roster_sheets import (
    MAX_ROSTER_BYTES,
    ROSTER_HEADERS,
    RosterRejected,
    parse_roster,
)
from api.web.errors import WebRoute
from api.web.forms import errors_by_field
from api.web.pages import (
    clean,
    local_datetime,
    no_nones,
    redirect,
    render,
    require_registrar,
    township_options,
    unit_namer,
)
from api.web.texts import INTAKE_REPEATED, validation_message
from api.web_auth import CSRF_FIELD, CheckedForm, WebUser
from db.accounts import list_projects
from db.cases import case_state
from domain.calendar import CHINA_TZ
from domain.errors import DomainError, InvalidInput
from domain.joining import JOINED

router = APIRouter(route_class=WebRoute, include_in_schema=False)

MAX_WORKER_ROWS = 200


def _intake_page(
    request: Request,
    session,
    *,
    values: dict,
    rows: int,
    status: int = 200,
    errors: dict | None = None,
    general: list | None = None,
    roster: dict | None = None,
) -> HTMLResponse:
    projects, _ = list_projects(session=session, limit=200)
    return render(
        request,
        "intake.html",
        status=status,
        values=values,
        rows=rows,
        errors=errors or {},
        general=general or [],
        roster=roster,
        projects=projects,
        channels=CHANNEL_LABELS,
        townships=township_options(request),
        max_rows=MAX_WORKER_ROWS,
        now_local=datetime.now(CHINA_TZ).strftime("%Y-%m-%dT%H:%M"),
    )


def _org_body(form: FormData, prefix: str) -> dict | None:
    name, code = clean(form.get(f"{prefix}.name")), clean(form.get(f"{prefix}.credit_code"))
    if name is None and code is None:
        return None
    return {"name": name or "", "credit_code": code}


def _bool_field(form: FormData, name: str) -> bool | str | None:
    value = clean(form.get(name))
    return {"true": True, "false": False}.get(value or "", value)


def project_body(form: FormData, prefix: str = "") -> dict:
    """A ProjectCreate body from the project fields of a form (names such as 'project.name')."""
    body = {
        "name": clean(form.get(f"{prefix}name")) or "",
        "type": clean(form.get(f"{prefix}type")) or "",
        "township": clean(form.get(f"{prefix}township")),
        "has_permit": _bool_field(form, f"{prefix}has_permit"),
        "land": clean(form.get(f"{prefix}land")) or "",
        "government_invested": _bool_field(form, f"{prefix}government_invested"),
        "contract_amount": clean(form.get(f"{prefix}contract_amount")),
        "construction_unit": _org_body(form, f"{prefix}construction_unit") or {"name": ""},
        "general_contractor": _org_body(form, f"{prefix}general_contractor") or {"name": ""},
        "subcontractor": _org_body(form, f"{prefix}subcontractor"),
    }
    return no_nones(body)


def intake_body(form: FormData, rows: int) -> tuple[dict, dict[int, int]]:
    """A CaseCreate body from the intake form, and which form row each worker in it came from."""
    workers, row_of = [], {}
    for row in range(rows):
        worker = {
            key: clean(form.get(f"workers.{row}.{key}"))
            for key in ("name", "id_number", "amount_owed", "bank", "bank_account")
        }
        if not any(worker.values()):
            continue  # an empty row is no worker
        row_of[len(workers)] = row
        workers.append(no_nones({**worker, "name": worker["name"] or ""}))
    body = {
        "channel": clean(form.get("channel")) or "",
        "received_at": local_datetime(clean(form.get("received_at"))),
        "complainant": no_nones(
            {
                "name": clean(form.get("complainant.name")) or "",
                "phone": clean(form.get("complainant.phone")),
                "id_number": clean(form.get("complainant.id_number")),
            }
        ),
        "workers": workers,
        "employer": _org_body(form, "employer") or {"name": ""},
        "amount_claimed": clean(form.get("amount_claimed")),
        "description": clean(form.get("description")) or "",
        "group_incident": "group_incident" in form,
        "arrears_ended_at": clean(form.get("arrears_ended_at")),
        "late_entry_reason": clean(form.get("late_entry_reason")),
    }
    mode = form.get("project_mode")
    if mode == "existing":
        body["project_id"] = clean(form.get("project_id")) or ""
    elif mode == "new":
        body["project"] = project_body(form, "project.")
    return no_nones(body), row_of


async def _import_roster(request: Request, session, *, values: dict, rows: int, upload) -> HTMLResponse:
    """The intake form again, its worker rows replaced by the roster's, with a report of each bad cell."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _intake_page(
            request,
            session,
            values=values,
            rows=rows,
            status=422,
            roster={"error": "请先选择要导入的花名册文件（.xlsx）。"},
        )
    data = await upload.read(MAX_ROSTER_BYTES + 1)
    try:
        roster = parse_roster(data)
    except RosterRejected as exc:
        return _intake_page(
            request,
            session,
            values=values,
            rows=rows,
            status=exc.status,
            roster={"file": upload.filename, "error": exc.message_zh},
        )
    if len(roster.rows) > MAX_WORKER_ROWS:
        return _intake_page(
            request,
            session,
            values=values,
            rows=rows,
            status=422,
            roster={
                "file": upload.filename,
                "error": f"花名册有 {len(roster.rows)} 人，网页表单一次最多登记 {MAX_WORKER_ROWS} 人。"
                "请先登记主要投诉人，其余在调查中补充，或由系统管理员通过接口批量登记。",
            },
        )
    values = {key: value for key, value in values.items() if not key.startswith("workers.")}
    index_of = {}
    for index, row in enumerate(roster.rows):
        index_of[row.row] = index
        for key, text in row.values.items():
            values[f"workers.{index}.{key}"] = text
    errors, issues = {}, []
    for issue in roster.issues:
        message = issue.message_zh or validation_message(issue.error or {"type": "", "msg": issue.message})
        if issue.field:
            errors.setdefault(f"workers.{index_of[issue.row]}.{issue.field}", message)
        issues.append(
            {
                "row": issue.row,
                "column": issue.column,
                "message": message,
                "label": ROSTER_HEADERS.get(issue.field or "", ""),
            }
        )
    report = {
        "file": upload.filename,
        "sheet": roster.sheet,
        "total": len(roster.rows),
        "valid": len(roster.workers),
        "issues": issues,
    }
    return _intake_page(request, session, values=values, rows=max(len(roster.rows), 1), errors=errors, roster=report)


def _checks_across_fields(body: dict, jurisdiction) -> dict[str, str]:
    """The checks the case service makes after the form's own (received time, township), run up front so
    that every error of the form shows at once."""
    errors: dict[str, str] = {}
    received = body.get("received_at")
    if received:
        try:
            check_received_at(
                datetime.fromisoformat(received),
                datetime.now(timezone.utc),
                late_entry_reason=body.get("late_entry_reason"),
                limitation=jurisdiction.deadlines["limitation"],
            )
        except ValueError:
            pass  # the form's own validation names it
        except InvalidInput as exc:
            errors["received_at"] = exc.text("zh")
    project = body.get("project")
    if isinstance(project, dict) and project.get("township"):
        try:
            check_township(jurisdiction, project["township"], "project.township")
        except InvalidInput as exc:
            errors["project.township"] = exc.text("zh")
    return errors


@router.post("/cases/new")
async def intake_submit(
    request: Request,
    session: SessionDep,
    user: WebUser,
    form: CheckedForm,
    client: TemporalDep,
    settings: SettingsDep,
    jurisdiction: JurisdictionDep,
) -> Response:
    """Register the complaint; errors are shown next to their fields and nothing is registered."""
    require_registrar(user)
    try:
        rows = min(max(int(form.get("worker_rows") or 3), 1), MAX_WORKER_ROWS)
    except ValueError:
        rows = 3
    values = {key: str(value) for key, value in form.items() if key != CSRF_FIELD and isinstance(value, str)}
    if form.get("op") == "add_row":
        return _intake_page(request, session, values=values, rows=min(rows + 1, MAX_WORKER_ROWS))
    if form.get("op") == "import_roster":
        return await _import_roster(request, session, values=values, rows=rows, upload=form.get("roster"))
    body, row_of = intake_body(form, rows)

    def form_key(key: str) -> str:  # the list index of a worker → the row of the form it came from
        match = re.fullmatch(r"workers\.(\d+)\.(.+)", key)
        return f"workers.{row_of.get(int(match[1]), match[1])}.{match[2]}" if match else key

    early = _checks_across_fields(body, jurisdiction)  # reported with the field errors, in one round
    try:
        data = schemas.CaseCreate.model_validate(body, context=WEB_FORM)
    except ValidationError as exc:
        errors, general = errors_by_field(exc, form_key)
        errors = early | errors
        return _intake_page(request, session, values=values, rows=rows, status=422, errors=errors, general=general)
    if early:
        return _intake_page(request, session, values=values, rows=rows, status=422, errors=early)
    session.commit()  # end the read transaction: hold no connection while the workflow works
    try:
        case_no = await register_case(
            client=client,
            engine=request.app.state.engine,
            body=data,
            user=user,
            jurisdiction=jurisdiction,
            task_queue=settings.task_queue,
            idempotency_key=clean(form.get("idempotency_key")),
        )
    except DomainError as exc:
        name = exc.field.removeprefix("body.") if exc.field else None
        if exc.code == "idempotency_key_reused":
            return _intake_page(request, session, values=values, rows=rows, status=409, general=[INTAKE_REPEATED])
        if name:
            return _intake_page(request, session, values=values, rows=rows, status=422, errors={name: exc.text("zh")})
        return _intake_page(request, session, values=values, rows=rows, status=422, general=[exc.text("zh")])
    expire_reads(session, user)
    record = load_visible_case(session=session, case_no=case_no, user=user)
    lead = unit_namer(jurisdiction)(record.lead_unit)
    if record.outcome == JOINED:  # 有案必接: registered, and joined to the open case about the same matter
        matter = case_state(record).joined_to
        done = (
            f"已受理，案件编号 {case_no}；同一欠薪事项已有案件 {matter} 在办，已并入该案办理。请打印受理回执交投诉人。"
        )
        return redirect(request, f"/cases/{case_no}", done)
    return redirect(request, f"/cases/{case_no}", f"已受理，案件编号 {case_no}，已转办{lead}。请打印受理回执交投诉人。")


@router.get("/cases/new")
def intake_form(request: Request, session: SessionDep, user: WebUser) -> Response:
    """The complaint intake form (受理登记)."""
    require_registrar(user)
    return _intake_page(request, session, values={"idempotency_key": uuid.uuid4().hex}, rows=3)
