"""The enforcement ladder on the time-skipping server: each branch after an order to pay runs out unpaid.

A worker of its own runs the case workflow with the projection faked (as in conftest) and an in-memory
deposit ledger behind the `draw_deposit` activity name, keyed like the real one.
"""

import asyncio
import dataclasses
import itertools
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
import pytest_asyncio
from temporalio import activity
from temporalio.client import WorkflowUpdateFailedError
from temporalio.worker import Worker

from domain import procedure
from domain.lifecycle import pending_actions
from domain.messages import ActionInput, CaseInput, DrawDepositInput, DrawDepositResult
from domain.model import Actor, Party, Stage
from domain.routing import ProjectFacts
from tests.workflows.conftest import Projection, make_intake
from tests.workflows.test_case_lifecycle import search_attributes
from worker import SANDBOXED_RUNNER
from workflows.case import CaseWorkflow

QUEUE = "test-enforcement"
HOUSING = ProjectFacts("housing_municipal", "shangguan", True, "state", False)
HOUSING1 = Actor("housing1", "caseworker", "housing")
HOUSING_HEAD = Actor("housing_head", "unit_head", "housing")
HRSS1 = Actor("hrss1", "caseworker", "hrss")
HRSS_HEAD = Actor("hrss_head", "unit_head", "hrss")  # labour inspection issues the coercive documents
POLICE = Actor("police1", "liaison", "police")
COURT = Actor("court1", "liaison", "court")
OFFICE = Actor("office1", "supervisor", "hrss")
_project_ids = itertools.count(1000)


class FakeLedger:
    """Balances by project; one drawdown per (case, order), like db.deposits."""

    def __init__(self) -> None:
        self.balances: dict[int, Decimal] = {}
        self.drawn: dict[str, Decimal] = {}
        self.calls = 0

    def activity(self):
        @activity.defn(name="draw_deposit")
        def draw_deposit(input: DrawDepositInput) -> DrawDepositResult:
            self.calls += 1
            key = f"{input.case_no}:{input.order_ref}"
            if key not in self.drawn:
                amount = min(self.balances.get(input.project_id, Decimal("0")), input.amount)
                self.balances[input.project_id] = self.balances.get(input.project_id, Decimal("0")) - amount
                self.drawn[key] = amount
            amount = self.drawn[key]
            bank = "中国农业银行代县支行" if input.project_id in self.balances else None
            return DrawDepositResult(
                amount, self.balances.get(input.project_id, Decimal("0")), bank, 7 if amount else None
            )

        return draw_deposit


@pytest_asyncio.fixture(scope="module")
async def ladder(env):
    projection, ledger = Projection(), FakeLedger()
    worker = Worker(
        env.client,
        task_queue=QUEUE,
        workflows=[CaseWorkflow],
        activities=[*projection.activities(), ledger.activity()],
        activity_executor=ThreadPoolExecutor(4),
        workflow_runner=SANDBOXED_RUNNER,
        workflow_failure_exception_types=[Exception],
    )
    async with worker:
        yield projection, ledger


async def start(env, ledger, *, deposit: str | None = None, project=True, **intake):
    """A case ordered to pay within 3 days; its project holds `deposit` (None: no deposit at all)."""
    case = make_intake(project=HOUSING if project else None, **intake)
    if project:
        case = dataclasses.replace(case, project=dataclasses.replace(case.project, id=next(_project_ids)))
        if deposit is not None:
            ledger.balances[case.project.id] = Decimal(deposit)
    handle = await env.client.start_workflow(
        CaseWorkflow.run, CaseInput(intake=case), id=case.case_no, task_queue=QUEUE
    )
    await handle.execute_update(CaseWorkflow.registered)
    return handle


