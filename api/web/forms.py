"""Forms from the action registry: an action's command type gives the inputs, its definition the labels.

A new action appears on the case page as soon as it is in the registry (domain.actions) and in the
case's pending actions; nothing here names an action.
"""

import dataclasses
import re
import typing
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import ValidationError
from starlette.datastructures import FormData

from api.case_service import actor_of
from api.inputs import normalise_amount
from api.web.pages import clean, local_datetime
from api.web.texts import VALUE_LABELS, validation_message
from db.accounts import User
from domain import lifecycle
from domain.actions import ACTIONS, Action
from domain.errors import DomainError, Forbidden
from domain.jurisdiction import Jurisdiction
from domain.labels import OUTCOME_LABELS
from domain.listing import PERSON_ROLES
from domain.model import CaseState


@dataclass
class FieldSpec:
    """One input of an action form."""

    name: str
    label: str
    widget: str  # select | bool | checkbox | amount | datetime | int | text | textarea
    required: bool
    choices: list[tuple[str, str]] = field(default_factory=list)
    help: str = ""
    blank_label: str = "请选择"
    min: int | None = None
    max: int | None = None
    maxlength: int | None = None
    persons: bool = False  # a textarea of people, one a line: role, name, ID number (parsed by `person_lines`)


def _unwrap(annotation) -> tuple[Any, bool, list]:
    """The core type of an annotation, whether None is allowed, and the constraints found on the way."""
    optional = False
    metadata: list = []
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            args = get_args(annotation)
            annotation, metadata = args[0], metadata + list(args[1:])
        elif origin in (Union, UnionType):
            args = [a for a in get_args(annotation) if a is not NoneType]
            optional = optional or len(args) < len(get_args(annotation))
            if any(a is datetime for a in args):  # date | datetime: a date-time input takes both
                return datetime, optional, metadata
            if len(args) != 1:
                return str, optional, metadata
            annotation = args[0]
        else:
            return annotation, optional, metadata


def _constraints(metadata: list) -> dict:
    found: dict = {}
    for item in metadata:
        for name in ("max_length", "gt", "ge", "le", "lt"):
            value = getattr(item, name, None)
            if value is not None:
                found.setdefault(name, value)
    return found


def _choices_for(name: str, core, jurisdiction: Jurisdiction) -> list[tuple[str, str]] | None:
    if name == "to_unit":
        return [(u.code, u.name) for u in jurisdiction.units.values()]
    if name == "outcome":
        return list(OUTCOME_LABELS.items())
    values = None
    if get_origin(core) is Literal:
        values = [str(v) for v in get_args(core)]
    elif isinstance(core, type) and issubclass(core, Enum):
        values = [str(member.value) for member in core]
    if values is None:
        return None
    return [(v, VALUE_LABELS.get(v, v)) for v in values]


def action_fields(action: Action, jurisdiction: Jurisdiction) -> list[FieldSpec]:
    """The inputs of an action's form, derived from its command's fields and types."""
    hints = typing.get_type_hints(action.command, include_extras=True)
    specs = []
    for f in dataclasses.fields(action.command):
        core, optional, metadata = _unwrap(hints[f.name])
        limits = _constraints(metadata)
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        label = action.field_labels.get(f.name, f.name)
        spec = FieldSpec(
            name=f.name, label=label, widget="text", required=required, help=action.field_help.get(f.name, "")
        )
        choices = _choices_for(f.name, core, jurisdiction)
        if choices is not None:
            spec.widget, spec.choices = "select", choices
            if f.name == "to_unit":
                spec.blank_label = "（退回领导小组办公室）"
        elif core is bool:
            yes, no = action.bool_labels.get(f.name, ("是", "否"))
            spec.widget = "bool" if required else "checkbox"
            spec.choices = [("true", yes), ("false", no)]
        elif core is Decimal:
            spec.widget = "amount"
        elif get_origin(core) is tuple:  # the persons listed with an employer (domain/listing.py)
            spec.widget, spec.persons = "textarea", True
        elif core in (datetime, date):
            spec.widget = "datetime"
        elif core is int:
            spec.widget = "int"
            spec.min = limits["gt"] + 1 if "gt" in limits else limits.get("ge")
            spec.max = limits["lt"] - 1 if "lt" in limits else limits.get("le")
        else:
            spec.maxlength = limits.get("max_length")
            spec.widget = "textarea" if (spec.maxlength or 10_000) > 200 else "text"
        specs.append(spec)
    return specs


