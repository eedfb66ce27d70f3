"""The list of employers in serious default on wages (失信联合惩戒对象名单, 人社部令45号):
the proposal with its written notice, the employer's statement, the decision.

On procedure 3 (domain/procedure.py, domain/listing.py) the case finds the grounds by itself when a payment
deadline lapses unpaid (`blacklist_grounds`, a system step) and opens the decision clock from that lapse;
the proposal names the persons listed with the employer, and the authority's head may extend the decision
clock once. Cases on procedures 1 and 2 keep the rules they started with.
"""

from datetime import date, datetime
from typing import Annotated, Literal

from annotated_types import MaxLen, MinLen

from domain import listing
from domain.actions.base import (
    CASE_WORKERS,
    ENFORCEMENT,
    INVOLVED,
    SYSTEM_ONLY,
    Action,
    ClockRequest,
    LongText,
    NoFields,
    Text,
    command,
    set_field,
)
from domain.actions.effects import (
    blacklist_grounds,
    crime,
    day,
    doc,
    event,
    extend_clock,
    issuing_unit,
    open_clock,
    resolve,
)
from domain.errors import InvalidInput, NotAllowedNow
from domain.identity import check_resident_id
from domain.model import CaseState, DeadlineStatus, ListedPerson
from domain.procedure import STATUTORY_PROCEDURE

_NO_BIRTH_LIMIT = date(9999, 12, 31)  # the birth date is checked against the day of the action (`check`)


@command
class NamedPerson:
    """A person listed with the employer: name, resident ID number, and role (法定代表人 `legal_representative`,
    主要负责人 `principal`, 直接责任人员 `responsible`; 人社部令45号 arts. 5, 9)."""

    name: Annotated[str, MinLen(1), MaxLen(50)]
    id_number: Annotated[str, MinLen(1), MaxLen(40)]
    role: Literal["legal_representative", "principal", "responsible"]

    def __post_init__(self):
        set_field(self, "name", self.name.strip())


@command
class ProposeBlacklist:
    """Propose listing the employer; the grounds come from the case (人社部令45号 art. 5), and the employer
    is told in writing and may state its case (art. 6). `persons`: its legal representative (or principal)
    and the directly responsible persons, listed with it (arts. 5, 9; required on cases started from
    procedure 3)."""

    persons: Annotated[tuple[NamedPerson, ...], MaxLen(20)] = ()

    def __post_init__(self):
        people = []
        for i, person in enumerate(self.persons or ()):
            raw = person if isinstance(person, dict) else vars(person)  # a dict: as the workflow records it
            name, number, role = (str(raw.get(key) or "").strip() for key in ("name", "id_number", "role"))
            if not name:
                raise InvalidInput(code="required", field=f"persons.{i}.name", name="name")
            if role not in listing.PERSON_ROLES:
                raise InvalidInput(code="person_role", field=f"persons.{i}.role")
            try:
                number = check_resident_id(number, today=_NO_BIRTH_LIMIT)
            except InvalidInput as err:
                err.field = f"persons.{i}.id_number"
                raise
            people.append(NamedPerson(name=name[:50], id_number=number, role=role))  # type: ignore[arg-type]
        numbers = [p.id_number for p in people]
        if len(set(numbers)) != len(numbers):
            raise InvalidInput(code="person_twice", field="persons")
        set_field(self, "persons", tuple(people))


@command
class ExtendBlacklistDecision:
    """Extend the listing decision's clock once, by the rule's extension, where the case is complicated
    (人社部令45号 art. 8: 经本机关主要负责人批准)."""

    reason: Text


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


def statutory(state: CaseState) -> bool:
    return state.procedure >= STATUTORY_PROCEDURE


# ---- procedure 3: the grounds found when a payment deadline lapses (人社部令45号 arts. 5, 8) -------------


