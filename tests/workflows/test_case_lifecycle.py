"""The case workflow on the time-skipping server: lifecycle, clocks, escalation, refused actions."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.worker import Replayer

from domain.messages import ActionInput
from domain.model import Stage
from domain.routing import ProjectFacts
from tests.workflows.conftest import make_intake, start_case
from worker import SANDBOXED_RUNNER, UNSANDBOXED_RUNNER
from workflows.case import CaseWorkflow

HOUSING = ProjectFacts("housing_municipal", "shangguan", True, "state", False)


async def act(handle, action, actor, **params):
    return await handle.execute_update(CaseWorkflow.act, ActionInput(action, actor, params))


async def state(handle):
    return await handle.query(CaseWorkflow.state)


async def test_full_lifecycle_paid_in_full_closes(env, projection, actors):
    handle = await start_case(env, make_intake(project=HOUSING))
    await handle.execute_update(CaseWorkflow.registered)
    s = await state(handle)
    assert s.stage is Stage.REFERRED and s.lead_unit == "housing" and s.co_units == ["hrss"]
    assert [d.kind for d in s.deadlines] == ["acknowledge"]

    await act(handle, "accept", actors["housing"])
    await act(
        handle,
        "findings",
        actors["housing"],
        substantiated=True,
        liable_party="general_contractor",
        amount_owed="30000.00",
    )
    await act(handle, "order_payment", actors["hrss"], amount="30000.00")
    s = await state(handle)
    assert s.stage is Stage.PAYMENT_ORDERED
    order = s.open_deadline("order_payment")
    assert order is not None and order.due_at > s.order_served_at
    assert {d.kind: d.status.value for d in s.deadlines} == {
        "acknowledge": "met",
        "investigate": "met",
        "order_payment": "open",
    }

    await act(handle, "record_payment", actors["hrss"], amount="10000", payer="general_contractor")
    s = await state(handle)
    assert s.stage is Stage.PAYMENT_ORDERED and s.outstanding == Decimal("20000.00")
    await act(handle, "record_payment", actors["housing"], amount="20000.00", payer="construction_unit")

    outcome = await handle.result()
    assert outcome.outcome == "paid_in_full" and outcome.amount_recovered == Decimal("30000.00")
    final = projection.states[s.case_no]
    assert final.stage is Stage.CLOSED and final.closed_at is not None
    assert projection.documents[s.case_no] == ["receipt", "referral", "order_to_pay", "result_notice"]
    assert all(d.status.value == "met" for d in final.deadlines)


async def test_acknowledge_missed_escalates_twice_by_itself(env, projection, actors):
    handle = await start_case(env, make_intake())
    await handle.execute_update(CaseWorkflow.registered)
    s = await state(handle)
    assert s.lead_unit == "hrss" and s.co_units == []
    due = s.deadlines[0].due_at
    # nobody acts: skip past the due instant and both escalation steps
    await env.sleep(due - await _now(env) + timedelta(days=10))
    s = await state(handle)
    clock = s.deadlines[0]
    assert clock.status.value == "missed"
    assert [e.level for e in s.escalations] == ["unit_head", "office"]
    assert s.escalations[0].at == due and s.escalations[1].at == clock.escalate_at[0]
    assert s.overdue() and projection.states[s.case_no].escalations
    assert projection.documents[s.case_no].count("escalation") == 2
    attrs = await search_attributes(handle)
    assert attrs["Overdue"] is True and attrs["Escalated"] is True and attrs["CaseStage"] == "referred"
    # accepting late resolves the clock: it stays missed, escalation stops, investigation starts
    await act(handle, "accept", actors["hrss"])
    s = await state(handle)
    assert s.deadlines[0].status.value == "missed" and s.deadlines[0].resolved_at is not None
    assert not s.overdue() and s.stage is Stage.INVESTIGATING
    await act(handle, "close", actors["hrss"], outcome="withdrawn")


async def test_major_case_escalates_to_leader(env, projection, actors):
    handle = await start_case(env, make_intake(workers=40, amount="400000.00"))
    await handle.execute_update(CaseWorkflow.registered)
    s = await state(handle)
    assert s.major
    await env.sleep(s.deadlines[0].due_at - await _now(env) + timedelta(days=20))
    s = await state(handle)
    assert [e.level for e in s.escalations] == ["unit_head", "office", "leader"]
    await act(handle, "close", actors["supervisor"], outcome="withdrawn")


async def test_investigation_extension_only_by_unit_head_within_limit(env, projection, actors):
    handle = await start_case(env, make_intake())
    await handle.execute_update(CaseWorkflow.registered)
    await act(handle, "accept", actors["hrss"])
    before = (await state(handle)).open_deadline("investigate").due_at
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(handle, "extend_investigation", actors["hrss"], working_days=10, reason="需调取银行流水")
    assert err.value.cause.type == "forbidden"
    await act(handle, "extend_investigation", actors["hrss_head"], working_days=20, reason="需调取银行流水")
    after = (await state(handle)).open_deadline("investigate")
    assert after.due_at > before + timedelta(days=20) and after.extended_working_days == 20
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(handle, "extend_investigation", actors["hrss_head"], working_days=11, reason="再延长")
    assert err.value.cause.type == "conflict" and "30" in err.value.cause.message
    s = await state(handle)
    assert s.open_deadline("investigate").extended_working_days == 20
    await act(handle, "close", actors["hrss"], outcome="withdrawn")


async def test_investigation_clock_misses_and_escalates(env, projection, actors):
    handle = await start_case(env, make_intake())
    await handle.execute_update(CaseWorkflow.registered)
    await act(handle, "accept", actors["hrss"])
    due = (await state(handle)).open_deadline("investigate").due_at
    await env.sleep(due - await _now(env) + timedelta(hours=1))
    s = await state(handle)
    assert s.open_deadline("investigate").status.value == "missed"
    assert s.escalations[-1].deadline_kind == "investigate" and s.escalations[-1].level == "unit_head"
    await act(handle, "close", actors["hrss"], outcome="withdrawn")


async def test_order_missed_escalates(env, projection, actors):
    handle = await start_case(env, make_intake())
    await handle.execute_update(CaseWorkflow.registered)
    await act(handle, "accept", actors["hrss"])
    await act(handle, "findings", actors["hrss"], substantiated=True, liable_party="employer", amount_owed="36000")
    due = (await _now(env)) + timedelta(days=3)
    await act(handle, "order_payment", actors["hrss"], due_at=due.isoformat())
    await env.sleep(timedelta(days=3, hours=1))
    s = await state(handle)
    clock = next(d for d in reversed(s.deadlines) if d.kind == "order_payment")
    assert clock.status.value == "missed" and clock.due_at == due
    assert s.escalations[-1].deadline_kind == "order_payment"
    assert s.open_deadline("decision") is not None and s.stage.value == "payment_ordered"  # waits for the decision
    await act(handle, "record_payment", actors["hrss"], amount="36000", payer="employer")
    assert (await handle.result()).outcome == "paid_in_full"


async def test_transfer_and_disputed_referral_goes_to_office(env, projection, actors):
    handle = await start_case(env, make_intake(project=ProjectFacts("transport", "ekou", True, "state", False)))
    await handle.execute_update(CaseWorkflow.registered)
    s = await state(handle)
    assert s.lead_unit == "transport"
    await act(handle, "transfer", actors["transport"], to_unit="housing", reason="系房建项目，非交通工程")
    s = await state(handle)
    assert s.lead_unit == "housing" and s.stage is Stage.REFERRED
    assert [d.kind for d in s.deadlines if d.resolved_at is None] == ["acknowledge"]
    assert s.deadlines[-1].unit == "housing"
    # housing sends it back: a ping-pong referral goes up to the leading-group office instead
    await act(handle, "transfer", actors["housing"], to_unit="transport", reason="项目由交通局审批")
    s = await state(handle)
    assert s.lead_unit == "hrss" and s.timeline[-1].kind == "referral_disputed"
    # the office decides
    await act(handle, "transfer", actors["supervisor"], to_unit="transport", reason="领导小组办公室协调确定")
    s = await state(handle)
    assert s.lead_unit == "transport" and len([t for t in s.timeline if t.kind == "transferred"]) == 2
    await act(handle, "accept", actors["transport"])
    await act(handle, "close", actors["transport"], outcome="withdrawn")


async def test_refused_actions_change_nothing(env, projection, actors):
    handle = await start_case(env, make_intake(project=HOUSING))
    await handle.execute_update(CaseWorkflow.registered)
    before = await state(handle)
    cases = [
        ("findings", actors["housing"], dict(substantiated=True), "conflict"),  # not accepted yet
        ("accept", actors["transport"], {}, "forbidden"),  # another unit
        ("accept", actors["clerk"], {}, "forbidden"),  # wrong role
        ("order_payment", actors["hrss"], {}, "conflict"),
        ("order_payment", actors["housing"], {}, "forbidden"),  # labour inspection issues the order
        ("teleport", actors["housing"], {}, "invalid"),
    ]
    for action, actor, params, kind in cases:
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await act(handle, action, actor, **params)
        assert err.value.cause.type == kind, (action, err.value.cause.message)
    await act(handle, "accept", actors["housing"])
    for params, field in [
        (dict(substantiated="yes"), None),
        (dict(substantiated=True, liable_party="nobody", amount_owed="1"), "liable_party"),
        (dict(substantiated=True, liable_party="employer", amount_owed="-5"), "amount_owed"),
        (dict(substantiated=True, liable_party="employer", amount_owed="1.001"), "amount_owed"),
    ]:
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await act(handle, "findings", actors["housing"], **params)
        assert err.value.cause.type == "invalid"
    await act(handle, "findings", actors["housing"], substantiated=True, liable_party="employer", amount_owed="100")
    await act(handle, "order_payment", actors["hrss"])
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(handle, "record_payment", actors["housing"], amount="100.01", payer="employer")
    assert err.value.cause.type == "invalid" and "exceeds" in err.value.cause.message
    s = await state(handle)
    assert s.amount_recovered == 0 and len(s.timeline) == len(before.timeline) + 3
    await act(handle, "close", actors["housing"], outcome="mediated")


async def _now(env):
    return await env.get_current_time()


async def search_attributes(handle) -> dict:
    """The workflow's search attributes as stored by the server (decoded from the raw payloads)."""
    from temporalio.api.common.v1 import WorkflowExecution
    from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest

    raw = await handle._client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(namespace="default", execution=WorkflowExecution(workflow_id=handle.id))
    )
    fields = raw.workflow_execution_info.search_attributes.indexed_fields
    return {name: json.loads(payload.data) for name, payload in fields.items() if payload.data}


