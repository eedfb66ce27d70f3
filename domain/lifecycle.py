"""The case lifecycle as pure rules: which action is allowed when and by whom, and what it changes.

The workflow calls these in three steps for every action: `check` (the update validator), then
`clocks_for` (which statutory clocks the action opens, computed by an activity), then `apply`.
Timers call `on_time`. Nothing here does I/O or reads a clock: `now` is always passed in.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from domain.errors import Forbidden, InvalidInput, NotAllowedNow
from domain.model import (
    LIABLE_PARTIES,
    Actor,
    CaseState,
    Deadline,
    DeadlineStatus,
    DocumentRef,
    Escalation,
    Event,
    Party,
    Payment,
    Stage,
)
from domain.routing import route

# Transitions are data: one table, one place that checks it.
TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    Stage.INTAKE: frozenset({Stage.REFERRED, Stage.CLOSED}),
    Stage.REFERRED: frozenset({Stage.REFERRED, Stage.INVESTIGATING, Stage.CLOSED}),
    Stage.INVESTIGATING: frozenset({Stage.REFERRED, Stage.PAYMENT_ORDERED, Stage.POLICE_REFERRED, Stage.CLOSED}),
    Stage.PAYMENT_ORDERED: frozenset(
        {Stage.DEPOSIT_DRAWDOWN, Stage.POLICE_REFERRED, Stage.COURT_ENFORCEMENT, Stage.CLOSED}
    ),
    Stage.DEPOSIT_DRAWDOWN: frozenset({Stage.POLICE_REFERRED, Stage.COURT_ENFORCEMENT, Stage.CLOSED}),
    Stage.POLICE_REFERRED: frozenset({Stage.COURT_ENFORCEMENT, Stage.CLOSED}),
    Stage.COURT_ENFORCEMENT: frozenset({Stage.CLOSED}),
    Stage.CLOSED: frozenset(),
}

STAGE_LABELS = {
    Stage.INTAKE: "受理",
    Stage.REFERRED: "待签收",
    Stage.INVESTIGATING: "立案调查",
    Stage.PAYMENT_ORDERED: "责令限期支付",
    Stage.DEPOSIT_DRAWDOWN: "动用工资保证金",
    Stage.POLICE_REFERRED: "移送公安",
    Stage.COURT_ENFORCEMENT: "申请法院强制执行",
    Stage.CLOSED: "已结案",
}

DEADLINE_LABELS = {
    "acknowledge": "签收受理",
    "investigate": "调查处理",
    "order_payment": "限期支付",
    "police_approval": "移送审批",
    "police_transfer": "移送公安",
    "police_review": "公安立案审查",
    "deposit_payout": "保证金支付",
    "deposit_replenish": "保证金补足",
}

LEVEL_LABELS = {"unit_head": "单位负责人", "office": "领导小组办公室", "leader": "包案领导"}

PARTY_LABELS = {
    Party.EMPLOYER: "用人单位",
    Party.SUBCONTRACTOR: "分包单位",
    Party.GENERAL_CONTRACTOR: "施工总承包单位",
    Party.CONSTRUCTION_UNIT: "建设单位",
    Party.DEPOSIT: "工资保证金",
    Party.EMERGENCY_FUND: "应急周转金",
    Party.COURT: "法院强制执行",
}

OUTCOME_LABELS = {
    "paid_in_full": "已足额支付",
    "unsubstantiated": "投诉事项不成立",
    "withdrawn": "投诉人撤回",
    "mediated": "调解结案",
    "out_of_limitation": "超过查处时效",
    "transferred_to_court": "已转司法程序",
}

CASE_WORKERS = ("caseworker", "unit_head")
LEAD = "lead"  # the actor's unit leads the case
INVOLVED = "involved"  # the actor's unit leads or co-handles
ANY = "any"


@dataclass(frozen=True)
class ActionSpec:
    stages: frozenset[Stage]
    roles: tuple[str, ...]
    scope: str = LEAD
    office_roles: tuple[str, ...] = ("supervisor",)  # may act on any case, whatever its unit


OPEN_STAGES = frozenset(s for s in Stage if s is not Stage.CLOSED)
ENFORCEMENT = frozenset({Stage.PAYMENT_ORDERED, Stage.DEPOSIT_DRAWDOWN, Stage.POLICE_REFERRED, Stage.COURT_ENFORCEMENT})

ACTIONS: dict[str, ActionSpec] = {
    "accept": ActionSpec(frozenset({Stage.REFERRED}), CASE_WORKERS),
    "transfer": ActionSpec(frozenset({Stage.REFERRED, Stage.INVESTIGATING}), CASE_WORKERS),
    "findings": ActionSpec(frozenset({Stage.INVESTIGATING}), CASE_WORKERS),
    "extend_investigation": ActionSpec(frozenset({Stage.INVESTIGATING}), ("unit_head",), office_roles=()),
    "order_payment": ActionSpec(frozenset({Stage.INVESTIGATING}), CASE_WORKERS),
    "record_payment": ActionSpec(ENFORCEMENT | {Stage.INVESTIGATING}, CASE_WORKERS, scope=INVOLVED),
    "close": ActionSpec(OPEN_STAGES - {Stage.INTAKE}, CASE_WORKERS),
    "note": ActionSpec(OPEN_STAGES, ("clerk", "caseworker", "unit_head", "liaison", "leader"), scope=INVOLVED,
                       office_roles=("supervisor", "leader")),
}


@dataclass
class ClockRequest:
    """A statutory clock an action opens or extends; an activity turns it into instants."""

    key: str
    rule: str
    start: datetime
    extend_working_days: int = 0  # > 0: extend the open clock of that rule instead


@dataclass
class ClockTimes:
    due_at: datetime
    escalate_at: list[datetime] = field(default_factory=list)


@dataclass
class DocumentRequest:
    seq: int
    kind: str
    params: dict = field(default_factory=dict)


# ---- checks ---------------------------------------------------------------------------------------


def may_see(state: CaseState, actor: Actor) -> bool:
    """Whether the actor may see the case (unit scoping of the contract)."""
    if actor.role in ("admin", "supervisor", "leader"):
        return True
    return actor.unit == state.lead_unit or actor.unit in state.co_units or (
        actor.role == "clerk" and actor.username == state.intake.registered_by.username
    )


def check(state: CaseState, action: str, params: dict, actor: Actor, now: datetime) -> None:
    """Raise a DomainError when the actor may not take this action now; change nothing."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise InvalidInput(f"unknown action '{action}'; known: {', '.join(sorted(ACTIONS))}", field="action")
    _check_permission(state, action, spec, actor)
    if state.stage not in spec.stages:
        raise NotAllowedNow(
            f"'{action}' is not possible while the case is {state.stage.value} ({STAGE_LABELS[state.stage]})"
        )
    _CHECKS[action](state, params, now)


