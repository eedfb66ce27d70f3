"""End to end on drill clocks: `scripts/run.py` (what `make run` starts) with a jurisdiction file that
extends Dai County's with `duration:` payroll rules. A project without a payroll gets a `payroll_missing`
warning by itself and then a `township_warning` case; a project that posts its payroll in time gets
none; the monitor's search attributes show it in Temporal."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client

from tests.e2e.test_service import free_port, login, wait_for

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e
PROJECT = {
    "type": "transport",
    "township": "yanmenguan",
    "has_permit": True,
    "land": "state",
    "government_invested": True,
    "construction_unit": {"name": "代县交通建设投资有限公司"},
    "general_contractor": {"name": "山西某路桥工程有限公司", "credit_code": "91350100M000100Y43"},
}


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("warn-e2e")
    jurisdiction = tmp / "drill.yaml"
    jurisdiction.write_text(
        f"extends: {ROOT / 'jurisdictions' / 'daixian.yaml'}\n"
        "deadlines:\n"
        "  payroll_cycle: {duration: PT8S}\n"
        "  payroll_grace: {duration: PT3S}\n"
        "  warning_response: {duration: PT5S}\n",
        encoding="utf-8",
    )
    api_port, temporal_port, ui_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "WAGECASE_DATABASE_URL": f"sqlite:///{tmp / 'wagecase.db'}",
        "WAGECASE_JURISDICTION": str(jurisdiction),
        "WAGECASE_ADMIN_PASSWORD": "e2e-admin-password",
        "WAGECASE_API_PORT": str(api_port),
        "WAGECASE_TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "WAGECASE_TASK_QUEUE": "e2e-warn",
    }
    log = open(tmp / "run.log", "wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "scripts/run.py",
            "--temporal-port",
            str(temporal_port),
            "--ui-port",
            str(ui_port),
            "--temporal-db",
            str(tmp / "temporal.db"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{api_port}"
    deadline = time.monotonic() + 120
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
    yield {"base": base, "address": f"127.0.0.1:{temporal_port}"}
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


async def search_attributes(address: str, workflow_id: str) -> dict:
    client = await Client.connect(address)
    described = await client.get_workflow_handle(workflow_id).describe()
    return {key.name: value for key, value in described.typed_search_attributes}


def test_a_missing_payroll_becomes_a_warning_then_a_case_and_a_paid_project_gets_none(service):
    with httpx.Client(base_url=service["base"], timeout=30) as http:
        admin = login(http, "admin", "e2e-admin-password")
        unpaid = http.post("/api/projects", headers=admin, json={**PROJECT, "name": "未发工资的项目"})
        paid = http.post("/api/projects", headers=admin, json={**PROJECT, "name": "按时发工资的项目"})
        assert unpaid.status_code == 201 and paid.status_code == 201, unpaid.text + paid.text
        unpaid, paid = unpaid.json()["id"], paid.json()["id"]
        r = http.post(
            f"/api/projects/{paid}/payrolls",
            headers=admin,
            json={"period": 1, "total": "9000.00", "workers": [{"name": "王秀英", "amount": "9000.00"}]},
        )
        assert r.status_code == 201, r.text

        def warning_of(project_id: int, status: str):
            items = http.get("/api/warnings", headers=admin, params={"status": status}).json()["items"]
            return next((w for w in items if w["project_id"] == project_id and w["kind"] == "payroll_missing"), None)

        opened = wait_for(lambda: warning_of(unpaid, "open") or warning_of(unpaid, "escalated"), 60)
        assert opened["period"] == "1" and opened["level"] == "yellow"
        escalated = wait_for(
            lambda: (lambda w: w if w and w["case_no"] else None)(
                http.get(f"/api/warnings/{opened['id']}", headers=admin).json()
            ),
            60,
        )
        assert escalated["status"] == "escalated"
        case = http.get(f"/api/cases/{escalated['case_no']}", headers=admin).json()
        assert case["channel"] == "township_warning" and case["lead_unit"] == "transport"
        paid_warnings = http.get("/api/warnings", headers=admin, params={"project_id": paid}).json()["items"]
        assert [w for w in paid_warnings if w["period"] == "1"] == []

    attrs = asyncio.run(search_attributes(service["address"], f"DX-P{unpaid}"))
    assert attrs["MonitorProject"] == str(unpaid) and attrs["Township"] == "yanmenguan"
    assert attrs["PeriodsMissed"] >= 1 and "NextPayrollDue" in attrs
