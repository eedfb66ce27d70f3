"""End to end on drill clocks: `scripts/run.py` (what `make run` starts) with a jurisdiction file that
extends Dai County's with `duration:` payroll rules. A project without a payroll gets a `payroll_missing`
warning by itself and then a `township_warning` case; a project that posts its payroll in time gets
none; the monitor's search attributes show it in Temporal."""

import asyncio
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client

from tests.e2e.harness import drill_jurisdiction, run_supervised
from tests.e2e.test_service import login, wait_for

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
    with run_supervised(
        tmp,
        drill_jurisdiction(tmp, payroll_cycle="PT8S", payroll_grace="PT3S", warning_response="PT5S"),
        task_queue="e2e-warn",
        startup_timeout=120,
    ) as running:
        yield running


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
