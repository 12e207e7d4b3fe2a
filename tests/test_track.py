"""The track record: the Wilson interval, the JSON contract, the table, the runs behind a figure,
and the same record from the journal, from its CSV export, and from the SQL in docs/track.md."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from dealrescue.cli.app import app
from dealrescue.core.track import Z95, wilson

DEALRESCUE = str(Path(sys.executable).with_name("dealrescue"))
REPO = Path(__file__).resolve().parent.parent
SETS = {
    "fight_on_value": {"competitor": "Globex", "signed": "not_signed", "reason": "price", "price_gap": "bridgeable", "pressure": "6"},
    "accept_and_learn": {"competitor": "Globex", "signed": "signed", "reason": "better_fit"},
    "walk_away": {"competitor": "Globex", "signed": "not_signed", "reason": "better_fit"},
    "change_approach": {"competitor": "Globex", "signed": "not_signed", "reason": "relationship", "trust_issue": "a poor meeting"},
}


def cli(*args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = os.environ.copy()
    if home is not None:
        env["DEALRESCUE_HOME"] = str(home)
    return subprocess.run([DEALRESCUE, *args], capture_output=True, text=True, timeout=60, env=env)


def ok(*args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    done = cli(*args, home=home)
    assert done.returncode == 0, done.stderr
    return done


def setup(*args: str, home: Path | None = None) -> Any:
    """Making the journal a test reads: in process (an interpreter per run would take minutes)."""
    env = {"DEALRESCUE_HOME": str(home)} if home is not None else None
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.stderr
    return result


def run(deal: str, verdict: str, date: str, home: Path | None = None) -> str:
    sets = [x for k, v in SETS[verdict].items() for x in ("--set", f"{k}={v}")]
    done = setup("triage", deal, "--no-input", "--date", date, *sets, home=home)
    found = re.search(r"Saved as run (\w+)", done.stderr)
    assert found
    return found.group(1)


# -- Wilson


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [(5, 9, 0.267, 0.811), (7, 19, 0.191, 0.590), (0, 10, 0.0, 0.278), (10, 10, 0.722, 1.0), (5, 5, 0.566, 1.0), (1, 2, 0.095, 0.905)],
)
def test_wilson_known_values(successes: int, n: int, low: float, high: float) -> None:
    assert [round(x, 3) for x in wilson(successes, n)] == [low, high]


@given(st.integers(min_value=1, max_value=2000).flatmap(lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))))
def test_wilson_is_where_the_score_test_stops_rejecting(case: tuple[int, int]) -> None:
    """The interval's ends are the two roots of (p̂ - p)² = z² p (1 - p) / n, from the quadratic formula."""
    successes, n = case
    p_hat, z2 = successes / n, Z95 * Z95
    a, b, c = 1 + z2 / n, -(2 * p_hat + z2 / n), p_hat * p_hat
    root = math.sqrt(max(0.0, b * b - 4 * a * c))
    low, high = wilson(successes, n)
    assert low == pytest.approx(max(0.0, (-b - root) / (2 * a)), abs=1e-9)
    assert high == pytest.approx(min(1.0, (-b + root) / (2 * a)), abs=1e-9)
    assert 0.0 <= low <= p_hat <= high <= 1.0


