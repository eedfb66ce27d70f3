"""Who issues what: the competent authority takes the actions behind coercive documents (plain functions)."""

import copy
import dataclasses
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import yaml

from core.jurisdiction import DEFAULT_JURISDICTION, load_jurisdiction
from core.policy import case_policy
from domain import lifecycle
from domain.errors import Forbidden, NotAllowedNow
from domain.jurisdiction import JurisdictionError, jurisdiction_from_dict
from domain.lifecycle import ClockTimes
from domain.model import (
    SYSTEM,
    Actor,
    CaseIntake,
    CaseState,
    Channel,
    DeadlineStatus,
    Organisation,
    Person,
    ProjectInfo,
    Stage,
    WorkerClaim,
)
from domain.routing import ProjectFacts

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
JURISDICTION = load_jurisdiction(DEFAULT_JURISDICTION)
POLICY = case_policy(JURISDICTION)
RAW = yaml.safe_load(DEFAULT_JURISDICTION.read_text(encoding="utf-8"))
HOUSING_PROJECT = ProjectInfo(
    1,
    "滨河小区",
    ProjectFacts("housing_municipal", "shangguan", True, "state", False),
    Organisation("某开发公司", "91140000MA0000000A"),
    Organisation("某建筑公司", "91140000MA0000000B"),
)
HOUSING = Actor("z", "caseworker", "housing")
HOUSING_HEAD = Actor("zh", "unit_head", "housing")
HRSS = Actor("w", "caseworker", "hrss")


def times(*kinds, due=T0 + timedelta(days=7)):
    return {k: ClockTimes(due, [due + timedelta(days=2)]) for k in kinds}


def do(state, action, actor, now=T0, **params):
    lifecycle.check(state, action, params, actor, now)
    clocks = lifecycle.clocks_for(state, action, params, now)
    return lifecycle.apply(state, action, params, actor, now, times(*[c.key for c in clocks]))


def housing_case(policy=POLICY) -> CaseState:
    intake = CaseIntake(
        "DX-2026-000001",
        Channel.WALK_IN,
        T0,
        T0,
        Actor("c", "clerk", "petition"),
        Person("张三"),
        [WorkerClaim(f"工人{i}", None, Decimal("10000")) for i in range(2)],
        Organisation("某劳务公司"),
        Decimal("20000"),
        "",
        policy,
        project=HOUSING_PROJECT,
    )
    state = CaseState(intake=intake)
    lifecycle.open_case(state)
    lifecycle.refer(state, T0, times("acknowledge"))
    assert state.lead_unit == "housing"
    do(state, "accept", HOUSING)
    do(state, "findings", HOUSING, substantiated=True, liable_party="general_contractor", amount_owed="20000")
    return state


def test_the_shipped_file_names_labour_inspection_for_every_coercive_document_with_its_citation():
    for kind in ("order_to_pay", "payment_decision", "deposit_payout", "police_transfer", "court_reminder"):
        authority = JURISDICTION.authorities[kind]
        assert authority.unit == "hrss" and authority.basis, kind
    assert JURISDICTION.authorities["receipt"].unit == "receiving"
    assert JURISDICTION.authorities["referral"].unit == "referring"
    assert "行政强制法第53条" in JURISDICTION.authorities["court_reminder"].basis
    assert POLICY.authority("order_to_pay") == JURISDICTION.authorities["order_to_pay"]


@pytest.mark.parametrize(
    ("kind", "entry", "path"),
    [
        ("order_to_pay", {"unit": "nowhere", "basis": "x"}, "authorities.order_to_pay.unit"),
        ("order_to_pay", {"unit": "hrss", "basis": "x", "signer": "clerk"}, "authorities.order_to_pay.signer"),
        ("order_to_pay", {"unit": "hrss"}, "authorities.order_to_pay"),
        ("no_such_kind", {"unit": "hrss", "basis": "x"}, "authorities.no_such_kind"),
    ],
)
def test_a_bad_authorities_entry_is_refused_naming_its_path(kind, entry, path):
    raw = copy.deepcopy(RAW)
    raw["authorities"][kind] = entry
    with pytest.raises(JurisdictionError) as error:
        jurisdiction_from_dict(raw, source="test.yaml")
    assert path in str(error.value)


def test_only_labour_inspection_orders_payment_on_a_housing_case():
    state = housing_case()
    for actor in (HOUSING, HOUSING_HEAD):
        with pytest.raises(Forbidden) as error:
            lifecycle.check(state, "order_payment", {}, actor, T0)
        assert error.value.code == "authority_only"
    assert state.stage is Stage.INVESTIGATING  # nothing changed
    do(state, "order_payment", HRSS)
    assert state.stage is Stage.PAYMENT_ORDERED
    # the lead unit keeps recording payments
    do(state, "record_payment", HOUSING, amount="5000", payer="general_contractor")
    assert state.amount_recovered == Decimal("5000")


def test_a_policy_recorded_without_authorities_keeps_the_lead_unit_acting():
    old = dataclasses.replace(POLICY, authorities=None)
    state = housing_case(old)
    do(state, "order_payment", HOUSING)
    assert state.stage is Stage.PAYMENT_ORDERED
    with pytest.raises(Forbidden) as error:
        lifecycle.check(housing_case(old), "order_payment", {}, HRSS, T0)
    assert error.value.code == "unit_not_lead"


