"""Processes for fault tests: the dev server, worker and API started one by one so each can be killed."""

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("run_script", ROOT / "scripts" / "run.py")
run_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_script)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(fn, timeout: float = 30, what: str = "condition"):
    """Poll fn until it returns something truthy; fail after timeout seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            value = fn()
        except (httpx.HTTPError, OSError):
            value = None
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"{what} not reached within {timeout} s")


def drill_jurisdiction(tmp: Path, **deadlines: str) -> Path:
    """A jurisdiction file extending Dai County's with short ISO 8601 durations for some clocks."""
    path = tmp / "drill.yaml"
    lines = [f"extends: {ROOT / 'jurisdictions' / 'daixian.yaml'}", "deadlines:"]
    lines += [f"  {name}: {{duration: {value}}}" for name, value in deadlines.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Service:
    """The dev server, a worker and the API as separate processes sharing one environment."""

    def __init__(self, tmp: Path, env: dict[str, str]):
        self.tmp = tmp
        self.temporal_port, self.ui_port, self.api_port = free_port(), free_port(), free_port()
        self.env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "WAGECASE_TEMPORAL_ADDRESS": f"127.0.0.1:{self.temporal_port}",
            "WAGECASE_API_PORT": str(self.api_port),
            "WAGECASE_ADMIN_PASSWORD": "fault-admin-pass",
            "WAGECASE_TASK_QUEUE": "faults",
            **env,
        }
        self.procs: dict[str, subprocess.Popen] = {}
        self.base = f"http://127.0.0.1:{self.api_port}"

    def _start(self, name: str, argv: list[str], env: dict | None = None) -> None:
        log = open(self.tmp / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen(
            argv, cwd=ROOT, env=env or self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start_temporal(self) -> None:
        argv = run_script.dev_server_argv(self.temporal_port, self.ui_port, "default", self.tmp / "temporal.db")
        self._start("temporal", argv)
        wait_for(lambda: run_script.port_open("127.0.0.1", self.temporal_port), 30, "Temporal")
        address = f"127.0.0.1:{self.temporal_port}"
        # a new database file: the dev server registers the contract's attributes from its flags
        wait_for(
            lambda: (
                not run_script.missing_search_attributes(
                    run_script.registered_search_attributes(address, "default") or {}
                )
            ),
            30,
            "search attributes",
        )

    def migrate(self) -> None:
        """What make run does before starting the worker and the API."""
        subprocess.run(
            [sys.executable, "-m", "db", "upgrade"], cwd=ROOT, env=self.env, check=True, capture_output=True, timeout=60
        )

    def start_worker(self, env: dict | None = None) -> None:
        self._start("worker", [sys.executable, "worker.py"], {**self.env, **(env or {})})

    def start_api(self) -> None:
        self._start("api", [sys.executable, "-m", "api"])
        wait_for(lambda: httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200, 60, "API health")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs.pop(name)
        os.killpg(proc.pid, sig)
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for name in list(self.procs):
            try:
                self.kill(name, signal.SIGTERM)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                self.kill(name)

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")[-3000:]


def admin_headers(http: httpx.Client) -> dict:
    r = http.post("/api/auth/token", data={"username": "admin", "password": "fault-admin-pass"})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def complaint(n: int) -> dict:
    return {
        "channel": "hotline",
        "complainant": {"name": f"投诉人{n}"},
        "workers": [{"name": f"工人{n}", "amount_owed": "5000"}],
        "employer": {"name": f"某公司{n % 7}"},
        "description": "欠薪",
    }


@contextmanager
def run_supervised(tmp: Path, jurisdiction: Path, *, task_queue: str, startup_timeout: float = 90) -> Iterator[dict]:
    """Everything as `make run` starts it (scripts/run.py: dev server, worker, API) with a drill jurisdiction;
    yields where it listens. Stopped with Ctrl-C's signal at the end (if a test has not stopped it)."""
    api_port, temporal_port, ui_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "WAGECASE_DATABASE_URL": f"sqlite:///{tmp / 'wagecase.db'}",
        "WAGECASE_JURISDICTION": str(jurisdiction),
        "WAGECASE_ADMIN_PASSWORD": "e2e-admin-password",
        "WAGECASE_API_PORT": str(api_port),
        "WAGECASE_TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "WAGECASE_TASK_QUEUE": task_queue,
    }
    argv = [
        sys.executable,
        "scripts/run.py",
        "--temporal-port",
        str(temporal_port),
        "--ui-port",
        str(ui_port),
        "--temporal-db",
        str(tmp / "temporal.db"),
    ]
    with open(tmp / "run.log", "wb") as log:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        base = f"http://127.0.0.1:{api_port}"
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("the service did not come up:\n" + (tmp / "run.log").read_text(errors="replace")[-4000:])
            time.sleep(0.5)
        try:
            yield {
                "base": base,
                "proc": proc,
                "ports": (api_port, temporal_port, ui_port),
                "log": tmp / "run.log",
                "ui": f"http://127.0.0.1:{ui_port}",
                "address": f"127.0.0.1:{temporal_port}",
            }
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
