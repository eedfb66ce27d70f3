"""POST /api/cases counts a new case's first clocks before it starts the workflow (activities/calendar.py
open_clocks): the registration's history holds one local activity (the projection), not two."""

from datetime import datetime

from temporalio.api.enums.v1 import EventType

from tests.api.test_cases import new_case


async def test_registration_runs_one_local_activity_and_the_clock_is_counted(api):
    case = await new_case(api)
    history = await api.app.state.temporal.get_workflow_handle(case["case_no"]).fetch_history()
    events = list(history.events)
    registered = next(
        i for i, e in enumerate(events) if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED
    )
    local = [
        e
        for e in events[:registered]
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and e.marker_recorded_event_attributes.marker_name == "core_local_activity"
    ]
    assert len(local) == 1
    [clock] = case["deadlines"]
    assert clock["kind"] == "acknowledge"
    assert datetime.fromisoformat(clock["due_at"]) > datetime.fromisoformat(clock["start_at"])
