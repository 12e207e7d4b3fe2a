"""Shared fixtures. Every test gets its own data folder: the real user folder is never touched."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from dealrescue import paths

REPO = Path(__file__).resolve().parent.parent
BUNDLED = sorted(paths.bundled_playbooks_dir().glob("*.yaml"))


@pytest.fixture(autouse=True)
def user_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("dealrescue-home")
    monkeypatch.setenv(paths.HOME_ENV, str(home))
    monkeypatch.delenv(paths.PLAYBOOKS_ENV, raising=False)
    monkeypatch.delenv("DEALRESCUE_DEBUG", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    return home


MINIMAL = """\
id: mini
version: 1
title: Mini
summary: A small playbook for tests.
questions:
  - id: competitor
    prompt: Who did they choose?
  - id: reason
    prompt: Why?
    type: select
    choices:
      - {value: gap, label: A gap we can close}
      - {value: better_fit, label: A better fit}
  - id: gap
    prompt: Which capability?
    when: reason == "gap"
verdicts:
  - id: fight
    title: Fight on value
    when: reason == "gap"
    rationale: Close the {{ gap }} gap against {{ competitor }}.
  - id: walk
    default: true
    title: Walk away
    rationale: They chose a better fit.
    next: walkaway
plan:
  - text: Pause before you react
    due: +0d
  - text: Offer a proof of concept covering {{ gap }}
    when: verdict == "fight"
    due: +2d
    owner: sales engineer
followups:
  - text: Check back with {{ deal }}
    due: +3m
"""


@pytest.fixture
def write_playbook(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write YAML text (dedented) to a file and return its path."""

    def write(text: str, name: str = "pb.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def mini(write_playbook: Callable[[str, str], Path]) -> Path:
    return write_playbook(MINIMAL, "mini.yaml")


def installed_cli_modules(tmp_path: Path, *args: str) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """Run the CLI's ``main`` in a fresh interpreter (``DEALRESCUE_HOME=tmp_path``): the modules of
    ``dealrescue.cli``, typer and click it imported, and the finished process."""
    code = (
        "import sys\n"
        "from dealrescue.cli.main import main\n"
        "sys.argv = ['dealrescue', *sys.argv[1:]]\n"
        "try:\n    main()\n"
        "except SystemExit:\n    pass\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith(('dealrescue.cli', 'typer', 'click')))), file=sys.stderr)\n"
    )
    env = {**os.environ, "DEALRESCUE_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=60, cwd=REPO)
    return set(done.stderr.splitlines()[-1].split()), done
