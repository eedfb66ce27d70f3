"""Early warning (预警): what utilities, the tax office, banks and landlords report about employers (signals,
seed notice 三(五)), scored per employer, and an employer's page: its signals, warnings, reports and cases."""

from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile, status
from pydantic import AfterValidator, BaseModel, Field, StringConstraints
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from api import monitoring_service as service
from api.deps import CurrentUser, JurisdictionDep, SessionDep
from api.monitoring_sheets import parse_signal_sheet
from api.routes.warnings import Recorder, _aware, _sheet_or_422, start_clocks, warning_out, warning_units
from db.accounts import User
from db.cases import CaseRecord
from db.engine import session_scope
from db.monitoring import EarlyWarning, EmployerReport, EmployerSignal, list_warnings, signals_of
from domain import monitoring as rules
from domain.errors import InvalidInput
from domain.jurisdiction import Jurisdiction
from domain.monitoring import SignalKind, WarningKind

router = APIRouter(tags=["early warning"])

# ---- signals and employers --------------------------------------------------------------------------------


def _required_credit(value: str) -> str:
    from domain.identity import check_credit_code

    try:
        return check_credit_code(value)  # GB 32100-2015: characters and check character
    except InvalidInput as err:
        raise ValueError(err.message) from None


CreditCodeIn = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), AfterValidator(_required_credit)
]


class SignalIn(BaseModel):
    credit_code: CreditCodeIn = Field(description="the employer's unified social credit code (GB 32100)")
    kind: SignalKind
    observed_at: datetime | None = Field(default=None, description="when the reporting body observed it; default now")
    detail: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    employer_name: Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=200)] = None


class SignalOut(BaseModel):
    id: int
    credit_code: str
    kind: str
    kind_label: str
    observed_at: datetime
    detail: str
    score: int
    threshold: int
    warning_id: int | None


def credit_code_of(value: str) -> str:
    """The credit code checked (GB 32100); ValueError naming what is wrong."""
    return _required_credit(value.strip())


def store_signals(engine, jurisdiction: Jurisdiction, bodies: list[SignalIn], user: User):
    now = datetime.now(timezone.utc)
    checked = [(body.credit_code, _aware(body.observed_at, "body.observed_at", now=now)) for body in bodies]
    out, opened = [], []
    with session_scope(engine) as session:
        for body, (code, observed) in zip(bodies, checked):
            signal = EmployerSignal(
                credit_code=code,
                kind=body.kind.value,
                observed_at=observed,
                detail=body.detail,
                recorded_by=user.username,
                recorded_at=now,
            )
            session.add(signal)
            session.flush()
            score, warning = service.score_employer(
                session=session, jurisdiction=jurisdiction, credit_code=code, now=now, employer_name=body.employer_name
            )
            if warning is not None:
                opened.append(warning)
            current = warning or _open_signals_warning(session, code)
            out.append(
                SignalOut(
                    id=signal.id,
                    credit_code=code,
                    kind=signal.kind,
                    kind_label=rules.SIGNAL_LABELS[signal.kind],
                    observed_at=observed,
                    detail=signal.detail,
                    score=score,
                    threshold=jurisdiction.monitoring.signal_score,
                    warning_id=current.id if current else None,
                )
            )
    return out, opened


def _open_signals_warning(session: Session, code: str) -> EarlyWarning | None:
    from db.monitoring import open_warning_of

    return open_warning_of(session=session, kind=WarningKind.SIGNALS.value, credit_code=code)


@router.post("/api/signals", status_code=status.HTTP_201_CREATED, summary="Record a report about an employer")
async def post_signal(body: SignalIn, request: Request, jurisdiction: JurisdictionDep, user: Recorder) -> SignalOut:
    """What utilities, the tax office, banks, landlords or courts report about an employer. Its signals in
    the jurisdiction's `signal_window` are scored; reaching `monitoring.signal_score` opens a `signals`
    warning (one at a time per employer)."""
    out, opened = await run_in_threadpool(store_signals, request.app.state.engine, jurisdiction, [body], user)
    await start_clocks(request, jurisdiction, opened)
    return out[0]


@router.post("/api/signals/import", status_code=status.HTTP_201_CREATED, summary="Import signals from .xlsx")
async def import_signals(
    request: Request, jurisdiction: JurisdictionDep, user: Recorder, file: UploadFile = File(...)
) -> dict:
    """Columns 统一社会信用代码, 类型 (欠缴水电费 / 税务异常 / 账户冻结 / 拖欠租金 / 涉诉, or the codes), 发现时间,
    情况说明, 企业名称; one row per report. Nothing is stored unless every row is right (422)."""
    rows = _sheet_or_422(parse_signal_sheet, await file.read())
    bodies = [SignalIn(**r) for r in rows]
    out, opened = await run_in_threadpool(store_signals, request.app.state.engine, jurisdiction, bodies, user)
    await start_clocks(request, jurisdiction, opened)
    return {"items": [o.model_dump() for o in out], "total": len(out), "warnings_opened": [w.id for w in opened]}


@router.get("/api/employers/{credit_code}", summary="An employer: its signals, warnings, reports and cases")
def get_employer(credit_code: str, session: SessionDep, user: CurrentUser, jurisdiction: JurisdictionDep) -> dict:
    try:
        code = credit_code_of(credit_code)
    except ValueError as err:
        raise InvalidInput(str(err).removeprefix("Value error, "), field="credit_code") from None
    return employer_view(session=session, jurisdiction=jurisdiction, user=user, credit_code=code)


def employer_view(*, session: Session, jurisdiction: Jurisdiction, user: User, credit_code: str) -> dict:
    from api.case_service import visible_units
    from db.cases import case_units

    now = datetime.now(timezone.utc)
    signals = signals_of(session=session, credit_code=credit_code)
    counted = {
        s.id
        for s in service.counted_signals(session=session, jurisdiction=jurisdiction, credit_code=credit_code, now=now)
    }
    score = sum(jurisdiction.monitoring.signal_weights.get(s.kind, 1) for s in signals if s.id in counted)
    warnings, _ = list_warnings(session=session, credit_code=credit_code, units=warning_units(user))
    cases = list(
        session.exec(
            select(CaseRecord)
            .where(CaseRecord.employer_credit_code == credit_code)
            .order_by(col(CaseRecord.received_at).desc())
            .limit(100)
        )
    )
    scope = visible_units(user)
    if scope is not None:
        cases = [c for c in cases if set(scope) & set(case_units(session=session, case_no=c.case_no))]
    reports = list(session.exec(select(EmployerReport).where(EmployerReport.credit_code == credit_code)))
    name = (
        next((w.employer_name for w in warnings if w.employer_name), None)
        or next((r.employer_name for r in reports), None)
        or next((c.employer_name for c in cases), None)
    )
    return {
        "credit_code": credit_code,
        "name": name,
        "score": score,
        "threshold": jurisdiction.monitoring.signal_score,
        "signals": [
            {
                "id": s.id,
                "kind": s.kind,
                "kind_label": rules.SIGNAL_LABELS.get(s.kind, s.kind),
                "observed_at": s.observed_at,
                "detail": s.detail,
                "counted": s.id in counted,
            }
            for s in signals
        ],
        "warnings": [warning_out(w).model_dump() for w in warnings],
        "reports": [{"id": r.id, "amount": r.amount, "filed_at": r.filed_at, "workers": r.workers} for r in reports],
        "cases": [
            {
                "case_no": c.case_no,
                "stage": c.stage,
                "lead_unit": c.lead_unit,
                "received_at": c.received_at,
                "amount_claimed": c.amount_claimed,
            }
            for c in cases
        ],
    }
