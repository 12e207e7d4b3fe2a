"""The journal's listings: runs and follow-ups streamed in batches of plain tuples.

``deals list`` and ``followups`` read only the columns they show and never hold more than one
batch, so a journal of 100,000 runs lists about as fast as ``--help`` starts.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import date
from typing import TYPE_CHECKING, Any

from dealrescue.core.status import SHOWN_STATUS_SQL, ShownStatus
from dealrescue.journal.values import check_date

if TYPE_CHECKING:
    import sqlite3


# What a listing may ask for, by name: the SQL behind each (names never reach the SQL text).
RUN_COLUMNS = {
    name: name
    for name in (
        "id", "deal", "playbook_id", "playbook_version", "playbook_source", "plan_date",
        "verdict_id", "verdict_title", "created_at", "updated_at",
    )
} | {"status": SHOWN_STATUS_SQL}
FOLLOWUP_COLUMNS = {
    "id": "f.id", "run_id": "f.run_id", "deal": "r.deal", "playbook_id": "r.playbook_id",
    "text": "f.text", "due": "f.due", "done_at": "f.done_at",
    # The state a listing shows; the one statement of what overdue means.
    "state": "CASE WHEN f.done_at IS NOT NULL THEN 'done' WHEN f.due < :today THEN 'overdue' "
    "WHEN f.due = :today THEN 'today' ELSE 'upcoming' END",
}
_NULLABLE = {"verdict_id", "verdict_title", "done_at"}  # only these pay for coalesce()
# Rows per batch: a batch of about 100 kB stays in the CPU's cache through the join, the check and
# the write (4,096 rows were about 6% slower on 95,000 follow-ups, 16,384 rows 17% slower).
_BATCH = 512
# By the run's integer key (migration m004): one B-tree search per row instead of two.
_FOLLOWUPS_FROM = " FROM followups AS f JOIN runs AS r ON r.seq = f.run_seq"


def _columns(names: Sequence[str], known: dict[str, str], placeholder: bool = False) -> str:
    """The SELECT list for ``names``; with ``placeholder``, a column that may be NULL reads as the next ``?``."""
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise ValueError(f"unknown listing columns {unknown}; known: {', '.join(known)}")
    if placeholder:
        return ", ".join(f"coalesce({known[n]}, ?)" if n in _NULLABLE else known[n] for n in names)
    return ", ".join(known[n] for n in names)


class Listings:
    """Streaming queries of ``Journal`` (a mixin: it needs the journal's ``_read``)."""

    if TYPE_CHECKING:

        def _read(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def stream_runs(
        self,
        columns: Sequence[str],
        *,
        deal: str | None = None,
        playbook: str | None = None,
        status: str | None = None,
        since: str | date | None = None,
        until: str | date | None = None,
        limit: int | None = None,
        empty: str | None = None,
    ) -> Iterator[list[tuple[Any, ...]]]:
        """Runs, newest first, in batches of plain tuples holding only ``columns`` (names in ``RUN_COLUMNS``).

        A listing reads what it shows and nothing else, and never holds more than one batch.
        With ``empty``, a NULL cell reads as that text (a listing's placeholder).
        ``deal`` matches a case-insensitive substring of the deal name; ``playbook`` an exact
        playbook id; ``since``/``until`` are inclusive bounds on the plan date.
        """
        where, params = _filters(deal, playbook, status, since, until)  # checked now, not on first read
        selected = _columns(columns, RUN_COLUMNS, empty is not None)
        params = [empty] * sum(n in _NULLABLE for n in columns) + params if empty is not None else params
        sql = f"SELECT {selected} FROM runs{where} ORDER BY seq DESC{_limit(limit, params)}"
        return self._batches(sql, params)

    def stream_followups(
        self, columns: Sequence[str], *, include_done: bool = False, today: str | None = None
    ) -> Iterator[list[tuple[Any, ...]]]:
        """Follow-ups across all runs by due date (then the order they were made in), as ``stream_runs``.

        Column names are those of ``FOLLOWUP_COLUMNS``. ``state`` needs ``today`` (YYYY-MM-DD): it is
        ``done``, ``overdue``, ``today`` or ``upcoming``, computed by SQLite as each row is read.
        """
        if "state" in columns and today is None:
            raise ValueError("the state column needs today's date")
        # A superseded follow-up belongs to a run of the deal made again since: not listed.
        where = " WHERE f.superseded_at IS NULL" + ("" if include_done else " AND f.done_at IS NULL")
        sql = (
            f"SELECT {_columns(columns, FOLLOWUP_COLUMNS)}{_FOLLOWUPS_FROM}{where} ORDER BY f.due, f.seq"
        )
        return self._batches(sql, {"today": today} if "state" in columns else [])

    def _batches(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> Iterator[list[tuple[Any, ...]]]:
        with self._read() as conn:
            cursor = conn.execute(sql, params)
            while batch := cursor.fetchmany(_BATCH):
                yield batch


def _filters(
    deal: str | None,
    playbook: str | None,
    status: str | None,
    since: str | date | None,
    until: str | date | None,
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if deal:
        clauses.append("instr(deal_key, ?) > 0")
        params.append(deal.casefold())
    if playbook:
        clauses.append("playbook_id = ?")
        params.append(playbook)
    if status:
        clauses.append(f"({SHOWN_STATUS_SQL}) = ?")
        params.append(ShownStatus(status).value)
    if since is not None:
        clauses.append("plan_date >= ?")
        params.append(check_date(since, "since"))
    if until is not None:
        clauses.append("plan_date <= ?")
        params.append(check_date(until, "until"))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _limit(limit: int | None, params: list[Any]) -> str:
    if limit is None:
        return ""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    params.append(int(limit))
    return " LIMIT ?"
