"""Personal data: masked where not needed, every unmasked view audited, and nothing in clear in Temporal."""

import base64
import json

from sqlmodel import Session
from temporalio.api.common.v1 import Payload, WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import (
    DescribeWorkflowExecutionRequest,
    GetWorkflowExecutionHistoryRequest,
)

from api.web_auth import SESSION_COOKIE
from core.codec import ENCODING
from db.audit import list_views
from tests.api.util import ID_NUMBER, ID_NUMBER_2, PHONE, complaint

NAME = "王秀英"
SECRET_NOTE = "投诉人另留手机13698765432"


async def new_case(api) -> str:
    clerk = await api.user("clerk1", "clerk", "petition")
    r = await api.http.post("/api/cases", headers=clerk, json=complaint())
    assert r.status_code == 201, r.text
    return r.json()["case_no"]


def audit_rows(api, case_no):
    with Session(api.app.state.engine) as session:
        return list_views(session=session, case_no=case_no)[0]


def audit_total(api) -> int:
    with Session(api.app.state.engine) as session:
        return list_views(session=session, limit=1)[1]


async def test_ids_and_phones_are_masked_for_roles_that_do_not_need_them(api):
    no = await new_case(api)
    people = {
        ("clerk1", "clerk", "petition"): True,  # registered it, but does not handle it
        ("leader1", "leader", "finance"): True,
        ("hrss1", "caseworker", "hrss"): False,
        ("hrss_head", "unit_head", "hrss"): False,
        ("office1", "supervisor", "hrss"): False,
    }
    for (name, role, unit), masked in people.items():
        r = await api.http.get(f"/api/cases/{no}", headers=await api.user(name, role, unit))
        assert r.status_code == 200, r.text
        detail = r.json()
        ids = [detail["complainant"]["id_number"]] + [w["id_number"] for w in detail["workers"]]
        if masked:
            assert ids == ["140923********3018", "140923********3018", "110105********002X"], name
            assert detail["complainant"]["phone"] == "139****5678"
        else:
            assert ids == [ID_NUMBER, ID_NUMBER, ID_NUMBER_2] and detail["complainant"]["phone"] == PHONE, name
        listed = await api.http.get("/api/cases", headers=await api.user(name, role, unit))
        assert ID_NUMBER not in listed.text and PHONE not in listed.text  # lists never carry them


async def test_every_unmasked_view_is_recorded_with_who_when_and_which_case(api):
    no = await new_case(api)
    assert audit_rows(api, no) == []  # the clerk's masked views are not recorded
    hrss = await api.user("hrss1", "caseworker", "hrss")
    for _ in range(2):
        assert (await api.http.get(f"/api/cases/{no}", headers=hrss)).status_code == 200
    await api.http.get(f"/api/cases/{no}", headers=await api.user("leader1", "leader", "finance"))  # masked
    rows = audit_rows(api, no)
    assert [(r.username, r.role, r.unit, r.case_no, r.via) for r in rows] == [
        ("hrss1", "caseworker", "hrss", no, "case_detail")
    ] * 2
    assert rows[0].at >= rows[1].at
    # an action answers with the case: that is a view too
    r = await api.act(hrss, no, "accept")
    assert r.status_code == 200 and r.json()["complainant"]["id_number"] == ID_NUMBER
    assert len(audit_rows(api, no)) == 3

    office = await api.user("office1", "supervisor", "hrss")
    r = await api.http.get(f"/api/audit/personal-data-views?case_no={no}", headers=office)
    assert r.status_code == 200 and r.json()["total"] == 3
    assert {item["username"] for item in r.json()["items"]} == {"hrss1"}
    r = await api.http.get("/api/audit/personal-data-views?username=hrss1", headers=office)
    assert r.json()["total"] == 3
    assert (await api.http.get("/api/audit/personal-data-views", headers=hrss)).status_code == 403


