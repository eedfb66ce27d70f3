"""The working-day calendar: each year's status and schedule, the admin's load of the State Council's
schedule (JSON and a page to enter or paste it), and the fan-out that recomputes running cases.

A year is `official` when its schedule is held as a whole (the package's years, or a load here);
otherwise `provisional` (the statutory holidays alone, core.calendar). Each load is a new version
(db.calendar); the open cases whose clocks touch the year are then signalled by a workflow
(workflows.calendar) and count their clocks again."""

import re
import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlmodel import Session
from temporalio.client import Client

from api.deps import AdminUser, CurrentUser, SessionDep, get_temporal
from api.web.errors import WebRoute
from api.web.pages import redirect, render
from api.web_auth import CheckedForm, WebUser
from core.calendar import (
    FIRST_PROVISIONAL_YEAR,
    LAST_PROVISIONAL_YEAR,
    ScheduleError,
    build_calendar,
    check_schedule,
    next_year_warning,
    package_schedule,
    provisional_holidays,
)
from db.accounts import User
from db.calendar import current_rows, current_schedules, history, latest_version, load_schedule
from db.engine import session_scope
from domain.calendar import CHINA_TZ, WorkCalendar
from domain.jurisdiction import Jurisdiction
from domain.roles import Role
from workflows.calendar import CalendarFanOut, fan_out_id

router = APIRouter(tags=["calendar"])
pages = APIRouter(route_class=WebRoute, include_in_schema=False)

Year = Annotated[
    int, Path(ge=FIRST_PROVISIONAL_YEAR, le=LAST_PROVISIONAL_YEAR, description="the calendar year, e.g. 2027")
]
STATUTE = "全国年节及纪念日放假办法（2024年修订）：法定节假日，暂定（不含调休）"


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    holidays: list[date] = Field(
        max_length=366, description="every day off of the year (放假), weekends inside a holiday block included"
    )
    workdays: list[date] = Field(
        default_factory=list, max_length=120, description="the make-up working days (调休上班) on Saturdays or Sundays"
    )
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] = Field(
        description="the State Council notice, e.g. 国办发明电〔2026〕X号"
    )


class VersionOut(BaseModel):
    version: int
    source: str
    loaded_by: str
    loaded_at: datetime


class CalendarOut(BaseModel):
    year: int
    status: str = Field(description="`official` (the whole schedule is held) or `provisional`")
    holidays: list[date]
    workdays: list[date]
    source: str
    county_holidays: list[date] = Field(default_factory=list, description="the jurisdiction file's own days off")
    county_workdays: list[date] = Field(default_factory=list)
    versions: list[VersionOut] = Field(default_factory=list, description="loads of this year, newest first")
    warning: str | None = Field(default=None, description="from 1 October: next year's schedule is not loaded")
    recompute_workflow: str | None = Field(
        default=None, description="after a load: the workflow that tells the open cases (Temporal workflow id)"
    )


class CalendarSummary(BaseModel):
    years: list[CalendarOut]
    warning: str | None


def _today() -> date:
    return datetime.now(CHINA_TZ).date()


def loaded_calendar(session: Session, jurisdiction: Jurisdiction) -> WorkCalendar:
    """The jurisdiction's working-day calendar with the schedules loaded so far (for "working days left"),
    built again only when a newer schedule was loaded."""
    version = latest_version(session)
    key = (id(jurisdiction), version)
    cal = _CALENDARS.get(key)
    if cal is None:
        cfg = jurisdiction.calendar
        cal = build_calendar(
            extra_holidays=cfg.extra_holidays,
            extra_workdays=cfg.extra_workdays,
            unknown_year=str(cfg.unknown_year),
            schedules=current_schedules(session),
        )
        _CALENDARS.clear()
        _CALENDARS[key] = cal
    return cal


_CALENDARS: dict[tuple[int, int], WorkCalendar] = {}


def calendar_warning(session: Session) -> str | None:
    """What the dashboard shows from 1 October while next year's schedule is not loaded (None otherwise)."""
    return next_year_warning(_today(), current_schedules(session))


