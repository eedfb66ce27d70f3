"""The blacklist actions over HTTP, on the real dev server: an order that runs out unpaid, the proposal
with its written notice, the employer's statement, the decision once the notice period ended (人社部令45号)."""

import asyncio
from datetime import datetime, timedelta, timezone

import pytest_asyncio

from tests.api.conftest import drill, serving, until_case
from tests.api.util import complaint

LEGAL_REP = {"name": "王某", "id_number": "11010519491231002X", "role": "legal_representative"}
MANAGER = {"name": "李某", "id_number": "110101199003071233", "role": "responsible"}
NOTICE_SECONDS = 6  # the employer's period to state its case, shortened so the test can see it end


@pytest_asyncio.fixture
async def api(db_url, dev_server):
    """The API and a worker whose jurisdiction gives the employer seconds, not 5 working days."""
    async with serving(db_url, dev_server, drill({"blacklist_notice": NOTICE_SECONDS})) as client:
        yield client


async def test_an_employer_is_proposed_heard_and_listed_over_http(api):
    clerk = await api.user("clerk1", "clerk", "petition")
    hrss = await api.user("hrss1", "caseworker", "hrss")
    head = await api.user("hrss_head", "unit_head", "hrss")
    r = await api.http.post("/api/cases", headers=clerk, json=complaint(group_incident=True))
    assert r.status_code == 201, r.text
    no = r.json()["case_no"]
    assert (await api.act(hrss, no, "accept")).status_code == 200
    r = await api.act(hrss, no, "findings", {"substantiated": True, "liable_party": "employer", "amount_owed": "36000"})
    assert r.status_code == 200, r.text
    assert (await api.act(hrss, no, "propose_blacklist")).status_code == 409  # no order has run out yet
    due = datetime.now(timezone.utc) + timedelta(seconds=2)
    assert (await api.act(hrss, no, "order_payment", {"due_at": due.isoformat()})).status_code == 200

    detail = await until_case(
        api, hrss, no, lambda d: "propose_blacklist" in d["pending_actions"], "the order running out unpaid"
    )
    # the order ran out unpaid: the case found the grounds by itself and started the decision clock at the
    # lapse (人社部令45号 art. 8), while it waits for the handling decision
    assert detail["stage"] == "payment_ordered" and "decide_payment" in detail["pending_actions"]
    assert detail["enforcement"]["blacklist_grounds_at"] and detail["enforcement"]["blacklist"] is None
    [clock] = [d for d in detail["deadlines"] if d["kind"] == "blacklist_decision"]
    assert clock["status"] == "open" and any(e["kind"] == "blacklist_grounds" for e in detail["timeline"])
    r = await api.act(hrss, no, "propose_blacklist", {"grounds": "x"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.grounds"
    r = await api.act(hrss, no, "propose_blacklist")
    assert r.status_code == 422 and r.json()["code"] == "persons_need_head", r.text
    bad = [{**LEGAL_REP, "id_number": "110105194912310021"}]
    r = await api.act(hrss, no, "propose_blacklist", {"persons": bad})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.persons.0.id_number", r.text
    r = await api.act(hrss, no, "propose_blacklist", {"persons": [LEGAL_REP, {**MANAGER, "role": "boss"}]})
    assert r.status_code == 422, r.text
    # the extension: labour inspection's head only, once, recorded on the timeline
    r = await api.act(hrss, no, "extend_blacklist_decision", {"reason": "情况复杂"})
    assert r.status_code == 403, r.text
    office = await api.user("office1", "supervisor", "hrss")
    assert (await api.act(office, no, "extend_blacklist_decision", {"reason": "情况复杂"})).status_code == 403
    r = await api.act(head, no, "extend_blacklist_decision", {"reason": "涉及多名直接责任人员，情况复杂"})
    assert r.status_code == 200, r.text
    [extended] = [d for d in r.json()["deadlines"] if d["kind"] == "blacklist_decision"]
    assert extended["due_at"] > clock["due_at"] and r.json()["timeline"][-1]["kind"] == "blacklist_decision_extended"
    assert "extend_blacklist_decision" not in r.json()["pending_actions"]
    r = await api.act(head, no, "extend_blacklist_decision", {"reason": "再次延长"})
    assert r.status_code == 409 and r.json()["code"] == "blacklist_extension_not_awaited"
    r = await api.act(hrss, no, "propose_blacklist", {"persons": [LEGAL_REP, MANAGER]})
    assert r.status_code == 200, r.text
    proposed = r.json()
    assert proposed["enforcement"]["blacklist"] == "proposed"
    assert [(p["name"], p["role"]) for p in proposed["enforcement"]["blacklist_persons"]] == [
        ("王某", "legal_representative"),
        ("李某", "responsible"),
    ]
    [notice] = [d for d in proposed["documents"] if d["kind"] == "blacklist_notice"]
    html = (await api.http.get(notice["url"], headers=hrss)).text
    assert "法定代表人王某（公民身份号码：11010519491231002X）" in html and "直接责任人员李某" in html
    assert "blacklist_notice" in [d["kind"] for d in proposed["documents"]]
    assert "blacklist_decision" not in proposed["pending_actions"]  # the employer may still state its case
    r = await api.act(head, no, "blacklist_decision", {"listed": True})
    assert r.status_code == 409 and r.json()["code"] == "blacklist_decision_not_awaited", r.text
    r = await api.act(hrss, no, "blacklist_objection", {"text": "  资金周转困难，请求暂缓列入  "})
    assert r.status_code == 200, r.text
    assert any(e["summary"] == "当事人陈述申辩：资金周转困难，请求暂缓列入" for e in r.json()["timeline"])

    await until_case(api, hrss, no, lambda d: "blacklist_decision" in d["pending_actions"], "the notice period ending")
    r = await api.act(head, no, "blacklist_decision", {"listed": False})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.reason"
    assert (await api.act(hrss, no, "blacklist_decision", {"listed": True})).status_code == 403  # the unit head
    r = await api.act(head, no, "blacklist_decision", {"listed": True})
    assert r.status_code == 200, r.text
    assert r.json()["enforcement"]["blacklist"] == "listed" and r.json()["enforcement"]["blacklist_until"]
    listed = (await api.http.get("/api/blacklist", headers=clerk)).json()
    assert [e["case_no"] for e in listed["items"]] == [no] and listed["items"][0]["status"] == "listed"
    entry = listed["items"][0]
    assert [p["name"] for p in entry["persons"]] == ["王某", "李某"] and entry["procedure"] == 3
    assert entry["corrected_at"] is None and entry["removal_from"] is None
    # paid in full: the correction instant is the payment's, and early removal counts 6 months from it
    r = await api.act(hrss, no, "record_payment", {"amount": "36000", "payer": "employer"})
    assert r.status_code == 200, r.text
    paid_at = [e for e in r.json()["timeline"] if e["kind"] == "payment_recorded"][-1]["at"]
    entry = await _entry_once(api, clerk, no, lambda e: e["corrected_at"] is not None)
    assert datetime.fromisoformat(entry["corrected_at"]) == datetime.fromisoformat(paid_at)
    r = await api.http.post(
        f"/api/blacklist/{entry['id']}/removal_application", headers=hrss, json={"written_promise": True}
    )
    assert r.status_code == 409 and r.json()["code"] == "removal_too_early_after_correction", r.text


async def _entry_once(api, who, case_no: str, ready) -> dict:
    for _ in range(100):
        items = (await api.http.get("/api/blacklist", headers=who)).json()["items"]
        entry = next(e for e in items if e["case_no"] == case_no)
        if ready(entry):
            return entry
        await asyncio.sleep(0.1)
    raise AssertionError(f"{case_no}: the entry never got there: {entry}")


async def test_refusals_are_said_by_code_in_the_language_asked_for(api):
    async def act_in(language: str, action: str, body: dict | None = None):
        return await api.http.post(
            f"/api/cases/{no}/actions/{action}", json=body or {}, headers={**hrss, "Accept-Language": language}
        )

    clerk = await api.user("clerk1", "clerk", "petition")
    hrss = await api.user("hrss1", "caseworker", "hrss")
    no = (await api.http.post("/api/cases", headers=clerk, json=complaint())).json()["case_no"]
    assert (await api.act(hrss, no, "accept")).status_code == 200
    r = await api.act(hrss, no, "accept")
    assert r.status_code == 409 and r.json()["code"] == "not_allowed_in_stage"
    assert r.json()["message"] == r.json()["detail"] and "investigating" in r.json()["message"]
    r = await act_in("zh-CN,zh;q=0.9,en;q=0.5", "accept")
    assert r.status_code == 409 and r.json()["message"] == "案件当前处于“立案调查”阶段，不能办理此事项"
    r = await act_in("zh-CN", "findings", {"substantiated": True})
    assert r.status_code == 422 and r.json()["code"] == "findings_incomplete"
    assert r.json()["errors"] == [
        {"field": "body.liable_party", "message": "认定属实的，须选择责任主体并填写认定拖欠金额"}
    ]
    r = await act_in("zh", "findings", {"substantiated": "maybe"})
    assert r.status_code == 422 and r.json()["errors"] == [{"field": "body.substantiated", "message": "请选择"}]
