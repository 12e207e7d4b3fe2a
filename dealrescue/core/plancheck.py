"""What every plan must get right, whatever the answers, and a playbook's own ``invariants:``.

``findings`` builds one plan and returns what is wrong with it, each finding keyed by the
check that found it so the fuzzer can group them and shrink each to its smallest answers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from dealrescue.core.engine import Outcome, guard, run_non_interactive
from dealrescue.core.loader import CompiledPlaybook
from dealrescue.core.plan import Plan, build_plan
from dealrescue.core.questions import kind_of
from dealrescue.errors import AnswerError, DealRescueError

# Signs of a value that rendered as nothing: "Hi ,", "()", "[]", a Python list printed as text.
_EMPTY_VALUE = re.compile(r"\s[,;.](?:\s|$)|\(\s*\)|\[\s*\]|\['")
# A list item or numbered line with no words after its marker.
_EMPTY_ITEM = re.compile(r"^\s*(?:[-*]|\d+[.)])\s*$")
# What a talk track gives the rep to say: a quoted line, a list item or words in quotes.
_SAYABLE = re.compile(r"^\s*(?:>|[-*] |\d+[.)] )|[\"\u201c]", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong with one plan: ``key`` names the check (the fuzzer groups by it)."""

    key: str
    why: str
    detail: str = ""


def findings(compiled: CompiledPlaybook, answers: Mapping[str, Any], deal: str, date: dt.date) -> list[Finding]:
    """Everything the built-in checks and the invariants find in the plan these answers make."""
    try:
        outcome = run_non_interactive(compiled, answers, deal, date.isoformat())
        plan = build_plan(compiled, outcome, deal, date, markdown=False)
    except AnswerError:
        raise
    except DealRescueError as exc:
        return [Finding("render", "every condition and template must work for every answer", exc.message)]
    found = [*_dates(plan), *_blanks(plan), *_leaks(compiled, outcome, plan), *_order(plan)]
    found += _invariants(compiled, outcome, plan)
    return found


def customer_texts(plan: Plan) -> Iterator[tuple[str, str]]:
    """``(where, plain text)`` of each talk track and customer email: what the customer hears or reads."""
    for track in plan.talk_tracks:
        yield f"talk track {track.title.plain!r}", track.text.plain
    for email in plan.emails:
        if email.audience == "customer":
            yield f"email {email.title.plain!r} subject", email.subject.plain
            yield f"email {email.title.plain!r}", email.body.plain


def step_ids(compiled: CompiledPlaybook, outcome: Outcome) -> list[str]:
    """The ids of the steps a plan holds (steps without an id are left out)."""
    context = outcome.context
    found = []
    for i, step in enumerate(compiled.playbook.plan):
        if step.id and guard(compiled, f"plan[{i}].when", context):
            found.append(step.id)
    return found


def _dates(plan: Plan) -> Iterator[Finding]:
    """Nothing falls due before the plan date, nor after its own deadline."""
    dated: list[tuple[str, Any]] = [*(("step", s) for s in plan.steps), *(("follow-up", f) for f in plan.followups)]
    for kind, item in dated:
        if item.due < plan.date:
            yield Finding("before_plan_date", "nothing may fall due before the day the plan is made",
                          f"{kind} due {item.due} < plan date {plan.date}: {item.text.plain}")  # fmt: skip
        deadline = item.deadline
        if deadline is not None and deadline >= plan.date and item.due > deadline:
            yield Finding("deadline", "a step must be done by its deadline (the customer's date it serves)",
                          f"{kind} due {item.due} after its deadline {deadline}: {item.text.plain}")  # fmt: skip


def _order(plan: Plan) -> Iterator[Finding]:
    """A step or follow-up with ``after`` falls due on or after each one it waits for."""
    items: list[Any] = [*plan.steps, *plan.followups]
    due = {s.id: s.due for s in items if s.id}
    for step in items:
        for before in step.after:
            if before in due and due[before] > step.due:
                yield Finding("order", "a step may not fall due before a step it waits for",
                              f"{step.id or step.text.plain} ({step.due}) is due before {before} ({due[before]})")  # fmt: skip


def _blanks(plan: Plan) -> Iterator[Finding]:
    """No talk track or email is empty, ends on its intro, or shows a value that rendered as nothing."""
    for where, text in customer_texts(plan):
        key = f"empty: {where}"
        why = "a talk track or email must not be empty, end on its intro, or show a blank where a value belongs"
        lines = [line for line in text.splitlines() if line.strip()]
        if not lines:
            yield Finding(key, why, f"{where} is empty")
            continue
        if lines[-1].rstrip().endswith(":") or (where.startswith("talk track") and not _SAYABLE.search(text)):
            yield Finding(key, why, f"{where} ends on its intro: {lines[-1].strip()!r}")
        for line in lines:
            if _EMPTY_ITEM.match(line) or _EMPTY_VALUE.search(line):
                yield Finding(key, why, f"{where}: {line.strip()!r}")
                break


def _leaks(compiled: CompiledPlaybook, outcome: Outcome, plan: Plan) -> Iterator[Finding]:
    """A rep-only answer's value never appears in what the customer hears or reads (whatever the route)."""
    private = [
        q.id
        for q in compiled.playbook.questions
        if kind_of(q).free_text and not q.customer_safe and q.id in outcome.answers
    ]
    texts = list(customer_texts(plan))
    for question_id in private:
        value = outcome.answers.get(question_id)
        if not isinstance(value, str) or len(value.strip()) < 3:
            continue
        for where, text in texts:
            if value.strip() in text:
                yield Finding(f"leak: {question_id}", f"{question_id!r} is a rep's note: its value must never reach customer text",
                              f"{where} shows {value.strip()!r}")  # fmt: skip
                break


def _invariants(compiled: CompiledPlaybook, outcome: Outcome, plan: Plan) -> list[Finding]:
    invariants = compiled.playbook.invariants
    if not invariants:
        return []
    context = {**outcome.context, "steps": step_ids(compiled, outcome)}
    found = []
    for i, invariant in enumerate(invariants):
        path = f"invariants[{i}].never"
        try:
            broken = guard(compiled, path, context)
        except DealRescueError as exc:
            found.append(Finding(path, "every invariant must evaluate for every answer", exc.message))
            continue
        if broken:
            bands = ", ".join(f"{score.id} {score.band_id}" for score in outcome.scores if score.band_id)
            found.append(Finding(path, invariant.why, f"verdict {plan.verdict.id}" + (f"; bands: {bands}" if bands else "")))
    return found

