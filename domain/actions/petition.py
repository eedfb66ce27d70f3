"""Intake under the statutory procedure (procedure 3): the petition clocks and the limitation.

Petitions (channel `petition`, 信访工作条例 2022; docs/deadlines.md "Petitions"):
- `petition_register` (15 days): the petitioner is told whether the matter is accepted (arts. 22, 23).
  Counted from receipt; met when the lead unit accepts (or the unit decides not to accept).
- `referral_objection` (5 working days): the unit a petition is referred to may object that it is not
  its matter (art. 23); counted from each referral. A window, not a duty: when it ends nobody is overdue.
  `object_referral` sends the case back to the unit that referred it.
- `petition_handle` (60 days): the petition is handled from acceptance (art. 32); met when the case closes.

The limitation (劳动保障监察条例 art. 20; docs/deadlines.md "Limitation"): a complaint whose arrears ended
more than the `limitation` rule before it was received is still registered (有案必接, with its receipt)
and flagged; the unit decides with `limitation_decision`: proceed, or 不予受理 with its notice, which
closes the case. Nothing is counted from the end of the arrears: no clock of the case starts before the
complaint was received.

Late entry: a complaint entered with `received_at` further back than the limitation carries the reason
(`late_entry_reason`, required at the edge); its units' clocks start when it was registered, since nobody
could act on it before (docs/deadlines.md "Late entry").
"""

from datetime import date, datetime

from domain.actions.base import CASE_WORKERS, Action, ClockRequest, Text, Times, command
from domain.actions.effects import close, doc, event, move, open_clock, resolve
from domain.calendar import CHINA_TZ
from domain.errors import NotAllowedNow
from domain.formatting import chinese_date
from domain.model import CaseIntake, CaseState, Channel, DeadlineStatus, Stage
from domain.procedure import STATUTORY_PROCEDURE
from domain.rules import DeadlineRule, PeriodUnit

# ---- the limitation --------------------------------------------------------------------------------


def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    for last in (day.day, 30, 29, 28):  # 29 February and the 31st of a short month: the month's last day
        try:
            return day.replace(year=year, month=month, day=last)
        except ValueError:
            continue
    raise ValueError(day)  # unreachable


def limitation_last_day(start: date, rule: DeadlineRule) -> date:
    """The last day of the limitation that runs from `start` (the start day is not counted)."""
    if rule.unit is PeriodUnit.MONTHS:
        return _add_months(start, rule.amount)
    if rule.unit is PeriodUnit.CALENDAR_DAYS:
        return date.fromordinal(start.toordinal() + rule.amount)
    raise ValueError(f"the limitation is counted in months or days, not {rule.unit}")


def out_of_limitation(intake: CaseIntake) -> bool:
    """True when the arrears ended more than the limitation before the complaint was received."""
    rule = intake.policy.deadlines.get("limitation")
    if rule is None or intake.arrears_ended_at is None:
        return False
    return intake.received_at.astimezone(CHINA_TZ).date() > limitation_last_day(intake.arrears_ended_at, rule)


def earliest_received(today: date, rule: DeadlineRule) -> date:
    """The earliest day of receipt that is not further back from `today` than the limitation."""
    if rule.unit is PeriodUnit.MONTHS:
        return _add_months(today, -rule.amount)
    if rule.unit is PeriodUnit.CALENDAR_DAYS:
        return date.fromordinal(today.toordinal() - rule.amount)
    raise ValueError(f"the limitation is counted in months or days, not {rule.unit}")


def received_too_long_ago(received: datetime, now: datetime, rule: DeadlineRule) -> bool:
    """True when `received` lies further back from `now` than the limitation (a late entry)."""
    today = now.astimezone(CHINA_TZ).date()
    return received.astimezone(CHINA_TZ).date() < earliest_received(today, rule)


def late_entry(intake: CaseIntake) -> bool:
    rule = intake.policy.deadlines.get("limitation")
    return (
        rule is not None
        and intake.late_entry_reason is not None
        and received_too_long_ago(intake.received_at, intake.registered_at, rule)
    )


