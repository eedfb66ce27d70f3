"""The action registry's promise: what `pending_actions` offers and what `check` accepts come from one
predicate per action, along a case's whole enforcement ladder."""

from datetime import timedelta

import pytest

from domain import lifecycle
from domain.actions import ACTIONS
from domain.actions.base import as_params, parse
from domain.errors import DomainError, NotAllowedNow
from domain.model import SYSTEM, Actor
from tests.domain.test_enforcement import HEAD, POLICE, T0, do, enforce, ordered_case

ADMIN = Actor("a", "admin", "hrss")
# A valid command for each action, whatever the state (the state decides whether it is accepted).
SAMPLES = {
    "serve": {
        "seq": 3,
        "method": "left_at_address",
        "served_at": "2026-03-05",
        "recipient": "王经理",
        "witness": "社区 刘某",
    },
    "transfer": {"reason": "不属本单位"},
    "findings": {"substantiated": False},
    "note": {"text": "备注"},
    "extend_investigation": {"working_days": 1, "reason": "复杂"},
    "close": {"outcome": "withdrawn"},
    "record_payment": {"amount": "1", "payer": "employer"},
    "report_absconded": {"reason": "失联"},
    "reject_police_referral": {"reason": "不批准"},
    "police_decision": {"filed": True},
    "court_ruling": {"granted": True},
    "court_outcome": {"amount_enforced": "1"},
    "assign_leader": {"leader": "副县长"},
    "advance_emergency_fund": {"amount": "1", "purpose": "living"},
    "recover_emergency_fund": {"amount": "1"},
    "blacklist_objection": {"text": "申辩"},
    "blacklist_decision": {"listed": True},
    "propose_blacklist": {
        "persons": [{"name": "王某", "id_number": "11010519491231002X", "role": "legal_representative"}]
    },
    "extend_blacklist_decision": {"reason": "情况复杂"},
    "worker_route": {"route": "legal_aid", "event": "requested"},
    "limitation_decision": {"proceed": True, "reason": "继续状态"},
    "object_referral": {"reason": "不属本单位职权"},
    "review_applied": {"filed_at": "2026-03-05", "body": "代县人民政府"},
    "suit_filed": {"filed_at": "2026-03-05", "body": "代县人民法院"},
    "challenge_decided": {"result": "upheld", "decided_at": "2026-03-05"},
}


def _precise_refusal(spec, state, now) -> str | None:
    """The code an action's `refusal` gives in place of its not-awaited code (naming what is missing)."""
    if spec.refusal is None:
        return None
    try:
        spec.refusal(state, now)
    except DomainError as err:
        return err.code
    return None


def _states():
    """A case at each rung: ordered, in court after the reminder, then referred to the police and refused."""
    state = ordered_case()
    yield "ordered", state, T0
    later = T0 + timedelta(days=8)
    enforce(state, now=later)
    yield "court reminder", state, later
    after = T0 + timedelta(days=30)
    lifecycle.on_time(state, after)
    yield "reminder ran out", state, after
    police = ordered_case(n_workers=12, amount="60000")
    enforce(police, now=later)
    yield "police approval", police, later
    do(police, "approve_police_referral", HEAD, later)
    do(police, "transfer_to_police", now=later)
    do(police, "police_decision", POLICE, later, filed=True)
    yield "police filed", police, later
    from tests.domain.test_listing import LAPSE, lapsed_case  # procedure 3: the listing's own steps

    listing = lapsed_case()
    yield "procedure 3 lapsed", listing, LAPSE
    do(listing, "blacklist_grounds", SYSTEM, LAPSE)
    yield "procedure 3 grounds found", listing, LAPSE
    do(listing, "extend_blacklist_decision", HEAD, LAPSE, reason="情况复杂")
    yield "procedure 3 extended", listing, LAPSE


@pytest.mark.parametrize("name, state, now", list(_states()), ids=lambda v: v if isinstance(v, str) else "")
def test_an_action_is_accepted_exactly_when_it_is_offered(name, state, now):
    pending = set(lifecycle.pending_actions(state))
    for action, spec in ACTIONS.items():
        if spec.system:
            continue
        try:
            lifecycle.check(state, action, SAMPLES.get(action, {}), ADMIN, now)  # the admin passes any scope
            refusal = None
        except DomainError as err:
            refusal = err.code
        if refusal is None:
            assert action in pending, f"{name}: {action} is accepted but not offered"
        elif action not in pending and state.stage in spec.stages:
            expected = _precise_refusal(spec, state, now) or spec.not_awaited
            assert refusal == expected, f"{name}: {action} is refused with {refusal}, not as not awaited"
        if action in pending:  # offered: refused only for what the sample says, never as not awaited
            assert refusal != spec.not_awaited, f"{name}: {action} is offered but refused as not awaited"


def test_the_police_decision_and_the_court_application_agree_with_what_is_offered():
    state = ordered_case(n_workers=12, amount="60000")
    later = T0 + timedelta(days=8)
    enforce(state, now=later)
    do(state, "approve_police_referral", HEAD, later)
    assert "police_decision" not in lifecycle.pending_actions(state)  # not transferred yet
    with pytest.raises(NotAllowedNow):
        lifecycle.check(state, "police_decision", {"filed": True}, POLICE, later)
    do(state, "transfer_to_police", now=later)
    assert "police_decision" in lifecycle.pending_actions(state)
    do(state, "police_decision", POLICE, later, filed=True)
    assert "police_decision" not in lifecycle.pending_actions(state)
    with pytest.raises(NotAllowedNow):
        lifecycle.check(state, "police_decision", {"filed": True}, POLICE, later)

    court = ordered_case()
    enforce(court, now=later)
    assert "court_application" not in lifecycle.pending_actions(court)  # the reminder period runs
    with pytest.raises(NotAllowedNow):
        lifecycle.check(court, "court_application", {}, ADMIN, later + timedelta(days=30))  # its clock not yet run
    lifecycle.on_time(court, later + timedelta(days=30))
    assert "court_application" in lifecycle.pending_actions(court)
    lifecycle.check(court, "court_application", {}, ADMIN, later + timedelta(days=30))


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_a_command_survives_the_dict_the_workflow_records(name):
    command = parse(ACTIONS[name].command, SAMPLES.get(name, {}))
    assert parse(ACTIONS[name].command, as_params(command)) == command


def test_the_system_steps_are_the_workflows_own():
    state = ordered_case()
    with pytest.raises(Exception) as caught:
        lifecycle.check(state, "enforce", {}, ADMIN, T0 + timedelta(days=8))
    assert getattr(caught.value, "code", None) == "system_step"
    lifecycle.check(state, "enforce", {}, SYSTEM, T0 + timedelta(days=8))
