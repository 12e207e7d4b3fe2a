"""What the journal gives back: runs, listing rows and follow-ups, read from rows by column name."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One recorded run: what was asked, answered and planned."""

    id: str
    deal: str
    playbook_id: str
    playbook_version: int
    playbook_source: str
    plan_date: str
    status: str
    answers: dict[str, Any]
    options: dict[str, Any]
    verdict_id: str | None
    verdict_title: str | None
    plan_markdown: str | None
    plan_json: str | None
    created_at: str
    updated_at: str
    problems: tuple[str, ...] = ()
    """Parts of the row that could not be read (a damaged value), each a sentence."""


@dataclass(frozen=True, slots=True)
class FollowupRecord:
    """One follow-up of a run, with the run's deal and playbook."""

    id: str
    run_id: str
    deal: str
    playbook_id: str
    text: str
    due: str
    done_at: str | None


# Each record field and the column it is read from: rows are mapped by these names, never by a
# position kept in step by hand.
_RUN_COLUMNS = {
    "id": "runs.id",
    "deal": "deal",
    "playbook_id": "playbook_id",
    "playbook_version": "playbook_version",
    "playbook_source": "playbook_source",
    "plan_date": "plan_date",
    "status": "status",
    "options": "options",
    "verdict_id": "verdict_id",
    "verdict_title": "verdict_title",
    "plan_markdown": "p.markdown",
    "plan_json": "p.json",
    "created_at": "created_at",
    "updated_at": "updated_at",
}
_RUN_NAMES = tuple(_RUN_COLUMNS)
_RUN_ID = _RUN_NAMES.index("id")
_RUN_SELECT = f"SELECT {', '.join(_RUN_COLUMNS.values())} FROM runs LEFT JOIN plans AS p ON p.run_id = runs.id"
_FOLLOWUP_COLUMNS = {
    "id": "f.id",
    "run_id": "f.run_id",
    "deal": "r.deal",
    "playbook_id": "r.playbook_id",
    "text": "f.text",
    "due": "f.due",
    "done_at": "f.done_at",
}
_FOLLOWUP_SELECT = f"SELECT {', '.join(_FOLLOWUP_COLUMNS.values())} FROM followups AS f JOIN runs AS r ON r.id = f.run_id"


def _run(row: Sequence[Any], answers: Sequence[tuple[str, str]]) -> RunRecord:
    """A run from its row and its answers' ``(question id, JSON text)`` pairs, in the order given.

    A value that is not JSON (a damaged row) is left out and named in ``problems``, so one bad
    row never hides the rest of the run.
    """
    named = dict(zip(_RUN_NAMES, row, strict=True))
    problems: list[str] = []
    named["playbook_version"] = int(named["playbook_version"])
    named["options"] = _decoded(named["options"], "its stored options", problems)
    if not isinstance(named["options"], dict):
        named["options"] = {}
    decoded: dict[str, Any] = {}
    for question_id, text in answers:
        value = _decoded(text, f"the answer to {question_id!r}", problems, _DAMAGED)
        if value is not _DAMAGED:
            decoded[str(question_id)] = value
    return RunRecord(answers=decoded, problems=tuple(problems), **named)


_DAMAGED = object()


def _decoded(text: Any, what: str, problems: list[str], missing: Any = None) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        problems.append(f"{what} is damaged in the journal (not JSON) and was left out")
        return missing


def _followup(row: Sequence[Any]) -> FollowupRecord:
    return FollowupRecord(**dict(zip(_FOLLOWUP_COLUMNS, row, strict=True)))
