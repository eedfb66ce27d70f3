"""Exactly once for the life of a case, and only the service changes a case (time-skipping server)."""

from decimal import Decimal

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter

from api.case_service import action_digest
from domain.messages import ActionInput
from domain.model import APPLIED_KEYS_KEPT, AppliedAction, CaseState, Stage
from tests.workflows.conftest import make_intake, start_case
from workflows.case import CaseWorkflow


async def keyed(handle, action, actor, key, **params):
    """An action as the service sends it: the user's key, the body's digest, the update id it uses."""
    digest = action_digest(action, params)
    return await handle.execute_update(
        CaseWorkflow.act,
        ActionInput(action, actor, params, key=key, digest=digest),
        id=f"{actor.username}:{key}:{digest[:16]}",
    )


async def act(handle, action, actor, **params):
    return await handle.execute_update(CaseWorkflow.act, ActionInput(action, actor, params))


async def ordered_case(env, actors):
    handle = await start_case(env, make_intake())  # routed to hrss, 36,000 claimed
    await handle.execute_update(CaseWorkflow.registered)
    await act(handle, "accept", actors["hrss"])
    await act(handle, "findings", actors["hrss"], substantiated=True, liable_party="employer", amount_owed="36000")
    await act(handle, "order_payment", actors["hrss"], amount="36000")
    return handle


async def test_a_payment_retried_after_continue_as_new_is_recorded_once(env, projection, actors):
    handle = await ordered_case(env, actors)
    first = await keyed(handle, "record_payment", actors["hrss"], "pay-1", amount="1000", payer="employer")
    first_run = (await handle.describe()).run_id
    for k in range(40):  # enough events for the run to continue as new
        await act(handle, "note", actors["hrss"], text=f"第{k + 1}次电话催告")
    latest = env.client.get_workflow_handle(handle.id)
    assert (await latest.describe()).run_id != first_run  # a new run: Temporal's update ids start afresh
    again = await keyed(latest, "record_payment", actors["hrss"], "pay-1", amount="1000", payer="employer")
    assert again == first
    s = await latest.query(CaseWorkflow.state)
    assert [p.amount for p in s.payments] == [Decimal("1000")]
    assert s.outstanding == Decimal("35000")
    assert [(a.username, a.key, a.action) for a in s.applied] == [("hrss1", "pay-1", "record_payment")]


async def test_the_same_key_with_another_body_is_refused_and_changes_nothing(env, projection, actors):
    handle = await ordered_case(env, actors)
    await keyed(handle, "record_payment", actors["hrss"], "pay-2", amount="1000", payer="employer")
    before = await handle.query(CaseWorkflow.state)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await keyed(handle, "record_payment", actors["hrss"], "pay-2", amount="2000", payer="employer")
    assert err.value.cause.type == "conflict" and "pay-2" in err.value.cause.message
    after = await handle.query(CaseWorkflow.state)
    assert after.version == before.version and [p.amount for p in after.payments] == [Decimal("1000")]


async def test_keys_are_the_senders_own(env, projection, actors):
    """Another user's same key is another action (and their retry is theirs)."""
    handle = await ordered_case(env, actors)
    await keyed(handle, "record_payment", actors["hrss"], "k", amount="1000", payer="employer")
    await keyed(handle, "record_payment", actors["supervisor"], "k", amount="500", payer="employer")
    await keyed(handle, "record_payment", actors["supervisor"], "k", amount="500", payer="employer")
    s = await handle.query(CaseWorkflow.state)
    assert [p.amount for p in s.payments] == [Decimal("1000"), Decimal("500")]


def test_the_remembered_keys_are_bounded():
    state = CaseState(intake=make_intake())
    for n in range(APPLIED_KEYS_KEPT + 5):
        state.remember_applied(AppliedAction("u", f"k{n}", "d", "note", n, "referred"))
    assert len(state.applied) == APPLIED_KEYS_KEPT
    assert state.applied_action("u", "k4") is None and state.applied_action("u", "k5").version == 5


async def test_an_update_not_sealed_with_the_service_key_is_refused(env, projection, actors):
    """What `temporal workflow update execute --name act --input '{…}'` sends: plain JSON, any actor."""
    handle = await ordered_case(env, actors)
    before = await handle.query(CaseWorkflow.state)
    outsider = Client(env.client.service_client, namespace="default", data_converter=pydantic_data_converter)
    forged = ActionInput("record_payment", actors["supervisor"], {"amount": "9999", "payer": "court"}, sealed=True)
    with pytest.raises(WorkflowUpdateFailedError):
        await outsider.get_workflow_handle(handle.id).execute_update("act", forged)
    after = await handle.query(CaseWorkflow.state)
    assert after.version == before.version and after.payments == [] and after.stage is Stage.PAYMENT_ORDERED
    # a signal (`temporal workflow signal --name act …`) is dropped: the case takes none
    await outsider.get_workflow_handle(handle.id).signal("act", forged)
    assert (await handle.query(CaseWorkflow.state)).version == before.version
    # the service's own request still goes through
    await keyed(handle, "record_payment", actors["hrss"], "pay-3", amount="36000", payer="employer")
    assert (await handle.result()).amount_recovered == Decimal("36000")
