"""The court route over HTTP on the real dev server, with drill clocks of seconds (procedure 3): the court
application is refused while the decision's review and suit windows run, and after them until the 催告书 was
served and its period ended; then it is taken (行政强制法 arts. 53-54)."""

from datetime import datetime, timedelta, timezone

import pytest_asyncio

from tests.api.conftest import drill, serving, until_case
from tests.api.util import complaint

# The drill: the party's windows and the reminder's period in seconds (the shipped rules are 60 days,
# 6 months, 10 working days and 3 months).
DRILL = {"decision_review": 3, "decision_suit": 6, "review_suit": 3, "court_reminder": 3, "court_application": 120}


@pytest_asyncio.fixture
async def api(db_url, dev_server):
    async with serving(db_url, dev_server, drill(DRILL)) as client:
        yield client


def _soon(seconds: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(seconds=seconds)).isoformat()


def _open(detail: dict) -> set[str]:
    return {d["kind"] for d in detail["deadlines"] if d["status"] == "open"}


async def _serve(api, who, no, detail, kind) -> None:
    seq = next(d["seq"] for d in reversed(detail["documents"]) if d["kind"] == kind)
    served = {"seq": seq, "method": "direct", "served_at": _soon(-0.5), "recipient": "山西某劳务有限公司 张经理"}
    r = await api.act(who, no, "serve", served)
    assert r.status_code == 200, r.text


async def test_the_court_is_asked_only_after_the_windows_and_the_reminder(api):
    clerk = await api.user("clerk1", "clerk", "petition")
    hrss = await api.user("hrss1", "caseworker", "hrss")
    r = await api.http.post("/api/cases", headers=clerk, json=complaint())
    assert r.status_code == 201, r.text
    no = r.json()["case_no"]
    assert (await api.act(hrss, no, "accept")).status_code == 200
    r = await api.act(hrss, no, "findings", {"substantiated": True, "liable_party": "employer", "amount_owed": "36000"})
    assert r.status_code == 200, r.text
    r = await api.act(hrss, no, "decide_payment", {"due_at": _soon(2)})
    assert r.status_code == 200 and r.json()["stage"] == "decided", r.text
    await _serve(api, hrss, no, r.json(), "payment_decision")

    # the decision's date passes unpaid, below the crime threshold: the court route, no 催告书 yet
    detail = await until_case(api, hrss, no, lambda d: d["stage"] == "court_enforcement", "the court route")
    assert "court_reminder" not in {d["kind"] for d in detail["documents"]}
    for action in ("court_application", "serve_court_reminder"):
        r = await api.act(hrss, no, action)
        assert r.status_code == 409 and r.json()["code"] == "decision_windows_open", r.text
        assert "复议" in (await api.act({**hrss, "Accept-Language": "zh-CN"}, no, action)).json()["message"]

    # both windows pass unchallenged: the application's clock opens; the reminder comes first
    detail = await until_case(
        api, hrss, no, lambda d: "serve_court_reminder" in d["pending_actions"], "the windows passed"
    )
    assert "court_application" in _open(detail) and "court_application" not in detail["pending_actions"]
    decision = detail["enforcement"]["decision"]
    assert decision["final_at"] is not None and decision["served_at"] is not None and decision["challenges"] == []
    r = await api.act(hrss, no, "court_application")
    assert r.status_code == 409 and r.json()["code"] == "court_reminder_first", r.text
    r = await api.act(hrss, no, "serve_court_reminder")
    assert r.status_code == 200 and r.json()["documents"][-1]["kind"] == "court_reminder", r.text
    await _serve(api, hrss, no, r.json(), "court_reminder")
    r = await api.act(hrss, no, "court_application")
    assert r.status_code == 409 and r.json()["code"] == "court_reminder_running", r.text

    detail = await until_case(api, hrss, no, lambda d: "court_application" in d["pending_actions"], "reminder ended")
    r = await api.act(hrss, no, "court_application")
    assert r.status_code == 200 and r.json()["stage"] == "court_enforcement", r.text
    assert "court_accept" in _open(r.json()) and "court_application" not in _open(r.json())
