"""Office data: read a worker roster (.xlsx), export the case list and the monthly report as .xlsx.

Registered before api.routes.cases, so that `/api/cases/export.xlsx` is not taken for a case number.
"""

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, HTTPException, Query, Response, UploadFile
from pydantic import BaseModel, Field
from sqlmodel import Session

from activities.cases import CHANNEL_LABELS
from api.case_service import visible_units
from api.case_views import may_see_personal_data
from api.deps import CurrentUser, JurisdictionDep, SessionDep
from api.roster_sheets import MAX_ROSTER_BYTES, RosterRejected, parse_roster
from api.routes.cases import Registrar
from api.schemas import Yuan
from api.spreadsheets import XLSX_MEDIA_TYPE, CaseListRow, case_list_xlsx, monthly_xlsx
from db import reports
from db.accounts import User
from db.audit import record_views
from db.case_list import case_stats, list_cases
from db.monthly_report import NO_TOWNSHIP, monthly_report
from domain.calendar import CHINA_TZ
from domain.identity import mask_phone
from domain.jurisdiction import Jurisdiction
from domain.lifecycle import STAGE_LABELS
from domain.roles import Role

router = APIRouter(tags=["office data"])

CASE_EXPORT = "case_export"  # db.audit `via`: unmasked phones in an exported case list
EXPORT_PAGE = 500
MONTH_PATTERN = r"^20\d{2}-(0[1-9]|1[0-2])$"  # this century: the report has no use for year 0 or 9999
_XLSX_RESPONSE = {200: {"content": {XLSX_MEDIA_TYPE: {}}}}


