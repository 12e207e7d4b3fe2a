"""The ordering and date defects of the plans issue, each by its repro command through the installed CLI."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.test_order import dealrescue

REPRO = ["--no-input", "--no-save", "--date", "2026-11-22"]
TRIAGE_SSO = ["competitor=Globex", "signed=in_progress", "reason=gap", "gap=SSO", "closable=workaround", "pressure=3"]
TRIAGE_REPORTING = ["competitor=Globex", "signed=not_signed", "reason=gap", "gap=Reporting", "closable=other_product", "pressure=8"]
RECOVER = [
    "trigger=exec_promise", "promise=offline mode", "concerns=capability", "champion_state=engaged", "damage=5",
    "competitor=Globex", "trigger_detail=Our CEO promised offline mode on the call.", "value_outcomes=Month-end close in four days.",
    "give_first=expert_workshop",
]
RECOVER_WALKING = [
    "trigger=competitor_push", "trigger_detail=After Globex's workshop the RFP was reissued.", "exec_involved=no",
    "concerns=capability", "competitor=Globex", "wired_signals=criteria_rewritten,no_access", "champion_state=silent",
    "customer_exec_stance=unknown", "damage=6", "value_outcomes=One view of stock.", "give_first=reference_call",
]


def plan(playbook: str, answers: list[str], *extra: str, json_out: bool = True) -> Any:
    args = [playbook, "Acme", *(a for answer in answers for a in ("--set", answer)), *extra, *REPRO]
    done = dealrescue(*args, *(["--format", "json"] if json_out else []))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if json_out else done.stdout


def position(doc: dict[str, Any], step_id: str) -> tuple[int, str]:
    """Where a step is listed, and its due date."""
    for i, step in enumerate(doc["steps"]):
        if step["id"] == step_id:
            return i, step["due"]
    raise AssertionError(f"no step {step_id!r} in {[s['id'] for s in doc['steps']]}")


def before(doc: dict[str, Any], first: str, then: str) -> None:
    (i, due_first), (j, due_then) = position(doc, first), position(doc, then)
    assert i < j and due_first <= due_then, f"{first} ({due_first}) must come before {then} ({due_then})"


@pytest.mark.parametrize(("closable", "check"), [("workaround", "check_workaround"), ("roadmap", "check_roadmap")])
def test_1_triage_checks_before_it_promises(closable: str, check: str) -> None:
    answers = [a if not a.startswith("closable=") else f"closable={closable}" for a in TRIAGE_SSO]
    doc = plan("triage", answers)
    before(doc, check, "hold_call")
    before(doc, "hold_call", "proposal")
    hold = doc["steps"][position(doc, "hold_call")[0]]
    assert "show them SSO" in hold["text"] and check in hold["after"]
    talk = " ".join(t["text"] for t in doc["talk_tracks"])
    assert "We have a committed date" not in talk
    if closable == "roadmap":
        assert "in writing, and I'll share it with you once I have it" in talk


def test_2_triage_mutual_plan_runs_forwards_and_says_it_is_short() -> None:
    doc = plan("triage", [*TRIAGE_REPORTING, "sign_date=2026-11-29"])
    chain = ["proposal", "proof", "side_by_side", "security_review", "order_form", "decision"]
    for first, then in zip(chain, chain[1:], strict=False):
        before(doc, first, then)
    before(doc, "side_by_side", "legal_review")
    before(doc, "legal_review", "order_form")
    assert all(s["due"] < "2026-11-29" for s in doc["steps"]), "every step before the day they planned to sign with Globex"
    schedule = doc["schedule"]
    assert schedule["feasible"] is False and schedule["short_by_days"] == 4
    assert schedule["binding"] == chain
    assert schedule["notes"][0].startswith("Not enough time: proposal, proof, side by side, security review, order form and decision need")
    assert "before their planned signature on 2026-11-29; 7 are left" in schedule["notes"][0]
    texts = {s["id"]: s["text"] for s in doc["steps"]}
    # Their date is the competitor's signature: the milestones count back from it, ours is their decision before it.
    assert "count back from 2026-11-29, the day they planned to sign with Globex" in texts["mutual_plan"]
    assert texts["decision"].startswith("Mutual plan milestone: their decision, before 2026-11-29 when they planned to sign with Globex")
    assert "signature" not in texts["decision"].split("(")[0].replace("planned to sign", "")
    markdown = plan("triage", [*TRIAGE_REPORTING, "sign_date=2026-11-29"], json_out=False)
    assert "**Not enough time: proposal, proof" in markdown.split("## Verdict")[0]


def test_2_with_time_to_spare_the_triage_plan_fits() -> None:
    doc = plan("triage", [*TRIAGE_REPORTING, "sign_date=2027-01-29"])
    assert doc["schedule"]["feasible"] is True and doc["schedule"]["short_by_days"] == 0
    for first, then in [("proposal", "proof"), ("proof", "side_by_side"), ("side_by_side", "security_review"), ("order_form", "decision")]:
        before(doc, first, then)
    assert position(doc, "decision")[1] == "2027-01-28"


def test_8_recover_owns_it_before_it_offers_and_corrects_before_the_recap() -> None:
    doc = plan("recover", [*RECOVER, "decision_date=2026-12-04"])
    before(doc, "ownership_call", "give_first")
    before(doc, "correct_record", "recap")
    before(doc, "ownership_call", "recap")
    before(doc, "side_by_side", "security_review")
    assert all(s["due"] <= "2026-12-04" for s in doc["steps"])


def test_14_triage_proof_checkpoint_lands_before_their_signature() -> None:
    doc = plan("triage", [*TRIAGE_REPORTING, "sign_date=2026-12-01"])
    checkpoint = next(f for f in doc["followups"] if f["text"].startswith("Proof of concept checkpoint"))
    assert checkpoint["due"] < "2026-12-01" and checkpoint["after"] == ["proposal"]
    free = plan("triage", TRIAGE_REPORTING)
    checkpoint = next(f for f in free["followups"] if f["text"].startswith("Proof of concept checkpoint"))
    proof = next(s for s in free["steps"] if s["id"] == "proof")
    assert position(free, "proposal")[1] < checkpoint["due"] < proof["due"], "the checkpoint falls during the proof"


def test_14_recover_check_backs_come_before_their_decision() -> None:
    doc = plan("recover", [*RECOVER, "decision_date=2026-11-30"])
    momentum = next(f for f in doc["followups"] if f["text"].startswith("Momentum check"))
    assert momentum["due"] < "2026-11-30"
    walking = plan("recover", [*RECOVER_WALKING, "decision_date=2026-11-26"])
    assert walking["verdict"]["id"] == "consider_walking"
    decide = next(f for f in walking["followups"] if f["text"].startswith("Decide on Acme"))
    assert decide["due"] < "2026-11-26"


def test_14_pulse_rescue_check_comes_before_the_renewal() -> None:
    doc = plan("pulse", ["signals=stalled_renewal,weighing_alternatives", "renewal=2026-11-30"])
    assert doc["verdict"]["id"] == "rescue_due_diligence"
    rescue = next(f for f in doc["followups"] if "is the rescue working?" in f["text"])
    assert rescue["due"] < "2026-11-30"


def test_15_triage_asks_for_the_pause_after_owning_it() -> None:
    doc = plan("triage", ["competitor=Globex", "signed=in_progress", "reason=relationship", "trust_issue=a poor executive meeting"])
    assert doc["verdict"]["id"] == "change_approach"
    # One call to the contact (issue 22 item 15): it owns what went wrong, then asks for the pause.
    calls = {s["id"]: s["text"] for s in doc["steps"]}
    assert "own_call" not in calls
    assert calls["ask_pause"].index("own it") < calls["ask_pause"].index("pause before signature")
    before(doc, "ask_pause", "answer_issues")


def test_16_triage_walk_away_debrief_is_not_pulled_in_to_their_signing_day() -> None:
    doc = plan("triage", ["competitor=Globex", "signed=not_signed", "reason=better_fit", "sign_date=2026-11-24"])
    assert doc["verdict"]["id"] == "walk_away"
    assert position(doc, "walkaway_debrief")[1] == "2026-11-30"  # +1w, on a working day
    before(doc, "agree_walkaway", "accept_call")
    before(doc, "accept_call", "walkaway_debrief")


def test_19_qualify_forecast_changes_after_the_walk_away_playbook() -> None:
    doc = plan("qualify", ["stage=proposal", "metrics=identified", "economic_buyer=identified", "pain=identified", "champion=identified"])
    assert doc["verdict"]["id"] == "disqualify"
    crm = next(s for s in doc["steps"] if "take it out of the forecast" in s["text"])
    assert crm["after"] == ["walkaway_run"]
    assert crm["due"] >= position(doc, "walkaway_run")[1]
    assert doc["steps"].index(crm) > position(doc, "walkaway_run")[0]


def test_21_the_live_call_pause_is_guidance_on_screen_not_a_dated_step() -> None:
    doc = plan("triage", TRIAGE_SSO)
    assert not any("For the next ten minutes" in s["text"] or "Pause before you react" in s["text"] for s in doc["steps"])
    guidance = next(s for s in doc["sections"] if s["title"] == "In the next ten minutes, don't")
    assert guidance["text"].startswith("Pause before you react")


# --- Emails use what the plan knows (issue §3, defect 20) -----------------------------------------

def email(doc: dict[str, Any], title: str) -> str:
    return next(str(m["body"]) for m in doc["emails"] if m["title"] == title)


def test_the_triage_mutual_plan_email_carries_the_plans_dates() -> None:
    doc = plan("triage", [*TRIAGE_REPORTING, "sign_date=2027-01-29"])
    body = email(doc, "Sharing the mutual plan")
    assert "[date]" not in body
    due = {s["id"]: s["due"] for s in doc["steps"]}
    for step in ("proof", "side_by_side", "security_review", "legal_review", "order_form", "decision"):
        assert f"- {due[step]}: " in body
    assert "ahead of the 2027-01-29 signature you had planned" in body
    subject = next(m["subject"] for m in doc["emails"] if m["title"] == "Sharing the mutual plan")
    assert subject == f"A plan to your decision by {due['decision']}"


def test_recover_emails_greet_the_champion_and_name_the_budget_holder() -> None:
    answers = [*RECOVER, "decision_date=2027-01-15", "champion_name=Priya", "their_exec=Tom Reed"]
    doc = plan("recover", answers)
    shared = email(doc, "Sharing the mutual plan")
    assert shared.startswith("Hi Priya,") and "you and Tom Reed, with me" in shared
    assert "[date]" not in shared and "[budget holder]" not in shared
    recap = email(doc, "Recap after owning it")
    capability = next(s for s in doc["steps"] if s["id"] == "concern_capability")
    assert recap.startswith("Hi Priya,") and f"by {capability['due']}" in recap
    unnamed = email(plan("recover", [*RECOVER, "decision_date=2027-01-15"]), "Sharing the mutual plan")
    assert unnamed.startswith("Hi [name],") and "[budget holder]" in unnamed  # nothing given: the placeholder stays


def test_20_review_greets_by_name_only_and_signs_off() -> None:
    answers = ["outcome=lost", "rep_reason=better_fit", "buyer_reason=better_fit", "buyer_contact=Dana Ruiz (CFO, sat on the panel)",
               *(f"{stage}=solid" for stage in ("discovery", "key_people", "needs", "presentation", "proposal", "decision_process")),
               "crm_gaps=no"]
    body = email(plan("review", answers), "Ask for a win/loss conversation (lost deal)")
    assert body.startswith("Hi Dana Ruiz,\n")
    assert body.rstrip().endswith("Thank you again,\n[your name]")


def test_triage_emails_greet_by_the_name_given_and_name_the_budget_holder() -> None:
    doc = plan("triage", [*TRIAGE_REPORTING, "decider=Dana Ortiz, CFO", "champion_name=Priya Shah (Head of Finance Ops)"])
    assert email(doc, "Proposing a proof of concept").startswith("Hi Dana Ortiz,\n")
    shared = email(doc, "Sharing the mutual plan")
    assert shared.startswith("Hi Priya Shah,\n") and "(you and Dana Ortiz, with me and my manager)" in shared
    unnamed = plan("triage", TRIAGE_REPORTING)
    assert email(unnamed, "Sharing the mutual plan").startswith("Hi [name],\n")  # nothing given: the placeholder stays
    assert "(you and [budget holder]," in email(unnamed, "Sharing the mutual plan")
