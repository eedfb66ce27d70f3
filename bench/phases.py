"""The measurements of `make bench` (phases a-f), each driving the running service through its public API.

Every phase returns a dict for bench/results/latest.json; bench.report turns them into the table.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import httpx
from temporalio.client import Client

from bench.noop import NoopWorkflow
from bench.report import cpu_per_item, latency_summary, rate

PROJECT_TYPES = [
    "housing_municipal",
    "transport",
    "water",
    "education",
    "health",
    "agriculture",
    "tourism",
    "rural_housing",
    "other",
]
TOWNSHIPS = [
    "shangguan",
    "ekou",
    "yangmingbao",
    "zaolin",
    "nieying",
    "tanshang",
    "yanmenguan",
    "shangmofang",
    "xingao",
    "yukou",
    "huyu",
]
CHANNELS = ["hotline", "online", "walk_in", "petition", "union", "township_warning"]
# Trade names of the (made-up) labour subcontractors; the search phase looks for them.
TRADE_NAMES = ["恒泰", "鑫源", "晋北", "雁门", "滹沱", "宏达", "诚信", "天成", "丰泽", "永安", "金石", "华瑞"]
ACTIONS = ("accept", "findings", "order_payment", "record_payment")


def progress(message: str) -> None:
    """One line of progress on stdout."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---- set-up over the API -----------------------------------------------------------------------------


def login(http: httpx.Client, username: str, password: str) -> dict[str, str]:
    """Authorization header of a user."""
    r = http.post("/api/auth/token", data={"username": username, "password": password})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def create_user(http: httpx.Client, admin: dict, username: str, role: str, unit: str) -> None:
    """Create a user (admin only); an existing one is fine."""
    r = http.post(
        "/api/users",
        headers=admin,
        json={"username": username, "password": "bench-password-1", "role": role, "unit": unit},
    )
    if r.status_code not in (201, 409):
        raise RuntimeError(f"could not create user {username}: {r.status_code} {r.text}")


def project_body(n: int, tag: str = "") -> dict:
    """The n-th of the bench's construction projects, across the townships and project types."""
    ptype, township = PROJECT_TYPES[n % len(PROJECT_TYPES)], TOWNSHIPS[n % len(TOWNSHIPS)]
    return {
        "name": f"代县{township}第{n + 1}标段工程{tag}",
        "type": ptype,
        "township": township,
        "has_permit": n % 7 != 0,
        "land": "collective" if n % 11 == 0 else "state",
        "government_invested": n % 2 == 0,
        "construction_unit": {"name": f"代县第{n + 1}建设单位"},
        "general_contractor": {"name": f"山西{TRADE_NAMES[n % len(TRADE_NAMES)]}建设集团有限公司"},
    }


def create_projects(http: httpx.Client, admin: dict, count: int) -> list[int]:
    """`count` construction projects across the townships and project types; returns their ids."""
    ids = []
    for n in range(count):
        r = http.post("/api/projects", headers=admin, json=project_body(n))
        r.raise_for_status()
        ids.append(r.json()["id"])
    return ids


def complaint(n: int, project_ids: list[int], received_at: datetime | None = None) -> dict:
    """A complaint body for POST /api/cases; varied but reproducible from n. Never a major case.

    Each complaint names a project of its own, like the n-th of `project_ids` (same type, township and
    parties): complaints about one project are one matter (有案必接, domain/joining.py) and would all be
    joined to the first, where the bench needs as many open cases as it registers."""
    rng = random.Random(n)
    workers = [
        {"name": f"工人{n}-{k}", "amount_owed": str(rng.randrange(3000, 20000))} for k in range(rng.randint(1, 3))
    ]
    trade = TRADE_NAMES[n % len(TRADE_NAMES)]
    body = {
        "channel": rng.choice(CHANNELS),
        "complainant": {"name": f"投诉人{n}", "phone": f"139{n:08d}"[-11:]},
        "workers": workers,
        "employer": {"name": f"代县{trade}劳务有限公司第{n % 97}分公司"},
        "project": project_body(n % len(project_ids), f"（{n}号投诉）"),
        "description": "拖欠工资三个月，多次讨要未果",
    }
    if received_at is not None:
        body["received_at"] = received_at.isoformat()
    return body


# ---- a. ceiling ---------------------------------------------------------------------------------------


