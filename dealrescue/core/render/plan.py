"""Rendering a plan: markdown for people and files, a JSON document for scripts.

Formats are looked up by name in ``RENDERERS`` (``dealrescue.core.render.registry.PLAN``);
``render(name, plan)`` is how commands turn a plan into text.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from dealrescue.core.expressions import display_value
from dealrescue.core.mdescape import escape_inline, json_safe, strip_controls
from dealrescue.core.plan import Plan
from dealrescue.core.render.email import email_lines
from dealrescue.core.render.registry import PLAN as RENDERERS

JSON_SCHEMA_VERSION = 2


# Line breaks and spaces only: str.split() would also drop \x1c-\x1f, which must stay visible.
_BREAKS = re.compile(r"[ \t\n\r\u2028\u2029]+")


def _one_line(text: str) -> str:
    return _BREAKS.sub(" ", text).strip(" ")


def _heading(markdown: str) -> str:
    """A heading holds one line: an answer's line breaks become spaces there."""
    return _one_line(markdown.replace("\\\n", " "))


def _hard_breaks(lines: list[str]) -> list[str]:
    """End each line that another line follows in the same paragraph with a hard break.

    Without it markdown joins the lines: an email's "Best regards," and the name would run
    together. Two trailing spaces rather than a backslash, so the raw text copies cleanly.
    """
    out = []
    for line, following in zip(lines, [*lines[1:], ""], strict=True):
        # An odd run of backslashes at the end is a hard break already (a multiline answer's).
        broken = (len(line) - len(line.rstrip("\\"))) % 2 == 1
        out.append(f"{line}  " if line.strip() and following.strip() and not broken else line)
    return out


def _quote(markdown: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in _hard_breaks(markdown.splitlines()))


def _quote_email(markdown: str) -> str:
    """An email body as a quote whose paragraphs are whole lines, so it copies cleanly."""
    return _quote("\n".join(email_lines(markdown, markdown=True)))


def _next_command(playbook: str, deal: str) -> str:
    """``dealrescue run recover 'Acme Corp'``: a line to copy, the deal quoted for the shell."""
    import shlex

    command = f"dealrescue run {playbook} {shlex.quote(deal) if deal else 'DEAL'}"
    # A backtick would end the code span; a control character cannot be shown in a line to copy.
    safe = "`" not in command and strip_controls(command) == command
    return f"`{command}`" if safe else f"`dealrescue run {playbook} DEAL`"


def _draft_lines(plan: Plan) -> list[str]:
    """A draft says so, and which answer left would change its verdict."""
    e = escape_inline
    lines = ["**Draft:** made from the key questions only; the questions left took their defaults."]
    if plan.hinge is not None:
        lines += ["", f"It hinges on: *{e(_one_line(plan.hinge.question.prompt))}*", ""]
        for verdict, labels in plan.hinge.outcomes:
            lines.append(f"- {e(verdict.title)} if {'; '.join(e(_one_line(label)) for label in labels)}")
    return lines


def to_markdown(plan: Plan) -> str:
    e = escape_inline
    deal = e(_one_line(plan.deal)) if _one_line(plan.deal) else "unnamed deal"
    out: list[str] = [
        f"# {e(plan.playbook_title)}: {deal}",
        "",
        f"Playbook `{plan.playbook_id}` v{plan.playbook_version} · plan made {plan.date.isoformat()}",
        "",
        *([f"**{e(plan.schedule.message)}**", ""] if plan.schedule.message else []),
        f"## Verdict: {e(plan.verdict.title)}",
        "",
        plan.verdict.rationale.markdown,
    ]
    if plan.record:
        out += ["", f"*{e(plan.record['text'])}*"]
    if plan.draft:
        out += ["", *_draft_lines(plan)]
    if plan.verdict.next:
        out += ["", f"**Next:** {_next_command(plan.verdict.next, _one_line(plan.deal))}"]
    if plan.scores:
        out += ["", "## Scores", ""]
        for score in plan.scores:
            band = f" · {e(score.band_label)}" if score.band_label else ""
            item = [f"**{e(score.title)}: {display_value(score.total)}**{band}"]
            if score.band_note:
                item.append(e(_one_line(score.band_note)))
            if score.contributions:
                drivers = "; ".join(f"{e(c.source)} ({display_value(c.points)})" for c in score.contributions)
                item.append(f"From: {drivers}")
            item = _hard_breaks(item)
            out += [f"- {item[0]}", *(f"  {line}" for line in item[1:])]
    if plan.steps:
        out += ["", "## Action plan", ""]
        out += [f"**{e(line)}**" for line in plan.schedule.notes]
        out += [""] if plan.schedule.notes else []
        for step in plan.steps:
            out.append(f"- [ ] **by {step.due.isoformat()}** ({e(step.owner)}) {step.text.markdown}")
    for section in plan.sections:
        out += ["", f"## {_heading(section.title.markdown)}", ""]
        if section.text is not None:
            out += [section.text.markdown, ""]
        box = "- [ ] " if section.checklist else "- "
        out += [f"{box}{item.markdown}" for item in section.items]
        if out[-1] == "":
            out.pop()
    if plan.talk_tracks:
        out += ["", "## Talk tracks"]
        for track in plan.talk_tracks:
            out += ["", f"### {_heading(track.title.markdown)}", "", track.text.markdown]
    if plan.emails:
        out += ["", "## Email drafts"]
        for email in plan.emails:
            subject = _heading(email.subject.markdown)
            out += ["", f"### {_heading(email.title.markdown)}", "", f"**Subject:** {subject}", "", _quote_email(email.body.markdown)]
    if plan.followups:
        out += ["", "## Follow-ups", ""]
        out += [f"- [ ] **{f.due.isoformat()}** {f.text.markdown}" for f in plan.followups]
    if plan.answers:
        out += ["", "## What you answered", ""]
        out += [f"- **{e(a.prompt)}** {e(a.display)}" for a in plan.answers]
    return "\n".join(out) + "\n"


