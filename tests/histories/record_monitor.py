"""Record the early-warning workflows' histories for the replay test (tests/workflows/test_project_monitor.py).

    .venv/bin/python tests/histories/record_monitor.py

Runs the scenarios of the workflow tests (faked activities) on a time-skipping server and writes
tests/histories/monitor/{project_monitor,warning,employer_report}.json. After a deliberate change of
those workflows, keep the old files (rename them) beside new ones: every recorded run must replay.
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.codec import data_converter
from core.config import Settings
from domain.monitor_messages import MonitorInput, ReportInput
from tests.workflows.conftest import BIN, SEARCH_ATTRIBUTES, SECRET_KEY
from tests.workflows.test_project_monitor import DAY, Fakes
from worker import SANDBOXED_RUNNER
from workflows.project_monitor import EmployerReportWorkflow, ProjectMonitorWorkflow, WarningWorkflow

OUT = Path("tests/histories/monitor")


async def main():
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=data_converter(Settings(secret_key=SECRET_KEY)),
    )
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(namespace="default", search_attributes=SEARCH_ATTRIBUTES)
    )
    fakes = Fakes(await env.get_current_time())
    async with Worker(
        env.client,
        task_queue="rec",
        workflows=[ProjectMonitorWorkflow, WarningWorkflow, EmployerReportWorkflow],
        activities=fakes.activities(),
        activity_executor=ThreadPoolExecutor(4),
        workflow_runner=SANDBOXED_RUNNER,
    ):
        h = await env.client.start_workflow(ProjectMonitorWorkflow.run, MonitorInput(7), id="DX-P7", task_queue="rec")
        await h.result()
        first = await env.client.get_workflow_handle("DX-P7", run_id=h.first_execution_run_id).fetch_history()
        (OUT / "project_monitor.json").write_text(first.to_json())
        w = env.client.get_workflow_handle("DX-W103")
        await w.result()
        (OUT / "warning.json").write_text((await w.fetch_history()).to_json())
        start = await env.get_current_time()
        r = await env.client.start_workflow(
            EmployerReportWorkflow.run,
            ReportInput(4, [(1, start + 10 * DAY), (2, start + 40 * DAY)]),
            id="DX-R4",
            task_queue="rec",
        )
        await r.result()
        (OUT / "employer_report.json").write_text((await r.fetch_history()).to_json())
    await env.shutdown()


asyncio.run(main())
