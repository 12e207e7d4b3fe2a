"""Reading a CRM export for ``rank``: the rows streamed with each row's byte offset, scored,
and the columns passed through read again, row by row, when the ranking is written.

Keeping only an offset per row (not its cells) is what lets a million-row export with
wide note columns rank in flat memory.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import sys
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from dealrescue.errors import DealRescueError, UsageError
from dealrescue.ui import terminal

if TYPE_CHECKING:
    from dealrescue.core.loader import CompiledPlaybook
    from dealrescue.core.rank import ColumnMap, Ranked, RowProblem, Scorer

# The csv module's own limit on one cell; a longer cell is skipped with a warning.
CELL_LIMIT = 131_072
# Cells up to this size are read (then skipped); a longer one means a broken file.
_READ_LIMIT = 64 << 20
# A progress bar is worth showing from this size on (about 10,000 rows).
_PROGRESS_BYTES = 1 << 20
# Problems kept for the report after the output; beyond this they are only counted.
PROBLEMS_KEPT = 10_000


class ExportReader:
    """``csv.reader`` over a file read as bytes, noting where each row starts."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.position = 0
        self.offsets = array("q")
        self.line_num = 0
        self.long_cells: Callable[[list[str], int], None] | None = None
        self._csv = csv.reader(self._lines())

    def _lines(self) -> Iterator[str]:
        first = True
        for raw in self.handle:
            self.position += len(raw)
            text = raw.decode("utf-8")
            if first:
                text = text.removeprefix("\ufeff")
                first = False
            yield text

    def __iter__(self) -> ExportReader:
        return self

    def __next__(self) -> list[str]:
        start = self.position
        row = next(self._csv)
        self.offsets.append(start)
        self.line_num = self._csv.line_num
        if self.position - start > CELL_LIMIT and self.long_cells is not None:
            self.long_cells(row, self.line_num)
        return row


@dataclass
class ScoredFile:
    """A scored file: the ranking, where each row starts, and what went wrong."""

    source: str
    columns: ColumnMap
    scorer: Scorer
    ranked: Ranked
    offsets: array[int]
    first_row: int  # offsets index of the first row after the header
    problems: list[RowProblem] = field(default_factory=list)
    problem_count: int = 0


@contextmanager
def _field_limit(limit: int) -> Iterator[None]:
    old = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def long_cells_readable() -> contextlib.AbstractContextManager[None]:
    """While the passed-through cells are read again: long cells read (then dropped), not fatal."""
    return _field_limit(_READ_LIMIT)


def score_file(path: Path, compiled: CompiledPlaybook, order: tuple[int, ...], today: str, *,
               engine: bool = False, amount: str | None = None, dayfirst: bool = False,
               weighted: bool = False, on_header: Callable[[ColumnMap], None] | None = None) -> ScoredFile:
    """Score every row of the CSV file at ``path``, streaming it; problems are kept, not printed."""
    from dealrescue.core.rank import CellReader, RowProblem, make_scorer, match_columns

    source = str(path)
    handle = _open(path)
    with handle, _field_limit(_READ_LIMIT):
        reader = ExportReader(handle)
        try:
            header = next((row for row in reader if any(cell.strip() for cell in row)), None)
            if header is None:
                raise UsageError(
                    f"{source} is empty",
                    hint=f"export a header row first: deal, then question ids (dealrescue playbooks show {compiled.id} --questions)",
                )
            columns = match_columns(header, compiled, source, amount)
            if on_header is not None:
                on_header(columns)
            scorer = make_scorer(compiled, columns, order, today, engine=engine, cells=CellReader(dayfirst))
            scored = ScoredFile(source, columns, scorer, None, reader.offsets, len(reader.offsets))  # type: ignore[arg-type]

            def keep(problem: RowProblem) -> None:
                scored.problem_count += 1
                if len(scored.problems) < PROBLEMS_KEPT:
                    scored.problems.append(problem)

            def long_cells(row: list[str], line: int) -> None:
                for index, cell in enumerate(row):
                    if len(cell) > CELL_LIMIT:
                        name = columns.headers[index] if index < columns.width else str(index + 1)
                        row[index] = ""
                        what = "answer ignored" if index in columns.questions.values() else "skipped"
                        keep(RowProblem(line, name, f"a cell of {len(cell):,} characters, over the "
                                                    f"{CELL_LIMIT:,} a CSV cell may hold: {what}"))
                        scorer.ignored_cells += 1

            reader.long_cells = long_cells
            with _progress(path, handle, reader) as on_progress:
                scorer.feed(reader, keep, on_progress)
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
    scored.ranked = scorer.ranked(weighted)
    return scored


def passed_cells(path: Path, scored: ScoredFile) -> Callable[[int], list[str]]:
    """A function giving the passed-through cells of a row (by its position in the file)."""
    indexes = scored.columns.passed_through()
    if not indexes:
        return lambda ordinal: []
    fd = os.open(path, os.O_RDONLY)
    offsets, first, width = scored.offsets, scored.first_row, scored.columns.width

    def cells(ordinal: int) -> list[str]:
        start = offsets[first + ordinal]
        size = 4096
        while True:
            data = os.pread(fd, size, start)
            end = _row_end(data)
            if end is not None or len(data) < size:
                break
            size *= 4
        text = data[: end if end is not None else len(data)].decode("utf-8", "replace")
        row = next(csv.reader((text,) if end is not None and end < CELL_LIMIT and text.count("\n") == 1
                              else io.StringIO(text, newline="")), [])
        if len(row) < width:
            row += [""] * (width - len(row))
        picked = [row[i] for i in indexes]
        return picked if end is not None and end < CELL_LIMIT else [c if len(c) <= CELL_LIMIT else "" for c in picked]

    return cells


def _row_end(data: bytes) -> int | None:
    """Where the CSV row at the start of ``data`` ends (after its line break), or None if not in ``data``."""
    position = 0
    while True:
        newline = data.find(b"\n", position)
        if newline < 0:
            return None
        if data.count(b'"', 0, newline) % 2 == 0:
            return newline + 1
        position = newline + 1


def _open(path: Path) -> IO[bytes]:
    try:
        return open(path, "rb")  # noqa: SIM115 - closed by the caller
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


@contextmanager
def _progress(path: Path, handle: IO[bytes], reader: ExportReader) -> Iterator[Callable[[int], None] | None]:
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

    with progress_bar(f"Ranking {path.name}", size) as (update, _say):
        yield lambda rows: update(reader.position, rows)


def report_problems(source: str, scored: ScoredFile, shown: int | None) -> None:
    """Each problem on stderr as ``FILE:LINE: column COLUMN: message`` (the first ``shown``), then one summary line."""
    from dealrescue.core.mdescape import strip_controls

    problems = scored.problems if shown is None else scored.problems[:shown]
    for problem in problems:
        kind = "" if problem.left_out else "warning: "
        terminal.notice(strip_controls(f"{kind}{source}:{problem.line}: column {problem.column}: {problem.message}"))
    hidden = scored.problem_count - len(problems)
    scorer = scored.scorer
    if not scored.problem_count:
        return
    parts = []
    if scorer.ignored_cells:
        parts.append(f"{scorer.ignored_cells} cell{'s' if scorer.ignored_cells != 1 else ''} ignored "
                     "(the rows are still ranked)")
    if scorer.bad_rows:
        parts.append(f"{scorer.bad_rows} row{'s' if scorer.bad_rows != 1 else ''} left out")
    more = f"; {hidden} more not shown (--format json lists them)" if hidden > 0 else ""
    terminal.notice(strip_controls(f"{source}: {', '.join(parts)}{more}"))
