"""Early-warning pages of the web UI (zh-CN): the warnings inbox of a township or industry unit, one
warning with what was done about it, an employer's signals, warnings, reports and cases, a project's
payroll monitoring, employers' reports. Same session cookie, CSRF check and scoping as the API; every
change goes through the same functions as the API's routes (api/routes/warnings.py)."""

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.case_service import CaseNotFound
from api.deps import JurisdictionDep, SessionDep
from api.routes import reports as report_routes
from api.routes import signals as signal_routes
from api.routes import warnings as warning_routes
from api.web.display import People
from api.web.errors import WebRoute
from api.web.pages import REGISTRAR_ROLES, PageNotFound, error_page, redirect
from api.web.pages import render as web_render
from api.web_auth import (
    CheckedForm,
    WebUser,
)
from db.accounts import get_project, people
from db.monitoring import list_warnings
from domain import monitoring as rules
from domain.errors import DomainError, Forbidden
from domain.roles import Role

# What the warning pages show, besides the labels every page has (api/web/pages.py).
LABELS = {
    "KIND_LABELS": rules.KIND_LABELS,
    "WARNING_LEVEL_LABELS": rules.LEVEL_LABELS,
    "STATUS_LABELS": rules.STATUS_LABELS,
    "SIGNAL_LABELS": rules.SIGNAL_LABELS,
    "FINDING_LABELS": rules.FINDING_LABELS,
    "ACTION_LABELS": {
        "contact": "联系企业",
        "agreement": "达成解决意见",
        "note": "备注",
        "resolve": "化解销号",
        "escalate": "转立案",
    },
}


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """A page of the case workers' layout with the warning pages' labels."""
    return web_render(request, template, status=status, **LABELS, **context)


class WarningPageRoute(WebRoute):
    """The web's refusal pages, with the words of warnings and reports for a refusal or a missing one."""

    def refusal(self, request: Request, exc: Exception) -> Response | None:
        if isinstance(exc, Forbidden):
            return error_page(request, 403, "无权访问", "此预警或报告不由您所在单位处置，您无权查看。")
        if isinstance(exc, LookupError) and not isinstance(exc, (CaseNotFound, PageNotFound)):
            return error_page(request, 404, "未找到", str(exc))
        return super().refusal(request, exc)


router = APIRouter(route_class=WarningPageRoute, include_in_schema=False)


def _message(err: Exception) -> str:
    if isinstance(err, ValidationError):
        return "；".join(f"{'.'.join(str(p) for p in e['loc'])}：{e['msg']}" for e in err.errors())
    if isinstance(err, DomainError):
        return err.message if hasattr(err, "message") else str(err)
    return str(err)


# ---- warnings ------------------------------------------------------------------------------------------


@router.get("/warnings")
def warnings_page(request: Request, session: SessionDep, user: WebUser, status: str | None = None) -> Response:
    status = status if status in ("open", "resolved", "escalated") else None
    rows, total = list_warnings(session=session, status=status, units=warning_routes.warning_units(user))
    return render(
        request,
        "warnings.html",
        warnings=rows,
        total=total,
        filter_status=status,
        signal_kinds=list(rules.SIGNAL_LABELS.items()),
        values={},
        error=None,
        may_record=user.role in REGISTRAR_ROLES,
    )


@router.post("/warnings/signals")
async def signal_submit(request: Request, jurisdiction: JurisdictionDep, user: WebUser, form: CheckedForm) -> Response:
    """The form 登记经营异常信息: one report about an employer, scored as POST /api/signals does."""
    values = {k: str(form.get(k) or "").strip() for k in ("credit_code", "kind", "detail", "employer_name")}
    try:
        if user.role not in REGISTRAR_ROLES:
            raise Forbidden("no")
        body = signal_routes.SignalIn(**{k: v for k, v in values.items() if v})
        out, opened = await run_in_threadpool(
            signal_routes.store_signals, request.app.state.engine, jurisdiction, [body], user
        )
        await warning_routes.start_clocks(request, jurisdiction, opened)
    except (ValidationError, DomainError) as err:
        if isinstance(err, Forbidden):
            raise
        return redirect(request, "/warnings", f"未登记：{_message(err)}", "error")
    signal = out[0]
    text = f"已登记。该企业近期评分 {signal.score}（预警分值 {signal.threshold}）"
    if opened:
        text += f"，已发出预警 #{opened[0].id}"
    return redirect(request, f"/employers/{signal.credit_code}", text + "。")


@router.get("/warnings/{warning_id}")
def warning_page(warning_id: int, request: Request, session: SessionDep, user: WebUser) -> Response:
    from db.monitoring import warning_row

    warning = warning_row(session, warning_id)
    warning_routes.ensure_may_see(user, warning)
    detail = warning_routes.warning_detail(session, warning)
    project = get_project(session=session, project_id=warning.project_id) if warning.project_id else None
    may_act = (
        warning.status == "open"
        and user.role not in (Role.LEADER, Role.LIAISON)
        and datetime.now(timezone.utc) < warning.response_due_at
    )
    actions = detail["actions"] if isinstance(detail, dict) else detail.actions
    actors = {a["actor"] if isinstance(a, dict) else a.actor for a in actions}
    who = People(people(session=session, usernames=actors), request.app.state.jurisdiction)
    return render(request, "warning.html", w=detail, project=project, may_act=may_act, people=who)


