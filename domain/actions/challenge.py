"""The party's challenges of a handling decision, and when the decision becomes enforceable (procedure 3).

The court enforces a handling decision for an agency without its own enforcement power only when the
party neither applied for administrative review (行政复议, 60 days from service, 行政复议法 art. 20) nor
sued (行政诉讼, 6 months from service, 行政诉讼法 art. 46) and did not pay (行政强制法 art. 53). While a
review or suit is pending the court route stops; the decision itself is not suspended (行政复议法 art. 42,
行政诉讼法 art. 56), so the deposit and the police go on. Its outcome: upheld, the route resumes (after a
review the party may still sue within 15 days of receiving the review decision, 行政诉讼法 art. 45: the
`review_suit` window); changed, the decision's amount becomes the new one; revoked, the enforcement of that
decision ends and labour inspection may decide again. docs/deadlines.md, "The court route".
"""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal

from annotated_types import MaxLen, MinLen

from domain.actions.base import (
    CASE_WORKERS,
    ENFORCEMENT,
    SYSTEM_ONLY,
    Action,
    Amount,
    ChinaTime,
    ClockRequest,
    NoFields,
    Reference,
    china_time,
    command,
    set_field,
)
from domain.actions.effects import day, event, issuing_unit, move, open_clock, resolve
from domain.errors import InvalidInput, NotAllowedNow
from domain.model import CaseState, Challenge, DeadlineStatus, Stage
from domain.procedure import STATUTORY_PROCEDURE

# The party's windows against the decision, all counted from its service (or the review decision's receipt).
WINDOWS = ("decision_review", "decision_suit", "review_suit")
CHALLENGE_LABELS = {"review": "行政复议", "suit": "行政诉讼"}
OUTCOME_LABELS = {"upheld": "维持", "changed": "变更", "revoked": "撤销"}
# Where a revoked decision leaves the case: labour inspection may decide again from the investigation.
REDECIDE_FROM = frozenset({Stage.DECIDED, Stage.DEPOSIT_DRAWDOWN, Stage.POLICE_REFERRED, Stage.COURT_ENFORCEMENT})

Body = Annotated[str, MinLen(1), MaxLen(200)]


@command
class ChallengeFiled:
    """The party applied for 行政复议 (or filed a 行政诉讼) against the handling decision on `filed_at`, with
    `body` (the 复议机关 or the court) and its case `reference`."""

    filed_at: ChinaTime
    body: Body
    reference: Reference | None = None

    def __post_init__(self):
        set_field(self, "filed_at", china_time(self.filed_at))


@command
class ChallengeDecided:
    """The `result` of the pending review or suit: `upheld` (维持, 驳回), `changed` (变更: the new `amount`) or
    `revoked` (撤销, 确认违法); `decided_at`: when the party received the review decision, or when the
    judgment took effect (生效)."""

    result: Literal["upheld", "changed", "revoked"]
    decided_at: ChinaTime
    amount: Amount | None = None
    reference: Reference | None = None

    def __post_init__(self):
        set_field(self, "decided_at", china_time(self.decided_at))
        if self.result == "changed" and self.amount is None:
            raise InvalidInput(code="changed_needs_amount", field="amount")


# ---- when the decision is enforceable ------------------------------------------------------------------


def current_decision(state: CaseState) -> int | None:
    """The number of the latest 行政处理决定书."""
    return next((d.seq for d in reversed(state.documents) if d.kind == "payment_decision"), None)


def _challenges(state: CaseState) -> list[Challenge]:
    seq = current_decision(state)
    return [c for c in state.challenges if c.decision_seq == seq]


def pending_challenge(state: CaseState) -> Challenge | None:
    return next((c for c in _challenges(state) if c.outcome is None), None)


def _windows(state: CaseState):
    start = state.decision_served_at
    if start is None:
        return []
    return [d for d in state.deadlines if d.kind in WINDOWS and d.start_at >= start]