def calendar_out(session: Session, request: Request, year: int) -> CalendarOut:
    """A year's schedule as the service counts it now."""
    rows = current_rows(session)
    county = request.app.state.jurisdiction.calendar
    extra = dict(
        county_holidays=sorted(d for d in county.extra_holidays if d.year == year),
        county_workdays=sorted(d for d in county.extra_workdays if d.year == year),
    )
    versions = [
        VersionOut(version=r.id, source=r.source, loaded_by=r.loaded_by, loaded_at=r.loaded_at)
        for r in history(session, year)
    ]
    warning = next_year_warning(_today(), {y: r.schedule() for y, r in rows.items()})
    if year in rows:
        s = rows[year].schedule()
        return CalendarOut(
            year=year,
            status="official",
            holidays=sorted(s.holidays),
            workdays=sorted(s.workdays),
            source=s.source,
            versions=versions,
            warning=warning,
            **extra,
        )
    packaged = package_schedule(year)
    if packaged is not None:
        return CalendarOut(
            year=year,
            status="official",
            holidays=sorted(packaged.holidays),
            workdays=sorted(packaged.workdays),
            source="国务院办公厅节假日安排（chinesecalendar 数据）",
            versions=versions,
            warning=warning,
            **extra,
        )
    return CalendarOut(
        year=year,
        status="provisional",
        holidays=sorted(provisional_holidays(year)),
        workdays=[],
        source=STATUTE,
        versions=versions,
        warning=warning,
        **extra,
    )


def _errors_response(errors: list[ScheduleError]) -> JSONResponse:
    items = [{"field": f"body.{e.field}", "message": e.message, "code": e.code} for e in errors]
    shown = "; ".join(f"{e['field']}: {e['message']}" for e in items[:3]) + ("; …" if len(items) > 3 else "")
    return JSONResponse(status_code=422, content={"detail": f"{len(items)} invalid fields: {shown}", "errors": items})


async def load_and_fan_out(request: Request, client: Client, user: User, year: int, body: ScheduleIn) -> str:
    """Record the schedule as the year's newest version, then start the workflow that tells the open cases."""
    engine = request.app.state.engine

    def write() -> int:
        with session_scope(engine) as session:
            row = load_schedule(
                session=session,
                year=year,
                holidays=body.holidays,
                workdays=body.workdays,
                source=body.source,
                loaded_by=user.username,
            )
            return row.id

    version = await run_in_threadpool(write)
    workflow_id = fan_out_id(year, version, uuid.uuid4().hex[:8])
    await client.start_workflow(
        "CalendarChangeWorkflow",
        CalendarFanOut(year, version, body.source),
        id=workflow_id,
        task_queue=request.app.state.settings.task_queue,
        static_summary=f"{year}年节假日安排已载入（第{version}版）：通知在办案件重新计算期限",
    )
    return workflow_id


@router.get("/api/calendar", response_model=CalendarSummary, summary="This year's and next year's calendar status")
def calendar_summary(request: Request, session: SessionDep, _user: CurrentUser) -> CalendarSummary:
    today = _today()
    years = [calendar_out(session, request, y) for y in (today.year, today.year + 1)]
    return CalendarSummary(years=years, warning=calendar_warning(session))


@router.get("/api/calendar/{year}", response_model=CalendarOut, summary="A year's holidays and make-up working days")
def get_calendar(year: Year, request: Request, session: SessionDep, _user: CurrentUser) -> CalendarOut:
    return calendar_out(session, request, year)


@router.put(
    "/api/calendar/{year}",
    response_model=CalendarOut,
    summary="Load the State Council's schedule of a year, as a whole (admin)",
    responses={
        422: {
            "description": "a date outside the year, a weekday as make-up day, a schedule without "
            "its statutory holidays: listed by field"
        }
    },
)
async def put_calendar(
    year: Year, body: ScheduleIn, request: Request, user: AdminUser, client: Annotated[Client, Depends(get_temporal)]
):
    errors = check_schedule(year, body.holidays, body.workdays)
    if errors:
        return _errors_response(errors)
    workflow_id = await load_and_fan_out(request, client, user, year, body)
    with Session(request.app.state.engine) as session:
        out = calendar_out(session, request, year)
    out.recompute_workflow = workflow_id
    return out


