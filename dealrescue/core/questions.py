"""One kind per question type: everything that differs between types lives here.

A kind parses a raw answer, shows a typed one, says what it accepts, what points
an answer gives and what shape the question must have. Every other module asks
the kind (``kind_of(question)``) instead of branching on the type, so adding a
type means adding its kind here and its widget in the prompters.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Any

from dealrescue.core.model import Choice, Question, QuestionType
from dealrescue.core.patterns import full_match
from dealrescue.core.reading import PLAIN, Reading, ReadProblem, date_forms, read_date, read_number

TRUE_WORDS = {"y", "yes", "true", "1", "on"}
FALSE_WORDS = {"n", "no", "false", "0", "off"}
SCALE_MIN, SCALE_MAX = 1, 10


class AnswerProblem(ValueError):
    """The answer does not fit the question; the message says what would."""


def is_empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, (list, tuple)) and not raw)


def number_text(value: float) -> str:
    """``3.0`` as ``3``; other numbers as written."""
    return str(int(value)) if float(value).is_integer() else str(value)


def scale_bounds(question: Question) -> tuple[float, float]:
    """A scale's ends: its min and max, or 1 and 10."""
    low = question.min if question.min is not None else SCALE_MIN
    high = question.max if question.max is not None else SCALE_MAX
    return low, high


def _bounds_text(low: float | None, high: float | None) -> str | None:
    if low is not None and high is not None:
        return f"{number_text(low)}-{number_text(high)}"
    if low is not None:
        return f"at least {number_text(low)}"
    if high is not None:
        return f"at most {number_text(high)}"
    return None


# What ``choice_key`` leaves out, and what it reads as one space besides white space
# (``rank --sql`` builds its own reading of a cell from these too).
APOSTROPHES = "'’"
WORD_JOINERS = "_-"
_WORD_BREAKS = re.compile(rf"[\s{re.escape(WORD_JOINERS)}]+")
_APOSTROPHES = re.compile(f"[{APOSTROPHES}]")


def choice_key(text: str) -> str:
    """How a typed or exported word is compared with a choice's value, label and aliases: case,
    apostrophes and runs of spaces, ``_`` and ``-`` do not count (``Closed-Won`` is ``closed won``)."""
    return _WORD_BREAKS.sub(" ", _APOSTROPHES.sub("", text.strip().casefold())).strip()


def choice_words(choice: Choice) -> set[str]:
    """Every key a choice answers to: its value, its label and its aliases."""
    return {choice_key(choice.value), choice_key(choice.label), *map(choice_key, choice.aliases)}


def _choice_value(question: Question, raw: Any) -> str:
    text = str(raw).strip()
    for choice in question.choices:
        if text == choice.value:
            return choice.value
    key = choice_key(text)
    found = [c.value for c in question.choices if key in choice_words(c)]
    if len(found) == 1:
        return found[0]
    if found:
        raise AnswerProblem(f"{text!r} fits more than one choice: {', '.join(found)}; write the value")
    allowed = ", ".join(c.value for c in question.choices)
    # A typo: name the choice whose value, label or alias is spelt closest.
    words = {word: c.value for c in question.choices for word in sorted(choice_words(c))}
    near = difflib.get_close_matches(key, list(words), n=1, cutoff=0.75)
    said = f"; did you mean {words[near[0]]!r}?" if near else ""
    raise AnswerProblem(f"{text!r} is not one of the choices: {allowed}{said}")


def _choice_from_bool(question: Question, raw: bool) -> str:
    """An answers file's bare ``no`` arrives as false (YAML): take it as the choice ``no`` if there is one."""
    words = TRUE_WORDS if raw else FALSE_WORDS
    for choice in question.choices:
        if choice.value.lower() in words or any(alias.lower() in words for alias in choice.aliases):
            return choice.value
    allowed = ", ".join(c.value for c in question.choices)
    raise AnswerProblem(
        f"got {str(raw).lower()} (YAML reads yes, no, on and off as true or false): "
        f"put the choice in quotes; choices: {allowed}"
    )


def _number_in_range(raw: Any, low: float | None, high: float | None) -> float:
    if isinstance(raw, bool):
        raise AnswerProblem("expected a number")
    try:
        value = float(raw) if isinstance(raw, (int, float)) else read_number(str(raw))
    except ReadProblem as exc:
        raise AnswerProblem(str(exc)) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise AnswerProblem("expected a finite number")
    if low is not None and value < low:
        raise AnswerProblem(f"must be at least {number_text(low)}")
    if high is not None and value > high:
        raise AnswerProblem(f"must be at most {number_text(high)}")
    return value


