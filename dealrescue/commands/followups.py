"""What the ``followups`` commands do: list follow-ups (or write them to a calendar), mark one done."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealrescue.commands.common import journal_hints, open_existing_journal, parse_date, write_calendar
from dealrescue.commands.common import today as local_today
from dealrescue.errors import UsageError
from dealrescue.ui import terminal
from dealrescue.ui.tables import print_table, write_json, write_tsv

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


def mark_done(followup_id: str) -> None:
    """``followups done``: mark one follow-up done (saying so if it already was)."""
    from dealrescue.core.mdescape import one_line

    journal = open_existing_journal()
    if journal is None:
        raise UsageError(f"no follow-up with id {followup_id!r}: the journal is empty")
    with journal, journal_hints():
        before = journal.get_followup(followup_id)
        from dealrescue.commands.todo import refuse_superseded

        refuse_superseded(journal, journal.get_item(before.id))
        after = journal.mark_followup_done(before.id)
    if before.done_at is not None:
        terminal.notice(f"Follow-up {after.id} was already done on {before.done_at[:10]}: {one_line(after.text)} ({one_line(after.deal)})")
    else:
        terminal.notice(f"Done: {one_line(after.text)} ({one_line(after.deal)}, due {after.due}, id {after.id})")
