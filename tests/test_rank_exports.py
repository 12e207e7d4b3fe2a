"""``rank`` on the MEDDPICC exports sales teams really have (issue 23): their CRM's words, their
report's footers, closed deals, blank names, and no verdict made worse by a cell nobody could read."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dealrescue.catalog import finder as catalog
from dealrescue.cli.app import app
from dealrescue.core.rank import CellReader, EngineScorer, FastScorer, Standing, match_columns
from tests.crm_exports import (
    dynamics_meddpicc_export,
    hubspot_meddpicc_export,
    pipedrive_meddpicc_export,
    salesforce_meddpicc_report,
)

runner = CliRunner()
EXPORTS = [salesforce_meddpicc_report, hubspot_meddpicc_export, dynamics_meddpicc_export, pipedrive_meddpicc_export]


def _json(path: Path, *args: str) -> tuple[dict, str, int]:  # type: ignore[type-arg]
    result = runner.invoke(app, ["rank", str(path), "--format", "json", *args])
    return json.loads(result.stdout), result.stderr, result.exit_code


@pytest.mark.parametrize("export", EXPORTS, ids=lambda f: f.__name__.split("_")[0])
def test_each_crm_export_ranks_its_open_deals_and_skips_the_rest(tmp_path: Path, export) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "export.csv"
    made = export(path)
    doc, stderr, code = _json(path)
    quality = doc["quality"]
    assert set(quality) == {"rows", "ranked", "left_out", "skipped", "cells", "ignored"}
    assert quality["left_out"] == made["nameless"]
    assert code == (2 if made["nameless"] else 0), stderr
    assert quality["skipped"] == made["closed"] + made["footer"]
    assert quality["ranked"] == made["rows"] - made["closed"] - made["nameless"]
    assert quality["rows"] == quality["ranked"] + quality["left_out"] + quality["skipped"]
    # The figure: at most 2% of answer cells not understood.
    assert quality["ignored"] <= 0.02 * quality["cells"], stderr
    assert len(doc["rows"]) == quality["ranked"]
    assert "skipped" in stderr and "closed deal" in stderr


def test_salesforce_report_footer_closed_deals_and_blank_names(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    salesforce_meddpicc_report(path)
    doc, stderr, code = _json(path)
    assert code == 2
    lines = stderr.splitlines()
    # The one row with no name at all comes first, and is the only row left out.
    assert lines[0].endswith("column Opportunity Name: no name: 'Opportunity Name' and 'Account Name' are blank")
    assert "5 report lines (Total; Confidential Information" in stderr
    assert "missing: the row has" not in stderr
    with path.open(encoding="utf-8-sig", newline="") as handle:
        source = list(csv.DictReader(handle))
    unnamed = {r["Account Name"] for r in source if not r["Opportunity Name"] and r["Account Name"]}
    assert unnamed and unnamed <= {row["deal"] for row in doc["rows"]}
    stages = {row["columns"]["Stage"] for row in doc["rows"]}
    assert not stages & {"Closed Won", "Closed Lost"}


def test_a_cell_it_cannot_read_never_counts_against_the_deal(tmp_path: Path) -> None:
    """The issue's repro: B (Salesforce's "Perception Analysis") and A (blank stage) are read alike."""
    path = tmp_path / "m.csv"
    path.write_text("Opportunity Name,Stage,Metrics,Economic Buyer\nA,,Confirmed,Confirmed\n"
                    "B,Perception Analysis,Confirmed,Confirmed\nC,Sideways,Confirmed,Confirmed\n", encoding="utf-8")
    result = runner.invoke(app, ["rank", str(path), "--format", "csv"])
    assert result.exit_code == 0, result.stderr
    rows = {row["deal"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert [rows["C"][k] for k in ("qualification", "red_flags", "verdict")] == [
        rows["A"][k] for k in ("qualification", "red_flags", "verdict")] == ["30", "0", "at_risk"]
    # Salesforce's stage name is read (evaluation), so B is judged at its real stage.
    assert rows["B"]["red_flags"] == "3"
    assert "column Stage: 'Sideways' is not one of the choices" in result.stderr
    assert "Perception" not in result.stderr


_QUALIFY = catalog.load("qualify")[0]
_HEADER = ["Opportunity Name", "Stage", "Metrics", "Economic Buyer", "Decision Criteria", "Identify Pain", "Champion",
           "Competition", "Paper Process"]
_CELLS = st.sampled_from(["", "Yes", "No", "N/A", "Met", "Validated", "confirmed", "Not Identified", "Proposal/Price Quote",
                          "Negotiation/Review", "Prospecting", "Discovery", "x", "TBD", "Oracle"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(row=st.lists(_CELLS, min_size=8, max_size=8), column=st.sampled_from([0, 3, 7]),
       garbage=st.text(alphabet="bcqz?!%0# ", min_size=1, max_size=8))
def test_garbage_in_a_cell_gives_exactly_the_blank_cells_result(row: list[str], column: int, garbage: str) -> None:
    """Stage, Decision Criteria and Paper Process have no ``other``: text they cannot read is garbage."""
    columns = match_columns(_HEADER, _QUALIFY, "x.csv")
    question = _QUALIFY.playbook.question(["stage", "", "", "decision_criteria", "", "", "", "paper_process"][column])
    assert question is not None
    reader = CellReader()
    assume(not reader.blank(question, garbage))
    assume(reader.canonical(question, garbage) not in {c.value for c in question.choices})
    order = (0, 1)
    results = []
    for scorer_class in (EngineScorer, FastScorer):
        for cell in ("", garbage):
            cells = list(row)
            cells[column] = cell
            scorer = scorer_class(_QUALIFY, columns, order, "2027-01-04", CellReader())
            scorer.feed(iter_reader([["Deal", *cells]]), lambda problem: None)
            results.append((scorer.standings[0].totals, scorer.standings[0].verdict, scorer.reasons[0]))
    assert results[0] == results[1] == results[2] == results[3]


class iter_reader:  # noqa: N801 - a stand-in for csv.reader
    def __init__(self, rows: list[list[str]]) -> None:
        self.rows = iter(rows)
        self.line_num = 1

    def __iter__(self) -> iter_reader:
        return self

    def __next__(self) -> list[str]:
        row = next(self.rows)
        self.line_num += 1
        return row


def test_aliases_other_and_null_words(tmp_path: Path) -> None:
    path = tmp_path / "words.csv"
    path.write_text("Deal Name,Deal Stage,Champion,Competition,Decision Maker,Identify Pain\n"
                    "A,Contract Sent,Yes - Anna (IT Dir),Oracle,Met,N/A\n"
                    "B,4-Close,TRUE,None,Not Identified,-\n", encoding="utf-8")
    result = runner.invoke(app, ["rank", str(path), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    # Only the note naming the questions this export has no column for (read as blank cells).
    assert [line for line in result.stderr.splitlines() if ": no column for " not in line] == []
    doc = json.loads(result.stdout)
    totals = {row["deal"]: row["scores"]["qualification"]["total"] for row in doc["rows"]}
    # A: champion identified (3) + competition identified (2) + economic buyer met = validated (9).
    assert totals == {"A": 14, "B": 3}
    assert doc["quality"] == {"rows": 2, "ranked": 2, "left_out": 0, "skipped": 0, "cells": 10, "ignored": 0}


def test_typed_answers_take_aliases() -> None:
    from dealrescue.core.answers import parse_answer

    stage = _QUALIFY.playbook.question("stage")
    assert parse_answer(stage, "negotiation/review") == "negotiation"
    assert parse_answer(stage, "Contract  Sent") == "negotiation"
    assert parse_answer(_QUALIFY.playbook.question("champion"), True) == "identified"


def test_ties_go_by_the_next_score_in_its_own_direction(tmp_path: Path) -> None:
    """qualify: equal qualification, fewer warning signs first (red_flags: better lower)."""
    path = tmp_path / "ties.csv"
    path.write_text("deal,stage,pain,champion\nMany,proposal,unknown,unknown\nNone,discovery,unknown,unknown\n",
                    encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(runner.invoke(app, ["rank", str(path), "--format", "csv"]).stdout)))
    assert [(r["deal"], r["qualification"], r["red_flags"]) for r in rows] == [("None", "0", "0"), ("Many", "0", "5")]


def test_map_and_map_file_and_explain_columns(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("Opp,Where,Hurts\nAcme,Proposal/Price Quote,Validated\n", encoding="utf-8")
    mapped = tmp_path / "map.yaml"
    mapped.write_text("Opp: deal\nWhere: stage\n", encoding="utf-8")
    result = runner.invoke(app, ["rank", str(path), "--map-file", str(mapped), "--map", "Hurts=pain",
                                 "--explain-columns"])
    assert result.exit_code == 0, result.stderr
    assert "'Opp': the deal name (--map)" in result.stdout
    assert "'Hurts': question pain (--map)" in result.stdout
    bad = runner.invoke(app, ["rank", str(path), "--map", "Nope=pain"])
    assert bad.exit_code == 2 and "--map 'Nope'" in bad.stderr
    wrong = runner.invoke(app, ["rank", str(path), "--map", "Hurts=pains"])
    assert wrong.exit_code == 2 and "neither a question id" in wrong.stderr


def test_csv_header_cells_are_neutralised_and_json_keeps_same_named_columns(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text('deal,pulse,"=HYPERLINK(""http://x"")",Note,Note\nAcme,3,a,first,second\n', encoding="utf-8")
    out = runner.invoke(app, ["rank", str(path), "-p", "pulse", "--format", "csv"])
    assert out.exit_code == 0, out.stderr
    assert next(csv.reader(io.StringIO(out.stdout)))[-3] == "'=HYPERLINK(\"http://x\")"
    doc = json.loads(runner.invoke(app, ["rank", str(path), "-p", "pulse", "--format", "json"]).stdout)
    assert doc["rows"][0]["columns"]["Note"] == "first" and doc["rows"][0]["columns"]["Note (2)"] == "second"


def test_bounded_reads(tmp_path: Path) -> None:
    long_line = tmp_path / "long.csv"
    with long_line.open("wb") as handle:
        handle.write(b"deal,pulse\n")
        handle.write(b"x" * (65 << 20))
    result = runner.invoke(app, ["rank", str(long_line), "-p", "pulse"])
    assert result.exit_code == 2 and ":2: a line over 64 MiB" in result.stderr
    wide = tmp_path / "wide.csv"
    wide.write_text("deal," + ",".join(f"c{i}" for i in range(20_000)) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["rank", str(wide), "-p", "pulse"])
    assert result.exit_code == 2 and "a header of 20,001 columns" in result.stderr


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_and_pipes_through_the_installed_cli(tmp_path: Path) -> None:
    zero = subprocess.run([sys.executable, "-m", "dealrescue", "rank", "/dev/zero", "-p", "pulse"], capture_output=True,
                          text=True, timeout=120)
    assert zero.returncode == 2 and "a line over 64 MiB" in zero.stderr
    data = "deal,pulse,Owner\nAcme,3,Sam\nBeta,9,Ann\n"
    for name in ("/dev/stdin", "-"):  # - as for --answers -
        piped = subprocess.run([sys.executable, "-m", "dealrescue", "rank", name, "-p", "pulse", "--format", "csv"],
                               input=data, capture_output=True, text=True, timeout=120)
        assert piped.returncode == 0, piped.stderr
        assert {(r["deal"], r["Owner"]) for r in csv.DictReader(io.StringIO(piped.stdout))} == {("Acme", "Sam"),
                                                                                                 ("Beta", "Ann")}
    # --sql --columns-from - reads the header from standard input too (it said "cannot read -: no such file").
    piped = subprocess.run([sys.executable, "-m", "dealrescue", "rank", "--sql", "--table", "t", "-p", "pulse",
                            "--columns-from", "-"], input=data, capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0, piped.stderr
    assert 'FROM "t" AS src' in piped.stdout and 'src."pulse"' in piped.stdout


def test_a_file_changed_while_ranked_is_an_error_not_a_spin(tmp_path: Path) -> None:
    from dealrescue.commands.rankfile import passed_cells, score_file
    from dealrescue.errors import UsageError

    path = tmp_path / "c.csv"
    path.write_text("deal,pulse,Owner\nAcme,3,Sam\n", encoding="utf-8")
    pulse = catalog.load("pulse")[0]
    scored = score_file(path, pulse, (0, 1), "2027-01-04")
    path.write_text("deal,pulse,Owner\nAcme,3,Sam\nBeta,4,Ann\n", encoding="utf-8")
    with pytest.raises(UsageError, match="changed while rank was reading it"):
        passed_cells(scored)


def test_disqualified_rows_show_their_warning_signs_and_html_says_the_data_quality(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    salesforce_meddpicc_report(path)
    doc, _stderr, _code = _json(path)
    flags = {rule.label for rule in _QUALIFY.playbook.scores[1].rules}
    disqualified = [row for row in doc["rows"] if row["verdict"]["id"] == "disqualify"]
    assert disqualified
    for row in disqualified:
        if row["scores"]["red_flags"]["total"]:
            assert row["reasons"][0] in flags, row
    page = tmp_path / "r.html"
    result = runner.invoke(app, ["rank", str(path), "--format", "html", "-o", str(page)])
    assert result.exit_code == 2
    text = page.read_text(encoding="utf-8")
    assert '<p class="quality">Data quality: 303 rows: 268 ranked, 1 left out, 34 skipped;' in text
    dates = [cell for cell in text.split('<td class="date">')[1:]]
    assert dates and all(len(cell.split("<")[0]) == 10 and cell[4] == "-" for cell in dates)


def test_a_total_row_of_full_width_is_skipped_but_a_deal_named_total_is_ranked(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("Opportunity Name,Amount,Stage,Pain\nTotal Foods,\"$5,000\",Qualification,Validated\n"
                    "Acme,\"$1,000\",Prospecting,\nGrand Totals (2 records),\"$6,000\",,\n", encoding="utf-8")
    doc, stderr, code = _json(path)
    assert code == 0, stderr
    assert [row["deal"] for row in doc["rows"]] == ["Total Foods", "Acme"]
    assert doc["quality"]["skipped"] == 1 and "1 report line (Grand Totals (2 records))" in stderr


def test_validate_refuses_words_that_say_two_things(tmp_path: Path) -> None:
    text = (Path(__file__).parents[1] / "playbooks" / "qualify.yaml").read_text(encoding="utf-8")
    clash = text.replace('aliases: ["Met"]', 'aliases: ["Met", "Yes"]', 1).replace(
        'other: identified', 'other: nonsense', 1).replace('"Closed Won", ', '"Closed Won", "Propose", ', 1)
    path = tmp_path / "clash.yaml"
    path.write_text(clash, encoding="utf-8")
    result = runner.invoke(app, ["playbooks", "validate", str(path)])
    assert result.exit_code == 3
    assert "alias 'yes' of choice validated is also a word of choice identified" in result.stderr
    assert "other: 'nonsense' is not one of the choice values" in result.stderr
    assert "closed: 'Propose' is also a word of choice proposal" in result.stderr


@settings(max_examples=300, deadline=None)
@given(cells=st.lists(st.text(alphabet='ab,"=+-@ \t\r\n1.\x00', max_size=6), min_size=1, max_size=5),
       raw=st.booleans())
def test_passed_cells_are_written_as_each_cell_alone_would_be(cells: list[str], raw: bool) -> None:
    """The per-row fast path of the CSV writer gives what quoting each cell on its own gives."""
    from dealrescue.core.render import rank as render

    standing = Standing((0.0, 0.0), (None, None), 0, (0.0, 0.0))
    view = render.RankingView(compiled=_QUALIFY, order=(0, 1), source="x", date="2027-01-04", count=1,
                              rows=[(("Deal", 2, standing, (), 0, None), cells)], passed=[f"c{i}" for i in cells],
                              raw=raw)
    body = "".join(render.render_csv(view)).split("\n", 1)[1].rstrip("\n")
    single = render.csv_field if raw else render._safe_field
    assert body.endswith("," + ",".join(map(single, cells)))


_PEAK = """import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def _peak_kib(path: Path) -> int:
    """The largest memory (max RSS, KiB) of ``dealrescue rank PATH --format csv``, read in a parent of its own."""
    command = [sys.executable, "-S", "-c", _PEAK, sys.executable, "-m", "dealrescue", "rank", str(path), "-p", "pulse",
               "--format", "csv"]
    return int(subprocess.run(command, capture_output=True, text=True, check=True, timeout=300).stdout)


