"""The early-warning workflows in the time-skipping server, with their activities faked by name: a monitor
checks every period when its grace runs out, continues as new, and gives each new warning a response
clock that escalates it; an employer's report checks each instalment on its date."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio import activity
from temporalio.client import WorkflowExecutionStatus
from temporalio.worker import Replayer, Worker

from domain.monitor_messages import (
    InstalmentCheck,
    MonitorInput,
    MonitorStepInput,
    MonitorStepResult,
    OpenedWarning,
    ReportInput,
)
from tests.workflows.conftest import result_of
from worker import SANDBOXED_RUNNER
from workflows.project_monitor import (
    RUN_EVENT_LIMIT,
    EmployerReportWorkflow,
    ProjectMonitorWorkflow,
    WarningWorkflow,
)

DAY = timedelta(days=1)
PERIODS = 25  # more than one run's worth: the monitor must continue as new on the way


class Fakes:
    def __init__(self, base):
        self.base = base  # the time-skipping server's clock when the test started
        self.steps: list[MonitorStepInput] = []
        self.escalated: list[int] = []
        self.instalments: list[int] = []

    def activities(self):
        @activity.defn(name="monitor_step")
        def monitor_step(step: MonitorStepInput) -> MonitorStepResult:
            self.steps.append(step)
            if step.check_period == PERIODS:
                return MonitorStepResult(monitoring=False)
            index = step.next_period or 1
            opened = (
                [OpenedWarning(100 + step.check_period, self.base + (step.check_period * 30 + 3) * DAY)]
                if step.check_period == 3
                else []
            )
            return MonitorStepResult(
                monitoring=True,
                next_period=index,
                next_due_at=self.base + index * 30 * DAY,
                next_check_at=self.base + (index * 30 + 2) * DAY,
                deposit_check_at=None if step.deposit_checked or step.check_deposit else self.base + 5 * DAY,
                township="yanmenguan",
                opened=opened,
            )

        @activity.defn(name="escalate_warning")
        async def escalate_warning(warning_id: int) -> str | None:
            self.escalated.append(warning_id)
            return f"DX-{warning_id}"

        @activity.defn(name="check_instalment")
        def check_instalment(check: InstalmentCheck) -> list[OpenedWarning]:
            self.instalments.append(check.seq)
            return [OpenedWarning(900 + check.seq, self.base + 400 * DAY)] if check.seq == 2 else []

        return [monitor_step, escalate_warning, check_instalment]


@pytest_asyncio.fixture(scope="module")
async def env():
    """A time-skipping server of this module's own: these tests skip years ahead, which the shared server's
    case tests (whose complaints are received at the wall clock's now) must not see."""
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
    from temporalio.testing import WorkflowEnvironment

    from core.codec import data_converter
    from core.config import Settings
    from tests.workflows.conftest import BIN, SEARCH_ATTRIBUTES, SECRET_KEY

    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=data_converter(Settings(secret_key=SECRET_KEY)),
    )
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(namespace="default", search_attributes=SEARCH_ATTRIBUTES)
    )
    yield env
    await env.shutdown()


@pytest_asyncio.fixture
async def fakes(env):
    fakes = Fakes(await env.get_current_time())
    queue = f"monitor-{uuid.uuid4().hex[:8]}"
    worker = Worker(
        env.client,
        task_queue=queue,
        workflows=[ProjectMonitorWorkflow, WarningWorkflow, EmployerReportWorkflow],
        activities=fakes.activities(),
        activity_executor=ThreadPoolExecutor(4),
        workflow_runner=SANDBOXED_RUNNER,
        workflow_failure_exception_types=[Exception],
    )
    async with worker:
        fakes.queue = queue
        yield fakes


