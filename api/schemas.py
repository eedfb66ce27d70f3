"""Request and response bodies of the cases API (amounts are yuan as decimal strings on output)."""

from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, StringConstraints, model_validator

from db.accounts import OrgInfo, ProjectCreate
from domain.calendar import CHINA_TZ
from domain.model import Channel, Party

Yuan = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json")]
AmountIn = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2,
                                    description="yuan; a number or a decimal string such as \"36000.00\"")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
IdNumber = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^\d{17}[\dX]$")]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[\d+\- ]{5,20}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PersonIn(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    phone: Phone | None = None
    id_number: IdNumber | None = Field(default=None, description="18-digit resident ID number")


class WorkerIn(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
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
    project_id: int | None = None
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


ACTION_BODIES: dict[str, type[BaseModel]] = {
    "accept": AcceptBody,
    "transfer": TransferBody,
    "findings": FindingsBody,
    "order_payment": OrderPaymentBody,
    "record_payment": RecordPaymentBody,
    "extend_investigation": ExtendBody,
    "close": CloseBody,
    "note": NoteBody,
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
