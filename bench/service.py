"""Bring the whole service up for a benchmark, as `make run` does, on free ports in a temporary directory.

The dev server (same WAL pragmas and search attributes as `make run`), `python worker.py`, one
`python -m api` process, and the no-op worker of the ceiling measurement; each child's output goes to a
log file. Process handling and the dev-server command line come from scripts/run.py.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
ADMIN_PASSWORD = "bench-admin-password"
TASK_QUEUE = "bench"

_spec = importlib.util.spec_from_file_location("wagecase_run_script", ROOT / "scripts" / "run.py")
run_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_script)


def service_data_converter():
    """The data converter the worker and API use (with the payload codec when the project has one)."""
    try:
        from core.codec import data_converter
    except ModuleNotFoundError:
        from temporalio.contrib.pydantic import pydantic_data_converter

        return pydantic_data_converter
    from core.config import Settings

    return data_converter(Settings())


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoggedChild:
    """A child process writing to a log file; it has what scripts/run.py's Supervisor needs of a child."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: Path, stop_last: bool = False):
        self.name = name
        self.stop_last = stop_last
        self.quiet = False
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def exit_code(self) -> int | None:
        """The exit code, or None while the process runs."""
        return self.process.poll()

    def signal(self, signum: int) -> None:
        """Send a signal to the child and everything it started."""
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass

    def finish_output(self) -> None:
        """Close the log file."""
        self._log.close()

    def tail(self, chars: int = 3000) -> str:
        """The end of the child's log."""
        return self.log_path.read_text(errors="replace")[-chars:]


def _children_of(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name may contain spaces: the fields after the closing parenthesis are fixed
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            kids.append(int(entry.name))
    return kids


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB (from /proc)."""
    total_kb = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
        pending += _children_of(current)
    return round(total_kb / 1024, 1)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and all its live descendants, in seconds (from /proc)."""
    ticks = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
        pending += _children_of(current)
    return ticks / os.sysconf("SC_CLK_TCK")


def sqlite_bytes(path: Path) -> int:
    """Size of a SQLite database with its WAL and shared-memory files."""
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists())


