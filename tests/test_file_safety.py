"""Files dealrescue reads and writes are never followed, clobbered or loosened (issue 26, items 6-9)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from dealrescue import paths
from tests.conftest import MINIMAL

ANSWERS = ["--set", "competitor=Globex", "--set", "reason=better_fit"]


def dr(*args: str, umask: int | None = None, env: dict[str, str] | None = None, cwd: Path | None = None,
       ) -> subprocess.CompletedProcess[str]:
    def set_umask() -> None:
        if umask is not None:
            os.umask(umask)

    return subprocess.run([sys.executable, "-m", "dealrescue", *args], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, preexec_fn=set_umask, env=env, cwd=cwd)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


# --- item 6: playbooks others can change are refused --------------------------------------------


def shadowing_triage(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    path = folder / "triage.yaml"
    path.write_text(MINIMAL.replace("id: mini", "id: triage"), encoding="utf-8")
    os.chmod(path, 0o644)
    return path


@pytest.mark.parametrize("where", ["user folder", "DEALRESCUE_PLAYBOOKS"])
def test_a_playbook_folder_others_can_write_is_refused(where: str, user_home: Path, tmp_path: Path) -> None:
    folder = paths.user_playbooks_dir() if where == "user folder" else tmp_path / "shared"
    env = {**os.environ} if where == "user folder" else {**os.environ, paths.PLAYBOOKS_ENV: str(folder)}
    shadowing_triage(folder)
    assert dr("triage", "Acme", "--no-input", *ANSWERS, env=env).returncode == 0  # the rep's own: runs
    os.chmod(folder, 0o777)
    refused = dr("triage", "Acme", "--no-input", *ANSWERS, env=env)
    assert refused.returncode == 1
    assert f"refusing the playbook folder {folder}: it can be changed by other users (mode 0777)" in refused.stderr
    assert f"chmod go-w {folder}" in refused.stderr and "Traceback" not in refused.stderr
    listed = dr("playbooks", "list", env=env)
    assert "can be changed by other users" in listed.stdout + listed.stderr


def test_a_playbook_file_others_can_write_or_own_is_refused(user_home: Path) -> None:
    path = shadowing_triage(paths.user_playbooks_dir())
    os.chmod(path, 0o666)
    refused = dr("triage", "Acme", "--no-input", *ANSWERS)
    assert refused.returncode == 1 and "can be changed by other users (mode 0666)" in refused.stderr
    os.chmod(path, 0o644)
    if os.getuid() != 0:
        pytest.skip("giving a file to another user needs root")
    os.chown(path, 4242, 4242)
    refused = dr("triage", "Acme", "--no-input", *ANSWERS)
    assert refused.returncode == 1 and "belongs to another user (uid 4242)" in refused.stderr
    by_path = dr("run", str(path), "Acme", "--no-input", *ANSWERS)
    assert by_path.returncode == 1 and "belongs to another user" in by_path.stderr


def test_a_playbook_that_is_not_a_file_or_too_big_is_not_read_whole(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    with open(huge, "wb") as handle:
        handle.truncate(3_000_000_000)  # sparse: 3 GB that a whole read would have to hold
    def small_memory() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (400 << 20, 400 << 20))

    done = subprocess.run([sys.executable, "-m", "dealrescue", "playbooks", "validate", str(huge)], capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL, preexec_fn=small_memory)
    assert done.returncode == 3 and "larger than 1000 kB" in done.stderr, done.stderr
    device = dr("run", "/dev/zero", "Acme", "--no-input")
    assert device.returncode in (1, 2) and "not a regular file" in device.stderr or "no playbook file" in device.stderr


# --- item 7: a planted link is replaced, never followed -------------------------------------------


def test_playbooks_new_replaces_a_planted_schema_link_instead_of_writing_through_it(user_home: Path, tmp_path: Path) -> None:
    victim = tmp_path / "precious.txt"
    victim.write_text("the rep's own file\n")
    schema = user_home / "playbook.schema.json"
    schema.symlink_to(victim)
    done = dr("playbooks", "new", "mine")
    assert done.returncode == 0, done.stderr
    assert victim.read_text() == "the rep's own file\n"
    assert not schema.is_symlink() and '"title": "dealrescue playbook"' in schema.read_text()


# --- item 8: modes set on the open file; never "written" for a file that is not what was written --


def test_a_swap_during_the_write_cannot_loosen_another_file_or_be_reported_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dealrescue.errors import DealRescueError
    from dealrescue.ui import output

    key = tmp_path / "id_key"
    key.write_text("secret\n")
    os.chmod(key, 0o600)
    target = tmp_path / "plan.md"
    real_fsync = os.fsync

    def attacker_swaps(fd: int) -> None:
        # Another user, in a folder both can write: the temporary file renamed away, a link to
        # the rep's key put under its name.
        real_fsync(fd)
        (temp,) = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        temp.rename(tmp_path / "moved-away")
        temp.symlink_to(key)

    monkeypatch.setattr(output.os, "fsync", attacker_swaps)
    with pytest.raises(DealRescueError, match="is not the file dealrescue wrote"):
        output.write_atomic(target, "# plan\n", mode=output.PRIVATE)
    assert mode(key) == 0o600 and key.read_text() == "secret\n"


# --- item 9: customer notes are 0600 whatever the umask; other files at most 0644 ----------------


def test_files_holding_customer_notes_are_private_whatever_the_umask(user_home: Path, tmp_path: Path) -> None:
    plan = dr("triage", "Acme", "--no-input", "--set", "competitor=Globex", "--set", "signed=not_signed", "--set",
              "reason=price", "--set", "price_gap=too_far", "--set", "pressure=3", "--set", "decider=Dana",
              "-o", str(tmp_path / "plan.md"), umask=0o000)
    assert plan.returncode == 0, plan.stderr
    run_id = plan.stderr.split("Saved as run ")[1].split()[0]
    assert dr("todo", "--ics", str(tmp_path / "todo.ics"), umask=0o000).returncode == 0
    assert dr("followups", "--ics", str(tmp_path / "followups.ics"), umask=0o000).returncode == 0
    assert dr("deals", "export", run_id, "-o", str(tmp_path / "export.md"), umask=0o000).returncode == 0
    for name in ("plan.md", "todo.ics", "followups.ics", "export.md"):
        assert mode(tmp_path / name) == 0o600, name
    assert dr("playbooks", "new", "mine", umask=0o000).returncode == 0
    assert mode(paths.user_playbooks_dir() / "mine.yaml") == 0o644
    assert mode(user_home / "playbook.schema.json") == 0o644
    assert dr("playbooks", "new", "theirs", umask=0o077).returncode == 0
    assert mode(paths.user_playbooks_dir() / "theirs.yaml") == 0o600  # a stricter umask is kept


# --- item 16: a disk that fills mid-interview keeps the answer -----------------------------------


def test_a_full_disk_mid_interview_keeps_the_answer_in_the_temp_folder(user_home: Path, monkeypatch: pytest.MonkeyPatch,
                                                                       tmp_path: Path) -> None:
    import json
    import tempfile

    from dealrescue.errors import JournalError
    from dealrescue.journal import Journal
    from dealrescue.journal.recorder import Recorder

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    recorder = Recorder(enabled=True, run_id="abc123")
    recorder.deal = "Acme"
    (user_home / "unsaved").write_text("")  # the data folder is full: no folder can be made there

    def disk_full(self: Journal, run_id: str, question_id: str, value: object) -> None:
        raise JournalError("the journal could not be written: database or disk is full")

    monkeypatch.setattr(Journal, "save_answer", disk_full)
    with pytest.raises(JournalError) as raised:
        recorder.answer("competitor", "Globex")
    recorder.close()
    hint = raised.value.hint or ""
    assert "--no-save" in hint and str(tmp_path) in hint, hint
    kept = Path(hint.split("kept in ")[1].split(";")[0])
    assert mode(kept) == 0o600 and mode(kept.parent) == 0o700
    assert json.loads(kept.read_text()) == {"deal": "Acme", "competitor": "Globex"}


def test_calendar_entries_with_the_reps_notes_are_private(user_home: Path) -> None:
    made = dr("qualify", "Acme", "--no-input", "--set", "stage=evaluation", "--set", "champion=identified",
              "--set", "champion_name=Priya Shah", "--date", "2026-11-22")
    assert made.returncode == 0, made.stderr
    for command in (["todo", "--ics", "-"], ["followups", "--ics", "-"]):
        calendar = dr(*command).stdout.replace("\r\n ", "")
        entries = calendar.count("BEGIN:VEVENT") + calendar.count("BEGIN:VTODO")
        assert entries and calendar.count("CLASS:PRIVATE") == entries, calendar[:800]


def test_a_read_only_data_folder_still_lists_and_says_what_to_do(user_home: Path, tmp_path: Path) -> None:
    import shutil

    answers = [*ANSWERS, "--set", "signed=signed", "--set", "pressure=3", "--set", "decider=Dana"]
    made = dr("triage", "Acme", "--no-input", *answers)
    assert made.returncode == 0, made.stderr
    unshare = shutil.which("unshare")
    probe = subprocess.run([unshare or "false", "-m", "true"], capture_output=True) if unshare else None
    if probe is None or probe.returncode != 0:
        pytest.skip("needs a private mount namespace (unshare -m) to make the folder read-only")
    run = f"{sys.executable} -m dealrescue"
    script = (f"mount --bind {user_home} {user_home} && mount -o remount,bind,ro {user_home} && "
              f"{run} deals list; echo RC:$?; {run} triage Acme --no-input {' '.join(answers)}; echo RC:$?")
    done = subprocess.run([unshare, "-m", "sh", "-c", script], capture_output=True, text=True, timeout=120)
    listed, saved = done.stdout.split("RC:")[0], done.stdout.split("RC:")[1]
    assert "Acme" in listed and saved.startswith("0"), done.stdout + done.stderr
    assert "the journal is read as it is" in done.stderr
    assert "run with --no-save" in done.stderr and "chmod 600" not in done.stderr, done.stderr
    assert done.stdout.split("RC:")[2].startswith("1")
