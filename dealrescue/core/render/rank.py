"""Rendering a ranking: table, csv, json and html, each a generator of text chunks.

``registry.RANKING`` maps a format name to its renderer. A renderer never builds the whole
output: it yields pieces (a line, or a few hundred rows joined) that the edge writes to
the destination as they come, so memory stays flat however many rows there are.

CSV cells that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return, and not a plain number) get a leading ``'``, as
spreadsheets expect; ``raw`` writes them as they are.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from dealrescue.core.loader import CompiledPlaybook
from dealrescue.core.rank.scorer import RankedRow, RowProblem, Standing

# A row of the ranking with its passed-through cells (in ``RankingView.passed`` order).
ViewRow = tuple[RankedRow, list[str]]

_ROWS_PER_CHUNK = 512
_NEEDS_QUOTES = re.compile(r'[,"\r\n]')
_FORMULA_FIRST = frozenset("=+-@\t\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d[\d,]*)?(\.\d+)?")


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


def render_csv(view: RankingView) -> Iterator[str]:
    """rank, deal, each score and its band, the verdict, the reasons, then every column passed through.

    Lines end with ``\\n`` (friendlier to line tools than RFC 4180's CRLF; CSV readers take both).
    Rows share few standings, so each standing's cells are written once.
    """
    pb = view.compiled.playbook
    cell = (lambda text: text) if view.raw else neutralise
    field = csv_field if view.raw else _safe_field
    risky: dict[int, bool] = {}
    yield ",".join(map(field, csv_header(view))) + "\n"  # header cells are neutralised like data cells
    middle: dict[int, str] = {}
    reasons: dict[int, str] = {}
    chunk: list[str] = []
    for rank, ((deal, _line, standing, why, _ordinal, amount), passed) in enumerate(view.rows, 1):
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
        parts += map(field, passed)
        chunk.append(",".join(parts))
        if len(chunk) == _ROWS_PER_CHUNK:
            yield "\n".join(chunk) + "\n"
            chunk = []
    if chunk:
        yield "\n".join(chunk) + "\n"


def render_json(view: RankingView) -> Iterator[str]:
    """One document; each row on a line of its own inside ``rows`` (written as it comes)."""
    pb = view.compiled.playbook
    labels = [{b.id: b.label for b in score.bands} for score in pb.scores]
    head = {
        "playbook": {"id": pb.id, "title": pb.title, "version": pb.version},
        "file": view.source,
        "date": view.date,
        "by": pb.scores[view.order[0]].id,
        "quality": view.quality,
    }
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
    if amount is None:
        return ""
    if abs(amount) >= 1_000_000:
        return f"{amount / 1_000_000:,.1f}M"
    if abs(amount) >= 10_000:
        return f"{amount / 1000:,.0f}k"
    return f"{amount:,.0f}"


def _fit(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


_ROLE_TITLES = (("owner", "Owner"), ("amount", "Amount"), ("close_date", "Close"), ("stage", "Stage"))


def table_columns(view: RankingView) -> list[tuple[str, int]]:
    """(header, width) of the one-line table; the reasons take what is left (all of it with ``wide``)."""
    digits = max(len(str(view.count)), 1)
    first = view.compiled.playbook.scores[view.order[0]]
    wanted = [("#", digits), ("Deal", 22)]
    wanted += [("Owner", 14)] if "owner" in view.roles else []
    wanted += [("Amount", 7)] if view.has_amount else []
    wanted += [("Close", 10)] if "close_date" in view.roles else []
    wanted += [("Stage", 12)] if "stage" in view.roles else []
    wanted += [(first.title, 18), ("Score", 5), ("Verdict", 16)]
    # On a narrow screen these give way to the reason, in this order.
    for title in ("Stage", "Close", "Verdict", "Owner"):
        if view.wide or sum(w + 2 for _h, w in wanted) + 20 <= view.width:
            break
        wanted = [(h, w) for h, w in wanted if h != title]
    used = sum(w + 2 for _h, w in wanted)
    return [*wanted, ("Main reasons" if view.wide else "Top reason", max(view.width - used, 16))]


def heading(view: RankingView) -> str:
    pb = view.compiled.playbook
    return f"{pb.title}: {view.count} ranked by {pb.scores[view.order[0]].title.lower()}, highest first"


def table_lines(view: RankingView) -> Iterator[str]:
    """The table as lines: one line per account (reasons in full with ``wide``)."""
    columns = table_columns(view)
    yield heading(view)
    right = {0, [h for h, _w in columns].index("Score")}
    yield "  ".join(_fit(h, w).rjust(w) if n in right else _fit(h, w).ljust(w)
                    for n, (h, w) in enumerate(columns)).rstrip()
    for cells in table_cells(view):
        out = []
        for n, (text, (_h, w)) in enumerate(zip(cells, columns, strict=True)):
            last = n == len(columns) - 1
            fitted = " ".join(text.split()) if last and view.wide else _fit(text, w)
            out.append(fitted.rjust(w) if n in right else fitted if last else fitted.ljust(w))
        yield "  ".join(out).rstrip()
    if view.top is not None and view.count > view.top:
        more = view.count - view.top
        yield f"… {more} more (--top {view.count} shows all; --format csv or json writes every column)"


def chart_lines(view: RankingView, width: int = 30) -> Iterator[str]:
    """Accounts and amount per band of the ranking score, as text bars (the terminal draws them with Rich)."""
    if not view.bands:
        return
    score = view.compiled.playbook.scores[view.order[0]]
    yield f"{score.title} by band"
    most = max((b.accounts for b in view.bands), default=0) or 1
    label_width = max(len(b.label) for b in view.bands)
    for band in reversed(view.bands):
        bar = "█" * round(width * band.accounts / most)
        amount = f"  {amount_text(band.amount)}" if view.has_amount else ""
        yield f"  {band.label.ljust(label_width)}  {bar.ljust(width)}  {band.accounts}{amount}"


def render_table(view: RankingView) -> Iterator[str]:
    for line in table_lines(view):
        yield line + "\n"
    chart = list(chart_lines(view))
    if chart:
        yield "\n" + "\n".join(chart) + "\n"


_HTML_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;font-size:14px}th,td{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left}"
    ".bar{background:#c0392b;height:14px}.chart td{border:none}"
)


def render_html(view: RankingView) -> Iterator[str]:
    """One self-contained page: the chart, then the table (no script, no link to anything)."""
    pb = view.compiled.playbook
    e = html.escape
    yield (f"<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{e(pb.title)}: {e(view.source)}</title>"
           f"<style>{_HTML_STYLE}</style></head><body>\n<h1>{e(pb.title)}</h1>\n"
           f"<p>{e(heading(view))}, from {e(view.source)} on {e(view.date)}.</p>\n")
    if view.bands:
        most = max(b.accounts for b in view.bands) or 1
        yield f"<h2>{e(pb.scores[view.order[0]].title)} by band</h2>\n<table class=\"chart\">\n"
        for band in reversed(view.bands):
            amount = f"<td>{e(amount_text(band.amount))}</td>" if view.has_amount else ""
            yield (f"<tr><td>{e(band.label)}</td><td style=\"width:320px\"><div class=\"bar\" "
                   f"style=\"width:{100 * band.accounts / most:.1f}%\"></div></td><td>{band.accounts}</td>{amount}</tr>\n")
        yield "</table>\n"
    columns = table_columns(RankingView(**{**view.__dict__, "wide": True}))
    yield "<h2>Ranking</h2>\n<table>\n<tr>" + "".join(f"<th>{e(h)}</th>" for h, _w in columns) + "</tr>\n"
    chunk: list[str] = []
    wide = RankingView(**{**view.__dict__, "wide": True, "top": None, "width": 10**6})
    lines = table_cells(wide)
    for cells in lines:
        chunk.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>")
        if len(chunk) == _ROWS_PER_CHUNK:
            yield "\n".join(chunk) + "\n"
            chunk = []
    yield "\n".join(chunk) + "\n</table>\n</body></html>\n"


def table_cells(view: RankingView) -> Iterator[list[str]]:
    """The table's cells per row, unfitted: rank, deal, the manager's columns, score, verdict, reasons."""
    pb = view.compiled.playbook
    first = view.order[0]
    labels = {b.id: b.label for b in pb.scores[first].bands}
    titles = {h for h, _w in table_columns(view)}
    shown = [role for role, title in _ROLE_TITLES if title in titles]
    for rank, ((deal, _line, standing, why, _ordinal, amount), passed) in enumerate(view.rows, 1):
        cells = [str(rank), deal]
        for role in shown:
            cells.append(amount_text(amount) if role == "amount" else passed[view.roles[role]])
        band = labels.get(standing.bands[first] or "", "")
        cells += [band, number_text(standing.totals[first])]
        if "Verdict" in titles:
            cells.append(pb.verdicts[standing.verdict].title)
        cells.append("; ".join(why) if view.wide else (why[0] if why else ""))
        yield cells
