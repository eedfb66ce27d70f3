"""The case lifecycle as pure rules: which action is allowed when and by whom, and what it changes.

The workflow calls these in three steps for every action: `check` (the update validator), then
`clocks_for` (which statutory clocks the action opens, computed by an activity), then `apply`.
Timers call `on_time`. Nothing here does I/O or reads a clock: `now` is always passed in.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from domain.calendar import CHINA_TZ
from domain.enforcement import assess_crime, blacklist_criteria
from domain.errors import Forbidden, InvalidInput, NotAllowedNow
from domain.model import (
    LIABLE_PARTIES,
    SYSTEM,
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
    "police_reconsider": "提请复议",
    "police_reconsider_answer": "公安复议决定",
    "procuratorate_supervision": "建议立案监督",
    "court_reminder": "催告履行",
    "court_accept": "法院受理",
    "court_rule": "法院执行裁定",
    "blacklist_notice": "失信名单陈述申辩",
    "blacklist_decision": "失信名单列入决定",
    "arbitration_accept": "仲裁受理",
    "arbitration_award": "仲裁裁决",
    "payment_order_objection": "支付令异议期",
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
INVOLVED = "involved"  # the actor's unit leads, co-handles or received a referral
ANY = "any"
POLICE = "police"  # the actor is of the case's police unit, and the case was referred to it
COURT = "court"  # the same for the court
SYSTEM_ONLY = ("system",)  # steps the workflow takes by itself when a clock runs out


@dataclass(frozen=True)
class ActionSpec:
    stages: frozenset[Stage]
    roles: tuple[str, ...]
    scope: str = LEAD
    office_roles: tuple[str, ...] = ("supervisor",)  # may act on any case, whatever its unit


OPEN_STAGES = frozenset(s for s in Stage if s is not Stage.CLOSED)
ENFORCEMENT = frozenset({Stage.PAYMENT_ORDERED, Stage.DEPOSIT_DRAWDOWN, Stage.POLICE_REFERRED, Stage.COURT_ENFORCEMENT})
AFTER_ORDER = ENFORCEMENT - {Stage.PAYMENT_ORDERED}

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
    # the enforcement ladder
    "enforce": ActionSpec(frozenset({Stage.PAYMENT_ORDERED}), SYSTEM_ONLY, office_roles=()),
    "report_absconded": ActionSpec(frozenset({Stage.INVESTIGATING}), CASE_WORKERS),
    "approve_police_referral": ActionSpec(frozenset({Stage.POLICE_REFERRED}), ("unit_head",), office_roles=()),
    "reject_police_referral": ActionSpec(frozenset({Stage.POLICE_REFERRED}), ("unit_head",), office_roles=()),
    "transfer_to_police": ActionSpec(frozenset({Stage.POLICE_REFERRED}), CASE_WORKERS),
    "police_decision": ActionSpec(frozenset({Stage.POLICE_REFERRED}), ("liaison",), scope=POLICE, office_roles=()),
    "request_reconsideration": ActionSpec(frozenset({Stage.POLICE_REFERRED}), CASE_WORKERS),
    "request_supervision": ActionSpec(frozenset({Stage.POLICE_REFERRED}), CASE_WORKERS),
    "serve_court_reminder": ActionSpec(frozenset({Stage.POLICE_REFERRED}), CASE_WORKERS),
    "court_application": ActionSpec(frozenset({Stage.COURT_ENFORCEMENT}), CASE_WORKERS),
    "court_accepted": ActionSpec(frozenset({Stage.COURT_ENFORCEMENT}), ("liaison",), scope=COURT, office_roles=()),
    "court_ruling": ActionSpec(frozenset({Stage.COURT_ENFORCEMENT}), ("liaison",), scope=COURT, office_roles=()),
    "court_outcome": ActionSpec(frozenset({Stage.COURT_ENFORCEMENT}), ("liaison",), scope=COURT, office_roles=()),
    "confirm_deposit_payout": ActionSpec(AFTER_ORDER, CASE_WORKERS, scope=INVOLVED),
    "deposit_replenished": ActionSpec(AFTER_ORDER, CASE_WORKERS, scope=INVOLVED),
    # major cases (领导包案) and the emergency revolving fund (应急周转金)
    "assign_leader": ActionSpec(OPEN_STAGES - {Stage.INTAKE}, ()),
    "major_dispatch": ActionSpec(OPEN_STAGES, SYSTEM_ONLY, office_roles=()),
    "advance_emergency_fund": ActionSpec(ENFORCEMENT | {Stage.INVESTIGATING}, CASE_WORKERS),
    "recover_emergency_fund": ActionSpec(ENFORCEMENT | {Stage.INVESTIGATING}, CASE_WORKERS),
    # the dishonest-employer list (人社部令45号); labour inspection (a co-handler) may act too
    "propose_blacklist": ActionSpec(ENFORCEMENT, CASE_WORKERS, scope=INVOLVED),
    "blacklist_objection": ActionSpec(ENFORCEMENT, CASE_WORKERS, scope=INVOLVED),
    "blacklist_decision": ActionSpec(ENFORCEMENT, ("unit_head",), scope=INVOLVED),
    # the workers' own routes, alongside the administrative case (labour inspection co-handles)
    "worker_route": ActionSpec(OPEN_STAGES - {Stage.INTAKE}, CASE_WORKERS, scope=INVOLVED),
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
    provisional: bool = False  # computed on a year without the official schedule


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
    if actor.unit in state.liaison_units:
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
    if spec.roles == SYSTEM_ONLY:
        if actor.role != SYSTEM.role:
            raise Forbidden(f"'{action}' is a step the case takes by itself when its clock runs out")
        return
    if actor.role == "admin" or actor.role == "system":
        return
    if actor.role in spec.office_roles:
        return
    if actor.role not in spec.roles:
        raise Forbidden(f"role '{actor.role}' may not {action}; needs one of: {', '.join(spec.roles) or 'supervisor'}")
    if spec.scope in (POLICE, COURT):
        policy = state.intake.policy
        unit = policy.police_unit if spec.scope == POLICE else policy.court_unit
        if actor.unit != unit:
            raise Forbidden(f"only the liaison of unit '{unit}' may {action}")
        if unit not in state.liaison_units:
            raise Forbidden(f"the case has not been referred to '{unit}'")
        return
    involved = actor.unit == state.lead_unit or (
        spec.scope == INVOLVED and (actor.unit in state.co_units or actor.unit in state.liaison_units))
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
    _months(params)


def _months(params: dict) -> int | None:
    value = params.get("months_unpaid")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 600:
        raise InvalidInput("months_unpaid must be a whole number of months from 1 to 600", field="months_unpaid")
    return value


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


# -- enforcement ladder ------------------------------------------------------------------------------


def _check_enforce(state: CaseState, params: dict, now: datetime) -> None:
    if state.outstanding <= 0:
        raise NotAllowedNow("nothing is owed: the ladder stops")
    drawn = Decimal(str(params.get("drawn") or "0"))
    if drawn < 0 or drawn > state.outstanding:
        raise InvalidInput(f"a drawdown of {drawn} does not fit the {state.outstanding} owed", field="drawn")


def _check_absconded(state: CaseState, params: dict, now: datetime) -> None:
    _text(params, "reason")
    months = _months(params) or state.months_unpaid
    crime = assess_crime(workers=state.intake.workers, outstanding=state.outstanding, months_unpaid=months,
                         threshold=state.intake.policy.crime)
    if not crime.met:
        raise NotAllowedNow(f"the amount does not reach the crime threshold ({crime.reason}); serve an order to pay "
                            "instead (it may be posted at the premises, 法释〔2013〕3号 art. 4)")


def _needs_clock(state: CaseState, kind: str, what: str) -> None:
    if state.open_deadline(kind) is None:
        raise NotAllowedNow(f"{what} is not awaited now (no open '{kind}' clock)")


def _check_police_approval(state: CaseState, params: dict, now: datetime) -> None:
    _needs_clock(state, "police_approval", "an approval of the police referral")


def _check_police_rejection(state: CaseState, params: dict, now: datetime) -> None:
    _needs_clock(state, "police_approval", "a decision on the police referral")
    _text(params, "reason")


def _check_transfer_to_police(state: CaseState, params: dict, now: datetime) -> None:
    _needs_clock(state, "police_transfer", "the transfer to the police")


def _check_police_decision(state: CaseState, params: dict, now: datetime) -> None:
    filed = params.get("filed")
    if not isinstance(filed, bool):
        raise InvalidInput("filed must be true or false", field="filed")
    _text(params, "reason", required=not filed)
    if state.police_filed is True:
        raise NotAllowedNow("the police have already filed the case (立案)")
    awaited = state.open_deadline("police_review") or state.open_deadline("police_reconsider_answer")
    supervised = state.intake.policy.procuratorate_unit in state.liaison_units
    if awaited is None and not supervised:
        raise NotAllowedNow("no police decision is awaited now: the case has not been transferred, or a refusal "
                            "awaits reconsideration")


def _check_reconsideration(state: CaseState, params: dict, now: datetime) -> None:
    _needs_clock(state, "police_reconsider", "a request for reconsideration")


def _check_supervision(state: CaseState, params: dict, now: datetime) -> None:
    if state.open_deadline("police_reconsider") is None and state.open_deadline("procuratorate_supervision") is None:
        raise NotAllowedNow("supervision by the procuratorate can be asked after the police refused to file")


def _check_court_reminder(state: CaseState, params: dict, now: datetime) -> None:
    if state.police_filed is not False:
        raise NotAllowedNow("court enforcement follows here only after the police refused to file the case")


def _check_court_application(state: CaseState, params: dict, now: datetime) -> None:
    if state.court_filed_at is not None:
        raise NotAllowedNow("the application to the court has already been made")
    reminder = state.open_deadline("court_reminder")
    if reminder is not None and reminder.due_at > now:
        raise NotAllowedNow(f"the reminder period (催告) runs until {reminder.due_at.isoformat()}; the court may be "
                            "asked after it (行政强制法 art. 54)")


def _check_court_accepted(state: CaseState, params: dict, now: datetime) -> None:
    _needs_clock(state, "court_accept", "the court's acceptance")


def _check_court_ruling(state: CaseState, params: dict, now: datetime) -> None:
    if not isinstance(params.get("granted"), bool):
        raise InvalidInput("granted must be true or false", field="granted")
    _text(params, "reason", required=False)
    _needs_clock(state, "court_rule", "the court's ruling")


def _check_court_outcome(state: CaseState, params: dict, now: datetime) -> None:
    if state.court_filed_at is None:
        raise NotAllowedNow("the court has no application for this case yet")
    amount = _money(params, "amount_enforced")
    if amount > state.outstanding:
        raise InvalidInput(f"amount_enforced {amount} exceeds the {state.outstanding} still owed",
                           field="amount_enforced")


def _check_deposit_payout(state: CaseState, params: dict, now: datetime) -> None:
    _needs_clock(state, "deposit_payout", "a payout from the deposit")
    _text(params, "reference", required=False, max_len=100)


def _check_replenished(state: CaseState, params: dict, now: datetime) -> None:
    _needs_clock(state, "deposit_replenish", "a replenishment of the deposit")
    _text(params, "reference", required=False, max_len=100)


# -- major cases and the emergency fund ------------------------------------------------------------


def _check_assign_leader(state: CaseState, params: dict, now: datetime) -> None:
    _text(params, "leader", max_len=100)


def _check_dispatch(state: CaseState, params: dict, now: datetime) -> None:
    if state.leader is None or state.next_dispatch_at is None or state.next_dispatch_at > now:
        raise NotAllowedNow("no dispatch is due")


def _check_advance(state: CaseState, params: dict, now: datetime) -> None:
    amount = _money(params, "amount")
    purpose = params.get("purpose")
    if purpose not in ("wages", "living"):
        raise InvalidInput("purpose must be wages or living", field="purpose")
    if state.stage is Stage.INVESTIGATING and state.substantiated is not True:
        raise NotAllowedNow("the emergency fund advances wages once substantiated findings name the amount owed")
    if purpose == "wages" and amount > state.outstanding:
        raise InvalidInput(f"amount {amount} exceeds the {state.outstanding} of wages still owed", field="amount")


def _check_recover(state: CaseState, params: dict, now: datetime) -> None:
    amount = _money(params, "amount")
    if amount > state.emergency_outstanding:
        raise InvalidInput(f"amount {amount} exceeds the {state.emergency_outstanding} the fund has to get back",
                           field="amount")


# -- blacklist (人社部令45号) ---------------------------------------------------------------------------


def blacklist_grounds(state: CaseState) -> str | None:
    """Why the employer may be listed (人社部令45号 art. 5), or None."""
    if state.unpaid_at_deadline is None:
        return None
    crime = _crime(state, state.unpaid_at_deadline)
    return blacklist_criteria(order_missed=True, crime=crime, group_incident=state.intake.group_incident)


def _check_propose_blacklist(state: CaseState, params: dict, now: datetime) -> None:
    if state.blacklist in ("proposed", "listed"):
        raise NotAllowedNow(f"the employer is already {state.blacklist} for the list")
    if state.unpaid_at_deadline is None:
        raise NotAllowedNow("listing needs an order to pay whose deadline passed unpaid (人社部令45号 art. 5)")
    if blacklist_grounds(state) is None:
        raise NotAllowedNow("what was unpaid at the deadline is below the crime threshold and there was no group "
                            "incident: the employer cannot be listed (人社部令45号 art. 5)")


def _check_objection(state: CaseState, params: dict, now: datetime) -> None:
    _text(params, "text", max_len=5000)
    if state.blacklist != "proposed":
        raise NotAllowedNow("there is no listing proposal to object to")


def _check_blacklist_decision(state: CaseState, params: dict, now: datetime) -> None:
    if not isinstance(params.get("listed"), bool):
        raise InvalidInput("listed must be true or false", field="listed")
    _text(params, "reason", required=not params.get("listed"))
    if state.blacklist != "proposed":
        raise NotAllowedNow("there is no listing proposal to decide")
    notice = state.open_deadline("blacklist_notice")
    if notice is not None and notice.due_at > now:
        raise NotAllowedNow(f"the employer may object until {notice.due_at.isoformat()} (人社部令45号 art. 6); "
                            "decide after that")


# The workers' own routes (DOMAIN.md step 7) and the events recorded on each, in order.
WORKER_ROUTES = {
    "arbitration": ("applied", "accepted", "rejected", "awarded"),  # 劳动人事争议仲裁 green channel
    "payment_order": ("applied", "served", "objected", "effective"),  # 支付令
    "legal_aid": ("requested", "granted"),  # 法律援助 (司法局)
}
# The clock an event opens, and the clock it ends (the rule's name is the clock's kind).
ROUTE_OPENS = {("arbitration", "applied"): "arbitration_accept", ("arbitration", "accepted"): "arbitration_award",
               ("payment_order", "served"): "payment_order_objection"}
ROUTE_ENDS = {("arbitration", "accepted"): "arbitration_accept", ("arbitration", "rejected"): "arbitration_accept",
              ("arbitration", "awarded"): "arbitration_award",
              ("payment_order", "objected"): "payment_order_objection",
              ("payment_order", "effective"): "payment_order_objection"}
ROUTE_LABELS = {
    ("arbitration", "applied"): "农民工申请劳动仲裁（绿色通道）", ("arbitration", "accepted"): "仲裁委员会受理仲裁申请",
    ("arbitration", "rejected"): "仲裁委员会不予受理", ("arbitration", "awarded"): "作出仲裁裁决",
    ("payment_order", "applied"): "农民工向人民法院申请支付令", ("payment_order", "served"): "支付令已送达债务人",
    ("payment_order", "objected"): "债务人提出书面异议，支付令失效", ("payment_order", "effective"): "支付令生效，可申请强制执行",
    ("legal_aid", "requested"): "农民工申请法律援助", ("legal_aid", "granted"): "司法局指派法律援助",
}


def _check_worker_route(state: CaseState, params: dict, now: datetime) -> None:
    route, event = params.get("route"), params.get("event")
    if route not in WORKER_ROUTES:
        raise InvalidInput("route must be one of: " + ", ".join(WORKER_ROUTES), field="route")
    if event not in WORKER_ROUTES[route]:
        raise InvalidInput(f"event of {route} must be one of: " + ", ".join(WORKER_ROUTES[route]), field="event")
    ends = ROUTE_ENDS.get((route, event))
    if ends is not None and state.open_deadline(ends) is None:
        raise NotAllowedNow(f"'{event}' needs the {DEADLINE_LABELS[ends]} clock to be running; record the step "
                            "before it first")
    opens = ROUTE_OPENS.get((route, event))
    if opens is not None and state.open_deadline(opens) is not None:
        raise NotAllowedNow(f"the {DEADLINE_LABELS[opens]} clock is already running")


_CHECKS = {
    "accept": _check_accept,
    "transfer": _check_transfer,
    "findings": _check_findings,
    "extend_investigation": _check_extend,
    "order_payment": _check_order,
    "record_payment": _check_payment,
    "close": _check_close,
    "note": _check_note,
    "enforce": _check_enforce,
    "report_absconded": _check_absconded,
    "approve_police_referral": _check_police_approval,
    "reject_police_referral": _check_police_rejection,
    "transfer_to_police": _check_transfer_to_police,
    "police_decision": _check_police_decision,
    "request_reconsideration": _check_reconsideration,
    "request_supervision": _check_supervision,
    "serve_court_reminder": _check_court_reminder,
    "court_application": _check_court_application,
    "court_accepted": _check_court_accepted,
    "court_ruling": _check_court_ruling,
    "court_outcome": _check_court_outcome,
    "confirm_deposit_payout": _check_deposit_payout,
    "deposit_replenished": _check_replenished,
    "assign_leader": _check_assign_leader,
    "major_dispatch": _check_dispatch,
    "advance_emergency_fund": _check_advance,
    "recover_emergency_fund": _check_recover,
    "propose_blacklist": _check_propose_blacklist,
    "blacklist_objection": _check_objection,
    "blacklist_decision": _check_blacklist_decision,
    "worker_route": _check_worker_route,
}


def pending_actions(state: CaseState) -> list[str]:
    """The actions that make sense for the case now (for any authorised actor)."""
    out = []
    for name, spec in ACTIONS.items():
        if state.stage not in spec.stages or spec.roles == SYSTEM_ONLY:
            continue
        awaited = _AWAITS.get(name)
        if awaited is not None and not awaited(state):
            continue
        out.append(name)
    return out


def _extension_left(state: CaseState) -> bool:
    clock = state.open_deadline("investigate")
    allowed = state.intake.policy.deadlines["investigate"].extension_working_days or 0
    return clock is not None and clock.extended_working_days < allowed


def _clock(kind: str):
    return lambda state: state.open_deadline(kind) is not None


def _police_decision_awaited(state: CaseState) -> bool:
    if state.police_filed is True:
        return False
    return bool(state.open_deadline("police_review") or state.open_deadline("police_reconsider_answer")
                or state.intake.policy.procuratorate_unit in state.liaison_units)


def _court_application_awaited(state: CaseState) -> bool:
    reminder = state.open_deadline("court_reminder")
    return state.court_filed_at is None and (reminder is None or reminder.status is DeadlineStatus.MISSED)


# When an action makes sense beyond its stage (an action absent here is offered in all its stages).
_AWAITS = {
    "extend_investigation": _extension_left,
    "order_payment": lambda s: s.substantiated is True,
    "record_payment": lambda s: s.outstanding > 0 and (s.stage is not Stage.INVESTIGATING or s.substantiated is True),
    "approve_police_referral": _clock("police_approval"),
    "reject_police_referral": _clock("police_approval"),
    "transfer_to_police": _clock("police_transfer"),
    "police_decision": _police_decision_awaited,
    "request_reconsideration": _clock("police_reconsider"),
    "request_supervision": lambda s: bool(s.open_deadline("police_reconsider")
                                          or s.open_deadline("procuratorate_supervision")),
    "serve_court_reminder": lambda s: s.police_filed is False,
    "court_application": _court_application_awaited,
    "court_accepted": _clock("court_accept"),
    "court_ruling": _clock("court_rule"),
    "court_outcome": lambda s: s.court_filed_at is not None and s.outstanding > 0,
    "confirm_deposit_payout": _clock("deposit_payout"),
    "deposit_replenished": _clock("deposit_replenish"),
    "assign_leader": lambda s: s.major and s.leader is None,
    "propose_blacklist": lambda s: s.blacklist not in ("proposed", "listed") and blacklist_grounds(s) is not None,
    "blacklist_objection": lambda s: s.blacklist == "proposed",
    "blacklist_decision": lambda s: s.blacklist == "proposed" and s.open_deadline("blacklist_notice") is None,
    "advance_emergency_fund": lambda s: s.outstanding > 0 and (s.substantiated is True or s.absconded),
    "recover_emergency_fund": lambda s: s.emergency_outstanding > 0,
}


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
                     escalate_at=list(times.escalate_at), provisional=times.provisional)
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
    if action == "enforce":
        drawn = Decimal(str(params.get("drawn") or "0"))
        out = []
        if drawn > 0:
            out += [ClockRequest("deposit_payout", "deposit_payout", now),
                    ClockRequest("deposit_replenish", "deposit_replenish", now)]
        remaining = state.outstanding - drawn
        if remaining > 0:
            rule = "police_approval" if _crime(state, remaining).met else "court_reminder"
            out.append(ClockRequest(rule, rule, now))
        return out
    if action == "police_decision" and params.get("filed") is False:
        if state.open_deadline("police_review") is not None:
            return [ClockRequest("police_reconsider", "police_reconsider", now)]
        if state.open_deadline("police_reconsider_answer") is not None:
            return [ClockRequest("procuratorate_supervision", "procuratorate_supervision", now)]
        return []
    if action == "propose_blacklist":
        return [ClockRequest("blacklist_notice", "blacklist_notice", now),
                ClockRequest("blacklist_decision", "blacklist_decision", now)]
    if action == "worker_route":
        rule = ROUTE_OPENS.get((params.get("route"), params.get("event")))
        return [ClockRequest(rule, rule, now)] if rule else []
    rule = _OPENS.get(action)
    return [ClockRequest(rule, rule, now)] if rule else []


# The clock each of these actions opens, counted from the action (the rule's name is the clock's kind).
_OPENS = {
    "report_absconded": "police_approval",
    "approve_police_referral": "police_transfer",
    "reject_police_referral": "court_reminder",
    "transfer_to_police": "police_review",
    "request_reconsideration": "police_reconsider_answer",
    "serve_court_reminder": "court_reminder",
    "court_application": "court_accept",
    "court_accepted": "court_rule",
    "assign_leader": "major_case_dispatch",
    "major_dispatch": "major_case_dispatch",
}


def _day(at: datetime) -> str:
    local = at.astimezone(CHINA_TZ)
    return f"{local.year}年{local.month}月{local.day}日"


def _crime(state: CaseState, outstanding: Decimal):
    return assess_crime(workers=state.intake.workers, outstanding=outstanding, months_unpaid=state.months_unpaid,
                        threshold=state.intake.policy.crime)


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
    state.months_unpaid = params.get("months_unpaid")
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
    clock.provisional = clock.provisional or times["investigate"].provisional
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
    computed = "order_payment" in times and instant(params, "due_at") is None
    _open_clock(state, "order_payment", state.lead_unit, now,
                ClockTimes(due, escalate, computed and times["order_payment"].provisional))
    _event(state, now, "payment_ordered", actor.username,
           f"送达限期改正指令书：责令{PARTY_LABELS[state.liable_party]}于期限内支付 {amount} 元",
           amount=str(amount), due_at=due.isoformat())
    return [_doc(state, "order_to_pay", amount=str(amount))]


def _apply_payment(state, params, actor, now, times):
    _pay(state, now, Decimal(str(params["amount"])), Party(params["payer"]), actor.username, params.get("reference"))
    return _maybe_close(state, actor, now)


def _pay(state: CaseState, now: datetime, amount: Decimal, payer: Party, who: str, reference: str | None) -> None:
    state.payments.append(Payment(len(state.payments) + 1, now, amount, payer, who, reference or None))
    state.amount_recovered += amount
    _event(state, now, "payment_recorded", who,
           f"{PARTY_LABELS[payer]}支付 {amount} 元，累计追回 {state.amount_recovered} 元",
           amount=str(amount), payer=payer.value)


def _maybe_close(state: CaseState, actor: Actor, now: datetime) -> list[DocumentRequest]:
    """Close the case paid in full once the workers are paid, the deposit is restored and the fund repaid."""
    if state.outstanding > 0 or state.stage is Stage.CLOSED:
        return []
    waiting = [DEADLINE_LABELS[k] for k in ("deposit_payout", "deposit_replenish") if state.open_deadline(k)]
    if state.emergency_outstanding > 0:
        waiting.append(f"追回应急周转金 {state.emergency_outstanding} 元")
    if waiting:
        _event(state, now, "paid_pending", "system", f"欠薪已全额清偿，待{'、'.join(waiting)}后结案")
        return []
    return _close(state, "paid_in_full", actor, now)


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
    state.next_dispatch_at = None
    _event(state, now, "closed", actor.username, f"结案：{OUTCOME_LABELS.get(outcome, outcome)}", outcome=outcome)
    return [_doc(state, "result_notice", outcome=outcome)]


def _apply_note(state, params, actor, now, times):
    _event(state, now, "note", actor.username, params["text"].strip())
    return []


# -- enforcement ladder ------------------------------------------------------------------------------


def _apply_enforce(state, params, actor, now, times):
    """The order's deadline passed unpaid: draw the deposit, then police or court for what remains."""
    drawn = Decimal(str(params.get("drawn") or "0"))
    docs = []
    state.unpaid_at_deadline = state.outstanding
    _event(state, now, "order_unpaid", "system", f"限期支付期限届满，仍有 {state.outstanding} 元未支付，自动启动强制清欠程序")
    if drawn > 0:
        bank = params.get("bank") or "工资保证金存储银行"
        _move(state, Stage.DEPOSIT_DRAWDOWN)
        state.deposit_drawn += drawn
        state.deposit_bank = bank
        state.deposit_drawn_at = now
        _pay(state, now, drawn, Party.DEPOSIT, "system", params.get("reference"))
        payout = _open_clock(state, "deposit_payout", state.lead_unit, now, times["deposit_payout"])
        _open_clock(state, "deposit_replenish", state.lead_unit, now, times["deposit_replenish"])
        _event(state, now, "deposit_drawn", "system",
               f"动用工资保证金 {drawn} 元，向{bank}发出支付通知书，银行应于{_day(payout.due_at)}前支付；"
               "施工总承包单位应按期补足保证金", amount=str(drawn), bank=bank)
        docs.append(_doc(state, "deposit_payout", amount=str(drawn), bank=bank))
    elif state.intake.project is not None:
        _event(state, now, "deposit_empty", "system", "该项目未存储工资保证金或余额为零，无法动用")
    if state.outstanding == 0:
        return docs + _maybe_close(state, actor, now)
    return docs + _unpaid_next(state, now, times)


