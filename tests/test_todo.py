"""The to-do list across deals: plan steps and follow-ups as items, ticking off, superseding,
the calendar file, the migration that brings old plans' steps in, and deals show."""

from __future__ import annotations

import json
import os
import re
import shlex
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pexpect
import pytest
from icalendar import Calendar
from typer.testing import CliRunner

from dealrescue import paths
from dealrescue.cli.app import app
from dealrescue.core.mdescape import strip_controls
from dealrescue.journal import Journal, migrations

SHORT = """\
id: short
version: 1
title: Short
summary: Two steps and a check-back.
questions:
  - id: contact
    prompt: Who?
verdicts:
  - id: go
    default: true
    title: Go on
    rationale: Go.
plan:
  - text: "Call {{ contact }} about the **pilot**, using `dealrescue` notes"
    due: +0d
  - text: Send the recap to {{ contact }}
    due: +2d
    owner: sales engineer
  - text: Review the quarter
    due: +1m
followups:
  - text: Check back with {{ contact }}
    due: +5d
"""


def cli(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    return result


def plan(write_playbook: Callable[..., Path], deal: str, date: str, contact: str = "Dana") -> str:
    path = write_playbook(SHORT, "short.yaml")
    result = cli("run", str(path), deal, "--date", date, "--set", f"contact={contact}")
    assert result.exit_code == 0, result.stderr
    found = re.search(r"Saved as run (\w+)", result.stderr)
    assert found
    return found.group(1)


def todo_rows(*args: str) -> list[list[str]]:
    result = cli("todo", *args)
    assert result.exit_code == 0, result.stderr
    return [line.split("\t") for line in result.stdout.splitlines()]


def test_todo_lists_overdue_today_and_this_week_across_deals_oldest_first(write_playbook: Callable[..., Path]) -> None:
    plan(write_playbook, "Acme", "2026-11-20")
    plan(write_playbook, "Globex", "2026-11-24", contact="Sam")
    rows = todo_rows("--date", "2026-11-24")
    assert [(r[1], r[2], r[3], r[4], r[5]) for r in rows] == [
        ("2026-11-20", "overdue", "Acme", "rep", "Call Dana about the **pilot**, using `dealrescue` notes"),
        ("2026-11-22", "overdue", "Acme", "sales engineer", "Send the recap to Dana"),
        ("2026-11-24", "today", "Globex", "rep", "Call Sam about the **pilot**, using `dealrescue` notes"),
        ("2026-11-25", "this week", "Acme", "follow-up", "Check back with Dana"),
        ("2026-11-26", "this week", "Globex", "sales engineer", "Send the recap to Sam"),
        ("2026-11-29", "this week", "Globex", "follow-up", "Check back with Sam"),
    ]  # the +1m steps are not due this week
    assert len({r[0] for r in rows}) == 6
    doc = json.loads(cli("todo", "--date", "2026-11-24", "--format", "json").stdout)
    assert [d["kind"] for d in doc] == ["step", "step", "step", "followup", "step", "followup"]


def test_todo_done_ticks_one_off_and_deals_show_says_so(write_playbook: Callable[..., Path]) -> None:
    run_id = plan(write_playbook, "Acme", "2026-11-20")
    first = todo_rows("--date", "2026-11-20")[0]
    result = cli("todo", "done", first[0][:4])
    assert result.exit_code == 0 and result.stdout == ""
    assert "Done: Call Dana about the **pilot**" in result.stderr
    assert first[0] not in [r[0] for r in todo_rows("--date", "2026-11-20")]
    again = cli("todo", "done", first[0])
    assert again.exit_code == 0 and "was already done on" in again.stderr
    shown = cli("deals", "show", run_id).stdout
    assert f"- [x] 2026-11-20 Call Dana about the \\*\\*pilot\\*\\*, using \\`dealrescue\\` notes (id {first[0]})" in shown
    assert "- [ ] 2026-11-22 Send the recap to Dana" in shown
    missing = cli("todo", "done", "zzzzzz")
    assert missing.exit_code == 2 and "no step or follow-up with id 'zzzzzz'" in missing.stderr


def test_todo_done_takes_several_ids_and_an_unknown_one_changes_nothing(write_playbook: Callable[..., Path]) -> None:
    plan(write_playbook, "Acme", "2026-11-20")
    ids = [r[0] for r in todo_rows("--date", "2026-11-24")]
    refused = cli("todo", "done", ids[0], "zzzzzz")
    assert refused.exit_code == 2 and "zzzzzz" in refused.stderr
    assert ids[0] in [r[0] for r in todo_rows("--date", "2026-11-24")]  # nothing ticked off
    result = cli("todo", "done", ids[0], ids[1][:4])
    assert result.exit_code == 0 and result.stderr.count("Done: ") == 2
    assert [r[0] for r in todo_rows("--date", "2026-11-24")] == ids[2:]


def test_followups_stay_the_follow_up_part_of_the_list(write_playbook: Callable[..., Path]) -> None:
    plan(write_playbook, "Acme", "2026-11-20")
    listed = cli("followups", "--date", "2026-11-24").stdout.splitlines()
    assert len(listed) == 1 and "Check back with Dana" in listed[0]
    followup_id = listed[0].split("\t")[0]
    assert followup_id in [r[0] for r in todo_rows("--date", "2026-11-24")]
    assert cli("todo", "done", followup_id).exit_code == 0
    assert cli("followups", "--date", "2026-11-24").stdout == ""


def test_superseding_a_run_closes_its_open_items(write_playbook: Callable[..., Path]) -> None:
    old = plan(write_playbook, "Acme", "2026-11-20")
    done_id = todo_rows("--date", "2026-11-20")[0][0]
    cli("todo", "done", done_id)
    new = plan(write_playbook, "Acme", "2026-11-22", contact="Priya")
    with Journal.open() as journal:
        still_open = [i for i in journal.items_for_run(old) if i.done_at is None]
        assert len(still_open) == 3  # the two steps and the follow-up
        # What a re-run does as it saves its plan: the link and the closing in one transaction.
        with journal._write() as conn:
            journal.replace_run(conn, old, new, "2026-11-22T00:00:00+00:00")
        assert all(i.superseded_at for i in journal.items_for_run(old) if i.done_at is None)
    rows = todo_rows("--date", "2026-11-22")
    assert {r[3] for r in rows} == {"Acme"} and all("Priya" in r[5] for r in rows)
    assert "Dana" not in cli("followups", "--all").stdout
    shown = cli("deals", "show", old).stdout
    assert "superseded by a newer run" in shown and f"(id {done_id})" in shown and "- [x]" in shown
    assert "superseded" not in cli("deals", "show", new).stdout.split("## Plan")[0]


def test_migration_brings_in_the_steps_of_plans_made_before(user_home: Path) -> None:
    path = paths.journal_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), isolation_level=None)
    migrations.apply_migrations(conn, migrations.MIGRATIONS[:1])
    document = {"steps": [{"text": "Call Dana", "due": "2026-11-20", "owner": "rep"}, {"text": "Recap", "due": "2026-11-21", "owner": "manager"}]}
    conn.execute(
        "INSERT INTO runs (id, deal, deal_key, playbook_id, playbook_version, playbook_source, plan_date, status, "
        "created_at, updated_at) VALUES ('run234', 'Acme', 'acme', 'short', 1, 'x', '2026-11-20', 'done', 'now', 'now')"
    )
    conn.execute("INSERT INTO plans (run_id, markdown, json) VALUES ('run234', '# plan', ?)", (json.dumps(document),))
    conn.execute("INSERT INTO followups (id, run_id, text, due) VALUES ('fol234', 'run234', 'Check back', '2026-11-25')")
    conn.close()
    with Journal.open() as journal:
        items = journal.items_for_run("run234")
    assert [(i.kind, i.text, i.due, i.owner) for i in items] == [
        ("step", "Call Dana", "2026-11-20", "rep"), ("step", "Recap", "2026-11-21", "manager"), ("followup", "Check back", "2026-11-25", None),
    ]
    assert len({i.id for i in items}) == 3
    assert all(re.fullmatch(r"[2-9a-hjkmnp-z]{6}", i.id) for i in items if i.kind == "step")


