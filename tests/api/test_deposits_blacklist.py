"""The dishonest-employer list over HTTP: listing, active filter, early removal (人社部令45号 arts. 11-14)."""

from datetime import datetime, timedelta, timezone

from db.blacklist import BlacklistEntry
from db.engine import make_engine, session_scope
from tests.api.test_cases import new_case


def add_entry(db_url, case_no, listed_days_ago, years=3) -> int:
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
