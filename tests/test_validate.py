"""core.validate reads the playbook format as pydantic's lax mode does: same records, same errors."""

import copy
import datetime
import functools
import random
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from dealrescue.core import model
from dealrescue.core.validate import ShapeError, validate_as
from dealrescue.core.yamlread import read_yaml

PLAYBOOKS = sorted((Path(__file__).parent.parent / "playbooks").glob("*.yaml"))
# What YAML can give a key (our reader refuses !!binary and other tags), and some tricky text.
VALUES: list[Any] = [
    True, False, 0, 1, 2, -1, 0.0, 1.0, 2.5, 3.0, float("inf"), float("nan"), None, [], {}, [1], ["a"], {"a": 1},
    {"a": "b"}, datetime.date(2026, 1, 1), datetime.datetime(2026, 1, 1, 9, 30), "", " ", "3", " 3 ", "+3", "-0",
    "3.0", "3.5", "1_000", "1_000.0", "1__0", "1e3", "0x10", "inf", "-inf", "nan", "NaN", "Infinity", ".5", "5.",
    "007", "٣", "３", "yes", "Yes", " yes", "no ", "on", "OFF", "t", "f", "y", "n", "1", "0", "2", "true", "sum",
    "max", "avg", "customer", "team", "text", "select", "Select", "date", "plain words", "\x1b[31m",
]


@functools.cache
def _adapter(cls: type[Any]) -> Any:
    return TypeAdapter(cls)


def _pydantic(cls: type[Any], data: Any) -> tuple[Any, list[dict[str, Any]]]:
    try:
        return _adapter(cls).validate_python(data), []
    except ValidationError as exc:
        return None, [{k: v for k, v in e.items() if k != "url"} for e in exc.errors()]


def _ours(cls: type[Any], data: Any) -> tuple[Any, list[dict[str, Any]]]:
    try:
        return validate_as(cls, data), []
    except ShapeError as exc:
        return None, exc.errors()


def _same(cls: type[Any], data: Any) -> None:
    theirs, their_errors = _pydantic(cls, data)
    ours, our_errors = _ours(cls, data)
    assert repr(our_errors) == repr(their_errors), data  # repr: nan != nan, but reads the same
    assert repr(ours) == repr(theirs)
    if ours is not None:
        assert ours == theirs or "nan" in repr(ours)


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: p.stem)
def test_every_bundled_playbook_reads_the_same(path: Path) -> None:
    _same(model.Playbook, read_yaml(path.read_bytes()).data)


def _spots(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path in ``data``."""
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _spots(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _spots(value, (*path, index))
    return found


def _put(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: p.stem)
def test_broken_playbooks_give_the_same_errors(path: Path) -> None:
    """Each key of a real playbook, in turn, given each value YAML can give, or removed, or joined by a stranger."""
    original = read_yaml(path.read_bytes()).data
    rng = random.Random(path.stem)
    spots = _spots(original)
    for spot in rng.sample(spots, min(len(spots), 60)):
        for value in rng.sample(VALUES, 8):
            _same(model.Playbook, _put(copy.deepcopy(original), spot, value))
        if spot and isinstance(spot[-1], str):
            removed = copy.deepcopy(original)
            parent = removed
            for part in spot[:-1]:
                parent = parent[part]
            del parent[spot[-1]]
            parent["promt"] = "a stranger"
            _same(model.Playbook, removed)


@pytest.mark.parametrize("cls", [model.Choice, model.Question, model.Score, model.Email, model.Section, model.PlaybookTest])
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_each_field_reads_each_value_the_same(cls: type[Any], value: Any) -> None:
    base = {"value": "a", "label": "A", "id": "q", "prompt": "P?", "title": "T", "subject": "S", "body": "B", "name": "n", "verdict": "v"}
    names = [f.name for f in model.dataclasses.fields(cls)]
    data = {k: v for k, v in base.items() if k in names}
    for name in names:
        _same(cls, {**data, name: value})
    _same(cls, value)
