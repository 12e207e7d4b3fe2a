"""The CLI through typer's CliRunner: stdout and stderr apart, exit codes as documented."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dealrescue.cli.app import app

runner = CliRunner()
ANSWERS = ["--set", "competitor=Globex", "--set", "reason=gap", "--set", "gap=reporting", "--date", "2026-11-22"]


def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args], input=input)


def test_help_lists_every_command() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("triage", "recover", "walkaway", "pulse", "review", "run", "playbooks"):
        assert command in result.stdout


def test_run_path_prints_only_markdown_on_stdout(mini: Path) -> None:
    result = invoke("run", mini, "Acme", *ANSWERS, "--no-save")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# Mini: Acme\n")
    assert "- [ ] **by 2026-11-24** (sales engineer) Offer a proof of concept covering reporting" in result.stdout
    assert "\x1b[" not in result.stdout
    assert result.stderr == ""


def test_json_format_is_a_document(mini: Path) -> None:
    result = invoke("run", mini, "Acme", *ANSWERS, "--format", "json", "--no-save")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["verdict"]["id"] == "fight"
    assert doc["steps"][1] == {
        "id": "plan_1", "after": [], "text": "Offer a proof of concept covering reporting", "due": "2026-11-24", "deadline": None,
        "owner": "sales engineer",
    }


def test_same_answers_and_date_are_byte_identical(mini: Path) -> None:
    first = invoke("run", mini, "Acme", *ANSWERS, "--no-save").stdout
    second = invoke("run", mini, "Acme", *ANSWERS, "--no-save").stdout
    assert first == second


def test_answers_file_yaml_json_and_stdin(mini: Path, tmp_path: Path) -> None:
    yaml_file = tmp_path / "a.yaml"
    yaml_file.write_text("competitor: Globex\nreason: better_fit\n")
    json_file = tmp_path / "a.json"
    json_file.write_text('{"competitor": "Globex", "reason": "gap", "gap": "sso"}')
    r1 = invoke("run", mini, "Acme", "--answers", yaml_file, "--no-input", "--format", "json", "--no-save")
    r2 = invoke("run", mini, "Acme", "--answers", json_file, "--no-input", "--format", "json", "--no-save")
    r3 = invoke("run", mini, "Acme", "--answers", "-", "--no-input", "--format", "json", "--no-save", input="competitor: X\nreason: gap\ngap: y\n")
    assert [json.loads(r.stdout)["verdict"]["id"] for r in (r1, r2, r3)] == ["walk", "fight", "fight"]


def test_set_wins_over_answers_file(mini: Path, tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text("competitor: Globex\nreason: better_fit\n")
    result = invoke("run", mini, "Acme", "--answers", answers, "--set", "reason=gap", "--set", "gap=sso", "--format", "json", "--no-save")
    assert json.loads(result.stdout)["verdict"]["id"] == "fight"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--no-input"], 2, "missing answers for: competitor, reason"),
        (["--set", "competitr=x"], 2, "no question has id 'competitr'"),
        (["--set", "reason=maybe", "--set", "competitor=x"], 2, "'maybe' is not one of the choices"),
        (["--set", "noequals"], 2, "is not ID=VALUE"),
        (["--date", "tomorrow"], 2, "--date 'tomorrow' is not a date"),
        (["--date", "20261122"], 2, "--date '20261122' is not a date"),  # the one CLI date form: YYYY-MM-DD
        (["--format", "html"], 2, "'--format': 'html' is not one of 'markdown', 'json'"),
        (["--bogus"], 2, "No such option"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(mini: Path, args: list[str], code: int, message: str) -> None:
    result = invoke("run", mini, "Acme", *args, "--no-save")
    assert result.exit_code == code
    assert message in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_missing_answers_hint_names_answers_option(mini: Path) -> None:
    result = invoke("run", mini, "--no-input")
    assert "--answers" in result.stderr


def test_answer_for_skipped_question_is_ignored(mini: Path) -> None:
    result = invoke("run", mini, "Acme", "--set", "competitor=x", "--set", "reason=better_fit", "--set", "gap=ignored", "--no-save")
    assert result.exit_code == 0
    assert "ignored" not in result.stdout


def test_output_file_written_and_not_replaced_without_force(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.md"
    first = invoke("run", mini, "Acme", *ANSWERS, "-o", out, "--no-save")
    assert first.exit_code == 0
    assert first.stdout == ""
    assert out.read_text().startswith("# Mini: Acme")
    out.write_text("keep me")
    second = invoke("run", mini, "Acme", *ANSWERS, "-o", out, "--no-save")
    assert second.exit_code == 2
    assert "already exists" in second.stderr and "--force" in second.stderr
    assert out.read_text() == "keep me"
    third = invoke("run", mini, "Acme", *ANSWERS, "-o", out, "--force", "--no-save")
    assert third.exit_code == 0
    assert out.read_text().startswith("# Mini: Acme")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".plan.md")] == []


def test_output_to_a_folder_is_refused(mini: Path, tmp_path: Path) -> None:
    result = invoke("run", mini, *ANSWERS, "-o", tmp_path, "--no-save")
    assert result.exit_code == 2


def test_invalid_playbook_exits_3_naming_file_line_and_key(write_playbook) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import MINIMAL

    bad = write_playbook(MINIMAL.replace("    prompt: Which capability?", "    promt: Which capability?"), "bad.yaml")
    result = invoke("run", bad, "--no-input")
    assert result.exit_code == 3
    assert f"{bad}:15: questions[2].promt: unknown key (did you mean 'prompt'?)" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_playbook_id_suggests(tmp_path: Path) -> None:
    result = invoke("run", "triag", "--no-input")
    assert result.exit_code == 2
    assert "did you mean 'triage'" in result.stderr


def test_playbooks_list_show_and_path() -> None:
    listed = invoke("playbooks", "list")
    assert listed.exit_code == 0
    for pid in ("triage", "recover", "walkaway"):
        assert pid in listed.stdout
    shown = invoke("playbooks", "show", "triage")
    assert shown.stdout.startswith("id: triage") or "\nid: triage" in shown.stdout
    path = invoke("playbooks", "show", "triage", "--path")
    assert Path(path.stdout.strip()).is_file()


def test_playbooks_validate_reports_each_file(mini: Path, write_playbook) -> None:  # type: ignore[no-untyped-def]
    broken = write_playbook("id: x\n", "broken.yaml")
    result = invoke("playbooks", "validate", mini, broken)
    assert result.exit_code == 3
    assert f"ok: {mini}" in result.stdout
    assert f"{broken}" in result.stderr and "title: is required but missing" in result.stderr
    as_json = invoke("playbooks", "validate", mini, broken, "--format", "json")
    assert [r["ok"] for r in json.loads(as_json.stdout)] == [True, False]


def test_playbooks_schema_is_json_schema() -> None:
    result = invoke("playbooks", "schema")
    schema = json.loads(result.stdout)
    assert schema["type"] == "object"
    assert "questions" in schema["properties"]
    assert schema["additionalProperties"] is False


def test_a_plan_format_registered_in_the_render_registry_is_a_run_format(mini: Path, tmp_path: Path) -> None:
    """Adding a plan format is one registry entry: ``--format`` offers it and run writes it, -o included."""
    import subprocess
    import sys

    out = tmp_path / "plan.txt"
    script = (
        "import sys\n"
        "from dealrescue.core.render import registry\n"
        "registry.PLAN._entries['shout'] = 'tests.shout_renderer:to_shout'\n"
        "from dealrescue.cli.main import main\n"
        "sys.argv[0] = 'dealrescue'\n"
        "main()\n"
    )
    args = ["run", str(mini), "Acme", *ANSWERS, "--no-save", "--format", "shout"]
    root = Path(__file__).resolve().parent.parent
    to_stdout = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, cwd=root, timeout=60)
    assert to_stdout.returncode == 0, to_stdout.stderr
    assert to_stdout.stdout == "# MINI: ACME\n"
    to_file = subprocess.run([sys.executable, "-c", script, *args, "-o", str(out)], capture_output=True, text=True, cwd=root, timeout=60)
    assert to_file.returncode == 0, to_file.stderr
    assert out.read_text() == "# MINI: ACME\n" and to_file.stdout == ""
    assert f"Plan written to {out}" in to_file.stderr
    unknown = invoke("run", mini, "Acme", *ANSWERS, "--no-save", "--format", "shout")  # not registered here
    assert unknown.exit_code == 2 and "'shout' is not one of 'markdown', 'json'" in unknown.stderr


def test_the_next_command_line_never_carries_a_deal_names_control_characters() -> None:
    """`cat plan.md` must not retitle the terminal or recolour it: the rest of the plan shows a
    control character as a picture, and the copyable Next line, which cannot, names no deal."""
    deal = "Evil\x1b]0;pwned\x07\x1b[31mRed\u202e"
    result = invoke("triage", deal, "--no-input", "--no-save", "--set", "competitor=Globex",
                    "--set", "signed=signed", "--set", "reason=price")
    assert result.exit_code == 0, result.stderr
    assert "**Next:** `dealrescue run review DEAL`" in result.stdout
    for unsafe in ("\x1b", "\x07", "\u202e"):
        assert unsafe not in result.stdout
    clean = invoke("triage", "Acme Corp", "--no-input", "--no-save", "--set", "competitor=Globex",
                   "--set", "signed=signed", "--set", "reason=price")
    assert "**Next:** `dealrescue run review 'Acme Corp'`" in clean.stdout
