"""Edges of a run found by trying the tool as a new user: no deal name, YAML's bare no,
a plan that fails on the answers given, a closed pipe, line breaks in the rendered plan."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from dealrescue.cli.app import app
from dealrescue.journal import Journal
from tests.conftest_journal import all_runs

runner = CliRunner()
MINI_ANSWERS = ["--set", "competitor=Globex", "--set", "reason=better_fit", "--date", "2026-11-22"]


def invoke(*args: object, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args], input=input)


# --- the deal name ------------------------------------------------------------------------------


@pytest.mark.parametrize("deal", [[], ["   "]])
def test_a_run_without_a_deal_name_is_refused_before_anything_is_saved(mini: Path, deal: list[str]) -> None:
    result = invoke("run", mini, *deal, *MINI_ANSWERS, "--no-input")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == "error: no deal name: the plan is written about a named deal or account"
    assert "add `deal: ACME` to --answers" in result.stderr
    assert result.stdout == ""
    with Journal.open() as journal:
        assert all_runs(journal) == []


def test_the_deal_name_can_come_from_the_answers_file(mini: Path, tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text("deal: Initech\ncompetitor: Globex\nreason: better_fit\n")
    result = invoke("run", mini, "--answers", answers, "--no-input", "--no-save")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# Mini: Initech\n")


def test_an_answers_file_with_a_key_twice_is_refused_with_both_lines(mini: Path, tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text("deal: Initech\ncompetitor: Globex\n# which one?\ncompetitor: Acme\nreason: better_fit\n")
    result = subprocess.run(
        [sys.executable, "-m", "dealrescue", "run", str(mini), "--answers", str(answers), "--no-input", "--no-save"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == f"error: answers file {answers}:4: competitor: duplicate key (first at line 2)"
    assert result.stdout == ""


# --- YAML's bare yes and no in an answers file ---------------------------------------------------


def test_bare_no_in_an_answers_file_is_the_choice_no(tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text("calling_high: no\nsignals: [looking_at_options]\n")
    result = invoke("pulse", "Initech", "--answers", answers, "--no-input", "--no-save", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["answers"]["calling_high"] == "no"


def test_bare_yes_where_no_choice_is_yes_says_to_quote_it(mini: Path, tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text("competitor: Globex\nreason: yes\n")
    result = invoke("run", mini, "Acme", "--answers", answers, "--no-input", "--no-save")
    assert result.exit_code == 2
    assert "YAML reads yes, no, on and off as true or false" in result.stderr
    assert "put the choice in quotes; choices: gap, better_fit" in result.stderr


# --- a plan that fails on these answers --------------------------------------------------------


def test_a_template_failing_on_the_answers_keeps_them_for_resume(
    write_playbook: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = write_playbook(
        """\
        id: silent
        version: 1
        title: Silent
        summary: Goes wrong on one answer.
        questions:
          - id: days
            prompt: Days silent?
            type: number
        verdicts:
          - id: push
            default: true
            title: Push
            rationale: "{{ 100 / (days - 12) }} per day."
        """,
        "silent.yaml",
    )
    monkeypatch.chdir(tmp_path)
    result = invoke("run", "silent.yaml", "Acme", "--set", "days=12", "--no-input")
    assert result.exit_code == 3
    assert result.stderr.startswith("error: silent.yaml:13: verdicts[0].rationale: template failed: division by zero\n")
    with Journal.open() as journal:
        (record,) = all_runs(journal)
    assert record is not None
    assert record.status == "interrupted"
    assert record.answers == {"days": 12}
    assert f"1 answer(s) are kept as run {record.id}: fix the playbook, then dealrescue resume {record.id}" in result.stderr
    # The file is recorded by its full path, so resume finds it from any folder.
    assert record.playbook_source == str(broken.resolve())
    broken.write_text(broken.read_text().replace("(days - 12)", "(days + 1)"))
    monkeypatch.chdir("/")
    resumed = invoke("resume", record.id, "--no-input")
    assert resumed.exit_code == 0, resumed.stderr
    assert "# Silent: Acme" in resumed.stdout


# --- a closed pipe ------------------------------------------------------------------------------


def test_a_closed_pipe_loses_no_plan(mini: Path, user_home: Path) -> None:
    """The plan is saved in the journal before it is written out: `| head -0` costs nothing."""
    import os

    env = {**os.environ, "DEALRESCUE_HOME": str(user_home)}
    code = "import sys; from dealrescue.cli.main import main; sys.argv[0] = 'dealrescue'; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "run", str(mini), "Acme", *MINI_ANSWERS, "--no-input"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    assert proc.stdout is not None
    proc.stdout.close()  # the reader goes away before a byte is written
    _, err = proc.communicate(timeout=60)
    stderr = err.decode()
    assert "Traceback" not in stderr
    with Journal.open() as journal:
        (record,) = all_runs(journal)
    assert record is not None and record.status == "done"
    assert record.plan_markdown is not None and record.plan_markdown.startswith("# Mini: Acme")


# --- line breaks in the rendered plan -----------------------------------------------------------


def _inline_children(markdown: str, containing: str) -> list[str]:
    for token in MarkdownIt().parse(markdown):
        if token.type == "inline" and containing in token.content:
            return [child.type for child in token.children or []]
    raise AssertionError(f"{containing!r} not found")


def test_a_score_note_and_its_drivers_are_lines_of_their_own() -> None:
    result = invoke("pulse", "Initech", "--set", "signals=looking_at_options", "--no-input", "--no-save")
    assert result.exit_code == 0, result.stderr
    children = _inline_children(result.stdout, "From:")
    assert children.count("hardbreak") == 2 and "softbreak" not in children


def test_the_next_playbook_is_a_line_to_copy(tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text("signals: [announced, kept_quiet]\n")
    result = invoke("pulse", "Initech Corp", "--answers", answers, "--no-input", "--no-save")
    assert result.exit_code == 0, result.stderr
    nexts = [line for line in result.stdout.splitlines() if line.startswith("**Next:**")]
    assert nexts, result.stdout
    assert nexts[0].endswith(" 'Initech Corp'`"), nexts[0]


def test_an_email_keeps_its_line_breaks(tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(
        "reasons: [poor_fit]\nfit_gap: on-premise hosting\nfit_weight: must_have\nstage: shortlist\n"
        "contact: Dana\nwould_stop: true\nmanager_agreed: agreed\n"
    )
    result = invoke("walkaway", "Acme", "--answers", answers, "--no-input", "--no-save")
    assert result.exit_code == 0, result.stderr
    assert "> Best regards,  \n> [your name]\n" in result.stdout
    children = _inline_children(result.stdout, "Best regards,")
    assert "hardbreak" in children and "softbreak" not in children


# --- small slips ----------------------------------------------------------------------------------


def test_a_repeated_set_is_refused_not_half_kept(mini: Path) -> None:
    result = invoke("run", mini, "Acme", "--set", "competitor=a", "--set", "competitor=b", "--no-input", "--no-save")
    assert result.exit_code == 2
    assert "--set competitor is given twice" in result.stderr
    assert "--set competitor=first,second" in result.stderr


def test_validate_takes_ids_and_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    ok = invoke("playbooks", "validate", "triage")
    assert ok.exit_code == 0, ok.stderr
    assert ok.stdout.startswith("ok: ") and ok.stdout.rstrip().endswith("triage.yaml (playbook triage)")
    missing = invoke("playbooks", "validate", tmp_path / "nope.yaml")
    assert missing.exit_code == 2
    assert f"no playbook file at {tmp_path / 'nope.yaml'}; check the path, or give a playbook id" in missing.stderr
    mistyped = invoke("playbooks", "validate", "triag")
    assert mistyped.exit_code == 2
    assert "no playbook with id 'triag'; did you mean 'triage'?" in mistyped.stderr


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("reveiw", ["error: no playbook with id 'reveiw'", "hint: did you mean 'review'? (see: dealrescue playbooks list)"]),
        ("postmortem", ["error: no playbook with id 'postmortem'", "hint: known playbooks: pulse, qualify, recover, review, "
                        "triage, walkaway (see: dealrescue playbooks list)"]),
        ("nope.yaml", ["error: no playbook file at nope.yaml", "hint: check the path, or give a playbook id"]),
    ],
)
def test_playbooks_test_names_a_mistyped_id_or_missing_file_as_run_does(given: str, said: list[str]) -> None:
    """`playbooks test` looks a playbook up as `run` does: a usage error (2) with run's hint, not exit 1
    with the operating system's "No such file or directory"."""
    tested = invoke("playbooks", "test", given, "--fuzz", "5")
    assert tested.exit_code == 2
    assert tested.stderr.splitlines() == said
    assert tested.stdout == ""