def _hinge_document(plan: Plan) -> dict[str, Any] | None:
    if plan.hinge is None:
        return None
    verdicts = [{"verdict": v.id, "title": v.title, "answers": list(labels)} for v, labels in plan.hinge.outcomes]
    return {"question": plan.hinge.question.id, "prompt": plan.hinge.question.prompt, "verdicts": verdicts}


def to_document(plan: Plan) -> dict[str, Any]:
    """The JSON document. Its shape is a contract, pinned by tests/test_contract.py."""
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "playbook": {"id": plan.playbook_id, "title": plan.playbook_title, "version": plan.playbook_version},
        "deal": plan.deal,
        "date": plan.date.isoformat(),
        "answers": {a.id: a.value for a in plan.answers},
        "scores": {
            s.id: {
                "title": s.title,
                "total": s.total,
                "band": s.band_id,
                "label": s.band_label,
                "note": s.band_note,
                "drivers": [{"source": c.source, "points": c.points} for c in s.contributions],
            }
            for s in plan.scores
        },
        "verdict": {
            "id": plan.verdict.id,
            "title": plan.verdict.title,
            "rationale": plan.verdict.rationale.plain,
            "next": plan.verdict.next,
            # Once outcomes judge the verdict: {"text", "outcomes", "successes", "rate", "interval", "method"}.
            "record": dict(plan.record) if plan.record else None,
            # A draft's question left that would change the verdict: {"question", "prompt", "verdicts":
            # [{"verdict", "title", "answers"}]}; null otherwise.
            "hinge": _hinge_document(plan),
        },
        "draft": plan.draft,
        "steps": [
            {"id": s.id, "after": list(s.after), "text": s.text.plain, "due": s.due.isoformat(), "deadline": _day(s.deadline), "owner": s.owner}
            for s in plan.steps
        ],
        "sections": [
            {
                "title": s.title.plain,
                "text": s.text.plain if s.text else None,
                "items": [i.plain for i in s.items],
                "checklist": s.checklist,
            }
            for s in plan.sections
        ],
        "talk_tracks": [{"title": t.title.plain, "text": t.text.plain} for t in plan.talk_tracks],
        "emails": [
            {"title": m.title.plain, "subject": m.subject.plain, "body": m.body.plain, "audience": m.audience}
            for m in plan.emails
        ],
        "followups": [
            {"id": f.id, "after": list(f.after), "text": f.text.plain, "due": f.due.isoformat(), "deadline": _day(f.deadline)}
            for f in plan.followups
        ],
        "schedule": {
            "feasible": plan.schedule.feasible,
            "short_by_days": plan.schedule.short_by_days,
            "binding": list(plan.schedule.binding),
            "notes": [*([plan.schedule.message] if plan.schedule.message else []), *plan.schedule.notes],
        },
    }


def _day(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def to_json(plan: Plan) -> str:
    return json_safe(json.dumps(to_document(plan), indent=2, ensure_ascii=False)) + "\n"


def render(name: str, plan: Plan) -> str:
    """``plan`` in the registered format ``name`` (see ``RENDERERS.names()``)."""
    return RENDERERS.render(name, plan)
