"""The workers' own routes on the time-skipping server: arbitration and payment-order clocks."""

from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from domain.calendar import CHINA_TZ
from domain.messages import ActionInput
from tests.workflows.conftest import make_intake, start_case
from workflows.case import CaseWorkflow


async def act(handle, action, actor, **params):
    return await handle.execute_update(CaseWorkflow.act, ActionInput(action, actor, params))


async def test_arbitration_clocks_run_and_escalate(env, projection, actors):
    handle = await start_case(env, make_intake())
    await handle.execute_update(CaseWorkflow.registered)
    await act(handle, "accept", actors["hrss"])
    await act(handle, "worker_route", actors["hrss"], route="arbitration", event="applied", note="绿色通道")
    state = await handle.query(CaseWorkflow.state)
    clock = state.open_deadline("arbitration_accept")
    assert clock is not None and clock.unit == "hrss"
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(handle, "worker_route", actors["hrss"], route="arbitration", event="awarded")
    assert err.value.cause.type == "conflict"  # not accepted yet: no award clock running
    await act(handle, "worker_route", actors["hrss"], route="arbitration", event="accepted")
    state = await handle.query(CaseWorkflow.state)
    award = state.open_deadline("arbitration_award")
    assert state.deadlines[-2].status.value == "met" and award is not None
    days = award.due_at.astimezone(CHINA_TZ).date() - award.start_at.astimezone(CHINA_TZ).date()
    assert days >= timedelta(days=45)  # 45 calendar days, rolled forward past a holiday
    await env.sleep(award.due_at - await env.get_current_time() + timedelta(hours=1))
    state = await handle.query(CaseWorkflow.state)
    assert state.open_deadline("arbitration_award").status.value == "missed"
    assert state.escalations[-1].deadline_kind == "arbitration_award"
    await act(
        handle,
        "worker_route",
        actors["hrss"],
        route="arbitration",
        event="awarded",
        final_award=True,
        advance_execution=True,
    )
    state = await handle.query(CaseWorkflow.state)
    assert "一裁终局" in state.timeline[-1].summary and not state.overdue()
    await act(handle, "close", actors["hrss"], outcome="withdrawn")


async def test_payment_order_objection_period_ends_without_escalating_anyone(env, projection, actors):
    handle = await start_case(env, make_intake())
    await handle.execute_update(CaseWorkflow.registered)
    await act(handle, "accept", actors["hrss"])
    await act(handle, "worker_route", actors["hrss"], route="payment_order", event="applied")
    await act(handle, "worker_route", actors["hrss"], route="payment_order", event="served")
    period = (await handle.query(CaseWorkflow.state)).open_deadline("payment_order_objection")
    await env.sleep(period.due_at - await env.get_current_time() + timedelta(hours=1))
    state = await handle.query(CaseWorkflow.state)
    ended = [d for d in state.deadlines if d.kind == "payment_order_objection"][0]
    assert ended.status.value == "met"
    assert not [e for e in state.escalations if e.deadline_kind == "payment_order_objection"]
    with pytest.raises(WorkflowUpdateFailedError):
        await act(handle, "worker_route", actors["hrss"], route="payment_order", event="objected")
    await act(handle, "worker_route", actors["hrss"], route="legal_aid", event="granted", note="司法局指派律师")
    await act(handle, "close", actors["hrss"], outcome="withdrawn")