# ---- the clocks at intake ------------------------------------------------------------------------------


def statutory(state: CaseState) -> bool:
    return state.procedure >= STATUTORY_PROCEDURE


def is_petition(state: CaseState) -> bool:
    return statutory(state) and state.intake.channel is Channel.PETITION


def intake_clock_start(state: CaseState) -> datetime:
    """When the clocks of a new case start: its receipt, or its registration for a late entry."""
    intake = state.intake
    return intake.registered_at if statutory(state) and late_entry(intake) else intake.received_at


def intake_clocks(state: CaseState) -> list[ClockRequest]:
    """The petition clocks a new case needs besides `acknowledge` (procedure 3, petitions only)."""
    if not is_petition(state):
        return []
    return [
        ClockRequest("petition_register", "petition_register", intake_clock_start(state)),
        ClockRequest("referral_objection", "referral_objection", state.intake.registered_at),
    ]


def on_refer(state: CaseState, now: datetime, times: Times) -> None:
    """Procedure 3 at registration: the late entry's reason, the petition clocks, the limitation flag."""
    if not statutory(state):
        return
    intake = state.intake
    if intake.late_entry_reason is not None:
        event(
            state,
            now,
            "late_entry",
            intake.registered_by.username,
            f"补录登记：收到投诉后未及时登记的原因：{intake.late_entry_reason}"
            + ("；各项期限自登记之日起计算" if late_entry(intake) else ""),
            reason=intake.late_entry_reason,
        )
    if "petition_register" in times:
        open_clock(state, "petition_register", state.lead_unit, intake_clock_start(state), times["petition_register"])
    if "referral_objection" in times:
        open_clock(state, "referral_objection", state.lead_unit, intake.registered_at, times["referral_objection"])
    ended = intake.arrears_ended_at
    if ended is not None and out_of_limitation(intake):
        state.limitation_pending = True
        rule = intake.policy.deadlines["limitation"]
        event(
            state,
            now,
            "limitation_flagged",
            "system",
            f"所反映的欠薪行为于{chinese_date(ended)}终了，至收到投诉时已超过{rule.describe()}（劳动保障监察条例第20条），"
            "已登记，待劳动保障监察机构决定是否受理",
            arrears_ended_at=str(ended),
        )


def accept_clocks(state: CaseState, now: datetime) -> list[ClockRequest]:
    clocks = [ClockRequest("investigate", "investigate", now)]
    if is_petition(state) and state.open_deadline("petition_handle") is None:  # once, from the first acceptance
        clocks.append(ClockRequest("petition_handle", "petition_handle", now))
    return clocks


def on_accept(state: CaseState, now: datetime, times: Times) -> None:
    """Acceptance tells the petitioner (告知) and starts the 60-day handling period."""
    if not is_petition(state):
        return
    resolve(state, "petition_register", now)
    resolve(state, "referral_objection", now, DeadlineStatus.CANCELLED)
    if "petition_handle" in times:
        open_clock(state, "petition_handle", state.lead_unit, now, times["petition_handle"])


def transfer_clocks(state: CaseState, now: datetime) -> list[ClockRequest]:
    if not is_petition(state):
        return []
    return [ClockRequest("referral_objection", "referral_objection", now)]


def on_transfer(state: CaseState, now: datetime, times: Times) -> None:
    """A referral to another unit: it has its own objection window, and owes what the petitioner is owed
    (the 告知 if not yet given, the handling period, which keeps running from the first acceptance)."""
    if not is_petition(state):
        return
    resolve(state, "referral_objection", now, DeadlineStatus.CANCELLED)
    for kind in ("petition_register", "petition_handle"):
        owed = state.open_deadline(kind)
        if owed is not None:
            owed.unit = state.lead_unit
    if "referral_objection" in times:
        open_clock(state, "referral_objection", state.lead_unit, now, times["referral_objection"])


# ---- the actions ----------------------------------------------------------------------------------------


@command
class ObjectReferral:
    """The unit a petition was referred to objects that the matter is not within its powers (信访工作条例
    art. 23, within 5 working days); the case goes back to the unit that referred it."""

    reason: Text


