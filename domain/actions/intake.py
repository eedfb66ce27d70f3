"""Intake and routing: accepting a referred case, transferring it, notes, closing (首问负责制)."""

from datetime import datetime
from typing import Annotated

from annotated_types import MaxLen, MinLen

from domain.actions import petition
from domain.actions.base import (
    CASE_WORKERS,
    INVOLVED,
    OPEN_STAGES,
    Action,
    ClockRequest,
    LongText,
    Text,
    command,
)
from domain.actions.effects import close, doc, event, move, open_clock, resolve
from domain.errors import InvalidInput, NotAllowedNow
from domain.model import CaseState, DeadlineStatus, Stage


@command
class Accept:
    """The lead unit accepts the referred case; the investigation clock starts."""


@command
class Transfer:
    """Pass the case to the unit that should handle it; without `to_unit` it goes back to the office of the
    leading group (a refused referral)."""

    reason: Text
    to_unit: Annotated[str, MaxLen(100)] | None = None


@command
class Note:
    """A note on the case's record; changes nothing else."""

    text: LongText


@command
class Close:
    """Close the case: paid_in_full, unsubstantiated, withdrawn, mediated, out_of_limitation, or a short text."""

    outcome: Annotated[str, MinLen(1), MaxLen(200)]


def _apply_accept(state: CaseState, cmd: Accept, actor, now, times):
    resolve(state, "acknowledge", now)
    move(state, Stage.INVESTIGATING)
    state.accepted_at = now
    open_clock(state, "investigate", state.lead_unit, now, times["investigate"])
    petition.on_accept(state, now, times)
    event(state, now, "accepted", actor.username, "签收受理并立案调查")
    return []


def _check_transfer(state: CaseState, cmd: Transfer, now: datetime) -> None:
    if cmd.to_unit is not None and cmd.to_unit == state.lead_unit:
        raise NotAllowedNow(code="already_led", field="to_unit", unit=cmd.to_unit)


def _apply_transfer(state: CaseState, cmd: Transfer, actor, now, times):
    reason = cmd.reason
    disputed = cmd.to_unit is None or (cmd.to_unit in state.units_held and actor.role not in ("supervisor", "admin"))
    to_unit: str = state.intake.policy.office_unit if disputed or cmd.to_unit is None else cmd.to_unit
    resolve(state, "acknowledge", now)
    resolve(state, "investigate", now, DeadlineStatus.CANCELLED)
    previous = state.lead_unit
    state.lead_unit = to_unit
    state.co_units = [u for u in state.co_units if u != to_unit]
    co_handler = state.intake.policy.routing.co_handler
    if to_unit != co_handler and co_handler not in state.co_units:
        state.co_units.append(co_handler)
    if to_unit not in state.units_held:
        state.units_held.append(to_unit)
    move(state, Stage.REFERRED)
    state.referred_at = now
    state.accepted_at = None
    open_clock(state, "acknowledge", to_unit, now, times["acknowledge"])
    petition.on_transfer(state, now, times)
    if disputed:
        summary = f"{previous} 对转办提出异议（{reason}），报领导小组办公室协调确定承办单位"
        kind = "referral_disputed"
    else:
        summary = f"由 {previous} 转送 {to_unit}：{reason}"
        kind = "transferred"
    event(state, now, kind, actor.username, summary, from_unit=previous, to_unit=to_unit, reason=reason)
    return [doc(state, "referral", to_unit=to_unit, from_unit=previous, reason=reason)]


def _apply_note(state: CaseState, cmd: Note, actor, now, times):
    event(state, now, "note", actor.username, cmd.text)
    return []


def _check_close(state: CaseState, cmd: Close, now: datetime) -> None:
    if cmd.outcome == "joined":  # only joining a complaint to its matter closes so (domain/joining.py)
        raise InvalidInput(code="outcome_reserved", field="outcome", outcome=cmd.outcome)
    if cmd.outcome == "paid_in_full" and state.outstanding > 0:
        raise NotAllowedNow(code="not_paid_in_full", field="outcome", owed=state.outstanding)
    if cmd.outcome == "unsubstantiated" and state.substantiated is not False:
        raise NotAllowedNow(code="findings_not_unsubstantiated", field="outcome")


def _apply_close(state: CaseState, cmd: Close, actor, now, times):
    return close(state, cmd.outcome, actor, now)


ACCEPT = Action(
    name="accept",
    command=Accept,
    stages=frozenset({Stage.REFERRED}),
    roles=CASE_WORKERS,
    apply=_apply_accept,
    clocks=lambda state, cmd, now: petition.accept_clocks(state, now),
    awaited=lambda state: not state.limitation_pending,
    not_awaited="limitation_pending",
    label="签收受理",
    hint="确认由本单位承办，开始计算调查处理期限。",
)

TRANSFER = Action(
    name="transfer",
    command=Transfer,
    stages=frozenset({Stage.REFERRED, Stage.INVESTIGATING}),
    roles=CASE_WORKERS,
    apply=_apply_transfer,
    check=_check_transfer,
    clocks=lambda state, cmd, now: [
        ClockRequest("acknowledge", "acknowledge", now),
        *petition.transfer_clocks(state, now),
    ],
    label="转送其他单位",
    secondary=True,
    hint="不属本单位职责的，转送有权处理的单位（首问负责制）；不选单位则退回领导小组办公室。",
    field_labels={"reason": "理由", "to_unit": "转送至"},
    field_help={"to_unit": "不选则退回领导小组办公室"},
)

CLOSE = Action(
    name="close",
    command=Close,
    stages=OPEN_STAGES - {Stage.INTAKE},
    roles=CASE_WORKERS,
    apply=_apply_close,
    check=_check_close,
    label="结案",
    hint="办结案件并告知投诉人处理结果。",
    secondary=True,
    field_labels={"outcome": "结案结果"},
)

NOTE = Action(
    name="note",
    command=Note,
    stages=OPEN_STAGES,
    roles=("clerk", "caseworker", "unit_head", "liaison", "leader"),
    scope=INVOLVED,
    office_roles=("supervisor", "leader"),
    apply=_apply_note,
    label="添加备注",
    hint="记入办理经过，不改变案件状态。",
    secondary=True,
    field_labels={"text": "备注内容"},
)
