"""What early warning does, for the API and the workflows' activities alike: start a project's monitor,
check a period, a payroll, the deposit and an employer's signals, open warnings and turn one into a case.

The rules are domain.monitoring's; this module reads and writes the database and talks to Temporal.
"""

import json
import logging
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from core.calendar import build_calendar
from db.accounts import Project, User, get_project
from db.deposits import deposit_balance
from db.engine import session_scope
from db.monitoring import (
    EarlyWarning,
    EmployerReport,
    EmployerSignal,
    Instalment,
    ProjectMonitor,
    open_warning,
    open_warning_of,
    payroll_for,
    roster_of,
    signals_of,
)
from domain import monitoring as rules
from domain.calendar import WorkCalendar
from domain.deadlines import due_instant
from domain.jurisdiction import Jurisdiction
from domain.monitor_messages import (
    MonitorInput,
    MonitorStepInput,
    MonitorStepResult,
    OpenedWarning,
    ReportInput,
    WarningInput,
)
from domain.monitoring import WarningKind, WarningLevel, WarningStatus
from domain.roles import Role

log = logging.getLogger(__name__)

SYSTEM_USER = "early-warning"  # who the software acts as when it opens or escalates a warning
DEPOSIT_TYPES = (
    "housing_municipal",
    "transport",
    "water",
    "mine",
    "mine_processing",
    "tourism",
    "education",
    "health",
    "agriculture",
    "forestry",
)  # 工程建设领域 and 非煤矿山 (三(三))


def calendar_of(jurisdiction: Jurisdiction) -> WorkCalendar:
    cal = jurisdiction.calendar
    return build_calendar(
        extra_holidays=cal.extra_holidays, extra_workdays=cal.extra_workdays, unknown_year=str(cal.unknown_year)
    )


def monitoring_enabled(jurisdiction: Jurisdiction) -> bool:
    """Whether the jurisdiction file has the payroll rules (a county's file without them monitors nothing)."""
    return all(
        name in jurisdiction.deadlines for name in (rules.PAYROLL_CYCLE, rules.PAYROLL_GRACE, rules.WARNING_RESPONSE)
    )


def industry_unit(jurisdiction: Jurisdiction, project: Project) -> str:
    """The unit that supervises the project's industry (谁主管谁负责): by project type, else the default."""
    return jurisdiction.routing.by_project_type.get(project.type, jurisdiction.routing.default_unit)


def response_due(jurisdiction: Jurisdiction, opened_at: datetime) -> datetime:
    return due_instant(jurisdiction.rule(rules.WARNING_RESPONSE), opened_at, calendar_of(jurisdiction))


def _employer_of(project: Project) -> tuple[str, str | None]:
    """The employer a project's warning concerns: the subcontractor if any, else the general contractor."""
    if project.subcontractor_name:
        return project.subcontractor_name, project.subcontractor_credit_code
    return project.general_contractor_name, project.general_contractor_credit_code


def open_project_warning(
    *,
    session: Session,
    jurisdiction: Jurisdiction,
    project: Project,
    kind: WarningKind,
    source_key: str,
    level: WarningLevel,
    reason: str,
    amount: Decimal | None = None,
    period: str | None = None,
    now: datetime,
) -> tuple[EarlyWarning, bool]:
    name, code = _employer_of(project)
    return open_warning(
        session=session,
        source_key=source_key,
        kind=kind.value,
        project_id=project.id,
        credit_code=code,
        employer_name=name,
        township=project.township,
        unit=industry_unit(jurisdiction, project),
        period=period,
        level=level.value,
        reason=reason,
        amount=amount,
        opened_at=now,
        response_due_at=response_due(jurisdiction, now),
    )


# ---- a project's monitor ----------------------------------------------------------------------------


