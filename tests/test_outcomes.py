"""Outcomes: the playbook format (outcomes:, success:), `dealrescue outcome`, `deals show`, the
to-do item that asks for it, and the migration that adds them to a journal made before."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dealrescue import paths
from dealrescue.catalog import finder
from dealrescue.core.schema import json_schema
from dealrescue.journal import Journal, migrations
from tests.conftest import BUNDLED

DEALRESCUE = str(Path(sys.executable).with_name("dealrescue"))
DATA = Path(__file__).parent / "data"
FIGHT = ["--set", "competitor=Globex", "--set", "signed=not_signed", "--set", "reason=price", "--set", "price_gap=bridgeable", "--set", "pressure=6"]
SIGNED = ["--set", "competitor=Globex", "--set", "signed=signed", "--set", "reason=better_fit"]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a user runs it."""
    return subprocess.run([DEALRESCUE, *args], capture_output=True, text=True, timeout=60, env=os.environ.copy())


def triage(deal: str, date: str, answers: list[str] = FIGHT, *extra: str) -> str:
    done = cli("triage", deal, "--no-input", "--date", date, *answers, *extra)
    assert done.returncode == 0, done.stderr
    found = re.search(r"Saved as run (\w+)", done.stderr)
    assert found, done.stderr
    return found.group(1)


# -- the playbook format


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_bundled_playbook_declares_outcomes_and_what_success_means(path: Path) -> None:
    playbook = finder.load_file(path, use_cache=False).playbook
    ids = [o.id for o in playbook.outcomes]
    assert len(ids) >= 3 and len(set(ids)) == len(ids)
    for verdict in playbook.verdicts:
        assert verdict.success, f"{playbook.id}: verdict {verdict.id} names no success"
        assert set(verdict.success) <= set(ids)
    # Some outcome is a failure for every verdict: a record that cannot fail would say nothing.
    assert any(all(o not in v.success for v in playbook.verdicts) for o in ids)


def test_triage_counts_won_back_as_success_for_fighting_and_changing_approach() -> None:
    playbook = finder.load("triage")[0].playbook
    success = {v.id: v.success for v in playbook.verdicts}
    assert "won_back" in success["fight_on_value"] and "won_back" in success["change_approach"]
    assert "lost" in [o.id for o in playbook.outcomes]
    walkaway = finder.load("walkaway")[0].playbook
    assert {"walked_away_cleanly", "invited_back"} <= {o.id for o in walkaway.outcomes}


def test_validate_names_the_success_entry_and_the_valid_ids(tmp_path: Path) -> None:
    text = (paths.bundled_playbooks_dir() / "triage.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "triage.yaml"
    bad.write_text(text.replace("success: [won_back]", "success: [won_bak]", 1), encoding="utf-8")
    done = cli("playbooks", "validate", str(bad))
    assert done.returncode == 3
    line = done.stderr.splitlines()[0]
    assert re.search(r"triage\.yaml:\d+: verdicts\[2\]\.success\[0\]: 'won_bak' is not one of this playbook's outcomes", line)
    assert "won_back, lost, parted_well, invited_back, no_decision" in line and "did you mean 'won_back'?" in line


def test_success_without_outcomes_and_a_repeated_outcome_are_errors(write_playbook: Callable[..., Path], mini: Path) -> None:
    text = mini.read_text(encoding="utf-8").replace("  - id: walk\n", "  - id: walk\n    success: [won]\n")
    done = cli("playbooks", "validate", str(write_playbook(text, "no-outcomes.yaml")))
    assert done.returncode == 3 and "this playbook declares none (add them under outcomes:)" in done.stderr
    text += "outcomes:\n  - {id: won, label: Won}\n  - {id: won, label: Won again}\n"
    done = cli("playbooks", "validate", str(write_playbook(text, "twice.yaml")))
    assert done.returncode == 3 and "outcomes[1].id: outcome id 'won' is used twice" in done.stderr


def test_the_schema_describes_outcomes_and_success() -> None:
    schema = json_schema()
    assert "outcomes" in schema["properties"]
    outcome = schema["$defs"]["DealOutcome"]
    assert set(outcome["required"]) == {"id", "label"} and outcome["additionalProperties"] is False
    assert schema["$defs"]["Verdict"]["properties"]["success"]["type"] == "array"


# -- recording


def test_outcome_is_recorded_shown_and_changed_with_its_history() -> None:
    run = triage("Acme", "2026-09-01")
    done = cli("outcome", run, "lost", "--date", "2026-10-01", "--note", "went with Globex")
    assert done.returncode == 0, done.stderr
    assert f"Recorded for run {run} (Acme, triage): Lost on 2026-10-01" in done.stderr
    assert "does not count as success" in done.stderr
    done = cli("outcome", run[:4], "won_back", "--date", "2026-10-20")
    assert done.returncode == 0, done.stderr
    assert "counts as success for the verdict 'Fight on value, not price'" in done.stderr
    assert "It replaces Lost (on 2026-10-01)" in done.stderr
    shown = cli("deals", "show", run).stdout
    outcome = shown.split("## Outcome", 1)[1].split("\n## ", 1)[0]
    assert "Won back (`won_back`) on 2026-10-20 · a success for this verdict" in outcome
    assert "Lost (`lost`) on 2026-10-01" in outcome and "went with Globex" in outcome
    with Journal.open() as journal:
        assert [h.outcome for h in journal.outcome_history(run)] == ["lost", "won_back"]
        current = journal.outcome_of(run)
    assert current is not None and (current.outcome, current.note) == ("won_back", None)


def test_a_wrong_result_exits_2_listing_the_valid_ones_and_the_closest() -> None:
    run = triage("Acme", "2026-09-01")
    done = cli("outcome", run, "wonback")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "error: 'wonback' is not an outcome of playbook 'triage'; valid: won_back, lost, parted_well, invited_back, no_decision",
        f"hint: did you mean 'won_back'? dealrescue outcome {run} won_back",
    ]
    with Journal.open() as journal:
        assert journal.outcome_history(run) == []


