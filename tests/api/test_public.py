"""The complainants' door over HTTP (no login): file online, follow the case, be told, rate the handling.

Against a real dev server and worker, on SQLite and PostgreSQL (the `api` fixture)."""

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from httpx import ASGITransport, AsyncClient
from sqlmodel import Session, select

from api.public_door import MAX_COMPLAINTS_PER_ADDRESS, ONLINE_REGISTRANT, throttles
from api.public_forms import COOKIE, _mac
from api.web_auth import SESSION_COOKIE
from core.sms import HttpSmsSender, SmsError, SmsSettings, drain_outbox, sender_from_env
from db.cases import case_state, get_case
from db.outbox import ComplainantMessage, case_messages, enqueue_complainant_messages
from db.satisfaction import satisfaction_by_unit, unsatisfied_inbox
from tests.api.util import ID_NUMBER, ID_NUMBER_2, PHONE, complaint, row_counts


def client_from(api, address: str) -> AsyncClient:
    """Another HTTP client on the same app, from another address."""
    return AsyncClient(transport=ASGITransport(app=api.app, client=(address, 40000)), base_url="http://test")


async def file_online(api, **over) -> str:
    r = await api.http.post("/api/public/complaints", json=complaint(**over))
    assert r.status_code == 201, r.text
    assert set(r.json()) >= {"case_no", "lead_unit", "lead_unit_name"}
    return r.json()["case_no"]


async def progress(http, case_no: str, phone: str = PHONE):
    return await http.post("/api/public/progress", json={"case_no": case_no, "phone": phone})


async def test_file_online_follow_transfer_close_and_rate(api):
    case_no = await file_online(api, channel="hotline", received_at="2020-01-01T08:00:00+08:00")
    admin = await api.as_admin()
    detail = (await api.http.get(f"/api/cases/{case_no}", headers=admin)).json()
    assert detail["channel"] == "online" and detail["registered_by"] == ONLINE_REGISTRANT
    assert detail["received_at"] > "2026", "an online complaint is received when it arrives, never back-dated"
    assert [d["kind"] for d in detail["documents"]][:1] == ["receipt"]

    r = await progress(api.http, case_no, phone="139 1234 5678")  # typed with spaces: the same phone
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["case_no"] == case_no and body["stage"] == "referred" and body["stage_label"]
    assert body["lead_unit"] == "hrss" and "人力资源和社会保障" in body["lead_unit_name"]
    assert [(d["kind"], d["status"]) for d in body["deadlines"]] == [("acknowledge", "open")]
    assert body["deadlines"][0]["due_at"] == detail["deadlines"][0]["due_at"]
    assert body["outcome"] is None and body["transfers"] == []
    text = r.text
    for private in (ID_NUMBER, ID_NUMBER_2, "李建国", "山西某劳务有限公司", PHONE):
        assert private not in text, f"{private} leaked into the public view"

    hrss = await api.user("hrss1", "caseworker", "hrss")
    r = await api.act(hrss, case_no, "transfer", {"to_unit": "housing", "reason": "系住建领域工程项目"})
    assert r.status_code == 200, r.text
    body = (await progress(api.http, case_no)).json()
    assert body["lead_unit"] == "housing" and body["stage"] == "referred"
    assert [(t["from_unit"], t["to_unit"], t["reason"]) for t in body["transfers"]] == [
        ("hrss", "housing", "系住建领域工程项目")
    ]
    assert [d["status"] for d in body["deadlines"]] == ["met", "open"]

    r = await api.http.post("/api/public/ratings", json={"case_no": case_no, "phone": PHONE, "rating": "satisfied"})
    assert r.status_code == 409, "a case is rated once it is closed"
    housing = await api.user("housing1", "caseworker", "housing")
    r = await api.act(housing, case_no, "close", {"outcome": "withdrawn"})
    assert r.status_code == 200, r.text
    body = (await progress(api.http, case_no)).json()
    assert body["stage"] == "closed" and body["outcome"] == "withdrawn" and body["outcome_label"] == "投诉人撤回"
    assert body["can_rate"] is True
    assert {d["kind"] for d in body["documents"]} == {"receipt", "result_notice"}, "no referral, no internal papers"

    rate = {"case_no": case_no, "phone": PHONE, "rating": "unsatisfied", "comment": "拖了很久"}
    r = await api.http.post("/api/public/ratings", json=rate)
    assert r.status_code == 201 and r.json()["rating"] == "unsatisfied", r.text
    r = await api.http.post("/api/public/ratings", json={**rate, "rating": "satisfied"})
    assert r.status_code == 409, "rated once only"
    assert (await progress(api.http, case_no)).json()["rating"]["rating"] == "unsatisfied"
    with Session(api.app.state.engine) as session:
        assert satisfaction_by_unit(session)["housing"] == {
            "total": 1,
            "satisfied": 0,
            "basically_satisfied": 0,
            "unsatisfied": 1,
            "rate": 0.0,
        }
        assert [r.case_no for r in unsatisfied_inbox(session=session)] == [case_no]
    r = await api.http.get("/api/satisfaction", headers=admin)
    assert r.json()["by_unit"][0]["unit"] == "housing" and r.json()["rate"] == 0.0
    r = await api.http.get("/api/satisfaction/unsatisfied", headers=admin)
    assert [i["comment"] for i in r.json()["items"]] == ["拖了很久"]

    # told, not just shown: one message per event, none sent without a provider
    r = await api.http.get(f"/api/cases/{case_no}/messages", headers=admin)
    assert r.status_code == 200 and r.json()["sms_configured"] is False
    items = r.json()["items"]
    assert [m["kind"] for m in items] == ["registered", "transferred", "closed"]
    assert {m["status"] for m in items} == {"pending"} and all(m["sent_at"] is None for m in items)
    assert case_no in items[0]["text"] and "住房和城乡建设" in items[1]["text"] and "投诉人撤回" in items[2]["text"]

    # the office calls the unsatisfied complainant back; a case worker sees the rates but not the inbox
    office = (await api.user("office1", "supervisor", "hrss"))["Authorization"].removeprefix("Bearer ")
    session = {"Cookie": f"{SESSION_COOKIE}={office}"}
    page = await api.http.get("/satisfaction", headers=session)
    assert page.status_code == 200 and case_no in page.text and "拖了很久" in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    action = re.search(r'action="(/satisfaction/\d+/follow-up)"', page.text)[1]
    r = await api.http.post(action, headers=session, data={"csrf_token": "forged", "note": "已电话回访"})
    assert r.status_code == 403
    r = await api.http.post(action, headers=session, data={"csrf_token": csrf, "note": "已电话回访，解释了处理经过"})
    assert r.status_code == 303
    with Session(api.app.state.engine) as session:
        assert unsatisfied_inbox(session=session) == []
        (done,) = unsatisfied_inbox(session=session, include_done=True)
        assert done.follow_up == "done" and done.follow_up_by == "office1"
    worker = (await api.user("hrss1", "caseworker", "hrss"))["Authorization"].removeprefix("Bearer ")
    page = await api.http.get("/satisfaction", headers={"Cookie": f"{SESSION_COOKIE}={worker}"})
    assert page.status_code == 200 and 'id="satisfaction"' in page.text and 'id="unsatisfied"' not in page.text


