"""Inputs and results of the case workflow, its updates and its activities (one dataclass each)."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

from domain.lifecycle import ClockRequest, DocumentRequest
from domain.model import Actor, CaseIntake, CasePolicy, CaseState, DocumentRef


@dataclass
class CaseInput:
    intake: CaseIntake
    carried: CaseState | None = None  # the state carried over by continue-as-new


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
class ComputeClocksInput:
    case_no: str
    policy: CasePolicy
    requests: list[ClockRequest]
    escalation_levels: int  # how many levels: escalate_at gets one instant per level after the first


@dataclass
class IssueDocumentsInput:
    state: CaseState
    requests: list[DocumentRequest]


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
