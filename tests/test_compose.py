"""docker-compose.yml and Dockerfile, read as data (there is no Docker engine here)."""

import json
import re
import socket
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.test_run_script import CONTRACT_ATTRIBUTES, MONITOR_ATTRIBUTES

REPO = Path(__file__).resolve().parents[1]
TEMPORAL_CLI = REPO / ".venv" / "bin" / "temporal"

REQUIRED = {"POSTGRES_PASSWORD": "pw", "WAGECASE_SECRET_KEY": "k" * 40, "WAGECASE_PAYLOAD_KEYS": "k1:" + "A" * 43}


def interpolate(value, env: dict[str, str]):
    """Resolve ${VAR}, ${VAR:-default}, ${VAR:?message} and $$ as docker compose does."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name"), match.group("op"), match.group("arg")
        current = env.get(name, "")
        if op == ":?" and not current:
            raise KeyError(f"{name}: {arg}")
        if op == ":-" and not current:
            return arg
        return current

    return re.sub(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:[-?])(?P<arg>[^}]*))?\}", replace, value)


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(raw) -> dict:
    return interpolate(raw, REQUIRED)["services"]


def depends(service: dict) -> dict[str, str]:
    return {name: spec["condition"] for name, spec in service["depends_on"].items()}


def registered_attributes(raw) -> dict[str, str]:
    script = raw["services"]["temporal-admin-tools"]["command"][0]
    return dict(re.findall(r"^register (\w+) (\w+)$", script, flags=re.MULTILINE))


def test_services_and_images(services):
    assert {"postgresql", "temporal", "temporal-admin-tools", "temporal-ui", "migrate", "api", "worker"} <= set(
        services
    )
    assert services["postgresql"]["image"].startswith("postgres:16")
    assert services["temporal"]["image"].startswith("temporalio/auto-setup:")
    assert services["temporal-admin-tools"]["image"].startswith("temporalio/admin-tools:")
    assert services["temporal-ui"]["image"].startswith("temporalio/ui:")
    for name in ("api", "worker", "migrate"):
        assert services[name]["build"] == "."
        assert services[name]["image"] == services["api"]["image"]
    assert services["api"]["command"] == ["python", "-m", "api"]
    assert services["worker"]["command"] == ["python", "worker.py"]
    assert services["migrate"]["command"] == ["python", "-m", "db", "upgrade"]


def test_the_temporal_ui_can_only_read(services):
    """Supervisors change cases through the service, not by terminating or resetting them in the UI."""
    assert services["temporal-ui"]["environment"]["TEMPORAL_DISABLE_WRITE_ACTIONS"] == "true"


def test_postgresql_creates_the_database_and_reports_health(services):
    postgres = services["postgresql"]
    assert postgres["environment"]["POSTGRES_DB"] == "wagecase"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in postgres["volumes"])


def test_temporal_runs_on_postgresql(services):
    temporal = services["temporal"]
    env = temporal["environment"]
    assert env["DB"] == "postgres12"
    assert env["POSTGRES_SEEDS"] == "postgresql"
    assert env["POSTGRES_USER"] == services["postgresql"]["environment"]["POSTGRES_USER"]
    assert env["POSTGRES_PWD"] == services["postgresql"]["environment"]["POSTGRES_PASSWORD"] == "pw"
    assert depends(temporal) == {"postgresql": "service_healthy"}
    assert "cluster health" in " ".join(temporal["healthcheck"]["test"])

    ui = services["temporal-ui"]
    assert ui["environment"]["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert any(port.endswith("8233:8080") for port in ui["ports"])
    assert depends(ui) == {"temporal": "service_healthy"}


def test_admin_tools_registers_every_contract_search_attribute(raw, services):
    assert registered_attributes(raw) == CONTRACT_ATTRIBUTES | MONITOR_ATTRIBUTES
    job = services["temporal-admin-tools"]
    assert job["environment"]["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert depends(job) == {"temporal": "service_healthy"}
    assert job["restart"] == "no"


def test_api_and_worker_environment(services):
    for name in ("api", "worker", "migrate"):
        env = services[name]["environment"]
        assert env["WAGECASE_DATABASE_URL"] == "postgresql+psycopg://wagecase:pw@postgresql:5432/wagecase"
        assert env["WAGECASE_TEMPORAL_ADDRESS"] == "temporal:7233"
        assert env["WAGECASE_ENV"] == "production"
        assert env["WAGECASE_SECRET_KEY"] == REQUIRED["WAGECASE_SECRET_KEY"]
        assert env["WAGECASE_PAYLOAD_KEYS"] == REQUIRED["WAGECASE_PAYLOAD_KEYS"]  # Temporal holds no clear data
    api = services["api"]
    assert api["environment"]["WAGECASE_API_HOST"] == "0.0.0.0"
    assert "/healthz" in " ".join(api["healthcheck"]["test"])
    assert any(port.endswith(":8000") for port in api["ports"])


def test_required_secrets_have_no_defaults(raw):
    for missing in REQUIRED:
        env = {k: v for k, v in REQUIRED.items() if k != missing}
        with pytest.raises(KeyError, match=missing):
            interpolate(raw, env)


def test_api_and_worker_start_after_temporal_schema_and_search_attributes(services):
    for name in ("api", "worker"):
        assert depends(services[name]) == {
            "postgresql": "service_healthy",
            "migrate": "service_completed_successfully",
            "temporal": "service_healthy",
            "temporal-admin-tools": "service_completed_successfully",
        }
    assert depends(services["migrate"]) == {"postgresql": "service_healthy"}


def test_worker_replicas_are_configurable(raw):
    assert int(interpolate(raw, REQUIRED)["services"]["worker"]["deploy"]["replicas"]) == 2
    scaled = interpolate(raw, {**REQUIRED, "WAGECASE_WORKERS": "5"})
    assert int(scaled["services"]["worker"]["deploy"]["replicas"]) == 5


def test_dockerfile_copies_every_package_and_runs_unprivileged():
    dockerfile = (REPO / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, flags=re.MULTILINE)
    assert "pip install ." in dockerfile
    users = re.findall(r"^USER (\S+)", dockerfile, flags=re.MULTILINE)
    assert users and users[-1] not in ("root", "0")

    copied = set()
    for sources in re.findall(r"^COPY (.+) \S+$", dockerfile, flags=re.MULTILINE):
        copied |= {source.rstrip("/") for source in sources.split()}
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    packages = {pattern.rstrip("*") for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert packages | {"worker.py", "pyproject.toml", "jurisdictions"} <= copied


@pytest.mark.e2e
@pytest.mark.skipif(not TEMPORAL_CLI.exists(), reason="temporal CLI not installed (make install)")
def test_admin_tools_script_registers_attributes_idempotently(raw, tmp_path):
    """Run the job's shell script against a real dev server, twice."""
    script = interpolate(raw["services"]["temporal-admin-tools"]["command"][0], {})
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    address = f"127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            str(TEMPORAL_CLI),
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--port",
            str(port),
            "--headless",
            "--log-level",
            "error",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = {"PATH": f"{TEMPORAL_CLI.parent}:/usr/bin:/bin", "TEMPORAL_ADDRESS": address, "TEMPORAL_NAMESPACE": "default"}
    try:
        for _ in range(2):
            result = subprocess.run(["/bin/sh", "-c", script], env=env, capture_output=True, text=True, timeout=120)
            assert result.returncode == 0, result.stderr
        listed = subprocess.run(
            [str(TEMPORAL_CLI), "operator", "search-attribute", "list", "--address", address, "--output", "json"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        custom = json.loads(listed.stdout)["customAttributes"]
        for name, kind in CONTRACT_ATTRIBUTES.items():
            assert custom[name] == "INDEXED_VALUE_TYPE_" + kind.upper()
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
