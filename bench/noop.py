"""The no-op workflow of the ceiling measurement (the ceiling phase) and its worker.

    python -m bench.noop --address 127.0.0.1:7233 --task-queue bench-noop

The worker takes the same options as the case worker (worker.py), so the ceiling is what the engine
and this worker configuration can do with workflows that do nothing at all.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from temporalio import workflow

NOOP_TASK_QUEUE = "bench-noop"


@workflow.defn(name="BenchNoop")
class NoopWorkflow:
    @workflow.run
    async def run(self) -> None:
        return None


async def serve(address: str, task_queue: str) -> None:
    """Run a worker for NoopWorkflow until SIGTERM or SIGINT."""
    from temporalio.client import Client
    from temporalio.worker import Worker

    import worker as case_worker  # the repository's worker.py: its runner and tuning
    from bench.service import service_data_converter
    from core.config import Settings  # the service's environment: the case worker's runner

    client = await Client.connect(address, data_converter=service_data_converter())
    options = dict(getattr(case_worker, "WORKER_TUNING", {}))
    noop = Worker(
        client,
        task_queue=task_queue,
        workflows=[NoopWorkflow],
        workflow_runner=case_worker.workflow_runner(Settings()),
        **options,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with noop:
        print(f"no-op worker polling {task_queue} at {address}", flush=True)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", required=True)
    parser.add_argument("--task-queue", default=NOOP_TASK_QUEUE)
    args = parser.parse_args()
    asyncio.run(serve(args.address, args.task_queue))


if __name__ == "__main__":
    main()