async def test_registering_as_an_unmasked_role_records_the_view_of_the_answer_once(api):
    """POST /api/cases answers with the case unmasked for a caseworker: one audit row, written with the intake;
    the same request again with its Idempotency-Key answers again, so it is recorded again."""
    hrss = await api.user("hrss1", "caseworker", "hrss")
    keyed = {**hrss, "Idempotency-Key": "intake-audit-1"}
    r = await api.http.post("/api/cases", headers=keyed, json=complaint())
    assert r.status_code == 201, r.text
    no = r.json()["case_no"]
    assert r.json()["complainant"]["id_number"] == ID_NUMBER
    rows = audit_rows(api, no)
    assert [(r.username, r.role, r.unit, r.case_no, r.via) for r in rows] == [
        ("hrss1", "caseworker", "hrss", no, "case_detail")
    ]
    again = await api.http.post("/api/cases", headers=keyed, json=complaint())
    assert again.status_code == 201 and again.json()["case_no"] == no
    assert len(audit_rows(api, no)) == 2


async def raw_history(dev_server, case_no: str) -> list:
    """The workflow's history as the Temporal server stores it (no codec involved)."""
    response = await dev_server.client.workflow_service.get_workflow_execution_history(
        GetWorkflowExecutionHistoryRequest(namespace="default", execution=WorkflowExecution(workflow_id=case_no))
    )
    return list(response.history.events)


async def test_temporal_never_holds_personal_data_in_clear(api, dev_server):
    no = await new_case(api)
    hrss = await api.user("hrss1", "caseworker", "hrss")
    assert (await api.act(hrss, no, "note", {"text": SECRET_NOTE})).status_code == 200
    r = await api.act(hrss, no, "record_payment", {"amount": 1, "payer": "employer"})  # refused: the failure
    assert r.status_code == 409  # goes through Temporal too

    events = await raw_history(dev_server, no)
    stored = b"".join(event.SerializeToString() for event in events)
    assert len(events) > 5
    for secret in (ID_NUMBER, ID_NUMBER_2, PHONE, NAME, "13698765432", "春节前工资未结清", "山西某劳务有限公司"):
        assert secret.encode() not in stored, f"{secret} is stored in clear in Temporal's history"
    started = next(e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
    [payload] = started.workflow_execution_started_event_attributes.input.payloads
    assert payload.metadata["encoding"] == ENCODING

    described = await dev_server.client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(namespace="default", execution=WorkflowExecution(workflow_id=no))
    )
    summary = described.execution_config.user_metadata.summary
    assert summary.metadata["encoding"] == ENCODING and "欠薪".encode() not in summary.data
    attributes = {
        name: p.data.decode() for name, p in described.workflow_execution_info.search_attributes.indexed_fields.items()
    }
    assert json.loads(attributes["CaseNo"]) == no
    assert all(secret not in value for value in attributes.values() for secret in (ID_NUMBER, PHONE, NAME))
    # the data is there, only sealed: the service's own codec opens it
    [opened] = await api.app.state.codec.decode([payload])
    assert ID_NUMBER.encode() in opened.data and NAME.encode() in opened.data


def as_json(payload) -> dict:
    """A payload in the remote codec protocol's JSON."""
    return {
        "metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
        "data": base64.b64encode(payload.data).decode(),
    }


