"""The open matter a new complaint belongs to (有案必接, one matter: domain/joining.py).

Several complaints about the same employer or project are one matter (docs/domain.md, "The life of a
case"): the registry looks for the oldest open case whose employer has the same unified social credit
code, or that is about the same project. A joined complaint closes at once (outcome `joined`), so an open
case is never itself joined to another; the outcome is excluded all the same.
"""

from sqlalchemy import or_
from sqlmodel import Session, col, select

from db.cases import CaseRecord
from domain.joining import JOINED


def open_matter(*, session: Session, credit_code: str | None, project_id: int | None) -> str | None:
    """The case number of the oldest open case about this employer (credit code) or project, or None.

    One query on the indexed columns cases.employer_credit_code and cases.project_id."""
    matches = []
    if credit_code:
        matches.append(CaseRecord.employer_credit_code == credit_code.upper())
    if project_id is not None:
        matches.append(CaseRecord.project_id == project_id)
    if not matches:
        return None
    query = (
        select(CaseRecord.case_no)
        .where(
            or_(*matches),
            CaseRecord.stage != "closed",
            or_(col(CaseRecord.outcome).is_(None), CaseRecord.outcome != JOINED),
        )
        .order_by(col(CaseRecord.registered_at), col(CaseRecord.case_no))
        .limit(1)
    )
    return session.exec(query).first()
