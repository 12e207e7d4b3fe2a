"""``dealrescue rank``: a CSV export in, deals ranked most at risk first; bad rows reported, never lost."""

from __future__ import annotations

import csv
import io
import json
import random
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dealrescue.catalog import finder as catalog
from dealrescue.cli.app import app
from dealrescue.commands.rankfile import score_file
from dealrescue.core.rank import EngineScorer, FastScorer, fast_path_obstacle, make_scorer, match_columns
from tests.crm_exports import make_sample_csv

runner = CliRunner()

HEADER = "deal,signals,pulse,asked_loss_question,calling_high,competitor_knocking,knows_their_fear,shared_our_fear,in_the_way"
SMALL = f"""\
{HEADER}
Cobalt,tip_of_iceberg,7,yes,yes,no,yes,yes,yes
Echo,,,,,,,,
Acme,announced,2,no,no,yes,no,no,no
delta,,9,yes,yes,no,yes,yes,yes
Zulu,tip_of_iceberg,7,yes,yes,no,yes,yes,yes
Beta,contract_request,5,yes,partly,no,yes,yes,yes
alpha,tip_of_iceberg,7,yes,yes,no,yes,yes,yes
"""
SMALL_ORDER = ["Acme", "Beta", "alpha", "Cobalt", "Zulu", "Echo", "delta"]

# A scored playbook that uses what pulse does not: a required question, a rule naming two
# questions, a verdict naming an answer, a `when`, a text answer with a rule, numbers.
DEALS_PLAYBOOK = """\
id: deals
version: 1
title: Deal risk
summary: A small scored playbook for rank tests.
questions:
  - id: stage
    prompt: Which stage?
    type: select
    choices:
      - {value: early, label: Early, points: {risk: 1, heat: 1}}
      - {value: late, label: Late, points: {risk: 3, heat: 2}}
  - id: champion
    prompt: Do you have a champion?
    type: confirm
    required: false
    default: true
  - id: competitor
    prompt: Which competitor?
    required: false
    when: stage == "late"
  - id: budget
    prompt: Budget in k$?
    type: number
    required: false
    min: 0
  - id: seats
    prompt: How many seats at stake?
    type: scale
    required: false
    points: {heat: 0.5}
scores:
  - id: risk
    title: Risk
    rules:
      - {when: 'champion == false', points: 2, label: No champion}
      - {when: 'stage == "late" and champion == false', points: 1, label: Late without a champion}
      - {when: 'competitor == "Globex"', points: 1, label: Up against Globex}
      - {when: 'budget is not none and budget < 10', points: 1.5, label: Small budget}
      - {when: 'today > "2000-01-01"', points: 0.25, label: Time passes}
    bands:
      - {id: low, min: 0, label: Low}
      - {id: high, min: 4, label: High}
  - id: heat
    title: Heat
    combine: max
    bands:
      - {id: cold, min: 0, label: Cold}
      - {id: hot, min: 2, label: Hot}
verdicts:
  - id: escalate
    when: bands.risk == "high" and stage == "late"
    title: Escalate
    rationale: Escalate {{ deal }}.
  - id: watch
    when: scores.heat >= 2
    title: Watch closely
    rationale: Watch {{ deal }}.
  - id: fine
    default: true
    title: Fine
    rationale: Keep going with {{ deal }}.
"""


def invoke(*args: object):  # type: ignore[no-untyped-def]
    """rank with the pulse playbook these files answer (unless the test names one)."""
    names = [str(a) for a in args]
    if names[:1] == ["rank"] and "--playbook" not in names and "-p" not in names:
        names += ["--playbook", "pulse"]
    return runner.invoke(app, names)


def write(tmp_path: Path, text: str, name: str = "accounts.csv") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def parsed(stdout: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(stdout)))


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return write(tmp_path, SMALL)


@pytest.fixture
def deals_playbook(tmp_path: Path) -> Path:
    path = tmp_path / "deals.yaml"
    path.write_text(DEALS_PLAYBOOK, encoding="utf-8")
    return path


# --- order and content -------------------------------------------------------------------------


