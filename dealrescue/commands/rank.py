"""``dealrescue rank``: score and rank a CSV export of many deals at once.

The edge around ``dealrescue.core.rank``: the file is read by ``commands.rankfile``; the
ranking is written by a renderer of ``core.render.rank`` (table, csv, json, html), chunk
by chunk, to stdout or atomically to ``-o FILE``; problems come after it, on stderr.
Exit 0 when every row was ranked (even with cells ignored), 2 when a row was left out.
"""

from __future__ import annotations

import datetime as dt
import gc
import math
import shutil
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING

from dealrescue.catalog import finder as catalog
from dealrescue.commands.common import day_first
from dealrescue.errors import UsageError
from dealrescue.ui import terminal
from dealrescue.ui.output import check_target

if TYPE_CHECKING:
    from dealrescue.commands.rankfile import ScoredFile
    from dealrescue.commands.rankinput import ExportFormat
    from dealrescue.core.loader import CompiledPlaybook
    from dealrescue.core.render.rank import BandCount, RankingView, ViewRow

# Open deals are what a manager ranks most: qualify is the default (DESIGN: qualification).
DEFAULT_PLAYBOOK = "qualify"
# Lines a terminal table leaves for its title, header, "more" line, chart and summary.
_TABLE_MARGIN = 14


@dataclass
class RankOptions:
    file: Path
    playbook: str = DEFAULT_PLAYBOOK
    by: str | None = None  # a score id, or "amount": the ranking score times the amount
    format: str | None = None  # None: table on a terminal, csv otherwise
    output: Path | None = None
    force: bool = False
    playbooks_dir: Path | None = None
    amount: str | None = None  # the amount column (guessed from Amount, ARR, ACV... when None)
    dayfirst: bool = False
    wide: bool = False
    top: int | None = None
    raw: bool = False
    explain_columns: bool = False
    mapping: list[str] = field(default_factory=list)  # --map "Column=target", in order
    map_file: Path | None = None  # --map-file: a YAML mapping of column -> target
    # --from: ``deals export --all`` files the bands' records are counted from (default: the journal).
    sources: list[Path] = field(default_factory=list)
    encoding: str | None = None  # --encoding (a Python codec name); None: found (BOM, UTF-8, else cp1252)
    delimiter: str | None = None  # --delimiter: "," ";" "\t"; None: found from the header line


def rank(options: RankOptions) -> None:
    """Read, score and rank ``options.file``; write the ranking; exit 2 if a row was left out."""
    fmt = _choose_format(options)
    if options.output is not None:
        check_target(options.output, force=options.force)
    if options.top is not None and options.top < 1:
        raise UsageError(f"--top {options.top}: give a number of rows, 1 or more")
    compiled, _origin = catalog.load(options.playbook, options.playbooks_dir)
    mapping = column_mapping(options.mapping, options.map_file)
    from dealrescue.commands.rankinput import export_path, export_text
    from dealrescue.core.rank import score_order

    order = score_order(compiled, None if options.by == "amount" else options.by)
    # The exports are read before the deals, so a bad one stops rank before any work.
    records = _band_records(options, compiled, order)
    if options.file is not None:
        options = replace(options, file=export_path(options.file))
    with export_text(options.file, str(options.file), options.encoding, options.delimiter) as (path, how):
        _rank_file(options, fmt, compiled, mapping, path, order, records, how)


def _band_records(options: RankOptions, compiled: CompiledPlaybook, order: tuple[int, ...]) -> dict[str, str]:
    """The ranking score's judged bands with their record, from ``--from`` files or the journal."""
    from dealrescue.commands.track import band_records, record_runs

    playbook = compiled.playbook
    counted = record_runs(playbook, options.sources)
    if options.sources and not counted:
        named = ", ".join(str(f) for f in options.sources)
        terminal.notice(f"note: no finished {playbook.id} run in {named}: no band carries a record")
    return band_records(playbook, playbook.scores[order[0]].id, counted)


