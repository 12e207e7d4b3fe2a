"""A playbook's own ``tests:``: answers and the verdict (and scores) they must give."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from dealrescue.core.answers import number_text
from dealrescue.core.engine import Outcome, run_non_interactive
from dealrescue.core.loader import CompiledPlaybook
from dealrescue.core.model import PlaybookTest
from dealrescue.core.plan import build_plan
from dealrescue.core.render.plan import to_json, to_markdown
from dealrescue.errors import DealRescueError

TEST_DATE = dt.date(2026, 1, 15)


@dataclass(frozen=True)
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
        outcome = run_non_interactive(compiled, case.answers, case.deal, TEST_DATE.isoformat())
        plan = build_plan(compiled, outcome, case.deal, TEST_DATE)
        # Render both ways so a template that fails for these answers fails the case.
        to_markdown(plan)
        to_json(plan)
    except DealRescueError as exc:
        return CaseResult(case.name, False, expected, {}, error=exc.message, deal=case.deal, outcome=outcome)
    actual: dict[str, Any] = {"verdict": plan.verdict.id}
    actual.update({f"scores.{s.id}": s.total for s in plan.scores})
    passed = all(actual.get(k) == v for k, v in expected.items())
    return CaseResult(case.name, passed, expected, actual, deal=case.deal, outcome=outcome)


def run_cases(compiled: CompiledPlaybook, cases: list[PlaybookTest] | None = None) -> list[CaseResult]:
    return [run_case(compiled, case) for case in (cases if cases is not None else compiled.playbook.tests)]