def register_monitor(
    *,
    session: Session,
    jurisdiction: Jurisdiction,
    project: Project,
    works_started_at: datetime | None,
    payday: int | None,
    account_bank: str | None,
    account_no: str | None,
) -> ProjectMonitor | None:
    """The monitor row of a newly registered project (None when the jurisdiction monitors nothing)."""
    if not monitoring_enabled(jurisdiction):
        return None
    started = works_started_at or project.created_at
    if started.tzinfo is None:  # as for received_at: a time without an offset is China time
        from domain.calendar import CHINA_TZ

        started = started.replace(tzinfo=CHINA_TZ)
    started = started.astimezone(timezone.utc)
    cycle = jurisdiction.rule(rules.PAYROLL_CYCLE)
    first = rules.first_period_due_after(cycle, started, project.created_at, payday, calendar_of(jurisdiction))
    monitor = ProjectMonitor(
        project_id=project.id,
        works_started_at=started,
        payday=payday,
        account_bank=account_bank,
        account_no=account_no,
        first_period=first,
        next_period=first,
        started_at=project.created_at,
    )
    monitor.deposit_flag = permit_gate(session=session, jurisdiction=jurisdiction, project=project)
    session.add(monitor)
    return monitor


def permit_gate(*, session: Session, jurisdiction: Jurisdiction, project: Project) -> str | None:
    """The permit gate's finding (三(三): no permit without the deposit), or None when the project passes."""
    if project.type not in DEPOSIT_TYPES:
        return None
    required = rules.deposit_required(project.contract_amount, jurisdiction.thresholds.deposit_ratio_min)
    balance = deposit_balance(session=session, project_id=project.id) if project.id else Decimal(0)
    if required is None:
        return None if balance > 0 else "未缴存工资保证金（未登记合同金额，无法核定应缴数额），不得核发施工许可证"
    short = rules.deposit_shortfall(required, balance)
    if short:
        return (
            f"工资保证金应缴{required:.2f}元（合同金额的{jurisdiction.thresholds.deposit_ratio_min}%），"
            f"已缴{balance:.2f}元，差{short:.2f}元，不得核发施工许可证"
        )
    return None


async def start_monitor(
    client: Client, *, jurisdiction: Jurisdiction, task_queue: str, project_id: int, name: str
) -> None:
    from workflows.project_monitor import ProjectMonitorWorkflow, monitor_id

    try:
        await client.start_workflow(
            ProjectMonitorWorkflow.run,
            MonitorInput(project_id),
            id=monitor_id(jurisdiction.case_prefix, project_id),
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            static_summary=f"工资支付监控：{name}",
        )
    except WorkflowAlreadyStartedError:
        pass


