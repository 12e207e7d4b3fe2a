"""What the fast scorer's look-up tables are made of, and which playbooks it can take."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dealrescue.core.answers import scale_bounds
from dealrescue.core.expressions import names_in_condition
from dealrescue.core.loader import CompiledPlaybook
from dealrescue.core.model import Question
from dealrescue.core.questions import kind_of

# Names a condition may use that are the same for every row.
# Names a fast-path condition may read besides the answers; days_until reads the date answers.
CONSTANT_NAMES = frozenset({"today", "playbook", "days_until"})
# Memo tables stop growing here (a column of unique free text must not fill memory).
MEMO_LIMIT = 50_000
# Points that are whole multiples of 2**-10 below 2**30 add up exactly in any order,
# so the fast scorer may add them per column instead of in the engine's order.
EXACT_SCALE = 1024
EXACT_LIMIT = 2.0**30


def fast_path_obstacle(compiled: CompiledPlaybook) -> str | None:
    """Why the fast scorer cannot take this playbook (None when it can).

    It needs conditions on answers only (not on the deal name, labels, or scores
    before the verdict), and points that add up exactly in any order.
    """
    pb = compiled.playbook
    plain = {q.id for q in pb.questions} | CONSTANT_NAMES
    for path, condition in compiled.conditions.items():
        if not path.startswith(("questions", "scores", "verdicts")):
            continue
        allowed = plain | {"scores", "bands"} if path.startswith("verdicts") else plain
        names = names_in_condition(condition.source)
        if not names <= allowed:
            return f"{path} uses {', '.join(sorted(names - allowed))}"
    points: list[float] = []
    for q in pb.questions:
        for choice in q.choices:
            points += choice.points.values()
        kind = kind_of(q)
        if q.points and kind.numeric and not kind.whole:
            return f"question {q.id} gives points per number"
        if q.points and kind.numeric:
            low, high = scale_bounds(q)
            points += [w * v for w in q.points.values() for v in (low, high)]
        else:
            points += q.points.values()
    for score in pb.scores:
        points += [rule.points for rule in score.rules]
    for value in points:
        if not (abs(value) < EXACT_LIMIT and float(value * EXACT_SCALE).is_integer()):
            return f"points {value} do not add up exactly in any order"
    return None


class FastPathUnavailable(Exception):
    """The playbook needs something the fast scorer does not do (see ``fast_path_obstacle``)."""


class Memo(dict):  # type: ignore[type-arg]
    """``fn(key)`` computed on first use; stops storing beyond a limit."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        super().__init__()
        self.fn = fn

    def __missing__(self, key: Any) -> Any:
        value = self.fn(key)
        if len(self) < MEMO_LIMIT:
            self[key] = value
        return value


class Entry:
    """What one answer to one question brings to a row. Compared by identity: one per answer."""

    __slots__ = ("value", "problem", "parts", "state", "fold")

    def __init__(self, value: Any, problem: str | None, parts: tuple[float, ...], state: int, fold: int) -> None:
        self.value = value  # the answer as the engine holds it
        self.problem = problem  # why the cell is bad, or None
        self.parts = parts  # what it gives each score (a sum's part, or a max's best)
        self.state = state  # its reason candidates, as a reason state id
        self.fold = fold  # its parts as one id (``folds.Folds``)


def always_fits(question: Question) -> bool:
    """A text answer with no rules of its own: any cell fits, so the column need not be read."""
    text = kind_of(question).free_text
    unchecked = question.min is None and question.max is None and question.pattern is None
    return text and unchecked and (not question.required or question.default is not None)


def largest_answer(question: Question) -> float:
    """The largest size of an answer that points multiply (a scale's ends, or 1 for yes)."""
    low, high = scale_bounds(question)
    return max(abs(low), abs(high), 1.0)