@pytest.mark.parametrize("typed", ["won back", "Won_Back", "WON-BACK", "Won back"])
def test_a_result_is_read_as_a_choice_is_by_its_id_or_its_label(typed: str) -> None:
    run = triage("Acme", "2026-09-01")
    done = cli("outcome", run, typed, "--date", "2026-10-01")
    assert done.returncode == 0, done.stderr
    with Journal.open() as journal:
        current = journal.outcome_of(run)
    assert current is not None and current.outcome == "won_back"
    labelled = cli("outcome", run, "stepped back on good terms", "--date", "2026-10-02")
    assert labelled.returncode == 0, labelled.stderr
    assert "Stepped back on good terms on 2026-10-02" in labelled.stderr


def test_an_outcome_dated_after_today_or_before_the_plan_is_refused() -> None:
    import datetime as dt

    run = triage("Acme", "2026-09-01")
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    later = cli("outcome", run, "lost", "--date", tomorrow)
    assert later.returncode == 2 and f"--date {tomorrow} is after today" in later.stderr
    earlier = cli("outcome", run, "lost", "--date", "2026-08-31")
    assert earlier.returncode == 2
    assert f"--date 2026-08-31 is before run {run}'s plan was made (2026-09-01)" in earlier.stderr
    with Journal.open() as journal:
        assert journal.outcome_history(run) == []


def test_recording_an_outcome_closes_the_plans_steps_and_keeps_its_follow_ups() -> None:
    run = triage("Acme", "2026-09-01")
    with Journal.open() as journal:
        steps = [i for i in journal.items_for_run(run) if i.kind == "step"]
        followups = journal.followups_for_run(run)
    assert steps and followups
    before = cli("todo", "--date", "2026-10-02")
    assert before.returncode == 0, before.stderr
    assert any(step.text[:40] in before.stdout for step in steps), "the plan's steps are on the list, overdue"
    done = cli("outcome", run, "won_back", "--date", "2026-10-01")
    assert done.returncode == 0, done.stderr
    assert f"Closed its {len(steps)} open step(s): they led up to this outcome." in done.stderr
    after_todo = cli("todo", "--date", "2026-10-02")
    assert after_todo.returncode == 0, after_todo.stderr
    assert not any(step.text[:40] in after_todo.stdout for step in steps)
    with Journal.open() as journal:
        after = {i.id: i for i in journal.items_for_run(run)}
    assert all(after[s.id].superseded_at is not None and after[s.id].done_at is None for s in steps)  # closed, not done
    assert all(after[f.id].superseded_at is None and after[f.id].done_at is None for f in followups)  # still open
    shown = cli("deals", "show", run).stdout
    assert f"(id {steps[0].id}, closed: the outcome is in)" in shown and "superseded by a newer run" not in shown
    # Ticking such a step, and the calendar, say why it was closed: the outcome, not a re-run.
    ticked = cli("todo", "done", steps[0].id)
    assert ticked.returncode == 2
    assert f"{steps[0].id} is a step of run {run}, closed when its outcome was recorded: there is nothing to tick" in ticked.stderr
    calendar = cli("todo", "--ics", "-").stdout.replace("\r\n ", "")
    assert "Closed: the outcome is in" in calendar and "Superseded by a newer run" not in calendar
    again = cli("outcome", run, "lost", "--date", "2026-10-03")  # a changed outcome has nothing left to close
    assert again.returncode == 0 and "Closed its" not in again.stderr


