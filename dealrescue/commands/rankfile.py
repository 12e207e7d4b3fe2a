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
import re
import sys
import weakref
from array import array
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from dealrescue.commands.rankinput import bounded_lines, not_utf8_at, open_export
from dealrescue.errors import UsageError

if TYPE_CHECKING:
    from dealrescue.core.loader import CompiledPlaybook
    from dealrescue.core.rank import ColumnMap, Ranked, RowProblem, Scorer

# The csv module's own limit on one cell; a longer cell is skipped with a warning.
CELL_LIMIT = 131_072
# Cells up to this size are read (then skipped); a longer one means a broken file.
_READ_LIMIT = 64 << 20
# Columns of a header: Salesforce reports stop at a few hundred.
COLUMN_LIMIT = 10_000
# A progress bar is worth showing from this size on (about 10,000 rows).
_PROGRESS_BYTES = 1 << 20
# Excel's first line naming the delimiter ("sep=;"), as read with any delimiter.
_SEP_LINE = re.compile(r"(?i)sep=.?")
# Problems kept for the report after the output; beyond this they are only counted.
PROBLEMS_KEPT = 10_000


class ExportReader:
    """``csv.reader`` over a file read as bytes, noting where each row starts."""

    def __init__(self, handle: IO[bytes], source: str = "", size: int | None = None, delimiter: str = ",") -> None:
        self.handle = handle
        self.source = source
        self.size = size  # bytes to read: the file's size when it was opened (it may grow meanwhile)
        self.position = 0
        self.offsets = array("q")
        self.line_num = 0
        self.long_cells: Callable[[list[str], int], None] | None = None
        self._csv = csv.reader(self._lines(), delimiter=delimiter)

    def _lines(self) -> Iterator[str]:
        first = True
        for raw in bounded_lines(self.handle, self.source, self.size):
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
    path: Path | None = None  # where the rows are read again (the spooled copy of a pipe, the UTF-8 copy)
    delimiter: str = ","
    snapshot: tuple[int, int, int] = (0, 0, 0)  # inode, size, mtime when scored: a change is an error


@contextmanager
def field_limit(limit: int) -> Iterator[None]:
    """The csv module's limit on one cell (process-wide) set to ``limit`` while a file is read."""
    old = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def long_cells_readable() -> contextlib.AbstractContextManager[None]:
    """While the passed-through cells are read again: long cells read (then dropped), not fatal."""
    return field_limit(_READ_LIMIT)


def score_file(path: Path, compiled: CompiledPlaybook, order: tuple[int, ...], today: str, *,
               engine: bool = False, amount: str | None = None, dayfirst: bool = False,
               weighted: bool = False, on_header: Callable[[ColumnMap], None] | None = None,
               mapping: Mapping[str, str] | None = None, source: str | None = None,
               delimiter: str = ",") -> ScoredFile:
    """Score every row of the UTF-8 CSV file at ``path`` (named ``source`` in messages; cells
    separated by ``delimiter``), streaming it; problems are kept, not printed."""
    from dealrescue.core.rank import CellReader, RowProblem, make_scorer, match_columns
    from dealrescue.core.rank.columns import check_questions_fed

    source = source if source is not None else str(path)
    handle = open_export(path)
    with handle, field_limit(_READ_LIMIT):
        snapshot = _snapshot(handle.fileno())
        reader = ExportReader(handle, source, snapshot[1], delimiter)
        try:
            columns = match_columns(_header(reader, source, compiled), compiled, source, amount, mapping)
            if on_header is not None:
                on_header(columns)
            check_questions_fed(columns, compiled)
            scorer = make_scorer(compiled, columns, order, today, engine=engine, cells=CellReader(dayfirst))
            scored = ScoredFile(source, columns, scorer, None, reader.offsets, len(reader.offsets),  # type: ignore[arg-type]
                                path=path, snapshot=snapshot, delimiter=delimiter)

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
            line, column = not_utf8_at(path)
            raise UsageError(
                f"{source}:{line}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at column {column})",
                hint="leave --encoding out and rank picks, or name the file's encoding (--encoding cp1252)",
            ) from None
        except csv.Error as exc:
            # The csv module counts the lines of the rows it finished: the row it failed on starts on the next.
            if "new-line character" in str(exc):
                raise UsageError(f"{source}:{reader.line_num + 1}: a carriage return (CR) outside double quotes",
                                 hint="save the export again as CSV (a cell with a line break must be in double quotes)") from None
            raise UsageError(
                f"{source}:{reader.line_num + 1}: not readable as CSV: {exc}",
                hint="check the quotes on that line: a cell with a comma or a line break must be in double quotes",
            ) from None
    scored.ranked = scorer.ranked(weighted)
    return scored


def _header(reader: ExportReader, source: str, compiled: CompiledPlaybook) -> list[str]:
    """The first row with a filled cell: the header."""
    header = next((row for row in reader if any(cell.strip() for cell in row)), None)
    if header is not None and _SEP_LINE.fullmatch("".join(header)):  # Excel's "sep=;" line before the header
        header = next((row for row in reader if any(cell.strip() for cell in row)), None)
    if header is None:
        raise UsageError(
            f"{source} is empty",
            hint=f"export a header row first: deal, then question ids (dealrescue playbooks show {compiled.id} --questions)",
        )
    if len(header) > COLUMN_LIMIT:
        raise UsageError(f"{source}: a header of {len(header):,} columns, over the {COLUMN_LIMIT:,} rank reads",
                         hint="export only the columns the ranking needs (rank --explain-columns lists them)")
    return header


