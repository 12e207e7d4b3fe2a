"""The to-do list across deals: every plan step and follow-up, as items with ids.

Steps live in the ``steps`` table, follow-ups in ``followups``; both share one id space
(``Journal._unique_id``), so ``todo done ID`` takes either. An item is open until it is
done or superseded (its deal was run again). The SQL is here; ``Journal`` wraps it in
its transactions (``Journal.todo_items`` and the methods beside it).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

# An "outcome" item is made by the to-do list for a run whose outcome is due (its id is the run's).
Kind = Literal["step", "followup", "outcome"]


@dataclass(frozen=True, slots=True)
class TodoItem:
    """One step or follow-up of a plan, as the to-do list shows it."""

    id: str
    run_id: str
    deal: str
    playbook_id: str
    kind: Kind
    text: str
    due: str
    owner: str | None
    done_at: str | None
    superseded_at: str | None
    # Whether a newer run of the deal replaced the item's run: then a closed item was superseded by
    # it; else a closed step was closed when the run's outcome was recorded.
    run_replaced: bool = False

    @property
    def revision(self) -> int:
        """How many times the item changed since it was made (a calendar's SEQUENCE)."""
        return (self.done_at is not None) + (self.superseded_at is not None)


# Both tables as one list: (id, run, deal, playbook, kind, text, due, owner, done, superseded, seq, run replaced).
_REPLACED = "EXISTS (SELECT 1 FROM runs AS newer WHERE newer.replaces = r.id)"
_ITEMS = (
    "SELECT s.id, s.run_id, r.deal, r.playbook_id, 'step', s.text, s.due, s.owner, s.done_at, s.superseded_at, s.seq, "
    f"{_REPLACED} FROM steps AS s JOIN runs AS r ON r.id = s.run_id{{steps}} "
    "UNION ALL "
    "SELECT f.id, f.run_id, r.deal, r.playbook_id, 'followup', f.text, f.due, NULL, f.done_at, f.superseded_at, f.seq, "
    f"{_REPLACED} FROM followups AS f JOIN runs AS r ON r.id = f.run_id{{followups}}"
)
_OPEN = " WHERE {t}.done_at IS NULL AND {t}.superseded_at IS NULL"


def _item(row: Sequence[Any]) -> TodoItem:
    item_id, run_id, deal, playbook_id, kind, text, due, owner, done_at, superseded_at, _seq, run_replaced = row
    return TodoItem(item_id, run_id, deal, playbook_id, kind, text, due, owner, done_at, superseded_at, bool(run_replaced))


def open_items(conn: sqlite3.Connection, until: str | None) -> list[TodoItem]:
    """Open items due on or before ``until`` (all when None), oldest first; steps before follow-ups on a day."""
    due = " AND {t}.due <= ?" if until is not None else ""
    sql = _ITEMS.format(steps=(_OPEN + due).format(t="s"), followups=(_OPEN + due).format(t="f"))
    params = (until, until) if until is not None else ()
    rows = conn.execute(sql + " ORDER BY 7, 5 DESC, 11", params).fetchall()
    return [_item(r) for r in rows]


def all_items(conn: sqlite3.Connection) -> list[TodoItem]:
    """Every item, open or not, by due date (for a calendar file that updates what it wrote before)."""
    rows = conn.execute(_ITEMS.format(steps="", followups="") + " ORDER BY 7, 5 DESC, 11").fetchall()
    return [_item(r) for r in rows]


def items_for_run(conn: sqlite3.Connection, run_id: str) -> list[TodoItem]:
    where = " WHERE {t}.run_id = ?"
    sql = _ITEMS.format(steps=where.format(t="s"), followups=where.format(t="f"))
    rows = conn.execute(sql + " ORDER BY 7, 5 DESC, 11", (run_id, run_id)).fetchall()
    return [_item(r) for r in rows]


def get_item(conn: sqlite3.Connection, item_id: str) -> TodoItem | None:
    where = " WHERE {t}.id = ?"
    row = conn.execute(_ITEMS.format(steps=where.format(t="s"), followups=where.format(t="f")), (item_id, item_id)).fetchone()
    return _item(row) if row else None


def find_item_id(conn: sqlite3.Connection, given: str) -> list[str]:
    """Ids in either table that start with ``given`` (at most six)."""
    rows = conn.execute(
        "SELECT id FROM steps WHERE id GLOB ?1 UNION SELECT id FROM followups WHERE id GLOB ?1 ORDER BY id LIMIT 6",
        (given + "*",),
    ).fetchall()
    return [str(r[0]) for r in rows]


def insert_steps(conn: sqlite3.Connection, run_id: str, steps: Sequence[tuple[str, str, str, str]]) -> None:
    """``(id, text, due, owner)`` rows for ``run_id``, in plan order."""
    conn.executemany(
        "INSERT INTO steps (id, run_id, text, due, owner) VALUES (?, ?, ?, ?, ?)",
        [(item_id, run_id, text, due, owner) for item_id, text, due, owner in steps],
    )


def mark_done(conn: sqlite3.Connection, item_id: str, now: str) -> None:
    for table in ("steps", "followups"):
        conn.execute(f"UPDATE {table} SET done_at = ? WHERE id = ? AND done_at IS NULL", (now, item_id))


def supersede(conn: sqlite3.Connection, old_run_id: str, now: str, tables: Sequence[str] = ("steps", "followups")) -> int:
    """Close the open items of ``old_run_id`` (its deal was run again, or, steps only, its outcome is in);
    how many were open."""
    count = 0
    for table in tables:
        count += conn.execute(
            f"UPDATE {table} SET superseded_at = ? WHERE run_id = ? AND done_at IS NULL AND superseded_at IS NULL",
            (now, old_run_id),
        ).rowcount
    return count
