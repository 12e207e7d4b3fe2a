"""The journal's queries: runs, answers, plans and follow-ups, each row read by column name.

Opening the file safely, the identity and version checks, permissions and the translation
of SQLite's errors live in ``dealrescue.journal.connection``. Every write is its own
``BEGIN IMMEDIATE`` transaction, so two dealrescue processes at once both succeed.

This package is the only place that imports sqlite3.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from dealrescue import paths
from dealrescue.core.status import UNFINISHED, RunStatus
from dealrescue.errors import RecordNotFoundError, RunFinishedError
from dealrescue.journal import connection, items, values
from dealrescue.journal.changes import Changes
from dealrescue.journal.connection import DEFAULT_TIMEOUT, Notify
from dealrescue.journal.listing import Listings
from dealrescue.journal.outcomes import Outcomes
from dealrescue.journal.rows import (
    _FOLLOWUP_SELECT,
    _RUN_SELECT,
    FollowupRecord,
    RunRecord,
    _followup,
    _run,
)

# Ids a person can type: no 0/o, 1/l/i to confuse.
ID_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
ID_LENGTH = 6


def _dumps(value: Any, what: str) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be JSON data (str, number, bool, list, dict): {exc}") from exc


def _new_id() -> str:
    import secrets  # only writes make ids: a listing does not load it (hmac, hashlib, random)

    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


class Journal(Listings, Changes, Outcomes):
    """An open journal. Use ``Journal.open()``; close it, or use it as a context manager."""

    def __init__(self, conn: sqlite3.Connection, path: Path, timeout: float) -> None:
        self._conn = conn
        self.path = path
        self.timeout = timeout
        self.notices: list[str] = []

    @classmethod
    def open(cls, path: Path | None = None, *, timeout: float = DEFAULT_TIMEOUT, notify: Notify | None = None) -> Journal:
        """Open (creating if needed) the journal at ``path`` (default ``paths.journal_path()``).

        See ``connection.connect`` for what is refused. What the user should be told (a mode
        made private) goes to ``notify``, or, without one, to ``journal.notices``.
        """
        path = Path(path) if path is not None else paths.journal_path()
        notices: list[str] = []
        conn = connection.connect(path, timeout, notify or notices.append)
        journal = cls(conn, path, timeout)
        journal.notices = notices
        return journal

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------ transactions

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with connection.write(self._conn, self.path, self.timeout) as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with connection.read(self._conn, self.path, self.timeout) as conn:
            yield conn

    def _unique_id(self, conn: sqlite3.Connection) -> str:
        # Unique across runs, follow-ups and steps, so an id never means two things.
        while True:
            candidate = _new_id()
            if not conn.execute(
                "SELECT 1 FROM runs WHERE id = ?1 UNION ALL SELECT 1 FROM followups WHERE id = ?1 "
                "UNION ALL SELECT 1 FROM steps WHERE id = ?1",
                (candidate,),
            ).fetchone():
                return candidate

    # ------------------------------------------------------------------ writes

    def start_run(
        self,
        deal: str,
        playbook_id: str,
        playbook_version: int,
        playbook_source: str,
        plan_date: str,
        options: dict[str, Any],
    ) -> str:
        """Record a new run (status ``in_progress``) and return its short id."""
        plan_date = values.check_date(plan_date, "plan_date")
        options_json = _dumps(options, "options")
        now = values.now()
        with self._write() as conn:
            run_id = self._unique_id(conn)
            conn.execute(
                """
                INSERT INTO runs (id, deal, deal_key, playbook_id, playbook_version, playbook_source,
                                  plan_date, status, options, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'in_progress', ?, ?, ?)
                """,
                (
                    run_id,
                    deal,
                    deal.casefold(),
                    playbook_id,
                    int(playbook_version),
                    playbook_source,
                    plan_date,
                    options_json,
                    now,
                    now,
                ),
            )
        return run_id

    def _require_unfinished(self, conn: sqlite3.Connection, run_id: str) -> None:
        row = conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise RecordNotFoundError(f"no run with id {run_id!r} in the journal", kind="run")
        if row[0] == RunStatus.done.value:
            raise RunFinishedError(f"run {run_id} is already done", run_id)

    def save_answer(self, run_id: str, question_id: str, value: Any) -> None:
        """Store one answer (replacing an earlier answer to the same question) in its own transaction.

        An answer keeps the place it was first given in. ``None`` is an optional
        question deliberately left empty: it is saved, so resume does not ask it again.
        """
        value_json = _dumps(value, f"the answer to {question_id!r}")
        now = values.now()
        with self._write() as conn:
            self._require_unfinished(conn, run_id)
            conn.execute(
                """
                INSERT INTO answers (run_id, question_id, value, answered_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (run_id, question_id) DO UPDATE SET value = excluded.value,
                                                               answered_at = excluded.answered_at
                """,
                (run_id, question_id, value_json, now),
            )
            conn.execute("UPDATE runs SET updated_at = ? WHERE id = ?", (now, run_id))

    def rename_run(self, run_id: str, deal: str) -> None:
        """Give an unfinished run's deal a new name."""
        with self._write() as conn:
            self._require_unfinished(conn, run_id)
            conn.execute("UPDATE runs SET deal = ?, deal_key = ?, updated_at = ? WHERE id = ?",
                         (deal, deal.casefold(), values.now(), run_id))

    def set_status(self, run_id: str, status: str | RunStatus) -> None:
        """Mark an unfinished run ``interrupted`` or ``in_progress`` (use ``finish_run`` for done)."""
        if status not in UNFINISHED:
            raise ValueError(f"status must be one of {', '.join(s.value for s in UNFINISHED)}, got {status!r}")
        with self._write() as conn:
            self._require_unfinished(conn, run_id)
            conn.execute("UPDATE runs SET status = ?, updated_at = ? WHERE id = ?", (RunStatus(status).value, values.now(), run_id))

    def finish_run(
        self,
        run_id: str,
        verdict_id: str,
        verdict_title: str,
        plan_markdown: str,
        plan_json: str,
        followups: Sequence[tuple[str, str]] = (),
        steps: Sequence[tuple[str, str, str]] = (),
        scoring: dict[str, Any] | None = None,
        outcome_due: str | None = None,
        replaces: str | None = None,
        draft: bool = False,
    ) -> list[str]:
        """Store the verdict, plan, follow-ups and steps (text, due, owner) and mark the run done, all at once.

        ``scoring`` (what scored the run) and ``outcome_due`` (when to ask what happened) are kept
        for ``dealrescue outcome`` and ``track``. ``replaces`` (a re-run) links the run it replaces in
        the same transaction (``replace_run``); a ``draft`` (made after the key questions, the rest
        unanswered) is marked so in its options. Returns the ids given to the follow-ups, in the order given.
        """
        try:
            json.loads(plan_json)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"plan_json is not valid JSON: {exc}") from exc
        checked = [(str(text), values.check_date(due, "follow-up due date")) for text, due in followups]
        dated_steps = [(str(text), values.check_date(due, "step due date"), str(owner)) for text, due, owner in steps]
        scoring_json = None if scoring is None else _dumps(scoring, "scoring")
        asked_on = None if outcome_due is None else values.check_date(outcome_due, "outcome_due")
        now = values.now()
        ids: list[str] = []
        with self._write() as conn:
            self._require_unfinished(conn, run_id)
            if replaces is not None:
                self.replace_run(conn, replaces, run_id, now)
            conn.execute(
                """
                UPDATE runs SET status = 'done', verdict_id = ?, verdict_title = ?, updated_at = ?,
                                scoring = ?, outcome_due = ?,
                                options = CASE WHEN ? THEN json_set(options, '$.draft', json('true')) ELSE options END
                WHERE id = ?
                """,
                (verdict_id, verdict_title, now, scoring_json, asked_on, draft, run_id),
            )
            conn.execute(
                "INSERT INTO plans (run_id, markdown, json) VALUES (?, ?, ?)",
                (run_id, plan_markdown, plan_json),
            )
            for text, due in checked:
                followup_id = self._unique_id(conn)
                conn.execute(
                    "INSERT INTO followups (id, run_id, text, due) VALUES (?, ?, ?, ?)",
                    (followup_id, run_id, text, due),
                )
                ids.append(followup_id)
            items.insert_steps(conn, run_id, [(self._unique_id(conn), *step) for step in dated_steps])
        return ids

    # ------------------------------------------------------------------- reads

    def _find(self, conn: sqlite3.Connection, table: str, given: str, what: str) -> str:
        """The full id in ``table`` that ``given`` (an id or a unique prefix) names."""
        key = given.strip().lower()
        if not key or not values.ID_INPUT.match(key):
            raise RecordNotFoundError(f"{given!r} is not a {what} id", kind=what)
        rows = conn.execute(
            f"SELECT id FROM {table} WHERE id GLOB ? ORDER BY id LIMIT 6",  # table is ours, never user text
            (key + "*",),
        ).fetchall()
        if not rows:
            raise RecordNotFoundError(f"no {what} with id {given!r} in the journal", kind=what)
        exact = [r[0] for r in rows if r[0] == key]
        if exact:
            return str(exact[0])
        if len(rows) > 1:
            shown = ", ".join(r[0] for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
            raise RecordNotFoundError(f"{given!r} matches several {what}s ({shown})", kind=what, hint="type more of the id")
        return str(rows[0][0])

    def get_run(self, id_or_prefix: str) -> RunRecord:
        """The run with this id, or the only run whose id starts with it."""
        with self._read() as conn:
            run_id = self._find(conn, "runs", id_or_prefix, "run")
            return self._load_run(conn, run_id)

    def _load_run(self, conn: sqlite3.Connection, run_id: str) -> RunRecord:
        row = conn.execute(_RUN_SELECT + " WHERE id = ?", (run_id,)).fetchone()
        answers = conn.execute("SELECT question_id, value FROM answers WHERE run_id = ? ORDER BY seq", (run_id,)).fetchall()
        return _run(row, answers)

    def latest_unfinished(self) -> RunRecord | None:
        """The unfinished (in progress or interrupted) run touched last, if any."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT id FROM runs WHERE status IN (?, ?) ORDER BY updated_at DESC, seq DESC LIMIT 1",
                [s.value for s in UNFINISHED],
            ).fetchone()
            return None if row is None else self._load_run(conn, row[0])

    def count_runs(self) -> int:
        with self._read() as conn:
            return int(conn.execute("SELECT count(*) FROM runs").fetchone()[0])

    def list_followups(self, include_done: bool = False) -> list[FollowupRecord]:
        """Follow-ups across all runs, by due date (then the order they were made in)."""
        # A superseded follow-up belongs to a run of the deal made again since: not listed.
        where = " WHERE f.superseded_at IS NULL" + ("" if include_done else " AND f.done_at IS NULL")
        with self._read() as conn:
            rows = conn.execute(_FOLLOWUP_SELECT + where + " ORDER BY f.due, f.seq").fetchall()
        return [_followup(r) for r in rows]

    def followups_for_run(self, run_id: str) -> list[FollowupRecord]:
        with self._read() as conn:
            rows = conn.execute(_FOLLOWUP_SELECT + " WHERE f.run_id = ? ORDER BY f.seq", (run_id,)).fetchall()
        return [_followup(r) for r in rows]

    def get_followup(self, id_or_prefix: str) -> FollowupRecord:
        with self._read() as conn:
            found = self._find(conn, "followups", id_or_prefix, "follow-up")
            return _followup(conn.execute(_FOLLOWUP_SELECT + " WHERE f.id = ?", (found,)).fetchone())
