"""The jurisdiction configuration: units, routing, deadlines, thresholds, calendar and escalation.

Pure data and validation. Reading files (and resolving `extends:`) happens in core/jurisdiction.py.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.calendar import UnknownYearPolicy
from domain.deadlines import parse_iso_duration
from domain.errors import InvalidInput
from domain.model import RECEIVING_UNIT, REFERRING_UNIT, Authority
from domain.monitoring import MonitoringConfig, SignalKind
from domain.roles import Role
from domain.routing import PROJECT_TYPES, RoutingConfig
from domain.rules import DeadlineRule, PeriodUnit

UNIT_KINDS = ("bureau", "township", "judicial")

PERIOD_KEYS = ("working_days", "calendar_days", "months", "hours", "duration")

# Every rule the software starts a clock for; a jurisdiction file must define all of them.
REQUIRED_DEADLINES = (
    "acknowledge",
    "petition_register",
    "referral_objection",
    "petition_handle",
    "limitation",
    "investigate",
    "order_payment",
    "decision",
    "decision_review",
    "decision_suit",
    "review_suit",
    "deposit_payout",
    "deposit_replenish",
    "police_approval",
    "police_transfer",
    "police_review",
    "police_reconsider",
    "police_reconsider_answer",
    "procuratorate_supervision",
    "blacklist_notice",
    "blacklist_decision",
    "blacklist_removal",
    "arbitration_accept",
    "arbitration_award",
    "payment_order_objection",
    "court_reminder",
    "court_application",
    "court_accept",
    "court_rule",
    "major_case_dispatch",
    "escalation_step",
)

_CODE = re.compile(r"[a-z][a-z0-9_]*")
_CASE_PREFIX = re.compile(r"[A-Z]{1,8}")


class JurisdictionError(InvalidInput):
    """A jurisdiction file is wrong: which file, which key, and what is wrong with it."""

    def __init__(self, source: str, key_path: str, message: str):
        text = f"{source}: {key_path}: {message}" if key_path else f"{source}: {message}"
        super().__init__(text, field=key_path or None)
        self.source = source
        self.key_path = key_path
        self.detail = message


@dataclass(frozen=True)
class Unit:
    """A government unit or township that can lead, co-handle or receive a case."""

    code: str
    name: str
    kind: str  # "bureau" | "township" | "judicial"


@dataclass(frozen=True)
class Thresholds:
    """Amounts, counts and periods that decide crime referral, major cases, deposits and KPIs."""

    # 法释〔2013〕3号 art. 3: the province fixes per-worker ¥5,000-20,000 and total ¥30,000-100,000.
    crime_amount_per_worker: Decimal
    crime_months_unpaid: int
    crime_amount_total: Decimal
    crime_workers_total: int
    major_case_workers: int  # local practice
    major_case_amount: Decimal  # local practice
    deposit_ratio_min: Decimal  # percent of the contract amount
    deposit_ratio_max: Decimal
    deposit_reduce_after_years: int
    deposit_reduce_percent: Decimal
    deposit_exempt_after_years: int
    deposit_increase_percent: Decimal
    blacklist_period_years: int  # 人社部令45号 art. 11
    blacklist_removal_after_months: int  # same, art. 12
    closure_rate_target: Decimal  # percent; seed notice 五(三)


# Threshold fields by kind: money in yuan, whole counts/periods, percentages.
_THRESHOLD_KINDS: dict[str, str] = {
    "crime_amount_per_worker": "money",
    "crime_months_unpaid": "int",
    "crime_amount_total": "money",
    "crime_workers_total": "int",
    "major_case_workers": "int",
    "major_case_amount": "money",
    "deposit_ratio_min": "percent",
    "deposit_ratio_max": "percent",
    "deposit_reduce_after_years": "int",
    "deposit_reduce_percent": "percent",
    "deposit_exempt_after_years": "int",
    "deposit_increase_percent": "percent",
    "blacklist_period_years": "int",
    "blacklist_removal_after_months": "int",
    "closure_rate_target": "percent",
}


@dataclass(frozen=True)
class CalendarConfig:
    """A county's own days off and working days, and how to count a year without its official schedule."""

    unknown_year: UnknownYearPolicy = UnknownYearPolicy.PROVISIONAL
    extra_holidays: tuple[date, ...] = ()
    extra_workdays: tuple[date, ...] = ()


