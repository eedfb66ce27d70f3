"""The case as the workflow holds it: plain dataclasses, serialisable by the pydantic converter."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from domain.routing import ProjectFacts, RoutingConfig
from domain.rules import DeadlineRule


class Stage(StrEnum):
    INTAKE = "intake"  # 受理
    REFERRED = "referred"  # 转办/交办
    INVESTIGATING = "investigating"  # 立案调查
    PAYMENT_ORDERED = "payment_ordered"  # 责令限期支付
    DECIDED = "decided"  # 行政处理决定（劳动保障监察条例第26条）
    DEPOSIT_DRAWDOWN = "deposit_drawdown"  # 动用工资保证金
    POLICE_REFERRED = "police_referred"  # 移送公安
    COURT_ENFORCEMENT = "court_enforcement"  # 申请法院强制执行
    CLOSED = "closed"  # 结案


class Channel(StrEnum):
    HOTLINE = "hotline"
    ONLINE = "online"
    WALK_IN = "walk_in"
    PETITION = "petition"
    MEDIA = "media"
    UNION = "union"
    TOWNSHIP_WARNING = "township_warning"
    SELF_REPORT = "self_report"


class DeadlineStatus(StrEnum):
    OPEN = "open"
    MET = "met"
    MISSED = "missed"
    CANCELLED = "cancelled"


class Party(StrEnum):
    """Who may owe or pay (docs/domain.md, "Who pays")."""

    EMPLOYER = "employer"
    SUBCONTRACTOR = "subcontractor"
    GENERAL_CONTRACTOR = "general_contractor"
    CONSTRUCTION_UNIT = "construction_unit"
    DEPOSIT = "deposit"
    EMERGENCY_FUND = "emergency_fund"
    COURT = "court"


LIABLE_PARTIES = (Party.EMPLOYER, Party.SUBCONTRACTOR, Party.GENERAL_CONTRACTOR, Party.CONSTRUCTION_UNIT)


@dataclass
class Actor:
    username: str
    role: str
    unit: str


SYSTEM = Actor(username="system", role="system", unit="")


@dataclass
class Organisation:
    name: str
    credit_code: str | None = None


@dataclass
class Person:
    name: str
    phone: str | None = None
    id_number: str | None = None


@dataclass
class ListedPerson:
    """A person listed with the employer (人社部令45号 arts. 5, 9): its legal representative or principal, or
    a directly responsible person; `role` is one of domain/listing.py PERSON_ROLES."""

    name: str
    id_number: str
    role: str


@dataclass
class WorkerClaim:
    name: str
    id_number: str | None = None
    amount_owed: Decimal = Decimal("0")
    bank: str | None = None  # 开户银行, for a payout from the wage deposit
    bank_account: str | None = None  # the worker's own wage account (工资账户)


@dataclass
class ProjectInfo:
    id: int
    name: str
    facts: ProjectFacts
    construction_unit: Organisation | None = None
    general_contractor: Organisation | None = None
    subcontractor: Organisation | None = None


@dataclass
class CrimeThreshold:
    """When unpaid wages amount to the crime of refusing to pay (法释〔2013〕3号 art. 3; set by the province)."""

    amount_per_worker: Decimal = Decimal("5000")
    months_unpaid: int = 3
    amount_total: Decimal = Decimal("30000")
    workers_total: int = 10


@dataclass
class Authority:
    """Who issues one kind of document: the unit (a unit code, or `receiving` / `referring` for the unit
    that received the complaint or refers it on), the role that signs, and the citation."""

    unit: str
    signer: str = "unit_head"
    basis: str = ""


# The unit codes that stand for a unit of the case rather than a fixed one.
RECEIVING_UNIT = "receiving"
REFERRING_UNIT = "referring"


@dataclass
class CasePolicy:
    """The part of the jurisdiction configuration that shapes a case, recorded in its history."""

    deadlines: dict[str, DeadlineRule]
    routing: RoutingConfig
    office_unit: str
    escalation_levels: list[str]
    calendar_unknown_year: str = "weekends"
    calendar_extra_holidays: list[str] = field(default_factory=list)
    calendar_extra_workdays: list[str] = field(default_factory=list)
    major_case_workers: int = 30
    major_case_amount: Decimal = Decimal("500000")
    crime: CrimeThreshold = field(default_factory=CrimeThreshold)
    # The units that receive referrals (docs/contract.md, the jurisdiction file); their liaisons act on referred cases.
    police_unit: str = "police"
    court_unit: str = "court"
    procuratorate_unit: str = "procuratorate"
    blacklist_years: int = 3  # 人社部令45号 art. 11
    # Unit code → name, for the texts supervisors read in the Temporal Web UI (empty in cases registered
    # before it was carried: those show the codes).
    unit_names: dict[str, str] = field(default_factory=dict)
    # Who issues what (document kind → Authority). None in a policy recorded before the file said it:
    # such a case keeps its lead unit issuing and acting, as it started.
    authorities: dict[str, Authority] | None = None

    def authority(self, kind: str) -> "Authority | None":
        return (self.authorities or {}).get(kind)


@dataclass
class CaseIntake:
    """Everything the intake clerk registered: the case workflow's input."""

    case_no: str
    channel: Channel
    received_at: datetime
    registered_at: datetime
    registered_by: Actor
    complainant: Person
    workers: list[WorkerClaim]
    employer: Organisation
    amount_claimed: Decimal
    description: str
    policy: CasePolicy
    project: ProjectInfo | None = None
    group_incident: bool = False
    # The day the wages stopped being owed (the violation's end, 劳动保障监察条例 art. 20); None: still owed
    # or not given. Procedure 3 flags a complaint received more than the limitation after it.
    arrears_ended_at: date | None = None
    # Why a complaint received longer ago than the limitation is entered only now (recorded on the timeline).
    late_entry_reason: str | None = None
    # The open case about the same employer (credit code) or project that the registry found at intake
    # (db/matters.py): this complaint is registered all the same and joined to it (有案必接, domain/joining.py).
    matter: str | None = None


