"""Helpers for the journal tests: a private data folder per test, and child-process workers.

The workers live here (not in a test module) so that a ``spawn``-ed child
imports only this small module.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from dealrescue.journal import Journal, RunRecord


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own DEALRESCUE_HOME; the real user folder is never touched."""
    folder = tmp_path / "home"
    monkeypatch.setenv("DEALRESCUE_HOME", str(folder))
    yield folder


def all_runs(journal: Journal, **filters: Any) -> list[RunRecord]:
    """Every run the listing gives for ``filters``, newest first, read back whole."""
    return [journal.get_run(row[0]) for batch in journal.stream_runs(("id",), **filters) for row in batch]


def raw_connect(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection in autocommit mode, to build or inspect files by hand."""
    return sqlite3.connect(str(path), isolation_level=None)


def files_bytes(*paths: Path) -> dict[str, bytes | None]:
    return {p.name: (p.read_bytes() if p.exists() else None) for p in paths}


def writer(path: str, name: str, runs: int, answers: int, start: object, results: object) -> None:
    """Child process: record ``runs`` runs with ``answers`` answers each, as the run flow would.

    Reports (name, runs done, time it began, time it ended, pid).
    """
    import time

    from dealrescue.journal import Journal

    start.wait(60)  # type: ignore[attr-defined]  # a Barrier: both children set off together
    began = time.time()
    done = 0
    with Journal.open(Path(path), timeout=30) as j:
        for i in range(runs):
            run_id = j.start_run(f"{name} deal {i}", "triage", 1, "bundled", "2024-05-01", {"worker": name})
            for q in range(answers):
                j.save_answer(run_id, f"q{q}", f"{name}-{i}-{q}")
            j.finish_run(run_id, "fight", "Fight", f"# plan {name} {i}", "{}", [(f"check {name} {i}", "2024-06-01")])
            done += 1
    results.put((name, done, began, time.time(), os.getpid()))  # type: ignore[attr-defined]


def answer_then_hang(path: str, ready: object) -> None:
    """Child process: start a run, give two answers, then wait to be killed mid-run."""
    import time

    from dealrescue.journal import Journal

    j = Journal.open(Path(path))
    run_id = j.start_run("Acme", "triage", 1, "bundled", "2024-05-01", {})
    j.save_answer(run_id, "competitor", "Globex")
    j.save_answer(run_id, "signed", "not_signed")
    ready.put(run_id)  # type: ignore[attr-defined]
    time.sleep(60)