def read_columns(path: Path, compiled: CompiledPlaybook, *, amount: str | None = None,
                 mapping: Mapping[str, str] | None = None, source: str | None = None,
                 delimiter: str = ",") -> ColumnMap:
    """The columns of the UTF-8 export at ``path`` as ``rank`` matches them, from its header alone."""
    from dealrescue.core.rank import match_columns

    source = source if source is not None else str(path)
    with open_export(path) as handle, field_limit(_READ_LIMIT):
        try:
            header = _header(ExportReader(handle, source, delimiter=delimiter), source, compiled)
            return match_columns(header, compiled, source, amount, mapping)
        except UnicodeDecodeError:
            raise UsageError(f"{source}: the header is not UTF-8 text",
                             hint="leave --encoding out and rank picks, or name the file's encoding") from None
        except csv.Error as exc:
            raise UsageError(f"{source}: the header is not readable as CSV: {exc}",
                             hint="check the quotes of the first line") from None


def passed_cells(scored: ScoredFile, indexes: tuple[int, ...] | None = None) -> Callable[[int], list[str]]:
    """A function giving the passed-through cells of a row (by its position in the file); a file
    replaced or rewritten since it was scored is an error, never rows read at the wrong offsets."""
    indexes = scored.columns.passed_through() if indexes is None else indexes
    if not indexes:
        return lambda ordinal: []
    return _cells_of(_lines_of(scored), indexes, scored.columns.width, scored.delimiter)


def _cells_of(line_of: Callable[[int], bytes], indexes: tuple[int, ...], width: int,
              delimiter: str) -> Callable[[int], list[str]]:
    """A row's cells at ``indexes``, read as the first read (``ExportReader``) read them."""
    def cells(ordinal: int) -> list[str]:
        raw = line_of(ordinal)
        text = raw.decode("utf-8", "replace")
        if b'"' not in raw and len(raw) <= CELL_LIMIT:
            row = text.rstrip("\r\n").split(delimiter)  # no quotes: no cell holds a delimiter or a line break
        else:
            row = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
            row = [c if len(c) <= CELL_LIMIT else "" for c in row]
        if len(row) < width:
            row += [""] * (width - len(row))
        return [row[i] for i in indexes]

    return cells


def passed_csv(scored: ScoredFile, indexes: tuple[int, ...], as_csv: Callable[[list[str]], str],
               copied: Callable[[str], str | None]) -> Callable[[int], str]:
    """A function giving a row's passed-through cells as CSV text (by its position in the file):
    ``copied`` from the line as read when the writer would write them back unchanged (no
    splitting and writing again: only from a comma-separated file), else ``as_csv`` of ``passed_cells``."""
    line_of = _lines_of(scored)  # one descriptor for both
    cells = _cells_of(line_of, indexes, scored.columns.width, scored.delimiter)
    if scored.delimiter != ",":
        return lambda ordinal: as_csv(cells(ordinal))

    def text(ordinal: int) -> str:
        raw = line_of(ordinal)
        found = copied(raw.decode("utf-8", "replace").rstrip("\r\n")) if len(raw) <= CELL_LIMIT else None
        return found if found is not None else as_csv(cells(ordinal))

    return text


def _lines_of(scored: ScoredFile) -> Callable[[int], bytes]:
    """A row's bytes (by its position in the file), once the file is checked to be the one scored.

    Read with ``pread``, not through a mapping: rows are read in rank order, all over the file,
    and every page of a mapping touched stays in the process's memory (110 MiB more at a million
    rows); a ``pread`` copies only the row, from the page cache. The descriptor is closed when
    the function is dropped.
    """
    assert scored.path is not None
    fd = os.open(scored.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    try:
        if _snapshot(fd) != scored.snapshot:
            raise UsageError(f"{scored.source} changed while rank was reading it",
                             hint="rank it again once the export is written")
    except BaseException:
        os.close(fd)
        raise
    offsets, first, size = scored.offsets, scored.first_row, scored.snapshot[1]
    pread = getattr(os, "pread", _seek_and_read)

    def line_of(ordinal: int) -> bytes:
        start = offsets[where := first + ordinal]
        end = offsets[where + 1] if where + 1 < len(offsets) else size
        return pread(fd, min(end - start, _READ_LIMIT), start)

    weakref.finalize(line_of, os.close, fd)
    return line_of


def _seek_and_read(fd: int, size: int, offset: int) -> bytes:
    """``os.pread`` where there is none (Windows): rank reads the descriptor from one thread."""
    os.lseek(fd, offset, os.SEEK_SET)
    return os.read(fd, size)


def _snapshot(fd: int) -> tuple[int, int, int]:
    info = os.fstat(fd)
    return info.st_ino, info.st_size, info.st_mtime_ns


def read_map_file(path: Path) -> dict[str, str]:
    """``--map-file``: a YAML mapping of column header -> question id or role (deal, owner, amount...)."""
    from dealrescue.core.yamlread import MAX_BYTES, YamlProblem, read_yaml

    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read --map-file {path}: {exc.strerror}", hint="check the path") from None
    try:
        doc = read_yaml(raw)
    except YamlProblem as exc:
        raise UsageError(f"--map-file {path}{f':{exc.line}' if exc.line else ''}: {exc.message}",
                         hint='write one "Column header: question_id" line per column') from None
    if not isinstance(doc.data, dict) or not all(isinstance(v, str) for v in doc.data.values()):
        raise UsageError(f"--map-file {path}: expected a mapping of column headers to question ids or roles",
                         hint="for example:  Identify Pain: pain")
    return {str(k): v for k, v in doc.data.items()}


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
