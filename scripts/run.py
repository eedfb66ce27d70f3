#!/usr/bin/env python3
"""Run wagecase on one machine, in the foreground: Temporal dev server, worker and API (`make run`).

Ctrl-C stops everything. Standard library only, so it works before anything else is importable.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPORAL_CLI = ROOT / ".venv" / "bin" / "temporal"
DEV_DB_FILE = Path("var") / "temporal.db"

# The search attributes the workflows keep current for the Web UI (docs/contract.md, "Temporal").
SEARCH_ATTRIBUTES = {
    "CaseNo": "Keyword",
    "CaseStage": "Keyword",
    "LeadUnit": "Keyword",
    "Township": "Keyword",
    "AmountOwed": "Double",
    "WorkersAffected": "Int",
    "NextDeadline": "Datetime",
    "Overdue": "Bool",
    "Escalated": "Bool",
    "MajorCase": "Bool",
    # Projects under payroll monitoring (workflows/project_monitor.py); Township is shared with cases.
    "MonitorProject": "Keyword",
    "NextPayrollDue": "Datetime",
    "PeriodsMissed": "Int",
    "OpenWarnings": "Int",
}

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0

_print_lock = threading.Lock()


class StartupError(Exception):
    """Something needed for the run is missing or did not come up in time."""


def say(line: str) -> None:
    """Print one line atomically, so lines of different children never mix."""
    with _print_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def note(message: str) -> None:
    """Print a message of this script itself."""
    say(f"[run] {message}")


class Child:
    """A child process whose output is echoed line by line with a `[name]` prefix."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], stop_last: bool = False):
        self.name = name
        self.stop_last = stop_last
        self.quiet = False  # set while stopping the dev server: its shutdown warnings are noise
        # A session of its own: Ctrl-C reaches only this script, which stops the children in order.
        self.process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._echo_thread = threading.Thread(target=self._echo, name=f"echo-{name}", daemon=True)
        self._echo_thread.start()

    def _echo(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            if not self.quiet:
                say(f"[{self.name}] {raw.decode('utf-8', errors='replace').rstrip()}")

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
        """Wait briefly for the last output lines of an exited child."""
        self._echo_thread.join(timeout=2)


class StopRequested(Exception):
    """Ctrl-C or SIGTERM arrived."""


class ChildDied(Exception):
    """A child exited while it should have been running."""

    def __init__(self, child: Child):
        super().__init__(f"{child.name} exited unexpectedly (exit code {child.exit_code})")
        self.child = child


class Supervisor:
    """Starts children, notices when one dies, and stops them all in order."""

    def __init__(self, stop_timeout: float = STOP_TIMEOUT):
        self.children: list[Child] = []
        self.stop_timeout = stop_timeout
        self.stop_signal: int | None = None

    def request_stop(self, signum: int, _frame=None) -> None:
        """Signal handler: ask the main loop to stop everything."""
        self.stop_signal = signum

    def start(self, name: str, argv: list[str], env: dict[str, str], stop_last: bool = False) -> Child:
        """Start a child; `stop_last` children (the dev server) are stopped after the others."""
        child = Child(name, argv, env, stop_last=stop_last)
        self.children.append(child)
        return child

    def dead_child(self) -> Child | None:
        """The first child that has exited, if any."""
        for child in self.children:
            if child.exit_code is not None:
                return child
        return None

    def stop_all(self) -> None:
        """SIGTERM the API and worker, then the dev server; SIGKILL whatever outlives the timeout."""
        self._stop_group([c for c in self.children if not c.stop_last])
        last = [c for c in self.children if c.stop_last]
        for child in last:
            child.quiet = True
        self._stop_group(last)
        for child in self.children:
            child.finish_output()

    def _stop_group(self, group: list[Child]) -> None:
        running = [c for c in group if c.exit_code is None]
        for child in running:
            child.signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        while time.monotonic() < deadline and any(c.exit_code is None for c in running):
            time.sleep(0.1)
        for child in running:
            if child.exit_code is None:
                note(f"{child.name} did not stop within {self.stop_timeout:.0f} s: killing it")
                child.signal(signal.SIGKILL)
                child.process.wait()
        # Grandchildren (e.g. uvicorn workers) that outlived their parent go too.
        for child in running:
            child.signal(signal.SIGKILL)

    def wait_until(self, ready, timeout: float, what: str) -> None:
        """Poll `ready()` until it is true; fail if a child dies, a stop is requested or time runs out."""
        deadline = time.monotonic() + timeout
        while True:
            self.check()
            if ready():
                return
            if time.monotonic() > deadline:
                raise StartupError(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(0.25)

    def check(self) -> None:
        """Raise if a stop was requested or a child has died."""
        if self.stop_signal is not None:
            raise StopRequested()
        dead = self.dead_child()
        if dead is not None:
            raise ChildDied(dead)


def split_address(address: str) -> tuple[str, int]:
    """Split `host:port` into its parts."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise StartupError(f"WAGECASE_TEMPORAL_ADDRESS must look like host:port, not {address!r}")
    return host, int(port)


def is_local_dev_address(address: str, dev_port: int) -> bool:
    """Whether `address` is where this script runs the dev server itself."""
    host, port = split_address(address)
    return host in LOCAL_HOSTS and port == dev_port


def port_open(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def dev_server_argv(
    port: int, ui_port: int, namespace: str, db_file: Path = DEV_DB_FILE, codec_endpoint: str | None = None
) -> list[str]:
    """Command line of the Temporal dev server, keeping its data in db_file (var/temporal.db); its Web UI
    decrypts payloads through the API's codec endpoint when one is given."""
    argv = [
        str(TEMPORAL_CLI),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
        "--db-filename",
        str(db_file),
        "--sqlite-pragma",
        "journal_mode=WAL",
        "--sqlite-pragma",
        "synchronous=NORMAL",
        "--namespace",
        namespace,
        "--log-level",
        "warn",
    ]
    if codec_endpoint:
        argv += ["--ui-codec-endpoint", codec_endpoint]
    # Takes effect only when the database file is new; register_search_attributes covers the rest.
    for name, kind in SEARCH_ATTRIBUTES.items():
        argv += ["--search-attribute", f"{name}={kind}"]
    return argv


def _same_type(indexed_value_type: str, kind: str) -> bool:
    # The CLI's JSON says e.g. INDEXED_VALUE_TYPE_KEYWORD_LIST for KeywordList.
    return indexed_value_type.removeprefix("INDEXED_VALUE_TYPE_").replace("_", "").lower() == kind.lower()


def registered_search_attributes(address: str, namespace: str) -> dict[str, str] | None:
    """The namespace's custom search attributes, or None while the server cannot answer yet."""
    try:
        result = subprocess.run(
            [
                str(TEMPORAL_CLI),
                "operator",
                "search-attribute",
                "list",
                "--address",
                address,
                "--namespace",
                namespace,
                "--output",
                "json",
            ],
            capture_output=True,
            text=True,
            timeout=15,
        )
        if result.returncode != 0:
            return None
        return json.loads(result.stdout).get("customAttributes", {})
    except (subprocess.TimeoutExpired, json.JSONDecodeError):
        return None


def missing_search_attributes(registered: dict[str, str]) -> dict[str, str]:
    """The contract's attributes not registered yet; an attribute of another type is an error."""
    missing = {}
    for name, kind in SEARCH_ATTRIBUTES.items():
        if name not in registered:
            missing[name] = kind
        elif not _same_type(registered[name], kind):
            raise StartupError(
                f"search attribute {name} is registered as {registered[name]}, but wagecase needs {kind}"
            )
    return missing


def register_search_attributes(supervisor: Supervisor, address: str, namespace: str) -> None:
    """Wait until Temporal answers, then register whichever contract attributes are missing."""
    found: dict[str, dict[str, str]] = {}

    def answered() -> bool:
        registered = registered_search_attributes(address, namespace)
        if registered is not None:
            found["registered"] = registered
        return registered is not None

    supervisor.wait_until(answered, STARTUP_TIMEOUT, f"Temporal at {address} to answer for namespace {namespace}")
    missing = missing_search_attributes(found["registered"])
    if not missing:
        return
    note(f"registering search attributes: {', '.join(missing)}")
    argv = [str(TEMPORAL_CLI), "operator", "search-attribute", "create", "--address", address, "--namespace", namespace]
    for name, kind in missing.items():
        argv += ["--name", name, "--type", kind]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    still_missing = missing_search_attributes(registered_search_attributes(address, namespace) or {})
    if still_missing:
        raise StartupError(
            f"could not register search attributes {', '.join(still_missing)} at {address}: "
            f"{result.stderr.strip() or result.stdout.strip()}"
        )


def run_migrations(supervisor: Supervisor, env: dict[str, str]) -> None:
    """Bring the database schema up to date (`python -m db upgrade`), if the project has migrations."""
    if not (ROOT / "db" / "__main__.py").exists():
        note("no db/__main__.py yet: skipping database migrations")
        return
    migration = Child("db", [sys.executable, "-m", "db", "upgrade"], env)
    try:
        while migration.exit_code is None:
            supervisor.check()
            time.sleep(0.1)
    finally:
        if migration.exit_code is None:
            migration.signal(signal.SIGTERM)
            migration.process.wait()
        migration.finish_output()
    if migration.exit_code != 0:
        raise StartupError(f"database migrations failed (exit code {migration.exit_code})")


def banner(api_url: str, ui_url: str | None, temporal_address: str, password: str, generated: bool) -> str:
    """The lines shown once everything is up."""
    rule = "-" * 72
    lines = [
        rule,
        "wagecase is running  (根治拖欠农民工工资 案件管理)",
        f"  Case workers' web UI     {api_url}/",
        f"  API documentation        {api_url}/docs",
    ]
    if ui_url:
        lines.append(f"  Temporal Web UI          {ui_url}   (one workflow per case)")
        lines.append(
            "                           payloads are encrypted: to read them there, log in to the web UI"
            " above as a supervisor, then follow the README's supervisors' guide (codec server)"
        )
    else:
        lines.append(f"  Temporal                 {temporal_address}   (an existing cluster; use its Web UI)")
    if generated:
        lines.append(
            f"  Log in as: admin / {password}   (generated for this run; set WAGECASE_ADMIN_PASSWORD to choose one)"
        )
    else:
        lines.append("  Log in as: admin, with the password in WAGECASE_ADMIN_PASSWORD")
    lines += ["Press Ctrl-C to stop everything.", rule]
    return "\n".join(lines)


def preflight(start_dev_server: bool, dev_port: int, ui_port: int, api_host: str, api_port: int) -> None:
    """Fail early, with a message a newcomer can act on, when something cannot work."""
    if not TEMPORAL_CLI.exists():
        raise StartupError(f"{TEMPORAL_CLI} is missing: run `make install`")
    if not (ROOT / "worker.py").exists():
        raise StartupError("worker.py is missing")
    if not (ROOT / "api" / "__main__.py").exists():
        raise StartupError("api/__main__.py is missing")
    busy = []
    if start_dev_server:
        busy += [port for port in (dev_port, ui_port) if port_open("127.0.0.1", port)]
    if port_open(api_host, api_port):
        busy.append(api_port)
    if busy:
        raise StartupError(
            f"port(s) {', '.join(map(str, busy))} already in use: is another `make run` or Temporal server "
            "running? Stop it, or point WAGECASE_TEMPORAL_ADDRESS / WAGECASE_API_PORT elsewhere"
        )


def main(argv: list[str] | None = None) -> int:
    """Start everything, wait for Ctrl-C or a dead child, stop everything; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--temporal-port", type=int, default=7233, help="gRPC port of the dev server")
    parser.add_argument("--ui-port", type=int, default=8233, help="port of the Temporal Web UI")
    parser.add_argument("--temporal-db", type=Path, default=DEV_DB_FILE, help="SQLite file of the dev server")
    args = parser.parse_args(argv)

    dev_address = f"127.0.0.1:{args.temporal_port}"
    address = os.environ.get("WAGECASE_TEMPORAL_ADDRESS") or dev_address
    namespace = os.environ.get("WAGECASE_TEMPORAL_NAMESPACE") or "default"
    api_host = os.environ.get("WAGECASE_API_HOST") or "127.0.0.1"
    api_port = int(os.environ.get("WAGECASE_API_PORT") or 8000)
    browse_host = "127.0.0.1" if api_host in ("0.0.0.0", "::") else api_host

    env = dict(os.environ)
    env["WAGECASE_TEMPORAL_ADDRESS"] = address
    env["WAGECASE_TEMPORAL_NAMESPACE"] = namespace
    env["PYTHONUNBUFFERED"] = "1"
    generated = not env.get("WAGECASE_ADMIN_PASSWORD")
    if generated:
        env["WAGECASE_ADMIN_PASSWORD"] = secrets.token_urlsafe(12)

    supervisor = Supervisor()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, supervisor.request_stop)

    try:
        start_dev_server = is_local_dev_address(address, args.temporal_port)
        preflight(start_dev_server, args.temporal_port, args.ui_port, browse_host, api_port)
        (ROOT / "var").mkdir(exist_ok=True)
        if start_dev_server:
            note(f"starting the Temporal dev server on {dev_address} (data in {args.temporal_db})")
            # The Web UI decrypts case payloads through the API (api/routes/codec.py), which allows its origin.
            codec = f"http://{browse_host}:{api_port}/codec"
            env.setdefault(
                "WAGECASE_TEMPORAL_UI_ORIGINS", f"http://127.0.0.1:{args.ui_port},http://localhost:{args.ui_port}"
            )
            supervisor.start(
                "temporal",
                dev_server_argv(args.temporal_port, args.ui_port, namespace, args.temporal_db, codec_endpoint=codec),
                env,
                stop_last=True,
            )
        else:
            note(f"using the Temporal server at {address}; not starting a dev server")
        host, port = split_address(address)
        supervisor.wait_until(
            lambda: port_open(host, port), STARTUP_TIMEOUT, f"Temporal to accept connections on {address}"
        )
        register_search_attributes(supervisor, address, namespace)
        run_migrations(supervisor, env)

        supervisor.start("worker", [sys.executable, "worker.py"], env)
        supervisor.start("api", [sys.executable, "-m", "api"], env)
        try:
            supervisor.wait_until(
                lambda: port_open(browse_host, api_port),
                STARTUP_TIMEOUT,
                f"the API to accept connections on port {api_port}",
            )
        except StartupError as error:
            note(f"warning: {error}")
        ui_url = f"http://127.0.0.1:{args.ui_port}" if start_dev_server else None
        say(banner(f"http://{browse_host}:{api_port}", ui_url, address, env["WAGECASE_ADMIN_PASSWORD"], generated))

        while True:
            supervisor.check()
            time.sleep(0.25)
    except StopRequested:
        note("stopping ...")
        supervisor.stop_all()
        note("stopped")
        return 0
    except ChildDied as died:
        note(f"{died}; stopping the others")
        supervisor.stop_all()
        return 1
    except StartupError as error:
        note(f"error: {error}")
        supervisor.stop_all()
        return 1
    except BaseException:
        supervisor.stop_all()
        raise


if __name__ == "__main__":
    sys.exit(main())
