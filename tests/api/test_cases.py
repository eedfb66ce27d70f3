"""The cases API over HTTP against a real dev server and worker, on SQLite and on PostgreSQL."""

import asyncio
import re
from datetime import datetime, timedelta, timezone

import pytest

PROJECT = {
    "name": "滨河小区3号楼",
    "type": "housing_municipal",
    "township": "shangguan",
    "has_permit": True,
    "land": "state",
    "government_invested": False,
    "construction_unit": {"name": "代县某房地产开发有限公司", "credit_code": None},
    "general_contractor": {"name": "山西某建筑工程有限公司", "credit_code": None},
}


def complaint(**over) -> dict:
    body = {
        "channel": "hotline",
        "complainant": {"name": "张三", "phone": "13800138000", "id_number": "110101199003076632"},
        "workers": [
            {"name": "张三", "id_number": "110101199003076632", "amount_owed": "12000.00"},
            {"name": "李四", "amount_owed": 24000},
        ],
        "employer": {"name": "山西某劳务有限公司", "credit_code": None},
        "description": "春节前工资未结清",
    }
    body.update(over)
    return body


async def new_case(api, **over) -> dict:
    clerk = await api.user("clerk1", "clerk", "petition")
    r = await api.http.post("/api/cases", headers=clerk, json=complaint(**over))
    assert r.status_code == 201, r.text
    return r.json()


async def test_case_from_intake_to_closure(api):
    clerk = await api.user("clerk1", "clerk", "petition")
    housing = await api.user("housing1", "caseworker", "housing")
    hrss = await api.user("hrss1", "caseworker", "hrss")
    r = await api.http.post("/api/projects", headers=clerk, json=PROJECT)
    assert r.status_code == 201, r.text
    case = await new_case(api, project_id=r.json()["id"])
    no = case["case_no"]
    assert re.fullmatch(r"[A-Z]+-2026-000001", no) and case["stage"] == "referred"
    assert case["lead_unit"] == "housing" and case["co_units"] == ["hrss"]
    assert case["amount_claimed"] == "36000.00"
    assert [(d["kind"], d["status"]) for d in case["deadlines"]] == [("acknowledge", "open")]
    assert "劳动保障监察" in case["deadlines"][0]["basis"]
    assert [d["kind"] for d in case["documents"]] == ["receipt", "referral"]
    assert "accept" in case["pending_actions"] and "order_payment" not in case["pending_actions"]

    r = await api.act(housing, no, "accept")
    assert r.status_code == 200 and r.json()["stage"] == "investigating", r.text
    r = await api.act(
        housing,
        no,
        "findings",
        {
            "substantiated": True,
            "liable_party": "general_contractor",
            "amount_owed": 36000,
            "facts": "经核查，拖欠属实",
        },
    )
    assert r.status_code == 200, r.text
    due = (datetime.now(timezone.utc) + timedelta(days=7)).isoformat()
    # labour inspection issues the order (劳动保障监察条例 art. 26), whatever unit leads: 403 for housing
    r = await api.act(housing, no, "order_payment", {"amount": "36000.00", "due_at": due})
    assert r.status_code == 403 and r.json()["code"] == "authority_only", r.text
    case = (await api.http.get(f"/api/cases/{no}", headers=housing)).json()
    assert case["stage"] == "investigating" and case["order_amount"] is None  # nothing written
    assert case["lead_unit"] == "housing" and case["enforcement_unit"] == "hrss"
    r = await api.act(hrss, no, "order_payment", {"amount": "36000.00", "due_at": due})
    assert r.status_code == 200 and r.json()["stage"] == "payment_ordered", r.text
    order = r.json()["documents"][-1]
    assert order["kind"] == "order_to_pay"
    html = (await api.http.get(order["url"], headers=hrss)).text
    assert "代县人力资源和社会保障局" in html
    r = await api.act(hrss, no, "record_payment", {"amount": "16000", "payer": "general_contractor"})
    assert r.status_code == 200 and r.json()["amount_recovered"] == "16000.00", r.text
    r = await api.act(housing, no, "record_payment", {"amount": "20000.00", "payer": "construction_unit"})
    body = r.json()
    assert r.status_code == 200 and body["stage"] == "closed" and body["outcome"] == "paid_in_full", r.text
    assert body["amount_recovered"] == "36000.00" and body["pending_actions"] == []
    assert [d["status"] for d in body["deadlines"]] == ["met", "met", "met"]
    kinds = [e["kind"] for e in body["timeline"]]
    assert kinds[:4] == ["received", "registered", "referred", "accepted"] and kinds[-1] == "closed"
    notice = body["documents"][-1]
    assert notice["kind"] == "result_notice"
    r = await api.http.get(notice["url"], headers=clerk)
    assert r.status_code == 200 and "处理结果告知书" in r.text and no in r.text

    stats = (await api.http.get("/api/stats", headers=hrss)).json()
    assert stats["total"] == 1 and stats["closed"] == 1 and stats["closure_rate"] == 1.0
    assert stats["by_unit"]["housing"]["closed"] == 1 and stats["amount_recovered"] == "36000.00"