def lapse_grounds(state: CaseState, now: datetime) -> str | None:
    """The art. 5 grounds met at the lapse of a payment deadline, not yet recorded; None otherwise."""
    if not statutory(state) or state.stage not in ENFORCEMENT or state.blacklist is not None:
        return None
    if state.blacklist_grounds_at is not None or state.outstanding <= 0 or state.unpaid_at_deadline is None:
        return None
    if listing.lapsed_payment_deadline(state, now) is None:
        return None
    unpaid = state.unpaid_at_deadline
    return listing.grounds(
        unpaid=unpaid, crime_met=crime(state, unpaid).met, group_incident=state.intake.group_incident
    )


def grounds_due(state: CaseState, now: datetime) -> bool:
    """The case must record the grounds and open the decision clock now (a step of the workflow)."""
    return lapse_grounds(state, now) is not None


def _check_grounds(state: CaseState, cmd, now: datetime) -> None:
    if not grounds_due(state, now):
        raise NotAllowedNow(code="not_awaited", action="blacklist_grounds")


def _grounds_clocks(state: CaseState, cmd, now: datetime) -> list[ClockRequest]:
    lapsed = listing.lapsed_payment_deadline(state, now) or now
    return [ClockRequest("blacklist_decision", "blacklist_decision", lapsed)]


def _apply_grounds(state: CaseState, cmd, actor, now, times):
    grounds = lapse_grounds(state, now)
    lapsed = listing.lapsed_payment_deadline(state, now) or now
    state.blacklist_grounds_at = lapsed
    state.blacklist_reason = grounds
    clock = open_clock(
        state, "blacklist_decision", issuing_unit(state, "blacklist_decision"), lapsed, times["blacklist_decision"]
    )
    event(
        state,
        now,
        "blacklist_grounds",
        "system",
        f"责令支付期限于{day(lapsed)}届满，仍有 {state.unpaid_at_deadline} 元未支付，符合列入拖欠农民工工资失信联合"
        f"惩戒对象名单的情形（{grounds}）；应书面告知拟列入，并于{day(clock.due_at)}前作出是否列入的决定"
        "（人社部令第45号第八条）",
        reason=grounds,
    )
    return []


def _proposal_awaited(state: CaseState) -> bool:
    if statutory(state):
        return state.blacklist is None and state.blacklist_grounds_at is not None
    return state.blacklist not in ("proposed", "listed") and blacklist_grounds(state) is not None


def _check_propose(state: CaseState, cmd: ProposeBlacklist, now: datetime) -> None:
    for i, person in enumerate(cmd.persons):
        try:
            check_resident_id(person.id_number, today=now.date())  # born before today
        except InvalidInput as err:
            err.field = f"persons.{i}.id_number"
            raise
    if statutory(state) and listing.missing_heads([_listed(p) for p in cmd.persons]):
        raise InvalidInput(code="persons_need_head", field="persons")


def _propose_clocks(state: CaseState, cmd, now: datetime) -> list[ClockRequest]:
    clocks = [ClockRequest("blacklist_notice", "blacklist_notice", now)]
    if state.open_deadline("blacklist_decision") is None:  # procedure 3 opened it at the lapse
        clocks.append(ClockRequest("blacklist_decision", "blacklist_decision", now))
    return clocks


def _listed(person: NamedPerson) -> ListedPerson:
    return ListedPerson(person.name, person.id_number, person.role)


def _apply_propose(state: CaseState, cmd: ProposeBlacklist, actor, now, times):
    grounds = state.blacklist_reason if statutory(state) else blacklist_grounds(state)
    state.blacklist = "proposed"
    state.blacklist_reason = grounds
    state.blacklist_persons = [_listed(p) for p in cmd.persons]
    notice = open_clock(
        state, "blacklist_notice", issuing_unit(state, "blacklist_notice"), now, times["blacklist_notice"]
    )
    if "blacklist_decision" in times:
        open_clock(
            state, "blacklist_decision", issuing_unit(state, "blacklist_decision"), now, times["blacklist_decision"]
        )
    persons = listing.persons_text(state.blacklist_persons)
    event(
        state,
        now,
        "blacklist_proposed",
        actor.username,
        f"拟将{state.intake.employer.name}"
        + (f"及其{persons}" if persons else "")
        + f"列入拖欠农民工工资失信联合惩戒对象名单（{grounds}），已书面告知，"
        f"当事人可于{day(notice.due_at)}前陈述申辩",
        reason=grounds,
    )
    return [doc(state, "blacklist_notice")]


