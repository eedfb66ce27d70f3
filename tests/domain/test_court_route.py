"""Procedure 3 as plain functions: the court route waits for the decision's windows, challenges stop it,
and the police referral needs the order served (or posted with a record) and the threshold still met."""

import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest

from domain import lifecycle
from domain.actions.challenge import final_since
from domain.errors import DomainError, InvalidInput
from domain.lifecycle import ClockTimes
from domain.model import SYSTEM, Actor, CaseState, DeadlineStatus, Stage
from domain.procedure import STATUTORY_PROCEDURE
from tests.domain.test_enforcement import HEAD, HRSS, POLICE, T0, sample_intake
from tests.domain.test_registry import test_an_action_is_accepted_exactly_when_it_is_offered as offered_agrees

HOUSING_HEAD = Actor("hh", "unit_head", "housing")
# Periods close to the shipped rules (the activity computes the real ones on the calendar).
PERIODS = {
    "decision_review": timedelta(days=60),
    "decision_suit": timedelta(days=183),
    "review_suit": timedelta(days=15),
    "court_reminder": timedelta(days=14),
    "court_application": timedelta(days=92),
}
DAY = timedelta(days=1)


def at(days: float):
    return T0 + timedelta(days=days)


def do(state, action, actor=HRSS, now=T0, **params):
    """check, clocks, apply, with each clock due after its period (7 days where none is listed)."""
    lifecycle.check(state, action, params, actor, now)
    clocks = lifecycle.clocks_for(state, action, params, now)
    times = {}
    for c in clocks:
        due = c.start + PERIODS.get(c.rule, timedelta(days=7))
        times[c.key] = ClockTimes(due, [due + timedelta(days=2)])
    return lifecycle.apply(state, action, params, actor, now, times)


def refused(state, action, now, actor=HRSS, **params) -> str:
    with pytest.raises(DomainError) as error:
        lifecycle.check(state, action, params, actor, now)
    return error.value.code


def tick(state, now):
    """What the workflow does at a wake-up: mark the clocks, then take the steps due."""
    lifecycle.on_time(state, now)
    while (step := lifecycle.due_step(state, now)) is not None:
        params = {"drawn": "0"} if step == "enforce" else {}
        do(state, step, SYSTEM, now, **params)


def new_case(n_workers=3, amount="36000", months=None) -> CaseState:
    state = CaseState(intake=sample_intake("DX-2026-000031", n_workers, amount), procedure=STATUTORY_PROCEDURE)
    lifecycle.open_case(state)
    lifecycle.refer(state, T0, {"acknowledge": ClockTimes(at(7))})
    do(state, "accept")
    findings = dict(substantiated=True, liable_party="employer", amount_owed=amount)
    if months:
        findings["months_unpaid"] = months
    do(state, "findings", **findings)
    return state


def seq_of(state, kind) -> int:
    return next(d.seq for d in reversed(state.documents) if d.kind == kind)


def serve(state, kind, now, served_at=None, method="direct", **extra):
    params = dict(seq=seq_of(state, kind), method=method, served_at=(served_at or now).isoformat(), recipient="张经理")
    return do(state, "serve", now=now, **{**params, **extra})


def decided(n_workers=3, amount="36000", months=None, served=True) -> CaseState:
    """Ordered (7 days), lapsed, decided on day 9 (pay by day 20), the decision served on day 10."""
    state = new_case(n_workers, amount, months)
    do(state, "order_payment", due_at=at(7).isoformat())
    tick(state, at(8))
    assert state.open_deadline("decision") is not None
    do(state, "decide_payment", now=at(9), due_at=at(20).isoformat(), compensation_percent=50)
    if served:
        serve(state, "payment_decision", at(10))
    return state


def on_court_route(**kw) -> CaseState:
    state = decided(**kw)
    tick(state, at(21))  # the decision's date passed unpaid, below the threshold: the court route
    assert state.stage is Stage.COURT_ENFORCEMENT
    return state


# ---- the court route -------------------------------------------------------------------------------


