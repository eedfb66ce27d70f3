"""Record case histories from a real dev server, one per path, for the replay test.

    .venv/bin/python -m tests.histories.record [SUFFIX]     # e.g. v2 writes paid_in_full-v2.json, …
    .venv/bin/python -m tests.histories.record matter one_matter   # only the paths of one matter (有案必接)

Run it after a deliberate change of workflow code and commit the new files beside the old ones: the
replay test then proves that every path recorded before still replays on the new code.
"""

import asyncio
import dataclasses
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.calendar import open_clocks, schedule_cache
from api.case_service import action_digest
from core.codec import data_converter
from core.config import Settings
from core.jurisdiction import DEFAULT_JURISDICTION, load_jurisdiction
from core.policy import case_policy
from db.accounts import ProjectCreate, create_project
from db.deposits import record_entry
from db.engine import create_all, make_engine, session_scope
from domain.messages import ActionInput, CaseInput
from domain.model import Actor, CaseIntake, Channel, Organisation, Person, WorkerClaim
from domain.rules import DeadlineRule, PeriodUnit
from tests.api.conftest import SEARCH_ATTRIBUTES
from tests.workflows.conftest import SECRET_KEY
from worker import build_worker
from workflows.case import CaseWorkflow

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
CLERK = Actor("clerk", "clerk", "petition")
first_runs: dict[str, str] = {}  # workflow id -> first run id, for the paths that continue as new
HRSS = Actor("hrss1", "caseworker", "hrss")
HEAD = Actor("hrss_head", "unit_head", "hrss")
WATER = Actor("water1", "caseworker", "water")
WATER_HEAD = Actor("water_head", "unit_head", "water")
POLICE = Actor("police1", "liaison", "police")
SUPERVISOR = Actor("office1", "supervisor", "hrss")


def drill(jurisdiction):
    """Dai County with clocks of seconds, so that the recorded paths include missed deadlines."""
    short = {
        name: DeadlineRule(
            name, PeriodUnit.DURATION, duration_seconds=seconds, basis=jurisdiction.deadlines[name].basis
        )
        for name, seconds in {
            "acknowledge": 2,
            "escalation_step": 1,
            "police_review": 2,
            "blacklist_notice": 2,
            "court_reminder": 2,
            "decision": 2,
            "petition_register": 3,
            # procedure 3's court route (docs/deadlines.md): the party's windows and the application's clock
            "decision_review": 4,
            "decision_suit": 6,
            "review_suit": 2,
            "court_application": 60,
        }.items()
    }
    return dataclasses.replace(jurisdiction, deadlines={**jurisdiction.deadlines, **short})


def intake(
    case_no: str, policy, *, project=None, workers: int = 2, amount: str = "20000", group_incident: bool = False
) -> CaseIntake:
    now = datetime.now(timezone.utc)
    share = Decimal(amount) / workers
    return CaseIntake(
        case_no,
        Channel.HOTLINE,
        now,
        now,
        CLERK,
        Person("张三", "13800138000"),
        [WorkerClaim(f"工人{i}", None, share) for i in range(workers)],
        Organisation("某劳务有限公司"),
        Decimal(amount),
        "录制用投诉",
        policy,
        project=project,
        group_incident=group_incident,
    )


async def act(handle, action, actor, key=None, **params):
    """An action as the service sends it (a key makes it count once for the life of the case)."""
    digest = action_digest(action, params) if key else None
    await handle.execute_update(
        CaseWorkflow.act,
        ActionInput(action, actor, params, key=key, digest=digest),
        id=f"{actor.username}:{key}:{digest[:16]}" if key and digest else None,
    )


async def serve_latest(handle, kind, **extra):
    """Record the service of the case's latest document of `kind`, now (direct unless `extra` says)."""
    documents = (await handle.query(CaseWorkflow.state)).documents
    seq = next(d.seq for d in reversed(documents) if d.kind == kind)
    params = dict(seq=seq, method="direct", served_at=datetime.now(timezone.utc).isoformat(), recipient="张经理")
    await act(handle, "serve", HRSS, **{**params, **extra})


