"""The tab-separated listings: the quick path (a whole chunk checked at once) against the rule
(every cell through ``tsv_cell``), and follow-ups joined to their runs by the run's key (m004)."""

from __future__ import annotations

import io
import random
import sqlite3
import sys
from collections.abc import Sequence

import pytest
import typer
from typer.testing import CliRunner

from dealrescue import paths
from dealrescue.cli.deals import deals_app
from dealrescue.cli.followups import followups_app
from dealrescue.journal import Journal, migrations
from dealrescue.ui.listing_output import tsv_cell, write_tsv
from tests.conftest_journal import home

__all__ = ["home"]  # the autouse fixture that sets DEALRESCUE_HOME for every test here

app = typer.Typer()
app.add_typer(deals_app, name="deals")
app.add_typer(followups_app, name="followups")
runner = CliRunner()

# Every kind of cell the quick path must hand to the cell-by-cell cleaning, and some it may keep.
HOSTILE = [
    "Evil \x1b[31mRED\x1b[0m", "gpj.\u202eexe", "Tab\there", "Line\nbreak", "CR\r\nLF", "Sep\u2028ara\u2029tor",
    "C1 \x85 \x9b", "Bell\x07", "Del\x7f", "nul\x00byte", "", None, 42, "\u200fRLM", "iso\u2066late\u2069",
    "trailing\t", "\tleading", "-", "  spaced  ", "Zoë", "日本語", "ma\u0301ny",
]


def rule(rows: Sequence[Sequence[object]]) -> str:
    """What a listing must print: every cell through the one cell rule."""
    return "".join("\t".join(tsv_cell(c) for c in row) + "\n" for row in rows)


def written(batches: list[list[tuple[object, ...]]], monkeypatch: pytest.MonkeyPatch) -> tuple[str, int]:
    """What ``write_tsv`` puts on a UTF-8 stdout (text and bytes both), and the row count it returns."""
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="utf-8", newline="")
    monkeypatch.setattr(sys, "stdout", stdout)
    count = write_tsv(batches)
    stdout.flush()
    return raw.getvalue().decode("utf-8"), count


