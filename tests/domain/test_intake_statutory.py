"""Procedure 3 at intake: the petition clocks, the limitation and late entries (domain/actions/petition.py)."""

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from core.jurisdiction import DEFAULT_JURISDICTION, load_jurisdiction
from core.policy import case_policy
from domain import lifecycle
from domain.actions.petition import earliest_received, limitation_last_day, out_of_limitation, received_too_long_ago
from domain.errors import Forbidden, NotAllowedNow
from domain.lifecycle import ClockTimes
from domain.model import Actor, CaseIntake, CaseState, Channel, DeadlineStatus, Organisation, Person, Stage, WorkerClaim
from domain.procedure import LAWFUL_LADDER, STATUTORY_PROCEDURE

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
POLICY = case_policy(load_jurisdiction(DEFAULT_JURISDICTION))
LIMITATION = POLICY.deadlines["limitation"]
HRSS = Actor("w", "caseworker", "hrss")
HOUSING = Actor("z", "caseworker", "housing")
OFFICE = Actor("s", "supervisor", "hrss")


def times(*kinds, due=T0 + timedelta(days=7)):
    return {k: ClockTimes(due, [due + timedelta(days=2), due + timedelta(days=4)]) for k in kinds}


def intake(channel=Channel.PETITION, received=T0, **extra) -> CaseIntake:
    return CaseIntake(
        "DX-2026-000001",
        channel,
        received,
        T0,
        Actor("c", "clerk", "petition"),
        Person("张三"),
        [WorkerClaim("工人甲", None, Decimal("20000"))],
        Organisation("某公司"),
        Decimal("20000"),
        "",
        POLICY,
        **extra,
    )


def new_case(procedure=STATUTORY_PROCEDURE, **kw) -> tuple[CaseState, list]:
    state = CaseState(intake=intake(**kw), procedure=procedure)
    requests = lifecycle.open_case(state)
    lifecycle.refer(state, T0, times(*[r.key for r in requests]))
    return state, requests


def do(state, action, actor=HRSS, now=T0, **params):
    lifecycle.check(state, action, params, actor, now)
    clocks = lifecycle.clocks_for(state, action, params, now)
    return lifecycle.apply(state, action, params, actor, now, times(*[c.key for c in clocks]))


def kinds(state):
    return {(d.kind, d.status.value, d.resolved_at is None) for d in state.deadlines}


# ---- petition clocks -------------------------------------------------------------------------------


def test_petition_opens_the_notice_and_objection_clocks_from_receipt_and_referral():
    received = T0 - timedelta(days=1)
    state, requests = new_case(received=received)
    assert [(r.rule, r.start) for r in requests] == [
        ("acknowledge", received),
        ("petition_register", received),
        ("referral_objection", T0),
    ]
    by_kind = {d.kind: d for d in state.deadlines}
    assert by_kind["petition_register"].unit == by_kind["referral_objection"].unit == state.lead_unit
    assert "object_referral" in lifecycle.pending_actions(state)


@pytest.mark.parametrize(
    "procedure,channel", [(LAWFUL_LADDER, Channel.PETITION), (STATUTORY_PROCEDURE, Channel.HOTLINE)]
)
def test_old_procedures_and_other_channels_keep_only_the_acknowledge_clock(procedure, channel):
    state, requests = new_case(procedure=procedure, channel=channel)
    assert [r.rule for r in requests] == ["acknowledge"]
    assert [d.kind for d in state.deadlines] == ["acknowledge"]
    assert "object_referral" not in lifecycle.pending_actions(state)


def test_acceptance_tells_the_petitioner_and_starts_the_handling_period_which_closing_meets():
    state, _ = new_case()
    assert [c.rule for c in lifecycle.clocks_for(state, "accept", {}, T0)] == ["investigate", "petition_handle"]
    do(state, "accept")
    by_kind = {d.kind: d for d in state.deadlines}
    assert by_kind["petition_register"].status is DeadlineStatus.MET
    assert by_kind["referral_objection"].status is DeadlineStatus.CANCELLED
    assert by_kind["petition_handle"].resolved_at is None and by_kind["petition_handle"].unit == "hrss"
    do(state, "close", outcome="mediated")
    by_kind = {d.kind: d for d in state.deadlines}
    assert by_kind["petition_handle"].status is DeadlineStatus.MET
    assert by_kind["investigate"].status is DeadlineStatus.CANCELLED