async def review_then_court(start, policy) -> None:
    """Procedure 3: the decision lapses, the party applies for review, the review upholds it, fifteen days
    (seconds) pass without a suit, and the route resumes (the application's clock opens)."""
    h = await start("review_upheld", intake("H-REVIEW", policy))
    await act(h, "accept", HRSS)
    await act(h, "findings", HRSS, substantiated=True, liable_party="employer", amount_owed="20000")
    await act(h, "decide_payment", HRSS, due_at=(datetime.now(timezone.utc) + timedelta(seconds=1)).isoformat())
    await serve_latest(h, "payment_decision")
    await asyncio.sleep(2)  # the decision's date passes unpaid: the court route (the review window runs)
    now = datetime.now(timezone.utc).isoformat()
    await act(h, "review_applied", HRSS, filed_at=now, body="代县人民政府", reference="代复〔2026〕1号")
    await asyncio.sleep(5)  # the windows' dates pass; the review is pending
    now = datetime.now(timezone.utc).isoformat()
    await act(h, "challenge_decided", HRSS, result="upheld", decided_at=now, reference="代复决〔2026〕1号")
    await asyncio.sleep(3)  # no suit within the fifteen days (seconds): the application's clock opens
    await act(h, "serve_court_reminder", HRSS)
    await act(h, "record_payment", HRSS, amount="20000", payer="employer", reference="RV-1")
    await h.result()


async def one_matter(start, policy) -> None:
    """有案必接 (domain/joining.py): a second complaint about the same employer is registered and joined to
    the open matter (the matter takes its workers, then is paid in full); a third names the matter after it
    closed and proceeds alone."""
    m = await start("one_matter_matter", intake("H-MATTER", policy))
    joined = dataclasses.replace(intake("H-JOINED", policy, workers=1, amount="8000"), matter="H-MATTER")
    j = await start("one_matter_joined", joined)
    await j.result()
    await act(m, "accept", HRSS)
    await act(m, "findings", HRSS, substantiated=True, liable_party="employer", amount_owed="28000")
    await act(m, "order_payment", HRSS)
    await act(m, "record_payment", HRSS, key="pay-m", amount="28000", payer="employer")
    await m.result()
    a = await start("one_matter_alone", dataclasses.replace(intake("H-ALONE", policy), matter="H-MATTER"))
    await act(a, "accept", HRSS)
    await act(a, "close", HRSS, outcome="withdrawn")
    await a.result()


GROUPS = {"one_matter": one_matter}  # recorded alone with `record SUFFIX GROUP`


