"""The plan builder: an outcome in, a plan object out (rendering is elsewhere).

Every text is rendered twice from the same template: ``plain`` for JSON and
``markdown`` with each interpolated answer escaped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from dealrescue.core.answers import display_answer
from dealrescue.core.engine import Outcome, ScoreOutcome, guard
from dealrescue.core.expressions import ExpressionProblem
from dealrescue.core.loader import CompiledPlaybook
from dealrescue.core.schedule import Scheduler, add_offset

__all__ = ["Plan", "add_offset", "build_plan"]


@dataclass(frozen=True, slots=True)
class Text:
    plain: str
    markdown: str


@dataclass(frozen=True, slots=True)
class AnswerLine:
    id: str
    prompt: str
    value: Any
    display: str


@dataclass(frozen=True, slots=True)
class Step:
    text: Text
    due: dt.date
    owner: str


@dataclass(frozen=True, slots=True)
class TalkTrack:
    title: Text
    text: Text


@dataclass(frozen=True, slots=True)
class Email:
    title: Text
    subject: Text
    body: Text
    audience: str = "customer"


@dataclass(frozen=True, slots=True)
class Section:
    title: Text
    text: Text | None
    items: tuple[Text, ...]
    checklist: bool


@dataclass(frozen=True, slots=True)
class Followup:
    text: Text
    due: dt.date


@dataclass(frozen=True, slots=True)
class VerdictResult:
    id: str
    title: str
    rationale: Text
    next: str | None


@dataclass(frozen=True, slots=True)
class Plan:
    playbook_id: str
    playbook_title: str
    playbook_version: int
    deal: str
    date: dt.date
    answers: tuple[AnswerLine, ...]
    scores: tuple[ScoreOutcome, ...]
    verdict: VerdictResult
    steps: tuple[Step, ...]
    talk_tracks: tuple[TalkTrack, ...]
    emails: tuple[Email, ...]
    sections: tuple[Section, ...]
    followups: tuple[Followup, ...]
    # One line per customer date that moved the steps: "tight: their decision is on 2026-11-24".
    schedule_notes: tuple[str, ...] = ()


def build_plan(compiled: CompiledPlaybook, outcome: Outcome, deal: str, date: dt.date) -> Plan:
    pb = compiled.playbook
    context = outcome.context

    def text(path: str) -> Text:
        template = compiled.template(path)
        try:
            return Text(template.render(context, markdown=False), template.render(context, markdown=True))
        except ExpressionProblem as exc:
            raise compiled.problem(path, exc) from None

    def shown(path: str) -> bool:
        return guard(compiled, path, context)

    answers = []
    for q in pb.questions:
        if q.id in outcome.asked:
            value = outcome.answers.get(q.id)
            answers.append(AnswerLine(q.id, q.prompt, value, display_answer(q, value)))

    v = outcome.verdict_index
    verdict = pb.verdicts[v]
    schedule = Scheduler(date, outcome.answers, {q.id: q for q in pb.questions})
    steps = [
        Step(text(f"plan[{i}].text"), schedule.due(step.due, step.fallback, step.deadline), step.owner)
        for i, step in enumerate(pb.plan)
        if shown(f"plan[{i}].when")
    ]
    # Stable sort: same-day steps keep the playbook's order.
    steps.sort(key=lambda s: s.due)
    followups = [
        Followup(text(f"followups[{i}].text"), schedule.due(f.due, f.fallback, f.deadline))
        for i, f in enumerate(pb.followups)
        if shown(f"followups[{i}].when")
    ]
    followups.sort(key=lambda f: f.due)
    return Plan(
        playbook_id=pb.id,
        playbook_title=pb.title,
        playbook_version=pb.version,
        deal=deal,
        date=date,
        answers=tuple(answers),
        scores=outcome.scores,
        verdict=VerdictResult(verdict.id, verdict.title, text(f"verdicts[{v}].rationale"), verdict.next),
        steps=tuple(steps),
        talk_tracks=tuple(
            TalkTrack(text(f"talk_tracks[{i}].title"), text(f"talk_tracks[{i}].text"))
            for i, t in enumerate(pb.talk_tracks)
            if shown(f"talk_tracks[{i}].when")
        ),
        emails=tuple(
            Email(text(f"emails[{i}].title"), text(f"emails[{i}].subject"), text(f"emails[{i}].body"), e.audience)
            for i, e in enumerate(pb.emails)
            if shown(f"emails[{i}].when")
        ),
        sections=tuple(
            Section(
                text(f"sections[{i}].title"),
                text(f"sections[{i}].text") if s.text is not None else None,
                tuple(text(f"sections[{i}].items[{j}]") for j in range(len(s.items))),
                s.checklist,
            )
            for i, s in enumerate(pb.sections)
            if shown(f"sections[{i}].when")
        ),
        followups=tuple(followups),
        schedule_notes=schedule.notes(),
    )