@pytest.mark.parametrize("position", [0, 1, 500, 998, 999])
@pytest.mark.parametrize("cell", HOSTILE)
def test_one_hostile_cell_anywhere_in_a_chunk_is_cleaned_as_the_rule_says(
    cell: object, position: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [(f"id{i:04d}", "2026-11-22", f"Account {i}", "triage") for i in range(1000)]
    for column in range(4):
        hostile = [*rows]
        hostile[position] = tuple(cell if c == column else v for c, v in enumerate(rows[position]))
        out, count = written([hostile[:600], hostile[600:]], monkeypatch)
        assert count == 1000
        assert out == rule(hostile)


def test_plain_chunks_pass_through_unchanged_ascii_or_not(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [(f"id{i}", "Straße AG" if i % 3 else "Acme", "done") for i in range(300)]
    out, count = written([rows[:100], rows[100:]], monkeypatch)
    assert count == 300
    assert out == "".join(f"{a}\t{b}\t{c}\n" for a, b, c in rows)


def test_random_chunks_match_the_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(11)
    for width in (1, 2, 5):
        batches = [
            [tuple(rng.choice(HOSTILE) if rng.random() < 0.02 else f"c{rng.randint(0, 99)}" for _ in range(width)) for _ in range(50)]
            for _ in range(40)
        ]
        out, count = written(batches, monkeypatch)
        assert count == 2000
        assert out == rule([row for batch in batches for row in batch])


# ----------------------------------------------------------------------------- through the CLI


def test_both_listings_print_every_hostile_row_as_the_rule_says() -> None:
    """Hostile deal names and follow-up texts in several batches; the CLI prints what the cell rule makes of them."""
    from dealrescue.journal import listing

    names = [c for c in HOSTILE if isinstance(c, str)]
    total = listing._BATCH + 40
    with Journal.open() as j:
        j._conn.execute("PRAGMA synchronous = OFF")  # only to build the test data quickly
        for i in range(total):
            hostile = i % 601 == 5 or i == total - 3
            run = j.start_run(names[i % len(names)] if hostile else f"Deal {i:05d}", "triage", 1, "bundled", "2026-11-01", {})
            if i % 2:
                text = names[(i * 7) % len(names)] if hostile else f"Call {i}"
                j.finish_run(run, "walk" if i % 4 == 1 else "", "Walk", "# plan\n", "{}", [(text, f"2026-11-{1 + i % 28:02d}")])
        runs = [r for batch in j.stream_runs(("id", "plan_date", "deal", "playbook_id", "status", "verdict_id")) for r in batch]
        followups = [
            r
            for batch in j.stream_followups(("id", "due", "state", "deal", "playbook_id", "text"), today="2026-11-15")
            for r in batch
        ]
    listed = runner.invoke(app, ["deals", "list"])
    assert listed.exit_code == 0, listed.stderr
    assert listed.stdout == rule(runs) and len(runs) == total
    due = runner.invoke(app, ["followups", "--date", "2026-11-15"])
    assert due.exit_code == 0, due.stderr
    assert due.stdout == rule(followups) and len(followups) == total // 2
    overdue = sum(r[2] == "overdue" for r in followups)
    assert overdue and f"{overdue} overdue." in due.stderr


def test_follow_ups_written_before_and_after_m004_are_listed_with_their_deal() -> None:
    """m004 fills each follow-up's run key, and a trigger fills it for follow-ups written since."""
    path = paths.journal_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), isolation_level=None)
    migrations.apply_migrations(conn, migrations.MIGRATIONS[:3])
    run = (
        "INSERT INTO runs (id, deal, deal_key, playbook_id, playbook_version, playbook_source, plan_date, status, "
        "created_at, updated_at) VALUES (?, ?, ?, 'triage', 1, 'x', '2026-11-20', 'done', 'now', 'now')"
    )
    conn.execute(run, ("runold", "Old Deal", "old deal"))
    conn.execute(run, ("runnew", "New Deal", "new deal"))
    conn.execute("INSERT INTO followups (id, run_id, text, due) VALUES ('folold', 'runold', 'Before', '2026-11-25')")
    conn.close()
    with Journal.open() as journal:
        journal._conn.execute("INSERT INTO followups (id, run_id, text, due) VALUES ('folnew', 'runnew', 'After', '2026-11-24')")
        keys = dict(journal._conn.execute("SELECT f.id, f.run_seq = r.seq FROM followups f JOIN runs r ON r.id = f.run_id").fetchall())
    assert keys == {"folold": 1, "folnew": 1}
    listed = runner.invoke(app, ["followups", "--date", "2026-11-22"])
    assert listed.exit_code == 0, listed.stderr
    assert listed.stdout == "folnew\t2026-11-24\tupcoming\tNew Deal\ttriage\tAfter\nfolold\t2026-11-25\tupcoming\tOld Deal\ttriage\tBefore\n"


def test_a_listing_reads_a_journal_made_by_the_previous_version() -> None:
    """Opening a journal at version 3 upgrades it in place; nothing listed before goes missing."""
    with Journal.open() as j:
        run = j.start_run("Acme", "triage", 1, "bundled", "2026-11-20", {})
        j.finish_run(run, "walk", "Walk", "# plan\n", "{}", [("Call", "2026-11-21"), ("Mail", "2026-11-23")])
    conn = sqlite3.connect(str(paths.journal_path()), isolation_level=None)
    # Undo m005 (outcomes) and m004, which a journal at version 3 never had.
    for statement in ("DROP TABLE outcome_history", "DROP TABLE outcomes", "DROP INDEX runs_outcome_due",
                      "ALTER TABLE runs DROP COLUMN outcome_due", "ALTER TABLE runs DROP COLUMN scoring"):
        conn.execute(statement)
    conn.execute("DROP TRIGGER followups_run_seq")
    conn.execute("ALTER TABLE followups DROP COLUMN run_seq")
    conn.execute("PRAGMA user_version = 3")
    conn.close()
    listed = runner.invoke(app, ["followups", "--date", "2026-11-22"])
    assert listed.exit_code == 0, listed.stderr
    assert [line.split("\t")[2:5] for line in listed.stdout.splitlines()] == [
        ["overdue", "Acme", "triage"], ["upcoming", "Acme", "triage"],
    ]