async def record(client: Client, engine, jurisdiction, task_queue: str, group: str | None = None) -> dict[str, str]:
    """Carry one case along each path (or those of one group); return path name → workflow id."""
    policy = case_policy(jurisdiction)
    paths = {}

    async def start(name, case_intake):
        opening = open_clocks(case_intake, schedule_cache(engine).get())  # as the service starts a case
        handle = await client.start_workflow(
            CaseWorkflow.run, CaseInput(case_intake, opening=opening), id=case_intake.case_no, task_queue=task_queue
        )
        await handle.execute_update(CaseWorkflow.registered)
        paths[name] = case_intake.case_no
        return handle

    if group is not None:
        await GROUPS[group](start, policy)
        return paths
    h = await start("paid_in_full", intake("H-PAID", policy))
    await act(h, "accept", HRSS)
    await act(h, "findings", HRSS, substantiated=True, liable_party="employer", amount_owed="20000")
    await act(h, "order_payment", HRSS)
    await act(h, "record_payment", HRSS, amount="5000", payer="employer")
    await act(h, "record_payment", HRSS, amount="15000", payer="employer")
    await h.result()

    h = await start("acknowledge_missed", intake("H-MISSED", policy))
    await asyncio.sleep(5)  # the 2-second clock passes and climbs two levels
    await act(h, "accept", HRSS)
    await act(h, "extend_investigation", HEAD, working_days=10, reason="需调取银行流水")
    await act(h, "findings", HRSS, substantiated=False)
    await act(h, "close", HRSS, outcome="unsubstantiated")
    await h.result()

    h = await start("transfer_disputed", intake("H-TRANSFER", policy))
    await act(h, "transfer", HRSS, to_unit="water", reason="系水利工程")
    await act(h, "transfer", WATER, to_unit="hrss", reason="非水利项目")
    await act(h, "transfer", SUPERVISOR, to_unit="water", reason="领导小组办公室协调确定")
    await act(h, "accept", WATER)
    await act(h, "note", WATER, text="已约谈施工单位")
    await act(h, "close", WATER, outcome="withdrawn")
    await h.result()

    with session_scope(engine) as session:
        project = create_project(
            session=session,
            created_by="clerk",
            data=ProjectCreate.model_validate(
                {
                    "name": "峨口镇污水管网工程",
                    "type": "water",
                    "township": "ekou",
                    "has_permit": True,
                    "land": "state",
                    "government_invested": True,
                    "construction_unit": {"name": "代县水务投资有限公司"},
                    "general_contractor": {"name": "山西某水利工程有限公司"},
                }
            ),
        )
        info = project.to_info()
        record_entry(
            session=session,
            project_id=project.id,
            kind="deposit",
            amount=Decimal("8000"),
            bank="代县农商银行",
            actor="clerk",
        )
    h = await start("deposit_then_court", intake("H-DEPOSIT", policy, project=info, amount="12000"))
    await act(h, "accept", WATER)
    await act(h, "findings", WATER, substantiated=True, liable_party="general_contractor", amount_owed="12000")
    # labour inspection orders (the water bureau leads); the order runs out unpaid: the decision is awaited
    # (its 2-second clock escalates), then the decision runs out: the deposit pays 8000, the rest to the court
    await act(h, "order_payment", HRSS, due_at=(datetime.now(timezone.utc) + timedelta(seconds=2)).isoformat())
    await asyncio.sleep(5)
    await act(
        h,
        "decide_payment",
        HRSS,
        due_at=(datetime.now(timezone.utc) + timedelta(seconds=2)).isoformat(),
        compensation_percent=50,
    )
    await asyncio.sleep(4)
    await act(h, "confirm_deposit_payout", WATER)
    await act(h, "close", WATER_HEAD, outcome="transferred_to_court")
    await h.result()

    # the handling decision straight from the investigation, paid in time
    h = await start("decided_paid", intake("H-DECIDED", policy))
    await act(h, "accept", HRSS)
    await act(h, "findings", HRSS, substantiated=True, liable_party="employer", amount_owed="20000")
    await act(h, "decide_payment", HRSS, amount="20000")
    decision = (await h.query(CaseWorkflow.state)).documents[-1]
    served_at = datetime.now(timezone.utc).isoformat()
    await act(
        h, "serve", HRSS, seq=decision.seq, method="direct", served_at=served_at, recipient="某劳务有限公司 张经理"
    )
    await act(h, "record_payment", HRSS, amount="20000", payer="employer")
    await h.result()

    # procedure 3: the order posted at the absconded employer's site, with its photo record, runs out; the
    # absconding is reported, the referral approved, and the police decide before the transfer is recorded
    h = await start("absconded_police", intake("H-POLICE", policy, workers=12, amount="60000"))
    await act(h, "accept", HRSS)
    await act(h, "findings", HRSS, substantiated=True, liable_party="employer", amount_owed="60000", months_unpaid=4)
    await act(h, "order_payment", HRSS, due_at=(datetime.now(timezone.utc) + timedelta(seconds=2)).isoformat())
    await serve_latest(h, "order_to_pay", method="public_notice", evidence="张贴现场照片 ZP-01")
    await asyncio.sleep(4)  # the order runs out unpaid
    await act(h, "report_absconded", HRSS, reason="老板失联")
    await act(h, "approve_police_referral", HEAD)
    await act(h, "police_decision", POLICE, filed=False, reason="证据不足")
    await act(h, "request_reconsideration", HRSS, reason="补充证据")
    await asyncio.sleep(3)  # the police's answer is late: it escalates
    await act(h, "police_decision", POLICE, filed=True, reason="复议后立案")
    await act(h, "close", HEAD, outcome="transferred_to_court")
    await h.result()
    # a keyed payment retried after the case continued as new (exactly once; the state carried once)
    h = await start("keyed_payment_continued", intake("H-KEYED", policy, workers=40, amount="400000"))
    await act(h, "accept", HRSS)
    await act(h, "findings", HRSS, substantiated=True, liable_party="employer", amount_owed="400000")
    await act(h, "order_payment", HRSS)
    await act(h, "record_payment", HRSS, key="pay-1", amount="1000", payer="employer")
    for k in range(25):
        await act(h, "note", HRSS, text=f"第{k + 1}次电话催告")
    await act(h, "record_payment", HRSS, key="pay-1", amount="1000", payer="employer")
    await act(h, "record_payment", HRSS, key="pay-2", amount="399000", payer="employer")
    await h.result()
    first_runs[h.id] = h.first_execution_run_id

    def soon() -> str:
        return (datetime.now(timezone.utc) + timedelta(seconds=2)).isoformat()

    # the dishonest-employer list: a group incident whose order ran out unpaid (人社部令45号 art. 5); on
    # procedure 3 the lapse records the grounds and starts the decision clock (system step
    # blacklist_grounds), the proposal names the persons (arts. 5, 9), the head extends the clock (art. 8)
    h = await start("blacklist_listed", intake("H-BLACKLIST", policy, group_incident=True))
    await act(h, "accept", HRSS)
    await act(h, "findings", HRSS, substantiated=True, liable_party="employer", amount_owed="20000")
    await act(h, "order_payment", HRSS, due_at=soon())
    await asyncio.sleep(4)  # the order runs out unpaid: the criteria are met, the decision is awaited
    persons = [
        {"name": "王某", "id_number": "11010519491231002X", "role": "legal_representative"},
        {"name": "李某", "id_number": "110101199003071233", "role": "responsible"},
    ]
    await act(h, "propose_blacklist", HRSS, persons=persons)
    await act(h, "extend_blacklist_decision", HEAD, reason="涉及多名直接责任人员，情况复杂")
    await act(h, "blacklist_objection", HRSS, text="资金周转困难")
    await asyncio.sleep(3)  # the employer's period to state its case ends
    await act(h, "blacklist_decision", HEAD, listed=True, reason="陈述申辩理由不成立")
    await act(h, "record_payment", HRSS, amount="20000", payer="employer", reference="BL-1")
    await h.result()
    first_runs[h.id] = h.first_execution_run_id  # the path now passes RUN_EVENT_LIMIT: keep its first run too

    # the court after a refused police referral, and the workers' own routes and the emergency fund: the
    # decision is made on the court route (procedure 3), its windows pass, then the 催告书 from its service
    h = await start("court_and_routes", intake("H-COURT", policy, workers=12, amount="60000"))
    await act(h, "accept", HRSS)
    await act(h, "worker_route", HRSS, route="arbitration", event="applied", note="绿色通道")
    await act(h, "worker_route", HRSS, route="arbitration", event="accepted")
    await act(h, "findings", HRSS, substantiated=True, liable_party="employer", amount_owed="60000", months_unpaid=4)
    await act(h, "order_payment", HRSS, due_at=soon())
    await serve_latest(h, "order_to_pay")
    await asyncio.sleep(4)  # the order runs out unpaid
    await act(h, "report_absconded", HRSS, reason="老板失联")
    await act(h, "assign_leader", SUPERVISOR, leader="县政府分管副县长")
    await act(h, "reject_police_referral", HEAD, reason="证据不足以移送")
    await act(h, "advance_emergency_fund", HRSS, amount="10000", purpose="wages", reference="YJ-1")
    await act(h, "decide_payment", HRSS, compensation_percent=50)
    await serve_latest(h, "payment_decision")
    await asyncio.sleep(7)  # the review and suit windows pass unchallenged
    await act(h, "serve_court_reminder", HRSS)
    await serve_latest(h, "court_reminder")
    await asyncio.sleep(4)  # the reminder period runs out unanswered
    await act(h, "court_application", HRSS)
    await act(h, "court_accepted", Actor("court1", "liaison", "court"))
    await act(h, "court_ruling", Actor("court1", "liaison", "court"), granted=True)
    await act(h, "court_outcome", Actor("court1", "liaison", "court"), amount_enforced="50000", reference="ZX-1")
    await act(h, "recover_emergency_fund", HRSS, amount="10000")
    await h.result()

    # procedure 3 at intake (domain/actions/petition.py): a petition the water bureau objects to, which the
    # office routes back to it; its 告知 clock runs out meanwhile and escalates
    h = await start(
        "petition_objected", dataclasses.replace(intake("H-PETITION", policy, project=info), channel=Channel.PETITION)
    )
    await act(h, "object_referral", WATER, reason="该项目不属本单位监管")
    await asyncio.sleep(5)
    await act(h, "transfer", SUPERVISOR, to_unit="water", reason="领导小组办公室核实后重新交办")
    await act(h, "accept", WATER)
    await act(h, "close", WATER, outcome="mediated")
    await h.result()

    # a late entry (received three years ago, with its reason) about arrears that ended six years ago:
    # registered, flagged, not accepted (不予受理通知书)
    now = datetime.now(timezone.utc)
    late = dataclasses.replace(
        intake("H-LIMITATION", policy),
        received_at=now - timedelta(days=3 * 365),
        late_entry_reason="乡镇纸质台账移交补录",
        arrears_ended_at=(now - timedelta(days=6 * 365)).date(),
    )
    h = await start("limitation_not_accepted", late)
    await act(h, "limitation_decision", HRSS, proceed=False, reason="欠薪行为终了已逾2年")
    await h.result()
    await review_then_court(start, policy)
    for recorder in GROUPS.values():
        await recorder(start, policy)
    return paths