@dataclass(frozen=True)
class EscalationConfig:
    """Who an overdue deadline escalates to, in order, and the rule that spaces the levels."""

    levels: tuple[str, ...] = ("unit_head", "office", "leader")
    step: str = "escalation_step"


@dataclass(frozen=True)
class Jurisdiction:
    """A county's (or province's) whole configuration."""

    name: str  # e.g. 代县
    full_name: str  # e.g. 代县人民政府
    case_prefix: str  # e.g. DX
    office_unit: str  # the unit housing the office of the leading group
    office_name: str
    units: dict[str, Unit]
    routing: RoutingConfig
    deadlines: dict[str, DeadlineRule]
    thresholds: Thresholds
    calendar: CalendarConfig = field(default_factory=CalendarConfig)
    escalation: EscalationConfig = field(default_factory=EscalationConfig)
    monitoring: MonitoringConfig = field(default_factory=MonitoringConfig)
    authorities: dict[str, Authority] = field(default_factory=dict)

    @property
    def short_name(self) -> str:
        """The short Chinese name, e.g. 代县."""
        return self.name

    def unit(self, code: str) -> Unit:
        """The unit with this code; KeyError if the jurisdiction has none."""
        try:
            return self.units[code]
        except KeyError:
            raise KeyError(f"{self.name} has no unit with code {code!r}") from None

    def unit_name(self, code: str) -> str:
        """The Chinese name of the unit with this code."""
        return self.unit(code).name

    def townships(self) -> list[Unit]:
        """The townships (乡镇), in configuration order."""
        return [unit for unit in self.units.values() if unit.kind == "township"]

    def rule(self, name: str) -> DeadlineRule:
        """The deadline rule with this name; KeyError naming the known rules if absent."""
        try:
            return self.deadlines[name]
        except KeyError:
            known = ", ".join(sorted(self.deadlines))
            raise KeyError(f"{self.name} has no deadline rule {name!r}; known rules: {known}") from None


