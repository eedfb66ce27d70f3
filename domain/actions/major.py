"""Major cases (重大欠薪案件, 领导包案) and the emergency revolving fund (应急周转金)."""

from datetime import datetime
from typing import Annotated, Literal

from annotated_types import MaxLen, MinLen

from domain.actions.base import (
    CASE_WORKERS,
    ENFORCEMENT,
    OPEN_STAGES,
    SYSTEM_ONLY,
    Action,
    Amount,
    Reference,
    command,
)
from domain.actions.effects import doc, event, maybe_close, pay
from domain.errors import InvalidInput, NotAllowedNow
from domain.model import CaseState, Party, Stage

MONEY_STAGES = ENFORCEMENT | {Stage.INVESTIGATING}


@command
class AssignLeader:
    """Assign a leader to the case (领导包案): the leader's title, e.g. 县政府分管副县长, not a personal name;
    dispatches follow at the jurisdiction's interval."""

    leader: Annotated[str, MinLen(1), MaxLen(100)]


@command
class MajorDispatch:
    """The periodic dispatch to the case's leader (a step of the workflow)."""


@command
class AdvanceEmergencyFund:
    """The emergency revolving fund advances wages or basic living costs (保障农民工工资支付条例 art. 63);
    wages count as recovered, living costs do not."""

    amount: Amount
    purpose: Literal["wages", "living"]
    reference: Reference | None = None


@command
class RecoverEmergencyFund:
    """Money paid back into the emergency fund by the party liable."""

    amount: Amount


def _apply_assign(state: CaseState, cmd: AssignLeader, actor, now, times):
    leader = cmd.leader
    if not state.major:
        state.major = True
        event(state, now, "major_case", actor.username, "经领导小组办公室认定为重大欠薪案件")
    previous = state.leader
    state.leader = leader
    state.next_dispatch_at = times["major_case_dispatch"].due_at
    text = f"包案领导由{previous}调整为{leader}" if previous else f"实行领导包案，包案领导：{leader}"
    event(state, now, "leader_assigned", actor.username, text, leader=leader)
    return [doc(state, "major_case_dispatch", leader=leader)]


def _check_dispatch(state: CaseState, cmd, now: datetime) -> None:
    if state.leader is None or state.next_dispatch_at is None or state.next_dispatch_at > now:
        raise NotAllowedNow(code="no_dispatch_due")


def _apply_dispatch(state: CaseState, cmd, actor, now, times):
    state.next_dispatch_at = times["major_case_dispatch"].due_at
    count = sum(1 for d in state.documents if d.kind == "major_case_dispatch") + 1
    event(state, now, "major_dispatch", "system", f"向包案领导{state.leader}报送重大欠薪案件调度单（第{count}期）")
    return [doc(state, "major_case_dispatch", leader=state.leader)]


def advance_awaited(state: CaseState) -> bool:
    """Wages are owed, and (while investigating) substantiated findings name how much."""
    return state.outstanding > 0 and (state.stage is not Stage.INVESTIGATING or state.substantiated is True)


def _check_advance(state: CaseState, cmd: AdvanceEmergencyFund, now: datetime) -> None:
    if cmd.purpose == "wages" and cmd.amount > state.outstanding:
        raise InvalidInput(code="amount_exceeds_owed", field="amount", amount=cmd.amount, owed=state.outstanding)


def _apply_advance(state: CaseState, cmd: AdvanceEmergencyFund, actor, now, times):
    amount = cmd.amount
    if cmd.purpose == "wages":
        state.emergency_wages += amount
        # 保障农民工工资支付条例 art. 63: the fund advances wages, to be recovered from the party liable
        pay(state, now, amount, Party.EMERGENCY_FUND, actor.username, cmd.reference)
        event(
            state,
            now,
            "emergency_advance",
            actor.username,
            f"应急周转金垫付农民工工资 {amount} 元，待向欠薪单位追回",
            amount=str(amount),
            purpose="wages",
        )
        return maybe_close(state, actor, now)
    state.emergency_living += amount
    event(
        state,
        now,
        "emergency_advance",
        actor.username,
        f"应急周转金垫付农民工基本生活费 {amount} 元，待向欠薪单位追回",
        amount=str(amount),
        purpose="living",
    )
    return []


def _check_recover(state: CaseState, cmd: RecoverEmergencyFund, now: datetime) -> None:
    if cmd.amount > state.emergency_outstanding:
        raise InvalidInput(
            code="recovery_exceeds_fund", field="amount", amount=cmd.amount, owed=state.emergency_outstanding
        )


def _apply_recover(state: CaseState, cmd: RecoverEmergencyFund, actor, now, times):
    state.emergency_recovered += cmd.amount
    event(
        state,
        now,
        "emergency_recovered",
        actor.username,
        f"追回应急周转金 {cmd.amount} 元，尚待追回 {state.emergency_outstanding} 元",
        amount=str(cmd.amount),
    )
    return maybe_close(state, actor, now)


# The office of the leading group designates major cases and their leaders (any case, whatever its unit).
ASSIGN_LEADER = Action(
    name="assign_leader",
    command=AssignLeader,
    stages=OPEN_STAGES - {Stage.INTAKE},
    roles=(),
    apply=_apply_assign,
    opens=("major_case_dispatch",),
    label="指定包案领导",
    secondary=True,
    hint="重大欠薪案件由县领导包案，定期调度直至结案。",
    field_labels={"leader": "包案领导（职务）"},
    field_help={"leader": "填写职务，如 县政府分管副县长，不填姓名"},
)

MAJOR_DISPATCH = Action(
    name="major_dispatch",
    command=MajorDispatch,
    stages=OPEN_STAGES,
    roles=SYSTEM_ONLY,
    office_roles=(),
    apply=_apply_dispatch,
    check=_check_dispatch,
    opens=("major_case_dispatch",),
    label="重大欠薪案件定期调度",
)

ADVANCE_EMERGENCY_FUND = Action(
    name="advance_emergency_fund",
    command=AdvanceEmergencyFund,
    stages=MONEY_STAGES,
    roles=CASE_WORKERS,
    apply=_apply_advance,
    awaited=advance_awaited,
    not_awaited="advance_not_awaited",
    check=_check_advance,
    moves_money=True,
    label="应急周转金垫付",
    secondary=True,
    hint="应急周转金先行垫付工资或基本生活费（保障农民工工资支付条例）。",
    field_labels={"amount": "金额（元）", "purpose": "垫付用途", "reference": "垫付凭证号"},
)

RECOVER_EMERGENCY_FUND = Action(
    name="recover_emergency_fund",
    command=RecoverEmergencyFund,
    stages=MONEY_STAGES,
    roles=CASE_WORKERS,
    apply=_apply_recover,
    awaited=lambda s: s.emergency_outstanding > 0,
    not_awaited="nothing_to_recover",
    check=_check_recover,
    moves_money=True,
    label="登记应急周转金收回",
    secondary=True,
    hint="责任主体归还应急周转金后登记。",
    field_labels={"amount": "金额（元）"},
)
