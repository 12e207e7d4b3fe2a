"""The journal: every playbook run kept in a local SQLite database.

Rules (DESIGN.md section 4, issue 3):

- the data folder is 0700 and the database, with its -wal and -shm files, 0600
  whatever the umask: it holds customer notes;
- WAL mode; every write is its own ``BEGIN IMMEDIATE`` transaction under a busy
  timeout, so two dealrescue processes at once both succeed, and a journal that
  stays locked gives a ``JournalError`` (exit 1) instead of a hang;
- a journal written by a newer dealrescue is refused and never modified; a
  damaged file is reported, never recreated over.

This package is the only place that imports sqlite3.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from dealrescue import paths
from dealrescue.core.records import record
from dealrescue.errors import DealRescueError, JournalError, UsageError
from dealrescue.journal import items, migrations

DEFAULT_TIMEOUT = 5.0
"""Seconds a write waits for another dealrescue to finish before giving up."""

STATUSES = ("in_progress", "interrupted", "done")
UNFINISHED = ("in_progress", "interrupted")

# Ids a person can type: no 0/o, 1/l/i to confuse.
ID_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
ID_LENGTH = 6
_ID_INPUT = re.compile(r"^[0-9a-z]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SQLITE_MAGIC = b"SQLite format 3\x00"


@record
class RunRecord:
    id: str
    deal: str
    playbook_id: str
    playbook_version: int
    playbook_source: str
    plan_date: str
    status: str
    answers: dict[str, Any]
    options: dict[str, Any]
    verdict_id: str | None
    verdict_title: str | None
    plan_markdown: str | None
    plan_json: str | None
    created_at: str
    updated_at: str


@record
class FollowupRecord:
    id: str
    run_id: str
    deal: str
    playbook_id: str
    text: str
    due: str
    done_at: str | None


def _now() -> str:
    """ISO 8601 UTC with microseconds, e.g. ``2024-05-01T12:34:56.123456Z``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _check_date(value: str | date, what: str) -> str:
    if isinstance(value, datetime):
        raise TypeError(f"{what} must be a date (YYYY-MM-DD), not a datetime")
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str) or not _DATE.match(value):
        raise ValueError(f"{what} must be a date as YYYY-MM-DD, got {value!r}")
    date.fromisoformat(value)  # raises ValueError for 2024-02-30
    return value


def _dumps(value: Any, what: str) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be JSON data (str, number, bool, list, dict): {exc}") from exc


def _new_id() -> str:
    import secrets  # here: only writes make ids, and it costs a listing about 7 ms to import

    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def _chmod_private(path: Path) -> None:
    """Make ``path`` 0600 if it exists and is ours to change (best effort on a file we did not create)."""
    try:
        os.chmod(path, 0o600)
    except OSError:
        pass


