"""A playbook's own ``tests:``: answers and the verdict (and scores) they must give."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from dealrescue.core.answers import number_text
from dealrescue.core.engine import Outcome, run_non_interactive
from dealrescue.core.loader import CompiledPlaybook
from dealrescue.core.model import PlaybookTest
from dealrescue.core.plan import Plan, build_plan
from dealrescue.core.render.plan import to_document, to_json, to_markdown
from dealrescue.errors import DealRescueError

TEST_DATE = dt.date(2026, 1, 15)


@dataclass(frozen=True, slots=True)
class CaseResult:
    name: str
    passed: bool
    expected: dict[str, Any]
    actual: dict[str, Any]
    error: str | None = None
    deal: str = ""
    outcome: Outcome | None = None  # what the engine decided, to explain a failure

    def diff(self) -> list[str]:
        if self.error:
            return [self.error]
        return [
            f"{key}: expected {_as_written(self.expected[key])}, got {_as_written(self.actual.get(key))}"
            for key in self.expected
            if self.expected[key] != self.actual.get(key)
        ]


def _as_written(value: Any) -> str:
    """30.0 as 30, as an author writes it; text quoted."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number_text(value)
    return repr(value)


def run_case(compiled: CompiledPlaybook, case: PlaybookTest) -> CaseResult:
    expected: dict[str, Any] = {"verdict": case.verdict}
    expected.update({f"scores.{k}": v for k, v in case.scores.items()})
    outcome = None
    try:
        date = dt.date.fromisoformat(case.date) if case.date else TEST_DATE
        due_by = dt.date.fromisoformat(case.due_by) if case.due_by else None
    except ValueError as exc:
        return CaseResult(case.name, False, expected, {}, error=f"date or due_by is not a YYYY-MM-DD date: {exc}")
    try:
        outcome = run_non_interactive(compiled, case.answers, case.deal, date.isoformat())
        plan = build_plan(compiled, outcome, case.deal, date)
        # Render both ways so a template that fails for these answers fails the case.
        to_markdown(plan)
        to_json(plan)
    except DealRescueError as exc:
        return CaseResult(case.name, False, expected, {}, error=exc.message, deal=case.deal, outcome=outcome)
    actual: dict[str, Any] = {"verdict": plan.verdict.id}
    actual.update({f"scores.{s.id}": s.total for s in plan.scores})
    shown, customer = _plan_text(plan)
    for words in case.includes:
        expected[f"includes {words!r}"] = True
        actual[f"includes {words!r}"] = words in shown
    for words in case.excludes:
        expected[f"excludes {words!r}"] = True
        actual[f"excludes {words!r}"] = words not in shown
    for words in case.customer_excludes:
        expected[f"customer text excludes {words!r}"] = True
        actual[f"customer text excludes {words!r}"] = words not in customer
    if due_by is not None:
        expected[f"every step due on or before {due_by}"] = True
        actual[f"every step due on or before {due_by}"] = all(s.due <= due_by for s in plan.steps)
    passed = all(actual.get(k) == v for k, v in expected.items())
    return CaseResult(case.name, passed, expected, actual, deal=case.deal, outcome=outcome)


def _plan_text(plan: Plan) -> tuple[str, str]:
    """The plain text a plan shows (all but the answers list), and its customer-facing part."""
    doc = to_document(plan)
    customer = [*(t["text"] for t in doc["talk_tracks"]), *(f"{m['subject']}\n{m['body']}" for m in doc["emails"] if m["audience"] == "customer")]
    doc.pop("answers")
    return "\n".join(_strings(doc)), "\n".join(customer)


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return []


def run_cases(compiled: CompiledPlaybook, cases: list[PlaybookTest] | None = None) -> list[CaseResult]:
    return [run_case(compiled, case) for case in (cases if cases is not None else compiled.playbook.tests)]