async def test_every_period_is_checked_once_in_order_across_runs(env, fakes):
    prefix = "T" + uuid.uuid4().hex[:6].upper()
    handle = await env.client.start_workflow(
        ProjectMonitorWorkflow.run, MonitorInput(7), id=f"{prefix}-P7", task_queue=fakes.queue
    )
    await handle.result()
    checked = [s.check_period for s in fakes.steps if s.check_period is not None]
    assert checked == list(range(1, PERIODS + 1))
    # The deposit is checked once, at its own clock, before the first period's grace runs out.
    assert [i for i, s in enumerate(fakes.steps) if s.check_deposit] == [1]
    runs = [s for s in fakes.steps if s.check_period is None and not s.check_deposit]
    assert len(runs) >= 2  # the first step of every run plans without checking: it continued as new
    history = await env.client.get_workflow_handle(handle.id).fetch_history()
    assert len(history.events) < RUN_EVENT_LIMIT + 20
    replayer = Replayer(
        workflows=[ProjectMonitorWorkflow, WarningWorkflow, EmployerReportWorkflow],
        workflow_runner=SANDBOXED_RUNNER,
        data_converter=env.client.data_converter,
    )
    await replayer.replay_workflow(history)  # the last run replays in the sandbox
    # The warning opened at period 3 got its own clock, which outlived the monitor's run and escalated it.
    warning = env.client.get_workflow_handle(f"{prefix}-W103")
    assert await warning.result() == "DX-103"
    assert fakes.escalated == [103]


async def test_a_warning_waits_for_its_response_deadline(env, fakes):
    start = await env.get_current_time()
    from domain.monitor_messages import WarningInput

    handle = await env.client.start_workflow(
        WarningWorkflow.run, WarningInput(5, start + 5 * DAY), id=f"W-{uuid.uuid4().hex[:8]}", task_queue=fakes.queue
    )
    assert await handle.result() == "DX-5"
    assert await env.get_current_time() >= start + 5 * DAY
    assert (await handle.describe()).status is WorkflowExecutionStatus.COMPLETED


async def test_each_instalment_is_checked_on_its_date_and_a_missed_one_gets_a_clock(env, fakes):
    start = await env.get_current_time()
    prefix = "R" + uuid.uuid4().hex[:6].upper()
    dues = [(1, start + 10 * DAY), (2, start + 40 * DAY), (3, start + 70 * DAY)]
    handle = await env.client.start_workflow(
        EmployerReportWorkflow.run, ReportInput(4, dues), id=f"{prefix}-R4", task_queue=fakes.queue
    )
    await result_of(handle)
    assert fakes.instalments == [1, 2, 3]
    assert await env.get_current_time() >= start + 70 * DAY
    assert await result_of(env.client.get_workflow_handle(f"{prefix}-W902")) == "DX-902"


# Recorded by tests/histories/record_monitor.py; a workflow's id carries the prefix its children's ids use.
RECORDED_IDS = {"project_monitor": "DX-P7", "warning": "DX-W103", "employer_report": "DX-R4"}
MONITOR_HISTORIES = sorted((Path(__file__).resolve().parents[1] / "histories" / "monitor").glob("*.json"))


@pytest.mark.parametrize("path", MONITOR_HISTORIES, ids=lambda p: p.stem)
async def test_recorded_monitor_histories_replay(path):
    """The early-warning workflows' recorded runs (a monitor's first run up to continue-as-new, a warning's
    clock that escalated, a report's instalments) replay on today's code: a change to what they do goes
    behind workflow.patched (README, "Changing workflow code")."""
    from temporalio.client import WorkflowHistory

    from core.codec import data_converter
    from core.config import Settings
    from tests.workflows.conftest import SECRET_KEY

    history = WorkflowHistory.from_json(RECORDED_IDS[path.stem], path.read_text(encoding="utf-8"))
    replayer = Replayer(
        workflows=[ProjectMonitorWorkflow, WarningWorkflow, EmployerReportWorkflow],
        workflow_runner=SANDBOXED_RUNNER,
        data_converter=data_converter(Settings(secret_key=SECRET_KEY)),
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name} no longer replays: {result.replay_failure}"


def test_every_monitor_workflow_has_a_recorded_history():
    assert {p.stem for p in MONITOR_HISTORIES} == {"project_monitor", "warning", "employer_report"}
