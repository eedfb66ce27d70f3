"""End to end: `scripts/run.py` (what `make run` starts) brings up the real dev server, worker and API as
separate processes; a case is carried from intake to closure over HTTP, and a missed deadline escalates
with nobody touching it."""

import asyncio
import signal
import socket
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client, WorkflowExecutionStatus

from tests.e2e.harness import drill_jurisdiction, run_supervised
from workflows.search_attributes import CASE_STAGE, ESCALATED, LEAD_UNIT, OVERDUE

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    with run_supervised(
        tmp, drill_jurisdiction(tmp, acknowledge="PT3S", escalation_step="PT2S"), task_queue="e2e", startup_timeout=90
    ) as running:
        yield running


def login(http: httpx.Client, username: str, password: str) -> dict:
    r = http.post("/api/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def describe(address: str, workflow_id: str):
    client = await Client.connect(address)
    return await client.get_workflow_handle(workflow_id).describe()


def wait_for(fn, timeout: float = 30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = fn()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("condition not reached in time")


def test_case_lifecycle_over_http_and_escalation_by_itself(service):
    with httpx.Client(base_url=service["base"], timeout=30) as http:
        admin = login(http, "admin", "e2e-admin-password")
        for name, role, unit in [
            ("clerk", "clerk", "petition"),
            ("zhujian", "caseworker", "housing"),
            ("renshe", "caseworker", "hrss"),
        ]:
            r = http.post(
                "/api/users",
                headers=admin,
                json={"username": name, "password": "password-123", "role": role, "unit": unit},
            )
            assert r.status_code == 201, r.text
        clerk, housing = login(http, "clerk", "password-123"), login(http, "zhujian", "password-123")

        r = http.post(
            "/api/cases",
            headers=clerk,
            json={
                "channel": "hotline",
                "complainant": {"name": "王五", "phone": "13900001111"},
                "workers": [{"name": "王五", "amount_owed": "8000"}, {"name": "赵六", "amount_owed": 7000}],
                "employer": {"name": "山西某劳务有限公司"},
                "project": {
                    "name": "代县第二中学教学楼",
                    "type": "housing_municipal",
                    "township": "shangguan",
                    "has_permit": True,
                    "land": "state",
                    "government_invested": True,
                    "construction_unit": {"name": "代县教育科技局"},
                    "general_contractor": {"name": "山西某建设集团有限公司"},
                },
                "description": "拖欠三个月工资",
            },
        )
        assert r.status_code == 201, r.text
        case = r.json()
        no = case["case_no"]
        assert case["stage"] == "referred" and case["lead_unit"] == "housing"

        # nobody acts: the 3-second acknowledge clock passes and climbs two levels by itself
        detail = wait_for(
            lambda: (d := http.get(f"/api/cases/{no}", headers=admin).json())["escalations"][1:] and d, timeout=30
        )
        assert [e["level"] for e in detail["escalations"]][:2] == ["unit_head", "office"]
        assert detail["deadlines"][0]["status"] == "missed" and detail["overdue"] is True
        assert http.get("/api/stats", headers=admin).json()["overdue"] == 1

        assert http.post(f"/api/cases/{no}/actions/accept", headers=housing).status_code == 200
        r = http.post(
            f"/api/cases/{no}/actions/findings",
            headers=housing,
            json={"substantiated": True, "liable_party": "general_contractor", "amount_owed": "15000"},
        )
        assert r.status_code == 200, r.text
        r = http.post(f"/api/cases/{no}/actions/order_payment", headers=housing, json={})
        assert r.status_code == 403, r.text  # labour inspection issues the order, whatever unit leads
        inspector = login(http, "renshe", "password-123")
        r = http.post(f"/api/cases/{no}/actions/order_payment", headers=inspector, json={})
        assert r.status_code == 200 and r.json()["stage"] == "payment_ordered", r.text
        r = http.post(
            f"/api/cases/{no}/actions/record_payment",
            headers={**housing, "Idempotency-Key": f"pay-{no}"},
            json={"amount": 15000, "payer": "general_contractor"},
        )
        closed = r.json()
        assert r.status_code == 200 and closed["stage"] == "closed" and closed["amount_recovered"] == "15000.00"
        assert {d["kind"] for d in closed["documents"]} >= {
            "receipt",
            "referral",
            "escalation",
            "order_to_pay",
            "result_notice",
        }
        doc = http.get(closed["documents"][-1]["url"], headers=clerk)
        assert doc.status_code == 200 and "处理结果告知书" in doc.text

        # the Temporal side: the workflow finished and its search attributes say so
        desc = asyncio.run(describe(f"127.0.0.1:{service['ports'][1]}", no))
        assert desc.status == WorkflowExecutionStatus.COMPLETED
        attrs = desc.typed_search_attributes
        assert attrs.get(CASE_STAGE) == "closed" and attrs.get(LEAD_UNIT) == "housing"
        assert attrs.get(ESCALATED) is True and attrs.get(OVERDUE) is False
        assert httpx.get(service["ui"], timeout=5).status_code == 200  # the Web UI for supervisors


def test_missed_order_draws_the_deposit_by_itself(service):
    with httpx.Client(base_url=service["base"], timeout=30) as http:
        admin = login(http, "admin", "e2e-admin-password")
        project = http.post(
            "/api/projects",
            headers=admin,
            json={
                "name": "峨口镇污水管网工程",
                "type": "water",
                "township": "ekou",
                "has_permit": True,
                "land": "state",
                "government_invested": True,
                "construction_unit": {"name": "代县水务投资有限公司"},
                "general_contractor": {"name": "山西某水利工程有限公司"},
            },
        ).json()
        r = http.post(
            f"/api/projects/{project['id']}/deposit", headers=admin, json={"amount": "10000.00", "bank": "代县农商银行"}
        )
        assert r.status_code in (200, 201), r.text
        case = http.post(
            "/api/cases",
            headers=admin,
            json={
                "channel": "walk_in",
                "complainant": {"name": "周七"},
                "workers": [{"name": "周七", "amount_owed": "8000"}, {"name": "吴八", "amount_owed": "7000"}],
                "employer": {"name": "山西某水利工程有限公司"},
                "project_id": project["id"],
            },
        ).json()
        no = case["case_no"]
        assert case["lead_unit"] == "water"
        for action, body in [
            ("accept", {}),
            ("findings", {"substantiated": True, "liable_party": "general_contractor", "amount_owed": "15000"}),
            ("order_payment", {"due_at": (datetime.now(timezone.utc) + timedelta(seconds=4)).isoformat()}),
        ]:
            r = http.post(f"/api/cases/{no}/actions/{action}", headers=admin, json=body)
            assert r.status_code == 200, r.text
        # the order runs out unpaid: the case waits for labour inspection's handling decision
        waiting = wait_for(
            lambda: (
                (d := http.get(f"/api/cases/{no}", headers=admin).json())["pending_actions"].count("decide_payment")
                and d
            ),
            timeout=30,
        )
        assert waiting["stage"] == "payment_ordered" and waiting["payments"] == []
        due = (datetime.now(timezone.utc) + timedelta(seconds=4)).isoformat()
        r = http.post(
            f"/api/cases/{no}/actions/decide_payment",
            headers=admin,
            json={"due_at": due, "compensation_percent": 50},
        )
        assert r.status_code == 200 and r.json()["stage"] == "decided", r.text
        # nobody acts: the decision runs out and the deposit pays what it holds
        detail = wait_for(
            lambda: (
                (d := http.get(f"/api/cases/{no}", headers=admin).json())["stage"] not in ("payment_ordered", "decided")
                and d
            ),
            timeout=30,
        )
        assert detail["amount_recovered"] == "10000.00"
        assert any(p["payer"] == "deposit" and p["amount"] == "10000.00" for p in detail["payments"])
        assert "deposit_payout" in {d["kind"] for d in detail["documents"]}
        assert detail["stage"] in ("deposit_drawdown", "court_enforcement", "police_referred")
        ledger = http.get(f"/api/projects/{project['id']}/deposit", headers=admin).json()
        assert ledger["balance"] == "0.00"
        assert [(e["kind"], e["amount"], e["case_no"]) for e in ledger["ledger"]] == [
            ("deposit", "10000.00", None),
            ("drawdown", "10000.00", no),
        ]


def test_ctrl_c_stops_everything(service):
    proc = service["proc"]
    proc.send_signal(signal.SIGINT)  # what Ctrl-C sends to make run
    assert proc.wait(timeout=30) == 0, service["log"].read_text(errors="replace")[-3000:]
    for port in service["ports"]:
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open"
