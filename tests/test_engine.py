"""The engine and plan builder on plain data: answers, conditions, scores, verdicts, dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dealrescue.core.answers import AnswerProblem, parse_answer
from dealrescue.core.engine import collect_answers, run_non_interactive
from dealrescue.core.loader import load_playbook
from dealrescue.core.model import Question, validate_as
from dealrescue.core.plan import add_offset, build_plan
from dealrescue.errors import AnswerError
from tests.conftest import MINIMAL

TODAY = "2026-11-22"


def compiled(text: str = MINIMAL):  # type: ignore[no-untyped-def]
    return load_playbook(text.encode(), "test.yaml")


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        ("+0d", "2026-11-22"),
        ("+2d", "2026-11-24"),
        ("+1w", "2026-11-29"),
        ("+3m", "2027-02-22"),
        ("+1y", "2027-11-22"),
        ("10d", "2026-12-02"),
    ],
)
def test_due_offsets(offset: str, expected: str) -> None:
    assert add_offset(dt.date(2026, 11, 22), offset).isoformat() == expected


def test_month_offset_clamps_to_month_end() -> None:
    assert add_offset(dt.date(2026, 1, 31), "+1m") == dt.date(2026, 2, 28)
    assert add_offset(dt.date(2027, 11, 30), "+3m") == dt.date(2028, 2, 29)


@pytest.mark.parametrize(
    ("qtype", "extra", "raw", "expected"),
    [
        ("text", {}, "  Globex  ", "Globex"),
        ("text", {}, "two\nlines", "two lines"),
        ("multiline", {}, "two\nlines\n", "two\nlines"),
        ("confirm", {}, "Yes", True),
        ("confirm", {}, "n", False),
        ("confirm", {}, False, False),
        ("scale", {}, "7", 7),
        ("scale", {}, 10, 10),
        ("number", {}, "1,500", 1500),
        ("number", {}, "2.5", 2.5),
        ("date", {}, "2026-12-01", "2026-12-01"),
        ("date", {}, dt.date(2026, 12, 1), "2026-12-01"),
        ("select", {"choices": [{"value": "a_b", "label": "Alpha"}]}, "Alpha", "a_b"),
        ("select", {"choices": [{"value": "a_b", "label": "Alpha"}]}, "a_b", "a_b"),
        (
            "multiselect",
            {"choices": [{"value": "x", "label": "X"}, {"value": "y", "label": "Y"}]},
            "y, x",
            ["x", "y"],
        ),
        ("text", {"required": False}, "", None),
    ],
)
def test_parse_answer_casts(qtype: str, extra: dict[str, object], raw: object, expected: object) -> None:
    question = validate_as(Question, {"id": "q", "prompt": "Q?", "type": qtype, **extra})
    assert parse_answer(question, raw) == expected


@pytest.mark.parametrize(
    ("qtype", "extra", "raw", "message"),
    [
        ("scale", {}, "11", "at most 10"),
        ("scale", {}, "0", "at least 1"),
        ("scale", {}, "6.5", "whole number"),
        ("number", {}, "lots", "not a number"),
        ("number", {"min": 0}, "-3", "at least 0"),
        ("date", {}, "next week", "YYYY-MM-DD"),
        ("confirm", {}, "maybe", "yes or no"),
        ("text", {}, "", "required"),
        ("text", {"pattern": "[A-Z]+"}, "abc", "pattern"),
        ("text", {"max": 3}, "abcd", "at most 3"),
        ("select", {"choices": [{"value": "a", "label": "A"}]}, "b", "not one of the choices: a"),
        ("multiselect", {"choices": [{"value": "a", "label": "A"}]}, [], "at least one"),
    ],
)
def test_parse_answer_rejects(qtype: str, extra: dict[str, object], raw: object, message: str) -> None:
    question = validate_as(Question, {"id": "q", "prompt": "Q?", "type": qtype, **extra})
    with pytest.raises(AnswerProblem, match=message):
        parse_answer(question, raw)


def test_first_matching_verdict_wins_and_when_skips_questions() -> None:
    pb = compiled()
    outcome = run_non_interactive(pb, {"competitor": "Globex", "reason": "better_fit", "gap": "ignored"}, "Acme", TODAY)
    assert pb.playbook.verdicts[outcome.verdict_index].id == "walk"
    # gap is skipped by its when, so the answer given for it is ignored.
    assert "gap" not in outcome.asked
    assert "gap" not in outcome.answers


def test_answers_change_verdict_and_steps() -> None:
    pb = compiled()
    outcome = run_non_interactive(pb, {"competitor": "Globex", "reason": "gap", "gap": "reporting"}, "Acme", TODAY)
    plan = build_plan(pb, outcome, "Acme", dt.date(2026, 11, 22))
    assert plan.verdict.id == "fight"
    assert plan.verdict.rationale.plain == "Close the reporting gap against Globex."
    assert [(s.due.isoformat(), s.owner, s.text.plain) for s in plan.steps] == [
        ("2026-11-22", "rep", "Pause before you react"),
        ("2026-11-24", "sales engineer", "Offer a proof of concept covering reporting"),
    ]
    assert [(f.due.isoformat(), f.text.plain) for f in plan.followups] == [("2027-02-22", "Check back with Acme")]


def test_missing_answers_are_all_listed_before_anything_is_asked() -> None:
    pb = compiled()
    asked: list[str] = []
    with pytest.raises(AnswerError, match="missing answers for: competitor, reason"):
        collect_answers(pb, given={}, deal="", today=TODAY, ask=None)
    assert asked == []


def test_unknown_answer_id_names_it_and_suggests() -> None:
    with pytest.raises(AnswerError) as info:
        run_non_interactive(compiled(), {"competitr": "x", "reason": "gap"}, "", TODAY)
    assert "competitr" in info.value.message
    assert info.value.hint is not None and "competitor" in info.value.hint


def test_ask_is_called_only_for_missing_questions_in_order() -> None:
    pb = compiled()
    asked: list[str] = []
    saved: list[tuple[str, object]] = []

    def ask(question: Question, default: object) -> object:
        asked.append(question.id)
        return {"reason": "gap", "gap": "reporting"}[question.id]

    answers, _ = collect_answers(
        pb, given={"competitor": "Globex"}, deal="Acme", today=TODAY, ask=ask, on_answer=lambda q, v: saved.append((q, v))
    )
    assert asked == ["reason", "gap"]
    assert saved == [("competitor", "Globex"), ("reason", "gap"), ("gap", "reporting")]
    assert answers == {"competitor": "Globex", "reason": "gap", "gap": "reporting"}


SCORED = """\
id: scored
version: 2
title: Scored
summary: Scores and bands.
questions:
  - id: signals
    prompt: Signals?
    type: multiselect
    required: false
    choices:
      - {value: quiet, label: Went quiet, points: {step: 3, risk: 2}}
      - {value: complaint, label: Ignored complaint, points: {step: 1, risk: 1}}
  - id: pulse
    prompt: Pulse 1-10?
    type: scale
    default: 5
    points: {risk: 0.5}
