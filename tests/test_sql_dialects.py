"""Text that reaches ``rank --sql`` (labels, reasons, column and table names) is read back by each
dialect exactly as written: quotes, backslashes, line breaks and NUL can never end a literal."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dealrescue.cli.app import app
from dealrescue.core.rank.sqltext import DIALECTS, Dialect, SqlUnavailable

sqlglot = pytest.importorskip("sqlglot")
duckdb = pytest.importorskip("duckdb")
runner = CliRunner()
ATTACK = "x\\'); DROP TABLE crm_export; --"
HOSTILE = ["it's", 'say "no"', "back\\slash", "a\\'b", "two\nlines", "cr\r\nlf", "tab\there", "nul\x00byte",
           ATTACK, "\\", "'", "", "end\\"]


def _value(node: Any) -> str:
    """What a dialect's string expression (literals joined with ||, code points) evaluates to."""
    exp = sqlglot.exp
    if isinstance(node, exp.Paren):
        return _value(node.this)
    if isinstance(node, exp.DPipe):
        return _value(node.this) + _value(node.expression)
    if isinstance(node, (exp.Literal, exp.ByteString)) and (not isinstance(node, exp.Literal) or node.is_string):
        return str(node.this)
    if isinstance(node, exp.Chr):
        return chr(int(node.expressions[0].this))
    if isinstance(node, exp.CodePointsToString):
        return "".join(chr(int(item.this)) for item in node.this.expressions)
    raise AssertionError(f"unexpected node {node!r}")


def _strings(tree: Any) -> list[str]:
    """The string literals of a parsed statement, in the order they are written."""
    return [str(node.this) for node in tree.dfs() if isinstance(node, sqlglot.exp.ByteString)
            or (isinstance(node, sqlglot.exp.Literal) and node.is_string)]


def _postgres_off(query: str) -> list[str]:
    """The string literals of a postgres query as read with standard_conforming_strings=off, where a
    backslash in a plain '...' string escapes the next character (E'...' reads the same either way)."""
    found, k = [], 0
    while k < len(query):
        if query.startswith("--", k):
            k = query.index("\n", k)
        elif query[k] == '"':
            k = query.index('"', k + 1) + 1
            while query[k - 1:k + 1] == '""':
                k = query.index('"', k + 1) + 1
        elif query[k] == "'":
            text, k = [], k + 1
            while True:
                if query[k] == "\\":
                    text.append({"n": "\n", "r": "\r", "t": "\t"}.get(query[k + 1], query[k + 1]))
                    k += 2
                elif query.startswith("''", k):
                    text.append("'")
                    k += 2
                elif query[k] == "'":
                    k += 1
                    break
                else:
                    text.append(query[k])
                    k += 1
            found.append("".join(text))
        else:
            k += 1
    return found


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("text", HOSTILE)
def test_each_text_reads_back_as_written_in_each_dialect(dialect: str, text: str) -> None:
    writer = Dialect(dialect)
    if dialect == "postgres" and "\x00" in text:
        with pytest.raises(SqlUnavailable, match="NUL"):
            writer.text(text)
        return
    literal = writer.text(text)
    statements = sqlglot.parse(f"SELECT {literal} AS x", read=dialect)
    assert len(statements) == 1
    assert _value(statements[0].expressions[0].this) == text
    if dialect == "postgres":  # the same with standard_conforming_strings=off
        assert _postgres_off(literal) == _strings(statements[0])
    if dialect == "duckdb":
        assert duckdb.connect().execute(f"SELECT {literal}").fetchone() == (text,)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", ["Deal \"Name\"", "it's", "back\\slash", "a`b", ATTACK, "two\nlines", "nul\x00"])
def test_each_name_is_one_identifier_or_refused(dialect: str, name: str) -> None:
    writer = Dialect(dialect)
    if any(ord(c) < 32 for c in name):
        with pytest.raises(SqlUnavailable, match="control characters"):
            writer.ident(name)
        return
    quoted = writer.ident(name)
    statement = sqlglot.parse_one(f"SELECT {quoted} FROM t", read=dialect)
    assert [i.this for i in statement.find_all(sqlglot.exp.Identifier) if i.this != "t"] == [name]
    if dialect == "duckdb":
        con = duckdb.connect()
        con.execute(f"CREATE TABLE t ({quoted} VARCHAR)")
        assert [d[0] for d in con.execute("SELECT * FROM t").description] == [name]