async def ceiling(client: Client, task_queue: str, count: int, in_flight: int = 200) -> dict:
    """No-op workflows started and completed per second, `in_flight` at a time."""
    latencies: list[float] = []
    remaining = iter(range(count))

    async def runner() -> None:
        for _ in remaining:
            t0 = time.perf_counter()
            await client.execute_workflow(NoopWorkflow.run, id=f"noop-{uuid.uuid4().hex}", task_queue=task_queue)
            latencies.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    await asyncio.gather(*(runner() for _ in range(in_flight)))
    elapsed = time.perf_counter() - t0
    return {
        "workflows_per_s": rate(count, elapsed),
        "count": count,
        "in_flight": in_flight,
        "seconds": round(elapsed, 2),
        "latency_ms": latency_summary(latencies),
    }


# ---- b. intake ------------------------------------------------------------------------------------------


async def post_cases(
    base_url: str, headers: dict, bodies, concurrency: int, on_done=None, max_errors: int | None = None
) -> tuple[list[str], list[float], float, list[str]]:
    """POST every body to /api/cases, `concurrency` at a time; (case numbers, latencies, seconds, errors).

    Stops early once more than `max_errors` requests have failed."""
    bodies = iter(bodies)
    case_nos: list[str] = []
    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60, limits=limits) as http:

        async def runner() -> None:
            for body in bodies:
                if max_errors is not None and len(errors) > max_errors:
                    return
                t0 = time.perf_counter()
                try:
                    r = await http.post("/api/cases", json=body)
                except httpx.HTTPError as err:
                    errors.append(repr(err))
                    continue
                if r.status_code != 201:
                    errors.append(f"{r.status_code} {r.text[:200]}")
                    continue
                latencies.append(time.perf_counter() - t0)
                case_nos.append(r.json()["case_no"])
                if on_done is not None:
                    on_done(len(case_nos))

        t0 = time.perf_counter()
        await asyncio.gather(*(runner() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    if errors:
        progress(f"{len(errors)} failed requests, e.g. {errors[0]}")
    return case_nos, latencies, elapsed, errors


async def intake(
    base_url: str, headers: dict, project_ids: list[int], count: int, concurrency: int, first: int
) -> tuple[dict, list[str]]:
    """Complaints per second through POST /api/cases (which returns once the case is routed and projected)."""
    bodies = (complaint(first + n, project_ids) for n in range(count))
    case_nos, latencies, elapsed, errors = await post_cases(
        base_url, headers, bodies, concurrency, max_errors=count // 10
    )
    return (
        {
            "cases_per_s": rate(len(case_nos), elapsed),
            "count": len(case_nos),
            "errors": len(errors),
            "error_sample": errors[0] if errors else None,
            "concurrency": concurrency,
            "seconds": round(elapsed, 2),
            "latency_ms": latency_summary(latencies),
        },
        case_nos,
    )


async def wait_until_intake_works(
    base_url: str, headers: dict, project_ids: list[int], number: int, timeout: float = 300
) -> float:
    """After an overload: wait until one complaint is registered again; returns the seconds waited."""
    t0 = time.perf_counter()
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as http:
        while time.perf_counter() - t0 < timeout:
            try:
                if (await http.post("/api/cases", json=complaint(number, project_ids))).status_code == 201:
                    return round(time.perf_counter() - t0, 1)
            except httpx.HTTPError:
                pass
            await asyncio.sleep(2)
    raise RuntimeError(f"the API did not register a complaint within {timeout:.0f} s after the overload")


# ---- c. lifecycle ---------------------------------------------------------------------------------------


async def lifecycle(
    base_url: str, headers: dict, project_ids: list[int], count: int, concurrency: int, first: int
) -> tuple[dict, list[str]]:
    """Cases per second carried from intake to closure through the API (4 actions after intake)."""
    steps: dict[str, list[float]] = {"intake": [], **{a: [] for a in ACTIONS}}
    closed: list[str] = []
    errors: list[str] = []
    numbers = iter(range(count))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=120, limits=limits) as http:

        async def timed(step: str, path: str, body: dict) -> dict | None:
            t0 = time.perf_counter()
            try:
                key = {"Idempotency-Key": f"pay-{path}"} if step == "record_payment" else None
                r = await http.post(path, json=body, headers=key)
            except httpx.HTTPError as err:
                errors.append(f"{step}: {err!r}")
                return None
            if r.status_code not in (200, 201):
                errors.append(f"{step}: {r.status_code} {r.text[:200]}")
                return None
            steps[step].append(time.perf_counter() - t0)
            return r.json()

        async def one_case(n: int) -> None:
            case = await timed("intake", "/api/cases", complaint(first + n, project_ids))
            if case is None:
                return
            no = case["case_no"]
            owed = str(sum(Decimal(w["amount_owed"]) for w in complaint(first + n, project_ids)["workers"]))
            bodies = {
                "accept": {},
                "findings": {"substantiated": True, "liable_party": "general_contractor", "amount_owed": owed},
                "order_payment": {},
                "record_payment": {"amount": owed, "payer": "general_contractor"},
            }
            for action in ACTIONS:
                case = await timed(action, f"/api/cases/{no}/actions/{action}", bodies[action])
                if case is None:
                    return
            if case["stage"] == "closed":
                closed.append(no)
            else:
                errors.append(f"{no} ended in stage {case['stage']}")

        async def runner() -> None:
            for n in numbers:
                await one_case(n)

        t0 = time.perf_counter()
        await asyncio.gather(*(runner() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    if errors:
        progress(f"lifecycle: {len(errors)} errors, e.g. {errors[0]}")
    return (
        {
            "cases_per_s": rate(len(closed), elapsed),
            "count": len(closed),
            "errors": len(errors),
            "concurrency": concurrency,
            "seconds": round(elapsed, 2),
            "step_latency_ms": {step: latency_summary(values) for step, values in steps.items()},
        },
        closed,
    )


async def run_histories(client: Client, workflow_id: str) -> list:
    """The history of each run under one workflow id (a long case continues as new into several)."""
    runs = [e.run_id async for e in client.list_workflows(f"WorkflowId = '{workflow_id}'")]
    return [await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history() for run_id in runs]


async def long_case(
    base_url: str, headers: dict, client: Client, project_ids: list[int], notes: int, number: int
) -> dict:
    """One case carried to closure with `notes` notes on the way: its history events per run and its runs."""
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=120) as http:
        body = complaint(number, project_ids)
        r = await http.post("/api/cases", json=body)
        r.raise_for_status()
        no = r.json()["case_no"]
        owed = str(sum(Decimal(w["amount_owed"]) for w in body["workers"]))
        steps = (
            [("accept", {})]
            + [("note", {"text": f"第{k + 1}次电话催告用人单位"}) for k in range(notes)]
            + [
                ("findings", {"substantiated": True, "liable_party": "general_contractor", "amount_owed": owed}),
                ("order_payment", {}),
                ("record_payment", {"amount": owed, "payer": "general_contractor"}),
            ]
        )
        for action, params in steps:
            key = {"Idempotency-Key": f"pay-{no}"} if action == "record_payment" else None
            r = await http.post(f"/api/cases/{no}/actions/{action}", json=params, headers=key)
            if r.status_code != 200:
                raise RuntimeError(f"long case {no}: {action} answered {r.status_code} {r.text[:200]}")
    per_run = [len(history.events) for history in await run_histories(client, no)]
    return {
        "case_no": no,
        "notes": notes,
        "runs": len(per_run),
        "events_per_run": sorted(per_run),
        "events_total": sum(per_run),
        "stage": r.json()["stage"],
    }


async def history_figures(client: Client, case_nos: list[str]) -> dict:
    """History events and state transitions per case (min / mean / max) and the longest history."""
    events, transitions, longest = [], [], (0, "")
    for no in case_nos:
        handle = client.get_workflow_handle(no)
        history = await handle.fetch_history()
        events.append(len(history.events))
        longest = max(longest, (len(history.events), no))
        desc = await handle.describe()
        transitions.append(desc.raw_description.workflow_execution_info.state_transition_count)

    def spread(values):
        return {"min": min(values), "mean": round(sum(values) / len(values), 1), "max": max(values)} if values else {}

    return {"history_events": spread(events), "state_transitions": spread(transitions), "longest": longest}


# ---- d. deadline storm ------------------------------------------------------------------------------------


async def overdue_total(http: httpx.AsyncClient) -> int:
    """How many cases the API lists as overdue."""
    r = await http.get("/api/cases", params={"overdue": "true", "limit": 1})
    r.raise_for_status()
    return r.json()["total"]


async def storm(
    base_url: str,
    headers: dict,
    project_ids: list[int],
    cases: int,
    concurrency: int,
    intake_rate: float,
    acknowledge: timedelta,
    first: int,
    timeout: float,
    cpu=None,
) -> tuple[dict, list[str]]:
    """N cases whose acknowledge clocks fall due at one instant; seconds from it until all are escalated.

    Every complaint is backdated (received_at) so that received_at + the drill's acknowledge period is
    the same instant, chosen far enough ahead for all N to be registered before it.
    """
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as http:
        before = await overdue_total(http)
    creation = cases / max(intake_rate, 1.0)
    due = datetime.now(timezone.utc) + timedelta(seconds=creation * 1.5 + 10)
    received = due - acknowledge
    progress(
        f"storm: registering {cases} cases due at {due:%H:%M:%S} (in {(due - datetime.now(timezone.utc)).total_seconds():.0f} s)"
    )
    bodies = (complaint(first + n, project_ids, received_at=received) for n in range(cases))
    case_nos, _, _, errors = await post_cases(base_url, headers, bodies, concurrency)
    created_by = datetime.now(timezone.utc)
    target = before + len(case_nos)
    first_seen = None
    await asyncio.sleep(max((due - created_by).total_seconds(), 0))  # nothing can escalate before then
    cpu_before = cpu() if cpu else None
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as http:
        while True:
            now = datetime.now(timezone.utc)
            seen = await overdue_total(http)
            if seen > before and first_seen is None:
                first_seen = now
            if seen >= target:
                break
            if (now - due).total_seconds() > timeout:
                progress(f"storm: gave up after {timeout:.0f} s with {seen - before} of {len(case_nos)} escalated")
                return (
                    {
                        "cases": len(case_nos),
                        "escalated": seen - before,
                        "seconds_to_all_escalated": None,
                        "timeout_s": timeout,
                    },
                    case_nos,
                )
            await asyncio.sleep(0.25)
    figures = {"cpu_ms": cpu_per_item(cpu_before, cpu(), len(case_nos))} if cpu else {}
    return (
        {
            **figures,
            "cases": len(case_nos),
            "errors": len(errors),
            "due_at": due.isoformat(),
            "registered_before_due": created_by <= due,
            "registration_margin_s": round((due - created_by).total_seconds(), 1),
            "seconds_to_first": round(max((first_seen - due).total_seconds(), 0.0), 2),
            "seconds_to_all_escalated": round(max((now - due).total_seconds(), 0.0), 2),
        },
        case_nos,
    )


# ---- e. queries -------------------------------------------------------------------------------------------


def case_total(base_url: str, headers: dict) -> int:
    """How many cases there are (GET /api/stats: the case list's total stops at the count cap)."""
    with httpx.Client(base_url=base_url, timeout=60) as http:
        r = http.get("/api/stats", headers=headers)
        r.raise_for_status()
        return r.json()["total"]


def query_latencies(base_url: str, admin: dict, caseworker: dict, rounds: int) -> tuple[dict, dict]:
    """p50/p99 of list, filter, search and stats, one request at a time; (latencies, what each asks)."""
    how = {
        "list": "admin: GET /api/cases?limit=50&offset=0..200",
        "filter": "alternately housing caseworker ?stage=referred&overdue=false (unit-scoped) and "
        "admin ?township=…&stage=referred",
        "search": "admin: ?q=<employer trade name> (substring)",
        "stats": "admin: GET /api/stats",
    }
    requests = {
        "list": lambda n: ("/api/cases", admin, {"limit": 50, "offset": 50 * (n % 5)}),
        "filter": lambda n: (
            ("/api/cases", caseworker, {"stage": "referred", "overdue": "false", "limit": 50})
            if n % 2 == 0
            else (
                "/api/cases",
                admin,
                {"township": TOWNSHIPS[n // 2 % len(TOWNSHIPS)], "stage": "referred", "limit": 50},
            )
        ),
        "search": lambda n: ("/api/cases", admin, {"q": TRADE_NAMES[n % len(TRADE_NAMES)], "limit": 50}),
        "stats": lambda n: ("/api/stats", admin, {}),
    }
    out = {}
    with httpx.Client(base_url=base_url, timeout=60) as http:
        for name, make in requests.items():
            for n in range(3):  # warm the connection and the database's caches
                path, headers, params = make(n)
                http.get(path, headers=headers, params=params).raise_for_status()
            seconds = []
            for n in range(rounds):
                path, headers, params = make(n)
                t0 = time.perf_counter()
                r = http.get(path, headers=headers, params=params)
                seconds.append(time.perf_counter() - t0)
                r.raise_for_status()
            out[name] = latency_summary(seconds)
    return out, how


# ---- f. replay -----------------------------------------------------------------------------------------------


async def replay(client: Client, case_no: str) -> dict:
    """Time to replay one case's longest run with the worker's runner and the pydantic data converter."""
    from temporalio.worker import Replayer

    from bench.service import service_data_converter
    from core.config import Settings
    from worker import workflow_runner
    from workflows.case import CaseWorkflow

    history = max(await run_histories(client, case_no), key=lambda h: len(h.events))
    replayer = Replayer(
        workflows=[CaseWorkflow], data_converter=service_data_converter(), workflow_runner=workflow_runner(Settings())
    )  # the worker's default runner
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        await replayer.replay_workflow(history)
        times.append(time.perf_counter() - t0)
    return {
        "case_no": case_no,
        "events": len(history.events),
        "first_seconds": round(times[0], 4),
        "seconds": round(sorted(times[1:])[len(times[1:]) // 2], 4),
    }
