"""``rank --sql --columns-from FILE.csv``: the query for a real export's own columns, matched as ``rank``
matches them (CRM headers, ``--map``, aliases, the Account Name fallback, closed stages skipped), run in
DuckDB over the export's rows, gives the deals, scores, bands, verdicts and reasons ``rank`` gives."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dealrescue.cli.app import app
from dealrescue.core.rank.sqltext import Dialect
from tests.crm_exports import (
    dynamics_meddpicc_export,
    hubspot_meddpicc_export,
    pipedrive_meddpicc_export,
    salesforce_meddpicc_report,
)

duckdb = pytest.importorskip("duckdb")
runner = CliRunner()
SCORES = ["qualification", "red_flags"]


def _warehouse(path: Path) -> tuple[list[str], list[list[str]]]:
    """The export as a warehouse loads it: the header, and the rows of the header's width (a report's
    footer lines are not data)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    return header, [row for row in rows if len(row) == len(header)]


def _query_rows(path: Path, *flags: str) -> list[tuple[Any, ...]]:
    made = runner.invoke(app, ["rank", "--sql", "--table", "crm export", "--columns-from", str(path), *flags])
    assert made.exit_code == 0, made.stderr
    header, rows = _warehouse(path)
    con = duckdb.connect()
    table = Dialect("duckdb").ident("crm export")
    con.execute(f"CREATE TABLE {table} (" + ", ".join(f"{Dialect('duckdb').ident(h)} VARCHAR" for h in header) + ")")
    con.executemany(f"INSERT INTO {table} VALUES (" + ", ".join("?" for _ in header) + ")", rows)
    return con.execute(made.stdout).fetchall()


def _rank_rows(path: Path, *flags: str) -> list[tuple[Any, ...]]:
    ours = runner.invoke(app, ["rank", str(path), "--format", "csv", "--raw", *flags])
    assert ours.exit_code in (0, 2), ours.stderr
    return [(int(r["rank"]), r["deal"], *(x for s in SCORES for x in (float(r[s]), r[f"{s}_band"] or None)),
             r["verdict"], r["reasons"]) for r in csv.DictReader(io.StringIO(ours.stdout))]


def _renamed(path: Path, old: str, new: str) -> None:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[0][rows[0].index(old)] = new
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


EXPORTS: list[Callable[[Path], dict[str, int]]] = [salesforce_meddpicc_report, hubspot_meddpicc_export,
                                                   dynamics_meddpicc_export, pipedrive_meddpicc_export]


@pytest.mark.parametrize("export", EXPORTS, ids=lambda e: e.__name__)
def test_the_query_for_an_exports_columns_ranks_as_rank_does(tmp_path: Path, export: Any) -> None:
    path = tmp_path / "export.csv"
    made = export(path)
    ours = _rank_rows(path)
    theirs = [(r[0], r[1], *(float(x) if n % 2 == 0 else x for n, x in enumerate(r[2:6])), r[6], r[7])
              for r in _query_rows(path)]
    assert theirs == ours
    # Closed deals were skipped and nameless rows left out by both: the comparison covers them.
    assert len(ours) == made["rows"] - made["closed"] - made["nameless"]


def test_map_names_a_column_for_the_query_as_for_rank(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    hubspot_meddpicc_export(path)
    _renamed(path, "Identify Pain", "Our pain field")
    flags = ("--map", "Our pain field=pain")
    ours = _rank_rows(path, *flags)
    theirs = [(r[0], r[1], *(float(x) if n % 2 == 0 else x for n, x in enumerate(r[2:6])), r[6], r[7])
              for r in _query_rows(path, *flags)]
    assert theirs == ours
    assert any("Pain" in row[-1] for row in ours)  # the mapped column counted
    unmapped = runner.invoke(app, ["rank", "--sql", "--table", "t", "--columns-from", str(path)])
    assert "Our pain field" not in unmapped.stdout


def test_an_unreadable_cell_reads_as_a_blank_one_in_sql(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text("Opportunity Name,Stage,Metrics,Economic Buyer\nA,,Confirmed,Confirmed\n"
                    "B,Perception Analysis,Confirmed,Confirmed\nC,Nonsense Stage,Confirmed,Confirmed\n", encoding="utf-8")
    rows = {r[1]: r for r in _query_rows(path)}
    assert rows["C"][2:] == rows["A"][2:]  # an unreadable stage is a blank one (the default)
    assert [r[1:] for r in sorted(rows.values())] == [r[1:] for r in sorted(_rank_rows(path))]


def test_map_without_a_header_is_refused() -> None:
    result = runner.invoke(app, ["rank", "--sql", "--table", "t", "--map", "Pain=pain"])
    assert result.exit_code == 2
    assert "--columns-from" in result.stderr
