"""The monthly statistics report (月度统计报表): one month's figures for the county, by unit and by township.

Months are calendar months in China Standard Time, as in db/reports.py. Definitions, as printed on the
report:
- received: complaints received in the month (by `received_at`);
- closed: cases closed in the month (by `closed_at`);
- closure rate: of the complaints received from 1 January to the end of the month, the share closed by
  the end of the month (the KPI's target is 95%);
- overdue: cases with a statutory deadline that ran out in the month (a missed deadline due then);
- escalated: cases escalated (督办) in the month;
- claimed: the amounts claimed in the complaints received in the month;
- recovered: the wages paid to workers in the month, from every source.
Units and townships are the case's current lead unit and its project's township ("-": no project).
A complaint joined to an open matter about the same employer or project (有案必接, domain/joining.py) is
counted with its matter, not on its own: its claim is in the matter's and its closure resolves nothing.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, func, or_
from sqlmodel import Session, select

from db.cases import CaseDeadline, CaseEscalation, CasePayment, CaseRecord
from domain.calendar import CHINA_TZ
from domain.joining import JOINED

NO_TOWNSHIP = "-"


@dataclass
class Figures:
    """One row of the report."""

    received: int = 0
    closed: int = 0
    ytd_received: int = 0
    ytd_closed: int = 0
    overdue: int = 0
    escalated: int = 0
    claimed: Decimal = Decimal("0.00")
    recovered: Decimal = Decimal("0.00")

    @property
    def closure_rate(self) -> float | None:
        """Year-to-date closure rate (None when nothing was received this year)."""
        return self.ytd_closed / self.ytd_received if self.ytd_received else None


@dataclass
class MonthlyReport:
    month: str  # 'YYYY-MM'
    start: datetime  # first instant of the month, China time
    end: datetime  # first instant of the next month
    county: Figures = field(default_factory=Figures)
    by_unit: dict[str, Figures] = field(default_factory=lambda: defaultdict(Figures))
    by_township: dict[str, Figures] = field(default_factory=lambda: defaultdict(Figures))


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The first instant of a 'YYYY-MM' month and of the next, in China Standard Time."""
    year, number = int(month[:4]), int(month[5:7])
    if not 1 <= number <= 12:
        raise ValueError(f"{month!r} is not a month (YYYY-MM)")
    start = datetime(year, number, 1, tzinfo=CHINA_TZ)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=CHINA_TZ)
    return start, end


def monthly_report(*, session: Session, month: str) -> MonthlyReport:
    """The figures of one month for the county, by lead unit and by township."""
    start, end = month_bounds(month)
    year_start = datetime(start.year, 1, 1, tzinfo=CHINA_TZ)
    report = MonthlyReport(month=month, start=start, end=end)

    def rows_of(unit: str, township: str | None) -> tuple[Figures, ...]:
        return report.county, report.by_unit[unit], report.by_township[township or NO_TOWNSHIP]

    def within(column, since: datetime = start):
        return and_(column >= since, column < end)

    cases = session.exec(
        select(
            CaseRecord.lead_unit,
            CaseRecord.township,
            CaseRecord.received_at,
            CaseRecord.closed_at,
            CaseRecord.amount_claimed,
        ).where(
            or_(within(CaseRecord.received_at, year_start), within(CaseRecord.closed_at)),
            func.coalesce(CaseRecord.outcome, "") != JOINED,
        )
    )
    for unit, township, received_at, closed_at, claimed in cases:
        closed_by_end = closed_at is not None and closed_at < end
        for figures in rows_of(unit, township):
            if received_at >= year_start and received_at < end:
                figures.ytd_received += 1
                figures.ytd_closed += closed_by_end
            if received_at >= start and received_at < end:
                figures.received += 1
                figures.claimed += claimed
            if closed_by_end and closed_at >= start:
                figures.closed += 1

    payments = session.exec(
        select(CaseRecord.lead_unit, CaseRecord.township, CasePayment.amount)
        .join(CaseRecord, CaseRecord.case_no == CasePayment.case_no)
        .where(within(CasePayment.at))
    )
    for unit, township, amount in payments:
        for figures in rows_of(unit, township):
            figures.recovered += amount

    overdue = session.exec(
        select(CaseRecord.lead_unit, CaseRecord.township).where(
            CaseRecord.case_no.in_(
                select(CaseDeadline.case_no).where(CaseDeadline.status == "missed", within(CaseDeadline.due_at))
            )
        )
    )
    for unit, township in overdue:  # one row per case, however many of its deadlines ran out
        for figures in rows_of(unit, township):
            figures.overdue += 1

    escalated = session.exec(
        select(CaseRecord.lead_unit, CaseRecord.township).where(
            CaseRecord.case_no.in_(select(CaseEscalation.case_no).where(within(CaseEscalation.at)))
        )
    )
    for unit, township in escalated:
        for figures in rows_of(unit, township):
            figures.escalated += 1
    return report
