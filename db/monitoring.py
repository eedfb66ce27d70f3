"""Early warning (预警): monitored projects, their real-name rosters and payrolls, employers' signals,
warnings and employers' own reports (企业报告) with their instalments.

The clocks (when a period falls due, when a warning must have been dealt with, when an instalment is
late) are the workflows' (workflows/project_monitor.py); these tables hold the facts and their
projection. Every write that a retried activity may repeat is keyed: a warning by `source_key`
(UNIQUE), so a period, a payroll, an employer's window or an instalment opens at most one warning.
"""

import json
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, Text, UniqueConstraint, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from db.types import Money, UTCDateTime, utcnow
from domain.errors import InvalidInput, NotAllowedNow
from domain.monitoring import WarningStatus


class ProjectMonitor(SQLModel, table=True):
    """A project under payroll monitoring: works start, payday, special account and where its clock is."""

    __tablename__ = "project_monitors"
    project_id: int = Field(primary_key=True, foreign_key="projects.id")
    works_started_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    payday: int | None = None  # day of the month wages are due (1-31)
    account_bank: str | None = Field(default=None, max_length=100)  # 农民工工资专用账户 开户银行
    account_no: str | None = Field(default=None, max_length=40)
    first_period: int = 1  # the first period monitored (those due before registration are not)
    next_period: int = 1  # projection: the next period whose grace the workflow waits for
    next_check_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    periods_missed: int = 0  # periods whose grace passed without a payroll
    deposit_flag: str | None = Field(default=None, max_length=200)  # the permit gate's finding, if any
    started_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class RosterWorker(SQLModel, table=True):
    """A worker on a project's real-name roster (实名制花名册)."""

    __tablename__ = "project_roster"
    __table_args__ = (UniqueConstraint("project_id", "id_number", name="uq_project_roster_id_number"),)
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(index=True, foreign_key="projects.id")
    name: str = Field(max_length=100)
    id_number: str = Field(max_length=18)
    trade: str | None = Field(default=None, max_length=50)  # 工种
    bank_account: str | None = Field(default=None, max_length=40)  # 实名制工资卡
    agreed_wage: Decimal | None = Field(default=None, sa_column=Column(Money, nullable=True))  # per month


class Payroll(SQLModel, table=True):
    """A payroll paid for one pay period (银行代发工资明细), at most one per period."""

    __tablename__ = "payrolls"
    __table_args__ = (UniqueConstraint("project_id", "period_index", name="uq_payrolls_project_period"),)
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(index=True, foreign_key="projects.id")
    period: str = Field(max_length=16)
    period_index: int
    paid_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    total: Decimal = Field(sa_column=Column(Money, nullable=False))
    paid_from: str | None = Field(default=None, max_length=40)  # the account the bank paid from
    workers: int = 0
    findings: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON [{kind, text}]
    lines: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON [{name, id_number, amount}]
    recorded_by: str = Field(max_length=64)
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class EarlyWarning(SQLModel, table=True):
    """A warning (预警) to a township and an industry unit; escalated into a case when left open."""

    __tablename__ = "warnings"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32, index=True)
    source_key: str = Field(max_length=120, unique=True)
    project_id: int | None = Field(default=None, index=True, foreign_key="projects.id")
    credit_code: str | None = Field(default=None, max_length=18, index=True)
    employer_name: str | None = Field(default=None, max_length=200)
    township: str | None = Field(default=None, max_length=32, index=True)
    unit: str | None = Field(default=None, max_length=32, index=True)  # the industry unit
    report_id: int | None = Field(default=None, index=True)
    period: str | None = Field(default=None, max_length=16)
    level: str = Field(max_length=16)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    amount: Decimal | None = Field(default=None, sa_column=Column(Money, nullable=True))  # at stake, if known
    opened_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    response_due_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    status: str = Field(default=WarningStatus.OPEN.value, max_length=16, index=True)
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    closed_by: str | None = Field(default=None, max_length=64)
    resolution: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    case_no: str | None = Field(default=None, max_length=32, index=True)


class WarningAction(SQLModel, table=True):
    """What a township or unit did about a warning: contacted the employer, an agreement, the outcome."""

    __tablename__ = "warning_actions"
    id: int | None = Field(default=None, primary_key=True)
    warning_id: int = Field(index=True, foreign_key="warnings.id")
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    actor: str = Field(max_length=64)
    kind: str = Field(max_length=16)  # contact, agreement, resolve, escalate, note
    text: str = Field(sa_column=Column(Text, nullable=False))


