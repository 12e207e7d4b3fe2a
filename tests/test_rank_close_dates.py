"""Close dates that are not dates (``2026-13-01``; ``15.01.2027`` without ``--dayfirst``): a row
problem each, the row still ranked and the date shown as typed; when most of a file's close dates
read only as day first, one line in the summary says to rank with ``--dayfirst``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from dealrescue.cli.app import app
from tests.crm_exports_europe import dynamics_europe_rows, write_as

DEALRESCUE = str(Path(sys.executable).with_name("dealrescue"))

runner = CliRunner()
HEADER = "Opportunity Name,Stage,Metrics,Economic Buyer,Amount,Close Date\n"


def _rank(path: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["rank", str(path), *args])
    return result.exit_code, result.stdout, result.stderr


def _write(tmp_path: Path, dates: list[str]) -> Path:
    path = tmp_path / "deals.csv"
    rows = "".join(f"Deal {n},Proposal,Confirmed,Met,1000,{date}\n" for n, date in enumerate(dates))
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_an_impossible_close_date_is_a_warning_naming_line_and_column_and_the_row_is_ranked(tmp_path: Path) -> None:
    path = _write(tmp_path, ["2027-01-15", "2026-13-01", "N/A", "", "Q3", "2027-02-30"])
    code, out, err = _rank(path, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert len(doc["rows"]) == 6
    by_deal = {row["deal"]: row for row in doc["rows"]}
    assert by_deal["Deal 1"]["columns"]["Close Date"] == "2026-13-01"  # as typed
    problems = {(p["line"], p["column"]): p["message"] for p in doc["ignored_cells"]}
    assert problems == {
        (3, "Close Date"): "the close date 2026-13-01: there is no month 13; shown as typed",
        (6, "Close Date"): "the close date 'Q3' is not a date: write YYYY-MM-DD or 12/15/2026; shown as typed",
        (7, "Close Date"): "the close date 2027-02-30: February 2027 has 28 days; shown as typed",
    }
    assert f"warning: {path}:3: column Close Date: the close date 2026-13-01: there is no month 13" in err
    assert doc["quality"]["ignored"] == 3


def test_a_few_day_first_dates_are_each_a_warning_that_names_dayfirst(tmp_path: Path) -> None:
    path = _write(tmp_path, ["2027-01-15", "2027-02-01", "15.01.2027", "2027-03-01"])
    code, out, err = _rank(path, "--format", "csv")
    assert code == 0, err
    assert (f"warning: {path}:4: column Close Date: the close date '15.01.2027' reads only as day first: "
            "use --dayfirst (or DEALRESCUE_DAYFIRST=1); shown as typed") in err
    assert "15.01.2027" in out


def test_when_most_close_dates_are_day_first_one_summary_line_says_so(tmp_path: Path) -> None:
    dates = ["15.01.2027", "28.02.2027", "03.04.2027", "31.12.2026", "2027-05-01"]
    path = _write(tmp_path, dates)
    code, out, err = _rank(path, "--format", "json")
    assert code == 0, err
    assert "warning:" not in err  # no warning per row...
    assert (f"{path}: 3 of 5 close dates (Close Date) read only as day first, e.g. '15.01.2027' on line 2: rank "
            "again with --dayfirst (or DEALRESCUE_DAYFIRST=1); until then they are shown as typed, and dates that "
            "read both ways (03.04.2027) are taken month first") in err
    # ...but JSON lists each, as it lists every cell not understood.
    assert [p["line"] for p in json.loads(out)["ignored_cells"]] == [2, 3, 5]
    code, out, err = _rank(path, "--format", "json", "--dayfirst")
    assert code == 0 and json.loads(out)["ignored_cells"] == [] and "close dates" not in err
    table = runner.invoke(app, ["rank", str(path), "--format", "table", "--dayfirst"], env={"COLUMNS": "120"})
    assert "2027-04-03" in table.stdout and "2027-01-15" in table.stdout  # read day first, shown as ISO dates


def test_with_dayfirst_month_first_dates_are_said_the_other_way_round(tmp_path: Path) -> None:
    path = _write(tmp_path, ["12/31/2026", "1/15/2027", "2027-01-04"])
    code, _out, err = _rank(path, "--format", "csv", "--dayfirst")
    assert code == 0, err
    assert "2 of 3 close dates (Close Date) read only as month first" in err and "drop --dayfirst" in err


def test_a_european_export_says_dayfirst_once(tmp_path: Path) -> None:
    write_as(tmp_path / "europe.csv", dynamics_europe_rows(rows=60), "excel-csv-europe")
    code, out, err = _rank(tmp_path / "europe.csv", "--format", "json")
    assert code == 0, err
    lines = [line for line in err.splitlines() if "Est. Close Date" in line]
    assert len(lines) == 1 and "rank again with --dayfirst" in lines[0], err
    code, out, err = _rank(tmp_path / "europe.csv", "--format", "json", "--dayfirst")
    assert code == 0 and "Est. Close Date" not in err
    assert not [p for p in json.loads(out)["ignored_cells"] if p["column"] == "Est. Close Date"]


def test_the_tables_close_dates_follow_dealrescue_dayfirst_as_the_cells_do(tmp_path: Path) -> None:
    """DEALRESCUE_DAYFIRST=1 reads the cells day first; the table showed their dates month first."""
    path = tmp_path / "d.csv"
    path.write_text("Opportunity Name,Close Date,Stage,Metrics\nAcme,03.04.2027,Proposal,Yes\n", encoding="utf-8")
    shown = subprocess.run([DEALRESCUE, "rank", str(path), "--format", "table"], capture_output=True, text=True, timeout=60,
                           env={**os.environ, "DEALRESCUE_DAYFIRST": "1", "COLUMNS": "120"})
    assert shown.returncode == 0, shown.stderr
    acme = next(line for line in shown.stdout.splitlines() if "Acme" in line)
    assert "2027-04-03" in acme and "2027-03-04" not in acme
