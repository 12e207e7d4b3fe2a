"""Dates from the customer's answers, and customer text kept apart from rep notes, through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from dealrescue.cli.app import app
from dealrescue.core.model import Question, QuestionType, Step
from dealrescue.core.schedule import Scheduler

DATED = """\
id: dated
version: 1
title: Dated
summary: Steps counted from the customer's date.
questions:
  - id: competitor
    prompt: Who else?
    customer_safe: true
  - id: note
    prompt: Your note
    required: false
  - id: decision_date
    prompt: When do they decide?
    type: date
    required: false
    deadline_label: their decision
verdicts:
  - id: go
    default: true
    title: Go
    rationale: Go.
plan:
  - text: Write the one-pager
    due: +0d
  - text: Present the comparison
    due: +1w
    deadline: decision_date -1d
  - text: Confirm the decision meeting
    due: decision_date -3d
    fallback: +5d
  - text: Plan the quarter
    due: +1m
talk_tracks:
  - title: Call
    text: We compare well with {{ competitor }}.
emails:
  - title: To the customer
    subject: Next steps
    body: "Hello, about {{ competitor }}."
followups:
  - text: Check back
    due: decision_date +1w
    fallback: +2w
"""


def run_json(path: Path, *args: str) -> tuple[dict[str, Any], str]:
    result = CliRunner().invoke(app, ["run", str(path), "Acme", "--date", "2026-11-22", "--no-save", "--format", "json", *args])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def dues(doc: dict[str, Any]) -> dict[str, str]:
    return {s["text"]: s["due"] for s in doc["steps"]}


@pytest.fixture
def dated(write_playbook: Callable[..., Path]) -> Path:
    return write_playbook(DATED)


def test_due_counts_back_from_a_date_answer_and_a_deadline_pulls_steps_in(dated: Path) -> None:
    doc, _ = run_json(dated, "--set", "competitor=Globex", "--set", "decision_date=2026-12-10")
    assert dues(doc) == {
        "Write the one-pager": "2026-11-22",
        "Present the comparison": "2026-11-29",  # +1w is before the deadline: kept
        "Confirm the decision meeting": "2026-12-07",  # decision -3d
        "Plan the quarter": "2026-12-22",  # no deadline on this step
    }
    assert doc["followups"] == [{"id": "followups_0", "after": [], "text": "Check back", "due": "2026-12-17", "deadline": None}]
    assert doc["schedule"] == {"feasible": True, "short_by_days": 0, "binding": [], "notes": []}


def test_a_near_date_compresses_the_steps_and_the_plan_says_so_once(dated: Path) -> None:
    doc, _ = run_json(dated, "--set", "competitor=Globex", "--set", "decision_date=2026-11-24")
    assert dues(doc)["Present the comparison"] == "2026-11-23"
    assert dues(doc)["Confirm the decision meeting"] == "2026-11-22"  # -3d would be before the plan date
    assert doc["schedule"]["notes"] == ["tight: their decision is on 2026-11-24"]
    markdown = CliRunner().invoke(
        app, ["run", str(dated), "Acme", "--date", "2026-11-22", "--no-save", "--set", "competitor=Globex", "--set", "decision_date=2026-11-24"]
    ).stdout
    assert markdown.count("tight: their decision is on 2026-11-24") == 1


def test_an_empty_date_answer_uses_the_fallback(dated: Path) -> None:
    doc, _ = run_json(dated, "--set", "competitor=Globex")
    assert dues(doc)["Confirm the decision meeting"] == "2026-11-27"
    assert dues(doc)["Present the comparison"] == "2026-11-29"
    assert doc["followups"][0]["due"] == "2026-12-06"
    assert doc["schedule"]["notes"] == []


def test_a_date_already_past_is_reported_and_not_used(dated: Path) -> None:
    doc, _ = run_json(dated, "--set", "competitor=Globex", "--set", "decision_date=2026-11-20")
    assert doc["schedule"]["notes"] == ["their decision (2026-11-20) has passed: steps are dated from today"]
    assert dues(doc)["Confirm the decision meeting"] == "2026-11-27"  # the fallback, not 2026-11-17
    assert dues(doc)["Present the comparison"] == "2026-11-29"  # the past deadline is not applied
    assert min(dues(doc).values()) >= "2026-11-22"


def _validate(write_playbook: Callable[..., Path], text: str) -> tuple[int, str]:
    path = write_playbook(text)
    result = CliRunner().invoke(app, ["playbooks", "validate", str(path)])
    return result.exit_code, result.stderr


@pytest.mark.parametrize(
    ("old", "new", "key", "words"),
    [
        ("    due: decision_date -3d", "    due: competitor -3d", "plan[2].due", "'competitor' is a text question, not a date question"),
        ("    due: decision_date -3d", "    due: decison_date -3d", "plan[2].due", "'decison_date' is not a question"),
        ("    deadline: decision_date -1d", "    deadline: note", "plan[1].deadline", "'note' is a text question"),
        ("    deadline: decision_date -1d", "    deadline: +2d", "plan[1].deadline", "does not fit: write a date question"),
        ("    fallback: +5d\n", "", "plan[2].due", "'decision_date' may be left empty: add a fallback"),
        ("    fallback: +5d", "    fallback: decision_date", "plan[2].fallback", "does not fit: write a due offset"),
        ("    due: +1m", "    due: -1m", "plan[3].due", "does not fit"),
    ],
)
def test_the_loader_checks_date_references(
    write_playbook: Callable[..., Path], old: str, new: str, key: str, words: str
) -> None:
    assert old in DATED
    code, err = _validate(write_playbook, DATED.replace(old, new, 1))
    assert code == 3
    line = next(ln for ln in err.splitlines() if key in ln)
    assert line.startswith("error: ") and "pb.yaml:" in line and words in line, err
    # The line number points at the key.
    number = int(line.split("pb.yaml:")[1].split(":")[0])
    assert DATED.replace(old, new, 1).splitlines()[number - 1].strip().startswith(key.rsplit(".", 1)[1])


def test_a_customer_template_that_prints_a_rep_note_is_refused(write_playbook: Callable[..., Path]) -> None:
    text = DATED.replace("We compare well with {{ competitor }}.", "We compare well. {{ note }}")
    code, err = _validate(write_playbook, text)
    assert code == 3
    assert "talk_tracks[0].text: customer-facing text prints 'note', a rep's note" in err
    assert "mark it customer_safe: true if the rep writes it for the customer, or move it to a rep note" in err
    # Testing a note in a condition is not printing it; a step (a rep note) may print it.
    fine = DATED.replace("We compare well with {{ competitor }}.", "'{% if note %}We heard you.{% endif %}'")
    fine = fine.replace("Write the one-pager", "Write the one-pager about {{ note }}")
    assert _validate(write_playbook, fine)[0] == 0


@pytest.mark.parametrize("printed", ["{{ note | upper }}", "{{ labels.note }}", "{{ labels['note'] }}", "{{ note or 'x' }}"])
def test_every_way_of_printing_a_note_is_caught(write_playbook: Callable[..., Path], printed: str) -> None:
    code, err = _validate(write_playbook, DATED.replace('body: "Hello, about {{ competitor }}."', f'body: "Hello {printed}"'))
    assert code == 3 and "emails[0].body: customer-facing text prints 'note'" in err


def test_customer_safe_and_team_emails_may_print_the_answer(write_playbook: Callable[..., Path]) -> None:
    safe = DATED.replace("    required: false\n  - id: decision_date", "    required: false\n    customer_safe: true\n  - id: decision_date")
    assert _validate(write_playbook, safe.replace("{{ competitor }}.\"", "{{ note }}.\""))[0] == 0
    team = DATED.replace('    body: "Hello, about {{ competitor }}."', '    body: "Manager: {{ note }}"\n    audience: team')
    assert _validate(write_playbook, team)[0] == 0
    code, err = _validate(write_playbook, team.replace("audience: team", "audience: boss"))
    assert code == 3 and "emails[0].audience" in err


def test_the_schema_documents_the_new_keys() -> None:
    schema = json.loads(CliRunner().invoke(app, ["playbooks", "schema"]).stdout)
    defs = schema["$defs"]
    assert set(defs["Step"]["properties"]) >= {"due", "fallback", "deadline"}
    assert "decision_date -2d" in defs["Step"]["properties"]["due"]["description"]
    assert defs["Question"]["properties"]["customer_safe"]["default"] is False
    assert "deadline_label" in defs["Question"]["properties"]
    assert defs["Email"]["properties"]["audience"]["default"] == "customer"


# --- The bundled playbooks, through the installed command (the defects of the plans issue) --------

RECOVER = {
    "trigger": "exec_meeting",
    "trigger_detail": "Our CEO dismissed their data migration worries in the final review.",
    "concerns": "pricing,implementation",
    "competitor": "Globex",
    "wired_signals": "",
    "champion_state": "engaged",
    "customer_exec_stance": "supportive",
    "damage": "5",
    "value_outcomes": "Month-end close cut from ten days to four.",
    "give_first": "expert_workshop",
}


def dealrescue(user_home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEALRESCUE_")}
    env["DEALRESCUE_HOME"] = str(user_home)
    return subprocess.run([sys.executable, "-m", "dealrescue", *args], capture_output=True, text=True, env=env, timeout=60, check=False)


def sets(answers: dict[str, str]) -> list[str]:
    return [arg for key, value in answers.items() for arg in ("--set", f"{key}={value}")]


def test_recover_two_days_before_the_decision_is_due_by_it_and_says_tight(user_home: Path) -> None:
    args = ["run", "recover", "Acme", "--date", "2026-11-22", "--no-save", *sets({**RECOVER, "decision_date": "2026-11-24"})]
    doc = json.loads(dealrescue(user_home, *args, "--format", "json").stdout)
    assert doc["steps"] and all(s["due"] <= "2026-11-24" for s in doc["steps"])
    assert doc["schedule"]["notes"] == ["tight: their decision is on 2026-11-24"]
    present = next(s for s in doc["steps"] if s["text"].startswith("Present the side-by-side"))
    assert present["due"] < "2026-11-24"  # the defect had it on 2026-11-29
    markdown = dealrescue(user_home, *args).stdout
    assert markdown.count("tight: their decision is on 2026-11-24") == 1


def test_recover_quotes_what_happened_in_no_talk_track(user_home: Path) -> None:
    args = ["run", "recover", "Acme", "--date", "2026-11-22", "--no-save", "--format", "json", *sets(RECOVER)]
    doc = json.loads(dealrescue(user_home, *args).stdout)
    customer = " ".join([t["text"] for t in doc["talk_tracks"]] + [m["body"] for m in doc["emails"]])
    assert doc["talk_tracks"] and "dismissed their data migration worries" not in customer


def test_triage_proof_of_concept_email_does_not_quote_the_reps_note(user_home: Path) -> None:
    answers = {"competitor": "Globex", "signed": "not_signed", "reason": "gap", "gap": "reporting",
               "closable": "other_product", "pressure": "8", "reconsider": "a board report their CFO can defend"}
    doc = json.loads(dealrescue(user_home, "run", "triage", "Acme", "--no-save", "--format", "json", *sets(answers)).stdout)
    email = next(m for m in doc["emails"] if "proof of concept" in m["body"])
    assert "their CFO can defend" not in email["body"]
    assert any("their CFO can defend" in s["text"] for s in doc["steps"])  # still in the rep's own notes


def test_triage_asks_when_they_plan_to_sign_and_dates_steps_before_it(user_home: Path) -> None:
    answers = {"competitor": "Globex", "signed": "in_progress", "reason": "gap", "gap": "SSO",
               "closable": "workaround", "pressure": "3", "sign_date": "2026-11-25"}
    doc = json.loads(dealrescue(user_home, "run", "triage", "Acme", "--date", "2026-11-22", "--no-save", "--format", "json", *sets(answers)).stdout)
    assert doc["answers"]["sign_date"] == "2026-11-25"
    assert all(s["due"] <= "2026-11-25" for s in doc["steps"])
    # Three days cannot hold a proof of concept: the plan says so first, and keeps every step before their date.
    assert doc["schedule"]["feasible"] is False
    assert doc["schedule"]["notes"][0].startswith("Not enough time: proposal, proof, side by side")
    assert doc["schedule"]["notes"][1:] == ["tight: their planned signature is on 2026-11-25"]


@pytest.mark.parametrize(("renewal", "driver", "points"), [
    ("2026-11-30", "Renewal within 30 days", 6), ("2027-01-10", "Renewal within 60 days", 4),
    ("2027-02-05", "Renewal within 90 days", 2), ("2027-06-01", None, 0),
])
def test_pulse_near_renewal_raises_risk_with_the_reason(user_home: Path, renewal: str, driver: str | None, points: int) -> None:
    base = ["run", "pulse", "Acme", "--date", "2026-11-22", "--no-save", "--format", "json", "--set", "signals=stalled_renewal"]
    without = json.loads(dealrescue(user_home, *base).stdout)
    doc = json.loads(dealrescue(user_home, *base, "--set", f"renewal={renewal}").stdout)
    assert doc["scores"]["risk"]["total"] == without["scores"]["risk"]["total"] + points
    drivers = [d["source"] for d in doc["scores"]["risk"]["drivers"]]
    assert (driver in drivers) if driver else not any(d.startswith("Renewal within") for d in drivers)
    if renewal == "2026-11-30":
        assert all(s["due"] <= "2026-11-29" for s in doc["steps"])  # the defect had step-3 actions on 2026-12-06


def test_rank_weighs_a_near_renewal_with_its_reason(tmp_path: Path) -> None:
    import datetime as dt

    soon = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    later = (dt.date.today() + dt.timedelta(days=200)).isoformat()
    data = tmp_path / "accounts.csv"
    data.write_text(f"deal,signals,renewal\nFar,stalled_renewal,{later}\nNear,stalled_renewal,{soon}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["rank", str(data), "-p", "pulse", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["rows"]
    assert [r["deal"] for r in rows] == ["Near", "Far"]
    assert "Renewal within 30 days" in json.dumps(rows[0]) and "Renewal within" not in json.dumps(rows[1])


# --- the date rules themselves, on any dates ---------------------------------------------------

DAYS = st.integers(min_value=-60, max_value=120)


@given(
    offset=st.integers(min_value=0, max_value=60),
    decision=st.one_of(st.none(), DAYS),
    back=st.integers(min_value=0, max_value=10),
    limit=st.integers(min_value=0, max_value=5),
)
def test_a_step_is_never_before_the_plan_date_nor_after_a_live_deadline(
    offset: int, decision: int | None, back: int, limit: int
) -> None:
    import datetime as dt

    plan_date = dt.date(2026, 11, 22)
    question = Question(id="decision_date", prompt="When?", type=QuestionType.date, required=False, deadline_label="their decision")
    answer = None if decision is None else (plan_date + dt.timedelta(days=decision)).isoformat()
    schedule = Scheduler(plan_date, {"decision_date": answer}, {"decision_date": question})
    timeline = schedule.place([
        schedule.task(Step(text="a", due=f"+{offset}d", deadline=f"decision_date -{limit}d"), "plain"),
        schedule.task(Step(text="b", due=f"decision_date -{back}d", fallback=f"+{offset}d"), "counted"),
    ])
    plain, counted = timeline.due["plain"], timeline.due["counted"]
    assert plain >= plan_date and counted >= plan_date
    notes = schedule.notes()
    if decision is None:
        assert plain == counted == plan_date + dt.timedelta(days=offset) and notes == ()
    elif decision < 0:  # passed: reported, and not used
        assert plain == counted == plan_date + dt.timedelta(days=offset)
        assert notes == (f"their decision ({answer}) has passed: steps are dated from today",)
    else:
        assert plain <= max(plan_date, plan_date + dt.timedelta(days=decision - limit))
        assert counted == max(plan_date, plan_date + dt.timedelta(days=decision - back))
        pulled = offset > max(0, decision - limit) or back > decision
        assert notes == ((f"tight: their decision is on {answer}",) if pulled else ())
        # A deadline already behind the plan date cannot be kept: the plan says it is short.
        assert (timeline.shortfall is not None) == (decision - limit < 0)
