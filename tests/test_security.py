"""Issue 11 through the installed CLI: another user's journal, modes, damaged rows, escape sequences."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from dealrescue import paths
from dealrescue.journal import Journal, connection, migrations
from tests.conftest import MINIMAL

NOBODY = 65534
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="planting a file as another user needs root (os.chown)")
SET = ["--set", "competitor=Globex", "--set", "reason=gap", "--set", "gap=sso"]


def cli(*args: str, input: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dealrescue", *args], capture_output=True, text=True, input=input, timeout=timeout, env=os.environ.copy()
    )


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    path = tmp_path / "mini.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    return path


def _run(mini: Path, deal: str = "Acme", *extra: str) -> subprocess.CompletedProcess[str]:
    return cli("run", str(mini), deal, *SET, "--no-input", *extra)


# ------------------------------------------------------------------------------ the journal file


@needs_root
def test_a_journal_planted_by_another_user_is_refused_and_nothing_is_written(user_home: Path, mini: Path) -> None:
    user_home.mkdir(exist_ok=True)
    os.chmod(user_home, 0o777)  # a shared data folder
    planted = user_home / "journal.db"
    planted.touch()
    os.chmod(planted, 0o666)
    os.chown(planted, NOBODY, NOBODY)
    result = _run(mini, "Secret Corp")
    assert result.returncode == 1
    assert f"the journal file {planted} belongs to another user (uid {NOBODY})" in result.stderr
    assert "DEALRESCUE_HOME" in result.stderr and "Traceback" not in result.stderr
    assert planted.stat().st_size == 0 and planted.stat().st_uid == NOBODY
    assert b"Secret" not in b"".join(p.read_bytes() for p in user_home.glob("journal.db*"))


@needs_root
def test_a_wal_file_planted_by_another_user_is_refused(user_home: Path, mini: Path) -> None:
    assert _run(mini).returncode == 0
    wal = user_home / "journal.db-wal"
    wal.touch()
    os.chown(wal, NOBODY, NOBODY)
    result = _run(mini)
    assert result.returncode == 1 and f"{wal} belongs to another user" in result.stderr


def test_a_journal_others_can_read_is_made_private_and_the_user_told(user_home: Path, mini: Path) -> None:
    assert _run(mini).returncode == 0
    db = user_home / "journal.db"
    os.chmod(db, 0o644)
    result = _run(mini)
    assert result.returncode == 0
    assert f"The journal file {db} could be read by other users (mode 0644); it is now 0600." in result.stderr
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_a_read_only_journal_is_never_made_writable_behind_the_users_back(user_home: Path, mini: Path) -> None:
    assert _run(mini).returncode == 0
    db = user_home / "journal.db"
    os.chmod(db, 0o400)
    result = cli("deals", "list")
    assert stat.S_IMODE(db.stat().st_mode) == 0o400
    if os.geteuid() != 0:  # root may write it anyway; anyone else is told how to go on
        assert result.returncode == 0
        written = _run(mini)
        assert written.returncode == 1 and f"chmod 600 {db}" in written.stderr and "--no-save" in written.stderr
    assert stat.S_IMODE(db.stat().st_mode) == 0o400


def test_a_symlinked_journal_is_not_followed(user_home: Path, tmp_path: Path, mini: Path) -> None:
    user_home.mkdir(exist_ok=True)
    target = tmp_path / "theirs.db"
    target.touch()
    (user_home / "journal.db").symlink_to(target)
    result = _run(mini)
    assert result.returncode == 1 and "is a symbolic link" in result.stderr
    assert target.stat().st_size == 0


def test_an_io_error_in_the_identity_check_is_reported_not_a_failed_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "journal.db"
    Journal.open(db).close()

    def failing(conn: sqlite3.Connection) -> int:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(migrations, "read_version", failing)
    with pytest.raises(Exception) as info:
        Journal.open(db)
    assert "disk I/O error" in str(info.value) and "commit" not in str(info.value).lower()


def test_a_long_queue_is_not_blamed_on_one_stuck_run(tmp_path: Path) -> None:
    error = connection.translate(sqlite3.OperationalError("database is locked"), tmp_path / "journal.db", 5)
    assert "held it" not in error.message and "stayed busy for 5 s" in error.message


# ------------------------------------------------------------------------------------ damaged rows


def _damage(db: Path, sql: str) -> None:
    conn = sqlite3.connect(db)
    conn.execute(sql)
    conn.commit()
    conn.close()


def test_a_damaged_answer_is_reported_and_the_rest_of_the_run_shown(user_home: Path, mini: Path) -> None:
    run = _run(mini)
    run_id = run.stderr.split("Saved as run ")[1][:6]
    _damage(user_home / "journal.db", "UPDATE answers SET value = '{not json' WHERE question_id = 'gap'")
    show = cli("deals", "show", run_id)
    assert show.returncode == 0, show.stderr
    assert f"warning: run {run_id}: the answer to 'gap' is damaged in the journal (not JSON) and was left out" in show.stderr
    assert "Globex" in show.stdout and "this is a bug" not in show.stderr
    export = cli("deals", "export", run_id, "--format", "json")
    assert export.returncode == 0 and json.loads(export.stdout)["verdict"]["id"] == "fight"


def test_one_damaged_followup_date_does_not_stop_the_calendar(user_home: Path, mini: Path, tmp_path: Path) -> None:
    for deal in ("Acme", "Initech"):
        assert _run(mini, deal).returncode == 0
    conn = sqlite3.connect(user_home / "journal.db")
    first = conn.execute("SELECT id FROM followups ORDER BY seq LIMIT 1").fetchone()[0]
    conn.close()
    _damage(user_home / "journal.db", f"UPDATE followups SET due = '2024-13-45' WHERE id = '{first}'")
    result = cli("followups", "--ics", str(tmp_path / "f.ics"))
    assert result.returncode == 0, result.stderr
    assert f"follow-up {first} (Acme): its due date '2024-13-45' is damaged" in result.stderr
    text = (tmp_path / "f.ics").read_text()
    assert first not in text and text.count("BEGIN:VEVENT") >= 1


# ---------------------------------------------------------------------------- escape sequences

OSC52 = "\x1b]52;c;ZWNobyBvd25lZA==\x07"
RLO = "\u202e"


def test_escape_sequences_and_bidi_controls_never_reach_the_terminal(user_home: Path, mini: Path, tmp_path: Path) -> None:
    deal = f"Acme{OSC52}{RLO}gpj.exe"
    run = _run(mini, deal)
    assert run.returncode == 0
    run_id = run.stderr.split("Saved as run ")[1][:6]
    listing = cli("followups")
    followup_id = listing.stdout.split("\t")[0]
    done = cli("followups", "done", followup_id)
    interrupted = cli("run", str(mini), deal, "--set", "competitor=x", "--no-input")  # missing answers: an error naming them
    for output in (run.stderr, listing.stdout, done.stdout + done.stderr, interrupted.stderr, cli("deals", "show", run_id).stdout):
        assert "\x1b" not in output and "\x07" not in output and RLO not in output
    assert "[U+202E]" in done.stderr and "\u241b]52" in done.stderr
    ics = tmp_path / "f.ics"
    assert cli("followups", "--ics", str(ics)).returncode == 0
    raw = ics.read_bytes()
    assert not [b for b in raw if b < 0x20 and b not in (0x0D, 0x0A)]


def test_resuming_a_run_shows_its_deal_name_harmlessly(user_home: Path, mini: Path) -> None:
    with Journal.open() as j:
        run_id = j.start_run(f"Acme{OSC52}", "mini", 1, str(mini), "2026-01-05", {"format": "markdown"})
        j.set_status(run_id, "interrupted")
    result = cli("resume", run_id, *SET, "--no-input")
    assert result.returncode == 0, result.stderr
    assert f"Resuming run {run_id} (mini, Acme\u241b]52;c;ZWNobyBvd25lZA==\u2407)" in result.stderr
    assert "\x1b" not in result.stderr


def test_run_status_is_one_enum_for_the_schema_and_the_cli() -> None:
    from dealrescue.core.status import RunStatus, sql_check

    conn = sqlite3.connect(":memory:")
    migrations.apply_migrations(conn)
    schema = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'runs'").fetchone()[0]
    assert sql_check("status") in schema
    result = cli("deals", "list", "--status", "paused")
    assert result.returncode == 2
    assert all(s.value in result.stderr for s in RunStatus)


# ------------------------------------------------------------------- a busy journal, kept answers


def _busy(self: Journal, *args: object, **kwargs: object) -> None:
    raise connection.translate(sqlite3.OperationalError("database is locked"), self.path, self.timeout)


def test_a_journal_busy_at_the_end_still_gives_the_plan_and_says_how_to_record_it(
    user_home: Path, mini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from dealrescue.cli.app import app

    monkeypatch.setattr(Journal, "finish_run", _busy)
    result = CliRunner().invoke(app, ["run", str(mini), "Acme", *SET, "--no-input"])
    assert result.exit_code == 1
    assert result.stdout.startswith("# Mini: Acme")  # the plan, written anyway
    assert "stayed busy" in result.stderr and "held it" not in result.stderr
    assert "the plan was written but not recorded" in result.stderr
    run_id = result.stderr.split("dealrescue resume ")[1][:6]
    monkeypatch.undo()
    monkeypatch.setenv(paths.HOME_ENV, str(user_home))  # undo() also undid the test's data folder
    later = cli("resume", run_id, "--no-input")
    assert later.returncode == 0, later.stderr
    assert later.stdout == result.stdout


def test_kept_answers_files_are_unique_private_and_each_replays_its_own_deal(
    user_home: Path, mini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from dealrescue.cli.app import app

    monkeypatch.setattr(Journal, "save_answer", _busy)
    hints = []
    for deal, competitor in (("Acme", "Globex"), ("Initech", "Hooli")):  # within the same second
        result = CliRunner().invoke(app, ["run", str(mini), deal, "--set", f"competitor={competitor}", "--set", "reason=better_fit"])
        assert result.exit_code == 1
        hints.append(result.stderr.split("rerun with --answers ")[1].split()[0])
    assert hints[0] != hints[1]
    for kept, (deal, competitor) in zip(hints, (("Acme", "Globex"), ("Initech", "Hooli")), strict=True):
        path = Path(kept)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert json.loads(path.read_text()) == {"deal": deal, "competitor": competitor}
    assert not list((user_home / "unsaved").glob(".*.tmp"))


def test_a_kept_answers_file_is_never_left_empty(user_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dealrescue.journal.recorder import Recorder

    recorder = Recorder(enabled=True)
    recorder.kept = {"competitor": "Globex"}
    real_write = os.write

    def full_disk(fd: int, data: bytes) -> int:
        if fd > 2:
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full_disk)
    assert recorder._keep_in_file() is None
    monkeypatch.setattr(os, "write", real_write)
    assert list((user_home / "unsaved").iterdir()) == []


def test_stray_temp_files_of_a_crashed_plan_write_are_cleaned_on_the_next_write(tmp_path: Path, mini: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    stray = tmp_path / f".plan.md.{dead.stdout.strip()}.0badc0de.tmp"
    stray.write_text("half a plan")
    result = _run(mini, "Acme", "-o", str(tmp_path / "plan.md"))
    assert result.returncode == 0, result.stderr
    assert not stray.exists() and (tmp_path / "plan.md").read_text().startswith("# Mini: Acme")