async def test_acknowledge_runs_from_receipt_across_spring_festival(api):
    received = "2026-02-13T10:00:00+08:00"  # the Friday before the 2026 Spring Festival holiday
    case = await new_case(api, received_at=received)
    due = datetime.fromisoformat(case["deadlines"][0]["due_at"]).astimezone(timezone(timedelta(hours=8)))
    assert due.date().isoformat() == "2026-02-27"  # 14th (make-up day) + 24th..27th = 5 working days
    # long past: the workflow marks it missed and escalates at once
    for _ in range(50):
        detail = (await api.http.get(f"/api/cases/{case['case_no']}", headers=await api.as_admin())).json()
        if detail["escalations"]:
            break
        await asyncio.sleep(0.1)
    assert detail["deadlines"][0]["status"] == "missed"
    assert detail["escalations"][0]["level"] == "unit_head" and detail["overdue"] is True
    r = await api.http.get("/api/cases?overdue=true", headers=await api.as_admin())
    assert [c["case_no"] for c in r.json()["items"]] == [case["case_no"]]


async def test_idempotency_key_returns_the_same_case(api):
    clerk = await api.user("clerk1", "clerk", "petition")
    headers = {**clerk, "Idempotency-Key": "call-2026-0001"}
    first = await api.http.post("/api/cases", headers=headers, json=complaint())
    again = await api.http.post("/api/cases", headers=headers, json=complaint())
    assert first.status_code == 201 and again.status_code == 201
    assert first.json()["case_no"] == again.json()["case_no"]
    other = await api.http.post("/api/cases", headers=headers, json=complaint(description="另一件事"))
    assert other.status_code == 409 and "Idempotency-Key" in other.json()["detail"]
    listed = (await api.http.get("/api/cases", headers=await api.as_admin())).json()
    assert listed["total"] == 1


async def test_unit_scoping(api):
    case = await new_case(api)  # no project: hrss leads
    no = case["case_no"]
    transport = await api.user("transport1", "caseworker", "transport")
    hrss = await api.user("hrss1", "caseworker", "hrss")
    supervisor = await api.user("office1", "supervisor", "hrss")
    assert (await api.http.get(f"/api/cases/{no}", headers=transport)).status_code == 403
    assert (await api.act(transport, no, "accept")).status_code == 403
    assert (await api.http.get("/api/cases", headers=transport)).json()["total"] == 0
    assert (await api.http.get("/api/cases", headers=hrss)).json()["total"] == 1
    assert (await api.http.get(f"/api/cases/{no}", headers=supervisor)).status_code == 200
    detail = (await api.http.get(f"/api/cases/{no}", headers=await api.user("leader1", "leader", "hrss"))).json()
    assert detail["complainant"]["id_number"] == "110101********6632"  # masked for leaders
    assert (await api.http.get(f"/api/cases/{no}", headers=hrss)).json()["complainant"]["phone"] == "13800138000"
    assert (await api.http.get(f"/api/cases/{no}")).status_code == 401
    assert (await api.http.get("/api/cases/DX-2026-999999", headers=hrss)).status_code == 404


