"""Asking a playbook's questions on a terminal: forward, back, and a review before the plan.

The prompters (full-screen ``prompter``, line-by-line ``plain_prompter``) draw one
question at a time; this module decides which question comes next. Going back or
changing an answer on the review screen walks the questions again: a question
whose ``when`` no longer holds loses its answer, a newly applicable one is asked,
the others keep theirs. Each change reaches the journal as it is made.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Mapping
from typing import IO, Any, Protocol

from dealrescue.core.answers import display_answer
from dealrescue.core.engine import asked_path, reading_for, typed_answer
from dealrescue.core.loader import CompiledPlaybook
from dealrescue.core.mdescape import strip_controls
from dealrescue.core.model import Question
from dealrescue.core.questions import kind_of
from dealrescue.core.reading import PLAIN, Reading
from dealrescue.ui.terminal import PromptStreams

REVIEW_TITLE = "Your answers:"
# The back key as the full-screen prompts show it (the plain prompts take `<`).
BACK_KEY = "Ctrl-B back"
REVIEW_LABEL_WIDTH = 60


class GoBack(Exception):  # noqa: N818 - a request, not an error
    """The rep asked for the previous question (on the review screen: the last one)."""


class Prompter(Protocol):
    def banner(self, text: str) -> None: ...

    def note(self, text: str) -> None: ...

    def ask(self, question: Question, default: Any, *, first: bool = False) -> Any: ...

    def review(self, lines: list[str]) -> int | None: ...


def prompter_for(streams: PromptStreams, *, plain: bool, reading: Reading = PLAIN) -> Prompter:
    """Plain prompts when asked for (``--plain``, ``DEALRESCUE_PROMPTS=plain``) or on a dumb terminal.

    ``reading`` is how typed dates and numbers are read (the plan date for ``+9d``, day first or not)."""
    if plain or os.environ.get("DEALRESCUE_PROMPTS") == "plain" or os.environ.get("TERM") == "dumb":
        from dealrescue.ui.plain_prompter import PlainPrompter

        return PlainPrompter(streams, reading)
    from dealrescue.ui.prompter import TerminalPrompter

    return TerminalPrompter(streams, reading=reading)


def width_of(stream: IO[str] | None) -> int:
    """The terminal's width in columns (80 when it cannot be told)."""
    try:
        return max(20, os.get_terminal_size(stream.fileno()).columns) if stream is not None else 80
    except (OSError, ValueError, AttributeError):
        columns = os.environ.get("COLUMNS", "")
        return max(20, int(columns)) if columns.isdigit() else 80


def wrapped(text: str, width: int, indent: str = "", first: str | None = None) -> str:
    """``text`` cut at word boundaries to ``width`` columns (paragraphs kept), each line indented."""
    lead = indent if first is None else first
    paragraphs = text.split("\n")
    lines: list[str] = []
    for n, paragraph in enumerate(paragraphs):
        start = lead if n == 0 else indent
        lines += textwrap.wrap(paragraph, width=max(width - 1, 10), initial_indent=start, subsequent_indent=indent,
                               break_long_words=True, break_on_hyphens=False) or [start.rstrip()]
    return "\n".join(lines)


def shortened(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters, cut at a word with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else textwrap.shorten(flat, width=limit, placeholder=" …")


def instruction(question: Question, *, back: bool = False, reading: Reading = PLAIN) -> str:
    """The hint after a typed question: its form (unless the prompt says it already) and whether it may be left empty."""
    parts = []
    hint = kind_of(question).prompt_hint(question, reading)
    if hint:
        parts.append(hint)
    if not question.required and "leave empty" not in question.prompt.lower():
        parts.append("optional")
    if back:
        parts.append(BACK_KEY)
    return f"({', '.join(parts)})" if parts else ""


def review_lines(compiled: CompiledPlaybook, path: tuple[str, ...], answers: Mapping[str, Any]) -> list[str]:
    """The review screen's list: one line per answer, the question's prompt then the answer in words."""
    lines = []
    for question_id in path:
        question = compiled.playbook.question(question_id)
        assert question is not None  # the path holds only this playbook's ids
        prompt = shortened(strip_controls(question.prompt), REVIEW_LABEL_WIDTH)
        answer = shortened(strip_controls(display_answer(question, answers.get(question_id))), REVIEW_LABEL_WIDTH)
        lines.append(f"{prompt} {answer}")
    return lines


def review_listing(lines: list[str], width: int) -> str:
    """The review screen's numbered list, each answer wrapped under its number."""
    numbered = [wrapped(line, width, indent="      ", first=f"  {n:>2}. ") for n, line in enumerate(lines, start=1)]
    return "\n".join(["", REVIEW_TITLE, *numbered])


def review_choice(raw: str, count: int) -> int | None:
    """The review screen's answer: empty makes the plan (None); a number N changes answer N (index N-1)."""
    text = raw.strip()
    if not text:
        return None
    if text.isdigit() and 1 <= int(text) <= count:
        return int(text) - 1
    raise ValueError(f"{shortened(strip_controls(text), 20)!r}: press Enter for the plan, or type a number from 1 to {count}")


def interview(
    compiled: CompiledPlaybook,
    prompter: Prompter,
    *,
    given: Mapping[str, Any],
    settled: Mapping[str, Any],
    deal: str,
    today: str,
    on_answer: Callable[[str, Any], None],
    on_drop: Callable[[str], None],
    review: bool,
    dayfirst: bool = False,
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Settle every question its ``when`` asks for, letting the rep go back and review; return answers and path.

    ``given`` holds raw answers (--answers/--set), taken without asking when their
    question is reached; ``settled`` holds typed answers kept from before (resume).
    """
    answers: dict[str, Any] = dict(settled)
    # Questions to ask even though they have an answer: stepped back over, or picked on the review screen.
    revisit: set[str] = set()
    position = 0
    while True:
        path = asked_path(compiled, answers, deal, today)
        if position >= len(path):
            if not review or not path:
                break
            try:
                picked = prompter.review(review_lines(compiled, path, answers))
            except GoBack:
                picked = len(path) - 1
            if picked is None:
                break
            position = picked
            revisit.add(path[picked])
            continue
        question_id = path[position]
        question = compiled.playbook.question(question_id)
        assert question is not None
        if question_id in answers and question_id not in revisit:
            position += 1
            continue
        if question_id not in answers and question_id in given:
            value = typed_answer(question, given[question_id], reading_for(today, dayfirst))
        else:
            default = answers.get(question_id, question.default)
            try:
                value = prompter.ask(question, default, first=position == 0)
            except GoBack:
                if position == 0:
                    prompter.note("  (this is the first question)")
                else:
                    revisit.update((question_id, path[position - 1]))
                    position -= 1
                continue
        revisit.discard(question_id)
        answers[question_id] = value
        on_answer(question_id, value)
        # Later questions whose `when` no longer holds lose their answers now, so resume sees the same.
        still = set(asked_path(compiled, answers, deal, today))
        for later in path[position + 1:]:
            if later not in still and later in answers:
                del answers[later]
                revisit.discard(later)
                on_drop(later)
        position += 1
    return {question_id: answers.get(question_id) for question_id in path}, path
