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

    save_answer = Journal.save_answer
    monkeypatch.setattr(Journal, "save_answer", busy)
    result = runner.invoke(app, ["run", str(mini), "Acme", "--set", "competitor=Globex", "--set", "reason=better_fit"])
    assert result.exit_code == 1
    assert "is busy" in result.stderr
    kept = next((paths.user_dir() / "unsaved").glob("answers-*.json"))
    assert f"--answers {kept}" in result.stderr
    assert json.loads(kept.read_text()) == {"deal": "Acme", "competitor": "Globex"}
    assert oct(kept.stat().st_mode & 0o777) == "0o600"
    # The kept file replays the run. (Not monkeypatch.undo(): that would also undo the test's
    # own data folder and replay into the real user folder.)
    monkeypatch.setattr(Journal, "save_answer", save_answer)
    replay = runner.invoke(app, ["run", str(mini), "--answers", str(kept), "--set", "reason=better_fit", "--no-input"])
    assert replay.exit_code == 0