def _rank_file(options: RankOptions, fmt: str, compiled: CompiledPlaybook, mapping: dict[str, str],
               path: Path, order: tuple[int, ...], records: dict[str, str], how: ExportFormat) -> None:
    from dealrescue.commands.rankfile import score_file
    from dealrescue.commands.rankreport import report_problems
    from dealrescue.core.rank import explain_columns, unknown_columns_note

    source = str(options.file)
    weighted = options.by == "amount"
    if options.explain_columns:
        def explain(columns: object) -> None:
            from dealrescue.core.mdescape import strip_controls

            sys.stdout.write(strip_controls("\n".join(explain_columns(columns, compiled))) + "\n")  # type: ignore[arg-type]
            raise _Explained

        try:
            score_file(path, compiled, order, "", amount=options.amount, on_header=explain, mapping=mapping, source=source,
                       delimiter=how.delimiter)
        except _Explained:
            _say_how_read(source, how)
            return

    def warn(columns: object) -> None:
        note = unknown_columns_note(columns, compiled)  # type: ignore[arg-type]
        if weighted and columns.amount is None:  # type: ignore[attr-defined]
            raise UsageError("--by amount: the file has no amount column",
                             hint="name it with --amount COLUMN (rank --explain-columns shows the columns)")
        if note is not None:
            from dealrescue.core.mdescape import strip_controls

            terminal.notice(strip_controls(f"warning: {note}"))

    with _collector_paused():
        scored = score_file(path, compiled, order, dt.date.today().isoformat(), amount=options.amount,
                            dayfirst=day_first(options.dayfirst), weighted=weighted, on_header=warn, mapping=mapping,
                            source=source, delimiter=how.delimiter)
        if not len(scored.ranked) and not scored.scorer.bad_rows:
            terminal.notice(f"No rows to rank in {options.file}: it has a header and nothing else.")
        on_terminal = fmt == "table" and options.output is None and terminal.stdout_is_terminal()
        top = options.top
        if on_terminal and top is None:
            top = max(shutil.get_terminal_size().lines - _TABLE_MARGIN - len(_bands(scored, order, compiled, records)), 5)
        view = ranking_view(options, scored, compiled, order, records, top if fmt == "table" else None, fmt == "csv")
        view.read = how.described()
        from dealrescue.commands.rankfile import long_cells_readable

        with long_cells_readable():
            _write(view, fmt, options, on_terminal)
        sys.stdout.flush()  # the ranking first, then what went wrong (both may share one pipe)
    scored.problems.sort(key=lambda p: p.line)
    _say_how_read(source, how)
    report_problems(str(options.file), scored, 10 if on_terminal else None)
    if scored.scorer.bad_rows:
        plural = "s were" if scored.scorer.bad_rows > 1 else " was"
        raise UsageError(
            f"{scored.scorer.bad_rows} bad row{plural} left out of the ranking of {options.file} "
            f"({len(scored.ranked)} ranked)",
            hint="fix the rows reported above, then rank again",
        )


def _say_how_read(source: str, how: ExportFormat) -> None:
    """The summary's line on the encoding and delimiter, when they are not UTF-8 and a comma."""
    note = how.note()
    if note is not None:
        from dealrescue.core.mdescape import strip_controls

        terminal.notice(strip_controls(f"{source}: {note}"))


def column_mapping(pairs: list[str], map_file: Path | None) -> dict[str, str]:
    """``--map-file`` then ``--map COLUMN=TARGET`` (later ones win): column header -> question id or role."""
    mapping: dict[str, str] = {}
    if map_file is not None:
        from dealrescue.commands.rankfile import read_map_file

        mapping.update(read_map_file(map_file))
    for pair in pairs:
        column, sep, target = pair.rpartition("=")
        if not sep or not column.strip() or not target.strip():
            raise UsageError(f"--map {pair!r}: write COLUMN=TARGET", hint='e.g. --map "Identify Pain=pain"')
        mapping[column.strip()] = target.strip()
    return mapping


class _Explained(Exception):
    """--explain-columns: the header is all that is read."""


