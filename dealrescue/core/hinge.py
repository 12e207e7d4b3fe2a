"""What a provisional verdict hinges on: the first question still to answer whose answer changes it.

After the key questions, the questions left take their defaults, and the verdict that gives may
only mean "we don't know yet" (a follow-up with no default). Trying each answer the next such
question can take shows the rep which verdicts are still open and what decides between them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dealrescue.core.engine import provisional
from dealrescue.core.loader import CompiledPlaybook
from dealrescue.core.model import Question, Verdict
from dealrescue.core.questions import kind_of, number_text
from dealrescue.errors import PlaybookError

# A whole-number question is tried value by value up to this many values (a 1-10 scale, not a budget).
_MOST_VALUES = 21


@dataclass(frozen=True, slots=True)
class Hinge:
    """``question``'s answers, grouped by the verdict each gives."""

    question: Question
    outcomes: tuple[tuple[Verdict, tuple[str, ...]], ...]


def hinge(compiled: CompiledPlaybook, answers: Mapping[str, Any], deal: str, today: str) -> Hinge | None:
    """The first question the walk would still ask whose answers lead to more than one verdict, the
    rest at their defaults; None when no single answer left changes the verdict, or when a condition
    fails on a tried answer (the hinge is an aside: the provisional verdict is what can be said then)."""
    try:
        return _first_hinge(compiled, answers, deal, today)
    except PlaybookError:
        return None


def _first_hinge(compiled: CompiledPlaybook, answers: Mapping[str, Any], deal: str, today: str) -> Hinge | None:
    playbook = compiled.playbook
    for question_id in provisional(compiled, answers, deal, today).asked:
        question = playbook.question(question_id)
        if question_id in answers or question is None:
            continue
        verdicts: dict[int, list[tuple[Any, str]]] = {}
        for value, label in _answers_to_try(question):
            index = provisional(compiled, {**answers, question_id: value}, deal, today).verdict_index
            verdicts.setdefault(index, []).append((value, label))
        if len(verdicts) > 1:
            # In the order of the answers (the first answer's verdict first), as the question lists them.
            grouped = ((playbook.verdicts[i], _labels(question, tried)) for i, tried in verdicts.items())
            return Hinge(question, tuple(grouped))
    return None


def _answers_to_try(question: Question) -> list[tuple[Any, str]]:
    """Each typed answer a question can take, with how the rep reads it (none for free text or open numbers)."""
    kind = kind_of(question)
    if kind.has_choices and not kind.many:
        return [(choice.value, choice.label) for choice in question.choices]
    if kind.yes_no:
        return [(True, "yes"), (False, "no")]
    low, high = kind.bounds(question) if kind.whole else (None, None)
    if low is not None and high is not None and high - low < _MOST_VALUES:
        return [(value, number_text(value)) for value in range(int(low), int(high) + 1)]
    return []


def _labels(question: Question, tried: list[tuple[Any, str]]) -> tuple[str, ...]:
    """The answers' labels; whole numbers in runs (``7-10``)."""
    if not kind_of(question).whole:
        return tuple(label for _, label in tried)
    runs: list[list[int]] = []
    for value, _ in tried:
        if runs and value == runs[-1][-1] + 1:
            runs[-1].append(value)
        else:
            runs.append([value])
    return tuple(number_text(r[0]) if len(r) == 1 else f"{number_text(r[0])}-{number_text(r[-1])}" for r in runs)