class Kind:
    """What every question type has; the defaults are those of free text."""

    __slots__ = ()
    # The question lists choices (select, multiselect) and must have some.
    has_choices = False
    # Per-answer ``points`` are allowed (an answer times a weight, or a yes).
    takes_points = False
    # A number or bool default read by YAML is a slip (the answer is text).
    text_answer = True
    # The answer is a number (conditions compare it with numbers).
    numeric = False
    # The answer is yes or no (conditions use it bare, not compared with a constant).
    yes_no = False
    # How a refused comparison names this kind of answer.
    noun = "text"
    # Answered from a short list (few distinct answers): rank folds these per row.
    narrow = False
    # An empty answer is a value of its own (an empty list), not "no answer".
    empty_is_answer = False
    # The answer is the rep's own words: a rep note unless marked customer_safe.
    free_text = True
    # The answer may hold line breaks.
    multiline = False
    # The answer is a list of choice values (read per choice).
    many = False
    # The answer is a day (ISO text); ``days_until`` counts to it.
    dated = False
    # A number answer must be whole (a scale).
    whole = False
    # The prompt a terminal shows: text, lines, select, checkbox or confirm.
    widget = "text"

    def parse(self, question: Question, raw: Any, reading: Reading = PLAIN) -> Any:
        """The typed answer; ``reading`` holds the plan date (for ``+9d``) and the order of 03/04."""
        if isinstance(raw, (dict, list)):
            raise AnswerProblem("expected text")
        value = raw.isoformat() if isinstance(raw, dt.date) else str(raw)
        value = self._lines(value)
        if question.min is not None and len(value) < question.min:
            raise AnswerProblem(f"needs at least {int(question.min)} characters")
        if question.max is not None and len(value) > question.max:
            raise AnswerProblem(f"takes at most {int(question.max)} characters")
        if question.pattern and not full_match(question.pattern, value):
            raise AnswerProblem(f"must match the pattern {question.pattern}")
        return value

    def _lines(self, value: str) -> str:
        # One line: any line break (\n, \r, U+2028...) or run of spaces becomes one space.
        return " ".join(value.split())

    def display(self, question: Question, value: Any) -> str:
        """A typed, non-empty answer as the rep reads it."""
        return str(value)

    def label(self, question: Question, value: Any) -> Any:
        """What ``labels.<id>`` holds in templates."""
        return value

    def chosen(self, question: Question, value: Any) -> tuple[str, ...]:
        """The choice values a typed answer picks."""
        return ()

    def points(self, value: Any, weight: float) -> float:
        """Points a per-answer weight gives this (non-empty) answer."""
        return weight * float(value)

    def range_text(self, question: Question) -> str | None:
        """The numbers the question takes, in a few words, or None."""
        return None

    def bounds(self, question: Question) -> tuple[float | None, float | None]:
        """The lowest and highest number a numeric answer may be (None: no bound)."""
        return question.min, question.max

    def prompt_hint(self, question: Question, reading: Reading = PLAIN) -> str | None:
        """The answer's form, for the hint after a typed prompt (None: nothing to say)."""
        return None

    def accepts(self, question: Question) -> str:
        """What ``--set`` takes, for ``playbooks show --questions``."""
        return ", ".join(c.value for c in question.choices)


class MultilineKind(Kind):
    __slots__ = ()
    multiline = True
    widget = "lines"

    def _lines(self, value: str) -> str:
        return value.replace("\r\n", "\n").replace("\r", "\n").strip("\n")

    def prompt_hint(self, question: Question, reading: Reading = PLAIN) -> str | None:
        return "Esc then Enter to finish"


class SelectKind(Kind):
    __slots__ = ()
    has_choices = True
    noun = "a choice"
    narrow = True
    free_text = False
    widget = "select"

    def parse(self, question: Question, raw: Any, reading: Reading = PLAIN) -> str:
        if isinstance(raw, bool):
            return _choice_from_bool(question, raw)
        if isinstance(raw, (dict, list)):
            raise AnswerProblem("expected one choice")
        return _choice_value(question, raw)

    def display(self, question: Question, value: Any) -> str:
        return next((c.label for c in question.choices if c.value == value), str(value))

    def label(self, question: Question, value: Any) -> Any:
        return next((c.label for c in question.choices if c.value == value), value)

    def chosen(self, question: Question, value: Any) -> tuple[str, ...]:
        return (value,)