async def order(env, handle, lead, amount, months=None, decide=True, serve=True):
    """Order to pay within 3 days; with `decide`, let the order run out unpaid and decide (行政处理决定) to
    pay within 3 more days: the due date returned is the one whose lapse moves the case on by itself. With
    `serve`, each is served on the party at once (the police referral and the court route need it)."""
    findings = dict(substantiated=True, liable_party="general_contractor", amount_owed=amount)
    if months:
        findings["months_unpaid"] = months
    await act(handle, "accept", lead)
    await act(handle, "findings", lead, **findings)
    due = await env.get_current_time() + timedelta(days=3)
    await act(handle, "order_payment", HRSS1, due_at=due.isoformat())  # labour inspection, whatever unit leads
    if serve:
        await serve_latest(env, handle, "order_to_pay")
    if not decide:
        return due
    await skip_past(env, due)
    await until(handle, lambda s: s.open_deadline("decision") is not None, "the decision awaited")
    due = await env.get_current_time() + timedelta(days=3)
    await act(handle, "decide_payment", HRSS1, due_at=due.isoformat(), compensation_percent=50)
    if serve:
        await serve_latest(env, handle, "payment_decision")
    return due


async def serve_latest(env, handle, kind, **extra):
    """Record the service of the latest document of `kind`, now (direct service unless `extra` says)."""
    s = await state(handle)
    seq = next(d.seq for d in reversed(s.documents) if d.kind == kind)
    params = dict(seq=seq, method="direct", served_at=(await env.get_current_time()).isoformat(), recipient="某公司")
    await act(handle, "serve", HRSS1, **{**params, **extra})


async def act(handle, action, actor, **params):
    return await handle.execute_update(CaseWorkflow.act, ActionInput(action, actor, params))


async def state(handle):
    return await handle.query(CaseWorkflow.state)


async def until(handle, predicate, what):
    """The state once `predicate` holds (the workflow may still be finishing the step after a skip)."""
    for _ in range(100):
        s = await state(handle)
        if predicate(s):
            return s
        await asyncio.sleep(0.05)
    raise AssertionError(f"case never reached: {what}; stage {s.stage}, timeline {[e.kind for e in s.timeline]}")


async def skip_past(env, due, extra=timedelta(hours=1)):
    await env.sleep(due - await env.get_current_time() + extra)


async def pending(projection, s):
    """pending_actions of the case as projected (the `state` query leaves out the roster, which the crime
    threshold counts)."""
    for _ in range(100):
        projected = projection.states.get(s.case_no)
        if projected is not None and projected.version >= s.version:
            return pending_actions(projected)
        await asyncio.sleep(0.05)
    raise AssertionError(f"the projection of {s.case_no} never reached version {s.version}")


def open_kinds(s):
    return [d.kind for d in s.deadlines if d.resolved_at is None]


async def test_paid_after_the_order_ran_out_stops_the_ladder(env, ladder):
    projection, ledger = ladder
    handle = await start(env, ledger, project=False)
    due = await order(env, handle, HRSS1, "36000")
    await skip_past(env, due)
    s = await until(handle, lambda s: s.stage is Stage.COURT_ENFORCEMENT, "court enforcement")
    # procedure 3: the court route waits for the decision's windows; no 催告书 yet
    assert s.timeline[-1].kind == "court_route" and "court_reminder" not in projection.documents[s.case_no]
    assert {"decision_review", "decision_suit"} <= set(open_kinds(s))
    await act(handle, "record_payment", HRSS1, amount="36000", payer="general_contractor")
    outcome = await handle.result()
    assert outcome.outcome == "paid_in_full" and outcome.amount_recovered == Decimal("36000.00")
    final = projection.states[s.case_no]
    assert final.stage is Stage.CLOSED and final.open_deadline("decision_suit") is None


async def test_deposit_covers_everything(env, ladder):
    projection, ledger = ladder
    handle = await start(env, ledger, deposit="50000.00")
    due = await order(env, handle, HOUSING1, "36000")
    calls = ledger.calls
    await skip_past(env, due)
    s = await until(handle, lambda s: s.stage is Stage.DEPOSIT_DRAWDOWN, "deposit drawdown")
    assert ledger.calls == calls + 1 and ledger.balances[s.intake.project.id] == Decimal("14000.00")
    assert s.outstanding == 0 and s.amount_recovered == Decimal("36000.00")
    assert [(p.payer, p.amount) for p in s.payments] == [(Party.DEPOSIT, Decimal("36000.00"))]
    assert s.deposit_bank == "中国农业银行代县支行" and s.deposit_drawn_at is not None
    assert projection.documents[s.case_no][-1] == "deposit_payout"
    payout, replenish = s.open_deadline("deposit_payout"), s.open_deadline("deposit_replenish")
    assert payout.unit == replenish.unit == "housing" and payout.due_at < replenish.due_at
    assert "保证金" in replenish.basis
    attrs = await search_attributes(handle)
    assert attrs["CaseStage"] == "deposit_drawdown"

    await act(handle, "confirm_deposit_payout", HOUSING1, reference="农行回单0012")
    # the contractor does not replenish in time: the industry unit is escalated to
    await skip_past(env, replenish.due_at)
    s = await until(
        handle, lambda s: any(e.deadline_kind == "deposit_replenish" for e in s.escalations), "replenish escalation"
    )
    escalation = next(e for e in s.escalations if e.deadline_kind == "deposit_replenish")
    assert escalation.unit == "housing" and escalation.level == "unit_head" and s.stage is Stage.DEPOSIT_DRAWDOWN
    await act(handle, "deposit_replenished", HOUSING1, reference="补足36000元")
    outcome = await handle.result()
    assert outcome.outcome == "paid_in_full" and ledger.calls == calls + 1  # drawn exactly once