def final_since(state: CaseState) -> datetime | None:
    """Since when the current decision may be enforced by the court: its windows ran out unchallenged, or a
    challenge upheld it (a review: once the 15 days to sue after it ran out; a suit: its judgment), else None."""
    if state.procedure < STATUTORY_PROCEDURE or state.decision_served_at is None:
        return None
    challenges = _challenges(state)
    if any(c.outcome in (None, "revoked") for c in challenges):
        return None
    windows = _windows(state)
    if len(windows) < 2 or any(w.resolved_at is None for w in windows):
        return None
    if challenges and challenges[-1].kind == "suit":
        return challenges[-1].decided_at
    ends = [w.due_at for w in windows if w.status is DeadlineStatus.MET and w.resolved_at == w.due_at]
    return max(ends) if ends else None


def check_final(state: CaseState, now: datetime) -> None:
    """Refuse, naming why, a court step while the decision is not yet enforceable."""
    if state.decision_served_at is None:
        code = "decision_not_served" if current_decision(state) is not None else "no_handling_decision"
        raise NotAllowedNow(code=code)
    pending = pending_challenge(state)
    if pending is not None:
        raise NotAllowedNow(
            code="decision_challenged", challenge=CHALLENGE_LABELS[pending.kind], filed=day(pending.filed_at)
        )
    if any(c.outcome == "revoked" for c in _challenges(state)):
        raise NotAllowedNow(code="decision_revoked")
    running = [w.due_at for w in _windows(state) if w.resolved_at is None]
    if running or final_since(state) is None:
        raise NotAllowedNow(code="decision_windows_open", until=day(max(running)) if running else "—")


def on_court_route(state: CaseState) -> bool:
    return state.stage is Stage.COURT_ENFORCEMENT or (
        state.stage is Stage.POLICE_REFERRED and state.police_filed is False
    )


def decision_final_due(state: CaseState) -> bool:
    """The court route waits for the windows: once they passed, the step `decision_final` opens the
    application's clock (the workflow takes it by itself)."""
    return (
        state.procedure >= STATUTORY_PROCEDURE
        and state.decision_final_at is None
        and on_court_route(state)
        and state.court_filed_at is None
        and final_since(state) is not None
    )


def _final_clocks(state: CaseState, cmd, now: datetime) -> list[ClockRequest]:
    start = final_since(state)
    return [ClockRequest("court_application", "court_application", start or now)]


def _check_final_step(state: CaseState, cmd, now: datetime) -> None:
    if not decision_final_due(state):
        raise NotAllowedNow(code="not_awaited", action="decision_final")


def _apply_final(state: CaseState, cmd, actor, now, times):
    start = final_since(state) or now
    state.decision_final_at = start
    clock = open_clock(
        state, "court_application", issuing_unit(state, "court_application"), start, times["court_application"]
    )
    event(
        state,
        now,
        "decision_final",
        "system",
        f"行政处理决定的申请行政复议、提起行政诉讼期限已于{day(start)}届满（或复议、诉讼维持原决定），当事人仍未履行；"
        f"应先送达催告书，并于{day(clock.due_at)}前申请人民法院强制执行（行政强制法第53条、第54条）",
    )
    return []


# ---- challenges ------------------------------------------------------------------------------------


def _window(state: CaseState, *kinds: str):
    """The running window of one of these kinds for the current decision."""
    for d in reversed(_windows(state)):
        if d.kind in kinds and d.resolved_at is None:
            return d
    return None


def _review_awaited(state: CaseState) -> bool:
    return (
        state.procedure >= STATUTORY_PROCEDURE
        and pending_challenge(state) is None
        and _window(state, "decision_review") is not None
    )


def _suit_awaited(state: CaseState) -> bool:
    return (
        state.procedure >= STATUTORY_PROCEDURE
        and pending_challenge(state) is None
        and _window(state, "decision_suit", "review_suit") is not None
    )


