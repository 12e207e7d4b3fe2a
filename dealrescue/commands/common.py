"""Helpers shared by the commands: the CLI's one date parser, and the journal if one exists."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealrescue.errors import AnswerError, RecordNotFoundError, RunFinishedError, UsageError

if TYPE_CHECKING:
    from datetime import date

    from dealrescue.journal import Journal


def parse_date(value: str, flag: str) -> date:
    """A date given on the command line, as YYYY-MM-DD only, or a UsageError naming ``flag``."""
    from datetime import date

    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{flag} {value!r} is not a date", hint=f"write dates as YYYY-MM-DD, e.g. {flag} 2026-11-22") from None


DAYFIRST_VARIABLE = "DEALRESCUE_DAYFIRST"


def day_first(flag: bool) -> bool:
    """Whether 03/04/2027 is 3 April: ``--dayfirst``, or DEALRESCUE_DAYFIRST set to 1 (true, yes, on)."""
    import os

    return flag or os.environ.get(DAYFIRST_VARIABLE, "").strip().lower() in ("1", "true", "yes", "on")


def today() -> str:
    """The local calendar day, YYYY-MM-DD: what "overdue" and "this week" count from."""
    from datetime import datetime

    return datetime.now().astimezone().date().isoformat()


def open_existing_journal() -> Journal | None:
    """The journal, or None when none was ever made (a read command does not create one)."""
    from dealrescue import paths

    path = paths.journal_path()
    if not path.exists():
        return None
    # Imported past the check: a run with no journal (a first run, --no-save) never loads sqlite3.
    from dealrescue.journal import Journal
    from dealrescue.ui.terminal import notice

    return Journal.open(path, notify=notice)


_LISTINGS = {"run": "dealrescue deals list", "follow-up": "dealrescue followups --all", "item": "dealrescue todo"}


@contextmanager
def journal_hints() -> Iterator[None]:
    """Add to the journal's own errors the command that helps (the journal names no command)."""
    try:
        yield
    except RecordNotFoundError as exc:
        if exc.hint is None and exc.kind in _LISTINGS:
            exc.hint = f"see `{_LISTINGS[exc.kind]}` for ids"
        raise
    except RunFinishedError as exc:
        exc.hint = exc.hint or f"see `dealrescue deals show {exc.run_id}`"
        raise


@contextmanager
def answer_hints() -> Iterator[None]:
    """Add to the engine's answer errors the flags that mend them (the core names no flag)."""
    try:
        yield
    except AnswerError as exc:
        if exc.hint is None:
            exc.hint = (
                "correct it in --answers or --set"
                if exc.question_id
                else "give them with --answers FILE or --set ID=VALUE (or run in a terminal to be asked)"
            )
        raise


def write_calendar(entries: list[Any], target: Path, kind: str, force: bool, *, calendar: str, noun: str) -> None:
    """``--ics FILE`` of ``followups`` and ``todo``: the entries as iCalendar, to FILE or stdout (``-``).

    A damaged row is a warning and left out; the rest is written. ``noun`` names one entry.
    """
    from dealrescue.journal.calendar import items_to_ics
    from dealrescue.ui.output import emit
    from dealrescue.ui.terminal import notice

    problems: list[str] = []
    text = items_to_ics(entries, kind="todo" if kind == "todo" else "event", name=calendar, problems=problems)
    for problem in problems:
        notice(f"warning: {noun} {problem}")
    written = len(entries) - len(problems)
    emit(
        text,
        None if str(target) == "-" else target,
        force=force,
        flag="--ics",
        written=f"Wrote {written} {noun}{'s' if written != 1 else ''} to {target}; import it into your calendar "
        "(importing a newer file updates the entries).",
    )
