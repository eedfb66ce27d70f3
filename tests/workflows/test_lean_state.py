"""What the case workflow sends around: the roster and policy once, not with every step (time-skipping)."""

from temporalio.client import WorkflowHistory

from domain.messages import ActionInput, CaseInput
from tests.workflows.conftest import make_intake, start_case
from workflows.case import CaseWorkflow


async def act(handle, action, actor, **params):
    return await handle.execute_update(CaseWorkflow.act, ActionInput(action, actor, params))


async def test_the_roster_and_policy_travel_once_per_run(env, projection, actors):
    intake = make_intake(workers=40, amount="400000.00")
    handle = await start_case(env, intake)
    await handle.execute_update(CaseWorkflow.registered)
    await act(handle, "accept", actors["hrss"])
    for k in range(30):  # enough for the run to continue as new
        await act(handle, "note", actors["hrss"], text=f"第{k + 1}次电话催告")
    await act(handle, "findings", actors["hrss"], substantiated=True, liable_party="employer", amount_owed="400000")

    sent = [s for s in projection.sent if s.state.case_no == intake.case_no]
    assert not sent[0].intake_omitted and len(sent[0].state.intake.workers) == 40
    later = sent[1:]
    assert later and all(
        s.intake_omitted and s.state.intake.workers == [] and s.state.intake.policy.deadlines == {} for s in later
    )
    projected = projection.states[intake.case_no]  # the projection still has both
    assert len(projected.intake.workers) == 40 and projected.intake.policy == intake.policy

    # compute_clocks gets the rules its clocks need, not the policy
    clocks = [c for c in projection.clock_inputs if c.case_no == intake.case_no]
    assert clocks and all(c.policy is None for c in clocks)
    assert set(clocks[0].rules.deadlines) == {"acknowledge", "escalation_step"}

    # the state query leaves the roster out
    assert (await handle.query(CaseWorkflow.state)).intake.workers == []

    # continue-as-new carries the intake once: inside the state
    first: WorkflowHistory = await env.client.get_workflow_handle(
        handle.id, run_id=handle.first_execution_run_id
    ).fetch_history()
    attrs = first.events[-1].workflow_execution_continued_as_new_event_attributes
    [carried] = await env.client.data_converter.decode(attrs.input.payloads, [CaseInput])
    assert carried.intake is None and len(carried.carried.intake.workers) == 40
