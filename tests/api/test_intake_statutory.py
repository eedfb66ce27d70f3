"""Intake under procedure 3 over HTTP (SQLite and PostgreSQL): late entries, the limitation, petitions."""

from datetime import datetime, timedelta, timezone

import pytest

from tests.api.test_cases import PROJECT, complaint

CHINA = timezone(timedelta(hours=8))


def china_days_ago(days: int) -> str:
    return (datetime.now(CHINA) - timedelta(days=days)).replace(microsecond=0).isoformat()


async def post(api, lang="en", **over):
    clerk = await api.user("clerk1", "clerk", "petition")
    return await api.http.post("/api/cases", headers={**clerk, "Accept-Language": lang}, json=complaint(**over))


def field_error(r, field: str) -> str:
    assert r.status_code == 422, r.text
    errors = [e for e in r.json()["errors"] if e["field"] == field]
    assert errors, r.json()
    return errors[0]["message"]


@pytest.mark.parametrize("lang,words", [("en", ("late_entry_reason", "24")), ("zh", ("补录原因", "24个月"))])
async def test_received_more_than_two_years_back_needs_a_reason(api, lang, words):
    r = await post(api, lang, received_at=china_days_ago(3 * 365))
    message = field_error(r, "body.received_at")
    assert all(w in message for w in words), message
    assert (await api.http.get("/api/cases", headers=await api.as_admin())).json()["total"] == 0


@pytest.mark.parametrize("received", ["1900-01-01T00:00:00+08:00", "1900-01-01T00:00:00", "0001-01-01T00:00:00+08:00"])
async def test_a_date_before_the_records_is_refused_even_with_a_reason(api, received):
    r = await post(api, "zh", received_at=received, late_entry_reason="补录")
    message = field_error(r, "body.received_at")
    assert "早于2000-01-01" in message, message
    assert (await api.http.get("/api/cases", headers=await api.as_admin())).json()["total"] == 0


async def test_a_late_entry_with_its_reason_is_registered_without_escalations(api):
    r = await post(api, received_at=china_days_ago(3 * 365), late_entry_reason="乡镇纸质台账移交补录")
    assert r.status_code == 201, r.text
    case = r.json()
    detail = (await api.http.get(f"/api/cases/{case['case_no']}", headers=await api.as_admin())).json()
    late = [e for e in detail["timeline"] if e["kind"] == "late_entry"]
    assert late and detail["escalations"] == [] and detail["overdue"] is False
    ack = detail["deadlines"][0]
    assert ack["kind"] == "acknowledge" and ack["status"] == "open"
    assert datetime.fromisoformat(ack["due_at"]) > datetime.now(timezone.utc)


async def test_arrears_ended_in_the_future_is_refused(api):
    tomorrow = (datetime.now(CHINA) + timedelta(days=2)).date().isoformat()
    message = field_error(await post(api, arrears_ended_at=tomorrow), "body.arrears_ended_at")
    assert "still owed" in message


