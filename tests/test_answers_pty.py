"""Answers you can trust, on a real pseudo-terminal: back on every type, the review screen, the
y-Enter slip, plain prompts, and Ctrl-C after going back.

The mechanics are driven with playbooks written here (every type; a small branching one), so a change to
a bundled playbook's questions does not break them; only the y-Enter repro runs the bundled pulse."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import test_pty
from tests.test_pty import (
    CTRL_C,
    DATE,
    DOWN,
    DR,
    ENTER,
    REVIEW,
    Session,
    Start,
    journal_record,
)

pytestmark = pytest.mark.pty

# The terminal sessions' fixtures, shared with test_pty.
home = test_pty.home
start = test_pty.start

CTRL_B = "\x02"
ESC_B = "\x1bb"
UP = "\x1b[A"
SPACE = " "
BACKSPACE = "\x7f"

ALL_TYPES = """\
id: alltypes
version: 1
title: Every type
summary: One question of each type, for going back.
questions:
  - {id: name, prompt: Q1 name?}
  - {id: notes, prompt: Q2 notes?, type: multiline}
  - id: stage
    prompt: Q3 stage?
    type: select
    choices: [{value: early, label: Early stage}, {value: mid, label: Middle stage}, {value: late, label: Late stage}]
  - id: risks
    prompt: Q4 risks?
    type: multiselect
    choices: [{value: budget, label: Budget risk}, {value: timing, label: Timing risk}]
  - {id: ready, prompt: Q5 ready?, type: confirm}
  - {id: heat, prompt: Q6 heat?, type: scale}
  - {id: budget, prompt: Q7 budget?, type: number}
  - {id: due, prompt: Q8 due?, type: date}
  - {id: last, prompt: Q9 last?}
verdicts:
  - {id: go, when: ready, title: Go, rationale: Ready.}
  - {id: wait, default: true, title: Wait, rationale: Not ready.}
plan:
  - text: Call about {{ name }}
    due: +1d
"""

# A small branching playbook for the prompt mechanics, so these tests do not follow the bundled
# playbooks' questions: three key questions, then follow-ups that only some answers ask.
LOSS = """\
id: loss
version: 1
title: Loss check
summary: A small branching playbook for terminal tests.
questions:
  - {id: competitor, prompt: Who won the deal?}
  - id: signed
    prompt: Is a contract signed?
    type: select
    choices:
      - {value: signed, label: Signed}
      - {value: in_progress, label: In progress}
      - {value: not_signed, label: Not signed}
      - {value: unknown, label: Unknown yet}
  - id: reason
    prompt: Why did they go?
    type: select
    choices:
      - {value: better_fit, label: A better fit for them}
      - {value: gap, label: A missing capability}
      - {value: relationship, label: Trust was damaged}
      - {value: unknown, label: Reason unknown}
  - {id: gap, prompt: Which capability was missing?, when: reason == "gap"}
  - {id: pressure, prompt: How hard do they push on price?, type: scale, when: reason == "gap" and signed != "signed"}
  - {id: trust_issue, prompt: What damaged the trust?, required: false, when: reason == "relationship"}
  - {id: decider, prompt: Who decides on their side?, required: false, when: signed != "signed"}
  - id: reconsider
    prompt: What would make them reconsider?
    required: false
    when: signed != "signed" and reason != "better_fit"
verdicts:
  - {id: rebuild_trust, when: reason == "relationship", title: Rebuild trust, rationale: Own the misstep.}
  - {id: fight, when: reason == "gap", title: Fight on value, rationale: Close the gap.}
  - {id: walk, when: reason == "better_fit", title: Walk away, rationale: It fits them better.}
  - {id: learn, default: true, title: Accept and learn, rationale: Find out why.}
plan:
  - text: Pause before you react
    due: +0d
  - text: "Own the misstep: {{ trust_issue }}"
    when: verdict == "rebuild_trust"
    due: +1d
  - text: Offer a proof of concept covering {{ gap }}
    when: verdict == "fight"
    due: +2d
