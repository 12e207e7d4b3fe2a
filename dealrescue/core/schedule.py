"""When a step or follow-up falls due.

A ``due`` counts from the plan date (``+2d``) or from a date answer
(``decision_date -2d``); ``fallback`` dates it from the plan date when that answer
is empty; ``deadline`` (``decision_date`` or ``decision_date -1d``) pulls a later due
date in. A date answer already past is not used: the step falls back, and the plan
says so. Every date lands on or after the plan date.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from dealrescue.core.model import Question
from dealrescue.core.ordercheck import numbered, order_problems
from dealrescue.core.questions import kind_of
from dealrescue.core.timeline import NO_GAP, Task, Timeline, parse_gap, place

_OFFSET = re.compile(r"^([+-]?)(\d+)([dwmy])$")
# ``+2d``, ``decision_date``, ``decision_date -2d``, ``decision_date+1w``.
_DATE_EXPR = re.compile(r"^\s*(?P<ref>[a-z][a-z0-9_]*)?\s*(?P<offset>[+-]?\s*\d+[dwmy])?\s*$")


@dataclass(frozen=True, slots=True)
class DateExpr:
    """A parsed ``due``/``deadline``/``fallback``: a date question id (or None: the plan date) and an offset."""

    ref: str | None
    offset: str

    def on(self, start: dt.date) -> dt.date:
        return add_offset(start, self.offset)


def add_offset(start: dt.date, offset: str) -> dt.date:
    """``+2d``, ``-1w``, ``+3m`` (same day of month, clamped to its end), ``+1y`` from ``start``."""
    match = _OFFSET.match(offset.replace(" ", ""))
    if not match:
        raise ValueError(f"not a due offset: {offset!r} (use +2d, +1w, +3m or +1y)")
    sign = -1 if match.group(1) == "-" else 1
    amount, unit = sign * int(match.group(2)), match.group(3)
    if unit == "d":
        return start + dt.timedelta(days=amount)
    if unit == "w":
        return start + dt.timedelta(weeks=amount)
    months = amount if unit == "m" else amount * 12
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day in range(start.day, 0, -1):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable: day 1 always exists")


def parse_date_expr(source: str) -> DateExpr:
    """``decision_date -2d`` to ``DateExpr("decision_date", "-2d")``; ValueError when it is neither form."""
    match = _DATE_EXPR.match(source)
    if not match or not (match.group("ref") or match.group("offset")):
        raise ValueError(f"not a date: {source!r}")
    offset = (match.group("offset") or "+0d").replace(" ", "")
    if match.group("ref") is None and offset.startswith("-"):
        raise ValueError(f"{source!r} falls before the plan date")
    return DateExpr(match.group("ref"), offset)


def reference_problems(field: str, source: str | None, questions: Mapping[str, Question]) -> list[str]:
    """What is wrong with a ``due``/``deadline``/``fallback`` value (empty when it is fine)."""
    if source is None:
        return []
    try:
        expr = parse_date_expr(source)
    except ValueError:
        return []  # the field's pattern reports the shape
    if field == "fallback" and expr.ref is not None:
        return [f"a fallback counts from the plan date (write +5d), not from {expr.ref!r}"]
    if field == "deadline" and expr.ref is None:
        return ["a deadline names a date question, e.g. decision_date or decision_date -1d"]
    if expr.ref is None:
        return []
    q = questions.get(expr.ref)
    dates = sorted(i for i, x in questions.items() if kind_of(x).dated)
    known = f"this playbook's date questions: {', '.join(dates)}" if dates else "this playbook has no date question"
    if q is None:
        return [f"{expr.ref!r} is not a question ({known})"]
    if not kind_of(q).dated:
        return [f"{expr.ref!r} is a {q.type.value} question, not a date question ({known})"]
    return []


def needs_fallback(due: str, questions: Mapping[str, Question]) -> bool:
    """A due that counts from an answer which may be empty (optional, or asked only sometimes)."""
    try:
        expr = parse_date_expr(due)
    except ValueError:
        return False
    q = questions.get(expr.ref) if expr.ref else None
    return q is not None and (not q.required or q.when is not None)


def deadline_label(q: Question) -> str:
    return q.deadline_label or q.id.replace("_", " ")


@dataclass(slots=True)
class Scheduler:
    """Turns the ``due``/``fallback``/``deadline`` of each step and follow-up of one plan into dates
    (``task``), places them (``timeline.place``) and keeps the one-line notes the plan shows."""

    plan_date: dt.date
    answers: Mapping[str, Any]
    questions: Mapping[str, Question]
    tight: dict[str, dt.date] = field(default_factory=dict)
    passed: dict[str, dt.date] = field(default_factory=dict)

    def _answer_date(self, question_id: str) -> dt.date | None:
        value = self.answers.get(question_id)
        if not value:
            return None
        day = dt.date.fromisoformat(str(value))
        if day < self.plan_date:
            self.passed[question_id] = day
            return None
        return day

    def _date(self, expr: DateExpr) -> dt.date | None:
        if expr.ref is None:
            return expr.on(self.plan_date)
        start = self._answer_date(expr.ref)
        return expr.on(start) if start is not None else None

    def task(self, item: Dated, task_id: str, after: tuple[str, ...] = ()) -> Task:
        """``item`` (a step or follow-up of the format) as a task to place, coming after ``after``."""
        due = parse_date_expr(item.due)
        wish = self._date(due)
        if wish is None:
            wish = parse_date_expr(item.fallback or "+0d").on(self.plan_date)
        elif wish < self.plan_date and due.ref is not None:
            # Counting back from a near date lands before today: it is due today, and tight.
            self.tight[deadline_label(self.questions[due.ref])] = self._answer_date(due.ref) or self.plan_date
        limit = anchor = label = None
        if item.deadline is not None:
            expr = parse_date_expr(item.deadline)
            limit = self._date(expr)
            if limit is not None and expr.ref is not None:
                anchor, label = self._answer_date(expr.ref), deadline_label(self.questions[expr.ref])
        return Task(
            id=task_id,
            wish=wish,
            after=after,
            gap=parse_gap(item.gap) if item.gap else NO_GAP,
            deadline=limit,
            anchor=anchor,
            label=label,
            working_day=item.customer,
        )

    def place(self, tasks: Sequence[Task]) -> Timeline:
        timeline = place(tasks, self.plan_date)
        self.tight.update(timeline.pulled)
        return timeline

    def notes(self) -> tuple[str, ...]:
        """``tight: their decision is on 2026-11-24`` and ``... has passed`` lines, one per date answer."""
        lines = [
            f"{deadline_label(self.questions[q])} ({day.isoformat()}) has passed: steps are dated from today"
            for q, day in sorted(self.passed.items())
        ]
        lines += [f"tight: {label} is on {day.isoformat()}" for label, day in sorted(self.tight.items())]
        return tuple(lines)


class Dated(Protocol):
    """What a step and a follow-up of the format share for their dates."""

    @property
    def due(self) -> str: ...
    @property
    def fallback(self) -> str | None: ...
    @property
    def deadline(self) -> str | None: ...
    @property
    def gap(self) -> str | None: ...
    @property
    def customer(self) -> bool: ...


def days_until(plan_date: dt.date, questions: Iterable[Question], answers: Mapping[str, Any]) -> dict[str, int | None]:
    """Days from the plan date to each date answer (negative when past, None when empty)."""
    found: dict[str, int | None] = {}
    for q in questions:
        if kind_of(q).dated:
            value = answers.get(q.id)
            found[q.id] = (dt.date.fromisoformat(str(value)) - plan_date).days if value else None
    return found


def date_problems(plan: Iterable[tuple[str, Any]], questions: Mapping[str, Question]) -> list[tuple[tuple[str | int, ...], str]]:
    """Load-time checks of every ``due``/``fallback``/``deadline`` and of the declared order, as
    ``(key path, message)``.

    ``plan`` gives ``("plan", step)`` and ``("followups", followup)`` pairs, in file order.
    """
    items = list(plan)
    found = order_problems(items)
    for kind, index, item in numbered(items):
        for key in ("due", "fallback", "deadline"):
            found += [((kind, index, key), m) for m in reference_problems(key, getattr(item, key), questions)]
        if item.fallback is None and needs_fallback(item.due, questions):
            ref = parse_date_expr(item.due).ref
            found.append(((kind, index, "due"), f"{ref!r} may be left empty: add a fallback (e.g. fallback: +5d)"))
    return found