def test_small_csv_ranks_most_at_risk_first_ties_by_name(small: Path) -> None:
    result = invoke("rank", small)
    assert result.exit_code == 0, result.stderr
    # Only the note naming the questions this export has no column for (read as blank cells).
    assert [line for line in result.stderr.splitlines() if ": no column for " not in line] == []
    rows = parsed(result.stdout)
    assert [r["deal"] for r in rows] == SMALL_ORDER
    assert [r["rank"] for r in rows] == [str(n) for n in range(1, 8)]
    acme, beta, echo, delta = rows[0], rows[1], rows[5], rows[6]
    assert (acme["step"], acme["step_band"], acme["risk"], acme["risk_band"]) == ("4", "decision", "26", "critical")
    assert (acme["verdict"], acme["verdict_title"]) == ("long_shot_decision", "Long shot: they are deciding to leave")
    assert acme["reasons"].startswith("They have told us they are leaving, or given formal notice; ")
    assert (beta["step"], beta["risk"], beta["verdict"]) == ("3", "9", "rescue_due_diligence")
    # Blank cells are "not answered": the defaults, whose blind spots add to the risk.
    assert (echo["step"], echo["risk"], echo["risk_band"], echo["verdict"]) == ("0", "8", "watch", "healthy_keep_close")
    assert (delta["step"], delta["risk"], delta["reasons"]) == ("0", "0", "")


def test_by_chooses_the_primary_score(small: Path) -> None:
    result = invoke("rank", small, "--by", "risk")
    assert result.exit_code == 0, result.stderr
    rows = parsed(result.stdout)
    assert [r["deal"] for r in rows] == ["Acme", "Beta", "Echo", "alpha", "Cobalt", "Zulu", "delta"]
    assert [int(r["risk"]) for r in rows] == sorted((int(r["risk"]) for r in rows), reverse=True)


def test_unknown_by_and_format_are_usage_errors(small: Path) -> None:
    by = invoke("rank", small, "--by", "danger")
    assert by.exit_code == 2
    assert "no such score" in by.stderr and "step, risk" in by.stderr
    fmt = invoke("rank", small, "--format", "xml")
    assert fmt.exit_code == 2
    assert "'--format': 'xml' is not one of 'table', 'csv', 'json'" in fmt.stderr


def test_playbook_without_scores_is_refused(small: Path, mini: Path) -> None:
    result = invoke("rank", small, "--playbook", mini)
    assert result.exit_code == 2
    assert "no scores" in result.stderr


# --- bad rows ----------------------------------------------------------------------------------


def test_bad_rows_are_reported_with_line_and_column_and_the_rest_ranked(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""\
        {HEADER}
        Good one,announced,2,no,no,yes,no,no,no
        Bad pulse,,11,yes,yes,no,yes,yes,yes
        Good two,,9,yes,yes,no,yes,yes,yes
        Bad twice,,8,maybe,sideways,no,yes,yes,yes
        ,,9,yes,yes,no,yes,yes,yes
        Short row,,9
        """,
    )
    result = invoke("rank", path)
    assert result.exit_code == 2
    # A bad cell is a warning: its row is ranked without that answer. Rows with no deal name,
    # or cut short, are left out.
    ranked = {r["deal"]: r for r in parsed(result.stdout)}
    assert set(ranked) == {"Good one", "Bad pulse", "Good two", "Bad twice"}
    assert "Pulse" not in ranked["Bad pulse"]["reasons"] or "No pulse reading" in ranked["Bad pulse"]["reasons"]
    lines = result.stderr.splitlines()
    assert f"warning: {path}:3: column pulse: must be at most 10 (got '11')" in lines
    assert f"warning: {path}:5: column asked_loss_question: answer yes or no (got 'maybe')" in lines
    assert any(line.startswith(f"warning: {path}:5: column calling_high: 'sideways' is not one of the choices")
               for line in lines)
    assert f"{path}:6: column deal: a deal name is required" in lines
    assert any(line.startswith(f"{path}:7: column asked_loss_question: missing") for line in lines)
    # Rows left out come first, then the warnings, then the data-quality line.
    assert lines.index(f"{path}:6: column deal: a deal name is required") < lines.index(
        f"warning: {path}:3: column pulse: must be at most 10 (got '11')")
    assert lines[-3] == (f"{path}: 6 rows: 4 ranked, 2 left out, 0 skipped; 3 of 48 answer cells "
                         "not understood (6.2%)")
    assert lines[-2].startswith("error: 2 bad rows were left out of the ranking")
    assert "(4 ranked)" in lines[-2]


def test_line_numbers_count_line_breaks_inside_quoted_cells(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""\
        {HEADER}
        "Multi
        line
        deal",,9,yes,yes,no,yes,yes,yes

        Bad,,zero,yes,yes,no,yes,yes,yes
        """,
    )
    result = invoke("rank", path)
    assert result.exit_code == 0
    assert f"warning: {path}:6: column pulse: 'zero' is not a number" in result.stderr
    assert [r["deal"] for r in parsed(result.stdout)] == ["Bad", "Multi\nline\ndeal"]