async def test_a_long_case_continues_as_new_and_keeps_every_run_short(env, projection, actors):
    handle = await start_case(env, make_intake(project=HOUSING))
    await handle.execute_update(CaseWorkflow.registered)
    await act(handle, "accept", actors["housing"])
    for k in range(30):
        await act(handle, "note", actors["housing"], text=f"第{k + 1}次电话催告")
    await act(
        handle,
        "findings",
        actors["housing"],
        substantiated=True,
        liable_party="general_contractor",
        amount_owed="30000.00",
    )
    await act(handle, "order_payment", actors["hrss"], amount="30000.00")
    await act(handle, "record_payment", actors["housing"], amount="30000.00", payer="general_contractor")
    outcome = await handle.result()  # follows the chain of runs to the last one
    assert outcome.outcome == "paid_in_full" and outcome.amount_recovered == Decimal("30000.00")

    lengths, run_id = [], handle.first_execution_run_id
    while run_id:  # each run's last event names the next run
        history = await env.client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()
        lengths.append(len(history.events))
        for runner in (SANDBOXED_RUNNER, UNSANDBOXED_RUNNER):  # every run replays on today's code
            await Replayer(
                workflows=[CaseWorkflow], data_converter=env.client.data_converter, workflow_runner=runner
            ).replay_workflow(history)
        run_id = history.events[-1].workflow_execution_continued_as_new_event_attributes.new_execution_run_id
    assert len(lengths) >= 2 and max(lengths) <= 150, lengths
    final = projection.states[handle.id]
    assert final.stage is Stage.CLOSED
    assert sum(1 for e in final.timeline if e.kind == "note") == 30  # nothing was lost between runs