HOSTILE = "Acme, Inc.; \"Q4\" \\ deal\r\nline two\x1b[2J\x07 end"


def parse(text: str) -> list[Any]:
    return list(Calendar.from_ical(text).walk("VEVENT"))


def test_calendar_covers_steps_and_follow_ups_and_updates_on_reexport(write_playbook: Callable[..., Path], tmp_path: Path) -> None:
    plan(write_playbook, HOSTILE, "2026-11-20", contact="Ana; Bo, \"Cy\"\nsecond line")
    target = tmp_path / "plan.ics"
    assert cli("todo", "--ics", str(target)).exit_code == 0
    raw = target.read_bytes()
    events = parse(raw.decode("utf-8"))
    assert len(events) == 4  # three steps and a follow-up
    # RFC 5545: CRLF line ends, lines folded at 75 octets, no bare CR, LF or control character inside.
    assert raw.endswith(b"\r\n") and all(len(line) <= 75 for line in raw.split(b"\r\n"))
    assert b"\n" not in raw.replace(b"\r\n", b"") and b"\r" not in raw.replace(b"\r\n", b"")
    assert not re.search(rb"[\x00-\x08\x0b-\x1f\x7f]", raw.replace(b"\r\n", b""))
    first = events[0]
    summary, description = str(first["SUMMARY"]), str(first["DESCRIPTION"])
    assert len(summary) <= 60 and summary.startswith("Acme, Inc.; \"Q4\" \\ deal line two")
    assert "**" not in summary and "`" not in summary and "\n" not in summary
    # The description keeps the whole text, as typed (controls made visible), and escapes survive.
    assert description.startswith("Call Ana; Bo, \"Cy\" second line about the **pilot**") or description.startswith(
        "Call Ana; Bo, \"Cy\"\nsecond line about the **pilot**"
    )
    # The deal's name is one line: its line break became a space when the run was made.
    assert f"Deal: {strip_controls(HOSTILE.replace(chr(13) + chr(10), ' '))}" in description
    assert first.walk("VALARM") and str(first.walk("VALARM")[0]["ACTION"]) == "DISPLAY"
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == 4

    # Tick one off and export again: the same UIDs, a higher SEQUENCE on that one, a new DTSTAMP.
    step_id = uids[0].split("@")[0]
    assert cli("todo", "done", step_id).exit_code == 0
    assert cli("todo", "--ics", str(target), "--force").exit_code == 0
    again = parse(target.read_text(encoding="utf-8"))
    assert [str(e["UID"]) for e in again] == uids
    assert int(again[0]["SEQUENCE"]) == int(first["SEQUENCE"]) + 1 and not again[0].walk("VALARM")
    assert [int(e["SEQUENCE"]) for e in again[1:]] == [int(e["SEQUENCE"]) for e in events[1:]]
    assert again[0].decoded("DTSTAMP") >= first.decoded("DTSTAMP")