async def test_out_of_limitation_is_registered_flagged_and_not_accepted_with_its_notice(api):
    ended = (datetime.now(CHINA) - timedelta(days=3 * 365)).date().isoformat()
    r = await post(api, project=PROJECT, arrears_ended_at=ended)
    assert r.status_code == 201, r.text
    case = r.json()
    no = case["case_no"]
    assert case["lead_unit"] == "housing" and [d["kind"] for d in case["documents"]] == ["receipt", "referral"]
    assert "limitation_decision" in case["pending_actions"] and "accept" not in case["pending_actions"]
    housing = await api.user("housing1", "caseworker", "housing")
    r = await api.act(housing, no, "accept")
    assert r.status_code == 409 and r.json()["code"] == "limitation_pending", r.text
    r = await api.act(housing, no, "limitation_decision", {"proceed": False, "reason": "超过2年"})
    assert r.status_code == 403, r.text  # labour inspection's decision
    hrss = await api.user("hrss1", "caseworker", "hrss")
    r = await api.act(hrss, no, "limitation_decision", {"proceed": False, "reason": "欠薪行为终了已逾2年"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["stage"] == "closed" and body["outcome"] == "out_of_limitation"
    notice = body["documents"][-1]
    assert notice["kind"] == "non_acceptance"
    html = (await api.http.get(notice["url"], headers=hrss)).text
    assert "不予受理通知书" in html and "第二十条" in html and "县人力资源和社会保障局" in html


async def test_a_petition_has_its_clocks_and_the_receiving_unit_may_object(api):
    r = await post(api, channel="petition", project=PROJECT)
    assert r.status_code == 201, r.text
    case = r.json()
    assert [d["kind"] for d in case["deadlines"]] == ["acknowledge", "petition_register", "referral_objection"]
    assert "object_referral" in case["pending_actions"]
    housing = await api.user("housing1", "caseworker", "housing")
    r = await api.act(housing, case["case_no"], "object_referral", {"reason": "不属本单位职权范围"})
    assert r.status_code == 200 and r.json()["lead_unit"] == "hrss", r.text
    kinds = {(d["kind"], d["status"]) for d in r.json()["deadlines"]}
    assert ("referral_objection", "met") in kinds and ("acknowledge", "cancelled") in kinds


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # edge validation: the database plays no part
@pytest.mark.parametrize(
    "over,status,field",
    [
        ({"received_at": "0001-01-01T00:00:00+14:00"}, 422, "body.received_at"),
        ({"received_at": "9999-12-31T23:59:59-12:00", "late_entry_reason": "x"}, 422, "body.received_at"),
        ({"arrears_ended_at": "9999-12-31"}, 422, "body.arrears_ended_at"),
        ({"arrears_ended_at": "2026-02-30"}, 422, "body.arrears_ended_at"),
        ({"late_entry_reason": ""}, 422, "body.late_entry_reason"),
        ({"arrears_ended_at": "0001-01-01"}, 201, None),  # flagged, not refused: 有案必接
    ],
)
async def test_extreme_dates_are_answered_never_with_a_server_error(api, over, status, field):
    r = await post(api, **over)
    assert r.status_code == status, r.text
    if field:
        field_error(r, field)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_public_form_takes_the_end_of_the_arrears(api):
    from tests.api.test_public import PHONE, aged_token

    r = await api.http.get("/complaint")
    assert 'name="arrears_ended" type="date"' in r.text
    form = {"name": "王秀英", "phone": PHONE, "employer": "山西某劳务有限公司", "worker.0.amount": "12000"}
    future = (datetime.now(CHINA) + timedelta(days=3)).date().isoformat()
    r = await api.http.post(
        "/complaint",
        data={**form, "arrears_ended": future, "form_token": aged_token(api, api.http, "complaint", 20)},
    )
    assert r.status_code == 422 and "不能晚于今天" in r.text
    r = await api.http.post(
        "/complaint",
        data={**form, "arrears_ended": "2020-01-31", "form_token": aged_token(api, api.http, "complaint", 20)},
    )
    assert r.status_code == 200 and "投诉已受理" in r.text, r.text
    listed = (await api.http.get("/api/cases", headers=await api.as_admin())).json()["items"]
    detail = (await api.http.get(f"/api/cases/{listed[0]['case_no']}", headers=await api.as_admin())).json()
    assert "limitation_decision" in detail["pending_actions"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_web_intake_form_asks_for_the_reason_of_a_late_entry(api):
    from tests.api.web_client import WebClient

    await api.user("clerk1", "clerk", "petition")
    long_ago = (datetime.now(CHINA) - timedelta(days=3 * 365)).strftime("%Y-%m-%dT%H:%M")
    form = {
        "channel": "hotline",
        "received_at": long_ago,
        "arrears_ended_at": "2020-06-30",
        "complainant.name": "王秀英",
        "employer.name": "山西某劳务有限公司",
        "workers.0.name": "王秀英",
        "workers.0.amount_owed": "12000",
        "worker_rows": "1",
    }
    async with WebClient(api.app) as web:
        assert (await web.login("clerk1", "password-123")).status_code == 303
        page = await web.get("/cases/new")
        assert 'name="arrears_ended_at"' in page.text and 'name="late_entry_reason"' in page.text
        r = await web.post("/cases/new", form)
        assert r.status_code == 422 and "请填写补录原因" in r.text
        r = await web.post("/cases/new", {**form, "late_entry_reason": "乡镇纸质台账移交补录"})
        assert r.status_code == 303, r.text[:300]
        case_no = r.headers["location"].removeprefix("/cases/")
    detail = (await api.http.get(f"/api/cases/{case_no}", headers=await api.as_admin())).json()
    assert "late_entry" in [e["kind"] for e in detail["timeline"]]
    assert "limitation_decision" in detail["pending_actions"]