async def test_a_retried_projection_queues_nothing_twice(api):
    case_no = await file_online(api)
    engine = api.app.state.engine
    jurisdiction = api.app.state.jurisdiction
    with Session(engine) as session:
        state = case_state(get_case(session=session, case_no=case_no))
        before = len(case_messages(session=session, case_no=case_no))
        added = enqueue_complainant_messages(
            session=session, state=state, unit_name=jurisdiction.unit_name, county=jurisdiction.name
        )
        session.commit()
        assert before == 1 and added == 0
        assert len(case_messages(session=session, case_no=case_no)) == 1
    hrss = await api.user("hrss1", "caseworker", "hrss")
    assert (await api.act(hrss, case_no, "accept")).status_code == 200
    r = await api.act(hrss, case_no, "findings", {"substantiated": False, "facts": "工资已结清"})
    assert r.status_code == 200, r.text
    with Session(engine) as session:
        messages = case_messages(session=session, case_no=case_no)
    assert [m.kind for m in messages] == ["registered", "decided"], "accepting is not told; the findings are"
    assert "未能查实" in messages[1].text and "12333" in messages[1].text
    r = await api.act(hrss, case_no, "transfer", {"reason": "不属本单位职责"})  # back to the office
    assert r.status_code == 200, r.text
    with Session(engine) as session:
        told = case_messages(session=session, case_no=case_no)[-1]
    assert told.kind == "transferred" and "领导小组办公室协调" in told.text
    (moved,) = (await progress(api.http, case_no)).json()["transfers"]
    assert moved["to_unit_name"] == jurisdiction.office_name and "协调" in moved["reason"]


