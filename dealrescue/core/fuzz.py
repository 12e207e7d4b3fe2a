"""The fuzzer behind ``playbooks test --fuzz``: answer sets built from each question's edges,
one plan each, checked by ``core.plancheck``; each failure is shrunk to its smallest answers.

Answers are raw text, exactly as ``--set ID=VALUE`` gives them, so the line printed for a
failure replays it. Everything is drawn from one ``random.Random(seed)``: the same seed, the
same answer sets, the same report.
"""

from __future__ import annotations

import datetime as dt
import random
import shlex
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from dealrescue.core.answers import AnswerProblem, parse_answer
from dealrescue.core.loader import CompiledPlaybook
from dealrescue.core.model import Playbook, Question
from dealrescue.core.plancheck import Finding, findings
from dealrescue.core.questions import kind_of, number_text
from dealrescue.errors import AnswerError, UsageError

# Plan dates are drawn from the week starting here, so steps meet every weekday.
FIRST_PLAN_DATE = dt.date(2026, 1, 12)
# Date answers, in days from the plan date: past, today, tomorrow, soon, a month, over a year.
DATE_OFFSETS = (-30, 0, 1, 3, 7, 30, 400)
DEAL = "Acme"

Answers = dict[str, str]


@dataclass(frozen=True, slots=True)
class Failure:
    """One check that failed: how often, and the smallest answer set that still fails it."""

    key: str
    why: str
    detail: str
    count: int
    date: dt.date
    answers: Answers


@dataclass(frozen=True, slots=True)
class FuzzReport:
    runs: int
    seed: int
    failures: list[Failure] = field(default_factory=list)


def candidates(q: Question) -> list[str | None]:
    """The raw answers tried for ``q`` (dates as day offsets, resolved per plan date), simplest first.

    ``None`` leaves the answer out so its default stands; it comes first when allowed.
    """
    kind = kind_of(q)
    values: list[str | None] = []
    if kind.has_choices:
        values += [c.value for c in q.choices]
        if kind.many:
            values += ["", ",".join(c.value for c in q.choices)]
    elif kind.yes_no:
        values += ["no", "yes"]
    elif kind.numeric:
        low, high = _number_range(q)
        values += [number_text(v) for v in dict.fromkeys((low, 0, 1, round((low + high) / 2), high)) if low <= v <= high]
    elif kind.dated:
        values += [f"@{days}" for days in DATE_OFFSETS] + [""]
    else:
        # Distinct per question, so a rep's note found in customer text names its question.
        values += [f"{q.id}-note", f"{q.id} <2> & *Co*", ""]
    if not q.required or q.default is not None:
        values.insert(0, None)
    return [v for v in values if _fits(q, v)]


def _number_range(q: Question) -> tuple[float, float]:
    """The numbers tried for a number or scale question: its bounds, or a wide range on an open side."""
    low, high = kind_of(q).bounds(q)
    if low is None:
        low = -1 if high is None or high >= -1 else high - 1_000_000
    if high is None:
        high = max(low, 0) + 1_000_000
    return low, high


def _fits(q: Question, raw: str | None) -> bool:
    if raw is None or raw.startswith("@"):
        return True
    try:
        parse_answer(q, raw)
    except AnswerProblem:
        return False
    return True


def _resolved(raw: str, date: dt.date) -> str:
    """``@7`` (a date answer, in days from the plan date) as YYYY-MM-DD."""
    return (date + dt.timedelta(days=int(raw[1:]))).isoformat() if raw.startswith("@") else raw


def _options(pb: Playbook) -> dict[str, list[str | None]]:
    options = {q.id: candidates(q) for q in pb.questions}
    for q in pb.questions:
        if not options[q.id]:
            raise UsageError(
                f"the fuzzer cannot make an answer that question {q.id!r} accepts (its pattern or limits refuse all of them)",
                hint=f"give {q.id!r} a default",
            )
    return options


