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
            word in first for word in ("don't", "do not", "never", "resist", "not ", "urge", "no discount")
        )


def test_triage_shows_the_pause_first_and_dates_no_live_call_guidance() -> None:
    compiled = load(next(p for p in BUNDLED if p.stem == "triage"))
    for case in compiled.playbook.tests:
        outcome = run_non_interactive(compiled, case.answers, case.deal, TODAY.isoformat())
        plan = build_plan(compiled, outcome, case.deal, TODAY)
        # The pause is for the next ten minutes: guidance on screen, never a to-do that can fall overdue.
        assert plan.sections[0].text is not None and plan.sections[0].text.plain.startswith("Pause before you react")
        assert not any("next ten minutes" in step.text.plain for step in plan.steps)


# --- qualify, through the CLI ------------------------------------------------------------

GRADES = ("unknown", "identified", "validated", "confirmed")
ELEMENTS = (
    "metrics", "economic_buyer", "decision_criteria", "decision_process",
    "paper_process", "pain", "champion", "competition",
)
STAGES = ("discovery", "evaluation", "proposal", "negotiation")


def _invoke(*args: str) -> Any:
    from typer.testing import CliRunner

    from dealrescue.cli.app import app

    return CliRunner().invoke(app, [str(a) for a in args])


def test_qualify_command_grades_names_the_buying_group_and_leads_to_walkaway() -> None:
    result = _invoke(
        "qualify", "Acme", "--set", "stage=proposal", "--set", "metrics=identified", "--set", "economic_buyer=identified",
        "--set", "champion_name=Priya Shah", "--no-input", "--no-save", "--date", "2026-11-22",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# Deal qualification (MEDDPICC): Acme")
    assert "## Verdict: Disqualify, and walk away well" in result.stdout
    assert "dealrescue run walkaway Acme" in result.stdout
    assert "No pain found, past discovery (2)" in result.stdout


def test_qualify_steps_name_more_than_one_contact() -> None:
    result = _invoke(
        "qualify", "Acme", "--set", "stage=evaluation", "--set", "pain=validated", "--set", "champion_name=Priya Shah",
        "--set", "budget_holder=Tom Reed", "--set", "blocker=Lee Park", "--no-input", "--no-save", "--date", "2026-11-22",
    )
    assert result.exit_code == 0, result.stderr
    plan = result.stdout.split("## Action plan")[1].split("\n## ")[0]
    for person in ("Priya Shah", "Tom Reed", "Lee Park"):
        assert person in plan


def test_rank_orders_thirty_deals_by_qualification_with_reasons(tmp_path: Path) -> None:
    import csv
    import io

    rng = random.Random(14)
    rows = [["deal", "stage", *ELEMENTS]]
    for n in range(30):
        rows.append([f"Deal {n:02d}", rng.choice(STAGES), *(rng.choice(GRADES) for _ in ELEMENTS)])
    sample = tmp_path / "pipeline.csv"
    with sample.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    result = _invoke("rank", sample, "--playbook", "qualify")
    assert result.exit_code == 0, result.stderr
    ranked = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(ranked) == 30
    totals = [float(r["qualification"]) for r in ranked]
    assert totals == sorted(totals, reverse=True)
    weights = {"metrics": 15, "economic_buyer": 15, "pain": 15, "champion": 15}
    credit = {"unknown": 0.0, "identified": 0.2, "validated": 0.6, "confirmed": 1.0}
    given = {row[0]: dict(zip(rows[0][1:], row[1:], strict=True)) for row in rows[1:]}
    for r in ranked:
        answers = given[r["deal"]]
        expected = sum(weights.get(e, 10) * credit[answers[e]] for e in ELEMENTS)
        assert float(r["qualification"]) == pytest.approx(expected)
        assert bool(r["reasons"]) == (expected > 0)
        assert r["verdict"] in {"qualified", "at_risk", "disqualify"}


# --- the pocket card -----------------------------------------------------------------------


@pytest.mark.parametrize("playbook", ["triage", "walkaway", "recover", "pulse", "qualify", "review"])
def test_card_prints_questions_and_what_not_to_say(playbook: str) -> None:
    result = _invoke("card", playbook)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].endswith(": pocket card") and lines[0].startswith("# ")
    assert "**Don't" in result.stdout
    assert "?" in result.stdout  # at least one question to ask
    assert len(lines) <= 30, "short enough to keep beside the phone"


def test_card_of_a_playbook_without_one_exits_2(write_playbook) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import MINIMAL

    result = _invoke("card", str(write_playbook(MINIMAL)))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "has no pocket card" in result.stderr


def test_card_text_cannot_drive_the_terminal(write_playbook) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import MINIMAL

    hostile = MINIMAL.replace("title: Mini\n", "title: '# Mini'\n") + 'card: "Ask \\e[2J{{ x }} \\a"\n'
    result = _invoke("card", write_playbook(hostile, "hostile.yaml"))
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert result.stdout == "# \\# Mini: pocket card\n\nAsk \u241b[2J{{ x }} \u2407\n"


def test_help_lists_qualify_and_card() -> None:
    result = _invoke("--help")
    assert result.exit_code == 0
    for command in ("qualify", "card"):
        assert f" {command} " in result.stdout
