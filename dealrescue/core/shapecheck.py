"""What the playbook format's shape says about a file: ``core.validate``'s errors in words, the
field rules in each field's metadata, and a copy without unknown keys to check further."""

from __future__ import annotations

import dataclasses
import difflib
import re
import typing
from typing import Any, Protocol

from dealrescue.core.model import (
    DATE_EXPR_PATTERN,
    DEADLINE_PATTERN,
    DUE_PATTERN,
    GAP_PATTERN,
    ID_PATTERN,
    PLAYBOOK_ID_PATTERN,
    Playbook,
)
from dealrescue.core.yamlread import Path


class Report(Protocol):
    def add(self, path: Path, message: str) -> None: ...


_EXTRA = ("extra_forbidden", "unexpected_keyword_argument")


def repaired(data: Any, errors: list[dict[str, Any]]) -> Any | None:
    """A copy of ``data`` that the format may accept, to check it further, or None.

    Only keys are repaired: a required key missing beside an unknown key that resembles it
    (``promt`` for ``prompt``) takes that key's value; other unknown keys go, and so does a bad
    value of a key the format has a default for. Anything else: None.
    """
    import copy

    fixed = copy.deepcopy(data)
    extra = [tuple(e["loc"]) for e in errors if e["type"] in _EXTRA]
    for error in errors:
        path = tuple(error["loc"])
        if error["type"] in _EXTRA:
            continue
        if error["type"] != "missing" and _has_default(path):
            extra.append(path)  # a value that breaks a rule of a key with a default: check the rest without it
            continue
        siblings = [p[-1] for p in extra if p[:-1] == path[:-1]]
        close = difflib.get_close_matches(str(path[-1]), [str(s) for s in siblings], n=1)
        if error["type"] != "missing" or not close:
            return None
        parent = _at(fixed, path[:-1])
        parent[path[-1]] = parent[close[0]]
    for path in extra:
        _at(fixed, path[:-1]).pop(path[-1], None)
    return fixed


def _at(data: Any, path: Path) -> Any:
    for part in path:
        data = data[part]
    return data


def describe_error(error: Any, path: Path) -> str:
    kind = error["type"]
    value = error.get("input")
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        key = str(path[-1])
        if not re.fullmatch(r"[A-Za-z_][\w-]*", key):
            # `note: Trade, don't give.` inside { }: the comma ended the value and the rest became a key.
            return (
                f"{key!r} is not a key: inside {{ }} a comma ends a value, so the text after it was read as a key; "
                'put the whole text in quotes, e.g. note: "Trade, don\'t give."'
            )
        known = sorted(_fields_at(path[:-1]))
        close = difflib.get_close_matches(key, known, n=1)
        suggestion = f" (did you mean {close[0]!r}?)" if close else f" (known keys: {', '.join(known)})"
        return f"unknown key{suggestion}"
    if kind == "missing":
        return "is required but missing"
    if kind in ("enum", "literal_error") and isinstance(value, str):
        # The check says "Input should be 'a', 'b' or 'c'"; an author wants the list and the likely one.
        allowed = re.findall(r"'([^']*)'", str((error.get("ctx") or {}).get("expected", "")))
        close = difflib.get_close_matches(value, allowed, n=1)
        return f"{value!r} is not one of: {', '.join(allowed)}" + (f" (did you mean {close[0]!r}?)" if close else "")
    message = str(error["msg"])
    pattern = (error.get("ctx") or {}).get("pattern")
    if kind == "string_pattern_mismatch" and pattern in _PATTERN_WORDS:
        return f"{value!r} does not fit: {_PATTERN_WORDS[pattern]}"
    if kind.startswith("string_") and isinstance(value, (bool, int, float)):
        written = {True: "yes/true/on", False: "no/false/off"}.get(value, str(value)) if isinstance(value, bool) else value
        return f"{message}; YAML read {written} as {type(value).__name__}: put it in quotes"
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return message


def _fields_at(path: Path) -> set[str]:
    """The keys the format accepts at ``path`` (for suggestions)."""
    return {f.name for f in _dataclass_fields(path)}


def _dataclass_fields(path: Path) -> tuple[dataclasses.Field[Any], ...]:
    cls: Any = Playbook
    for part in path:
        if isinstance(part, int):
            continue
        hints = typing.get_type_hints(cls)
        cls = _inner_dataclass(hints.get(str(part)))
        if cls is None:
            return ()
    return dataclasses.fields(cls)


def _has_default(path: Path) -> bool:
    """Whether the key at ``path`` may be left out (the format then uses its default)."""
    if not path or not isinstance(path[-1], str):
        return False
    found = [f for f in _dataclass_fields(path[:-1]) if f.name == path[-1]]
    return bool(found) and (found[0].default is not dataclasses.MISSING or found[0].default_factory is not dataclasses.MISSING)


def _inner_dataclass(annotation: Any) -> type[Any] | None:
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_dataclass(arg)
        if found is not None:
            return found
    return None


def check_constraints(node: Any, path: Path, problems: Report) -> None:
    """The rules each field's metadata states (pattern, min_length, min_items, ge), everywhere."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            check_constraints(item, (*path, index), problems)
        return
    if not dataclasses.is_dataclass(node):
        return
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        where = (*path, f.name)
        rules = f.metadata
        if "pattern" in rules and isinstance(value, str) and not re.match(rules["pattern"], value):
            problems.add(where, f"{value!r} does not fit: {_PATTERN_WORDS.get(rules['pattern'], rules['pattern'])}")
        if "min_length" in rules and isinstance(value, str) and len(value) < rules["min_length"]:
            problems.add(where, "must not be empty")
        if "min_items" in rules and isinstance(value, list) and len(value) < rules["min_items"]:
            problems.add(where, f"needs at least {rules['min_items']} item(s)")
        if "ge" in rules and isinstance(value, (int, float)) and value < rules["ge"]:
            problems.add(where, f"must be at least {rules['ge']}")
        check_constraints(value, where, problems)


_PATTERN_WORDS = {
    ID_PATTERN: "use lowercase letters, digits and _, starting with a letter (quote values like \"no\" or \"yes\")",
    PLAYBOOK_ID_PATTERN: "use lowercase letters, digits, _ and -, starting with a letter",
    DUE_PATTERN: "write a due offset like +2d, +1w, +3m or +1y",
    DATE_EXPR_PATTERN: "write a due offset like +2d, +1w, +3m or +1y, or a date question and an offset: decision_date -2d",
    DEADLINE_PATTERN: "write a date question, with an optional offset: decision_date or decision_date -1d",
    GAP_PATTERN: "write working days like 5wd, or days like 3d",
}