@dataclass
class Deadline:
    seq: int
    kind: str  # the rule's name in the jurisdiction file
    unit: str  # the unit that must act
    start_at: datetime
    due_at: datetime
    basis: str
    status: DeadlineStatus = DeadlineStatus.OPEN
    escalate_at: list[datetime] = field(default_factory=list)  # later escalation levels, in order
    level: int = 0  # escalation levels reached
    resolved_at: datetime | None = None  # when the awaited act happened (or the clock was cancelled)
    extended_working_days: int = 0
    provisional: bool = False  # due_at was computed on a year without the official schedule (暂定)


@dataclass
class Event:
    seq: int
    at: datetime
    kind: str
    actor: str
    summary: str  # zh-CN, for the timeline
    data: dict = field(default_factory=dict)


@dataclass
class Escalation:
    seq: int
    at: datetime
    level: str
    reason: str
    deadline_kind: str
    unit: str


@dataclass
class Payment:
    seq: int
    at: datetime
    amount: Decimal
    payer: Party
    actor: str
    reference: str | None = None


@dataclass
class DocumentRef:
    seq: int
    kind: str
    url: str = ""  # written by runs recorded before the API derived it from the number; unused now


@dataclass
class Service:
    """The recorded service (送达) of a document on a party: how, when, on whom, and for a posted document
    (公告送达, 张贴) the reference of its photo or video record (法释〔2013〕3号 art. 4)."""

    seq: int  # the document served
    kind: str
    method: str
    served_at: datetime
    effective_at: datetime  # a public notice takes effect when its period has passed
    recipient: str
    evidence: str | None = None


@dataclass
class Challenge:
    """The party's challenge of a handling decision: 行政复议 (`review`) or 行政诉讼 (`suit`), and its outcome
    (`upheld`, `changed`, `revoked`; None while pending). docs/deadlines.md, "The court route"."""

    seq: int
    kind: str  # review | suit
    decision_seq: int  # the 行政处理决定书 challenged
    filed_at: datetime
    body: str  # 复议机关 or the court
    reference: str | None = None
    outcome: str | None = None
    decided_at: datetime | None = None  # when the party received the review decision, or the judgment took effect
    amount: Decimal | None = None  # the amount of a changed decision


# How many applied keyed actions a case remembers (the oldest are forgotten first). A client retries a
# request within minutes or hours of sending it, and a case sees a few dozen keyed actions in its whole
# life; a retry would have to come after a thousand other keyed actions on the same case to be taken
# again. At about 150 bytes an entry the list stays under 150 KB even then.
APPLIED_KEYS_KEPT = 1000


@dataclass
class AppliedAction:
    """A keyed action the case has applied: the same key again returns this result and changes nothing."""

    username: str  # keys are the sender's: another user's same key is another action
    key: str
    digest: str  # of the action and its params: the same key with another body is refused
    action: str
    version: int  # the result the first request got
    stage: str


