"""Request and response bodies of the cases API (amounts are yuan as decimal strings on output)."""

from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer,
                      StringConstraints, WithJsonSchema, model_validator)

from api.inputs import AmountIn, PersonName, Text
from db.accounts import OrgInfo, ProjectCreate
from domain.calendar import CHINA_TZ
from domain.errors import InvalidInput
from domain.identity import check_phone, check_resident_id
from domain.model import Channel, Party

Yuan = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json")]


def _edge_check(check):
    """A pydantic validator from a domain check (InvalidInput becomes the field's ValueError)."""
    def validate(value: str) -> str:
        try:
            return check(value)
        except InvalidInput as err:
            raise ValueError(err.message) from None
    return validate


def _resident_id(value: str) -> str:
    return check_resident_id(value, today=datetime.now(CHINA_TZ).date())


# Validated by their GB check characters (domain.identity), not by pattern alone.
IdNumber = Annotated[str, StringConstraints(max_length=40), AfterValidator(_edge_check(_resident_id)),
                     WithJsonSchema({"type": "string", "pattern": r"^\d{17}[\dXx]$",
                                     "description": "18-character resident ID number (GB 11643, check character "
                                                    "verified)", "examples": ["11010519491231002X"]})]
Phone = Annotated[str, StringConstraints(max_length=40), AfterValidator(_edge_check(check_phone)),
                  WithJsonSchema({"type": "string", "maxLength": 40,
                                  "description": "a mobile number (13800138000) or a landline with its area code "
                                                 "(0350-5221234)", "examples": ["13800138000"]})]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PersonIn(Strict):
    name: PersonName
    phone: Phone | None = None
    id_number: IdNumber | None = Field(default=None, description="18-digit resident ID number")


class WorkerIn(Strict):
    name: PersonName
    id_number: IdNumber | None = None
    amount_owed: AmountIn


class CaseCreate(Strict):
    """A complaint (举报投诉) as the intake clerk registers it."""

    channel: Channel
    received_at: datetime | None = Field(
        default=None, description="when the complaint reached the government; default now, never in the future; "
                                  "without an offset China Standard Time (+08:00) is assumed")
    complainant: PersonIn
    workers: list[WorkerIn] = Field(min_length=1, max_length=5000)
    employer: OrgInfo
    project_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    project: ProjectCreate | None = None
    amount_claimed: AmountIn | None = Field(default=None, description="default: the sum of the workers' amounts")
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] = ""
    group_incident: bool = Field(default=False, description="a group incident (群体性事件): always a major case")

    @model_validator(mode="after")
    def _one_project(self) -> "CaseCreate":
        if self.project_id is not None and self.project is not None:
            raise ValueError("give either project_id or project, not both")
        return self


# ---- action bodies ------------------------------------------------------------------------------


class AcceptBody(Strict):
    pass


class TransferBody(Strict):
    to_unit: str | None = Field(default=None, description="unit code; omit to return the case to the office of "
                                                          "the leading group (a refused referral)")
    reason: Text


class FindingsBody(Strict):
    substantiated: bool
    liable_party: Literal["employer", "subcontractor", "general_contractor", "construction_unit"] | None = None
    amount_owed: AmountIn | None = None
    facts: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] = ""
    months_unpaid: int | None = Field(default=None, ge=1, le=600, description=(
        "the longest time a worker went unpaid, in months; with the amounts it decides the crime threshold "
        "(法释〔2013〕3号 art. 3)"))

    @model_validator(mode="after")
    def _needs_party_and_amount(self) -> "FindingsBody":
        if self.substantiated and (self.liable_party is None or self.amount_owed is None):
            raise ValueError("substantiated findings need liable_party and amount_owed")
        return self