@given(st.integers(min_value=1, max_value=500))
def test_wilson_is_symmetric_and_narrows_with_more_outcomes(n: int) -> None:
    for successes in {0, n // 3, n}:
        low, high = wilson(successes, n)
        flipped = wilson(n - successes, n)
        assert flipped == pytest.approx((1 - high, 1 - low), abs=1e-12)
        wider = wilson(successes, n)
        tighter = wilson(successes * 4, n * 4)
        assert tighter[1] - tighter[0] < wider[1] - wider[0]


def test_wilson_refuses_impossible_counts() -> None:
    for successes, n in ((1, 0), (-1, 3), (4, 3)):
        with pytest.raises(ValueError):
            wilson(successes, n)


# -- a journal with a record


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """12 deals told to fight on value (5 won back, 4 lost, 3 pending), 3 to accept and learn
    (2 outcomes), and an earlier run of one deal whose latest run is a fight: made once per module."""
    home = tmp_path_factory.mktemp("recorded")
    # Deal 00 was first triaged as a trust loss: only its latest run (fight on value, below) counts.
    ids: dict[str, Any] = {"fight": [], "accept": [], "older": run("deal 00", "change_approach", "2026-08-01", home)}
    for i in range(12):
        ids["fight"].append(run(f"Deal {i:02d}", "fight_on_value", f"2026-09-{i + 1:02d}", home))
    for i in range(3):
        ids["accept"].append(run(f"Signed {i}", "accept_and_learn", f"2026-09-{i + 1:02d}", home))
    for index, run_id in enumerate(ids["fight"][:9]):
        setup("outcome", run_id, "won_back" if index < 5 else "lost", "--date", "2026-10-15", home=home)
    setup("outcome", ids["accept"][0], "invited_back", home=home)
    setup("outcome", ids["accept"][1], "lost", home=home)
    return home, ids


@pytest.fixture
def journal_with_record(recorded: tuple[Path, dict[str, Any]], user_home: Path) -> dict[str, Any]:
    """The module's journal, copied into this test's own data folder."""
    home, ids = recorded
    shutil.copy(home / "journal.db", user_home / "journal.db")
    return ids


def test_the_json_record_has_the_issues_shape_and_figures(journal_with_record: dict[str, Any]) -> None:
    record = json.loads(ok("track", "triage", "--format", "json").stdout)
    assert list(record) == ["playbook", "since", "verdicts", "bands"]
    assert record["playbook"] == "triage" and record["since"] is None
    verdicts = {v["verdict"]: v for v in record["verdicts"]}
    assert [v["verdict"] for v in record["verdicts"]] == [
        "accept_and_learn", "walk_away", "fight_on_value", "change_approach", "resolve_indecision", "find_out_more",
    ]
    assert verdicts["fight_on_value"] == {
        "verdict": "fight_on_value", "runs": 12, "outcomes": 9, "successes": 5, "rate": 0.556, "interval": [0.267, 0.811], "judged": True,
    }
    assert verdicts["accept_and_learn"] == {
        "verdict": "accept_and_learn", "runs": 3, "outcomes": 2, "successes": 1, "rate": None, "interval": None, "judged": False,
    }
    # The older change-approach run of "Deal 00" is not its latest: not counted.
    assert verdicts["change_approach"]["runs"] == 0
    assert list(record["bands"]) == ["open_door"]
    bands = {b["band"]: b for b in record["bands"]["open_door"]}
    assert all(list(b) == ["band", "outcomes", "successes", "interval", "judged"] for b in bands.values())
    assert bands["ajar"] == {"band": "ajar", "outcomes": 9, "successes": 5, "interval": [0.267, 0.811], "judged": True}
    assert bands["closed"] == {"band": "closed", "outcomes": 2, "successes": 1, "interval": None, "judged": False}


def test_the_table_reads_as_sentences_and_names_its_method(journal_with_record: dict[str, Any]) -> None:
    table = ok("track", "triage").stdout
    assert "  fight on value: 5 of 9 won back (27-81%) · 3 pending\n" in table
    assert "  accept and learn: 1 of 2 invited back later · 1 pending · too few to judge\n" in table
    assert "  walk away: no runs yet\n" in table
    assert "Ajar: 5 of 9 won back (27-81%) · 3 pending" in table
    assert "Wilson 95%" in table
    assert "An outcome reflects the verdict and what the rep did with it, not what would have happened otherwise." in table


def test_since_counts_deals_whose_latest_plan_is_that_recent(journal_with_record: dict[str, Any]) -> None:
    record = json.loads(ok("track", "triage", "--since", "2026-09-10", "--format", "json").stdout)
    fight = record["verdicts"][2]
    assert record["since"] == "2026-09-10" and (fight["runs"], fight["outcomes"]) == (3, 0)
    assert cli("track", "triage", "--since", "10/09/2026").returncode == 2


def test_runs_lists_the_runs_behind_a_figure(journal_with_record: dict[str, Any]) -> None:
    rows = json.loads(ok("track", "triage", "--runs", "fight_on_value", "--format", "json").stdout)
    assert sorted(r["run_id"] for r in rows) == sorted(journal_with_record["fight"])
    assert sum(r["success"] is True for r in rows) == 5 and sum(r["success"] is None for r in rows) == 3
    lines = ok("track", "triage", "--runs", "open_door.closed").stdout.splitlines()
    assert sorted(line.split("\t")[0] for line in lines) == sorted(journal_with_record["accept"])
    done = cli("track", "triage", "--runs", "fight_on_valeu")
    assert done.returncode == 2 and "did you mean 'fight_on_value'?" in done.stderr


def test_every_playbook_with_runs_without_a_playbook_named(journal_with_record: dict[str, Any]) -> None:
    records = json.loads(ok("track", "--format", "json").stdout)
    assert [r["playbook"] for r in records] == ["triage"]
    rows = list(csv.DictReader(io.StringIO(ok("track", "--format", "csv").stdout)))
    fight = next(r for r in rows if r["figure"] == "fight_on_value")
    figures = (fight["kind"], fight["runs"], fight["outcomes"], fight["successes"], fight["low"], fight["high"], fight["judged"])
    assert figures == ("verdict", "12", "9", "5", "0.267", "0.811", "true")


def test_an_empty_journal_has_an_empty_record(user_home: Path) -> None:
    record = json.loads(ok("track", "triage", "--format", "json").stdout)
    assert all(v["runs"] == 0 and not v["judged"] for v in record["verdicts"])
    assert cli("track", "nosuch").returncode == 2


# -- the export, --from, and SQL


def test_the_export_gives_the_same_record_as_the_journal(journal_with_record: dict[str, Any], tmp_path: Path) -> None:
    export = tmp_path / "runs.csv"
    ok("deals", "export", "--all", "--format", "csv", "-o", str(export))
    rows = list(csv.DictReader(io.StringIO(export.read_text(encoding="utf-8"))))
    assert len(rows) == 16
    assert list(rows[0]) == [
        "run_id", "deal", "playbook", "playbook_version", "scoring", "status", "plan_date", "created_at",
        "verdict", "bands", "outcome", "outcome_date", "success",
    ]
    assert all(re.fullmatch(r"[0-9a-f]{16}", r["scoring"]) for r in rows)
    for fmt in ("json", "csv", "table"):
        assert ok("track", "triage", "--format", fmt).stdout == ok("track", "triage", "--format", fmt, "--from", str(export)).stdout
    # The same file twice counts each run once.
    assert ok("track", "triage", "--format", "json", "--from", str(export), "--from", str(export)).stdout == ok(
        "track", "triage", "--format", "json"
    ).stdout


def test_the_export_holds_no_answers_or_notes_unless_asked_and_neutralises_formulas(user_home: Path, tmp_path: Path) -> None:
    run_id = run("=HYPERLINK(\"http://x\")", "fight_on_value", "2026-09-01")
    ok("outcome", run_id, "lost", "--note", "secret pricing note")
    plain = ok("deals", "export", "--all").stdout
    assert "secret" not in plain and "Globex" not in plain
    row = next(csv.DictReader(io.StringIO(plain)))
    assert row["deal"] == "'=HYPERLINK(\"http://x\")" and row["success"] == "no"
    full = next(csv.DictReader(io.StringIO(ok("deals", "export", "--all", "--with-answers").stdout)))
    assert full["outcome_note"] == "secret pricing note" and json.loads(full["answers"])["competitor"] == "Globex"
    assert cli("deals", "export", "--all", "--format", "markdown").returncode == 2
    assert cli("deals", "export", run_id, "--format", "csv").returncode == 2
    assert cli("deals", "export", "--with-answers").returncode == 2
    # Read back, the deal is its own name again.
    export = tmp_path / "runs.csv"
    export.write_text(plain, encoding="utf-8")
    rows = json.loads(ok("track", "triage", "--from", str(export), "--runs", "fight_on_value", "--format", "json").stdout)
    assert rows[0]["deal"] == "=HYPERLINK(\"http://x\")"


def test_a_file_that_is_not_an_export_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "accounts.csv"
    other.write_text("name,amount\nAcme,100\n", encoding="utf-8")
    done = cli("track", "triage", "--from", str(other))
    assert done.returncode == 2 and "not a runs export: no column run_id" in done.stderr
    assert cli("track", "triage", "--from", str(tmp_path / "missing.csv")).returncode == 2


def _sql_blocks() -> list[str]:
    text = (REPO / "docs" / "track.md").read_text(encoding="utf-8")
    return re.findall(r"```sql\n(.*?)```", text, re.S)


def figures_by_sql(files: list[Path]) -> tuple[dict[str, dict[str, object]], dict[str, tuple[int, int]]]:
    """The figures of docs/track.md's queries, as written there, over ``files``."""
    load, verdict_sql, band_sql = _sql_blocks()
    db = duckdb.connect()
    db.execute(load.replace("'dana-runs.csv', 'sam-runs.csv'", ", ".join(f"'{f}'" for f in files)))
    verdicts = {
        row[0]: {"verdict": row[0], "runs": row[1], "outcomes": row[2], "successes": row[3], "rate": row[4],
                 "interval": None if row[5] is None else [row[5], row[6]], "judged": row[7]}
        for row in db.execute(verdict_sql).fetchall()
    }
    bands = {row[0]: (row[1], row[2]) for row in db.execute(band_sql).fetchall()}
    db.close()
    return verdicts, bands


def test_the_warehouse_sql_in_the_docs_gives_the_figures_track_from_gives(tmp_path: Path) -> None:
    """Two reps, each with their own journal, export; the manager's SQL and `track --from` agree."""
    dana, sam = tmp_path / "dana", tmp_path / "sam"
    for i in range(7):
        run_id = run(f"Dana {i}", "fight_on_value", f"2026-09-{i + 1:02d}", home=dana)
        if i < 6:
            setup("outcome", run_id, "won_back" if i % 2 else "lost", home=dana)
    for i in range(4):
        run_id = run(f"Sam {i}", "walk_away", f"2026-09-{i + 1:02d}", home=sam)
        setup("outcome", run_id, "parted_well", home=sam)
    run_id = run("Sam 0", "fight_on_value", "2026-09-20", home=sam)  # Sam 0's latest run
    setup("outcome", run_id, "won_back", home=sam)
    files = []
    for home in (dana, sam):
        files.append(home / "runs.csv")
        ok("deals", "export", "--all", "-o", str(files[-1]), home=home)
    record = json.loads(ok("track", "triage", "--format", "json", *[x for f in files for x in ("--from", str(f))]).stdout)

    by_sql, bands = figures_by_sql(files)
    expected = {v["verdict"]: v for v in record["verdicts"] if v["runs"]}
    assert by_sql == expected
    assert expected["fight_on_value"]["judged"] and expected["fight_on_value"]["runs"] == 8
    assert bands == {b["band"]: (b["outcomes"], b["successes"]) for b in record["bands"]["open_door"] if b["outcomes"]}
    assert bands  # some band has outcomes: the comparison compared something


# -- where the record shows: rank's bands and the plan's verdict


def test_rank_bands_and_the_plan_carry_the_record_once_judged(user_home: Path, tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("deal,stage,metrics\nAlpha,discovery,unknown\nBeta,discovery,unknown\n", encoding="utf-8")
    ids = []
    for i in range(5):
        done = setup("qualify", f"Q{i}", "--no-input", "--date", f"2026-09-0{i + 1}")
        ids.append(re.search(r"Saved as run (\w+)", done.stderr).group(1))  # type: ignore[union-attr]
    for i, run_id in enumerate(ids[:4]):
        setup("outcome", run_id, "won" if i < 2 else "lost")
    # 4 outcomes: too few to judge, so neither the ranking nor the plan says anything.
    assert "won" not in ok("rank", str(accounts), "--format", "table").stdout
    assert "Track record" not in ok("qualify", "Q9", "--no-input", "--no-save").stdout
    setup("outcome", ids[4], "lost")
    table = ok("rank", str(accounts), "--format", "table").stdout
    assert re.search(r"\n  Weak: mostly hope · 2 of 5 won \(12-77%\)  █+  2\n", table)
    assert "  Partly qualified  " in table  # a band with no outcomes stays as it was
    html = ok("rank", str(accounts), "--format", "html").stdout
    assert "<tr><td>Weak: mostly hope · 2 of 5 won (12-77%)</td>" in html
    plan = ok("qualify", "Q9", "--no-input", "--no-save").stdout
    verdict = plan.split("## Verdict: ", 1)[1].split("\n## ", 1)[0]
    assert verdict.rstrip().endswith("*Track record: 2 of 5 won (12-77%, Wilson 95%)*")
    # Another verdict of the same playbook has no outcomes: its plan carries nothing.
    sets = [x for k in ("metrics", "economic_buyer", "decision_criteria", "decision_process", "paper_process", "pain",
                        "champion", "competition") for x in ("--set", f"{k}=validated")]
    qualified = ok("qualify", "Q10", "--no-input", "--no-save", "--set", "stage=evaluation", *sets).stdout
    assert "## Verdict: Qualified\n" in qualified and "Track record" not in qualified
    # A saved run reads the record through the journal it is recorded in: the same line.
    saved = ok("qualify", "Q11", "--no-input")
    assert "*Track record: 2 of 5 won (12-77%, Wilson 95%)*" in saved.stdout and "Saved as run" in saved.stderr


def test_a_playbook_run_from_a_file_outside_the_folders_is_found_by_export_and_track(tmp_path: Path) -> None:
    """A run of `dealrescue run ./my-check.yaml` records the file; export and track load the playbook
    from it (as `outcome` does) instead of warning that it cannot be loaded."""
    home = tmp_path / "home"
    book = tmp_path / "elsewhere" / "my-check.yaml"
    book.parent.mkdir(mode=0o700)
    setup("playbooks", "new", "my-check", "-o", str(book), home=home)
    done = setup("run", str(book), "Acme", "--no-input", "--date", "2026-11-22", "--set", "confidence=2", home=home)
    run_id = done.stderr.split("Saved as run ")[1].split()[0]
    setup("outcome", run_id, "won", "--date", "2026-11-30", home=home)  # the verdict is push: won is its success

    exported = setup("deals", "export", "--all", home=home)
    assert "cannot be loaded" not in exported.stderr
    row = next(csv.DictReader(io.StringIO(exported.stdout)))
    assert (row["playbook"], row["verdict"], row["outcome"], row["success"]) == ("my-check", "push", "won", "yes")

    tracked = setup("track", "my-check", home=home)
    assert "cannot be loaded" not in tracked.stderr
    assert tracked.stdout.startswith("My deal check (my-check): 1 deal, each counted by its latest run")
    every = setup("track", home=home)
    assert "cannot be loaded" not in every.stderr and "(my-check): 1 deal" in every.stdout


def test_a_figure_with_runs_but_no_outcome_says_so_not_0_of_0() -> None:
    from dealrescue.core.track import figure_line

    waiting = {"runs": 2, "outcomes": 0, "successes": 0, "judged": False, "interval": None}
    assert figure_line("walk away", waiting, "invited back later") == "walk away: no outcome yet · 2 pending"
    assert figure_line("walk away", {**waiting, "runs": 0}, "invited back later") == "walk away: no runs yet"
    one = {"runs": 3, "outcomes": 1, "successes": 1, "judged": False, "interval": None}
    assert figure_line("fight", one, "won back") == "fight: 1 of 1 won back · 2 pending · too few to judge"