async def test_deposit_short_goes_to_police_who_file(env, ladder):
    projection, ledger = ladder
    handle = await start(env, ledger, deposit="20000.00", workers=12, amount="60000.00")
    due = await order(env, handle, HOUSING1, "60000")
    await skip_past(env, due)
    s = await until(handle, lambda s: s.stage is Stage.POLICE_REFERRED, "police referral proposal")
    assert s.deposit_drawn == Decimal("20000.00") and s.outstanding == Decimal("40000.00")
    assert {"deposit_payout", "deposit_replenish", "police_approval"} <= set(open_kinds(s))
    assert s.open_deadline("police_approval").unit == "hrss"  # the authority that issues the 移送书
    assert any(e.kind == "police_proposed" and "追诉标准" in e.summary for e in s.timeline)
    for actor in (HOUSING1, HOUSING_HEAD, HRSS1):  # a caseworker, or the head of the lead unit
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await act(handle, "approve_police_referral", actor)
        assert err.value.cause.type == "forbidden"

    await act(handle, "approve_police_referral", HRSS_HEAD)
    s = await state(handle)
    assert "police" in s.liaison_units and "police_transfer" in open_kinds(s)
    assert projection.documents[s.case_no][-1] == "police_transfer"
    transfer = s.open_deadline("police_transfer")
    assert abs(transfer.due_at - transfer.start_at - timedelta(hours=24)) < timedelta(seconds=1)
    await act(handle, "transfer_to_police", HOUSING1)
    await act(handle, "police_decision", POLICE, filed=True, reason="涉嫌拒不支付劳动报酬罪，立案侦查")
    s = await state(handle)
    assert s.police_filed is True and s.stage is Stage.POLICE_REFERRED and s.police_referred_at is not None
    # the employer pays what remains while under investigation: the ladder stops, the deposit books close
    await act(handle, "record_payment", HOUSING1, amount="40000", payer="general_contractor")
    await act(handle, "confirm_deposit_payout", HOUSING1)
    await act(handle, "deposit_replenished", HOUSING1)
    assert (await handle.result()).outcome == "paid_in_full"


async def test_police_refuse_then_reconsideration_and_procuratorate_supervision(env, ladder):
    projection, ledger = ladder
    handle = await start(env, ledger, project=False)
    due = await order(env, handle, HRSS1, "36000", months=4)  # 3 workers × 12,000 for 4 months
    await skip_past(env, due)
    await until(handle, lambda s: s.stage is Stage.POLICE_REFERRED, "police referral proposal")
    await act(handle, "approve_police_referral", Actor("hrss_head", "unit_head", "hrss"))
    await act(handle, "transfer_to_police", HRSS1)
    await act(handle, "police_decision", POLICE, filed=False, reason="证据不足")
    s = await state(handle)
    reconsider = s.open_deadline("police_reconsider")
    assert reconsider.unit == "hrss" and "第9条" in reconsider.basis
    await act(handle, "request_reconsideration", HRSS1)
    await act(handle, "police_decision", POLICE, filed=False, reason="维持不予立案决定")
    s = await state(handle)
    supervision = s.open_deadline("procuratorate_supervision")
    assert supervision is not None and s.police_refusals == 2
    # nobody asks the procuratorate in time: the clock escalates like any other
    await skip_past(env, supervision.due_at)
    s = await until(
        handle,
        lambda s: any(e.deadline_kind == "procuratorate_supervision" for e in s.escalations),
        "supervision escalation",
    )
    await act(handle, "request_supervision", HRSS1)
    s = await state(handle)
    assert "procuratorate" in s.liaison_units and s.open_deadline("procuratorate_supervision") is None
    assert "police_decision" in set(await pending(projection, s))
    # the court route waits for the decision's windows (served in `order`): then the 催告书
    assert "serve_court_reminder" not in set(await pending(projection, s))
    suit = s.open_deadline("decision_suit")
    await skip_past(env, suit.due_at)
    s = await until(handle, lambda s: s.open_deadline("court_application") is not None, "the windows passed")
    assert "serve_court_reminder" in set(await pending(projection, s))
    await act(handle, "serve_court_reminder", HRSS1)
    s = await state(handle)
    assert s.stage is Stage.COURT_ENFORCEMENT and s.court_reminded_at is not None
    await act(handle, "close", HRSS1, outcome="transferred_to_court")


