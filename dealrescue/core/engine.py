"""The engine: which question comes next, scores, and the verdict.

Plain data in and out. The caller supplies answers (already typed, or raw to be
parsed) and, when interactive, an ``ask`` function; the engine never prompts.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import reduce
from operator import add
from typing import Any

from dealrescue.core.answers import AnswerProblem, labels_of, parse_answer
from dealrescue.core.expressions import ExpressionProblem, display_value
from dealrescue.core.loader import CompiledPlaybook
from dealrescue.core.model import Band, Playbook, Question, Score
from dealrescue.core.questions import kind_of
from dealrescue.core.reading import PLAIN, Reading
from dealrescue.core.schedule import days_until
from dealrescue.errors import AnswerError

# Called for a question the caller must answer; returns the typed value.
Ask = Callable[[Question, Any], Any]
# Called after each answer is settled (to save it as it is given).
OnAnswer = Callable[[str, Any], None]


@dataclass(frozen=True, slots=True)
class Contribution:
    """Points a score received, and from what (for the plan's "what drove this")."""

    source: str
    points: float


@dataclass(frozen=True, slots=True)
class ScoreOutcome:
    id: str
    title: str
    total: float
    band_id: str | None
    band_label: str | None
    band_note: str | None
    contributions: tuple[Contribution, ...] = ()


@dataclass(frozen=True, slots=True)
class Outcome:
    """Everything the plan builder needs: answers, scores, verdict."""

    answers: dict[str, Any]
    asked: tuple[str, ...]
    scores: tuple[ScoreOutcome, ...]
    verdict_index: int
    context: dict[str, Any] = field(default_factory=dict)
    # Only for the texts of a provisional plan: a required free-text answer not given yet, as a
    # blank to fill in ("[contact]"). Conditions read ``context``, where it is still unanswered.
    blanks: dict[str, str] = field(default_factory=dict)


def base_context(compiled: CompiledPlaybook, deal: str, today: str) -> dict[str, Any]:
    pb = compiled.playbook
    return {
        "deal": deal,
        "today": today,
        "playbook": {"id": pb.id, "title": pb.title, "version": pb.version},
    }


def answer_context(compiled: CompiledPlaybook, answers: Mapping[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """Context for conditions: every question id (None when not answered) plus labels."""
    context = dict(base)
    labels: dict[str, Any] = {}
    for q in compiled.playbook.questions:
        value = answers.get(q.id)
        context[q.id] = value
        labels[q.id] = labels_of(q, value) if value is not None else None
    context["labels"] = labels
    context["days_until"] = days_until(dt.date.fromisoformat(base["today"]), compiled.playbook.questions, answers)
    return context


def guard(compiled: CompiledPlaybook, path: str, context: dict[str, Any]) -> bool:
    """Whether the condition at ``path`` holds (no condition: it does)."""
    condition = compiled.condition(path)
    if condition is None:
        return True
    try:
        return condition.holds(context)
    except ExpressionProblem as exc:
        raise compiled.problem(path, exc) from None


def check_answer_ids(compiled: CompiledPlaybook, given: Mapping[str, Any]) -> None:
    """An answer for no question is an error that names it (and the close match)."""
    ids = [q.id for q in compiled.playbook.questions]
    for answer_id in given:
        if answer_id not in ids:
            close = difflib.get_close_matches(answer_id, ids, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"this playbook's ids: {', '.join(ids)}"
            raise AnswerError(f"no question has id {answer_id!r} in playbook {compiled.id}", hint=hint, question_id=answer_id)


def reading_for(today: str, dayfirst: bool = False) -> Reading:
    """How answers are read on the plan date ``today`` (ISO): ``+9d`` counts from it."""
    return Reading(today=dt.date.fromisoformat(today), dayfirst=dayfirst)


def typed_answer(question: Question, raw: Any, reading: Reading = PLAIN) -> Any:
    try:
        return parse_answer(question, raw, reading)
    except AnswerProblem as exc:
        raise AnswerError(
            f"answer for {question.id!r} ({question.prompt}): {exc}",
            question_id=question.id,
        ) from None


def _walk(
    compiled: CompiledPlaybook, deal: str, today: str, settle: Callable[[Question], Any]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Visit, in order, each question its ``when`` asks for; ``settle`` gives its answer."""
    base = base_context(compiled, deal, today)
    answers: dict[str, Any] = {}
    asked: list[str] = []
    for index, q in enumerate(compiled.playbook.questions):
        path = f"questions[{index}].when"
        if compiled.condition(path) is not None:
            context = answer_context(compiled, answers, base)
            if path in compiled.uses_scores:
                context.update(_score_context(compiled, answers, context))
            if not guard(compiled, path, context):
                continue
        asked.append(q.id)
        answers[q.id] = settle(q)
    return answers, tuple(asked)


def collect_answers(
    compiled: CompiledPlaybook,
    *,
    given: Mapping[str, Any],
    deal: str,
    today: str,
    ask: Ask | None,
    on_answer: OnAnswer | None = None,
    settled: Mapping[str, Any] | None = None,
    dayfirst: bool = False,
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Walk the questions in order and settle each one that its ``when`` asks for.

    ``given`` holds raw answers (from --answers/--set), checked like typed ones;
    ``settled`` holds typed answers kept from an earlier, interrupted run. With no
    ``ask`` (non-interactive), every missing required answer is reported at once,
    before anything is asked. Answers for skipped questions are ignored. A given date may count
    from the plan date (``+9d``); ``dayfirst`` reads 03/04/2027 as 3 April.
    """
    check_answer_ids(compiled, given)
    kept = settled or {}
    reading = reading_for(today, dayfirst)
    if ask is None:
        missing = missing_answers(compiled, given=given, deal=deal, today=today, settled=kept, dayfirst=dayfirst)
        if missing:
            raise AnswerError(f"missing answers for: {', '.join(missing)}")

    def settle(q: Question) -> Any:
        if q.id in kept:
            return kept[q.id]
        if q.id in given:
            value = typed_answer(q, given[q.id], reading)
        elif ask is not None:
            value = ask(q, q.default)
        else:
            value = typed_answer(q, q.default)
        if on_answer is not None:
            on_answer(q.id, value)
        return value

    return _walk(compiled, deal, today, settle)


def asked_path(compiled: CompiledPlaybook, answers: Mapping[str, Any], deal: str, today: str) -> tuple[str, ...]:
    """The ids a walk asks, in order, taking each answer from ``answers`` (None where there is none yet).

    Exact up to the first unanswered question; an interview walks it one question at a time.
    """
    return _walk(compiled, deal, today, lambda q: answers.get(q.id))[1]


def missing_answers(
    compiled: CompiledPlaybook,
    *,
    given: Mapping[str, Any],
    deal: str,
    today: str,
    settled: Mapping[str, Any] | None = None,
    dayfirst: bool = False,
) -> list[str]:
    """Ids of required questions that would be asked but have no answer and no default."""
    kept = settled or {}
    missing: list[str] = []
    reading = reading_for(today, dayfirst)

    def settle(q: Question) -> Any:
        if q.id in kept:
            return kept[q.id]
        if q.id in given:
            return typed_answer(q, given[q.id], reading)
        if needs_answer(q):
            missing.append(q.id)
            return None
        return typed_answer(q, q.default)

    _walk(compiled, deal, today, settle)
    return missing


def _score_context(compiled: CompiledPlaybook, answers: Mapping[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    if not compiled.playbook.scores:
        return {"scores": {}, "bands": {}, "band_labels": {}}
    return score_names(compute_scores(compiled, answers, context))


def score_names(outcomes: tuple[ScoreOutcome, ...]) -> dict[str, Any]:
    """What conditions and templates see of the scores: totals, band ids and band labels."""
    return {
        "scores": {s.id: s.total for s in outcomes},
        "bands": {s.id: s.band_id for s in outcomes},
        "band_labels": {s.id: s.band_label for s in outcomes},
    }


def answer_points(question: Question, value: Any) -> list[tuple[str, Contribution]]:
    """What one answer gives, in the engine's order: (score id, contribution) for its chosen
    choices' points, then for its per-answer points (zero points left out)."""
    if value is None:
        return []
    given: list[tuple[str, Contribution]] = []
    kind = kind_of(question)
    picked = kind.chosen(question, value)
    for choice in question.choices:
        if choice.value in picked:
            for score_id, pts in choice.points.items():
                given.append((score_id, Contribution(f"{choice.label}", pts)))
    for score_id, weight in question.points.items():
        pts = kind.points(value, weight)
        if pts:
            given.append((score_id, Contribution(f"{question.prompt} {display_value(value)}", pts)))
    return given


def rule_contribution(score: Score, r: int) -> Contribution:
    rule = score.rules[r]
    return Contribution(rule.label or rule.when, rule.points)


def combine_operator(score: Score) -> Callable[[float, float], float]:
    """How two parts of a score join: added, or the larger kept."""
    return max if score.combine == "max" else add


def combine_start(score: Score) -> float:
    """A score's part before any points (a max that nothing reached yet is -inf, read as 0)."""
    return -math.inf if score.combine == "max" else 0.0


def score_total(score: Score, points: Iterable[float]) -> float:
    total = reduce(combine_operator(score), points, combine_start(score))
    return 0.0 if total == -math.inf else total


def band_for(score: Score, total: float) -> Band | None:
    """The band with the highest ``min`` not above ``total``."""
    band = None
    for candidate in sorted(score.bands, key=lambda b: b.min):
        if candidate.min <= total:
            band = candidate
    return band


def compute_scores(compiled: CompiledPlaybook, answers: Mapping[str, Any], context: dict[str, Any]) -> tuple[ScoreOutcome, ...]:
    """Sum (or take the largest of) the points each score received, then find its band."""
    pb = compiled.playbook
    found: dict[str, list[Contribution]] = {s.id: [] for s in pb.scores}
    for q in pb.questions:
        for score_id, contribution in answer_points(q, answers.get(q.id)):
            found[score_id].append(contribution)
    outcomes = []
    for s, score in enumerate(pb.scores):
        for r, _rule in enumerate(score.rules):
            if guard(compiled, f"scores[{s}].rules[{r}].when", context):
                found[score.id].append(rule_contribution(score, r))
        contributions = found[score.id]
        total = score_total(score, (c.points for c in contributions))
        band = band_for(score, total)
        outcomes.append(
            ScoreOutcome(
                id=score.id,
                title=score.title,
                total=total,
                band_id=band.id if band else None,
                band_label=band.label if band else None,
                band_note=band.note if band else None,
                contributions=tuple(c for c in contributions if c.points),
            )
        )
    return tuple(outcomes)


def needs_answer(question: Question) -> bool:
    """Whether a walk that asks ``question`` cannot go on without an answer to it."""
    return question.required and question.default is None


def verdict_order(playbook: Playbook) -> tuple[tuple[int, ...], int]:
    """The verdicts whose rules are tried, in the order they are tried, and the one taken when none holds."""
    tried = tuple(v for v, verdict in enumerate(playbook.verdicts) if not verdict.default)
    default = max((v for v, verdict in enumerate(playbook.verdicts) if verdict.default), default=0)
    return tried, default


def pick_verdict(compiled: CompiledPlaybook, context: dict[str, Any]) -> int:
    """The first verdict whose rule holds, else the default one."""
    tried, default = verdict_order(compiled.playbook)
    for v in tried:
        if guard(compiled, f"verdicts[{v}].when", context):
            return v
    return default


def decide(compiled: CompiledPlaybook, answers: Mapping[str, Any], asked: tuple[str, ...], deal: str, today: str) -> Outcome:
    """Scores and the verdict for settled answers. The first verdict whose rule holds wins."""
    context = answer_context(compiled, answers, base_context(compiled, deal, today))
    scores = compute_scores(compiled, answers, context)
    context.update(score_names(scores))
    index = pick_verdict(compiled, context)
    context["verdict"] = compiled.playbook.verdicts[index].id
    return Outcome(answers=dict(answers), asked=asked, scores=scores, verdict_index=index, context=context)


def provisional(compiled: CompiledPlaybook, answers: Mapping[str, Any], deal: str, today: str) -> Outcome:
    """The verdict on the answers given so far, every other question taking its default (or none)."""

    def settle(q: Question) -> Any:
        if q.id in answers:
            return answers[q.id]
        try:
            return typed_answer(q, q.default)
        except AnswerError:
            return None  # required, with no default: unanswered for now

    settled, asked = _walk(compiled, deal, today, settle)
    outcome = decide(compiled, settled, asked, deal, today)
    # In the texts, a required free-text answer not given yet stands as a blank to fill in
    # ("[contact]"), as the emails' own placeholders do, not as a gap in the sentence; the answer
    # itself stays unanswered (for conditions, the plan's answers and its JSON).
    questions = {q.id: q for q in compiled.playbook.questions}
    blanks = {
        qid: f"[{qid.replace('_', ' ')}]" for qid in asked
        if settled.get(qid) is None and questions[qid].required and kind_of(questions[qid]).free_text
    }
    return replace(outcome, blanks=blanks)


def run_non_interactive(compiled: CompiledPlaybook, given: Mapping[str, Any], deal: str, today: str) -> Outcome:
    answers, asked = collect_answers(compiled, given=given, deal=deal, today=today, ask=None)
    return decide(compiled, answers, asked, deal, today)
