"""The compiled-playbook cache: a hit skips parsing and checking; anything doubtful is a miss."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dealrescue.catalog.cache import FileCodeCache
from dealrescue.core import loader
from dealrescue.core.engine import run_non_interactive
from tests.conftest import MINIMAL

ANSWERS = {"competitor": "Globex", "reason": "gap", "gap": "sso"}


def _verdict(compiled: loader.CompiledPlaybook) -> str:
    outcome = run_non_interactive(compiled, ANSWERS, "Acme", "2026-11-22")
    return compiled.playbook.verdicts[outcome.verdict_index].id


def _count_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = loader._parse_and_check

    def counting(raw: bytes, source: str) -> loader.CompiledPlaybook:
        calls.append(source)
        return real(raw, source)

    monkeypatch.setattr(loader, "_parse_and_check", counting)
    return calls


def test_second_load_comes_from_the_cache_and_behaves_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = FileCodeCache(tmp_path / "cache")
    calls = _count_checks(monkeypatch)
    first = loader.load_playbook(MINIMAL.encode(), "mini.yaml", cache)
    second = loader.load_playbook(MINIMAL.encode(), "mini.yaml", cache)
    assert calls == ["mini.yaml"]
    assert second.playbook == first.playbook
    assert set(second.templates) == set(first.templates) and set(second.conditions) == set(first.conditions)
    assert _verdict(first) == _verdict(second) == "fight"
    assert oct(os.stat(next((tmp_path / "cache").iterdir())).st_mode & 0o777) == "0o600"


def test_a_changed_file_is_checked_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = FileCodeCache(tmp_path / "cache")
    calls = _count_checks(monkeypatch)
    loader.load_playbook(MINIMAL.encode(), "mini.yaml", cache)
    loader.load_playbook(MINIMAL.replace("title: Mini", "title: Mini 2").encode(), "mini.yaml", cache)
    assert len(calls) == 2


def test_a_damaged_entry_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = FileCodeCache(tmp_path / "cache")
    loader.load_playbook(MINIMAL.encode(), "mini.yaml", cache)
    for entry in (tmp_path / "cache").iterdir():
        entry.write_bytes(b"\x00garbage")
    calls = _count_checks(monkeypatch)
    assert _verdict(loader.load_playbook(MINIMAL.encode(), "mini.yaml", cache)) == "fight"
    assert calls == ["mini.yaml"]


def test_an_entry_made_for_another_shape_of_the_format_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The records pickle their values by position: a field added or moved (same version number,
    as on a developer's checkout) must not read an old entry with its values in the wrong fields."""
    cache = FileCodeCache(tmp_path / "cache")
    calls = _count_checks(monkeypatch)
    loader.load_playbook(MINIMAL.encode(), "mini.yaml", cache)
    assert "Question:id,prompt," in loader.format_shape()
    monkeypatch.setattr(loader, "format_shape", lambda: "Question:prompt,id")
    assert _verdict(loader.load_playbook(MINIMAL.encode(), "mini.yaml", cache)) == "fight"
    assert calls == ["mini.yaml", "mini.yaml"]


def test_a_cache_others_can_write_is_not_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = FileCodeCache(tmp_path / "cache")
    loader.load_playbook(MINIMAL.encode(), "mini.yaml", cache)
    os.chmod(tmp_path / "cache", 0o777)
    calls = _count_checks(monkeypatch)
    loader.load_playbook(MINIMAL.encode(), "mini.yaml", cache)
    assert calls == ["mini.yaml"]


def test_validate_always_checks_in_full(mini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from dealrescue.cli.app import app

    runner = CliRunner()
    assert runner.invoke(app, ["run", str(mini), "Acme", "--set", "competitor=x", "--set", "reason=better_fit", "--no-save"]).exit_code == 0
    calls = _count_checks(monkeypatch)
    assert runner.invoke(app, ["playbooks", "validate", str(mini)]).exit_code == 0
    assert runner.invoke(app, ["playbooks", "test", str(mini), "--answers", "-", "--verdict", "walk"],
                         input="competitor: x\nreason: better_fit\n").exit_code == 0
    assert calls == [str(mini), str(mini)]


# ---------------------------------------------------------------- hostile caches (issue 11)

NOBODY = 65534
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="planting files as another user needs root (os.chown)")


