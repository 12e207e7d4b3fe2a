"""Every bundled playbook: loads, its own tests pass, every branch reaches a verdict and renders."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest

from dealrescue.core.engine import run_non_interactive
from dealrescue.core.loader import CompiledPlaybook, load_playbook
from dealrescue.core.model import Question, QuestionType
from dealrescue.core.plan import build_plan
from dealrescue.core.render.plan import to_json, to_markdown
from dealrescue.core.selftest import run_cases
from tests.conftest import BUNDLED

EXPECTED_IDS = {"triage", "recover", "walkaway", "pulse", "review", "qualify"}
TODAY = dt.date(2026, 11, 22)


def load(path: Path) -> CompiledPlaybook:
    return load_playbook(path.read_bytes(), str(path))


def test_the_bundled_playbooks_ship() -> None:
    assert {p.stem for p in BUNDLED} >= EXPECTED_IDS


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_loads_with_id_matching_file_name(path: Path) -> None:
    compiled = load(path)
    assert compiled.id == path.stem
    assert compiled.playbook.sources, "a bundled playbook names its sources"


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_embedded_tests_pass_and_cover_every_verdict(path: Path) -> None:
    compiled = load(path)
    results = run_cases(compiled)
    failures = {r.name: r.diff() for r in results if not r.passed}
    assert failures == {}
    covered = {c.verdict for c in compiled.playbook.tests}
    assert covered == {v.id for v in compiled.playbook.verdicts}


def _options(question: Question) -> list[Any]:
    kind = question.type
    values = [c.value for c in question.choices]
    if kind is QuestionType.select:
        return values
    if kind is QuestionType.multiselect:
        empty = [] if not question.required or question.min == 0 else [values[0]]
        return [empty, *([v] for v in values), values]
    if kind is QuestionType.confirm:
        return [True, False]
    if kind is QuestionType.scale:
        return [1, 3, 5, 8, 10]
    if kind is QuestionType.number:
        return [0, 5, 50, 5000]
    if kind is QuestionType.date:
        return ["2026-12-01"]
    return ["Globex {{ 7*7 }} | # *x*"]


def _sample_answers(compiled: CompiledPlaybook, count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    questions = compiled.playbook.questions
    options = [_options(q) for q in questions]
    samples = []
    # Each option of each question at least once, the rest random.
    for index, opts in enumerate(options):
        for value in opts:
            sample = {q.id: rng.choice(o) for q, o in zip(questions, options, strict=True)}
            sample[questions[index].id] = value
            samples.append(sample)
    samples += [{q.id: rng.choice(o) for q, o in zip(questions, options, strict=True)} for _ in range(count)]
    return samples


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_branch_reaches_a_verdict_and_renders(path: Path) -> None:
    compiled = load(path)
    reached = set()
    samples = _sample_answers(compiled, count=300, seed=7) + [dict(c.answers) for c in compiled.playbook.tests]
    for answers in samples:
        outcome = run_non_interactive(compiled, answers, "Acme", TODAY.isoformat())
        plan = build_plan(compiled, outcome, "Acme", TODAY)
        markdown = to_markdown(plan)
        to_json(plan)
        assert plan.steps, "every verdict leads to at least one dated step"
        assert "{{" not in markdown.replace("\\{\\{", "") or "7\\*7" in markdown
        # The hostile answer "Globex {{ 7*7 }}" shows as typed, never evaluated (scores may be 49).
        assert "Globex 49" not in markdown
        reached.add(plan.verdict.id)
    assert reached == {v.id for v in compiled.playbook.verdicts}


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_plan_never_leads_with_a_price_cut(path: Path) -> None:
    compiled = load(path)
    for case in compiled.playbook.tests:
        outcome = run_non_interactive(compiled, case.answers, case.deal, TODAY.isoformat())
        first = build_plan(compiled, outcome, case.deal, TODAY).steps[0].text.plain.lower()
        assert not any(word in first for word in ("discount", "cut the price", "lower the price", "price cut")) or any(
            word in first for word in ("don't", "do not", "never", "resist", "not ", "urge")
        )


def test_triage_starts_with_the_pause() -> None:
    compiled = load(next(p for p in BUNDLED if p.stem == "triage"))
    for case in compiled.playbook.tests:
        outcome = run_non_interactive(compiled, case.answers, case.deal, TODAY.isoformat())
        first = build_plan(compiled, outcome, case.deal, TODAY).steps[0]
        assert first.due == TODAY
        assert "pause" in first.text.plain.lower()


