"""What the ``followups`` commands do: list follow-ups (or write them to a calendar), mark one done."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealrescue.commands.common import journal_hints, note, open_existing_journal, parse_date, stdout_is_terminal
from dealrescue.errors import UsageError
from dealrescue.ui.tables import print_table, write_json, write_tsv

if TYPE_CHECKING:
    from dealrescue.journal import FollowupRecord


def _today() -> str:
    from datetime import datetime

    return datetime.now().astimezone().date().isoformat()


def _days_between(first: str, second: str) -> int:
    from datetime import date

    return (date.fromisoformat(second) - date.fromisoformat(first)).days


def when_label(f: FollowupRecord, today: str) -> str:
    """``done``, ``overdue``, ``today`` or ``upcoming``: the state a listing shows."""
    if f.done_at is not None:
        return "done"
    if f.due < today:
        return "overdue"
    if f.due == today:
        return "today"
    return "upcoming"


def _when_text(f: FollowupRecord, today: str) -> str:
    state = when_label(f, today)
    if state == "done":
        return f"done {f.done_at[:10]}" if f.done_at else "done"
    days = _days_between(today, f.due)
    if state == "overdue":
        return f"OVERDUE {-days}d"
    if state == "today":
        return "today"
    return f"in {days}d"


def _followup_json(f: FollowupRecord, today: str) -> dict[str, Any]:
    return {
        "id": f.id,
        "due": f.due,
        "state": when_label(f, today),
        "text": f.text,
        "deal": f.deal,
        "playbook": f.playbook_id,
        "run_id": f.run_id,
        "done_at": f.done_at,
    }


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
    """
    today = parse_date(on, "--date") or _today()
    journal = open_existing_journal()
    if journal is None:
        items: list[FollowupRecord] = []
    else:
        with journal:
            items = journal.list_followups(include_done=include_done)
    if ics is not None:
        _write_ics(items, ics, ics_kind, force)
        return
    if fmt == "json":
        write_json([_followup_json(f, today) for f in items])
    elif not items:
        pass
    elif stdout_is_terminal():
        codes = {"overdue": "1;31", "today": "1;33", "done": "2"}
        print_table(
            ["ID", "Due", "When", "Deal", "Follow-up"],
            [
                (
                    f.id,
                    f.due,
                    (_when_text(f, today), codes.get(when_label(f, today))),
                    f.deal,
                    f.text,
                )
                for f in items
            ],
            flex=[3, 4],
        )
    else:
        write_tsv([(f.id, f.due, when_label(f, today), f.deal, f.playbook_id, f.text) for f in items])
    if not items:
        note("No follow-ups" + (" recorded yet." if include_done else " to do."))
    elif fmt != "json":
        overdue = sum(1 for f in items if when_label(f, today) == "overdue")
        if overdue:
            note(f"{overdue} overdue. Mark one done with `dealrescue followups done ID`.")


def _write_ics(items: list[FollowupRecord], target: Path, kind: str, force: bool) -> None:
    from dealrescue.journal.calendar import followups_to_ics

    problems: list[str] = []
    text = followups_to_ics(items, kind="todo" if kind == "todo" else "event", problems=problems)
    for problem in problems:
        note(f"warning: {problem}")
    if str(target) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from dealrescue.ui.output import write_atomic

    write_atomic(target, text, force=force, flag="--ics")
    written = len(items) - len(problems)
    note(f"Wrote {written} follow-up{'s' if written != 1 else ''} to {target}; import it into your calendar.")


def mark_done(followup_id: str) -> None:
    """``followups done``: mark one follow-up done (saying so if it already was)."""
    from dealrescue.core.mdescape import one_line

    journal = open_existing_journal()
    if journal is None:
        raise UsageError(f"no follow-up with id {followup_id!r}: the journal is empty")
    with journal, journal_hints():
        before = journal.get_followup(followup_id)
        after = journal.mark_followup_done(before.id)
    if before.done_at is not None:
        note(f"Follow-up {after.id} was already done on {before.done_at[:10]}: {one_line(after.text)} ({one_line(after.deal)})")
    else:
        note(f"Done: {one_line(after.text)} ({one_line(after.deal)}, due {after.due}, id {after.id})")