class _Planted:
    """A pickle that records, in a file, that it was unpickled: foreign code that ran."""

    marker = ""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (self.marker,))  # type: ignore[return-value]


def _foreign_entry(marker: Path) -> bytes:
    import marshal
    import pickle

    _Planted.marker = str(marker)
    return marshal.dumps({"playbook": pickle.dumps(_Planted()), "conditions": {}, "templates": {}, "uses_scores": []})


def _entry_path(folder: Path) -> Path:
    return next(p for p in folder.iterdir() if p.name.endswith(".entry"))


def test_a_same_user_edited_entry_never_runs_and_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dealrescue.catalog import cache as cache_module

    cache = FileCodeCache(tmp_path / "cache")
    loader.load_playbook(MINIMAL.encode(), "mini.yaml", cache)
    entry = _entry_path(tmp_path / "cache")
    marker = tmp_path / "ran"
    # Right magic, wrong signature: what anyone without the key can write.
    entry.write_bytes(cache_module.MAGIC + b"\0" * 32 + _foreign_entry(marker))
    calls = _count_checks(monkeypatch)
    assert _verdict(loader.load_playbook(MINIMAL.encode(), "mini.yaml", cache)) == "fight"
    assert calls == ["mini.yaml"] and not marker.exists()
    # Rebuilt: the next load is a hit again.
    assert _verdict(loader.load_playbook(MINIMAL.encode(), "mini.yaml", cache)) == "fight"
    assert calls == ["mini.yaml"]


def test_an_entry_swapped_for_another_playbooks_entry_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = FileCodeCache(tmp_path / "cache")
    other = MINIMAL.replace("title: Mini", "title: Other")
    loader.load_playbook(MINIMAL.encode(), "mini.yaml", cache)
    mine = _entry_path(tmp_path / "cache")
    loader.load_playbook(other.encode(), "other.yaml", cache)
    theirs = next(p for p in (tmp_path / "cache").iterdir() if p.name.endswith(".entry") and p != mine)
    os.replace(theirs, mine)  # both are signed, but each under its own name
    calls = _count_checks(monkeypatch)
    compiled = loader.load_playbook(MINIMAL.encode(), "mini.yaml", cache)
    assert compiled.playbook.title == "Mini" and calls == ["mini.yaml"]


def test_symlinks_are_judged_by_where_they_lead_and_entries_are_never_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    (shared / "real").mkdir(mode=0o700)
    (tmp_path / "cache").symlink_to(shared / "real")  # leads into a folder others can write
    cache = FileCodeCache(tmp_path / "cache" / "playbooks")
    loader.load_playbook(MINIMAL.encode(), "mini.yaml", cache)
    assert not (shared / "real" / "playbooks").exists()
    own = FileCodeCache(tmp_path / "own")
    loader.load_playbook(MINIMAL.encode(), "mini.yaml", own)
    entry = _entry_path(tmp_path / "own")
    entry.rename(tmp_path / "moved")
    entry.symlink_to(tmp_path / "moved")  # a valid entry, reached through a link
    calls = _count_checks(monkeypatch)
    loader.load_playbook(MINIMAL.encode(), "mini.yaml", own)
    assert calls == ["mini.yaml"]


def test_a_folder_others_can_write_on_the_way_disables_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)  # someone else could rename the cache folder away and put theirs in its place
    cache = FileCodeCache(shared / "cache")
    loader.load_playbook(MINIMAL.encode(), "mini.yaml", cache)
    assert not (shared / "cache").exists()
    os.chmod(shared, 0o1777)  # sticky, like /tmp: nobody can rename another user's folder
    loader.load_playbook(MINIMAL.encode(), "mini.yaml", cache)
    calls = _count_checks(monkeypatch)
    loader.load_playbook(MINIMAL.encode(), "mini.yaml", cache)
    assert calls == []


def test_a_key_others_can_read_is_no_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = FileCodeCache(tmp_path / "cache")
    loader.load_playbook(MINIMAL.encode(), "mini.yaml", cache)
    key = tmp_path / "cache" / "key"
    assert oct(key.stat().st_mode & 0o777) == "0o600" and len(key.read_bytes()) == 32
    os.chmod(key, 0o644)
    calls = _count_checks(monkeypatch)
    loader.load_playbook(MINIMAL.encode(), "mini.yaml", cache)
    assert calls == ["mini.yaml"]