def test_blank_lines_and_trailing_empty_cells_are_not_rows(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\n\nAcme,,9,yes,yes,no,yes,yes,yes,,\n,,,,,,,,\n")
    result = invoke("rank", path)
    assert result.exit_code == 0, result.stderr
    assert [r["deal"] for r in parsed(result.stdout)] == ["Acme"]


# --- columns -----------------------------------------------------------------------------------


def test_missing_optional_columns_take_their_defaults(tmp_path: Path) -> None:
    short = write(tmp_path, "deal,signals\nAcme,looking_at_options\nBeta,\n", "short.csv")
    full = write(
        tmp_path,
        "deal,signals,asked_loss_question,calling_high,competitor_knocking,knows_their_fear,shared_our_fear,in_the_way\n"
        "Acme,looking_at_options,no,not_sure,dont_know,no,no,no\nBeta,,no,not_sure,dont_know,no,no,no\n",
        "full.csv",
    )
    first, second = invoke("rank", short), invoke("rank", full)
    assert first.exit_code == second.exit_code == 0
    # The same ranking; the full file's own columns follow it (every input column is kept).
    width = len(parsed(first.stdout)[0])
    assert [list(r.values())[:width] for r in parsed(first.stdout)] == [
        list(r.values())[:width] for r in parsed(second.stdout)]
    # Only the note naming the questions this export has no column for (read as blank cells).
    assert [line for line in first.stderr.splitlines() if ": no column for " not in line] == []


def test_missing_required_column_is_an_error_before_any_row(tmp_path: Path, deals_playbook: Path) -> None:
    path = write(tmp_path, "deal,champion\nAcme,yes\nBad,perhaps\n")
    result = invoke("rank", path, "--playbook", deals_playbook)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"error: {path}: no column for required question stage" in result.stderr
    assert "perhaps" not in result.stderr


def test_missing_deal_column_is_an_error(tmp_path: Path) -> None:
    result = invoke("rank", write(tmp_path, "region,pulse\nEMEA,3\n"))
    assert result.exit_code == 2
    assert "no deal column" in result.stderr
    # A delimiter forced wrong, or one rank does not find by itself: the hint names the option.
    semicolons = invoke("rank", write(tmp_path, "deal;pulse\nAcme;3\n", "semi.csv"), "--delimiter", ",")
    assert semicolons.exit_code == 2
    assert "separated by ';': say so with --delimiter ';'" in semicolons.stderr
    pipes = invoke("rank", write(tmp_path, "deal|pulse\nAcme|3\n", "pipes.csv"))
    assert pipes.exit_code == 2
    assert "--delimiter '|'" in pipes.stderr
    assert invoke("rank", tmp_path / "pipes.csv", "--delimiter", "|", "--format", "csv").exit_code == 0


def test_headers_are_forgiving_and_other_columns_passed_through(tmp_path: Path, small: Path) -> None:
    forgiving = (
        "\ufeff Deal ,Signals,PULSE,Asked-Loss Question,calling high,Competitor  Knocking,"
        "knows-their-fear,Shared Our Fear,In_The_Way,Owner,Pulse Notes\n"
    )
    rows = [line + ",Sam,fine" for line in SMALL.splitlines()[1:]]
    path = write(tmp_path, forgiving + "\n".join(rows) + "\n", "forgiving.csv")
    result = invoke("rank", path)
    assert result.exit_code == 0, result.stderr
    # Only the note naming the questions this export has no column for (read as blank cells).
    assert [line for line in result.stderr.splitlines() if ": no column for " not in line] == []
    plain = parsed(invoke("rank", small).stdout)
    rows = parsed(result.stdout)
    ranking = ["rank", "deal", "step", "step_band", "risk", "risk_band", "verdict", "verdict_title", "reasons"]
    assert [{k: r[k] for k in ranking} for r in rows] == [{k: r[k] for k in ranking} for r in plain]
    assert list(rows[0])[len(ranking):] == next(csv.reader(io.StringIO(forgiving.lstrip("\ufeff"))))
    assert {(r["Owner"], r["Pulse Notes"]) for r in rows} == {("Sam", "fine")}
    close = write(tmp_path, "deal,puls,Owner\nAcme,3,Sam\n", "close.csv")
    warned = invoke("rank", close)
    assert warned.stderr.startswith(f"warning: {close}: column 'puls' (did you mean pulse?) read by no question")


def test_two_columns_for_one_question_are_refused(tmp_path: Path) -> None:
    result = invoke("rank", write(tmp_path, "deal,Pulse,pulse\nAcme,3,4\n"))
    assert result.exit_code == 2
    assert "columns 'Pulse' and 'pulse' both give pulse" in result.stderr


# --- files -------------------------------------------------------------------------------------


@pytest.mark.parametrize("content", ["", "\n\n", "\r\n"])
def test_empty_file_is_a_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "empty.csv"
    path.write_text(content, encoding="utf-8")
    result = invoke("rank", path)
    assert result.exit_code == 2
    assert f"error: {path} is empty" in result.stderr
    assert result.stdout == ""


def test_header_only_file_says_no_rows_and_exits_0(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "\n")
    as_csv = invoke("rank", path)
    assert as_csv.exit_code == 0
    assert "No rows to rank" in as_csv.stderr
    assert as_csv.stdout.splitlines() == ["rank,deal,step,step_band,risk,risk_band,verdict,verdict_title,reasons,"
                                          + HEADER.removeprefix("deal,")]
    as_json = invoke("rank", path, "--format", "json")
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout)["rows"] == []
    as_table = invoke("rank", path, "--format", "table")
    assert as_table.exit_code == 0
    assert "0 ranked" in as_table.stdout


