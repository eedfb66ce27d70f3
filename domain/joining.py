"""One matter (有案必接): a complaint about an employer or project that already has an open case.

Every complaint is registered and gets its 受理回执 (docs/domain.md, "The life of a case"); when the
registry finds an open case about the same employer (unified social credit code) or the same project
(db/matters.py), the new complaint is joined to that case, the matter, and handled there: one
investigation, one order, one set of clocks for the employer's arrears.

What joining does, as pure rules (the workflows apply them, workflows/case.py):

- the matter (`join_complaint`) lists the joined complaint in `related_cases` and takes its workers'
  claims. A worker whose ID number is already in the matter is not counted twice: they keep one entry,
  with the larger of the two claims (a later complaint usually states the arrears as they have grown;
  the findings settle what is owed). A worker without an ID number cannot be matched and is added.
  The matter's `amount_claimed` grows by what the joined workers add (a new worker's claim, or a known
  worker's increase), and so does `amount_owed` once findings fixed it, so that what the matter
  pursues covers them; the caseworker's later findings restate it. A matter that now meets the criteria
  of a major case (workers, amount) becomes one, as at intake.
- the joined complaint (`join_into`) names its matter in `joined_to` and `related_cases` and closes with
  outcome `joined` (no result notice: the matter's own closure answers its complainant).
- a matter that closed meanwhile refuses (`check_join`); the complaint then proceeds alone as a normal
  case (`join_refused`).
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from domain.actions.base import DocumentRequest
from domain.actions.effects import close, event
from domain.errors import NotAllowedNow
from domain.model import SYSTEM, CaseState, Stage, WorkerClaim

JOINED = "joined"  # the outcome of a complaint joined to its matter


def join_key(case_no: str) -> str:
    """The idempotency key of joining this complaint: the matter applies it once, however often it is sent."""
    return f"join:{case_no}"


@dataclass
class JoinInput:
    """The `join_complaint` update: the complaint to join, as the matter needs it."""

    case_no: str
    received_at: datetime
    workers: list[WorkerClaim] = field(default_factory=list)
    amount_claimed: Decimal = Decimal("0")
    channel: str = ""
    # True only when the worker's codec opened this input with the service's key (core/codec.py).
    sealed: bool = False

    SEALABLE: ClassVar[bool] = True


@dataclass
class JoinMatterInput:
    """The `join_matter` activity's input (activities/joining.py)."""

    matter: str  # the matter's case number (its workflow id)
    complaint: JoinInput


@dataclass
class JoinResult:
    matter: str
    joined: bool  # False: the matter refused (it is closed); the complaint proceeds alone
    version: int = 0
    reason: str = ""


@dataclass
class MergedClaims:
    workers: list[WorkerClaim]  # the matter's roster after the join
    added: int  # workers new to the matter
    raised: int  # workers already in it whose claim grew
    increase: Decimal  # what the matter's claim grows by


def merge_claims(roster: list[WorkerClaim], joining: list[WorkerClaim]) -> MergedClaims:
    """The matter's roster with the joining workers: one entry per ID number, with the larger claim."""
    workers = list(roster)
    by_id = {w.id_number: i for i, w in enumerate(workers) if w.id_number}
    added = raised = 0
    increase = Decimal("0")
    for claim in joining:
        index = by_id.get(claim.id_number) if claim.id_number else None
        if index is None:
            workers.append(claim)
            if claim.id_number:
                by_id[claim.id_number] = len(workers) - 1
            added += 1
            increase += claim.amount_owed
            continue
        known = workers[index]
        if claim.amount_owed > known.amount_owed:
            increase += claim.amount_owed - known.amount_owed
            workers[index] = WorkerClaim(
                known.name,
                known.id_number,
                claim.amount_owed,
                known.bank or claim.bank,
                known.bank_account or claim.bank_account,
            )
            raised += 1
    return MergedClaims(workers, added, raised, increase)


def check_join(matter: CaseState, case_no: str) -> None:
    """NotAllowedNow unless this case can take the complaint as its matter."""
    if matter.stage is Stage.CLOSED or matter.joined_to is not None or case_no == matter.case_no:
        raise NotAllowedNow(code="not_a_matter", case_no=matter.case_no)


def join_complaint(matter: CaseState, complaint: JoinInput, now: datetime) -> bool:
    """Join the complaint to the matter; False if it was joined before (nothing changes)."""
    if complaint.case_no in matter.related_cases:
        return False
    check_join(matter, complaint.case_no)
    intake = matter.intake
    merged = merge_claims(intake.workers, complaint.workers)
    # A complaint that names no worker's amount still claims what it says it claims.
    named = sum((w.amount_owed for w in complaint.workers), Decimal("0"))
    increase = merged.increase if named > 0 else complaint.amount_claimed
    intake.workers = merged.workers
    intake.amount_claimed += increase
    if matter.amount_owed is not None:
        matter.amount_owed += increase
    matter.related_cases.append(complaint.case_no)
    matter.version += 1
    policy = intake.policy
    became_major = not matter.major and (
        len(intake.workers) >= policy.major_case_workers or intake.amount_claimed >= policy.major_case_amount
    )
    summary = (
        f"同一欠薪事项的投诉 {complaint.case_no} 并入本案办理：新增农民工 {merged.added} 人"
        + (f"，{merged.raised} 人诉求金额提高" if merged.raised else "")
        + f"，诉求金额增加 {increase} 元"
    )
    event(
        matter,
        now,
        "complaint_joined",
        SYSTEM.username,
        summary,
        case_no=complaint.case_no,
        added=merged.added,
        raised=merged.raised,
        increase=str(increase),
    )
    if became_major:  # the criteria lifecycle.open_case applies at intake, met by the matter as it now stands
        matter.major = True
        event(matter, now, "major_case", SYSTEM.username, "并案后符合重大欠薪案件标准")
    return True


def join_into(case: CaseState, matter: str, now: datetime) -> list[DocumentRequest]:
    """Close the joined complaint: it is handled in its matter (its 受理回执 stays issued)."""
    case.joined_to = matter
    if matter not in case.related_cases:
        case.related_cases.append(matter)
    event(
        case,
        now,
        "joined_to_matter",
        SYSTEM.username,
        f"同一欠薪事项已有案件 {matter}，本投诉并入该案办理",
        matter=matter,
    )
    docs = close(case, JOINED, SYSTEM, now, notice=False)
    case.version += 1
    return docs


def join_refused(case: CaseState, matter: str, reason: str, now: datetime) -> None:
    """The matter did not take the complaint (it closed meanwhile): the case proceeds alone."""
    case.related_cases = [c for c in case.related_cases if c != matter]
    event(
        case,
        now,
        "join_refused",
        SYSTEM.username,
        f"案件 {matter} 未能并案（{reason or '该案已结案'}），本投诉单独办理",
        matter=matter,
    )
    case.version += 1