"""
L_COMPETITOR = "Who won the deal?"
L_SIGNED, L_SIGNED_LAST = "Is a contract signed?", "Unknown yet"  # the select's last label: fully drawn
L_REASON, L_REASON_LAST = "Why did they go?", "Reason unknown"
L_GAP = "Which capability was missing?"
L_PRESSURE = "How hard do they push on price?"
L_TRUST = "What damaged the trust?"
L_DECIDER = "Who decides on their side?"
L_RECONSIDER = "What would make them reconsider?"


@pytest.fixture
def loss(write_playbook: Callable[[str, str], Path]) -> Path:
    """loss.yaml in the sessions' working folder (tmp_path)."""
    return write_playbook(LOSS, "loss.yaml")


LOSS_RUN = f"run loss.yaml Acme --date {DATE}"


# (prompt, first answer, keys that change the pre-filled answer when we come back, expected final value).
# Each change only gives the expected value if the earlier answer was pre-filled.
STEPS = [
    ("Q1 name?", "Alpha" + ENTER, "2" + ENTER, "Alpha2"),
    ("Q2 notes?", "line one\x1b\r", " more\x1b\r", "line one more"),
    ("Q3 stage?", ENTER, DOWN + ENTER, "mid"),  # first: Early; back starts on Early, Down: Middle
    ("Q4 risks?", SPACE + ENTER, DOWN + SPACE + ENTER, ["budget", "timing"]),  # Budget stays marked
    ("Q5 ready?", "y" + ENTER, "n" + ENTER, False),
    ("Q6 heat?", "1" + ENTER, "0" + ENTER, 10),  # "1" pre-filled, then "0": 10
    ("Q7 budget?", "12" + ENTER, "5" + ENTER, 125),
    ("Q8 due?", "2026-12-01" + ENTER, BACKSPACE + "5" + ENTER, "2026-12-05"),
]


def saved_run(screen: str) -> str:
    found = re.search(r"Saved as run (\w+)", screen)
    assert found, screen
    return found.group(1)


@pytest.mark.parametrize("back", [CTRL_B, ESC_B], ids=["ctrl-b", "esc-b"])
def test_back_change_forward_on_every_question_type(back: str, start: Start, tmp_path: Path) -> None:
    (tmp_path / "alltypes.yaml").write_text(ALL_TYPES, encoding="utf-8")
    s = start(f"{DR} run alltypes.yaml Acme --date {DATE} > plan.md")
    for n, (prompt, first, change, _) in enumerate(STEPS):
        next_prompt = STEPS[n + 1][0] if n + 1 < len(STEPS) else "Q9 last?"
        s.answer(prompt, first)
        s.wait(next_prompt)
        s.wait("Ctrl-B back")  # the help line names the key
        s.child.send(back)
        s.wait(prompt)  # asked again ...
        s.child.send(change)  # ... pre-filled: the change builds on the first answer
    s.answer("Q9 last?", "done" + ENTER)
    s.make_plan()
    assert s.finish() == 0, s.text
    record = journal_record(saved_run(s.text))
    for (prompt, _, _, expected), question_id in zip(STEPS, ["name", "notes", "stage", "risks", "ready", "heat",
                                                             "budget", "due"], strict=True):
        assert record.answers[question_id] == expected, (prompt, record.answers)
    assert record.verdict_id == "wait"  # ready was changed to no
    # The multiselect echoes the labels picked (questionary's "done (2 selections)" is erased).
    assert "? Q4 risks? Budget risk; Timing risk" in s.text


def test_back_on_the_first_question_stays_there(start: Start, tmp_path: Path) -> None:
    (tmp_path / "alltypes.yaml").write_text(ALL_TYPES, encoding="utf-8")
    s = start(f"{DR} run alltypes.yaml Acme --date {DATE} --no-save > /dev/null")
    s.wait("Q1 name?")
    s.child.send(CTRL_B)
    s.wait("this is the first question")
    s.answer("Q1 name?", "Alpha" + ENTER)
    s.wait("Q2 notes?")
    s.child.send(CTRL_C)
    assert s.finish() == 130
    assert "-o FILE" not in s.text  # stdout is no file here: nothing was left behind to warn about


