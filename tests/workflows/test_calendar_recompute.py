"""A year's official schedule loaded while cases run: the fan-out workflow signals them, each counts its
clocks again in an activity, the timeline shows old and new date, the timer is re-armed, and the history
(with the signal) replays.

Its own time-skipping server: this module moves time by months, which the other modules do not expect."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest_asyncio
from temporalio import activity
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from activities.calendar import recompute_clocks
from activities.cases import compute_clocks
from core.calendar import YearSchedule, build_calendar
from core.codec import data_converter
from core.config import Settings
from domain.calendar import CHINA_TZ, add_working_days
from domain.messages import ActionInput, ComputeClocksInput, IssueDocumentsInput
from domain.recompute import RecomputeClocksInput
from tests.workflows.conftest import BIN, SEARCH_ATTRIBUTES, SECRET_KEY, make_intake
from worker import SANDBOXED_RUNNER
from workflows.calendar import CalendarChangeWorkflow, CalendarFanOut
from workflows.case import CaseWorkflow, details_markdown

QUEUE = "test-calendar"


def schedule_2027() -> YearSchedule:
    """A 2027 schedule of our own making: fewer weekdays off than the statute alone gives (春节 only
    Fri 5 - Mon 8 Feb, no make-up days for its weekend) and one make-up working day, Sun 14 Feb."""
    off = {
        date(2027, 1, 1),
        *[date(2027, 2, d) for d in range(5, 9)],
        date(2027, 4, 5),
        date(2027, 5, 1),
        date(2027, 5, 2),
        date(2027, 6, 9),
        date(2027, 9, 15),
        *[date(2027, 10, d) for d in range(1, 4)],
    }
    return YearSchedule(2027, frozenset(off), frozenset({date(2027, 2, 14)}), "测试用安排")


class Fakes:
    """The activities by name, on a schedule store the test changes (as an admin's load would)."""

    def __init__(self) -> None:
        self.schedules: dict[int, YearSchedule] = {}
        self.states = {}

    def activities(self) -> list:
        @activity.defn(name="record_step")
        def record_step(input: IssueDocumentsInput) -> None:
            self.states[input.state.case_no] = input.state

        @activity.defn(name="compute_clocks")
        def clocks(input: ComputeClocksInput):
            return compute_clocks(input, self.schedules)

        @activity.defn(name="recompute_clocks")
        def recompute(input: RecomputeClocksInput):
            return recompute_clocks(input, self.schedules)

        @activity.defn(name="cases_counting_year")
        def cases(year: int, after: str, limit: int) -> list[str]:
            return sorted(n for n in self.states if n > after)[:limit]

        return [record_step, clocks, recompute, cases]


@pytest_asyncio.fixture(scope="module")
async def cal_env():
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=data_converter(Settings(secret_key=SECRET_KEY)),
    )
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(namespace="default", search_attributes=SEARCH_ATTRIBUTES)
    )
    fakes = Fakes()
    worker = Worker(
        env.client,
        task_queue=QUEUE,
        workflows=[CaseWorkflow, CalendarChangeWorkflow],
        activities=fakes.activities(),
        activity_executor=ThreadPoolExecutor(4),
        workflow_runner=SANDBOXED_RUNNER,
        workflow_failure_exception_types=[Exception],
    )
    async with worker:
        yield env, fakes
    await env.shutdown()


async def test_loaded_schedule_moves_a_running_investigation_and_rearms_its_timer(cal_env, actors):
    env, fakes = cal_env
    now = await env.get_current_time()
    intake = make_intake(received_at=now)
    handle = await env.client.start_workflow(CaseWorkflow.run, _input(intake), id=intake.case_no, task_queue=QUEUE)
    await handle.execute_update(CaseWorkflow.registered)
    await handle.execute_update(CaseWorkflow.act, ActionInput("accept", actors["hrss"], {}))
    state = await handle.query(CaseWorkflow.state)
    clock = state.open_deadline("investigate")
    accepted_day = clock.start_at.astimezone(CHINA_TZ).date()
    provisional_due = add_working_days(build_calendar(), accepted_day, 60)
    assert clock.due_at.astimezone(CHINA_TZ).date() == provisional_due
    # counted across 2027 before its schedule exists: provisional, and later than Monday-to-Friday counting
    assert clock.provisional is (provisional_due.year == 2027)
    assert ("暂定" in details_markdown(state)) is clock.provisional  # the Temporal Web UI's current details

    fakes.schedules[2027] = schedule_2027()
    official_due = add_working_days(build_calendar(schedules=fakes.schedules), accepted_day, 60)
    fan_out = await env.client.start_workflow(
        CalendarChangeWorkflow.run,
        CalendarFanOut(2027, 1, "测试用安排"),
        id=f"calendar-2027-{uuid.uuid4().hex[:6]}",
        task_queue=QUEUE,
    )
    assert await fan_out.result() >= 1
    await env.sleep(timedelta(seconds=1))  # the signalled case runs its activity

    state = await handle.query(CaseWorkflow.state)
    clock = state.open_deadline("investigate")
    if provisional_due.year == 2027:  # the case's period crosses 2027 (true when run before about October 2027)
        assert official_due < provisional_due
        assert clock.due_at.astimezone(CHINA_TZ).date() == official_due and clock.provisional is False
        event = next(e for e in state.timeline if e.kind == "deadline_recomputed")
        assert event.data["old_due_at"].startswith(provisional_due.isoformat())
        assert event.data["new_due_at"].startswith(official_due.isoformat())
        assert "测试用安排" in event.summary and "调查处理" in event.summary
        assert fakes.states[intake.case_no].open_deadline("investigate").due_at == clock.due_at  # projected
        assert "暂定" not in details_markdown(state)
    # the timer was re-armed on the new instant: the clock runs out then, not at the old one
    await env.sleep(clock.due_at - await env.get_current_time() + timedelta(hours=1))
    state = await handle.query(CaseWorkflow.state)
    missed = next(e for e in state.timeline if e.kind == "deadline_missed" and e.data.get("deadline") == "investigate")
    assert missed.at == clock.due_at

    history = await handle.fetch_history()
    await Replayer(
        workflows=[CaseWorkflow], data_converter=env.client.data_converter, workflow_runner=SANDBOXED_RUNNER
    ).replay_workflow(history)


def _input(intake):
    from domain.messages import CaseInput

    return CaseInput(intake=intake)