async def test_refused_actions_change_nothing(api):
    case = await new_case(api)
    no = case["case_no"]
    hrss = await api.user("hrss1", "caseworker", "hrss")
    clerk = await api.user("clerk1", "clerk", "petition")
    assert (await api.act(hrss, no, "order_payment", {"amount": 1})).status_code == 409
    assert (await api.act(clerk, no, "accept")).status_code == 403
    assert (await api.act(hrss, no, "fly")).status_code == 404
    assert (await api.act(hrss, no, "accept")).status_code == 200
    r = await api.act(hrss, no, "accept")
    assert r.status_code == 409 and "investigating" in r.json()["detail"]
    r = await api.act(hrss, no, "findings", {"substantiated": True})
    assert r.status_code == 422 and "liable_party" in r.json()["detail"]
    r = await api.act(hrss, no, "findings", {"substantiated": True, "liable_party": "employer", "amount_owed": "1.005"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.amount_owed"
    r = await api.act(hrss, no, "extend_investigation", {"working_days": 5, "reason": "x"})
    assert r.status_code == 403  # only the unit head may extend
    r = await api.act(hrss, no, "transfer", {"to_unit": "mars", "reason": "x"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.to_unit"
    before = (await api.http.get(f"/api/cases/{no}", headers=hrss)).json()
    assert before["version"] == 2 and len(before["timeline"]) == 4
    r = await api.act(hrss, no, "findings", {"substantiated": True, "liable_party": "employer", "amount_owed": "36000"})
    r = await api.act(hrss, no, "order_payment", {"due_at": "2020-01-01T00:00:00+08:00"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.due_at"
    await api.act(hrss, no, "order_payment", {})
    r = await api.act(hrss, no, "record_payment", {"amount": "36000.01", "payer": "employer"})
    assert r.status_code == 422 and "exceeds" in r.json()["detail"]
    r = await api.act(hrss, no, "record_payment", {"amount": "100", "payer": "employer", "reference": "B-1"})
    r = await api.act(hrss, no, "record_payment", {"amount": "100", "payer": "employer", "reference": "B-1"})
    assert r.status_code == 409
    after = (await api.http.get(f"/api/cases/{no}", headers=hrss)).json()
    assert after["amount_recovered"] == "100.00" and len(after["payments"]) == 1


@pytest.mark.parametrize(
    "change, field",
    [
        (dict(received_at="2099-01-01T00:00:00+08:00"), "body.received_at"),
        (dict(workers=[]), "body.workers"),
        (dict(channel="pigeon"), "body.channel"),
        (dict(complainant={"name": "张三", "id_number": "12345"}), "body.complainant.id_number"),
        (dict(project_id=1, project=PROJECT), "body"),
        (dict(project_id=424242), "body.project_id"),
        (dict(project={**PROJECT, "township": "atlantis"}), "body.project.township"),
        (dict(amount_claimed="-3"), "body.amount_claimed"),
    ],
)
async def test_bad_complaints_are_refused_and_nothing_is_written(api, change, field):
    clerk = await api.user("clerk1", "clerk", "petition")
    r = await api.http.post("/api/cases", headers=clerk, json=complaint(**change))
    assert r.status_code == 422, r.text
    assert any(e["field"].startswith(field) for e in r.json()["errors"]), r.json()
    assert (await api.http.get("/api/cases", headers=await api.as_admin())).json()["total"] == 0


async def test_transfer_and_list_filters(api):
    case = await new_case(api, project={**PROJECT, "type": "water", "township": "ekou"})
    no = case["case_no"]
    assert case["lead_unit"] == "water" and case["township"] == "ekou"
    water = await api.user("water1", "caseworker", "water")
    r = await api.act(water, no, "transfer", {"to_unit": "transport", "reason": "系交通工程"})
    assert r.status_code == 200 and r.json()["lead_unit"] == "transport", r.text
    assert [d["kind"] for d in r.json()["documents"]].count("referral") == 2
    admin = await api.as_admin()
    assert (await api.http.get("/api/cases?unit=transport", headers=admin)).json()["total"] == 1
    assert (await api.http.get("/api/cases?unit=water", headers=admin)).json()["total"] == 0
    assert (await api.http.get("/api/cases?township=ekou&stage=referred", headers=admin)).json()["total"] == 1
    assert (await api.http.get("/api/cases?q=劳务", headers=admin)).json()["total"] == 1
    assert (await api.http.get(f"/api/cases?q={no}", headers=admin)).json()["total"] == 1
    assert (await api.http.get("/api/cases?q=nothing-like-this", headers=admin)).json()["total"] == 0


async def test_order_due_date_means_end_of_that_day_in_china(api):
    case = await new_case(api)
    no = case["case_no"]
    head = await api.user("hrss_head", "unit_head", "hrss")
    await api.act(head, no, "accept")
    r = await api.act(head, no, "extend_investigation", {"working_days": 31, "reason": "需调取银行流水"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.working_days"
    await api.act(head, no, "findings", {"substantiated": True, "liable_party": "employer", "amount_owed": 100})
    year = datetime.now(timezone.utc).year + 1  # within the bound of a due date (domain.calendar.MAX_DUE_YEARS_AHEAD)
    r = await api.act(head, no, "order_payment", {"due_at": f"{year}-12-05"})
    assert r.status_code == 200, r.text
    due = [d for d in r.json()["deadlines"] if d["kind"] == "order_payment"][0]["due_at"]
    assert datetime.fromisoformat(due) == datetime(year, 12, 5, 23, 59, 59, tzinfo=timezone(timedelta(hours=8)))