def test_a_missed_notice_clock_escalates_like_any_other():
    state, _ = new_case()
    due = state.open_deadline("petition_register").due_at
    docs = lifecycle.on_time(state, due + timedelta(seconds=1))
    clock = state.open_deadline("petition_register")
    assert clock.status is DeadlineStatus.MISSED and clock.level == 1
    assert any(e.deadline_kind == "petition_register" for e in state.escalations) and docs


def test_the_objection_window_ends_without_anyone_being_overdue():
    state, _ = new_case()
    clock = state.open_deadline("referral_objection")
    lifecycle.on_time(state, clock.due_at + timedelta(seconds=1))
    assert clock.status is DeadlineStatus.MET and clock.level == 0
    assert not any(e.deadline_kind == "referral_objection" for e in state.escalations)
    assert "object_referral" not in lifecycle.pending_actions(state)
    with pytest.raises(NotAllowedNow) as err:
        do(state, "object_referral", reason="不属本单位职权")
    assert err.value.code == "objection_window_closed"


def test_object_referral_sends_the_case_back_to_the_referring_unit_with_a_new_acknowledge_clock():
    state, _ = new_case()
    do(state, "transfer", actor=OFFICE, to_unit="housing", reason="住建项目")
    assert state.lead_unit == "housing"
    window = state.open_deadline("referral_objection")
    assert window.unit == "housing" and window.start_at == T0
    assert state.open_deadline("petition_register").unit == "housing"
    with pytest.raises(Forbidden):
        do(state, "object_referral", actor=HRSS, reason="x")  # only the unit it was referred to
    docs = do(state, "object_referral", actor=HOUSING, reason="该项目不在本单位监管范围")
    assert state.lead_unit == "hrss" and state.stage is Stage.REFERRED
    assert [d.kind for d in docs] == ["referral"]
    assert state.open_deadline("acknowledge").unit == "hrss"
    assert state.open_deadline("petition_register").unit == "hrss"
    assert state.open_deadline("referral_objection") is None
    assert state.timeline[-1].kind == "referral_objected"


def test_the_first_referral_goes_back_to_the_office_which_cannot_object_to_itself():
    state, _ = new_case()
    assert state.lead_unit == "hrss" == POLICY.office_unit
    with pytest.raises(NotAllowedNow) as err:
        do(state, "object_referral", reason="x")
    assert err.value.code == "objection_to_self"


# ---- the limitation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start,last",
    [
        (date(2024, 3, 1), date(2026, 3, 1)),
        (date(2024, 2, 29), date(2026, 2, 28)),
        (date(2023, 12, 31), date(2025, 12, 31)),
    ],
)
def test_limitation_last_day_counts_two_years_in_months(start, last):
    assert limitation_last_day(start, LIMITATION) == last


def test_out_of_limitation_compares_the_end_of_the_arrears_with_the_receipt_in_china_time():
    received = datetime(2026, 3, 1, 17, 0, tzinfo=timezone.utc)  # 2 March in China
    assert not out_of_limitation(intake(received=received, arrears_ended_at=date(2024, 3, 2)))
    assert out_of_limitation(intake(received=received, arrears_ended_at=date(2024, 3, 1)))
    assert not out_of_limitation(intake(received=received))


def test_a_complaint_out_of_limitation_is_registered_with_its_receipt_and_flagged():
    state, requests = new_case(channel=Channel.HOTLINE, arrears_ended_at=date(2023, 6, 30))
    assert [d.kind for d in state.documents] == ["receipt", "referral"]
    assert state.limitation_pending and "limitation_flagged" in [e.kind for e in state.timeline]
    # no clock of the case starts before the complaint was received
    assert all(r.start >= state.intake.received_at for r in requests)
    assert all(d.start_at >= state.intake.received_at for d in state.deadlines)
    pending = lifecycle.pending_actions(state)
    assert "limitation_decision" in pending and "accept" not in pending
    with pytest.raises(NotAllowedNow) as err:
        do(state, "accept")
    assert err.value.code == "limitation_pending"


