"""A playbook's own ``tests:``: answers and the verdict (and scores) they must give."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from dealrescue.core.engine import run_non_interactive
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

    def diff(self) -> list[str]:
        if self.error:
            return [self.error]
        return [
            f"{key}: expected {self.expected[key]!r}, got {self.actual.get(key)!r}"
            for key in self.expected
            if self.expected[key] != self.actual.get(key)
        ]


def run_case(compiled: CompiledPlaybook, case: PlaybookTest) -> CaseResult:
    expected: dict[str, Any] = {"verdict": case.verdict}
    expected.update({f"scores.{k}": v for k, v in case.scores.items()})
    expected.update({f"shows {text!r}": True for text in case.contains})
    expected.update({f"shows {text!r}": False for text in case.lacks})
    try:
        outcome = run_non_interactive(compiled, case.answers, case.deal, TEST_DATE.isoformat())
        plan = build_plan(compiled, outcome, case.deal, TEST_DATE)
        # Render both ways so a template that fails for these answers fails the case.
        shown = plain_text(to_markdown(plan))
        to_json(plan)
    except DealRescueError as exc:
        return CaseResult(case.name, False, expected, {}, error=exc.message)
    actual: dict[str, Any] = {"verdict": plan.verdict.id}
    actual.update({f"scores.{s.id}": s.total for s in plan.scores})
    actual.update({f"shows {text!r}": plain_text(text) in shown for text in [*case.contains, *case.lacks]})
    passed = all(actual.get(k) == v for k, v in expected.items())
    return CaseResult(case.name, passed, expected, actual)


_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_QUOTE_MARK = re.compile(r"^>[ ]?", re.MULTILINE)


def plain_text(markdown: str) -> str:
    """Markdown as a reader sees the words: escapes and quote marks dropped, spacing collapsed."""
    return " ".join(_QUOTE_MARK.sub("", _ESCAPE.sub(r"\1", markdown)).split())


def run_cases(compiled: CompiledPlaybook, cases: list[PlaybookTest] | None = None) -> list[CaseResult]:
    return [run_case(compiled, case) for case in (cases if cases is not None else compiled.playbook.tests)]
