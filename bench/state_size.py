"""What a case costs in Temporal: history bytes and events per lifecycle, and the payloads it sends around.

    python -m bench.state_size [--workers 5000] [--notes 30]

Starts its own dev server (no UI) and a real worker (real activities on a throw-away SQLite database, the
service's codec), then carries two cases from intake to closure (paid in full): a small one (3 workers)
and a large one (`--workers`, with `--notes` notes so that it continues as new at least once). For each:
history events and bytes summed over its runs (`history_size_bytes` of each run's description), its
runs, the largest payload the client and worker encoded (workflow and activity inputs, results, query
answers), every payload encoded in total, and the size of the `state` query's answer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import uuid
from collections.abc import Sequence
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.common import TypedSearchAttributes
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment

from activities.calendar import open_clocks
from api.case_service import start_search_attributes
from core.codec import EncryptionCodec, data_converter, payload_keys
from core.config import Settings
from core.jurisdiction import DEFAULT_JURISDICTION, load_jurisdiction
from core.policy import case_policy
from db.engine import create_all, make_engine
from domain.messages import ActionInput, CaseInput
from domain.model import Actor, CaseIntake, Channel, Organisation, Person, WorkerClaim
from worker import build_worker
from workflows import search_attributes
from workflows.case import CaseWorkflow

BIN = Path(sys.executable).parent
SECRET = "state-size-bench-secret-0123456789abcdef"
ATTRIBUTES = search_attributes.ALL
CLERK = Actor("clerk1", "clerk", "petition")
HRSS = Actor("hrss1", "caseworker", "hrss")


class MeasuringCodec(EncryptionCodec):
    """The service's codec, remembering the size of every payload it seals (before sealing)."""

    sizes: list[int] = []

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        MeasuringCodec.sizes.extend(p.ByteSize() for p in payloads)
        return await super().encode(payloads)


def converter() -> DataConverter:
    plain = data_converter(Settings(secret_key=SECRET))
    codec = MeasuringCodec(payload_keys(Settings(secret_key=SECRET)))
    return DataConverter(
        payload_converter_class=plain.payload_converter_class,
        payload_codec=codec,
        failure_converter_class=plain.failure_converter_class,
    )


def intake(workers: int) -> CaseIntake:
    now = datetime.now(timezone.utc)
    claims = [WorkerClaim(f"工人{i:05d}", f"14222{i:013d}", Decimal("1000.00")) for i in range(workers)]
    return CaseIntake(
        case_no=f"S-{uuid.uuid4().hex[:10]}",
        channel=Channel.HOTLINE,
        received_at=now,
        registered_at=now,
        registered_by=CLERK,
        complainant=Person("张三", "13800138000", None),
        workers=claims,
        employer=Organisation("山西某劳务有限公司", "91140923MA0000000X"),
        amount_claimed=Decimal("1000.00") * workers,
        description="2026年春节前工资未结清",
        policy=case_policy(load_jurisdiction(DEFAULT_JURISDICTION)),
    )


async def lifecycle(client: Client, queue: str, workers: int, notes: int) -> dict:
    MeasuringCodec.sizes = []
    case = intake(workers)
    owed = str(case.amount_claimed)
    opening = open_clocks(case)  # started as the service starts a case (api/case_service.py case_start)
    handle = await client.start_workflow(
        CaseWorkflow.run,
        CaseInput(intake=case, opening=opening),
        id=case.case_no,
        task_queue=queue,
        search_attributes=TypedSearchAttributes(start_search_attributes(case, opening)),
    )
    await handle.execute_update(CaseWorkflow.registered)
    steps = (
        [("accept", {})]
        + [("note", {"text": f"第{k + 1}次电话催告"}) for k in range(notes)]
        + [
            ("findings", {"substantiated": True, "liable_party": "employer", "amount_owed": owed}),
            ("order_payment", {}),
            ("record_payment", {"amount": owed, "payer": "employer"}),
        ]
    )
    query_bytes = 0
    for action, params in steps:
        if action == "findings":  # the state query's answer, measured once mid-case
            before = len(MeasuringCodec.sizes)
            await handle.query(CaseWorkflow.state)
            query_bytes = max(MeasuringCodec.sizes[before:], default=0)
        await handle.execute_update(CaseWorkflow.act, ActionInput(action, HRSS, params))
    await handle.result()
    events = size = runs = 0
    by_type: dict[str, int] = {}
    run_id: str | None = handle.first_execution_run_id
    while run_id:
        run = client.get_workflow_handle(case.case_no, run_id=run_id)
        history = await run.fetch_history()
        info = (await run.describe()).raw_description.workflow_execution_info
        events += len(history.events)
        for event in history.events:
            name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_").lower()
            by_type[name] = by_type.get(name, 0) + event.ByteSize()
        size += info.history_size_bytes
        runs += 1
        last = history.events[-1]
        run_id = (
            last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
            if last.HasField("workflow_execution_continued_as_new_event_attributes")
            else None
        )
    sizes = MeasuringCodec.sizes
    return {
        "workers": workers,
        "notes": notes,
        "runs": runs,
        "history_events": events,
        "history_bytes": size,
        "largest_payload_bytes": max(sizes),
        "payloads": len(sizes),
        "payload_bytes_total": sum(sizes),
        "state_query_bytes": query_bytes,
        "history_bytes_by_event": dict(sorted(by_type.items(), key=lambda kv: -kv[1])[:5]),
    }


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=5000)
    parser.add_argument("--notes", type=int, default=30)
    args = parser.parse_args(argv)
    dc = converter()
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        ui=False,
        search_attributes=ATTRIBUTES,
        data_converter=dc,
        dev_server_extra_args=["--log-level", "error"],
    )
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        engine = make_engine(url)
        create_all(engine)
        settings = Settings(secret_key=SECRET, database_url=url, task_queue="state-size")
        try:
            async with build_worker(env.client, settings, engine=engine):
                results = [
                    await lifecycle(env.client, "state-size", 3, 0),
                    await lifecycle(env.client, "state-size", args.workers, args.notes),
                ]
        finally:
            await env.shutdown()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
