"""Early warning (预警): warnings, payrolls and rosters of monitored projects.

Employers' signals and pages are in api/routes/signals.py, their own reports in api/routes/reports.py. The clocks are the workflows'
(workflows/project_monitor.py); these routes record facts and act on warnings.
"""

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile, status
from pydantic import BaseModel, Field, StringConstraints
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool

from api import monitoring_service as service
from api.case_views import may_see_personal_data
from api.deps import CurrentUser, JurisdictionDep, SessionDep, get_temporal, require_roles
from api.monitoring_sheets import SheetRejected, parse_payroll_sheet, parse_roster_sheet
from api.schemas import AmountIn, IdNumber
from db.accounts import User, get_project
from db.engine import session_scope
from db.monitoring import (
    EarlyWarning,
    Payroll,
    ProjectMonitor,
    add_payroll,
    close_warning,
    list_warnings,
    payroll_out,
    payrolls_of,
    record_action,
    replace_roster,
    roster_of,
    warning_actions,
    warning_row,
)
from domain import monitoring as rules
from domain.calendar import CHINA_TZ
from domain.errors import Forbidden, InvalidInput, NotAllowedNow
from domain.identity import mask_id
from domain.jurisdiction import Jurisdiction
from domain.monitoring import WarningKind, WarningStatus
from domain.roles import Role

router = APIRouter(tags=["early warning"])

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Recorder = Annotated[
    User, Depends(require_roles(Role.CLERK, Role.CASEWORKER, Role.UNIT_HEAD, Role.SUPERVISOR, Role.ADMIN))
]
SEE_ALL = {Role.SUPERVISOR, Role.LEADER, Role.ADMIN}
LABOUR_INSPECTION = "hrss"  # sees and acts on every warning (co-handles every case)


def _aware(value: datetime | None, field: str, *, now: datetime) -> datetime:
    at = value or now
    if at.tzinfo is None:
        at = at.replace(tzinfo=CHINA_TZ)
    if at > now + timedelta(minutes=2):
        raise InvalidInput(f"{field.split('.')[-1]} is in the future", field=field)
    return at.astimezone(timezone.utc)


def warning_units(user: User) -> list[str] | None:
    """The townships and units whose warnings the user sees; None: every warning."""
    if user.role in SEE_ALL or user.unit == LABOUR_INSPECTION:
        return None
    return [user.unit]


def ensure_may_see(user: User, warning: EarlyWarning) -> None:
    units = warning_units(user)
    if units is not None and warning.township not in units and warning.unit not in units:
        raise Forbidden(
            f"warning {warning.id} is for {warning.township or '-'} / {warning.unit or '-'}, "
            f"not your unit ({user.unit})"
        )


async def start_clocks(request: Request, jurisdiction: Jurisdiction, warnings: list[EarlyWarning]) -> None:
    if not warnings:
        return
    client = await get_temporal(request)
    for warning in warnings:
        await service.start_warning_clock(
            client, jurisdiction=jurisdiction, warning=warning, task_queue=request.app.state.settings.task_queue
        )


# ---- warnings ------------------------------------------------------------------------------------------


class WarningOut(BaseModel):
    id: int
    kind: str
    kind_label: str
    project_id: int | None
    credit_code: str | None
    employer_name: str | None
    township: str | None
    unit: str | None
    period: str | None
    level: str
    level_label: str
    reason: str
    amount: Decimal | None
    opened_at: datetime
    response_due_at: datetime
    status: str
    status_label: str
    closed_at: datetime | None
    resolution: str | None
    case_no: str | None


class WarningList(BaseModel):
    items: list[WarningOut]
    total: int


class WarningActionOut(BaseModel):
    at: datetime
    actor: str
    kind: str
    text: str


class WarningDetail(WarningOut):
    actions: list[WarningActionOut]


def warning_out(w: EarlyWarning) -> WarningOut:
    return WarningOut(
        id=w.id,
        kind=w.kind,
        kind_label=rules.KIND_LABELS.get(w.kind, w.kind),
        project_id=w.project_id,
        credit_code=w.credit_code,
        employer_name=w.employer_name,
        township=w.township,
        unit=w.unit,
        period=w.period,
        level=w.level,
        level_label=rules.LEVEL_LABELS.get(w.level, w.level),
        reason=w.reason,
        amount=w.amount,
        opened_at=w.opened_at,
        response_due_at=w.response_due_at,
        status=w.status,
        status_label=rules.STATUS_LABELS.get(w.status, w.status),
        closed_at=w.closed_at,
        resolution=w.resolution,
        case_no=w.case_no,
    )


def warning_detail(session: Session, w: EarlyWarning) -> WarningDetail:
    actions = [
        WarningActionOut(at=a.at, actor=a.actor, kind=a.kind, text=a.text)
        for a in warning_actions(session=session, warning_id=w.id)
    ]
    return WarningDetail(**warning_out(w).model_dump(), actions=actions)