async def start_warning_clock(
    client: Client, *, jurisdiction: Jurisdiction, task_queue: str, warning: EarlyWarning
) -> None:
    from workflows.project_monitor import WarningWorkflow, warning_workflow_id

    await client.start_workflow(
        WarningWorkflow.run,
        WarningInput(warning.id, warning.response_due_at),
        id=warning_workflow_id(jurisdiction.case_prefix, warning.id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=f"预警 #{warning.id} 处置期限",
    )


async def start_report_clocks(
    client: Client,
    *,
    jurisdiction: Jurisdiction,
    task_queue: str,
    report_id: int,
    instalments: list[tuple[int, datetime]],
) -> None:
    from workflows.project_monitor import EmployerReportWorkflow, report_workflow_id

    await client.start_workflow(
        EmployerReportWorkflow.run,
        ReportInput(report_id, instalments),
        id=report_workflow_id(jurisdiction.case_prefix, report_id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=f"企业报告 #{report_id} 还款计划",
    )


def monitor_step(
    *, engine: Engine, jurisdiction: Jurisdiction, step: MonitorStepInput, now: datetime
) -> MonitorStepResult:
    """Check what has fallen due (a period's payroll, the deposit), then plan the next period."""
    opened: list[OpenedWarning] = []
    with session_scope(engine) as session:
        monitor = session.get(ProjectMonitor, step.project_id)
        project = get_project(session=session, project_id=step.project_id)
        if monitor is None or project is None or not monitoring_enabled(jurisdiction):
            return MonitorStepResult(monitoring=False)
        cal = calendar_of(jurisdiction)
        cycle, grace = jurisdiction.rule(rules.PAYROLL_CYCLE), jurisdiction.rule(rules.PAYROLL_GRACE)
        if step.check_period is not None:
            period = rules.period(cycle, monitor.works_started_at, step.check_period, monitor.payday, cal)
            if payroll_for(session=session, project_id=project.id, period_index=period.index) is None:
                monitor.periods_missed += 1
                warning, new = open_project_warning(
                    session=session,
                    jurisdiction=jurisdiction,
                    project=project,
                    kind=WarningKind.PAYROLL_MISSING,
                    source_key=f"payroll_missing:{project.id}:{period.index}",
                    level=rules.missing_level(monitor.periods_missed),
                    period=period.label,
                    now=now,
                    amount=_roster_total(session, project.id),
                    reason=(
                        f"第{period.label}期工资应于{_local(period.due_at)}发放，宽限期满仍未报送银行代发工资明细"
                        f"（连续{monitor.periods_missed}期）"
                    ),
                )
                if new:
                    opened.append(OpenedWarning(warning.id, warning.response_due_at))
            else:
                monitor.periods_missed = 0
        deposit_check_at = None
        if not step.deposit_checked and not step.check_deposit:
            deposit_check_at = _deposit_check_at(jurisdiction, monitor, cal)
        if step.check_deposit:
            monitor.deposit_flag = permit_gate(session=session, jurisdiction=jurisdiction, project=project)
            if monitor.deposit_flag and (project.contract_amount is not None):
                warning, new = open_project_warning(
                    session=session,
                    jurisdiction=jurisdiction,
                    project=project,
                    kind=WarningKind.DEPOSIT_MISSING,
                    source_key=f"deposit_missing:{project.id}",
                    level=WarningLevel.YELLOW,
                    now=now,
                    reason=monitor.deposit_flag,
                )
                if new:
                    opened.append(OpenedWarning(warning.id, warning.response_due_at))
        index = step.next_period if step.next_period is not None else monitor.first_period
        nxt = rules.period(cycle, monitor.works_started_at, index, monitor.payday, cal)
        monitor.next_period = index
        monitor.next_check_at = due_instant(grace, nxt.due_at, cal)
        session.add(monitor)
        open_count = len(
            session.exec(
                select(EarlyWarning.id).where(
                    EarlyWarning.project_id == project.id, EarlyWarning.status == WarningStatus.OPEN.value
                )
            ).all()
        )
        return MonitorStepResult(
            monitoring=True,
            next_period=index,
            next_due_at=nxt.due_at,
            next_check_at=monitor.next_check_at,
            deposit_check_at=deposit_check_at,
            township=project.township or "-",
            periods_missed=monitor.periods_missed,
            open_warnings=open_count,
            opened=opened,
        )


def _deposit_check_at(jurisdiction: Jurisdiction, monitor: ProjectMonitor, cal: WorkCalendar) -> datetime | None:
    if rules.DEPOSIT_LODGE not in jurisdiction.deadlines:
        return None
    return due_instant(jurisdiction.rule(rules.DEPOSIT_LODGE), monitor.started_at, cal)


def _roster_total(session: Session, project_id: int) -> Decimal | None:
    wages = [w.agreed_wage for w in roster_of(session=session, project_id=project_id) if w.agreed_wage]
    return sum(wages, Decimal(0)) if wages else None


def _local(at: datetime) -> str:
    from domain.calendar import CHINA_TZ

    return f"{at.astimezone(CHINA_TZ):%Y-%m-%d %H:%M:%S}"


# ---- signals ------------------------------------------------------------------------------------------


def counted_signals(
    *, session: Session, jurisdiction: Jurisdiction, credit_code: str, now: datetime
) -> list[EmployerSignal]:
    """The employer's reports that count now: observed within the signal window and recorded after its last
    `signals` warning was dealt with (resolved or escalated: that settled the reports before it)."""
    window = jurisdiction.deadlines.get(rules.SIGNAL_WINDOW)
    since = _window_start(window, now) if window else datetime.min.replace(tzinfo=timezone.utc)
    signals = signals_of(session=session, credit_code=credit_code, since=since)
    settled = session.exec(
        select(EarlyWarning.closed_at)
        .where(
            EarlyWarning.kind == WarningKind.SIGNALS.value,
            EarlyWarning.credit_code == credit_code,
            col(EarlyWarning.closed_at).is_not(None),
        )
        .order_by(col(EarlyWarning.closed_at).desc())
    ).first()
    if settled is not None:
        signals = [s for s in signals if s.recorded_at > settled]
    return signals


def score_employer(
    *, session: Session, jurisdiction: Jurisdiction, credit_code: str, now: datetime, employer_name: str | None = None
) -> tuple[int, EarlyWarning | None]:
    """The employer's score over the signal window and the `signals` warning it opens (None when it opens
    none: below the threshold, or one is open already)."""
    cfg = jurisdiction.monitoring
    signals = counted_signals(session=session, jurisdiction=jurisdiction, credit_code=credit_code, now=now)
    since = datetime.min.replace(tzinfo=timezone.utc)
    observed = [rules.ObservedSignal(s.kind, s.observed_at) for s in signals]
    score = rules.signal_score(observed, now=now + timedelta(minutes=5), window_start=since, weights=cfg.signal_weights)
    if (
        score < cfg.signal_score
        or open_warning_of(session=session, kind=WarningKind.SIGNALS.value, credit_code=credit_code) is not None
    ):
        return score, None
    project = _latest_project_of(session, credit_code)
    key = f"signals:{credit_code}:{min(s.id for s in signals)}"
    kinds = "、".join(dict.fromkeys(rules.SIGNAL_LABELS.get(s.kind, s.kind) for s in signals))
    reason = f"近期收到{len(signals)}条经营异常信息（{kinds}），评分{score}，达到预警分值{cfg.signal_score}"
    level = rules.signals_level(score, cfg.signal_score)
    if project is not None:
        warning, new = open_project_warning(
            session=session,
            jurisdiction=jurisdiction,
            project=project,
            kind=WarningKind.SIGNALS,
            source_key=key,
            level=level,
            reason=reason,
            now=now,
        )
        if new and (warning.credit_code != credit_code):
            warning.credit_code = credit_code
            warning.employer_name = employer_name or _party_name(project, credit_code)
    else:
        warning, new = open_warning(
            session=session,
            source_key=key,
            kind=WarningKind.SIGNALS.value,
            credit_code=credit_code,
            employer_name=employer_name,
            township=None,
            unit=jurisdiction.routing.default_unit,
            level=level.value,
            reason=reason,
            opened_at=now,
            response_due_at=response_due(jurisdiction, now),
        )
    return score, warning if new else None


def _window_start(window, now: datetime) -> datetime:
    """The start of the window that ends now: the rule's period counted back from now."""
    probe = due_instant(window, now, build_calendar())
    return now - (probe - now)


def _latest_project_of(session: Session, credit_code: str) -> Project | None:
    return session.exec(
        select(Project)
        .where(
            (Project.general_contractor_credit_code == credit_code)
            | (Project.subcontractor_credit_code == credit_code)
            | (Project.construction_unit_credit_code == credit_code)
        )
        .order_by(col(Project.id).desc())
    ).first()


def _party_name(project: Project, credit_code: str) -> str:
    for name, code in (
        (project.subcontractor_name, project.subcontractor_credit_code),
        (project.general_contractor_name, project.general_contractor_credit_code),
        (project.construction_unit_name, project.construction_unit_credit_code),
    ):
        if code == credit_code and name:
            return name
    return project.general_contractor_name


# ---- instalments --------------------------------------------------------------------------------------


def check_instalment(
    *, engine: Engine, jurisdiction: Jurisdiction, report_id: int, seq: int, now: datetime
) -> list[OpenedWarning]:
    """An instalment whose date has come: missed (and a warning) unless paid in full."""
    with session_scope(engine) as session:
        report = session.get(EmployerReport, report_id)
        row = session.exec(select(Instalment).where(Instalment.report_id == report_id, Instalment.seq == seq)).first()
        if report is None or row is None or row.paid >= row.amount:
            return []
        row.status = "missed"
        session.add(row)
        project = get_project(session=session, project_id=report.project_id) if report.project_id else None
        owed = row.amount - row.paid
        reason = (
            f"{report.employer_name}报告的偿还协议第{seq}期应于{_local(row.due_at)}前偿还{row.amount:.2f}元，"
            f"到期仍欠{owed:.2f}元"
        )
        warning, new = open_warning(
            session=session,
            source_key=f"instalment_missed:{report_id}:{seq}",
            kind=WarningKind.INSTALMENT_MISSED.value,
            project_id=report.project_id,
            credit_code=report.credit_code,
            employer_name=report.employer_name,
            township=report.township or (project.township if project else None),
            unit=industry_unit(jurisdiction, project)
            if project
            else "hrss"
            if "hrss" in jurisdiction.units
            else jurisdiction.routing.default_unit,
            report_id=report_id,
            level=WarningLevel.RED.value,
            reason=reason,
            amount=owed,
            opened_at=now,
            response_due_at=response_due(jurisdiction, now),
        )
        return [OpenedWarning(warning.id, warning.response_due_at)] if new else []


# ---- a warning becomes a case ---------------------------------------------------------------------------


def case_draft(*, session: Session, jurisdiction: Jurisdiction, warning: EarlyWarning) -> dict:
    """The complaint a warning becomes: channel township_warning, the employer, the project, the workers
    at stake (the roster with its agreed wages, else one line to be established by the investigation)."""
    workers: list[dict] = []
    if warning.project_id is not None:
        if warning.kind == WarningKind.PAYROLL_FINDINGS.value:
            workers = _findings_workers(session, warning)
        if not workers:
            workers = [
                {"name": w.name, "id_number": w.id_number, "amount_owed": str(w.agreed_wage)}
                for w in roster_of(session=session, project_id=warning.project_id)
                if w.agreed_wage
            ]
    amount = warning.amount
    if not workers:
        workers = [
            {"name": "待核实（预警转立案，人员及金额由调查认定）", "amount_owed": str(amount or Decimal("0.01"))}
        ]
    reporter = jurisdiction.units.get(warning.township or "") or jurisdiction.units.get(warning.unit or "")
    name = warning.employer_name or f"统一社会信用代码{warning.credit_code}的企业"
    body = {
        "channel": "township_warning",
        "complainant": {"name": f"{reporter.name if reporter else jurisdiction.office_name}（预警转立）"},
        "workers": workers,
        "employer": {"name": name, "credit_code": warning.credit_code},
        "description": (
            f"预警 #{warning.id}（{rules.KIND_LABELS.get(warning.kind, warning.kind)}，"
            f"{rules.LEVEL_LABELS.get(warning.level, warning.level)}）"
            f"自{_local(warning.opened_at)}发出，处置期限内未化解，转立案办理。{warning.reason}"
        ),
    }
    if warning.project_id is not None:
        body["project_id"] = warning.project_id
    return body


def _findings_workers(session: Session, warning: EarlyWarning) -> list[dict]:
    from db.monitoring import Payroll

    payroll = session.exec(
        select(Payroll).where(Payroll.project_id == warning.project_id, Payroll.period == warning.period)
    ).first()
    if payroll is None:
        return []
    roster = {w.id_number: w for w in roster_of(session=session, project_id=warning.project_id)}
    out = []
    for finding in json.loads(payroll.findings):
        worker = roster.get(finding.get("id_number") or "")
        if worker is None or not worker.agreed_wage:
            continue
        paid = next(
            (
                Decimal(line["amount"])
                for line in json.loads(payroll.lines)
                if line.get("id_number") == worker.id_number
            ),
            Decimal(0),
        )
        short = worker.agreed_wage - paid
        if short > 0:
            out.append({"name": worker.name, "id_number": worker.id_number, "amount_owed": str(short)})
    return out


def system_user(jurisdiction: Jurisdiction, warning: EarlyWarning) -> User:
    """The account a warning is registered under: the township's (or unit's) early-warning desk."""
    unit = warning.township or warning.unit or jurisdiction.office_unit
    return User(username=SYSTEM_USER, role=Role.CLERK, unit=unit, password_hash="!")


async def ensure_monitors(client: Client, *, engine: Engine, jurisdiction: Jurisdiction, task_queue: str) -> int:
    """Start the monitor of every monitored project (a start for one already running changes nothing): the
    worker does this at start-up, for projects registered while Temporal was unreachable."""
    if not monitoring_enabled(jurisdiction):
        return 0
    with session_scope(engine) as session:
        rows = session.exec(
            select(ProjectMonitor.project_id, Project.name).join(Project, Project.id == ProjectMonitor.project_id)
        ).all()
    for project_id, name in rows:
        await start_monitor(client, jurisdiction=jurisdiction, task_queue=task_queue, project_id=project_id, name=name)
    return len(rows)