def test_review_change_switches_the_when_branch_and_the_verdict(start: Start, tmp_path: Path, loss: Path) -> None:
    s = start(f"{DR} {LOSS_RUN} > plan.md")
    s.answer(L_COMPETITOR, "Globex" + ENTER)
    s.answer(L_SIGNED, DOWN + DOWN + ENTER, shown=L_SIGNED_LAST)  # Not signed
    s.answer(L_REASON, DOWN * 2 + ENTER, shown=L_REASON_LAST)  # Trust was damaged
    s.answer(L_TRUST, "missed the demo date" + ENTER)
    s.answer(L_DECIDER, "Dana" + ENTER)
    s.answer(L_RECONSIDER, "a new team" + ENTER)
    s.wait(REVIEW)
    listing = s.text[s.text.rindex("Your answers:"):]
    assert f"3. {L_REASON} Trust was damaged" in listing  # labels, not ids
    assert "relationship" not in listing
    s.child.send("9" + ENTER)  # no answer 9: refused right under the prompt, which stays
    s.wait("type a number from 1 to 6")
    s.child.send(BACKSPACE + "3" + ENTER)  # change the reason
    s.answer(L_REASON, UP + ENTER, shown=L_REASON_LAST)  # from Trust was damaged up to A missing capability
    s.answer(L_GAP, "single sign-on" + ENTER)
    s.answer(L_PRESSURE, "5" + ENTER)
    s.wait(REVIEW)
    listing = s.text[s.text.rindex("Your answers:"):]
    assert "single sign-on" in listing and "missed the demo date" not in listing
    assert "Dana" in listing and "a new team" in listing  # kept: their questions still apply
    s.child.send(ENTER)
    assert s.finish() == 0, s.text
    record = journal_record(saved_run(s.text))
    assert record.answers["reason"] == "gap" and record.answers["gap"] == "single sign-on"
    assert record.answers["pressure"] == 5
    assert "trust_issue" not in record.answers  # dropped with its branch, in the journal too
    assert record.answers["decider"] == "Dana"
    plan = (tmp_path / "plan.md").read_text(encoding="utf-8")
    assert "single sign-on" in plan and "missed the demo date" not in plan
    assert "Offer a proof of concept covering single sign-on" in plan and "Own the misstep" not in plan
    assert record.verdict_id == "fight"  # the new branch's verdict, not rebuild_trust


def test_no_review_makes_the_plan_after_the_last_question(start: Start, tmp_path: Path, loss: Path) -> None:
    s = start(f"{DR} {LOSS_RUN} --no-review --no-save > plan.md")
    s.answer(L_COMPETITOR, "Globex" + ENTER)
    s.answer(L_SIGNED, ENTER, shown=L_SIGNED_LAST)  # Signed: no follow-up applies
    s.answer(L_REASON, ENTER, shown=L_REASON_LAST)  # A better fit for them
    assert s.finish() == 0, s.text
    assert REVIEW not in s.text
    assert (tmp_path / "plan.md").read_text(encoding="utf-8").startswith("# Loss check: Acme")


def test_y_then_enter_answers_one_confirm_only(start: Start, tmp_path: Path) -> None:
    # The repro on the bundled pulse: three confirm questions in a row; `y` Enter must answer
    # the first and stop, so the next one is still asked.
    s = start(f"{DR} pulse Globex --no-save --format json --no-review --set signals= --set pulse=7 "
              "--set asked_loss_question=yes --set calling_high=yes --set competitor_knocking=no > plan.json")
    s.answer("biggest fear is right now", "y" + ENTER)  # knows_their_fear
    s.answer("your own biggest fear", "y" + ENTER)  # asked, not answered by the Enter
    s.answer("standing in a competitor's way", "n" + ENTER)
    s.answer("contract renew", ENTER)
    # pulse's optional account facts, each left at its default.
    s.answer("usage of our product moved", ENTER, shown="Don't know")
    s.answer("support escalations are open", ENTER)
    s.answer("executive sponsor on their side", ENTER, shown="Don't know")
    s.answer("last business review", ENTER, shown="Don't know")
    assert s.finish() == 0, s.text
    answers = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))["answers"]
    values = {a["id"]: a["value"] for a in answers} if isinstance(answers, list) else answers
    assert values["knows_their_fear"] is True
    assert values["shared_our_fear"] is True
    assert values["in_the_way"] is False


