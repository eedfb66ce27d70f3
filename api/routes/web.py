"""The case workers' web UI: server-rendered pages in zh-CN on the same services as the JSON API.

Pages read the database projection (db/) and change cases only through api.case_service
(register_case, perform_action), with the same unit scoping as the API. Every form works without
JavaScript; the action forms on a case page are generated from api.schemas.ACTION_BODIES, so a new
action appears here as soon as it is in that table and in the case's pending actions.
"""

import importlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum
from functools import cache
from pathlib import Path
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import jinja2
from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile

from activities.cases import CHANNEL_LABELS
from api import schemas
from api.case_service import (
    CaseNotFound,
    actor_of,
    case_detail,
    check_township,
    load_visible_case,
    perform_action,
    register_case,
    summary_of,
    visible_units,
)
from api.deps import JurisdictionDep, SessionDep, SettingsDep, TemporalDep
from api.params import parse_number
from api.routes.cases import document_pdf, jurisdiction_calendar
from api.routes.office import MONTH_PATTERN, export_case_list, monthly_report_xlsx, xlsx_response
from api.spreadsheets import MAX_ROSTER_BYTES, ROSTER_HEADERS, RosterRejected, parse_roster, roster_template
from api.throttle import count_login_attempt, note_login
from api.web_auth import (
    CSRF_FIELD,
    CheckedForm,
    CsrfFailed,
    LoginRequired,
    WebUser,
    clear_flash,
    end_session,
    get_web_user,
    login_csrf_ok,
    login_redirect_url,
    new_login_csrf,
    read_flash,
    safe_next,
    set_flash,
    set_login_csrf,
    start_session,
)
from db import reports
from db.accounts import ProjectCreate, User, authenticate, create_project, get_project, list_projects
from db.cases import case_state, case_stats, get_document, list_cases
from documents.pdf import PdfUnavailable, pdf_available
from domain import lifecycle
from domain.calendar import CHINA_TZ, WorkCalendar, working_days_between
from domain.errors import DomainError, Forbidden, InvalidInput, NotAllowedNow
from domain.jurisdiction import Jurisdiction
from domain.lifecycle import DEADLINE_LABELS, LEVEL_LABELS, OUTCOME_LABELS, PARTY_LABELS, STAGE_LABELS
from domain.model import CaseState, Stage
from domain.roles import Role
from domain.routing import LAND_TYPES, PROJECT_TYPES

HERE = Path(__file__).resolve().parent.parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

PAGE_SIZE = 20
MAX_WORKER_ROWS = 200
REGISTRAR_ROLES = {Role.CLERK, Role.CASEWORKER, Role.UNIT_HEAD, Role.SUPERVISOR, Role.ADMIN}  # as the API's
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # pages carry personal data
}

ROLE_LABELS = {
    "clerk": "受理员", "caseworker": "承办人", "unit_head": "单位负责人", "supervisor": "领导小组办公室",
    "leader": "包案领导", "liaison": "联络员", "admin": "系统管理员",
}
DEADLINE_STATUS_LABELS = {"open": "进行中", "met": "已按期办结", "missed": "已逾期", "cancelled": "已取消"}
ACTION_LABELS = {
    "accept": "签收受理", "transfer": "转送其他单位", "findings": "调查认定", "order_payment": "责令限期支付",
    "record_payment": "登记支付", "extend_investigation": "延长调查期限", "close": "结案", "note": "添加备注",
    "report_absconded": "报告欠薪逃匿", "approve_police_referral": "批准移送公安",
    "reject_police_referral": "不批准移送公安", "transfer_to_police": "登记已移送公安",
    "police_decision": "登记公安立案决定", "request_reconsideration": "提请公安复议",
    "request_supervision": "提请检察院立案监督", "serve_court_reminder": "送达催告书",
    "court_application": "申请法院强制执行", "court_accepted": "登记法院受理", "court_ruling": "登记法院裁定",
    "court_outcome": "登记法院执行到位金额", "confirm_deposit_payout": "确认保证金已支付",
    "deposit_replenished": "登记保证金已补足", "assign_leader": "指定包案领导",
    "advance_emergency_fund": "应急周转金垫付", "recover_emergency_fund": "登记应急周转金收回",
    "worker_route": "登记仲裁、支付令或法律援助",
}
# Shown after the actions that move the case along its main line.
SECONDARY_ACTIONS = ("worker_route", "report_absconded", "advance_emergency_fund", "recover_emergency_fund",
                     "assign_leader",
                     "transfer", "extend_investigation", "close", "note")
ACTION_HINTS = {
    "accept": "确认由本单位承办，开始计算调查处理期限。",
    "transfer": "不属本单位职责的，转送有权处理的单位（首问负责制）；不选单位则退回领导小组办公室。",
    "findings": "记录调查结论；认定属实的须写明责任主体和拖欠金额。",
    "order_payment": "向责任主体送达限期改正指令书；期限留空则按规定期限。",
    "record_payment": "登记已实际支付给农民工的工资；全部付清后自动结案。",
    "extend_investigation": "情况复杂的，经批准可延长调查期限（劳动保障监察条例第十七条）。",
    "close": "办结案件并告知投诉人处理结果。",
    "note": "记入办理经过，不改变案件状态。",
    "report_absconded": "用人单位欠薪逃匿或拒不配合调查的，直接提出移送公安。",
    "approve_police_referral": "批准后出具涉嫌犯罪案件移送书（行政执法机关移送涉嫌犯罪案件的规定 第五条）。",
    "reject_police_referral": "不批准移送的，转入申请法院强制执行。",
    "transfer_to_police": "移送书及案卷材料送达公安机关后登记。",
    "police_decision": "公安机关自接受移送之日起3日内作出立案或不予立案决定。",
    "request_reconsideration": "对不予立案决定有异议的，3日内提请复议。",
    "request_supervision": "公安机关复议后仍不立案的，提请检察院立案监督。",
    "serve_court_reminder": "申请法院强制执行前，先行送达催告书（行政强制法 第五十四条）。",
    "court_application": "催告期满仍未履行的，申请人民法院强制执行。",
    "confirm_deposit_payout": "银行已从工资保证金中向农民工支付后登记。",
    "deposit_replenished": "施工总承包单位已补足工资保证金后登记（同时在项目保证金台账登记存入）。",
    "assign_leader": "重大欠薪案件由县领导包案，定期调度直至结案。",
    "advance_emergency_fund": "应急周转金先行垫付工资或基本生活费（保障农民工工资支付条例）。",
    "recover_emergency_fund": "责任主体归还应急周转金后登记。",
    "worker_route": "农民工自行申请劳动仲裁（绿色通道）、支付令或法律援助的，登记各环节并计算法定期限。",
}
FIELD_LABELS = {
    "to_unit": "转送至", "reason": "理由", "substantiated": "投诉事项是否属实", "liable_party": "责任主体",
    "amount_owed": "认定拖欠金额（元）", "facts": "认定事实", "amount": "金额（元）", "due_at": "支付期限",
    "payer": "支付方", "reference": "支付凭证号", "working_days": "延长工作日数", "outcome": "结案结果",
    "text": "备注内容", "filed": "是否立案", "amount_enforced": "执行到位金额（元）", "bank": "开户银行",
    "months_unpaid": "最长欠薪月数", "granted": "法院裁定", "leader": "包案领导（职务）", "purpose": "垫付用途",
    "route": "途径", "event": "环节", "final_award": "一裁终局", "advance_execution": "先予执行", "note": "说明",
}
# Where one action names a field differently from the others.
ACTION_FIELD_LABELS = {
    ("transfer_to_police", "reference"): "公安机关接收回执号",
    ("confirm_deposit_payout", "reference"): "银行支付凭证号",
    ("police_decision", "reason"): "不予立案理由",
    ("court_ruling", "reason"): "裁定理由",
}
FIELD_HELP = {
    "to_unit": "不选则退回领导小组办公室",
    "due_at": "留空则按规定期限",
    "reference": "银行转账或收据号码；同一凭证不能重复登记",
    "amount_owed": "如 36000.00",
    "months_unpaid": "与金额一起决定是否达到拒不支付劳动报酬罪的追诉标准",
    "leader": "填写职务，如 县政府分管副县长，不填姓名",
}
BOOL_LABELS = {"substantiated": ("属实", "不属实"), "filed": ("已立案", "不予立案"),
               "granted": ("准予执行", "不予执行")}
