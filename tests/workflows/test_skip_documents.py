"""The benchmark's fill (bench/fill.py): a case started with skip_documents renders no documents but is
routed, clocked and projected like any other; only an input sealed with the service's key turns them off."""

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.messages import ActionInput, CaseInput
from domain.model import Actor
from tests.workflows.conftest import make_intake
from workflows.case import CaseWorkflow


async def registered(env, case_input: CaseInput, starter: Client | None = None):
    """Start a case (with `starter`'s data converter, default the service's) and wait until it is projected."""
    no = case_input.intake.case_no
    await (starter or env.client).start_workflow(CaseWorkflow.run, case_input, id=no, task_queue="test-cases")
    handle = env.client.get_workflow_handle(no)
    await handle.execute_update(CaseWorkflow.registered)
    return handle


async def test_a_fill_case_records_its_state_without_documents(env, projection):
    intake = make_intake()
    handle = await registered(env, CaseInput(intake=intake, skip_documents=True))
    sent = [s for s in projection.sent if s.state.case_no == intake.case_no]
    assert sent and all(s.requests == [] for s in sent)  # nothing to render
    assert projection.documents.get(intake.case_no, []) == []
    state = projection.states[intake.case_no]
    assert state.stage.value == "referred" and state.lead_unit
    assert [d.kind for d in state.deadlines] == ["acknowledge"]

    # it goes on as any case: an action is applied and projected, still without documents
    caseworker = Actor("fill1", "caseworker", state.lead_unit)
    await handle.execute_update(CaseWorkflow.act, ActionInput("accept", caseworker, {}))
    assert projection.states[intake.case_no].stage.value == "investigating"
    assert projection.documents.get(intake.case_no, []) == []


async def test_an_ordinary_case_and_an_unsealed_request_render_their_documents(env, projection):
    ordinary = make_intake()
    await registered(env, CaseInput(intake=ordinary))
    assert projection.documents[ordinary.case_no][:2] == ["receipt", "referral"]

    # Someone reaching Temporal without the service's key cannot turn a case's documents off.
    plain = Client(env.client.service_client, namespace="default", data_converter=pydantic_data_converter)
    unsealed = make_intake()
    await registered(env, CaseInput(intake=unsealed, skip_documents=True), starter=plain)
    assert projection.documents[unsealed.case_no][:2] == ["receipt", "referral"]