@router.post("/warnings/{warning_id}/act")
async def warning_act(warning_id: int, request: Request, user: WebUser, form: CheckedForm) -> Response:
    action = str(form.get("action") or "")
    text = str(form.get("text") or "").strip()
    if action not in warning_routes.WARNING_ACTIONS:
        return redirect(request, f"/warnings/{warning_id}", "请选择处置方式。", "error")
    if not text:
        return redirect(
            request, f"/warnings/{warning_id}", "请填写情况说明（联系了谁、约定了什么、化解的理由）。", "error"
        )
    try:
        await run_in_threadpool(
            warning_routes.act_on_warning, warning_id, action, warning_routes.WarningActionIn(text=text), user, request
        )
    except (ValidationError, DomainError) as err:
        if isinstance(err, Forbidden):
            raise
        return redirect(request, f"/warnings/{warning_id}", f"未办理：{_message(err)}", "error")
    label = warning_routes.WARNING_ACTIONS[action]
    return redirect(request, f"/warnings/{warning_id}", f"已记录：{label}。")


# ---- employers, projects, reports ---------------------------------------------------------------------------


@router.get("/employers/{credit_code}")
def employer_page(
    credit_code: str, request: Request, session: SessionDep, user: WebUser, jurisdiction: JurisdictionDep
) -> Response:
    try:
        code = signal_routes.credit_code_of(credit_code)
    except ValueError:
        raise LookupError(f"{credit_code} 不是有效的统一社会信用代码。") from None
    view = signal_routes.employer_view(session=session, jurisdiction=jurisdiction, user=user, credit_code=code)
    return render(request, "employer.html", e=view)


@router.get("/projects/{project_id}/monitoring")
def project_monitoring_page(
    project_id: int, request: Request, session: SessionDep, user: WebUser, jurisdiction: JurisdictionDep
) -> Response:
    from db.monitoring import ProjectMonitor

    if get_project(session=session, project_id=project_id) is None or session.get(ProjectMonitor, project_id) is None:
        raise LookupError(f"没有编号为 {project_id} 的监控项目。")
    view = warning_routes.get_monitoring(project_id, session, user, jurisdiction)
    units = warning_routes.warning_units(user)
    if units is not None:
        view["warnings"] = [w for w in view["warnings"] if w.township in units or w.unit in units]
    return render(request, "project_monitoring.html", p=view)


@router.get("/reports")
def reports_page(request: Request, session: SessionDep, user: WebUser, jurisdiction: JurisdictionDep) -> Response:
    listing = report_routes.get_reports(session, user, jurisdiction)
    return render(request, "employer_reports.html", reports=listing["items"])


def _sheet_problem(err) -> str:
    from api.monitoring_sheets import SheetRejected

    if isinstance(err, SheetRejected):
        cells = "；".join(f"第{e['row']}行 {e['field']}：{e['message']}" for e in err.errors[:5])
        return f"{err.message}{('：' + cells) if cells else ''}"
    return _message(err)


@router.post("/projects/{project_id}/monitoring/roster")
async def roster_upload(project_id: int, request: Request, user: WebUser, form: CheckedForm) -> Response:
    """The form 导入实名制花名册: the same checks as POST /api/projects/{id}/roster/import."""
    from api.monitoring_sheets import SheetRejected, parse_roster_sheet

    back = f"/projects/{project_id}/monitoring"
    upload = form.get("file")
    if user.role not in REGISTRAR_ROLES:
        raise Forbidden("no")
    if upload is None or not hasattr(upload, "read"):
        return redirect(request, back, "请选择要导入的花名册文件（.xlsx）。", "error")
    try:
        rows = parse_roster_sheet(await upload.read())
        workers = [warning_routes.RosterWorkerIn(**r) for r in rows]
        count = await run_in_threadpool(warning_routes.store_roster, request.app.state.engine, project_id, workers)
    except (SheetRejected, ValidationError, DomainError) as err:
        return redirect(request, back, f"未导入：{_sheet_problem(err)}", "error")
    return redirect(request, back, f"已导入花名册 {count} 人。")


@router.post("/projects/{project_id}/monitoring/payroll")
async def payroll_upload(
    project_id: int, request: Request, jurisdiction: JurisdictionDep, user: WebUser, form: CheckedForm
) -> Response:
    """The form 导入银行代发明细: one period's payroll, checked against the roster as the API does."""
    from api.monitoring_sheets import SheetRejected, parse_payroll_sheet

    back = f"/projects/{project_id}/monitoring"
    upload = form.get("file")
    period = str(form.get("period") or "").strip()
    if user.role not in REGISTRAR_ROLES:
        raise Forbidden("no")
    if upload is None or not hasattr(upload, "read") or not period:
        return redirect(request, back, "请填写期别并选择银行代发明细文件（.xlsx）。", "error")
    try:
        rows = parse_payroll_sheet(await upload.read())
        workers = [warning_routes.PaidWorkerIn(**r) for r in rows]
        body = warning_routes.PayrollIn(
            period=period,
            total=sum((w.amount for w in workers), Decimal(0)),
            workers=workers,
            paid_from=str(form.get("paid_from") or "").strip() or None,
        )
        out = await warning_routes.record_payroll(request, jurisdiction, project_id, body, user)
    except (SheetRejected, ValidationError, DomainError) as err:
        return redirect(request, back, f"未登记：{_sheet_problem(err)}", "error")
    text = f"已登记第{out.period}期工资 {out.total:,.2f} 元（{out.workers}人）"
    if out.findings:
        text += f"，发现{len(out.findings)}项异常，已发出预警 #{out.warning_id}"
    return redirect(request, back, text + "。")