def _unpaid_next(state: CaseState, now: datetime, times: dict[str, ClockTimes]) -> list[DocumentRequest]:
    """What remains unpaid goes to the police where it is a crime (法释〔2013〕3号), else to the court."""
    crime = _crime(state, state.outstanding)
    if crime.met:
        _propose_police(state, now, times, crime.reason)
        return []
    _event(state, now, "below_crime_threshold", "system", crime.reason)
    return _court_reminder(state, now, times)


def _propose_police(state: CaseState, now: datetime, times: dict[str, ClockTimes], reason: str) -> None:
    _move(state, Stage.POLICE_REFERRED)
    state.police_proposed_at = now
    _open_clock(state, "police_approval", state.lead_unit, now, times["police_approval"])
    _event(state, now, "police_proposed", "system",
           f"涉嫌拒不支付劳动报酬罪，拟移送公安机关，报单位负责人审批：{reason}", reason=reason)


def _court_reminder(state: CaseState, now: datetime, times: dict[str, ClockTimes]) -> list[DocumentRequest]:
    _move(state, Stage.COURT_ENFORCEMENT)
    state.court_reminded_at = now
    clock = _open_clock(state, "court_reminder", state.lead_unit, now, times["court_reminder"])
    _event(state, now, "court_reminder", "system",
           f"向{PARTY_LABELS.get(state.liable_party, '用人单位')}送达催告书，催告于{_day(clock.due_at)}前"
           f"履行支付 {state.outstanding} 元；逾期未履行的，申请人民法院强制执行")
    return [_doc(state, "court_reminder", amount=str(state.outstanding))]