VALUE_LABELS: dict[str, str] = {**{str(k): v for k, v in PARTY_LABELS.items()}, **OUTCOME_LABELS,
                                **CHANNEL_LABELS, "wages": "垫付工资", "living": "基本生活费",
                                "arbitration": "劳动仲裁", "payment_order": "支付令", "legal_aid": "法律援助",
                                "applied": "提出申请", "accepted": "已受理", "rejected": "不予受理",
                                "awarded": "已裁决", "served": "已送达", "objected": "债务人异议",
                                "effective": "已生效", "requested": "申请援助", "granted": "已指派"}

# The milestones (domain.model.CaseState) that show a case reached each stage.
STAGE_MILESTONES = {
    Stage.REFERRED: ("referred_at",), Stage.INVESTIGATING: ("accepted_at",),
    Stage.PAYMENT_ORDERED: ("order_served_at",), Stage.DEPOSIT_DRAWDOWN: ("deposit_drawn_at",),
    Stage.POLICE_REFERRED: ("police_proposed_at", "police_referred_at"),
    Stage.COURT_ENFORCEMENT: ("court_reminded_at", "court_filed_at"), Stage.CLOSED: ("closed_at",),
}
FORMAT_HINTS = {
    "id_number": "身份证号码应为18位，最后一位可以是X",
    "phone": "电话号码只能包含数字、空格、+ 和 -（5至20位）",
    "credit_code": "统一社会信用代码为18位数字或大写字母（不含I、O、S、V、Z）",
}
# Messages of the domain and schemas, said in Chinese (anything not listed is shown as it is).
MESSAGES_ZH = [
    (r"resident ID number fails its check character", "身份证号码校验位不正确，可能有数字输入错误"),
    (r"15-digit resident ID numbers", "15位旧身份证号码已停用，请填写18位号码"),
    (r"resident ID number \(身份证号码\) is 17 digits .*; got (\d+) characters",
     "身份证号码应为18位（17位数字加一位数字或X），现为 {0} 位"),
    (r"first 17 characters must be digits", "身份证号码前17位必须是数字"),
    (r"resident ID number cannot start with 0", "身份证号码不能以0开头"),
    (r"(\d{8}) is not a date", "身份证号码中的出生日期 {0} 不是有效日期"),
    (r"birth date in this resident ID number .* is in the future", "身份证号码中的出生日期晚于今天"),
    (r"birth date in this resident ID number .* is before", "身份证号码中的出生日期过早，请核对"),
    (r"unified social credit code \(统一社会信用代码\) is 18 characters; got (\d+)",
     "统一社会信用代码应为18位，现为 {0} 位"),
    (r"unified social credit code fails its check character", "统一社会信用代码校验位不正确，可能有字符输入错误"),
    (r"phone number must be a mobile number", "电话号码格式不正确：手机号为11位，固定电话须带区号（如 0350-5221234）"),
    (r"received_at is in the future", "收到投诉的时间不能晚于当前时间"),
    (r"amount (\S+) exceeds the (\S+) still owed", "金额 {0} 元超过尚欠的 {1} 元"),
    (r"amount_owed (\S+) is less than the (\S+) already recovered", "认定金额 {0} 元少于已追回的 {1} 元"),
    (r"due_at must be in the future", "期限必须晚于当前时间"),
    (r"a payment with reference '(.*)' is already recorded", "凭证号 {0} 已登记过，不能重复登记"),
    (r"is still owed; the case is not paid in full", "尚有欠款未付清，不能以“已足额支付”结案"),
    (r"record substantiated findings before ordering payment", "请先作出投诉属实的调查认定，再责令支付"),
    (r"record findings that the complaint is not substantiated", "请先作出投诉不属实的调查认定"),
    (r"is not possible while the case is", "案件当前所处阶段不能办理此事项"),
    (r"does not lead this case", "您所在单位不是本案的承办单位，不能办理此事项"),
    (r"role '\w+' may not", "您的角色无权办理此事项"),
    (r"is closed and archived", "案件已结案归档，不能再办理"),
    (r"extended by at most", "调查期限延长累计不得超过规定的工作日（劳动保障监察条例第十七条）"),
    (r"the case is already led by", "案件已由该单位承办"),
    (r"is not a township of", "请选择本县的乡镇"),
    (r"there is no project", "所选项目不存在"),
    (r"is not a unit of", "请选择本县的单位"),
    (r"substantiated findings need liable_party and amount_owed", "认定属实的，须选择责任主体并填写认定拖欠金额"),
    (r"give either project_id or project", "请选择已登记的项目或填写新项目，不能同时两者"),
    (r"unified social credit code", FORMAT_HINTS["credit_code"]),
    (r"unknown project type", "请选择项目类型"),
    (r"unknown land type", "请选择土地性质"),
    (r"findings cannot change after an order", "已下达限期支付指令，调查认定不能再修改"),
    (r"no running investigation clock", "没有正在计算的调查期限，无法延长"),
    (r"a refusal to file needs its reason", "不予立案的，须填写理由"),
]


class PageForbidden(Exception):
    """The user's role may not use this page; the message is for the user (zh-CN)."""


class PageNotFound(Exception):
    """There is nothing at this address; the message is for the user (zh-CN)."""


# ---- templates, responses -------------------------------------------------------------------------


