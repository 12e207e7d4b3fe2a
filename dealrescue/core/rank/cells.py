"""Cells as CRMs and spreadsheets write them, read into the text ``parse_answer`` takes.

- dates: as ``core.reading`` reads them (ISO with or without a time, ``M/D/YYYY`` from US
  exports, ``D/M/YYYY`` or ``D.M.YYYY`` with ``dayfirst``); a date that only reads the other
  way round is an error that says so, never a silent guess;
- yes/no: TRUE/FALSE, Yes/No, Y/N, 1/0, x (ticked), in any case;
- choices: the value, the label or one of the choice's ``aliases``, in any case, with
  spaces, dashes or underscores; a cell that fits two choices is an error naming both;
  a question with ``other`` reads any other non-empty text as that choice;
- null words (N/A, TBD, -, none, null...) are blanks, unless a choice takes the word;
- several choices: separated by ``;``, ``|`` or ``,`` (one kind per cell; labels may
  hold commas);
- amounts: as ``core.reading`` reads numbers (currency symbols and codes, thousands
  separators, ``(1,200)`` as negative, ``85k``).
"""

from __future__ import annotations

from dealrescue.core.answers import AnswerProblem, is_empty
from dealrescue.core.model import Question
from dealrescue.core.questions import choice_key, choice_words, kind_of
from dealrescue.core.reading import Reading, ReadProblem, read_date, read_number

# Cells that tick a yes/no box (rank --sql reads the same).
TICKED = frozenset({"x", "✓", "✔"})
# Words a CRM or a team writes for "nothing entered": read as a blank cell (the question's
# default). "unknown" is not one of them: it is a grade in most playbooks.
NULL_WORDS = frozenset({"n/a", "na", "n.a.", "tbd", "tbc", "-", "--", "—", "–", "none", "null", "nil", "(blank)",
                        "(none)", "not set", "#n/a"})


def closed_words(question: Question) -> frozenset[str]:
    """The keys (``choice_key``) of the cell values at which a row is a closed deal."""
    return frozenset(map(choice_key, question.closed))


def choice_keys(question: Question) -> dict[str, list[str]]:
    """Every word of every choice (value, label, aliases) -> the choice values it names (two: ambiguous)."""
    table: dict[str, list[str]] = {}
    for choice in question.choices:
        for text in choice_words(choice):
            table.setdefault(text, [])
            if choice.value not in table[text]:
                table[text].append(choice.value)
    return table


class CellReader:
    """Canonical answer text for one cell of a question; ``dayfirst`` reads 03/04 as 3 April."""

    def __init__(self, dayfirst: bool = False) -> None:
        self.dayfirst = dayfirst
        self._reading = Reading(dayfirst=dayfirst)
        self._choices: dict[int, dict[str, list[str]]] = {}

    def blank(self, question: Question, raw: str) -> bool:
        """A blank cell, or a null word no choice of ``question`` takes."""
        if is_empty(raw):
            return True
        key = choice_key(raw)  # "-" and "--" read as "": only dashes
        return (not key or key in NULL_WORDS) and key not in self._table(question)

    def canonical(self, question: Question, raw: str) -> str:
        kind = kind_of(question)
        if kind.dated:
            return self.date(raw)
        if kind.yes_no:
            return "yes" if raw.strip().casefold() in TICKED else raw
        if kind.many:
            return ",".join(self.choices(question, raw))
        if kind.has_choices:
            return self.choice(question, raw)
        return raw

    def date(self, raw: str) -> str:
        try:
            return read_date(raw, self._reading).isoformat()
        except ReadProblem as exc:
            raise AnswerProblem(str(exc)) from exc  # the kind of problem goes with it (close dates read it)

    def _table(self, question: Question) -> dict[str, list[str]]:
        """Every word of every choice (value, label, aliases) -> the choice values it names."""
        table = self._choices.get(id(question))
        if table is None:
            table = self._choices[id(question)] = choice_keys(question)
        return table

    def choice(self, question: Question, raw: str) -> str:
        if any(raw.strip() == c.value for c in question.choices):
            return raw.strip()
        found = self._table(question).get(choice_key(raw))
        if found is None:
            return raw if question.other is None else question.other  # parse_answer says what the choices are
        if len(found) > 1:
            raise AnswerProblem(f"{raw.strip()!r} fits more than one choice: {', '.join(found)}; write the value")
        return found[0]

    def choices(self, question: Question, raw: str) -> list[str]:
        marks = [sep for sep in ";|" if sep in raw]
        if len(marks) > 1:
            raise AnswerProblem(f"{raw.strip()!r} mixes ; and | between choices: use one of them")
        parts = raw.split(marks[0] if marks else ",")
        table = self._table(question)
        values: list[str] = []
        pending = ""
        for part in parts:
            pending = f"{pending},{part}" if pending else part
            if not pending.strip():
                pending = ""
                continue
            found = table.get(choice_key(pending))
            if found is not None:
                if len(found) > 1:
                    raise AnswerProblem(f"{pending.strip()!r} fits more than one choice: {', '.join(found)}")
                values.append(found[0])
                pending = ""
            elif marks:
                values.append(pending.strip())  # parse_answer names it
                pending = ""
        if pending.strip():
            # Not a label with commas after all: leave the items as written, for parse_answer to name.
            values += [p.strip() for p in pending.split(",") if p.strip()]
        return values


def parse_amount(raw: str) -> float:
    """``$1,234.50``, ``USD 12000``, ``1.234,50 €``, ``(500)`` -> a number; blank -> NaN."""
    if not raw.strip():
        return float("nan")
    try:
        return read_number(raw)
    except ReadProblem as exc:
        raise AnswerProblem(str(exc)) from None
