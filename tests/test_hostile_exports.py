"""rank's reading of CRM exports against hostile or odd bytes: line ends, broken UTF-16, a `sep=`
line naming a strange delimiter. Through the installed CLI, as a user runs it."""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DEALRESCUE = str(Path(sys.executable).with_name("dealrescue"))
HEADER = "Opportunity Name,Stage,Amount,Close Date"
ROWS = ["Acme,Prospecting,1000,12/01/2026", "Globex,Negotiation,5000,11/15/2026", "Initech,Closed Won,7,10/01/2026"]


def rank(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DEALRESCUE, "rank", str(path), "-p", "qualify", *extra], capture_output=True, text=True,
                          timeout=60, env=os.environ.copy())


def ranked(path: Path) -> tuple[list[tuple[str, str]], str]:
    """The deals and verdicts rank gives, and its stderr."""
    done = rank(path, "--format", "json")
    assert done.returncode == 0, done.stderr
    return [(row["deal"], row["verdict"]) for row in json.loads(done.stdout)["rows"]], done.stderr


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252", "utf-16"])
def test_lines_that_end_in_a_lone_cr_rank_as_lines_that_end_in_lf(tmp_path: Path, encoding: str) -> None:
    """Excel for Mac's "CSV" ends lines in CR alone; the csv module, given such a line, refused the file ("line 0")."""
    lf = tmp_path / "lf.csv"
    lf.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding=encoding)
    cr = tmp_path / "cr.csv"
    cr.write_bytes("\r".join([HEADER, *ROWS]).encode(encoding) + "\r".encode(encoding))
    deals, said = ranked(cr)
    assert deals == ranked(lf)[0] and len(deals) == 2  # the closed deal skipped in both
    assert "its lines end in a lone carriage return (classic Mac), read as line breaks" in said


def test_crlf_lines_with_a_lone_cr_in_a_quoted_cell_get_no_extra_rows(tmp_path: Path) -> None:
    text = "\r\n".join([HEADER, '"Acme\rEurope",Prospecting,1000,12/01/2026', *ROWS[1:]]) + "\r\n"
    path = tmp_path / "utf16.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    deals, said = ranked(path)
    assert [deal for deal, _ in deals] == ["Acme\nEurope", "Globex"] or [deal for deal, _ in deals] == ["Globex", "Acme\nEurope"]
    assert ", 0 left out," in said, said  # no row broken in two by the CR


def test_a_lone_cr_past_the_first_lines_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    rows = [f"Deal {i},Prospecting,{i},12/01/2026" for i in range(5000)]
    path.write_text("\n".join([HEADER, *rows, "Bad,Prospecting,1,12/01/2026\rWorse,Prospecting,2,12/01/2026"]) + "\n", encoding="utf-8")
    done = rank(path, "--format", "csv")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"error: {path}:5002: a carriage return (CR) outside double quotes\nhint: ")


@pytest.mark.parametrize("pair", [b"\x00\xd8", b"\x00\xdc"], ids=["high", "low"])
def test_utf16_with_an_unpaired_surrogate_is_refused_with_its_line(tmp_path: Path, pair: bytes) -> None:
    data = ("\r\n".join([HEADER, *ROWS]) + "\r\n").encode("utf-16-le")
    path = tmp_path / "broken.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + data[:-8] + pair + data[-8:])
    done = rank(path)
    assert done.returncode == 2 and f"error: {path}:4: not UTF-16 text" in done.stderr and "unexpected" not in done.stderr


@pytest.mark.parametrize("sep", ['"', "x", "\x1b", "O", "\x00"], ids=["quote", "letter", "escape", "header-letter", "nul"])
def test_a_sep_line_naming_an_odd_delimiter_is_a_usage_error_not_a_crash(tmp_path: Path, sep: str) -> None:
    path = tmp_path / "sep.csv"
    path.write_text(f"sep={sep}\n" + "\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    done = rank(path)
    assert done.returncode == 2 and done.stderr.startswith("error: ") and "unexpected" not in done.stderr
    assert "\x1b" not in done.stderr


def test_a_fifo_nobody_writes_to_is_not_waited_for_and_one_with_a_writer_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "export.csv"
    os.mkfifo(fifo)
    done = rank(fifo)  # the open itself blocked until a writer came, for ever
    assert done.returncode == 2 and done.stderr.startswith(f"error: {fifo} is empty\n")
    writer = subprocess.Popen(["sh", "-c", 'printf "%s\\n" "$@" > "$0"', str(fifo), HEADER, *ROWS])
    try:
        deals, _ = ranked(fifo)
    finally:
        writer.wait(timeout=30)
    assert [deal for deal, _ in deals] == ["Globex", "Acme"] or [deal for deal, _ in deals] == ["Acme", "Globex"]


@pytest.mark.parametrize("encoding", ["idna", "punycode", "unicode_escape", "raw_unicode_escape"])
def test_an_encoding_that_is_not_a_character_set_is_refused_before_reading(tmp_path: Path, encoding: str) -> None:
    """idna and punycode failed with a bare UnicodeError ('unexpected ... this is a bug'); the escape codecs turn text into controls."""
    path = tmp_path / "export.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    done = rank(path, "--encoding", encoding)
    assert done.returncode == 2 and done.stderr.startswith(f"error: --encoding '{encoding}' is not a text encoding\n")


@pytest.mark.pty
def test_rank_dash_on_a_terminal_says_it_reads_the_keyboard_and_ctrl_d_ends_it(user_home: Path) -> None:
    import pexpect

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEALRESCUE_", "PYTEST_"))}
    env.update(DEALRESCUE_HOME=str(user_home), TERM="xterm-256color", NO_COLOR="1")
    child = pexpect.spawn(DEALRESCUE, ["rank", "-", "-p", "qualify", "--format", "csv"], env=env, encoding="utf-8",
                          timeout=60, dimensions=(40, 200))
    child.expect_exact("Reading the CSV export from the keyboard; end it with Ctrl-D")
    for line in [HEADER, *ROWS]:
        child.sendline(line)
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "\n1,Acme," in str(child.before).replace("\r\n", "\n") or "\n1,Globex," in str(child.before).replace("\r\n", "\n")