def test_non_utf8_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "\nAcme,,9,yes,yes,no,yes,yes,yes\nSoci\xe9t\xe9,,9,yes,yes,no,yes,yes,yes\n").encode("latin-1"))
    result = invoke("rank", path, "--encoding", "utf-8")  # forced: the byte is named, not guessed
    assert result.exit_code == 2
    assert f"error: {path}:3: not UTF-8 text (byte 0xe9 at column 5)" in result.stderr
    assert "--encoding cp1252" in result.stderr
    found = invoke("rank", path, "--format", "csv")  # found: Windows-1252, said in the summary
    assert found.exit_code == 0, found.stderr
    assert "Société" in found.stdout
    assert "read as Windows-1252 text (not UTF-8; --encoding names another)" in found.stderr


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("rank", tmp_path / "nope.csv")
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_a_cell_over_the_csv_limit_is_skipped_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER},notes\nAcme,,9,yes,yes,no,yes,yes,yes,short\n"
                           f"Huge,,9,yes,yes,no,yes,yes,yes,{'x' * 200_000}\n"
                           f"Long answer,{'y' * 140_000},9,yes,yes,no,yes,yes,yes,\n")
    result = invoke("rank", path)
    assert result.exit_code == 0, result.stderr
    rows = {r["deal"]: r for r in parsed(result.stdout)}
    assert set(rows) == {"Acme", "Huge", "Long answer"}
    assert rows["Huge"]["notes"] == "" and rows["Acme"]["notes"] == "short"
    assert (f"warning: {path}:3: column notes: a cell of 200,000 characters, over the 131,072 a CSV cell may hold: "
            "skipped") in result.stderr.splitlines()
    assert f"warning: {path}:4: column signals: a cell of 140,000 characters" in result.stderr


