"""Early warning (预警) rules: pay periods of a monitored project, a payroll checked against the roster,
the score of what utilities, the tax office, banks and landlords report about an employer, the deposit
a project needs before its permit.

Pure functions of their arguments (no clock, no I/O): the workflow asks an activity to apply them.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum

from domain.calendar import CHINA_TZ, WorkCalendar
from domain.deadlines import due_instant
from domain.errors import InvalidInput
from domain.rules import DeadlineRule, PeriodUnit

# The deadline rules of early warning, by name in the jurisdiction file.
PAYROLL_CYCLE = "payroll_cycle"
PAYROLL_GRACE = "payroll_grace"
WARNING_RESPONSE = "warning_response"
SIGNAL_WINDOW = "signal_window"
DEPOSIT_LODGE = "deposit_lodge"
MONITORING_RULES = (PAYROLL_CYCLE, PAYROLL_GRACE, WARNING_RESPONSE, SIGNAL_WINDOW, DEPOSIT_LODGE)


class WarningKind(StrEnum):
    PAYROLL_MISSING = "payroll_missing"  # 工资未按期发放
    PAYROLL_FINDINGS = "payroll_findings"  # 工资发放异常（漏发、少发、未经专用账户）
    DEPOSIT_MISSING = "deposit_missing"  # 未足额缴存工资保证金
    SIGNALS = "signals"  # 经营异常（水电、税务、银行、房租、诉讼）
    INSTALMENT_MISSED = "instalment_missed"  # 企业报告的偿还协议逾期未还


class WarningStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    ESCALATED = "escalated"


class WarningLevel(StrEnum):
    YELLOW = "yellow"  # 黄色预警
    ORANGE = "orange"  # 橙色预警
    RED = "red"  # 红色预警


class SignalKind(StrEnum):
    UTILITY_ARREARS = "utility_arrears"  # 欠缴水电费
    TAX_ABNORMAL = "tax_abnormal"  # 税务异常
    ACCOUNT_FROZEN = "account_frozen"  # 银行账户冻结
    RENT_ARREARS = "rent_arrears"  # 拖欠场地租金
    LITIGATION = "litigation"  # 涉诉


KIND_LABELS = {
    "payroll_missing": "工资未按期发放",
    "payroll_findings": "工资发放异常",
    "deposit_missing": "工资保证金未足额缴存",
    "signals": "企业经营异常",
    "instalment_missed": "偿还协议逾期未还",
}
LEVEL_LABELS = {"yellow": "黄色预警", "orange": "橙色预警", "red": "红色预警"}
STATUS_LABELS = {"open": "待处置", "resolved": "已化解", "escalated": "已转立案"}
SIGNAL_LABELS = {
    "utility_arrears": "欠缴水电费",
    "tax_abnormal": "税务异常",
    "account_frozen": "银行账户冻结",
    "rent_arrears": "拖欠场地租金",
    "litigation": "涉诉",
}
FINDING_LABELS = {
    "missing_worker": "花名册人员未发放",
    "not_on_roster": "不在实名制花名册",
    "underpaid": "低于约定工资",
    "not_special_account": "未通过工资专用账户代发",
    "total_mismatch": "合计金额与明细不符",
}


@dataclass(frozen=True)
class MonitoringConfig:
    """The jurisdiction's early-warning figures (the `monitoring:` section of its file)."""

    signal_score: int = 3  # a warning opens when an employer's score in the window reaches this
    signal_weights: dict[str, int] = field(default_factory=lambda: {k.value: 1 for k in SignalKind})
    underpaid_percent: Decimal = Decimal(70)  # paid below this share of the agreed wage is a finding


# ---- pay periods ---------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), the month's last day when it has no such day (01-31 + 1
    month = 02-28); no rolling to a working day: a payday is a date, whatever day of the week it is."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


@dataclass(frozen=True)
class PayPeriod:
    """One pay period of a project: its number (1 = the first), label and the instant its wages fall due."""

    index: int
    label: str  # "2026-11" for monthly cycles, "3" for any other cycle
    due_at: datetime


def _month_label(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=CHINA_TZ).astimezone(timezone.utc)