def test_not_accepting_issues_the_notice_and_closes_out_of_limitation():
    state, _ = new_case(arrears_ended_at=date(2023, 6, 30))
    with pytest.raises(Forbidden):  # labour inspection decides (劳动保障监察条例 art. 20)
        do(state, "limitation_decision", actor=HOUSING, proceed=False, reason="超过2年")
    docs = do(state, "limitation_decision", proceed=False, reason="欠薪行为终了已逾2年")
    assert [d.kind for d in docs] == ["non_acceptance"]
    assert state.stage is Stage.CLOSED and state.outcome == "out_of_limitation"
    by_kind = {d.kind: d for d in state.deadlines}
    assert by_kind["acknowledge"].status is DeadlineStatus.MET
    assert by_kind["petition_register"].status is DeadlineStatus.MET
    assert lifecycle.next_wake(state) is None


def test_proceeding_lets_the_case_be_accepted():
    state, _ = new_case(arrears_ended_at=date(2023, 6, 30))
    assert do(state, "limitation_decision", proceed=True, reason="欠薪持续至今，属继续状态") == []
    assert not state.limitation_pending and "limitation_decision" not in lifecycle.pending_actions(state)
    do(state, "accept")
    assert state.stage is Stage.INVESTIGATING


def test_old_procedures_never_flag_the_limitation():
    state, _ = new_case(procedure=LAWFUL_LADDER, arrears_ended_at=date(2020, 1, 1))
    assert not state.limitation_pending and "limitation_decision" not in lifecycle.pending_actions(state)


# ---- late entry ------------------------------------------------------------------------------------


def test_received_too_long_ago_is_the_limitation_counted_back_from_now():
    now = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
    assert earliest_received(date(2026, 3, 2), LIMITATION) == date(2024, 3, 2)
    assert not received_too_long_ago(datetime(2024, 3, 2, 0, 0, tzinfo=timezone.utc), now, LIMITATION)
    assert received_too_long_ago(datetime(2024, 3, 1, 0, 0, tzinfo=timezone.utc), now, LIMITATION)


def test_a_late_entry_records_its_reason_and_counts_its_clocks_from_registration():
    received = T0 - timedelta(days=3 * 365)
    state, requests = new_case(received=received, late_entry_reason="原纸质台账补录")
    assert {r.start for r in requests} == {T0}
    late = [e for e in state.timeline if e.kind == "late_entry"]
    assert late and "原纸质台账补录" in late[0].summary and late[0].data["reason"] == "原纸质台账补录"
    assert state.timeline[0].kind == "received" and state.timeline[0].at == received


def test_a_recent_receipt_with_a_reason_keeps_its_clocks_from_receipt():
    received = T0 - timedelta(days=10)
    state, requests = new_case(received=received, late_entry_reason="电话受理后次周登记")
    assert {r.start for r in requests} == {received, T0}
    assert state.open_deadline("acknowledge").start_at == received


def test_a_late_entry_on_an_old_procedure_is_counted_from_receipt():
    received = T0 - timedelta(days=3 * 365)
    state = CaseState(intake=replace(intake(received=received), late_entry_reason="x"), procedure=LAWFUL_LADDER)
    assert [r.start for r in lifecycle.open_case(state)] == [received]


def test_the_handling_period_runs_on_from_the_first_acceptance_across_a_transfer():
    state, _ = new_case()
    do(state, "accept")
    first = state.open_deadline("petition_handle")
    do(state, "transfer", actor=OFFICE, to_unit="housing", reason="住建项目")
    assert state.open_deadline("petition_handle") is first and first.unit == "housing"
    assert [c.rule for c in lifecycle.clocks_for(state, "accept", {}, T0)] == ["investigate"]
    do(state, "accept", actor=HOUSING)
    assert [d.kind for d in state.deadlines].count("petition_handle") == 1