def _apply_absconded(state, params, actor, now, times):
    reason = params["reason"].strip()
    state.absconded = True
    state.unpaid_at_deadline = state.outstanding  # 法释〔2013〕3号 art. 4: absconding counts as not paying
    if params.get("months_unpaid") is not None:
        state.months_unpaid = params["months_unpaid"]
    _resolve(state, "investigate", now)
    _event(state, now, "absconded", actor.username, f"用人单位欠薪逃匿：{reason}", reason=reason)
    _propose_police(state, now, times, _crime(state, state.outstanding).reason)
    return []


def _apply_police_approval(state, params, actor, now, times):
    _resolve(state, "police_approval", now)
    state.police_approved_at = now
    police = state.intake.policy.police_unit
    if police not in state.liaison_units:
        state.liaison_units.append(police)
    _open_clock(state, "police_transfer", state.lead_unit, now, times["police_transfer"])
    _event(state, now, "police_approved", actor.username, "单位负责人批准移送公安机关，应于24小时内移送")
    return [_doc(state, "police_transfer", amount=str(state.outstanding), to_unit=police)]


def _apply_police_rejection(state, params, actor, now, times):
    reason = params["reason"].strip()
    _resolve(state, "police_approval", now)
    _event(state, now, "police_rejected", actor.username, f"单位负责人不批准移送公安机关：{reason}", reason=reason)
    return _court_reminder(state, now, times)


