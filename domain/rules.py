"""Deadline rules as configured by a jurisdiction (pure data)."""

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class PeriodUnit(StrEnum):
    WORKING_DAYS = "working_days"  # 工作日
    CALENDAR_DAYS = "calendar_days"  # 日
    MONTHS = "months"  # 个月: 行政诉讼法 art. 46 (6 months to sue), 行政强制法 art. 53 (3 months to apply)
    HOURS = "hours"
    DURATION = "duration"  # exact ISO 8601 duration, for drills and tests


@dataclass(frozen=True)
class DeadlineRule:
    """One named statutory clock: its budget, unit, optional extension and legal basis."""

    name: str
    unit: PeriodUnit
    amount: int = 0  # for working_days, calendar_days, months, hours
    duration_seconds: float = 0.0  # for duration
    extension_working_days: int | None = None
    basis: str = ""

    @property
    def duration(self) -> timedelta:
        return timedelta(seconds=self.duration_seconds)

    def describe(self) -> str:
        """Human label in Chinese, e.g. '5个工作日'."""
        if self.unit is PeriodUnit.WORKING_DAYS:
            return f"{self.amount}个工作日"
        if self.unit is PeriodUnit.CALENDAR_DAYS:
            return f"{self.amount}日"
        if self.unit is PeriodUnit.MONTHS:
            return f"{self.amount}个月"
        if self.unit is PeriodUnit.HOURS:
            return f"{self.amount}小时"
        return f"{self.duration_seconds:g}秒"
