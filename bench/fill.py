"""Phase e's fill: many open cases parked on their clocks, quickly, through the same case workflow.

The fill does not go through POST /api/cases (one request, one transaction and one rendered receipt and
referral per complaint): it builds the intakes as the API does (api.case_service.reserve_intakes, case
numbers from the same counter, a batch per transaction) and starts each case's workflow directly with the
Temporal client, by the same update-with-start as the API (api.case_service.case_start, with the first
clocks counted as the API counts them), `in_flight` at a time. Each case is routed, gets its clocks and its
projection exactly as any other; only its documents are not rendered (CaseInput.skip_documents, honoured
only on an input sealed with the service's key).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from sqlmodel import Session, select
from temporalio.client import Client

from activities.calendar import ScheduleCache, open_clocks
from api import schemas
from api.case_service import case_start, reserve_intakes
from bench.phases import complaint, progress
from bench.report import cpu_per_item, latency_summary, rate
from bench.service import TASK_QUEUE, Service, sqlite_bytes
from core.jurisdiction import load_jurisdiction
from db.accounts import User
from db.engine import make_engine
from workflows.case import CaseWorkflow

IN_FLIGHT = 200  # concurrent starts while filling
BATCH = 50  # intakes per transaction (each holds SQLite's write lock while it runs)
CHECKPOINTS = (1_000, 10_000, 20_000, 50_000, 100_000)  # memory on the way up when one level is asked for


class Filler:
    """Starts fill cases on one service: the intakes from its database, the workflows on its dev server."""

    def __init__(self, client: Client, service_db: Path, jurisdiction: Path, project_ids: list[int], first: int):
        self.client = client
        self.engine = make_engine(f"sqlite:///{service_db}")
        self.jurisdiction = load_jurisdiction(str(jurisdiction))
        self.schedules = ScheduleCache(self.engine)
        with Session(self.engine) as session:
            self.user = session.exec(select(User).where(User.username == "admin")).one()
        self.project_ids = project_ids
        self.next_number = first  # complaint numbers: the bodies are reproducible from them

    def _intakes(self, count: int) -> list:
        numbers = range(self.next_number, self.next_number + count)
        self.next_number += count
        bodies = [schemas.CaseCreate.model_validate(complaint(n, self.project_ids)) for n in numbers]
        intakes = reserve_intakes(engine=self.engine, bodies=bodies, user=self.user, jurisdiction=self.jurisdiction)
        schedules = self.schedules.get()
        return [(intake, open_clocks(intake, schedules)) for intake in intakes]  # as POST /api/cases counts them

    async def fill(self, count: int, in_flight: int = IN_FLIGHT, on_done: Callable[[int], None] | None = None) -> dict:
        """Start `count` cases, `in_flight` at a time; each returns once routed and projected."""
        queue: asyncio.Queue = asyncio.Queue(maxsize=2 * in_flight)
        latencies: list[float] = []
        errors: list[str] = []
        waited: list[str] = []  # the update timed out but the case started: waited for it once more
        done = 0

        async def produce() -> None:
            left = count
            while left > 0:
                batch = await asyncio.to_thread(self._intakes, min(BATCH, left))
                left -= len(batch)
                for item in batch:
                    await queue.put(item)
            for _ in range(in_flight):
                await queue.put(None)

        async def start() -> None:
            nonlocal done
            while (item := await queue.get()) is not None:
                intake, opening = item
                operation = case_start(intake, self.jurisdiction, TASK_QUEUE, opening=opening, skip_documents=True)
                t0 = time.perf_counter()
                try:
                    await self.client.execute_update_with_start_workflow(
                        CaseWorkflow.registered, start_workflow_operation=operation
                    )
                except Exception as err:  # counted and reported; too many stop the fill
                    if not await registered_after(operation):
                        errors.append(repr(err)[:300])
                        if len(errors) > max(10, count // 20):
                            raise RuntimeError(f"the fill failed {len(errors)} starts, e.g. {errors[0]}") from err
                        continue
                    waited.append(repr(err)[:300])
                latencies.append(time.perf_counter() - t0)
                done += 1
                if on_done is not None:
                    on_done(done)

        t0 = time.perf_counter()
        await asyncio.gather(produce(), *(start() for _ in range(in_flight)))
        elapsed = time.perf_counter() - t0
        if errors:
            progress(f"   fill: {len(errors)} failed starts, e.g. {errors[0]}")
        if waited:
            progress(f"   fill: {len(waited)} started cases waited for once more, e.g. {waited[0]}")
        return {
            "count": done,
            "errors": len(errors),
            "waited_again": len(waited),
            "seconds": round(elapsed, 1),
            "cases_per_s": rate(done, elapsed),
            "latency_ms": latency_summary(latencies),
        }


async def registered_after(operation) -> bool:
    """After a failed update-with-start: True once the case, if its workflow did start, is registered (the
    update's wait can time out under load while the start went through). Also collects the operation's
    handle, so that no exception of it is left unretrieved."""
    try:
        handle = await asyncio.wait_for(operation.workflow_handle(), 5)
        await handle.execute_update(CaseWorkflow.registered)
        return True
    except Exception:
        return False


def levels(scale: list[int], open_cases: int) -> list[int]:
    """The levels to fill up to: those asked for, or with one level the checkpoints below it as well."""
    asked = sorted(set(scale))
    if len(asked) == 1:
        asked = sorted({c for c in CHECKPOINTS if c < asked[0]} | set(asked))
    return [level for level in asked if level > open_cases] or asked[-1:]


async def scale_phase(
    service: Service,
    client: Client,
    project_ids: list[int],
    open_cases: int,
    scale: list[int],
    first: int,
    in_flight: int = IN_FLIGHT,
    settle: float = 5.0,
) -> dict:
    """Fill up to each level; at each, the fill rate and the resident memory of the worker and the dev server."""
    filler = Filler(client, service.service_db, service.jurisdiction, project_ids, first)
    out: dict = {"checkpoints": [], "queries": {}, "in_flight": in_flight}
    temporal_before, service_before = sqlite_bytes(service.temporal_db), sqlite_bytes(service.service_db)
    filled, fill_seconds = 0, 0.0
    for level in levels(scale, open_cases):
        count = max(level - open_cases, 0)
        t0, cpu = time.perf_counter(), service.cpu()

        def report(done: int, base=open_cases, t0=t0) -> None:
            if done % 1000 == 0:
                progress(f"   {base + done:,} open cases ({done / (time.perf_counter() - t0):.1f} cases/s)")

        run = await filler.fill(count, in_flight, on_done=report)
        filled += run["count"]
        fill_seconds += run["seconds"]
        cpu_ms = cpu_per_item(cpu, service.cpu(), run["count"])
        open_cases += run["count"]
        service.check_alive()
        await asyncio.sleep(settle)  # let the last workflow tasks and checkpoints settle
        rss = service.rss()
        out["checkpoints"].append(
            {
                "open_cases": open_cases,
                "worker_rss_mb": rss["worker_rss_mb"],
                "server_rss_mb": rss["temporal_rss_mb"],
                "fill_cases_per_s": run["cases_per_s"],
                "fill_seconds": run["seconds"],
                "fill_errors": run["errors"],
                "fill_waited_again": run["waited_again"],
                "start_latency_ms": run["latency_ms"],
                "cpu_ms": cpu_ms,
            }
        )
        progress(
            f"   {open_cases:,} open: filled at {run['cases_per_s']} cases/s; RSS worker {rss['worker_rss_mb']} MB, "
            f"dev server {rss['temporal_rss_mb']} MB"
        )
    rss = service.rss()
    out.update(
        open_cases=open_cases,
        filled=filled,
        fill_cases_per_s=rate(filled, fill_seconds),
        worker_rss_mb=rss["worker_rss_mb"],
        server_rss_mb=rss["temporal_rss_mb"],
        api_rss_mb=rss.get("api_rss_mb"),
        noop_worker_rss_mb=rss.get("noop_worker_rss_mb"),
        temporal_bytes_per_case=(sqlite_bytes(service.temporal_db) - temporal_before) / max(filled, 1),
        service_bytes_per_case=(sqlite_bytes(service.service_db) - service_before) / max(filled, 1),
    )
    return out