def test_sms_provider_comes_from_the_environment(monkeypatch):
    assert sender_from_env(SmsSettings()) is None  # default: none, messages stay unsent
    with pytest.raises(ValueError, match="WAGECASE_SMS_URL"):
        sender_from_env(SmsSettings(provider="http"))
    monkeypatch.setenv("WAGECASE_SMS_PROVIDER", "http")
    monkeypatch.setenv("WAGECASE_SMS_URL", "http://127.0.0.1:9/sms")
    monkeypatch.setenv("WAGECASE_SMS_KEY", "secret-key")
    sender = sender_from_env()
    assert isinstance(sender, HttpSmsSender) and sender.url == "http://127.0.0.1:9/sms"
    assert "secret-key" not in repr(SmsSettings())
    with pytest.raises(SmsError, match="not reachable"):
        sender.send(PHONE, "测试")
    sender.close()


async def test_a_wrong_phone_and_an_unknown_case_get_the_same_404_and_the_sixth_failure_429(api):
    case_no = await file_online(api)
    wrong = await progress(api.http, case_no, phone="13700000000")
    unknown = await progress(api.http, case_no.replace("-0000", "-9999"))
    malformed = await progress(api.http, case_no, phone="not a phone")
    assert wrong.status_code == unknown.status_code == malformed.status_code == 404
    assert wrong.content == unknown.content == malformed.content
    assert ID_NUMBER not in wrong.text
    for _ in range(2):  # the case has four failures now, this address five
        assert (await progress(api.http, case_no, phone="13700000000")).status_code == 404
    sixth = await progress(api.http, case_no)  # five failures from this address: even the right phone waits
    assert sixth.status_code == 429 and int(sixth.headers["Retry-After"]) > 0
    async with client_from(api, "10.0.0.9") as other:  # another address: the case's own count is four
        assert (await progress(other, case_no)).status_code == 200
        assert (await progress(other, case_no, phone="13700000000")).status_code == 404  # the case's fifth
    async with client_from(api, "10.0.0.10") as third:  # a fresh address, but the case has failed five times
        assert (await progress(third, case_no)).status_code == 429
        second = await file_online(api)
        assert (await progress(third, second)).status_code == 200, "another case from that address is answered"


async def test_online_complaints_are_validated_and_limited_per_address(api):
    before = row_counts(api.app.state.engine)
    no_phone = complaint(complainant={"name": "王秀英", "id_number": ID_NUMBER})
    r = await api.http.post("/api/public/complaints", json=no_phone)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.complainant.phone", r.text
    bad_id = complaint(workers=[{"name": "王秀英", "id_number": "140923198506123019", "amount_owed": 100}])
    r = await api.http.post("/api/public/complaints", json=bad_id)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.workers.0.id_number", r.text
    assert row_counts(api.app.state.engine) == before, "a refused complaint wrote nothing"

    address = "10.1.1.1"
    for _ in range(MAX_COMPLAINTS_PER_ADDRESS - 1):  # as if this address had filed that many already
        throttles(api.app).complaints.failed("", address)
    async with client_from(api, address) as http:
        r = await http.post("/api/public/complaints", json=complaint())
        assert r.status_code == 201, r.text
        before = row_counts(api.app.state.engine)
        r = await http.post("/api/public/complaints", json=complaint())
        assert r.status_code == 429 and r.headers["Retry-After"], r.text
        assert row_counts(api.app.state.engine) == before
    assert (await api.http.post("/api/public/complaints", json=complaint())).status_code == 201  # other address


class FakeProvider(BaseHTTPRequestHandler):
    """An SMS provider on 127.0.0.1: accepts a message (answers its id) unless told to fail."""

    received: list = []
    fail = False

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeProvider.received.append((self.headers.get("Authorization"), body))
        if FakeProvider.fail:
            status, answer = 503, {"error": "busy"}
        else:
            status, answer = 200, {"message_id": f"m{len(self.received)}"}
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


