"""A playbook's track record: how often each verdict's advice worked, and how each score band fared.

Pure: runs in (as plain dicts, from the journal or from exported CSV files alike), the record
out. One function per rule: which runs count (``latest_runs``), the interval (``wilson``), the
counts (``tally``), the record (``track_record``). Both sources go through the same functions,
so the journal and its export give the same figures.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dealrescue.core.model import Playbook

# Below this many outcomes a figure is shown as counts only: "too few to judge".
MIN_OUTCOMES = 5
# The normal quantile of a two-sided 95% interval.
Z95 = 1.959963984540054
METHOD = "Wilson 95%"
CAVEAT = "An outcome reflects the verdict and what the rep did with it, not what would have happened otherwise."


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of ``successes`` out of ``n`` (n > 0)."""
    if n <= 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n and n > 0, got {successes} of {n}")
    p = successes / n
    z2 = z * z
    # In the order of operations of docs/track.md's SQL, so both give the same doubles.
    root = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # At 0 or n successes one end is exactly 0 or 1; rounding would leave it a hair off.
    low = 0.0 if successes == 0 else max(0.0, (p + z2 / (2 * n) - root) / (1 + z2 / n))
    high = 1.0 if successes == n else min(1.0, (p + z2 / (2 * n) + root) / (1 + z2 / n))
    return low, high