@router.get("/api/warnings", summary="Warnings (预警) the user's township or unit sees")
def get_warnings(
    session: SessionDep,
    user: CurrentUser,
    status_: Annotated[Literal["open", "resolved", "escalated"] | None, Query(alias="status")] = None,
    project_id: Annotated[int | None, Query(ge=1)] = None,
    credit_code: str | None = None,
    case_no: Annotated[str | None, Query(description="the warning a case was registered from")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> WarningList:
    """Newest first. Supervisors and labour inspection see every warning; a township or an industry unit
    the warnings addressed to it."""
    rows, total = list_warnings(
        session=session,
        status=status_,
        units=warning_units(user),
        project_id=project_id,
        credit_code=credit_code,
        case_no=case_no,
        limit=limit,
        offset=offset,
    )
    return WarningList(items=[warning_out(w) for w in rows], total=total)


@router.get("/api/warnings/{warning_id}", summary="One warning with what was done about it")
def get_warning(warning_id: int, session: SessionDep, user: CurrentUser) -> WarningDetail:
    warning = _warning_or_404(session, warning_id)
    ensure_may_see(user, warning)
    return warning_detail(session, warning)


class WarningActionIn(BaseModel):
    text: Text


WARNING_ACTIONS = {"contact": "联系企业", "agreement": "达成解决意见", "note": "备注", "resolve": "化解销号"}


@router.post("/api/warnings/{warning_id}/actions/{action}", summary="Act on a warning")
def act_on_warning(
    warning_id: int,
    action: Literal["contact", "agreement", "note", "resolve"],
    body: WarningActionIn,
    user: CurrentUser,
    request: Request,
) -> WarningDetail:
    """`contact` (the employer was contacted), `agreement` (what was agreed), `note`, `resolve` (closed with
    a reason). Only an open warning can be acted on (409); resolving after the response deadline is
    refused, because the warning is then being registered as a case."""
    if user.role in (Role.LEADER, Role.LIAISON):
        raise Forbidden(f"the role {user.role} does not act on warnings")
    now = datetime.now(timezone.utc)
    with session_scope(request.app.state.engine) as session:
        warning = _warning_or_404(session, warning_id)
        ensure_may_see(user, warning)
        if warning.status != WarningStatus.OPEN.value:
            raise NotAllowedNow(
                f"warning {warning_id} is {warning.status}"
                + (f"; its case is {warning.case_no}" if warning.case_no else "")
            )
        if action == "resolve":
            if now >= warning.response_due_at:
                raise NotAllowedNow(
                    f"warning {warning_id} passed its response deadline and is being registered "
                    "as a case; act on the case instead"
                )
            close_warning(
                session=session,
                warning=warning,
                status=WarningStatus.RESOLVED,
                by=user.username,
                text=body.text,
                at=now,
            )
        else:
            record_action(session=session, warning=warning, actor=user.username, kind=action, text=body.text, at=now)
        session.flush()
        return warning_detail(session, warning)


def _warning_or_404(session: Session, warning_id: int) -> EarlyWarning:
    try:
        return warning_row(session, warning_id)
    except LookupError:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=f"no warning with id {warning_id}") from None


def warning_counts_by_township(session: Session) -> dict[str, dict[str, int]]:
    """For the dashboard: {township: {open, resolved, escalated}} (db.monitoring)."""
    from db.monitoring import warning_counts_by_township as counts

    return counts(session=session)


# ---- rosters and payrolls ------------------------------------------------------------------------------


class RosterWorkerIn(BaseModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    id_number: IdNumber
    trade: Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=50)] = None
    bank_account: Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=40)] = None
    agreed_wage: AmountIn | None = Field(default=None, description="agreed monthly wage, yuan")


class RosterIn(BaseModel):
    workers: list[RosterWorkerIn] = Field(min_length=1, max_length=5000)


def _monitored(session: Session, project_id: int) -> ProjectMonitor:
    if get_project(session=session, project_id=project_id) is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=f"no project with id {project_id}")
    monitor = session.get(ProjectMonitor, project_id)
    if monitor is None:
        raise NotAllowedNow(f"project {project_id} is not under payroll monitoring")
    return monitor


def store_roster(engine, project_id: int, workers: list[RosterWorkerIn]) -> int:
    seen: dict[str, int] = {}
    for index, w in enumerate(workers):
        if w.id_number in seen:
            raise InvalidInput(
                f"ID number {w.id_number[:6]}… is listed twice (rows {seen[w.id_number] + 1} and {index + 1})",
                field=f"body.workers.{index}.id_number",
            )
        seen[w.id_number] = index
    with session_scope(engine) as session:
        _monitored(session, project_id)
        return replace_roster(session=session, project_id=project_id, workers=[w.model_dump() for w in workers])