# ---- the page -------------------------------------------------------------------------------------

_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
_RANGE = re.compile(rf"{_DATE.pattern}\s*(?:~|～|至|到|--|—)\s*{_DATE.pattern}")


def parse_days(text: str) -> tuple[list[date], list[str]]:
    """Dates pasted as text: one per line or separated by commas, 2027-02-05 or 2027年2月5日, and ranges
    such as 2027-02-05~2027-02-11 (至 works too). Returns the days and what could not be read."""
    days: list[date] = []
    bad: list[str] = []
    for part in re.split(r"[\n,，;；、]+", text):
        part = part.strip()
        if not part:
            continue
        try:
            ranged = _RANGE.fullmatch(part)
            if ranged:
                g = [int(x) for x in ranged.groups()]
                first, last = date(g[0], g[1], g[2]), date(g[3], g[4], g[5])
                if last < first or (last - first).days > 31:
                    raise ValueError
                days += [date.fromordinal(o) for o in range(first.toordinal(), last.toordinal() + 1)]
                continue
            single = _DATE.fullmatch(part)
            if not single:
                raise ValueError
            days.append(date(*(int(x) for x in single.groups())))
        except ValueError:
            bad.append(part)
    return days, bad


def _page(request: Request, session: Session, user: User, year: int, *, form=None, errors=None, status=200):
    cal = calendar_out(session, request, year)
    today = _today()
    return render(
        request,
        "calendar.html",
        status=status,
        cal=cal,
        year=year,
        years=range(today.year - 1, today.year + 3),
        is_admin=user.role == Role.ADMIN,
        form=form or {},
        errors=errors or {},
        warning=next_year_warning(today, current_schedules(session)),
    )


@pages.get("/calendar")
def calendar_page(request: Request, session: SessionDep, user: WebUser, year: int | None = None):
    year = year if year and FIRST_PROVISIONAL_YEAR <= year <= LAST_PROVISIONAL_YEAR else _today().year + 1
    return _page(request, session, user, year)


@pages.post("/calendar/{year}")
async def calendar_submit(
    year: Year,
    request: Request,
    session: SessionDep,
    user: WebUser,
    form: CheckedForm,
    client: Annotated[Client, Depends(get_temporal)],
) -> Response:
    if user.role != Role.ADMIN:
        return _page(request, session, user, year, errors={"form": "只有系统管理员可以载入节假日安排。"}, status=403)
    text = {k: str(form.get(k) or "") for k in ("holidays", "workdays", "source")}
    holidays, bad_off = parse_days(text["holidays"])
    workdays, bad_on = parse_days(text["workdays"])
    errors: dict[str, str] = {}
    if bad_off:
        errors["holidays"] = f"无法识别的日期：{'、'.join(bad_off[:5])}（格式如 2027-02-05 或 2027-02-05~2027-02-11）"
    if bad_on:
        errors["workdays"] = f"无法识别的日期：{'、'.join(bad_on[:5])}"
    if not text["source"].strip():
        errors["source"] = "请填写国务院办公厅通知的文号，例如 国办发明电〔2026〕X号。"
    if not errors:
        for error in check_schedule(year, holidays, workdays):
            errors.setdefault(error.field.split(".")[0], error.text_zh)
    if errors:
        return _page(request, session, user, year, form=text, errors=errors, status=422)
    body = ScheduleIn(holidays=holidays, workdays=workdays, source=text["source"])
    await load_and_fan_out(request, client, user, year, body)
    return redirect(
        request,
        f"/calendar?year={year}",
        flash=f"{year}年节假日安排已载入（{body.source}），在办案件的期限正在重新计算。",
    )


router.include_router(pages)
