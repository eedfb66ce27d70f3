"""Read-only figures for the web UI's inbox and dashboard, computed from the case projection.

Months are calendar months in China Standard Time (a complaint received at 23:30 on 31 March Beijing
time counts for March), so they are bucketed here rather than in SQL, the same way on SQLite and
PostgreSQL.
"""

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, select

from db.cases import CaseDeadline, CasePayment, CaseRecord
from domain.calendar import CHINA_TZ


def month_key(at: datetime) -> str:
    """The month of an instant in China Standard Time, as 'YYYY-MM'."""
    return at.astimezone(CHINA_TZ).strftime("%Y-%m")


def last_months(*, today: date, count: int) -> list[str]:
    """The `count` months up to and including today's, oldest first, as 'YYYY-MM'."""
    year, month = today.year, today.month
    keys = []
    for _ in range(count):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return keys[::-1]


def claimed_by_month(*, session: Session, since: datetime) -> dict[str, Decimal]:
    """Amounts claimed in complaints received since `since`, by month of receipt."""
    rows = session.exec(
        select(CaseRecord.received_at, CaseRecord.amount_claimed).where(CaseRecord.received_at >= since)
    )
    out: dict[str, Decimal] = defaultdict(Decimal)
    for received_at, amount in rows:
        out[month_key(received_at)] += amount
    return dict(out)


def recovered_by_month(*, session: Session, since: datetime) -> dict[str, Decimal]:
    """Amounts paid to workers since `since` (every source), by month of payment."""
    rows = session.exec(select(CasePayment.at, CasePayment.amount).where(CasePayment.at >= since))
    out: dict[str, Decimal] = defaultdict(Decimal)
    for at, amount in rows:
        out[month_key(at)] += amount
    return dict(out)


def cases_by_month(*, session: Session, since: datetime) -> dict[str, int]:
    """Number of complaints received since `since`, by month of receipt."""
    out: dict[str, int] = defaultdict(int)
    for received_at in session.exec(select(CaseRecord.received_at).where(CaseRecord.received_at >= since)):
        out[month_key(received_at)] += 1
    return dict(out)


def escalated_count(*, session: Session) -> int:
    """Number of cases that have been escalated (督办) at least once."""
    return session.exec(select(func.count()).where(CaseRecord.escalated.is_(True))).one()


def next_unresolved_deadlines(*, session: Session, case_nos: list[str]) -> dict[str, CaseDeadline]:
    """For each of these cases, its earliest deadline still awaited (open, or missed and not yet met)."""
    if not case_nos:
        return {}
    rows = session.exec(
        select(CaseDeadline)
        .where(
            CaseDeadline.case_no.in_(case_nos),
            CaseDeadline.status.in_(("open", "missed")),
            CaseDeadline.resolved_at.is_(None),
        )
        .order_by(CaseDeadline.due_at)
    )
    out: dict[str, CaseDeadline] = {}
    for row in rows:
        out.setdefault(row.case_no, row)
    return out
