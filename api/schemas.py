"""Request and response bodies of the cases API (amounts are yuan as decimal strings on output)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from api.inputs import AmountIn, PersonName
from db.accounts import OrgInfo, ProjectCreate
from domain.calendar import CHINA_TZ
from domain.errors import InvalidInput
from domain.identity import check_phone, check_resident_id
from domain.model import Channel

Yuan = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json")]


def edge_error(err: InvalidInput) -> PydanticCustomError:
    """A domain error as a pydantic error of its field: its type is the error's code, its context the params,
    so the web can say it in Chinese (domain.texts)."""
    return PydanticCustomError(err.code, "{message}", {**err.params, "message": err.message})


def _edge_check(check):
    """A pydantic validator from a domain check (InvalidInput becomes the field's error, code and all)."""

    def validate(value: str) -> str:
        try:
            return check(value)
        except InvalidInput as err:
            raise edge_error(err) from None

    return validate


def _resident_id(value: str) -> str:
    return check_resident_id(value, today=datetime.now(CHINA_TZ).date())


# Validated by their GB check characters (domain.identity), not by pattern alone.
IdNumber = Annotated[
    str,
    StringConstraints(max_length=40),
    AfterValidator(_edge_check(_resident_id)),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{17}[\dXx]$",
            "description": "18-character resident ID number (GB 11643, check character verified)",
            "examples": ["11010519491231002X"],
        }
    ),
]
Phone = Annotated[
    str,
    StringConstraints(max_length=40),
    AfterValidator(_edge_check(check_phone)),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 40,
            "description": "a mobile number (13800138000) or a landline with its area code (0350-5221234)",
            "examples": ["13800138000"],
        }
    ),
]


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
    # for a payout from the wage deposit: the bank pays each worker's own account (工资账户)
    bank: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=60)] | None = Field(
        default=None, description="开户银行, e.g. 中国农业银行代县支行"
    )
    bank_account: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{8,30}$")] | None = Field(
        default=None, description="银行账号: 8 to 30 digits, no spaces"
    )


class CaseCreate(Strict):
    """A complaint (举报投诉) as the intake clerk registers it."""

    channel: Channel
    received_at: datetime | None = Field(
        default=None,
        description="when the complaint reached the government; default now, never in the future; "
        "without an offset China Standard Time (+08:00) is assumed",
    )
    complainant: PersonIn
    workers: list[WorkerIn] = Field(min_length=1, max_length=5000)
    employer: OrgInfo
    project_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    project: ProjectCreate | None = None
    amount_claimed: AmountIn | None = Field(default=None, description="default: the sum of the workers' amounts")
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] = ""
    group_incident: bool = Field(default=False, description="a group incident (群体性事件): always a major case")
    arrears_ended_at: date | None = Field(
        default=None,
        description="the day the wages stopped being owed (the violation ended: the last wages due, or the "
        "work ended); leave out while they are still owed. A complaint received more than 2 years after "
        "it is registered and flagged for labour inspection to decide (劳动保障监察条例 art. 20)",
    )
    late_entry_reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] | None = (
        Field(
            default=None,
            description="required when received_at is more than 2 years back: why the complaint is entered only "
            "now (recorded on the timeline; the case's clocks then start at registration)",
        )
    )

    @model_validator(mode="after")
    def _one_project(self) -> "CaseCreate":
        if self.project_id is not None and self.project is not None:
            raise edge_error(InvalidInput(code="one_project"))
        return self

    @field_validator("workers")
    @classmethod
    def _one_row_per_worker(cls, workers: list[WorkerIn]) -> list[WorkerIn]:
        """A worker appears once in a complaint: two rows with one ID number would count their wages twice."""
        first: dict[str, int] = {}
        for index, worker in enumerate(workers):
            if worker.id_number is None:
                continue
            key = worker.id_number.upper()
            if key in first:
                raise edge_error(InvalidInput(code="duplicate_worker_id", first=first[key], second=index))
            first[key] = index
        return workers


# Action bodies are the commands of the action registry (domain.actions), validated in api.actions.


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
    provisional: bool = Field(
        default=False,
        description="due_at was counted on a year whose official holiday schedule is not loaded yet (暂定)",
    )


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
    total: int = Field(
        description="matching cases, counted up to the cap (WAGECASE_COUNT_CAP, default 10,000; a search "
        "with `q`: WAGECASE_SEARCH_COUNT_CAP, default 1,000)"
    )
    total_capped: bool = Field(
        False, description="true when more cases match than the cap: `total` is then the cap, shown as “10,000+”"
    )
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
    enforcement_unit: str | None = Field(
        default=None,
        description=(
            "执法机关: the unit that issues the documents with legal effect on a party (the order to pay, the "
            "handling decision, the deposit drawdown, the police transfer, the court reminder); the lead "
            "unit (牵头单位) where the case's policy names no authority"
        ),
    )
    related_cases: list[str] = Field(
        default_factory=list,
        description=(
            "关联案件 (one matter, 有案必接): on a matter, the complaints about the same employer or project "
            "joined to it; on a joined complaint, its matter"
        ),
    )
    joined_to: str | None = Field(
        default=None, description="the matter this complaint was joined to (it is closed with outcome `joined`)"
    )
    suggested_liable_party: str | None = Field(default=None, description="whom the liability rules name")
    suggested_liable_party_reason: str | None = None
    enforcement: dict = Field(
        default_factory=dict,
        description=(
            "the enforcement ladder: deposit drawn, police and court status, leader, emergency fund, blacklist"
        ),
    )


class Stats(BaseModel):
    total: int = Field(description="matters: every case but the complaints joined to another (counted in `joined`)")
    closed: int
    joined: int = Field(
        default=0, description="complaints joined to an open matter about the same employer or project (有案必接)"
    )
    closure_rate: float
    closure_rate_target: float
    overdue: int
    amount_claimed: Yuan
    amount_recovered: Yuan
    by_unit: dict[str, dict]
    by_township: dict[str, dict]