def _choose_format(options: RankOptions) -> str:
    if options.format is None:
        return "table" if options.output is None and terminal.stdout_is_terminal() else "csv"
    from dealrescue.core.render.registry import RANKING

    if options.format not in RANKING:
        raise UsageError(f"--format {options.format!r} is not known", hint=f"use --format {' or '.join(RANKING.names())}")
    return options.format


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Scoring keeps many small objects alive; the cycle collector rescanning them costs more than the work."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _utf8_stdout() -> None:
    """The ranking written to a pipe or a file is UTF-8 whatever the locale's encoding (Windows-1252
    on a Windows console, latin-1 in an old locale): it is read by other tools, like ``-o``'s file.
    A terminal keeps its encoding, and shows a character it has none for as ``?``, never a crash."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is None or (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "") == "utf8":
        return
    sys.stdout.flush()
    if terminal.stdout_is_terminal():
        reconfigure(errors="replace")
    else:
        reconfigure(encoding="utf-8")


def _bands(scored: ScoredFile, order: tuple[int, ...], compiled: object, records: dict[str, str]) -> list[BandCount]:
    """Accounts and amount per band of the ranking score, lowest band first; a band in ``records``
    (judged by its outcomes) carries its record: "Partly qualified · 7 of 19 won (19-59%)"."""
    from dealrescue.core.render.rank import BandCount

    score = compiled.playbook.scores[order[0]]  # type: ignore[attr-defined]
    bands = sorted(score.bands, key=lambda b: b.min)
    counts = {b.id: BandCount(f"{b.label} · {records[b.id]}" if b.id in records else b.label) for b in bands}
    scorer = scored.scorer
    amounts = scorer.amounts
    for k, standing in enumerate(scorer.standings):
        band = counts.get(standing.bands[order[0]] or "")
        if band is not None:
            band.accounts += 1
            if amounts and not math.isnan(amounts[k]):
                band.amount += amounts[k]
    return list(counts.values())


def ranking_view(options: RankOptions, scored: ScoredFile, compiled: object, order: tuple[int, ...],
                 records: dict[str, str], top: int | None, as_csv: bool = False) -> RankingView:
    """What every format shows; ``as_csv``: the passed-through cells come as CSV text, copied from the
    file where no cell changes (``RankingView.passed_csv``)."""
    from dealrescue.commands.rankfile import passed_cells, passed_csv
    from dealrescue.core.render.rank import RankingView, copied_cells, passed_csv_writer, ranking_columns

    columns = scored.columns
    # Every column of the file, in its order; one named like a ranking column (deal, a score id) is not repeated.
    added = set(ranking_columns(compiled, columns.amount is not None))  # type: ignore[arg-type]
    passed = tuple(i for i in columns.passed_through() if columns.headers[i] not in added)
    roles = {role: passed.index(index) for role, index in columns.roles.items() if index in passed}
    text = None
    if as_csv:
        text = passed_csv(scored, passed, passed_csv_writer(options.raw),
                          copied_cells(columns.width, passed, options.raw))
        rows: Iterable[ViewRow] = zip(scored.ranked.rows(0, top), repeat([]))
    else:
        cells = passed_cells(scored, passed)
        rows = ((row, cells(row[4])) for row in scored.ranked.rows(0, top))
    return RankingView(
        compiled=compiled,  # type: ignore[arg-type]
        order=order,
        source=str(options.file),
        date=dt.date.today().isoformat(),
        count=len(scored.ranked),
        rows=rows,
        passed=[columns.headers[i] for i in passed],
        roles=roles,
        has_amount=columns.amount is not None,
        bands=_bands(scored, order, compiled, records),
        problems=scored.problems,
        raw=options.raw,
        wide=options.wide,
        top=top,
        width=shutil.get_terminal_size((160, 24)).columns,
        quality=scored.scorer.quality(),
        dayfirst=day_first(options.dayfirst),  # as the cells were read: --dayfirst or DEALRESCUE_DAYFIRST
        passed_csv=text,
    )


def _write(view: RankingView, fmt: str, options: RankOptions, on_terminal: bool) -> None:
    from dealrescue.core.mdescape import strip_controls
    from dealrescue.core.render.registry import RANKING

    if options.output is None:
        _utf8_stdout()
    if on_terminal:
        from dealrescue.core.render.ranktable import table_lines
        from dealrescue.ui.console import show_chart

        for line in table_lines(view):
            sys.stdout.write(strip_controls(line) + "\n")
        show_chart(view)
        return
    from dealrescue.ui.output import emit

    # csv or json on a terminal: no escape sequence gets through.
    emit(
        RANKING.get(fmt)(view),
        options.output,
        force=options.force,
        written=f"Ranking of {view.count} row(s) written to {options.output}",
        clean=terminal.stdout_is_terminal(),
    )
