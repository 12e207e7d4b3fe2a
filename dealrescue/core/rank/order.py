"""The order of a ranking: which score ranks first, and how each score breaks ties."""

from __future__ import annotations

from collections.abc import Sequence

from dealrescue.core.loader import CompiledPlaybook
from dealrescue.errors import UsageError


def score_order(compiled: CompiledPlaybook, by: str | None) -> tuple[int, ...]:
    """Score indexes in ranking order: ``by`` first (if given), then the rest as declared."""
    ids = [s.id for s in compiled.playbook.scores]
    if not ids:
        raise UsageError(
            f"playbook {compiled.id} has no scores, so there is nothing to rank by",
            hint="rank with a playbook that declares scores (pulse does)",
        )
    if by is None:
        return tuple(range(len(ids)))
    if by not in ids:
        raise UsageError(f"--by {by!r}: playbook {compiled.id} has no such score",
                         hint=f"its scores: {', '.join(ids)} (or amount, with an amount column)")
    first = ids.index(by)
    return (first, *(i for i in range(len(ids)) if i != first))


def tie_signs(compiled: CompiledPlaybook, order: Sequence[int]) -> tuple[float, ...]:
    """Per score, -1 to sort it highest first, 1 to sort it lowest first.

    The ranking score sorts highest first: the best deals first when higher is better for it
    (``better: higher``), the most at risk first when lower is. Each next score breaks ties
    in the same sense, read in its own direction: after a best-first score, the better total
    of the next comes first; after a worst-first one, the worse.
    """
    scores = compiled.playbook.scores
    first = 1 if scores[order[0]].better == "higher" else -1
    return tuple(-1.0 * first * (1 if score.better == "higher" else -1) for score in scores)


def reason_ranks(compiled: CompiledPlaybook, order: Sequence[int]) -> dict[int, int]:
    """Score index -> the rank of its reasons among a row's: warning signs first.

    The points of a score where lower is better (``better: lower``: red flags, risk) are what
    is wrong with a deal, so a row shows them before the points of a score where higher is
    better (evidence, fit); within each group, the ranking order. A deal disqualified for its
    warning signs shows them, not only what it has going for it.
    """
    scores = compiled.playbook.scores
    ranked = sorted(order, key=lambda s: scores[s].better == "higher")
    return {s: rank for rank, s in enumerate(ranked)}
