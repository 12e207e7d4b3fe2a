"""A column missing from an export (issue 23): every row reads its question exactly as a blank cell,
never worse; the summary names such questions once; ``rank --sql`` reads them the same way.

Reading it as not asked (no answer) was tried and is worse for some deals: qualify's
``stage != "discovery"`` holds for no answer, so an export without a Stage column gains warning
signs (the last test shows that reading is not what rank does). Also: rank's JSON writes C1 and
bidi controls as escapes, as every JSON output does."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dealrescue.catalog import finder as catalog
from dealrescue.cli.app import app
from dealrescue.core.engine import needs_answer
from dealrescue.core.rank import FastScorer, fast_path_obstacle, match_columns
from dealrescue.core.rank.columns import questions_read
from tests.crm_exports import make_sample_csv

runner = CliRunner()
HEADER = "Opportunity Name,Stage,Economic Buyer,Champion,Identify Pain,Decision Criteria,Decision Process,Competition"
ROW = "Acme,Proposal/Price Quote,Met,Yes,Confirmed,x,x,x"


def _ranked(path: Path) -> tuple[dict[str, str], str]:
    result = runner.invoke(app, ["rank", str(path), "--format", "csv"])
    assert result.exit_code == 0, result.stderr
    return next(csv.DictReader(io.StringIO(result.stdout))), result.stderr


def test_a_question_with_no_column_reads_as_blank_cells_and_the_summary_names_it(tmp_path: Path) -> None:
    missing, blank = tmp_path / "missing.csv", tmp_path / "blank.csv"
    missing.write_text(f"{HEADER}\n{ROW}\n", encoding="utf-8")
    blank.write_text(f"{HEADER},Metrics,Paper Process\n{ROW},,\n", encoding="utf-8")
    row, stderr = _ranked(missing)
    blank_row, blank_stderr = _ranked(blank)
    assert blank_row["red_flags"] == "1" and "Metrics unknown" in blank_row["reasons"]
    same = ["qualification", "qualification_band", "red_flags", "red_flags_band", "verdict", "reasons"]
    assert [row[k] for k in same] == [blank_row[k] for k in same]
    assert stderr.splitlines() == [
        f"{missing}: no column for metrics, paper_process: read as blank cells (the default); name one with "
        "--map 'COLUMN=metrics'"
    ]
    assert "no column" not in blank_stderr
    explained = runner.invoke(app, ["rank", str(missing), "--explain-columns"]).stdout
    assert "(no column) question metrics: every row takes its default 'unknown'" in explained.splitlines()


def test_the_query_reads_a_missing_column_as_rank_does(tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    path = tmp_path / "missing.csv"
    path.write_text(f"{HEADER}\n{ROW}\nBeta,Negotiation/Review,,,,,,\n", encoding="utf-8")
    made = runner.invoke(app, ["rank", "--sql", "--table", "crm", "--columns-from", str(path)])
    assert made.exit_code == 0, made.stderr
    assert "no column for metrics, paper_process: read as blank cells" in made.stderr
    con = duckdb.connect()
    con.execute(f"CREATE VIEW crm AS SELECT * FROM read_csv('{path}', all_varchar=true, header=true)")
    queried = {r[1]: (float(r[2]), float(r[4]), r[6]) for r in con.execute(made.stdout).fetchall()}
    result = runner.invoke(app, ["rank", str(path), "--format", "csv"])
    ranked = {r["deal"]: (float(r["qualification"]), float(r["red_flags"]), r["verdict"])
              for r in csv.DictReader(io.StringIO(result.stdout))}
    assert queried == ranked and ranked["Acme"][1] == 1


def _scored(compiled: object, rows: list[list[str]]) -> dict[str, tuple[float, ...]]:
    columns = match_columns(rows[0], compiled, "x.csv")  # type: ignore[arg-type]
    order = tuple(range(len(compiled.playbook.scores)))  # type: ignore[attr-defined]
    scorer = FastScorer(compiled, columns, order, "2027-01-04")  # type: ignore[arg-type]
    text = io.StringIO()
    csv.writer(text).writerows(rows[1:])
    scorer.feed(csv.reader(io.StringIO(text.getvalue())), lambda problem: None)
    # Each total read in its own direction: the larger, the better.
    signs = [1 if score.better == "higher" else -1 for score in compiled.playbook.scores]  # type: ignore[attr-defined]
    return {deal: tuple(sign * total for sign, total in zip(signs, standing.totals, strict=True))
            for deal, _l, standing, _r, _o, _a in scorer.ranked().rows()}


@pytest.mark.parametrize("playbook", ["qualify", "pulse", "review", "recover"])
def test_a_missing_column_scores_every_deal_as_blank_cells_do(tmp_path: Path, playbook: str) -> None:
    """For every question a bundled playbook's ranking reads: the export without its column gives every
    deal the scores of the same export with that column blank, never worse."""
    compiled = catalog.load(playbook)[0]
    if fast_path_obstacle(compiled) is not None or not compiled.playbook.scores:
        pytest.skip(f"{playbook} is not ranked by the fast scorer")
    path = tmp_path / "sample.csv"
    make_sample_csv(path, 300, 11, playbook)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    read = questions_read(compiled)
    for q in compiled.playbook.questions:
        if q.id not in read or needs_answer(q):
            continue
        at = rows[0].index(q.id)
        blank = _scored(compiled, [rows[0], *([*r[:at], "", *r[at + 1:]] for r in rows[1:])])
        missing = _scored(compiled, [[*r[:at], *r[at + 1:]] for r in rows])
        assert missing == blank, f"{playbook}: without a {q.id} column the deals score otherwise than with it blank"


def test_rank_json_writes_c1_and_bidi_controls_as_escapes_as_every_json_output_does(tmp_path: Path) -> None:
    path = tmp_path / "controls.csv"
    path.write_text("deal,pulse,Notes\nAcme\u202e,3,line\x85next \u2028 and \x9b31m\n", encoding="utf-8")
    result = runner.invoke(app, ["rank", str(path), "-p", "pulse", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    for raw, escaped in (("\u202e", "\\u202e"), ("\x85", "\\u0085"), ("\u2028", "\\u2028"), ("\x9b", "\\u009b")):
        assert raw not in result.stdout and escaped in result.stdout
    row = json.loads(result.stdout)["rows"][0]
    assert row["deal"] == "Acme\u202e" and row["columns"]["Notes"] == "line\x85next \u2028 and \x9b31m"
