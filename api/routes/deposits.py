"""A project's wage guarantee deposit (工资保证金): the ledger, payments into it, and the ratio rule.

Who may write: case workers and unit heads of the unit responsible for the project under the routing rules
(the industry unit or township) or of labour inspection (the co-handler, which supervises deposits), the
office of the leading group (`supervisor`) and `admin`. Everyone logged in may read. Drawdowns are never
made here: an unpaid order to pay draws the deposit by itself (the case workflow's `draw_deposit`).
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Header, HTTPException, Query, Request, status
from pydantic import BaseModel, Field, StringConstraints
from sqlmodel import Session, select

from api.case_service import perform_action
from api.deps import CurrentUser, JurisdictionDep, SessionDep, get_temporal
from api.params import RecordId
from api.schemas import AmountIn, Strict, Yuan
from db.accounts import Project, User, get_project
from db.cases import CaseRecord, case_state
from db.deposits import DepositKind, deposit_ledger, record_entry
from domain.enforcement import deposit_requirement
from domain.errors import DomainError, Forbidden, InvalidInput
from domain.jurisdiction import Jurisdiction
from domain.roles import Role
from domain.routing import route

router = APIRouter(prefix="/api/projects", tags=["deposits"])

Bank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class DepositIn(Strict):
    """Money paid into (or refunded from) the deposit."""

    amount: AmountIn
    bank: Bank | None = Field(default=None, description="the bank holding the deposit; required for kind deposit")
    kind: Literal["deposit", "replenish", "refund"] = Field(
        default="deposit", description="deposit (存储), replenish (补足 after a drawdown), refund (退还)"
    )
    reference: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = Field(
        default=None, description="the bank's voucher number"
    )


class LedgerEntryOut(BaseModel):
    seq: int
    at: datetime
    kind: str
    amount: Yuan
    case_no: str | None
    bank: str
    reference: str | None


class DepositOut(BaseModel):
    project_id: int
    balance: Yuan
    ledger: list[LedgerEntryOut]
    cases_notified: list[str] = Field(default_factory=list, description="cases whose replenish clock this met")
    cases_not_notified: dict[str, str] = Field(default_factory=dict, description="case → why it was not updated")


class RequirementOut(BaseModel):
    project_id: int
    contract_amount: Yuan | None
    adjustment: str
    ratio_min: str = Field(description="percent of the contract amount")
    ratio_max: str
    amount_min: Yuan | None
    amount_max: Yuan | None
    explanation: str


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}"  # 1.50 → "1.5", 10 → "10"


def _project(session: Session, project_id: int) -> Project:
    project = get_project(session=session, project_id=project_id)
    if project is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"there is no project {project_id}")
    return project


def _may_write(user: User, project: Project, jurisdiction: Jurisdiction) -> None:
    if user.role in (Role.SUPERVISOR, Role.ADMIN):
        return
    responsible = route(project.facts(), jurisdiction.routing).lead_unit
    units = {responsible, jurisdiction.routing.co_handler}
    if user.role not in (Role.CASEWORKER, Role.UNIT_HEAD) or user.unit not in units:
        raise Forbidden(
            f"the deposit of project {project.id} is kept by {', '.join(sorted(units))} "
            "(caseworker or unit_head), or the office of the leading group"
        )


def _ledger_out(session: Session, project_id: int) -> DepositOut:
    book = deposit_ledger(session=session, project_id=project_id) or {"balance": Decimal("0"), "ledger": []}
    return DepositOut(
        project_id=project_id, balance=book["balance"], ledger=[LedgerEntryOut(**e) for e in book["ledger"]]
    )


def _awaiting_replenishment(session: Session, project_id: int) -> list[str]:
    rows = session.exec(
        select(CaseRecord).where(CaseRecord.project_id == project_id, CaseRecord.stage != "closed")
    ).all()
    return [r.case_no for r in rows if case_state(r).open_deadline("deposit_replenish") is not None]


@router.get("/{project_id}/deposit", response_model=DepositOut, summary="The project's deposit and its ledger")
def get_deposit(project_id: RecordId, session: SessionDep, _user: CurrentUser) -> DepositOut:
    """The balance (the signed sum of the ledger) and every entry, oldest first."""
    _project(session, project_id)
    return _ledger_out(session, project_id)


@router.post(
    "/{project_id}/deposit",
    response_model=DepositOut,
    status_code=status.HTTP_201_CREATED,
    summary="Pay into the deposit (deposit, replenish, refund)",
)
async def post_deposit(
    project_id: RecordId,
    body: DepositIn,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    jurisdiction: JurisdictionDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=150)] = None,
) -> DepositOut:
    """Record money paid into the deposit (or a refund out of it); the same Idempotency-Key records it once.
    A replenishment also meets the `deposit_replenish` clock of the project's open cases awaiting it."""
    project = _project(session, project_id)
    _may_write(user, project, jurisdiction)
    if body.kind == "deposit" and not body.bank:
        raise InvalidInput("bank is required for a deposit", field="body.bank")
    key = f"api:{project_id}:{idempotency_key}" if idempotency_key else None
    try:
        record_entry(
            session=session,
            project_id=project_id,
            kind=DepositKind(body.kind),
            amount=body.amount,
            bank=body.bank,
            actor=user.username,
            reference=body.reference,
            key=key,
        )
        session.commit()
    except DomainError:
        session.rollback()
        raise
    out = _ledger_out(session, project_id)
    if body.kind == "replenish":
        client = await get_temporal(request)
        entry = out.ledger[-1] if out.ledger else None
        for case_no in _awaiting_replenishment(session, project_id):
            reference = f"保证金台账#{entry.seq}" if entry else None
            try:
                await perform_action(
                    client=client,
                    case_no=case_no,
                    action="deposit_replenished",
                    params={"reference": reference},
                    user=user,
                    idempotency_key=f"replenish-{project_id}-{entry.seq if entry else 0}",
                )
                out.cases_notified.append(case_no)
            except DomainError as err:
                out.cases_not_notified[case_no] = err.message
    return out


@router.get(
    "/{project_id}/deposit/requirement",
    response_model=RequirementOut,
    summary="How much deposit the project must hold (ratio rule)",
)
def get_requirement(
    project_id: RecordId,
    session: SessionDep,
    _user: CurrentUser,
    jurisdiction: JurisdictionDep,
    contract_amount: Annotated[
        Decimal | None,
        Query(ge=0, max_digits=14, decimal_places=2, description=("yuan; default: the project's contract amount")),
    ] = None,
    years_without_arrears: Annotated[int, Query(ge=0, le=100)] = 0,
    arrears_in_last_two_years: bool = False,
) -> RequirementOut:
    """1-3% of the contract amount; at least halved after two years without arrears; exempt after three;
    raised by at least half after arrears in the last two years (工程建设领域农民工工资保证金规定 arts. 11-12)."""
    project = _project(session, project_id)
    amount = contract_amount if contract_amount is not None else project.contract_amount
    req = deposit_requirement(
        contract_amount=amount,
        years_without_arrears=years_without_arrears,
        arrears_in_last_two_years=arrears_in_last_two_years,
        thresholds=jurisdiction.thresholds,
    )
    return RequirementOut(
        project_id=project_id,
        contract_amount=amount,
        adjustment=req.adjustment,
        ratio_min=_percent(req.ratio_min),
        ratio_max=_percent(req.ratio_max),
        amount_min=req.amount_min,
        amount_max=req.amount_max,
        explanation=req.explanation,
    )
