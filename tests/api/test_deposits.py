"""Deposit endpoints and the enforcement ladder over HTTP, against a real dev server, on SQLite and PostgreSQL."""

import asyncio
from datetime import datetime, timedelta, timezone

from sqlmodel import Session

from db.audit import list_views
from tests.api.test_cases import PROJECT, complaint

BANK = "中国农业银行代县支行"


async def project(api, **over) -> int:
    clerk = await api.user("clerk1", "clerk", "petition")
    r = await api.http.post("/api/projects", headers=clerk, json={**PROJECT, **over})
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def case_until(api, who, case_no, predicate, what, seconds=20.0) -> dict:
    """The case once `predicate` holds; the workflow acts on its own clock in real time."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        body = (await api.http.get(f"/api/cases/{case_no}", headers=who)).json()
        if predicate(body):
            return body
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(
                f"case {case_no} never reached {what}: stage {body.get('stage')}, "
                f"timeline {[e['kind'] for e in body.get('timeline', [])]}"
            )
        await asyncio.sleep(0.25)


async def ordered_case(api, project_id, lead, workers=None, amount=36000, due_in=2.0) -> str:
    clerk = await api.user("clerk1", "clerk", "petition")
    body = complaint(project_id=project_id)
    if workers:
        body["workers"] = workers
    r = await api.http.post("/api/cases", headers=clerk, json=body)
    assert r.status_code == 201, r.text
    no = r.json()["case_no"]
    assert (await api.act(lead, no, "accept")).status_code == 200
    r = await api.act(
        lead, no, "findings", {"substantiated": True, "liable_party": "general_contractor", "amount_owed": amount}
    )
    assert r.status_code == 200, r.text
    assert r.json()["suggested_liable_party"] == "general_contractor"
    due = (datetime.now(timezone.utc) + timedelta(seconds=due_in)).isoformat()
    inspector = await api.user("hrss1", "caseworker", "hrss")  # labour inspection orders, whatever unit leads
    r = await api.act(inspector, no, "order_payment", {"due_at": due})
    assert r.status_code == 200 and r.json()["stage"] == "payment_ordered", r.text
    # the order runs out unpaid: the case waits for the handling decision, and draws nothing yet
    case = await case_until(api, lead, no, lambda c: "decide_payment" in c["pending_actions"], "decision awaited")
    assert case["stage"] == "payment_ordered" and case["payments"] == []
    assert "decision" in {d["kind"] for d in case["deadlines"] if d["status"] == "open"}
    r = await api.act(lead, no, "decide_payment", {"compensation_percent": 50})
    assert r.status_code == 403 and r.json()["code"] == "authority_only", r.text
    due = (datetime.now(timezone.utc) + timedelta(seconds=due_in)).isoformat()
    r = await api.act(inspector, no, "decide_payment", {"due_at": due, "compensation_percent": 50})
    assert r.status_code == 200 and r.json()["stage"] == "decided", r.text
    assert r.json()["documents"][-1]["kind"] == "payment_decision"
    return no


async def test_deposit_ledger_endpoints(api):
    housing = await api.user("housing1", "caseworker", "housing")
    hrss = await api.user("hrss1", "caseworker", "hrss")
    transport = await api.user("transport1", "caseworker", "transport")
    clerk = await api.user("clerk1", "clerk", "petition")
    pid = await project(api, contract_amount="8000000.00")
    url = f"/api/projects/{pid}/deposit"

    r = await api.http.get(url, headers=clerk)
    assert r.status_code == 200 and r.json() == {
        "project_id": pid,
        "balance": "0.00",
        "ledger": [],
        "cases_notified": [],
        "cases_not_notified": {},
    }
    assert (await api.http.post(url, headers=clerk, json={"amount": 100, "bank": BANK})).status_code == 403
    assert (await api.http.post(url, headers=transport, json={"amount": 100, "bank": BANK})).status_code == 403
    r = await api.http.post(url, headers=housing, json={"amount": 100, "kind": "replenish"})
    assert r.status_code == 409, r.text  # nothing to replenish before a deposit
    r = await api.http.post(url, headers=housing, json={"amount": 100})
    assert r.status_code == 422 and "bank" in r.text
    assert (await api.http.post(url, headers=housing, json={"amount": "-5", "bank": BANK})).status_code == 422

    key = {"Idempotency-Key": "dep-1"}
    for _ in range(2):  # a repeated request (same key) records the money once
        first = await api.http.post(url, headers={**housing, **key}, json={"amount": "50000.00", "bank": BANK})
        assert first.status_code == 201, first.text
    assert first.json()["balance"] == "50000.00" and len(first.json()["ledger"]) == 1
    r = await api.http.post(url, headers={**hrss, **key}, json={"amount": "60000.00", "bank": BANK})
    assert r.status_code == 409  # the key was used for other money
    r = await api.http.post(url, headers=hrss, json={"amount": "50000.01", "kind": "refund"})
    assert r.status_code == 409 and "exceeds" in r.json()["detail"]
    r = await api.http.post(url, headers=hrss, json={"amount": 1000, "kind": "refund", "reference": "退-1"})
    assert r.status_code == 201 and r.json()["balance"] == "49000.00", r.text
    ledger = (await api.http.get(url, headers=clerk)).json()["ledger"]
    assert [(e["kind"], e["amount"], e["case_no"]) for e in ledger] == [
        ("deposit", "50000.00", None),
        ("refund", "1000.00", None),
    ]
    assert (await api.http.get("/api/projects/999999/deposit", headers=clerk)).status_code == 404

    r = await api.http.get(f"{url}/requirement", headers=clerk)
    body = r.json()
    assert r.status_code == 200 and (body["ratio_min"], body["ratio_max"]) == ("1", "3"), r.text
    assert (body["amount_min"], body["amount_max"]) == ("80000.00", "240000.00")
    r = await api.http.get(f"{url}/requirement", headers=clerk, params={"years_without_arrears": 2})
    assert (r.json()["adjustment"], r.json()["amount_max"]) == ("reduced", "120000.00")
    r = await api.http.get(
        f"{url}/requirement", headers=clerk, params={"contract_amount": "1000000", "arrears_in_last_two_years": "true"}
    )
    assert (r.json()["ratio_max"], r.json()["amount_max"]) == ("4.5", "45000.00")
    r = await api.http.get(
        f"{url}/requirement", headers=clerk, params={"years_without_arrears": 3, "arrears_in_last_two_years": "true"}
    )
    assert r.status_code == 422
    r = await api.http.get(f"{url}/requirement", headers=clerk, params={"contract_amount": "1.1e308"})
    assert r.status_code == 422


async def test_missed_order_draws_the_deposit_and_replenishment_closes_the_case(api):
    housing = await api.user("housing1", "caseworker", "housing")
    pid = await project(api)
    url = f"/api/projects/{pid}/deposit"
    assert (await api.http.post(url, headers=housing, json={"amount": "50000", "bank": BANK})).status_code == 201
    workers = complaint()["workers"]
    workers[0].update(bank="山西代县农村商业银行", bank_account="6230910123456789012")
    no = await ordered_case(api, pid, housing, workers=workers)

    case = await case_until(api, housing, no, lambda c: c["stage"] == "deposit_drawdown", "deposit drawdown")
    assert case["amount_recovered"] == "36000.00" and case["outstanding"] == "0.00"
    assert [(p["payer"], p["amount"]) for p in case["payments"]] == [("deposit", "36000.00")]
    assert case["enforcement"]["deposit_drawn"] == "36000.00" and case["enforcement"]["deposit_bank"] == BANK
    assert {"deposit_payout", "deposit_replenish"} <= {d["kind"] for d in case["deadlines"] if d["status"] == "open"}
    assert {"confirm_deposit_payout", "deposit_replenished"} <= set(case["pending_actions"])
    notice = next(d for d in case["documents"] if d["kind"] == "deposit_payout")
    html = (await api.http.get(notice["url"], headers=housing)).text
    assert "工资保证金支付通知书" in html and BANK in html and "¥36,000.00（大写：人民币叁万陆仟元整）" in html
    assert "6230910123456789012" in html and workers[0]["id_number"] in html  # what the bank pays on
    assert "6230910123456789012" not in str(case)  # the case detail does not show accounts
    # the notice shows ID numbers unmasked: opening it is audited
    with Session(api.app.state.engine) as session:
        views = [v for v in list_views(session=session, case_no=no)[0] if v.via == "document"]
    assert [(v.username, v.detail) for v in views] == [("housing1", f"工资保证金支付通知书（第{notice['seq']}号文书）")]
    book = (await api.http.get(url, headers=housing)).json()
    assert book["balance"] == "14000.00"
    assert [(e["kind"], e["amount"], e["case_no"]) for e in book["ledger"]][-1] == ("drawdown", "36000.00", no)

    r = await api.act(housing, no, "confirm_deposit_payout", {"reference": "农行回单0012"})
    assert r.status_code == 200 and r.json()["stage"] == "deposit_drawdown", r.text
    r = await api.http.post(url, headers=housing, json={"amount": "36000", "kind": "replenish"})
    assert r.status_code == 201 and r.json()["cases_notified"] == [no], r.text
    assert r.json()["balance"] == "50000.00"
    case = (await api.http.get(f"/api/cases/{no}", headers=housing)).json()
    assert case["stage"] == "closed" and case["outcome"] == "paid_in_full"
    assert (await api.http.get(url, headers=housing)).json()["ledger"][-1]["kind"] == "replenish"


async def test_police_see_and_decide_the_cases_referred_to_them(api):
    housing = await api.user("housing1", "caseworker", "housing")
    head = await api.user("housing_head", "unit_head", "housing")
    hrss_head = await api.user("hrss_head", "unit_head", "hrss")
    police = await api.user("police1", "liaison", "police")
    pid = await project(api)
    workers = [{"name": f"工人{i}", "amount_owed": 6000} for i in range(12)]
    no = await ordered_case(api, pid, housing, workers=workers, amount=72000)  # no deposit at all
    assert (await api.http.get(f"/api/cases/{no}", headers=police)).status_code == 403

    case = await case_until(api, housing, no, lambda c: c["stage"] == "police_referred", "police referral")
    assert "approve_police_referral" in case["pending_actions"]
    assert (await api.act(housing, no, "approve_police_referral")).status_code == 403
    r = await api.act(head, no, "approve_police_referral")  # the lead unit's head: labour inspection approves
    assert r.status_code == 403 and r.json()["code"] == "authority_only", r.text
    r = await api.act(hrss_head, no, "approve_police_referral")  # the decision was never served on the party
    assert r.status_code == 409 and r.json()["code"] == "order_not_served", r.text
    decision = next(d for d in case["documents"] if d["kind"] == "payment_decision")
    served = {
        "seq": decision["seq"],
        "method": "direct",
        "served_at": case["timeline"][-1]["at"],
        "recipient": "王经理",
    }
    assert (await api.act(hrss_head, no, "serve", served)).status_code == 200
    r = await api.act(hrss_head, no, "approve_police_referral")
    assert r.status_code == 200 and r.json()["documents"][-1]["kind"] == "police_transfer", r.text
    assert (await api.act(housing, no, "transfer_to_police", {"reference": "回执-7"})).status_code == 200

    listed = (await api.http.get("/api/cases", headers=police)).json()
    assert [c["case_no"] for c in listed["items"]] == [no]
    r = await api.act(police, no, "police_decision", {"filed": False})
    assert r.status_code == 422  # a refusal needs its reason
    r = await api.act(police, no, "police_decision", {"filed": True, "reason": "立案侦查"})
    body = r.json()
    assert r.status_code == 200 and body["enforcement"]["police_filed"] is True, r.text
    assert body["milestones"]["police_referred_at"] is not None and "police" in body["enforcement"]["liaison_units"]
    assert (await api.act(housing, no, "close", {"outcome": "transferred_to_court"})).status_code == 200
