"""Inputs and results of the early-warning workflows and their activities (plain dataclasses)."""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class MonitorInput:
    """A project's monitor; a run that continued as new carries where it stands."""

    project_id: int
    next_period: int | None = None  # None: the first run asks for the first monitored period
    deposit_checked: bool = False


@dataclass
class MonitorStepInput:
    project_id: int
    next_period: int | None  # the period to plan (None: the first monitored one)
    check_period: int | None = None  # a period whose grace has run out: is its payroll there?
    check_deposit: bool = False  # the permit gate's clock has run out: is the deposit there?
    deposit_checked: bool = False


@dataclass
class OpenedWarning:
    id: int
    response_due_at: datetime


@dataclass
class MonitorStepResult:
    monitoring: bool  # False: the project or the jurisdiction's payroll rules are gone; the monitor ends
    next_period: int = 1
    next_due_at: datetime | None = None  # when the next period's wages fall due
    next_check_at: datetime | None = None  # when its grace runs out
    deposit_check_at: datetime | None = None  # None once checked (or nothing to check)
    township: str = "-"
    periods_missed: int = 0
    open_warnings: int = 0
    opened: list[OpenedWarning] = field(default_factory=list)


@dataclass
class WarningInput:
    warning_id: int
    response_due_at: datetime


@dataclass
class ReportInput:
    report_id: int
    instalments: list[tuple[int, datetime]]  # (seq, due_at), in order
    next_index: int = 0


@dataclass
class InstalmentCheck:
    report_id: int
    seq: int