class _Checker:
    """Type and range checks that raise JurisdictionError naming the source and key path."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, path: str, message: str) -> JurisdictionError:
        return JurisdictionError(self.source, path, message)

    def mapping(self, value: Any, path: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(path, f"must be a mapping (key: value), got {_type_name(value)}")
        return value

    def keys(self, data: dict, path: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
        where = f"{path}." if path else ""
        for key in data:
            if key not in required and key not in optional:
                allowed = ", ".join(required + optional)
                raise self.fail(f"{where}{key}", f"unknown key (allowed here: {allowed})")
        for key in required:
            if key not in data:
                raise self.fail(f"{where}{key}", "is required")

    def string(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, f"must be a non-empty string, got {_type_name(value)}")
        return value.strip()

    def code(self, value: Any, path: str) -> str:
        text = self.string(value, path)
        if not _CODE.fullmatch(text):
            raise self.fail(path, f"{text!r} is not a code (lower-case letters, digits and _)")
        return text

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"must be true or false, got {_type_name(value)}")
        return value

    def positive_int(self, value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, f"must be a whole number, got {_type_name(value)}")
        if value <= 0:
            raise self.fail(path, f"must be a positive whole number, got {value}")
        return value

    def decimal(self, value: Any, path: str) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.fail(path, f"must be a number, got {_type_name(value)}")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise self.fail(path, f"must be a number, got {value!r}") from None
        if not number.is_finite() or number <= 0:
            raise self.fail(path, f"must be a positive number, got {value!r}")
        return number

    def date_list(self, value: Any, path: str) -> tuple[date, ...]:
        if not isinstance(value, list):
            raise self.fail(path, f"must be a list of dates (YYYY-MM-DD), got {_type_name(value)}")
        days = []
        for index, item in enumerate(value):
            if isinstance(item, date):
                days.append(item)
                continue
            try:
                days.append(date.fromisoformat(str(item)))
            except ValueError:
                raise self.fail(f"{path}[{index}]", f"{item!r} is not a date (YYYY-MM-DD)") from None
        return tuple(days)


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, (int, float, str)):
        return f"{type(value).__name__} {value!r}"
    return {"dict": "a mapping", "list": "a list"}.get(type(value).__name__, type(value).__name__)


def _units(check: _Checker, raw: Any) -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for code, entry in check.mapping(raw, "units").items():
        path = f"units.{code}"
        check.code(code, path)
        check.keys(check.mapping(entry, path), path, ("name", "kind"))
        kind = check.string(entry["kind"], f"{path}.kind")
        if kind not in UNIT_KINDS:
            raise check.fail(f"{path}.kind", f"{kind!r} is not one of {', '.join(UNIT_KINDS)}")
        units[code] = Unit(code=code, name=check.string(entry["name"], f"{path}.name"), kind=kind)
    if not units:
        raise check.fail("units", "needs at least one unit")
    return units


def _unit_ref(check: _Checker, units: dict[str, Unit], value: Any, path: str) -> str:
    code = check.string(value, path)
    if code not in units:
        raise check.fail(path, f"unknown unit {code!r} (not listed under units)")
    return code


def _project_type(check: _Checker, value: Any, path: str) -> str:
    text = check.string(value, path)
    if text not in PROJECT_TYPES:
        raise check.fail(path, f"unknown project type {text!r} (expected one of {', '.join(PROJECT_TYPES)})")
    return text


def _routing(check: _Checker, raw: Any, units: dict[str, Unit]) -> RoutingConfig:
    data = check.mapping(raw, "routing")
    check.keys(
        data,
        "routing",
        (
            "by_project_type",
            "township_types",
            "township_if_no_permit",
            "township_if_collective_land",
            "default_unit",
            "co_handler",
        ),
        ("not_construction_types",),
    )
    by_type: dict[str, str] = {}
    for project_type, code in check.mapping(data["by_project_type"], "routing.by_project_type").items():
        path = f"routing.by_project_type.{project_type}"
        by_type[_project_type(check, project_type, path)] = _unit_ref(check, units, code, path)
    raw_types = data["township_types"]
    if not isinstance(raw_types, list):
        raise check.fail("routing.township_types", f"must be a list, got {_type_name(raw_types)}")
    township_types = tuple(
        _project_type(check, item, f"routing.township_types[{index}]") for index, item in enumerate(raw_types)
    )
    raw_exempt = data.get("not_construction_types", [])
    if not isinstance(raw_exempt, list):
        raise check.fail("routing.not_construction_types", f"must be a list, got {_type_name(raw_exempt)}")
    not_construction = tuple(
        _project_type(check, item, f"routing.not_construction_types[{index}]") for index, item in enumerate(raw_exempt)
    )
    return RoutingConfig(
        by_project_type=by_type,
        township_types=township_types,
        township_if_no_permit=check.boolean(data["township_if_no_permit"], "routing.township_if_no_permit"),
        township_if_collective_land=check.boolean(
            data["township_if_collective_land"], "routing.township_if_collective_land"
        ),
        default_unit=_unit_ref(check, units, data["default_unit"], "routing.default_unit"),
        co_handler=_unit_ref(check, units, data["co_handler"], "routing.co_handler"),
        not_construction_types=not_construction,
    )


def _deadline(check: _Checker, name: str, raw: Any) -> DeadlineRule:
    path = f"deadlines.{name}"
    data = check.mapping(raw, path)
    check.keys(data, path, ("basis",), PERIOD_KEYS + ("extension_working_days",))
    found = [key for key in PERIOD_KEYS if key in data]
    if len(found) != 1:
        raise check.fail(
            path,
            f"needs exactly one of {', '.join(PERIOD_KEYS)} (found: {', '.join(found) or 'none'})",
        )
    period = found[0]
    amount, seconds = 0, 0.0
    if period == "duration":
        try:
            seconds = parse_iso_duration(data["duration"])
        except InvalidInput as error:
            raise check.fail(f"{path}.duration", error.message) from None
        if seconds <= 0:
            raise check.fail(f"{path}.duration", f"must be longer than zero, got {data['duration']!r}")
    else:
        amount = check.positive_int(data[period], f"{path}.{period}")
    extension = None
    if "extension_working_days" in data:
        extension = check.positive_int(data["extension_working_days"], f"{path}.extension_working_days")
    return DeadlineRule(
        name=name,
        unit=PeriodUnit(period),
        amount=amount,
        duration_seconds=seconds,
        extension_working_days=extension,
        basis=check.string(data["basis"], f"{path}.basis"),
    )


def _deadlines(check: _Checker, raw: Any) -> dict[str, DeadlineRule]:
    rules = {
        check.code(name, f"deadlines.{name}"): _deadline(check, name, entry)
        for name, entry in check.mapping(raw, "deadlines").items()
    }
    missing = [name for name in REQUIRED_DEADLINES if name not in rules]
    if missing:
        raise check.fail("deadlines", f"missing required rules: {', '.join(missing)}")
    return rules


def _thresholds(check: _Checker, raw: Any) -> Thresholds:
    data = check.mapping(raw, "thresholds")
    check.keys(data, "thresholds", tuple(_THRESHOLD_KINDS))
    values: dict[str, Any] = {}
    for key, kind in _THRESHOLD_KINDS.items():
        path = f"thresholds.{key}"
        if kind == "int":
            values[key] = check.positive_int(data[key], path)
        else:
            values[key] = check.decimal(data[key], path)
            if kind == "percent" and values[key] > 100:
                raise check.fail(path, f"is a percentage and cannot exceed 100, got {data[key]!r}")
    for low, high in (("deposit_ratio_min", "deposit_ratio_max"),):
        if values[low] > values[high]:
            raise check.fail(f"thresholds.{low}", f"is greater than {high} ({values[low]} > {values[high]})")
    return Thresholds(**values)


def _calendar(check: _Checker, raw: Any) -> CalendarConfig:
    data = check.mapping(raw, "calendar")
    check.keys(data, "calendar", (), ("unknown_year", "extra_holidays", "extra_workdays"))
    policy = UnknownYearPolicy.PROVISIONAL
    if "unknown_year" in data:
        text = check.string(data["unknown_year"], "calendar.unknown_year")
        allowed = [p.value for p in UnknownYearPolicy]
        if text not in allowed:
            raise check.fail("calendar.unknown_year", f"{text!r} is not one of {', '.join(allowed)}")
        policy = UnknownYearPolicy(text)
    holidays = check.date_list(data.get("extra_holidays", []), "calendar.extra_holidays")
    workdays = check.date_list(data.get("extra_workdays", []), "calendar.extra_workdays")
    both = sorted(set(holidays) & set(workdays))
    if both:
        listed = ", ".join(day.isoformat() for day in both)
        raise check.fail("calendar", f"dates listed as both holiday and working day: {listed}")
    return CalendarConfig(unknown_year=policy, extra_holidays=holidays, extra_workdays=workdays)


def _escalation(check: _Checker, raw: Any, deadlines: dict[str, DeadlineRule]) -> EscalationConfig:
    data = check.mapping(raw, "escalation")
    check.keys(data, "escalation", (), ("levels", "step"))
    defaults = EscalationConfig()
    levels = defaults.levels
    if "levels" in data:
        if not isinstance(data["levels"], list) or not data["levels"]:
            raise check.fail("escalation.levels", "must be a non-empty list of level names")
        levels = tuple(check.code(item, f"escalation.levels[{i}]") for i, item in enumerate(data["levels"]))
        if len(set(levels)) != len(levels):
            raise check.fail("escalation.levels", "lists a level twice")
    step = check.code(data.get("step", defaults.step), "escalation.step")
    if step not in deadlines:
        raise check.fail("escalation.step", f"names no rule under deadlines: {step!r}")
    return EscalationConfig(levels=levels, step=step)


def _monitoring(check: _Checker, raw: Any) -> MonitoringConfig:
    data = check.mapping(raw, "monitoring")
    check.keys(data, "monitoring", (), ("signal_score", "signal_weights", "underpaid_percent"))
    defaults = MonitoringConfig()
    weights = dict(defaults.signal_weights)
    for kind, weight in check.mapping(data.get("signal_weights", {}), "monitoring.signal_weights").items():
        path = f"monitoring.signal_weights.{kind}"
        if kind not in weights:
            raise check.fail(path, f"unknown signal kind (known: {', '.join(k.value for k in SignalKind)})")
        weights[kind] = check.positive_int(weight, path)
    percent = defaults.underpaid_percent
    if "underpaid_percent" in data:
        percent = check.decimal(data["underpaid_percent"], "monitoring.underpaid_percent")
        if percent > 100:
            raise check.fail("monitoring.underpaid_percent", f"is a percentage and cannot exceed 100, got {percent}")
    score = check.positive_int(data.get("signal_score", defaults.signal_score), "monitoring.signal_score")
    return MonitoringConfig(signal_score=score, signal_weights=weights, underpaid_percent=percent)


# The documents (and the court application) whose issuer the file names under `authorities:`.
AUTHORITY_KINDS = (
    "receipt",
    "referral",
    "order_to_pay",
    "payment_decision",
    "deposit_payout",
    "police_transfer",
    "court_reminder",
    "court_application",
    "blacklist_notice",
    "blacklist_decision",
    "non_acceptance",
)


def _authorities(check: _Checker, raw: Any, units: dict[str, Unit]) -> dict[str, Authority]:
    out: dict[str, Authority] = {}
    for kind, entry in check.mapping(raw, "authorities").items():
        path = f"authorities.{kind}"
        if kind not in AUTHORITY_KINDS:
            raise check.fail(path, f"unknown document kind (known: {', '.join(AUTHORITY_KINDS)})")
        data = check.mapping(entry, path)
        check.keys(data, path, ("unit", "basis"), ("signer",))
        unit = check.string(data["unit"], f"{path}.unit")
        if unit not in (RECEIVING_UNIT, REFERRING_UNIT):
            unit = _unit_ref(check, units, unit, f"{path}.unit")
        signer = check.string(data.get("signer", "unit_head"), f"{path}.signer")
        if signer not in (Role.CASEWORKER, Role.UNIT_HEAD):
            raise check.fail(f"{path}.signer", f"must be caseworker or unit_head, got {signer!r}")
        out[kind] = Authority(unit=unit, signer=signer, basis=check.string(data["basis"], f"{path}.basis"))
    return out


def jurisdiction_from_dict(data: dict, *, source: str) -> Jurisdiction:
    """Validate a parsed jurisdiction file and build the Jurisdiction; JurisdictionError on any problem."""
    check = _Checker(source)
    check.keys(
        check.mapping(data, ""),
        "",
        ("name", "full_name", "case_prefix", "office", "units", "routing", "deadlines", "thresholds"),
        ("calendar", "escalation", "monitoring", "authorities"),
    )
    case_prefix = check.string(data["case_prefix"], "case_prefix")
    if not _CASE_PREFIX.fullmatch(case_prefix):
        raise check.fail("case_prefix", f"must be 1-8 capital letters A-Z, got {case_prefix!r}")
    units = _units(check, data["units"])
    office = check.mapping(data["office"], "office")
    check.keys(office, "office", ("unit", "name"))
    deadlines = _deadlines(check, data["deadlines"])
    return Jurisdiction(
        name=check.string(data["name"], "name"),
        full_name=check.string(data["full_name"], "full_name"),
        case_prefix=case_prefix,
        office_unit=_unit_ref(check, units, office["unit"], "office.unit"),
        office_name=check.string(office["name"], "office.name"),
        units=units,
        routing=_routing(check, data["routing"], units),
        deadlines=deadlines,
        thresholds=_thresholds(check, data["thresholds"]),
        calendar=_calendar(check, data.get("calendar", {})),
        escalation=_escalation(check, data.get("escalation", {}), deadlines),
        monitoring=_monitoring(check, data.get("monitoring", {})),
        authorities=_authorities(check, data.get("authorities", {}), units),
    )
