"""Steps in their declared order (`id`, `after`, `gap`), through the installed command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ORDERED = """\
id: ordered
version: 1
title: Ordered
summary: A mutual plan in order.
questions:
  - id: sign_date
    prompt: When do they sign?
    type: date
    required: false
    deadline_label: their signature
  - id: security
    prompt: Security review?
    type: confirm
    default: true
verdicts:
  - id: go
    default: true
    title: Go
    rationale: Go.
plan:
  - id: proposal
    text: Send the proposal
    due: +1d
    customer: true
  - id: proof
    text: Run the proof
    after: proposal
    gap: 5wd
    deadline: sign_date -1d
  - id: security_review
    text: Security review
    when: security
    after: proof
    due: sign_date -10d
    fallback: +3w
    deadline: sign_date
  - id: side_by_side
    text: Present the side-by-side
    after: [security_review]
    gap: 2d
    deadline: sign_date
  - id: signature
    text: Their decision
    after: side_by_side
    due: sign_date
    fallback: +6w
    deadline: sign_date
    customer: true
followups:
  - text: Proof checkpoint
    after: proof
    due: +2w
    deadline: sign_date -1d
"""


def dealrescue(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed console script (next to this interpreter), or the module when there is none."""
    script = Path(sys.executable).with_name("dealrescue")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "dealrescue"]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=60, check=False, env=dict(os.environ))


def run(path: Path, *args: str, json_out: bool = True) -> Any:
    base = ["run", str(path), "Acme", "--no-input", "--no-save", "--date", "2026-11-22", *args]
    done = dealrescue(*base, *(["--format", "json"] if json_out else []))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if json_out else done.stdout


@pytest.fixture
def ordered(write_playbook: Callable[..., Path]) -> Path:
    return write_playbook(ORDERED)


def test_with_time_to_spare_every_step_follows_its_prerequisites(ordered: Path) -> None:
    doc = run(ordered, "--set", "sign_date=2027-01-29")
    due = {s["id"]: s["due"] for s in doc["steps"]}
    assert due == {
        "proposal": "2026-11-23",  # +1d
        "proof": "2026-11-30",  # five working days after the proposal
        "security_review": "2027-01-19",  # sign_date -10d
        "side_by_side": "2027-01-21",  # two days after it
        "signature": "2027-01-29",
    }
    assert [s["id"] for s in doc["steps"]] == list(due)
    steps = {s["id"]: s for s in doc["steps"]}
    assert steps["side_by_side"]["after"] == ["security_review"] and steps["proposal"]["after"] == []
    # The side-by-side must be two days before their signature, so everything before it is due by 01-27.
    assert steps["proof"]["deadline"] == steps["security_review"]["deadline"] == "2027-01-27"
    assert steps["side_by_side"]["deadline"] == "2027-01-29" and steps["proposal"]["deadline"] == "2027-01-20"
    assert doc["followups"][0]["after"] == ["proof"] and doc["followups"][0]["due"] == "2026-12-06"
    assert doc["schedule"] == {"feasible": True, "short_by_days": 0, "binding": [], "notes": []}


def test_a_near_date_keeps_the_order_and_says_by_how_much_it_is_short(ordered: Path) -> None:
    doc = run(ordered, "--set", "sign_date=2026-11-27")
    listed = [(s["id"], s["due"]) for s in doc["steps"]]
    assert [i for i, _ in listed] == ["proposal", "proof", "security_review", "side_by_side", "signature"]
    assert [d for _, d in listed] == sorted(d for _, d in listed)
    assert all("2026-11-22" <= d <= "2026-11-27" for _, d in listed)
    schedule = doc["schedule"]
    assert schedule["feasible"] is False
    # proposal today, proof 5 working days later (11-27), side-by-side 2 days after: 11-29, two days late.
    assert schedule["short_by_days"] == 2
    assert schedule["binding"] == ["proposal", "proof", "security_review", "side_by_side"]
    assert schedule["notes"][0] == (
        "Not enough time: proposal, proof, security review and side by side need 7 days before their signature"
        " on 2026-11-27; 5 are left. Ask for a later date, or drop or shorten proof."
    )
    assert doc["followups"][0]["due"] <= "2026-11-26"  # the checkpoint lands before their signature
    markdown = run(ordered, "--set", "sign_date=2026-11-27", json_out=False)
    head = markdown.split("## Verdict")[0]
    assert "**Not enough time: proposal, proof, security review and side by side need 7 days" in head
    assert markdown.count("Not enough time") == 1


def test_a_hidden_step_passes_its_order_on(ordered: Path) -> None:
    doc = run(ordered, "--set", "sign_date=2027-01-29", "--set", "security=no")
    steps = {s["id"]: s for s in doc["steps"]}
    assert "security_review" not in steps
    assert steps["side_by_side"]["after"] == ["proof"]
    assert steps["side_by_side"]["due"] >= "2026-12-02"  # two days after the proof


def test_a_customer_step_skips_the_weekend(ordered: Path) -> None:
    doc = run(ordered, "--set", "sign_date=2027-01-30")  # a Saturday
    signature = next(s for s in doc["steps"] if s["id"] == "signature")
    assert signature["due"] == "2027-01-29"  # the Friday before: Monday is after their date


@pytest.mark.parametrize(
    ("old", "new", "key", "words"),
    [
        ("    after: proposal\n", "    after: propsal\n", "plan[1].after", "no step or follow-up has id 'propsal' (did you mean 'proposal'?)"),
        ("  - id: proposal\n", "  - id: proposal\n    after: signature\n", "plan[0].after", "a cycle: 'proposal' comes after 'signature'"),
        ("  - id: proof\n", "  - id: proposal\n", "plan[1].id", "id 'proposal' is used twice (also plan[0])"),
        ("    customer: true\n  - id: proof", "    gap: 2d\n    customer: true\n  - id: proof", "plan[0].gap",
         "a gap counts from the steps in after"),
        ("    gap: 5wd", "    gap: 5 weeks", "plan[1].gap", "does not fit"),
    ],
)
def test_validate_refuses_a_bad_order_naming_the_step(
    write_playbook: Callable[..., Path], old: str, new: str, key: str, words: str
) -> None:
    assert old in ORDERED
    path = write_playbook(ORDERED.replace(old, new, 1))
    done = dealrescue("playbooks", "validate", str(path))
    assert done.returncode == 3, done.stderr
    line = next(ln for ln in done.stderr.splitlines() if key in ln)
    assert line.startswith("error: ") and words in line, done.stderr
