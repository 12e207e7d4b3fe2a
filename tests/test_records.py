"""``core.records.record`` behaves as ``@dataclass(frozen=True)`` does, side by side."""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any

import pytest

from dealrescue.core.model import Choice, validate_as
from dealrescue.core.records import record
from dealrescue.core.validate import ShapeError


@record
class Point:
    x: int
    y: int = 0
    tags: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class Reference:
    x: int
    y: int = 0
    tags: list[str] = dataclasses.field(default_factory=list)


@record(frozen=False)
class Box:
    items: list[Any] = dataclasses.field(default_factory=list)


def test_a_record_reads_compares_and_hashes_like_a_frozen_dataclass() -> None:
    made, ref = Point(1, y=2), Reference(1, y=2)
    assert repr(made) == repr(ref).replace("Reference", "Point")
    assert made == Point(1, 2) and made != Point(1, 3) and made != ref  # type: ignore[comparison-overlap]
    assert hash(Point(1, 2, ())) == hash(Point(1, 2, ())) != hash(Point(2, 2, ()))  # type: ignore[arg-type]
    assert Point(1).tags == [] and Point(1).tags is not Point(1).tags
    assert dataclasses.is_dataclass(made) and [f.name for f in dataclasses.fields(made)] == ["x", "y", "tags"]
    assert dataclasses.asdict(made) == dataclasses.asdict(ref)
    assert dataclasses.replace(made, y=5) == Point(1, 5)
    assert pickle.loads(pickle.dumps(made)) == made


def test_a_record_is_frozen_and_checks_its_arguments() -> None:
    made = Point(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.x = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del made.x
    with pytest.raises(TypeError, match="missing 'x'"):
        Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="takes 3 arguments, 4 were given"):
        Point(1, 2, [], 4)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="got 'x' twice"):
        Point(1, x=1)  # type: ignore[misc]
    with pytest.raises(TypeError, match="unexpected 'z'"):
        Point(1, z=1)  # type: ignore[call-arg]


def test_a_mutable_record_can_change_and_is_unhashable() -> None:
    box = Box()
    box.items = [1]
    assert box == Box([1])
    with pytest.raises(TypeError):
        hash(box)


def test_the_playbook_format_is_still_validated_strictly() -> None:
    choice = validate_as(Choice, {"value": "gap", "label": "A gap"})
    assert isinstance(choice, Choice) and choice.value == "gap"
    with pytest.raises(ShapeError, match="colour\n  Unexpected keyword argument") as caught:
        validate_as(Choice, {"value": "gap", "label": "A gap", "colour": "red"})
    assert [(e["type"], e["loc"]) for e in caught.value.errors()] == [("unexpected_keyword_argument", ("colour",))]
