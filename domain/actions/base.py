"""What an action is: its command type, who may take it when, its check, its clocks, its effect, its labels.

A command is a frozen dataclass (`@command`) whose fields carry their constraints as `typing.Annotated`
metadata from `annotated_types` (Gt, MaxLen, ...). The API and the web validate a body with pydantic, which
honours those constraints and gives field-level messages; the workflow receives the command as a JSON-safe
dict and `parse` turns it back into the command (checking the same constraints, so a payload from anywhere
else is refused the same way).
"""

import dataclasses
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Annotated, Any, Literal

from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen, MultipleOf

from domain.calendar import CHINA_TZ
from domain.errors import InvalidInput
from domain.model import Actor, CaseState, Stage

# ---- who may act ----------------------------------------------------------------------------------

CASE_WORKERS = ("caseworker", "unit_head")
LEAD = "lead"  # the actor's unit leads the case
INVOLVED = "involved"  # the actor's unit leads, co-handles or received a referral
POLICE = "police"  # the actor is of the case's police unit, and the case was referred to it
COURT = "court"  # the same for the court
SYSTEM_ONLY = ("system",)  # steps the workflow takes by itself when a clock runs out

OPEN_STAGES = frozenset(s for s in Stage if s is not Stage.CLOSED)
ENFORCEMENT = frozenset(
    {Stage.PAYMENT_ORDERED, Stage.DECIDED, Stage.DEPOSIT_DRAWDOWN, Stage.POLICE_REFERRED, Stage.COURT_ENFORCEMENT}
)
AFTER_ORDER = ENFORCEMENT - {Stage.PAYMENT_ORDERED, Stage.DECIDED}


# ---- what the workflow exchanges with its activities --------------------------------------------------


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
    provisional: bool = False  # computed on a year without the official schedule (docs/calendar.md)


@dataclass
class DocumentRequest:
    seq: int
    kind: str
    params: dict = field(default_factory=dict)


Times = dict[str, ClockTimes]


# ---- commands -------------------------------------------------------------------------------------

# Shared field types. Amounts are yuan with at most two decimals (fen).
Amount = Annotated[Decimal, Gt(0), Lt(Decimal("1e12")), MultipleOf(Decimal("0.01"))]
Text = Annotated[str, MinLen(1), MaxLen(2000)]
LongText = Annotated[str, MinLen(1), MaxLen(5000)]
OptionalText = Annotated[str, MaxLen(2000)]
Reference = Annotated[str, MaxLen(100)]
Months = Annotated[int, Ge(1), Le(600)]
# A date means the end of that day in China; a date-time without an offset is China time (+08:00).
ChinaTime = date | datetime

# pydantic reads this configuration from a plain dict: unknown fields are refused, text is stripped.
_PYDANTIC_CONFIG = {"extra": "forbid", "str_strip_whitespace": True}


def command(cls):
    """Make `cls` a command: a frozen dataclass that refuses unknown fields."""
    cls = dataclass(frozen=True)(cls)
    cls.__pydantic_config__ = _PYDANTIC_CONFIG
    return cls


@command
class NoFields:
    """An action that needs no input."""


