"""``rank --sql`` reads number cells as ``rank`` does: ``85k``, ``$85,000.00``, ``(5,000.00)``,
``EUR 40.000,00``... The query's steps are generated from ``core.reading``'s number rules; here
each cell read by the query in DuckDB is what ``read_number`` reads (NULL where it refuses)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dealrescue.cli.app import app
from dealrescue.core.rank.sqlnumbers import number_column, number_steps
from dealrescue.core.rank.sqltext import DIALECTS, Dialect
from dealrescue.core.reading import ReadProblem, read_number

duckdb = pytest.importorskip("duckdb")
runner = CliRunner()
FORMS = ["85k", "$85,000.00", "(5,000.00)", "EUR 40.000,00", "1.234,50 €", "USD 1,200", "85 000", "2,5", "1,5k",
         "1.2M", "2bn", "5mm", "−5", "(−5)", "+7", "1e3", ".5", "5.", "1,234,567", "12,34,567", "1.234", "1.234k",
         "1,500k", "US$ 1,200", "£3", "3 ₹", "1'000", "1’000", "1\u202f000", "\u00a012\u00a0", "k", "5x", "(", "()",
         "", "  ", "1,2,3", "abc", "--5", "5-", "1..2", "0", "-0", "10", "1_000", "nan", "Infinity", "٣", "1e999k"]


def _query_reads(cells: list[str]) -> list[float | None]:
    w = Dialect("duckdb")
    con = duckdb.connect()
    con.execute('CREATE TABLE cells (n INTEGER, "Cell" VARCHAR)')
    con.executemany("INSERT INTO cells VALUES (?, ?)", list(enumerate(cells)))
    layers, source = [], 'cells AS src'
    for k, step in enumerate(number_steps(w, "x", 'src."Cell"'), 1):
        body = ", ".join(["src.*", *(f"{expr} AS {name}" for name, expr in step.items())])
        layers.append(f"step_{k} AS (SELECT {body} FROM {source})")
        source = f"step_{k} AS src"
    query = f"WITH {', '.join(layers)} SELECT n, {number_column(w, 'x')} FROM step_{len(layers)} ORDER BY n"
    return [row[1] for row in con.execute(query).fetchall()]


def _rank_reads(cell: str) -> float | None:
    try:
        return read_number(cell)
    except ReadProblem:
        return None


def test_the_query_reads_every_form_rank_reads_and_refuses_the_rest() -> None:
    assert _query_reads(FORMS) == [_rank_reads(cell) for cell in FORMS]
    assert _query_reads(["85k", "$85,000.00", "(5,000.00)", "EUR 40.000,00"]) == [85_000, 85_000, -5_000, 40_000]


_PIECES = ["1", "2", "0", "5", "9", ",", ".", " ", "-", "+", "(", ")", "$", "€", "EUR", "k", "M", "bn", "'", "e", "−"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=8).map("".join), min_size=1, max_size=30))
def test_any_cell_reads_the_same_in_the_query_and_in_rank(cells: list[str]) -> None:
    assert _query_reads(cells) == [_rank_reads(cell) for cell in cells]


def test_rank_and_its_query_agree_on_number_answers_as_a_crm_writes_them(tmp_path: Path) -> None:
    """pulse's pulse (a 0-10 scale) and open_escalations (a number), as cells a CRM export holds."""
    path = tmp_path / "accounts.csv"
    cells = [("3", "2"), ("$4", "1,0"), ("(2)", "EUR 3,00"), ("7.00", "0.002k"), ("9 ", "1,000"), ("2,5", "x"),
             ("USD 8", "(1)"), ("1e1", "1.5"), ("", "")]
    rows = [["deal", "pulse", "open_escalations"], *([f"Deal {n}", a, b] for n, (a, b) in enumerate(cells))]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    ranked = runner.invoke(app, ["rank", str(path), "-p", "pulse", "--format", "csv", "--raw"])
    assert ranked.exit_code == 0, ranked.stderr
    ours = {(r["deal"], float(r["step"]), float(r["risk"]), r["verdict"], r["reasons"])
            for r in csv.DictReader(io.StringIO(ranked.stdout))}
    made = runner.invoke(app, ["rank", "--sql", "--table", "crm", "-p", "pulse", "--columns-from", str(path)])
    assert made.exit_code == 0, made.stderr
    con = duckdb.connect()
    con.execute(f"CREATE VIEW crm AS SELECT * FROM read_csv('{path}', all_varchar=true, header=true)")
    columns = [d[0] for d in con.execute(made.stdout).description]
    queried = {(r[columns.index("deal")], float(r[columns.index("step")]), float(r[columns.index("risk")]), r[columns.index("verdict")],
                r[columns.index("reasons")]) for r in con.execute(made.stdout).fetchall()}
    assert queried == ours


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_number_steps_are_one_statement_in_each_dialect(dialect: str) -> None:
    sqlglot = pytest.importorskip("sqlglot")
    w = Dialect(dialect)
    layers, source = [], "cells AS src"
    for k, step in enumerate(number_steps(w, "x", "src.cell"), 1):
        body = ", ".join(["src.*", *(f"{expr} AS {name}" for name, expr in step.items())])
        layers.append(f"step_{k} AS (SELECT {body} FROM {source})")
        source = f"step_{k} AS src"
    read = {"duckdb": "duckdb", "postgres": "postgres", "snowflake": "snowflake", "bigquery": "bigquery"}[dialect]
    parsed = sqlglot.parse(f"WITH {', '.join(layers)} SELECT * FROM step_{len(layers)}", read=read)
    assert len(parsed) == 1
