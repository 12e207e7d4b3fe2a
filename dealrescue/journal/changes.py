"""The journal's to-do items (plan steps and follow-ups) and the links between re-runs of a deal.

Kept apart from ``store`` so each file stays one subject: the store records runs as they are
answered; this mixin ticks items off, drops answers that no longer apply and supersedes a run.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from dealrescue.errors import RecordNotFoundError, RunReplacedError, UsageError
from dealrescue.journal import items
from dealrescue.journal.values import ID_INPUT, now

if TYPE_CHECKING:
    import sqlite3


class Changes:
    """To-do items and re-run links of ``Journal`` (a mixin: it needs the journal's ``_read``/``_write``)."""

    if TYPE_CHECKING:

        def _read(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def _write(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def _require_unfinished(self, conn: sqlite3.Connection, run_id: str) -> None: ...

    # -- to-do items: plan steps and follow-ups

    def todo_items(self, until: str | None = None) -> list[items.TodoItem]:
        """Open steps and follow-ups due on or before ``until`` (all open ones when None), oldest first."""
        with self._read() as conn:
            return items.open_items(conn, until)

    def all_todo_items(self) -> list[items.TodoItem]:
        with self._read() as conn:
            return items.all_items(conn)

    def items_for_run(self, run_id: str) -> list[items.TodoItem]:
        with self._read() as conn:
            return items.items_for_run(conn, run_id)

    def get_item(self, id_or_prefix: str) -> items.TodoItem:
        with self._read() as conn:
            found = _find_item(conn, id_or_prefix)
            item = items.get_item(conn, found)
        assert item is not None
        return item

    def mark_item_done(self, id_or_prefix: str) -> items.TodoItem:
        """Tick a step or follow-up off; ticking it again keeps the first date."""
        with self._write() as conn:
            found = _find_item(conn, id_or_prefix)
            items.mark_done(conn, found, now())
            item = items.get_item(conn, found)
        assert item is not None
        return item

    # -- changing answers and re-running

    def forget_answer(self, run_id: str, question_id: str) -> None:
        """Drop an answer whose question no longer applies (an earlier answer was changed)."""
        with self._write() as conn:
            self._require_unfinished(conn, run_id)
            conn.execute("DELETE FROM answers WHERE run_id = ? AND question_id = ?", (run_id, question_id))
            conn.execute("UPDATE runs SET updated_at = ? WHERE id = ?", (now(), run_id))

    def replace_run(self, conn: sqlite3.Connection, old_run_id: str, new_run_id: str, when: str) -> None:
        """Inside the transaction that finishes ``new_run_id``: link it to the run it replaces and
        close that run's open steps and follow-ups (they show as superseded, not done).

        A run is replaced once. The check, the link and the closing happen in the one
        ``BEGIN IMMEDIATE`` transaction that saves the new plan, so two re-runs finishing at once
        cannot both replace it, and a kill between saving and linking cannot happen.
        """
        newer = conn.execute(
            "SELECT id FROM runs WHERE replaces = ? AND id != ? ORDER BY seq LIMIT 1", (old_run_id, new_run_id)
        ).fetchone()
        if newer is not None:
            raise RunReplacedError(old_run_id, newer[0])
        conn.execute("UPDATE runs SET replaces = ? WHERE id = ?", (old_run_id, new_run_id))
        items.supersede(conn, old_run_id, when)

    def keep_for_newer(self, run_id: str, newer: str) -> None:
        """A re-run refused at save time (``newer`` replaced its run meanwhile): keep its answers as
        an interrupted run that, once resumed, replaces ``newer`` instead."""
        import json

        with self._write() as conn:
            self._require_unfinished(conn, run_id)
            row = conn.execute("SELECT options FROM runs WHERE id = ?", (run_id,)).fetchone()
            try:
                options = json.loads(row[0])
            except (TypeError, ValueError):
                options = None
            options = {**options, "replaces": newer} if isinstance(options, dict) else {"replaces": newer}
            conn.execute(
                "UPDATE runs SET options = ?, status = 'interrupted', updated_at = ? WHERE id = ?",
                (json.dumps(options, ensure_ascii=False, separators=(",", ":")), now(), run_id),
            )

    def interrupted_reruns(self, run_id: str) -> list[str]:
        """Interrupted runs that will replace ``run_id`` once finished (a re-run or a draft's finishing,
        stopped half-way), touched last first. One still in progress is left out: another terminal
        may be answering it right now."""
        from dealrescue.core.status import RunStatus

        with self._read() as conn:
            rows = conn.execute(
                "SELECT id FROM runs WHERE status = ? AND json_valid(options) "
                "AND json_extract(options, '$.replaces') = ? ORDER BY updated_at DESC, seq DESC",
                [RunStatus.interrupted.value, run_id],
            ).fetchall()
        return [r[0] for r in rows]

    def relations(self, run_id: str) -> tuple[str | None, list[str]]:
        """The run this one replaces (or None), and the runs that replace it, oldest first."""
        with self._read() as conn:
            row = conn.execute("SELECT replaces FROM runs WHERE id = ?", (run_id,)).fetchone()
            later = conn.execute("SELECT id FROM runs WHERE replaces = ? ORDER BY seq", (run_id,)).fetchall()
        return (row[0] if row else None), [r[0] for r in later]


def _find_item(conn: sqlite3.Connection, given: str) -> str:
    """The id of the step or follow-up ``given`` names (a whole id or its first letters)."""
    key = given.strip().lower()
    found = items.find_item_id(conn, key) if key and ID_INPUT.match(key) else []
    if not found:
        raise RecordNotFoundError(f"no step or follow-up with id {given!r} in the journal", kind="item")
    if key in found:
        return key
    if len(found) > 1:
        raise UsageError(f"{given!r} matches several items ({', '.join(found[:5])})", hint="type more of the id")
    return found[0]
