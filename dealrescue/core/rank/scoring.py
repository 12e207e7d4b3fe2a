"""One description of a playbook's scoring, read by the fast scorer, ``rank --sql`` and ``explain``.

Built once per playbook from the engine's own functions, so it states no rule of its own:
what an answer gives comes from ``answer_points``, what a rule gives from
``rule_contribution``, how parts join from ``combine_operator``/``combine_start``, bands
from ``band_for`` (as thresholds: the band of every total at or above each distinct
``min``), the verdicts' order from ``verdict_order``, which answers a row cannot do
without from ``needs_answer``. Reasons: every part that can be given has a position in the
engine's order within its score, and ``reason_key`` sorts them as ``reasons_of`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dealrescue.core import engine as rules
from dealrescue.core.loader import CompiledPlaybook
from dealrescue.core.model import Question
from dealrescue.core.questions import kind_of
from dealrescue.core.rank.scorer import REASONS_SHOWN, pick_reasons, reason_topics
from dealrescue.core.rank.tables import EXACT_SCALE, largest_answer


@dataclass(frozen=True, slots=True)
class Part:
    """Points one score can receive, from one answer or one rule, and the reason it gives."""

    score: int  # index into the playbook's scores
    position: int  # where the engine lists it among the score's contributions
    points: float
    source: str  # the contribution's source: the reason's text
    topic: str  # reasons of one topic are shown once (``reason_topics``)


@dataclass(frozen=True, slots=True)
class ScoreTable:
    """One score: how its parts join, and its bands as thresholds."""

    id: str
    join: Callable[[float, float], float]
    start: float  # the total before any part (``combine_start``)
    steps: tuple[tuple[float, str | None], ...]  # (lowest total, band id), highest first

    def band(self, total: float) -> str | None:
        """The band of ``total``: the first step it reaches (below every step: none)."""
        for lowest, band in self.steps:
            if total >= lowest:
                return band
        return None


def band_steps(score: Any) -> tuple[tuple[float, str | None], ...]:
    """``band_for`` as thresholds: between two distinct ``min`` values it gives one band, so ask it at each."""
    steps = []
    for lowest in sorted({band.min for band in score.bands}, reverse=True):
        found = rules.band_for(score, lowest)
        steps.append((float(lowest), found.id if found else None))
    return tuple(steps)


class Scoring:
    """The description. Positions: question ``i``'s choice ``n`` at ``stride * i + n``, its
    per-answer points at ``stride * i + len(choices)``, rule ``r`` at ``rule_base + r``
    (the engine lists answers question by question, then rules)."""

    def __init__(self, compiled: CompiledPlaybook) -> None:
        pb = compiled.playbook
        self.compiled = compiled
        self.questions = pb.questions
        self.scores = tuple(
            ScoreTable(s.id, rules.combine_operator(s), rules.combine_start(s), band_steps(s)) for s in pb.scores
        )
        self.score_index = {s.id: n for n, s in enumerate(pb.scores)}
        self.verdicts_tried, self.verdict_default = rules.verdict_order(pb)
        self.needs_answer = tuple(rules.needs_answer(q) for q in pb.questions)
        self.topics = reason_topics(compiled)
        self.stride = 2 + max((len(q.choices) for q in pb.questions), default=0)
        self.rule_base = self.stride * (len(pb.questions) + 1)
        self.positions = self.rule_base + max((len(s.rules) for s in pb.scores), default=0) + 1
        self.rule_parts = tuple(
            tuple(self._part(s, self.rule_base + r, rules.rule_contribution(score, r)) for r in range(len(score.rules)))
            for s, score in enumerate(pb.scores)
        )
        # The largest points a part can carry, for reason keys packed into one int.
        points = [abs(p) for q in pb.questions for c in q.choices for p in c.points.values()]
        points += [abs(r.points) for s in pb.scores for r in s.rules]
        points += [abs(w) * largest_answer(q) for q in pb.questions for w in q.points.values()]
        self.most = int(max(points, default=0.0) * EXACT_SCALE) + 1

    def _part(self, s: int, position: int, contribution: rules.Contribution) -> Part:
        source = contribution.source
        return Part(s, position, contribution.points, source, self.topics.get((s, source), source))

    def answer_parts(self, i: int, value: Any) -> list[Part]:
        """What answer ``value`` to question ``i`` gives, in the engine's order (``answer_points``)."""
        q: Question = self.questions[i]
        base = self.stride * i
        positions = {c.label: base + n for n, c in enumerate(q.choices)}
        return [
            self._part(self.score_index[score_id], positions.get(c.source, base + len(q.choices)), c)
            for score_id, c in rules.answer_points(q, value)
        ]

    def choice_answers(self, i: int) -> list[tuple[str, Any]]:
        """For a question whose answers are few: (what the answer is, the answer as the engine holds it)
        for each answer that can give points; a multiselect's choices one at a time."""
        q = self.questions[i]
        kind = kind_of(q)
        if kind.yes_no:
            return [("yes", True), ("no", False)]
        if kind.many:
            return [(c.value, [c.value]) for c in q.choices]
        return [(c.value, c.value) for c in q.choices]

    def reason_key(self, rank: int, part: Part) -> tuple[int, float, int]:
        """How reason candidates sort (``reasons_of``): ranking score first, larger points, the engine's order."""
        return (rank, -part.points, part.position)

    def reason_code(self, rank: int, part: Part) -> int:
        """``reason_key`` packed into one int that sorts the same (points are exact multiples of 1/EXACT_SCALE)."""
        return ((rank * 2 * self.most + (self.most - int(part.points * EXACT_SCALE))) * self.positions
                + part.position)


def same_reason(first: Part, second: Part) -> bool:
    """Whether ``pick_reasons`` shows only one of two candidates, whichever comes first."""
    return len(pick_reasons([(0, 0, 0, first.source, first.topic), (0, 0, 1, second.source, second.topic)])) == 1


__all__ = ["REASONS_SHOWN", "Part", "ScoreTable", "Scoring", "band_steps", "same_reason"]
