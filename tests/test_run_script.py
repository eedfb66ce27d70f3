"""scripts/run.py, the `make run` supervisor: stopping order, dead children, search attributes, a real run."""

import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from workflows import search_attributes

REPO = Path(__file__).resolve().parents[1]
TEMPORAL_CLI = REPO / ".venv" / "bin" / "temporal"

_spec = importlib.util.spec_from_file_location("wagecase_run_script", REPO / "scripts" / "run.py")
run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run)

CONTRACT_ATTRIBUTES = {
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
}
MONITOR_ATTRIBUTES = {
    "MonitorProject": "Keyword",
    "NextPayrollDue": "Datetime",
    "PeriodsMissed": "Int",
    "OpenWarnings": "Int",
}


def python_child(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_search_attributes_match_the_contract():
    assert run.SEARCH_ATTRIBUTES == CONTRACT_ATTRIBUTES | MONITOR_ATTRIBUTES
    assert run.SEARCH_ATTRIBUTES == search_attributes.TYPES  # the workflows' one definition
    argv = run.dev_server_argv(7233, 8233, "default")
    registered = {argv[i + 1] for i, arg in enumerate(argv) if arg == "--search-attribute"}
    assert registered == {f"{name}={kind}" for name, kind in (CONTRACT_ATTRIBUTES | MONITOR_ATTRIBUTES).items()}
    assert argv[argv.index("--db-filename") + 1] == "var/temporal.db"


def test_missing_search_attributes_compares_types():
    registered = {
        "CaseNo": "INDEXED_VALUE_TYPE_KEYWORD",
        "AmountOwed": "INDEXED_VALUE_TYPE_DOUBLE",
        "NextDeadline": "INDEXED_VALUE_TYPE_DATETIME",
    }
    missing = run.missing_search_attributes(registered)
    assert set(missing) == set(CONTRACT_ATTRIBUTES | MONITOR_ATTRIBUTES) - {"CaseNo", "AmountOwed", "NextDeadline"}
    assert missing["Overdue"] == "Bool"

    with pytest.raises(run.StartupError, match="CaseStage"):
        run.missing_search_attributes({"CaseStage": "INDEXED_VALUE_TYPE_TEXT"})


def test_local_dev_address():
    assert run.is_local_dev_address("127.0.0.1:7233", 7233)
    assert run.is_local_dev_address("localhost:7233", 7233)
    assert not run.is_local_dev_address("127.0.0.1:7234", 7233)
    assert not run.is_local_dev_address("temporal.example.internal:7233", 7233)
    with pytest.raises(run.StartupError):
        run.split_address("no-port")


def test_dead_child_is_named_and_the_rest_are_stopped(tmp_path):
    supervisor = run.Supervisor(stop_timeout=5)
    env = dict(os.environ)
    long_lived = supervisor.start("api", python_child("import time; time.sleep(60)"), env)
    supervisor.start("worker", python_child("import sys; sys.exit(3)"), env)

    with pytest.raises(run.ChildDied) as died:
        supervisor.wait_until(lambda: False, timeout=10, what="nothing")
    assert died.value.child.name == "worker"
    assert died.value.child.exit_code == 3
    assert "worker exited unexpectedly (exit code 3)" in str(died.value)

    supervisor.stop_all()
    assert long_lived.exit_code == -signal.SIGTERM


def test_stop_order_and_kill_after_timeout(tmp_path):
    log = tmp_path / "stops.log"

    def recorder(name: str, ignore_term: bool = False) -> list[str]:
        handler = "signal.SIG_IGN" if ignore_term else "on_term"
        return python_child(
            "import signal, sys, time, pathlib\n"
            f"log = pathlib.Path({str(log)!r})\n"
            "def on_term(*_):\n"
            f"    with log.open('a') as f: f.write({name!r} + '\\n')\n"
            "    sys.exit(0)\n"
            f"signal.signal(signal.SIGTERM, {handler})\n"
            f"pathlib.Path({str(tmp_path)!r}, 'ready-' + {name!r}).touch()\n"
            "while True: time.sleep(0.05)\n"
        )

    supervisor = run.Supervisor(stop_timeout=1)
    env = dict(os.environ)
    temporal = supervisor.start("temporal", recorder("temporal"), env, stop_last=True)
    worker = supervisor.start("worker", recorder("worker"), env)
    stubborn = supervisor.start("api", recorder("api", ignore_term=True), env)
    wait_for(lambda: all((tmp_path / f"ready-{n}").exists() for n in ("temporal", "worker", "api")))

    started = time.monotonic()
    supervisor.stop_all()
    elapsed = time.monotonic() - started

    assert log.read_text().split() == ["worker", "temporal"]
    assert worker.exit_code == 0
    assert temporal.exit_code == 0
    assert stubborn.exit_code == -signal.SIGKILL
    assert 1.0 <= elapsed < 5.0


@pytest.mark.e2e
@pytest.mark.skipif(not TEMPORAL_CLI.exists(), reason="temporal CLI not installed (make install)")
def test_run_starts_dev_server_registers_attributes_and_stops_on_ctrl_c(tmp_path):
    """A real dev server with stub worker, API and migrations in a copy of the tree."""
    root = tmp_path / "tree"
    (root / "scripts").mkdir(parents=True)
    (root / "api").mkdir()
    (root / "db").mkdir()
    shutil.copy(REPO / "scripts" / "run.py", root / "scripts" / "run.py")
    (root / ".venv").symlink_to(REPO / ".venv")
    (root / "worker.py").write_text(
        "import json, os, time\n"
        "env = {k: v for k, v in os.environ.items() if k.startswith('WAGECASE_')}\n"
        "with open('var/worker.json.tmp', 'w') as f: json.dump({'pid': os.getpid(), 'env': env}, f)\n"
        "os.replace('var/worker.json.tmp', 'var/worker.json')  # whole, or not there yet\n"
        "print('worker stub ready', flush=True)\n"
        "while True: time.sleep(1)\n"
    )
    (root / "api" / "__main__.py").write_text(
        "import http.server, json, os\n"
        "json.dump({'pid': os.getpid()}, open('var/api.json', 'w'))\n"
        "port = int(os.environ['WAGECASE_API_PORT'])\n"
        "http.server.HTTPServer(('127.0.0.1', port), http.server.BaseHTTPRequestHandler).serve_forever()\n"
    )
    (root / "db" / "__main__.py").write_text(
        "import pathlib, sys\npathlib.Path('var/migrated').write_text(' '.join(sys.argv[1:]))\n"
    )

    temporal_port, ui_port, api_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("WAGECASE_ADMIN_PASSWORD", "WAGECASE_TEMPORAL_ADDRESS")}
    env["WAGECASE_API_PORT"] = str(api_port)
    process = subprocess.Popen(
        [
            sys.executable,
            str(root / "scripts" / "run.py"),
            "--temporal-port",
            str(temporal_port),
            "--ui-port",
            str(ui_port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    try:
        wait_for(lambda: any("Press Ctrl-C" in line for line in lines) or process.poll() is not None, timeout=90)
        assert process.poll() is None, "".join(lines)
        # the banner does not wait for the worker: its stub says when it has written what it saw
        wait_for(lambda: any("worker stub ready" in line for line in lines), timeout=30)
        output = "".join(lines)

        worker = json.loads((root / "var" / "worker.json").read_text())
        password = worker["env"]["WAGECASE_ADMIN_PASSWORD"]
        assert len(password) >= 12
        assert f"admin / {password}" in output
        assert worker["env"]["WAGECASE_TEMPORAL_ADDRESS"] == f"127.0.0.1:{temporal_port}"
        assert f"http://127.0.0.1:{api_port}/" in output
        assert f"http://127.0.0.1:{ui_port}" in output
        assert "[worker] worker stub ready" in output
        assert (root / "var" / "migrated").read_text() == "upgrade"
        assert (root / "var" / "temporal.db").exists()

        listed = subprocess.run(
            [
                str(TEMPORAL_CLI),
                "operator",
                "search-attribute",
                "list",
                "--address",
                f"127.0.0.1:{temporal_port}",
                "--output",
                "json",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        custom = json.loads(listed.stdout)["customAttributes"]
        assert run.missing_search_attributes(custom) == {}
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        exit_code = process.wait(timeout=60)
        reader.join(timeout=5)

    assert exit_code == 0, "".join(lines)
    for port in (temporal_port, ui_port, api_port):
        assert not run.port_open("127.0.0.1", port), f"port {port} still open"
    for stub in ("worker.json", "api.json"):
        pid = json.loads((root / "var" / stub).read_text())["pid"]
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
