"""``rank --from EXPORT.csv``: the bands of a ranking carry the track record counted from a team's
``deals export --all`` files, read by the reader ``track --from`` uses, instead of the journal."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from dealrescue.errors import UsageError
from tests.test_track import cli, ok, setup

ACCOUNTS = "deal,stage,metrics\nAlpha,discovery,unknown\nBeta,discovery,unknown\n"
WEAK_JUDGED = "Weak: mostly hope · 2 of 5 won (12-77%)"


def _qualified(home: Path, deals: list[str], results: list[str | None]) -> None:
    """One qualify run per deal (all land in the band 'Weak: mostly hope'), then their outcomes."""
    for deal, result in zip(deals, results, strict=True):
        done = setup("qualify", deal, "--no-input", "--date", "2026-09-01", home=home)
        found = re.search(r"Saved as run (\w+)", done.stderr)
        assert found
        if result is not None:
            setup("outcome", found.group(1), result, home=home)


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Dana: 3 deals won, lost, lost; Sam: 2 deals won, lost and one pending. Each alone is too few
    to judge; together they are 5 outcomes. Plus a journal of 5 outcomes, all lost."""
    root = tmp_path_factory.mktemp("team")
    found: dict[str, Any] = {}
    for name, deals, results in (
        ("dana", ["D0", "D1", "D2"], ["won", "lost", "lost"]),
        ("sam", ["S0", "S1", "S2"], ["won", "lost", None]),
        ("own", [f"O{i}" for i in range(5)], ["lost"] * 5),
    ):
        home = root / name
        _qualified(home, deals, results)
        found[name] = root / f"{name}-runs.csv"
        ok("deals", "export", "--all", "--format", "csv", "-o", str(found[name]), home=home)
        found[f"{name}-home"] = home
    return found


@pytest.fixture
def accounts(tmp_path: Path) -> Path:
    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS, encoding="utf-8")
    return path


def test_the_bands_carry_the_record_of_the_team_files_together(exports: dict[str, Any], accounts: Path) -> None:
    team = ["--from", str(exports["dana"]), "--from", str(exports["sam"])]
    # The user's own journal is empty: without --from, no band has a record.
    assert "won" not in ok("rank", str(accounts), "--format", "table").stdout
    # One file alone: 3 outcomes, too few to judge; the same file twice counts its runs once.
    assert "won" not in ok("rank", str(accounts), "--format", "table", "--from", str(exports["dana"])).stdout
    twice = ["--from", str(exports["dana"]), "--from", str(exports["dana"])]
    assert "won" not in ok("rank", str(accounts), "--format", "table", *twice).stdout
    table = ok("rank", str(accounts), "--format", "table", *team)
    assert re.search(r"\n  Weak: mostly hope · 2 of 5 won \(12-77%\)  █+  2\n", table.stdout), table.stdout
    assert "  Partly qualified  " in table.stdout  # a band without outcomes stays as it was
    # Only the note naming the questions this export has no column for (read as blank cells).
    assert [line for line in table.stderr.splitlines() if ": no column for " not in line] == []
    html = ok("rank", str(accounts), "--format", "html", *team).stdout
    assert f"<tr><td>{WEAK_JUDGED}</td>" in html


def test_with_from_the_record_comes_from_the_files_not_the_journal(exports: dict[str, Any], accounts: Path, user_home: Path) -> None:
    shutil.copy(exports["own-home"] / "journal.db", user_home / "journal.db")
    own = ok("rank", str(accounts), "--format", "table").stdout
    assert "Weak: mostly hope · 0 of 5 won (0-43%)" in own
    team = ok("rank", str(accounts), "--format", "table", "--from", str(exports["dana"]), "--from", str(exports["sam"])).stdout
    assert WEAK_JUDGED in team and "0 of 5" not in team
    # A file with too few outcomes: no record, even though the journal has one.
    assert "won (" not in ok("rank", str(accounts), "--format", "table", "--from", str(exports["dana"])).stdout