def china_time(value: date | datetime | None) -> datetime | None:
    """A date as the end of that day in China; a date-time without an offset as China time."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        return datetime.combine(value, time(23, 59, 59), tzinfo=CHINA_TZ)
    return value if value.tzinfo is not None else value.replace(tzinfo=CHINA_TZ)


def set_field(cmd, name: str, value) -> None:
    """Normalise a field of a frozen command in its __post_init__."""
    object.__setattr__(cmd, name, value)


def parse(cls: type, params: dict) -> Any:
    """The command `cls` from a JSON-safe dict, with the constraints of its fields checked."""
    if not isinstance(params, dict):
        raise InvalidInput(code="body_not_object")
    # Fields it does not know are ignored (the edge refuses them): a history recorded before a field was
    # dropped still replays.
    hints = typing.get_type_hints(cls, include_extras=True)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        raw = params.get(f.name)
        if raw is None:
            if not has_default and not _allows_none(hints[f.name]):
                raise InvalidInput(code="required", field=f.name, name=f.name)
            if f.name in params:
                values[f.name] = None
            continue
        values[f.name] = _value(hints[f.name], raw, f.name)
    return cls(**values)


def _allows_none(annotation) -> bool:
    core, _ = _strip(annotation)
    return typing.get_origin(core) in (typing.Union, types.UnionType) and type(None) in typing.get_args(core)


def _strip(annotation) -> tuple[Any, list]:
    metadata: list = []
    while typing.get_origin(annotation) is Annotated:
        args = typing.get_args(annotation)
        annotation, metadata = args[0], metadata + list(args[1:])
    return annotation, metadata


def _value(annotation, raw, name: str):
    core, metadata = _strip(annotation)
    if typing.get_origin(core) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(core) if a is not type(None)]
        if set(options) == {date, datetime}:
            return _moment(raw, name)
        core, inner = _strip(options[0])
        metadata += inner
    value = _convert(core, raw, name)
    _constrain(value, metadata, name)
    return value


def _convert(core, raw, name: str):
    if typing.get_origin(core) is Literal:
        if raw not in typing.get_args(core):
            raise InvalidInput(
                code="one_of", field=name, name=name, choices=", ".join(str(a) for a in typing.get_args(core))
            )
        return raw
    if isinstance(core, type) and issubclass(core, Enum):
        try:
            return core(raw)
        except ValueError:
            raise InvalidInput(
                code="one_of", field=name, name=name, choices=", ".join(str(m.value) for m in core)
            ) from None
    if core is bool:
        if not isinstance(raw, bool):
            raise InvalidInput(code="true_or_false", field=name, name=name)
        return raw
    if core is int:
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise InvalidInput(code="whole_number", field=name, name=name)
        return raw
    if core is Decimal:
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            raise InvalidInput(code="amount_format", field=name, name=name) from None
        if not value.is_finite() or isinstance(raw, bool):
            raise InvalidInput(code="amount_format", field=name, name=name)
        return value
    if core is str:
        if not isinstance(raw, str):
            raise InvalidInput(code="text_expected", field=name, name=name)
        return raw.strip()
    if core in (date, datetime):
        return _moment(raw, name)
    return raw


def _moment(raw, name: str) -> date | datetime:
    if isinstance(raw, (date, datetime)):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw) if len(raw) == 10 else datetime.fromisoformat(raw)
        except ValueError:
            pass
    raise InvalidInput(code="datetime_format", field=name, name=name)


def _constrain(value, metadata: list, name: str) -> None:
    for item in metadata:
        if isinstance(item, Gt) and not value > item.gt:
            raise InvalidInput(code="greater_than", field=name, name=name, limit=item.gt)
        if isinstance(item, Ge) and not value >= item.ge:
            raise InvalidInput(code="at_least", field=name, name=name, limit=item.ge)
        if isinstance(item, Lt) and not value < item.lt:
            raise InvalidInput(code="less_than", field=name, name=name, limit=item.lt)
        if isinstance(item, Le) and not value <= item.le:
            raise InvalidInput(code="at_most", field=name, name=name, limit=item.le)
        if isinstance(item, MinLen) and len(value) < item.min_length:
            raise InvalidInput(code="required", field=name, name=name)
        if isinstance(item, MaxLen) and len(value) > item.max_length:
            raise InvalidInput(code="too_long", field=name, name=name, limit=item.max_length)
        if isinstance(item, MultipleOf) and value % item.multiple_of != 0:
            raise InvalidInput(code="amount_fen", field=name, name=name)


def as_params(cmd) -> dict:
    """A command as the JSON-safe dict the workflow records (None fields left out)."""
    out = {}
    for f in dataclasses.fields(cmd):
        value = getattr(cmd, f.name)
        if value is None or value == ():
            continue
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, (date, datetime)):
            value = value.isoformat()
        elif isinstance(value, Enum):
            value = value.value
        elif isinstance(value, tuple):  # of commands (the persons of a listing): as a list of dicts
            value = [as_params(item) if dataclasses.is_dataclass(item) else item for item in value]
        out[f.name] = value
    return out


# ---- the action -----------------------------------------------------------------------------------


def always(state: CaseState) -> bool:
    return True


def no_check(state: CaseState, cmd, now: datetime) -> None:
    return None


def clock_awaited(kind: str) -> Callable[[CaseState], bool]:
    """Awaited while a clock of that kind runs (open or missed, not resolved)."""
    return lambda state: state.open_deadline(kind) is not None


@dataclass(frozen=True)
class Action:
    """Everything about one case action.

    `awaited(state)` is when the action makes sense: `pending_actions` lists the actions whose stage
    and `awaited` hold, and `check` refuses an action that is not awaited with `not_awaited` (a text code),
    so what is offered and what is accepted cannot drift apart. `check` then looks at the command against
    the state. `clocks` names the statutory clocks the action opens (computed by an activity), and `apply`
    changes the state and returns the documents to issue.
    """

    name: str
    command: type
    stages: frozenset[Stage]
    roles: tuple[str, ...]
    apply: Callable[[CaseState, Any, Actor, datetime, Times], list[DocumentRequest]]
    label: str  # zh-CN, as the web shows it
    hint: str = ""  # zh-CN, under the form's title
    scope: str = LEAD
    # The document kind the action issues with legal effect on a party: where the case's policy names
    # its authority (`authorities:` in the jurisdiction file), that unit's people take the action.
    issues: str = ""
    office_roles: tuple[str, ...] = ("supervisor",)  # may act on any case, whatever its unit
    awaited: Callable[[CaseState], bool] = always
    not_awaited: str = "not_awaited"  # the text code of the refusal when not awaited
    # When not awaited, may raise a more precise refusal (naming what is missing) before `not_awaited`.
    refusal: Callable[[CaseState, datetime], None] | None = None
    check: Callable[[CaseState, Any, datetime], None] = no_check
    opens: tuple[str, ...] = ()  # clocks the action opens, counted from the action
    clocks: Callable[[CaseState, Any, datetime], list[ClockRequest]] | None = None  # when `opens` is not enough
    moves_money: bool = False  # refused without an Idempotency-Key
    secondary: bool = False  # shown after the actions that move the case along its main line
    field_labels: dict[str, str] = field(default_factory=dict)  # zh-CN, where not the common label
    field_help: dict[str, str] = field(default_factory=dict)
    bool_labels: dict[str, tuple[str, str]] = field(default_factory=dict)  # (yes, no)

    @property
    def system(self) -> bool:
        """A step the workflow takes by itself; nobody takes it over HTTP or on the web."""
        return self.roles == SYSTEM_ONLY

    def clocks_for(self, state: CaseState, cmd, now: datetime) -> list[ClockRequest]:
        if self.clocks is not None:
            return self.clocks(state, cmd, now)
        return [ClockRequest(rule, rule, now) for rule in self.opens]
