"""Writing plans to files: atomic, never half a file, never through a symlink's target."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dealrescue.cli.app import app
from dealrescue.errors import DealRescueError, OutputExistsError, UsageError
from dealrescue.ui.output import write_atomic

ANSWERS = ["Acme", "--set", "competitor=Globex", "--set", "reason=better_fit", "--no-save", "--date", "2026-11-22"]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_existing_file_is_kept_without_force(tmp_path: Path) -> None:
    target = tmp_path / "plan.md"
    target.write_text("old")
    with pytest.raises(OutputExistsError):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    write_atomic(target, "new", force=True)
    assert target.read_text() == "new"


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is a folder"):
        write_atomic(tmp_path, "x", force=True)


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        write_atomic(tmp_path / "nope" / "plan.md", "x")


def test_a_symlink_is_replaced_never_written_through(tmp_path: Path) -> None:
    precious = tmp_path / "precious.txt"
    precious.write_text("keep")
    link = tmp_path / "plan.md"
    link.symlink_to(precious)
    with pytest.raises(OutputExistsError):
        write_atomic(link, "plan")
    write_atomic(link, "plan", force=True)
    assert precious.read_text() == "keep"
    assert not link.is_symlink() and link.read_text() == "plan"


def test_a_dangling_symlink_counts_as_existing(tmp_path: Path) -> None:
    link = tmp_path / "plan.md"
    link.symlink_to(tmp_path / "missing")
    with pytest.raises(OutputExistsError):
        write_atomic(link, "plan")


def test_disk_full_mid_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "plan.md"
    target.write_text("old plan")
    real_fsync = os.fsync

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(DealRescueError) as info:
        write_atomic(target, "new plan " * 1000, force=True)
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert info.value.exit_code == 1
    assert "No space left on device" in info.value.message
    assert target.read_text() == "old plan"
    assert _leftovers(tmp_path) == []


def test_cli_output_to_symlink_needs_force_and_keeps_the_target(mini: Path, tmp_path: Path) -> None:
    precious = tmp_path / "notes.md"
    precious.write_text("my notes")
    link = tmp_path / "plan.md"
    link.symlink_to(precious)
    refused = CliRunner().invoke(app, ["run", str(mini), *ANSWERS, "-o", str(link)])
    assert refused.exit_code == 2 and "already exists" in refused.stderr
    forced = CliRunner().invoke(app, ["run", str(mini), *ANSWERS, "-o", str(link), "--force"])
    assert forced.exit_code == 0
    assert precious.read_text() == "my notes"
    assert link.read_text().startswith("# Mini")


def test_output_checked_before_any_question(mini: Path, tmp_path: Path) -> None:
    existing = tmp_path / "plan.md"
    existing.write_text("x")
    # No answers at all: the output problem is reported first, before the missing answers.
    result = CliRunner().invoke(app, ["run", str(mini), "--no-input", "-o", str(existing)])
    assert result.exit_code == 2
    assert "already exists" in result.stderr and "missing answers" not in result.stderr