def _check_permission(state: CaseState, action: str, spec: ActionSpec, actor: Actor) -> None:
    if actor.role == "admin" or actor.role == "system":
        return
    if actor.role in spec.office_roles:
        return
    if actor.role not in spec.roles:
        raise Forbidden(f"role '{actor.role}' may not {action}; needs one of: {', '.join(spec.roles)}")
    involved = actor.unit == state.lead_unit or (spec.scope == INVOLVED and actor.unit in state.co_units)
    if not involved:
        raise Forbidden(f"unit '{actor.unit}' does not lead this case (lead unit: {state.lead_unit})")


def _money(params: dict, name: str, *, required: bool = True) -> Decimal | None:
    raw = params.get(name)
    if raw is None:
        if required:
            raise InvalidInput(f"{name} is required", field=name)
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise InvalidInput(f"{name} must be an amount in yuan such as 36000.00", field=name) from None
    if not value.is_finite() or value <= 0:
        raise InvalidInput(f"{name} must be greater than 0", field=name)
    if value != value.quantize(Decimal("0.01")):
        raise InvalidInput(f"{name} has more than 2 decimal places (fen)", field=name)
    return value


def _text(params: dict, name: str, *, required: bool = True, max_len: int = 2000) -> str:
    value = params.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"{name} is required", field=name)
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text", field=name)
    if len(value) > max_len:
        raise InvalidInput(f"{name} is longer than {max_len} characters", field=name)
    return value.strip()