def test_followups_ics_still_holds_follow_ups_only(write_playbook: Callable[..., Path]) -> None:
    plan(write_playbook, "Acme", "2026-11-20")
    events = parse(cli("followups", "--ics", "-").stdout)
    assert [str(e["SUMMARY"]) for e in events] == ["Acme: Check back with Dana"]


# --- deals show on a terminal: labels, bundled, and a pager when it is long ---------------------------


def test_deals_show_names_labels_and_bundled(user_home: Path) -> None:
    answers = ["--set", "competitor=Globex", "--set", "signed=not_signed", "--set", "reason=unknown"]
    result = cli("run", "triage", "Acme", "--date", "2026-11-22", *answers)
    run_id = re.search(r"Saved as run (\w+)", result.stderr).group(1)  # type: ignore[union-attr]
    out = cli("deals", "show", run_id).stdout
    assert re.search(r"- playbook: triage v\d+ \(bundled\)", out) and "site-packages" not in out
    assert "- **Is anything signed with them?** Not signed" in out
    assert "not_signed" not in out.split("## Plan")[0] and "not\\_signed" not in out
    assert "\n## Plan\n\n### Lost-deal triage: Acme\n" in out and "\n#### Action plan\n" in out


def _spawn(home: Path, args: str, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DEALRESCUE_", "PYTEST_"))}
    environ.update(DEALRESCUE_HOME=str(home), TERM="xterm-256color", COLUMNS="100", LINES="20", NO_COLOR="1", **env)
    command = f"{shlex.quote(sys.executable)} -m dealrescue {args}"
    child = pexpect.spawn("bash", ["-c", command], env=environ, encoding="utf-8", timeout=60, dimensions=(20, 100))
    child.expect(pexpect.EOF)
    return str(child.before)


@pytest.mark.pty
def test_deals_show_pages_a_long_run_on_a_terminal_only(user_home: Path) -> None:
    home = user_home
    answers = ["--set", "competitor=Globex", "--set", "signed=not_signed", "--set", "reason=unknown"]
    result = cli("run", "triage", "Acme", "--date", "2026-11-22", *answers)
    run_id = re.search(r"Saved as run (\w+)", result.stderr).group(1)  # type: ignore[union-attr]
    paged = _spawn(home, f"deals show {run_id}", PAGER="cat -n")
    assert re.search(r"^\s+1\t", paged, re.M), paged[:300]  # went through the pager
    unpaged = _spawn(home, f"deals show {run_id} --no-pager", PAGER="cat -n")
    assert "Acme" in unpaged and not re.search(r"^\s+1\t", unpaged, re.M)
    piped = _spawn(home, f"deals show {run_id} | cat", PAGER="cat -n")
    assert piped.lstrip().startswith("# Acme") and not re.search(r"^\s+1\t", piped, re.M)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEALRESCUE_")}
    env.update(DEALRESCUE_HOME=str(home), PAGER="cat -n")
    short = subprocess.run([sys.executable, "-m", "dealrescue", "deals", "show", run_id], capture_output=True, text=True,
                           env=env, timeout=60, check=False)
    assert short.stdout.startswith("# Acme")  # not a terminal: never paged


def test_todo_on_a_terminal_is_a_table_and_an_empty_journal_says_so(
    write_playbook: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = cli("todo", "--date", "2026-11-24")
    assert (empty.exit_code, empty.stdout) == (0, "") and "Nothing overdue or due by 2026-11-30" in empty.stderr
    plan(write_playbook, "Acme", "2026-11-20")
    from dealrescue.ui import terminal

    monkeypatch.setattr(terminal, "stdout_is_terminal", lambda: True)
    shown = cli("todo", "--date", "2026-11-24").stdout
    assert "Deal" in shown and "Who" in shown and "OVERDUE 4d" in shown and "in 1d" in shown
    assert "\t" not in shown


def test_a_step_of_a_replaced_plan_is_not_ticked_off(write_playbook: Callable[..., Path]) -> None:
    """Its run was re-run: the step is closed as superseded (cancelled in the calendar); ticking it
    would revive it there. The newer plan's steps are the ones to tick."""
    old = plan(write_playbook, "Acme", "2026-11-20")
    old_ids = [row[0] for row in todo_rows("--date", "2026-11-20")]
    assert old_ids
    again = cli("deals", "rerun", old, "--no-input", "--set", "contact=Lee")
    assert again.exit_code == 0, again.stderr
    new = re.search(r"Saved as run (\w+)", again.stderr)
    assert new
    result = cli("todo", "done", old_ids[0])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {old_ids[0]} is a step of run {old}, which run {new.group(1)} replaced: there is nothing to tick",
        "hint: see the open steps and their ids with: dealrescue todo",
    ]
    with Journal.open() as journal:
        item = journal.get_item(old_ids[0])
    assert item.done_at is None and item.superseded_at is not None


def test_an_unknown_id_to_tick_says_where_the_ids_are(write_playbook: Callable[..., Path]) -> None:
    plan(write_playbook, "Acme", "2026-11-20")
    result = cli("todo", "done", "zzzz")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: no step or follow-up with id 'zzzz' in the journal",
        "hint: see `dealrescue todo` for ids",
    ]