async def test_below_threshold_goes_to_court_and_the_court_enforces(env, ladder):
    projection, ledger = ladder
    handle = await start(env, ledger, deposit=None)  # a project without a deposit
    due = await order(env, handle, HOUSING1, "36000")  # the order and the decision served at once
    await skip_past(env, due)
    s = await until(handle, lambda s: s.stage is Stage.COURT_ENFORCEMENT, "court enforcement")
    assert any(e.kind == "deposit_empty" for e in s.timeline) and s.deposit_drawn == 0
    # the party may still apply for review or sue: no 催告书, no application before both windows (art. 53)
    for action in ("serve_court_reminder", "court_application"):
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await act(handle, action, HRSS1)
        assert err.value.cause.details[0]["code"] == "decision_windows_open", err.value.cause.message
    suit = s.open_deadline("decision_suit")
    await skip_past(env, suit.due_at)
    s = await until(handle, lambda s: s.open_deadline("court_application") is not None, "the windows passed")
    application = s.open_deadline("court_application")
    assert application.start_at == suit.due_at and application.unit == "hrss"
    await act(handle, "serve_court_reminder", HRSS1)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(handle, "court_application", HRSS1)
    assert err.value.cause.details[0]["code"] == "court_reminder_not_served"
    await serve_latest(env, handle, "court_reminder")
    reminder = (await state(handle)).open_deadline("court_reminder")
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(handle, "court_application", HRSS1)
    assert err.value.cause.type == "conflict" and "催告" in err.value.cause.message
    await skip_past(env, reminder.due_at)
    s = await until(handle, lambda s: s.open_deadline("court_reminder") is None, "reminder period ended")
    assert not any(e.deadline_kind == "court_reminder" for e in s.escalations)  # the party's period
    await act(handle, "court_application", HRSS1)
    await act(handle, "court_accepted", COURT)
    await act(handle, "court_ruling", COURT, granted=True)
    await act(handle, "court_outcome", COURT, amount_enforced="30000")
    s = await state(handle)
    assert s.stage is Stage.COURT_ENFORCEMENT and s.outstanding == Decimal("6000.00")
    await act(handle, "court_outcome", COURT, amount_enforced="6000")
    outcome = await handle.result()
    assert outcome.outcome == "paid_in_full"
    final = projection.states[s.case_no]
    assert [p.payer for p in final.payments] == [Party.COURT, Party.COURT]
    statuses = {d.kind: d.status.value for d in final.deadlines}
    assert statuses["court_rule"] == "met" and statuses["court_application"] == "met"


