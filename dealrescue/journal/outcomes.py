"""What happened to each deal after its plan: the outcome a run has now, every outcome ever
recorded for it, the runs whose outcome is due, and the rows a track record is counted from.

A mixin of ``Journal`` (``store.py``), as ``listing.py`` and ``changes.py`` are: the SQL is here,
the journal's transactions wrap it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dealrescue.journal import items, values

if TYPE_CHECKING:
    import sqlite3


@dataclass(frozen=True, slots=True)
class OutcomeRecord:
    """One outcome of a run: the current one, or one line of its history."""

    run_id: str
    outcome: str
    note: str | None
    happened_on: str
    recorded_at: str
    given_for: str | None = None
    """In the history: the run id that was given, when it was a run since replaced."""


@dataclass(frozen=True, slots=True)
class OutcomeDue:
    """A finished run whose outcome the to-do list asks for (or, for a calendar, asked for)."""

    run_id: str
    deal: str
    playbook_id: str
    due: str
    recorded_at: str | None = None
    """When its outcome was recorded: the reminder is done."""
    replaced_at: str | None = None
    """When a re-run replaced the run: the reminder went to the new run."""


# What the record and the export read of each run, by name (the same names as the export's header).
RUN_FIELDS = (
    "run_id", "deal", "playbook", "playbook_version", "scoring", "status", "plan_date", "created_at",
    "verdict", "bands", "outcome", "outcome_date", "outcome_recorded_at", "playbook_source",
)
_RUN_ROWS = (
    "SELECT r.id, r.deal, r.playbook_id, r.playbook_version, r.scoring, r.status, r.plan_date, r.created_at, "
    "r.verdict_id, CASE WHEN r.scoring IS NULL THEN json_extract(p.json, '$.scores') END, "
    "o.outcome, o.happened_on, o.recorded_at, r.playbook_source "
    "FROM runs AS r LEFT JOIN plans AS p ON p.run_id = r.id LEFT JOIN outcomes AS o ON o.run_id = r.id"
)
_BATCH = 512


def run_row(row: tuple[Any, ...]) -> dict[str, Any]:
    """A run as the record reads it: its bands by score id and its scoring fingerprint, from whichever the run kept."""
    named = dict(zip(RUN_FIELDS, row, strict=True))
    scoring = _json(named["scoring"])
    if isinstance(scoring, dict):
        bands = scoring.get("bands") or {}
        named["scoring"] = scoring.get("fingerprint")
    else:
        # A run recorded before scoring was kept: its bands are in its plan document.
        scores = _json(named["bands"])
        bands = {k: v.get("band") for k, v in scores.items() if isinstance(v, dict)} if isinstance(scores, dict) else {}
        named["scoring"] = None
    named["bands"] = {str(k): v for k, v in bands.items() if isinstance(v, str)}
    return named


def _json(text: Any) -> Any:
    try:
        return json.loads(text) if text is not None else None
    except (TypeError, ValueError):
        return None


class Outcomes:
    """Outcomes of ``Journal`` (a mixin: it needs the journal's ``_read``/``_write``)."""

    if TYPE_CHECKING:

        def _read(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def _write(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def replacement_of(self, run_id: str) -> str:
        """The run that stands for ``run_id`` now: the last of the re-runs that replaced it (itself if none)."""
        seen = {run_id}
        with self._read() as conn:
            while True:
                row = conn.execute("SELECT id FROM runs WHERE replaces = ? ORDER BY seq DESC LIMIT 1", (run_id,)).fetchone()
                if row is None or row[0] in seen:
                    return run_id
                run_id = str(row[0])
                seen.add(run_id)

    def run_exists(self, run_id: str) -> bool:
        with self._read() as conn:
            return conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id.strip().lower(),)).fetchone() is not None

    def latest_of_deal(self, run_id: str) -> str:
        """The deal's latest finished run of the same playbook: the one a track record counts."""
        with self._read() as conn:
            row = conn.execute(
                """
                SELECT later.id FROM runs AS r JOIN runs AS later
                  ON later.playbook_id = r.playbook_id AND later.deal_key = r.deal_key AND later.status = 'done'
                WHERE r.id = ? ORDER BY later.created_at DESC, later.id DESC LIMIT 1
                """,
                (run_id,),
            ).fetchone()
        return run_id if row is None else str(row[0])

    def set_outcome(
        self, run_id: str, outcome: str, note: str | None, happened_on: str, given_for: str | None = None
    ) -> tuple[OutcomeRecord | None, int]:
        """Record ``outcome`` as the run's outcome now, appended to its history. Returns the one it
        replaces, and how many open steps it closed: the plan's steps led to this outcome, so they are
        moot now (its follow-ups, the check-backs, stay open)."""
        happened_on = values.check_date(happened_on, "the outcome's date")
        now = values.now()
        with self._write() as conn:
            before = _current(conn, run_id)
            closed = items.supersede(conn, run_id, now, tables=("steps",))
            conn.execute(
                """
                INSERT INTO outcomes (run_id, outcome, note, happened_on, recorded_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (run_id) DO UPDATE SET outcome = excluded.outcome, note = excluded.note,
                    happened_on = excluded.happened_on, recorded_at = excluded.recorded_at
                """,
                (run_id, outcome, note, happened_on, now),
            )
            conn.execute(
                "INSERT INTO outcome_history (run_id, outcome, note, happened_on, recorded_at, given_for) VALUES (?, ?, ?, ?, ?, ?)",
                (run_id, outcome, note, happened_on, now, given_for),
            )
        return before, closed

    def outcome_of(self, run_id: str) -> OutcomeRecord | None:
        with self._read() as conn:
            return _current(conn, run_id)

    def outcome_history(self, run_id: str) -> list[OutcomeRecord]:
        """Every outcome recorded for the run, oldest first (the last is the current one)."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT run_id, outcome, note, happened_on, recorded_at, given_for FROM outcome_history WHERE run_id = ? ORDER BY seq",
                (run_id,),
            ).fetchall()
        return [OutcomeRecord(*row) for row in rows]

    def outcomes_due(self, until: str | None, *, closed: bool = False) -> list[OutcomeDue]:
        """Finished runs, not replaced, with no outcome yet, whose outcome is due on or before ``until``
        (any day when None). ``closed``: also those with an outcome or replaced since (a calendar
        file marks them done or cancelled, so an entry it wrote before is updated)."""
        due = "r.outcome_due IS NOT NULL" if until is None else "r.outcome_due <= :until"
        if closed:
            columns = (
                ", (SELECT o.recorded_at FROM outcomes AS o WHERE o.run_id = r.id)"
                ", (SELECT min(later.created_at) FROM runs AS later WHERE later.replaces = r.id)"
            )
            still_open = ""
        else:  # the to-do list's path, kept to the indexes it needs
            columns = ", NULL, NULL"
            still_open = (
                " AND NOT EXISTS (SELECT 1 FROM outcomes AS o WHERE o.run_id = r.id)"
                " AND NOT EXISTS (SELECT 1 FROM runs AS later WHERE later.replaces = r.id)"
            )
        sql = (
            f"SELECT r.id, r.deal, r.playbook_id, r.outcome_due{columns} FROM runs AS r"
            f" WHERE {due} AND r.status = 'done'{still_open} ORDER BY r.outcome_due, r.seq"
        )
        with self._read() as conn:
            rows = conn.execute(sql, {"until": until}).fetchall()
        return [OutcomeDue(*row) for row in rows]

    def judged_rows(self, playbook: str) -> list[dict[str, Any]]:
        """The runs of ``playbook`` of every deal with an outcome on one of them, oldest first: all that
        a figure's outcomes and successes can count (a plan's and a ranking's record lines), and few."""
        where = (
            " WHERE r.playbook_id = ?1 AND r.deal_key IN "
            "(SELECT d.deal_key FROM outcomes AS o JOIN runs AS d ON d.id = o.run_id WHERE d.playbook_id = ?1)"
        )
        with self._read() as conn:
            return [run_row(row) for row in conn.execute(_RUN_ROWS + where + " ORDER BY r.seq", (playbook,)).fetchall()]

    def run_rows(self, playbook: str | None = None) -> Iterator[dict[str, Any]]:
        """Every run (of ``playbook``, or all), oldest first, as ``run_row`` reads it."""
        where, params = (" WHERE r.playbook_id = ?", [playbook]) if playbook else ("", [])
        with self._read() as conn:
            cursor = conn.execute(_RUN_ROWS + where + " ORDER BY r.seq", params)
            while batch := cursor.fetchmany(_BATCH):
                yield from (run_row(row) for row in batch)


def _current(conn: sqlite3.Connection, run_id: str) -> OutcomeRecord | None:
    row = conn.execute(
        "SELECT run_id, outcome, note, happened_on, recorded_at FROM outcomes WHERE run_id = ?", (run_id,)
    ).fetchone()
    return None if row is None else OutcomeRecord(*row)
