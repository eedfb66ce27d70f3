"""Cases taken through the domain's own steps, and every document they issue, ready to render.

- `full_case()`: a walk-in complaint about a housing project, referred, escalated once, accepted,
  found substantiated against the general contractor, ordered to pay, paid in two parts and closed.
- `ladder_case()`: twelve workers unpaid after the order: the wage deposit is drawn, the rest reaches
  the crime threshold and goes to the police; the employer is proposed for the dishonest list, and listed.
- `court_case()`: a small case below the threshold, on the court route, made a major case with a leader.
- `unfounded_case()`: a complaint the investigation does not bear out.

Each returns the documents issued, as (state at the time, request, issue time): the state is copied at
each step, so a document is rendered from what the case knew when it was issued.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from core.jurisdiction import DEFAULT_JURISDICTION, load_jurisdiction
from core.policy import case_policy
from domain import lifecycle
from domain.lifecycle import ClockTimes, DocumentRequest
from domain.model import (
    SYSTEM,
    Actor,
    CaseIntake,
    CaseState,
    Channel,
    DocumentRef,
    Organisation,
    Person,
    ProjectInfo,
    WorkerClaim,
)
from domain.procedure import STATUTORY_PROCEDURE
from domain.routing import ProjectFacts

JURISDICTION = load_jurisdiction(DEFAULT_JURISDICTION)
POLICY = case_policy(JURISDICTION)
T0 = datetime(2026, 3, 2, 1, 15, tzinfo=timezone.utc)  # 9:15 in China
CLERK = Actor("clerk1", "clerk", "petition")
SUPERVISOR = Actor("office1", "supervisor", "hrss")
# Labour inspection issues the coercive documents whatever unit leads (authorities in the jurisdiction file).
INSPECTOR = Actor("inspector1", "caseworker", "hrss")
INSPECTION_HEAD = Actor("inspection_head", "unit_head", "hrss")
# A housing project in 上馆镇 with a construction permit: the housing bureau leads.
HOUSING = ProjectFacts("housing_municipal", "shangguan", True, "state", False)
NAMES = [
    "王建军",
    "李二保",
    "张福全",
    "赵满仓",
    "刘喜平",
    "陈小军",
    "杨根虎",
    "郭存旺",
    "孙二小",
    "周宝柱",
    "吴建平",
    "郑三娃",
]
BANKS = ["中国农业银行代县支行", "山西代县农村商业银行", "中国邮政储蓄银行代县支行"]


def id_number(i: int) -> str:
    """A made-up resident ID number of 代县 (142223), with a valid check character."""
    body = f"142223198{i % 10}0{(i % 9) + 1}1{i % 10}{(i * 7) % 10}{(i * 3) % 10}{(i + 1) % 10}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]
    return body + check


def roster(n: int, each: str, *, complete: bool = True) -> list[WorkerClaim]:
    workers = []
    for i in range(n):
        registered = complete or i % 3
        workers.append(
            WorkerClaim(
                NAMES[i % len(NAMES)],
                id_number(i) if registered else None,
                Decimal(each),
                BANKS[i % len(BANKS)] if registered else None,
                f"622848012345{6000 + i:04d}17{i % 10}" if registered else None,
            )
        )
    return workers


def project() -> ProjectInfo:
    return ProjectInfo(
        7,
        "阳明堡镇安置小区3号楼",
        HOUSING,
        construction_unit=Organisation("代县城市建设投资有限公司", "91140923MA0K7B2C1X"),
        general_contractor=Organisation("山西晋北建设工程有限公司", "91140900MA0K1234X5"),
        subcontractor=Organisation("忻州市恒达建筑劳务有限公司", "91140902MA0L5678Y3"),
    )


def intake(case_no: str, workers: list[WorkerClaim], *, with_project: bool = True) -> CaseIntake:
    amount = sum((w.amount_owed for w in workers), Decimal("0"))
    return CaseIntake(
        case_no,
        Channel.WALK_IN,
        T0,
        T0 + timedelta(minutes=20),
        CLERK,
        Person("王建军", "13903501234"),
        workers,
        Organisation("忻州市恒达建筑劳务有限公司", "91140902MA0L5678Y3"),
        amount,
        "2025年10月至12月在阳明堡镇安置小区3号楼从事木工、钢筋工，工资未结清。\n项目已于2026年1月停工。",
        POLICY,
        project=project() if with_project else None,
    )


@dataclass
class Issued:
    state: CaseState
    request: DocumentRequest
    now: datetime


class Run:
    """A case stepped through lifecycle.apply, keeping a copy of the state with each document issued."""

    def __init__(self, case_intake: CaseIntake, procedure: int = 1):
        self.state = CaseState(intake=case_intake, procedure=procedure)
        self.issued: list[Issued] = []
        lifecycle.open_case(self.state)
        self._keep(
            lifecycle.refer(
                self.state, case_intake.registered_at, self._times("acknowledge", start=case_intake.received_at)
            ),
            case_intake.registered_at,
        )

    def _times(self, *keys, start: datetime) -> dict[str, ClockTimes]:
        due = start + timedelta(days=7)
        return {k: ClockTimes(due, [due + timedelta(days=2), due + timedelta(days=4)]) for k in keys}

    def _keep(self, requests, now: datetime) -> None:
        for req in requests:
            self.issued.append(Issued(copy.deepcopy(self.state), req, now))

    def do(self, action: str, actor: Actor, now: datetime, **params) -> None:
        lifecycle.check(self.state, action, params, actor, now)
        keys = [c.key for c in lifecycle.clocks_for(self.state, action, params, now)]
        self._keep(lifecycle.apply(self.state, action, params, actor, now, self._times(*keys, start=now)), now)

    def on_time(self, now: datetime) -> None:
        self._keep(lifecycle.on_time(self.state, now), now)

    def serve(self, kind: str, now: datetime, **service) -> None:
        """The 送达回证 of the last document of `kind`, blank or with the service recorded."""
        served = next(d for d in reversed(self.state.documents) if d.kind == kind)
        seq = len(self.state.documents) + 1
        self.state.documents.append(DocumentRef(seq, "service_record"))
        self._keep([DocumentRequest(seq, "service_record", {"served_seq": served.seq, **service})], now)


def full_case() -> list[Issued]:
    run = Run(intake("DX-2026-000123", roster(3, "12000")))
    ack = run.state.open_deadline("acknowledge")
    run.on_time(ack.due_at)  # nobody signed: 督办单 to the housing bureau's head
    lead = Actor("housing1", "caseworker", run.state.lead_unit)
    day = ack.due_at + timedelta(hours=2)
    run.do("accept", lead, day)
    run.do(
        "findings",
        lead,
        day + timedelta(days=3),
        substantiated=True,
        liable_party="general_contractor",
        amount_owed="36000",
        months_unpaid=3,
        facts="经核对考勤表、工资表和劳务分包合同，忻州市恒达建筑劳务有限公司拖欠3名农民工2025年10月至12月工资，属实。",
    )
    run.do("order_payment", INSPECTOR, day + timedelta(days=4))
    run.serve("order_to_pay", day + timedelta(days=4))
    run.do("record_payment", lead, day + timedelta(days=8), amount="20000", payer="general_contractor")
    run.do("record_payment", lead, day + timedelta(days=10), amount="16000", payer="general_contractor")
    return run.issued


def ladder_case() -> list[Issued]:
    run = Run(intake("DX-2026-000124", roster(12, "5000", complete=False)))
    lead = Actor("housing1", "caseworker", run.state.lead_unit)
    day = T0 + timedelta(days=1)
    run.do("accept", lead, day)
    run.do(
        "findings",
        lead,
        day + timedelta(days=2),
        substantiated=True,
        liable_party="general_contractor",
        amount_owed="60000",
        months_unpaid=4,
    )
    run.do("order_payment", INSPECTOR, day + timedelta(days=3))
    due = run.state.payment_due_at + timedelta(minutes=1)
    run.do("enforce", SYSTEM, due, drawn="24000", bank="中国农业银行代县支行")
    run.do("approve_police_referral", INSPECTION_HEAD, due + timedelta(hours=3))
    run.do("transfer_to_police", lead, due + timedelta(hours=20))
    run.do("confirm_deposit_payout", lead, due + timedelta(days=2))
    run.do("deposit_replenished", lead, due + timedelta(days=3))
    run.do("propose_blacklist", INSPECTOR, due + timedelta(days=1))
    notice = run.state.open_deadline("blacklist_notice")
    run.serve("blacklist_notice", due + timedelta(days=1))
    run.on_time(notice.due_at)
    run.do("blacklist_decision", INSPECTION_HEAD, notice.due_at + timedelta(hours=2), listed=True)
    return run.issued


def court_case() -> list[Issued]:
    run = Run(intake("DX-2026-000125", roster(3, "3000"), with_project=False))
    lead = Actor("hrss1", "caseworker", run.state.lead_unit)
    day = T0 + timedelta(days=1)
    run.do("accept", lead, day)
    run.do("assign_leader", SUPERVISOR, day, leader="县政府分管副县长")
    run.do("findings", lead, day + timedelta(days=2), substantiated=True, liable_party="employer", amount_owed="9000")
    run.do("order_payment", INSPECTOR, day + timedelta(days=3))
    due = run.state.payment_due_at + timedelta(minutes=1)
    run.do("enforce", SYSTEM, due, drawn="0")
    run.serve(
        "court_reminder",
        due + timedelta(hours=1),
        method="left_at_address",
        place="代县上馆镇建设街18号",
        recipient="拒绝签收",
        witness="上馆镇建设街社区居委会 刘爱民",
        server="县人社局劳动保障监察大队 张志强、李文华",
        served_at=(due + timedelta(hours=1)).isoformat(),
    )
    return run.issued


def decision_case() -> list[Issued]:
    """The lawful ladder: the order runs out unpaid, labour inspection decides with 加付赔偿金."""
    run = Run(intake("DX-2026-000127", roster(3, "12000")))
    run.state.procedure = 2  # a case started on the lawful ladder (workflows/case.py)
    lead = Actor("housing1", "caseworker", run.state.lead_unit)
    day = T0 + timedelta(days=1)
    run.do("accept", lead, day)
    run.do(
        "findings",
        lead,
        day + timedelta(days=2),
        substantiated=True,
        liable_party="general_contractor",
        amount_owed="36000",
        facts="经核对考勤表和工资表，拖欠属实。",
    )
    run.do("order_payment", INSPECTOR, day + timedelta(days=3))
    lapsed = run.state.payment_due_at + timedelta(minutes=1)
    run.on_time(lapsed)
    run.do("order_lapsed", SYSTEM, lapsed)
    run.do("decide_payment", INSPECTOR, lapsed + timedelta(days=2), compensation_percent=50)
    return run.issued


def unfounded_case() -> list[Issued]:
    """A complaint the investigation does not bear out, closed with its 处理结果告知书."""
    run = Run(intake("DX-2026-000126", roster(2, "4000"), with_project=False))
    lead = Actor("hrss1", "caseworker", run.state.lead_unit)
    day = T0 + timedelta(days=1)
    run.do("accept", lead, day)
    run.do("findings", lead, day + timedelta(days=5), substantiated=False)
    run.do("close", lead, day + timedelta(days=6), outcome="unsubstantiated")
    return run.issued


def limitation_case() -> list[Issued]:
    """Procedure 3: arrears that ended more than two years before the complaint, not accepted (不予受理)."""
    late = dataclasses.replace(
        intake("DX-2026-000127", roster(2, "4000"), with_project=False), arrears_ended_at=date(2023, 6, 30)
    )
    run = Run(late, procedure=STATUTORY_PROCEDURE)
    run.do(
        "limitation_decision",
        INSPECTOR,
        T0 + timedelta(days=1),
        proceed=False,
        reason="欠薪行为终了已逾2年，且无继续状态",
    )
    return run.issued


def every_document() -> list[Issued]:
    return full_case() + ladder_case() + court_case() + decision_case()