def test_memory_does_not_grow_with_the_bytes_passed_through(tmp_path: Path) -> None:
    """Every column is written back, rows in rank order from all over the file: what the file's
    lines weigh must not stay in memory (a mapping of the file kept every page it touched)."""
    from tests.crm_exports import make_sample_csv

    rows = 30_000
    narrow, wide = tmp_path / "narrow.csv", tmp_path / "wide.csv"
    make_sample_csv(narrow, rows, 7)
    with narrow.open(encoding="utf-8", newline="") as source, wide.open("w", encoding="utf-8", newline="") as target:
        writer = csv.writer(target)
        for n, row in enumerate(csv.reader(source)):
            writer.writerow([*row, "Notes" if n == 0 else f"call notes {n}: " + "x" * 2_500])
    grown = wide.stat().st_size - narrow.stat().st_size
    assert grown > 70 << 20
    extra = _peak_kib(wide) - _peak_kib(narrow)
    assert extra * 1024 < grown // 2, f"{extra} KiB more for {grown >> 20} MiB more passed through"


def test_without_pread_the_lines_are_read_by_seek_and_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows has no ``os.pread``: the same output, read another way."""
    from tests.crm_exports import make_sample_csv

    path = tmp_path / "a.csv"
    make_sample_csv(path, 300, 5)
    expected = runner.invoke(app, ["rank", str(path), "-p", "pulse", "--format", "csv"]).stdout
    monkeypatch.delattr(os, "pread")
    result = runner.invoke(app, ["rank", str(path), "-p", "pulse", "--format", "csv"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected and len(expected.splitlines()) == 301
