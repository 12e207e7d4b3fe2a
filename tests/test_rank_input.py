"""``rank`` on exports that are not UTF-8 with commas: semicolons and tabs (found from the header, or
``--delimiter``), Windows-1252 and UTF-16 (found, or ``--encoding``), and both read again for the
columns passed through exactly as the first read read them."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dealrescue.cli.app import app
from dealrescue.commands.rankinput import export_format, header_delimiter
from tests.crm_exports_europe import ACCOUNTS_1252, WRITERS, dynamics_europe_rows, write_as

runner = CliRunner()
CLI = Path(sys.executable).with_name("dealrescue")


def _rank(path: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["rank", str(path), *args])
    return result.exit_code, result.stdout, result.stderr


def _rows_of(doc: dict) -> list[dict]:  # type: ignore[type-arg]
    return doc["rows"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(("line", "expected"), [
    ("Opportunity Name,Account Name,Amount,Close Date,Stage", ","),
    ("Opportunity Name;Account Name;Amount;Close Date;Stage", ";"),
    ("Opportunity Name\tAccount Name\tAmount\tClose Date\tStage", "\t"),
    ('"Name, full";"Amount (EUR, net)";Stage;"Close; Date"', ";"),  # commas inside quotes do not count
    ('"Deal, name","Pain; notes",Stage', ","),
    ('"(Do Not Modify) Opportunity";"(Do Not Modify) Row Checksum";"Topic";"Est. Revenue"', ";"),
    ('"Amount, EUR";Stage', ";"),  # two commas would win a plain count
    ("Topic\tPotential Customer\tEst. Revenue (EUR; net)", "\t"),
    ("deal", ","),  # one column: nothing to find (csv.Sniffer raises here)
    ("deal;pulse", ";"),
])
def test_the_delimiter_is_the_one_found_most_outside_quotes(line: str, expected: str) -> None:
    assert header_delimiter(line) == expected


def test_a_european_excel_export_ranks_with_its_accents_amounts_and_footer(tmp_path: Path) -> None:
    rows = dynamics_europe_rows(dayfirst_dates=False)
    write_as(tmp_path / "europe.csv", rows, "excel-csv-europe")
    written = (tmp_path / "europe.csv").read_bytes()
    assert b",00 \x80;" in written  # the euro sign as Windows-1252 writes it
    with pytest.raises(UnicodeDecodeError):
        written.decode("utf-8")
    code, out, err = _rank(tmp_path / "europe.csv", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["read"] == {"encoding": "cp1252", "delimiter": ";"}
    assert doc["quality"]["ranked"] == 60 and doc["quality"]["skipped"] == 2  # Summe and Vertraulich
    by_topic = {row["deal"]: row for row in _rows_of(doc)}
    for source in rows[1:61]:
        row = by_topic[source[0]]
        assert row["columns"]["Potential Customer"] == source[1] and row["columns"]["Description"] == source[-1]
        assert row["amount"] == float(source[3].replace(".", "").replace(",", ".").removesuffix(" €"))
    assert "europe.csv: read as Windows-1252 text (not UTF-8; --encoding names another), semicolon-separated" in err


def test_excel_unicode_text_is_utf16_with_tabs(tmp_path: Path) -> None:
    rows = dynamics_europe_rows(rows=30, seed=3, dayfirst_dates=False)
    rows[5][1] = "Łódź Energia"  # beyond Windows-1252: UTF-16 holds it
    write_as(tmp_path / "unicode.txt", rows, "excel-unicode-text")
    code, out, err = _rank(tmp_path / "unicode.txt", "--format", "csv")
    assert code == 0, err
    assert "read as UTF-16 text, tab-separated" in err
    ranked = list(csv.DictReader(io.StringIO(out)))
    assert {r["Potential Customer"] for r in ranked} >= {"Łódź Energia"}
    assert {r["deal"] for r in ranked} == {row[0] for row in rows[1:31]}


def test_utf16_without_a_byte_order_mark_is_found_from_its_nul_bytes(tmp_path: Path) -> None:
    text = "deal\tpulse\r\nCafé Noir\t3\r\n"
    for codec in ("utf-16-le", "utf-16-be"):
        path = tmp_path / f"{codec}.txt"
        path.write_bytes(text.encode(codec))
        assert export_format(path, str(path)).encoding == codec
        code, out, err = _rank(path, "-p", "pulse", "--format", "csv")
        assert code == 0, err
        assert "Café Noir" in out


@pytest.mark.parametrize("forced", [[], ["--delimiter", ";", "--encoding", "cp1252"], ["--delimiter", "semicolon",
                                                                                        "--encoding", "windows-1252"]])
def test_forced_or_found_the_same_ranking(tmp_path: Path, forced: list[str]) -> None:
    write_as(tmp_path / "europe.csv", dynamics_europe_rows(rows=20, dayfirst_dates=False), "excel-csv-europe")
    code, out, err = _rank(tmp_path / "europe.csv", "--format", "json", *forced)
    assert code == 0, err
    assert len(_rows_of(json.loads(out))) == 20


def test_bad_encoding_and_delimiter_options_are_usage_errors(tmp_path: Path) -> None:
    write_as(tmp_path / "e.csv", dynamics_europe_rows(rows=3), "comma-utf8")
    for args, said in ((["--encoding", "klingon"], "--encoding 'klingon' is not an encoding rank knows"),
                       (["--encoding", "base64"], "--encoding 'base64' is not a text encoding"),
                       (["--delimiter", ":"], "--delimiter ':' is not one rank reads")):
        code, _out, err = _rank(tmp_path / "e.csv", *args)
        assert code == 2 and said in err, err


def test_a_formula_cell_in_a_semicolon_file_still_gets_the_spreadsheet_guard(tmp_path: Path) -> None:
    path = tmp_path / "formula.csv"
    path.write_bytes('deal;pulse;Notes;Owner\r\n"=HYPERLINK(""http://x"";""y"")";3;=1+2;@SUM(A1)\r\nAcme;4;-2;+x\r\n'
                     .encode("cp1252"))
    code, out, err = _rank(path, "-p", "pulse", "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    cells = {r["deal"]: r for r in rows}
    assert "'=HYPERLINK(\"http://x\";\"y\")" in cells
    hyperlink = cells["'=HYPERLINK(\"http://x\";\"y\")"]
    assert hyperlink["Notes"] == "'=1+2" and hyperlink["Owner"] == "'@SUM(A1)"
    assert cells["Acme"]["Notes"] == "-2" and cells["Acme"]["Owner"] == "'+x"


def test_windows_1252_c1_letters_read_and_undefined_bytes_are_an_error(tmp_path: Path) -> None:
    # 0x80 €, 0x8a Š, 0x96 – (a null word: a blank), 0x93/0x94 quotes: Windows-1252 letters in the C1 range.
    path = tmp_path / "c1.csv"
    path.write_bytes(b"deal;pulse;Amount;Notes\r\n\x8akoda Auto;\x96;12.500,00 \x80;\x93ok\x94\r\n")
    code, out, err = _rank(path, "-p", "pulse", "--format", "json")
    assert code == 0, err
    row = _rows_of(json.loads(out))[0]
    assert row["deal"] == "Škoda Auto" and row["amount"] == 12500 and row["columns"]["Notes"] == "“ok”"
    # 0x81, 0x8d, 0x8f, 0x90, 0x9d: no character in Windows-1252. Not a guess: an error naming the line.
    for byte in (0x81, 0x8D, 0x8F, 0x90, 0x9D):
        bad = tmp_path / f"bad{byte:x}.csv"
        bad.write_bytes(b"deal;pulse\r\nCaf\xe9;3\r\nAcme" + bytes([byte]) + b";4\r\n")
        code, out, err = _rank(bad, "-p", "pulse", "--format", "csv")
        assert code == 2 and out == ""
        assert f"{bad}:3: byte 0x{byte:02x} is not a character in Windows-1252, and the file is not UTF-8" in err
        assert "--encoding" in err
    # Named as Latin-1, the byte is a C1 control: read, and never written raw to JSON.
    code, out, err = _rank(tmp_path / "bad81.csv", "-p", "pulse", "--format", "json", "--encoding", "latin-1")
    assert code == 0, err
    assert "\\u0081" in out and "\x81" not in out


def test_excel_sep_line_names_the_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "sep.csv"
    path.write_text("sep=;\r\ndeal;pulse;Owner\r\nAcme, Inc.;3;Sam\r\n", encoding="utf-8")
    code, out, err = _rank(path, "-p", "pulse", "--format", "csv")
    assert code == 0, err
    assert list(csv.DictReader(io.StringIO(out)))[0]["deal"] == "Acme, Inc."


def test_explain_columns_and_sql_columns_from_read_a_semicolon_file(tmp_path: Path) -> None:
    write_as(tmp_path / "europe.csv", dynamics_europe_rows(rows=5), "excel-csv-europe")
    code, out, err = _rank(tmp_path / "europe.csv", "--explain-columns")
    assert code == 0, err
    assert "'Potential Customer': the deal name when the deal column is blank" in out
    assert "'Est. Revenue': the amount" in out and "semicolon-separated" in err
    sql = runner.invoke(app, ["rank", "--sql", "--table", "t", "--columns-from", str(tmp_path / "europe.csv")])
    assert sql.exit_code == 0, sql.stderr
    assert '"Potential Customer"' in sql.stdout


_CELL = st.text(st.characters(codec="cp1252", exclude_categories=("Cs", "Cc")) | st.sampled_from(";,\t\"\n'="),
                max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.tuples(st.sampled_from(ACCOUNTS_1252), st.sampled_from(["", "1", "4", "9", "N/A", "x"]),
                            st.sampled_from(["", "yes", "no", "Yes"]), _CELL, _CELL), min_size=1, max_size=8),
    writer=st.sampled_from(sorted(set(WRITERS) - {"comma-utf8"})),
)
def test_any_supported_encoding_and_delimiter_ranks_like_its_utf8_comma_twin(
        tmp_path: Path, rows: list[tuple[str, ...]], writer: str) -> None:
    table = [["deal", "pulse", "calling_high", "Notes", "Owner"]]
    table += [[f"{name} {n}", *rest] for n, (name, *rest) in enumerate(rows)]
    outputs = {}
    for name in ("comma-utf8", writer):
        write_as(tmp_path / name, table, name)
        for fmt in ("json", "csv"):
            code, out, _err = _rank(tmp_path / name, "-p", "pulse", "--format", fmt)
            doc = json.loads(out) if fmt == "json" else out
            if fmt == "json":
                doc.pop("read")
                doc.pop("file")
            outputs[(name, fmt)] = (code, doc)
    assert outputs[(writer, "json")] == outputs[("comma-utf8", "json")]
    assert outputs[(writer, "csv")] == outputs[("comma-utf8", "csv")]


def test_the_installed_cli_reads_a_european_export_from_a_pipe(tmp_path: Path) -> None:
    write_as(tmp_path / "europe.csv", dynamics_europe_rows(rows=25, dayfirst_dates=False), "excel-csv-europe")
    env = {**os.environ, "DEALRESCUE_HOME": str(tmp_path / "home")}
    with open(tmp_path / "europe.csv", "rb") as stdin:
        done = subprocess.run([str(CLI), "rank", "-", "--format", "csv"], stdin=stdin, capture_output=True, env=env,
                              timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode("utf-8")  # the output is UTF-8 whatever the input was
    assert "Potential Customer" in text.splitlines()[0] and "€" in text
    assert "/dev/stdin: read as Windows-1252 text" in done.stderr.decode()


def test_the_private_utf8_copy_is_0600_and_gone_when_rank_is_stopped(tmp_path: Path) -> None:
    import signal
    import stat
    import time

    from tests.crm_exports import make_sample_csv

    make_sample_csv(tmp_path / "plain.csv", 30_000, 5)
    with open(tmp_path / "plain.csv", newline="", encoding="utf-8") as plain:
        rows = list(csv.reader(plain))
    write_as(tmp_path / "unicode.txt", rows, "excel-unicode-text")
    spool = tmp_path / "tmp"
    spool.mkdir()
    env = {**os.environ, "TMPDIR": str(spool), "DEALRESCUE_HOME": str(tmp_path / "home")}
    child = subprocess.Popen([str(CLI), "rank", str(tmp_path / "unicode.txt"), "-p", "pulse", "--format", "json"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 30
    copies: list[Path] = []
    while not copies and child.poll() is None and time.monotonic() < deadline:
        copies = list(spool.glob("dealrescue-rank-*"))
        time.sleep(0.005)
    if copies:
        assert stat.S_IMODE(copies[0].stat().st_mode) == 0o600
    child.send_signal(signal.SIGTERM)
    child.communicate(timeout=60)
    assert copies, "the copy was never seen"
    assert list(spool.iterdir()) == []


def test_utf8_with_a_stray_byte_is_an_error_not_every_accent_garbled(tmp_path: Path) -> None:
    path = tmp_path / "joined.csv"
    path.write_bytes("deal;pulse\r\nSociété Générale;3\r\n".encode() + b"Caf\xe9 Noir;4\r\n")
    code, out, err = _rank(path, "-p", "pulse", "--format", "csv")
    assert code == 2 and out == ""
    assert f"error: {path}:3: not UTF-8 text (byte at column 4), though the lines before it are UTF-8" in err
    assert "--encoding cp1252" in err
    # Asked for, the whole file is read as Windows-1252: the user's choice, said in the summary.
    code, out, err = _rank(path, "-p", "pulse", "--format", "csv", "--encoding", "cp1252")
    assert code == 0 and "Café Noir" in out and "SociÃ©tÃ©" in out


def test_the_ranking_is_utf8_on_a_pipe_whatever_the_locale_says(tmp_path: Path) -> None:
    rows = dynamics_europe_rows(rows=5, dayfirst_dates=False)
    rows[1][0] = rows[1][1] = "Łódź Energia"  # no character of Latin-1 nor Windows-1252
    write_as(tmp_path / "unicode.txt", rows, "excel-unicode-text")
    env = {**os.environ, "PYTHONIOENCODING": "latin-1", "DEALRESCUE_HOME": str(tmp_path / "home")}
    for fmt in ("csv", "json", "html", "table"):
        done = subprocess.run([str(CLI), "rank", str(tmp_path / "unicode.txt"), "--format", fmt], capture_output=True,
                              env=env, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        text = done.stdout.decode("utf-8")  # not latin-1, and no UnicodeEncodeError on the way
        assert "Łódź Energia" in text and "Erweiterung" in text, fmt
        assert "€" in text or fmt in ("table", "html"), fmt  # the amount column is passed through in csv and json
