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
