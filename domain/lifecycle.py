"""The case lifecycle as pure rules: which action is allowed when and by whom, and what it changes.

The workflow calls these in three steps for every action: `check` (the update validator), then
`clocks_for` (which statutory clocks the action opens, computed by an activity), then `apply`.
Timers call `on_time`. Nothing here does I/O or reads a clock: `now` is always passed in.

Each action is defined once, in `domain.actions` (its command, who may take it when, its check, clocks,
effect and labels); this module is the small facade the workflow calls. The workflow records an action's
input as a JSON-safe dict; `command_of` turns it into the action's command.
"""

from datetime import datetime

from domain.actions import ACTIONS, petition
from domain.actions.base import (
    COURT,
    INVOLVED,
    POLICE,
    Action,
    ClockRequest,
    ClockTimes,
    DocumentRequest,
    parse,
)
from domain.actions.blacklist import grounds_due
from domain.actions.challenge import decision_final_due, final_since
from domain.actions.decision import decision_lapsed_due, order_lapsed_due
from domain.actions.effects import (
    TRANSITIONS,
    blacklist_grounds,
    doc,
    event,
    issuing_unit,
    move,
    open_clock,
)
from domain.errors import Forbidden, InvalidInput, NotAllowedNow
from domain.labels import (
    DEADLINE_LABELS,
    LEVEL_LABELS,
    OUTCOME_LABELS,
    PARTY_LABELS,
    STAGE_LABELS,
)
from domain.model import (
    SYSTEM,
    Actor,
    CaseState,
    Deadline,
    DeadlineStatus,
    Escalation,
    Stage,
)
from domain.procedure import LAWFUL_LADDER, STATUTORY_PROCEDURE
from domain.routing import route

__all__ = [
    "ACTIONS",
    "DEADLINE_LABELS",
    "LEVEL_LABELS",
    "OUTCOME_LABELS",
    "PARTY_LABELS",
    "STAGE_LABELS",
    "TRANSITIONS",
    "ClockRequest",
    "ClockTimes",
    "DocumentRequest",
    "apply",
    "blacklist_grounds",
    "check",
    "clocks_for",
    "command_of",
    "due_step",
    "due_steps",
    "enforced_clock",
    "enforcement_unit",
    "escalation_levels",
    "next_wake",
    "on_time",
    "open_case",
    "pending_actions",
    "refer",
]


def _action(name: str) -> Action:
    action = ACTIONS.get(name)
    if action is None:
        raise InvalidInput(code="unknown_action", field="action", action=name, known=", ".join(sorted(ACTIONS)))
    return action


def command_of(name: str, params: dict):
    """The command of action `name` from its recorded params (raises InvalidInput, naming the field)."""
    return parse(_action(name).command, params)


def check(state: CaseState, action: str, params: dict, actor: Actor, now: datetime) -> None:
    """Raise a DomainError when the actor may not take this action now; change nothing."""
    spec = _action(action)
    _check_permission(state, spec, actor)
    if state.stage not in spec.stages:
        raise NotAllowedNow(
            code="not_allowed_in_stage", action=action, stage=state.stage.value, stage_label=STAGE_LABELS[state.stage]
        )
    cmd = parse(spec.command, params)
    if not spec.awaited(state):
        if spec.refusal is not None:
            spec.refusal(state, now)
        raise NotAllowedNow(code=spec.not_awaited, action=action)
    spec.check(state, cmd, now)


def _check_permission(state: CaseState, spec: Action, actor: Actor) -> None:
    if spec.system:
        if actor.role != SYSTEM.role:
            raise Forbidden(code="system_step", action=spec.name)
        return
    if actor.role == "admin" or actor.role == "system":
        return
    if actor.role in spec.office_roles:
        return
    if actor.role not in spec.roles:
        raise Forbidden(
            code="role_may_not", role=actor.role, action=spec.name, roles=", ".join(spec.roles) or "supervisor"
        )
    if spec.scope in (POLICE, COURT):
        policy = state.intake.policy
        unit = policy.police_unit if spec.scope == POLICE else policy.court_unit
        if actor.unit != unit:
            raise Forbidden(code="liaison_only", unit=unit, action=spec.name)
        if unit not in state.liaison_units:
            raise Forbidden(code="not_referred_to", unit=unit)
        return
    authority = state.intake.policy.authority(spec.issues) if spec.issues else None
    if authority is not None:  # the competent authority acts, whatever unit leads the case
        if actor.unit != authority.unit:
            raise Forbidden(code="authority_only", unit=actor.unit, authority=authority.unit, action=spec.name)
        return
    involved = actor.unit == state.lead_unit or (
        spec.scope == INVOLVED and (actor.unit in state.co_units or actor.unit in state.liaison_units)
    )
    if not involved:
        raise Forbidden(code="unit_not_lead", unit=actor.unit, lead_unit=state.lead_unit)


