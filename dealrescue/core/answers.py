"""Turning raw answers (typed text, or values from an answers file) into typed values.

One function per question type; the prompter, ``--set``, ``--answers`` and
``rank`` all go through ``parse_answer``, so an answer is checked the same way
wherever it comes from.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from dealrescue.core.model import Question, QuestionType

TRUE_WORDS = {"y", "yes", "true", "1", "on"}
FALSE_WORDS = {"n", "no", "false", "0", "off"}
SCALE_MIN, SCALE_MAX = 1, 10


class AnswerProblem(ValueError):
    """The answer does not fit the question; the message says what would."""


def is_empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, (list, tuple)) and not raw)


def parse_answer(question: Question, raw: Any) -> Any:
    """Return the typed value of ``raw`` for ``question``, or None for an allowed empty answer."""
    if is_empty(raw) and question.type is not QuestionType.multiselect:
        if question.required:
            raise AnswerProblem("an answer is required")
        return None
    parser = _PARSERS[question.type]
    return parser(question, raw)


def _text(question: Question, raw: Any) -> str:
    if isinstance(raw, (dict, list)):
        raise AnswerProblem("expected text")
    value = raw.isoformat() if isinstance(raw, dt.date) else str(raw)
    if question.type is QuestionType.text:
        # One line: any line break (\n, \r, U+2028...) or run of spaces becomes one space.
        value = " ".join(value.split())
    else:
        value = value.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    if question.min is not None and len(value) < question.min:
        raise AnswerProblem(f"needs at least {int(question.min)} characters")
    if question.max is not None and len(value) > question.max:
        raise AnswerProblem(f"takes at most {int(question.max)} characters")
    if question.pattern and not re.fullmatch(question.pattern, value):
        raise AnswerProblem(f"must match the pattern {question.pattern}")
    return value


def _choice_value(question: Question, raw: Any) -> str:
    text = str(raw).strip()
    for choice in question.choices:
        if text == choice.value:
            return choice.value
    lowered = text.lower()
    for choice in question.choices:
        if lowered in (choice.value.lower(), choice.label.lower()):
            return choice.value
    allowed = ", ".join(c.value for c in question.choices)
    raise AnswerProblem(f"{text!r} is not one of the choices: {allowed}")


def _select(question: Question, raw: Any) -> str:
    if isinstance(raw, bool):
        return _choice_from_bool(question, raw)
    if isinstance(raw, (dict, list)):
        raise AnswerProblem("expected one choice")
    return _choice_value(question, raw)


def _choice_from_bool(question: Question, raw: bool) -> str:
    """An answers file's bare ``no`` arrives as false (YAML): take it as the choice ``no`` if there is one."""
    words = TRUE_WORDS if raw else FALSE_WORDS
    for choice in question.choices:
        if choice.value.lower() in words:
            return choice.value
    allowed = ", ".join(c.value for c in question.choices)
    raise AnswerProblem(
        f"got {str(raw).lower()} (YAML reads yes, no, on and off as true or false): "
        f"put the choice in quotes; choices: {allowed}"
    )


def _multiselect(question: Question, raw: Any) -> list[str]:
    if raw is None:
        items: list[Any] = []
    elif isinstance(raw, str):
        if "," not in raw and any(sep in raw for sep in ";|"):
            raise AnswerProblem(f"{raw.strip()!r}: separate several choices with commas, e.g. a,b")
        items = [part for part in raw.split(",") if part.strip()]
    elif isinstance(raw, (list, tuple)):
        items = list(raw)
    else:
        raise AnswerProblem("expected a list of choices (or choices separated by commas)")
    chosen = {_choice_from_bool(question, item) if isinstance(item, bool) else _choice_value(question, item) for item in items}
    # Keep the playbook's order so output does not depend on typing order.
    values = [c.value for c in question.choices if c.value in chosen]
    if question.required and not values and question.min is None:
        raise AnswerProblem("choose at least one")
    if question.min is not None and len(values) < question.min:
        raise AnswerProblem(f"choose at least {int(question.min)}")
    if question.max is not None and len(values) > question.max:
        raise AnswerProblem(f"choose at most {int(question.max)}")
    return values


def _confirm(question: Question, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    word = str(raw).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise AnswerProblem("answer yes or no")


def _number_in_range(question: Question, raw: Any, low: float | None, high: float | None) -> float:
    if isinstance(raw, bool):
        raise AnswerProblem("expected a number")
    try:
        value = float(str(raw).strip().replace(",", "")) if not isinstance(raw, (int, float)) else float(raw)
    except ValueError:
        raise AnswerProblem(f"{raw!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise AnswerProblem("expected a finite number")
    if low is not None and value < low:
        raise AnswerProblem(f"must be at least {number_text(low)}")
    if high is not None and value > high:
        raise AnswerProblem(f"must be at most {number_text(high)}")
    return value


def number_text(value: float) -> str:
    """``3.0`` as ``3``; other numbers as written."""
    return str(int(value)) if float(value).is_integer() else str(value)


def scale_bounds(question: Question) -> tuple[float, float]:
    """A scale's ends: its min and max, or 1 and 10."""
    low = question.min if question.min is not None else SCALE_MIN
    high = question.max if question.max is not None else SCALE_MAX
    return low, high


def range_text(question: Question) -> str | None:
    """The numbers a scale or number question takes, in a few words (``1-10``, ``at least 0``), or None."""
    bounds: tuple[float | None, float | None]
    if question.type is QuestionType.scale:
        bounds = scale_bounds(question)
    elif question.type is QuestionType.number:
        bounds = (question.min, question.max)
    else:
        return None
    low, high = bounds
    if low is not None and high is not None:
        return f"{number_text(low)}-{number_text(high)}"
    if low is not None:
        return f"at least {number_text(low)}"
    if high is not None:
        return f"at most {number_text(high)}"
    return None


def _number(question: Question, raw: Any) -> int | float:
    value = _number_in_range(question, raw, question.min, question.max)
    return int(value) if value.is_integer() else value


def _scale(question: Question, raw: Any) -> int:
    low, high = scale_bounds(question)
    value = _number_in_range(question, raw, low, high)
    if not value.is_integer():
        raise AnswerProblem(f"expected a whole number from {number_text(low)} to {number_text(high)}")
    return int(value)


def _date(question: Question, raw: Any) -> str:
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    try:
        return dt.date.fromisoformat(str(raw).strip()).isoformat()
    except ValueError:
        raise AnswerProblem(f"{raw!r} is not a date: use YYYY-MM-DD") from None


_PARSERS = {
    QuestionType.text: _text,
    QuestionType.multiline: _text,
    QuestionType.select: _select,
    QuestionType.multiselect: _multiselect,
    QuestionType.confirm: _confirm,
    QuestionType.scale: _scale,
    QuestionType.number: _number,
    QuestionType.date: _date,
}


def display_answer(question: Question, value: Any) -> str:
    """An answer as the rep would read it: labels, not values."""
    if value is None:
        return "(no answer)"
    if question.type is QuestionType.select:
        return next((c.label for c in question.choices if c.value == value), str(value))
    if question.type is QuestionType.multiselect:
        labels = [c.label for c in question.choices if c.value in value]
        return "; ".join(labels) if labels else "(none)"
    if question.type is QuestionType.confirm:
        return "Yes" if value else "No"
    return str(value)


def labels_of(question: Question, value: Any) -> Any:
    """What ``labels.<id>`` holds in templates."""
    if question.type is QuestionType.select:
        return next((c.label for c in question.choices if c.value == value), value)
    if question.type is QuestionType.multiselect:
        return [c.label for c in question.choices if c.value in (value or [])]
    return value