def test_an_unknown_run_is_a_clear_error() -> None:
    triage("Acme", "2026-09-01")
    done = cli("outcome", "zzzzzz", "lost")
    assert done.returncode == 2
    assert done.stderr.splitlines() == ["error: no run with id 'zzzzzz' in the journal", "hint: see `dealrescue deals list` for ids"]
    assert cli("outcome", "run-1", "lost").returncode == 2
    assert cli("outcome", "abc", "lost", "--date", "2026-13-01").returncode == 2


def test_an_outcome_for_a_replaced_run_goes_to_the_run_that_replaced_it() -> None:
    first = triage("Acme", "2026-09-01")
    done = cli("deals", "rerun", first, "--no-input", "--set", "pressure=8", "--date", "2026-09-05")
    assert done.returncode == 0, done.stderr
    second = re.search(r"Saved as run (\w+)", done.stderr).group(1)  # type: ignore[union-attr]
    done = cli("outcome", first, "won_back")
    assert done.returncode == 0, done.stderr
    assert f"Run {first} was replaced by run {second} (a re-run of Acme): the outcome is recorded for {second}." in done.stderr
    with Journal.open() as journal:
        assert journal.outcome_of(first) is None
        history = journal.outcome_history(second)
    assert [(h.outcome, h.given_for) for h in history] == [("won_back", first)]


# -- the to-do item


def _outcome_items(on: str) -> list[dict[str, Any]]:
    done = cli("todo", "--date", on, "--format", "json")
    assert done.returncode == 0, done.stderr
    return [i for i in json.loads(done.stdout) if i["kind"] == "outcome"]


def test_todo_asks_for_the_outcome_after_the_customer_date_or_six_weeks_and_recording_ticks_it_off() -> None:
    dated = triage("Umbrella", "2026-09-03", [*FIGHT, "--set", "sign_date=2026-09-20"])
    undated = triage("Acme", "2026-09-01")
    assert _outcome_items("2026-09-10") == []
    items = _outcome_items("2026-09-15")  # "this week" reaches 2026-09-21: the day after their signing date
    assert [(i["id"], i["due"], i["deal"]) for i in items] == [(dated, "2026-09-21", "Umbrella")]
    assert items[0]["text"] == f"record the outcome for Umbrella: `dealrescue outcome {dated} …`"
    items = _outcome_items("2026-10-13")  # six weeks after 2026-09-01 is 2026-10-13
    assert [(i["id"], i["due"]) for i in items] == [(dated, "2026-09-21"), (undated, "2026-10-13")]
    done = cli("todo", "done", dated)  # the item's id is the run's: the outcome is what ticks it off
    assert done.returncode == 2 and f"hint: {dated} is a run: record its outcome with `dealrescue outcome {dated} RESULT`" in done.stderr
    assert cli("outcome", dated, "lost").returncode == 0
    assert [i["id"] for i in _outcome_items("2026-10-13")] == [undated]


def _reminders(*extra: str) -> dict[str, Any]:
    """The "record the outcome" entries of ``todo --ics -``, by run id (a reminder's UID is its run's id)."""
    from icalendar import Calendar

    done = cli("todo", "--ics", "-", *extra)
    assert done.returncode == 0, done.stderr
    entries = Calendar.from_ical(done.stdout).walk("VTODO" if "todo" in extra else "VEVENT")
    return {str(e["UID"]).removesuffix("@dealrescue"): e for e in entries if "record the outcome" in str(e["SUMMARY"])}