def _apply_transfer_to_police(state, params, actor, now, times):
    _resolve(state, "police_transfer", now)
    state.police_referred_at = now
    police = state.intake.policy.police_unit
    _open_clock(state, "police_review", police, now, times["police_review"])
    _event(state, now, "police_transferred", actor.username, "涉嫌犯罪案件移送书及有关材料已移送公安机关，公安机关应于3日内决定是否立案")
    return []


def _apply_police_decision(state, params, actor, now, times):
    reason = (params.get("reason") or "").strip()
    reconsidered = state.open_deadline("police_reconsider_answer") is not None
    _resolve(state, "police_review", now)
    _resolve(state, "police_reconsider_answer", now)
    state.police_decided_at = now
    state.police_filed = params["filed"]
    if state.police_filed:
        _event(state, now, "police_filed", actor.username, "公安机关决定立案侦查" + (f"：{reason}" if reason else ""))
        return []
    state.police_refusals += 1
    if "police_reconsider" in times:
        _open_clock(state, "police_reconsider", state.lead_unit, now, times["police_reconsider"])
        follow = "移送机关可于3日内提请复议，或建议人民检察院立案监督"
    elif "procuratorate_supervision" in times:
        _open_clock(state, "procuratorate_supervision", state.lead_unit, now, times["procuratorate_supervision"])
        follow = "移送机关可于3日内建议人民检察院立案监督"
    else:
        follow = "可申请人民法院强制执行"
    kind = "复议决定维持不予立案" if reconsidered else "决定不予立案"
    _event(state, now, "police_refused", actor.username, f"公安机关{kind}：{reason}；{follow}", reason=reason)
    return []