def test_ctrl_c_after_going_back_then_resume_keeps_the_changed_answer(start: Start, tmp_path: Path,
                                                                       loss: Path) -> None:
    s = start(f"{DR} {LOSS_RUN} > plan.md")
    s.answer(L_COMPETITOR, "Globex" + ENTER)
    s.answer(L_SIGNED, DOWN + DOWN + ENTER, shown=L_SIGNED_LAST)  # Not signed
    s.answer(L_REASON, CTRL_B, shown=L_REASON_LAST)  # back to the signed question
    s.wait(f"{L_REASON} (back)")
    s.answer(L_SIGNED, UP + ENTER, shown=L_SIGNED_LAST)  # In progress (from Not signed, pre-selected)
    s.wait(L_REASON)
    s.answer(L_REASON_LAST, CTRL_C)
    assert s.finish() == 130
    # stdout is plan.md, left empty: resuming into it takes --force
    assert "-o plan.md --force (the shell made plan.md before the run, empty; -o writes the plan only once it is made)" in s.text
    run_id = re.search(r"as run (\w+)", s.text)
    assert run_id, s.text
    assert journal_record(run_id.group(1)).answers == {"competitor": "Globex", "signed": "in_progress"}

    r = start(f"{DR} resume {run_id.group(1)} -o plan.md --force")  # as the hint says
    r.answer(L_REASON, ENTER, shown=L_REASON_LAST)  # A better fit for them
    r.answer(L_DECIDER, ENTER)  # asked because the changed answer is not Signed
    r.make_plan()
    assert r.finish() == 0, r.text
    record = journal_record(run_id.group(1))
    assert record.status == "done"
    assert record.answers["signed"] == "in_progress"

# --- plain prompts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["TERM=dumb", "--plain", "DEALRESCUE_PROMPTS=plain"])
def test_plain_prompts_every_type_with_back_and_review(how: str, start: Start, tmp_path: Path) -> None:
    (tmp_path / "alltypes.yaml").write_text(ALL_TYPES, encoding="utf-8")
    env = {"TERM": "dumb"} if how == "TERM=dumb" else {"DEALRESCUE_PROMPTS": "plain"} if "PROMPTS" in how else {}
    flag = " --plain" if how == "--plain" else ""
    s: Session = start(f"{DR} run alltypes.yaml Acme --date {DATE}{flag} > plan.md", **env)
    s.answer("Q1 name?", "Alpha" + ENTER)
    s.answer("several lines", "line one" + ENTER + "." + ENTER)
    s.answer("Q3 stage?", "<" + ENTER)  # back to Q2, its answer offered
    s.answer("a lone . keeps line one", "line two" + ENTER + "." + ENTER)
    s.answer("type a number", "2" + ENTER)  # Middle stage
    s.answer("numbers separated by commas", "1,2" + ENTER)
    s.answer("y or n, then Enter", "y" + ENTER)
    s.wait("Q6 heat?")
    s.answer("(1-10", "11" + ENTER)
    s.wait("must be at most 10")  # refused right at its prompt, asked again
    s.child.send("4" + ENTER)
    s.answer("Q7 budget?", "1,500" + ENTER)
    s.answer("Q8 due?", "2026-12-01" + ENTER)
    s.answer("Q9 last?", "done" + ENTER)
    s.answer("Enter makes the plan", "3" + ENTER)  # change the stage
    s.answer("Enter keeps Middle stage", "3" + ENTER)
    s.answer("Enter makes the plan", ENTER)
    assert s.finish() == 0, s.text
    screen = s.text
    assert "\x1b[" not in screen.split("Q1 name?")[1].split("Saved as run")[0], "plain prompts move no cursor"
    assert "  = Budget risk; Timing risk" in screen
    record = journal_record(saved_run(screen))
    assert record.answers == {
        "name": "Alpha", "notes": "line two", "stage": "late", "risks": ["budget", "timing"], "ready": True,
        "heat": 4, "budget": 1500, "due": "2026-12-01", "last": "done",
    }
    assert record.verdict_id == "go"


