"""Schemathesis over /openapi.json: generated valid and invalid requests to every operation, no 5xx.

The app (with a real worker and dev server) is served over HTTP in this process; the schemathesis CLI runs
as a child process against it, logged in as admin, who may call every route. Two passes:

1. every operation on its own (examples, coverage and fuzzing phases);
2. the stateful phase: chains of calls along the links schemathesis infers between operations (a created
   project's id into GET /api/projects/{project_id}, a registered case's number into its actions …).

Bounded: a few examples per operation, a few steps per chain and a fixed seed (WAGECASE_FUZZ_SEED,
WAGECASE_FUZZ_EXAMPLES, WAGECASE_FUZZ_STATEFUL_EXAMPLES change them), so each pass stays around a minute
and a failure can be replayed. Log-out is left out: it would end the admin's token for the rest of the run.
"""

import asyncio
import json
import os
import socket
import sys
from pathlib import Path

import pytest
import uvicorn

from tests.api.util import PROJECT, complaint

ST = Path(sys.executable).parent / "st"
SEED = int(os.environ.get("WAGECASE_FUZZ_SEED", "20261128"))
# 62 operations since each action has its own route: 12 generated bodies each keeps this pass near a minute
EXAMPLES = int(os.environ.get("WAGECASE_FUZZ_EXAMPLES", "12"))
PHASES = os.environ.get("WAGECASE_FUZZ_PHASES", "examples,coverage,fuzzing")
STATEFUL_EXAMPLES = int(os.environ.get("WAGECASE_FUZZ_STATEFUL_EXAMPLES", "100"))
STATEFUL_STEPS = 6
EXCLUDED = [
    "/healthz",  # takes no input; its 503 means "Temporal is slow to answer", by design
    "/api/auth/logout",
]  # ends the token the run uses


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def schemathesis(api, tmp_path: Path, *args: str, config: str = "") -> str:
    """Serve the app over HTTP, seed a project and a case, run the schemathesis CLI with `args` against it;
    assert no server error; return its output."""
    if not ST.exists():
        pytest.skip("schemathesis is not installed (pip install -e '.[test]')")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(api.app, host="127.0.0.1", port=port, lifespan="off", log_level="critical"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    try:
        admin = await api.as_admin()
        clerk = await api.user("clerk1", "clerk", "petition")
        r = await api.http.post("/api/projects", headers=clerk, json=PROJECT)
        project_id = r.json()["id"]
        r = await api.http.post("/api/cases", headers=clerk, json=complaint(project_id=project_id))
        case_no = r.json()["case_no"]
        # half the requests name the real case and project, so they get past the 404 and into the rules
        settings = tmp_path / "schemathesis.toml"
        settings.write_text(f'[parameters]\n"path.case_no" = "{case_no}"\n"path.project_id" = {project_id}\n' + config)
        report = tmp_path / "report.json"
        excluded = [arg for path in EXCLUDED for arg in ("--exclude-path", path)]
        proc = await asyncio.create_subprocess_exec(
            str(ST),
            "--config-file",
            str(settings),
            "run",
            f"http://127.0.0.1:{port}/openapi.json",
            "--checks",
            "not_a_server_error",
            *args,
            *excluded,
            "--seed",
            str(SEED),
            "--workers",
            "1",
            "--no-shrink",
            "--request-timeout",
            "30",
            "--header",
            f"Authorization: {admin['Authorization']}",
            "--report",
            "json",
            "--report-json-path",
            str(report),
            "--generation-database",
            "none",
            cwd=tmp_path,  # schemathesis keeps caches in its working directory: not in the repository
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"},
        )
        output, _ = await asyncio.wait_for(proc.communicate(), timeout=240)
    finally:
        server.should_exit = True
        await serving
    text = output.decode(errors="replace")
    assert proc.returncode == 0, f"schemathesis found server errors (seed {SEED}):\n{text[-6000:]}"
    summary = json.loads(report.read_text()) if report.exists() else {}
    print(f"schemathesis seed {SEED}:\n{text[-1500:]}\n{str(summary)[:500]}")
    return text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the database-specific cases are elsewhere
async def test_no_generated_request_gets_a_server_error(api, tmp_path):
    await schemathesis(api, tmp_path, "--phases", PHASES, "--mode", "all", "--max-examples", str(EXAMPLES))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_no_chain_of_calls_along_the_links_gets_a_server_error(api, tmp_path):
    text = await schemathesis(
        api,
        tmp_path,
        "--phases",
        "stateful",
        "--mode",
        "all",
        "--max-examples",
        str(STATEFUL_EXAMPLES),
        config=f"\n[phases.stateful]\nmax-steps = {STATEFUL_STEPS}\n",
    )
    assert "Stateful" in text and "links" in text.lower(), text[-3000:]  # the phase ran, over inferred links
