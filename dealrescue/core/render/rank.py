"""Rendering a ranking: table, csv, json and html, each a generator of text chunks.

``registry.RANKING`` maps a format name to its renderer. A renderer never builds the whole
output: it yields pieces (a line, or a few hundred rows joined) that the edge writes to
the destination as they come, so memory stays flat however many rows there are.

CSV cells that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return, and not a plain number) get a leading ``'``, as
spreadsheets expect; ``raw`` writes them as they are.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from dealrescue.core.loader import CompiledPlaybook
from dealrescue.core.rank.scorer import RankedRow, RowProblem, Standing

# A row of the ranking with its passed-through cells (in ``RankingView.passed`` order).
ViewRow = tuple[RankedRow, list[str]]

_ROWS_PER_CHUNK = 512
_NEEDS_QUOTES = re.compile(r'[,"\r\n]')
_FORMULA_FIRST = frozenset("=+-@\t\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d[\d,]*)?(\.\d+)?")
# A cell starting like a formula, somewhere in cells joined by NUL (one search a row).
_FORMULA_AFTER_START = re.compile("(?:^|\x00)[=+\\-@\t\r]")
# A cell not starting like a formula (in a pattern, before the cell's text).
_FORMULA_LOOKAHEAD = "(?![=+\\-@\t])"
# Lines wider than this are never copied whole (the pattern that checks them grows with the width).
_COPIED_WIDTH_LIMIT = 500


class _CsvLine:
    """``csv_field`` for every cell of a row at once (the csv module's writer, in C)."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        # "\r\n" makes the writer quote a cell holding either character, as csv_field does.
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")

    def of(self, cells: list[str]) -> str:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.writerow(cells)
        text = self.buffer.getvalue()[:-2]
        return text if cells != [""] else ""


@dataclass
class BandCount:
    label: str
    accounts: int = 0
    amount: float = 0.0


@dataclass
class RankingView:
    """What every format shows of a ranking."""

    compiled: CompiledPlaybook
    order: tuple[int, ...]  # score indexes, ranking score first
    source: str
    date: str
    count: int  # rows ranked
    rows: Iterable[ViewRow]  # in rank order (only the first ``top`` for the table)
    passed: list[str] = field(default_factory=list)  # headers of the columns passed through
    roles: dict[str, int] = field(default_factory=dict)  # owner/amount/close_date/stage -> index in ``passed``
    has_amount: bool = False
    bands: list[BandCount] = field(default_factory=list)  # the ranking score's bands, lowest first
    problems: list[RowProblem] = field(default_factory=list)
    raw: bool = False
    wide: bool = False
    top: int | None = None  # table rows shown (None: all)
    width: int = 120  # table width in characters
    quality: dict[str, int] = field(default_factory=dict)  # rows, ranked, left_out, skipped, cells, ignored
    dayfirst: bool = False  # how the close dates are read (shown as ISO in the table and HTML)
    # CSV only: a row's passed-through cells as CSV text, by its position in the file (then rows carry no cells).
    passed_csv: Callable[[int], str] | None = None
    read: dict[str, str] = field(default_factory=dict)  # how the file was read: {"encoding", "delimiter"}


def number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def neutralise(text: str) -> str:
    """A cell a spreadsheet would run as a formula, made inert with a leading quote."""
    if text[:1] in _FORMULA_FIRST and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _safe_field(text: str) -> str:
    """``csv_field(neutralise(text))``, with the common case (nothing to do) first."""
    if text[:1] in _FORMULA_FIRST and not _PLAIN_NUMBER.fullmatch(text):
        text = "'" + text
    return '"' + text.replace('"', '""') + '"' if _NEEDS_QUOTES.search(text) else text


def csv_field(text: str) -> str:
    """One field as ``csv.writer(lineterminator="\\n")`` writes it: quoted only when it must be."""
    return '"' + text.replace('"', '""') + '"' if _NEEDS_QUOTES.search(text) else text


def at_risk(view: RankingView, standing: Standing) -> bool:
    """An account is at risk when its ranking score is above its lowest band (or above 0 without bands)."""
    first = view.order[0]
    bands = view.compiled.playbook.scores[first].bands
    if not bands:
        return standing.totals[first] > 0
    lowest = min(bands, key=lambda b: b.min)
    return standing.bands[first] not in (None, lowest.id)


def ranking_columns(compiled: CompiledPlaybook, has_amount: bool) -> list[str]:
    """The columns a CSV ranking adds before the file's own: rank, deal, scores and bands, verdict, reasons."""
    columns = ["rank", "deal"]
    for score in compiled.playbook.scores:
        columns += [score.id, f"{score.id}_band"]
    columns += ["verdict", "verdict_title", "reasons"]
    if has_amount:
        columns.append("amount_at_risk")
    return columns


def csv_header(view: RankingView) -> list[str]:
    return ranking_columns(view.compiled, view.has_amount) + view.passed


def unique_names(names: list[str]) -> list[str]:
    """Headers made unique for JSON keys: a second ``Stage`` becomes ``Stage (2)``; nothing is dropped."""
    taken: set[str] = set()
    unique = []
    for name in names:
        key, count = name, 1
        while key in taken:
            count += 1
            key = f"{name} ({count})"
        taken.add(key)
        unique.append(key)
    return unique


def passed_csv_writer(raw: bool) -> Callable[[list[str]], str]:
    """The passed-through cells of a row as CSV text (neutralised unless ``raw``)."""
    line = _CsvLine()

    def cells_text(cells: list[str]) -> str:
        """Checked once per row, each cell only when one needs it."""
        joined = "\x00".join(cells)
        if not raw and _FORMULA_AFTER_START.search(joined):
            cells = [neutralise(c) for c in cells]
            joined = "\x00".join(cells)
        if not _NEEDS_QUOTES.search(joined) and joined.count("\x00") == len(cells) - 1:
            return joined.replace("\x00", ",")
        return line.of(cells)

    return cells_text


def copied_cells(width: int, indexes: tuple[int, ...], raw: bool) -> Callable[[str], str | None]:
    """For a line of ``width`` cells read from an export (its end stripped), the text of the cells
    at ``indexes`` as CSV when the writer would write them back unchanged, else None.

    Unchanged: no cell quoted without need (the writer quotes only a comma, a quote or a line
    break), no line break inside a cell, no cell starting like a formula (unless ``raw``; a plain
    number like ``-5`` counts too, then the row goes cell by cell as usual).
    """
    start, stop = (indexes[0], indexes[-1] + 1) if indexes else (0, 0)
    if not indexes or indexes != tuple(range(start, stop)) or width > _COPIED_WIDTH_LIMIT:
        return lambda line: None
    first = "" if raw else _FORMULA_LOOKAHEAD
    field = (f'(?:{first}[^",\\r\\n]*'
             f'|"(?=[^"\\r\\n]*(?:,|"")){first}[^"\\r\\n]*(?:""[^"\\r\\n]*)*")')
    before = ",".join([field] * start) + ("," if start else "")
    after = ("," if stop < width else "") + ",".join([field] * (width - stop))
    match = re.compile(before + "(" + ",".join([field] * (stop - start)) + ")" + after).fullmatch

    def copied(line: str) -> str | None:
        found = match(line)
        return found[1] if found else None

    return copied


def render_csv(view: RankingView) -> Iterator[str]:
    """rank, deal, each score and its band, the verdict, the reasons, then every column passed through.

    Lines end with ``\\n`` (friendlier to line tools than RFC 4180's CRLF; CSV readers take both).
    Rows share few standings, so each standing's cells are written once.
    """
    pb = view.compiled.playbook
    cell = (lambda text: text) if view.raw else neutralise
    field = csv_field if view.raw else _safe_field
    cells_text = passed_csv_writer(view.raw)
    passed_text = view.passed_csv
    risky: dict[int, bool] = {}
    yield ",".join(map(field, csv_header(view))) + "\n"  # header cells are neutralised like data cells
    middle: dict[int, str] = {}
    reasons: dict[int, str] = {}
    chunk: list[str] = []
    for rank, ((deal, _line, standing, why, ordinal, amount), passed) in enumerate(view.rows, 1):
        key = id(standing)
        if key not in middle:
            cells = []
            for total, band in zip(standing.totals, standing.bands, strict=True):
                cells += [number_text(total), band or ""]
            verdict = pb.verdicts[standing.verdict]
            middle[key] = ",".join(map(csv_field, [*cells, verdict.id, cell(verdict.title)]))
        text = reasons.get(id(why))
        if text is None:
            text = reasons[id(why)] = csv_field(cell("; ".join(why)))
        parts = [str(rank), field(deal), middle[key], text]
        if view.has_amount:
            if key not in risky:
                risky[key] = at_risk(view, standing)
            parts.append(number_text(amount) if amount is not None and risky[key] else "0")
        parts.append(passed_text(ordinal) if passed_text is not None else cells_text(passed))
        chunk.append(",".join(parts))
        if len(chunk) == _ROWS_PER_CHUNK:
            yield "\n".join(chunk) + "\n"
            chunk = []
    if chunk:
        yield "\n".join(chunk) + "\n"


def render_json(view: RankingView) -> Iterator[str]:
    """One document; each row on a line of its own inside ``rows`` (written as it comes). C1 and bidi
    controls and the line separators are ``\\u`` escapes, as in every JSON output (``json_safe``)."""
    from dealrescue.core.mdescape import json_safe

    return map(json_safe, _json_chunks(view))


def _json_chunks(view: RankingView) -> Iterator[str]:
    pb = view.compiled.playbook
    labels = [{b.id: b.label for b in score.bands} for score in pb.scores]
    head = {
        "playbook": {"id": pb.id, "title": pb.title, "version": pb.version},
        "file": view.source,
        "date": view.date,
        "by": pb.scores[view.order[0]].id,
        "quality": view.quality,
    }
    if view.read:
        head["read"] = view.read
    yield json.dumps(head, indent=2, ensure_ascii=False)[:-2] + ',\n  "rows": [\n'
    shared: dict[int, str] = {}
    chunk: list[str] = []
    first = True
    keys = unique_names(view.passed)
    for rank, ((deal, line, standing, why, _ordinal, amount), passed) in enumerate(view.rows, 1):
        key = id(standing)
        if key not in shared:
            verdict = pb.verdicts[standing.verdict]
            scores = {
                score.id: {"total": _number(standing.totals[s]), "band": standing.bands[s],
                           "label": labels[s].get(standing.bands[s] or "")}
                for s, score in enumerate(pb.scores)
            }
            part = json.dumps({"scores": scores, "verdict": {"id": verdict.id, "title": verdict.title}},
                              ensure_ascii=False)
            shared[key] = part[1:-1]
        row = {"rank": rank, "deal": deal, "line": line, "reasons": list(why)}
        if view.has_amount:
            row["amount"] = amount
            row["amount_at_risk"] = amount if amount is not None and at_risk(view, standing) else 0
        if view.passed:
            row["columns"] = dict(zip(keys, passed, strict=True))
        text = json.dumps(row, ensure_ascii=False)
        chunk.append(("    " if first else ",\n    ") + text[:-1] + ", " + shared[key] + "}")
        first = False
        if len(chunk) == _ROWS_PER_CHUNK:
            yield "".join(chunk)
            chunk = []
    yield "".join(chunk)
    left_out = [p for p in view.problems if p.left_out]
    ignored = [p for p in view.problems if not p.left_out]
    tail = {
        "bad_rows": [{"line": p.line, "column": p.column, "message": p.message} for p in left_out],
        "ignored_cells": [{"line": p.line, "column": p.column, "message": p.message} for p in ignored],
    }
    yield ("\n  ],\n" if not first else "  ],\n") + json.dumps(tail, indent=2, ensure_ascii=False)[2:] + "\n"


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def amount_text(amount: float | None) -> str:
    """An amount in at most 7 characters, to three figures from 10,000 on: 9,800, 12.5k, 184k, 1.25M."""
    if amount is None:
        return ""
    if abs(amount) < 10_000:
        return f"{amount:,.0f}"
    for unit, divisor in (("k", 1e3), ("M", 1e6), ("B", 1e9)):
        value = abs(amount) / divisor
        places = 2 if value < 10 else 1 if value < 100 else 0
        value = math.floor(value * 10**places + 0.5) / 10**places  # half up: 184.5k is 185k, as people round
        if value < 1000 or unit == "B":  # 999,999 is 1M, not 1000k
            text = f"{value:,.{places}f}".rstrip("0").rstrip(".") if places else f"{value:,.0f}"
            return ("-" if amount < 0 else "") + text + unit
    raise AssertionError("unreachable: the last unit returns")


def quality_text(quality: dict[str, int]) -> str:
    """The data-quality line in words (the table's footer, the HTML banner and stderr say it)."""
    cells, ignored = quality["cells"], quality["ignored"]
    share = f" ({100 * ignored / cells:.1f}%)" if cells else ""
    return (f"{quality['rows']:,} rows: {quality['ranked']:,} ranked, {quality['left_out']:,} left out, "
            f"{quality['skipped']:,} skipped; {ignored:,} of {cells:,} answer cells not understood{share}")