def test_an_unclosed_quote_is_pointed_out(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""\
        {HEADER}
        Acme,"announced,2,no,no,yes,no,no,no
        Beta,,9,yes,yes,no,yes,yes,yes
        Cobalt,,9,yes,yes,no,yes,yes,yes
        """,
    )
    result = invoke("rank", path)
    assert result.exit_code == 2
    assert f"{path}:2: column pulse: missing: the row has 2 cells, the header 9; the row runs to line 4" in (
        result.stderr
    )


def test_output_file_needs_force_to_be_replaced(tmp_path: Path, small: Path) -> None:
    out = tmp_path / "ranked.json"
    first = invoke("rank", small, "--format", "json", "-o", out)
    assert first.exit_code == 0, first.stderr
    assert first.stdout == ""
    assert json.loads(out.read_text())["rows"][0]["deal"] == "Acme"
    again = invoke("rank", small, "-o", out)
    assert again.exit_code == 2
    assert "already exists" in again.stderr
    forced = invoke("rank", small, "-o", out, "--force")
    assert forced.exit_code == 0
    assert out.read_text().startswith("rank,deal,")


# --- output shapes -----------------------------------------------------------------------------


def test_csv_shape(small: Path) -> None:
    result = invoke("rank", small, "--format", "csv")
    header = result.stdout.splitlines()[0].split(",")
    # The ranking's columns, then every column of the file in its order (one named "deal" is not repeated).
    assert header == ["rank", "deal", "step", "step_band", "risk", "risk_band", "verdict", "verdict_title", "reasons",
                      *HEADER.split(",")[1:]]
    assert result.stdout_bytes.endswith(b"\n")
    assert b"\r" not in result.stdout_bytes


def test_json_shape(small: Path) -> None:
    result = invoke("rank", small, "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["playbook"] == {"id": "pulse", "title": "Account pulse", "version": 2}
    assert doc["by"] == "step"
    assert doc["bad_rows"] == []
    first = doc["rows"][0]
    assert set(first) == {"rank", "deal", "line", "scores", "verdict", "reasons", "columns"}
    assert list(first["columns"]) == HEADER.split(",")[1:]
    assert first["rank"] == 1 and first["deal"] == "Acme" and first["line"] == 4
    assert first["scores"]["step"] == {"total": 4, "band": "decision", "label": "Step 4: deciding to defect"}
    assert first["scores"]["risk"]["total"] == 26
    assert first["verdict"] == {"id": "long_shot_decision", "title": "Long shot: they are deciding to leave"}
    assert len(first["reasons"]) == 3


def test_json_lists_bad_rows(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\nAcme,,11,yes,yes,no,yes,yes,yes\n,,3,,,,,,\n")
    doc = json.loads(invoke("rank", path, "--format", "json").stdout)
    assert [r["deal"] for r in doc["rows"]] == ["Acme"]
    assert doc["ignored_cells"] == [{"line": 2, "column": "pulse", "message": "must be at most 10 (got '11')"}]
    assert doc["bad_rows"] == [{"line": 3, "column": "deal", "message": "a deal name is required"}]


def test_csv_quoting_round_trips_awkward_deal_names(tmp_path: Path) -> None:
    names = ['Acme, Inc.', 'The "Best" Co', "Two\nlines", "  spaced  ", "Plain"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["deal", "pulse"])
    for name in names:
        writer.writerow([name, "5"])
    path = tmp_path / "awkward.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    result = invoke("rank", path)
    assert result.exit_code == 0, result.stderr
    assert sorted(r["deal"] for r in parsed(result.stdout)) == sorted(n.strip() for n in names)
    again = io.StringIO()
    csv.writer(again, lineterminator="\n").writerows(csv.reader(io.StringIO(result.stdout_bytes.decode())))
    assert again.getvalue() == result.stdout_bytes.decode()  # written exactly as csv.writer would


def test_table_format_shows_labels(small: Path) -> None:
    result = invoke("rank", small, "--format", "table")
    assert result.exit_code == 0
    assert "Acme" in result.stdout and "Long shot" in result.stdout and "Step 4: deciding" in result.stdout
    by_risk = invoke("rank", small, "--format", "table", "--by", "risk")
    assert "Critical" in by_risk.stdout
    assert "\x1b[" not in result.stdout


# --- the fast scorer is the engine, faster -----------------------------------------------------


def _with_bad_cells(path: Path, seed: int) -> None:
    rng = random.Random(seed)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    for row in rows[1:]:
        if rng.random() < 0.08:
            row[rng.randrange(len(row))] = rng.choice(["", "nonsense", "11", "-1", "YES", "Partly", "2.5"])
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def _random_deals_csv(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["deal", "stage", "champion", "competitor", "budget", "seats"])
        for _row in range(rows):
            writer.writerow([
                f"Deal {rng.randrange(50)}",
                rng.choice(["early", "late", "Late", "", "middle"]),
                rng.choice(["yes", "no", "", "n"]),
                rng.choice(["Globex", "Initech", ""]),
                rng.choice(["", "5", "50", "9.5", "-3", "lots"]),
                rng.choice(["", "1", "4", "10", "11"]),
            ])


@pytest.mark.parametrize("by", [None, "risk"])
@pytest.mark.parametrize("seed", [1, 2])
def test_fast_scorer_matches_the_engine_on_pulse(tmp_path: Path, seed: int, by: str | None) -> None:
    path = tmp_path / "sample.csv"
    make_sample_csv(path, 400, seed=seed)
    _with_bad_cells(path, seed)
    _assert_same(path, "pulse", by)


@pytest.mark.parametrize("by", [None, "heat"])
def test_fast_scorer_matches_the_engine_on_a_playbook_with_more_kinds_of_rules(
    tmp_path: Path, deals_playbook: Path, by: str | None
) -> None:
    assert fast_path_obstacle(catalog.load_file(deals_playbook)) is None
    path = tmp_path / "deals.csv"
    _random_deals_csv(path, 400, seed=3)
    _assert_same(path, str(deals_playbook), by)


def _assert_same(path: Path, playbook: str, by: str | None) -> None:
    from dealrescue.core.rank import score_order

    compiled, _origin = catalog.load(playbook)
    order = score_order(compiled, by)
    fast = score_file(path, compiled, order, "2026-11-22")
    slow = score_file(path, compiled, order, "2026-11-22", engine=True)
    fast_rows, slow_rows = list(fast.ranked.rows()), list(slow.ranked.rows())
    assert fast_rows and fast_rows == slow_rows
    assert fast.scorer.ignored_cells == slow.scorer.ignored_cells > 0
    assert fast.scorer.bad_rows == slow.scorer.bad_rows
    assert {(p.line, p.left_out) for p in fast.problems} == {(p.line, p.left_out) for p in slow.problems}
    for problem in slow.problems:
        assert problem in fast.problems


def test_playbooks_the_fast_scorer_cannot_take_use_the_engine(tmp_path: Path, deals_playbook: Path) -> None:
    text = DEALS_PLAYBOOK.replace("when: 'champion == false', points: 2", "when: 'deal == \"Acme\"', points: 2")
    path = tmp_path / "by-name.yaml"
    path.write_text(text, encoding="utf-8")
    compiled = catalog.load_file(path)
    assert fast_path_obstacle(compiled) == "scores[0].rules[0].when uses deal"
    columns = match_columns(["deal", "stage"], compiled, "x.csv")
    assert isinstance(make_scorer(compiled, columns, (0, 1), "2026-11-22"), EngineScorer)
    assert isinstance(make_scorer(catalog.load("pulse")[0], match_columns(["deal"], catalog.load("pulse")[0], "x"),
                                  (0, 1), "2026-11-22"), FastScorer)
    csv_path = write(tmp_path, "deal,stage\nAcme,early\nBeta,early\n")
    result = invoke("rank", csv_path, "--playbook", path)
    assert result.exit_code == 0, result.stderr
    assert [r["deal"] for r in parsed(result.stdout)] == ["Acme", "Beta"]


def test_sample_generator_writes_only_good_rows(tmp_path: Path) -> None:
    path = tmp_path / "sample.csv"
    make_sample_csv(path, 200, seed=7)
    result = invoke("rank", path)
    assert result.exit_code == 0, result.stderr
    assert len(parsed(result.stdout)) == 200
