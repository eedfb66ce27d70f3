"""record_step: a state sent without its roster and policy takes both from the stored projection; a retried
step stores each document once."""

import dataclasses

from sqlmodel import Session, select
from temporalio.testing import ActivityEnvironment

from activities.cases import CaseActivities
from core.jurisdiction import DEFAULT_JURISDICTION, load_jurisdiction
from db.cases import CasePolicyRecord, CaseRecord, Document, case_state
from domain.lifecycle import DocumentRequest
from domain.messages import IssueDocumentsInput
from domain.model import CaseState, Stage
from tests.domain.test_enforcement import ordered_case
from tests.workflows.conftest import make_intake
from workflows.case import _NO_POLICY


def lean(state: CaseState) -> IssueDocumentsInput:
    intake = dataclasses.replace(state.intake, workers=[], policy=_NO_POLICY)
    return IssueDocumentsInput(dataclasses.replace(state, intake=intake), [], intake_omitted=True)


def test_a_lean_step_takes_the_roster_and_policy_from_the_projection(engine):
    activities = CaseActivities(engine, load_jurisdiction(DEFAULT_JURISDICTION))
    run = ActivityEnvironment().run
    state = CaseState(intake=make_intake(workers=3), stage=Stage.REFERRED, version=1, lead_unit="hrss")

    assert run(activities.record_step, lean(state)) is False  # nothing stored yet: send everything
    with Session(engine) as session:
        assert session.get(CaseRecord, state.case_no) is None

    assert run(activities.record_step, IssueDocumentsInput(state, [])) is True
    state.version, state.stage = 2, Stage.INVESTIGATING
    assert run(activities.record_step, lean(state)) is True
    with Session(engine) as session:
        record = session.get(CaseRecord, state.case_no)
        stored = case_state(record)
    assert record.version == 2 and record.stage == "investigating" and record.workers_count == 3
    assert [w.name for w in stored.intake.workers] == ["工人0", "工人1", "工人2"]
    assert stored.intake.policy == state.intake.policy


def test_cases_share_one_stored_policy_and_read_back_whole(engine):
    activities = CaseActivities(engine, load_jurisdiction(DEFAULT_JURISDICTION))
    run = ActivityEnvironment().run
    states = [CaseState(intake=make_intake(workers=2), stage=Stage.REFERRED, version=1, lead_unit="hrss") for _ in "ab"]
    for state in states:
        assert run(activities.record_step, IssueDocumentsInput(state, [])) is True
    with Session(engine) as session:
        records = [session.get(CaseRecord, s.case_no) for s in states]
        assert len(session.exec(select(CasePolicyRecord)).all()) == 1
        assert records[0].policy_hash == records[1].policy_hash is not None
        assert '"policy"' not in records[0].state_json  # the policy is stored once, not in every case's state
        assert [case_state(r) for r in records] == states


def test_a_retried_step_stores_each_document_once_and_leaves_it_as_issued(engine):
    activities = CaseActivities(engine, load_jurisdiction(DEFAULT_JURISDICTION))
    run = ActivityEnvironment().run
    state = ordered_case()
    order_seq = next(d.seq for d in state.documents if d.kind == "order_to_pay")
    order = DocumentRequest(order_seq, "order_to_pay", {"amount": "36000"})
    referral = DocumentRequest(2, "referral", {"to_unit": state.lead_unit})
    assert run(activities.record_step, IssueDocumentsInput(state, [order])) is True
    with Session(engine) as session:
        first = session.exec(select(Document).where(Document.case_no == state.case_no)).one()

    state.version += 1  # the retry, and the next step that issues the referral beside it
    state.open_deadline("order_payment").provisional = True  # a retry would now render other text
    assert run(activities.record_step, IssueDocumentsInput(state, [order, referral])) is True
    with Session(engine) as session:
        docs = session.exec(select(Document).where(Document.case_no == state.case_no).order_by(Document.seq)).all()
    assert [(d.seq, d.kind) for d in docs] == sorted([(order_seq, "order_to_pay"), (2, "referral")])
    kept = next(d for d in docs if d.seq == order_seq)
    assert (kept.content_hash, kept.issued_at, kept.html_zlib) == (first.content_hash, first.issued_at, first.html_zlib)