def test_the_calendar_file_holds_the_outcome_reminders_todo_lists_and_updates_them() -> None:
    dated = triage("Umbrella", "2026-09-03", [*FIGHT, "--set", "sign_date=2026-09-20"])
    undated = triage("Acme", "2026-09-01")
    first = triage("Initech", "2026-09-02")
    done = cli("deals", "rerun", first, "--no-input", "--set", "pressure=8", "--date", "2026-09-05")
    assert done.returncode == 0, done.stderr
    rerun = re.search(r"Saved as run (\w+)", done.stderr).group(1)  # type: ignore[union-attr]
    # However far ahead: a calendar holds what todo will list, by the same rule and on the same day.
    listed = {i["id"]: i["due"] for i in _outcome_items("2027-06-01")}
    assert listed == {dated: "2026-09-21", undated: "2026-10-13", rerun: "2026-10-17"}
    events = _reminders()
    assert set(events) == {*listed, first}
    for run_id, due in listed.items():
        event = events[run_id]
        assert event.decoded("DTSTART").isoformat() == due and str(event["STATUS"]) == "CONFIRMED"
        assert str(event["CLASS"]) == "PRIVATE" and event.walk("VALARM")
        assert f"Record it (this ticks it off): dealrescue outcome {run_id} RESULT" in str(event["DESCRIPTION"])
    # The replaced run's reminder went to its re-run: cancelled, so an import of an older file is undone.
    assert str(events[first]["STATUS"]) == "CANCELLED" and not events[first].walk("VALARM")
    assert str(events[first]["CLASS"]) == "PRIVATE"

    assert cli("outcome", dated, "lost").returncode == 0
    again = _reminders()
    assert set(again) == set(events)
    ticked = again[dated]
    assert int(ticked["SEQUENCE"]) == int(events[dated]["SEQUENCE"]) + 1 and not ticked.walk("VALARM")
    assert str(events[dated]["SUMMARY"]) == "Umbrella: record the outcome"
    assert str(ticked["SUMMARY"]) == "Umbrella: done: record the outcome"
    assert "Outcome recorded: " in str(ticked["DESCRIPTION"])
    assert int(again[undated]["SEQUENCE"]) == int(events[undated]["SEQUENCE"])
    # As to-dos: the recorded one is completed, the open ones need action.
    todos = _reminders("--ics-kind", "todo")
    assert {k: str(v["STATUS"]) for k, v in todos.items()} == {
        dated: "COMPLETED", undated: "NEEDS-ACTION", rerun: "NEEDS-ACTION", first: "CANCELLED",
    }
    assert todos[undated].decoded("DUE").isoformat() == "2026-10-13"


# -- the migration


def test_a_journal_made_by_the_previous_version_migrates_and_keeps_everything(user_home: Path) -> None:
    """``journal-v4-main.db`` was written by dealrescue before outcomes (schema 4): 4 triage runs (one a
    re-run) and a qualify run. Migrating adds the outcome tables and two NULL columns; no row changes."""
    path = paths.journal_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA / "journal-v4-main.db", path)
    path.chmod(0o600)

    def tables(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {n: conn.execute(f"SELECT * FROM {n} ORDER BY rowid").fetchall() for n in names}

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
        before = tables(conn)
    with Journal.open() as journal:
        runs = list(journal.run_rows())
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations.SCHEMA_VERSION
        after = tables(conn)
    assert after.pop("outcomes") == [] and after.pop("outcome_history") == []
    assert [row[:-2] for row in after.pop("runs")] == before.pop("runs")  # scoring, outcome_due: added, NULL
    assert after == before
    # The old runs' bands come from their plans; they are never asked for, but may be given, an outcome.
    assert {r["deal"]: r["bands"] for r in runs if r["playbook"] == "triage"}["Initech"] == {"open_door": "closed"}
    assert _outcome_items("2027-06-01") == []
    acme = [r["run_id"] for r in runs if r["deal"] == "Acme"]
    done = cli("outcome", acme[0], "won_back")
    assert done.returncode == 0 and f"recorded for {acme[1]}" in done.stderr


def test_an_outcome_for_an_older_run_of_the_deal_says_which_run_track_counts() -> None:
    older = triage("Acme", "2026-09-01")
    latest = triage("acme", "2026-09-10", SIGNED)
    done = cli("outcome", older, "lost")
    assert done.returncode == 0
    assert f"Note: Acme's latest triage run is {latest}" in done.stderr and f"dealrescue outcome {latest} lost" in done.stderr
    assert "Note:" not in cli("outcome", latest, "invited_back").stderr


def test_a_note_longer_than_the_limit_is_refused_and_nothing_is_recorded() -> None:
    from dealrescue.commands.outcome import NOTE_LIMIT

    run = triage("Acme", "2026-09-01")
    refused = cli("outcome", run, "lost", "--date", "2026-10-01", "--note", "x" * (NOTE_LIMIT + 1))
    assert refused.returncode == 2
    assert refused.stderr.splitlines()[0] == f"error: --note is {NOTE_LIMIT + 1:,} characters; an outcome's note holds at most {NOTE_LIMIT:,}"
    with Journal.open() as journal:
        assert journal.outcome_of(run) is None
    kept = cli("outcome", run, "lost", "--date", "2026-10-01", "--note", "y" * NOTE_LIMIT)
    assert kept.returncode == 0, kept.stderr
    with Journal.open() as journal:
        recorded = journal.outcome_of(run)
        assert recorded is not None and recorded.note == "y" * NOTE_LIMIT
