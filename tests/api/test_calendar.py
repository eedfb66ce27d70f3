"""The working-day calendar over HTTP: a provisional 2027, the official schedule loaded by the admin
(versioned, checked by field), open cases recomputed through the fan-out workflow, the admin's page,
and the due-date bound. SQLite and PostgreSQL, a real dev server and worker."""

import asyncio
from datetime import date, datetime

from api.web_auth import CSRF_FIELD, SESSION_COOKIE, csrf_token_for
from core.calendar import YearSchedule, build_calendar
from domain.calendar import CHINA_TZ, add_working_days
from tests.api.util import complaint, row_counts

# A 2027 schedule of our own making (not the State Council's): 春节 5-8 Feb only, Sun 14 Feb worked.
HOLIDAYS = [
    "2027-01-01",
    "2027-02-05~2027-02-08",
    "2027-04-05",
    "2027-05-01~2027-05-02",
    "2027-06-09",
    "2027-09-15",
    "2027-10-01~2027-10-03",
]


def days(spec: list[str]) -> list[str]:
    out = []
    for item in spec:
        first, _, last = item.partition("~")
        a, b = date.fromisoformat(first), date.fromisoformat(last or first)
        out += [date.fromordinal(o).isoformat() for o in range(a.toordinal(), b.toordinal() + 1)]
    return out


SCHEDULE = {"holidays": days(HOLIDAYS), "workdays": ["2027-02-14"], "source": "测试用安排〔2026〕1号"}
OFFICIAL = build_calendar(
    schedules={
        2027: YearSchedule(
            2027, frozenset(map(date.fromisoformat, SCHEDULE["holidays"])), frozenset({date(2027, 2, 14)})
        )
    }
)


async def accepted_case(api) -> tuple[str, dict]:
    clerk = await api.user("clerk1", "clerk", "petition")
    hrss = await api.user("hrss1", "caseworker", "hrss")
    r = await api.http.post("/api/cases", headers=clerk, json=complaint())
    assert r.status_code == 201, r.text
    no = r.json()["case_no"]
    r = await api.act(hrss, no, "accept")
    assert r.status_code == 200, r.text
    return no, r.json()


def investigate(case: dict) -> dict:
    return next(d for d in case["deadlines"] if d["kind"] == "investigate")


def local_day(iso: str) -> date:
    return datetime.fromisoformat(iso).astimezone(CHINA_TZ).date()


async def test_loading_2027_moves_open_cases_and_is_versioned(api):
    admin = await api.as_admin()
    hrss = await api.user("hrss1", "caseworker", "hrss")
    no, case = await accepted_case(api)
    clock = investigate(case)
    start = local_day(clock["start_at"])
    provisional_due = add_working_days(build_calendar(), start, 60)
    assert local_day(clock["due_at"]) == provisional_due
    assert clock["provisional"] is (provisional_due.year == 2027)

    r = await api.http.get("/api/calendar/2027", headers=hrss)
    assert r.status_code == 200
    before = r.json()
    assert before["status"] == "provisional" and before["workdays"] == [] and before["versions"] == []
    assert "2027-02-10" in before["holidays"]  # 补假 for Sunday 7 Feb
    r = await api.http.get("/api/calendar/2026", headers=hrss)
    assert r.json()["status"] == "official" and "2026-02-14" in r.json()["workdays"]

    # refused: not the admin; dates outside the year and a weekday as make-up day (by field); nothing written
    counts = row_counts(api.app.state.engine)
    r = await api.http.put("/api/calendar/2027", headers=hrss, json=SCHEDULE)
    assert r.status_code == 403
    bad = dict(SCHEDULE, holidays=SCHEDULE["holidays"] + ["2028-01-01"], workdays=["2027-02-15"])
    r = await api.http.put("/api/calendar/2027", headers=admin, json=bad)
    assert r.status_code == 422, r.text
    fields = {e["field"] for e in r.json()["errors"]}
    assert f"body.holidays.{len(SCHEDULE['holidays'])}" in fields and "body.workdays.0" in fields
    r = await api.http.put("/api/calendar/2027", headers=admin, json=dict(SCHEDULE, holidays=["2027-01-02"]))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.holidays"
    assert row_counts(api.app.state.engine) == counts
    assert (await api.http.get("/api/calendar/2027", headers=hrss)).json()["status"] == "provisional"

    r = await api.http.put("/api/calendar/2027", headers=admin, json=SCHEDULE)
    assert r.status_code == 200, r.text
    loaded = r.json()
    assert loaded["status"] == "official" and loaded["workdays"] == ["2027-02-14"]
    assert loaded["source"] == SCHEDULE["source"] and [v["loaded_by"] for v in loaded["versions"]] == ["admin"]
    fan_out = api.app.state.temporal.get_workflow_handle(loaded["recompute_workflow"])
    signalled = await fan_out.result()

    if provisional_due.year == 2027:  # the investigation runs into 2027 (true for a case accepted in 2026-27)
        assert signalled == 1
        official_due = add_working_days(OFFICIAL, start, 60)
        assert official_due != provisional_due
        for _ in range(100):  # the case counts its clocks again and writes its projection
            case = (await api.http.get(f"/api/cases/{no}", headers=hrss)).json()
            if not investigate(case)["provisional"]:
                break
            await asyncio.sleep(0.1)
        clock = investigate(case)
        assert clock["provisional"] is False and local_day(clock["due_at"]) == official_due
        assert "deadline_recomputed" in [e["kind"] for e in case["timeline"]]

    # a second load is a new version; the newest is the year's schedule
    r = await api.http.put("/api/calendar/2027", headers=admin, json=dict(SCHEDULE, source="第二版"))
    assert r.status_code == 200 and [v["source"] for v in r.json()["versions"]] == ["第二版", SCHEDULE["source"]]
    await api.app.state.temporal.get_workflow_handle(r.json()["recompute_workflow"]).result()


