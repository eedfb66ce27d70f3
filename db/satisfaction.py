"""The complainants' ratings of how their case was handled (满意度), once per closed case.

An unsatisfied rating opens an item in the office of the leading group's inbox (follow_up `open`), which
the office closes with a note once it has called the complainant back (回访).
"""

from datetime import datetime

from sqlalchemy import Column, Integer, Text, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, select

from db.types import UTCDateTime, utcnow

SATISFIED, BASICALLY, UNSATISFIED = "satisfied", "basically_satisfied", "unsatisfied"
RATINGS = (SATISFIED, BASICALLY, UNSATISFIED)
RATING_LABELS = {SATISFIED: "满意", BASICALLY: "基本满意", UNSATISFIED: "不满意"}
FOLLOW_UP_OPEN, FOLLOW_UP_DONE = "open", "done"


class AlreadyRated(Exception):
    """The case has a rating already; a case is rated once."""


class SatisfactionRating(SQLModel, table=True):
    """A complainant's rating of a closed case, kept with the unit that led it to closure."""

    __tablename__ = "satisfaction_ratings"

    id: int | None = Field(default=None, primary_key=True)
    case_no: str = Field(max_length=32, unique=True)
    unit: str = Field(max_length=64, index=True)
    rating: str = Field(max_length=32)
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    rated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    follow_up: str | None = Field(default=None, max_length=16, index=True)  # open | done (unsatisfied only)
    follow_up_by: str | None = Field(default=None, max_length=64)
    follow_up_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    follow_up_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


def get_rating(*, session: Session, case_no: str) -> SatisfactionRating | None:
    """The rating of a case, if it has one."""
    return session.exec(select(SatisfactionRating).where(SatisfactionRating.case_no == case_no)).first()


def rate_case(
    *, session: Session, case_no: str, unit: str, rating: str, comment: str, now: datetime | None = None
) -> SatisfactionRating:
    """Store the case's one rating; AlreadyRated if it has one (also when a concurrent request won)."""
    if rating not in RATINGS:
        raise ValueError(f"rating must be one of {', '.join(RATINGS)}")
    if get_rating(session=session, case_no=case_no) is not None:
        raise AlreadyRated(case_no)
    row = SatisfactionRating(
        case_no=case_no,
        unit=unit,
        rating=rating,
        comment=comment.strip(),
        rated_at=now or utcnow(),
        follow_up=FOLLOW_UP_OPEN if rating == UNSATISFIED else None,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise AlreadyRated(case_no) from None
    return row


def satisfaction_by_unit(session: Session) -> dict[str, dict]:
    """Per lead unit: ratings in total and of each kind, and the satisfaction rate (satisfied or basically
    satisfied, over all ratings), from one grouped query."""
    rows = session.exec(
        select(
            SatisfactionRating.unit,
            func.count(),
            func.sum((SatisfactionRating.rating == SATISFIED).cast(Integer)),
            func.sum((SatisfactionRating.rating == BASICALLY).cast(Integer)),
            func.sum((SatisfactionRating.rating == UNSATISFIED).cast(Integer)),
        ).group_by(SatisfactionRating.unit)
    ).all()
    out = {}
    for unit, total, satisfied, basically, unsatisfied in rows:
        satisfied, basically, unsatisfied = int(satisfied or 0), int(basically or 0), int(unsatisfied or 0)
        out[unit] = {
            "total": total,
            SATISFIED: satisfied,
            BASICALLY: basically,
            UNSATISFIED: unsatisfied,
            "rate": round((satisfied + basically) / total, 4) if total else 0.0,
        }
    return out


def unsatisfied_inbox(*, session: Session, include_done: bool = False, limit: int = 200) -> list[SatisfactionRating]:
    """Unsatisfied ratings for the office of the leading group, open ones first, newest first."""
    query = select(SatisfactionRating).where(SatisfactionRating.rating == UNSATISFIED)
    if not include_done:
        query = query.where(SatisfactionRating.follow_up == FOLLOW_UP_OPEN)
    return list(
        session.exec(
            query.order_by(SatisfactionRating.follow_up.desc(), SatisfactionRating.rated_at.desc()).limit(limit)
        )
    )


def open_follow_ups(*, session: Session) -> int:
    """How many unsatisfied ratings the office has not followed up yet (for a dashboard count)."""
    return session.exec(
        select(func.count()).select_from(SatisfactionRating).where(SatisfactionRating.follow_up == FOLLOW_UP_OPEN)
    ).one()


def close_follow_up(
    *, session: Session, rating_id: int, by: str, note: str, now: datetime | None = None
) -> SatisfactionRating | None:
    """Record the office's call-back on an unsatisfied rating; None if there is no such open item."""
    row = session.get(SatisfactionRating, rating_id)
    if row is None or row.follow_up != FOLLOW_UP_OPEN:
        return None
    row.follow_up, row.follow_up_by, row.follow_up_at = FOLLOW_UP_DONE, by, now or utcnow()
    row.follow_up_note = note.strip()
    session.add(row)
    return row
