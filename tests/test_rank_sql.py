"""``rank --sql``: the emitted query, run by DuckDB on the same CSV, gives rank's own ranking row by row."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dealrescue.catalog import finder as catalog
from dealrescue.cli.app import app
from dealrescue.core.rank.sqlquery import ranking_sql
from dealrescue.core.rank.sqltext import SqlUnavailable
from tests.crm_exports import hubspot_export, make_sample_csv, open_deals_export, salesforce_export

duckdb = pytest.importorskip("duckdb")
runner = CliRunner()
BUNDLED = ["pulse", "qualify", "recover", "review", "triage", "walkaway"]


def _rankable(playbook: str) -> bool:
    try:
        ranking_sql(catalog.load(playbook)[0], "t", "duckdb", today="2027-01-04")
    except SqlUnavailable:
        return False
    return True


def _hostile(path: Path, playbook: str, seed: int) -> None:
    """Cells as people and CRMs write them, and wrong ones: blanks, other case, labels, ; and | between
    choices, numbers out of range or with a thousands comma, words where a number goes, no deal name."""
    compiled = catalog.load(playbook)[0]
    kinds = {q.id: q for q in compiled.playbook.questions}
    rng = random.Random(seed)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    for row in rows[1:]:
        for index, name in enumerate(header):
            if rng.random() > 0.15:
                continue
            q = kinds.get(name)
            cell = row[index]
            choices = [c for c in (q.choices if q else []) if not any(sep in c.label for sep in ",;|")]
            options = ["", "nonsense", "11", "-1", "2.5", " 7 ", "1,000", "TRUE", "x", "Y", "No", cell.upper(),
                       cell.replace(",", ";"), cell.replace(",", " | ")]
            if choices:
                picked = rng.sample(choices, min(2, len(choices)))
                options += [picked[0].label.upper(), picked[0].value.replace("_", " "),
                            ";".join(c.label for c in picked)]
            row[index] = rng.choice(options)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def _rank_rows(path: Path, playbook: str, by: str | None) -> list[list[str]]:
    args = ["rank", str(path), "-p", playbook, "--format", "csv", "--raw"] + (["--by", by] if by else [])
    result = runner.invoke(app, args)
    assert result.exit_code in (0, 2), result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    return rows


def _sql_rows(path: Path, playbook: str, by: str | None) -> list[tuple[object, ...]]:
    args = ["rank", "--sql", "--table", "crm_export", "-p", playbook, str(path)] + (["--by", by] if by else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    con = duckdb.connect()
    con.execute(f"CREATE TABLE crm_export AS SELECT * FROM read_csv('{path}', all_varchar=true, header=true)")
    return con.execute(result.stdout).fetchall()


@pytest.mark.parametrize("playbook", [p for p in BUNDLED if p != "triage"])
@pytest.mark.parametrize("seed", [1, 2])
def test_sql_in_duckdb_matches_rank_row_by_row(tmp_path: Path, playbook: str, seed: int) -> None:
    if not _rankable(playbook):
        pytest.skip(f"{playbook} is refused by --sql (tested below)")
    path = tmp_path / "export.csv"
    make_sample_csv(path, 300, seed=seed, playbook=playbook)
    _hostile(path, playbook, seed)
    _assert_same_ranking(path, playbook, 50)


@pytest.mark.parametrize(("export", "playbook"),
                         [(salesforce_export, "pulse"), (hubspot_export, "pulse"), (open_deals_export, "qualify")])
def test_sql_reads_crm_exports_as_rank_does(tmp_path: Path, export, playbook: str) -> None:  # type: ignore[no-untyped-def]
    """Title Case headers, labels with commas joined by ;, | between values, TRUE/FALSE, Y/N, x, 1/0."""
    path = tmp_path / "export.csv"
    export(path, 300, seed=9)
    _assert_same_ranking(path, playbook, 299)


def _assert_same_ranking(path: Path, playbook: str, at_least: int) -> None:
    compiled = catalog.load(playbook)[0]
    ours = _rank_rows(path, playbook, None)
    theirs = _sql_rows(path, playbook, None)
    header, body = ours[0], ours[1:]
    assert len(body) == len(theirs) > at_least
    scores = [s.id for s in compiled.playbook.scores]
    for mine, sql_row in zip(body, theirs, strict=True):
        got = dict(zip(header, mine, strict=False))
        expected = [int(got["rank"]), got["deal"]]
        for score in scores:
            expected += [float(got[score]), got[f"{score}_band"] or None]
        expected += [got["verdict"], got["reasons"]]
        actual = [sql_row[0], sql_row[1]]
        for n in range(len(scores)):
            actual += [float(sql_row[2 + 2 * n]), sql_row[3 + 2 * n]]
        actual += [sql_row[-2], sql_row[-1]]
        assert actual == expected


def test_sql_orders_by_the_score_given_with_by(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    make_sample_csv(path, 200, seed=5)
    _hostile(path, "pulse", 5)
    ours = _rank_rows(path, "pulse", "risk")[1:]
    theirs = _sql_rows(path, "pulse", "risk")
    assert [(int(r[0]), r[1]) for r in ours] == [(r[0], r[1]) for r in theirs]


def test_a_playbook_sql_cannot_express_is_refused_with_the_reason(mini: Path) -> None:
    result = runner.invoke(app, ["rank", "--sql", "--table", "t", "-p", "walkaway"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "cannot be ranked in SQL: scores[0].rules[0].when" in result.stderr
    assert "no SQL form for the filter" in result.stderr
    no_scores = runner.invoke(app, ["rank", "--sql", "--table", "t", "-p", str(mini)])
    assert no_scores.exit_code == 2
    assert "has no scores" in no_scores.stderr


@pytest.mark.parametrize("dialect", ["postgres", "snowflake", "bigquery"])
def test_other_dialects_quote_in_their_own_way(dialect: str) -> None:
    result = runner.invoke(app, ["rank", "--sql", "--table", "crm.export", "--dialect", dialect, "-p", "pulse"])
    assert result.exit_code == 0, result.stderr
    if dialect == "bigquery":
        assert "FROM `crm`.`export` AS src" in result.stdout
        assert "'They treat one problem as a sign of more (\"what else is wrong?\")'" in result.stdout
    else:
        assert 'FROM "crm"."export" AS src' in result.stdout
    assert ("'g')" in result.stdout) == (dialect == "postgres")


def test_sql_needs_a_table_and_a_known_dialect() -> None:
    assert "--sql needs --table" in runner.invoke(app, ["rank", "--sql"]).stderr
    bad = runner.invoke(app, ["rank", "--sql", "--table", "t", "--dialect", "oracle"])
    assert bad.exit_code == 2 and "--dialect 'oracle'" in bad.stderr


def _pulse_renewals(path: Path, renewals: list[str]) -> None:
    """A pulse export whose renewal column holds ``renewals``, one row each, the other cells the same."""
    make_sample_csv(path, len(renewals), seed=3, playbook="pulse")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index("renewal")
    for row, renewal in zip(rows[1:], renewals, strict=True):
        row[column] = renewal
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def _days_out(days: int) -> dt.date:
    return dt.date.today() + dt.timedelta(days=days)


@pytest.mark.parametrize("dayfirst", [False, True])
def test_sql_counts_days_until_renewal_as_rank_does(tmp_path: Path, dayfirst: bool) -> None:
    """Renewals 10, 45, 80 and 200 days out (each band of pulse's renewal rules and none), written ISO,
    with a time, as 8 digits, US or day-first; past, impossible, ambiguous-the-wrong-way and blank cells."""
    numeric = "{0.day}.{0.month}.{0.year}" if dayfirst else "{0.month}/{0.day}/{0.year}"
    renewals = []
    for days in (10, 45, 80, 200, 30, 31, 60, 90, 0, -5):
        day = _days_out(days)
        renewals += [day.isoformat(), f"{day.isoformat()}T09:30:00Z", day.strftime("%Y%m%d"), numeric.format(day),
                     f" {numeric.format(day)} "]
    wrong_way = "{0.month}/{0.day}/{0.year}" if dayfirst else "{0.day}/{0.month}/{0.year}"
    renewals += [wrong_way.format(dt.date(_days_out(45).year + 1, 1, 20)), "2/30/2027", "30.2.2027", "2027-02-30",
                 "2028-02-29", "2027-13-01", "0000-01-01", "soon", "", "   ", "1/2/27"]
    path = tmp_path / "renewals.csv"
    _pulse_renewals(path, renewals)
    flag = ["--dayfirst"] if dayfirst else []
    ours = runner.invoke(app, ["rank", str(path), "-p", "pulse", "--format", "csv", "--raw", *flag])
    assert ours.exit_code == 0, ours.stderr
    query = runner.invoke(app, ["rank", "--sql", "--table", "crm_export", "-p", "pulse", str(path), *flag])
    assert query.exit_code == 0, query.stderr
    assert f"DATE '{dt.date.today().isoformat()}'" in query.stdout
    con = duckdb.connect()
    con.execute(f"CREATE TABLE crm_export AS SELECT * FROM read_csv('{path}', all_varchar=true, header=true)")
    theirs = con.execute(query.stdout).fetchall()
    rows = list(csv.DictReader(io.StringIO(ours.stdout)))
    assert len(rows) == len(theirs) == len(renewals)
    got = [(r["deal"], float(r["risk"]), r["risk_band"], r["verdict"], r["reasons"]) for r in rows]
    names = [d[0] for d in con.execute("SELECT * FROM (" + query.stdout.rstrip().rstrip(";") + ") LIMIT 0").description]
    at = {name: n for n, name in enumerate(names)}
    assert got == [(t[at["deal"]], float(t[at["risk"]]), t[at["risk_band"]], t[at["verdict"]], t[at["reasons"]])
                   for t in theirs]
    # The renewal rules fired where they should, so the comparison above is not vacuous.
    reasons = " ".join(r["reasons"] for r in rows)
    assert "Renewal within 30 days" in reasons and "Renewal within 60 days" in reasons


@pytest.mark.parametrize(("dialect", "difference"), [
    ("postgres", " AS DATE) - DATE '"),
    ("snowflake", "DATEDIFF('day', DATE '"),
    ("bigquery", " AS DATE), DATE '"),
])
def test_other_dialects_count_days_with_their_date_function(dialect: str, difference: str) -> None:
    result = runner.invoke(app, ["rank", "--sql", "--table", "t", "--dialect", dialect, "-p", "pulse"])
    assert result.exit_code == 0, result.stderr
    assert difference in result.stdout
    if dialect == "bigquery":
        assert "DATE_DIFF(CAST(" in result.stdout and ", DAY)" in result.stdout
    assert f"DATE '{dt.date.today().isoformat()}'" in result.stdout


def test_a_refusal_names_the_playbook_and_says_what_to_run_instead() -> None:
    """The reason alone ("scores[0].rules[0].when ...: no SQL form") leaves a manager stuck."""
    result = runner.invoke(app, ["rank", "--sql", "--table", "t", "-p", "walkaway"])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: playbook walkaway cannot be ranked in SQL: scores[0].rules[0].when"), lines
    assert lines[1] == "hint: rank the export itself, with the same rules: dealrescue rank FILE.csv -p walkaway"
    assert len(lines) == 2