@router.put("/api/projects/{project_id}/roster", summary="Set a project's real-name roster (实名制花名册)")
async def put_roster(project_id: int, body: RosterIn, request: Request, _user: Recorder) -> dict:
    count = await run_in_threadpool(store_roster, request.app.state.engine, project_id, body.workers)
    return {"project_id": project_id, "workers": count}


@router.post("/api/projects/{project_id}/roster/import", summary="Import the roster from .xlsx")
async def import_roster(project_id: int, request: Request, _user: Recorder, file: UploadFile = File(...)) -> dict:
    """Columns 姓名, 身份证号, 工种, 工资卡号, 约定工资 (header within the first rows); every row checked;
    errors by row and column, nothing stored unless every row is right (422)."""
    rows = _sheet_or_422(parse_roster_sheet, await file.read())
    workers = [RosterWorkerIn(**r) for r in rows]
    count = await run_in_threadpool(store_roster, request.app.state.engine, project_id, workers)
    return {"project_id": project_id, "workers": count}


class PaidWorkerIn(BaseModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    id_number: IdNumber | None = None
    amount: AmountIn


class PayrollIn(BaseModel):
    period: str | int = Field(description="the month paid for, e.g. 2026-11, or the number of a drill period (1, 2, …)")
    paid_at: datetime | None = Field(default=None, description="when the bank paid; default now")
    total: AmountIn
    workers: list[PaidWorkerIn] = Field(default_factory=list, max_length=5000)
    paid_from: Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=40)] = Field(
        default=None, description="the account the bank paid from; default the project's special account"
    )


class PayrollOut(BaseModel):
    id: int
    project_id: int
    period: str
    period_index: int
    paid_at: datetime
    total: Decimal
    paid_from: str | None
    workers: int
    findings: list[dict]
    warning_id: int | None = None
    resolved_warnings: list[int] = []


def _store_payroll(engine, jurisdiction: Jurisdiction, project_id: int, body: PayrollIn, user: User):
    now = datetime.now(timezone.utc)
    paid_at = _aware(body.paid_at, "body.paid_at", now=now)
    with session_scope(engine) as session:
        monitor = _monitored(session, project_id)
        project = get_project(session=session, project_id=project_id)
        cycle = jurisdiction.rule(rules.PAYROLL_CYCLE)
        index = rules.period_index(cycle, monitor.works_started_at, body.period)
        period = rules.period(cycle, monitor.works_started_at, index, monitor.payday, service.calendar_of(jurisdiction))
        roster = [
            rules.RosterEntry(w.name, w.id_number, w.agreed_wage)
            for w in roster_of(session=session, project_id=project_id)
        ]
        lines = [rules.PaidLine(w.name, w.id_number, w.amount) for w in body.workers]
        paid_from = body.paid_from or monitor.account_no
        findings = rules.payroll_findings(
            roster=roster,
            lines=lines,
            total=body.total,
            paid_from=paid_from,
            special_account=monitor.account_no,
            underpaid_percent=jurisdiction.monitoring.underpaid_percent,
        )
        payroll = add_payroll(
            session=session,
            payroll=Payroll(
                project_id=project_id,
                period=period.label,
                period_index=index,
                paid_at=paid_at,
                total=body.total,
                paid_from=paid_from,
                workers=len(lines),
                recorded_by=user.username,
                findings=json.dumps([f.__dict__ for f in findings], ensure_ascii=False),
                lines=json.dumps(
                    [{"name": w.name, "id_number": w.id_number, "amount": str(w.amount)} for w in lines],
                    ensure_ascii=False,
                ),
            ),
        )
        # A payroll that comes late settles the period's payroll_missing warning, if it is still open.
        resolved = []
        for w in session.exec(
            select(EarlyWarning).where(
                EarlyWarning.source_key == f"payroll_missing:{project_id}:{index}",
                EarlyWarning.status == WarningStatus.OPEN.value,
            )
        ):
            close_warning(
                session=session,
                warning=w,
                status=WarningStatus.RESOLVED,
                by=user.username,
                at=now,
                text=f"第{period.label}期工资表已报送（{body.total:.2f}元，{len(lines)}人）",
            )
            resolved.append(w.id)
        opened = None
        if findings:
            text = "；".join(f"{rules.FINDING_LABELS[f.kind]}：{f.text}" for f in findings[:10])
            opened, new = service.open_project_warning(
                session=session,
                jurisdiction=jurisdiction,
                project=project,
                kind=WarningKind.PAYROLL_FINDINGS,
                source_key=f"payroll_findings:{project_id}:{index}",
                level=rules.findings_level(findings),
                period=period.label,
                now=now,
                reason=f"第{period.label}期工资发放异常：{text}",
                amount=_short_amount(roster, lines),
            )
        session.flush()
        return payroll, opened, resolved