def test_the_court_route_waits_for_both_windows_before_the_reminder():
    state = on_court_route()
    assert state.documents[-1].kind != "court_reminder" and state.open_deadline("court_reminder") is None
    assert state.timeline[-1].kind == "court_route" and "期限届满后" in state.timeline[-1].summary
    pending = lifecycle.pending_actions(state)
    assert "serve_court_reminder" not in pending and "court_application" not in pending
    for action in ("serve_court_reminder", "court_application"):
        assert refused(state, action, at(30)) == "decision_windows_open"
    tick(state, at(71))  # the review window ended; the suit window runs
    assert lifecycle.due_step(state, at(71)) is None
    assert refused(state, "court_application", at(71)) == "decision_windows_open"
    tick(state, at(194))  # both passed unchallenged: the application's clock opens from their end
    clock = state.open_deadline("court_application")
    assert clock is not None and clock.start_at == at(10) + PERIODS["decision_suit"] and clock.unit == "hrss"
    assert "第53条" in clock.basis and state.decision_final_at == clock.start_at
    assert "serve_court_reminder" in lifecycle.pending_actions(state)
    assert refused(state, "court_application", at(194)) == "court_reminder_first"


def test_the_reminder_runs_from_its_service_then_the_court_may_be_asked():
    state = on_court_route()
    tick(state, at(194))
    [reminder] = do(state, "serve_court_reminder", now=at(195))
    assert reminder.kind == "court_reminder" and state.court_reminded_at == at(195)
    assert state.open_deadline("court_reminder") is None  # nothing runs before it is served
    assert refused(state, "court_application", at(196)) == "court_reminder_not_served"
    assert refused(state, "serve_court_reminder", at(196)) == "reminder_issued"
    serve(state, "court_reminder", at(197), served_at=at(196))
    clock = state.open_deadline("court_reminder")
    assert clock.start_at == at(196) and clock.unit == "hrss"
    assert refused(state, "court_application", at(200)) == "court_reminder_running"
    tick(state, at(211))  # the party's ten days ended: a period, not an overdue unit
    assert clock.status is DeadlineStatus.MET and not any(
        e.deadline_kind == "court_reminder" for e in state.escalations
    )
    assert "court_application" in lifecycle.pending_actions(state)
    do(state, "court_application", now=at(212))
    kinds = {d.kind: d.status for d in state.deadlines}
    assert kinds["court_application"] is DeadlineStatus.MET and state.open_deadline("court_accept") is not None


def test_the_application_clock_escalates_like_any_other():
    state = on_court_route()
    tick(state, at(194))
    due = state.open_deadline("court_application").due_at
    tick(state, due + DAY)
    assert any(e.deadline_kind == "court_application" and e.unit == "hrss" for e in state.escalations)


def test_an_unserved_decision_keeps_the_court_route_waiting():
    state = decided(served=False)
    tick(state, at(400))
    assert state.stage is Stage.COURT_ENFORCEMENT and "尚未登记送达" in state.timeline[-1].summary
    assert refused(state, "serve_court_reminder", at(400)) == "decision_not_served"
    assert lifecycle.due_step(state, at(400)) is None  # until the service is recorded


def test_windows_already_over_when_the_decision_lapses_open_the_application_at_once():
    state = decided()
    state.payment_due_at = None
    clock = state.open_deadline("decision_payment")
    clock.due_at = at(250)  # a decision with a long date to pay
    tick(state, at(251))
    assert state.stage is Stage.COURT_ENFORCEMENT and state.open_deadline("court_application") is not None
    assert state.decision_final_at == at(10) + PERIODS["decision_suit"]


def test_the_lawful_ladder_keeps_issuing_the_reminder_at_once():
    state = decided()
    state.procedure = 2  # a case started on procedure 2 (its decision's lapse is what moves it on)
    tick(state, at(21))
    assert "court_reminder" in [d.kind for d in state.documents] and state.open_deadline("court_reminder")
    assert state.open_deadline("court_application") is None and state.timeline[-1].kind == "court_reminder"


# ---- challenges ------------------------------------------------------------------------------------