async def test_the_sender_drains_the_outbox_through_an_http_provider(api):
    case_no = await file_online(api)
    server = HTTPServer(("127.0.0.1", 0), FakeProvider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sender = HttpSmsSender(f"http://127.0.0.1:{server.server_port}/sms", key="k-123", sign="代县人社")
    engine = api.app.state.engine
    try:
        FakeProvider.received, FakeProvider.fail = [], True
        assert drain_outbox(engine=engine, sender=sender) == 0
        with Session(engine) as session:
            (message,) = case_messages(session=session, case_no=case_no)
            assert message.status == "pending" and message.attempts == 1 and "503" in message.last_error
            message.next_attempt_at = None  # due again now
            session.add(message)
            session.commit()
        FakeProvider.fail = False
        assert drain_outbox(engine=engine, sender=sender) == 1
        assert drain_outbox(engine=engine, sender=sender) == 0, "a sent message is not sent again"
    finally:
        server.shutdown()
        sender.close()
    auth, body = FakeProvider.received[-1]
    assert auth == "Bearer k-123" and body["phone"] == PHONE and case_no in body["text"] and body["sign"] == "代县人社"
    with Session(engine) as session:
        (message,) = session.exec(select(ComplainantMessage).where(ComplainantMessage.case_no == case_no)).all()
        assert message.status == "sent" and message.provider_message_id == "m2" and message.sent_at is not None


async def test_public_pages_need_their_form_token(api):
    r = await api.http.get("/progress")
    assert r.status_code == 200 and 'lang="zh-CN"' in r.text and "viewport" in r.text
    r = await api.http.post("/progress", data={"case_no": "X", "phone": PHONE})  # no token: another site's form
    assert r.status_code == 403
    r = await api.http.post(
        "/complaint",
        data={
            "name": "王秀英",
            "phone": PHONE,
            "employer": "某公司",
            "worker.0.amount": "100",
            "form_token": "1.forged",
        },
    )
    assert r.status_code == 403 and "页面已过期" in r.text


def aged_token(api, http: AsyncClient, purpose: str, seconds: float) -> str:
    """A genuine token of the client's cookie, issued `seconds` ago (as if the form took that long)."""
    issued = f"{time.time() - seconds:.3f}"
    return f"{issued}.{_mac(api.app.state.settings, purpose, http.cookies[COOKIE], issued)}"


async def test_the_complaint_form_wants_a_person_s_pace_and_registers_once(api):
    r = await api.http.get("/complaint")
    token = re.search(r'name="form_token" value="([^"]+)"', r.text)[1]
    form = {
        "name": "王秀英",
        "phone": PHONE,
        "employer": "山西某劳务有限公司",
        "worker.0.amount": "12,000",
        "worker.1.name": "李建国",
        "worker.1.amount": "800",
        "place": "雁门关景区道路",
        "key": "k1",
    }
    before = row_counts(api.app.state.engine)
    r = await api.http.post("/complaint", data={**form, "form_token": token})  # sent the moment it was shown
    assert r.status_code == 422 and "提交太快" in r.text and 'value="李建国"' in r.text
    r = await api.http.post(
        "/complaint",
        data={**form, "form_token": aged_token(api, api.http, "complaint", 20), "website": "http://spam.example"},
    )
    assert r.status_code == 403
    r = await api.http.post(
        "/complaint", data={**form, "worker.0.amount": "很多", "form_token": aged_token(api, api.http, "complaint", 20)}
    )
    assert r.status_code == 422 and "第1行" in r.text
    assert row_counts(api.app.state.engine) == before, "nothing registered from a refused form"

    token = aged_token(api, api.http, "complaint", 20)
    r = await api.http.post("/complaint", data={**form, "form_token": token})
    assert r.status_code == 200 and "投诉已受理" in r.text, r.text
    case_no = re.search(r'id="case-no">([^<]+)<', r.text)[1]
    admin = await api.as_admin()
    detail = (await api.http.get(f"/api/cases/{case_no}", headers=admin)).json()
    assert [(w["name"], w["amount_owed"]) for w in detail["workers"]] == [("王秀英", "12000.00"), ("李建国", "800.00")]
    assert detail["channel"] == "online" and detail["description"].startswith("工地或项目：雁门关景区道路")
    r = await api.http.post("/complaint", data={**form, "form_token": token})
    assert r.status_code == 409 and "已经提交过" in r.text, "one token, one complaint"
    r = await api.http.post(
        "/progress/document",
        data={
            "case_no": case_no,
            "phone": PHONE,
            "seq": "1",
            "format": "html",
            "form_token": aged_token(api, api.http, "document", 1),
        },
    )
    assert r.status_code == 200 and "受理回执" in r.text and case_no in r.text
    r = await api.http.post(
        "/progress/document",
        data={"case_no": case_no, "phone": PHONE, "seq": "2", "form_token": aged_token(api, api.http, "document", 1)},
    )
    assert r.status_code == 404, "the referral is not the complainant's document"
