"""`dealrescue followups`: check-backs and dated steps across all deals, and their calendar file.

``dealrescue followups`` (no subcommand) lists them; ``followups done ID``
marks one done. Only typer is imported at the top (see ``deals.py``).
"""

import enum
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dealrescue.cli.deals import (
    ListFormat,
    note,
    open_existing_journal,
    parse_date,
    print_table,
    stdout_is_terminal,
    write_json,
    write_tsv,
)
from dealrescue.errors import UsageError

if TYPE_CHECKING:
    from dealrescue.journal import FollowupRecord

followups_app = typer.Typer(
    help="Due and upcoming follow-ups across all deals; export them to a calendar; mark them done.",
    invoke_without_command=True,
)


class CalendarKind(str, enum.Enum):
    event = "event"
    todo = "todo"


def _today() -> str:
    from datetime import datetime

    return datetime.now().astimezone().date().isoformat()


def _days_between(first: str, second: str) -> int:
    from datetime import date

    return (date.fromisoformat(second) - date.fromisoformat(first)).days


def when_label(f: "FollowupRecord", today: str) -> str:
    """``done``, ``overdue``, ``today`` or ``upcoming``: the state a listing shows."""
    if f.done_at is not None:
        return "done"
    if f.due < today:
        return "overdue"
    if f.due == today:
        return "today"
    return "upcoming"


def _when_text(f: "FollowupRecord", today: str) -> str:
    state = when_label(f, today)
    if state == "done":
        return f"done {f.done_at[:10]}" if f.done_at else "done"
    days = _days_between(today, f.due)
    if state == "overdue":
        return f"OVERDUE {-days}d"
    if state == "today":
        return "today"
    return f"in {days}d"


def _followup_json(f: "FollowupRecord", today: str) -> dict[str, Any]:
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


@followups_app.callback()
def followups(
    ctx: typer.Context,
    include_done: Annotated[bool, typer.Option("--all", help="Include follow-ups already done.")] = False,
    ics: Annotated[
        Path | None,
        typer.Option(
            "--ics",
            metavar="FILE",
            help="Write the follow-ups listed to an iCalendar FILE ('-' for stdout) instead of listing them. "
            "Entries keep their ids, so importing a newer file updates them; use --all to carry 'done' over.",
        ),
    ] = None,
    kind: Annotated[
        CalendarKind,
        typer.Option("--ics-kind", help="In the calendar file: all-day events, or to-dos."),
    ] = CalendarKind.event,
    force: Annotated[bool, typer.Option("--force", help="Replace the --ics FILE if it exists.")] = False,
    on: Annotated[
        str | None,
        typer.Option("--date", metavar="YYYY-MM-DD", help="Count overdue from this day (default today)."),
    ] = None,
    fmt: Annotated[
        ListFormat,
        typer.Option(
            "--format",
            help="table: a table on a terminal, tab-separated lines (id, due, state, deal, playbook, text) "
            "in a pipe or file; json: a list of objects.",
        ),
    ] = ListFormat.table,
) -> None:
    """List due and upcoming follow-ups across all deals (overdue ones marked), by due date."""
    if ctx.invoked_subcommand is not None:
        return
    today = parse_date(on, "--date") or _today()
    journal = open_existing_journal()
    if journal is None:
        items: list[FollowupRecord] = []
    else:
        with journal:
            items = journal.list_followups(include_done=include_done)
    if ics is not None:
        _write_ics(items, ics, kind, force)
        return
    if fmt is ListFormat.json:
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
    elif fmt is not ListFormat.json:
        overdue = sum(1 for f in items if when_label(f, today) == "overdue")
        if overdue:
            note(f"{overdue} overdue. Mark one done with `dealrescue followups done ID`.")


def _write_ics(items: "list[FollowupRecord]", target: Path, kind: CalendarKind, force: bool) -> None:
    from dealrescue.calendar import followups_to_ics

    text = followups_to_ics(items, kind="todo" if kind is CalendarKind.todo else "event")
    if str(target) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from dealrescue.output import write_atomic

    write_atomic(target, text, force=force)
    note(f"Wrote {len(items)} follow-up{'s' if len(items) != 1 else ''} to {target}; import it into your calendar.")


@followups_app.command("done")
def done(
    followup_id: Annotated[str, typer.Argument(metavar="ID", help="A follow-up id (or its first letters).")],
) -> None:
    """Mark a follow-up done."""
    journal = open_existing_journal()
    if journal is None:
        raise UsageError(f"no follow-up with id {followup_id!r}: the journal is empty")
    with journal:
        before = journal.get_followup(followup_id)
        after = journal.mark_followup_done(before.id)
    if before.done_at is not None:
        note(f"Follow-up {after.id} was already done on {before.done_at[:10]}: {after.text} ({after.deal})")
    else:
        note(f"Done: {after.text} ({after.deal}, due {after.due}, id {after.id})")