def round3(value: float) -> float:
    """``value`` to 3 decimals, half away from zero on its exact binary value: as SQL's ``round(x, 3)``
    does (DuckDB; Python's ``round`` goes half to even, so 1 of 16 would be 0.062 here, 0.063 there)."""
    from decimal import ROUND_HALF_UP, Decimal

    return float(Decimal(value).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def latest_runs(runs: Iterable[Mapping[str, Any]], since: str | None = None) -> list[Mapping[str, Any]]:
    """Each deal's latest finished run of each playbook (by ``created_at``), made on or after ``since``.

    A deal is its name in any case; a re-run replaces the run before it, so only the newest counts.
    """
    latest: dict[tuple[str, str], Mapping[str, Any]] = {}
    for run in runs:
        if run["status"] != "done" or not run.get("verdict"):
            continue
        key = (str(run["playbook"]), str(run["deal"]).casefold())
        kept = latest.get(key)
        if kept is None or (str(run["created_at"]), str(run["run_id"])) >= (str(kept["created_at"]), str(kept["run_id"])):
            latest[key] = run
    chosen = [r for r in latest.values() if since is None or str(r["plan_date"]) >= since]
    return sorted(chosen, key=lambda r: (str(r["created_at"]), str(r["run_id"])))


def is_success(playbook: Playbook, run: Mapping[str, Any]) -> bool:
    """Whether the run's outcome counts as success for its verdict: the one statement of the rule.

    A run read from a ``deals export --all`` file carries the judgement of the playbook it was made
    with (``success``: ``yes``/``no``, empty when that playbook could not be loaded) and that is what
    counts, as the warehouse SQL in docs/track.md counts ``success = 'yes'``: a team's record does not
    change with the manager's copy of the playbook. A journal's run is judged by the verdict's
    ``success:`` list of ``playbook``.
    """
    if not run.get("outcome"):
        return False
    if "success" in run:
        return str(run["success"]) == "yes"
    from dealrescue.core.outcomes import success_ids

    return run["outcome"] in success_ids(playbook, run.get("verdict"))


def tally(playbook: Playbook, runs: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Runs, outcomes, successes, the rate and its interval; judged only from ``MIN_OUTCOMES`` outcomes."""
    outcomes = [r for r in runs if r.get("outcome")]
    successes = sum(is_success(playbook, r) for r in outcomes)
    judged = len(outcomes) >= MIN_OUTCOMES
    interval = [round3(x) for x in wilson(successes, len(outcomes))] if judged else None
    return {
        "runs": len(runs),
        "outcomes": len(outcomes),
        "successes": successes,
        "rate": round3(successes / len(outcomes)) if judged else None,
        "interval": interval,
        "judged": judged,
    }


def runs_behind(playbook: Playbook, runs: list[Mapping[str, Any]], figure: str) -> list[Mapping[str, Any]]:
    """The runs behind one figure: a verdict id, or ``score.band`` (e.g. ``open_door.open``)."""
    score, _, band = figure.partition(".")
    if band:
        return [r for r in runs if r["bands"].get(score) == band]
    return [r for r in runs if r["verdict"] == figure]


def figures(playbook: Playbook) -> list[str]:
    """Every figure ``runs_behind`` takes: the verdict ids, then each ``score.band``."""
    return [v.id for v in playbook.verdicts] + [f"{s.id}.{b.id}" for s in playbook.scores for b in s.bands]


def verdict_tallies(playbook: Playbook, counted: list[Mapping[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """Each verdict of the playbook, in its order, with the tally of its runs."""
    return [(v.id, tally(playbook, runs_behind(playbook, counted, v.id))) for v in playbook.verdicts]


def band_tallies(playbook: Playbook, counted: list[Mapping[str, Any]]) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Each score's bands, in the playbook's order, with the tally of the runs that landed in them."""
    return {
        score.id: [(band.id, tally(playbook, runs_behind(playbook, counted, f"{score.id}.{band.id}"))) for band in score.bands]
        for score in playbook.scores
    }


def counted_runs(playbook: Playbook, runs: Iterable[Mapping[str, Any]], since: str | None = None) -> list[Mapping[str, Any]]:
    """The runs a playbook's record counts: each deal's latest finished run of it (see ``latest_runs``)."""
    return latest_runs((r for r in runs if r["playbook"] == playbook.id), since)


_BAND_KEYS = ("outcomes", "successes", "interval", "judged")


def track_record(playbook: Playbook, runs: Iterable[Mapping[str, Any]], since: str | None = None) -> dict[str, Any]:
    """The record as the JSON document ``dealrescue track --format json`` prints (its shape is a contract)."""
    counted = counted_runs(playbook, runs, since)
    return {
        "playbook": playbook.id,
        "since": since,
        "verdicts": [{"verdict": v, **counts} for v, counts in verdict_tallies(playbook, counted)],
        "bands": {
            score: [{"band": b, **{k: counts[k] for k in _BAND_KEYS}} for b, counts in bands]
            for score, bands in band_tallies(playbook, counted).items()
        },
    }


def band_words(playbook: Playbook, counted: list[Mapping[str, Any]]) -> str:
    """How a band's line names success: the one outcome all its runs' verdicts count, else "worked out"."""
    from dealrescue.core.outcomes import success_ids

    ids: set[str] = set()
    for run in counted:
        ids |= success_ids(playbook, run.get("verdict"))
    return success_words(playbook, ids)


def band_line(playbook: Playbook, counted: list[Mapping[str, Any]], score_id: str, band_id: str) -> str | None:
    """``7 of 19 won (19-59%)``: a band's record where a ranking or a plan shows the band; None until judged."""
    runs = runs_behind(playbook, counted, f"{score_id}.{band_id}")
    counts = tally(playbook, runs)
    if not counts["judged"]:
        return None
    return f"{counts['successes']} of {counts['outcomes']} {band_words(playbook, runs)} ({percent_range(counts['interval'])})"


def plan_record(playbook: Playbook, counted: list[Mapping[str, Any]], verdict_id: str) -> dict[str, Any] | None:
    """What a plan's verdict carries of its record once judged (None until then): the line the
    markdown shows (``Track record: 5 of 9 won back (27-81%, Wilson 95%)``) and, for the JSON
    document, the figures behind it as ``track`` counts them."""
    from dealrescue.core.outcomes import success_ids

    counts = tally(playbook, runs_behind(playbook, counted, verdict_id))
    if not counts["judged"]:
        return None
    words = success_words(playbook, success_ids(playbook, verdict_id))
    text = f"Track record: {counts['successes']} of {counts['outcomes']} {words} ({percent_range(counts['interval'])}, {METHOD})"
    # Not the runs: a plan reads only the deals with an outcome (``Journal.judged_rows``), not the pending ones.
    figures = {k: counts[k] for k in ("outcomes", "successes", "rate", "interval")}
    return {"text": text, **figures, "method": METHOD}


def success_words(playbook: Playbook, outcome_ids: Iterable[str]) -> str:
    """How a line names success: the one outcome's label in lower case ("won back"), else "worked out"."""
    ids = sorted(set(outcome_ids))
    labels = {o.id: o.label for o in playbook.outcomes}
    if len(ids) == 1 and ids[0] in labels:
        label = labels[ids[0]]
        return label[:1].lower() + label[1:]
    return "worked out"


def percent_range(interval: list[float]) -> str:
    """``[0.267, 0.811]`` as ``27-81%``."""
    low, high = interval
    return f"{round(low * 100)}-{round(high * 100)}%"


def figure_line(name: str, counts: Mapping[str, Any], words: str, *, pending: bool = True) -> str:
    """``fight on value: 5 of 9 won back (27-81%) · 3 pending``; counts only, "too few to judge", below 5 outcomes."""
    if counts.get("runs", counts["outcomes"]) == 0 and counts["outcomes"] == 0:
        return f"{name}: no runs yet"
    waiting = counts.get("runs", counts["outcomes"]) - counts["outcomes"]
    if counts["outcomes"] == 0:
        # Not "0 of 0 won back": there is nothing to count yet, only runs waiting for theirs.
        return f"{name}: no outcome yet" + (f" · {waiting} pending" if pending else "")
    text = f"{name}: {counts['successes']} of {counts['outcomes']} {words}"
    if counts["judged"]:
        text += f" ({percent_range(counts['interval'])})"
    if pending and waiting:
        text += f" · {waiting} pending"
    if not counts["judged"]:
        text += " · too few to judge"
    return text
