"""Runs kept in the journal: resume after a change of playbook, and answers kept when the journal is busy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dealrescue import paths
from dealrescue.cli.app import app
from dealrescue.errors import JournalError
from dealrescue.journal import Journal
from tests.conftest import MINIMAL

runner = CliRunner()


def test_resume_after_the_playbook_changed_says_so_and_finishes(tmp_path: Path) -> None:
    path = tmp_path / "mini.yaml"
    path.write_text(MINIMAL)
    with Journal.open() as journal:
        run_id = journal.start_run("Acme", "mini", 1, str(path), "2026-11-22", {"format": "json"})
        journal.save_answer(run_id, "competitor", "Globex")
        journal.save_answer(run_id, "reason", "gap")
        journal.set_status(run_id, "interrupted")
    # Version 2 asks a new required question with a default, and renames nothing.
    path.write_text(
        MINIMAL.replace("version: 1", "version: 2").replace(
            "    when: reason == \"gap\"\nverdicts:", "    when: reason == \"gap\"\n    default: reporting\nverdicts:"
        )
    )
    result = runner.invoke(app, ["resume", run_id, "--no-input"])
    assert result.exit_code == 0, result.stderr
    assert "changed from v1 to v2" in result.stderr
    doc = json.loads(result.stdout)
    assert doc["answers"] == {"competitor": "Globex", "reason": "gap", "gap": "reporting"}
    assert doc["verdict"]["id"] == "fight"
    with Journal.open() as journal:
        assert journal.get_run(run_id).status == "done"


def test_resume_of_a_finished_run_is_refused() -> None:
    done = runner.invoke(app, ["triage", "Acme", "--set", "competitor=x", "--set", "signed=signed", "--set", "reason=better_fit"])
    assert done.exit_code == 0
    run_id = done.stderr.split("Saved as run ")[1].split()[0]
    again = runner.invoke(app, ["resume", run_id])
    assert again.exit_code == 2 and "already finished" in again.stderr


def test_nothing_to_resume_says_where_to_look() -> None:
    result = runner.invoke(app, ["resume"])
    assert result.exit_code == 2
    assert "no unfinished run" in result.stderr and "deals list" in result.stderr


def test_a_busy_journal_keeps_the_answers_in_a_file(mini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def busy(self: Journal, run_id: str, question_id: str, value: object) -> None:
        raise JournalError(f"the journal {self.path} is busy")

    # Only save_answer is patched back: undoing every patch would drop the test's own DEALRESCUE_HOME.
    with monkeypatch.context() as busy_journal:
        busy_journal.setattr(Journal, "save_answer", busy)
        result = runner.invoke(app, ["run", str(mini), "Acme", "--set", "competitor=Globex", "--set", "reason=better_fit"])
        assert result.exit_code == 1
        assert "is busy" in result.stderr
        kept = next((paths.user_dir() / "unsaved").glob("answers-*.json"))
        assert f"--answers {kept}" in result.stderr
        assert json.loads(kept.read_text()) == {"deal": "Acme", "competitor": "Globex"}
        assert oct(kept.stat().st_mode & 0o777) == "0o600"
    # The kept file replays the run.
    replay = runner.invoke(app, ["run", str(mini), "--answers", str(kept), "--set", "reason=better_fit", "--no-input"])
    assert replay.exit_code == 0, replay.stderr


def _interrupted_rerun(old: str, source: str, answers: dict[str, str]) -> str:
    """An unfinished re-run of ``old``, as a Ctrl-C in `deals rerun` (or while finishing a draft) leaves it."""
    with Journal.open() as journal:
        new = journal.start_run("Acme", "mini", 1, source, "2026-11-22", {"format": "markdown", "date": "2026-11-22", "replaces": old})
        for question_id, value in answers.items():
            journal.save_answer(new, question_id, value)
        journal.set_status(new, "interrupted")
    return new


@pytest.mark.parametrize("command", ["resume", "deals rerun"])
def test_a_rerun_left_unfinished_is_gone_on_with_not_started_again(mini: Path, command: str) -> None:
    done = runner.invoke(app, ["run", str(mini), "Acme", "--set", "competitor=Globex", "--set", "reason=better_fit", "--no-input"])
    assert done.exit_code == 0, done.stderr
    old = done.stderr.split("Saved as run ")[1].split()[0]
    pending = _interrupted_rerun(old, str(mini), {"competitor": "Initech", "reason": "gap"})

    again = runner.invoke(app, [*command.split(), old, "--no-input", "--set", "gap=sso"])
    assert again.exit_code == 0, again.stderr
    assert f"Run {old} has a re-run left unfinished, {pending}: going on with it." in again.stderr
    assert f"Saved as run {pending}; it replaces run {old}" in again.stderr
    assert "Initech" in again.stdout and "sso" in again.stdout  # its kept answers, and the one given now
    with Journal.open() as journal:
        assert journal.count_runs() == 2  # no third run: the pending one was finished
        assert journal.get_run(pending).status == "done" and journal.relations(old)[1] == [pending]
        assert journal.interrupted_reruns(old) == []


def test_a_rerun_left_unfinished_keeps_its_name_until_finished(mini: Path) -> None:
    done = runner.invoke(app, ["run", str(mini), "Acme", "--set", "competitor=Globex", "--set", "reason=better_fit", "--no-input"])
    old = done.stderr.split("Saved as run ")[1].split()[0]
    pending = _interrupted_rerun(old, str(mini), {"competitor": "Initech"})
    renamed = runner.invoke(app, ["deals", "rerun", old, "--no-input", "--set", "deal=Acme Europe"])
    assert renamed.exit_code == 2
    assert f"run {pending} keeps its deal name" in renamed.stderr and f"dealrescue deals rerun {pending}" in renamed.stderr
    with Journal.open() as journal:
        assert journal.count_runs() == 2 and journal.get_run(pending).status == "interrupted"