async def main() -> None:
    suffix = f"-{sys.argv[1]}" if len(sys.argv) > 1 else ""
    group = sys.argv[2] if len(sys.argv) > 2 else None
    jurisdiction = drill(load_jurisdiction(DEFAULT_JURISDICTION))
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/record.db"
        engine = make_engine(url)
        create_all(engine)
        # sealed as the service seals (the worker refuses updates that are not), with the tests' key, which
        # the replay test's converter holds; the histories before encryption were recorded in clear
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(BIN / "temporal"),
            search_attributes=SEARCH_ATTRIBUTES,
            data_converter=data_converter(Settings(secret_key=SECRET_KEY)),
            ui=False,
            dev_server_extra_args=["--log-level", "error"],
        )
        try:
            settings = Settings(task_queue="record", database_url=url, secret_key=SECRET_KEY)
            async with build_worker(env.client, settings, engine=engine, jurisdiction=jurisdiction):
                paths = await record(env.client, engine, jurisdiction, "record", group)
            for name, workflow_id in paths.items():
                history = await env.client.get_workflow_handle(workflow_id).fetch_history()
                (HERE / f"{name}{suffix}.json").write_text(history.to_json(), encoding="utf-8")
                print(f"{name}{suffix}: {len(history.events)} events")
                if workflow_id in first_runs:  # its first run too, which ends by continuing as new
                    history = await env.client.get_workflow_handle(
                        workflow_id, run_id=first_runs[workflow_id]
                    ).fetch_history()
                    (HERE / f"{name}-first-run{suffix}.json").write_text(history.to_json(), encoding="utf-8")
                    print(f"{name}-first-run{suffix}: {len(history.events)} events")
        finally:
            await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
