"""The rank table: amounts in few characters that still say what they are (``12.5k``, ``1.25M``),
and a table that fits the terminal it is on, down to 60 columns, with the deal and the verdict."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dealrescue.core.render.rank import amount_text
from dealrescue.core.render.ranktable import short_title
from tests.crm_exports import salesforce_meddpicc_report

CLI = Path(sys.executable).with_name("dealrescue")


@pytest.mark.parametrize(("amount", "shown"), [
    (None, ""), (0, "0"), (7_800, "7,800"), (9_999, "9,999"), (-5_000, "-5,000"), (10_000, "10k"), (12_500, "12.5k"),
    (12_345, "12.3k"), (48_000, "48k"), (184_500, "185k"), (999_499, "999k"), (999_500, "1M"), (999_999, "1M"),
    (1_000_000, "1M"), (1_250_000, "1.25M"), (1_234_567, "1.23M"), (12_345_678, "12.3M"), (310_000_000, "310M"),
    (1_500_000_000, "1.5B"), (-1_250_000, "-1.25M"), (-12_500, "-12.5k"),
])
def test_amounts_keep_three_figures(amount: float | None, shown: str) -> None:
    assert amount_text(amount) == shown
    assert len(shown) <= 7  # the table's Amount column


def test_short_titles_are_the_words_before_the_first_colon_or_comma() -> None:
    assert short_title("At risk: close the gaps before you forecast it") == "At risk"
    assert short_title("Disqualify, and walk away well") == "Disqualify"
    assert short_title("Qualified") == "Qualified"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("table") / "report.csv"
    salesforce_meddpicc_report(path, rows=40)
    return path


def _table(report: Path, columns: int) -> list[str]:
    done = subprocess.run([str(CLI), "rank", str(report), "--format", "table", "--top", "8"], capture_output=True,
                          text=True, env={**os.environ, "COLUMNS": str(columns)}, timeout=60, check=False)
    assert done.returncode == 2, done.stderr  # the report has one row without any name
    return done.stdout.splitlines()


@pytest.mark.parametrize("columns", [60, 72, 80, 100, 140, 200])
def test_the_table_fits_the_terminal_with_the_deal_and_the_verdict(report: Path, columns: int) -> None:
    lines = _table(report, columns)
    assert all(len(line) <= columns for line in lines), "\n".join(lines)  # title, rows, data quality, chart
    table = lines[1:10]
    header = table[0].split("  ")
    assert "Deal" in table[0] and "Verdict" in table[0] and "Top reason" in table[0]
    verdicts = {"Disqualify", "Qualified", "At risk"}
    assert all(any(v in row for v in verdicts) for row in table[1:])
    assert all(row.split()[0].isdigit() for row in table[1:])
    if columns >= 100:
        assert [h.strip() for h in header if h.strip()][:5] == ["#", "Deal", "Owner", "Amount", "Close"]


def test_narrower_screens_drop_the_score_then_owner_close_and_amount_and_the_deal_keeps_its_width_first(
        report: Path) -> None:
    headers = {columns: _table(report, columns)[1] for columns in (60, 80, 100, 160)}
    assert headers[160].split()[:5] == ["#", "Deal", "Owner", "Amount", "Close"] and "Score" in headers[160]
    assert headers[100].split() == ["#", "Deal", "Owner", "Amount", "Close", "Verdict", "Top", "reason"]
    assert headers[80].split() == ["#", "Deal", "Amount", "Close", "Verdict", "Top", "reason"]
    assert headers[60].split() == ["#", "Deal", "Verdict", "Top", "reason"]
    for columns, header in headers.items():
        assert header.index("Top reason") <= columns - 20  # the reason keeps 20 characters
        assert header.index("Verdict") - header.index("Deal") >= 22  # the deal column keeps 20 characters at least


@pytest.mark.pty
def test_on_a_60_column_terminal_the_table_and_the_chart_fit(report: Path) -> None:
    import re

    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(str(CLI), ["rank", str(report), "--top", "5"], encoding="utf-8", timeout=60,
                          dimensions=(50, 60), env={**os.environ, "COLUMNS": "60", "LINES": "50"})
    child.expect(pexpect.EOF)
    text = re.sub(r"\x1b\[[0-9;]*m", "", child.before)  # Rich's bold and italic
    screen = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    chart = next(n for n, line in enumerate(screen) if line.endswith("by band"))
    table, bands = screen[:chart], screen[chart:chart + 8]
    assert table[1].split() == ["#", "Deal", "Verdict", "Top", "reason"]
    assert all(len(line) <= 60 for line in table + bands), "\n".join(table + bands)
    rows = [line.strip() for line in bands if line.strip().startswith(("Qualified", "Partly", "Weak"))]
    assert [row.split("  ")[0] for row in rows] == ["Qualified on evidence", "Partly qualified", "Weak: mostly hope"]
    assert "█" in rows[-1] and rows[-1].endswith("M")  # the bar and the amount on the band's own line
