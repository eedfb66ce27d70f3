"""Enforcement rules and the ladder as plain functions: crime threshold, liability, deposit ratio, steps."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from core.jurisdiction import DEFAULT_JURISDICTION, load_jurisdiction
from core.policy import case_policy
from domain import lifecycle
from domain.enforcement import (
    assess_crime,
    blacklist_criteria,
    deposit_requirement,
    liable_party_for,
    unpaid_shares,
)
from domain.errors import Forbidden, InvalidInput, NotAllowedNow
from domain.lifecycle import ClockTimes
from domain.model import (
    SYSTEM,
    Actor,
    CaseIntake,
    CaseState,
    Channel,
    CrimeThreshold,
    Organisation,
    Party,
    Person,
    ProjectInfo,
    Stage,
    WorkerClaim,
)
from domain.routing import ProjectFacts

JURISDICTION = load_jurisdiction(DEFAULT_JURISDICTION)
POLICY = case_policy(JURISDICTION)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
HRSS = Actor("w", "caseworker", "hrss")
HEAD = Actor("h", "unit_head", "hrss")
POLICE = Actor("p", "liaison", "police")
COURT = Actor("j", "liaison", "court")
THRESHOLD = CrimeThreshold(Decimal("5000"), 3, Decimal("30000"), 10)
HOUSING = ProjectFacts("housing_municipal", "shangguan", True, "state", False)


def workers(n: int, each: str) -> list[WorkerClaim]:
    return [WorkerClaim(f"工人{i}", None, Decimal(each)) for i in range(n)]


# ---- crime threshold ---------------------------------------------------------------------------


def test_unpaid_shares_follow_the_claims_and_sum_exactly():
    shares = unpaid_shares(
        [WorkerClaim("a", None, Decimal("1")), WorkerClaim("b", None, Decimal("2"))], Decimal("100.00")
    )
    assert shares == [Decimal("33.33"), Decimal("66.67")] and sum(shares) == Decimal("100.00")
    assert unpaid_shares([], Decimal("5")) == []


def test_crime_by_total_needs_ten_workers_and_the_total():
    assert assess_crime(
        workers=workers(10, "3000"), outstanding=Decimal("30000"), months_unpaid=None, threshold=THRESHOLD
    ).met
    assert not assess_crime(
        workers=workers(9, "4000"), outstanding=Decimal("36000"), months_unpaid=None, threshold=THRESHOLD
    ).met
    below = assess_crime(
        workers=workers(10, "3000"), outstanding=Decimal("29999.99"), months_unpaid=None, threshold=THRESHOLD
    )
    assert not below.met and "未达到" in below.reason


def test_crime_by_one_worker_needs_the_months_and_the_amount():
    three = workers(3, "12000")
    assert not assess_crime(workers=three, outstanding=Decimal("36000"), months_unpaid=None, threshold=THRESHOLD).met
    assert not assess_crime(workers=three, outstanding=Decimal("36000"), months_unpaid=2, threshold=THRESHOLD).met
    met = assess_crime(workers=three, outstanding=Decimal("36000"), months_unpaid=3, threshold=THRESHOLD)
    assert met.met and "12000" in met.reason
    # after a partial payment each worker's unpaid share is below the figure
    assert not assess_crime(workers=three, outstanding=Decimal("12000"), months_unpaid=6, threshold=THRESHOLD).met


# ---- who pays ----------------------------------------------------------------------------------


def project(**over) -> ProjectInfo:
    facts = over.pop("facts", HOUSING)
    return ProjectInfo(
        1,
        "滨河小区",
        facts,
        Organisation("某开发公司", "91140000MA0000000A"),
        Organisation("某建筑公司", "91140000MA0000000B"),
        **over,
    )


def test_liable_party_follows_the_liability_rules():
    labour = Organisation("某劳务公司")
    assert liable_party_for(None, labour).party is Party.EMPLOYER
    assert (
        liable_party_for(project(facts=ProjectFacts("mine", None, True, "state", False)), labour).party
        is Party.EMPLOYER
    )
    suggestion = liable_party_for(project(), labour)
    assert suggestion.party is Party.GENERAL_CONTRACTOR and "第30条" in suggestion.reason
    assert liable_party_for(project(), Organisation("别名", "91140000MA0000000A")).party is Party.CONSTRUCTION_UNIT
    assert liable_party_for(project(), Organisation("某建筑公司")).party is Party.GENERAL_CONTRACTOR


# ---- deposit ratio -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "years, arrears, adjustment, low, high",
    [
        (0, False, "standard", "1", "3"),
        (2, False, "reduced", "0.5", "1.5"),
        (3, False, "exempt", "0", "0"),
        (0, True, "increased", "1.5", "4.5"),
    ],
)
def test_deposit_requirement(years, arrears, adjustment, low, high):
    req = deposit_requirement(
        contract_amount=Decimal("10000000"),
        years_without_arrears=years,
        arrears_in_last_two_years=arrears,
        thresholds=JURISDICTION.thresholds,
    )
    assert (req.adjustment, req.ratio_min, req.ratio_max) == (adjustment, Decimal(low), Decimal(high))
    assert req.amount_min == (Decimal("10000000") * Decimal(low) / 100).quantize(Decimal("0.01"))
    assert req.amount_max == (Decimal("10000000") * Decimal(high) / 100).quantize(Decimal("0.01"))
    assert "保证金规定" in req.explanation


def test_deposit_requirement_refuses_contradictions_and_handles_unknown_amount():
    with pytest.raises(InvalidInput):
        deposit_requirement(
            contract_amount=None,
            years_without_arrears=2,
            arrears_in_last_two_years=True,
            thresholds=JURISDICTION.thresholds,
        )
    with pytest.raises(InvalidInput):
        deposit_requirement(
            contract_amount=None,
            years_without_arrears=-1,
            arrears_in_last_two_years=False,
            thresholds=JURISDICTION.thresholds,
        )
    for absurd in (Decimal("1.1e308"), Decimal("Infinity"), Decimal("-1")):
        with pytest.raises(InvalidInput):
            deposit_requirement(
                contract_amount=absurd,
                years_without_arrears=0,
                arrears_in_last_two_years=False,
                thresholds=JURISDICTION.thresholds,
            )
    req = deposit_requirement(
        contract_amount=None,
        years_without_arrears=0,
        arrears_in_last_two_years=False,
        thresholds=JURISDICTION.thresholds,
    )
    assert req.amount_min is None and req.ratio_max == Decimal("3")


def test_blacklist_criteria():
    met = assess_crime(
        workers=workers(10, "3000"), outstanding=Decimal("30000"), months_unpaid=None, threshold=THRESHOLD
    )
    assert blacklist_criteria(order_missed=False, crime=met, group_incident=True) is None
    assert "第1项" in blacklist_criteria(order_missed=True, crime=met, group_incident=False)
    below = assess_crime(workers=workers(2, "100"), outstanding=Decimal("200"), months_unpaid=None, threshold=THRESHOLD)
    assert blacklist_criteria(order_missed=True, crime=below, group_incident=False) is None
    assert "群体性事件" in blacklist_criteria(order_missed=True, crime=below, group_incident=True)


# ---- the ladder --------------------------------------------------------------------------------


def times(*kinds, due=T0 + timedelta(days=7)):
    return {k: ClockTimes(due, [due + timedelta(days=2)]) for k in kinds}


def sample_intake(case_no: str, n_workers: int, amount: str, project_info=None) -> CaseIntake:
    """A hotline complaint received at T0: n workers owed `amount` between them."""
    return CaseIntake(
        case_no,
        Channel.HOTLINE,
        T0,
        T0,
        Actor("c", "clerk", "petition"),
        Person("张三"),
        workers(n_workers, str(Decimal(amount) / n_workers)),
        Organisation("某劳务公司"),
        Decimal(amount),
        "",
        POLICY,
        project=project_info,
    )


def ordered_case(n_workers=3, amount="36000", with_project=False, months=None) -> CaseState:
    intake = sample_intake("DX-2026-000009", n_workers, amount, project() if with_project else None)
    state = CaseState(intake=intake)
    lifecycle.open_case(state)
    lifecycle.refer(state, T0, times("acknowledge"))
    lead = Actor("w", "caseworker", state.lead_unit)
    do(state, "accept", lead)
    findings = dict(substantiated=True, liable_party="general_contractor", amount_owed=amount)
    if months:
        findings["months_unpaid"] = months
    do(state, "findings", lead, **findings)
    do(state, "order_payment", HRSS)  # labour inspection orders, whatever unit leads
    return state


def do(state, action, actor=HRSS, now=T0, **params):
    lifecycle.check(state, action, params, actor, now)
    clocks = lifecycle.clocks_for(state, action, params, now)
    return lifecycle.apply(
        state, action, params, actor, now, times(*[c.key for c in clocks], due=now + timedelta(days=7))
    )


def enforce(state, drawn="0", now=T0 + timedelta(days=8)):
    assert lifecycle.due_step(state, now) == "enforce"
    return do(state, "enforce", SYSTEM, now, drawn=drawn, bank="中国农业银行代县支行")


def open_kinds(state):
    return [d.kind for d in state.deadlines if d.resolved_at is None]


def test_enforce_is_due_only_after_the_order_ran_out_and_only_for_the_system():
    state = ordered_case()
    assert lifecycle.due_step(state, T0 + timedelta(days=6)) is None
    with pytest.raises(Forbidden):
        lifecycle.check(state, "enforce", {}, Actor("admin", "admin", "hrss"), T0 + timedelta(days=8))
    assert "enforce" not in lifecycle.pending_actions(state)


def test_deposit_covering_everything_waits_for_payout_and_replenishment_then_closes():
    state = ordered_case(with_project=True)
    docs = enforce(state, drawn="36000")
    assert state.stage is Stage.DEPOSIT_DRAWDOWN and state.outstanding == 0
    assert [p.payer for p in state.payments] == [Party.DEPOSIT] and state.amount_recovered == Decimal("36000")
    assert [d.kind for d in docs] == ["deposit_payout"] and docs[0].params["bank"] == "中国农业银行代县支行"
    assert {"deposit_payout", "deposit_replenish"} <= set(open_kinds(state))
    assert set(lifecycle.pending_actions(state)) >= {"confirm_deposit_payout", "deposit_replenished"}
    assert lifecycle.due_step(state, T0 + timedelta(days=9)) is None  # the ladder stopped
    do(state, "confirm_deposit_payout", reference="回单001")
    assert state.stage is Stage.DEPOSIT_DRAWDOWN and state.timeline[-1].kind == "paid_pending"
    docs = do(state, "deposit_replenished")
    assert state.stage is Stage.CLOSED and state.outcome == "paid_in_full"
    assert [d.kind for d in docs] == ["result_notice"]


def test_deposit_short_and_crime_threshold_met_goes_to_police_approval():
    state = ordered_case(n_workers=12, amount="60000", with_project=True)
    enforce(state, drawn="20000")
    assert state.stage is Stage.POLICE_REFERRED and state.outstanding == Decimal("40000")
    assert {"deposit_payout", "deposit_replenish", "police_approval"} <= set(open_kinds(state))
    assert "approve_police_referral" in lifecycle.pending_actions(state)


def test_below_threshold_goes_to_court_reminder():
    state = ordered_case()
    docs = enforce(state)
    assert state.stage is Stage.COURT_ENFORCEMENT and [d.kind for d in docs] == ["court_reminder"]
    assert "court_reminder" in open_kinds(state) and state.timeline[-2].kind == "below_crime_threshold"
    with pytest.raises(NotAllowedNow):  # the reminder period (催告) must run out first
        do(state, "court_application", now=T0 + timedelta(days=9))
    later = T0 + timedelta(days=20)
    lifecycle.on_time(state, later)  # the timer: the reminder period ran out unanswered
    assert "court_application" in lifecycle.pending_actions(state)
    do(state, "court_application", now=later)
    assert "court" in state.liaison_units and "court_accept" in open_kinds(state)
    with pytest.raises(Forbidden):
        do(state, "court_outcome", POLICE, later, amount_enforced="100")
    do(state, "court_accepted", COURT, later)
    do(state, "court_ruling", COURT, later, granted=True)
    do(state, "court_outcome", COURT, later, amount_enforced="36000")
    assert state.stage is Stage.CLOSED and state.payments[-1].payer is Party.COURT


def test_police_path_refusal_reconsideration_and_supervision():
    state = ordered_case(months=4)  # 3 workers owed 12,000 each for 4 months: art. 3(1)
    enforce(state)
    assert state.stage is Stage.POLICE_REFERRED
    with pytest.raises(Forbidden):
        do(state, "approve_police_referral", HRSS)  # the unit head approves
    with pytest.raises(Forbidden):
        do(state, "police_decision", POLICE, filed=True)  # not referred to the police yet
    docs = do(state, "approve_police_referral", HEAD)
    assert [d.kind for d in docs] == ["police_transfer"] and "police" in state.liaison_units
    assert "police" in state.liaison_units  # the police unit now sees the case
    do(state, "transfer_to_police")
    assert state.open_deadline("police_review").unit == "police"
    with pytest.raises(InvalidInput):
        do(state, "police_decision", POLICE, filed=False)  # a refusal needs its reason
    do(state, "police_decision", POLICE, filed=False, reason="证据不足")
    assert "police_reconsider" in open_kinds(state)
    do(state, "request_reconsideration")
    assert state.open_deadline("police_reconsider_answer").unit == "police"
    do(state, "police_decision", POLICE, filed=False, reason="维持")
    assert "procuratorate_supervision" in open_kinds(state) and state.police_refusals == 2
    do(state, "request_supervision")
    assert "procuratorate" in state.liaison_units and state.open_deadline("procuratorate_supervision") is None
    do(state, "police_decision", POLICE, filed=True, reason="经检察院监督立案")
    assert state.police_filed is True and state.stage is Stage.POLICE_REFERRED
    assert "police_decision" not in lifecycle.pending_actions(state)


def test_absconded_employer_goes_straight_to_police_only_above_the_threshold():
    small = ordered_case()
    state = CaseState(intake=small.intake)
    lifecycle.open_case(state)
    lifecycle.refer(state, T0, times("acknowledge"))
    do(state, "accept")
    with pytest.raises(NotAllowedNow):
        do(state, "report_absconded", reason="老板失联")
    do(state, "report_absconded", reason="老板失联，电话关机", months_unpaid=5)
    assert state.stage is Stage.POLICE_REFERRED and state.absconded and "police_approval" in open_kinds(state)


def test_emergency_fund_counts_wages_not_living_costs_and_must_be_recovered():
    state = ordered_case()
    do(state, "advance_emergency_fund", amount="1000", purpose="living")
    assert state.amount_recovered == 0 and state.emergency_living == Decimal("1000")
    do(state, "advance_emergency_fund", amount="36000", purpose="wages")
    assert state.outstanding == 0 and state.stage is Stage.PAYMENT_ORDERED  # the fund is still to be recovered
    assert lifecycle.due_step(state, T0 + timedelta(days=30)) is None
    with pytest.raises(InvalidInput):
        do(state, "recover_emergency_fund", amount="37000.01")
    do(state, "recover_emergency_fund", amount="30000")
    assert state.stage is Stage.PAYMENT_ORDERED
    do(state, "recover_emergency_fund", amount="7000")
    assert state.stage is Stage.CLOSED and state.outcome == "paid_in_full"


def test_leader_dispatches_are_due_at_their_interval():
    state = CaseState(intake=ordered_case().intake)
    lifecycle.open_case(state)
    lifecycle.refer(state, T0, times("acknowledge"))
    do(state, "accept")
    with pytest.raises(Forbidden):
        do(state, "assign_leader", HRSS, leader="分管副县长")
    docs = do(state, "assign_leader", Actor("o", "supervisor", "hrss"), leader="分管副县长")
    assert state.major and state.leader == "分管副县长" and [d.kind for d in docs] == ["major_case_dispatch"]
    assert lifecycle.due_step(state, state.next_dispatch_at - timedelta(seconds=1)) is None
    assert lifecycle.due_step(state, state.next_dispatch_at) == "major_dispatch"
    assert lifecycle.next_wake(state) <= state.next_dispatch_at


def test_blacklist_needs_grounds_a_notice_period_and_a_decision():
    small = ordered_case(n_workers=2, amount="2000")
    with pytest.raises(NotAllowedNow):
        do(small, "propose_blacklist")  # the order has not run out
    enforce(small)
    with pytest.raises(NotAllowedNow):
        do(small, "propose_blacklist")  # below the crime threshold, no group incident
    assert "propose_blacklist" not in lifecycle.pending_actions(small)

    state = ordered_case(n_workers=12, amount="60000")
    enforce(state)
    assert "propose_blacklist" in lifecycle.pending_actions(state)
    later = T0 + timedelta(days=9)
    do(state, "propose_blacklist", now=later)
    notice, decision = state.open_deadline("blacklist_notice"), state.open_deadline("blacklist_decision")
    assert state.blacklist == "proposed" and "45号" in notice.basis and decision is not None
    do(state, "blacklist_objection", now=later, text="已筹措资金，请求暂缓列入")
    with pytest.raises(NotAllowedNow):  # the objection period still runs
        do(state, "blacklist_decision", HEAD, later, listed=True)
    assert "blacklist_decision" not in lifecycle.pending_actions(state)
    # the period ends by itself, without escalating anyone
    lifecycle.on_time(state, notice.due_at)
    assert state.open_deadline("blacklist_notice") is None and notice.status.value == "met"
    assert not any(e.deadline_kind == "blacklist_notice" for e in state.escalations)
    assert "blacklist_decision" in lifecycle.pending_actions(state)
    with pytest.raises(Forbidden):
        do(state, "blacklist_decision", HRSS, notice.due_at, listed=True)
    do(state, "blacklist_decision", HEAD, notice.due_at, listed=True)
    assert state.blacklist == "listed" and state.blacklist_until.year == notice.due_at.year + 3
    assert state.open_deadline("blacklist_decision") is None
    with pytest.raises(NotAllowedNow):
        do(state, "propose_blacklist", now=notice.due_at)
