"""Worker memory with many projects under payroll monitoring (docs/monitoring.md, "Cost").

    python -m bench.monitors                     # 1,000 projects on Dai County's rules (monthly periods)
    python -m bench.monitors --projects 2000 --cycle PT60S   # drill periods: every monitor wakes each minute

Starts its own dev server, worker and API (bench/service.py), registers the projects through
POST /api/projects, waits until every monitor has planned its first period, and records the resident
memory of the worker and the dev server before and after. Writes bench/results/monitors.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx

from bench.noop import NOOP_TASK_QUEUE
from bench.phases import PROJECT_TYPES, TOWNSHIPS, login, progress
from bench.service import ADMIN_PASSWORD, ROOT, Service, stop_on_signals

RESULTS = ROOT / "bench" / "results"


def jurisdiction_file(workdir: Path, cycle: str | None) -> Path:
    path = workdir / "monitors.yaml"
    text = f"extends: {ROOT / 'jurisdictions' / 'daixian.yaml'}\n"
    if cycle:
        text += f"deadlines:\n  payroll_cycle: {{duration: {cycle}}}\n  payroll_grace: {{duration: PT5S}}\n"
    path.write_text(text, encoding="utf-8")
    return path


async def register(base_url: str, headers: dict, count: int, concurrency: int) -> float:
    """Register `count` projects, `concurrency` at a time; returns the seconds it took."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)
    started = time.monotonic()

    async def one(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            r = await http.post(
                "/api/projects",
                headers=headers,
                json={
                    "name": f"监控项目{n + 1}",
                    "type": PROJECT_TYPES[n % len(PROJECT_TYPES)],
                    "township": TOWNSHIPS[n % len(TOWNSHIPS)],
                    "has_permit": True,
                    "land": "state",
                    "government_invested": n % 2 == 0,
                    "payday": 15,
                    "construction_unit": {"name": f"代县第{n + 1}建设单位"},
                    "general_contractor": {"name": "山西某建筑工程有限公司"},
                    "special_account_no": f"62284800{n:011d}",
                },
            )
            r.raise_for_status()

    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        await asyncio.gather(*(one(http) for _ in range(concurrency)))
    return time.monotonic() - started


def planned(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM project_monitors WHERE next_check_at IS NOT NULL").fetchone()[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.monitors", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--cycle", help="a drill payroll_cycle, e.g. PT60S (default: the county's monthly cycle)")
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="wagecase-monitors-") as scratch:
        workdir = Path(scratch)
        service = Service(workdir, jurisdiction_file(workdir, args.cycle), NOOP_TASK_QUEUE)
        stop_on_signals(service)
        try:
            service.start_temporal()
            service.start_service()
            with httpx.Client(base_url=service.base_url, timeout=60) as http:
                admin = login(http, "admin", ADMIN_PASSWORD)
            time.sleep(3)
            before = service.rss()
            progress(f"registering {args.projects} monitored projects, {args.concurrency} at a time")
            seconds = asyncio.run(register(service.base_url, admin, args.projects, args.concurrency))
            deadline = time.monotonic() + 300
            while planned(service.service_db) < args.projects and time.monotonic() < deadline:
                service.check_alive()
                time.sleep(1)
            ready = planned(service.service_db)
            time.sleep(10)  # parked: no task left in flight
            after = service.rss()
            if args.cycle:
                time.sleep(65)  # a minute of drill periods falling due for every monitor
                after_cycle = service.rss()
            else:
                after_cycle = None
        finally:
            service.stop()
    worker = after["worker_rss_mb"] - before["worker_rss_mb"]
    result = {
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "projects": args.projects,
        "cycle": args.cycle or "months: 1",
        "monitors_planned": ready,
        "register_s": round(seconds, 1),
        "projects_per_s": round(args.projects / seconds, 1),
        "rss_before_mb": before,
        "rss_after_mb": after,
        "rss_after_a_drill_minute_mb": after_cycle,
        "worker_mb_per_1000_monitors": round(worker / args.projects * 1000, 1),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "monitors-drill.json" if args.cycle else "monitors.json"
    (RESULTS / name).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
