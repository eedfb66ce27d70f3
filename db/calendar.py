"""Official holiday schedules loaded by an admin, versioned: who loaded what when.

Every load is a new row; a year's schedule is its newest row. The row id is the version: the worker's
calendar cache is rebuilt when the newest id changes (activities.calendar)."""

import json
from datetime import date, datetime

from sqlalchemy import Column, Text, func
from sqlmodel import Field, Session, SQLModel, select

from core.calendar import YearSchedule
from db.types import UTCDateTime, utcnow


class CalendarSchedule(SQLModel, table=True):
    __tablename__ = "calendar_schedules"

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    holidays: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of ISO dates
    workdays: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of ISO dates
    source: str = Field(default="", max_length=200)  # e.g. 国办发明电〔2026〕N号
    loaded_by: str = Field(max_length=64)
    loaded_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))

    def schedule(self) -> YearSchedule:
        return YearSchedule(
            self.year,
            frozenset(map(date.fromisoformat, json.loads(self.holidays))),
            frozenset(map(date.fromisoformat, json.loads(self.workdays))),
            self.source,
        )


def _dates(days) -> str:
    return json.dumps(sorted({d.isoformat() for d in days}))


def load_schedule(
    *, session: Session, year: int, holidays, workdays, source: str, loaded_by: str, at: datetime | None = None
) -> CalendarSchedule:
    """Record a year's whole official schedule as its newest version."""
    row = CalendarSchedule(
        year=year,
        holidays=_dates(holidays),
        workdays=_dates(workdays),
        source=source,
        loaded_by=loaded_by,
        loaded_at=at or utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def latest_version(session: Session) -> int:
    """The id of the newest load (0 when nothing was ever loaded)."""
    return session.exec(select(func.max(CalendarSchedule.id))).one() or 0


def current_rows(session: Session) -> dict[int, CalendarSchedule]:
    """Each loaded year's newest row."""
    newest = (
        select(CalendarSchedule.year, func.max(CalendarSchedule.id).label("id"))
        .group_by(CalendarSchedule.year)
        .subquery()
    )
    rows = session.exec(select(CalendarSchedule).join(newest, CalendarSchedule.id == newest.c.id)).all()
    return {row.year: row for row in rows}


def current_schedules(session: Session) -> dict[int, YearSchedule]:
    """Each loaded year's schedule (its newest version)."""
    return {year: row.schedule() for year, row in current_rows(session).items()}


def history(session: Session, year: int) -> list[CalendarSchedule]:
    """Every load of a year, newest first."""
    return list(
        session.exec(
            select(CalendarSchedule).where(CalendarSchedule.year == year).order_by(CalendarSchedule.id.desc())
        ).all()
    )


def cases_counting_year(session: Session, year: int, *, after: str = "", limit: int = 200) -> list[str]:
    """Open cases with a running clock whose period touches `year` (China time), by case number after
    `after`: the cases whose instants a new schedule of that year may move."""
    from db.cases import CaseDeadline, CaseRecord
    from domain.calendar import CHINA_TZ

    first = datetime(year, 1, 1, tzinfo=CHINA_TZ)
    following = datetime(year + 1, 1, 1, tzinfo=CHINA_TZ)
    query = (
        select(CaseDeadline.case_no)
        .join(CaseRecord, CaseRecord.case_no == CaseDeadline.case_no)
        .where(
            CaseRecord.stage != "closed",
            CaseDeadline.status == "open",
            CaseDeadline.resolved_at.is_(None),
            CaseDeadline.start_at < following,
            CaseDeadline.due_at >= first,
            CaseDeadline.case_no > after,
        )
        .distinct()
        .order_by(CaseDeadline.case_no)
        .limit(limit)
    )
    return list(session.exec(query).all())