def action_body(specs: list[FieldSpec], form: FormData) -> dict:
    """The form's values as the action body expects them (empty fields are left out)."""
    data: dict = {}
    for spec in specs:
        if spec.widget == "checkbox":
            data[spec.name] = spec.name in form
            continue
        value = clean(form.get(spec.name))
        if value is None:
            continue
        if spec.persons:
            data[spec.name] = person_lines(value)
            continue
        if spec.widget == "datetime":
            value = local_datetime(value)
        elif spec.widget == "amount":
            value = normalise_amount(value)  # "12,000.50元", full-width digits: as written on paper
        data[spec.name] = value
    return data


_SEPARATORS = re.compile(r"[\s,，、;；:：]+")
_ID_TOKEN = re.compile(r"[0-9]{14,17}[0-9X]")
_ROLE_CODES = {label: code for code, label in PERSON_ROLES.items()} | {code: code for code in PERSON_ROLES}


def person_lines(text: str) -> list[dict]:
    """People typed one a line, in any order: a role (法定代表人, 主要负责人, 直接责任人员), a name and an ID
    number (15 to 18 digits, the last maybe X); the command checks each."""
    people = []
    for line in text.splitlines():
        tokens = [t for t in _SEPARATORS.split(line.strip()) if t]
        if not tokens:
            continue
        role = next((_ROLE_CODES[t] for t in tokens if t in _ROLE_CODES), "")
        number = next((t for t in tokens if _ID_TOKEN.fullmatch(unicodedata.normalize("NFKC", t).upper())), "")
        name = "".join(t for t in tokens if t not in _ROLE_CODES and t != number)
        people.append({"name": name, "id_number": number, "role": role})
    return people


def errors_by_field(exc: ValidationError, rename=None, empty: tuple[str, ...] = ()) -> tuple[dict[str, str], list[str]]:
    """Field errors keyed by dotted path ('complainant.id_number'), and errors of the form as a whole.

    An error of the whole body that names some of the `empty` fields is shown at those fields instead.
    """
    fields: dict[str, str] = {}
    general: list[str] = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc") or ()]
        key = ".".join(loc)
        if rename is not None:
            key = rename(key)
        message = validation_message(error)
        if key:
            fields.setdefault(key, message)
            continue
        named = [name for name in empty if re.search(rf"\b{re.escape(name)}\b", str(error.get("msg", "")))]
        for name in named:
            fields.setdefault(name, message)
        if not named:
            general.append(message)
    return fields, general


def may_take(state: CaseState, action: str, user: User) -> bool:
    """Whether the user's role and unit allow the action (the domain's own check, without parameters)."""
    try:
        lifecycle.check(state, action, {}, actor_of(user), datetime.now(timezone.utc))
    except Forbidden:
        return False
    except DomainError:
        return True  # allowed in principle; the parameters are checked when the form is sent
    return True


def action_forms(
    state: CaseState,
    pending: list[str],
    user: User,
    jurisdiction: Jurisdiction,
    defaults: dict[str, dict[str, str]],
    notes: dict[str, str],
) -> tuple[list, list]:
    """Forms for the pending actions this user may take (main line first), and the labels of the others.

    Each form carries an idempotency key made when it was drawn: sending it twice takes the action once.
    """
    forms, others = [], []
    ordered = sorted((ACTIONS[a] for a in pending if a in ACTIONS and not ACTIONS[a].system), key=lambda a: a.secondary)
    for action in ordered:
        if not may_take(state, action.name, user):
            others.append(action.label)
            continue
        forms.append(
            {
                "action": action.name,
                "label": action.label,
                "hint": action.hint,
                "fields": action_fields(action, jurisdiction),
                "defaults": defaults.get(action.name, {}),
                "note": notes.get(action.name, ""),
                "key": uuid.uuid4().hex,
            }
        )
    return forms, others