def answer_sets(pb: Playbook, count: int, seed: int) -> Iterator[tuple[dt.date, Answers]]:
    """``count`` (plan date, answers) pairs: first every value of every question at least once,
    then random mixes; multiselects also get random subsets."""
    rng = random.Random(seed)
    options = _options(pb)
    pinned = [(q.id, value) for q in pb.questions for value in options[q.id]]
    for n in range(count):
        date = FIRST_PLAN_DATE + dt.timedelta(days=rng.randrange(7))
        answers: Answers = {}
        # A third of the sets lean every question the same way (all first choices, all last, ...):
        # answers that move together, like every element graded validated, are rare when drawn apart.
        lean = rng.random() if rng.random() < 0.35 else None
        for q in pb.questions:
            choices = options[q.id]
            if lean is not None and rng.random() < 0.85:
                value = choices[min(len(choices) - 1, int(lean * len(choices)))]
            else:
                value = rng.choice(choices)
            if kind_of(q).many and rng.random() < 0.4:
                value = ",".join(c.value for c in q.choices if rng.random() < 0.3)
                value = value if _fits(q, value) else rng.choice(choices)
            if value is not None:
                answers[q.id] = _resolved(value, date)
        if n < len(pinned):
            question_id, value = pinned[n]
            answers.pop(question_id, None)
            if value is not None:
                answers[question_id] = _resolved(value, date)
        yield date, answers


def _breaks(compiled: CompiledPlaybook, key: str, date: dt.date) -> Callable[[Answers], Finding | None]:
    def check(answers: Answers) -> Finding | None:
        try:
            found = findings(compiled, answers, DEAL, date)
        except AnswerError:
            return None  # a required answer shrunk away: not this failure
        return next((f for f in found if f.key == key), None)

    return check


def shrink(compiled: CompiledPlaybook, answers: Answers, date: dt.date, key: str) -> tuple[Answers, Finding]:
    """The smallest answers that still fail check ``key``: each answer left out (its default
    stands), else the simplest value that still fails (a number: the smallest), repeated until
    nothing changes."""
    check = _breaks(compiled, key, date)
    found = check(answers)
    if found is None:
        raise AssertionError(f"shrink: the answers do not fail {key}")
    options = _options(compiled.playbook)
    questions = {q.id: q for q in compiled.playbook.questions}
    current = dict(answers)
    changed = True
    while changed:
        changed = False
        for question_id in list(current):
            simpler = [_resolved(v, date) for v in options[question_id] if v is not None]
            simpler = simpler[: simpler.index(current[question_id])] if current[question_id] in simpler else simpler
            trials = [{k: v for k, v in current.items() if k != question_id}]
            trials += [{**current, question_id: value} for value in simpler]
            for trial in trials:
                result = check(trial)
                if result is not None:
                    current, found, changed = trial, result, True
                    break
    for question_id in list(current):
        if kind_of(questions[question_id]).numeric:
            current, found = _smallest_number(check, current, question_id, questions[question_id], found)
    order = [q.id for q in compiled.playbook.questions]
    return {k: current[k] for k in order if k in current}, found


def _smallest_number(
    check: Callable[[Answers], Finding | None], answers: Answers, question_id: str, q: Question, found: Finding
) -> tuple[Answers, Finding]:
    """A whole-number answer brought down by halving towards the question's smallest value while it still fails."""
    try:
        high = int(answers[question_id])
    except ValueError:
        return answers, found
    low = int(max(_number_range(q)[0], -1_000_000))
    while low < high:
        middle = (low + high) // 2
        result = check({**answers, question_id: str(middle)})
        if result is None:
            low = middle + 1
        else:
            high, found = middle, result
            answers = {**answers, question_id: str(middle)}
    return answers, found


def fuzz(compiled: CompiledPlaybook, count: int, seed: int = 0) -> FuzzReport:
    """Build ``count`` plans from generated answers; each failing check, counted and shrunk."""
    first: dict[str, tuple[dt.date, Answers]] = {}
    counts: dict[str, int] = {}
    for date, answers in answer_sets(compiled.playbook, count, seed):
        for finding in findings(compiled, answers, DEAL, date):
            counts[finding.key] = counts.get(finding.key, 0) + 1
            first.setdefault(finding.key, (date, answers))
    report = FuzzReport(runs=count, seed=seed)
    for key, (date, answers) in first.items():
        smallest, finding = shrink(compiled, answers, date, key)
        report.failures.append(Failure(key, finding.why, finding.detail, counts[key], date, smallest))
    return report


def replay_line(playbook_ref: str, date: dt.date, answers: Mapping[str, str]) -> str:
    """The command that makes the same plan, shell-quoted, to paste."""
    words = ["dealrescue", "run", playbook_ref, DEAL, "--no-input", "--no-save", "--date", date.isoformat()]
    for key, value in answers.items():
        words += ["--set", f"{key}={value}"]
    return shlex.join(words)
