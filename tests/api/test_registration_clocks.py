"""POST /api/cases counts a new case's first clocks before it starts the workflow (activities/calendar.py
open_clocks) and starts it with the registered case's search attributes: the registration's history holds
one local activity (the projection), one patch marker (`case-opening`) and no upsert of the case's own
search attributes, and the Temporal UI can find the case by its lead unit and next deadline."""

from datetime import datetime

from temporalio.api.enums.v1 import EventType

from tests.api.test_cases import PROJECT, new_case
from workflows.search_attributes import CASE_STAGE, LEAD_UNIT, NEXT_DEADLINE, TOWNSHIP

MARKER = EventType.EVENT_TYPE_MARKER_RECORDED
UPSERT = EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES


async def test_registration_runs_one_local_activity_and_upserts_no_search_attribute(api):
    clerk = await api.user("clerk1", "clerk", "petition")
    project = (await api.http.post("/api/projects", headers=clerk, json=PROJECT)).json()
    case = await new_case(api, project_id=project["id"])
    handle = api.app.state.temporal.get_workflow_handle(case["case_no"])
    events = list((await handle.fetch_history()).events)
    registered = next(
        i for i, e in enumerate(events) if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED
    )
    markers = [e.marker_recorded_event_attributes for e in events[:registered] if e.event_type == MARKER]
    assert [m.marker_name for m in markers].count("core_local_activity") == 1
    assert [m.marker_name for m in markers].count("core_patch") == 1
    upserts = [
        e.upsert_workflow_search_attributes_event_attributes for e in events[:registered] if e.event_type == UPSERT
    ]
    upserted = {name for u in upserts for name in u.search_attributes.indexed_fields}
    assert upserted <= {"TemporalChangeVersion"}, upserted

    [clock] = case["deadlines"]
    assert clock["kind"] == "acknowledge"
    assert datetime.fromisoformat(clock["due_at"]) > datetime.fromisoformat(clock["start_at"])
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes[CASE_STAGE] == "referred" and attributes[LEAD_UNIT] == case["lead_unit"] == "housing"
    assert attributes[TOWNSHIP] == "shangguan"
    assert attributes[NEXT_DEADLINE] == datetime.fromisoformat(clock["due_at"])
