"""The verdict first: after a playbook's key questions (``first: true``), the provisional verdict and one offer.

A rep may get one shot at the key questions in the first minutes after bad news. Once
they are answered, the verdict the answers so far give (every other question at its
default) is shown with one line of why and the first step; the rep then adds the
details for a dated plan, or makes the plan now as a draft and finishes it later
(``dealrescue resume ID``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from dealrescue.core.engine import provisional
from dealrescue.core.loader import CompiledPlaybook
from dealrescue.core.mdescape import strip_controls
from dealrescue.core.model import Question, validate_as
from dealrescue.errors import PlaybookError
from dealrescue.ui.prompting import Prompter, shortened, wrapped

OFFER = validate_as(Question, {
    "id": "add_details",
    "prompt": "Add the details for a dated plan?",
    "help": "No makes the plan now, as a draft; dealrescue resume asks the rest later.",
    "type": "confirm",
    "default": True,
})


def first_screen(prompter: Prompter, compiled: CompiledPlaybook) -> None:
    """The playbook's title and summary, and its pocket card when it has one (for the live call)."""
    playbook = compiled.playbook
    prompter.banner(f"{playbook.title}: {playbook.summary}")
    if playbook.card:
        prompter.banner(f"Pocket card for the call: dealrescue card {compiled.id}")


def verdict_lines(compiled: CompiledPlaybook, answers: Mapping[str, Any], deal: str, today: dt.date) -> list[str]:
    """The provisional verdict: its title, one line of why, and the first step (as far as the answers tell)."""
    from dealrescue.core.plan import build_plan

    outcome = provisional(compiled, answers, deal, today.isoformat())
    verdict = compiled.playbook.verdicts[outcome.verdict_index]
    lines = [f"Provisional verdict: {strip_controls(verdict.title)} (the questions left take their defaults)"]
    try:
        plan = build_plan(compiled, outcome, deal, today)
    except PlaybookError:
        return lines  # a template that needs the details: the title is what can be said now
    why = " ".join(plan.verdict.rationale.plain.split())
    if why:
        lines.append(f"Why: {shortened(strip_controls(why), 160)}")
    if plan.steps:
        first = plan.steps[0]
        lines.append(f"First step: {shortened(strip_controls(first.text.plain), 160)} (by {first.due.isoformat()})")
    return lines + hinge_lines(compiled, answers, deal, today)


def hinge_lines(compiled: CompiledPlaybook, answers: Mapping[str, Any], deal: str, today: dt.date) -> list[str]:
    """Which question left decides between the verdicts still open, and how (none when no single one does)."""
    from dealrescue.core.hinge import hinge

    found = hinge(compiled, answers, deal, today.isoformat())
    if found is None:
        return []
    lines = [f"It hinges on: {shortened(strip_controls(found.question.prompt), 160)}"]
    for verdict, labels in found.outcomes:
        said = "; ".join(shortened(strip_controls(label), 60) for label in labels)
        lines.append(f"  {strip_controls(verdict.title)} if {said}")
    return lines


def offer_details(prompter: Prompter, compiled: CompiledPlaybook, answers: Mapping[str, Any], deal: str,
                  today: dt.date, width: int) -> bool:
    """Show the provisional verdict and ask whether to go on; False makes the plan now (a draft)."""
    prompter.note("")
    for line in verdict_lines(compiled, answers, deal, today):
        depth = "  " * (1 + (len(line) - len(line.lstrip(" "))) // 2)  # a nested line (a hinge's verdict) goes one step in
        prompter.note(wrapped(line.lstrip(" "), width, indent=depth + "  ", first=depth))
    return bool(prompter.ask(OFFER, True, first=True))
