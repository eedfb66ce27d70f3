"""Activities of the case workflow: deadline instants, documents and the database projection.

All three run as local activities (short, on the worker that runs the workflow) and are idempotent:
a retry after a crash computes the same instants, finds the same document, rewrites the same rows.
"""

import json
import logging
from datetime import datetime

from pydantic import TypeAdapter
from sqlalchemy import Engine
from temporalio import activity

from activities.calendar import ScheduleCache, compute_clocks
from activities.deposits import DepositActivities
from db.blacklist import project_blacklist
from db.case_documents import store_document, store_documents
from db.cases import CaseRecord, stored_policy
from db.cases import project_case as write_projection
from db.engine import session_scope
from db.outbox import enqueue_complainant_messages
from documents import DOCUMENT_KINDS, content_hash, render_document
from documents.context import document_context
from domain.calendar import CHINA_TZ
from domain.jurisdiction import Jurisdiction
from domain.lifecycle import ClockTimes, DocumentRequest, pending_actions
from domain.messages import ComputeClocksInput, IssueDocumentsInput
from domain.model import CasePolicy, CaseState, WorkerClaim
from domain.ui_text import CHANNEL_LABELS  # noqa: F401  (the web pages import it from here)

log = logging.getLogger(__name__)


_ROSTER = TypeAdapter(list[WorkerClaim])
_POLICY = TypeAdapter(CasePolicy)


def _restore_intake(session, state: CaseState) -> tuple[bool, str | None]:
    """Put the stored roster and policy back into a state sent without them: (False, None) without a
    stored case, else (True, the hash the policy is stored under, None for a row from before it was)."""
    record = session.get(CaseRecord, state.case_no, with_for_update=True)
    if record is None:
        return False, None
    stored = json.loads(record.state_json)["intake"]
    state.intake.workers = _ROSTER.validate_python(stored["workers"])
    if record.policy_hash is None:  # projected before migration 0013: the policy is in the state
        state.intake.policy = _POLICY.validate_python(stored["policy"])
    else:
        state.intake.policy = stored_policy(session, record.policy_hash)
    return True, record.policy_hash


class CaseActivities:
    """The activities bound to this worker's database engine and jurisdiction."""

    def __init__(self, engine: Engine, jurisdiction: Jurisdiction):
        self.engine = engine
        self.jurisdiction = jurisdiction
        self.deposits = DepositActivities(engine)
        self.schedules = ScheduleCache(engine)

    @activity.defn(name="compute_clocks")
    def compute_clocks(self, input: ComputeClocksInput) -> dict[str, ClockTimes]:
        return compute_clocks(input, self.schedules.get())

    def _render(self, state: CaseState, requests: list[DocumentRequest]) -> list[dict]:
        now = activity.info().current_attempt_scheduled_time or datetime.now(CHINA_TZ)
        out = []
        for req in requests:
            html = render_document(req.kind, document_context(state, req, self.jurisdiction, now))
            out.append(
                dict(
                    seq=req.seq,
                    kind=req.kind,
                    title=DOCUMENT_KINDS[req.kind],
                    content_hash=content_hash(html),
                    html=html,
                )
            )
        return out

    def _store_documents(self, session, state: CaseState, requests: list[DocumentRequest]) -> list[dict]:
        """The older runs' issue_documents: each document stored once; their seq and URL."""
        out = []
        for rendered in self._render(state, requests):
            doc = store_document(session=session, case_no=state.case_no, **rendered)
            out.append({"seq": doc.seq, "url": f"/api/cases/{state.case_no}/documents/{doc.seq}"})
        return out

    def _project(self, session, state: CaseState, policy_hash: str | None = None) -> None:
        enqueue_complainant_messages(
            session=session, state=state, unit_name=self.jurisdiction.unit_name, county=self.jurisdiction.name
        )  # before the projection: it tells new events
        if write_projection(session=session, state=state, pending=pending_actions(state), policy_hash=policy_hash):
            project_blacklist(session=session, state=state)

    @activity.defn(name="record_step")
    def record_step(self, input: IssueDocumentsInput) -> bool:
        """Store the step's new documents and write the case's projection, in one transaction.

        False (nothing written) when the input omits the intake's roster and policy and there is no stored
        projection to take them from: the workflow then sends them."""
        with session_scope(self.engine) as session:
            state = input.state
            policy_hash = None
            if input.intake_omitted:
                stored, policy_hash = _restore_intake(session, state)
                if not stored:
                    return False
            store_documents(session=session, case_no=state.case_no, documents=self._render(state, input.requests))
            self._project(session, state, policy_hash)
        return True

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
        return [self.compute_clocks, self.record_step, self.issue_documents, self.project_case, *self.deposits.all()]
