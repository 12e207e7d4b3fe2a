"""What the ``todo`` commands do: the to-do list across deals (plan steps and follow-ups),
ticking one off, and the calendar file of all of them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealrescue.commands.common import journal_hints, open_existing_journal, parse_date, write_calendar
from dealrescue.commands.common import today as local_today
from dealrescue.core.mdescape import one_line
from dealrescue.errors import RecordNotFoundError, UsageError
from dealrescue.ui import terminal
from dealrescue.ui.listing_output import print_table, write_json, write_tsv

if TYPE_CHECKING:
    from dealrescue.journal import Journal, TodoItem

# "This week": today and the six days after it.
WEEK_DAYS = 7


def when_label(item: TodoItem, today: str) -> str:
    """``overdue``, ``today`` or ``this week``."""
    if item.due < today:
        return "overdue"
    return "today" if item.due == today else "this week"


def _when_text(item: TodoItem, today: str) -> str:
    days = (date.fromisoformat(item.due) - date.fromisoformat(today)).days
    return f"OVERDUE {-days}d" if days < 0 else "today" if days == 0 else f"in {days}d"


def _item_json(item: TodoItem, today: str) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": item.kind,
        "due": item.due,
        "state": when_label(item, today),
        "deal": item.deal,
        "text": item.text,
        "owner": item.owner,
        "playbook": item.playbook_id,
        "run_id": item.run_id,
    }


def list_todo(on: str | None, fmt: str, ics: Path | None, ics_kind: str, force: bool) -> None:
    """``todo``: what is overdue, due today and due this week across all deals, oldest first;
    with ``ics``, every step and follow-up as a calendar file instead."""
    today = parse_date(on, "--date").isoformat() if on is not None else local_today()
    until = (date.fromisoformat(today) + timedelta(days=WEEK_DAYS - 1)).isoformat()
    journal = open_existing_journal()
    items: list[TodoItem] = []
    if journal is not None:
        from dealrescue.commands.outcome import outcome_items

        with journal:
            # The calendar holds every item, open or not and however far ahead, so importing a newer file updates it.
            if ics is not None:
                items = [*journal.all_todo_items(), *outcome_items(journal, None, closed=True)]
            else:
                items = [*journal.todo_items(until), *outcome_items(journal, until)]
        items.sort(key=lambda i: i.due)
    if ics is not None:
        _write_ics(items, ics, ics_kind, force)
        return
    if fmt == "json":
        write_json([_item_json(i, today) for i in items])
    elif items and terminal.stdout_is_terminal():
        codes = {"overdue": "1;31", "today": "1;33"}
        rows = [
            (i.id, i.due, (_when_text(i, today), codes.get(when_label(i, today))), i.deal, i.owner or "follow-up", i.text)
            for i in items
        ]
        # The text gets the width: the deal and who-does-it columns are capped.
        print_table(["ID", "Due", "When", "Deal", "Who", "To do"], rows, flex=[3, 5], caps={3: 24, 4: 12})
    elif items:
        write_tsv([[(i.id, i.due, when_label(i, today), i.deal, i.owner or "follow-up", i.text) for i in items]])
    if not items:
        terminal.notice(f"Nothing overdue or due by {until}.")
    elif fmt != "json":
        overdue = sum(1 for i in items if i.due < today)
        late = f" ({overdue} of them overdue)" if overdue else ""
        terminal.notice(f"{len(items)} to do by {until}{late}. Tick one off with `dealrescue todo done ID`.")


def _write_ics(items: list[TodoItem], target: Path, kind: str, force: bool) -> None:
    write_calendar(items, target, kind, force, calendar="dealrescue", noun="item")


def refuse_superseded(journal: Journal, item: TodoItem) -> None:
    """An item closed without being done (its deal was run again, or the run's outcome recorded) is
    cancelled in the calendar: ticking it would revive it."""
    if item.superseded_at is None or item.done_at is not None:
        return
    kind, listing = ("step", "todo") if item.kind == "step" else ("follow-up", "followups")
    if item.run_replaced:
        later = journal.relations(item.run_id)[1]
        newer = f"run {', '.join(later)}" if later else "a newer run"
        why = f"which {newer} replaced"
    else:
        why = "closed when its outcome was recorded"
    raise UsageError(f"{item.id} is a {kind} of run {item.run_id}, {why}: there is nothing to tick",
                     hint=f"see the open {kind}s and their ids with: dealrescue {listing}")


def mark_done(item_ids: Sequence[str], *, followups_only: bool = False) -> None:
    """``todo done ID...`` (steps or follow-ups) and ``followups done ID`` (follow-ups only): tick
    them off, saying so of one that already was.

    Every id is found first: an unknown or superseded one changes nothing."""
    what = "follow-up" if followups_only else "step or follow-up"
    journal = open_existing_journal()
    if journal is None:
        raise UsageError(f"no {what} with id {item_ids[0]!r}: the journal is empty")
    with journal, journal_hints():
        found = [_item(journal, item_id, followups_only) for item_id in item_ids]
        for before in found:
            refuse_superseded(journal, before)
        done = [(before, journal.mark_item_done(before.id)) for before in found]
    for before, after in done:
        text, deal = one_line(after.text), one_line(after.deal)
        if before.done_at is not None:
            named = f"Follow-up {after.id}" if followups_only else after.id
            terminal.notice(f"{named} was already done on {before.done_at[:10]}: {text} ({deal})")
        else:
            terminal.notice(f"Done: {text} ({deal}, due {after.due}, id {after.id})")


def _item(journal: Journal, item_id: str, followups_only: bool) -> TodoItem:
    """The step or follow-up ``item_id`` names; a run's id (an outcome to record) says how to tick it off."""
    try:
        return journal.get_item(journal.get_followup(item_id).id if followups_only else item_id)
    except RecordNotFoundError as exc:
        if not followups_only and journal.run_exists(item_id):  # an "record the outcome" item: its id is the run's
            exc.hint = f"{item_id} is a run: record its outcome with `dealrescue outcome {item_id} RESULT`, which ticks it off"
        raise