def test_rerun_on_a_terminal_opens_the_review_with_the_old_answers(start: Start, tmp_path: Path, loss: Path) -> None:
    first = start(f"{DR} {LOSS_RUN} --no-review --set competitor=Globex --set signed=signed "
                  "--set reason=better_fit > /dev/null")
    assert first.finish() == 0, first.text
    old_id = saved_run(first.text)
    s = start(f"{DR} deals rerun {old_id} > plan.md")
    s.wait(REVIEW)
    listing = s.text[s.text.rindex("Your answers:"):]
    assert f"{L_COMPETITOR} Globex" in listing
    s.child.send("2" + ENTER)  # signed: change to Not signed, which asks who decides
    s.answer(L_SIGNED, DOWN + DOWN + ENTER, shown=L_SIGNED_LAST)
    s.answer(L_DECIDER, "Dana" + ENTER)
    s.make_plan()
    assert s.finish() == 0, s.text
    assert f"it replaces run {old_id}" in s.text
    record = journal_record(saved_run(s.text))
    assert record.answers["signed"] == "not_signed" and record.answers["decider"] == "Dana"


def _ctrl_c_at_the_second_question(start: Start, command: str) -> str:
    """Run ``command`` with plain prompts, answer the first question, press Ctrl-C at the second;
    what the terminal showed."""
    s = start(f'{command}; echo "RC:$?"')
    s.answer(L_COMPETITOR, "Globex" + ENTER)
    s.answer("type a number", CTRL_C)
    s.wait("RC:130")
    assert s.finish() == 0
    return s.text


def test_plain_prompts_ctrl_c_keeps_the_answers(start: Start, tmp_path: Path, loss: Path) -> None:
    text = _ctrl_c_at_the_second_question(start, f"{DR} {LOSS_RUN} --plain > plan.md")
    found = re.search(r"1 answer\(s\) kept in the journal as run (\w+)", text)
    assert found, text
    assert journal_record(found.group(1)).answers == {"competitor": "Globex"}
    # Resume asks the rest the way this run asked: with plain prompts.
    assert f"hint: continue with: dealrescue resume {found.group(1)} --plain -o plan.md --force" in text.replace("\r", ""), text


def test_plain_ctrl_c_without_saving_ends_the_line_and_names_the_deal_to_start_again(
    start: Start, tmp_path: Path, loss: Path
) -> None:
    """The error starts on its own line (not glued to the prompt's ^C), and the command in the
    hint is the one that was run: the playbook and the deal, quoted for the shell."""
    text = _ctrl_c_at_the_second_question(start, f'{DR} run loss.yaml "Acme Corp" --date {DATE} --no-save --plain > plan.md')
    lines = text.replace("\r", "").split("\n")
    assert any(line.startswith("error: interrupted: 1 answer(s) given; --no-save was set") for line in lines), text
    # The plan's date and the plain prompts go on too: the hint makes the same run again.
    assert any(line.startswith(f"hint: start again with: dealrescue run loss.yaml 'Acme Corp' --no-save --date {DATE} --plain "
                               "-o plan.md --force") for line in lines), text
    # What is typed is set off from the prompt's hint by a space, as on any shell prompt.
    assert "  (type the answer) Globex" in lines, text


def test_ctrl_c_with_o_names_the_same_file_in_the_resume_line(start: Start, tmp_path: Path, loss: Path) -> None:
    """-o writes only a finished plan, so after Ctrl-C the file is not there: resume needs the same
    -o (and no --force, which would only be needed to replace a file)."""
    text = _ctrl_c_at_the_second_question(start, f"{DR} {LOSS_RUN} --plain -o out.md")
    found = re.search(r"kept in the journal as run (\w+)", text)
    assert found, text
    assert f"hint: continue with: dealrescue resume {found.group(1)} --plain -o out.md\r\n" in text, text
    assert not (tmp_path / "out.md").exists()
