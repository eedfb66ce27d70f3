"""Load a jurisdiction file (YAML), resolving `extends:` chains, and validate it.

`extends: other.yaml` (relative to the file) deep-merges this file over the other: mappings merge key by
key, everything else (numbers, strings, lists) replaces. One exception keeps overrides short: when a
deadline rule in the overriding file gives a period (working_days, calendar_days, hours or duration), it
replaces the base rule's period instead of being added to it, so `acknowledge: {duration: PT30S}` keeps
the base rule's basis and extension.
"""

from pathlib import Path
from typing import Any

import yaml

from domain.jurisdiction import PERIOD_KEYS, Jurisdiction, JurisdictionError, jurisdiction_from_dict

DEFAULT_JURISDICTION = Path(__file__).resolve().parent.parent / "jurisdictions" / "daixian.yaml"

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (the second would silently win)."""


def _construct_mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode) -> dict:
    seen = set()
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
        except TypeError:
            continue  # unhashable key: construct_mapping reports it
        if duplicate:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping_without_duplicates)


def _describe_yaml_error(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None)
    if mark is None or problem is None:
        return f"YAML syntax error: {error}"
    return f"YAML syntax error at line {mark.line + 1}, column {mark.column + 1}: {problem}"


def _merge(base: dict, override: dict, path: tuple[str, ...] = ()) -> dict:
    """base with override merged over it: mappings recursively, anything else replaced."""
    merged = dict(base)
    if len(path) == 2 and path[0] == "deadlines" and any(key in override for key in PERIOD_KEYS):
        for key in PERIOD_KEYS:
            merged.pop(key, None)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value, path + (str(key),))
        else:
            merged[key] = value
    return merged


def _load_merged(path: Path, top: str, chain: tuple[Path, ...]) -> dict[str, Any]:
    """The file's data with everything it extends merged underneath."""
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(str(p) for p in chain + (resolved,))
        raise JurisdictionError(top, "extends", f"extends cycle: {cycle}")
    where = f"in {path} (extended): " if chain else ""
    try:
        text = resolved.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise JurisdictionError(top, "extends" if chain else "", f"file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise JurisdictionError(top, "extends" if chain else "", f"cannot read {path}: {error}") from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as error:
        raise JurisdictionError(top, "", where + _describe_yaml_error(error)) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise JurisdictionError(top, "", f"{where}the file must hold a mapping (key: value) at the top level")
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str) or not parent.strip():
        raise JurisdictionError(top, "extends", f"{where}must be the path of another jurisdiction file")
    base = _load_merged(resolved.parent / parent.strip(), top, chain + (resolved,))
    return _merge(base, data)


def load_jurisdiction(path: str | Path) -> Jurisdiction:
    """Read, merge (`extends:`) and validate a jurisdiction file; JurisdictionError names file and key."""
    return jurisdiction_from_dict(_load_merged(Path(path), str(path), ()), source=str(path))
