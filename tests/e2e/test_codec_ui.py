"""The dev server that `make run` starts points its Web UI at the API's codec endpoint."""

import importlib.util
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def load_run_script():
    spec = importlib.util.spec_from_file_location("run_script", ROOT / "scripts" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_temporal_web_ui_is_configured_with_the_codec_endpoint(tmp_path):
    run = load_run_script()
    port, ui_port = free_port(), free_port()
    codec = "http://127.0.0.1:8000/codec"
    argv = run.dev_server_argv(port, ui_port, "default", tmp_path / "temporal.db", codec_endpoint=codec)
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                settings = httpx.get(f"http://127.0.0.1:{ui_port}/api/v1/settings", timeout=2).json()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("the dev server's Web UI did not come up")
                time.sleep(0.3)
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert settings["Codec"]["Endpoint"] == codec
    assert "--ui-codec-endpoint" not in run.dev_server_argv(port, ui_port, "default")