@dataclass
class CaseState:
    intake: CaseIntake
    stage: Stage = Stage.INTAKE
    version: int = 0
    lead_unit: str = ""
    co_units: list[str] = field(default_factory=list)
    routing_reason: str = ""
    units_held: list[str] = field(default_factory=list)  # every unit that has led the case
    major: bool = False
    substantiated: bool | None = None
    liable_party: Party | None = None
    findings_text: str = ""
    amount_owed: Decimal | None = None
    amount_recovered: Decimal = Decimal("0")
    order_amount: Decimal | None = None
    outcome: str | None = None
    months_unpaid: int | None = None  # the longest period a worker went unpaid, from the findings
    liaison_units: list[str] = field(default_factory=list)  # police, court, procuratorate once referred
    absconded: bool = False  # 欠薪逃匿
    deposit_drawn: Decimal = Decimal("0")
    deposit_bank: str | None = None
    police_filed: bool | None = None  # the police decision: filed (立案) or refused
    police_refusals: int = 0
    leader: str | None = None  # the leader's title (领导包案), never a personal name
    next_dispatch_at: datetime | None = None  # the next dispatch to the leader (major cases)
    emergency_wages: Decimal = Decimal("0")  # 应急周转金 advanced for wages (counted as recovered)
    emergency_living: Decimal = Decimal("0")  # advanced for basic living costs (not wages)
    emergency_recovered: Decimal = Decimal("0")  # paid back into the fund
    unpaid_at_deadline: Decimal | None = None  # what the order's deadline (or the absconding) left unpaid
    blacklist: str | None = None  # proposed | listed | declined (人社部令45号)
    blacklist_reason: str | None = None
    blacklist_listed_at: datetime | None = None
    blacklist_until: datetime | None = None
    # procedure 3 (domain/listing.py): the lapse of the payment deadline at which the grounds of 人社部令45号
    # art. 5 were found met (the decision clock runs from it, art. 8), and the persons listed with the employer
    blacklist_grounds_at: datetime | None = None
    blacklist_persons: list[ListedPerson] = field(default_factory=list)
    # milestones
    referred_at: datetime | None = None
    accepted_at: datetime | None = None
    findings_at: datetime | None = None
    order_served_at: datetime | None = None
    payment_due_at: datetime | None = None
    deposit_drawn_at: datetime | None = None
    police_proposed_at: datetime | None = None
    police_approved_at: datetime | None = None
    police_referred_at: datetime | None = None  # the transfer (移送) reached the police
    police_decided_at: datetime | None = None
    court_reminded_at: datetime | None = None
    court_filed_at: datetime | None = None
    closed_at: datetime | None = None
    deadlines: list[Deadline] = field(default_factory=list)
    timeline: list[Event] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    documents: list[DocumentRef] = field(default_factory=list)
    applied: list[AppliedAction] = field(default_factory=list)  # the last APPLIED_KEYS_KEPT keyed actions
    refused_steps: list[str] = field(default_factory=list)  # steps the case took by itself that the rules refused
    # Started with its first clocks counted by the service (CaseInput.opening, patch `case-opening`): the
    # case takes the patches older than that one without recording their markers (workflows/case.py).
    opened_by_service: bool = False
    # The ladder the case follows, fixed when it starts (docs/deadlines.md): 1, an unpaid order draws the
    # deposit at once (cases started before the handling decision); 2, an unpaid order waits for the
    # handling decision (行政处理决定), and only the decision's lapse moves the case on by itself; 3, the
    # whole statutory procedure (domain/procedure.py).
    procedure: int = 1
    order_lapsed_at: datetime | None = None  # procedure 2: the order ran out unpaid, the decision is awaited
    decided_at: datetime | None = None
    decision_amount: Decimal | None = None
    compensation_percent: int | None = None  # 加付赔偿金, 50-100 of what is owed (劳动保障监察条例 art. 26)
    compensation_amount: Decimal | None = None  # owed to the workers on top of their wages
    served_seqs: list[int] = field(default_factory=list)  # documents whose service (送达) is recorded
    decision_served_at: datetime | None = None  # when the decision's service took effect
    # procedure 3: out of the limitation, labour inspection decides (domain/actions/petition.py)
    limitation_pending: bool = False
    services: list[Service] = field(default_factory=list)  # every recorded service, with its evidence
    challenges: list[Challenge] = field(default_factory=list)  # procedure 3: review and suit of the decision
    decision_final_at: datetime | None = None  # procedure 3: the windows passed unchallenged (or it was upheld)
    # One matter (domain/joining.py): a matter lists the complaints joined to it; a joined complaint names
    # its matter here and in joined_to.
    related_cases: list[str] = field(default_factory=list)
    joined_to: str | None = None

    def applied_action(self, username: str, key: str) -> AppliedAction | None:
        """The keyed action this user's key was applied as, if the case remembers it."""
        for done in reversed(self.applied):
            if done.key == key and done.username == username:
                return done
        return None

    def remember_applied(self, done: AppliedAction) -> None:
        self.applied.append(done)
        del self.applied[:-APPLIED_KEYS_KEPT]

    @property
    def case_no(self) -> str:
        return self.intake.case_no

    @property
    def outstanding(self) -> Decimal:
        """What is still unpaid: the amount found owed (or claimed, before findings) less recoveries."""
        owed = self.amount_owed if self.amount_owed is not None else self.intake.amount_claimed
        return max(owed - self.amount_recovered, Decimal("0"))

    @property
    def emergency_outstanding(self) -> Decimal:
        """What the emergency fund has advanced and not yet got back."""
        return self.emergency_wages + self.emergency_living - self.emergency_recovered

    def open_deadline(self, kind: str) -> Deadline | None:
        """The unresolved clock of that kind, open or missed, if any."""
        for d in reversed(self.deadlines):
            if d.kind == kind and d.resolved_at is None:
                return d
        return None

    def overdue(self) -> bool:
        return any(d.status is DeadlineStatus.MISSED and d.resolved_at is None for d in self.deadlines)

    def next_deadline(self) -> datetime | None:
        dues = [d.due_at for d in self.deadlines if d.status is DeadlineStatus.OPEN]
        return min(dues) if dues else None