def test_a_new_playbook_that_shadows_a_bundled_one_says_so(user_home: Path) -> None:
    # Without --force this is refused (tests/test_authoring.py); with it, it is done and said.
    result = invoke("playbooks", "new", "triage", "--force")
    assert result.exit_code == 0, result.stderr
    assert "takes the place of the bundled playbook 'triage'" in result.stderr
    written = (user_home / "playbooks" / "triage.yaml").read_text()
    assert '# A starter playbook. Run it:      dealrescue run triage "Some deal"' in written


def test_a_new_playbook_outside_the_folder_is_run_by_its_path(tmp_path: Path) -> None:
    target = tmp_path / "my checks.yaml"
    result = invoke("playbooks", "new", "elsewhere", "-o", target)
    assert result.exit_code == 0, result.stderr
    assert "takes the place" not in result.stderr
    run_line = next(line for line in target.read_text().splitlines() if "Run it:" in line)
    assert run_line.endswith(f"dealrescue run '{target}' \"Some deal\"")
    ran = invoke("run", target, "Some deal", "--no-input", "--no-save")
    assert ran.exit_code == 0, ran.stderr


def test_an_existing_ics_file_names_the_ics_option(mini: Path, tmp_path: Path) -> None:
    assert invoke("run", mini, "Acme", *MINI_ANSWERS, "--no-input").exit_code == 0
    existing = tmp_path / "f.ics"
    existing.write_text("keep me")
    result = invoke("followups", "--ics", existing)
    assert result.exit_code == 2
    assert "choose another --ics file" in result.stderr
    assert existing.read_text() == "keep me"


