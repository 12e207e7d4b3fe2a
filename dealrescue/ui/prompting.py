"""What both prompters (``prompter``, ``plain_prompter``) and the interview share: the request to
go back, what a prompter does, the back key, text cut to the terminal, the review screen's list."""

from __future__ import annotations

import os
import textwrap
from typing import IO, Any, Protocol

from dealrescue.core.mdescape import strip_controls
from dealrescue.core.model import Question
from dealrescue.core.questions import kind_of
from dealrescue.core.reading import PLAIN, Reading

REVIEW_TITLE = "Your answers:"


def back_key() -> str:
    """The back key as the full-screen prompts show it (the plain prompts take ``<``): in tmux, whose
    prefix is Ctrl-B, the Esc b that works there too."""
    return "Esc b back" if os.environ.get("TMUX") else "Ctrl-B back"


class GoBack(Exception):  # noqa: N818 - a request, not an error
    """The rep asked for the previous question (on the review screen: the last one)."""


class Prompter(Protocol):
    def banner(self, text: str) -> None: ...

    def note(self, text: str) -> None: ...

    def ask(self, question: Question, default: Any, *, first: bool = False) -> Any: ...

    def review(self, lines: list[str]) -> int | None: ...


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
        parts.append(back_key())
    return f"({', '.join(parts)})" if parts else ""


def review_listing(lines: list[str], width: int) -> str:
    """The review screen's numbered list (the deal's name is 0), each answer wrapped under its number."""
    numbered = [wrapped(line, width, indent="      ", first=f"  {n:>2}. ") for n, line in enumerate(lines)]
    return "\n".join(["", REVIEW_TITLE, *numbered])


def review_choice(raw: str, count: int) -> int | None:
    """The review screen's answer: empty makes the plan (None); a number N changes answer N (1 to
    ``count``), 0 the deal's name."""
    text = raw.strip()
    if not text:
        return None
    if text.isdigit() and 0 <= int(text) <= count:
        return int(text)
    raise ValueError(f"{shortened(strip_controls(text), 20)!r}: press Enter for the plan, type a number from 1 to {count}, "
                     "or 0 for the deal's name")


def review_help(count: int) -> str:
    """The line under the review screen's list: what each key does."""
    goes_back = back_key().removesuffix(" back")
    return f"Enter makes the plan; a number 1-{count} changes that answer, 0 the deal's name; {goes_back} goes back to the last question."


def review_echo(picked: int | None) -> str:
    """What stays on screen after the review: the choice made."""
    return "Yes" if picked is None else "First change the deal's name" if picked == 0 else f"First change answer {picked}"