def _apply_reconsideration(state, params, actor, now, times):
    _resolve(state, "police_reconsider", now)
    _open_clock(state, "police_reconsider_answer", state.intake.policy.police_unit, now,
                times["police_reconsider_answer"])
    _event(state, now, "police_reconsideration", actor.username, "提请公安机关复议不予立案决定，公安机关应于3日内作出复议决定")
    return []


def _apply_supervision(state, params, actor, now, times):
    _resolve(state, "police_reconsider", now, DeadlineStatus.CANCELLED)
    _resolve(state, "procuratorate_supervision", now)
    procuratorate = state.intake.policy.procuratorate_unit
    if procuratorate not in state.liaison_units:
        state.liaison_units.append(procuratorate)
    _event(state, now, "procuratorate_supervision", actor.username, "建议人民检察院对公安机关不予立案决定进行立案监督")
    return []


def _apply_serve_court_reminder(state, params, actor, now, times):
    for kind in ("police_reconsider", "procuratorate_supervision"):
        _resolve(state, kind, now, DeadlineStatus.CANCELLED)
    return _court_reminder(state, now, times)


def _apply_court_application(state, params, actor, now, times):
    _resolve(state, "court_reminder", now, DeadlineStatus.MISSED)  # the party did not comply
    state.court_filed_at = now
    court = state.intake.policy.court_unit
    if court not in state.liaison_units:
        state.liaison_units.append(court)
    _open_clock(state, "court_accept", court, now, times["court_accept"])
    _event(state, now, "court_applied", actor.username, f"催告期满仍未履行，申请人民法院强制执行 {state.outstanding} 元")
    return []


