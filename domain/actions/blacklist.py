"""The list of employers in serious default on wages (失信联合惩戒对象名单, 人社部令45号):
the proposal with its written notice, the employer's statement, the decision."""

from datetime import datetime
from typing import Annotated

from annotated_types import MaxLen

from domain.actions.base import (
    CASE_WORKERS,
    ENFORCEMENT,
    INVOLVED,
    Action,
    LongText,
    command,
)
from domain.actions.effects import (
    blacklist_grounds,
    day,
    doc,
    event,
    issuing_unit,
    open_clock,
    resolve,
)
from domain.errors import InvalidInput
from domain.model import CaseState, DeadlineStatus


@command
class ProposeBlacklist:
    """Propose listing the employer; the grounds come from the case (人社部令45号 art. 5), and the employer
    is told in writing and may state its case (art. 6)."""


@command
class BlacklistObjection:
    """The employer's statement or defence (陈述申辩) against the proposal."""

    text: LongText


@command
class BlacklistDecision:
    """Decide whether the employer is listed (人社部令45号 arts. 6, 11); not listing needs its reason."""

    listed: bool
    reason: Annotated[str, MaxLen(2000)] | None = None

    def __post_init__(self):
        if not self.listed and not self.reason:
            raise InvalidInput(code="decline_needs_reason", field="reason")


def _proposal_awaited(state: CaseState) -> bool:
    return state.blacklist not in ("proposed", "listed") and blacklist_grounds(state) is not None


def _apply_propose(state: CaseState, cmd, actor, now, times):
    grounds = blacklist_grounds(state)
    state.blacklist = "proposed"
    state.blacklist_reason = grounds
    notice = open_clock(
        state, "blacklist_notice", issuing_unit(state, "blacklist_notice"), now, times["blacklist_notice"]
    )
    open_clock(state, "blacklist_decision", issuing_unit(state, "blacklist_decision"), now, times["blacklist_decision"])
    event(
        state,
        now,
        "blacklist_proposed",
        actor.username,
        f"拟将{state.intake.employer.name}列入拖欠农民工工资失信联合惩戒对象名单（{grounds}），已书面告知，"
        f"当事人可于{day(notice.due_at)}前陈述申辩",
        reason=grounds,
    )
    return [doc(state, "blacklist_notice")]


def _apply_objection(state: CaseState, cmd: BlacklistObjection, actor, now, times):
    event(state, now, "blacklist_objection", actor.username, f"当事人陈述申辩：{cmd.text}")
    return []


def decision_awaited(state: CaseState) -> bool:
    """A proposal stands and the employer's period to state its case has ended (人社部令45号 art. 6)."""
    return state.blacklist == "proposed" and state.open_deadline("blacklist_notice") is None


def _add_years(at: datetime, years: int) -> datetime:
    try:
        return at.replace(year=at.year + years)
    except ValueError:  # 29 February
        return at.replace(year=at.year + years, day=28)


def _apply_decision(state: CaseState, cmd: BlacklistDecision, actor, now, times):
    resolve(state, "blacklist_notice", now, DeadlineStatus.MET)
    resolve(state, "blacklist_decision", now)
    reason = cmd.reason or ""
    if not cmd.listed:
        state.blacklist = "declined"
        event(state, now, "blacklist_declined", actor.username, f"决定不列入失信联合惩戒对象名单：{reason}")
        return []
    years = state.intake.policy.blacklist_years
    state.blacklist = "listed"
    state.blacklist_listed_at = now
    state.blacklist_until = _add_years(now, years)  # 人社部令45号 art. 11
    event(
        state,
        now,
        "blacklisted",
        actor.username,
        f"作出列入决定：{state.intake.employer.name}列入拖欠农民工工资失信联合惩戒对象名单，期限{years}年，"
        f"至{day(state.blacklist_until)}" + (f"（{reason}）" if reason else ""),
    )
    return [doc(state, "blacklist_decision")]


# Labour inspection (a co-handler) may act on the list too.
PROPOSE_BLACKLIST = Action(
    name="propose_blacklist",
    issues="blacklist_notice",
    command=ProposeBlacklist,
    stages=ENFORCEMENT,
    roles=CASE_WORKERS,
    scope=INVOLVED,
    apply=_apply_propose,
    awaited=_proposal_awaited,
    not_awaited="blacklist_not_proposable",
    opens=("blacklist_notice", "blacklist_decision"),
    label="拟列入失信联合惩戒名单",
    hint="限期支付期满仍未支付且符合列入条件的，书面告知拟列入失信联合惩戒对象名单，当事人可陈述申辩（人社部令45号）。",
)

BLACKLIST_OBJECTION = Action(
    name="blacklist_objection",
    command=BlacklistObjection,
    stages=ENFORCEMENT,
    roles=CASE_WORKERS,
    scope=INVOLVED,
    apply=_apply_objection,
    awaited=lambda s: s.blacklist == "proposed",
    not_awaited="no_blacklist_proposal",
    label="登记当事人陈述申辩",
    hint="当事人在告知期限内提出陈述、申辩的，登记其内容。",
    field_labels={"text": "陈述申辩内容"},
)

BLACKLIST_DECISION = Action(
    name="blacklist_decision",
    issues="blacklist_decision",
    command=BlacklistDecision,
    stages=ENFORCEMENT,
    roles=("unit_head",),
    scope=INVOLVED,
    apply=_apply_decision,
    awaited=decision_awaited,
    not_awaited="blacklist_decision_not_awaited",
    label="作出是否列入失信名单决定",
    hint="陈述申辩期满后，作出列入或不列入的决定；列入的，期限按规定计算。",
    field_labels={"listed": "决定", "reason": "理由"},
    bool_labels={"listed": ("列入名单", "不予列入")},
    field_help={"reason": "不予列入的须写明理由"},
)