def _check_filed(kinds: tuple[str, ...]):
    def check(state: CaseState, cmd: ChallengeFiled, now: datetime) -> None:
        window = _window(state, *kinds)
        assert window is not None  # awaited
        filed = china_time(cmd.filed_at)
        assert filed is not None
        if filed > now + timedelta(minutes=5):
            raise InvalidInput(code="filed_in_future", field="filed_at")
        if filed < window.start_at - timedelta(days=1) or filed > window.due_at:
            raise InvalidInput(
                code="filed_outside_window", field="filed_at", start=day(window.start_at), until=day(window.due_at)
            )

    return check


def _record(state: CaseState, kind: str, cmd: ChallengeFiled, actor, now) -> None:
    seq = current_decision(state)
    assert seq is not None
    filed = china_time(cmd.filed_at)
    assert filed is not None
    state.challenges.append(Challenge(len(state.challenges) + 1, kind, seq, filed, cmd.body, cmd.reference or None))
    ref = f"（{cmd.reference}）" if cmd.reference else ""
    event(
        state,
        now,
        f"{kind}_filed",
        actor.username,
        f"当事人于{day(filed)}向{cmd.body}{'申请行政复议' if kind == 'review' else '提起行政诉讼'}{ref}，"
        "申请人民法院强制执行程序中止，待复议、诉讼结果",
        body=cmd.body,
        filed_at=filed.isoformat(),
    )


def _apply_review(state: CaseState, cmd: ChallengeFiled, actor, now, times):
    resolve(state, "decision_review", now)  # the party used its window
    resolve(state, "decision_suit", now, DeadlineStatus.CANCELLED)  # it may sue after the review (art. 45)
    _record(state, "review", cmd, actor, now)
    return []


def _apply_suit(state: CaseState, cmd: ChallengeFiled, actor, now, times):
    resolve(state, "decision_suit", now)
    resolve(state, "review_suit", now)
    resolve(state, "decision_review", now, DeadlineStatus.CANCELLED)  # 行政复议法 art. 29: not both at once
    _record(state, "suit", cmd, actor, now)
    return []


def _decided_awaited(state: CaseState) -> bool:
    return pending_challenge(state) is not None


def _check_decided(state: CaseState, cmd: ChallengeDecided, now: datetime) -> None:
    pending = pending_challenge(state)
    assert pending is not None
    decided = china_time(cmd.decided_at)
    assert decided is not None
    if decided > now + timedelta(minutes=5) or decided < pending.filed_at - timedelta(days=1):
        raise InvalidInput(code="decided_out_of_order", field="decided_at", filed=day(pending.filed_at))
    if cmd.result == "changed" and cmd.amount is not None and cmd.amount > (state.amount_owed or Decimal("0")):
        raise InvalidInput(code="amount_exceeds_owed", field="amount", amount=cmd.amount, owed=state.amount_owed)


def _decided_clocks(state: CaseState, cmd: ChallengeDecided, now: datetime) -> list[ClockRequest]:
    pending = pending_challenge(state)
    if pending is None or pending.kind != "review" or cmd.result == "revoked":
        return []
    decided = china_time(cmd.decided_at)
    return [ClockRequest("review_suit", "review_suit", decided or now)]


def _apply_decided(state: CaseState, cmd: ChallengeDecided, actor, now, times):
    pending = pending_challenge(state)
    assert pending is not None
    decided = china_time(cmd.decided_at)
    assert decided is not None
    pending.outcome, pending.decided_at, pending.amount = cmd.result, decided, cmd.amount
    what = CHALLENGE_LABELS[pending.kind]
    verdict = OUTCOME_LABELS[cmd.result]
    if cmd.result == "changed" and cmd.amount is not None:
        old = state.decision_amount or state.outstanding
        state.amount_owed = max((state.amount_owed or Decimal("0")) + cmd.amount - old, state.amount_recovered)
        state.decision_amount = cmd.amount
        verdict += f"，应支付金额变更为 {cmd.amount} 元"
    if cmd.result == "revoked":
        _revoked(state, now)
        follow = "该处理决定不再执行，案件回到调查处理，劳动保障监察机构可重新作出处理决定"
    elif pending.kind == "review":
        window = open_clock(
            state, "review_suit", issuing_unit(state, "payment_decision"), decided, times["review_suit"]
        )
        follow = f"当事人可于{day(window.due_at)}前提起行政诉讼（行政诉讼法第45条），期满未起诉的恢复申请强制执行程序"
    else:
        follow = "判决已生效，恢复申请人民法院强制执行程序"
    event(
        state,
        now,
        "challenge_decided",
        actor.username,
        f"{what}结果：{verdict}；{follow}",
        outcome=cmd.result,
        decided_at=decided.isoformat(),
    )
    return []


