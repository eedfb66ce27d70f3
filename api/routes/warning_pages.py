"""Early-warning pages of the web UI (zh-CN): the warnings inbox of a township or industry unit, one
warning with what was done about it, an employer's signals, warnings, reports and cases, a project's
payroll monitoring, employers' reports. Same session cookie, CSRF check and scoping as the API; every
change goes through the same functions as the API's routes (api/routes/warnings.py)."""

from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.deps import JurisdictionDep, SessionDep
from api.routes import reports as report_routes
from api.routes import warnings as warning_routes
from api.web.display import People
from api.web_auth import (
    CSRF_FIELD,
    CheckedForm,
    CsrfFailed,
    LoginRequired,
    WebUser,
    clear_flash,
    login_redirect_url,
    read_flash,
    set_flash,
)
from db.accounts import User, get_project, people
from db.monitoring import list_warnings
from domain import monitoring as rules
from domain.calendar import CHINA_TZ
from domain.errors import DomainError, Forbidden
from domain.jurisdiction import Jurisdiction
from domain.roles import Role

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
ROLE_LABELS = {
    "clerk": "受理登记员",
    "caseworker": "承办人",
    "unit_head": "单位负责人",
    "supervisor": "领导小组办公室",
    "leader": "包案领导",
    "liaison": "联络员",
    "admin": "系统管理员",
}
REGISTRAR_ROLES = {Role.CLERK, Role.CASEWORKER, Role.UNIT_HEAD, Role.SUPERVISOR, Role.ADMIN}


def _cst(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "—" if value is None else value.astimezone(CHINA_TZ).strftime(fmt)


def _yuan(value) -> str:
    return "—" if value in (None, "") else f"{Decimal(str(value)):,.2f}"


_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(cst=_cst, cst_date=lambda v: _cst(v, "%Y-%m-%d"), yuan=_yuan)
_env.globals.update(
    ROLE_LABELS=ROLE_LABELS,
    CSRF_FIELD=CSRF_FIELD,
    KIND_LABELS=rules.KIND_LABELS,
    LEVEL_LABELS=rules.LEVEL_LABELS,
    STATUS_LABELS=rules.STATUS_LABELS,
    SIGNAL_LABELS=rules.SIGNAL_LABELS,
    FINDING_LABELS=rules.FINDING_LABELS,
    ACTION_LABELS={
        "contact": "联系企业",
        "agreement": "达成解决意见",
        "note": "备注",
        "resolve": "化解销号",
        "escalate": "转立案",
    },
)


def _unit_namer(jurisdiction: Jurisdiction):
    def unit_name(code: str | None) -> str:
        unit = jurisdiction.units.get(code or "")
        return unit.name if unit else (code or "—")

    return unit_name


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    state = request.app.state
    jurisdiction: Jurisdiction = state.jurisdiction
    user: User | None = getattr(request.state, "web_user", None)
    html = _env.get_template(template).render(
        path=request.url.path,
        user=user,
        csrf_token=getattr(request.state, "csrf_token", ""),
        flash=read_flash(request, state.settings),
        county=jurisdiction.name,
        system_name=f"{jurisdiction.name}根治拖欠农民工工资案件办理系统",
        unit_name=_unit_namer(jurisdiction),
        can_register=user is not None and user.role in REGISTRAR_ROLES,
        **context,
    )
    response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
    clear_flash(request, response)
    return response


def redirect(request: Request, url: str, flash: str | None = None, kind: str = "ok") -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    if flash:
        set_flash(response, request, request.app.state.settings, flash, kind)
    return response


class PageRoute(APIRoute):
    """Refusals as pages for people: the login redirect, a 403 or 404 page in Chinese."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as exc:
                return RedirectResponse(login_redirect_url(exc.next_path, exc.expired), status_code=303)
            except CsrfFailed:
                return render(
                    request,
                    "error.html",
                    status=403,
                    title="页面已过期",
                    message="表单校验未通过（页面可能已过期）。请返回、刷新页面后重新提交。",
                )
            except Forbidden:
                return render(
                    request,
                    "error.html",
                    status=403,
                    title="无权访问",
                    message="此预警或报告不由您所在单位处置，您无权查看。",
                )
            except LookupError as exc:
                return render(request, "error.html", status=404, title="未找到", message=str(exc))

        return route


router = APIRouter(route_class=PageRoute, include_in_schema=False)


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
        body = warning_routes.SignalIn(**{k: v for k, v in values.items() if v})
        out, opened = await run_in_threadpool(
            warning_routes.store_signals, request.app.state.engine, jurisdiction, [body], user
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
        code = warning_routes.credit_code_of(credit_code)
    except ValueError:
        raise LookupError(f"{credit_code} 不是有效的统一社会信用代码。") from None
    view = warning_routes.employer_view(session=session, jurisdiction=jurisdiction, user=user, credit_code=code)
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
