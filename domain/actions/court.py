"""Court enforcement (行政强制法 arts. 53-57): the reminder, the application, acceptance, ruling, outcome."""

from typing import Annotated

from annotated_types import MaxLen

from domain.actions.base import (
    CASE_WORKERS,
    COURT,
    Action,
    Amount,
    ClockRequest,
    Reference,
    command,
)
from domain.actions.challenge import check_final, on_court_route
from domain.actions.effects import (
    court_reminder,
    day,
    doc,
    event,
    maybe_close,
    move,
    open_clock,
    pay,
    resolve,
)
from domain.errors import InvalidInput, NotAllowedNow
from domain.labels import PARTY_LABELS
from domain.model import CaseState, DeadlineStatus, Party, Stage
from domain.procedure import STATUTORY_PROCEDURE

COURT_STAGE = frozenset({Stage.COURT_ENFORCEMENT})


@command
class ServeCourtReminder:
    """After a final police refusal: serve the reminder (催告) that precedes court enforcement."""


@command
class CourtApplication:
    """Apply to the court for enforcement once the reminder period ran out (行政强制法 arts. 53-54)."""


@command
class CourtAccepted:
    """The court accepted the application (行政强制法 art. 56)."""


@command
class CourtRuling:
    """The court's ruling on enforcement (行政强制法 art. 57)."""

    granted: bool
    reason: Annotated[str, MaxLen(2000)] | None = None


@command
class CourtOutcome:
    """Money the court enforced: recorded as a payment by the court."""

    amount_enforced: Amount
    reference: Reference | None = None


def _reminder_awaited(state: CaseState) -> bool:
    """Before procedure 3: after a final police refusal. From procedure 3: on the court route, once the
    decision's windows passed unchallenged (the step `decision_final`), and only once."""
    if state.procedure < STATUTORY_PROCEDURE:
        return state.stage is Stage.POLICE_REFERRED and state.police_filed is False
    return on_court_route(state) and state.decision_final_at is not None and state.court_reminded_at is None


def _reminder_refusal(state: CaseState, now) -> None:
    if state.procedure < STATUTORY_PROCEDURE or not on_court_route(state):
        return
    if state.court_reminded_at is not None:
        raise NotAllowedNow(code="reminder_issued", on=day(state.court_reminded_at))
    check_final(state, now)


def _reminder_clocks(state: CaseState, cmd, now) -> list[ClockRequest]:
    # procedure 3: the reminder's period runs from its service (serve), not from its issue
    return [] if state.procedure >= STATUTORY_PROCEDURE else [ClockRequest("court_reminder", "court_reminder", now)]


def _apply_reminder(state: CaseState, cmd, actor, now, times):
    for kind in ("police_reconsider", "procuratorate_supervision"):
        resolve(state, kind, now, DeadlineStatus.CANCELLED)
    if state.procedure < STATUTORY_PROCEDURE:
        return court_reminder(state, now, times)
    if state.stage is not Stage.COURT_ENFORCEMENT:
        move(state, Stage.COURT_ENFORCEMENT)
    state.court_reminded_at = now
    party = PARTY_LABELS[state.liable_party] if state.liable_party else "用人单位"
    event(
        state,
        now,
        "court_reminder",
        actor.username,
        f"出具催告书，催告{party}履行支付 {state.outstanding} 元；催告书送达10日后仍未履行的，申请人民法院强制执行"
        "（行政强制法第54条）",
    )
    return [doc(state, "court_reminder", amount=str(state.outstanding))]


def court_application_awaited(state: CaseState) -> bool:
    """Not applied yet, and the reminder period (催告) has run out, or there was none (行政强制法 art. 54).
    From procedure 3: the decision is final, and the period of the reminder, counted from its service, ran out."""
    if state.court_filed_at is not None:
        return False
    reminder = state.open_deadline("court_reminder")
    if state.procedure < STATUTORY_PROCEDURE:
        return reminder is None or reminder.status is DeadlineStatus.MISSED
    served = next((d for d in reversed(state.deadlines) if d.kind == "court_reminder"), None)
    return (
        state.decision_final_at is not None
        and state.court_reminded_at is not None
        and served is not None
        and served.resolved_at is not None
        and served.status is DeadlineStatus.MET
    )


def _application_refusal(state: CaseState, now) -> None:
    if state.procedure < STATUTORY_PROCEDURE or state.court_filed_at is not None:
        return
    check_final(state, now)
    if state.court_reminded_at is None:
        raise NotAllowedNow(code="court_reminder_first")
    served = next((d for d in reversed(state.deadlines) if d.kind == "court_reminder"), None)
    if served is None:
        raise NotAllowedNow(code="court_reminder_not_served")
    if served.resolved_at is None:
        raise NotAllowedNow(code="court_reminder_running", until=day(served.due_at))


def _check_application(state: CaseState, cmd, now) -> None:
    """On the lawful ladder the court enforces a handling decision only once the party's review and suit
    windows, counted from its service, have passed unchallenged (行政强制法 art. 53); procedure 3 checks it
    in `court_application_awaited` and `_application_refusal`."""
    if state.procedure < 2 or state.procedure >= STATUTORY_PROCEDURE or state.decided_at is None:
        return
    if state.decision_served_at is None:
        raise NotAllowedNow(code="decision_not_served")
    windows = [
        next((d for d in reversed(state.deadlines) if d.kind == kind), None)
        for kind in ("decision_review", "decision_suit")
    ]
    ends = [w.due_at for w in windows if w is not None]
    if len(ends) < 2 or max(ends) > now:
        raise NotAllowedNow(code="decision_windows_open", until=day(max(ends)) if ends else "—")


