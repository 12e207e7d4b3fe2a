"""Plain data (what YAML gives) to the format's records, strictly: an unknown key, a missing key
or a value of the wrong kind is an error naming its key path.

The checks follow from the records' type hints, so the format is still stated once, in
``core.model``. Errors have the shape shapecheck reads (``type``, ``loc``, ``msg``, ``input``,
``ctx``) and the same types, words and order as pydantic's lax mode, which this replaces on the
run path: pydantic and its schema build cost about 130 ms on every cache miss. pydantic stays
for ``playbooks schema`` (the JSON Schema), and ``tests/test_validate.py`` checks the two agree
on a corpus of broken playbooks.

The lax conversions are pydantic's: a whole number is read from ``"3"`` or ``3.0``, a number from
``"2.5"``, a yes/no from ``"yes"``, ``"off"``, ``1`` or ``0``.
"""

from __future__ import annotations

import dataclasses
import math
import re
import sys
import types
import typing
from collections.abc import Callable
from enum import Enum
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")
Check = Callable[[Any, tuple[Any, ...], list[dict[str, Any]]], Any]


class ShapeError(Exception):
    """The data does not fit the format; ``errors()`` lists why, each with its key path."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        listed = "".join(f"\n{'.'.join(map(str, e['loc'])) or '(top)'}\n  {e['msg']}" for e in errors)
        super().__init__(f"{len(errors)} problem(s) with the shape of the data:{listed}")
        self._errors = errors

    def errors(self) -> list[dict[str, Any]]:
        return list(self._errors)


class _Bad:
    """The value a check returns after it reported an error."""


BAD = _Bad()


def validate_as(cls: type[T], data: Any) -> T:
    """``data`` as a ``cls`` record; raises ``ShapeError`` listing every problem found."""
    errors: list[dict[str, Any]] = []
    value = check_for(cls)(data, (), errors)  # type: ignore[arg-type]  # a class is hashable
    if errors:
        raise ShapeError(errors)
    return value  # type: ignore[no-any-return]


def _error(kind: str, loc: tuple[Any, ...], msg: str, value: Any, ctx: dict[str, Any] | None = None) -> dict[str, Any]:
    found = {"type": kind, "loc": loc, "msg": msg, "input": value}
    if ctx is not None:
        found["ctx"] = ctx
    return found


@cache
def check_for(hint: Any) -> Check:
    """The check for one type hint of the format (records, lists, dicts, optionals, enums, literals, scalars)."""
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _record_check(hint)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return _choice_check("enum", [member.value for member in hint], hint)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Literal:
        return _choice_check("literal_error", list(args), None)
    if origin in (typing.Union, types.UnionType):
        if set(args) == {str, list[str]}:  # one id or a list of them (a step's `after`)
            return _one_or_list(check_for(list[str]))
        others = [arg for arg in args if arg is not type(None)]
        if len(others) != 1 or len(args) != 2:
            raise TypeError(f"only X | None unions are in the format, not {hint!r}")
        return _optional_check(check_for(others[0]))
    if origin is list:
        return _list_check(check_for(args[0]))
    if origin is dict:
        return _dict_check(check_for(args[0]), check_for(args[1]))
    scalar = _SCALARS.get(hint)
    if scalar is None:
        raise TypeError(f"the format has no check for {hint!r}")
    return scalar


def _record_check(cls: type[Any]) -> Check:
    hints = _field_types(cls)
    fields = [(f.name, f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING) for f in dataclasses.fields(cls)]
    checks: dict[str, Check] = {}
    name = cls.__name__

    def check(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
        if isinstance(value, cls):
            return value
        if not isinstance(value, dict):
            message = f"Input should be a dictionary or an instance of {name}"
            errors.append(_error("dataclass_type", loc, message, value, {"class_name": name}))
            return BAD
        if not checks:  # the field types resolve on first use: a class may name one declared below it
            checks.update({f.name: _with_rules(check_for(hints[f.name]), f.metadata) for f in dataclasses.fields(cls)})
        before = len(errors)
        given: dict[str, Any] = {}
        for field, required in fields:
            if field in value:
                given[field] = checks[field](value[field], (*loc, field), errors)
            elif required:
                errors.append(_error("missing", (*loc, field), "Field required", value))
        for key, extra in value.items():
            if key not in checks:
                errors.append(_error("unexpected_keyword_argument", (*loc, key), "Unexpected keyword argument", extra))
        return cls(**given) if len(errors) == before else BAD

    return check


def _with_rules(check: Check, rules: Any) -> Check:
    """The field's check, then the rules of its metadata that pydantic also applies (pattern,
    min_length, ge); ``min_items`` is left to shapecheck.check_constraints, as before."""
    pattern = rules.get("pattern")
    # The format's patterns end in $, meant as the end of the text (no newline before it).
    compiled = re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern) if pattern else None
    min_length, least = rules.get("min_length"), rules.get("ge")
    if compiled is None and min_length is None and least is None:
        return check

    def ruled(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
        value = check(value, loc, errors)
        if isinstance(value, str) and compiled is not None and not compiled.search(value):
            errors.append(_error("string_pattern_mismatch", loc, f"String should match pattern '{pattern}'", value, {"pattern": pattern}))
            return BAD
        if isinstance(value, str) and min_length is not None and len(value) < min_length:
            message = f"String should have at least {min_length} character{'s' if min_length != 1 else ''}"
            errors.append(_error("string_too_short", loc, message, value, {"min_length": min_length}))
            return BAD
        if isinstance(value, (int, float)) and not isinstance(value, bool) and least is not None and value < least:
            errors.append(_error("greater_than_equal", loc, f"Input should be greater than or equal to {least}", value, {"ge": least}))
            return BAD
        return value

    return ruled


def _field_types(cls: type[Any]) -> dict[str, Any]:
    """What ``typing.get_type_hints`` gives for a record, with each distinct annotation evaluated
    once: the format writes ``str | None`` two dozen times, and every evaluation compiles."""
    return {f.name: _evaluated(f.type, cls.__module__) if isinstance(f.type, str) else f.type for f in dataclasses.fields(cls)}


@cache
def _evaluated(annotation: str, module: str) -> Any:
    return eval(annotation, vars(sys.modules[module]))  # the format's own annotations, as get_type_hints does


def _choice_check(kind: str, allowed: list[Any], enum: type[Enum] | None) -> Check:
    words = [repr(v) for v in allowed]
    expected = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"

    def check(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
        if enum is not None and isinstance(value, enum):
            return value
        if isinstance(value, str) and value in allowed:
            return enum(value) if enum is not None else value
        errors.append(_error(kind, loc, f"Input should be {expected}", value, {"expected": expected}))
        return BAD

    return check


def _optional_check(inner: Check) -> Check:
    def check(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
        return None if value is None else inner(value, loc, errors)

    return check


def _one_or_list(listed: Check) -> Check:
    """``str | list[str]``: a failure lists each branch's errors under the branch's name, as pydantic does."""

    def check(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
        if isinstance(value, str):
            return value
        found: list[dict[str, Any]] = []
        checked = listed(value, loc, found)
        if not found:
            return checked
        errors.append(_error("string_type", (*loc, "str"), "Input should be a valid string", value))
        errors += [{**e, "loc": (*loc, "list[str]", *e["loc"][len(loc):])} for e in found]
        return BAD

    return check


def _list_check(item: Check) -> Check:
    def check(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
        if not isinstance(value, (list, tuple, set, frozenset)):
            errors.append(_error("list_type", loc, "Input should be a valid list", value))
            return BAD
        items = [item(v, (*loc, i), errors) for i, v in enumerate(value)]
        return BAD if any(v is BAD for v in items) else items

    return check


def _dict_check(key: Check, item: Check) -> Check:
    def check(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
        if not isinstance(value, dict):
            errors.append(_error("dict_type", loc, "Input should be a valid dictionary", value))
            return BAD
        checked = {key(k, (*loc, k), errors): item(v, (*loc, k), errors) for k, v in value.items()}
        return BAD if BAD in checked or any(v is BAD for v in checked.values()) else checked

    return check


def _any(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
    return value


def _text(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
    if isinstance(value, str):
        return value
    errors.append(_error("string_type", loc, "Input should be a valid string", value))
    return BAD


_WHOLE_TEXT = re.compile(r"[+-]?[0-9]+(?:_[0-9]+)*(?:\.0+)?")


def _whole(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
    if isinstance(value, int):  # bool included: True is 1
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            errors.append(_error("finite_number", loc, "Input should be a finite number", value))
        elif value.is_integer():
            return int(value)
        else:
            errors.append(_error("int_from_float", loc, "Input should be a valid integer, got a number with a fractional part", value))
        return BAD
    if isinstance(value, str):
        text = value.strip()
        if _WHOLE_TEXT.fullmatch(text):
            return int(text.split(".")[0])
        errors.append(_error("int_parsing", loc, "Input should be a valid integer, unable to parse string as an integer", value))
        return BAD
    errors.append(_error("int_type", loc, "Input should be a valid integer", value))
    return BAD


def _number(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        if value.isascii():  # float() also reads other scripts' digits; the format does not
            try:
                return float(value)
            except ValueError:
                pass
        errors.append(_error("float_parsing", loc, "Input should be a valid number, unable to parse string as a number", value))
        return BAD
    errors.append(_error("float_type", loc, "Input should be a valid number", value))
    return BAD


_YES_NO = {
    **dict.fromkeys(("1", "on", "t", "true", "y", "yes"), True),
    **dict.fromkeys(("0", "off", "f", "false", "n", "no"), False),
}


def _yes_no(value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
    if isinstance(value, bool):
        return value
    unreadable = _error("bool_parsing", loc, "Input should be a valid boolean, unable to interpret input", value)
    if isinstance(value, str):
        found = _YES_NO.get(value.lower())
        if found is not None:
            return found
        errors.append(unreadable)
        return BAD
    if isinstance(value, (int, float)) and math.isfinite(value) and float(value).is_integer():
        if value in (0, 1):
            return bool(value)
        errors.append(unreadable)
        return BAD
    errors.append(_error("bool_type", loc, "Input should be a valid boolean", value))
    return BAD


_SCALARS: dict[Any, Check] = {str: _text, int: _whole, float: _number, bool: _yes_no, Any: _any}