async def test_a_review_stops_the_court_route_until_its_outcome(env, ladder):
    projection, ledger = ladder
    handle = await start(env, ledger, project=False)
    due = await order(env, handle, HRSS1, "36000")
    await skip_past(env, due)
    s = await until(handle, lambda s: s.stage is Stage.COURT_ENFORCEMENT, "court enforcement")
    now = await env.get_current_time()
    await act(handle, "review_applied", HRSS1, filed_at=now.isoformat(), body="代县人民政府", reference="代复1号")
    suit = next(d for d in s.deadlines if d.kind == "decision_suit")
    await skip_past(env, suit.due_at)  # the windows' dates pass: the pending review keeps the route stopped
    s = await state(handle)
    assert s.open_deadline("court_application") is None and "challenge_decided" in await pending(projection, s)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(handle, "serve_court_reminder", HRSS1)
    assert err.value.cause.details[0]["code"] == "decision_challenged"
    decided_at = await env.get_current_time()
    await act(handle, "challenge_decided", HRSS1, result="upheld", decided_at=decided_at.isoformat())
    window = (await state(handle)).open_deadline("review_suit")
    assert window is not None and window.start_at == decided_at
    await skip_past(env, window.due_at)  # fifteen days without a suit (行政诉讼法 art. 45): the route resumes
    s = await until(handle, lambda s: s.open_deadline("court_application") is not None, "route resumed")
    assert s.decision_final_at == window.due_at
    await act(handle, "close", HRSS1, outcome="transferred_to_court")


async def test_absconded_employer_goes_to_police_once_the_posted_order_ran_out(env, ladder):
    projection, ledger = ladder
    handle = await start(env, ledger, project=False, workers=10, amount="40000.00")
    due = await order(env, handle, HRSS1, "40000", decide=False, serve=False)
    with pytest.raises(WorkflowUpdateFailedError) as err:  # the order is not served yet (法释〔2013〕3号 art. 4)
        await act(handle, "report_absconded", HRSS1, reason="负责人失联")
    assert err.value.cause.details[0]["code"] == "order_not_served"
    await serve_latest(env, handle, "order_to_pay", method="public_notice", evidence="张贴现场照片 ZP-01")
    await skip_past(env, due)
    await until(handle, lambda s: s.order_lapsed_at is not None, "the order lapsed")
    await act(handle, "report_absconded", HRSS1, reason="负责人失联，办公场所人去楼空")
    s = await state(handle)
    assert s.stage is Stage.POLICE_REFERRED and s.absconded and s.police_proposed_at is not None
    assert [k for k in open_kinds(s) if k != "blacklist_decision"] == [
        "police_approval"
    ]  # the listing has its own clock
    await act(handle, "approve_police_referral", HRSS_HEAD)
    await act(handle, "police_decision", POLICE, filed=True, reason="立案侦查")  # before transfer_to_police
    s = await state(handle)
    assert s.police_filed is True and s.open_deadline("police_transfer") is None
    await act(handle, "close", HRSS1, outcome="transferred_to_court")


async def test_major_case_leader_gets_periodic_dispatches_until_closure(env, ladder):
    projection, ledger = ladder
    handle = await start(env, ledger, project=False, workers=40, amount="600000.00")
    s = await state(handle)
    assert s.major and s.leader is None
    await act(handle, "assign_leader", OFFICE, leader="县政府分管副县长")
    s = await state(handle)
    first = s.next_dispatch_at
    assert s.leader == "县政府分管副县长" and projection.documents[s.case_no].count("major_case_dispatch") == 1
    assert 6 <= (first - s.timeline[-1].at).days <= 11  # 7 days, rolled past a weekend or holiday
    await act(handle, "accept", HRSS1)  # keep the acknowledge clock from escalating
    await env.sleep(timedelta(days=23))  # two intervals, even if each rolls past a weekend
    s = await until(handle, lambda s: sum(e.kind == "major_dispatch" for e in s.timeline) >= 2, "two dispatches")
    assert projection.documents[s.case_no].count("major_case_dispatch") >= 3
    assert s.next_dispatch_at > first
    await act(handle, "close", HRSS1, outcome="withdrawn")
    final = await until(handle, lambda s: s.stage is Stage.CLOSED, "closed")
    assert final.next_dispatch_at is None


async def test_emergency_fund_advance_and_recovery(env, ladder):
    projection, ledger = ladder
    handle = await start(env, ledger, project=False)
    await order(env, handle, HRSS1, "36000", decide=False)
    await act(handle, "advance_emergency_fund", HRSS1, amount="2000", purpose="living")
    await act(handle, "advance_emergency_fund", HRSS1, amount="36000", purpose="wages")
    s = await state(handle)
    assert s.amount_recovered == Decimal("36000") and s.emergency_outstanding == Decimal("38000")
    assert s.stage is Stage.PAYMENT_ORDERED and "recover_emergency_fund" in await pending(projection, s)
    await act(handle, "recover_emergency_fund", HRSS1, amount="38000")
    assert (await handle.result()).outcome == "paid_in_full"