def _apply_court_accepted(state, params, actor, now, times):
    _resolve(state, "court_accept", now)
    _open_clock(state, "court_rule", state.intake.policy.court_unit, now, times["court_rule"])
    _event(state, now, "court_accepted", actor.username, "人民法院受理强制执行申请，应于7日内作出执行裁定")
    return []


def _apply_court_ruling(state, params, actor, now, times):
    _resolve(state, "court_rule", now)
    reason = (params.get("reason") or "").strip()
    text = "人民法院裁定准予强制执行" if params["granted"] else "人民法院裁定不予强制执行"
    _event(state, now, "court_ruling", actor.username, text + (f"：{reason}" if reason else ""),
           granted=params["granted"])
    return []


def _apply_court_outcome(state, params, actor, now, times):
    _resolve(state, "court_accept", now)
    _resolve(state, "court_rule", now)
    _pay(state, now, Decimal(str(params["amount_enforced"])), Party.COURT, actor.username, params.get("reference"))
    return _maybe_close(state, actor, now)


def _apply_deposit_payout(state, params, actor, now, times):
    _resolve(state, "deposit_payout", now)
    ref = (params.get("reference") or "").strip()
    _event(state, now, "deposit_paid_out", actor.username,
           f"{state.deposit_bank or '银行'}已从工资保证金中将 {state.deposit_drawn} 元支付至农民工工资账户"
           + (f"（凭证 {ref}）" if ref else ""))
    return _maybe_close(state, actor, now)