class EmployerSignal(SQLModel, table=True):
    """One report about an employer from a utility, the tax office, a bank, a landlord or a court."""

    __tablename__ = "employer_signals"
    id: int | None = Field(default=None, primary_key=True)
    credit_code: str = Field(max_length=18, index=True)
    kind: str = Field(max_length=32)
    observed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))
    recorded_by: str = Field(max_length=64)
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class EmployerReport(SQLModel, table=True):
    """An employer's own report (企业报告) that it cannot pay on time, with the repayment agreement."""

    __tablename__ = "employer_reports"
    id: int | None = Field(default=None, primary_key=True)
    credit_code: str = Field(max_length=18, index=True)
    employer_name: str = Field(max_length=200)
    project_id: int | None = Field(default=None, foreign_key="projects.id")
    township: str | None = Field(default=None, max_length=32)
    amount: Decimal = Field(sa_column=Column(Money, nullable=False))
    workers: int
    reason: str = Field(sa_column=Column(Text, nullable=False))
    signed_for_workers: str = Field(max_length=200)  # 工会或职工代表
    filed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    filed_by: str = Field(max_length=64)


class Instalment(SQLModel, table=True):
    """One instalment of a repayment agreement: a clock that opens a warning when it runs out unpaid."""

    __tablename__ = "report_instalments"
    __table_args__ = (UniqueConstraint("report_id", "seq", name="uq_report_instalments_seq"),)
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(index=True, foreign_key="employer_reports.id")
    seq: int
    due_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    amount: Decimal = Field(sa_column=Column(Money, nullable=False))
    paid: Decimal = Field(default=Decimal(0), sa_column=Column(Money, nullable=False))
    paid_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    status: str = Field(default="open", max_length=16)  # open, paid, missed


# ---- warnings ------------------------------------------------------------------------------------


def open_warning(*, session: Session, source_key: str, **values) -> tuple[EarlyWarning, bool]:
    """The warning for `source_key`, opened now unless it exists; (warning, opened now)."""
    known = session.exec(select(EarlyWarning).where(EarlyWarning.source_key == source_key)).first()
    if known is not None:
        return known, False
    warning = EarlyWarning(source_key=source_key, **values)
    try:
        with session.begin_nested():
            session.add(warning)
    except IntegrityError:  # opened concurrently under the same key
        return session.exec(select(EarlyWarning).where(EarlyWarning.source_key == source_key)).one(), False
    session.flush()
    return warning, True


def warning_row(session: Session, warning_id: int) -> EarlyWarning:
    warning = session.get(EarlyWarning, warning_id)
    if warning is None:
        raise LookupError(f"there is no warning {warning_id}")
    return warning


def record_action(
    *, session: Session, warning: EarlyWarning, actor: str, kind: str, text: str, at: datetime | None = None
) -> WarningAction:
    action = WarningAction(warning_id=warning.id, actor=actor, kind=kind, text=text, at=at or utcnow())
    session.add(action)
    return action


def close_warning(
    *,
    session: Session,
    warning: EarlyWarning,
    status: WarningStatus,
    by: str,
    text: str,
    case_no: str | None = None,
    at: datetime | None = None,
) -> None:
    """Resolve or escalate an open warning; NotAllowedNow when it is no longer open."""
    if warning.status != WarningStatus.OPEN:
        raise NotAllowedNow(
            f"warning {warning.id} is already {warning.status}"
            + (f" (case {warning.case_no})" if warning.case_no else "")
        )
    warning.status = status.value
    warning.closed_at = at or utcnow()
    warning.closed_by = by
    warning.resolution = text
    warning.case_no = case_no
    session.add(warning)
    record_action(
        session=session,
        warning=warning,
        actor=by,
        at=warning.closed_at,
        kind="resolve" if status is WarningStatus.RESOLVED else "escalate",
        text=text,
    )


def list_warnings(
    *,
    session: Session,
    status: str | None = None,
    units: list[str] | None = None,
    project_id: int | None = None,
    credit_code: str | None = None,
    case_no: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> tuple[list[EarlyWarning], int]:
    """Warnings newest first; `units` limits them to those of these townships or industry units."""
    query = select(EarlyWarning)
    if status:
        query = query.where(EarlyWarning.status == status)
    if units is not None:
        query = query.where(col(EarlyWarning.township).in_(units) | col(EarlyWarning.unit).in_(units))
    if project_id is not None:
        query = query.where(EarlyWarning.project_id == project_id)
    if credit_code:
        query = query.where(EarlyWarning.credit_code == credit_code)
    if case_no:
        query = query.where(EarlyWarning.case_no == case_no)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(EarlyWarning.id).desc()).offset(offset).limit(limit))
    return list(rows), total


def warning_actions(*, session: Session, warning_id: int) -> list[WarningAction]:
    return list(
        session.exec(
            select(WarningAction).where(WarningAction.warning_id == warning_id).order_by(col(WarningAction.id))
        )
    )


