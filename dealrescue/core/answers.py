"""Turning raw answers (typed text, or values from an answers file) into typed values, and back into words.

The prompter, ``--set``, ``--answers`` and ``rank`` all go through
``parse_answer``, so an answer is checked the same way wherever it comes from;
what differs between question types is in each type's kind (core/questions.py).
"""

from __future__ import annotations

from typing import Any

from dealrescue.core.model import Question
from dealrescue.core.questions import (
    FALSE_WORDS,
    SCALE_MAX,
    SCALE_MIN,
    TRUE_WORDS,
    AnswerProblem,
    is_empty,
    kind_of,
    number_text,
    scale_bounds,
)
from dealrescue.core.reading import PLAIN, Reading

__all__ = [
    "FALSE_WORDS",
    "SCALE_MAX",
    "SCALE_MIN",
    "TRUE_WORDS",
    "AnswerProblem",
    "display_answer",
    "is_empty",
    "labels_of",
    "number_text",
    "parse_answer",
    "range_text",
    "scale_bounds",
]


def parse_answer(question: Question, raw: Any, reading: Reading = PLAIN) -> Any:
    """Return the typed value of ``raw`` for ``question``, or None for an allowed empty answer.

    ``reading`` holds the plan date (``+9d`` and ``friday`` count from it) and whether 03/04 is 3 April.
    """
    kind = kind_of(question)
    if is_empty(raw) and not kind.empty_is_answer:
        if question.required:
            raise AnswerProblem("an answer is required")
        return None
    return kind.parse(question, raw, reading)


def range_text(question: Question) -> str | None:
    """The numbers a scale or number question takes, in a few words (``1-10``, ``at least 0``), or None."""
    return kind_of(question).range_text(question)


def display_answer(question: Question, value: Any) -> str:
    """An answer as the rep would read it: labels, not values."""
    if value is None:
        return "(no answer)"
    return kind_of(question).display(question, value)


def labels_of(question: Question, value: Any) -> Any:
    """What ``labels.<id>`` holds in templates."""
    return kind_of(question).label(question, value)