scores:
  - id: step
    title: Furthest step
    combine: max
    bands:
      - {id: healthy, min: 0, label: Healthy}
      - {id: catalyst, min: 1, label: Catalyst}
      - {id: diligence, min: 3, label: Due diligence, note: Odds drop}
  - id: risk
    title: Risk
    rules:
      - {when: "pulse <= 3", points: 4}
verdicts:
  - id: rescue
    when: bands.step == "diligence"
    title: Rescue
    rationale: "Step {{ scores.step }}, risk {{ scores.risk }}"
  - id: keep
    default: true
    title: Keep close
    rationale: fine
"""


@pytest.mark.parametrize(
    ("signals", "pulse", "step", "band", "risk", "verdict"),
    [
        ([], 8, 0, "healthy", 4, "keep"),
        (["complaint"], 8, 1, "catalyst", 5, "keep"),
        (["quiet", "complaint"], 2, 3, "diligence", 8, "rescue"),
    ],
)
def test_scores_bands_and_rules(signals: list[str], pulse: int, step: float, band: str, risk: float, verdict: str) -> None:
    pb = compiled(SCORED)
    outcome = run_non_interactive(pb, {"signals": signals, "pulse": pulse}, "Acme", TODAY)
    by_id = {s.id: s for s in outcome.scores}
    assert by_id["step"].total == step
    assert by_id["step"].band_id == band
    assert by_id["risk"].total == risk
    assert pb.playbook.verdicts[outcome.verdict_index].id == verdict


def test_defaults_fill_unanswered_questions() -> None:
    outcome = run_non_interactive(compiled(SCORED), {}, "Acme", TODAY)
    assert outcome.answers == {"signals": [], "pulse": 5}


def test_same_inputs_give_identical_plans(tmp_path: Path) -> None:
    from dealrescue.core.render.plan import to_json, to_markdown

    pb = compiled()
    given = {"competitor": "Globex", "reason": "gap", "gap": "reporting"}
    plans = [build_plan(pb, run_non_interactive(pb, given, "Acme", TODAY), "Acme", dt.date(2026, 11, 22)) for _ in range(2)]
    assert to_markdown(plans[0]) == to_markdown(plans[1])
    assert to_json(plans[0]) == to_json(plans[1])
