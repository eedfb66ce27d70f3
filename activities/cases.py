"""Activities of the case workflow: deadline instants, documents and the database projection.

All three run as local activities (short, on the worker that runs the workflow) and are idempotent:
a retry after a crash computes the same instants, finds the same document, rewrites the same rows.
"""

import logging
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.deposits import DepositActivities
from core.calendar import build_calendar
from db.blacklist import project_blacklist
from db.cases import project_case as write_projection
from db.cases import store_document
from db.engine import session_scope
from documents import DOCUMENT_KINDS, content_hash, render_document
from documents.context import document_context
from domain.calendar import CHINA_TZ, WorkCalendar
from domain.deadlines import due_instant, extended_due
from domain.errors import DomainError
from domain.jurisdiction import Jurisdiction
from domain.lifecycle import ClockTimes, DocumentRequest, pending_actions
from domain.messages import ComputeClocksInput, IssueDocumentsInput
from domain.model import CasePolicy, CaseState, document_url
from domain.ui_text import CHANNEL_LABELS  # noqa: F401  (the web pages import it from here)

log = logging.getLogger(__name__)


@lru_cache(maxsize=32)
def _calendar(unknown_year: str, holidays: tuple[str, ...], workdays: tuple[str, ...]) -> WorkCalendar:
    return build_calendar(extra_holidays=[date.fromisoformat(d) for d in holidays],
                          extra_workdays=[date.fromisoformat(d) for d in workdays], unknown_year=unknown_year)


def calendar_for(policy: CasePolicy) -> WorkCalendar:
    """The working-day calendar of a case's jurisdiction."""
    return _calendar(policy.calendar_unknown_year, tuple(policy.calendar_extra_holidays),
                     tuple(policy.calendar_extra_workdays))


def compute_clocks(input: ComputeClocksInput) -> dict[str, ClockTimes]:
    """Due instants (and later escalation instants) for the clocks an action opens or extends."""
    cal = calendar_for(input.policy)
    step = input.policy.deadlines["escalation_step"]
    out: dict[str, ClockTimes] = {}
    try:
        for req in input.requests:
            rule = input.policy.deadlines[req.rule]
            if req.extend_working_days:
                due = extended_due(rule, req.start, req.extend_working_days, cal)
            else:
                due = due_instant(rule, req.start, cal)
            escalate_at = []
            at = due
            for _ in range(max(input.escalation_levels - 1, 0)):
                at = due_instant(step, at, cal)
                escalate_at.append(at)
            assumed = cal.years_assumed(req.start.astimezone(CHINA_TZ).date(), at.astimezone(CHINA_TZ).date())
            if assumed:
                log.warning("case %s: the holiday calendar does not know %s; counted Monday to Friday as "
                            "working days. Add the year to the jurisdiction file's calendar section.",
                            input.case_no, ", ".join(map(str, assumed)))
            out[req.key] = ClockTimes(due, escalate_at)
    except DomainError as err:
        raise ApplicationError(err.message, type=err.kind, non_retryable=True) from None
    return out


class CaseActivities:
    """The activities bound to this worker's database engine and jurisdiction."""

    def __init__(self, engine: Engine, jurisdiction: Jurisdiction):
        self.engine = engine
        self.jurisdiction = jurisdiction
        self.deposits = DepositActivities(engine)

    @activity.defn(name="compute_clocks")
    def compute_clocks(self, input: ComputeClocksInput) -> dict[str, ClockTimes]:
        return compute_clocks(input)

    def _store_documents(self, session, state: CaseState, requests: list[DocumentRequest]) -> list[dict]:
        now = activity.info().current_attempt_scheduled_time or datetime.now(CHINA_TZ)
        out = []
        for req in requests:
            html = render_document(req.kind, document_context(state, req, self.jurisdiction, now))
            doc = store_document(session=session, case_no=state.case_no, seq=req.seq, kind=req.kind,
                                 title=DOCUMENT_KINDS[req.kind], content_hash=content_hash(html), html=html)
            out.append({"seq": doc.seq, "url": document_url(state.case_no, doc.seq)})
        return out

    @staticmethod
    def _project(session, state: CaseState) -> None:
        if write_projection(session=session, state=state, pending=pending_actions(state)):
            project_blacklist(session=session, state=state)

    @activity.defn(name="record_step")
    def record_step(self, input: IssueDocumentsInput) -> None:
        """Store the step's new documents and write the case's projection, in one transaction."""
        with session_scope(self.engine) as session:
            self._store_documents(session, input.state, input.requests)
            self._project(session, input.state)

    # The two activities that record_step replaced; cases started before it still replay through them.
    @activity.defn(name="issue_documents")
    def issue_documents(self, input: IssueDocumentsInput) -> list[dict]:
        """Render and store each requested document once; return their seq and URL."""
        with session_scope(self.engine) as session:
            return self._store_documents(session, input.state, input.requests)

    @activity.defn(name="project_case")
    def project_case(self, state: CaseState) -> None:
        """Write the case's projection (skipped if a newer version is already stored)."""
        with session_scope(self.engine) as session:
            self._project(session, state)

    def all(self) -> list:
        return [self.compute_clocks, self.record_step, self.issue_documents, self.project_case,
                *self.deposits.all()]
