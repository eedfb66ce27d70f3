"""The dashboard: closure rate against the target, by unit and township, money by month, monthly report."""

import re
from datetime import datetime
from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import JurisdictionDep, SessionDep
from api.routes.calendar import calendar_warning
from api.routes.complainant_office import satisfaction_rows
from api.routes.office import MONTH_PATTERN, monthly_report_xlsx
from api.web.errors import WebRoute
from api.web.pages import clean, error_page, render, unit_namer
from api.web_auth import WebUser
from db import reports
from db.case_list import case_stats
from db.monitoring import warning_counts_by_township
from db.satisfaction import open_follow_ups
from domain.calendar import CHINA_TZ

router = APIRouter(route_class=WebRoute, include_in_schema=False)


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
    rows = [
        {"code": code, "name": name(code) if code != "-" else "未涉及工程项目", **figures}
        for code, figures in groups.items()
    ]
    rows.sort(key=lambda r: (-r["total"], r["name"]))
    return rows[:limit] if limit else rows


@router.get("/dashboard")
def dashboard(request: Request, session: SessionDep, user: WebUser, jurisdiction: JurisdictionDep) -> Response:
    """KPIs: closure rate against the target, by unit and township; overdue and escalated; money by month."""
    stats = case_stats(session=session)
    name = unit_namer(jurisdiction)
    today = datetime.now(CHINA_TZ).date()
    months = reports.last_months(today=today, count=12)
    since = datetime.fromisoformat(f"{months[0]}-01T00:00:00+08:00")
    claimed = reports.claimed_by_month(session=session, since=since)
    recovered = reports.recovered_by_month(session=session, since=since)
    counts = reports.cases_by_month(session=session, since=since)
    monthly = [
        {
            "month": m,
            "label": f"{int(m[5:])}月",
            "claimed": claimed.get(m, Decimal(0)),
            "recovered": recovered.get(m, Decimal(0)),
            "cases": counts.get(m, 0),
        }
        for m in months
    ]
    axis_max = _nice_ceiling(max([max(r["claimed"], r["recovered"]) for r in monthly] + [Decimal(0)]))
    for row in monthly:
        row["claimed_frac"] = float(row["claimed"] / axis_max)
        row["recovered_frac"] = float(row["recovered"] / axis_max)
    ticks = [{"frac": i / 4, "label": _axis_label(axis_max * i / 4)} for i in range(5)]
    return render(
        request,
        "dashboard.html",
        stats=stats,
        target=float(jurisdiction.thresholds.closure_rate_target) / 100,
        escalated=reports.escalated_count(session=session),
        by_unit=_rate_rows(stats["by_unit"], name),
        by_township=_rate_rows(stats["by_township"], name),
        monthly=monthly,
        ticks=ticks,
        year_label=f"{months[0]} 至 {months[-1]}",
        this_month=months[-1],
        calendar_warning=calendar_warning(session),
        satisfaction=satisfaction_rows(session, jurisdiction),
        follow_ups=open_follow_ups(session=session),
        warnings=sorted(
            ({"name": name(t), **c} for t, c in warning_counts_by_township(session=session).items()),
            key=lambda r: (-r.get("open", 0), r["name"]),
        ),
    )


@router.get("/dashboard/monthly.xlsx")
def dashboard_monthly_report(
    request: Request, session: SessionDep, user: WebUser, jurisdiction: JurisdictionDep, month: str | None = None
) -> Response:
    """The monthly statistics report (.xlsx) of the month chosen on the dashboard."""
    month = clean(month)
    if month is not None and not re.fullmatch(MONTH_PATTERN, month):
        return error_page(request, 422, "月份有误", "请选择月份，格式如 2026-11。")
    return monthly_report_xlsx(session=session, jurisdiction=jurisdiction, month=month)