def enforcement_unit(state: CaseState) -> str | None:
    """The unit that issues the documents with legal effect on a party (执法机关): the authority of the
    order to pay in the case's policy, or the lead unit where the policy names none."""
    return issuing_unit(state, "order_to_pay")


def pending_actions(state: CaseState) -> list[str]:
    """The actions that make sense for the case now (for any authorised actor)."""
    return [
        name for name, spec in ACTIONS.items() if state.stage in spec.stages and not spec.system and spec.awaited(state)
    ]


def clocks_for(state: CaseState, action: str, params: dict, now: datetime) -> list[ClockRequest]:
    """The clocks this action opens or extends (to be computed by an activity before `apply`)."""
    spec = _action(action)
    return spec.clocks_for(state, parse(spec.command, params), now)


def apply(
    state: CaseState, action: str, params: dict, actor: Actor, now: datetime, times: dict[str, ClockTimes]
) -> list[DocumentRequest]:
    """Carry out a checked action; return the documents it issues."""
    spec = _action(action)
    docs = spec.apply(state, parse(spec.command, params), actor, now, times)
    state.version += 1
    return docs


def open_case(state: CaseState) -> list[ClockRequest]:
    """Route a new case; return the clocks its referral needs."""
    intake = state.intake
    routing = route(intake.project.facts if intake.project else None, intake.policy.routing)
    state.lead_unit = routing.lead_unit
    state.co_units = list(routing.co_units)
    state.routing_reason = routing.reason
    state.units_held = [routing.lead_unit]
    policy = intake.policy
    state.major = (
        intake.group_incident
        or len(intake.workers) >= policy.major_case_workers
        or (intake.amount_claimed >= policy.major_case_amount)
    )
    start = petition.intake_clock_start(state)
    return [ClockRequest("acknowledge", "acknowledge", start), *petition.intake_clocks(state)]


def refer(state: CaseState, now: datetime, times: dict[str, ClockTimes]) -> list[DocumentRequest]:
    """Register and refer the new case to its lead unit (受理 and 转办)."""
    intake = state.intake
    who = intake.registered_by.username
    event(
        state,
        intake.received_at,
        "received",
        who,
        f"收到举报投诉（渠道：{intake.channel.value}），涉及{len(intake.workers)}名农民工",
    )
    event(state, now, "registered", who, f"登记受理，案件编号 {state.case_no}")
    docs = [doc(state, "receipt")]
    move(state, Stage.REFERRED)
    state.referred_at = now
    open_clock(state, "acknowledge", state.lead_unit, petition.intake_clock_start(state), times["acknowledge"])
    petition.on_refer(state, now, times)
    event(
        state,
        now,
        "referred",
        "system",
        f"转办至 {state.lead_unit}：{state.routing_reason}",
        lead_unit=state.lead_unit,
        co_units=state.co_units,
    )
    docs.append(doc(state, "referral", to_unit=state.lead_unit))
    if state.major:
        event(state, now, "major_case", "system", "符合重大欠薪案件标准")
    return docs


# ---- time -----------------------------------------------------------------------------------------


def next_wake(state: CaseState) -> datetime | None:
    """The next instant at which a clock falls due or an escalation climbs a level."""
    instants = []
    for clock in state.deadlines:
        if clock.resolved_at is not None:
            continue
        if clock.status is DeadlineStatus.OPEN:
            instants.append(clock.due_at)
        elif clock.status is DeadlineStatus.MISSED:
            nxt = _next_level_at(state, clock)
            if nxt is not None:
                instants.append(nxt)
    if state.next_dispatch_at is not None and state.stage is not Stage.CLOSED:
        instants.append(state.next_dispatch_at)
    refused = any(mark.startswith("decision_final:") for mark in state.refused_steps)  # never wake for it again
    if decision_final_due(state) and not refused:  # the court route may go on (procedure 3): at once
        instants.append(final_since(state) or state.intake.received_at)
    return min(instants) if instants else None


def due_steps(state: CaseState, now: datetime) -> list[str]:
    """The steps the case must take by itself now, in the order it takes them: `order_lapsed` or `enforce`
    (an order or decision ran out unpaid), `major_dispatch` (the leader's periodic dispatch),
    `blacklist_grounds` (a lapse met the listing's grounds), `decision_final` (the decision's windows
    passed). The workflow applies the first it has not seen refused, as the system actor."""
    if state.stage is Stage.CLOSED:
        return []
    steps = []
    order = state.open_deadline("order_payment")
    if state.procedure >= LAWFUL_LADDER:  # an unpaid order waits for the handling decision
        if order_lapsed_due(state, now):
            steps.append("order_lapsed")
        elif decision_lapsed_due(state, now):
            steps.append("enforce")
    elif state.stage is Stage.PAYMENT_ORDERED and order is not None and order.due_at <= now and state.outstanding > 0:
        steps.append("enforce")
    if state.leader is not None and state.next_dispatch_at is not None and state.next_dispatch_at <= now:
        steps.append("major_dispatch")
    if grounds_due(state, now):  # procedure 3: a payment deadline lapsed unpaid (人社部令45号 arts. 5, 8)
        steps.append("blacklist_grounds")
    if decision_final_due(state):
        steps.append("decision_final")
    return steps