def china_time(value: datetime | date | None) -> datetime | None:
    """A date means the end of that day in China; a date-time without an offset is China time (+08:00)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        return datetime.combine(value, time(23, 59, 59), tzinfo=CHINA_TZ)
    return value if value.tzinfo is not None else value.replace(tzinfo=CHINA_TZ)


def _date_only(value):
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return date.fromisoformat(value)
    return value


ChinaTime = Annotated[datetime | date, BeforeValidator(_date_only), AfterValidator(china_time)]


class OrderPaymentBody(Strict):
    amount: AmountIn | None = Field(default=None, description="default: everything still owed")
    due_at: ChinaTime | None = Field(
        default=None, description="when payment is due; a date means the end of that day (China time); "
                                  "default: the jurisdiction's order_payment period")


class RecordPaymentBody(Strict):
    amount: AmountIn
    payer: Party
    reference: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = Field(
        default=None, description="bank transfer or receipt number; a repeated reference is refused")


class ExtendBody(Strict):
    working_days: int = Field(gt=0, le=365)
    reason: Text


class CloseBody(Strict):
    outcome: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] = Field(
        description="paid_in_full, unsubstantiated, withdrawn, mediated, out_of_limitation, or a short text")


class NoteBody(Strict):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


Reference = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


class ReportAbscondedBody(Strict):
    """The employer absconded or refuses to cooperate (欠薪逃匿): propose a police referral at once."""

    reason: Text
    months_unpaid: int | None = Field(default=None, ge=1, le=600, description="longest time a worker went unpaid")


class ApproveReferralBody(Strict):
    """The unit head approves the police referral (国务院令310 art. 5); the transfer notice is issued."""


class RejectReferralBody(Strict):
    """The unit head does not approve the police referral: the case goes to court enforcement."""

    reason: Text


class TransferToPoliceBody(Strict):
    """The transfer notice and files reached the police (within 24 hours of approval)."""

    reference: Reference | None = Field(default=None, description="the police's receipt (回执) number")


class PoliceDecisionBody(Strict):
    """The police decide whether to file the case (立案), 3 days after the transfer (国务院令310 art. 8)."""

    filed: bool
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = Field(
        default=None, description="required when the police refuse to file")

    @model_validator(mode="after")
    def _refusal_needs_reason(self) -> "PoliceDecisionBody":
        if not self.filed and not self.reason:
            raise ValueError("a refusal to file needs its reason")
        return self


class RequestReconsiderationBody(Strict):
    """Ask the police to reconsider a refusal, within 3 days (国务院令310 art. 9)."""


class RequestSupervisionBody(Strict):
    """Ask the procuratorate to supervise the refusal (立案监督, 国务院令310 art. 9)."""


class CourtReminderBody(Strict):
    """After a final police refusal: serve the reminder (催告) that precedes court enforcement."""


class CourtApplicationBody(Strict):
    """Apply to the court for enforcement once the reminder period ran out (行政强制法 arts. 53-54)."""


class CourtAcceptedBody(Strict):
    """The court accepted the application (行政强制法 art. 56)."""


class CourtRulingBody(Strict):
    """The court's ruling on enforcement (行政强制法 art. 57)."""

    granted: bool
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class CourtOutcomeBody(Strict):
    """Money the court enforced: recorded as a payment by the court."""

    amount_enforced: AmountIn
    reference: Reference | None = None


class DepositPayoutBody(Strict):
    """The bank paid the workers from the deposit."""

    reference: Reference | None = Field(default=None, description="the bank's payment voucher number")


class DepositReplenishedBody(Strict):
    """The general contractor topped the deposit back up (record the money on the project's deposit too)."""

    reference: Reference | None = None


class AssignLeaderBody(Strict):
    """Assign a leader to the case (领导包案); dispatches follow at the jurisdiction's interval."""

    leader: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = Field(
        description="the leader's title, e.g. 县政府分管副县长 (a title, not a personal name)")


class AdvanceEmergencyFundBody(Strict):
    """The emergency revolving fund (应急周转金) advances wages or basic living costs (条例 art. 63)."""

    amount: AmountIn
    purpose: Literal["wages", "living"] = Field(description="wages count as recovered; living costs do not")
    reference: Reference | None = None


class RecoverEmergencyFundBody(Strict):
    """Money paid back into the emergency fund by the party liable."""

    amount: AmountIn


class WorkerRouteBody(Strict):
    """A step on the workers' own routes: labour arbitration (绿色通道), payment order (支付令), legal aid."""

    route: Literal["arbitration", "payment_order", "legal_aid"]
    event: Literal["applied", "accepted", "rejected", "awarded", "served", "objected", "effective", "requested",
                   "granted"] = Field(description="arbitration: applied, accepted, rejected, awarded; "
                                                   "payment_order: applied, served, objected, effective; "
                                                   "legal_aid: requested, granted")
    final_award: bool = Field(default=False, description="一裁终局 (劳动争议调解仲裁法 art. 47)")
    advance_execution: bool = Field(default=False, description="先予执行 (劳动争议调解仲裁法 art. 44)")
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


