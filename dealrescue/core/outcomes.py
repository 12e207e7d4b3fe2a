"""A playbook's outcomes: what can happen to a deal after its plan, and which ones mean a verdict worked.

``outcomes:`` declares them (id, label); each verdict's ``success:`` lists the outcome ids that
count as its advice having worked. ``dealrescue outcome`` records one for a run and ``dealrescue
track`` counts them. The rules live here once: validate, the command and the record all ask.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dealrescue.core.model import Playbook
    from dealrescue.core.plan import Plan
    from dealrescue.core.yamlread import Path


def outcome_ids(playbook: Playbook) -> list[str]:
    return [o.id for o in playbook.outcomes]


def outcome_named(playbook: Playbook, given: str) -> str | None:
    """The outcome ``given`` names, by its id or its label, read as a choice is (``Won back``,
    ``won-back`` and ``WON_BACK`` are ``won_back``); None when it names none."""
    from dealrescue.core.questions import choice_key

    key = choice_key(given)
    return next((o.id for o in playbook.outcomes if key in (choice_key(o.id), choice_key(o.label))), None)


def closest(given: str, valid: list[str]) -> str | None:
    """The valid id nearest to ``given`` (difflib), or None when nothing is close."""
    found = difflib.get_close_matches(given, valid, n=1, cutoff=0.5)
    return found[0] if found else None


def success_ids(playbook: Playbook, verdict_id: str | None) -> frozenset[str]:
    """The outcome ids that count as success for ``verdict_id`` (none for an unknown verdict)."""
    for verdict in playbook.verdicts:
        if verdict.id == verdict_id:
            return frozenset(verdict.success)
    return frozenset()


def outcome_problems(playbook: Playbook) -> list[tuple[Path, str]]:
    """What is wrong with ``outcomes:`` and the verdicts' ``success:`` lists, by key path."""
    found: list[tuple[Path, str]] = []
    ids = outcome_ids(playbook)
    for index, outcome_id in enumerate(ids):
        if outcome_id in ids[:index]:
            found.append((("outcomes", index, "id"), f"outcome id {outcome_id!r} is used twice"))
    valid = ", ".join(ids)
    for v, verdict in enumerate(playbook.verdicts):
        for s, outcome_id in enumerate(verdict.success):
            if outcome_id in ids:
                continue
            path: Path = ("verdicts", v, "success", s)
            if not ids:
                found.append((path, f"{outcome_id!r} is not an outcome: this playbook declares none (add them under outcomes:)"))
                continue
            near = closest(outcome_id, ids)
            hint = f"; did you mean {near!r}?" if near else ""
            found.append((path, f"{outcome_id!r} is not one of this playbook's outcomes ({valid}){hint}"))
    return found


# With no customer date in the run, its outcome is asked for this long after the plan date.
NO_DATE_WAIT = dt.timedelta(weeks=6)


def scoring_fingerprint(playbook: Playbook) -> str:
    """A short digest of everything that turns answers into scores, bands and a verdict.

    Two runs with the same fingerprint were scored by the same points, rules, bands and verdict
    conditions, whatever else changed in the playbook: the groups a later fit of weights needs.
    """
    import hashlib
    import json

    parts = {
        "questions": [[q.id, q.points, [[c.value, c.points] for c in q.choices]] for q in playbook.questions],
        "scores": [dataclasses.asdict(s) for s in playbook.scores],
        "verdicts": [[v.id, v.when, v.default] for v in playbook.verdicts],
    }
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def scoring_record(playbook: Playbook, plan: Plan) -> dict[str, Any]:
    """What a run keeps of its scoring: the fingerprint, each score's total and band."""
    return {
        "fingerprint": scoring_fingerprint(playbook),
        "scores": {s.id: s.total for s in plan.scores},
        "bands": {s.id: s.band_id for s in plan.scores},
    }


def outcome_due(playbook: Playbook, plan: Plan) -> dt.date | None:
    """The day the to-do list starts asking for the run's outcome (None: the playbook declares none).

    The day after the customer's latest date answered in the run (a decision or signing date), or,
    without one still ahead at the plan date, six weeks after the plan date.
    """
    if not playbook.outcomes:
        return None
    from dealrescue.core.questions import kind_of

    dated = {q.id for q in playbook.questions if kind_of(q).dated}
    days = [
        day
        for a in plan.answers
        if a.id in dated and isinstance(a.value, str) and (day := _day(a.value)) is not None and day >= plan.date
    ]
    return max(days) + dt.timedelta(days=1) if days else plan.date + NO_DATE_WAIT


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None