def period(
    cycle: DeadlineRule, works_started_at: datetime, index: int, payday: int | None, cal: WorkCalendar
) -> PayPeriod:
    """Pay period `index` (from 1) of works started at `works_started_at`.

    A cycle of months counts calendar months from the month works started: period 1 is that month (and
    the months after it, for a longer cycle), labelled by its first month; its wages fall due on
    `payday` of the month after it, or at the end of that month without a payday (保障农民工工资支付条例
    arts. 11-12, 31: paid at least monthly, on the agreed day). Any other cycle (days, hours, a drill
    duration) makes period `index` fall due `index` cycles after works started."""
    if index < 1:
        raise InvalidInput(f"pay periods are numbered from 1, got {index}", field="period")
    if works_started_at.tzinfo is None:
        raise InvalidInput("works_started_at must carry a time zone", field="works_started_at")
    try:
        return _period(cycle, works_started_at, index, payday, cal)
    except (OverflowError, ValueError):  # beyond the year 9999
        raise InvalidInput(f"pay period {index} falls due beyond the calendar", field="period") from None


def _period(
    cycle: DeadlineRule, works_started_at: datetime, index: int, payday: int | None, cal: WorkCalendar
) -> PayPeriod:
    if cycle.unit is PeriodUnit.MONTHS:
        first = works_started_at.astimezone(CHINA_TZ).date().replace(day=1)
        start = add_months(first, (index - 1) * cycle.amount)
        pay_month = add_months(start, cycle.amount)
        if payday is None:
            due_day = add_months(pay_month, 1) - timedelta(days=1)
        else:
            due_day = pay_month.replace(day=min(payday, _month_days(pay_month)))
        return PayPeriod(index, _month_label(start), _end_of_day(due_day))
    if cycle.unit is PeriodUnit.DURATION:
        due = works_started_at + index * cycle.duration
    elif cycle.unit is PeriodUnit.HOURS:
        due = works_started_at + timedelta(hours=index * cycle.amount)
    else:
        stretched = DeadlineRule(name=cycle.name, unit=cycle.unit, amount=cycle.amount * index, basis=cycle.basis)
        due = due_instant(stretched, works_started_at, cal)
    return PayPeriod(index, str(index), due.astimezone(timezone.utc))


def _month_days(first_of_month: date) -> int:
    return (add_months(first_of_month.replace(day=1), 1) - timedelta(days=1)).day