def test_a_review_stops_the_route_and_an_upheld_review_leaves_fifteen_days_to_sue():
    state = on_court_route()
    assert "review_applied" in lifecycle.pending_actions(state)
    assert refused(state, "review_applied", at(30), filed_at=at(5).date().isoformat(), body="县政府") == (
        "filed_outside_window"
    )
    do(
        state,
        "review_applied",
        now=at(30),
        filed_at=at(29).isoformat(),
        body="代县人民政府",
        reference="代复〔2026〕3号",
    )
    assert state.challenges[-1].kind == "review" and state.challenges[-1].outcome is None
    assert "challenge_decided" in lifecycle.pending_actions(state)
    assert "review_applied" not in lifecycle.pending_actions(state)
    tick(state, at(300))  # the windows' dates pass: the pending review keeps the route stopped
    assert lifecycle.due_step(state, at(300)) is None and state.open_deadline("court_application") is None
    assert refused(state, "serve_court_reminder", at(300)) == "decision_challenged"
    do(state, "challenge_decided", now=at(301), result="upheld", decided_at=at(300).isoformat())
    window = state.open_deadline("review_suit")
    assert window.start_at == at(300) and "第45条" in window.basis
    assert "suit_filed" in lifecycle.pending_actions(state)
    assert refused(state, "serve_court_reminder", at(305)) == "decision_windows_open"
    tick(state, at(316))  # fifteen days without a suit: the route resumes
    assert state.decision_final_at == at(315) and state.open_deadline("court_application").start_at == at(315)


def test_a_suit_after_the_review_and_its_judgment_resume_the_route():
    state = on_court_route()
    do(state, "review_applied", now=at(30), filed_at=at(30).isoformat(), body="代县人民政府")
    do(state, "challenge_decided", now=at(90), result="upheld", decided_at=at(90).isoformat())
    do(
        state,
        "suit_filed",
        now=at(100),
        filed_at=at(100).isoformat(),
        body="代县人民法院",
        reference="（2026）晋0923行初1号",
    )
    assert state.open_deadline("review_suit") is None and lifecycle.due_step(state, at(200)) is None
    do(state, "challenge_decided", now=at(200), result="upheld", decided_at=at(199).isoformat())
    assert final_since(state) == at(199) and lifecycle.due_step(state, at(200)) == "decision_final"
    assert lifecycle.next_wake(state) <= at(200)  # the workflow takes the step at once
    tick(state, at(200))
    assert state.open_deadline("court_application").start_at == at(199)


def test_a_changed_decision_is_enforced_for_its_new_amount():
    state = on_court_route()
    do(state, "suit_filed", now=at(40), filed_at=at(40).isoformat(), body="代县人民法院")
    assert state.open_deadline("decision_review") is None  # a suit ends the review window
    with pytest.raises(InvalidInput):
        do(state, "challenge_decided", now=at(150), result="changed", decided_at=at(150).isoformat())
    do(state, "challenge_decided", now=at(150), result="changed", decided_at=at(150).isoformat(), amount="30000")
    assert state.decision_amount == Decimal("30000") and state.outstanding == Decimal("30000")
    tick(state, at(150))
    assert state.open_deadline("court_application") is not None


def test_a_revoked_decision_is_not_enforced_and_labour_inspection_may_decide_again():
    state = on_court_route()
    do(state, "review_applied", now=at(30), filed_at=at(30).isoformat(), body="代县人民政府")
    do(state, "challenge_decided", now=at(80), result="revoked", decided_at=at(80).isoformat())
    assert state.stage is Stage.INVESTIGATING and state.decision_served_at is None
    assert "decide_payment" in lifecycle.pending_actions(state)
    assert all(d.resolved_at is not None for d in state.deadlines if d.kind.startswith(("decision_", "court_")))
    do(state, "decide_payment", now=at(81), due_at=at(95).isoformat(), compensation_percent=50)
    assert state.stage is Stage.DECIDED and final_since(state) is None  # the new decision has its own windows
    serve(state, "payment_decision", at(82))
    assert state.open_deadline("decision_review").start_at == at(82)


def test_challenges_are_recorded_only_on_procedure_3_and_only_by_labour_inspection_or_the_lead():
    state = on_court_route()
    assert (
        refused(
            state,
            "review_applied",
            at(30),
            actor=Actor("x", "clerk", "hrss"),
            filed_at=at(30).isoformat(),
            body="县政府",
        )
        == "role_may_not"
    )
    state.procedure = 2
    assert "review_applied" not in lifecycle.pending_actions(state)


# ---- the police ------------------------------------------------------------------------------------


def police_case(served=True, **kw) -> CaseState:
    state = decided(n_workers=12, amount="60000", served=served, **kw)
    tick(state, at(21))
    assert state.stage is Stage.POLICE_REFERRED
    return state