PERSONS = [
    {"name": "王某", "id_number": "11010519491231002X", "role": "legal_representative"},
    {"name": "李某", "id_number": "110101199003071233", "role": "responsible"},
]


async def test_blacklist_with_objection_then_listing(env, ladder):
    """Procedure 3 (人社部令45号): the order's lapse finds the grounds and starts the decision clock by
    itself; the proposal names the persons; the head extends the clock once; the listing names them all."""
    projection, ledger = ladder
    handle = await start(env, ledger, project=False, workers=12, amount="60000.00")
    due = await order(env, handle, HRSS1, "60000", decide=False)
    await skip_past(env, due)
    s = await until(handle, lambda s: s.blacklist_grounds_at is not None, "the grounds found at the lapse")
    assert s.procedure == 3 and s.unpaid_at_deadline == Decimal("60000.00")
    clock = s.open_deadline("blacklist_decision")
    order_clock = next(d for d in s.deadlines if d.kind == "order_payment")
    assert clock.start_at == order_clock.due_at == s.blacklist_grounds_at  # from the lapse, not the proposal
    assert clock.unit == "hrss" and "propose_blacklist" in await pending(projection, s)
    await env.sleep(timedelta(days=2))
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(handle, "propose_blacklist", HRSS1)  # without the legal representative
    assert err.value.cause.type == "invalid"
    await act(handle, "propose_blacklist", HRSS1, persons=PERSONS)
    s = await state(handle)
    assert s.open_deadline("blacklist_decision").due_at == clock.due_at  # the proposal did not restart it
    await act(handle, "blacklist_objection", HRSS1, text="公司称资金周转困难，请求暂缓列入")
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(handle, "blacklist_decision", HRSS_HEAD, listed=True)
    assert err.value.cause.type == "conflict" and "45号" in err.value.cause.message
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(handle, "extend_blacklist_decision", HRSS1, reason="涉及人员多")
    assert err.value.cause.type == "forbidden"
    await act(handle, "extend_blacklist_decision", HRSS_HEAD, reason="涉及多名直接责任人员，情况复杂")
    s = await state(handle)
    extended = s.open_deadline("blacklist_decision")
    assert extended.extended_working_days == 20 and extended.due_at > clock.due_at + timedelta(days=20)
    assert s.timeline[-1].kind == "blacklist_decision_extended"
    assert "extend_blacklist_decision" not in await pending(projection, s)
    notice = s.open_deadline("blacklist_notice")
    await skip_past(env, notice.due_at)
    s = await until(handle, lambda s: s.open_deadline("blacklist_notice") is None, "objection period ended")
    assert "blacklist_decision" in await pending(projection, s)
    assert not any(e.deadline_kind == "blacklist_notice" for e in s.escalations)
    await act(handle, "blacklist_decision", HRSS_HEAD, listed=True, reason="陈述申辩理由不成立")
    s = await state(handle)
    assert s.blacklist == "listed" and s.blacklist_until.year - s.blacklist_listed_at.year == 3
    assert [p.name for p in projection.states[s.case_no].blacklist_persons] == ["王某", "李某"]
    kinds = [e.kind for e in s.timeline]
    assert (
        kinds.index("blacklist_grounds")
        < kinds.index("blacklist_proposed")
        < kinds.index("blacklist_objection")
        < kinds.index("blacklisted")
    )
    assert "王某" in s.timeline[kinds.index("blacklisted")].summary
    issued = projection.documents[s.case_no]
    assert issued.index("blacklist_notice") < issued.index("blacklist_decision")
    await act(handle, "close", HRSS1, outcome="transferred_to_court")


async def test_below_the_grounds_nothing_is_found_and_no_proposal_is_offered(env, ladder):
    projection, ledger = ladder
    handle = await start(env, ledger, project=False)
    due = await order(env, handle, HRSS1, "36000", decide=False)
    await skip_past(env, due)
    s = await until(handle, lambda s: s.order_lapsed_at is not None, "the order lapsed")
    assert s.blacklist_grounds_at is None and s.open_deadline("blacklist_decision") is None
    assert "propose_blacklist" not in await pending(projection, s)
    await act(handle, "record_payment", HRSS1, amount="36000", payer="employer")
    assert (await handle.result()).outcome == "paid_in_full"