def _apply_application(state: CaseState, cmd, actor, now, times):
    resolve(state, "court_reminder", now, DeadlineStatus.MISSED)  # the party did not comply
    resolve(state, "court_application", now)  # procedure 3: within (or after) the three months of art. 53
    state.court_filed_at = now
    court = state.intake.policy.court_unit
    if court not in state.liaison_units:
        state.liaison_units.append(court)
    open_clock(state, "court_accept", court, now, times["court_accept"])
    event(state, now, "court_applied", actor.username, f"催告期满仍未履行，申请人民法院强制执行 {state.outstanding} 元")
    return []


def _apply_accepted(state: CaseState, cmd, actor, now, times):
    resolve(state, "court_accept", now)
    open_clock(state, "court_rule", state.intake.policy.court_unit, now, times["court_rule"])
    event(state, now, "court_accepted", actor.username, "人民法院受理强制执行申请，应于7日内作出执行裁定")
    return []


def _apply_ruling(state: CaseState, cmd: CourtRuling, actor, now, times):
    resolve(state, "court_rule", now)
    reason = cmd.reason or ""
    text = "人民法院裁定准予强制执行" if cmd.granted else "人民法院裁定不予强制执行"
    event(state, now, "court_ruling", actor.username, text + (f"：{reason}" if reason else ""), granted=cmd.granted)
    return []


def _outcome_awaited(state: CaseState) -> bool:
    return state.court_filed_at is not None and state.outstanding > 0


def _check_outcome(state: CaseState, cmd: CourtOutcome, now) -> None:
    if cmd.amount_enforced > state.outstanding:
        raise InvalidInput(
            code="enforced_exceeds_owed", field="amount_enforced", amount=cmd.amount_enforced, owed=state.outstanding
        )


def _apply_outcome(state: CaseState, cmd: CourtOutcome, actor, now, times):
    resolve(state, "court_accept", now)
    resolve(state, "court_rule", now)
    pay(state, now, cmd.amount_enforced, Party.COURT, actor.username, cmd.reference)
    return maybe_close(state, actor, now)


SERVE_COURT_REMINDER = Action(
    name="serve_court_reminder",
    issues="court_reminder",
    command=ServeCourtReminder,
    stages=frozenset({Stage.POLICE_REFERRED, Stage.COURT_ENFORCEMENT}),
    roles=CASE_WORKERS,
    apply=_apply_reminder,
    awaited=_reminder_awaited,
    not_awaited="reminder_after_police_refusal",
    refusal=_reminder_refusal,
    clocks=_reminder_clocks,
    label="送达催告书",
    hint="申请法院强制执行前，先行催告当事人履行（行政强制法第五十三条、第五十四条）；催告书送达后登记送达，10日后仍未履行的方可申请。",
)

COURT_APPLICATION = Action(
    name="court_application",
    issues="court_application",
    command=CourtApplication,
    stages=COURT_STAGE,
    roles=CASE_WORKERS,
    apply=_apply_application,
    awaited=court_application_awaited,
    not_awaited="court_application_not_awaited",
    refusal=_application_refusal,
    check=_check_application,
    opens=("court_accept",),
    label="申请法院强制执行",
    hint="催告期满仍未履行的，申请人民法院强制执行。",
)

COURT_ACCEPTED = Action(
    name="court_accepted",
    command=CourtAccepted,
    stages=COURT_STAGE,
    roles=("liaison",),
    scope=COURT,
    office_roles=(),
    apply=_apply_accepted,
    awaited=lambda s: s.open_deadline("court_accept") is not None,
    not_awaited="court_accept_not_awaited",
    opens=("court_rule",),
    label="登记法院受理",
    hint="人民法院受理强制执行申请后登记，法院应于7日内作出执行裁定。",
)

COURT_RULING = Action(
    name="court_ruling",
    command=CourtRuling,
    stages=COURT_STAGE,
    roles=("liaison",),
    scope=COURT,
    office_roles=(),
    apply=_apply_ruling,
    awaited=lambda s: s.open_deadline("court_rule") is not None,
    not_awaited="court_ruling_not_awaited",
    label="登记法院裁定",
    hint="人民法院作出是否准予强制执行的裁定后登记。",
    field_labels={"granted": "法院裁定", "reason": "裁定理由"},
    bool_labels={"granted": ("准予执行", "不予执行")},
)

COURT_OUTCOME = Action(
    name="court_outcome",
    command=CourtOutcome,
    stages=COURT_STAGE,
    roles=("liaison",),
    scope=COURT,
    office_roles=(),
    apply=_apply_outcome,
    awaited=_outcome_awaited,
    not_awaited="court_outcome_not_awaited",
    check=_check_outcome,
    moves_money=True,
    label="登记法院执行到位金额",
    hint="法院执行到位的金额记为追回的工资。",
    field_labels={"amount_enforced": "执行到位金额（元）", "reference": "执行款凭证号"},
)