def test_approval_needs_the_order_or_the_decision_served():
    state = police_case(served=False)
    assert refused(state, "approve_police_referral", at(21), actor=HEAD) == "order_not_served"
    serve(state, "order_to_pay", at(21), served_at=at(1), method="public_notice", notice_days=30)
    assert refused(state, "approve_police_referral", at(21), actor=HEAD) == "posting_needs_evidence"
    assert state.services[-1].kind == "order_to_pay" and state.services[-1].evidence is None


def test_a_posted_order_with_its_photo_record_counts_as_served():
    state = police_case(served=False)
    serve(state, "order_to_pay", at(21), served_at=at(1), method="public_notice", evidence="照片 ZP-001、录像 LX-002")
    assert state.services[-1].evidence == "照片 ZP-001、录像 LX-002"
    [transfer] = do(state, "approve_police_referral", HEAD, at(21))
    assert transfer.kind == "police_transfer"


def test_approval_rechecks_the_threshold_against_what_is_still_owed():
    state = police_case()
    do(state, "record_payment", now=at(21), amount="40000", payer="employer")
    assert refused(state, "approve_police_referral", at(22), actor=HEAD) == "below_threshold_at_approval"
    do(state, "reject_police_referral", HEAD, at(22), reason="已不足追诉标准")
    assert state.stage is Stage.COURT_ENFORCEMENT and state.open_deadline("court_reminder") is None


def test_the_police_may_decide_from_the_approval_on():
    state = police_case()
    do(state, "approve_police_referral", HEAD, at(21))
    assert "police_decision" in lifecycle.pending_actions(state)
    do(state, "police_decision", POLICE, at(22), filed=False, reason="证据不足")
    assert state.open_deadline("police_transfer") is None and state.police_referred_at == at(22)
    assert state.open_deadline("police_reconsider") is not None
    # refused: the court route once the decision's windows passed
    tick(state, at(194))
    assert state.open_deadline("court_application") is not None
    assert "serve_court_reminder" in lifecycle.pending_actions(state)
    do(state, "serve_court_reminder", now=at(195))
    assert state.stage is Stage.COURT_ENFORCEMENT and state.open_deadline("police_reconsider") is None


def test_an_absconded_employer_is_reported_after_the_posted_order_ran_out():
    state = new_case(n_workers=12, amount="60000")
    assert "report_absconded" not in lifecycle.pending_actions(state)
    assert refused(state, "report_absconded", at(1), reason="失联") == "order_not_served"
    do(state, "order_payment", due_at=at(7).isoformat())
    serve(state, "order_to_pay", at(1), method="public_notice", evidence="张贴照片 ZP-1")
    assert refused(state, "report_absconded", at(2), reason="失联") == "order_not_lapsed"
    tick(state, at(8))
    assert "report_absconded" in lifecycle.pending_actions(state)
    do(state, "report_absconded", now=at(8), reason="负责人失联")
    assert state.stage is Stage.POLICE_REFERRED and state.open_deadline("decision") is None
    do(state, "approve_police_referral", HEAD, at(9))
    # the police refuse: the court needs a handling decision, which labour inspection makes on the route
    do(state, "police_decision", POLICE, at(10), filed=False, reason="证据不足")
    assert refused(state, "serve_court_reminder", at(10)) == "no_handling_decision"
    assert "decide_payment" in lifecycle.pending_actions(state)
    do(state, "decide_payment", now=at(11), compensation_percent=50)
    assert state.stage is Stage.POLICE_REFERRED and state.open_deadline("decision_payment") is None


def test_what_is_offered_is_what_is_accepted_along_procedure_3():
    state = on_court_route()
    offered_agrees("court route", state, at(30))
    do(state, "review_applied", now=at(30), filed_at=at(30).isoformat(), body="代县人民政府")
    offered_agrees("review pending", state, at(31))
    do(state, "challenge_decided", now=at(40), result="upheld", decided_at=at(40).isoformat())
    tick(state, at(56))
    offered_agrees("final", state, at(56))
    do(state, "serve_court_reminder", now=at(57))
    offered_agrees("reminder issued", state, at(57))
    police = police_case(served=False)
    offered_agrees("police unserved", police, at(21))
    copy = dataclasses.replace(police)
    offered_agrees("police copy", copy, at(21))
