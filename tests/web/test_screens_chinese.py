"""The case page speaks Chinese: the timeline names units and channels, shows China time, and the people
who acted by full name with their unit (the recorded history keeps usernames and codes)."""

import re
import time

import httpx
from sqlmodel import Session

from db.accounts import get_user_by_username
from tests.web.test_browser import _complaint

ALLOWED = {"PDF"}


def _wait_for(web, headers, case_no: str, kind: str) -> dict:
    for _ in range(100):
        case = httpx.get(f"{web.url}/api/cases/{case_no}", headers=headers, timeout=30).json()
        if any(e["kind"] == kind for e in case["timeline"]):
            return case
        time.sleep(0.1)
    raise AssertionError(f"no {kind} event in {case_no}")


def test_the_timeline_names_units_channels_people_and_china_time(login, web):
    with Session(web.engine) as session:
        clerk = get_user_by_username(session=session, username="clerk1")
        clerk.full_name = "刘敏"
        session.add(clerk)
        session.commit()
    headers = {"Authorization": f"Bearer {web.api_token('clerk1')}"}
    # received 30 days ago: the 签收受理 deadline has passed and is escalated at once
    r = httpx.post(
        f"{web.url}/api/cases",
        headers=headers,
        timeout=30,
        json=_complaint("代县某建材有限公司", "18000", 30, "shangguan", "rural_housing"),
    )
    assert r.status_code == 201, r.text
    case_no = r.json()["case_no"]
    office = {"Authorization": f"Bearer {web.api_token('office1')}"}
    recorded = _wait_for(web, office, case_no, "escalated")
    summaries = " ".join(e["summary"] for e in recorded["timeline"])
    assert "shangguan" in summaries and "walk_in" in summaries  # the history keeps its codes

    page = login("office1")
    page.goto(f"{web.url}/cases/{case_no}")
    timeline = page.inner_text(".timeline")
    assert "刘敏（县信访局）" in timeline and "clerk1" not in timeline
    assert "（渠道：来访）" in timeline and "转办至上馆镇" in timeline
    assert "签收受理期限已届满（上馆镇）" in timeline
    words = set(re.findall(r"[A-Za-z_]{2,}", timeline.replace(case_no, ""))) - ALLOWED
    assert words == set(), words
    assert re.findall(r"\d{4}-\d{2}-\d{2}T|\+00:00|\d{2}:\d{2}:\d{2}", timeline) == []
    escalations = page.inner_text("main")
    assert "T00:" not in escalations and "+00:00" not in escalations and "(check)" not in escalations


def test_the_next_step_opens_amounts_as_on_paper_and_search_finds_the_general_contractor(login, web):
    from tests.web.test_browser import act

    headers = {"Authorization": f"Bearer {web.api_token('clerk1')}"}
    body = _complaint("代县某装饰有限公司", "36000", 1, "shangguan", "housing_municipal")
    body["project"]["general_contractor"] = {"name": "晋阳恒远总承包集团"}
    r = httpx.post(f"{web.url}/api/cases", headers=headers, timeout=30, json=body)
    assert r.status_code == 201, r.text
    case_no = r.json()["case_no"]

    page = login("housing1")
    for q, found in (("恒远总承包", 1), ("没有这个总包", 0)):
        page.goto(f"{web.url}/")
        page.fill("#f-q", q)
        with page.expect_navigation():
            page.locator("form.filters button[type=submit]").first.click()
        assert page.locator(f"tr[data-case='{case_no}']").count() == found, q
        assert page.locator("tr[data-case]").count() == found  # only that case has this contractor

    page.goto(f"{web.url}/cases/{case_no}")
    act(page, "accept")
    assert page.locator("#act-findings[open]").count() == 1
    act(
        page,
        "findings",
        {
            "substantiated": "true",
            "liable_party": "general_contractor",
            "amount_owed": "３６,０００.００元",
            "facts": "属实",
        },
    )
    assert page.inner_text("#amt-owed") == "36,000.00"
    open_forms = [f.get_attribute("id") for f in page.locator(".actions details[open]").all()]
    # the next step this housing caseworker may take, not the findings just recorded (the order to correct
    # is labour inspection's: the lead unit gets no form for it)
    assert open_forms == ["act-record_payment"]
    ids = [f.get_attribute("id") for f in page.locator(".actions details").all()]
    assert "act-order_payment" not in ids
    assert ids.index("act-findings") > ids.index("act-record_payment")