def _hostile_playbook(tmp_path: Path, nul: bool) -> Path:
    """pulse-like: every label and reason text a query writes holds quotes, backslashes and a line break."""
    odd = "\x00" if nul else ""
    label = f"Budget isn't \"set\"\\{odd} {ATTACK}"
    data = {
        "id": "odd", "version": 1, "title": "Odd", "summary": "Hostile text.",
        "questions": [
            {"id": "budget", "prompt": "Budget?", "type": "select", "choices": [
                {"value": "none", "label": label, "points": {"risk": 3}},
                {"value": "set", "label": "Set\nby finance\\", "points": {"risk": 1}}]},
            {"id": "champion", "prompt": "Champion?", "type": "confirm", "points": {"risk": 2}},
        ],
        "scores": [{"id": "risk", "title": "Risk", "rules": [
            {"when": "budget == 'none' and champion", "points": 2, "label": f"It's\\both\n{ATTACK}"}],
            "bands": [{"id": "low", "min": 0, "label": "Low"}, {"id": "high", "min": 4, "label": "High"}]}],
        "verdicts": [{"id": "stop", "title": "Stop", "rationale": "R", "when": "bands.risk == 'high'"},
                     {"id": "go", "title": "Go", "rationale": "R", "default": True}],
        "plan": [{"text": "Call"}],
    }
    path = tmp_path / "odd.yaml"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_hostile_labels_and_names_rank_the_same_in_duckdb(tmp_path: Path) -> None:
    playbook = _hostile_playbook(tmp_path, nul=True)
    export = tmp_path / "export.csv"
    # Headers with quotes and backslashes that still name the deal and the questions.
    header = ["Deal 'Name'\\", 'Budget "\\"', "\\Champion'"]
    rows = [["Acme\\'; --", "none", "yes"], ["Beta", "set", "no"], ["Gamma", "Set\nby finance\\", "yes"]]
    with export.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    ours = runner.invoke(app, ["rank", str(export), "-p", str(playbook), "--format", "csv", "--raw"])
    assert ours.exit_code == 0, ours.stderr
    table = "crm's \"export\"\\"
    query = runner.invoke(app, ["rank", "--sql", "--table", table, "-p", str(playbook), str(export)])
    assert query.exit_code == 0, query.stderr
    con = duckdb.connect()
    columns = ", ".join(f"{Dialect('duckdb').ident(name)} VARCHAR" for name in header)
    con.execute(f"CREATE TABLE {Dialect('duckdb').ident(table)} ({columns})")
    con.executemany(f"INSERT INTO {Dialect('duckdb').ident(table)} VALUES (?, ?, ?)", rows)
    theirs = con.execute(query.stdout).fetchall()
    expected = [(r[header[0]], float(r["risk"]), r["risk_band"], r["verdict"], r["reasons"])
                for r in csv.DictReader(io.StringIO(ours.stdout))]
    assert [(t[1], float(t[2]), t[3], t[4], t[5]) for t in theirs] == expected
    assert any("\x00" in t[5] and ATTACK in t[5] for t in theirs)  # the texts came through whole
    assert con.execute(f"SELECT count(*) FROM {Dialect('duckdb').ident(table)}").fetchone() == (3,)


@pytest.mark.parametrize("dialect", ["postgres", "snowflake", "bigquery"])
def test_the_whole_query_is_one_statement_whose_texts_read_back(tmp_path: Path, dialect: str) -> None:
    playbook = _hostile_playbook(tmp_path, nul=dialect != "postgres")
    query = runner.invoke(app, ["rank", "--sql", "--table", "crm.export", "--dialect", dialect, "-p", str(playbook)])
    assert query.exit_code == 0, query.stderr
    statements = [s for s in sqlglot.parse(query.stdout, read=dialect) if s is not None]
    assert len(statements) == 1
    assert not list(statements[0].find_all(sqlglot.exp.Drop))
    texts = _strings(statements[0])
    assert any(ATTACK in text for text in texts)
    if dialect == "postgres":  # every literal of the query reads the same with standard_conforming_strings=off
        assert sorted(_postgres_off(query.stdout)) == sorted(texts)


def test_postgres_refuses_a_nul_in_a_label_by_name(tmp_path: Path) -> None:
    playbook = _hostile_playbook(tmp_path, nul=True)
    result = runner.invoke(app, ["rank", "--sql", "--table", "t", "--dialect", "postgres", "-p", str(playbook)])
    assert result.exit_code == 2
    assert "NUL character" in result.stderr
