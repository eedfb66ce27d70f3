"""The dishonest-employer list over HTTP: listing, active filter, early removal (人社部令45号 arts. 11-14)."""

import json
from datetime import datetime, timedelta, timezone

from db.blacklist import BlacklistEntry
from db.engine import make_engine, session_scope
from domain.listing import add_months
from tests.api.test_cases import new_case


def add_entry(db_url, case_no, listed_days_ago, years=3, **statutory) -> int:
    engine = make_engine(db_url)
    listed = datetime.now(timezone.utc) - timedelta(days=listed_days_ago)
    with session_scope(engine) as session:
        entry = BlacklistEntry(
            case_no=case_no,
            employer_name=f"{case_no}公司",
            credit_code=None,
            reason="数额达到追诉标准",
            listed_at=listed,
            expires_at=listed.replace(year=listed.year + years),
            **statutory,
        )
        session.add(entry)
        session.flush()
        entry_id = entry.id
    engine.dispose()
    return entry_id


async def test_blacklist_list_and_early_removal(api, db_url):
    clerk = await api.user("clerk1", "clerk", "petition")
    hrss_head = await api.user("hrss_head", "unit_head", "hrss")
    housing_head = await api.user("housing_head", "unit_head", "housing")
    unpaid_case = (await new_case(api))["case_no"]
    unpaid = add_entry(db_url, unpaid_case, listed_days_ago=220)
    paid = add_entry(db_url, "DX-2025-000001", listed_days_ago=220)
    recent = add_entry(db_url, "DX-2026-000900", listed_days_ago=30)
    add_entry(db_url, "DX-2020-000001", listed_days_ago=4 * 365)  # the 3 years ran out

    r = await api.http.get("/api/blacklist", headers=clerk)
    assert r.status_code == 200 and r.json()["total"] == 4
    statuses = {e["case_no"]: e["status"] for e in r.json()["items"]}
    assert statuses["DX-2020-000001"] == "expired" and statuses[unpaid_case] == "listed"
    active = (await api.http.get("/api/blacklist", headers=clerk, params={"active": "true"})).json()
    assert active["total"] == 3 and "DX-2020-000001" not in {e["case_no"] for e in active["items"]}

    body = {"reason": "已足额支付并书面承诺", "corrected": True, "written_promise": True}
    assert (await api.http.post(f"/api/blacklist/{paid}/removal", headers=housing_head, json=body)).status_code == 403
    r = await api.http.post(f"/api/blacklist/{recent}/removal", headers=hrss_head, json=body)
    assert r.status_code == 409 and "6 months" in r.json()["detail"]
    r = await api.http.post(f"/api/blacklist/{unpaid}/removal", headers=hrss_head, json=body)
    assert r.status_code == 409 and "unpaid" in r.json()["detail"]
    r = await api.http.post(
        f"/api/blacklist/{paid}/removal", headers=hrss_head, json={**body, "written_promise": False}
    )
    assert r.status_code == 409
    r = await api.http.post(f"/api/blacklist/{paid}/removal", headers=hrss_head, json=body)
    assert r.status_code == 200 and r.json()["status"] == "removed" and r.json()["removal_reason"], r.text
    assert (await api.http.post(f"/api/blacklist/{paid}/removal", headers=hrss_head, json=body)).status_code == 409
    active = (await api.http.get("/api/blacklist", headers=clerk, params={"active": "true"})).json()
    assert active["total"] == 2
    assert (await api.http.post("/api/blacklist/999999/removal", headers=hrss_head, json=body)).status_code == 404


PERSONS = json.dumps(
    [{"name": "王某", "id_number": "11010519491231002X", "role": "legal_representative"}], ensure_ascii=False
)


async def test_on_procedure_3_early_removal_counts_from_the_correction_and_needs_an_application(api, db_url):
    """人社部令45号 arts. 12-14: corrected, 6 months since the correction (not since the listing), a written
    promise; the decision is due 15 working days from the application."""
    clerk = await api.user("clerk1", "clerk", "petition")
    hrss = await api.user("hrss1", "caseworker", "hrss")
    hrss_head = await api.user("hrss_head", "unit_head", "hrss")
    housing = await api.user("housing1", "caseworker", "housing")
    now = datetime.now(timezone.utc)
    # listed 300 days ago, but paid only 60 days ago: too early, though the listing is older than 6 months
    late = add_entry(
        db_url, "DX-2026-000801", 300, procedure=3, persons_json=PERSONS, corrected_at=now - timedelta(days=60)
    )
    never = add_entry(db_url, "DX-2026-000802", 300, procedure=3)  # never corrected
    ready = add_entry(db_url, "DX-2026-000803", 250, procedure=3, corrected_at=now - timedelta(days=200))

    items = {e["case_no"]: e for e in (await api.http.get("/api/blacklist", headers=clerk)).json()["items"]}
    entry = items["DX-2026-000801"]
    assert entry["procedure"] == 3 and entry["persons"] == [
        {"name": "王某", "id_number": "110105********002X", "role": "legal_representative", "role_label": "法定代表人"}
    ]
    corrected = datetime.fromisoformat(entry["corrected_at"])
    assert datetime.fromisoformat(entry["removal_from"]) == add_months(corrected, 6)  # not from the listing

    apply = "/api/blacklist/{}/removal_application"
    promise = {"written_promise": True}
    assert (await api.http.post(apply.format(ready), headers=housing, json=promise)).status_code == 403
    r = await api.http.post(apply.format(late), headers=hrss, json=promise)
    assert r.status_code == 409 and r.json()["code"] == "removal_too_early_after_correction", r.text
    r = await api.http.post(apply.format(never), headers=hrss, json=promise)
    assert r.status_code == 409 and r.json()["code"] == "removal_not_corrected"
    r = await api.http.post(apply.format(ready), headers=hrss, json={"written_promise": False})
    assert r.status_code == 409

    body = {"reason": "已改正并书面承诺", "corrected": True, "written_promise": True}
    r = await api.http.post(f"/api/blacklist/{ready}/removal", headers=hrss_head, json=body)
    assert r.status_code == 409 and r.json()["code"] == "removal_not_applied"
    r = await api.http.post(apply.format(ready), headers=hrss, json=promise)
    assert r.status_code == 200, r.text
    applied = r.json()
    assert applied["removal_applied_at"] and applied["status"] == "listed"
    due = datetime.fromisoformat(applied["removal_due_at"])
    assert timedelta(days=15) <= due - datetime.fromisoformat(applied["removal_applied_at"]) <= timedelta(days=40)
    assert (await api.http.post(apply.format(ready), headers=hrss, json=promise)).json()["code"] == "removal_applied"
    assert (await api.http.post(f"/api/blacklist/{ready}/removal", headers=hrss, json=body)).status_code == 403
    r = await api.http.post(f"/api/blacklist/{ready}/removal", headers=hrss_head, json=body)
    assert r.status_code == 200 and r.json()["status"] == "removed", r.text
