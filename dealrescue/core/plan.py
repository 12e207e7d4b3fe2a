"""The plan builder: an outcome in, a plan object out (rendering is elsewhere).

Every text is rendered twice from the same template: ``plain`` for JSON and
``markdown`` with each interpolated answer escaped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dealrescue.core.answers import display_answer
from dealrescue.core.engine import Outcome, ScoreOutcome, guard
from dealrescue.core.expressions import ExpressionProblem
from dealrescue.core.loader import CompiledPlaybook
from dealrescue.core.model import ids_in
from dealrescue.core.ordercheck import item_id, numbered
from dealrescue.core.schedule import Scheduler, add_offset
from dealrescue.core.timeline import shortfall_message, through_hidden

if TYPE_CHECKING:
    from dealrescue.core.hinge import Hinge

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
    id: str = ""
    after: tuple[str, ...] = ()
    deadline: dt.date | None = None  # the effective one: its own or a later step's, less the gaps


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
    id: str = ""
    after: tuple[str, ...] = ()
    deadline: dt.date | None = None


@dataclass(frozen=True, slots=True)
class ScheduleReport:
    """Whether the plan fits before the customer's dates; ``message`` says so in plain words when it does not."""

    feasible: bool = True
    short_by_days: int = 0
    binding: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    message: str | None = None


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
    # The shortfall, if any, and one note per customer date that moved the steps.
    schedule: ScheduleReport = ScheduleReport()
    # How this verdict has fared, from the journal's outcomes; None until it is judged (dealrescue
    # track): {"text": "Track record: 5 of 9 won back (27-81%, Wilson 95%)", "outcomes",
    # "successes", "rate", "interval", "method"} (core.track.plan_record).
    record: Mapping[str, Any] | None = None
    # Made from the key questions only (the rep chose the plan now; ``resume`` asks the rest), and
    # the question left whose answer would change the verdict, if one would (core.hinge).
    draft: bool = False
    hinge: Hinge | None = None


def build_plan(compiled: CompiledPlaybook, outcome: Outcome, deal: str, date: dt.date, *, markdown: bool = True) -> Plan:
    """The plan; with ``markdown=False`` each text's markdown is its plain text (for checks that read only that)."""
    pb = compiled.playbook
    context = dict(outcome.context)  # the plan adds the dates it places (see _dated)

    def text(path: str) -> Text:
        template = compiled.template(path)
        said = {**context, **outcome.blanks} if outcome.blanks else context
        try:
            plain = template.render(said, markdown=False)
            return Text(plain, template.render(said, markdown=True) if markdown else plain)
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
    steps, followups, report = _dated(compiled, date, outcome.answers, context, text, shown)
    return Plan(
        playbook_id=pb.id,
        playbook_title=pb.title,
        playbook_version=pb.version,
        deal=deal,
        date=date,
        answers=tuple(answers),
        scores=outcome.scores,
        verdict=VerdictResult(verdict.id, verdict.title, text(f"verdicts[{v}].rationale"), verdict.next),
        steps=steps,
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
        followups=followups,
        schedule=report,
    )


def _dated(
    compiled: CompiledPlaybook,
    date: dt.date,
    answers: Mapping[str, Any],
    context: dict[str, Any],
    text: Callable[[str], Text],
    shown: Callable[[str], bool],
) -> tuple[tuple[Step, ...], tuple[Followup, ...], ScheduleReport]:
    """The shown steps and follow-ups, placed in their declared order, listed by date.

    Once they are placed, ``context["dates"]`` holds each step's and follow-up's date by id (None
    when it is not in this plan), so every text rendered after it (emails too) can quote them.
    """
    pb = compiled.playbook
    schedule = Scheduler(date, answers, {q.id: q for q in pb.questions})
    items = numbered([*(("plan", s) for s in pb.plan), *(("followups", f) for f in pb.followups)])
    ids = {(kind, index): item_id(kind, index, item.id) for kind, index, item in items}
    visible = [(kind, index, item) for kind, index, item in items if shown(f"{kind}[{index}].when")]
    after = through_hidden({ids[k, i]: ids_in(item.after) for k, i, item in items}, [ids[k, i] for k, i, _ in visible])
    timeline = schedule.place([schedule.task(item, ids[k, i], after[ids[k, i]]) for k, i, item in visible])
    context["dates"] = {task_id: None for task_id in ids.values()} | {i: d.isoformat() for i, d in timeline.due.items()}
    steps, followups = [], []
    for kind, index, item in visible:
        task_id = ids[kind, index]
        words, due, limit = text(f"{kind}[{index}].text"), timeline.due[task_id], timeline.deadline[task_id]
        if kind == "plan":
            steps.append(Step(words, due, item.owner, task_id, after[task_id], limit))
        else:
            followups.append(Followup(words, due, task_id, after[task_id], limit))
    # Same-day items keep an order where each comes after its prerequisites (else the playbook's).
    steps.sort(key=lambda s: (s.due, timeline.rank[s.id]))
    followups.sort(key=lambda f: (f.due, timeline.rank[f.id]))
    short = timeline.shortfall
    report = ScheduleReport(
        feasible=short is None,
        short_by_days=short.days if short else 0,
        binding=short.binding if short else (),
        notes=schedule.notes(),
        message=shortfall_message(short, {}) if short else None,
    )
    return tuple(steps), tuple(followups), report
