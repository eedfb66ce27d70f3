"""The Temporal worker: runs the case workflows and their activities.

python worker.py          # settings from WAGECASE_* environment variables
"""

import asyncio
import logging
import signal
from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import PollerBehaviorAutoscaling, UnsandboxedWorkflowRunner, Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.calendar import CalendarActivities
from activities.cases import CaseActivities
from activities.joining import JoiningActivities
from activities.monitoring import MonitoringActivities
from api.monitoring_service import ensure_monitors
from core.codec import data_converter
from core.config import Settings, get_settings
from core.jurisdiction import load_jurisdiction
from db.engine import make_engine
from db.migrate import upgrade
from workflows.calendar import CalendarChangeWorkflow
from workflows.case import CaseWorkflow
from workflows.project_monitor import EmployerReportWorkflow, ProjectMonitorWorkflow, WarningWorkflow

log = logging.getLogger("wagecase.worker")

# Two runners for the same workflow code. The sandbox re-imports the workflow module for every case the
# worker loads and refuses non-deterministic calls (the clock, random, I/O) at run time: the test suite runs
# every workflow test and every recorded-history replay in it, so such a call fails a test. The worker runs
# unsandboxed by default: at intake the sandbox cost 40% of the worker's CPU per complaint (59 -> 35 ms,
# README "Performance"). WAGECASE_WORKFLOW_SANDBOX=true turns it back on.
SANDBOXED_RUNNER = SandboxedWorkflowRunner(
    # The pure domain package is deterministic; passing it through saves re-importing it per workflow.
    restrictions=SandboxRestrictions.default.with_passthrough_modules("domain")
)
UNSANDBOXED_RUNNER = UnsandboxedWorkflowRunner()


def workflow_runner(settings: Settings) -> WorkflowRunner:
    """The runner the settings ask for."""
    return SANDBOXED_RUNNER if settings.workflow_sandbox else UNSANDBOXED_RUNNER


# Worker options measured with `make bench` (bench/results/latest.md). With the default five workflow-task
# pollers the first tasks of a burst (a deadline falling for many cases at once) wait seconds while later
# ones pass; autoscaling pollers follow the backlog instead (docs/temporal.md).
WORKER_TUNING = dict(workflow_task_poller_behavior=PollerBehaviorAutoscaling())


def build_worker(client: Client, settings: Settings, *, engine=None, jurisdiction=None) -> Worker:
    """A worker for the case workflows on the settings' task queue."""
    engine = engine or make_engine(settings.database_url)
    jurisdiction = jurisdiction or load_jurisdiction(settings.jurisdiction)
    activities = CaseActivities(engine, jurisdiction)
    calendar = CalendarActivities(engine, activities.schedules)
    monitoring = MonitoringActivities(engine, jurisdiction, client, settings.task_queue)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[
            CaseWorkflow,
            CalendarChangeWorkflow,
            ProjectMonitorWorkflow,
            WarningWorkflow,
            EmployerReportWorkflow,
        ],
        activities=activities.all() + calendar.all() + monitoring.all() + JoiningActivities(client).all(),
        activity_executor=ThreadPoolExecutor(max_workers=16),
        workflow_runner=workflow_runner(settings),
        **WORKER_TUNING,
    )


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    jurisdiction = load_jurisdiction(settings.jurisdiction)  # a bad file stops start-up here
    upgrade(settings.database_url)  # migrations; safe while the API or another worker does the same
    engine = make_engine(settings.database_url)
    client = await Client.connect(
        settings.temporal_address, namespace=settings.temporal_namespace, data_converter=data_converter(settings)
    )
    worker = build_worker(client, settings, engine=engine, jurisdiction=jurisdiction)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker polling task queue %s at %s", settings.task_queue, settings.temporal_address)
    async with worker:
        started = await ensure_monitors(
            client, engine=engine, jurisdiction=jurisdiction, task_queue=settings.task_queue
        )
        log.info("payroll monitors of %d projects running", started)
        await stop.wait()
    log.info("worker stopped")


if __name__ == "__main__":
    asyncio.run(main())
