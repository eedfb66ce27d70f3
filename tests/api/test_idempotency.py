"""Idempotency-Key over HTTP: money needs a key (428), a reused key with another body is 409, keys are the
sender's own (actions and intake alike)."""

from tests.api.util import ID_NUMBER, complaint


async def ordered_case(api) -> tuple[str, dict]:
    clerk = await api.user("clerk1", "clerk", "petition")
    r = await api.http.post("/api/cases", headers=clerk, json=complaint())
    assert r.status_code == 201, r.text
    no = r.json()["case_no"]
    hrss = await api.user("hrss1", "caseworker", "hrss")
    for action, body in [
        ("accept", {}),
        ("findings", {"substantiated": True, "liable_party": "employer", "amount_owed": "36000"}),
        ("order_payment", {}),
    ]:
        assert (await api.act(hrss, no, action, body)).status_code == 200
    return no, hrss


async def test_an_action_that_moves_money_needs_a_key(api):
    no, hrss = await ordered_case(api)
    before = (await api.http.get(f"/api/cases/{no}", headers=hrss)).json()
    r = await api.http.post(
        f"/api/cases/{no}/actions/record_payment", headers=hrss, json={"amount": "100", "payer": "employer"}
    )
    assert r.status_code == 428 and "Idempotency-Key" in r.json()["detail"]
    after = (await api.http.get(f"/api/cases/{no}", headers=hrss)).json()
    assert after["version"] == before["version"] and after["payments"] == []
    # an action that moves no money needs none
    assert (await api.act(hrss, no, "note", {"text": "电话催告"})).status_code == 200


async def test_a_key_is_applied_once_and_refused_with_another_body(api):
    no, hrss = await ordered_case(api)
    keyed = {**hrss, "Idempotency-Key": "pay-0001"}
    first = await api.act(keyed, no, "record_payment", {"amount": "1000", "payer": "employer"})
    again = await api.act(keyed, no, "record_payment", {"amount": "1000", "payer": "employer"})
    assert first.status_code == again.status_code == 200
    assert [p["amount"] for p in again.json()["payments"]] == ["1000.00"]
    other = await api.act(keyed, no, "record_payment", {"amount": "2000", "payer": "employer"})
    assert other.status_code == 409 and "pay-0001" in other.json()["detail"]
    after = (await api.http.get(f"/api/cases/{no}", headers=hrss)).json()
    assert after["amount_recovered"] == "1000.00" and after["version"] == again.json()["version"]
    # another user's same key is their own payment
    head = {**(await api.user("hrss_head", "unit_head", "hrss")), "Idempotency-Key": "pay-0001"}
    r = await api.act(head, no, "record_payment", {"amount": "2000", "payer": "employer"})
    assert r.status_code == 200 and r.json()["amount_recovered"] == "3000.00"


async def test_another_users_intake_key_is_not_theirs(api):
    """Replaying another user's key and body registers the sender's own complaint, and shows them nothing
    of the first user's case."""
    clerk = await api.user("clerk1", "clerk", "petition")
    other = await api.user("clerk2", "clerk", "petition")
    first = await api.http.post("/api/cases", headers={**clerk, "Idempotency-Key": "call-7"}, json=complaint())
    mine = await api.http.post("/api/cases", headers={**other, "Idempotency-Key": "call-7"}, json=complaint())
    assert first.status_code == mine.status_code == 201
    assert mine.json()["case_no"] != first.json()["case_no"]
    assert mine.json()["registered_by"] == "clerk2"
    assert ID_NUMBER not in mine.text  # a clerk sees ID numbers masked
    # the first user's retry still returns their case
    again = await api.http.post("/api/cases", headers={**clerk, "Idempotency-Key": "call-7"}, json=complaint())
    assert again.json()["case_no"] == first.json()["case_no"]
