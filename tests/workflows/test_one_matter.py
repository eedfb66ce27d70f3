"""One matter (有案必接) on the time-skipping server: a complaint joined to the open case about the same
employer, once however often it is sent, and one whose matter has closed proceeding alone."""

import dataclasses
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest_asyncio
from temporalio.worker import Worker

from activities.joining import JoiningActivities
from domain.joining import JoinInput, JoinResult, join_key
from domain.messages import ActionInput, CaseInput
from domain.model import Organisation, Stage, WorkerClaim
from tests.workflows.conftest import Projection, make_intake
from worker import SANDBOXED_RUNNER
from workflows.case import CaseWorkflow

EMPLOYER = Organisation("山西某劳务有限公司", "91140923MA0K0X0X0X")
ZHANG = WorkerClaim("张三", "110101199003076632", Decimal("12000.00"))
LI = WorkerClaim("李四", "110101199003077213", Decimal("24000.00"))
WANG = WorkerClaim("王五", "110101199003071234", Decimal("8000.00"))


@pytest_asyncio.fixture
async def joining(env):
    """A worker with the projection faked and the real join_matter activity, on a queue of its own."""
    projection = Projection()
    queue = f"one-matter-{uuid.uuid4().hex[:8]}"
    worker = Worker(
        env.client,
        task_queue=queue,
        workflows=[CaseWorkflow],
        activities=[*projection.activities(), *JoiningActivities(env.client).all()],
        activity_executor=ThreadPoolExecutor(4),
        workflow_runner=SANDBOXED_RUNNER,
        workflow_failure_exception_types=[Exception],
    )
    async with worker:
        yield projection, queue


async def registered(env, queue, workers, matter=None):
    intake = dataclasses.replace(make_intake(), employer=EMPLOYER, workers=workers, matter=matter)
    intake.amount_claimed = sum((w.amount_owed for w in workers), Decimal("0"))
    handle = await env.client.start_workflow(
        CaseWorkflow.run, CaseInput(intake=intake), id=intake.case_no, task_queue=queue
    )
    await handle.execute_update(CaseWorkflow.registered)
    return handle, intake.case_no


async def test_a_second_complaint_is_joined_to_the_matter_once(env, joining, actors):
    projection, queue = joining
    matter, matter_no = await registered(env, queue, [ZHANG, LI])
    # the same employer again: 张三 complains once more (a larger claim), 王五 is new
    complaint, complaint_no = await registered(
        env, queue, [WorkerClaim("张三", ZHANG.id_number, Decimal("15000.00")), WANG], matter=matter_no
    )
    joined = await complaint.query(CaseWorkflow.state)  # registered returns once the join is done
    assert joined.stage is Stage.CLOSED and joined.outcome == "joined"
    assert joined.joined_to == matter_no and joined.related_cases == [matter_no]
    assert projection.documents[complaint_no] == ["receipt", "referral"]  # its receipt issued, no result notice
    assert [e.kind for e in joined.timeline][-2:] == ["joined_to_matter", "closed"]
    assert (await complaint.result()).outcome == "joined"

    s = await matter.query(CaseWorkflow.state)
    assert s.stage is Stage.REFERRED and s.related_cases == [complaint_no]
    assert s.intake.amount_claimed == Decimal("47000.00")  # 36000 + 张三's 3000 more + 王五's 8000
    assert "complaint_joined" in [e.kind for e in s.timeline]
    roster = projection.states[matter_no].intake.workers  # the join's write sent the roster
    assert [(w.name, w.amount_owed) for w in roster] == [
        ("张三", Decimal("15000.00")),
        ("李四", Decimal("24000.00")),
        ("王五", Decimal("8000.00")),
    ]

    # the same join again (a retried activity): the same answer, nothing changes
    again = await matter.execute_update(
        "join_complaint",
        JoinInput(complaint_no, joined.intake.received_at, [WANG], Decimal("8000.00")),
        id=join_key(complaint_no),
        result_type=JoinResult,
    )
    assert again.joined and again.matter == matter_no
    s2 = await matter.query(CaseWorkflow.state)
    assert s2.version == s.version and s2.related_cases == [complaint_no]
    assert s2.intake.amount_claimed == Decimal("47000.00")


async def test_a_complaint_whose_matter_closed_proceeds_alone(env, joining, actors):
    _, queue = joining
    matter, matter_no = await registered(env, queue, [ZHANG])
    await matter.execute_update(CaseWorkflow.act, ActionInput("close", actors["hrss"], {"outcome": "withdrawn"}))
    await matter.result()
    complaint, _ = await registered(env, queue, [WANG], matter=matter_no)
    s = await complaint.query(CaseWorkflow.state)
    assert s.stage is Stage.REFERRED and s.related_cases == [] and s.joined_to is None
    refused = [e for e in s.timeline if e.kind == "join_refused"]
    assert len(refused) == 1 and matter_no in refused[0].summary
