"""Every action a person takes comes from the registry to HTTP, the web form, OpenAPI and the labels.

A new action that misses any of these fails here: no route, a form that cannot be filled in and sent,
no Chinese label, or no body schema in /openapi.json.
"""

import dataclasses

import pytest
from fastapi.testclient import TestClient
from starlette.datastructures import FormData

from api.actions import PUBLIC_ACTIONS, action_params
from api.app import create_app
from api.deps import get_temporal
from api.web.forms import action_body, action_fields, person_lines
from api.web.pages import env
from core.config import Settings
from core.jurisdiction import DEFAULT_JURISDICTION, load_jurisdiction
from db.engine import make_engine
from domain.actions import ACTIONS

JURISDICTION = load_jurisdiction(DEFAULT_JURISDICTION)
ADMIN_PASSWORD = "admin-password-1"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('registry') / 'cases.db'}"
    settings = Settings(secret_key="registry-test-secret-key-0123456789abcdef", admin_password=ADMIN_PASSWORD)
    app = create_app(settings, engine=make_engine(url), jurisdiction=JURISDICTION)
    app.dependency_overrides[get_temporal] = lambda: None  # a refused body never reaches the workflow
    with TestClient(app) as client:
        token = client.post("/api/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD})
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        yield client


def _fields(action) -> list[str]:
    return [f.name for f in dataclasses.fields(action.command)]


def test_the_registry_holds_the_actions_the_domain_names():
    assert {"propose_blacklist", "blacklist_objection", "extend_blacklist_decision", "blacklist_decision"} <= set(
        PUBLIC_ACTIONS
    )
    systems = {name for name, a in ACTIONS.items() if a.system}
    assert systems == {"enforce", "order_lapsed", "major_dispatch", "blacklist_grounds", "decision_final"}
    assert {name for name, a in ACTIONS.items() if a.moves_money} == {
        "record_payment",
        "advance_emergency_fund",
        "recover_emergency_fund",
        "confirm_deposit_payout",
        "court_outcome",
    }


@pytest.mark.parametrize("name", sorted(PUBLIC_ACTIONS))
def test_every_action_has_chinese_labels(name):
    action = PUBLIC_ACTIONS[name]
    assert action.label and not action.label.isascii(), f"{name} has no Chinese label"
    for field in _fields(action):
        label = action.field_labels.get(field, "")
        assert label and not label.isascii(), f"{name}.{field} has no Chinese label"


@pytest.mark.parametrize("name", sorted(PUBLIC_ACTIONS))
def test_every_action_is_in_the_openapi_schema_with_its_body(client, name):
    spec = client.get("/openapi.json").json()
    operation = spec["paths"][f"/api/cases/{{case_no}}/actions/{name}"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert list(schema["properties"]) == _fields(PUBLIC_ACTIONS[name])
    assert schema["additionalProperties"] is False
    assert "$ref" not in str(schema)  # self-contained


@pytest.mark.parametrize("name", sorted(PUBLIC_ACTIONS))
def test_every_action_can_be_sent_over_http_and_is_validated_by_its_command(client, name):
    r = client.post(f"/api/cases/DX-2026-000001/actions/{name}", json={"no_such_field": 1})
    assert r.status_code == 422, r.text  # the action's route answered, with its command's validation
    required = [
        f.name
        for f in dataclasses.fields(PUBLIC_ACTIONS[name].command)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    assert sorted(e["field"] for e in r.json()["errors"]) == sorted(
        f"body.{field}" for field in [*required, "no_such_field"]
    )


@pytest.mark.parametrize("name", sorted(n for n, a in ACTIONS.items() if a.system))
def test_system_steps_cannot_be_sent_over_http(client, name):
    r = client.post(f"/api/cases/DX-2026-000001/actions/{name}", json={})
    assert r.status_code == 404 and name not in r.json()["detail"].split("actions: ")[1].split(", ")


def _filled_in(spec) -> list[tuple[str, str]]:
    """What a person would type or choose in one input of the form."""
    if spec.widget in ("select", "bool"):
        return [(spec.name, spec.choices[0][0])]
    if spec.widget == "checkbox":
        return []
    if spec.persons:  # one a line: role, name, ID number
        return [(spec.name, "法定代表人 王某 11010519491231002X\n直接责任人员，李某，110101199003071233")]
    value = {"amount": "100", "datetime": "2099-03-02T17:00", "int": str(spec.min or 1)}.get(spec.widget, "情况说明")
    return [(spec.name, value)]


@pytest.mark.parametrize("name", sorted(PUBLIC_ACTIONS))
def test_every_action_has_a_web_form_that_can_be_filled_in_and_sent(name):
    action = PUBLIC_ACTIONS[name]
    specs = action_fields(action, JURISDICTION)
    assert [s.name for s in specs] == _fields(action)
    form = {
        "action": name,
        "label": action.label,
        "hint": action.hint,
        "fields": specs,
        "defaults": {},
        "note": "",
        "key": "k-1",
    }
    html = env.from_string(
        '{% import "_macros.html" as m with context %}{{ m.action_form(f, "DX-2026-000001", {}, true) }}'
    ).render(f=form, csrf_token="t")
    assert f'action="/cases/DX-2026-000001/actions/{name}"' in html and 'name="key" value="k-1"' in html
    for spec in specs:
        assert f'name="{spec.name}"' in html, f"{name}.{spec.name} has no input"
    body = action_body(specs, FormData([item for spec in specs for item in _filled_in(spec)]))
    params = action_params(action, body, JURISDICTION)  # the web sends what the API accepts
    assert set(params) <= set(_fields(action))


def test_the_persons_of_a_listing_are_typed_one_a_line_in_any_order():
    assert person_lines("法定代表人 王某 11010519491231002x\n\n李某，直接责任人员，110101199003071233\n只有名字") == [
        {"name": "王某", "id_number": "11010519491231002x", "role": "legal_representative"},
        {"name": "李某", "id_number": "110101199003071233", "role": "responsible"},
        {"name": "只有名字", "id_number": "", "role": ""},  # refused by the command, at the persons' field
    ]
