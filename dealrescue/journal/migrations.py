"""The journal's schema, as a list of small, named, forward-only migrations.

``PRAGMA user_version`` holds how many of ``MIGRATIONS`` a journal has had
applied. Opening a journal applies the missing ones in order, all in one
``BEGIN IMMEDIATE`` transaction together with the new ``user_version``, so a
crash or a second process never sees half a migration.

Rules for adding one (never edit or reorder a released migration):

- append a new function decorated with ``@migration``; its name says what it does;
- use ``conn.execute`` only, never ``executescript`` (which commits on its own
  and so would break the one-transaction guarantee);
- keep it forward-only: a journal is never downgraded. A journal whose
  ``user_version`` is above ``SCHEMA_VERSION`` was written by a newer
  dealrescue and is refused without being touched.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from dealrescue.core.status import sql_check

Migration = Callable[[sqlite3.Connection], None]

MIGRATIONS: list[Migration] = []

# Marks a file as a dealrescue journal (PRAGMA application_id); "DRJ1" in ASCII.
APPLICATION_ID = 0x44524A31


def migration(fn: Migration) -> Migration:
    """Register ``fn`` as the next migration."""
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_create_runs_answers_plans_followups(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(
        f"""
        CREATE TABLE runs (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            deal TEXT NOT NULL,
            deal_key TEXT NOT NULL,
            playbook_id TEXT NOT NULL,
            playbook_version INTEGER NOT NULL,
            playbook_source TEXT NOT NULL,
            plan_date TEXT NOT NULL,
            status TEXT NOT NULL CHECK ({sql_check('status')}),
            options TEXT NOT NULL DEFAULT '{{}}',
            verdict_id TEXT,
            verdict_title TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX runs_playbook ON runs (playbook_id, seq)")
    conn.execute("CREATE INDEX runs_status ON runs (status, updated_at)")
    conn.execute("CREATE INDEX runs_plan_date ON runs (plan_date)")
    # The rendered plans are big; kept apart so that listing runs reads only small rows.
    conn.execute(
        """
        CREATE TABLE plans (
            run_id TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
            markdown TEXT NOT NULL,
            json TEXT NOT NULL
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE answers (
            seq INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            question_id TEXT NOT NULL,
            value TEXT NOT NULL,
            answered_at TEXT NOT NULL,
            UNIQUE (run_id, question_id)
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE followups (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            text TEXT NOT NULL,
            due TEXT NOT NULL,
            done_at TEXT
        )
        """
    )
    conn.execute("CREATE INDEX followups_due ON followups (due, seq)")
    conn.execute("CREATE INDEX followups_run ON followups (run_id)")


@migration
def m002_plan_steps_as_todo_items(conn: sqlite3.Connection) -> None:
    """Every plan step becomes a to-do item with an id; items of a re-run deal can be superseded."""
    import json
    import secrets

    conn.execute(
        """
        CREATE TABLE steps (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            text TEXT NOT NULL,
            due TEXT NOT NULL,
            owner TEXT NOT NULL,
            done_at TEXT,
            superseded_at TEXT
        )
        """
    )
    conn.execute("CREATE INDEX steps_open_due ON steps (due, seq) WHERE done_at IS NULL AND superseded_at IS NULL")
    conn.execute("CREATE INDEX steps_run ON steps (run_id)")
    conn.execute("ALTER TABLE followups ADD COLUMN superseded_at TEXT")
    conn.execute("CREATE INDEX followups_open_due ON followups (due, seq) WHERE done_at IS NULL AND superseded_at IS NULL")
    # The steps of plans made before this version, from the plan documents they kept.
    alphabet = "23456789abcdefghjkmnpqrstuvwxyz"
    taken = {str(r[0]) for r in conn.execute("SELECT id FROM runs UNION ALL SELECT id FROM followups")}
    for run_id, document in conn.execute("SELECT run_id, json FROM plans ORDER BY rowid").fetchall():
        try:
            steps = json.loads(document).get("steps", [])
        except (ValueError, AttributeError):
            continue
        for step in steps if isinstance(steps, list) else []:
            if not isinstance(step, dict) or not isinstance(step.get("due"), str):
                continue
            item_id = ""
            while not item_id or item_id in taken:
                item_id = "".join(secrets.choice(alphabet) for _ in range(6))
            taken.add(item_id)
            conn.execute(
                "INSERT INTO steps (id, run_id, text, due, owner) VALUES (?, ?, ?, ?, ?)",
                (item_id, run_id, str(step.get("text", "")), step["due"], str(step.get("owner", "rep"))),
            )



@migration
def m003_rerun_replaces(conn: sqlite3.Connection) -> None:
    """``deals rerun``: a run may replace an earlier one, whose open steps and follow-ups it supersedes."""
    conn.execute("ALTER TABLE runs ADD COLUMN replaces TEXT")
    conn.execute("CREATE INDEX runs_replaces ON runs (replaces) WHERE replaces IS NOT NULL")


@migration
def m004_followups_keep_their_runs_seq(conn: sqlite3.Connection) -> None:
    """A follow-up keeps its run's ``seq`` (the table's integer key) beside its ``run_id``.

    Listing follow-ups joins each to its run for the deal name; by text id that is two B-tree
    searches per row, by ``seq`` one (95,000 open follow-ups: the query takes about 100 ms less).
    A trigger fills it for every follow-up written, whichever code writes it.
    """
    conn.execute("ALTER TABLE followups ADD COLUMN run_seq INTEGER")
    conn.execute("UPDATE followups SET run_seq = (SELECT seq FROM runs WHERE runs.id = followups.run_id)")
    conn.execute(
        """
        CREATE TRIGGER followups_run_seq AFTER INSERT ON followups
        BEGIN
            UPDATE followups SET run_seq = (SELECT seq FROM runs WHERE runs.id = NEW.run_id) WHERE seq = NEW.seq;
        END
        """
    )



@migration
def m005_outcomes_and_scoring(conn: sqlite3.Connection) -> None:
    """What happened to a deal after its plan (``dealrescue outcome``), every change kept, and what
    scored each new run.

    ``outcomes`` holds a run's current outcome; ``outcome_history`` every one ever recorded (a
    change appends, nothing is overwritten there). A run made from now on also keeps ``scoring``
    (JSON: the fingerprint of the playbook's points, rules and bands, its score totals and bands),
    so a later fit of weights knows which weights gave each verdict, and ``outcome_due``: the day
    the to-do list starts asking for its outcome. Runs recorded before stay exactly as they are
    (both columns NULL: they are never asked for an outcome, but one may still be recorded).
    """
    conn.execute("ALTER TABLE runs ADD COLUMN scoring TEXT")
    conn.execute("ALTER TABLE runs ADD COLUMN outcome_due TEXT")
    conn.execute(
        """
        CREATE TABLE outcomes (
            run_id TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
            outcome TEXT NOT NULL,
            note TEXT,
            happened_on TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE outcome_history (
            seq INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            outcome TEXT NOT NULL,
            note TEXT,
            happened_on TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            given_for TEXT
        )
        """
    )
    conn.execute("CREATE INDEX outcome_history_run ON outcome_history (run_id, seq)")
    conn.execute("CREATE INDEX runs_outcome_due ON runs (outcome_due) WHERE outcome_due IS NOT NULL")


SCHEMA_VERSION = len(MIGRATIONS)


def read_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def apply_migrations(conn: sqlite3.Connection, migrations: list[Migration] | None = None) -> int:
    """Bring the journal on ``conn`` up to date; return the version it ends at.

    ``conn`` must be in autocommit mode (``isolation_level=None``). Everything
    happens in one ``BEGIN IMMEDIATE`` transaction: either every missing
    migration and the new ``user_version`` are committed, or nothing is.
    Returns the version found without changing anything when that version is
    newer than ours; the caller refuses such a journal.
    """
    todo = MIGRATIONS if migrations is None else migrations
    if read_version(conn) == len(todo):
        return len(todo)
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Read again under the write lock: another process may have migrated meanwhile.
        version = read_version(conn)
        if version >= len(todo):
            conn.execute("ROLLBACK")
            return version
        for number, fn in enumerate(todo[version:], start=version + 1):
            fn(conn)
            conn.execute(f"PRAGMA user_version = {int(number)}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return len(todo)