def _cst(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(CHINA_TZ).strftime(fmt) if value else "—"


def _yuan(value: Decimal | int | float | str | None) -> str:
    if value is None or value == "":
        return "—"
    return f"{Decimal(str(value)):,.2f}"


def _percent(value: float | Decimal | None) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f}%"


_env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                          undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_env.filters.update(cst=_cst, cst_date=lambda v: _cst(v, "%Y-%m-%d"), yuan=_yuan, percent=_percent,
                    iso_cst=lambda v: _cst(datetime.fromisoformat(v)) if v else "—")
_env.globals.update(STAGE_LABELS=STAGE_LABELS, DEADLINE_LABELS=DEADLINE_LABELS, LEVEL_LABELS=LEVEL_LABELS,
                    DEADLINE_STATUS_LABELS=DEADLINE_STATUS_LABELS, ROLE_LABELS=ROLE_LABELS,
                    ACTION_LABELS=ACTION_LABELS, VALUE_LABELS=VALUE_LABELS, PARTY_LABELS=PARTY_LABELS,
                    CHANNEL_LABELS=CHANNEL_LABELS, PROJECT_TYPES=PROJECT_TYPES, LAND_TYPES=LAND_TYPES,
                    CSRF_FIELD=CSRF_FIELD)


def _unit_namer(jurisdiction: Jurisdiction):
    def unit_name(code: str | None) -> str:
        if not code or code == "-":
            return "—"
        unit = jurisdiction.units.get(code)
        return unit.name if unit else code
    return unit_name


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """An HTML page from a template, with the header, navigation and any flash message filled in."""
    app_state = request.app.state
    jurisdiction: Jurisdiction = app_state.jurisdiction
    user: User | None = getattr(request.state, "web_user", None)
    html = _env.get_template(template).render(
        path=request.url.path, user=user, csrf_token=getattr(request.state, "csrf_token", ""),
        flash=read_flash(request, app_state.settings), county=jurisdiction.name,
        system_name=f"{jurisdiction.name}根治拖欠农民工工资案件办理系统",
        unit_name=_unit_namer(jurisdiction), can_register=user is not None and user.role in REGISTRAR_ROLES,
        **context)
    response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
    clear_flash(request, response)
    return response


def redirect(request: Request, url: str, flash: str | None = None, kind: str = "ok") -> RedirectResponse:
    """A 303 redirect (after a POST), optionally showing `flash` on the next page."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        set_flash(response, request, request.app.state.settings, flash, kind)
    return response


def _error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return render(request, "error.html", status=status, title=title, message=message)


class WebRoute(APIRoute):
    """A route whose refusals are pages for people: a login redirect, or a 403/404 page in Chinese."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as exc:
                if request.method == "GET" and request.url.path == "/" and not exc.expired:
                    return _login_page(request, next_path="/")  # the front door is the login page itself
                return RedirectResponse(login_redirect_url(exc.next_path, exc.expired), status_code=303)
            except CsrfFailed:
                return _error_page(request, 403, "页面已过期", "表单校验未通过（页面可能已过期）。请返回、刷新页面后重新提交。")
            except PageForbidden as exc:
                return _error_page(request, 403, "无权访问", str(exc))
            except Forbidden:
                user = getattr(request.state, "web_user", None)
                unit = _unit_namer(request.app.state.jurisdiction)(user.unit) if user else ""
                return _error_page(request, 403, "无权查看此案件",
                                   f"此案件不由您所在单位（{unit}）承办或协办，您无权查看。")
            except CaseNotFound as exc:
                return _error_page(request, 404, "未找到案件", f"没有编号为 {exc} 的案件。")
            except PageNotFound as exc:
                return _error_page(request, 404, "未找到", str(exc))

        return route


router = APIRouter(route_class=WebRoute, include_in_schema=False)


def zh_message(message: str) -> str:
    """A domain or validation message in Chinese where it is known; otherwise as it is."""
    for pattern, text in MESSAGES_ZH:
        match = re.search(pattern, message)
        if match:
            return text.format(*match.groups())
    return message


