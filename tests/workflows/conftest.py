"""Time-skipping Temporal environment and a case worker with the projection faked by name."""

import copy
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio import activity
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.calendar import compute_clocks
from core.codec import data_converter
from core.config import Settings
from core.jurisdiction import DEFAULT_JURISDICTION, load_jurisdiction
from core.policy import case_policy
from domain.messages import CaseInput, ComputeClocksInput, IssueDocumentsInput
from domain.model import Actor, CaseIntake, CaseState, Channel, Organisation, Person, ProjectInfo, WorkerClaim
from domain.routing import ProjectFacts
from worker import SANDBOXED_RUNNER
from workflows import search_attributes
from workflows.case import CaseWorkflow

BIN = Path(sys.executable).parent
SEARCH_ATTRIBUTES = {key.name: key.indexed_value_type for key in search_attributes.ALL}
JURISDICTION = load_jurisdiction(DEFAULT_JURISDICTION)
CLERK = Actor("clerk1", "clerk", "petition")
SECRET_KEY = "workflow-tests-secret-key-0123456789abcdef"


class Projection:
    """Fakes of the projection and document activities that remember what the workflow wrote."""

    def __init__(self) -> None:
        self.states: dict[str, CaseState] = {}
        self.documents: dict[str, list[str]] = {}
        self.sent: list[IssueDocumentsInput] = []  # every record_step input, as the workflow sent it
        self.clock_inputs: list[ComputeClocksInput] = []

    def activities(self) -> list:
        def remember_documents(input: IssueDocumentsInput) -> None:
            docs = self.documents.setdefault(input.state.case_no, [])
            for req in input.requests:
                if len(docs) < req.seq:
                    docs.append(req.kind)

        @activity.defn(name="record_step")
        def record_step(input: IssueDocumentsInput) -> bool:
            self.sent.append(copy.deepcopy(input))
            state = input.state
            if input.intake_omitted:  # like activities.cases: the roster and policy of the stored projection
                stored = self.states.get(state.case_no)
                if stored is None:
                    return False
                state.intake.workers, state.intake.policy = stored.intake.workers, stored.intake.policy
            remember_documents(input)
            self.states[state.case_no] = state
            return True

        @activity.defn(name="compute_clocks")
        def clocks(input: ComputeClocksInput):
            self.clock_inputs.append(input)
            return compute_clocks(input)

        return [record_step, clocks]


@pytest_asyncio.fixture(scope="module")
async def env():
    """A time-skipping server per test module: a module that skips months leaves the next one a server at
    the wall clock's time (make_intake dates complaints by the wall clock), in any order of modules."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=data_converter(Settings(secret_key=SECRET_KEY)),
    )
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(namespace="default", search_attributes=SEARCH_ATTRIBUTES)
    )
    yield env
    await env.shutdown()


@pytest_asyncio.fixture(scope="module")
async def projection(env):
    projection = Projection()
    worker = Worker(
        env.client,
        task_queue="test-cases",
        workflows=[CaseWorkflow],
        activities=projection.activities(),
        activity_executor=ThreadPoolExecutor(8),
        workflow_runner=SANDBOXED_RUNNER,
        workflow_failure_exception_types=[Exception],
    )
    async with worker:
        yield projection


def make_intake(
    *,
    project: ProjectFacts | None = None,
    workers: int = 3,
    amount: str = "36000.00",
    received_at: datetime | None = None,
    policy=None,
    group_incident: bool = False,
) -> CaseIntake:
    """A realistic complaint; the case number is unique per call."""
    now = datetime.now(timezone.utc)
    info = None
    if project is not None:
        info = ProjectInfo(
            1,
            "滨河小区3号楼",
            project,
            Organisation("代县某房地产开发有限公司"),
            Organisation("山西某建筑工程有限公司"),
        )
    share = (Decimal(amount) / workers).quantize(Decimal("0.01"))
    return CaseIntake(
        case_no=f"T-{uuid.uuid4().hex[:10]}",
        channel=Channel.HOTLINE,
        received_at=received_at or now,
        registered_at=now,
        registered_by=CLERK,
        complainant=Person("张三", "13800138000", None),
        workers=[WorkerClaim(f"工人{i}", None, share) for i in range(workers)],
        employer=Organisation("山西某劳务有限公司", None),
        amount_claimed=Decimal(amount),
        description="2026年春节前工资未结清",
        policy=policy or case_policy(JURISDICTION),
        project=info,
        group_incident=group_incident,
    )


async def start_case(env, intake: CaseIntake):
    """Start a case workflow on the time-skipping server (the returned handle skips time)."""
    return await env.client.start_workflow(
        CaseWorkflow.run, CaseInput(intake=intake), id=intake.case_no, task_queue="test-cases"
    )


@pytest.fixture
def actors():
    return {
        "hrss": Actor("hrss1", "caseworker", "hrss"),
        "hrss_head": Actor("hrss_head", "unit_head", "hrss"),
        "housing": Actor("housing1", "caseworker", "housing"),
        "housing_head": Actor("housing_head", "unit_head", "housing"),
        "transport": Actor("transport1", "caseworker", "transport"),
        "supervisor": Actor("office1", "supervisor", "hrss"),
        "clerk": CLERK,
    }


@pytest.fixture
def ts():
    return timedelta


async def result_of(handle, tries: int = 3):
    """`handle.result()`, asked again when the time-skipping server's long poll ended without the
    completion: the Java test server answers a poll that timed out without a next page token, which the
    SDK reports as "No completion event found" (seen under load when a run skips months)."""
    for attempt in range(tries):
        try:
            return await handle.result()
        except RuntimeError as error:
            if "No completion event found" not in str(error) or attempt == tries - 1:
                raise
