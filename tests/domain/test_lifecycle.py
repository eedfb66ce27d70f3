"""The lifecycle rules as plain functions: transitions, permissions, clocks, escalation."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from core.jurisdiction import DEFAULT_JURISDICTION, load_jurisdiction
from core.policy import case_policy
from domain import lifecycle
from domain.errors import Forbidden, InvalidInput, NotAllowedNow
from domain.lifecycle import ClockTimes
from domain.model import Actor, CaseIntake, CaseState, Channel, Organisation, Person, Stage, WorkerClaim

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
POLICY = case_policy(load_jurisdiction(DEFAULT_JURISDICTION))
HRSS = Actor("w", "caseworker", "hrss")
HEAD = Actor("h", "unit_head", "hrss")


def times(*kinds, due=T0 + timedelta(days=7)):
    return {k: ClockTimes(due, [due + timedelta(days=2), due + timedelta(days=4)]) for k in kinds}


def new_case(workers=2, amount="20000") -> CaseState:
    intake = CaseIntake(
        "DX-2026-000001",
        Channel.WALK_IN,
        T0,
        T0,
        Actor("c", "clerk", "petition"),
        Person("张三"),
        [WorkerClaim(f"工人{i}", None, Decimal(amount) / workers) for i in range(workers)],
        Organisation("某公司"),
        Decimal(amount),
        "",
        POLICY,
    )
    state = CaseState(intake=intake)
    requests = lifecycle.open_case(state)
    assert [(r.rule, r.start) for r in requests] == [("acknowledge", T0)]
    lifecycle.refer(state, T0, times("acknowledge"))
    return state


def do(state, action, actor=HRSS, now=T0, **params):
    lifecycle.check(state, action, params, actor, now)
    clocks = lifecycle.clocks_for(state, action, params, now)
    return lifecycle.apply(state, action, params, actor, now, times(*[c.key for c in clocks]))


def test_every_transition_target_is_a_stage_and_closed_is_final():
    assert set(lifecycle.TRANSITIONS) == set(Stage)
    assert lifecycle.TRANSITIONS[Stage.CLOSED] == frozenset()
    for stage, targets in lifecycle.TRANSITIONS.items():
        assert stage is Stage.CLOSED or Stage.CLOSED in targets, f"{stage} cannot be closed"


def test_new_case_is_referred_with_receipt_and_referral():
    state = new_case()
    assert state.stage is Stage.REFERRED and state.lead_unit == "hrss"
    assert [d.kind for d in state.documents] == ["receipt", "referral"]
    assert lifecycle.pending_actions(state) == ["accept", "transfer", "close", "note", "assign_leader", "worker_route"]


def test_happy_path_and_pending_actions_follow_the_stage():
    state = new_case()
    do(state, "accept")
    assert state.stage is Stage.INVESTIGATING and state.open_deadline("investigate") is not None
    assert "order_payment" not in lifecycle.pending_actions(state)
    do(state, "findings", substantiated=True, liable_party="employer", amount_owed="20000")
    assert "order_payment" in lifecycle.pending_actions(state)
    do(state, "order_payment")
    assert state.stage is Stage.PAYMENT_ORDERED and state.order_amount == Decimal("20000")
    docs = do(state, "record_payment", amount="20000", payer="employer")
    assert state.stage is Stage.CLOSED and state.outcome == "paid_in_full"
    assert [d.kind for d in docs] == ["result_notice"] and lifecycle.pending_actions(state) == []
    assert lifecycle.next_wake(state) is None


@pytest.mark.parametrize(
    "action, actor, params, error",
    [
        ("accept", Actor("x", "caseworker", "water"), {}, Forbidden),
        ("accept", Actor("x", "clerk", "hrss"), {}, Forbidden),
        ("findings", HRSS, {"substantiated": True}, NotAllowedNow),
        ("order_payment", HRSS, {}, NotAllowedNow),
        ("transfer", HRSS, {"to_unit": "hrss", "reason": "x"}, NotAllowedNow),
        ("transfer", HRSS, {"to_unit": "water"}, InvalidInput),
        ("warp", HRSS, {}, InvalidInput),
    ],
)
def test_refusals(action, actor, params, error):
    state = new_case()
    before = repr(state)
    with pytest.raises(error):
        lifecycle.check(state, action, params, actor, T0)
    assert repr(state) == before


def test_extension_limits():
    state = new_case()
    do(state, "accept")
    with pytest.raises(Forbidden):
        lifecycle.check(state, "extend_investigation", {"working_days": 5, "reason": "r"}, HRSS, T0)
    with pytest.raises(InvalidInput):
        lifecycle.check(state, "extend_investigation", {"working_days": 31, "reason": "r"}, HEAD, T0)
    do(state, "extend_investigation", HEAD, working_days=25, reason="r")
    with pytest.raises(NotAllowedNow):
        lifecycle.check(state, "extend_investigation", {"working_days": 6, "reason": "r"}, HEAD, T0)
    do(state, "extend_investigation", HEAD, working_days=5, reason="r")
    assert "extend_investigation" not in lifecycle.pending_actions(state)


def test_on_time_misses_then_climbs_levels_and_stops_when_resolved():
    state = new_case()
    clock = state.deadlines[0]
    assert lifecycle.next_wake(state) == clock.due_at
    assert lifecycle.on_time(state, clock.due_at - timedelta(seconds=1)) == []
    docs = lifecycle.on_time(state, clock.due_at)
    assert clock.status.value == "missed" and [e.level for e in state.escalations] == ["unit_head"]
    assert [d.kind for d in docs] == ["escalation"] and state.overdue()
    assert lifecycle.next_wake(state) == clock.escalate_at[0]
    lifecycle.on_time(state, clock.escalate_at[1] + timedelta(days=1))
    # not a major case: no leader level
    assert [e.level for e in state.escalations] == ["unit_head", "office"]
    assert lifecycle.next_wake(state) is None
    do(state, "accept")
    assert not state.overdue() and clock.status.value == "missed"


def test_major_case_by_workers_or_amount():
    assert new_case(workers=POLICY.major_case_workers).major
    assert new_case(workers=2, amount=str(POLICY.major_case_amount)).major
    assert not new_case(workers=2, amount="1000").major


def test_overpayment_and_duplicate_reference_refused():
    state = new_case()
    do(state, "accept")
    do(state, "findings", substantiated=True, liable_party="employer", amount_owed="1000")
    do(state, "order_payment")
    with pytest.raises(InvalidInput):
        lifecycle.check(state, "record_payment", {"amount": "1000.01", "payer": "employer"}, HRSS, T0)
    do(state, "record_payment", amount="10", payer="employer", reference="R1")
    with pytest.raises(NotAllowedNow):
        lifecycle.check(state, "record_payment", {"amount": "10", "payer": "employer", "reference": "R1"}, HRSS, T0)
    assert state.amount_recovered == Decimal("10")