def _apply_replenished(state, params, actor, now, times):
    _resolve(state, "deposit_replenish", now)
    ref = (params.get("reference") or "").strip()
    _event(state, now, "deposit_replenished", actor.username,
           "施工总承包单位已补足工资保证金" + (f"（{ref}）" if ref else ""))
    return _maybe_close(state, actor, now)


# -- major cases and the emergency fund ------------------------------------------------------------


def _apply_assign_leader(state, params, actor, now, times):
    leader = params["leader"].strip()
    if not state.major:
        state.major = True
        _event(state, now, "major_case", actor.username, "经领导小组办公室认定为重大欠薪案件")
    previous = state.leader
    state.leader = leader
    state.next_dispatch_at = times["major_case_dispatch"].due_at
    text = f"包案领导由{previous}调整为{leader}" if previous else f"实行领导包案，包案领导：{leader}"
    _event(state, now, "leader_assigned", actor.username, text, leader=leader)
    return [_doc(state, "major_case_dispatch", leader=leader)]


def _apply_dispatch(state, params, actor, now, times):
    state.next_dispatch_at = times["major_case_dispatch"].due_at
    count = sum(1 for d in state.documents if d.kind == "major_case_dispatch") + 1
    _event(state, now, "major_dispatch", "system", f"向包案领导{state.leader}报送重大欠薪案件调度单（第{count}期）")
    return [_doc(state, "major_case_dispatch", leader=state.leader)]


def _apply_advance(state, params, actor, now, times):
    amount = Decimal(str(params["amount"]))
    if params["purpose"] == "wages":
        state.emergency_wages += amount
        # 保障农民工工资支付条例 art. 63: the fund advances wages, to be recovered from the party liable
        _pay(state, now, amount, Party.EMERGENCY_FUND, actor.username, params.get("reference"))
        _event(state, now, "emergency_advance", actor.username, f"应急周转金垫付农民工工资 {amount} 元，待向欠薪单位追回",
               amount=str(amount), purpose="wages")
        return _maybe_close(state, actor, now)
    state.emergency_living += amount
    _event(state, now, "emergency_advance", actor.username, f"应急周转金垫付农民工基本生活费 {amount} 元，待向欠薪单位追回",
           amount=str(amount), purpose="living")
    return []


def _apply_recover(state, params, actor, now, times):
    amount = Decimal(str(params["amount"]))
    state.emergency_recovered += amount
    _event(state, now, "emergency_recovered", actor.username,
           f"追回应急周转金 {amount} 元，尚待追回 {state.emergency_outstanding} 元", amount=str(amount))
    return _maybe_close(state, actor, now)


# -- blacklist (人社部令45号) ---------------------------------------------------------------------------