def due_step(state: CaseState, now: datetime) -> str | None:
    """The first of `due_steps`, if any."""
    steps = due_steps(state, now)
    return steps[0] if steps else None
    order = state.open_deadline("order_payment")
    if state.procedure >= LAWFUL_LADDER:  # an unpaid order waits for the handling decision
        if order_lapsed_due(state, now):
            return "order_lapsed"
        if decision_lapsed_due(state, now):
            return "enforce"
    elif state.stage is Stage.PAYMENT_ORDERED and order is not None and order.due_at <= now and state.outstanding > 0:
        return "enforce"
    if state.leader is not None and state.next_dispatch_at is not None and state.next_dispatch_at <= now:
        return "major_dispatch"
    if grounds_due(state, now):  # procedure 3: a payment deadline lapsed unpaid (人社部令45号 arts. 5, 8)
        return "blacklist_grounds"
    if decision_final_due(state):
        return "decision_final"
    return None


def enforced_clock(state: CaseState) -> Deadline | None:
    """The clock whose lapse the `enforce` step acts on: the decision's date, or (on the old ladder) the order's."""
    if state.stage is Stage.DECIDED:
        return state.open_deadline("decision_payment")
    return state.open_deadline("order_payment")


def escalation_levels(state: CaseState) -> list[str]:
    levels = list(state.intake.policy.escalation_levels)
    if not state.major and "leader" in levels:
        levels.remove("leader")  # only major cases have an assigned leader (领导包案)
    return levels


def _next_level_at(state: CaseState, clock: Deadline) -> datetime | None:
    levels = escalation_levels(state)
    if clock.level >= len(levels):
        return None
    index = clock.level - 1  # escalate_at[0] is when level 2 is reached
    if index < 0 or index >= len(clock.escalate_at):
        return None
    return clock.escalate_at[index]


# Periods given to a party rather than deadlines of a unit: when they end, they end (nobody is overdue).
# The objection window of a referred petition is one too: the unit may object within it, it need not.
PARTY_PERIODS = frozenset(
    {
        "blacklist_notice",
        "payment_order_objection",
        "decision_review",
        "decision_suit",
        "review_suit",
        "referral_objection",
    }
)


def _party_period(state: CaseState, kind: str) -> bool:
    # procedure 3: the 催告书's ten days are the party's; the unit's clock is then `court_application`
    return kind in PARTY_PERIODS or (kind == "court_reminder" and state.procedure >= STATUTORY_PROCEDURE)


def on_time(state: CaseState, now: datetime) -> list[DocumentRequest]:
    """Mark the clocks that have passed and escalate them; return the escalation notices to issue."""
    docs = []
    changed = False
    levels = escalation_levels(state)
    for clock in state.deadlines:
        if clock.resolved_at is not None:
            continue
        label = DEADLINE_LABELS.get(clock.kind, clock.kind)
        if _party_period(state, clock.kind):
            if clock.due_at <= now:
                clock.status, clock.resolved_at, changed = DeadlineStatus.MET, clock.due_at, True
                event(state, clock.due_at, "period_ended", "system", f"{label}期限届满", deadline=clock.kind)
            continue
        if clock.status is DeadlineStatus.OPEN and clock.due_at <= now:
            clock.status = DeadlineStatus.MISSED
            event(
                state,
                clock.due_at,
                "deadline_missed",
                "system",
                f"{label}期限已届满（{clock.unit}）",
                deadline=clock.kind,
            )
        while clock.status is DeadlineStatus.MISSED and clock.level < len(levels):
            at = clock.due_at if clock.level == 0 else _next_level_at(state, clock)
            if at is None or at > now:
                break
            level = levels[clock.level]
            clock.level += 1
            reason = f"{label}逾期未办（期限 {clock.due_at.isoformat()}，依据：{clock.basis}）"
            state.escalations.append(Escalation(len(state.escalations) + 1, at, level, reason, clock.kind, clock.unit))
            event(
                state,
                at,
                "escalated",
                "system",
                f"逾期督办，升级至{LEVEL_LABELS.get(level, level)}：{reason}",
                level=level,
                deadline=clock.kind,
            )
            docs.append(doc(state, "escalation", level=level, deadline_seq=clock.seq))
    if docs or changed:
        state.version += 1
    return docs
