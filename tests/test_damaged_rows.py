"""A damaged journal row is reported for itself and the rest is shown (issue 26, item 13)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from dealrescue import paths

GAP = ["--set", "competitor=Globex", "--set", "signed=not_signed", "--set", "reason=gap", "--set", "gap=SSO",
       "--set", "closable=other_product", "--set", "pressure=3", "--set", "decider=Dana"]


def dr(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dealrescue", *args], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


@pytest.fixture
def three_runs(user_home: Path) -> list[str]:
    ids = []
    for deal in ("Acme", "Globex", "Initech"):
        done = dr("triage", deal, "--no-input", "--date", "2026-11-22", *GAP)
        assert done.returncode == 0, done.stderr
        ids.append(done.stderr.split("Saved as run ")[1].split()[0])
    return ids


def damage(sql: str, *params: object) -> None:
    conn = sqlite3.connect(paths.journal_path())
    try:
        conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


def assert_one_line_no_bug(result: subprocess.CompletedProcess[str]) -> None:
    assert "this is a bug" not in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_plan_json_that_is_not_an_object(three_runs: list[str]) -> None:
    damage("UPDATE plans SET json = '[1]' WHERE run_id = ?", three_runs[0])
    done = dr("deals", "export", three_runs[0], "--email")
    assert done.returncode == 1
    assert_one_line_no_bug(done)
    assert f"run {three_runs[0]}'s stored plan is damaged" in done.stderr
    assert dr("deals", "export", three_runs[1], "--email").returncode == 0  # the others still export


def test_a_bad_done_date_leaves_the_rest_of_the_calendar(three_runs: list[str]) -> None:
    damage("UPDATE followups SET done_at = 'garbage' WHERE run_id = ?", three_runs[0])
    damage("UPDATE steps SET done_at = 'garbage' WHERE run_id = ?", three_runs[0])
    for command in (["todo", "--ics", "-"], ["followups", "--ics", "-"], ["todo"], ["deals", "show", three_runs[0]]):
        done = dr(*command)
        assert_one_line_no_bug(done)
        assert done.returncode == 0, (command, done.stderr)
        assert "Globex" in done.stdout or "Acme" in done.stdout


def test_deal_bytes_that_are_not_utf8(three_runs: list[str]) -> None:
    damage("UPDATE runs SET deal = CAST(X'FF41636D65' AS TEXT) WHERE id = ?", three_runs[1])
    listed = dr("deals", "list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    deals = {r["id"]: r["deal"] for r in json.loads(listed.stdout)}
    assert deals[three_runs[1]] == "\ufffdAcme" and deals[three_runs[0]] == "Acme" and deals[three_runs[2]] == "Initech"
    for command in (["deals", "show", three_runs[1]], ["todo", "--ics", "-"], ["followups", "--ics", "-"],
                    ["deals", "rerun", three_runs[1], "--no-input"]):
        done = dr(*command)
        assert_one_line_no_bug(done)
        assert done.returncode == 0, (command, done.stderr)


def test_a_stored_format_this_version_does_not_know(three_runs: list[str]) -> None:
    damage("UPDATE runs SET options = '{\"format\": \"exe\"}' WHERE id = ?", three_runs[2])
    done = dr("deals", "rerun", three_runs[2], "--no-input")
    assert_one_line_no_bug(done)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# ")  # markdown, the default
