"""Close date cells that are not dates: a row problem each (the row is still ranked, the date shown
as typed), and when most of a file's close dates read only the other way round (``15.01.2027``
without ``--dayfirst``), one line in the summary instead of one warning per row.

The close date is not an answer: no score reads it. But a manager sorts and chases deals by it, so
a date that is impossible (``2026-13-01``) or read only by the other day/month order must not pass
silently: that order is a setting of the whole file, and ``03.04.2027`` beside ``15.01.2027`` is
read as 4 March until it is set.
"""

from __future__ import annotations

from collections.abc import Sequence

from dealrescue.core.answers import AnswerProblem
from dealrescue.core.questions import choice_key
from dealrescue.core.rank.cells import NULL_WORDS, CellReader
from dealrescue.core.rank.columns import ColumnMap
from dealrescue.core.reading import NotADate, OtherOrder

# Distinct cells remembered (a file's close dates repeat); past this, cells are read each time.
_MEMO_LIMIT = 4096
_BLANK = ("", False)  # a blank cell or a null word (N/A, TBD)
_FINE = ("", True)  # a date


class CloseDates:
    """Checks the close date column of the rows kept; counts what the summary needs."""

    def __init__(self, columns: ColumnMap, cells: CellReader) -> None:
        self.index = columns.roles.get("close_date")
        self.column = columns.headers[self.index] if self.index is not None else ""
        self.cells = cells
        self._memo: dict[str, tuple[str, bool]] = {}  # cell -> _BLANK, _FINE or (problem, read the other way round)
        self.filled = 0
        self.other_order = 0
        self.example: tuple[str, int] | None = None  # the first date read only the other way round, its line

    def problems(self, rows: Sequence[list[str]], lines: Sequence[int]) -> list[tuple[int, str, bool]]:
        """(line, message, read only the other way round) for each close date of ``rows`` that is not a date."""
        index = self.index
        if index is None:
            return []
        memo = self._memo
        found = []
        for row, line in zip(rows, lines, strict=True):
            raw = row[index]
            read = memo.get(raw)
            if read is None:
                read = self._read(raw)
                if len(memo) < _MEMO_LIMIT:
                    memo[raw] = read
            if read is _BLANK:
                continue
            self.filled += 1
            if read is _FINE:
                continue
            message, other_order = read
            if other_order:
                self.other_order += 1
                if self.example is None:
                    self.example = (raw.strip(), line)
            found.append((line, message, other_order))
        return found

    def _read(self, raw: str) -> tuple[str, bool]:
        key = choice_key(raw)
        if not key or key in NULL_WORDS:
            return _BLANK
        try:
            self.cells.date(raw)
        except AnswerProblem as exc:
            said = str(exc)
            if isinstance(exc.__cause__, NotADate):  # not the answer forms (+9d, friday): a CRM writes dates
                said = f"{raw.strip()!r} is not a date: write YYYY-MM-DD or {'15/12/2026' if self.cells.dayfirst else '12/15/2026'}"
            return f"the close date {said}; shown as typed", isinstance(exc.__cause__, OtherOrder)
        return _FINE

    def note(self) -> str | None:
        """One line for the summary when most close dates read only the other way round, else None
        (then each is a warning of its own)."""
        if self.example is None or self.other_order * 2 <= self.filled:
            return None
        raw, line = self.example
        if self.cells.dayfirst:
            how, fix, other = "month first", "drop --dayfirst (and DEALRESCUE_DAYFIRST)", "day first"
        else:
            how, fix, other = "day first", "rank again with --dayfirst (or DEALRESCUE_DAYFIRST=1)", "month first"
        return (f"{self.other_order:,} of {self.filled:,} close dates ({self.column}) read only as {how}, "
                f"e.g. {raw!r} on line {line}: {fix}; until then they are shown as typed, and dates that read "
                f"both ways (03.04.2027) are taken {other}")