@needs_root
def test_another_users_entry_or_folder_is_never_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = FileCodeCache(tmp_path / "cache")
    loader.load_playbook(MINIMAL.encode(), "mini.yaml", cache)
    entry = _entry_path(tmp_path / "cache")
    os.chown(entry, NOBODY, NOBODY)  # a valid entry, but planted by someone else
    calls = _count_checks(monkeypatch)
    loader.load_playbook(MINIMAL.encode(), "mini.yaml", cache)
    assert calls == ["mini.yaml"]
    os.chown(tmp_path / "cache", NOBODY, NOBODY)
    loader.load_playbook(MINIMAL.encode(), "mini.yaml", cache)
    assert calls == ["mini.yaml", "mini.yaml"]


@needs_root
def test_a_swap_loop_by_another_user_never_runs_their_code(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The probe of issue 11: another uid exchanges the cache folder with its own, in a loop."""
    import ctypes
    import shutil
    import signal
    import tempfile
    import time

    # Out of pytest's 0700 folder, so that the other user can reach it.
    tmp_path = Path(tempfile.mkdtemp(dir=tmp_path_factory.getbasetemp().parent.parent))
    os.chmod(tmp_path, 0o755)
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    marker = tmp_path / "ran"
    payload = _foreign_entry(marker)
    key = loader.cache_key(MINIMAL.encode())
    cache = FileCodeCache(shared / "cache" / "playbooks")
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the attacker, in a child
        try:
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            for top in ("cache", "evil"):
                (shared / top / "playbooks").mkdir(parents=True, exist_ok=True)
                for suffix in (".entry", ".marshal"):
                    (shared / top / "playbooks" / (key + suffix)).write_bytes(payload)
            libc = ctypes.CDLL(None, use_errno=True)
            a, b = str(shared / "cache").encode(), str(shared / "evil").encode()
            while True:
                libc.renameat2(-100, a, -100, b, 2)  # RENAME_EXCHANGE
        finally:
            os._exit(0)
    try:
        time.sleep(0.2)
        for _ in range(60):
            loader.load_playbook(MINIMAL.encode(), "mini.yaml", cache)
        attacked = (shared / "evil").is_dir()
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    ran = marker.exists()
    shutil.rmtree(tmp_path)
    assert attacked, "the other user could not reach the shared folder: the test proved nothing"
    assert not ran


def test_old_and_surplus_entries_are_evicted(tmp_path: Path) -> None:
    import time

    from dealrescue.catalog import cache as cache_module

    cache = FileCodeCache(tmp_path / "cache")
    cache.put("old", {"x": 1})
    old = tmp_path / "cache" / ("old" + cache_module.SUFFIX)
    stale = time.time() - (cache_module.MAX_AGE_DAYS + 1) * 86400
    os.utime(old, (stale, stale))
    for number in range(cache_module.MAX_ENTRIES + 5):
        cache.put(f"k{number}", {"x": number})
    entries = [p for p in (tmp_path / "cache").iterdir() if p.name.endswith(cache_module.SUFFIX)]
    assert not old.exists()
    assert len(entries) == cache_module.MAX_ENTRIES
    assert cache.get(f"k{cache_module.MAX_ENTRIES + 4}") == {"x": cache_module.MAX_ENTRIES + 4}


def test_temp_files_of_a_crashed_write_are_cleaned_on_the_next_write(tmp_path: Path) -> None:
    import subprocess
    import sys

    cache = FileCodeCache(tmp_path / "cache")
    cache.put("a", {"x": 1})
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    stray = tmp_path / "cache" / f".b.entry.{dead.stdout.strip()}.0badc0de.tmp"
    stray.write_bytes(b"half")
    mine = tmp_path / "cache" / f".c.entry.{os.getpid()}.0badc0de.tmp"  # a write under way: left alone
    mine.write_bytes(b"half")
    cache.put("b", {"x": 2})
    assert not stray.exists() and mine.exists()


def test_the_cache_lives_in_the_users_cache_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from dealrescue import paths

    monkeypatch.delenv(paths.HOME_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert FileCodeCache().folder == tmp_path / "xdg" / "dealrescue" / "playbooks"
