"""The dishonest-employer list on procedure 3 (人社部令第45号) as plain functions: the grounds found at the
lapse of a payment deadline, the decision clock from that lapse, the persons, the extension, the correction."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from domain import lifecycle, listing
from domain.errors import Forbidden, InvalidInput, NotAllowedNow
from domain.model import SYSTEM, Actor, DeadlineStatus, ListedPerson, Party, Payment
from domain.procedure import LAWFUL_LADDER, STATUTORY_PROCEDURE
from tests.domain.test_enforcement import HEAD, HRSS, T0, do, ordered_case

LEGAL_REP = {"name": "王某", "id_number": "11010519491231002X", "role": "legal_representative"}
MANAGER = {"name": "李某", "id_number": "110101199003070000", "role": "responsible"}
LAPSE = T0 + timedelta(days=8)


def _valid_id(first17: str) -> str:
    from domain.identity import resident_id_check_char

    return first17 + resident_id_check_char(first17)


MANAGER["id_number"] = _valid_id("11010119900307123")


def lapsed_case(n_workers=12, amount="60000", procedure=STATUTORY_PROCEDURE, group_incident=False):
    state = ordered_case(n_workers=n_workers, amount=amount)
    state.procedure = procedure
    state.intake.group_incident = group_incident
    assert lifecycle.due_step(state, LAPSE) == "order_lapsed"
    do(state, "order_lapsed", SYSTEM, LAPSE)
    return state


def test_the_grounds_of_art_5():
    assert listing.grounds(unpaid=None, crime_met=True, group_incident=True) is None  # no deadline lapsed
    assert listing.grounds(unpaid=Decimal("0"), crime_met=True, group_incident=False) is None
    assert "第五条第一项" in listing.grounds(unpaid=Decimal("1"), crime_met=True, group_incident=False)
    assert "群体性事件" in listing.grounds(unpaid=Decimal("1"), crime_met=False, group_incident=True)
    assert listing.grounds(unpaid=Decimal("1"), crime_met=False, group_incident=False) is None


def test_a_lapse_that_meets_the_grounds_records_them_and_opens_the_decision_clock_from_the_lapse():
    state = lapsed_case()
    order = next(d for d in state.deadlines if d.kind == "order_payment")
    assert lifecycle.due_step(state, LAPSE) == "blacklist_grounds"
    assert "propose_blacklist" not in lifecycle.pending_actions(state)  # not before the grounds are recorded
    [request] = lifecycle.clocks_for(state, "blacklist_grounds", {}, LAPSE)
    assert request.rule == "blacklist_decision" and request.start == order.due_at  # not the step's own instant
    with pytest.raises(Forbidden):
        lifecycle.check(state, "blacklist_grounds", {}, HEAD, LAPSE)
    do(state, "blacklist_grounds", SYSTEM, LAPSE)
    clock = state.open_deadline("blacklist_decision")
    assert clock.start_at == order.due_at == state.blacklist_grounds_at and clock.unit == "hrss"
    assert "第8条" in clock.basis and "届满" in clock.basis and "第五条第一项" in state.blacklist_reason
    assert state.timeline[-1].kind == "blacklist_grounds" and lifecycle.due_step(state, LAPSE) is None
    assert "propose_blacklist" in lifecycle.pending_actions(state)
    # the proposal gives notice but leaves the decision clock where the lapse put it
    later = LAPSE + timedelta(days=3)
    do(state, "propose_blacklist", HRSS, later, persons=[LEGAL_REP, MANAGER])
    assert [d.kind for d in state.deadlines].count("blacklist_decision") == 1
    assert state.open_deadline("blacklist_decision") is clock and state.open_deadline("blacklist_notice")
    assert [(p.name, p.role) for p in state.blacklist_persons] == [
        ("王某", "legal_representative"),
        ("李某", "responsible"),
    ]
    assert "法定代表人王某、直接责任人员李某" in state.timeline[-1].summary


def test_the_latest_lapse_is_the_decisions_once_it_passed():
    state = lapsed_case()
    do(state, "blacklist_grounds", SYSTEM, LAPSE)
    order = next(d for d in state.deadlines if d.kind == "order_payment")
    do(state, "decide_payment", HRSS, LAPSE, compensation_percent=50)
    decision = state.open_deadline("decision_payment")
    assert listing.lapsed_payment_deadline(state, decision.due_at - timedelta(hours=1)) == order.due_at
    later = decision.due_at + timedelta(hours=1)
    assert listing.lapsed_payment_deadline(state, later) == decision.due_at
    do(state, "enforce", SYSTEM, later)
    assert lifecycle.due_step(state, later) is None  # the grounds were found once, at the first lapse


def test_no_step_below_the_grounds_nor_on_the_older_procedures():
    small = lapsed_case(n_workers=2, amount="2000")
    assert lifecycle.due_step(small, LAPSE) is None and "propose_blacklist" not in lifecycle.pending_actions(small)
    assert lifecycle.due_step(lapsed_case(n_workers=2, amount="2000", group_incident=True), LAPSE) == (
        "blacklist_grounds"
    )
    old = lapsed_case(procedure=LAWFUL_LADDER)
    assert lifecycle.due_step(old, LAPSE) is None  # procedure 2: proposed as before, clock from the proposal
    assert "propose_blacklist" in lifecycle.pending_actions(old)
    do(old, "propose_blacklist", HRSS, LAPSE + timedelta(days=3))  # no persons needed
    assert old.open_deadline("blacklist_decision").start_at == LAPSE + timedelta(days=3)
    assert "extend_blacklist_decision" not in lifecycle.pending_actions(old)


def test_the_persons_are_checked():
    state = lapsed_case()
    do(state, "blacklist_grounds", SYSTEM, LAPSE)
    for persons, field, code in (
        ([], "persons", "persons_need_head"),
        ([MANAGER], "persons", "persons_need_head"),
        ([{**LEGAL_REP, "id_number": "110105194912310021"}], "persons.0.id_number", "id_check_char"),
        ([LEGAL_REP, {**MANAGER, "role": "boss"}], "persons.1.role", "person_role"),
        ([LEGAL_REP, {**LEGAL_REP, "role": "responsible"}], "persons", "person_twice"),
        ([LEGAL_REP, {**MANAGER, "name": " "}], "persons.1.name", "required"),
    ):
        with pytest.raises(InvalidInput) as err:
            lifecycle.check(state, "propose_blacklist", {"persons": persons}, HRSS, LAPSE)
        assert (err.value.field, err.value.code) == (field, code), persons
    born_later = {**MANAGER, "id_number": _valid_id("11010120300307123")}  # born in 2030
    with pytest.raises(InvalidInput) as err:
        lifecycle.check(state, "propose_blacklist", {"persons": [LEGAL_REP, born_later]}, HRSS, LAPSE)
    assert err.value.code == "id_birth_in_future" and err.value.field == "persons.1.id_number"
    lower = {**LEGAL_REP, "id_number": "11010519491231002x"}
    do(state, "propose_blacklist", HRSS, LAPSE, persons=[lower])
    assert state.blacklist_persons == [ListedPerson("王某", "11010519491231002X", "legal_representative")]


def test_the_decision_clock_is_extended_once_by_the_authoritys_head():
    state = lapsed_case()
    assert "extend_blacklist_decision" not in lifecycle.pending_actions(state)  # no clock yet
    do(state, "blacklist_grounds", SYSTEM, LAPSE)
    assert "extend_blacklist_decision" in lifecycle.pending_actions(state)
    for actor in (HRSS, Actor("s", "supervisor", "office"), Actor("x", "unit_head", "housing")):
        with pytest.raises(Forbidden):
            lifecycle.check(state, "extend_blacklist_decision", {"reason": "涉及人员众多"}, actor, LAPSE)
    clock = state.open_deadline("blacklist_decision")
    [request] = lifecycle.clocks_for(state, "extend_blacklist_decision", {"reason": "x"}, LAPSE)
    assert request.extend_working_days == 20 and request.start == clock.due_at
    # missed already: the extension opens it again
    lifecycle.on_time(state, clock.due_at + timedelta(hours=1))
    assert clock.status is DeadlineStatus.MISSED
    do(state, "extend_blacklist_decision", HEAD, clock.due_at + timedelta(hours=2), reason="涉及人员众多，情况复杂")
    assert clock.status is DeadlineStatus.OPEN and clock.extended_working_days == 20 and clock.level == 0
    assert state.timeline[-1].kind == "blacklist_decision_extended" and "20个工作日" in state.timeline[-1].summary
    assert "extend_blacklist_decision" not in lifecycle.pending_actions(state)
    with pytest.raises(NotAllowedNow) as err:
        lifecycle.check(state, "extend_blacklist_decision", {"reason": "再延"}, HEAD, LAPSE)
    assert err.value.code == "blacklist_extension_not_awaited"


def test_the_listing_names_the_persons_and_the_correction_is_the_payment_that_paid_everything():
    state = lapsed_case()
    do(state, "blacklist_grounds", SYSTEM, LAPSE)
    do(state, "propose_blacklist", HRSS, LAPSE, persons=[LEGAL_REP, MANAGER])
    notice = state.open_deadline("blacklist_notice")
    lifecycle.on_time(state, notice.due_at)
    do(state, "blacklist_decision", HEAD, notice.due_at, listed=True)
    assert state.blacklist == "listed" and "王某" in state.timeline[-1].summary
    assert listing.correction_at(state) is None
    first, last = notice.due_at + timedelta(days=10), notice.due_at + timedelta(days=40)
    state.payments = [Payment(1, first, Decimal("50000"), Party.EMPLOYER, "w")]
    state.amount_recovered = Decimal("50000")
    assert listing.correction_at(state) is None  # 10000 still owed
    state.payments.append(Payment(2, last, Decimal("10000"), Party.EMPLOYER, "w"))
    state.amount_recovered = Decimal("60000")
    assert listing.correction_at(state) == last


def test_early_removal_counts_from_the_correction():
    corrected = datetime(2026, 8, 31, 10, tzinfo=timezone.utc)
    assert listing.early_removal_from(None, 6) is None
    assert listing.early_removal_from(corrected, 6) == datetime(2027, 2, 28, 10, tzinfo=timezone.utc)
    assert listing.add_months(datetime(2027, 1, 15, tzinfo=timezone.utc), 6) == datetime(
        2027, 7, 15, tzinfo=timezone.utc
    )