class Journal:
    """An open journal. Use ``Journal.open()``; close it, or use it as a context manager."""

    def __init__(self, conn: sqlite3.Connection, path: Path, timeout: float) -> None:
        self._conn = conn
        self.path = path
        self.timeout = timeout

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, path: Path | None = None, *, timeout: float = DEFAULT_TIMEOUT) -> Journal:
        """Open (creating if needed) the journal at ``path`` (default ``paths.journal_path()``).

        Raises ``JournalError`` for a journal that is damaged, not a dealrescue
        journal, written by a newer dealrescue, busy for longer than
        ``timeout`` seconds, or that cannot be created. None of these cases
        changes the file.
        """
        path = Path(path) if path is not None else paths.journal_path()
        try:
            paths.ensure_private_dir(path.parent)
        except OSError as exc:
            raise JournalError(
                f"cannot create the data folder {path.parent}: {exc.strerror or exc}",
                hint=f"check the folder, or set {paths.HOME_ENV} to another folder",
            ) from exc
        existed = path.exists()
        if existed:
            # A read-only look first: a newer or foreign journal is refused without
            # even a checkpoint being written to it.
            cls._probe(path, timeout)
            _chmod_private(path)
        else:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
                os.close(fd)
                os.chmod(path, 0o600)
            except OSError as exc:
                raise JournalError(
                    f"cannot create the journal {path}: {exc.strerror or exc}",
                    hint=f"check the folder, or set {paths.HOME_ENV} to another folder",
                ) from exc
        try:
            conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise _translate(exc, path, timeout) from exc
        journal = cls(conn, path, timeout)
        try:
            journal._setup()
        except BaseException:
            conn.close()
            raise
        return journal

    @classmethod
    def _probe(cls, path: Path, timeout: float) -> None:
        """Read the version of an existing journal through a read-only connection."""
        try:
            with open(path, "rb") as handle:
                head = handle.read(100)
        except OSError as exc:
            raise JournalError(
                f"cannot read the journal {path}: {exc.strerror or exc}",
                hint="check its permissions",
            ) from exc
        if not head:
            return  # an empty file is a new database to SQLite
        if not head.startswith(_SQLITE_MAGIC) or len(head) < 100:
            raise _damaged(path, "not an SQLite database")
        uri = path.absolute().as_uri() + "?mode=ro"
        try:
            probe = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise _translate(exc, path, timeout) from exc
        try:
            _check_identity(probe, path)
        except sqlite3.Error as exc:
            raise _translate(exc, path, timeout) from exc
        finally:
            probe.close()

    def _setup(self) -> None:
        conn = self._conn
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = FULL")  # an answer given is an answer kept
            _check_identity(conn, self.path)
            version = self._switch_to_wal_and_migrate()
        except sqlite3.Error as exc:
            raise _translate(exc, self.path, self.timeout) from exc
        if version > len(migrations.MIGRATIONS):
            raise _newer(self.path, version)
        for suffix in ("-wal", "-shm"):
            _chmod_private(self.path.with_name(self.path.name + suffix))

    def _switch_to_wal_and_migrate(self) -> int:
        """Two processes creating the journal at once can get SQLITE_BUSY straight away
        (SQLite skips the busy handler where waiting could deadlock): retry until the timeout."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                self._conn.execute("PRAGMA journal_mode = WAL")
                return migrations.apply_migrations(self._conn)
            except sqlite3.OperationalError as exc:
                busy = "locked" in str(exc) or "busy" in str(exc)
                if not busy or time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)

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
        """One ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back otherwise."""
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _translate(exc, self.path, self.timeout) from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            if isinstance(exc, sqlite3.Error):
                raise _translate(exc, self.path, self.timeout) from exc
            raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        try:
            yield self._conn
        except sqlite3.Error as exc:
            raise _translate(exc, self.path, self.timeout) from exc

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
        plan_date = _check_date(plan_date, "plan_date")
        options_json = _dumps(options, "options")
        now = _now()
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
            raise UsageError(f"no run with id {run_id!r} in the journal", hint="see `dealrescue deals list`")
        if row[0] == "done":
            raise UsageError(f"run {run_id} is already done", hint=f"see `dealrescue deals show {run_id}`")

    def save_answer(self, run_id: str, question_id: str, value: Any) -> None:
        """Store one answer (replacing an earlier answer to the same question) in its own transaction.

        An answer keeps the place it was first given in. ``None`` is an optional
        question deliberately left empty: it is saved, so resume does not ask it again.
        """
        value_json = _dumps(value, f"the answer to {question_id!r}")
        now = _now()
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

    def set_status(self, run_id: str, status: str) -> None:
        """Mark an unfinished run ``interrupted`` or ``in_progress`` (use ``finish_run`` for done)."""
        if status not in UNFINISHED:
            raise ValueError(f"status must be one of {', '.join(UNFINISHED)}, got {status!r}")
        with self._write() as conn:
            self._require_unfinished(conn, run_id)
            conn.execute("UPDATE runs SET status = ?, updated_at = ? WHERE id = ?", (status, _now(), run_id))

    def finish_run(
        self,
        run_id: str,
        verdict_id: str,
        verdict_title: str,
        plan_markdown: str,
        plan_json: str,
        followups: Sequence[tuple[str, str]] = (),
        steps: Sequence[tuple[str, str, str]] = (),
    ) -> list[str]:
        """Store the verdict, plan, follow-ups and steps (text, due, owner) and mark the run done, all at once.

        Returns the ids given to the follow-ups, in the order given.
        """
        try:
            json.loads(plan_json)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"plan_json is not valid JSON: {exc}") from exc
        checked = [(str(text), _check_date(due, "follow-up due date")) for text, due in followups]
        dated_steps = [(str(text), _check_date(due, "step due date"), str(owner)) for text, due, owner in steps]
        now = _now()
        ids: list[str] = []
        with self._write() as conn:
            self._require_unfinished(conn, run_id)
            conn.execute(
                """
                UPDATE runs SET status = 'done', verdict_id = ?, verdict_title = ?, updated_at = ?
                WHERE id = ?
                """,
                (verdict_id, verdict_title, now, run_id),
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

    def mark_followup_done(self, followup_id: str) -> FollowupRecord:
        """Mark a follow-up (id or unique prefix) done; marking it again keeps the first date."""
        with self._write() as conn:
            found = self._find(conn, "followups", followup_id, "follow-up", "dealrescue followups --all")
            conn.execute(
                "UPDATE followups SET done_at = ? WHERE id = ? AND done_at IS NULL",
                (_now(), found),
            )
            row = conn.execute(_FOLLOWUP_SELECT + " WHERE f.id = ?", (found,)).fetchone()
        return _followup(row)

    # ------------------------------------------------------------------- reads

    def _find(self, conn: sqlite3.Connection, table: str, given: str, what: str, listing: str) -> str:
        """The full id in ``table`` that ``given`` (an id or a unique prefix) names."""
        key = given.strip().lower()
        hint = f"see `{listing}` for ids"
        if not key or not _ID_INPUT.match(key):
            raise UsageError(f"{given!r} is not a {what} id", hint=hint)
        rows = conn.execute(
            f"SELECT id FROM {table} WHERE id GLOB ? ORDER BY id LIMIT 6",  # table is ours, never user text
            (key + "*",),
        ).fetchall()
        if not rows:
            raise UsageError(f"no {what} with id {given!r} in the journal", hint=hint)
        exact = [r[0] for r in rows if r[0] == key]
        if exact:
            return str(exact[0])
        if len(rows) > 1:
            shown = ", ".join(r[0] for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
            raise UsageError(f"{given!r} matches several {what}s ({shown})", hint="type more of the id")
        return str(rows[0][0])

    def get_run(self, id_or_prefix: str) -> RunRecord:
        """The run with this id, or the only run whose id starts with it."""
        with self._read() as conn:
            run_id = self._find(conn, "runs", id_or_prefix, "run", "dealrescue deals list")
            return self._load_run(conn, run_id)

    def _load_run(self, conn: sqlite3.Connection, run_id: str) -> RunRecord:
        row = conn.execute(_RUN_SELECT + " WHERE id = ?", (run_id,)).fetchone()
        answers = {
            str(q): json.loads(v)
            for q, v in conn.execute("SELECT question_id, value FROM answers WHERE run_id = ? ORDER BY seq", (run_id,))
        }
        return _run(row, answers)

    def latest_unfinished(self) -> RunRecord | None:
        """The unfinished (in progress or interrupted) run touched last, if any."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT id FROM runs WHERE status IN ('in_progress', 'interrupted') "
                "ORDER BY updated_at DESC, seq DESC LIMIT 1"
            ).fetchone()
            return None if row is None else self._load_run(conn, row[0])

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
            f"SELECT {_columns(columns, FOLLOWUP_COLUMNS)} FROM followups AS f JOIN runs AS r ON r.id = f.run_id"
            f"{where} ORDER BY f.due, f.seq"
        )
        return self._batches(sql, {"today": today} if "state" in columns else [])

    def _batches(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> Iterator[list[tuple[Any, ...]]]:
        with self._read() as conn:
            cursor = conn.execute(sql, params)
            while batch := cursor.fetchmany(_BATCH):
                yield batch

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
            found = self._find(conn, "followups", id_or_prefix, "follow-up", "dealrescue followups --all")
            return _followup(conn.execute(_FOLLOWUP_SELECT + " WHERE f.id = ?", (found,)).fetchone())

    # ---------------------------------------------- to-do items: plan steps and follow-ups

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
            found = self._find_item(conn, id_or_prefix)
            item = items.get_item(conn, found)
        assert item is not None
        return item

    def mark_item_done(self, id_or_prefix: str) -> items.TodoItem:
        """Tick a step or follow-up off; ticking it again keeps the first date."""
        with self._write() as conn:
            found = self._find_item(conn, id_or_prefix)
            items.mark_done(conn, found, _now())
            item = items.get_item(conn, found)
        assert item is not None
        return item

    def _find_item(self, conn: sqlite3.Connection, given: str) -> str:
        key = given.strip().lower()
        hint = "see `dealrescue todo` for ids"
        found = items.find_item_id(conn, key) if key and _ID_INPUT.match(key) else []
        if not found:
            raise UsageError(f"no step or follow-up with id {given!r} in the journal", hint=hint)
        if key in found:
            return key
        if len(found) > 1:
            raise UsageError(f"{given!r} matches several items ({', '.join(found[:5])})", hint="type more of the id")
        return found[0]

    # -- changing answers and re-running (kept together: one place to extend) ----------------

    def forget_answer(self, run_id: str, question_id: str) -> None:
        """Drop an answer whose question no longer applies (an earlier answer was changed)."""
        with self._write() as conn:
            self._require_unfinished(conn, run_id)
            conn.execute("DELETE FROM answers WHERE run_id = ? AND question_id = ?", (run_id, question_id))
            conn.execute("UPDATE runs SET updated_at = ? WHERE id = ?", (_now(), run_id))

    def supersede(self, old_run_id: str, new_run_id: str) -> int:
        """Record that ``new_run_id`` replaces ``old_run_id`` and close the old run's open steps and follow-ups.

        Returns how many items were closed (they show as superseded, not done).
        """
        with self._write() as conn:
            conn.execute("UPDATE runs SET replaces = ? WHERE id = ?", (old_run_id, new_run_id))
            return items.supersede(conn, old_run_id, _now())

    def relations(self, run_id: str) -> tuple[str | None, list[str]]:
        """The run this one replaces (or None), and the runs that replace it, oldest first."""
        with self._read() as conn:
            row = conn.execute("SELECT replaces FROM runs WHERE id = ?", (run_id,)).fetchone()
            later = conn.execute("SELECT id FROM runs WHERE replaces = ? ORDER BY seq", (run_id,)).fetchall()
        return (row[0] if row else None), [r[0] for r in later]


_RUN_SELECT = (
    "SELECT id, deal, playbook_id, playbook_version, playbook_source, plan_date, status, options, "
    "verdict_id, verdict_title, p.markdown, p.json, created_at, updated_at "
    "FROM runs LEFT JOIN plans AS p ON p.run_id = runs.id"
)
_FOLLOWUP_SELECT = (
    "SELECT f.id, f.run_id, r.deal, r.playbook_id, f.text, f.due, f.done_at "
    "FROM followups AS f JOIN runs AS r ON r.id = f.run_id"
)


# What a listing may ask for, by name: the SQL behind each (names never reach the SQL text).
RUN_COLUMNS = {
    name: name
    for name in (
        "id", "deal", "playbook_id", "playbook_version", "plan_date", "status",
        "verdict_id", "verdict_title", "created_at", "updated_at",
    )
}
FOLLOWUP_COLUMNS = {
    "id": "f.id", "run_id": "f.run_id", "deal": "r.deal", "playbook_id": "r.playbook_id",
    "text": "f.text", "due": "f.due", "done_at": "f.done_at",
    # The state a listing shows; the one statement of what overdue means.
    "state": "CASE WHEN f.done_at IS NOT NULL THEN 'done' WHEN f.due < :today THEN 'overdue' "
    "WHEN f.due = :today THEN 'today' ELSE 'upcoming' END",
}
_NULLABLE = {"verdict_id", "verdict_title", "done_at"}  # only these pay for coalesce()
_BATCH = 4096


def _columns(names: Sequence[str], known: dict[str, str], placeholder: bool = False) -> str:
    """The SELECT list for ``names``; with ``placeholder``, a column that may be NULL reads as the next ``?``."""
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise ValueError(f"unknown listing columns {unknown}; known: {', '.join(known)}")
    if placeholder:
        return ", ".join(f"coalesce({known[n]}, ?)" if n in _NULLABLE else known[n] for n in names)
    return ", ".join(known[n] for n in names)


def _run(row: Sequence[Any], answers: dict[str, Any]) -> RunRecord:
    (rid, deal, pb, pbv, src, plan_date, status, options, vid, vtitle, md, pj, created, updated) = row
    return RunRecord(
        id=rid,
        deal=deal,
        playbook_id=pb,
        playbook_version=int(pbv),
        playbook_source=src,
        plan_date=plan_date,
        status=status,
        answers=answers,
        options=json.loads(options),
        verdict_id=vid,
        verdict_title=vtitle,
        plan_markdown=md,
        plan_json=pj,
        created_at=created,
        updated_at=updated,
    )


def _followup(row: Sequence[Any]) -> FollowupRecord:
    return FollowupRecord(*row)


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
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
        clauses.append("status = ?")
        params.append(status)
    if since is not None:
        clauses.append("plan_date >= ?")
        params.append(_check_date(since, "since"))
    if until is not None:
        clauses.append("plan_date <= ?")
        params.append(_check_date(until, "until"))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _limit(limit: int | None, params: list[Any]) -> str:
    if limit is None:
        return ""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    params.append(int(limit))
    return " LIMIT ?"


def _check_identity(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a journal from a newer dealrescue, or a database that is not a journal at all."""
    # One read transaction: read apart, another process's first migration could commit
    # between the version (still 0) and the table count (no longer 0), which looks foreign.
    conn.execute("BEGIN")
    try:
        version = migrations.read_version(conn)
        app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
        tables = int(conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0])
    finally:
        conn.execute("COMMIT")
    if version > len(migrations.MIGRATIONS):
        raise _newer(path, version)
    if app_id not in (0, migrations.APPLICATION_ID):
        raise _foreign(path)
    if version == 0 and tables:
        raise _foreign(path)


def _newer(path: Path, version: int) -> JournalError:
    return JournalError(
        f"the journal {path} was written by a newer dealrescue (journal version {version}; "
        f"this dealrescue reads up to {len(migrations.MIGRATIONS)}); it was left unchanged",
        hint=f"upgrade dealrescue, or set {paths.HOME_ENV} to another folder to use a separate journal",
    )


def _foreign(path: Path) -> JournalError:
    return JournalError(
        f"{path} is an SQLite database but not a dealrescue journal; it was left unchanged",
        hint=f"set {paths.HOME_ENV} to another folder",
    )


def _damaged(path: Path, detail: str) -> JournalError:
    return JournalError(
        f"the journal {path} is damaged ({detail}); it was left unchanged",
        hint=f"move {path.name} and any {path.name}-wal, {path.name}-shm files out of {path.parent} "
        "to start a new journal (until then, runs work with --no-save)",
    )


def _translate(exc: sqlite3.Error, path: Path, timeout: float) -> DealRescueError:
    """Turn an sqlite3 error into the message a user sees."""
    text = str(exc)
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        return JournalError(
            f"the journal {path} is busy: another dealrescue has held it for more than {timeout:g} s",
            hint="finish or close the other dealrescue and try again",
        )
    if isinstance(exc, sqlite3.DatabaseError) and (
        "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered
    ):
        return _damaged(path, text)
    if "unable to open" in lowered or "readonly" in lowered or "read-only" in lowered:
        return JournalError(
            f"cannot open the journal {path} for writing: {text}",
            hint=f"check the permissions of {path.parent} and {path.name}",
        )
    return JournalError(f"the journal {path} could not be used: {text}")
