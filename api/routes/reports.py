"""Employers' own reports (企业报告): an employer that cannot pay on time files its repayment agreement,
signed with the union or the workers' representatives; each instalment is a clock (seed notice 三(六))."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, Field, StringConstraints, model_validator
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from api import monitoring_service as service
from api.deps import CurrentUser, JurisdictionDep, SessionDep, get_temporal, require_roles
from api.routes.signals import CreditCodeIn
from api.routes.warnings import warning_out
from api.schemas import AmountIn
from db.accounts import User, get_project
from db.engine import session_scope
from db.monitoring import EmployerReport, Instalment, instalments_of, list_warnings, pay_instalment
from domain.calendar import CHINA_TZ
from domain.errors import Forbidden, InvalidInput
from domain.roles import Role

router = APIRouter(prefix="/api/reports", tags=["employers' reports"])

Filer = Annotated[
    User, Depends(require_roles(Role.CLERK, Role.CASEWORKER, Role.UNIT_HEAD, Role.SUPERVISOR, Role.ADMIN))
]
# Who the report is made to (三(六)): labour inspection, the industry unit and the union; and the office.
REPORT_UNITS = {"hrss", "union"}


class InstalmentIn(BaseModel):
    due_at: datetime = Field(description="when the instalment is due; a time without an offset is China time")
    amount: AmountIn


class ReportIn(BaseModel):
    credit_code: CreditCodeIn
    employer_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    project_id: int | None = Field(default=None, ge=1)
    township: str | None = None
    amount: AmountIn = Field(description="wages owed that the agreement repays")
    workers: int = Field(ge=1, le=100000)
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    signed_for_workers: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] = Field(
        description="who signed the agreement for the workers: the union or the workers' representatives"
    )
    instalments: list[InstalmentIn] = Field(min_length=1, max_length=60)

    @model_validator(mode="after")
    def _sums(self) -> "ReportIn":
        total = sum((i.amount for i in self.instalments), Decimal(0))
        if total != self.amount:
            raise ValueError(f"the instalments add up to {total:.2f}, the agreement to {self.amount:.2f}")
        return self


def _aware(at: datetime) -> datetime:
    return (at if at.tzinfo else at.replace(tzinfo=CHINA_TZ)).astimezone(timezone.utc)


def _may_see(user: User, report: EmployerReport, unit: str | None) -> None:
    if user.role in (Role.SUPERVISOR, Role.LEADER, Role.ADMIN) or user.unit in REPORT_UNITS:
        return
    if user.unit in {unit, report.township}:
        return
    raise Forbidden(f"report {report.id} is made to labour inspection, the union and {unit or 'the industry unit'}")


def report_view(session: Session, jurisdiction, report: EmployerReport) -> dict:
    project = get_project(session=session, project_id=report.project_id) if report.project_id else None
    warnings = [
        w for w in list_warnings(session=session, credit_code=report.credit_code)[0] if w.report_id == report.id
    ]
    return {
        "id": report.id,
        "credit_code": report.credit_code,
        "employer_name": report.employer_name,
        "project_id": report.project_id,
        "project_name": project.name if project else None,
        "township": report.township,
        "industry_unit": service.industry_unit(jurisdiction, project) if project else None,
        "amount": report.amount,
        "workers": report.workers,
        "reason": report.reason,
        "signed_for_workers": report.signed_for_workers,
        "filed_at": report.filed_at,
        "filed_by": report.filed_by,
        "instalments": [
            {
                "seq": i.seq,
                "due_at": i.due_at,
                "amount": i.amount,
                "paid": i.paid,
                "paid_at": i.paid_at,
                "status": i.status,
            }
            for i in instalments_of(session=session, report_id=report.id)
        ],
        "warnings": [warning_out(w).model_dump() for w in warnings],
    }


@router.post("", status_code=status.HTTP_201_CREATED, summary="File an employer's report and its agreement")
async def post_report(body: ReportIn, request: Request, jurisdiction: JurisdictionDep, user: Filer) -> dict:
    """Each instalment's date is a clock: unpaid in full when it comes, an `instalment_missed` warning opens."""
    code = body.credit_code
    now = datetime.now(timezone.utc)
    dues = [_aware(i.due_at) for i in body.instalments]
    if any(later <= earlier for earlier, later in zip(dues, dues[1:])):
        raise InvalidInput("instalments must be in date order, each after the one before", field="body.instalments")
    if dues[0] <= now:
        raise InvalidInput(
            "the first instalment is already due; give dates still ahead", field="body.instalments.0.due_at"
        )

    def store():
        with session_scope(request.app.state.engine) as session:
            township = body.township
            if body.project_id is not None:
                project = get_project(session=session, project_id=body.project_id)
                if project is None:
                    raise InvalidInput(f"there is no project {body.project_id}", field="body.project_id")
                township = township or project.township
            report = EmployerReport(
                credit_code=code,
                employer_name=body.employer_name,
                project_id=body.project_id,
                township=township,
                amount=body.amount,
                workers=body.workers,
                reason=body.reason,
                signed_for_workers=body.signed_for_workers,
                filed_at=now,
                filed_by=user.username,
            )
            session.add(report)
            session.flush()
            session.add_all(
                [
                    Instalment(report_id=report.id, seq=n, due_at=due, amount=i.amount)
                    for n, (i, due) in enumerate(zip(body.instalments, dues), start=1)
                ]
            )
            session.flush()
            return report, report_view(session, jurisdiction, report)

    report, view = await run_in_threadpool(store)
    client = await get_temporal(request)
    await service.start_report_clocks(
        client,
        jurisdiction=jurisdiction,
        task_queue=request.app.state.settings.task_queue,
        report_id=report.id,
        instalments=[(n, due) for n, due in enumerate(dues, start=1)],
    )
    return view


@router.get("", summary="Employers' reports")
def get_reports(session: SessionDep, user: CurrentUser, jurisdiction: JurisdictionDep) -> dict:
    rows = list(session.exec(select(EmployerReport).order_by(col(EmployerReport.id).desc()).limit(200)))
    out = []
    for report in rows:
        view = report_view(session, jurisdiction, report)
        try:
            _may_see(user, report, view["industry_unit"])
        except Forbidden:
            continue
        out.append(view)
    return {"items": out, "total": len(out)}


@router.get("/{report_id}", summary="One employer's report")
def get_report(report_id: int, session: SessionDep, user: CurrentUser, jurisdiction: JurisdictionDep) -> dict:
    report = session.get(EmployerReport, report_id)
    if report is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=f"no report with id {report_id}")
    view = report_view(session, jurisdiction, report)
    _may_see(user, report, view["industry_unit"])
    return view


class InstalmentPaymentIn(BaseModel):
    amount: AmountIn
    paid_at: datetime | None = None


@router.post("/{report_id}/instalments/{seq}/payment", summary="Record a payment on an instalment")
async def post_instalment_payment(
    report_id: int, seq: int, body: InstalmentPaymentIn, request: Request, jurisdiction: JurisdictionDep, user: Filer
) -> dict:
    now = datetime.now(timezone.utc)
    paid_at = _aware(body.paid_at) if body.paid_at else now
    if paid_at > now + timedelta(minutes=2):
        raise InvalidInput("paid_at is in the future", field="body.paid_at")

    def store():
        with session_scope(request.app.state.engine) as session:
            report = session.get(EmployerReport, report_id)
            if report is None:
                raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=f"no report with id {report_id}")
            pay_instalment(session=session, report_id=report_id, seq=seq, amount=body.amount, at=paid_at)
            session.flush()
            return report_view(session, jurisdiction, report)

    return await run_in_threadpool(store)
