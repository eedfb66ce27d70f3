"""The web UI's form generation and presentation helpers, as plain functions (no browser, no server)."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import ValidationError
from starlette.datastructures import FormData

from api import schemas
from api.actions import PUBLIC_ACTIONS, action_params
from api.inputs import WEB_FORM
from api.web.case import lifecycle_steps
from api.web.forms import action_body, action_fields, errors_by_field
from api.web.intake import intake_body
from api.web.pages import days_view, env
from api.web_auth import csrf_token_for, safe_next
from core.config import Settings
from core.jurisdiction import DEFAULT_JURISDICTION, load_jurisdiction
from domain.calendar import CHINA_TZ, UnknownYearPolicy, WorkCalendar
from domain.errors import InvalidInput
from domain.model import Stage

JURISDICTION = load_jurisdiction(DEFAULT_JURISDICTION)
WIDGETS = {"select", "bool", "checkbox", "amount", "datetime", "int", "text", "textarea"}


@pytest.mark.parametrize("action", sorted(PUBLIC_ACTIONS))
def test_every_action_body_becomes_a_form_whose_fields_validate(action):
    command = PUBLIC_ACTIONS[action].command
    specs = action_fields(PUBLIC_ACTIONS[action], JURISDICTION)
    assert [s.name for s in specs] == list(command.__dataclass_fields__)
    for spec in specs:
        assert spec.widget in WIDGETS
        assert spec.label and not spec.label.isascii(), f"{action}.{spec.name} has no Chinese label"
        if spec.widget in ("select", "bool"):
            assert spec.choices and all(label for _, label in spec.choices)


def test_widgets_follow_the_field_types():
    findings = {s.name: s for s in action_fields(PUBLIC_ACTIONS["findings"], JURISDICTION)}
    assert findings["substantiated"].widget == "bool" and findings["substantiated"].required
    assert findings["liable_party"].widget == "select" and not findings["liable_party"].required
    assert dict(findings["liable_party"].choices)["general_contractor"] == "施工总承包单位"
    assert findings["amount_owed"].widget == "amount" and findings["facts"].widget == "textarea"
    order = {s.name: s for s in action_fields(PUBLIC_ACTIONS["order_payment"], JURISDICTION)}
    assert order["due_at"].widget == "datetime"
    extend = {s.name: s for s in action_fields(PUBLIC_ACTIONS["extend_investigation"], JURISDICTION)}
    assert (extend["working_days"].widget, extend["working_days"].min, extend["working_days"].max) == ("int", 1, 365)
    transfer = {s.name: s for s in action_fields(PUBLIC_ACTIONS["transfer"], JURISDICTION)}
    assert ("housing", "县住房和城乡建设管理局") in transfer["to_unit"].choices
    payment = {s.name: s for s in action_fields(PUBLIC_ACTIONS["record_payment"], JURISDICTION)}
    assert dict(payment["payer"].choices)["deposit"] == "工资保证金" and payment["reference"].widget == "text"


@pytest.mark.parametrize("typed", ["12,000.50", "12,000.50元", "１２０００.５０", "¥12000.50", " 12000.50 "])
def test_amounts_are_taken_as_written_on_paper(typed):
    specs = action_fields(PUBLIC_ACTIONS["record_payment"], JURISDICTION)
    data = action_body(specs, FormData([("amount", typed), ("payer", "employer")]))
    assert data["amount"] == "12000.50"
    assert action_params(PUBLIC_ACTIONS["record_payment"], data, JURISDICTION)["amount"] == "12000.50"


def test_a_misgrouped_amount_is_still_refused():
    specs = action_fields(PUBLIC_ACTIONS["record_payment"], JURISDICTION)
    data = action_body(specs, FormData([("amount", "12,00.50"), ("payer", "employer")]))
    with pytest.raises((ValidationError, InvalidInput)):  # refused at the edge, before the command is built
        action_params(PUBLIC_ACTIONS["record_payment"], data, JURISDICTION)


def test_form_values_become_the_action_body_in_china_time():
    specs = action_fields(PUBLIC_ACTIONS["order_payment"], JURISDICTION)
    data = action_body(specs, FormData([("amount", " 36000 "), ("due_at", "2027-03-02T17:00")]))
    assert data == {"amount": "36000", "due_at": "2027-03-02T17:00:00+08:00"}
    params = action_params(PUBLIC_ACTIONS["order_payment"], data, JURISDICTION)
    assert datetime.fromisoformat(params["due_at"]) == datetime(2027, 3, 2, 9, 0, tzinfo=timezone.utc)
    assert Decimal(params["amount"]) == Decimal("36000")
    assert action_body(specs, FormData([("amount", ""), ("due_at", "")])) == {}


def test_an_error_of_the_whole_body_is_shown_at_the_empty_fields_it_names():
    specs = action_fields(PUBLIC_ACTIONS["findings"], JURISDICTION)
    data = action_body(specs, FormData([("substantiated", "true"), ("liable_party", "employer")]))
    with pytest.raises(InvalidInput) as caught:
        action_params(PUBLIC_ACTIONS["findings"], data, JURISDICTION)
    assert caught.value.field == "amount_owed"
    assert caught.value.text("zh") == "认定属实的，须选择责任主体并填写认定拖欠金额"


def test_intake_form_skips_empty_worker_rows_and_remembers_their_rows():
    form = FormData(
        [
            ("workers.0.name", ""),
            ("workers.1.name", "李四"),
            ("workers.1.amount_owed", "x"),
            ("workers.2.name", " "),
            ("channel", "hotline"),
            ("received_at", "2026-03-02T09:30"),
        ]
    )
    body, row_of = intake_body(form, rows=3)
    assert body["workers"] == [{"name": "李四", "amount_owed": "x"}] and row_of == {0: 1}
    assert body["received_at"] == "2026-03-02T09:30:00+08:00" and "project" not in body
    with pytest.raises(ValidationError) as caught:
        schemas.CaseCreate.model_validate(body)
    fields, _ = errors_by_field(caught.value, lambda key: key.replace("workers.0.", f"workers.{row_of[0]}."))
    assert fields["workers.1.amount_owed"] == "请填写金额（元），如 36000.00"
    assert fields["complainant.name"] == "必填" and fields["employer.name"] == "必填"


def test_the_lifecycle_marks_passed_skipped_and_current_stages():
    at = datetime(2026, 3, 2, tzinfo=timezone.utc)
    state = SimpleNamespace(stage=Stage.CLOSED, referred_at=at, accepted_at=at, order_served_at=at, closed_at=at)
    steps = {s["stage"]: s["status"] for s in lifecycle_steps(state)}
    assert steps == {
        "intake": "done",
        "referred": "done",
        "investigating": "done",
        "payment_ordered": "done",
        "decided": "skipped",
        "deposit_drawdown": "skipped",
        "police_referred": "skipped",
        "court_enforcement": "skipped",
        "closed": "current",
    }
    state = SimpleNamespace(stage=Stage.REFERRED, referred_at=at)
    assert [s["status"] for s in lifecycle_steps(state)][:3] == ["done", "current", "todo"]


def test_deadlines_show_working_days_left_or_overdue():
    cal = WorkCalendar(
        holidays=frozenset({date(2026, 3, 4)}),
        workdays=frozenset(),
        unknown_year=UnknownYearPolicy.WEEKENDS,
        known_years=frozenset({2026}),
    )
    now = datetime(2026, 3, 2, 10, 0, tzinfo=CHINA_TZ)  # a Monday
    view = days_view(datetime(2026, 3, 9, 17, 0, tzinfo=CHINA_TZ), cal, now)
    assert view["text"] == "剩 4 个工作日"  # Tue, Thu, Fri, Mon: the Wednesday is a holiday
    view = days_view(datetime(2026, 2, 26, 17, 0, tzinfo=CHINA_TZ), cal, now)
    assert view["text"] == "已逾期 2 个工作日" and view["tone"] == "late"  # Fri 27 Feb, Mon 2 Mar
    assert days_view(now + timedelta(hours=2), cal, now)["text"] == "今日到期"


def test_errors_of_the_domain_are_said_in_chinese_by_their_code():
    err = InvalidInput(code="payment_exceeds_owed", field="amount", amount="50000", owed="36000.00")
    assert err.text("zh") == "金额 50000 元超过尚欠的 36000.00 元"
    assert err.text("en") == err.message and "exceeds the 36000.00 still owed" in err.message
    assert InvalidInput("something new").text("zh") == "something new"  # an uncoded error says its message


def test_only_local_paths_are_followed_after_login_and_csrf_tokens_differ_per_session():
    assert safe_next("/cases/DX-2026-000001") == "/cases/DX-2026-000001"
    for bad in ("https://evil.example/", "//evil.example", "/\\evil", "", None):
        assert safe_next(bad) == "/"
    settings = Settings(secret_key="a-secret-key-that-is-long-enough-for-hs256")
    assert csrf_token_for("token-a", settings) != csrf_token_for("token-b", settings)
    assert csrf_token_for("token-a", settings) == csrf_token_for("token-a", settings)


def test_pages_escape_what_people_typed():
    html = env.get_template("error.html").render(
        path="/",
        user=None,
        csrf_token="",
        flash=("ok", "<b>已登记</b>"),
        county="代县",
        system_name="系统",
        unit_name=str,
        can_register=False,
        title="<script>alert(1)</script>",
        message="A & B <img src=x>",
    )
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x&gt;" in html and "&lt;b&gt;已登记&lt;/b&gt;" in html


def test_front_door_without_a_session_is_the_login_page_itself():
    """GET / answers the web UI's login page (HTML, zh-CN) directly, not a redirect."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from core.config import Settings
    from core.jurisdiction import DEFAULT_JURISDICTION, load_jurisdiction
    from db.engine import make_engine

    app = create_app(
        Settings(secret_key="front-door-secret-key-0123456789abcdef"),
        engine=make_engine("sqlite://"),
        jurisdiction=load_jurisdiction(DEFAULT_JURISDICTION),
    )
    with TestClient(app) as client:
        r = client.get("/", follow_redirects=False)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert 'lang="zh-CN"' in r.text and 'name="password"' in r.text
        assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_an_amount_written_as_on_paper_is_taken_from_a_web_form_and_refused_as_json():
    action = PUBLIC_ACTIONS["record_payment"]
    for written in ("12,000.50", "12,000.50元", "１２０００.５０", "¥12000.50"):
        params = action_params(action, {"amount": written, "payer": "employer"}, JURISDICTION, context=WEB_FORM)
        assert Decimal(params["amount"]) == Decimal("12000.50"), written
    for bad in ("12,000.50", "1_000", "1e2", "١٢"):
        with pytest.raises(InvalidInput) as info:
            action_params(action, {"amount": bad, "payer": "employer"}, JURISDICTION)
        assert info.value.field == "amount", bad


