"""Folds for the fast scorer: the parts a row has gathered so far, for every score, as one small int.

A row's columns are folded in one at a time, by look-up: (the parts the row has so far, the parts
the next column's entry brings) -> the parts it has then. Entries that bring the same parts share
a fold, so the look-ups stay few however many distinct answers a column holds, and a row's standing
is found by an int, not by a tuple of totals. The parts join with each score's own join
(``FastScorer._combine``). Reasons are not folded in: with them the combinations grow with the rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from operator import attrgetter

from dealrescue.core.rank.tables import Memo

FOLD = attrgetter("fold")


class Folds:
    """Mixed into ``FastScorer``, which joins the parts."""

    def _combine(self, first: tuple[float, ...], second: tuple[float, ...]) -> tuple[float, ...]:
        raise NotImplementedError

    def _place_folds(self) -> None:
        self.fold_ids: dict[tuple[float, ...], int] = {}
        self.fold_parts: list[tuple[float, ...]] = []
        self.fold_with = Memo(self._folds_with)

    def _fold(self, parts: tuple[float, ...]) -> int:
        """The fold of ``parts`` (one id for equal parts)."""
        found = self.fold_ids.get(parts)
        if found is None:
            found = self.fold_ids[parts] = len(self.fold_parts)
            self.fold_parts.append(parts)
        return found

    def _folds_with(self, fold: int) -> Memo:
        return Memo(partial(self._fold_pair, fold))

    def _fold_pair(self, fold: int, other: int) -> int:
        return self._fold(self._combine(self.fold_parts[fold], self.fold_parts[other]))

    def folded(self, first: list[int], columns: list[list[int]]) -> list[int]:
        """Each row's fold: its fold in ``first``, then its fold in each of ``columns`` joined in, in order."""
        folds: Iterable[int] = first
        for column in columns:
            folds = map(dict.__getitem__, map(self.fold_with.__getitem__, folds), column)
        return list(folds)
