"""Reason states for the fast scorer: a row's reasons as one small int, merged by look-up.

A reason candidate is an int that sorts like the engine's (score rank, -points, position);
a state keeps only the first candidate of each of the first few distinct sources (and
questions: ``scorer.reason_topics``), since nothing after those can ever be shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from dealrescue.core.rank.scorer import REASONS_SHOWN
from dealrescue.core.rank.scoring import Part, Scoring
from dealrescue.core.rank.tables import Memo


class ReasonStates:
    """Mixed into ``FastScorer``: what it needs is the scoring's description and the score order."""

    scoring: Scoring
    rank_of: dict[int, int]

    def _place_candidates(self) -> None:
        self.sources: dict[int, str] = {}
        self.topic_of: dict[int, str] = {}
        self.state_ids: dict[tuple[int, ...], int] = {(): 0}
        self.state_codes: list[tuple[int, ...]] = [()]
        self.state_reasons: list[tuple[str, ...]] = [()]
        self.merges = Memo(self._merges_with)

    def _candidate(self, part: Part) -> int:
        """A reason candidate as an int that sorts like ``Scoring.reason_key``."""
        code = self.scoring.reason_code(self.rank_of[part.score], part)
        self.sources[code] = part.source
        self.topic_of[code] = part.topic
        return code

    def _state(self, candidates: Iterable[int]) -> int:
        """The reason state of some candidates: the first of each of the first distinct sources (and topics)."""
        kept: list[int] = []
        seen: list[str] = []
        topics: set[str] = set()
        for code in sorted(candidates):
            source, topic = self.sources[code], self.topic_of[code]
            if source not in seen and topic not in topics:
                seen.append(source)
                topics.add(topic)
                kept.append(code)
                if len(kept) == REASONS_SHOWN:
                    break
        key = tuple(kept)
        found = self.state_ids.get(key)
        if found is None:
            found = len(self.state_codes)
            self.state_ids[key] = found
            self.state_codes.append(key)
            self.state_reasons.append(tuple(seen))
        return found

    def _merges_with(self, state: int) -> Memo:
        return Memo(partial(self._merge, state))

    def _merge(self, state: int, other: int) -> int:
        first, second = self.state_codes[state], self.state_codes[other]
        if not second or (len(first) == REASONS_SHOWN and first[-1] < second[0]):
            return state
        if not first or (len(second) == REASONS_SHOWN and second[-1] < first[0]):
            return other
        return self._state(first + second)