def _apply_propose_blacklist(state, params, actor, now, times):
    grounds = blacklist_grounds(state)
    state.blacklist = "proposed"
    state.blacklist_reason = grounds
    notice = _open_clock(state, "blacklist_notice", state.lead_unit, now, times["blacklist_notice"])
    _open_clock(state, "blacklist_decision", state.lead_unit, now, times["blacklist_decision"])
    _event(state, now, "blacklist_proposed", actor.username,
           f"拟将{state.intake.employer.name}列入拖欠农民工工资失信联合惩戒对象名单（{grounds}），已书面告知，"
           f"当事人可于{_day(notice.due_at)}前陈述申辩", reason=grounds)
    return [_doc(state, "blacklist_notice")]


def _apply_objection(state, params, actor, now, times):
    _event(state, now, "blacklist_objection", actor.username, f"当事人陈述申辩：{params['text'].strip()}")
    return []


def _add_years(at: datetime, years: int) -> datetime:
    try:
        return at.replace(year=at.year + years)
    except ValueError:  # 29 February
        return at.replace(year=at.year + years, day=28)


def _apply_blacklist_decision(state, params, actor, now, times):
    _resolve(state, "blacklist_notice", now, DeadlineStatus.MET)
    _resolve(state, "blacklist_decision", now)
    reason = (params.get("reason") or "").strip()
    if not params["listed"]:
        state.blacklist = "declined"
        _event(state, now, "blacklist_declined", actor.username, f"决定不列入失信联合惩戒对象名单：{reason}")
        return []
    years = state.intake.policy.blacklist_years
    state.blacklist = "listed"
    state.blacklist_listed_at = now
    state.blacklist_until = _add_years(now, years)  # 人社部令45号 art. 11
    _event(state, now, "blacklisted", actor.username,
           f"作出列入决定：{state.intake.employer.name}列入拖欠农民工工资失信联合惩戒对象名单，期限{years}年，"
           f"至{_day(state.blacklist_until)}" + (f"（{reason}）" if reason else ""))
    return [_doc(state, "blacklist_decision")]


def _apply_worker_route(state, params, actor, now, times):
    route, event = params["route"], params["event"]
    key = (route, event)
    if key in ROUTE_ENDS:
        _resolve(state, ROUTE_ENDS[key], now)
    if key in ROUTE_OPENS:
        # 人社局 houses the arbitration court; the payment order's objection period is the debtor's own
        _open_clock(state, ROUTE_OPENS[key], state.intake.policy.routing.co_handler, now, times[ROUTE_OPENS[key]])
    extras = []
    if params.get("final_award"):
        extras.append("一裁终局")
    if params.get("advance_execution"):
        extras.append("裁决先予执行")
    note = (params.get("note") or "").strip()
    summary = ROUTE_LABELS[key] + (f"（{'、'.join(extras)}）" if extras else "") + (f"：{note}" if note else "")
    _event(state, now, f"{route}_{event}", actor.username, summary, route=route, event=event,
           final_award=bool(params.get("final_award")), advance_execution=bool(params.get("advance_execution")))
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
    "enforce": _apply_enforce,
    "report_absconded": _apply_absconded,
    "approve_police_referral": _apply_police_approval,
    "reject_police_referral": _apply_police_rejection,
    "transfer_to_police": _apply_transfer_to_police,
    "police_decision": _apply_police_decision,
    "request_reconsideration": _apply_reconsideration,
    "request_supervision": _apply_supervision,
    "serve_court_reminder": _apply_serve_court_reminder,
    "court_application": _apply_court_application,
    "court_accepted": _apply_court_accepted,
    "court_ruling": _apply_court_ruling,
    "court_outcome": _apply_court_outcome,
    "confirm_deposit_payout": _apply_deposit_payout,
    "deposit_replenished": _apply_replenished,
    "assign_leader": _apply_assign_leader,
    "major_dispatch": _apply_dispatch,
    "advance_emergency_fund": _apply_advance,
    "recover_emergency_fund": _apply_recover,
    "propose_blacklist": _apply_propose_blacklist,
    "blacklist_objection": _apply_objection,
    "blacklist_decision": _apply_blacklist_decision,
    "worker_route": _apply_worker_route,
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
    if state.next_dispatch_at is not None and state.stage is not Stage.CLOSED:
        instants.append(state.next_dispatch_at)
    return min(instants) if instants else None


def due_step(state: CaseState, now: datetime) -> str | None:
    """The step the case must take by itself now, if any: `enforce` (an order ran out unpaid) or
    `major_dispatch` (the leader's periodic dispatch). The workflow applies it as the system actor."""
    if state.stage is Stage.CLOSED:
        return None
    order = state.open_deadline("order_payment")
    if state.stage is Stage.PAYMENT_ORDERED and order is not None and order.due_at <= now and state.outstanding > 0:
        return "enforce"
    if state.leader is not None and state.next_dispatch_at is not None and state.next_dispatch_at <= now:
        return "major_dispatch"
    return None


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
PARTY_PERIODS = frozenset({"blacklist_notice", "payment_order_objection"})


def on_time(state: CaseState, now: datetime) -> list[DocumentRequest]:
    """Mark the clocks that have passed and escalate them; return the escalation notices to issue."""
    docs = []
    changed = False
    levels = escalation_levels(state)
    for clock in state.deadlines:
        if clock.resolved_at is not None:
            continue
        label = DEADLINE_LABELS.get(clock.kind, clock.kind)
        if clock.kind in PARTY_PERIODS:
            if clock.due_at <= now:
                clock.status, clock.resolved_at, changed = DeadlineStatus.MET, clock.due_at, True
                _event(state, clock.due_at, "period_ended", "system", f"{label}期限届满", deadline=clock.kind)
            continue
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
    if docs or changed:
        state.version += 1
    return docs