def _validation_message(error: dict) -> str:
    """One pydantic error in Chinese."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    loc = error.get("loc") or ()
    last = str(loc[-1]) if loc else ""
    if kind in ("missing", "string_too_short"):
        return "必填"
    if kind == "too_short":
        return "至少填写一名农民工" if last == "workers" else "至少填写一项"
    if kind == "string_too_long":
        return f"不能超过 {ctx.get('max_length')} 个字"
    if kind == "string_pattern_mismatch":
        return FORMAT_HINTS.get(last, "格式不正确")
    if kind in ("decimal_parsing", "decimal_type", "float_parsing", "finite_number"):
        return "请填写金额（元），如 36000.00"
    if kind == "decimal_max_places":
        return "金额最多保留两位小数"
    if kind in ("decimal_max_digits", "decimal_whole_digits"):
        return "金额过大"
    if kind == "greater_than":
        return f"必须大于 {ctx.get('gt')}"
    if kind == "greater_than_equal":
        return f"不能小于 {ctx.get('ge')}"
    if kind in ("less_than_equal", "less_than"):
        return f"不能大于 {ctx.get('le', ctx.get('lt'))}"
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return "请填写整数"
    if kind in ("bool_parsing", "bool_type"):
        return "请选择"
    if kind.startswith(("datetime", "date", "timezone")):
        return "请填写正确的日期和时间"
    if kind in ("enum", "literal_error"):
        return "请从列表中选择"
    return zh_message(str(error.get("msg", "")).removeprefix("Value error, "))


def _errors_by_field(exc: ValidationError, rename=None, empty: tuple[str, ...] = ()) -> tuple[dict[str, str], list[str]]:
    """Field errors keyed by dotted path ('complainant.id_number'), and errors of the form as a whole.

    An error of the whole body that names some of the `empty` fields (e.g. "substantiated findings need
    liable_party and amount_owed") is shown at those fields instead.
    """
    fields: dict[str, str] = {}
    general: list[str] = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc") or ()]
        key = ".".join(loc)
        if rename is not None:
            key = rename(key)
        message = _validation_message(error)
        if key:
            fields.setdefault(key, message)
            continue
        named = [name for name in empty if re.search(rf"\b{re.escape(name)}\b", str(error.get("msg", "")))]
        for name in named:
            fields.setdefault(name, message)
        if not named:
            general.append(message)
    return fields, general


def _domain_field(exc: DomainError) -> str | None:
    return exc.field.removeprefix("body.") if exc.field else None


def _clean(value: Any) -> str | None:
    """A form value stripped of blanks; None for an empty field."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _local_datetime(value: str | None) -> str | None:
    """A datetime-local input ('2026-03-02T17:00') as an ISO date-time in China time (+08:00)."""
    if value is None:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", value):
        return f"{value}:00+08:00"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", value):
        return f"{value}+08:00"
    return value


def _no_nones(data: dict) -> dict:
    return {k: v for k, v in data.items() if v is not None}


def _calendar(request: Request) -> WorkCalendar:
    """The jurisdiction's working-day calendar, built once per app."""
    cal = getattr(request.app.state, "web_calendar", None)
    if cal is None:
        cal = request.app.state.web_calendar = jurisdiction_calendar(request.app.state.jurisdiction)
    return cal


def _days_view(due_at: datetime | None, cal: WorkCalendar, now: datetime) -> dict | None:
    """A deadline as shown in lists: date, working days left or overdue, and a CSS tone."""
    if due_at is None:
        return None
    today = now.astimezone(CHINA_TZ).date()
    due_day = due_at.astimezone(CHINA_TZ).date()
    if due_at <= now:
        over = working_days_between(cal, due_day, today)
        text = f"已逾期 {over} 个工作日" if over else "已到期"
        return {"due_at": due_at, "text": text, "tone": "late", "left": -over}
    left = working_days_between(cal, today, due_day)
    text = "今日到期" if due_day == today else f"剩 {left} 个工作日"
    return {"due_at": due_at, "text": text, "tone": "soon" if left <= 2 else "", "left": left}


# ---- login ------------------------------------------------------------------------------------------


def _login_page(request: Request, *, next_path: str, error: str | None = None, username: str = "",
                status: int = 200, notice: str | None = None) -> HTMLResponse:
    token = new_login_csrf()
    response = render(request, "login.html", status=status, login_csrf=token, next_path=next_path, error=error,
                      username=username, notice=notice)
    set_login_csrf(response, request, token)
    return response


@router.get("/login")
def login_form(request: Request, session: SessionDep, settings: SettingsDep, next: str | None = None,
               expired: bool = False) -> Response:
    """The login page (or straight on, for a browser that is still logged in)."""
    try:
        get_web_user(request, session, settings)
        return RedirectResponse(safe_next(next), status_code=303)
    except LoginRequired:
        pass
    notice = "登录已过期，请重新登录。" if expired else None
    return _login_page(request, next_path=safe_next(next), notice=notice)


@router.post("/login")
async def login_submit(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Check the password; on success set the session cookie and go on to the page asked for."""
    form = await request.form()
    username = str(form.get("username") or "").strip()
    next_path = safe_next(str(form.get("next") or "/"))
    if not login_csrf_ok(request, str(form.get(CSRF_FIELD) or "")):
        return _login_page(request, next_path=next_path, username=username, status=403,
                           error="登录页面已过期，请重新输入用户名和密码。")
    attempt = count_login_attempt(request, username)  # counted before the password is checked
    if wait := attempt.wait:  # the same throttle as POST /api/auth/token
        return _login_page(request, next_path=next_path, username=username, status=429,
                           error=f"登录失败次数过多，请{(wait + 59) // 60}分钟后再试。")
    user = authenticate(session=session, username=username, password=str(form.get("password") or ""))
    ok = user is not None and user.active
    note_login(request, attempt, ok)
    if not ok:
        return _login_page(request, next_path=next_path, username=username, status=401,
                           error="用户名或密码不正确。")
    response = redirect(request, next_path)
    start_session(response, request, user, settings)
    return response


@router.get("/logout")
def logout_confirm(request: Request, user: WebUser) -> Response:
    """A page with the logout button (logging out changes state, so it is a POST)."""
    return render(request, "logout.html")


@router.post("/logout")
def logout(request: Request, form: CheckedForm) -> Response:
    """End the session."""
    response = redirect(request, "/login", "您已安全退出。")
    end_session(response, request)
    return response


# ---- inbox --------------------------------------------------------------------------------------------


@dataclass
class InboxFilter:
    stage: str | None = None
    unit: str | None = None
    township: str | None = None
    overdue: bool = False
    q: str | None = None
    page: int = 1


def _inbox_filter(source, jurisdiction: Jurisdiction, *, with_query: bool) -> InboxFilter:
    """Filters from query parameters or the posted filter form; unknown values are ignored."""
    stage = _clean(source.get("stage"))
    unit = _clean(source.get("unit"))
    township = _clean(source.get("township"))
    page = parse_number(source.get("page")) or 1
    return InboxFilter(
        stage=stage if stage in {s.value for s in Stage} else None,
        unit=unit if unit in jurisdiction.units else None,
        township=township if township in {t.code for t in jurisdiction.townships()} else None,
        overdue=source.get("overdue") in ("1", "on", "true"),
        # The search text may be a person's name: it comes only from the POSTed form, never the URL.
        q=(_clean(source.get("q")) or None) if with_query else None,
        page=page,
    )


def _inbox_rows(session, user: User, flt: InboxFilter) -> tuple[list, int]:
    """One page of the user's cases: overdue ones first, then by nearest deadline (db.cases.list_cases order)."""
    scope = dict(session=session, visible_units=visible_units(user),
                 registered_by=user.username if user.role == Role.CLERK else None, stage=flt.stage, unit=flt.unit,
                 township=flt.township, q=flt.q and flt.q[:100])
    offset = (flt.page - 1) * PAGE_SIZE
    late, late_total = list_cases(**scope, overdue=True, limit=PAGE_SIZE, offset=offset)
    if flt.overdue:
        return late, late_total
    rest, rest_total = list_cases(**scope, overdue=False, limit=PAGE_SIZE - len(late),
                                  offset=max(0, offset - late_total))
    return late + rest, late_total + rest_total


def _inbox(request: Request, session, user: User, jurisdiction: Jurisdiction, flt: InboxFilter) -> HTMLResponse:
    rows, total = _inbox_rows(session, user, flt)
    cal = _calendar(request)
    now = datetime.now(timezone.utc)
    awaited = reports.next_unresolved_deadlines(session=session, case_nos=[r.case_no for r in rows])
    items = []
    for record in rows:
        deadline = awaited.get(record.case_no)
        items.append({"case": summary_of(record), "deadline": _days_view(deadline.due_at, cal, now) if deadline else None,
                      "deadline_label": DEADLINE_LABELS.get(deadline.kind, deadline.kind) if deadline else None})
    pages = max(1, -(-total // PAGE_SIZE))
    units = [u for u in jurisdiction.units.values() if u.kind != "township"]
    return render(request, "inbox.html", items=items, total=total, flt=flt, pages=pages, page_size=PAGE_SIZE,
                  stages=list(Stage), units=units, townships=jurisdiction.townships())


@router.get("/")
def inbox(request: Request, session: SessionDep, user: WebUser, jurisdiction: JurisdictionDep) -> Response:
    """My cases: those the user may see, nearest deadline first, with filters and paging."""
    return _inbox(request, session, user, jurisdiction,
                  _inbox_filter(request.query_params, jurisdiction, with_query=False))


@router.post("/cases/export.xlsx")
def inbox_export(request: Request, session: SessionDep, user: WebUser, jurisdiction: JurisdictionDep,
                 form: CheckedForm) -> Response:
    """The inbox's cases with the posted filters (all pages) as an .xlsx download."""
    flt = _inbox_filter(form, jurisdiction, with_query=True)
    return export_case_list(session=session, user=user, jurisdiction=jurisdiction, stage=flt.stage, unit=flt.unit,
                            township=flt.township, overdue=True if flt.overdue else None, q=flt.q and flt.q[:100])


@router.post("/")
def inbox_search(request: Request, session: SessionDep, user: WebUser, jurisdiction: JurisdictionDep,
                 form: CheckedForm) -> Response:
    """The inbox filtered by the posted filter form (so the search text stays out of URLs)."""
    return _inbox(request, session, user, jurisdiction, _inbox_filter(form, jurisdiction, with_query=True))


# ---- action forms generated from ACTION_BODIES ------------------------------------------------------------


@dataclass
class FieldSpec:
    """One input of an action form."""

    name: str
    label: str
    widget: str  # select | bool | checkbox | amount | datetime | int | text | textarea
    required: bool
    choices: list[tuple[str, str]] = field(default_factory=list)
    help: str = ""
    blank_label: str = "请选择"
    min: int | None = None
    max: int | None = None
    maxlength: int | None = None


def _unwrap(annotation) -> tuple[Any, bool, list]:
    """The core type of an annotation, whether None is allowed, and the constraints found on the way."""
    optional = False
    metadata: list = []
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            args = get_args(annotation)
            annotation, metadata = args[0], metadata + list(args[1:])
        elif origin in (Union, UnionType):
            args = [a for a in get_args(annotation) if a is not NoneType]
            optional = optional or len(args) < len(get_args(annotation))
            if any(a is datetime for a in args):  # datetime | date: a date-time input takes both
                return datetime, optional, metadata
            if len(args) != 1:
                return str, optional, metadata
            annotation = args[0]
        else:
            return annotation, optional, metadata


def _constraints(metadata: list) -> dict:
    found: dict = {}
    for item in metadata:
        for name in ("max_length", "gt", "ge", "le", "lt"):
            value = getattr(item, name, None)
            if value is not None:
                found.setdefault(name, value)
        nested = getattr(item, "metadata", None)
        if isinstance(nested, list):
            for key, value in _constraints(nested).items():
                found.setdefault(key, value)
    return found


def _choices_for(name: str, core, jurisdiction: Jurisdiction) -> list[tuple[str, str]] | None:
    if name == "to_unit":
        return [(u.code, u.name) for u in jurisdiction.units.values()]
    if name == "outcome":
        return list(OUTCOME_LABELS.items())
    values = None
    if get_origin(core) is Literal:
        values = [str(v) for v in get_args(core)]
    elif isinstance(core, type) and issubclass(core, Enum):
        values = [str(member.value) for member in core]
    if values is None:
        return None
    return [(v, VALUE_LABELS.get(v, v)) for v in values]


def action_fields(action: str, model: type[BaseModel], jurisdiction: Jurisdiction) -> list[FieldSpec]:
    """The inputs of an action's form, derived from its body model's fields and types."""
    specs = []
    for name, info in model.model_fields.items():
        core, optional, metadata = _unwrap(info.annotation)
        limits = _constraints(list(info.metadata) + metadata)
        required = info.is_required()
        label = ACTION_FIELD_LABELS.get((action, name)) or FIELD_LABELS.get(name, info.title or name)
        spec = FieldSpec(name=name, label=label, widget="text", required=required, help=FIELD_HELP.get(name, ""))
        choices = _choices_for(name, core, jurisdiction)
        if choices is not None:
            spec.widget, spec.choices = "select", choices
            if name == "to_unit":
                spec.blank_label = "（退回领导小组办公室）"
        elif core is bool:
            yes, no = BOOL_LABELS.get(name, ("是", "否"))
            spec.widget = "bool" if required else "checkbox"
            spec.choices = [("true", yes), ("false", no)]
        elif core is Decimal:
            spec.widget = "amount"
        elif core in (datetime, date):
            spec.widget = "datetime"
        elif core is int:
            spec.widget = "int"
            spec.min = limits["gt"] + 1 if "gt" in limits else limits.get("ge")
            spec.max = limits["lt"] - 1 if "lt" in limits else limits.get("le")
        else:
            spec.maxlength = limits.get("max_length")
            spec.widget = "textarea" if (spec.maxlength or 10_000) > 200 else "text"
        specs.append(spec)
    return specs


def action_params(specs: list[FieldSpec], form: FormData) -> dict:
    """The form's values as the action body expects them (empty fields are left out)."""
    data: dict = {}
    for spec in specs:
        if spec.widget == "checkbox":
            data[spec.name] = spec.name in form
            continue
        value = _clean(form.get(spec.name))
        if value is None:
            continue
        data[spec.name] = _local_datetime(value) if spec.widget == "datetime" else value
    return data


def _may_take(state: CaseState, action: str, user: User) -> bool:
    """Whether the user's role and unit allow the action (the domain's own check, without parameters)."""
    try:
        lifecycle.check(state, action, {}, actor_of(user), datetime.now(timezone.utc))
    except Forbidden:
        return False
    except DomainError:
        return True  # allowed in principle; the parameters are checked when the form is sent
    return True


def _action_forms(state: CaseState, pending: list[str], user: User, jurisdiction: Jurisdiction,
                  defaults: dict[str, dict[str, str]], notes: dict[str, str]) -> tuple[list, list]:
    """Forms for the pending actions this user may take (main line first), and the labels of the others."""
    forms, others = [], []
    ordered = sorted(pending, key=lambda a: SECONDARY_ACTIONS.index(a) + 1 if a in SECONDARY_ACTIONS else 0)
    for action in ordered:
        model = schemas.ACTION_BODIES.get(action)
        if model is None:
            continue
        if not _may_take(state, action, user):
            others.append(ACTION_LABELS.get(action, action))
            continue
        forms.append({"action": action, "label": ACTION_LABELS.get(action, action),
                      "hint": ACTION_HINTS.get(action, ""), "fields": action_fields(action, model, jurisdiction),
                      "defaults": defaults.get(action, {}), "note": notes.get(action, ""), "key": uuid.uuid4().hex})
    return forms, others


# ---- case detail ------------------------------------------------------------------------------------------


def lifecycle_steps(state: CaseState) -> list[dict]:
    """The stages in order, each marked done, current, skipped or todo (for the lifecycle diagram)."""
    stages = list(Stage)
    current = stages.index(state.stage)
    steps = []
    for index, stage in enumerate(stages):
        reached = stage is Stage.INTAKE or any(getattr(state, name, None) is not None
                                               for name in STAGE_MILESTONES.get(stage, ()))
        if stage is state.stage:
            status = "current"
        elif index < current:
            status = "done" if reached else "skipped"
        elif reached:  # e.g. a case transferred back from investigating to referred
            status = "done"
        else:
            status = "todo"
        steps.append({"stage": stage.value, "label": STAGE_LABELS[stage], "status": status})
    return steps


def _case_page(request: Request, session, record, user: User, jurisdiction: Jurisdiction, *,
               status: int = 200, failed: dict | None = None) -> HTMLResponse:
    cal = _calendar(request)
    detail = case_detail(session=session, record=record, user=user, calendar=cal)
    state = case_state(record)
    now = datetime.now(timezone.utc)
    # The liable party the rules suggest (谁用工谁负责, 总包先行清偿 …) is preselected in the findings form.
    suggested = getattr(detail, "suggested_liable_party", None)
    defaults = {"findings": {"liable_party": suggested}} if suggested else {}
    notes = {}
    if suggested:
        reason = getattr(detail, "suggested_liable_party_reason", "") or ""
        notes["findings"] = f"依据项目情况，建议责任主体为{VALUE_LABELS.get(suggested, suggested)}" + (
            f"：{reason}" if reason else "。")
    forms, others = _action_forms(state, detail.pending_actions, user, jurisdiction, defaults, notes)
    deadlines = []
    for d in detail.deadlines:
        view = _days_view(d.due_at, cal, now) if d.status in ("open", "missed") and d.resolved_at is None else None
        deadlines.append({"d": d, "days": view})
    return render(request, "case.html", status=status, case=detail, steps=lifecycle_steps(state),
                  deadlines=deadlines, forms=forms, others=others, failed=failed or {},
                  outstanding=detail.outstanding, pdf_ok=pdf_available())


@router.get("/cases/new")
def intake_form(request: Request, session: SessionDep, user: WebUser) -> Response:
    """The complaint intake form (受理登记)."""
    _require_registrar(user)
    return _intake_page(request, session, values={"idempotency_key": uuid.uuid4().hex}, rows=3)


@router.get("/cases/{case_no}")
def case_page(case_no: str, request: Request, session: SessionDep, user: WebUser,
              jurisdiction: JurisdictionDep) -> Response:
    """One case: parties, workers, amounts, lifecycle, deadlines, timeline, documents and action forms."""
    record = load_visible_case(session=session, case_no=case_no, user=user)
    return _case_page(request, session, record, user, jurisdiction)


@router.post("/cases/{case_no}/actions/{action}")
async def case_action(case_no: str, action: str, request: Request, session: SessionDep, user: WebUser,
                      form: CheckedForm, client: TemporalDep, jurisdiction: JurisdictionDep) -> Response:
    """Take an action from its form; a refusal shows the page again with the message, nothing changed."""
    record = load_visible_case(session=session, case_no=case_no, user=user)
    model = schemas.ACTION_BODIES.get(action)
    if model is None:
        raise PageNotFound(f"没有“{action}”这项操作。")
    specs = action_fields(action, model, jurisdiction)
    values = {spec.name: str(form.get(spec.name) or "") for spec in specs}

    def failed(status: int, fields: dict[str, str] | None = None, general: list[str] | None = None):
        info = {"action": action, "values": values, "fields": fields or {}, "general": general or []}
        return _case_page(request, session, record, user, jurisdiction, status=status, failed=info)

    data = action_params(specs, form)
    try:
        params = model.model_validate(data).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:
        fields, general = _errors_by_field(exc, empty=tuple(s.name for s in specs if s.name not in data))
        return failed(422, fields, general)
    if action == "transfer" and params.get("to_unit") and params["to_unit"] not in jurisdiction.units:
        return failed(422, {"to_unit": "请选择本县的单位"})
    session.commit()  # end the read transaction: hold no connection while the workflow works
    try:
        await perform_action(client=client, case_no=case_no, action=action, params=params, user=user,
                             idempotency_key=_clean(form.get("key")))
    except DomainError as exc:
        status = 403 if isinstance(exc, Forbidden) else 409 if isinstance(exc, NotAllowedNow) else 422
        prefix = {403: "无权办理", 409: "当前不能办理", 422: "输入有误"}[status]
        name = _domain_field(exc)
        message = zh_message(exc.message)
        session.expire_all()
        if name and name in values:
            return failed(status, {name: message})
        return failed(status, general=[f"{prefix}：{message}"])
    label = ACTION_LABELS.get(action, action)
    session.expire_all()
    try:  # after a transfer the case may belong to another unit
        load_visible_case(session=session, case_no=case_no, user=user)
    except Forbidden:
        return redirect(request, "/", f"{case_no}：已{label}。案件已不在本单位办理范围内。")
    return redirect(request, f"/cases/{case_no}", f"已{label}。")


# Before the HTML route: its `{seq}` would take "1.pdf" too.
@router.get("/cases/{case_no}/documents/{seq}.pdf")
def case_document_pdf(case_no: str, seq: str, request: Request, session: SessionDep, user: WebUser) -> Response:
    """An issued document of the case as a PDF download (A4)."""
    load_visible_case(session=session, case_no=case_no, user=user)
    doc = get_document(session=session, case_no=case_no, seq=number) if (number := parse_number(seq)) else None
    if doc is None:
        raise PageNotFound(f"案件 {case_no} 没有第 {seq} 号文书。")
    try:
        return document_pdf(doc)
    except PdfUnavailable:
        return _error_page(request, 503, "暂不能生成PDF",
                           "本服务器未安装PDF生成组件（WeasyPrint 和 Pango）。请打开文书网页，用浏览器打印，"
                           "或在打印对话框中选择“另存为PDF”。")


@router.get("/cases/{case_no}/documents/{seq}")
def case_document(case_no: str, seq: str, session: SessionDep, user: WebUser) -> Response:
    """An issued document of the case as printable HTML."""
    load_visible_case(session=session, case_no=case_no, user=user)
    doc = get_document(session=session, case_no=case_no, seq=number) if (number := parse_number(seq)) else None
    if doc is None:
        raise PageNotFound(f"案件 {case_no} 没有第 {seq} 号文书。")
    return HTMLResponse(doc.html, headers={"ETag": f'"{doc.content_hash}"', "Cache-Control": "no-store",
                                           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})


# ---- intake ---------------------------------------------------------------------------------------------------


def _require_registrar(user: User) -> None:
    if user.role not in REGISTRAR_ROLES:
        raise PageForbidden(f"{ROLE_LABELS.get(user.role, user.role)}不能登记投诉或项目。")


def _intake_page(request: Request, session, *, values: dict, rows: int, status: int = 200,
                 errors: dict | None = None, general: list | None = None, roster: dict | None = None) -> HTMLResponse:
    projects, _ = list_projects(session=session, limit=200)
    return render(request, "intake.html", status=status, values=values, rows=rows, errors=errors or {},
                  general=general or [], roster=roster, projects=projects, channels=CHANNEL_LABELS,
                  townships=_township_options(request), max_rows=MAX_WORKER_ROWS,
                  now_local=datetime.now(CHINA_TZ).strftime("%Y-%m-%dT%H:%M"))


def _township_options(request: Request) -> list[tuple[str, str]]:
    return [(t.code, t.name) for t in request.app.state.jurisdiction.townships()]


def _org_body(form: FormData, prefix: str) -> dict | None:
    name, code = _clean(form.get(f"{prefix}.name")), _clean(form.get(f"{prefix}.credit_code"))
    if name is None and code is None:
        return None
    return {"name": name or "", "credit_code": code}


def _bool_field(form: FormData, name: str) -> bool | str | None:
    value = _clean(form.get(name))
    return {"true": True, "false": False}.get(value or "", value)


def project_body(form: FormData, prefix: str = "") -> dict:
    """A ProjectCreate body from the project fields of a form (names such as 'project.name')."""
    body = {
        "name": _clean(form.get(f"{prefix}name")) or "",
        "type": _clean(form.get(f"{prefix}type")) or "",
        "township": _clean(form.get(f"{prefix}township")),
        "has_permit": _bool_field(form, f"{prefix}has_permit"),
        "land": _clean(form.get(f"{prefix}land")) or "",
        "government_invested": _bool_field(form, f"{prefix}government_invested"),
        "contract_amount": _clean(form.get(f"{prefix}contract_amount")),
        "construction_unit": _org_body(form, f"{prefix}construction_unit") or {"name": ""},
        "general_contractor": _org_body(form, f"{prefix}general_contractor") or {"name": ""},
        "subcontractor": _org_body(form, f"{prefix}subcontractor"),
    }
    return _no_nones(body)


def intake_body(form: FormData, rows: int) -> tuple[dict, dict[int, int]]:
    """A CaseCreate body from the intake form, and which form row each worker in it came from."""
    workers, row_of = [], {}
    for row in range(rows):
        worker = {key: _clean(form.get(f"workers.{row}.{key}")) for key in ("name", "id_number", "amount_owed")}
        if not any(worker.values()):
            continue  # an empty row is no worker
        row_of[len(workers)] = row
        workers.append(_no_nones({**worker, "name": worker["name"] or ""}))
    body = {
        "channel": _clean(form.get("channel")) or "",
        "received_at": _local_datetime(_clean(form.get("received_at"))),
        "complainant": _no_nones({"name": _clean(form.get("complainant.name")) or "",
                                  "phone": _clean(form.get("complainant.phone")),
                                  "id_number": _clean(form.get("complainant.id_number"))}),
        "workers": workers,
        "employer": _org_body(form, "employer") or {"name": ""},
        "amount_claimed": _clean(form.get("amount_claimed")),
        "description": _clean(form.get("description")) or "",
        "group_incident": "group_incident" in form,
    }
    mode = form.get("project_mode")
    if mode == "existing":
        body["project_id"] = _clean(form.get("project_id")) or ""
    elif mode == "new":
        body["project"] = project_body(form, "project.")
    return _no_nones(body), row_of


async def _import_roster(request: Request, session, *, values: dict, rows: int, upload) -> HTMLResponse:
    """The intake form again, its worker rows replaced by the roster's, with a report of each bad cell."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _intake_page(request, session, values=values, rows=rows, status=422,
                            roster={"error": "请先选择要导入的花名册文件（.xlsx）。"})
    data = await upload.read(MAX_ROSTER_BYTES + 1)
    try:
        roster = parse_roster(data)
    except RosterRejected as exc:
        return _intake_page(request, session, values=values, rows=rows, status=exc.status,
                            roster={"file": upload.filename, "error": exc.message_zh})
    if len(roster.rows) > MAX_WORKER_ROWS:
        return _intake_page(request, session, values=values, rows=rows, status=422, roster={
            "file": upload.filename,
            "error": f"花名册有 {len(roster.rows)} 人，网页表单一次最多登记 {MAX_WORKER_ROWS} 人。"
                     "请先登记主要投诉人，其余在调查中补充，或由系统管理员通过接口批量登记。"})
    values = {key: value for key, value in values.items() if not key.startswith("workers.")}
    index_of = {}
    for index, row in enumerate(roster.rows):
        index_of[row.row] = index
        for key, text in row.values.items():
            values[f"workers.{index}.{key}"] = text
    errors, issues = {}, []
    for issue in roster.issues:
        message = issue.message_zh or _validation_message(issue.error or {"type": "", "msg": issue.message})
        if issue.field:
            errors.setdefault(f"workers.{index_of[issue.row]}.{issue.field}", message)
        issues.append({"row": issue.row, "column": issue.column, "message": message,
                       "label": ROSTER_HEADERS.get(issue.field or "", "")})
    report = {"file": upload.filename, "sheet": roster.sheet, "total": len(roster.rows),
              "valid": len(roster.workers), "issues": issues}
    return _intake_page(request, session, values=values, rows=max(len(roster.rows), 1), errors=errors,
                        roster=report)


@router.post("/cases/new")
async def intake_submit(request: Request, session: SessionDep, user: WebUser, form: CheckedForm,
                        client: TemporalDep, settings: SettingsDep, jurisdiction: JurisdictionDep) -> Response:
    """Register the complaint; errors are shown next to their fields and nothing is registered."""
    _require_registrar(user)
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

    try:
        data = schemas.CaseCreate.model_validate(body)
    except ValidationError as exc:
        errors, general = _errors_by_field(exc, form_key)
        return _intake_page(request, session, values=values, rows=rows, status=422, errors=errors, general=general)
    session.commit()  # end the read transaction: hold no connection while the workflow works
    try:
        case_no = await register_case(client=client, engine=request.app.state.engine, body=data, user=user,
                                      jurisdiction=jurisdiction, task_queue=settings.task_queue,
                                      idempotency_key=_clean(form.get("idempotency_key")))
    except DomainError as exc:
        name = _domain_field(exc)
        if "Idempotency-Key" in exc.message:
            general = ["此表单已经提交过。如需登记另一起投诉，请重新打开“受理登记”页面。"]
            return _intake_page(request, session, values=values, rows=rows, status=409, general=general)
        if name:
            return _intake_page(request, session, values=values, rows=rows, status=422,
                                errors={name: zh_message(exc.message)})
        return _intake_page(request, session, values=values, rows=rows, status=422,
                            general=[zh_message(exc.message)])
    session.expire_all()
    record = load_visible_case(session=session, case_no=case_no, user=user)
    lead = _unit_namer(jurisdiction)(record.lead_unit)
    return redirect(request, f"/cases/{case_no}", f"已受理，案件编号 {case_no}，已转办{lead}。请打印受理回执交投诉人。")


# ---- projects -------------------------------------------------------------------------------------------------


def _optional_module(name: str):
    """A db module another part of the system adds; None while it does not exist."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return None


def deposit_ledger(session, project_id: int) -> dict | None:
    """The project's wage-guarantee deposit {balance, ledger: [...]} if the deposit ledger exists."""
    module = _optional_module("db.deposits")
    reader = getattr(module, "deposit_ledger", None) if module else None
    if reader is None:
        return None
    data = reader(session=session, project_id=project_id)
    if data is None:
        return None
    return data if isinstance(data, dict) else data.model_dump()


@router.get("/projects")
def projects_page(request: Request, session: SessionDep, user: WebUser,
                  q: Annotated[str | None, Query(max_length=100)] = None, page: str = "1") -> Response:
    """Registered construction projects, newest first, with a search box."""
    page = parse_number(page) or 1
    rows, total = list_projects(session=session, q=q, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render(request, "projects.html", projects=rows, total=total, q=q or "", page=page,
                  pages=max(1, -(-total // PAGE_SIZE)))


def _project_form_page(request: Request, *, values: dict, status: int = 200, errors: dict | None = None,
                       general: list | None = None) -> HTMLResponse:
    return render(request, "project_new.html", status=status, values=values, errors=errors or {},
                  general=general or [], townships=_township_options(request))


@router.get("/projects/new")
def project_new(request: Request, user: WebUser) -> Response:
    """The form to register a project."""
    _require_registrar(user)
    return _project_form_page(request, values={})


@router.post("/projects/new")
def project_create(request: Request, session: SessionDep, user: WebUser, form: CheckedForm,
                   jurisdiction: JurisdictionDep) -> Response:
    """Register a project; errors are shown next to their fields."""
    _require_registrar(user)
    values = {key: str(value) for key, value in form.items() if key != CSRF_FIELD}
    try:
        data = ProjectCreate.model_validate(project_body(form))
        check_township(jurisdiction, data.township, "township")
    except ValidationError as exc:
        errors, general = _errors_by_field(exc)
        return _project_form_page(request, values=values, status=422, errors=errors, general=general)
    except InvalidInput as exc:
        return _project_form_page(request, values=values, status=422,
                                  errors={_domain_field(exc) or "township": zh_message(exc.message)})
    project = create_project(session=session, data=data, created_by=user.username)
    return redirect(request, f"/projects/{project.id}", f"项目“{project.name}”已登记。")


@router.get("/projects/{project_id}")
def project_page(project_id: str, request: Request, session: SessionDep, user: WebUser) -> Response:
    """One project with its parties and its wage-guarantee deposit ledger."""
    number = parse_number(project_id)
    project = get_project(session=session, project_id=number) if number else None
    if project is None:
        raise PageNotFound(f"没有编号为 {project_id} 的项目。")
    return render(request, "project.html", project=project, deposit=deposit_ledger(session, project.id))


# ---- blacklist, dashboard, static files ------------------------------------------------------------------------


def blacklist_entries(session) -> list | None:
    """Entries of the dishonest-employer list if the blacklist exists yet (None otherwise)."""
    module = _optional_module("db.blacklist")
    reader = getattr(module, "list_blacklist", None) if module else None
    if reader is None:
        return None
    rows = reader(session=session)
    return list(rows[0] if isinstance(rows, tuple) else rows)


@router.get("/blacklist")
def blacklist_page(request: Request, session: SessionDep, user: WebUser) -> Response:
    """The dishonest-employer list (失信联合惩戒名单)."""
    return render(request, "blacklist.html", entries=blacklist_entries(session))


def _nice_ceiling(value: Decimal) -> Decimal:
    """A round number at least `value` for a chart's axis (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return Decimal(1000)
    power = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _axis_label(value: Decimal) -> str:
    """An axis label in yuan, in 万 (ten thousand) from 10,000 up."""
    if value >= 10_000:
        return f"{value / 10_000:.4g}万"
    return f"{value:.0f}"


def _rate_rows(groups: dict[str, dict], name, limit: int | None = None) -> list[dict]:
    rows = [{"code": code, "name": name(code) if code != "-" else "未涉及工程项目", **figures}
            for code, figures in groups.items()]
    rows.sort(key=lambda r: (-r["total"], r["name"]))
    return rows[:limit] if limit else rows


@router.get("/dashboard")
def dashboard(request: Request, session: SessionDep, user: WebUser, jurisdiction: JurisdictionDep) -> Response:
    """KPIs: closure rate against the target, by unit and township; overdue and escalated; money by month."""
    stats = case_stats(session=session)
    name = _unit_namer(jurisdiction)
    today = datetime.now(CHINA_TZ).date()
    months = reports.last_months(today=today, count=12)
    since = datetime.fromisoformat(f"{months[0]}-01T00:00:00+08:00")
    claimed = reports.claimed_by_month(session=session, since=since)
    recovered = reports.recovered_by_month(session=session, since=since)
    counts = reports.cases_by_month(session=session, since=since)
    monthly = [{"month": m, "label": f"{int(m[5:])}月", "claimed": claimed.get(m, Decimal(0)),
                "recovered": recovered.get(m, Decimal(0)), "cases": counts.get(m, 0)} for m in months]
    axis_max = _nice_ceiling(max([max(r["claimed"], r["recovered"]) for r in monthly] + [Decimal(0)]))
    for row in monthly:
        row["claimed_frac"] = float(row["claimed"] / axis_max)
        row["recovered_frac"] = float(row["recovered"] / axis_max)
    ticks = [{"frac": i / 4, "label": _axis_label(axis_max * i / 4)} for i in range(5)]
    return render(request, "dashboard.html", stats=stats,
                  target=float(jurisdiction.thresholds.closure_rate_target) / 100,
                  escalated=reports.escalated_count(session=session),
                  by_unit=_rate_rows(stats["by_unit"], name), by_township=_rate_rows(stats["by_township"], name),
                  monthly=monthly, ticks=ticks, year_label=f"{months[0]} 至 {months[-1]}", this_month=months[-1])


@router.get("/dashboard/monthly.xlsx")
def dashboard_monthly_report(request: Request, session: SessionDep, user: WebUser, jurisdiction: JurisdictionDep,
                             month: str | None = None) -> Response:
    """The monthly statistics report (.xlsx) of the month chosen on the dashboard."""
    month = _clean(month)
    if month is not None and not re.fullmatch(MONTH_PATTERN, month):
        return _error_page(request, 422, "月份有误", "请选择月份，格式如 2026-11。")
    return monthly_report_xlsx(session=session, jurisdiction=jurisdiction, month=month)


@router.get("/static/roster-template.xlsx")
def roster_template_file() -> Response:
    """The empty worker roster to fill in and import on the intake form (no login needed: it holds no data)."""
    return xlsx_response(_roster_template(), name="农民工花名册模板.xlsx", ascii_name="roster-template.xlsx")


@cache
def _roster_template() -> bytes:
    return roster_template()


_STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml", ".png": "image/png"}


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    """The UI's own CSS, script and images (no CDN)."""
    path = STATIC / name
    if "/" in name or name.startswith(".") or path.suffix not in _STATIC_TYPES or not path.is_file():
        raise PageNotFound("没有这个文件。")
    return FileResponse(path, media_type=_STATIC_TYPES[path.suffix], headers={"Cache-Control": "max-age=3600"})