# --- rank: the names CRM exports use ------------------------------------------------------------


@pytest.mark.parametrize("header", ["Account Name", "account", "Deal Name", "Opportunity"])
def test_rank_reads_the_deal_column_under_other_names(tmp_path: Path, header: str) -> None:
    data = tmp_path / "a.csv"
    data.write_text(f"{header},signals\nAcme,announced\nGlobex,\n")
    result = invoke("rank", data, "-p", "pulse", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert [line.split(",")[1] for line in result.stdout.splitlines()[1:]] == ["Acme", "Globex"]
    # Only the note naming the questions this export has no column for (read as blank cells).
    assert [line for line in result.stderr.splitlines() if ": no column for " not in line] == []


def test_rank_prefers_the_deal_column_to_an_account_column(tmp_path: Path) -> None:
    data = tmp_path / "a.csv"
    data.write_text("account,deal,signals\nAcme Inc,Acme renewal,announced\n")
    result = invoke("rank", data, "-p", "pulse", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    line = next(row for row in csv.reader(io.StringIO(result.stdout)) if row[0] == "1")
    assert line[1] == "Acme renewal"
    assert line[9:] == ["Acme Inc", "announced"]  # every column of the file follows the ranking's, in its order


def test_choices_separated_by_semicolons_or_bars_are_read(tmp_path: Path) -> None:
    data = tmp_path / "a.csv"
    data.write_text("deal,signals\nAcme,kept_quiet;exit_planning\nGlobex,kept_quiet | exit_planning\nInitech,\"kept_quiet,exit_planning\"\n")
    result = invoke("rank", data, "-p", "pulse", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = [row[2:9] for row in list(csv.reader(io.StringIO(result.stdout)))[1:]]  # the scores, verdict, reasons
    assert rows[0] == rows[1] == rows[2]


def test_show_questions_lists_the_ids_to_answer() -> None:
    result = invoke("playbooks", "show", "pulse", "--questions")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["deal", "text", "required"]
    by_id = {line.split()[0]: line for line in lines}
    assert by_id["pulse"].split()[1:3] == ["scale", "1-10"]
    assert by_id["calling_high"].split()[1:4] == ["select", "default", "not_sure"]
    assert "(asked when competitor_knocking == \"yes\")" in by_id["competitor"]
    assert "kept_quiet" in by_id["signals"]


# --- resume takes answers and output options ------------------------------------------------------


def _interrupted_run(mini: Path, answers: dict[str, object]) -> str:
    with Journal.open() as journal:
        run_id = journal.start_run(deal="Acme", playbook_id="mini", playbook_version=1, playbook_source=str(mini),
                                   plan_date="2026-11-22", options={"format": "markdown", "date": "2026-11-22"})
        for question_id, value in answers.items():
            journal.save_answer(run_id, question_id, value)
        journal.set_status(run_id, "interrupted")
    return run_id


def test_resume_takes_answers_and_writes_where_asked(mini: Path, tmp_path: Path) -> None:
    run_id = _interrupted_run(mini, {"competitor": "Globex"})
    target = tmp_path / "plan.json"
    result = invoke("resume", run_id, "--set", "reason=gap", "--set", "gap=sso", "--set", "competitor=Initech",
                    "--no-input", "--format", "json", "-o", target, "--date", "2026-12-01")
    assert result.exit_code == 0, result.stderr
    document = json.loads(target.read_text())
    assert document["answers"] == {"competitor": "Initech", "reason": "gap", "gap": "sso"}
    assert document["date"] == "2026-12-01" and document["deal"] == "Acme"
    with Journal.open() as journal:
        record = journal.get_run(run_id)
    assert record is not None and record.status == "done"
    assert record.answers["competitor"] == "Initech"


def test_resume_refuses_a_new_deal_name_and_unknown_ids(mini: Path) -> None:
    run_id = _interrupted_run(mini, {"competitor": "Globex"})
    renamed = invoke("resume", run_id, "--set", "deal=Other", "--no-input")
    assert renamed.exit_code == 2 and "resume keeps the run's deal name" in renamed.stderr
    unknown = invoke("resume", run_id, "--set", "reasn=gap", "--no-input")
    assert unknown.exit_code == 2 and "no question has id 'reasn'" in unknown.stderr


def test_a_bad_flag_is_two_lines_like_any_other_error() -> None:
    result = invoke("resume", "--no-such-flag")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["error: No such option: --no-such-flag", "hint: see dealrescue resume --help"]