@pytest.mark.pty
@pytest.mark.parametrize("less_options", ["", "-i"])
def test_the_pager_shows_styles_even_when_less_options_are_set_without_r(less_options: str, user_home: Path) -> None:
    """A LESS of the user's own (often "-i") without -R made less print bold as the text `ESC[1m`."""
    answers = ["--set", "competitor=Globex", "--set", "signed=not_signed", "--set", "reason=unknown"]
    result = cli("run", "triage", "Acme", "--date", "2026-11-22", *answers)
    run_id = re.search(r"Saved as run (\w+)", result.stderr).group(1)  # type: ignore[union-attr]
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DEALRESCUE_", "PYTEST_", "PAGER"))}
    environ.update(DEALRESCUE_HOME=str(user_home), TERM="xterm-256color", COLUMNS="100", LINES="20", LESS=less_options)
    command = f"{shlex.quote(sys.executable)} -m dealrescue deals show {run_id}"
    child = pexpect.spawn("bash", ["-c", command], env=environ, encoding="utf-8", timeout=60, dimensions=(20, 100))
    child.expect_exact("Acme")
    child.expect([r"\n:", r"\(END\)"])
    shown = str(child.before)
    child.send("q")
    child.expect(pexpect.EOF)
    # less shows a control it does not pass through as ESC in reverse video, then the rest: ESC[1m.
    assert not re.search(r"ESC(\x1b\[27m)?\[", shown), shown[:400]


def test_todo_done_and_followups_done_show_a_hostile_deal_name_on_one_harmless_line(write_playbook: Callable[..., Path]) -> None:
    """Both ways of ticking an item off say so in one line: a deal name's escape codes and line
    breaks cannot paint the terminal or fake a second line."""
    plan(write_playbook, "Acme\x1b[2J\nerror: fake", "2026-11-20")
    rows = todo_rows("--date", "2026-11-20")
    step = next(r for r in rows if r[4] != "follow-up")
    followup = next(r for r in todo_rows("--date", "2026-11-30") if r[4] == "follow-up")
    for args in (["todo", "done", step[0]], ["followups", "done", followup[0]]):
        result = cli(*args)
        assert result.exit_code == 0, result.stderr
        assert "\x1b" not in result.stderr and "\nerror: fake" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert cli("followups", "done", step[0]).exit_code == 2  # a step is not a follow-up


def test_the_todo_table_gives_the_text_the_width(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from dealrescue.ui.listing_output import print_table

    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("NO_COLOR", "1")
    row = ("abc123", "2026-11-20", "today", "Acme", "rep + manager + solutions engineer", "Call Dana about the pilot")
    print_table(["ID", "Due", "When", "Deal", "Who", "To do"], [row], flex=[3, 5], caps={3: 24, 4: 12})
    line = capsys.readouterr().out.splitlines()[1]
    assert "rep + manag…" in line  # the who-column is capped
    assert line.endswith("Call Dana about the pilot")  # so the text is whole