async def test_a_step_the_rules_refuse_is_escalated_once_and_the_case_goes_on(env, ladder):
    """The ledger answers with more than the order still owes: the rules refuse the enforce step. The case
    records it and escalates it to the office once, draws no second time, and takes people's actions."""
    projection, ledger = ladder
    handle = await start(env, ledger, deposit="50000.00")
    due = await order(env, handle, HOUSING1, "36000")
    s = await state(handle)
    ledger.drawn[f"{s.case_no}:decision-{s.open_deadline('decision_payment').seq}"] = Decimal("99999.00")  # broken
    calls = ledger.calls
    await skip_past(env, due)
    s = await until(handle, lambda s: any(e.kind == "step_refused" for e in s.timeline), "refused step")
    refused = [e for e in s.timeline if e.kind == "step_refused"]
    assert len(refused) == 1 and refused[0].data["step"] == "enforce" and "99999" in refused[0].summary
    escalation = s.escalations[-1]
    assert escalation.deadline_kind == "decision_payment" and escalation.level == "office"
    assert "强制执行" in escalation.reason and "需人工处理" in escalation.reason
    assert s.stage is Stage.DECIDED and s.payments == [] and ledger.calls == calls + 1
    # later wakes (the order's escalation steps) do not try the refused step again
    await env.sleep(timedelta(days=20))
    s = await state(handle)
    assert sum(e.kind == "step_refused" for e in s.timeline) == 1 and ledger.calls == calls + 1
    assert any("逾期未办" in e.reason and e.deadline_kind == "decision_payment" for e in s.escalations)  # clocks run
    await act(handle, "record_payment", HOUSING1, amount="36000", payer="general_contractor")
    assert (await handle.result()).outcome == "paid_in_full"
    assert projection.states[s.case_no].refused_steps == [f"enforce:{s.open_deadline('decision_payment').seq}"]


async def test_an_unpaid_order_waits_for_the_decision_and_only_its_lapse_draws_the_deposit(env, ladder):
    projection, ledger = ladder
    handle = await start(env, ledger, deposit="50000.00")
    due = await order(env, handle, HOUSING1, "36000", decide=False)
    calls = ledger.calls
    await skip_past(env, due)
    s = await until(handle, lambda s: s.order_lapsed_at is not None, "the order lapsed")
    assert (
        s.procedure == procedure.STATUTORY_PROCEDURE
        and s.stage is Stage.PAYMENT_ORDERED
        and ledger.calls == calls
        and s.payments == []
    )
    decision = s.open_deadline("decision")
    assert decision.unit == "hrss" and "第26条" in decision.basis
    assert "decide_payment" in await pending(projection, s) and "order_payment" not in open_kinds(s)
    # nobody decides: the decision clock escalates like any other, and still nothing is drawn
    await skip_past(env, decision.due_at)
    s = await until(handle, lambda s: any(e.deadline_kind == "decision" for e in s.escalations), "escalation")
    assert s.stage is Stage.PAYMENT_ORDERED and ledger.calls == calls
    for actor, params, kind in (
        (HOUSING1, {"compensation_percent": 50}, "forbidden"),  # labour inspection decides
        (HRSS1, {}, "invalid"),  # 加付赔偿金 is owed once the order ran out unpaid
        (HRSS1, {"compensation_percent": 40}, "invalid"),
    ):
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await act(handle, "decide_payment", actor, **params)
        assert err.value.cause.type == kind, (actor, params)
    pay_by = await env.get_current_time() + timedelta(days=3)
    await act(handle, "decide_payment", HRSS1, due_at=pay_by.isoformat(), compensation_percent=60)
    s = await state(handle)
    assert s.stage is Stage.DECIDED and s.compensation_amount == Decimal("21600.00") and ledger.calls == calls
    assert projection.documents[s.case_no][-1] == "payment_decision" and s.open_deadline("decision") is None
    await skip_past(env, pay_by)
    s = await until(handle, lambda s: s.stage is Stage.DEPOSIT_DRAWDOWN, "deposit drawdown")
    assert ledger.calls == calls + 1 and s.deposit_drawn == Decimal("36000.00")
    assert any(e.kind == "decision_unpaid" for e in s.timeline)
    await handle.terminate("test done")  # its open clocks would wake in the other tests' skipped time
