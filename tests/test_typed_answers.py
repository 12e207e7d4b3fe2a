"""Answers as people type them, through the commands: --set, answers files, choice aliases, day first."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dealrescue.cli.app import app
from dealrescue.core.answers import AnswerProblem, parse_answer
from dealrescue.core.model import Question, validate_as
from dealrescue.core.reading import Reading

runner = CliRunner()
ASKED = textwrap.dedent("""\
    id: typed
    version: 1
    title: Typed
    summary: Numbers, dates and choices as typed.
    questions:
      - {id: size, prompt: How big?, type: number, min: 0}
      - {id: sign, prompt: When?, type: date}
      - id: stage
        prompt: Stage?
        type: select
        choices:
          - {value: won, label: Closed won, aliases: [inked, "signed off"]}
          - {value: lost, label: Closed lost, aliases: [gone]}
    verdicts:
      - {id: fine, default: true, title: Fine, rationale: "{{ size }} on {{ sign }} ({{ stage }})"}
    """)


def _plan(playbook: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, object]:
    result = runner.invoke(app, ["run", str(playbook), "Acme", "--no-input", "--no-save", "--date", "2026-12-06",
                                 "--format", "json", *args], env=env)
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    return dict(document["answers"])


@pytest.fixture
def typed(write_playbook) -> Path:  # type: ignore[no-untyped-def]
    return write_playbook(ASKED)  # type: ignore[no-any-return]


@pytest.mark.parametrize(("size", "sign", "stage", "expected"), [
    ("$85,000", "+9d", "inked", (85000, "2026-12-15", "won")),
    ("85k", "friday", "Signed-Off", (85000, "2026-12-11", "won")),
    ("USD 85,000", "in 2 weeks", "GONE", (85000, "2026-12-20", "lost")),
    ("1.2M", "12/15/2026", "closed lost", (1_200_000, "2026-12-15", "lost")),
    ("85 000", "tomorrow", "won", (85000, "2026-12-07", "won")),
])
def test_set_takes_answers_as_people_type_them(typed: Path, size: str, sign: str, stage: str, expected: tuple) -> None:  # type: ignore[type-arg]
    answers = _plan(typed, "--set", f"size={size}", "--set", f"sign={sign}", "--set", f"stage={stage}")
    assert (answers["size"], answers["sign"], answers["stage"]) == expected


def test_an_answers_file_takes_the_same_forms(typed: Path, tmp_path: Path) -> None:
    file = tmp_path / "answers.yaml"
    file.write_text("size: 40k\nsign: 2w\nstage: Inked\n", encoding="utf-8")
    assert _plan(typed, "--answers", str(file)) == {"size": 40000, "sign": "2026-12-20", "stage": "won"}


def test_day_first_from_the_environment(typed: Path) -> None:
    sets = ["--set", "size=1", "--set", "sign=03/04/2027", "--set", "stage=won"]
    assert _plan(typed, *sets)["sign"] == "2027-03-04"
    assert _plan(typed, *sets, env={"DEALRESCUE_DAYFIRST": "1"})["sign"] == "2027-04-03"


def test_a_day_that_does_not_exist_says_so(typed: Path) -> None:
    result = runner.invoke(app, ["run", str(typed), "Acme", "--no-input", "--no-save", "--set", "size=1",
                                 "--set", "sign=2027-02-30", "--set", "stage=won"])
    assert result.exit_code == 2
    assert "2027-02-30: February 2027 has 28 days" in result.stderr


def test_an_alias_that_names_another_choice_is_refused(write_playbook) -> None:  # type: ignore[no-untyped-def]
    path = write_playbook(ASKED.replace("aliases: [gone]", "aliases: [inked]"))
    result = runner.invoke(app, ["playbooks", "validate", str(path)])
    assert result.exit_code == 3
    assert "alias 'inked' of choice lost is also a word of choice won" in result.stderr


def test_a_multiselect_takes_aliases_too() -> None:
    question = validate_as(Question, {"id": "why", "prompt": "Why?", "type": "multiselect", "choices": [
        {"value": "price", "label": "Price", "aliases": ["too expensive"]},
        {"value": "fit", "label": "Fit"}]})
    assert parse_answer(question, "Too Expensive, fit") == ["price", "fit"]
    with pytest.raises(AnswerProblem, match="is not one of the choices"):
        parse_answer(question, "cheap")


def test_a_relative_date_needs_the_plan_date() -> None:
    question = validate_as(Question, {"id": "when", "prompt": "When?", "type": "date"})
    assert parse_answer(question, "+2d", Reading(today=dt.date(2026, 12, 6))) == "2026-12-08"
    with pytest.raises(AnswerProblem, match="needs one here"):
        parse_answer(question, "+2d")


def _installed(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a rep runs it."""
    command = [str(Path(sys.executable).with_name("dealrescue")), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=60, check=False)


def test_dayfirst_option_reads_dates_day_first_in_run_and_resume(typed: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEALRESCUE_")} | {"DEALRESCUE_HOME": str(tmp_path / "home")}
    sets = ["--set", "size=1", "--set", "sign=03/04/2027", "--set", "stage=won"]
    base = ["run", str(typed), "Acme", "--no-input", "--date", "2026-12-06", "--format", "json"]
    us = _installed(*base, "--no-save", *sets, env=env)
    assert us.returncode == 0, us.stderr
    assert json.loads(us.stdout)["answers"]["sign"] == "2027-03-04"
    eu = _installed(*base, "--dayfirst", *sets, env=env)
    assert eu.returncode == 0, eu.stderr
    assert json.loads(eu.stdout)["answers"]["sign"] == "2027-04-03"
    # The run keeps it: a rerun reads a new date day first without being told again.
    run_id = eu.stderr.split("Saved as run ")[1].split()[0].rstrip(";")
    again = _installed("deals", "rerun", run_id, "--no-input", "--format", "json", "--set", "sign=05/06/2027", env=env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["answers"]["sign"] == "2027-06-05"
    for command in (["triage"], ["resume"], ["deals", "rerun"]):
        assert "--dayfirst" in _installed(*command, "--help", env=env | {"COLUMNS": "200"}).stdout, command


def test_a_typo_in_a_choice_gets_the_closest_choice_named() -> None:
    question = validate_as(Question, yaml_question())
    with pytest.raises(AnswerProblem, match=r"'clsoed won' is not one of the choices: won, lost; did you mean 'won'\?"):
        parse_answer(question, "clsoed won")
    with pytest.raises(AnswerProblem) as far:
        parse_answer(question, "maybe")
    assert "did you mean" not in str(far.value)  # nothing near: no guess


def yaml_question() -> dict[str, object]:
    return {"id": "stage", "prompt": "Stage?", "type": "select", "choices": [
        {"value": "won", "label": "Closed won", "aliases": ["inked"]}, {"value": "lost", "label": "Closed lost"}]}


@pytest.mark.parametrize(("typed", "value"), [("no", "not_signed"), ("not yet", "not_signed"), ("yes", "signed"),
                                              ("in progress", "in_progress"), ("not sure", "unknown")])
def test_triage_reads_everyday_words_for_whether_anything_is_signed(typed: str, value: str) -> None:
    given = ["--set", "competitor=Globex", "--set", f"signed={typed}", "--set", "reason=better_fit", "--set", "rival_term=unknown"]
    done = runner.invoke(app, ["triage", "Acme", "--no-input", "--no-save", "--format", "json", *given])
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["answers"]["signed"] == value