class Service:
    """The dev server, worker, API and no-op worker of one benchmark run."""

    def __init__(self, workdir: Path, jurisdiction: Path, noop_task_queue: str):
        self.workdir = workdir
        self.jurisdiction = jurisdiction
        self.noop_task_queue = noop_task_queue
        self.temporal_port, self.ui_port, self.api_port = free_port(), free_port(), free_port()
        self.address = f"127.0.0.1:{self.temporal_port}"
        self.temporal_db = workdir / "temporal.db"
        self.service_db = workdir / "wagecase.db"
        self.base_url = f"http://127.0.0.1:{self.api_port}"
        self.supervisor = run_script.Supervisor()
        self.children: dict[str, LoggedChild] = {}

    def env(self, **overrides: str) -> dict[str, str]:
        """The environment of the service's processes."""
        return {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "WAGECASE_DATABASE_URL": f"sqlite:///{self.service_db}",
            "WAGECASE_JURISDICTION": str(self.jurisdiction),
            "WAGECASE_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "WAGECASE_API_HOST": "127.0.0.1",
            "WAGECASE_API_PORT": str(self.api_port),
            "WAGECASE_TEMPORAL_ADDRESS": self.address,
            "WAGECASE_TEMPORAL_NAMESPACE": "default",
            "WAGECASE_TASK_QUEUE": TASK_QUEUE,
            **overrides,
        }

    def _start(self, name: str, argv: list[str], env: dict[str, str], stop_last: bool = False) -> LoggedChild:
        child = LoggedChild(name, argv, env, self.workdir / f"{name}.log", stop_last=stop_last)
        self.supervisor.children.append(child)
        self.children[name] = child
        return child

    def start_temporal(self, attempts: int = 3) -> None:
        """The dev server with `make run`'s settings, its search attributes registered. A port taken by
        another process between free_port() and the server's bind (a shared machine) is tried again on others."""
        for attempt in range(1, attempts + 1):
            argv = run_script.dev_server_argv(self.temporal_port, self.ui_port, "default", self.temporal_db)
            child = self._start("temporal", argv, self.env(), stop_last=True)
            try:
                self.supervisor.wait_until(
                    lambda: run_script.port_open("127.0.0.1", self.temporal_port), 60, "the dev server"
                )
                run_script.register_search_attributes(self.supervisor, self.address, "default")
                return
            except run_script.ChildDied:
                if attempt == attempts or "address already in use" not in child.tail(20_000):
                    raise
                self.children.pop("temporal")
                self.supervisor.children.remove(child)
                child.finish_output()
                for path in self.workdir.glob("temporal.db*"):
                    path.unlink()
                self.temporal_port, self.ui_port = free_port(), free_port()
                self.address = f"127.0.0.1:{self.temporal_port}"

    def start_service(self) -> None:
        """Migrations, then the worker, the no-op worker and the API; returns once /healthz answers."""
        env = self.env()
        migrate = subprocess.run(
            [sys.executable, "-m", "db", "upgrade"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        if migrate.returncode != 0:
            raise RuntimeError(f"migrations failed:\n{migrate.stdout[-2000:]}{migrate.stderr[-2000:]}")
        self._start("worker", [sys.executable, "worker.py"], env)
        self._start(
            "noop-worker",
            [sys.executable, "-m", "bench.noop", "--address", self.address, "--task-queue", self.noop_task_queue],
            env,
        )
        self._start("api", [sys.executable, "-m", "api"], env)
        self.wait_healthy(self.base_url, "api")

    def set_workers(self, count: int, timeout: float = 120) -> None:
        """Run `count` worker processes (`python worker.py`: "worker", "worker-2", ...) on the one task queue;
        returns once every new one polls."""
        names = ["worker"] + [f"worker-{n}" for n in range(2, count + 1)]
        for name in [n for n in self.children if n.startswith("worker-") and n not in names]:
            self.stop_child(name)
        started = [
            self._start(name, [sys.executable, "worker.py"], self.env()) for name in names if name not in self.children
        ]
        deadline = time.monotonic() + timeout
        for child in started:  # its monitors are ensured once it polls (worker.py)
            while "payroll monitors of" not in child.tail(20_000):
                self.check_alive()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{child.name} did not start polling in {timeout:.0f} s:\n{child.tail()}")
                time.sleep(0.3)

    def workers(self) -> list[str]:
        """The names of the running worker processes."""
        return [name for name in self.children if name == "worker" or name.startswith("worker-")]

    def start_extra_api(self, name: str, database_url: str) -> str:
        """Another API process on its own port and database (for the PostgreSQL queries); returns its URL."""
        port = free_port()
        self._start(
            name,
            [sys.executable, "-m", "api"],
            self.env(WAGECASE_DATABASE_URL=database_url, WAGECASE_API_PORT=str(port)),
        )
        url = f"http://127.0.0.1:{port}"
        self.wait_healthy(url, name)
        return url

    def restart_api(self) -> None:
        """Stop the API process and start a new one (after an overload it could not recover from)."""
        self.stop_child("api")
        self._start("api", [sys.executable, "-m", "api"], self.env())
        self.wait_healthy(self.base_url, "api")

    def stop_child(self, name: str) -> None:
        """Stop one child (SIGTERM, then SIGKILL after the supervisor's timeout)."""
        child = self.children.pop(name)
        self.supervisor.children.remove(child)
        child.signal(signal.SIGTERM)
        try:
            child.process.wait(timeout=run_script.STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.signal(signal.SIGKILL)
            child.process.wait()
        child.finish_output()

    def wait_healthy(self, url: str, name: str, timeout: float = 90) -> None:
        """Wait for GET /healthz to answer 200; fail with the child's log if it dies or time runs out."""
        deadline = time.monotonic() + timeout
        while True:
            dead = self.supervisor.dead_child()
            if dead is not None:
                raise RuntimeError(f"{dead.name} exited (code {dead.exit_code}):\n{dead.tail()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not become healthy in {timeout:.0f} s:\n{self.children[name].tail()}")
            time.sleep(0.3)

    def check_alive(self) -> None:
        """Raise if a child has died."""
        dead = self.supervisor.dead_child()
        if dead is not None:
            raise RuntimeError(f"{dead.name} exited (code {dead.exit_code}):\n{dead.tail()}")

    def rss(self) -> dict[str, float]:
        """Resident memory of the dev server, worker and API, in MB."""
        return {f"{name.replace('-', '_')}_rss_mb": rss_mb(child.process.pid) for name, child in self.children.items()}

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by each child and by this process."""
        out = {name.replace("-", "_"): cpu_seconds(child.process.pid) for name, child in self.children.items()}
        times = os.times()
        out["bench"] = times.user + times.system
        return out

    def stop(self) -> None:
        """Stop every child: the worker and API first, the dev server last."""
        self.supervisor.stop_all()
        self.children.clear()


def stop_on_signals(service: Service) -> None:
    """Turn SIGTERM and SIGHUP into KeyboardInterrupt so the service is stopped on the way out."""

    def handler(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, handler)
