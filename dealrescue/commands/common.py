"""Helpers shared by the journal-reading commands: the CLI's date check, the journal if one exists, a notice."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from dealrescue.errors import RecordNotFoundError, RunFinishedError, UsageError

if TYPE_CHECKING:
    from dealrescue.journal import Journal

def parse_date(value: str | None, flag: str) -> str | None:
    """``value`` checked as YYYY-MM-DD, or a UsageError naming ``flag``."""
    if value is None:
        return None
    from datetime import date

    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise UsageError(f"{flag} {value!r} is not a date", hint="write dates as YYYY-MM-DD") from None


def open_existing_journal() -> Journal | None:
    """The journal, or None when none was ever made (a read command does not create one)."""
    from dealrescue import paths
    from dealrescue.journal import Journal

    path = paths.journal_path()
    if not path.exists():
        return None
    return Journal.open(path, notify=note)


_LISTINGS = {"run": "dealrescue deals list", "follow-up": "dealrescue followups --all"}


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


def note(message: str) -> None:
    """A message for the person at the terminal: on stderr, never mixed into stdout."""
    from dealrescue.ui.terminal import notice

    notice(message)


def stdout_is_terminal() -> bool:
    from dealrescue.ui import terminal

    return terminal.stdout_is_terminal()