@command
class LimitationDecision:
    """Labour inspection decides on a complaint out of the limitation (劳动保障监察条例 art. 20): proceed,
    or not accept it (不予受理) with a notice to the complainant, which closes the case."""

    proceed: bool
    reason: Text


def referring_unit(state: CaseState) -> str:
    """The unit that referred the case to its lead unit: the last transfer's sender, else the office."""
    for ev in reversed(state.timeline):
        if ev.kind in ("transferred", "referral_objected") and ev.data.get("to_unit") == state.lead_unit:
            return str(ev.data.get("from_unit") or state.intake.policy.office_unit)
        if ev.kind == "referred":
            break
    return state.intake.policy.office_unit


def _check_object(state: CaseState, cmd: ObjectReferral, now: datetime) -> None:
    if referring_unit(state) == state.lead_unit:
        raise NotAllowedNow(code="objection_to_self", unit=state.lead_unit)


def _apply_object(state: CaseState, cmd: ObjectReferral, actor, now, times):
    back_to = referring_unit(state)
    previous = state.lead_unit
    resolve(state, "referral_objection", now)
    resolve(state, "acknowledge", now, DeadlineStatus.CANCELLED)
    state.lead_unit = back_to
    if back_to not in state.units_held:
        state.units_held.append(back_to)
    told = state.open_deadline("petition_register")
    if told is not None:
        told.unit = back_to
    move(state, Stage.REFERRED)
    state.referred_at = now
    open_clock(state, "acknowledge", back_to, now, times["acknowledge"])
    event(
        state,
        now,
        "referral_objected",
        actor.username,
        f"{previous} 对转送交办提出异议（{cmd.reason}），退回 {back_to} 重新确定承办单位",
        from_unit=previous,
        to_unit=back_to,
        reason=cmd.reason,
    )
    return [doc(state, "referral", to_unit=back_to, from_unit=previous, reason=f"异议退回：{cmd.reason}")]


def _apply_limitation(state: CaseState, cmd: LimitationDecision, actor, now, times):
    state.limitation_pending = False
    if cmd.proceed:
        event(state, now, "limitation_proceed", actor.username, f"决定继续受理：{cmd.reason}", reason=cmd.reason)
        return []
    resolve(state, "acknowledge", now)  # the decision on acceptance was taken, within its period or not
    resolve(state, "petition_register", now)  # the notice tells the petitioner
    event(state, now, "not_accepted", actor.username, f"超过查处时效，决定不予受理：{cmd.reason}", reason=cmd.reason)
    docs = [doc(state, "non_acceptance", reason=cmd.reason)]
    return docs + close(state, "out_of_limitation", actor, now, notice=False)


OBJECT_REFERRAL = Action(
    name="object_referral",
    command=ObjectReferral,
    stages=frozenset({Stage.REFERRED}),
    roles=CASE_WORKERS,
    apply=_apply_object,
    check=_check_object,
    awaited=lambda state: is_petition(state) and state.open_deadline("referral_objection") is not None,
    not_awaited="objection_window_closed",
    opens=("acknowledge",),
    label="对转送交办提出异议",
    secondary=True,
    hint="信访事项不属于本单位职权范围的，自收到之日起5个工作日内提出异议并说明理由，退回转送单位。",
    field_labels={"reason": "异议理由"},
)

LIMITATION_DECISION = Action(
    name="limitation_decision",
    command=LimitationDecision,
    stages=frozenset({Stage.REFERRED}),
    roles=CASE_WORKERS,
    issues="non_acceptance",
    apply=_apply_limitation,
    awaited=lambda state: state.limitation_pending,
    not_awaited="limitation_not_pending",
    label="超过查处时效的处理",
    hint="所反映的欠薪行为终了已超过2年（劳动保障监察条例第20条）：决定继续受理，或不予受理并告知投诉人。",
    field_labels={"proceed": "处理决定", "reason": "理由"},
    bool_labels={"proceed": ("继续受理", "不予受理")},
)
