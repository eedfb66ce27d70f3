"""What every page shares: templates, the page frame, redirects, form values, deadlines in working days."""

import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from activities.cases import CHANNEL_LABELS
from api.web.texts import DEADLINE_STATUS_LABELS, ROLE_LABELS, VALUE_LABELS
from api.web_auth import (
    CSRF_FIELD,
    clear_flash,
    new_login_csrf,
    read_flash,
    set_flash,
    set_login_csrf,
)
from db.accounts import User
from domain.calendar import CHINA_TZ, WorkCalendar, working_days_between
from domain.formatting import clock_time as _cst
from domain.jurisdiction import Jurisdiction
from domain.labels import DEADLINE_LABELS, LEVEL_LABELS, PARTY_LABELS, STAGE_LABELS
from domain.roles import Role
from domain.routing import LAND_TYPES, PROJECT_TYPES

HERE = Path(__file__).resolve().parent.parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

PAGE_SIZE = 20
REGISTRAR_ROLES = {Role.CLERK, Role.CASEWORKER, Role.UNIT_HEAD, Role.SUPERVISOR, Role.ADMIN}  # as the API's
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # pages carry personal data
}


class PageForbidden(Exception):
    """The user's role may not use this page; the message is for the user (zh-CN)."""


class PageNotFound(Exception):
    """There is nothing at this address; the message is for the user (zh-CN)."""


def _yuan(value: Decimal | int | float | str | None) -> str:
    if value is None or value == "":
        return "—"
    return f"{Decimal(str(value)):,.2f}"


def _percent(value: float | Decimal | None) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f}%"


env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters.update(
    cst=_cst,
    cst_date=lambda v: _cst(v, "%Y-%m-%d"),
    yuan=_yuan,
    percent=_percent,
    iso_cst=lambda v: _cst(datetime.fromisoformat(v)) if v else "—",
)
env.globals.update(
    STAGE_LABELS=STAGE_LABELS,
    DEADLINE_LABELS=DEADLINE_LABELS,
    LEVEL_LABELS=LEVEL_LABELS,
    DEADLINE_STATUS_LABELS=DEADLINE_STATUS_LABELS,
    ROLE_LABELS=ROLE_LABELS,
    VALUE_LABELS=VALUE_LABELS,
    PARTY_LABELS=PARTY_LABELS,
    CHANNEL_LABELS=CHANNEL_LABELS,
    PROJECT_TYPES=PROJECT_TYPES,
    LAND_TYPES=LAND_TYPES,
    CSRF_FIELD=CSRF_FIELD,
)


def unit_namer(jurisdiction: Jurisdiction):
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
    html = env.get_template(template).render(
        path=request.url.path,
        user=user,
        csrf_token=getattr(request.state, "csrf_token", ""),
        flash=read_flash(request, app_state.settings),
        county=jurisdiction.name,
        system_name=f"{jurisdiction.name}根治拖欠农民工工资案件办理系统",
        unit_name=unit_namer(jurisdiction),
        can_register=user is not None and user.role in REGISTRAR_ROLES,
        **context,
    )
    response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
    clear_flash(request, response)
    return response


def redirect(request: Request, url: str, flash: str | None = None, kind: str = "ok") -> RedirectResponse:
    """A 303 redirect (after a POST), optionally showing `flash` on the next page."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        set_flash(response, request, request.app.state.settings, flash, kind)
    return response


def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    """The error page: what went wrong, in words a person can act on."""
    return render(request, "error.html", status=status, title=title, message=message)


def login_page(
    request: Request,
    *,
    next_path: str,
    error: str | None = None,
    username: str = "",
    status: int = 200,
    notice: str | None = None,
) -> HTMLResponse:
    token = new_login_csrf()
    response = render(
        request,
        "login.html",
        status=status,
        login_csrf=token,
        next_path=next_path,
        error=error,
        username=username,
        notice=notice,
    )
    set_login_csrf(response, request, token)
    return response


def require_registrar(user: User) -> None:
    if user.role not in REGISTRAR_ROLES:
        raise PageForbidden(f"{ROLE_LABELS.get(user.role, user.role)}不能登记投诉或项目。")


def township_options(request: Request) -> list[tuple[str, str]]:
    return [(t.code, t.name) for t in request.app.state.jurisdiction.townships()]


def clean(value: Any) -> str | None:
    """A form value stripped of blanks; None for an empty field."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def local_datetime(value: str | None) -> str | None:
    """A datetime-local input ('2026-03-02T17:00') as an ISO date-time in China time (+08:00)."""
    if value is None:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", value):
        return f"{value}:00+08:00"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", value):
        return f"{value}+08:00"
    return value


def no_nones(data: dict) -> dict:
    return {k: v for k, v in data.items() if v is not None}


def calendar(request: Request, session) -> WorkCalendar:
    """The jurisdiction's working-day calendar with the loaded schedules."""
    from api.routes.calendar import loaded_calendar  # the calendar routes render with this module's pages

    return loaded_calendar(session, request.app.state.jurisdiction)


def days_view(due_at: datetime | None, cal: WorkCalendar, now: datetime) -> dict | None:
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
