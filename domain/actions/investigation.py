"""Investigation (立案调查): findings, an extension of the investigation, an employer who absconded."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from annotated_types import Gt, Le, MaxLen

from domain.actions.base import (
    CASE_WORKERS,
    Action,
    Amount,
    ClockRequest,
    Months,
    Text,
    command,
)
from domain.actions.effects import crime, event, extend_clock, propose_police, resolve
from domain.actions.police import check_crime_conditions, service_missing
from domain.enforcement import assess_crime
from domain.errors import InvalidInput, NotAllowedNow
from domain.labels import PARTY_LABELS
from domain.model import CaseState, DeadlineStatus, Party, Stage
from domain.procedure import STATUTORY_PROCEDURE

INVESTIGATING = frozenset({Stage.INVESTIGATING})
# Procedure 3 (法释〔2013〕3号 art. 4): absconding counts as not paying once payment was ordered and served,
# or posted with a photo or video record, and its date passed: reported after the order ran out.
ABSCONDED_STAGES = frozenset({Stage.INVESTIGATING, Stage.PAYMENT_ORDERED})


def _absconded_awaited(state: CaseState) -> bool:
    if state.procedure < STATUTORY_PROCEDURE:
        return state.stage is Stage.INVESTIGATING
    return (
        state.stage is Stage.PAYMENT_ORDERED
        and state.order_lapsed_at is not None
        and not state.absconded
        and service_missing(state) is None
    )


def _absconded_refusal(state: CaseState, now: datetime) -> None:
    if state.procedure < STATUTORY_PROCEDURE:
        return
    check_crime_conditions(state, now)


@command
class Findings:
    """What the investigation found; substantiated findings name the liable party and the amount owed."""

    substantiated: bool
    liable_party: Literal["employer", "subcontractor", "general_contractor", "construction_unit"] | None = None
    amount_owed: Amount | None = None
    facts: Annotated[str, MaxLen(5000)] = ""
    # with the amounts it decides the crime threshold (法释〔2013〕3号 art. 3)
    months_unpaid: Months | None = None

    def __post_init__(self):
        if self.substantiated and (self.liable_party is None or self.amount_owed is None):
            raise InvalidInput(
                code="findings_incomplete", field="liable_party" if self.liable_party is None else "amount_owed"
            )


@command
class ExtendInvestigation:
    """The unit head extends the investigation (劳动保障监察条例 art. 17)."""

    working_days: Annotated[int, Gt(0), Le(365)]
    reason: Text


@command
class ReportAbsconded:
    """The employer absconded or refuses to cooperate (欠薪逃匿): propose a police referral at once."""

    reason: Text
    months_unpaid: Months | None = None


def _check_findings(state: CaseState, cmd: Findings, now: datetime) -> None:
    if state.order_served_at is not None:
        raise NotAllowedNow(code="findings_after_order")
    if cmd.substantiated and cmd.amount_owed is not None and cmd.amount_owed < state.amount_recovered:
        raise InvalidInput(
            code="owed_below_recovered", field="amount_owed", amount=cmd.amount_owed, recovered=state.amount_recovered
        )


def _apply_findings(state: CaseState, cmd: Findings, actor, now, times):
    state.substantiated = cmd.substantiated
    state.findings_at = now
    state.findings_text = cmd.facts
    state.months_unpaid = cmd.months_unpaid
    if state.substantiated:
        state.liable_party = Party(str(cmd.liable_party))
        state.amount_owed = Decimal(cmd.amount_owed or 0)
        summary = f"调查认定投诉属实：{PARTY_LABELS[state.liable_party]}应支付 {state.amount_owed} 元"
    else:
        state.liable_party = None
        state.amount_owed = Decimal("0")
        summary = "调查认定投诉事项不成立"
    event(
        state,
        now,
        "findings",
        actor.username,
        summary,
        substantiated=state.substantiated,
        liable_party=state.liable_party.value if state.liable_party else None,
        amount_owed=str(state.amount_owed),
    )
    return []


def _extension_allowed(state: CaseState) -> int:
    return state.intake.policy.deadlines["investigate"].extension_working_days or 0


def extension_left(state: CaseState) -> bool:
    """Whether a running investigation clock may still be extended."""
    clock = state.open_deadline("investigate")
    return clock is not None and clock.extended_working_days < _extension_allowed(state)


def _check_extend(state: CaseState, cmd: ExtendInvestigation, now: datetime) -> None:
    allowed = _extension_allowed(state)
    if cmd.working_days > allowed:
        raise InvalidInput(code="extension_too_long", field="working_days", allowed=allowed)
    clock = state.open_deadline("investigate")
    assert clock is not None  # awaited: extension_left
    if clock.extended_working_days + cmd.working_days > allowed:
        raise NotAllowedNow(
            code="extension_exhausted",
            field="working_days",
            allowed=allowed,
            left=allowed - clock.extended_working_days,
        )


def _extend_clocks(state: CaseState, cmd: ExtendInvestigation, now: datetime) -> list[ClockRequest]:
    clock = state.open_deadline("investigate")
    assert clock is not None  # awaited: extension_left
    return [ClockRequest("investigate", "investigate", clock.due_at, extend_working_days=cmd.working_days)]


def _apply_extend(state: CaseState, cmd: ExtendInvestigation, actor, now, times):
    clock = state.open_deadline("investigate")
    assert clock is not None  # awaited: extension_left
    days = cmd.working_days
    extend_clock(clock, times["investigate"], days)
    event(
        state,
        now,
        "investigation_extended",
        actor.username,
        f"经单位负责人批准延长调查期限{days}个工作日：{cmd.reason}",
        working_days=days,
    )
    return []


def _check_absconded(state: CaseState, cmd: ReportAbsconded, now: datetime) -> None:
    if state.procedure >= STATUTORY_PROCEDURE:
        _absconded_refusal(state, now)
    months = cmd.months_unpaid or state.months_unpaid
    found = assess_crime(
        workers=state.intake.workers,
        outstanding=state.outstanding,
        months_unpaid=months,
        threshold=state.intake.policy.crime,
    )
    if not found.met:
        raise NotAllowedNow(code="below_crime_threshold", reason=found.reason)


def _apply_absconded(state: CaseState, cmd: ReportAbsconded, actor, now, times):
    state.absconded = True
    state.unpaid_at_deadline = state.outstanding  # 法释〔2013〕3号 art. 4: absconding counts as not paying
    if cmd.months_unpaid is not None:
        state.months_unpaid = cmd.months_unpaid
    resolve(state, "investigate", now)
    resolve(state, "decision", now, DeadlineStatus.CANCELLED)  # procedure 3: the police first, not the decision
    event(state, now, "absconded", actor.username, f"用人单位欠薪逃匿：{cmd.reason}", reason=cmd.reason)
    propose_police(state, now, times, crime(state, state.outstanding).reason)
    return []


FINDINGS = Action(
    name="findings",
    command=Findings,
    stages=INVESTIGATING,
    roles=CASE_WORKERS,
    apply=_apply_findings,
    check=_check_findings,
    label="调查认定",
    hint="记录调查结论；认定属实的须写明责任主体和拖欠金额。",
    field_labels={
        "substantiated": "投诉事项是否属实",
        "liable_party": "责任主体",
        "amount_owed": "认定拖欠金额（元）",
        "facts": "认定事实",
        "months_unpaid": "最长欠薪月数",
    },
    field_help={"amount_owed": "如 36000.00", "months_unpaid": "与金额一起决定是否达到拒不支付劳动报酬罪的追诉标准"},
    bool_labels={"substantiated": ("属实", "不属实")},
)

EXTEND_INVESTIGATION = Action(
    name="extend_investigation",
    command=ExtendInvestigation,
    stages=INVESTIGATING,
    roles=("unit_head",),
    office_roles=(),
    apply=_apply_extend,
    awaited=extension_left,
    not_awaited="no_extension_left",
    check=_check_extend,
    clocks=_extend_clocks,
    label="延长调查期限",
    secondary=True,
    hint="情况复杂的，经批准可延长调查期限（劳动保障监察条例第十七条）。",
    field_labels={"working_days": "延长工作日数", "reason": "理由"},
)

REPORT_ABSCONDED = Action(
    name="report_absconded",
    command=ReportAbsconded,
    stages=ABSCONDED_STAGES,
    roles=CASE_WORKERS,
    apply=_apply_absconded,
    awaited=_absconded_awaited,
    not_awaited="absconded_not_awaited",
    refusal=_absconded_refusal,
    check=_check_absconded,
    opens=("police_approval",),
    label="报告欠薪逃匿",
    secondary=True,
    hint="用人单位欠薪逃匿的，经责令支付（逃匿的张贴并拍照、录像）期满仍不支付，提出移送公安（法释〔2013〕3号第四条）。",
    field_labels={"reason": "理由", "months_unpaid": "最长欠薪月数"},
    field_help={"months_unpaid": "与金额一起决定是否达到拒不支付劳动报酬罪的追诉标准"},
)