def test_text_made_only_of_invisible_characters_is_refused_in_an_action():
    with pytest.raises(InvalidInput) as info:
        action_params(PUBLIC_ACTIONS["note"], {"text": "\u200b\u200b"}, JURISDICTION)
    assert info.value.field == "text"


def test_the_stage_bar_draws_the_ladders_branches_side_by_side():
    at = datetime(2026, 3, 2, tzinfo=timezone.utc)
    state = SimpleNamespace(stage=Stage.POLICE_REFERRED, referred_at=at, accepted_at=at, order_served_at=at)
    steps = {s["stage"]: s for s in lifecycle_steps(state)}
    assert [s["stage"] for s in steps.values() if s["branch"]] == ["police_referred", "court_enforcement"]
    assert steps["police_referred"]["num"] == steps["court_enforcement"]["num"] == steps["deposit_drawdown"]["num"] + 1
    assert steps["closed"]["num"] == steps["court_enforcement"]["num"] + 1
    html = env.get_template("_macros.html").module.lifecycle(list(steps.values()))
    assert html.count('<li class="branches">') == 1
    branch = html.split('<li class="branches">')[1].split("</ol></li>")[0]
    assert "移送公安" in branch or "公安" in branch
    assert "法院" in branch


def test_a_workers_bank_and_account_from_the_intake_form_reach_the_complaint():
    form = FormData(
        [
            ("workers.0.name", "王秀英"),
            ("workers.0.amount_owed", "12,000元"),
            ("workers.0.bank", "中国农业银行代县支行"),
            ("workers.0.bank_account", "6228480012345678901"),
        ]
    )
    body, _ = intake_body(form, rows=1)
    assert body["workers"][0]["bank"] == "中国农业银行代县支行"
    assert body["workers"][0]["bank_account"] == "6228480012345678901"