# ---- procedure 3: the extension of the decision clock (人社部令45号 art. 8) ------------------------------


def _extension_awaited(state: CaseState) -> bool:
    clock = state.open_deadline("blacklist_decision")
    rule = state.intake.policy.deadlines.get("blacklist_decision")
    return (
        statutory(state)
        and clock is not None
        and clock.extended_working_days == 0
        and rule is not None
        and bool(rule.extension_working_days)
    )


def _extension_clocks(state: CaseState, cmd, now: datetime) -> list[ClockRequest]:
    clock = state.open_deadline("blacklist_decision")
    days = state.intake.policy.deadlines["blacklist_decision"].extension_working_days
    assert clock is not None and days  # awaited
    return [ClockRequest("blacklist_decision", "blacklist_decision", clock.due_at, extend_working_days=days)]


def _apply_extension(state: CaseState, cmd: ExtendBlacklistDecision, actor, now, times):
    clock = state.open_deadline("blacklist_decision")
    days = state.intake.policy.deadlines["blacklist_decision"].extension_working_days or 0
    assert clock is not None  # awaited
    extend_clock(clock, times["blacklist_decision"], days)
    event(
        state,
        now,
        "blacklist_decision_extended",
        actor.username,
        f"情况复杂，经本机关主要负责人批准，列入决定期限延长{days}个工作日，至{day(clock.due_at)}：{cmd.reason}",
        working_days=days,
        reason=cmd.reason,
    )
    return []


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
    persons = listing.persons_text(state.blacklist_persons)
    event(
        state,
        now,
        "blacklisted",
        actor.username,
        f"作出列入决定：{state.intake.employer.name}"
        + (f"及其{persons}" if persons else "")
        + f"列入拖欠农民工工资失信联合惩戒对象名单，期限{years}年，"
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
    check=_check_propose,
    clocks=_propose_clocks,
    label="拟列入失信联合惩戒名单",
    hint="限期支付期满仍未支付且符合列入条件的，书面告知拟列入失信联合惩戒对象名单，当事人可陈述申辩；"
    "同时列明法定代表人（或主要负责人）和直接责任人员（人社部令45号第五条、第六条、第九条）。",
    field_labels={"persons": "一并列入的人员"},
    field_help={"persons": "每行一人：职务 姓名 身份证号，职务为法定代表人、主要负责人或直接责任人员"},
)

BLACKLIST_GROUNDS = Action(
    name="blacklist_grounds",
    command=NoFields,
    stages=ENFORCEMENT,
    roles=SYSTEM_ONLY,
    office_roles=(),
    apply=_apply_grounds,
    check=_check_grounds,
    clocks=_grounds_clocks,
    label="责令支付期限届满，符合失信名单列入情形",
)

EXTEND_BLACKLIST_DECISION = Action(
    name="extend_blacklist_decision",
    issues="blacklist_decision",
    command=ExtendBlacklistDecision,
    stages=ENFORCEMENT,
    roles=("unit_head",),
    office_roles=(),
    scope=INVOLVED,
    apply=_apply_extension,
    awaited=_extension_awaited,
    not_awaited="blacklist_extension_not_awaited",
    clocks=_extension_clocks,
    secondary=True,
    label="延长失信名单列入决定期限",
    hint="情况复杂的，经本机关主要负责人批准，列入决定期限可延长一次（人社部令45号第八条）。",
    field_labels={"reason": "延长理由"},
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