def test_the_rows_csv_and_json_do_not_change_with_from(exports: dict[str, Any], accounts: Path) -> None:
    team = ["--from", str(exports["dana"]), "--from", str(exports["sam"])]
    for fmt in ("csv", "json"):
        plain = ok("rank", str(accounts), "--format", fmt).stdout
        assert ok("rank", str(accounts), "--format", fmt, *team).stdout == plain


def test_a_file_without_runs_of_the_playbook_says_so(exports: dict[str, Any], accounts: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty-runs.csv"
    empty.write_text(exports["dana"].read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    done = ok("rank", str(accounts), "--format", "table", "--from", str(empty))
    assert f"note: no finished qualify run in {empty}: no band carries a record" in done.stderr
    assert "Weak: mostly hope  " in done.stdout


def test_a_bad_or_missing_file_is_one_error_line_and_exit_2(accounts: Path, tmp_path: Path) -> None:
    other = tmp_path / "accounts-again.csv"
    other.write_text(ACCOUNTS, encoding="utf-8")
    broken = tmp_path / "broken.csv"
    broken.write_text("run_id,deal,playbook,status,plan_date,created_at,verdict,bands,outcome\n"
                      "r1,Acme,qualify,done,2026-09-01,2026-09-01T10:00:00Z,weak,{not json,won\n", encoding="utf-8")
    cases = [
        (other, f"error: {other}: not a runs export: no column run_id"),
        (tmp_path / "missing.csv", f"error: cannot read {tmp_path / 'missing.csv'}: No such file or directory"),
        (broken, f"error: {broken}:2: bands is not JSON"),
    ]
    for path, message in cases:
        done = cli("rank", str(accounts), "--format", "table", "--from", str(path))
        assert done.returncode == 2, done.stderr
        assert done.stdout == ""  # refused before any ranking is written
        lines = done.stderr.splitlines()
        assert lines[0].startswith(message), done.stderr
        assert len(lines) <= 2 and all(line.startswith(("error:", "hint:")) for line in lines)
        # track --from reads files the same way and says the same.
        assert cli("track", "qualify", "--from", str(path)).stderr.splitlines()[0] == lines[0]


def test_from_does_not_go_with_sql(exports: dict[str, Any]) -> None:
    done = cli("rank", "--sql", "--table", "crm", "--from", str(exports["dana"]))
    assert done.returncode == 2 and "--from goes with a ranking of a FILE, not with --sql" in done.stderr


def test_help_teaches_from() -> None:
    text = " ".join(ok("rank", "--help").stdout.replace("│", " ").split())
    assert "--from EXPORT.csv Count the bands' track records from files written by `deals export --all`" in text
    assert "A band with 5 outcomes or more shows its record" in text
    assert "dealrescue rank open-deals.csv --from team-runs.csv" in text


# -- units: the one reader, the one record


def test_record_runs_reads_the_files_as_track_does(exports: dict[str, Any]) -> None:
    from dealrescue.commands.outcome import playbook_named
    from dealrescue.commands.runs_csv import read_exports
    from dealrescue.commands.track import band_records, record_runs
    from dealrescue.core.track import counted_runs

    qualify = playbook_named("qualify")
    files = [exports["dana"], exports["sam"]]
    counted = record_runs(qualify, files)
    assert counted == counted_runs(qualify, read_exports(files))
    assert sorted(r["deal"] for r in counted) == ["D0", "D1", "D2", "S0", "S1", "S2"]
    score = qualify.scores[0].id
    assert band_records(qualify, score, counted) == {"weak": "2 of 5 won (12-77%)"}
    assert band_records(qualify, score, record_runs(qualify, files[:1])) == {}
    assert band_records(qualify, score, []) == {}
    with pytest.raises(UsageError, match="cannot read"):
        record_runs(qualify, [Path(exports["dana"]).with_name("nope.csv")])
