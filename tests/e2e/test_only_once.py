"""End to end (the real dev server, worker and API as separate processes): a payment retried with its key
after the case continued as new is recorded once, and the Temporal CLI cannot change a case."""

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client

from tests.e2e.harness import Service, admin_headers, complaint

pytestmark = pytest.mark.e2e
TEMPORAL = Path(sys.executable).parent / "temporal"


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("once")
    svc = Service(tmp, {"WAGECASE_DATABASE_URL": f"sqlite:///{tmp / 'w.db'}"})  # Dai County's own clocks
    svc.start_temporal()
    svc.migrate()
    svc.start_worker()
    svc.start_api()
    yield svc
    svc.stop_all()


def ordered_case(http: httpx.Client, admin: dict) -> str:
    r = http.post("/api/cases", headers=admin, json=complaint(1))
    assert r.status_code == 201, r.text
    no = r.json()["case_no"]
    for action, body in [
        ("accept", {}),
        ("findings", {"substantiated": True, "liable_party": "employer", "amount_owed": "5000"}),
        ("order_payment", {}),
    ]:
        r = http.post(f"/api/cases/{no}/actions/{action}", headers=admin, json=body)
        assert r.status_code == 200, r.text
    return no


async def runs_of(service: Service, no: str) -> int:
    client = await Client.connect(f"127.0.0.1:{service.temporal_port}")
    return len([w async for w in client.list_workflows(f"WorkflowId = '{no}'")])


async def test_a_payment_retried_after_continue_as_new_is_recorded_once(service):
    with httpx.Client(base_url=service.base, timeout=60) as http:
        admin = admin_headers(http)
        no = ordered_case(http, admin)
        pay = {**admin, "Idempotency-Key": "pay-e2e-1"}
        first = http.post(
            f"/api/cases/{no}/actions/record_payment", headers=pay, json={"amount": "1000", "payer": "employer"}
        )
        assert first.status_code == 200, first.text
        for k in range(25):  # the run continues as new past 100 events
            r = http.post(f"/api/cases/{no}/actions/note", headers=admin, json={"text": f"第{k + 1}次电话催告"})
            assert r.status_code == 200, r.text
        assert await runs_of(service, no) >= 2
        again = http.post(
            f"/api/cases/{no}/actions/record_payment", headers=pay, json={"amount": "1000", "payer": "employer"}
        )
        assert again.status_code == 200, again.text
        case = http.get(f"/api/cases/{no}", headers=admin).json()
        assert [p["amount"] for p in case["payments"]] == ["1000.00"] and case["amount_recovered"] == "1000.00"
        other = http.post(
            f"/api/cases/{no}/actions/record_payment", headers=pay, json={"amount": "2000", "payer": "employer"}
        )
        assert other.status_code == 409, other.text


def cli(service: Service, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(TEMPORAL), *args, "--address", f"127.0.0.1:{service.temporal_port}"],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_temporal_cli_cannot_change_a_case(service):
    forged = json.dumps(
        {
            "action": "record_payment",
            "actor": {"username": "ghost", "role": "admin", "unit": "hrss"},
            "params": {"amount": "4999", "payer": "court"},
            "sealed": True,
        }
    )
    with httpx.Client(base_url=service.base, timeout=60) as http:
        admin = admin_headers(http)
        no = ordered_case(http, admin)
        before = http.get(f"/api/cases/{no}", headers=admin).json()

        update = cli(service, "workflow", "update", "execute", "-w", no, "--name", "act", "--input", forged)
        # refused by the validator (the failure message itself is encrypted: the CLI sees its type)
        assert update.returncode != 0 and "forbidden" in update.stderr, update
        signal = cli(service, "workflow", "signal", "-w", no, "--name", "act", "--input", forged)
        assert signal.returncode == 0, signal  # the server takes it; the workflow has no such signal
        # the workflow still answers the service, and nothing of the forged requests was applied
        r = http.post(f"/api/cases/{no}/actions/note", headers=admin, json={"text": "核对"})
        assert r.status_code == 200, r.text
        after = r.json()
        assert after["payments"] == [] and after["amount_recovered"] == "0.00"
        assert after["version"] == before["version"] + 1 and after["stage"] == "payment_ordered"
        assert "ghost" not in json.dumps(after, ensure_ascii=False)
        assert f"case {no}: dropped the signal 'act'" in service.log("worker")
