"""``rank --format csv`` copies a row's passed-through cells from the line as read when the CSV
writer would write them back unchanged: the output must be byte for byte what writing every cell
again gives, whatever the line holds (quotes, needless quotes, formulas, line breaks, ragged rows)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dealrescue.cli.app import app
from dealrescue.core.render import rank as render

# Pieces of cells and of the CSV around them, the awkward ones included.
_PIECES = ["a", "b c", "1", "-5", "=1+1", "+x", "@s", "-", "\t", ",", '"', '""', "\r", "\n", "é", " "]


@st.composite
def _lines(draw: st.DrawFn) -> tuple[str, int]:
    """A line as an export could hold it: cells written bare, quoted with or without need, or broken."""
    width = draw(st.integers(1, 6))
    fields = []
    for _ in range(draw(st.integers(1, width + 1))):
        text = "".join(draw(st.lists(st.sampled_from(_PIECES), max_size=4)))
        form = draw(st.sampled_from(["bare", "quoted", "minimal"]))
        if form == "quoted":
            text = '"' + text.replace('"', '""') + '"'
        elif form == "minimal":
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="").writerow([text])
            text = buffer.getvalue()
        fields.append(text)
    return ",".join(fields), width


@settings(max_examples=500, deadline=None)
@given(line_width=_lines(), raw=st.booleans(), data=st.data())
def test_a_copied_line_is_what_writing_its_cells_gives(line_width: tuple[str, int], raw: bool,
                                                       data: st.DataObject) -> None:
    line, width = line_width
    start = data.draw(st.integers(0, width - 1))
    stop = data.draw(st.integers(start + 1, width))
    indexes = tuple(range(start, stop))
    copied = render.copied_cells(width, indexes, raw)(line)
    try:
        # An empty line is one blank cell to rank (the reader gives no row for it).
        rows = list(csv.reader(io.StringIO(line, newline=""))) if line else [[""]]
    except csv.Error:
        rows = []
    if copied is None:
        return
    assert len(rows) == 1 and len(rows[0]) == width, "copied a line the reader does not read as one row of width cells"
    assert copied == render.passed_csv_writer(raw)([rows[0][i] for i in indexes])


def test_plain_and_needfully_quoted_lines_are_copied() -> None:
    """The fast path is taken for what exports hold (else it would be dead code)."""
    copied = render.copied_cells(4, (1, 2, 3), raw=False)
    assert copied('Acme,"x,y",3,') == '"x,y",3,'
    assert copied('"Acme, Inc.",say ""hi"",-,z') is None  # a bare cell with quotes, a formula-like "-"
    assert copied('"Acme, Inc.","say ""hi""",2,z') == '"say ""hi""",2,z'
    assert copied('Acme,"plain",3,4') is None  # needless quotes: the writer drops them
    assert render.copied_cells(2, (0, 2), raw=False)("a,b") is None  # not a run of columns


_AWKWARD = (
    "Deal,pulse,Notes,Stage\r\n"
    "Acme,5,plain,Won\r\n"
    '"Globex, Inc.",3,"a, b",Lost\r\n'
    'Initech,7,"needless",Open\r\n'
    'Umbrella,2,=HYPERLINK("x"),Open\r\n'
    "Hooli,9,-5,Open\r\n"
    'Stark,1,"two\nlines",Open\r\n'
    "Wayne,4,short\r\n"
    "Tyrell,6,a,b,extra\r\n"
    'Cyberdyne,8,"say ""hi""",\t tab\n'
    "Soylent,10,last,no line end"
)


@pytest.mark.parametrize("raw", [False, True])
def test_rank_csv_is_the_same_with_and_without_copying(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       raw: bool) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(_AWKWARD.encode())
    args = ["rank", str(path), "-p", "pulse", "--format", "csv"] + (["--raw"] if raw else [])
    runner = CliRunner()
    copied = runner.invoke(app, args)
    monkeypatch.setattr(render, "copied_cells", lambda width, indexes, raw: lambda line: None)
    rewritten = runner.invoke(app, args)
    assert copied.exit_code == rewritten.exit_code
    assert copied.stdout == rewritten.stdout
    assert "Globex, Inc." in copied.stdout and '"two\nlines"' in copied.stdout