ACTION_BODIES: dict[str, type[BaseModel]] = {
    "accept": AcceptBody,
    "transfer": TransferBody,
    "findings": FindingsBody,
    "order_payment": OrderPaymentBody,
    "record_payment": RecordPaymentBody,
    "extend_investigation": ExtendBody,
    "close": CloseBody,
    "worker_route": WorkerRouteBody,
    "note": NoteBody,
    "report_absconded": ReportAbscondedBody,
    "approve_police_referral": ApproveReferralBody,
    "reject_police_referral": RejectReferralBody,
    "transfer_to_police": TransferToPoliceBody,
    "police_decision": PoliceDecisionBody,
    "request_reconsideration": RequestReconsiderationBody,
    "request_supervision": RequestSupervisionBody,
    "serve_court_reminder": CourtReminderBody,
    "court_application": CourtApplicationBody,
    "court_accepted": CourtAcceptedBody,
    "court_ruling": CourtRulingBody,
    "court_outcome": CourtOutcomeBody,
    "confirm_deposit_payout": DepositPayoutBody,
    "deposit_replenished": DepositReplenishedBody,
    "assign_leader": AssignLeaderBody,
    "advance_emergency_fund": AdvanceEmergencyFundBody,
    "recover_emergency_fund": RecoverEmergencyFundBody,
}


# ---- responses ----------------------------------------------------------------------------------


class DeadlineOut(BaseModel):
    kind: str
    label: str
    unit: str
    start_at: datetime
    due_at: datetime
    status: str
    level: int
    basis: str
    resolved_at: datetime | None
    working_days_left: int | None = None


class EventOut(BaseModel):
    at: datetime
    kind: str
    actor: str
    summary: str


class EscalationOut(BaseModel):
    at: datetime
    level: str
    reason: str
    deadline_kind: str
    unit: str


class PaymentOut(BaseModel):
    at: datetime
    amount: Yuan
    payer: str
    actor: str
    reference: str | None


class DocumentOut(BaseModel):
    seq: int
    kind: str
    title: str
    url: str
    content_hash: str
    issued_at: datetime


class WorkerOut(BaseModel):
    name: str
    id_number: str | None
    amount_owed: Yuan


class CaseSummary(BaseModel):
    case_no: str
    stage: str
    stage_label: str
    lead_unit: str
    township: str | None
    employer_name: str
    project_name: str | None
    complainant_name: str
    workers_count: int
    amount_claimed: Yuan
    amount_owed: Yuan | None
    amount_recovered: Yuan
    next_deadline_at: datetime | None
    overdue: bool
    escalated: bool
    major: bool
    received_at: datetime


class CaseList(BaseModel):
    items: list[CaseSummary]
    total: int
    limit: int
    offset: int


class CaseDetail(CaseSummary):
    version: int
    co_units: list[str]
    channel: str
    registered_at: datetime
    registered_by: str
    routing_reason: str
    complainant: dict
    employer: dict
    project: dict | None
    workers: list[WorkerOut]
    description: str
    outstanding: Yuan
    liable_party: str | None
    findings: str
    order_amount: Yuan | None
    outcome: str | None
    milestones: dict[str, datetime | None]
    deadlines: list[DeadlineOut]
    timeline: list[EventOut]
    escalations: list[EscalationOut]
    payments: list[PaymentOut]
    pending_actions: list[str]
    documents: list[DocumentOut]
    suggested_liable_party: str | None = Field(default=None, description="whom the liability rules name")
    suggested_liable_party_reason: str | None = None
    enforcement: dict = Field(default_factory=dict, description=(
        "the enforcement ladder: deposit drawn, police and court status, leader, emergency fund, blacklist"))


class Stats(BaseModel):
    total: int
    closed: int
    closure_rate: float
    closure_rate_target: float
    overdue: int
    amount_claimed: Yuan
    amount_recovered: Yuan
    by_unit: dict[str, dict]
    by_township: dict[str, dict]