class MultiselectKind(Kind):
    __slots__ = ()
    has_choices = True
    text_answer = False
    noun = "a list of choices"
    empty_is_answer = True
    free_text = False
    many = True
    widget = "checkbox"

    def parse(self, question: Question, raw: Any, reading: Reading = PLAIN) -> list[str]:
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
        picked = {_choice_from_bool(question, item) if isinstance(item, bool) else _choice_value(question, item) for item in items}
        # Keep the playbook's order so output does not depend on typing order.
        values = [c.value for c in question.choices if c.value in picked]
        if question.required and not values and question.min is None:
            raise AnswerProblem("choose at least one")
        if question.min is not None and len(values) < question.min:
            raise AnswerProblem(f"choose at least {int(question.min)}")
        if question.max is not None and len(values) > question.max:
            raise AnswerProblem(f"choose at most {int(question.max)}")
        return values

    def display(self, question: Question, value: Any) -> str:
        labels = [c.label for c in question.choices if c.value in value]
        return "; ".join(labels) if labels else "(none)"

    def label(self, question: Question, value: Any) -> Any:
        return [c.label for c in question.choices if c.value in (value or [])]

    def chosen(self, question: Question, value: Any) -> tuple[str, ...]:
        return tuple(value)


class ConfirmKind(Kind):
    __slots__ = ()
    takes_points = True
    text_answer = False
    yes_no = True
    noun = "yes or no"
    narrow = True
    free_text = False
    widget = "confirm"

    def parse(self, question: Question, raw: Any, reading: Reading = PLAIN) -> bool:
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise AnswerProblem("answer yes or no")

    def display(self, question: Question, value: Any) -> str:
        return "Yes" if value else "No"

    def points(self, value: Any, weight: float) -> float:
        return weight if value else 0.0

    def accepts(self, question: Question) -> str:
        return "yes, no"


class NumberKind(Kind):
    __slots__ = ()
    takes_points = True
    text_answer = False
    numeric = True
    noun = "a number"
    free_text = False

    def parse(self, question: Question, raw: Any, reading: Reading = PLAIN) -> int | float:
        value = _number_in_range(raw, question.min, question.max)
        return int(value) if value.is_integer() else value

    def range_text(self, question: Question) -> str | None:
        return _bounds_text(*self.bounds(question))

    def prompt_hint(self, question: Question, reading: Reading = PLAIN) -> str | None:
        numbers = self.range_text(question)
        return "a number, e.g. 85k or $85,000" + (f"; {numbers}" if numbers else "")


class ScaleKind(NumberKind):
    __slots__ = ()
    narrow = True
    whole = True

    def bounds(self, question: Question) -> tuple[float | None, float | None]:
        return scale_bounds(question)

    def parse(self, question: Question, raw: Any, reading: Reading = PLAIN) -> int:
        low, high = scale_bounds(question)
        value = _number_in_range(raw, low, high)
        if not value.is_integer():
            raise AnswerProblem(f"expected a whole number from {number_text(low)} to {number_text(high)}")
        return int(value)

    def prompt_hint(self, question: Question, reading: Reading = PLAIN) -> str | None:
        low, high = scale_bounds(question)
        low_text, high_text = number_text(low), number_text(high)
        # Not when the prompt says it already ("1-10", "1 to 10").
        if any(f"{low_text}{sep}{high_text}" in question.prompt for sep in ("-", " to ", "–")):
            return None
        return f"{low_text}-{high_text}"


class DateKind(Kind):
    __slots__ = ()
    noun = "a date"
    free_text = False
    dated = True

    def parse(self, question: Question, raw: Any, reading: Reading = PLAIN) -> str:
        if isinstance(raw, dt.datetime):
            return raw.date().isoformat()
        if isinstance(raw, dt.date):
            return raw.isoformat()
        if isinstance(raw, (dict, list, bool, int, float)):
            raise AnswerProblem(f"expected a date: {date_forms(reading.dayfirst)}")
        try:
            return read_date(str(raw), reading).isoformat()
        except ReadProblem as exc:
            raise AnswerProblem(str(exc)) from None

    def prompt_hint(self, question: Question, reading: Reading = PLAIN) -> str | None:
        return date_forms(reading.dayfirst)

    def accepts(self, question: Question) -> str:
        return date_forms(False)


KINDS: dict[QuestionType, Kind] = {
    QuestionType.text: Kind(),
    QuestionType.multiline: MultilineKind(),
    QuestionType.select: SelectKind(),
    QuestionType.multiselect: MultiselectKind(),
    QuestionType.confirm: ConfirmKind(),
    QuestionType.scale: ScaleKind(),
    QuestionType.number: NumberKind(),
    QuestionType.date: DateKind(),
}


def kind_of(question: Question) -> Kind:
    return KINDS[question.type]