def warning_counts_by_township(*, session: Session) -> dict[str, dict[str, int]]:
    """For the dashboard: {township: {open, resolved, escalated}} over every warning with a township."""
    rows = session.exec(
        select(EarlyWarning.township, EarlyWarning.status, func.count())
        .where(col(EarlyWarning.township).is_not(None))
        .group_by(EarlyWarning.township, EarlyWarning.status)
    )
    out: dict[str, dict[str, int]] = {}
    for township, status, count in rows:
        out.setdefault(township, {s.value: 0 for s in WarningStatus})[status] = count
    return out


# ---- rosters and payrolls ---------------------------------------------------------------------------


def replace_roster(*, session: Session, project_id: int, workers: list[dict]) -> int:
    """Make `workers` the project's roster (an import replaces the previous one)."""
    for row in session.exec(select(RosterWorker).where(RosterWorker.project_id == project_id)):
        session.delete(row)
    session.flush()
    session.add_all([RosterWorker(project_id=project_id, **w) for w in workers])
    return len(workers)


def roster_of(*, session: Session, project_id: int) -> list[RosterWorker]:
    return list(
        session.exec(select(RosterWorker).where(RosterWorker.project_id == project_id).order_by(col(RosterWorker.id)))
    )


def payroll_for(*, session: Session, project_id: int, period_index: int) -> Payroll | None:
    return session.exec(
        select(Payroll).where(Payroll.project_id == project_id, Payroll.period_index == period_index)
    ).first()


def add_payroll(*, session: Session, payroll: Payroll) -> Payroll:
    """Store a payroll; NotAllowedNow when its period already has one (money is never counted twice)."""
    if payroll_for(session=session, project_id=payroll.project_id, period_index=payroll.period_index):
        raise NotAllowedNow(
            f"period {payroll.period} of project {payroll.project_id} already has a payroll", field="body.period"
        )
    try:
        with session.begin_nested():
            session.add(payroll)
    except IntegrityError:
        raise NotAllowedNow(
            f"period {payroll.period} of project {payroll.project_id} already has a payroll", field="body.period"
        ) from None
    session.flush()
    return payroll


def payrolls_of(*, session: Session, project_id: int) -> list[Payroll]:
    return list(
        session.exec(select(Payroll).where(Payroll.project_id == project_id).order_by(col(Payroll.period_index)))
    )


def payroll_out(p: Payroll) -> dict:
    return {
        "id": p.id,
        "project_id": p.project_id,
        "period": p.period,
        "period_index": p.period_index,
        "paid_at": p.paid_at,
        "total": f"{p.total:.2f}",
        "paid_from": p.paid_from,
        "workers": p.workers,
        "findings": json.loads(p.findings),
    }


# ---- signals and employers -------------------------------------------------------------------------


def signals_of(*, session: Session, credit_code: str, since: datetime | None = None) -> list[EmployerSignal]:
    query = select(EmployerSignal).where(EmployerSignal.credit_code == credit_code)
    if since is not None:
        query = query.where(EmployerSignal.observed_at >= since)
    return list(session.exec(query.order_by(col(EmployerSignal.observed_at).desc())))


def open_warning_of(*, session: Session, kind: str, credit_code: str) -> EarlyWarning | None:
    return session.exec(
        select(EarlyWarning).where(
            EarlyWarning.kind == kind,
            EarlyWarning.credit_code == credit_code,
            EarlyWarning.status == WarningStatus.OPEN.value,
        )
    ).first()


# ---- employers' own reports -----------------------------------------------------------------------------


def instalments_of(*, session: Session, report_id: int) -> list[Instalment]:
    return list(session.exec(select(Instalment).where(Instalment.report_id == report_id).order_by(col(Instalment.seq))))


def pay_instalment(*, session: Session, report_id: int, seq: int, amount: Decimal, at: datetime) -> Instalment:
    """Record a payment on an instalment; refused when it is paid already or more than is due."""
    row = session.exec(
        select(Instalment).where(Instalment.report_id == report_id, Instalment.seq == seq).with_for_update()
    ).first()
    if row is None:
        raise InvalidInput(f"report {report_id} has no instalment {seq}", field="seq")
    if row.paid + amount > row.amount:
        raise NotAllowedNow(
            f"instalment {seq} is {row.amount:.2f} yuan and {row.paid:.2f} are paid; "
            f"{amount:.2f} more would pay it twice",
            field="body.amount",
        )
    row.paid += amount
    row.paid_at = at
    if row.paid == row.amount and row.status == "open":
        row.status = "paid"
    session.add(row)
    return row
