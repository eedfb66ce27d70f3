"""Inputs and results of the case workflow, its updates and its activities (one dataclass each)."""

from dataclasses import dataclass, field
from decimal import Decimal

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
