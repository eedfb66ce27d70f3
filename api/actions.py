"""Action bodies at the edge: each is validated once, with its action's command type from the registry.

pydantic honours the constraints the domain writes on a command's fields (`annotated_types`), so a bad
body gets field-level messages before anything reaches the workflow; the workflow receives the command
as the JSON-safe dict it records.
"""

import copy
import dataclasses
import re
import typing
from decimal import Decimal
from functools import cache
from typing import Any

from pydantic import TypeAdapter

from api.inputs import AMOUNT_FORMAT, WEB_FORM, check_text, normalise_amount
from domain.actions import ACTIONS, Action
from domain.actions.base import as_params
from domain.errors import InvalidInput
from domain.jurisdiction import Jurisdiction

# The actions a person takes (over HTTP and on the web); the workflow takes the system steps by itself.
PUBLIC_ACTIONS: dict[str, Action] = {name: a for name, a in ACTIONS.items() if not a.system}


@cache
def _adapter(name: str) -> TypeAdapter:
    return TypeAdapter(ACTIONS[name].command)


_PLAIN_DECIMAL = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


@cache
def _field_kinds(name: str) -> dict[str, type]:
    """Each field of an action's command: str or Decimal (the kinds the edge screens), else object."""
    hints = typing.get_type_hints(ACTIONS[name].command)
    kinds = {}
    for f in dataclasses.fields(ACTIONS[name].command):
        text = str(hints[f.name])
        kinds[f.name] = Decimal if "Decimal" in text else str if "str" in text and "Literal" not in text else object
    return kinds


def _screened(action: Action, body: Any, context: dict | None) -> Any:
    """Text as people may type it (NFC, at least one visible character, no invisible controls) and amounts in
    plain decimal notation — in a web form also as written on paper (12,000.50元, full-width digits)."""
    if not isinstance(body, dict):
        return body
    out = dict(body)
    for field, kind in _field_kinds(action.name).items():
        value = out.get(field)
        if not isinstance(value, str) or not value.strip():
            continue
        if kind is str:
            try:
                out[field] = check_text(value)
            except ValueError as err:
                raise InvalidInput(str(err), field=field) from None
        elif kind is Decimal:
            text = normalise_amount(value) if context == WEB_FORM else value.strip()
            if not _PLAIN_DECIMAL.fullmatch(text):
                raise InvalidInput(AMOUNT_FORMAT, field=field)
            out[field] = text
    return out


def action_params(action: Action, body: Any, jurisdiction: Jurisdiction, *, context: dict | None = None) -> dict:
    """The body as the params the workflow records. Raises pydantic's ValidationError, or InvalidInput for a
    rule across fields; the field names are the body's own (no "body." prefix). `context=WEB_FORM` accepts
    amounts as people write them on paper."""
    cmd = _adapter(action.name).validate_python(_screened(action, {} if body is None else body, context))
    to_unit = getattr(cmd, "to_unit", None)
    if to_unit is not None and to_unit not in jurisdiction.units:
        raise InvalidInput(code="unknown_unit", field="to_unit", unit=to_unit, county=jurisdiction.name)
    return as_params(cmd)


@cache
def body_schema(name: str) -> dict:
    """The JSON schema of an action's body, self-contained (its definitions inlined), for OpenAPI."""
    action = ACTIONS[name]
    schema = _adapter(name).json_schema()
    defs = schema.pop("$defs", {})
    schema = _inline(schema, defs)
    schema["title"] = action.command.__name__
    schema["description"] = " ".join((action.command.__doc__ or action.label).split())
    for field, label in action.field_labels.items():
        prop = schema.get("properties", {}).get(field)
        if prop is not None:
            help_text = action.field_help.get(field)
            prop.setdefault("description", label + (f"：{help_text}" if help_text else ""))
    return schema


def _inline(node, defs: dict):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(copy.deepcopy(defs[ref.removeprefix("#/$defs/")]), defs)
        return {key: _inline(value, defs) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    return node
