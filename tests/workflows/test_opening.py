"""A new case's first clocks counted by the service before its workflow starts (domain.messages.CaseOpening):
the registration then runs no activity to count them, and the instants are those the activity counts.
An opening for other clocks, or one not sealed with the service's key, is not taken."""

import dataclasses
import json
from datetime import timedelta

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from activities.calendar import open_clocks
from domain.lifecycle import ClockTimes
from domain.messages import ActionInput, CaseInput
from domain.model import Actor
from tests.workflows.conftest import make_intake
from tests.workflows.test_skip_documents import registered
from workflows.case import CaseWorkflow


async def patch_markers(handle) -> list[str]:
    """The patch ids the case's history records, in order."""
    history = await handle.fetch_history()
    return [
        json.loads(e.marker_recorded_event_attributes.details["patch-data"].payloads[0].data)["id"]
        for e in history.events
        if e.HasField("marker_recorded_event_attributes")
        and e.marker_recorded_event_attributes.marker_name == "core_patch"
    ]


def counted_by_activity(projection, case_no: str) -> list:
    return [i for i in projection.clock_inputs if i.case_no == case_no]


def acknowledge(projection, case_no: str):
    return next(d for d in projection.states[case_no].deadlines if d.kind == "acknowledge")


async def test_a_case_opened_by_the_service_counts_no_clocks_itself_and_gets_the_activitys_instants(env, projection):
    intake = make_intake()
    opening = open_clocks(intake)
    assert opening is not None and [r.key for r in opening.requests] == ["acknowledge"]
    handle = await registered(env, CaseInput(intake=intake, opening=opening))
    assert counted_by_activity(projection, intake.case_no) == []
    # one patch marker for the registration and the steps after it (the older patches are taken unasked)
    await handle.execute_update(CaseWorkflow.act, ActionInput("accept", Actor("hrss1", "caseworker", "hrss"), {}))
    assert await patch_markers(handle) == ["case-opening"]
    clock = acknowledge(projection, intake.case_no)
    assert (clock.due_at, clock.escalate_at) == (
        opening.times["acknowledge"].due_at,
        opening.times["acknowledge"].escalate_at,
    )

    # the same complaint registered without an opening: the activity counts the same instants
    twin = dataclasses.replace(intake, case_no=intake.case_no + "-B")
    twin_handle = await registered(env, CaseInput(intake=twin))
    assert len(counted_by_activity(projection, twin.case_no)) == 1
    assert "case-opening" not in await patch_markers(twin_handle) and "lawful-ladder" in await patch_markers(
        twin_handle
    )
    counted = acknowledge(projection, twin.case_no)
    assert (counted.due_at, counted.escalate_at) == (clock.due_at, clock.escalate_at)


def bogus(opening) -> None:
    """Instants a year out: a case that took them would show them."""
    for key, times in opening.times.items():
        opening.times[key] = ClockTimes(times.due_at + timedelta(days=365), [], False)


async def test_an_opening_for_other_clocks_is_not_taken(env, projection):
    intake = make_intake()
    opening = open_clocks(intake)
    assert opening is not None
    bogus(opening)
    first = opening.requests[0]
    opening.requests[0] = dataclasses.replace(first, start=first.start - timedelta(days=1))
    await registered(env, CaseInput(intake=intake, opening=opening))
    assert len(counted_by_activity(projection, intake.case_no)) == 1
    assert acknowledge(projection, intake.case_no).due_at != opening.times["acknowledge"].due_at


async def test_an_opening_not_sealed_with_the_service_key_is_not_taken(env, projection):
    intake = make_intake()
    opening = open_clocks(intake)
    assert opening is not None
    bogus(opening)
    plain = Client(env.client.service_client, namespace="default", data_converter=pydantic_data_converter)
    await registered(env, CaseInput(intake=intake, opening=opening), starter=plain)
    assert len(counted_by_activity(projection, intake.case_no)) == 1
    assert acknowledge(projection, intake.case_no).due_at != opening.times["acknowledge"].due_at