def _short_amount(roster: list[rules.RosterEntry], lines: list[rules.PaidLine]) -> Decimal | None:
    paid = {line.id_number: line.amount for line in lines if line.id_number}
    short = sum(
        (
            w.agreed_wage - paid.get(w.id_number, Decimal(0))
            for w in roster
            if w.agreed_wage and paid.get(w.id_number, Decimal(0)) < w.agreed_wage
        ),
        Decimal(0),
    )
    return short or None


async def record_payroll(
    request: Request, jurisdiction: Jurisdiction, project_id: int, body: PayrollIn, user: User
) -> PayrollOut:
    if not service.monitoring_enabled(jurisdiction):
        raise NotAllowedNow(f"{jurisdiction.name} has no payroll rules (payroll_cycle) in its jurisdiction file")
    payroll, warning, resolved = await run_in_threadpool(
        _store_payroll, request.app.state.engine, jurisdiction, project_id, body, user
    )
    if warning is not None:
        await start_clocks(request, jurisdiction, [warning])
    out = payroll_out(payroll)
    return PayrollOut(**out, warning_id=warning.id if warning else None, resolved_warnings=resolved)


@router.post(
    "/api/projects/{project_id}/payrolls",
    status_code=status.HTTP_201_CREATED,
    summary="Record a payroll paid for a pay period",
)
async def post_payroll(
    project_id: int, body: PayrollIn, request: Request, jurisdiction: JurisdictionDep, user: Recorder
) -> PayrollOut:
    """Checked against the roster: roster workers missing, people not on the roster, amounts below the
    jurisdiction's share of the agreed wage, a payment not from the special account, a total that is
    not the sum of the lines. Findings open a `payroll_findings` warning. One payroll per period (409)."""
    return await record_payroll(request, jurisdiction, project_id, body, user)


@router.post(
    "/api/projects/{project_id}/payrolls/import",
    status_code=status.HTTP_201_CREATED,
    summary="Import the bank's 代发 record (.xlsx) as a period's payroll",
)
async def import_payroll(
    project_id: int,
    request: Request,
    jurisdiction: JurisdictionDep,
    user: Recorder,
    period: Annotated[str, Form()],
    file: UploadFile = File(...),
    paid_from: Annotated[str | None, Form()] = None,
) -> PayrollOut:
    """Columns 姓名, 身份证号, 实发金额 (or 金额); the total is the sum of the rows."""
    rows = _sheet_or_422(parse_payroll_sheet, await file.read())
    workers = [PaidWorkerIn(**r) for r in rows]
    total = sum((w.amount for w in workers), Decimal(0))
    body = PayrollIn(period=period, total=total, workers=workers, paid_from=paid_from or None)
    return await record_payroll(request, jurisdiction, project_id, body, user)


@router.get("/api/projects/{project_id}/monitoring", summary="A project's monitoring: periods, payrolls, warnings")
def get_monitoring(project_id: int, session: SessionDep, user: CurrentUser, jurisdiction: JurisdictionDep) -> dict:
    monitor = _monitored(session, project_id)
    project = get_project(session=session, project_id=project_id)
    rows, _ = list_warnings(session=session, project_id=project_id, units=warning_units(user))
    unmasked = may_see_personal_data(user)
    id_out = (lambda v: v) if unmasked else mask_id
    return {
        "project_id": project_id,
        "name": project.name,
        "township": project.township,
        "industry_unit": service.industry_unit(jurisdiction, project),
        "works_started_at": monitor.works_started_at,
        "payday": monitor.payday,
        "special_account": {"bank": monitor.account_bank, "account_no": monitor.account_no},
        "first_period": monitor.first_period,
        "next_period": monitor.next_period,
        "next_check_at": monitor.next_check_at,
        "periods_missed": monitor.periods_missed,
        "permit_gate": service.permit_gate(session=session, jurisdiction=jurisdiction, project=project),
        "roster": [
            {
                "name": w.name,
                "id_number": id_out(w.id_number),
                "trade": w.trade,
                "bank_account": w.bank_account if unmasked else _mask_account(w.bank_account),
                "agreed_wage": w.agreed_wage,
            }
            for w in roster_of(session=session, project_id=project_id)
        ],
        "payrolls": [payroll_out(p) for p in payrolls_of(session=session, project_id=project_id)],
        "warnings": [warning_out(w) for w in rows],
    }


def _mask_account(value: str | None) -> str | None:
    return None if not value else f"****{value[-4:]}"


def _sheet_or_422(parse, data: bytes) -> list[dict]:
    try:
        return parse(data)
    except SheetRejected as err:
        raise HTTPException(status_code=err.status, detail={"message": err.message, "errors": err.errors}) from None
