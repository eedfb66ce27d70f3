"""Inputs and results of the case workflow, its updates and its activities (one dataclass each)."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

from domain.lifecycle import ClockRequest, ClockTimes, DocumentRequest
from domain.model import Actor, CaseIntake, CasePolicy, CaseState, DocumentRef
from domain.rules import DeadlineRule


@dataclass
class CaseOpening:
    """The clocks a new case's registration opens, counted by the service just before it starts the case's
    workflow (activities/calendar.py `open_clocks`: the code and calendar of the compute_clocks activity), so
    that registering needs no activity of its own to count them. The workflow takes them only from an input
    the service sealed, and only when it asks for exactly these clocks; otherwise it counts them itself."""

    requests: list[ClockRequest]
    times: dict[str, ClockTimes]


@dataclass
class CaseInput:
    # A new case's intake; None when continue-as-new carries the state, which holds the intake (it was
    # sent twice before: the roster of a large complaint is most of the state).
    intake: CaseIntake | None
    carried: CaseState | None = None  # the state carried over by continue-as-new
    # The benchmark's fill (bench/fill.py) only: the case runs as any other but its documents are not
    # rendered or stored (its state still lists them). The API never sets it, and the workflow honours it
    # only on an input the service's codec opened (`sealed`, core/codec.py), so a start sent to Temporal
    # by anyone else cannot turn a case's documents off.
    skip_documents: bool = False
    opening: CaseOpening | None = None  # a new case's first clocks, counted by the service (None: by the workflow)
    sealed: bool = False  # set when the input is decoded, whatever a sender wrote (core/codec.py)

    SEALABLE: ClassVar[bool] = True


@dataclass
class CaseOutcome:
    case_no: str
    outcome: str
    amount_recovered: Decimal


@dataclass
class ActionInput:
    action: str
    actor: Actor
    params: dict = field(default_factory=dict)
    # Exactly once for the life of the case: the sender's Idempotency-Key and a hash of the action and its
    # params (optional, so histories recorded before them decode unchanged).
    key: str | None = None
    digest: str | None = None
    # True only when the worker's codec opened this input with the service's key (core/codec.py); whatever
    # a sender writes here is overwritten when the input is decoded.
    sealed: bool = False

    SEALABLE: ClassVar[bool] = True


@dataclass
class ActionResult:
    case_no: str
    version: int
    stage: str


@dataclass
class ClockRules:
    """The part of a case's policy that compute_clocks reads: the rules it needs and the calendar."""

    deadlines: dict[str, DeadlineRule]
    calendar_unknown_year: str = "weekends"
    calendar_extra_holidays: list[str] = field(default_factory=list)
    calendar_extra_workdays: list[str] = field(default_factory=list)

    @classmethod
    def for_requests(cls, policy: CasePolicy, requests: list[ClockRequest]) -> "ClockRules":
        needed = {r.rule for r in requests} | {"escalation_step"}
        return cls(
            {name: rule for name, rule in policy.deadlines.items() if name in needed},
            policy.calendar_unknown_year,
            list(policy.calendar_extra_holidays),
            list(policy.calendar_extra_workdays),
        )


@dataclass
class ComputeClocksInput:
    case_no: str
    policy: CasePolicy | None  # the whole policy (before ClockRules); None when `rules` is given
    requests: list[ClockRequest]
    escalation_levels: int  # how many levels: escalate_at gets one instant per level after the first
    rules: ClockRules | None = None


@dataclass
class IssueDocumentsInput:
    state: CaseState
    requests: list[DocumentRequest]
    # True when state.intake comes without its roster and policy (empty placeholders): they have not changed
    # since the first projection, and record_step takes them from the stored projection.
    intake_omitted: bool = False


@dataclass
class IssueDocumentsResult:
    documents: list[DocumentRef]


@dataclass
class DrawDepositInput:
    """Draw what a case's unpaid order still owes from its project's wage guarantee deposit."""

    project_id: int
    case_no: str
    order_ref: str  # the order to pay (its clock's seq): one drawdown per order, however often retried
    amount: Decimal


@dataclass
class DrawDepositResult:
    drawn: Decimal  # what was actually drawn: min(balance, amount), 0 without a deposit
    balance: Decimal  # the balance left
    bank: str | None
    entry_id: int | None