def test_the_intake_form_carries_the_end_of_the_arrears_and_the_late_entry_reason():
    from api.web.intake import _checks_across_fields

    long_ago = (datetime.now(CHINA_TZ) - timedelta(days=3 * 365)).strftime("%Y-%m-%dT%H:%M")
    form = FormData([("channel", "hotline"), ("received_at", long_ago), ("arrears_ended_at", "2023-06-30")])
    body, _ = intake_body(form, rows=1)
    assert body["arrears_ended_at"] == "2023-06-30" and "late_entry_reason" not in body
    assert schemas.CaseCreate.model_validate({**body, **COMPLAINT}).arrears_ended_at == date(2023, 6, 30)
    errors = _checks_across_fields(body, JURISDICTION)
    assert "补录原因" in errors["received_at"] and "24个月" in errors["received_at"]
    form = FormData([*form.multi_items(), ("late_entry_reason", " 纸质台账补录 ")])
    body, _ = intake_body(form, rows=1)
    assert body["late_entry_reason"] == "纸质台账补录" and _checks_across_fields(body, JURISDICTION) == {}
    templates = Path(__file__).resolve().parents[2] / "api" / "templates" / "intake.html"
    assert (
        'm.text("arrears_ended_at"' in templates.read_text() and 'm.text("late_entry_reason"' in templates.read_text()
    )


COMPLAINT = {
    "complainant": {"name": "张三"},
    "workers": [{"name": "李四", "amount_owed": "100"}],
    "employer": {"name": "某公司"},
}
