"""What ``followups`` does: list follow-ups, or write them to a calendar (``followups done`` is ``commands/todo.py``'s)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealrescue.commands.common import open_existing_journal, parse_date, write_calendar
from dealrescue.commands.common import today as local_today
from dealrescue.ui import terminal
from dealrescue.ui.listing_output import print_table, write_json, write_tsv

if TYPE_CHECKING:

    from dealrescue.journal import FollowupRecord, Journal


def _days_between(first: str, second: str) -> int:
    from datetime import date

    return (date.fromisoformat(second) - date.fromisoformat(first)).days


def _when_text(state: str, done_at: str | None, due: str, today: str) -> str:
    if state == "done":
        return f"done {done_at[:10]}" if done_at else "done"
    days = _days_between(today, due)
    if state == "overdue":
        return f"OVERDUE {-days}d"
    if state == "today":
        return "today"
    return f"in {days}d"


# The columns of each listing form, as the journal names them (it computes the state).
_COLUMNS = ("id", "due", "state", "done_at", "deal", "playbook_id", "text", "run_id")
_TSV_COLUMNS = ("id", "due", "state", "deal", "playbook_id", "text")
_STATE = itemgetter(2)
_COLOURS = {"overdue": "1;31", "today": "1;33", "done": "2"}


def _every_row(journal: Journal, include_done: bool, today: str) -> list[tuple[Any, ...]]:
    return [row for batch in journal.stream_followups(_COLUMNS, include_done=include_done, today=today) for row in batch]



def list_followups(
    include_done: bool,
    ics: Path | None,
    ics_kind: str,
    force: bool,
    on: str | None,
    fmt: str,
) -> None:
    """``followups``: list them by due date (``fmt`` ``table`` or ``json``), or write an iCalendar file.

    ``ics_kind`` is ``event`` or ``todo``; ``on`` is the day overdue counts from (default today).
    Rows stream from the journal; only a terminal table (which needs every width) is held whole.
    """
    today = parse_date(on, "--date").isoformat() if on is not None else local_today()
    journal = open_existing_journal()
    if ics is not None:
        items: list[FollowupRecord] = []
        if journal is not None:
            with journal:
                items = journal.list_followups(include_done=include_done)
        _write_ics(items, ics, ics_kind, force)
        return
    listed = overdue = 0
    if journal is None:
        if fmt == "json":
            write_json([])
    elif fmt == "json":
        with journal:
            rows = _every_row(journal, include_done, today)
        write_json(
            [
                {
                    "id": fid,
                    "due": due,
                    "state": state,
                    "text": text,
                    "deal": deal,
                    "playbook": playbook_id,
                    "run_id": run_id,
                    "done_at": done_at,
                }
                for fid, due, state, done_at, deal, playbook_id, text, run_id in rows
            ]
        )
        listed = len(rows)
    elif terminal.stdout_is_terminal():
        with journal:
            rows = _every_row(journal, include_done, today)
        table = []
        for fid, due, state, done_at, deal, _playbook, text, _run in rows:
            overdue += state == "overdue"
            table.append((fid, due, (_when_text(state, done_at, due, today), _COLOURS.get(state)), deal, text))
        if table:
            print_table(["ID", "Due", "When", "Deal", "Follow-up"], table, flex=[3, 4])
        listed = len(table)
    else:
        with journal:
            counts = {"overdue": 0}

            def counted(batches: Iterable[list[tuple[Any, ...]]]) -> Iterator[list[tuple[Any, ...]]]:
                for batch in batches:
                    counts["overdue"] += list(map(_STATE, batch)).count("overdue")
                    yield batch

            listed = write_tsv(counted(journal.stream_followups(_TSV_COLUMNS, include_done=include_done, today=today)))
            overdue = counts["overdue"]
    if not listed:
        terminal.notice("No follow-ups" + (" recorded yet." if include_done else " to do."))
    elif overdue:
        terminal.notice(f"{overdue} overdue. Mark one done with `dealrescue followups done ID`.")


def _write_ics(items: list[FollowupRecord], target: Path, kind: str, force: bool) -> None:
    write_calendar(items, target, kind, force, calendar="dealrescue follow-ups", noun="follow-up")