def period_index(cycle: DeadlineRule, works_started_at: datetime, label: str | int) -> int:
    """The number of the period a payroll names: "2026-11" on a monthly cycle, "3" (or 3) otherwise
    (the first period is 1; "0" is taken for it as well)."""
    text = str(label).strip()
    if cycle.unit is PeriodUnit.MONTHS:
        try:
            year, month = (int(part) for part in text.split("-"))
            if not 1 <= month <= 12 or len(text) != 7:
                raise ValueError
        except ValueError:
            raise InvalidInput(f"period {text!r} is not a month such as 2026-11", field="period") from None
        first = works_started_at.astimezone(CHINA_TZ).date()
        months = (year - first.year) * 12 + month - first.month
        if months < 0:
            raise InvalidInput(f"period {text} is before works started ({_month_label(first)})", field="period")
        if months % cycle.amount:
            raise InvalidInput(f"period {text} does not start a pay period of {cycle.amount} months", field="period")
        return _checked_index(months // cycle.amount + 1, text)
    if not text.isdigit():
        raise InvalidInput(f"period {text!r} is not the number of a pay period (1, 2, …)", field="period")
    # Periods are numbered from 1; 0 names the first period too, for callers that count from 0.
    return _checked_index(max(int(text), 1), text)


MAX_PERIOD = 100_000  # far beyond any project: a bigger number is a typing error


def _checked_index(index: int, text: str) -> int:
    if index > MAX_PERIOD:
        raise InvalidInput(f"period {text} is more than {MAX_PERIOD} pay periods after works started", field="period")
    return index


def first_period_due_after(
    cycle: DeadlineRule,
    works_started_at: datetime,
    instant: datetime,
    payday: int | None,
    cal: WorkCalendar,
    *,
    limit: int = 10_000,
) -> int:
    """The first period whose wages fall due at or after `instant` (monitoring starts with it; periods
    that fell due before a project was registered are not warned about by themselves)."""
    low, high = 1, 1
    while period(cycle, works_started_at, high, payday, cal).due_at < instant:
        low, high = high + 1, high * 2
        if high > limit:
            raise InvalidInput(f"works_started_at is more than {limit} pay periods ago", field="works_started_at")
    while low < high:  # the due instants grow with the index: bisect
        mid = (low + high) // 2
        if period(cycle, works_started_at, mid, payday, cal).due_at < instant:
            low = mid + 1
        else:
            high = mid
    return low


# ---- a payroll against the roster ------------------------------------------------------------------


@dataclass(frozen=True)
class RosterEntry:
    """A worker of the real-name roster (实名制花名册) with the agreed monthly wage, if known."""

    name: str
    id_number: str
    agreed_wage: Decimal | None = None


@dataclass(frozen=True)
class PaidLine:
    name: str
    id_number: str | None
    amount: Decimal


@dataclass(frozen=True)
class Finding:
    kind: str  # a key of FINDING_LABELS
    text: str  # in Chinese, for the warning and the page
    id_number: str | None = None


def payroll_findings(
    *,
    roster: list[RosterEntry],
    lines: list[PaidLine],
    total: Decimal,
    paid_from: str | None,
    special_account: str | None,
    underpaid_percent: Decimal,
) -> list[Finding]:
    """What is wrong with a payroll: roster workers not paid, people paid who are not on the roster,
    amounts below `underpaid_percent` of the agreed wage, a payment not from the project's special
    account (seed notice 三(一)(二)), a total that is not the sum of its lines."""
    out: list[Finding] = []
    paid = {line.id_number: line for line in lines if line.id_number}
    if roster:
        on_roster = {entry.id_number for entry in roster}
        for entry in roster:
            line = paid.get(entry.id_number)
            if line is None:
                out.append(Finding("missing_worker", f"{entry.name}在花名册上，本期工资表中没有", entry.id_number))
            elif entry.agreed_wage and line.amount * 100 < entry.agreed_wage * underpaid_percent:
                out.append(
                    Finding(
                        "underpaid",
                        f"{entry.name}实发{line.amount:.2f}元，约定工资{entry.agreed_wage:.2f}元",
                        entry.id_number,
                    )
                )
        for line in lines:
            if not line.id_number or line.id_number not in on_roster:
                out.append(Finding("not_on_roster", f"{line.name}不在项目实名制花名册上", line.id_number))
    if special_account and (paid_from or "").replace(" ", "") != special_account.replace(" ", ""):
        shown = paid_from or "未注明"
        out.append(Finding("not_special_account", f"付款账户（{shown}）不是项目工资专用账户"))
    lines_sum = sum((line.amount for line in lines), Decimal(0))
    if lines and lines_sum != total:
        out.append(Finding("total_mismatch", f"明细合计{lines_sum:.2f}元，工资表合计{total:.2f}元"))
    return out


def findings_level(findings: list[Finding]) -> WarningLevel:
    """Orange when workers went unpaid or money bypassed the special account, else yellow."""
    serious = {"missing_worker", "not_special_account"}
    return WarningLevel.ORANGE if any(f.kind in serious for f in findings) else WarningLevel.YELLOW


def missing_level(periods_missed: int) -> WarningLevel:
    """One period without a payroll is yellow, two in a row orange, three or more red."""
    return (WarningLevel.YELLOW, WarningLevel.ORANGE, WarningLevel.RED)[min(max(periods_missed, 1), 3) - 1]


# ---- signals --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObservedSignal:
    kind: str
    observed_at: datetime


def signal_score(
    signals: list[ObservedSignal], *, now: datetime, window_start: datetime, weights: dict[str, int]
) -> int:
    """The sum of the weights of the signals observed in [window_start, now]."""
    return sum(weights.get(s.kind, 1) for s in signals if window_start <= s.observed_at <= now)


def signals_level(score: int, threshold: int) -> WarningLevel:
    """Yellow at the threshold, orange from one and a half times it, red from twice it."""
    if score >= 2 * threshold:
        return WarningLevel.RED
    if score * 2 >= 3 * threshold:
        return WarningLevel.ORANGE
    return WarningLevel.YELLOW


# ---- the permit gate --------------------------------------------------------------------------------


def deposit_required(contract_amount: Decimal | None, ratio_percent: Decimal) -> Decimal | None:
    """The deposit a project must lodge before its permit (工资保证金, seed notice 三(三)); None when the
    contract amount is not known."""
    if contract_amount is None:
        return None
    return (contract_amount * ratio_percent / 100).quantize(Decimal("0.01"), rounding=ROUND_CEILING)  # at least


def deposit_shortfall(required: Decimal | None, balance: Decimal) -> Decimal:
    """How much is missing from the deposit (0 when enough, or when nothing can be required)."""
    if required is None or balance >= required:
        return Decimal(0)
    return required - balance