def test_every_action_behind_a_coercive_document_names_an_authority_of_the_file():
    issuing = {name: a.issues for name, a in lifecycle.ACTIONS.items() if a.issues}
    assert {
        "order_payment",
        "approve_police_referral",
        "serve_court_reminder",
        "court_application",
        "propose_blacklist",
        "blacklist_decision",
    } <= set(issuing)
    for name, kind in issuing.items():
        assert kind in JURISDICTION.authorities, name


def decided_case() -> CaseState:
    state = housing_case()
    state.procedure = 2  # the lawful ladder (workflows/case.py decides it when the case starts)
    do(state, "decide_payment", HRSS, due_at=(T0 + timedelta(days=10)).isoformat())
    assert state.stage is Stage.DECIDED and state.documents[-1].kind == "payment_decision"
    return state


def test_decide_payment_is_labour_inspections_and_only_on_the_lawful_ladder():
    old = housing_case()  # procedure 1: a case started before the handling decision existed
    assert "decide_payment" not in lifecycle.pending_actions(old)
    state = housing_case()
    state.procedure = 2
    assert "decide_payment" in lifecycle.pending_actions(state)
    with pytest.raises(Forbidden):
        lifecycle.check(state, "decide_payment", {}, HOUSING, T0)
    do(state, "decide_payment", HRSS, amount="20000", compensation_percent=100)
    assert state.compensation_amount == Decimal("20000.00") and state.outstanding == Decimal("20000")


def test_serving_the_decision_starts_its_review_and_suit_windows_at_served_at():
    state = decided_case()
    seq = state.documents[-1].seq
    served_at = T0 + timedelta(days=2)
    for params, code in (
        ({"seq": 1, "method": "direct", "served_at": served_at.isoformat(), "recipient": "x"}, "not_a_served_document"),
        (
            {"seq": seq, "method": "left_at_address", "served_at": served_at.isoformat(), "recipient": "x"},
            "witness_required",
        ),
        (
            {"seq": seq, "method": "direct", "served_at": (T0 + timedelta(days=9)).isoformat(), "recipient": "x"},
            "served_in_future",
        ),
    ):
        with pytest.raises(Exception) as error:
            lifecycle.check(state, "serve", params, HRSS, T0 + timedelta(days=3))
        assert error.value.code == code
    params = {"seq": seq, "method": "direct", "served_at": served_at.isoformat(), "recipient": "某建筑公司 王经理"}
    requests = lifecycle.clocks_for(state, "serve", params, T0 + timedelta(days=3))
    assert [(r.rule, r.start) for r in requests] == [("decision_review", served_at), ("decision_suit", served_at)]
    docs = do(state, "serve", HRSS, now=T0 + timedelta(days=3), **params)
    assert [d.kind for d in docs] == ["service_record"] and docs[0].params["served_seq"] == seq
    assert state.open_deadline("decision_review").start_at == served_at
    with pytest.raises(Exception) as error:
        lifecycle.check(state, "serve", params, HRSS, T0 + timedelta(days=3))
    assert error.value.code == "nothing_to_serve"  # the decision was the only document awaiting service


def test_a_public_notice_takes_effect_when_its_period_passes():
    state = decided_case()
    seq = state.documents[-1].seq
    params = {
        "seq": seq,
        "method": "public_notice",
        "served_at": T0.isoformat(),
        "recipient": "公告",
        "notice_days": 30,
    }
    requests = lifecycle.clocks_for(state, "serve", params, T0 + timedelta(days=1))
    assert {r.start for r in requests} == {T0 + timedelta(days=30)}


def test_the_court_application_waits_for_the_decisions_windows_from_service():
    state = decided_case()
    seq = state.documents[-1].seq
    served_at = T0 + timedelta(days=2)
    times_ = {
        "decision_review": ClockTimes(served_at + timedelta(days=60)),
        "decision_suit": ClockTimes(served_at + timedelta(days=183)),
    }
    params = {"seq": seq, "method": "direct", "served_at": served_at.isoformat(), "recipient": "王经理"}
    lifecycle.check(state, "serve", params, HRSS, T0 + timedelta(days=3))
    lifecycle.apply(state, "serve", params, HRSS, T0 + timedelta(days=3), times_)
    # the decision ran out unpaid, nothing to draw: the court route (as the ladder takes it by itself)
    lifecycle.apply(state, "enforce", {"drawn": "0"}, SYSTEM, T0 + timedelta(days=11), times("court_reminder"))
    assert state.stage is Stage.COURT_ENFORCEMENT
    reminder = state.open_deadline("court_reminder")
    reminder.status = DeadlineStatus.MISSED  # the 催告 period ran out
    with pytest.raises(NotAllowedNow) as error:
        lifecycle.check(state, "court_application", {}, HRSS, T0 + timedelta(days=100))
    assert error.value.code == "decision_windows_open"
    lifecycle.check(state, "court_application", {}, HRSS, served_at + timedelta(days=184))