def xlsx_response(data: bytes, *, name: str, ascii_name: str) -> Response:
    """A workbook as a download; `name` may be Chinese (RFC 6266/5987), `ascii_name` is the fallback."""
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
    return Response(
        data,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


# ---- roster -----------------------------------------------------------------------------------------


class RosterWorker(BaseModel):
    row: int = Field(description="the row number in the sheet")
    name: str
    id_number: str | None
    amount_owed: Yuan
    bank: str | None = Field(default=None, description="开户银行, for a payout from the wage deposit")
    bank_account: str | None = Field(default=None, description="银行账号 (digits)")


class RosterError(BaseModel):
    row: int = Field(description="the row number in the sheet")
    column: str | None = Field(description='the column letter in the sheet, e.g. "B"')
    field: str | None = Field(description="name, id_number or amount_owed")
    message: str


class RosterOut(BaseModel):
    sheet: str = Field(description="the sheet the roster was read from")
    workers: list[RosterWorker] = Field(description="the rows that pass, ready for POST /api/cases `workers`")
    errors: list[RosterError] = Field(description="what is wrong, by row and column")
    total: int = Field(description="the rows with data in the sheet (valid or not)")
    amount_total: Yuan = Field(description="the sum of the valid rows' amounts")


@router.post(
    "/api/rosters/parse",
    response_model=RosterOut,
    summary="Read a worker roster (花名册, .xlsx)",
    responses={
        413: {"description": "file larger than 2 MB"},
        422: {"description": "not an .xlsx workbook, no header row, or more than 5000 rows"},
    },
)
def post_roster(user: Registrar, file: Annotated[UploadFile, File(description="the roster, .xlsx")]) -> RosterOut:
    """Check a roster row by row with the same rules as `POST /api/cases` workers. The header row (within
    the first 10 rows) names the columns 姓名, 身份证号, 欠薪金额 or name, id_number, amount_owed. A
    template is at `/static/roster-template.xlsx`. Nothing is stored."""
    data = file.file.read(MAX_ROSTER_BYTES + 1)
    try:
        roster = parse_roster(data)
    except RosterRejected as exc:
        raise HTTPException(exc.status, exc.message) from None
    workers = [RosterWorker(row=row, **worker.model_dump()) for row, worker in roster.workers]
    return RosterOut(
        sheet=roster.sheet,
        workers=workers,
        errors=[RosterError(row=i.row, column=i.column, field=i.field, message=i.message) for i in roster.issues],
        total=len(roster.rows),
        amount_total=sum((w.amount_owed for w in workers), Decimal("0.00")),
    )


# ---- case list ----------------------------------------------------------------------------------------


def _unit_name(jurisdiction: Jurisdiction, code: str | None) -> str:
    if not code or code == NO_TOWNSHIP:
        return ""
    unit = jurisdiction.units.get(code)
    return unit.name if unit else code


def export_case_list(
    *,
    session: Session,
    user: User,
    jurisdiction: Jurisdiction,
    stage: str | None = None,
    unit: str | None = None,
    township: str | None = None,
    overdue: bool | None = None,
    q: str | None = None,
) -> Response:
    """The cases the user may see (as GET /api/cases, every page) as a workbook download."""
    scope = dict(
        session=session,
        visible_units=visible_units(user),
        registered_by=user.username if user.role == Role.CLERK else None,
        stage=stage,
        unit=unit,
        township=township,
        overdue=overdue,
        q=q,
    )
    records = []
    while True:
        # every page until a short one; the total is not needed (count_cap=1: counting stops at two rows)
        page = list_cases(**scope, limit=EXPORT_PAGE, offset=len(records), count_cap=1).rows
        records += page
        if len(page) < EXPORT_PAGE:
            break
    unmasked = may_see_personal_data(user)
    if unmasked and any(r.complainant_phone for r in records):  # recorded before anything is shown
        record_views(
            session=session,
            username=user.username,
            role=user.role,
            unit=user.unit,
            case_nos=[r.case_no for r in records if r.complainant_phone],
            via=CASE_EXPORT,
        )
    rows = [
        CaseListRow(
            case_no=r.case_no,
            stage=STAGE_LABELS.get(r.stage, r.stage),
            lead_unit=_unit_name(jurisdiction, r.lead_unit),
            township=_unit_name(jurisdiction, r.township),
            channel=CHANNEL_LABELS.get(r.channel, r.channel),
            received_at=r.received_at,
            employer_name=r.employer_name,
            employer_credit_code=r.employer_credit_code,
            project_name=r.project_name,
            complainant_name=r.complainant_name,
            complainant_phone=r.complainant_phone if unmasked else mask_phone(r.complainant_phone),
            workers_count=r.workers_count,
            amount_claimed=r.amount_claimed,
            amount_owed=r.amount_owed,
            amount_recovered=r.amount_recovered,
            next_deadline_at=r.next_deadline_at,
            overdue=r.overdue,
            escalated=r.escalated,
            major=r.major,
            closed_at=r.closed_at,
        )
        for r in records
    ]
    conditions = [
        f"阶段：{STAGE_LABELS.get(stage, stage)}" if stage else "",
        f"单位：{_unit_name(jurisdiction, unit)}" if unit else "",
        f"乡镇：{_unit_name(jurisdiction, township)}" if township else "",
        {True: "只含逾期", False: "不含逾期", None: ""}[overdue],
        f"搜索：{q}" if q else "",
    ]
    text = "筛选条件：" + ("；".join(c for c in conditions if c) or "全部")
    now = datetime.now(timezone.utc)
    data = case_list_xlsx(rows, title=f"{jurisdiction.name}欠薪案件清单", conditions=text, generated_at=now)
    day = now.astimezone(CHINA_TZ).strftime("%Y%m%d")
    return xlsx_response(data, name=f"案件清单-{day}.xlsx", ascii_name=f"cases-{day}.xlsx")


@router.get(
    "/api/cases/export.xlsx", response_class=Response, responses=_XLSX_RESPONSE, summary="Export the case list (.xlsx)"
)
def get_cases_export(
    session: SessionDep,
    user: CurrentUser,
    jurisdiction: JurisdictionDep,
    stage: str | None = None,
    unit: str | None = None,
    township: str | None = None,
    overdue: bool | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The cases of `GET /api/cases` with the same filters and visibility, all pages, as one sheet.
    Complainants' phones are masked unless your role may see them (and then the view is audited)."""
    return export_case_list(
        session=session,
        user=user,
        jurisdiction=jurisdiction,
        stage=stage,
        unit=unit,
        township=township,
        overdue=overdue,
        q=q,
    )


# ---- monthly report -------------------------------------------------------------------------------------


def monthly_report_xlsx(*, session: Session, jurisdiction: Jurisdiction, month: str | None) -> Response:
    """The monthly statistics report of `month` ('YYYY-MM', default this month) as a workbook download."""
    now = datetime.now(timezone.utc)
    month = month or now.astimezone(CHINA_TZ).strftime("%Y-%m")
    report = monthly_report(session=session, month=month)
    months = reports.last_months(today=date(int(month[:4]), int(month[5:]), 1), count=12)
    since = datetime.fromisoformat(f"{months[0]}-01T00:00:00+08:00")
    claimed = reports.claimed_by_month(session=session, since=since)
    recovered = reports.recovered_by_month(session=session, since=since)
    counts = reports.cases_by_month(session=session, since=since)
    trend = [
        {
            "month": m,
            "cases": counts.get(m, 0),
            "claimed": claimed.get(m, Decimal("0.00")),
            "recovered": recovered.get(m, Decimal("0.00")),
        }
        for m in months
    ]
    snapshot = {**case_stats(session=session), "escalated": reports.escalated_count(session=session)}

    def name_of(code: str) -> str:
        return "未涉及工程项目" if code == NO_TOWNSHIP else _unit_name(jurisdiction, code)

    data = monthly_xlsx(
        report,
        county=jurisdiction.name,
        target=float(jurisdiction.thresholds.closure_rate_target) / 100,
        name_of=name_of,
        trend=trend,
        snapshot=snapshot,
        generated_at=now,
    )
    return xlsx_response(data, name=f"月度统计报表-{month}.xlsx", ascii_name=f"monthly-{month}.xlsx")


@router.get(
    "/api/stats/monthly.xlsx",
    response_class=Response,
    responses=_XLSX_RESPONSE,
    summary="Monthly statistics report (.xlsx)",
)
def get_monthly_report(
    session: SessionDep,
    user: CurrentUser,
    jurisdiction: JurisdictionDep,
    month: Annotated[
        str | None, Query(pattern=MONTH_PATTERN, examples=["2026-11"], description="YYYY-MM; default this month")
    ] = None,
) -> Response:
    """Received, closed, closure rate against the target (year to date), overdue, escalated, amounts claimed
    and recovered: for the county, by lead unit and by township; and the twelve months up to `month`."""
    return monthly_report_xlsx(session=session, jurisdiction=jurisdiction, month=month)