async def test_due_at_far_ahead_is_refused_and_changes_nothing(api):
    hrss = await api.user("hrss1", "caseworker", "hrss")
    no, _ = await accepted_case(api)
    r = await api.act(hrss, no, "findings", {"substantiated": True, "liable_party": "employer", "amount_owed": 36000})
    assert r.status_code == 200, r.text
    before = (await api.http.get(f"/api/cases/{no}", headers=hrss)).json()
    counts = row_counts(api.app.state.engine)
    r = await api.act(hrss, no, "order_payment", {"amount": "36000.00", "due_at": "9999-12-31"})
    assert r.status_code == 422, r.text
    error = r.json()["errors"][0]
    assert error["field"].endswith("due_at") and "9999-12-31" in error["message"]
    assert row_counts(api.app.state.engine) == counts
    after = (await api.http.get(f"/api/cases/{no}", headers=hrss)).json()
    assert after["stage"] == before["stage"] == "investigating" and after["deadlines"] == before["deadlines"]


async def test_calendar_page_warns_and_takes_a_pasted_schedule(api):
    await api.as_admin()
    token = api.tokens["admin"]  # a logged-in session's token (the web cookie holds the same)
    cookie = {"Cookie": f"{SESSION_COOKIE}={token}"}
    r = await api.http.get("/calendar?year=2027", headers=cookie)
    assert r.status_code == 200 and "暂定" in r.text and "载入2027年节假日安排" in r.text
    if datetime.now(CHINA_TZ).date() >= date(datetime.now(CHINA_TZ).year, 10, 1):
        assert "节假日安排尚未载入" in r.text
    form = {
        CSRF_FIELD: csrf_token_for(token, api.app.state.settings),
        "source": "测试用安排〔2026〕1号",
        "holidays": "\n".join(HOLIDAYS[:1]),
        "workdays": "2027-02-15",
    }
    r = await api.http.post("/calendar/2027", headers=cookie, data=form)
    assert r.status_code == 422 and "field-error" in r.text and "2027-02-15" in r.text
    form.update(holidays="\n".join(HOLIDAYS).replace("~", " 至 "), workdays="2027年2月14日")
    r = await api.http.post("/calendar/2027", headers=cookie, data=form)
    assert r.status_code == 303, r.text
    r = await api.http.get(r.headers["location"], headers=cookie)
    assert "正式" in r.text and "测试用安排〔2026〕1号" in r.text
    hrss = await api.user("hrss1", "caseworker", "hrss")
    assert (await api.http.get("/api/calendar/2027", headers=hrss)).json()["status"] == "official"


async def test_loaded_calendar_counts_a_loaded_year(api):
    from sqlmodel import Session

    from api.routes.calendar import calendar_warning, loaded_calendar

    admin = await api.as_admin()
    engine, jurisdiction = api.app.state.engine, api.app.state.jurisdiction
    with Session(engine) as session:
        assert not loaded_calendar(session, jurisdiction).is_known_year(2027)
        warned = calendar_warning(session)
    assert (warned is not None) is (datetime.now(CHINA_TZ).date() >= date(datetime.now(CHINA_TZ).year, 10, 1))
    r = await api.http.put("/api/calendar/2027", headers=admin, json=SCHEDULE)
    assert r.status_code == 200, r.text
    await api.app.state.temporal.get_workflow_handle(r.json()["recompute_workflow"]).result()
    with Session(engine) as session:
        cal = loaded_calendar(session, jurisdiction)
        assert cal.is_known_year(2027) and cal.is_working_day(date(2027, 2, 14))
        if datetime.now(CHINA_TZ).year == 2026:
            assert calendar_warning(session) is None