async def test_the_codec_endpoint_opens_payloads_for_the_office_and_records_it(api, dev_server):
    no = await new_case(api)
    events = await raw_history(dev_server, no)
    started = next(e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
    body = {"payloads": [as_json(p) for p in started.workflow_execution_started_event_attributes.input.payloads]}
    office = await api.user("office1", "supervisor", "hrss")
    before = len(audit_rows(api, no))

    total = audit_total(api)
    r = await api.http.post("/codec/decode", json=body, headers={**office, "X-Namespace": "default"})
    assert r.status_code == 200, r.text
    [decoded] = r.json()["payloads"]
    assert base64.b64decode(decoded["metadata"]["encoding"]) == b"json/plain"
    assert ID_NUMBER in base64.b64decode(decoded["data"]).decode()
    rows = audit_rows(api, no)
    assert len(rows) == before + 1 and (rows[0].username, rows[0].via) == ("office1", "temporal_codec")
    assert audit_total(api) == total + 1  # that case's row only

    # the same payload three times in one request: still one row; payloads naming no case: no row
    r = await api.http.post("/codec/decode", json={"payloads": body["payloads"] * 3}, headers=office)
    assert r.status_code == 200 and len(audit_rows(api, no)) == before + 2
    [anonymous] = await api.app.state.codec.encode([Payload(metadata={"encoding": b"json/plain"}, data=b'{"ok":1}')])
    r = await api.http.post("/codec/decode", json={"payloads": [as_json(anonymous)] * 5}, headers=office)
    assert r.status_code == 200 and audit_total(api) == total + 2
    assert all(row.case_no is not None for row in audit_rows(api, None))

    # the Temporal Web UI sends the web UI's session cookie instead of a token
    cookie = {"Cookie": f"{SESSION_COOKIE}={api.tokens['office1']}"}
    assert (await api.http.post("/codec/decode", json=body, headers=cookie)).status_code == 200
    assert (await api.http.post("/codec/decode", json=body)).status_code == 401
    hrss = await api.user("hrss1", "caseworker", "hrss")
    r = await api.http.post("/codec/decode", json=body, headers=hrss)
    assert r.status_code == 403 and "supervisor or admin" in r.json()["detail"]
    assert len(audit_rows(api, no)) == before + 3

    # the codec only decodes: nobody can have payloads sealed through it (they would pass as the service's)
    plain = {
        "payloads": [
            {
                "metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
                "data": base64.b64encode(b'"hello"').decode(),
            }
        ]
    }
    assert (await api.http.post("/codec/encode", json=plain, headers=office)).status_code in (404, 405)
    # what the service sealed decodes to the same payload (without the worker's seal mark); altered is refused
    [one] = await api.app.state.codec.encode([Payload(metadata={"encoding": b"json/plain"}, data=b'"hello"')])
    sealed = {
        "payloads": [
            {
                "metadata": {k: base64.b64encode(v).decode() for k, v in one.metadata.items()},
                "data": base64.b64encode(one.data).decode(),
            }
        ]
    }
    assert (await api.http.post("/codec/decode", json=sealed, headers=office)).json() == plain
    raw = bytearray(base64.b64decode(sealed["payloads"][0]["data"]))
    raw[-1] ^= 1
    sealed["payloads"][0]["data"] = base64.b64encode(bytes(raw)).decode()
    r = await api.http.post("/codec/decode", json=sealed, headers=office)
    assert r.status_code == 422 and "altered" in r.json()["detail"]
    r = await api.http.post("/codec/decode", json={"payloads": [{"data": "not base64!"}]}, headers=office)
    assert r.status_code == 422 and "payloads.0.data" in r.json()["detail"]


async def test_cors_lets_only_the_temporal_ui_call_the_codec(api):
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-namespace"}
    for origin in ("http://127.0.0.1:8233", "http://localhost:8233"):
        r = await api.http.options("/codec/decode", headers={"Origin": origin, **preflight})
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == origin
        assert r.headers["access-control-allow-credentials"] == "true"
        assert "x-namespace" in r.headers["access-control-allow-headers"].lower()
    r = await api.http.options("/codec/decode", headers={"Origin": "http://evil.example", **preflight})
    assert r.status_code == 400 and "access-control-allow-origin" not in r.headers
    # a refusal still carries the CORS headers, so the UI can tell "log in" from "unreachable"
    r = await api.http.post("/codec/decode", json={"payloads": []}, headers={"Origin": "http://127.0.0.1:8233"})
    assert r.status_code == 401 and r.headers["access-control-allow-origin"] == "http://127.0.0.1:8233"
    # the rest of the API does not answer other origins at all
    r = await api.http.options("/api/cases", headers={"Origin": "http://127.0.0.1:8233", **preflight})
    assert "access-control-allow-origin" not in r.headers
    r = await api.http.get("/api/stats", headers={"Origin": "http://127.0.0.1:8233", **await api.as_admin()})
    assert "access-control-allow-origin" not in r.headers
