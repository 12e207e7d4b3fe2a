"""A ranking as a terminal table and as an HTML page (see ``render.rank`` for the view and CSV/JSON).

The table's columns: rank, deal, owner, amount and close date keep their width first (the
widest of the first rows, within limits); the band, score, verdict and stage follow while
they fit; the reasons take what is left. Close dates are shown as ISO dates, as read from
the export (``--dayfirst`` included); the HTML never wraps one.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Iterator
from dataclasses import replace
from itertools import chain, islice

from dealrescue.core.answers import AnswerProblem
from dealrescue.core.rank.cells import CellReader
from dealrescue.core.render.rank import (
    _ROWS_PER_CHUNK,
    RankingView,
    ViewRow,
    amount_text,
    number_text,
    quality_text,
)

_ROLE_TITLES = (("owner", "Owner"), ("amount", "Amount"), ("close_date", "Close"), ("stage", "Stage"))
# Rows looked at for the widths of the deal and owner columns.
_SAMPLE = 200
_REASONS_MIN = 20
# Verdict titles up to this long are shown whole when there is room; longer ones by their short form.
_VERDICT_MAX = 24
# On a narrow screen, what gives way first: a column (dropped), or the deal narrowing to that width.
_GIVING_WAY: tuple[str | int, ...] = ("Score", 20, "Owner", "Close", 16, "Amount", 12)


def _fit(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _natural(view: RankingView, sample: list[ViewRow], role: str | None, low: int, high: int) -> int:
    """The widest cell of a column among the sampled rows, within ``low``..``high``."""
    if role is None:
        texts = [row[0][0] for row in sample]
    else:
        texts = [row[1][view.roles[role]] for row in sample]
    return max(low, min(high, max((len(" ".join(t.split())) for t in texts), default=low)))


def short_title(text: str) -> str:
    """A verdict's or band's words before its first colon, comma or semicolon: "At risk", "Step 4"."""
    return re.split(r"[:;,]", text, maxsplit=1)[0].strip() or text


def table_columns(view: RankingView, sample: list[ViewRow] | None = None) -> list[tuple[str, int]]:
    """(header, width) of the one-line table; the reasons take what is left (all of it with ``wide``).

    The deal and the verdict (its short form, "At risk", when the full titles do not fit) are
    always there. On a narrow screen, so that the reasons keep 20 characters, columns give way
    in the order of ``_GIVING_WAY``; the room a column leaves goes to the deal first."""
    sample = sample or []
    pb = view.compiled.playbook
    first = pb.scores[view.order[0]]
    verdict = min(max(len(short_title(v.title)) for v in pb.verdicts), 16) if pb.verdicts else 7
    kept = [("#", max(len(str(view.count)), 1)), ("Deal", _natural(view, sample, None, 12, 40) if sample else 22)]
    kept += [("Owner", _natural(view, sample, "owner", 5, 20) if sample else 14)] if "owner" in view.roles else []
    kept += [("Amount", 7)] if view.has_amount else []
    kept += [("Close", 10)] if "close_date" in view.roles else []
    kept += [("Score", 5), ("Verdict", max(verdict, 7))]
    full = max((len(v.title) for v in pb.verdicts), default=0)
    optional = [(first.title, 18)] + ([("Verdict", full)] if full <= _VERDICT_MAX else [])
    optional += [("Stage", 12)] if "stage" in view.roles else []
    natural = dict(kept)["Deal"]
    used = sum(w + 2 for _h, w in kept)
    for step in _GIVING_WAY:
        over = used + _REASONS_MIN - view.width
        if view.wide or over <= 0:
            break
        if isinstance(step, int):
            narrower = min(dict(kept)["Deal"], max(step, dict(kept)["Deal"] - over))
            used -= dict(kept)["Deal"] - narrower
            kept = [(h, narrower if h == "Deal" else w) for h, w in kept]
        else:
            used -= sum(w + 2 for h, w in kept if h == step)
            kept = [(h, w) for h, w in kept if h != step]
    spare = view.width - used - _REASONS_MIN
    if not view.wide and spare > 0 and dict(kept)["Deal"] < natural:  # a column gone leaves room: the deal first
        wider = min(natural, dict(kept)["Deal"] + spare)
        used += wider - dict(kept)["Deal"]
        kept = [(h, wider if h == "Deal" else w) for h, w in kept]
    for title, width in optional:
        now = dict(kept).get(title, -2)
        if width > now and (view.wide or used + width - now + _REASONS_MIN <= view.width):
            kept = [(h, w) for h, w in kept if h != title] + [(title, width)]
            used += width - now
    order = ["#", "Deal", "Owner", "Amount", "Close", "Stage", first.title, "Score", "Verdict"]
    kept.sort(key=lambda column: order.index(column[0]))
    return [*kept, ("Main reasons" if view.wide else "Top reason", max(view.width - used, 10))]


def heading(view: RankingView, width: int | None = None) -> str:
    """The title line; within ``width``, the shorter forms: the score's title without its brackets, without
    the score, without the playbook."""
    pb = view.compiled.playbook
    score = pb.scores[view.order[0]].title.lower()
    forms = [f"{pb.title}: {view.count} ranked by {score}, highest first",
             f"{pb.title}: {view.count} ranked by {score.split(' (')[0]}, highest first",
             f"{pb.title}: {view.count} ranked, highest first", f"{view.count} ranked, highest first"]
    return next((form for form in forms if width is None or len(form) <= width), forms[-1])


def table_lines(view: RankingView) -> Iterator[str]:
    """The table as lines: one line per account (reasons in full with ``wide``), then the data-quality line."""
    rows = iter(view.rows)
    sample = list(islice(rows, _SAMPLE))
    view = replace(view, rows=chain(sample, rows))
    columns = table_columns(view, sample)
    yield heading(view, view.width)
    right = {n for n, (h, _w) in enumerate(columns) if h in ("#", "Score")}
    titled = {n for n, (h, _w) in enumerate(columns) if h in ("Verdict", view.compiled.playbook.scores[view.order[0]].title)}
    yield "  ".join(_fit(h, w).rjust(w) if n in right else _fit(h, w).ljust(w)
                    for n, (h, w) in enumerate(columns)).rstrip()
    for cells in table_cells(view, columns):
        out = []
        for n, (text, (_h, w)) in enumerate(zip(cells, columns, strict=True)):
            last = n == len(columns) - 1
            if n in titled and len(text) > w:  # "At risk", not "At risk: close…"
                text = short_title(text)
            fitted = " ".join(text.split()) if last and view.wide else _fit(text, w)
            out.append(fitted.rjust(w) if n in right else fitted if last else fitted.ljust(w))
        yield "  ".join(out).rstrip()
    if view.top is not None and view.count > view.top:
        more = view.count - view.top
        line = f"… {more} more (--top {view.count} shows all; --format csv or json writes every column)"
        yield line if len(line) <= view.width else f"… {more} more (--top {view.count} shows all)"
    if view.quality:  # wrapped here, after the rows' count first, not by the terminal
        text = f"Data quality: {quality_text(view.quality)}"
        parts = [text] if len(text) <= view.width else text.replace("; ", ";\n").split("\n")
        for n, part in enumerate(parts):
            yield from textwrap.wrap(part, max(view.width, 40), initial_indent="  " if n else "", subsequent_indent="  ")


def chart_lines(view: RankingView, width: int = 30) -> Iterator[str]:
    """Accounts and amount per band of the ranking score, as text bars (the terminal draws them with Rich)."""
    if not view.bands:
        return
    score = view.compiled.playbook.scores[view.order[0]]
    yield f"{score.title} by band"
    most = max((b.accounts for b in view.bands), default=0) or 1
    label_width = max(len(b.label) for b in view.bands)
    width = max(10, min(width, view.width - label_width - 16))  # room for the count and the amount
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
    ".bar{background:#c0392b;height:14px}.chart td{border:none}.date{white-space:nowrap}"
    ".quality{background:#fdf3d8;padding:6px 10px;border-left:4px solid #e0a800}"
)


def render_html(view: RankingView) -> Iterator[str]:
    """One self-contained page: the data-quality banner, the chart, then the table (no script, no link)."""
    pb = view.compiled.playbook
    e = html.escape
    yield (f"<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{e(pb.title)}: {e(view.source)}</title>"
           f"<style>{_HTML_STYLE}</style></head><body>\n<h1>{e(pb.title)}</h1>\n"
           f"<p>{e(heading(view))}, from {e(view.source)} on {e(view.date)}.</p>\n")
    if view.quality:
        yield f"<p class=\"quality\">Data quality: {e(quality_text(view.quality))}.</p>\n"
    if view.bands:
        most = max(b.accounts for b in view.bands) or 1
        yield f"<h2>{e(pb.scores[view.order[0]].title)} by band</h2>\n<table class=\"chart\">\n"
        for band in reversed(view.bands):
            amount = f"<td>{e(amount_text(band.amount))}</td>" if view.has_amount else ""
            yield (f"<tr><td>{e(band.label)}</td><td style=\"width:320px\"><div class=\"bar\" "
                   f"style=\"width:{100 * band.accounts / most:.1f}%\"></div></td><td>{band.accounts}</td>{amount}</tr>\n")
        yield "</table>\n"
    wide = replace(view, wide=True, top=None, width=10**6)
    columns = table_columns(wide)
    yield "<h2>Ranking</h2>\n<table>\n<tr>" + "".join(f"<th>{e(h)}</th>" for h, _w in columns) + "</tr>\n"
    dated = {n for n, (h, _w) in enumerate(columns) if h == "Close"}
    chunk: list[str] = []
    for cells in table_cells(wide, columns):
        chunk.append("<tr>" + "".join(f"<td class=\"date\">{e(c)}</td>" if n in dated else f"<td>{e(c)}</td>"
                                      for n, c in enumerate(cells)) + "</tr>")
        if len(chunk) == _ROWS_PER_CHUNK:
            yield "\n".join(chunk) + "\n"
            chunk = []
    yield "\n".join(chunk) + "\n</table>\n</body></html>\n"


def table_cells(view: RankingView, columns: list[tuple[str, int]]) -> Iterator[list[str]]:
    """The table's cells per row, unfitted: rank, deal, the manager's columns, score, verdict, reasons."""
    pb = view.compiled.playbook
    first = view.order[0]
    labels = {b.id: b.label for b in pb.scores[first].bands}
    titles = [h for h, _w in columns]
    dates = CellReader(view.dayfirst)
    for rank, ((deal, _line, standing, why, _ordinal, amount), passed) in enumerate(view.rows, 1):
        cells = {"#": str(rank), "Deal": deal, "Score": number_text(standing.totals[first]),
                 pb.scores[first].title: labels.get(standing.bands[first] or "", ""),
                 "Verdict": pb.verdicts[standing.verdict].title}
        for role, title in _ROLE_TITLES:
            if title in titles:
                cells[title] = amount_text(amount) if role == "amount" else passed[view.roles[role]]
        if "Close" in cells:
            cells["Close"] = _iso(dates, cells["Close"])
        reasons = "; ".join(why) if view.wide else (why[0] if why else "")
        yield [cells.get(title, "") for title in titles[:-1]] + [reasons]


def _iso(dates: CellReader, text: str) -> str:
    """A close date as an ISO date when it reads as one, else as written."""
    try:
        return dates.date(text) if text.strip() else ""
    except AnswerProblem:
        return text.strip()
