"""``dealrescue rank``: score and rank a CSV export of many deals at once.

The edge around ``dealrescue.core.rank``: reading the file (streamed with the
csv module), the progress bar (stderr, only on a terminal), the per-row reports,
and writing the ranking as a table, CSV or JSON.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import json
import os
import random
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from dealrescue.catalog import finder as catalog
from dealrescue.errors import DealRescueError, UsageError
from dealrescue.ui import terminal
from dealrescue.ui.output import check_target

if TYPE_CHECKING:
    from dealrescue.core.loader import CompiledPlaybook
    from dealrescue.core.rank import RankedRow, RowProblem

FORMATS = ("table", "csv", "json")
# A progress bar is worth showing from this size on (about 10,000 rows).
_PROGRESS_BYTES = 1 << 20


@dataclass
class RankOptions:
    file: Path
    playbook: str = "pulse"
    by: str | None = None
    format: str | None = None  # None: table on a terminal, csv otherwise
    output: Path | None = None
    force: bool = False
    playbooks_dir: Path | None = None


@dataclass
class Ranking:
    """The scored file: ranked rows (most at risk first) and the problems of the bad rows."""

    compiled: CompiledPlaybook
    order: tuple[int, ...]
    source: str
    date: str
    rows: list[RankedRow]
    problems: list[RowProblem] = field(default_factory=list)
    bad_rows: int = 0


def rank(options: RankOptions) -> None:
    """Read, score and rank ``options.file``; write the ranking; exit 2 if any row was bad."""
    fmt = _choose_format(options)
    _check_output(options)
    compiled, _origin = catalog.load(options.playbook, options.playbooks_dir)
    from dealrescue.core.rank import score_order

    order = score_order(compiled, options.by)
    with _collector_paused():
        ranking = score_file(options.file, compiled, order, dt.date.today().isoformat())
        if not ranking.rows and not ranking.bad_rows:
            terminal.notice(f"No rows to rank in {options.file}: it has a header and nothing else.")
        text = None if fmt == "table" and options.output is None else render(ranking, fmt)
    if text is None:
        show_table(ranking)
    else:
        from dealrescue.ui.output import emit

        emit(text, options.output, force=options.force, written=f"Ranking of {len(ranking.rows)} row(s) written to {options.output}")
    if ranking.bad_rows:
        plural = "s were" if ranking.bad_rows > 1 else " was"
        raise UsageError(
            f"{ranking.bad_rows} bad row{plural} left out of the ranking of {options.file} "
            f"({len(ranking.rows)} ranked)",
            hint="fix the rows reported above, then rank again",
        )


def _choose_format(options: RankOptions) -> str:
    if options.format is None:
        return "table" if options.output is None and terminal.stdout_is_terminal() else "csv"
    if options.format not in FORMATS:
        raise UsageError(f"--format {options.format!r} is not known", hint="use --format table, csv or json")
    return options.format


def _check_output(options: RankOptions) -> None:
    """Refuse before reading anything if the ranking could not be written."""
    if options.output is not None:
        check_target(options.output, force=options.force)


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


# --- reading -----------------------------------------------------------------------------------


def score_file(path: Path, compiled: CompiledPlaybook, order: tuple[int, ...], today: str, *,
               engine: bool = False) -> Ranking:
    """Score every row of the CSV file at ``path``, streaming it; bad rows are reported on stderr."""
    from dealrescue.core.rank import make_scorer, match_columns, unknown_columns_note

    source = str(path)
    handle = _open(path)
    with handle:
        reader = csv.reader(handle)
        try:
            header = next((row for row in reader if any(cell.strip() for cell in row)), None)
            if header is None:
                raise UsageError(
                    f"{source} is empty",
                    hint=f"export a header row first: deal, then question ids (dealrescue playbooks show {compiled.id} --questions)",
                )
            columns = match_columns(header, compiled, source)
            note = unknown_columns_note(columns, compiled)
            if note is not None:
                terminal.notice(f"warning: {note}")
            scorer = make_scorer(compiled, columns, order, today, engine=engine)
            ranking = Ranking(compiled, order, source, today, [])
            with _progress(path, handle) as on_progress:
                report = _reporter(source, ranking, on_progress)
                scorer.feed(reader, report, on_progress)
        except UnicodeDecodeError as exc:
            line, column = _undecodable(path)
            raise UsageError(
                f"{source}:{line}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at column {column})",
                hint="save the export as UTF-8 (in a spreadsheet: Save As, CSV UTF-8) and rank again",
            ) from None
        except csv.Error as exc:
            raise UsageError(
                f"{source}:{reader.line_num}: not readable as CSV: {exc}",
                hint="check the quotes on that line: a cell with a comma or a line break must be in double quotes",
            ) from None
    ranking.rows = scorer.result()
    ranking.bad_rows = scorer.bad_rows
    return ranking


def _open(path: Path) -> TextIO:
    try:
        return open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed by the caller
    except FileNotFoundError:
        raise UsageError(f"cannot read {path}: no such file", hint="check the path of the CSV export") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a folder", hint="give the path of a CSV file") from None
    except OSError as exc:
        raise DealRescueError(f"cannot read {path}: {exc.strerror}") from None


def _undecodable(path: Path) -> tuple[int, int]:
    """The line and column (1-based, in bytes) of the first byte that is not UTF-8."""
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                return number, exc.start + 1
    return 0, 0


def _reporter(source: str, ranking: Ranking, bar: _Bar | None) -> Callable[[RowProblem], None]:
    """Each problem of a bad row: one line on stderr, ``FILE:LINE: column COLUMN: message``."""
    from dealrescue.core.mdescape import strip_controls

    def report(problem: RowProblem) -> None:
        ranking.problems.append(problem)
        line = strip_controls(f"{source}:{problem.line}: column {problem.column}: {problem.message}")
        if bar is not None:
            bar.say(line)
        else:
            terminal.notice(line)

    return report


class _Bar:
    """``on_progress`` for the scorer: moves the progress bar by the bytes read so far."""

    def __init__(self, update: Callable[[int, int], None], say: Callable[[str], None], handle: TextIO) -> None:
        self.update = update
        self.say = say
        self.handle = handle

    def __call__(self, rows: int) -> None:
        self.update(self.handle.buffer.tell(), rows)


@contextmanager
def _progress(path: Path, handle: TextIO) -> Iterator[_Bar | None]:
    """A progress bar on stderr for a large file, only when stderr is a terminal."""
    try:
        size = os.fstat(handle.fileno()).st_size
        on_terminal = sys.stderr.isatty()
    except (OSError, ValueError, io.UnsupportedOperation):
        on_terminal = False
    if not on_terminal or size < _PROGRESS_BYTES:
        yield None
        return
    from dealrescue.ui.console import progress_bar

    with progress_bar(f"Ranking {path.name}", size) as (update, say):
        yield _Bar(update, say, handle)


# --- writing -----------------------------------------------------------------------------------


def render(ranking: Ranking, fmt: str) -> str:
    if fmt == "json":
        return render_json(ranking)
    if fmt == "table":
        return render_table_text(ranking)
    return render_csv(ranking)


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def _csv_field(text: str) -> str:
    """One field as ``csv.writer(lineterminator="\\n")`` writes it: quoted only when it must be."""
    return '"' + text.replace('"', '""') + '"' if _NEEDS_QUOTES.search(text) else text


def csv_header(compiled: CompiledPlaybook) -> list[str]:
    columns = ["rank", "deal"]
    for score in compiled.playbook.scores:
        columns += [score.id, f"{score.id}_band"]
    return [*columns, "verdict", "verdict_title", "reasons"]


def render_csv(ranking: Ranking) -> str:
    """The ranking as CSV: rank, deal, each score and its band, the verdict, the reasons.

    Lines end with ``\\n`` (friendlier to line tools than RFC 4180's CRLF; CSV readers take
    both). Rows share few standings and reasons, so each is written once and rows are joined.
    """
    pb = ranking.compiled.playbook
    rows = ranking.rows
    middle: dict[int, str] = {}  # per standing (by identity: rows share them): scores, bands, verdict
    for standing in dict(zip(map(id, map(itemgetter(3), rows)), map(itemgetter(3), rows), strict=True)).values():
        cells = []
        for total, band in zip(standing.totals, standing.bands, strict=True):
            cells += [str(_number(total)), band or ""]
        verdict = pb.verdicts[standing.verdict]
        middle[id(standing)] = ",".join(map(_csv_field, [*cells, verdict.id, verdict.title]))
    distinct = dict(zip(map(id, map(itemgetter(4), rows)), map(itemgetter(4), rows), strict=True))
    reasons = {key: _csv_field("; ".join(r)) for key, r in distinct.items()}
    deals: Iterable[str] = map(itemgetter(1), rows)
    if _NEEDS_QUOTES.search("".join(map(itemgetter(1), rows))):
        deals = map(_csv_field, deals)
    lines = map(
        ",".join,
        zip(
            map(str, range(1, len(rows) + 1)),
            deals,
            map(middle.__getitem__, map(id, map(itemgetter(3), rows))),
            map(reasons.__getitem__, map(id, map(itemgetter(4), rows))),
            strict=True,
        ),
    )
    return "\n".join(chain([",".join(csv_header(ranking.compiled))], lines)) + "\n"


def render_json(ranking: Ranking) -> str:
    pb = ranking.compiled.playbook
    labels = [{b.id: b.label for b in score.bands} for score in pb.scores]
    rows = []
    for rank, (_fold, deal, line, standing, reasons) in enumerate(ranking.rows, 1):
        verdict = pb.verdicts[standing.verdict]
        rows.append(
            {
                "rank": rank,
                "deal": deal,
                "line": line,
                "scores": {
                    score.id: {
                        "total": _number(standing.totals[s]),
                        "band": standing.bands[s],
                        "label": labels[s].get(standing.bands[s] or ""),
                    }
                    for s, score in enumerate(pb.scores)
                },
                "verdict": {"id": verdict.id, "title": verdict.title},
                "reasons": list(reasons),
            }
        )
    document = {
        "playbook": {"id": pb.id, "title": pb.title, "version": pb.version},
        "file": ranking.source,
        "date": ranking.date,
        "by": pb.scores[ranking.order[0]].id,
        "rows": rows,
        "bad_rows": [{"line": p.line, "column": p.column, "message": p.message} for p in ranking.problems],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _table_parts(ranking: Ranking) -> tuple[str, list[tuple[str, str]], list[list[str]]]:
    pb = ranking.compiled.playbook
    labels = [{b.id: b.label for b in score.bands} for score in pb.scores]
    columns = [("#", "right"), ("Deal", "left")]
    columns += [(pb.scores[s].title, "left") for s in ranking.order]
    columns += [("Verdict", "left"), ("Main reasons", "left")]
    rows = []
    for rank, (_fold, deal, _line, standing, reasons) in enumerate(ranking.rows, 1):
        scores = []
        for s in ranking.order:
            band = labels[s].get(standing.bands[s] or "")
            scores.append(f"{_number(standing.totals[s])}" + (f" {band}" if band else ""))
        rows.append([str(rank), deal, *scores, pb.verdicts[standing.verdict].title, "; ".join(reasons)])
    return f"{pb.title}: {len(ranking.rows)} ranked, most at risk first", columns, rows


def render_table_text(ranking: Ranking) -> str:
    """The table as plain text (for --format table into a file or a pipe)."""
    from dealrescue.ui.console import table_text

    return table_text(*_table_parts(ranking))


def show_table(ranking: Ranking) -> None:
    """The table on the terminal."""
    from dealrescue.ui.console import table_text

    table_text(*_table_parts(ranking), file=sys.stdout)


# --- a sample file, for tests and bench/ -------------------------------------------------------

_NAMES = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell", "Cyberdyne", "Soylent",
          "Wonka", "Gringotts", "Oscorp", "Vandelay", "Monarch", "Aperture", "Dunder", "Prestige", "Massive", "Pied")
_KINDS = ("Foods", "Logistics", "Labs", "Bank", "Health", "Retail", "Energy", "Media", "Systems", "Partners")


def make_sample_csv(path: Path, rows: int, seed: int = 0, playbook: str = "pulse",
                    playbooks_dir: Path | None = None) -> None:
    """Write a CSV of ``rows`` made-up deals answering ``playbook``, as a CRM export would.

    Deal names in no particular order; most accounts show few warning signs; about
    one cell in ten is blank; multiselect items in any order. Every row is valid.
    """
    compiled, _origin = catalog.load(playbook, playbooks_dir)
    questions = compiled.playbook.questions
    rng = random.Random(seed)
    base = dt.date(2026, 1, 1)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["deal", *[q.id for q in questions]])
        for number in range(rows):
            row = [f"{rng.choice(_NAMES)} {rng.choice(_KINDS)} {rng.randrange(10**6):06d}-{number}"]
            for q in questions:
                row.append(_sample_answer(q, rng, base))
            writer.writerow(row)


def _sample_answer(question: Any, rng: random.Random, base: dt.date) -> str:
    kind = question.type.value
    if kind == "multiselect":
        count = rng.choices((0, 1, 2, 3, 4), (40, 25, 20, 10, 5))[0]
        return ",".join(c.value for c in rng.sample(question.choices, min(count, len(question.choices))))
    optional = not question.required or question.default is not None
    if optional and rng.random() < 0.1:
        return ""
    if kind == "select":
        return str(rng.choice(question.choices).value)
    if kind == "confirm":
        return rng.choice(("yes", "no"))
    if kind in ("scale", "number"):
        low = int(question.min if question.min is not None else 1)
        high = int(question.max if question.max is not None else 10)
        return str(rng.randint(low, high))
    if kind == "date":
        return (base + dt.timedelta(days=rng.randrange(700))).isoformat()
    return rng.choice(("Globex", "Initech", "Umbrella", "Hooli", "a new vendor"))
