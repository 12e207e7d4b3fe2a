"""What a provisional verdict hinges on: the question left whose answers still change it."""

from __future__ import annotations

import datetime as dt

from dealrescue.catalog import finder
from dealrescue.core.hinge import hinge
from dealrescue.core.loader import CompiledPlaybook, load_playbook
from dealrescue.ui.verdict_first import verdict_lines

TODAY = "2026-11-22"

SCALED = """\
id: scaled
version: 1
title: Scaled
summary: A verdict decided by a scale, then by a yes or no.
questions:
  - id: who
    first: true
    prompt: Who?
  - id: pressure
    prompt: How hard are they pushing?
    type: scale
  - id: champion
    prompt: Is there a champion?
    type: confirm
    default: false
verdicts:
  - id: fight
    title: Fight
    when: pressure is not none and pressure >= 7
    rationale: They are still negotiating.
  - id: call
    title: Call the champion
    when: champion
    rationale: Someone inside wants us.
  - id: wait
    default: true
    title: Wait
    rationale: Nothing to act on yet.
plan:
  - text: Pause
    due: +0d
"""


def triage() -> CompiledPlaybook:
    compiled, _origin = finder.load("triage", None)
    return compiled


def test_an_unsigned_gap_hinges_on_whether_we_can_close_it() -> None:
    found = hinge(triage(), {"competitor": "Globex", "signed": "not_signed", "reason": "gap"}, "Acme", TODAY)
    assert found is not None and found.question.id == "closable"
    by_verdict = {verdict.id: labels for verdict, labels in found.outcomes}
    assert list(by_verdict) == ["fight_on_value", "walk_away", "find_out_more"]  # in the choices' order
    assert by_verdict["walk_away"] == ("No, not within their timeline",)
    assert len(by_verdict["fight_on_value"]) == 3


def test_a_price_loss_hinges_on_how_far_apart_we_are() -> None:
    found = hinge(triage(), {"competitor": "Globex", "signed": "in_progress", "reason": "price"}, "Acme", TODAY)
    assert found is not None and found.question.id == "price_gap"


def test_nothing_left_changes_a_signed_deal() -> None:
    assert hinge(triage(), {"competitor": "Globex", "signed": "signed", "reason": "gap"}, "Acme", TODAY) is None


def test_a_scale_is_shown_in_runs_and_the_next_question_is_tried_when_the_first_does_not_matter() -> None:
    compiled = load_playbook(SCALED.encode(), "scaled.yaml")
    found = hinge(compiled, {"who": "Globex"}, "Acme", TODAY)
    assert found is not None and found.question.id == "pressure"
    assert [(v.id, labels) for v, labels in found.outcomes] == [("wait", ("1-6",)), ("fight", ("7-10",))]
    # With the scale answered low, the yes or no question decides.
    found = hinge(compiled, {"who": "Globex", "pressure": 3}, "Acme", TODAY)
    assert found is not None and found.question.id == "champion"
    assert [(v.id, labels) for v, labels in found.outcomes] == [("call", ("yes",)), ("wait", ("no",))]
    assert hinge(compiled, {"who": "Globex", "pressure": 9}, "Acme", TODAY) is None


def test_the_verdict_first_screen_says_what_it_hinges_on() -> None:
    lines = verdict_lines(triage(), {"competitor": "Globex", "signed": "not_signed", "reason": "gap"}, "Acme", dt.date(2026, 11, 22))
    assert lines[0].startswith("Provisional verdict: Find out more before you choose a fight")
    assert "you have not yet checked whether we can close [gap]" in lines[1]  # the answer still to give
    assert "It hinges on: Do we have another product or option that closes that gap?" in lines
    assert "  Walk away gracefully if No, not within their timeline" in lines


def test_an_unanswered_name_stands_as_a_blank_to_fill_in_not_a_gap() -> None:
    from dealrescue.core.engine import provisional
    from dealrescue.core.plan import build_plan

    compiled, _origin = finder.load("walkaway", None)
    key = {"reasons": ["poor_fit"], "would_stop": True, "manager_agreed": "agreed"}
    outcome = provisional(compiled, key, "Acme", TODAY)
    assert outcome.blanks["contact"] == "[contact]"  # required free text, no default: a blank to fill in
    assert outcome.context["contact"] is None  # for conditions it is still unanswered
    plan = build_plan(compiled, outcome, "Acme", dt.date(2026, 11, 22))
    texts = [s.text.plain for s in plan.steps]
    assert any("[contact]" in t for t in texts) and not any("  " in t for t in texts)
    # Only the texts: the answer itself is still not given (the plan's answers and its JSON say so).
    assert outcome.answers["contact"] is None
    assert next(a for a in plan.answers if a.id == "contact").value is None


def test_a_blank_to_fill_in_does_not_count_as_answered_in_conditions() -> None:
    """A draft's "[contact]" is for the texts only: a step for when the contact is known stays out."""
    from dealrescue.core.engine import provisional
    from dealrescue.core.plan import build_plan

    with_contact = SCALED.replace(
        "verdicts:", "  - id: contact\n    prompt: Who is your contact there?\nverdicts:"
    ).replace(
        "plan:\n  - text: Pause\n    due: +0d",
        "plan:\n"
        "  - text: Email {{ contact }} the recap\n    when: contact\n    due: +0d\n"
        "  - text: Find out who {{ deal }}'s contact is\n    when: not contact\n    due: +0d",
    )
    assert "id: contact" in with_contact
    compiled = load_playbook(with_contact.encode(), "contact.yaml")
    outcome = provisional(compiled, {"who": "Globex"}, "Acme", TODAY)
    assert outcome.blanks == {"contact": "[contact]"}
    plan = build_plan(compiled, outcome, "Acme", dt.date(2026, 11, 22))
    assert [s.text.plain for s in plan.steps] == ["Find out who Acme's contact is"]