def _revoked(state: CaseState, now: datetime) -> None:
    for kind in ("decision_payment", "court_application", "court_reminder", *WINDOWS):
        resolve(state, kind, now, DeadlineStatus.CANCELLED)
    state.decision_served_at = None
    state.decision_final_at = None
    state.court_reminded_at = None
    if state.stage in REDECIDE_FROM and not (state.stage is Stage.POLICE_REFERRED and state.police_filed):
        for kind in ("police_approval", "police_transfer", "police_reconsider", "procuratorate_supervision"):
            resolve(state, kind, now, DeadlineStatus.CANCELLED)
        move(state, Stage.INVESTIGATING)


CHALLENGE_STAGES = ENFORCEMENT - {Stage.PAYMENT_ORDERED}
_FILED_LABELS = {"filed_at": "申请（起诉）日期", "body": "复议机关或人民法院", "reference": "案号或收件编号"}

REVIEW_APPLIED = Action(
    name="review_applied",
    command=ChallengeFiled,
    stages=CHALLENGE_STAGES,
    roles=CASE_WORKERS,
    apply=_apply_review,
    awaited=_review_awaited,
    not_awaited="review_not_awaited",
    check=_check_filed(("decision_review",)),
    secondary=True,
    label="登记当事人申请行政复议",
    hint="当事人自处理决定送达之日起60日内申请行政复议的（行政复议法第二十条），登记后申请法院强制执行程序中止，待复议结果。",
    field_labels=_FILED_LABELS,
)

SUIT_FILED = Action(
    name="suit_filed",
    command=ChallengeFiled,
    stages=CHALLENGE_STAGES,
    roles=CASE_WORKERS,
    apply=_apply_suit,
    awaited=_suit_awaited,
    not_awaited="suit_not_awaited",
    check=_check_filed(("decision_suit", "review_suit")),
    secondary=True,
    label="登记当事人提起行政诉讼",
    hint="当事人自处理决定送达之日起6个月内（经复议的，收到复议决定书之日起15日内）提起行政诉讼的"
    "（行政诉讼法第四十五条、第四十六条），登记后申请法院强制执行程序中止，待判决结果。",
    field_labels=_FILED_LABELS,
)

CHALLENGE_DECIDED = Action(
    name="challenge_decided",
    command=ChallengeDecided,
    stages=CHALLENGE_STAGES | {Stage.INVESTIGATING},
    roles=CASE_WORKERS,
    apply=_apply_decided,
    awaited=_decided_awaited,
    not_awaited="challenge_not_pending",
    check=_check_decided,
    clocks=_decided_clocks,
    label="登记复议决定或生效判决",
    hint="维持的，恢复申请强制执行程序（经复议的，当事人仍可在15日内起诉）；变更的，按变更后的金额执行；撤销的，该处理决定不再执行。",
    field_labels={
        "result": "复议或诉讼结果",
        "decided_at": "收到复议决定书或判决生效日期",
        "amount": "变更后的金额（元）",
        "reference": "复议决定书或判决书文号",
    },
    field_help={"amount": "结果为变更的必填"},
)

DECISION_FINAL = Action(
    name="decision_final",
    command=NoFields,
    stages=frozenset({Stage.COURT_ENFORCEMENT, Stage.POLICE_REFERRED}),
    roles=SYSTEM_ONLY,
    office_roles=(),
    apply=_apply_final,
    check=_check_final_step,
    clocks=_final_clocks,
    label="复议、诉讼期限届满，待申请法院强制执行",
)