def instant(params: dict, name: str) -> datetime | None:
    """An aware date-time parameter, given as a datetime or an ISO 8601 string, or None."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        try:
            raw = datetime.fromisoformat(raw)
        except ValueError:
            raise InvalidInput(f"{name} must be an ISO 8601 date-time such as 2026-03-02T17:00:00+08:00",
                               field=name) from None
    if not isinstance(raw, datetime):
        raise InvalidInput(f"{name} must be a date-time", field=name)
    if raw.tzinfo is None:
        raise InvalidInput(f"{name} needs a time zone offset, e.g. +08:00", field=name)
    return raw


def _check_accept(state: CaseState, params: dict, now: datetime) -> None:
    return None


def _check_transfer(state: CaseState, params: dict, now: datetime) -> None:
    _text(params, "reason")
    to_unit = params.get("to_unit")
    if to_unit is not None and to_unit == state.lead_unit:
        raise NotAllowedNow(f"the case is already led by {to_unit}")


def _check_findings(state: CaseState, params: dict, now: datetime) -> None:
    substantiated = params.get("substantiated")
    if not isinstance(substantiated, bool):
        raise InvalidInput("substantiated must be true or false", field="substantiated")
    if state.order_served_at is not None:
        raise NotAllowedNow("findings cannot change after an order to pay was served")
    if substantiated:
        party = params.get("liable_party")
        if party not in [p.value for p in LIABLE_PARTIES]:
            raise InvalidInput(
                "liable_party must be one of: " + ", ".join(p.value for p in LIABLE_PARTIES), field="liable_party"
            )
        owed = _money(params, "amount_owed")
        if owed is not None and owed < state.amount_recovered:
            raise InvalidInput(
                f"amount_owed {owed} is less than the {state.amount_recovered} already recovered", field="amount_owed"
            )


def _check_extend(state: CaseState, params: dict, now: datetime) -> None:
    days = params.get("working_days")
    if not isinstance(days, int) or isinstance(days, bool) or days <= 0:
        raise InvalidInput("working_days must be a whole number greater than 0", field="working_days")
    _text(params, "reason")
    clock = state.open_deadline("investigate")
    if clock is None:
        raise NotAllowedNow("there is no running investigation clock to extend")
    rule = state.intake.policy.deadlines["investigate"]
    allowed = rule.extension_working_days or 0
    if days > allowed:
        raise InvalidInput(f"an investigation may be extended by at most {allowed} working days "
                           "(劳动保障监察条例 art. 17)", field="working_days")
    if clock.extended_working_days + days > allowed:
        left = allowed - clock.extended_working_days
        raise NotAllowedNow(
            f"the investigation may be extended by at most {allowed} working days in all "
            f"({left} left; 劳动保障监察条例 art. 17)"
        )


def _check_order(state: CaseState, params: dict, now: datetime) -> None:
    if state.substantiated is not True:
        raise NotAllowedNow("record substantiated findings before ordering payment")
    amount = _money(params, "amount", required=False)
    if amount is not None and amount > state.outstanding:
        raise InvalidInput(f"amount {amount} exceeds the {state.outstanding} still owed", field="amount")
    due = instant(params, "due_at")
    if due is not None and due <= now:
        raise InvalidInput("due_at must be in the future", field="due_at")


def _check_payment(state: CaseState, params: dict, now: datetime) -> None:
    if state.stage is Stage.INVESTIGATING and state.substantiated is not True:
        raise NotAllowedNow("a payment can be recorded once substantiated findings name the amount owed")
    amount = _money(params, "amount")
    payer = params.get("payer")
    if payer not in [p.value for p in Party]:
        raise InvalidInput("payer must be one of: " + ", ".join(p.value for p in Party), field="payer")
    if amount is not None and amount > state.outstanding:
        raise InvalidInput(
            f"amount {amount} exceeds the {state.outstanding} still owed; record only money actually paid",
            field="amount",
        )
    ref = params.get("reference")
    if ref and any(p.reference == ref for p in state.payments):
        raise NotAllowedNow(f"a payment with reference '{ref}' is already recorded")


def _check_close(state: CaseState, params: dict, now: datetime) -> None:
    outcome = _text(params, "outcome", max_len=200)
    if outcome == "paid_in_full" and state.outstanding > 0:
        raise NotAllowedNow(f"{state.outstanding} is still owed; the case is not paid in full")
    if outcome == "unsubstantiated" and state.substantiated is not False:
        raise NotAllowedNow("record findings that the complaint is not substantiated first")


def _check_note(state: CaseState, params: dict, now: datetime) -> None:
    _text(params, "text", max_len=5000)


_CHECKS = {
    "accept": _check_accept,
    "transfer": _check_transfer,
    "findings": _check_findings,
    "extend_investigation": _check_extend,
    "order_payment": _check_order,
    "record_payment": _check_payment,
    "close": _check_close,
    "note": _check_note,
}


def pending_actions(state: CaseState) -> list[str]:
    """The actions that make sense for the case now (for any authorised actor)."""
    out = []
    for name, spec in ACTIONS.items():
        if state.stage not in spec.stages:
            continue
        if name == "extend_investigation":
            clock = state.open_deadline("investigate")
            allowed = state.intake.policy.deadlines["investigate"].extension_working_days or 0
            if clock is None or clock.extended_working_days >= allowed:
                continue
        if name == "order_payment" and state.substantiated is not True:
            continue
        if name == "record_payment" and state.stage is Stage.INVESTIGATING and state.substantiated is not True:
            continue
        out.append(name)
    return out


# ---- changes --------------------------------------------------------------------------------------


def _move(state: CaseState, to: Stage) -> None:
    if to not in TRANSITIONS[state.stage]:
        raise NotAllowedNow(f"a case cannot move from {state.stage.value} to {to.value}")
    state.stage = to


def _event(state: CaseState, now: datetime, kind: str, actor: str, summary: str, **data) -> None:
    state.timeline.append(Event(len(state.timeline) + 1, now, kind, actor, summary, data))


def _doc(state: CaseState, kind: str, **params) -> DocumentRequest:
    seq = len(state.documents) + 1
    state.documents.append(DocumentRef(seq, kind))
    return DocumentRequest(seq, kind, params)


def _open_clock(state: CaseState, kind: str, unit: str, start: datetime, times: ClockTimes) -> Deadline:
    rule = state.intake.policy.deadlines[kind]
    clock = Deadline(len(state.deadlines) + 1, kind, unit, start, times.due_at, rule.basis,
                     escalate_at=list(times.escalate_at))
    state.deadlines.append(clock)
    return clock


def _resolve(state: CaseState, kind: str, now: datetime, status: DeadlineStatus = DeadlineStatus.MET) -> None:
    clock = state.open_deadline(kind)
    if clock is None:
        return
    clock.resolved_at = now
    if clock.status is DeadlineStatus.OPEN:
        clock.status = status


def open_case(state: CaseState) -> list[ClockRequest]:
    """Route a new case; return the clocks its referral needs."""
    intake = state.intake
    routing = route(intake.project.facts if intake.project else None, intake.policy.routing)
    state.lead_unit = routing.lead_unit
    state.co_units = list(routing.co_units)
    state.routing_reason = routing.reason
    state.units_held = [routing.lead_unit]
    policy = intake.policy
    state.major = intake.group_incident or len(intake.workers) >= policy.major_case_workers or (
        intake.amount_claimed >= policy.major_case_amount
    )
    return [ClockRequest("acknowledge", "acknowledge", intake.received_at)]


def refer(state: CaseState, now: datetime, times: dict[str, ClockTimes]) -> list[DocumentRequest]:
    """Register and refer the new case to its lead unit (受理 and 转办)."""
    intake = state.intake
    who = intake.registered_by.username
    _event(state, intake.received_at, "received", who,
           f"收到举报投诉（渠道：{intake.channel.value}），涉及{len(intake.workers)}名农民工")
    _event(state, now, "registered", who, f"登记受理，案件编号 {state.case_no}")
    docs = [_doc(state, "receipt")]
    _move(state, Stage.REFERRED)
    state.referred_at = now
    _open_clock(state, "acknowledge", state.lead_unit, intake.received_at, times["acknowledge"])
    _event(state, now, "referred", "system", f"转办至 {state.lead_unit}：{state.routing_reason}",
           lead_unit=state.lead_unit, co_units=state.co_units)
    docs.append(_doc(state, "referral", to_unit=state.lead_unit))
    if state.major:
        _event(state, now, "major_case", "system", "符合重大欠薪案件标准")
    return docs


def clocks_for(state: CaseState, action: str, params: dict, now: datetime) -> list[ClockRequest]:
    """The clocks this action opens or extends (to be computed by an activity before `apply`)."""
    if action == "accept":
        return [ClockRequest("investigate", "investigate", now)]
    if action == "transfer":
        return [ClockRequest("acknowledge", "acknowledge", now)]
    if action == "extend_investigation":
        clock = state.open_deadline("investigate")
        return [ClockRequest("investigate", "investigate", clock.due_at, extend_working_days=params["working_days"])]
    if action == "order_payment" and instant(params, "due_at") is None:
        return [ClockRequest("order_payment", "order_payment", now)]
    return []


def apply(state: CaseState, action: str, params: dict, actor: Actor, now: datetime,
          times: dict[str, ClockTimes]) -> list[DocumentRequest]:
    """Carry out a checked action; return the documents it issues."""
    docs = _APPLY[action](state, params, actor, now, times)
    state.version += 1
    return docs


def _apply_accept(state, params, actor, now, times):
    _resolve(state, "acknowledge", now)
    _move(state, Stage.INVESTIGATING)
    state.accepted_at = now
    _open_clock(state, "investigate", state.lead_unit, now, times["investigate"])
    _event(state, now, "accepted", actor.username, "签收受理并立案调查")
    return []


def _apply_transfer(state, params, actor, now, times):
    reason = params["reason"].strip()
    to_unit = params.get("to_unit")
    office = state.intake.policy.office_unit
    disputed = to_unit is None or (to_unit in state.units_held and actor.role not in ("supervisor", "admin"))
    if disputed:
        to_unit = office
    _resolve(state, "acknowledge", now)
    _resolve(state, "investigate", now, DeadlineStatus.CANCELLED)
    previous = state.lead_unit
    state.lead_unit = to_unit
    state.co_units = [u for u in state.co_units if u != to_unit]
    if to_unit != state.intake.policy.routing.co_handler and state.intake.policy.routing.co_handler not in state.co_units:
        state.co_units.append(state.intake.policy.routing.co_handler)
    if to_unit not in state.units_held:
        state.units_held.append(to_unit)
    _move(state, Stage.REFERRED)
    state.referred_at = now
    state.accepted_at = None
    _open_clock(state, "acknowledge", to_unit, now, times["acknowledge"])
    if disputed:
        summary = f"{previous} 对转办提出异议（{reason}），报领导小组办公室协调确定承办单位"
        kind = "referral_disputed"
    else:
        summary = f"由 {previous} 转送 {to_unit}：{reason}"
        kind = "transferred"
    _event(state, now, kind, actor.username, summary, from_unit=previous, to_unit=to_unit, reason=reason)
    return [_doc(state, "referral", to_unit=to_unit, from_unit=previous, reason=reason)]


def _apply_findings(state, params, actor, now, times):
    state.substantiated = params["substantiated"]
    state.findings_at = now
    state.findings_text = (params.get("facts") or "").strip()
    if state.substantiated:
        state.liable_party = Party(params["liable_party"])
        state.amount_owed = Decimal(str(params["amount_owed"]))
        summary = (f"调查认定投诉属实：{PARTY_LABELS[state.liable_party]}应支付 "
                   f"{state.amount_owed} 元")
    else:
        state.liable_party = None
        state.amount_owed = Decimal("0")
        summary = "调查认定投诉事项不成立"
    _event(state, now, "findings", actor.username, summary, substantiated=state.substantiated,
           liable_party=state.liable_party.value if state.liable_party else None,
           amount_owed=str(state.amount_owed))
    return []


def _apply_extend(state, params, actor, now, times):
    clock = state.open_deadline("investigate")
    days = params["working_days"]
    clock.due_at = times["investigate"].due_at
    clock.escalate_at = list(times["investigate"].escalate_at)
    clock.extended_working_days += days
    if clock.status is DeadlineStatus.MISSED:
        clock.status = DeadlineStatus.OPEN
        clock.level = 0
    _event(state, now, "investigation_extended", actor.username,
           f"经单位负责人批准延长调查期限{days}个工作日：{params['reason'].strip()}", working_days=days)
    return []


def _apply_order(state, params, actor, now, times):
    amount = Decimal(str(params["amount"])) if params.get("amount") is not None else state.outstanding
    due = instant(params, "due_at") or times["order_payment"].due_at
    _resolve(state, "investigate", now)
    _move(state, Stage.PAYMENT_ORDERED)
    state.order_amount = amount
    state.order_served_at = now
    state.payment_due_at = due
    escalate = times["order_payment"].escalate_at if "order_payment" in times else []
    _open_clock(state, "order_payment", state.lead_unit, now, ClockTimes(due, escalate))
    _event(state, now, "payment_ordered", actor.username,
           f"送达限期改正指令书：责令{PARTY_LABELS[state.liable_party]}于期限内支付 {amount} 元",
           amount=str(amount), due_at=due.isoformat())
    return [_doc(state, "order_to_pay", amount=str(amount))]


def _apply_payment(state, params, actor, now, times):
    amount = Decimal(str(params["amount"]))
    payer = Party(params["payer"])
    state.payments.append(Payment(len(state.payments) + 1, now, amount, payer, actor.username,
                                  params.get("reference") or None))
    state.amount_recovered += amount
    _event(state, now, "payment_recorded", actor.username,
           f"{PARTY_LABELS[payer]}支付 {amount} 元，累计追回 {state.amount_recovered} 元",
           amount=str(amount), payer=payer.value)
    if state.outstanding == 0:
        return _close(state, "paid_in_full", actor, now)
    return []


def _apply_close(state, params, actor, now, times):
    return _close(state, params["outcome"].strip(), actor, now)


def _close(state: CaseState, outcome: str, actor: Actor, now: datetime) -> list[DocumentRequest]:
    for clock in state.deadlines:
        if clock.resolved_at is None:
            clock.resolved_at = now
            if clock.status is DeadlineStatus.OPEN:
                clock.status = DeadlineStatus.MET if outcome == "paid_in_full" else DeadlineStatus.CANCELLED
    _move(state, Stage.CLOSED)
    state.outcome = outcome
    state.closed_at = now
    _event(state, now, "closed", actor.username, f"结案：{OUTCOME_LABELS.get(outcome, outcome)}", outcome=outcome)
    return [_doc(state, "result_notice", outcome=outcome)]


def _apply_note(state, params, actor, now, times):
    _event(state, now, "note", actor.username, params["text"].strip())
    return []


_APPLY = {
    "accept": _apply_accept,
    "transfer": _apply_transfer,
    "findings": _apply_findings,
    "extend_investigation": _apply_extend,
    "order_payment": _apply_order,
    "record_payment": _apply_payment,
    "close": _apply_close,
    "note": _apply_note,
}


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
    return min(instants) if instants else None


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


def on_time(state: CaseState, now: datetime) -> list[DocumentRequest]:
    """Mark the clocks that have passed and escalate them; return the escalation notices to issue."""
    docs = []
    levels = escalation_levels(state)
    for clock in state.deadlines:
        if clock.resolved_at is not None:
            continue
        label = DEADLINE_LABELS.get(clock.kind, clock.kind)
        if clock.status is DeadlineStatus.OPEN and clock.due_at <= now:
            clock.status = DeadlineStatus.MISSED
            _event(state, clock.due_at, "deadline_missed", "system",
                   f"{label}期限已届满（{clock.unit}）", deadline=clock.kind)
        while clock.status is DeadlineStatus.MISSED and clock.level < len(levels):
            at = clock.due_at if clock.level == 0 else _next_level_at(state, clock)
            if at is None or at > now:
                break
            level = levels[clock.level]
            clock.level += 1
            reason = f"{label}逾期未办（期限 {clock.due_at.isoformat()}，依据：{clock.basis}）"
            state.escalations.append(Escalation(len(state.escalations) + 1, at, level, reason, clock.kind, clock.unit))
            _event(state, at, "escalated", "system", f"逾期督办，升级至{LEVEL_LABELS.get(level, level)}：{reason}",
                   level=level, deadline=clock.kind)
            docs.append(_doc(state, "escalation", level=level, deadline_seq=clock.seq))
    if docs:
        state.version += 1
    return docs
