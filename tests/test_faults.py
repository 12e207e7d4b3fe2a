"""Faults end in one line and the documented exit code, never a traceback (issue 26, items 5 and 14)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

DR = str(Path(sys.executable).with_name("dealrescue"))
GAP = "--set competitor=Globex --set signed=not_signed --set reason=gap --set gap=SSO --set closable=other_product " \
      "--set pressure=3 --set decider=Dana"


def sh(command: str, home: Path, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEALRESCUE_HOME": str(home)}
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)


def assert_one_error(result: subprocess.CompletedProcess[str], code: int, text: str) -> None:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and "this is a bug" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and text in errors[0], result.stderr


def test_a_closed_stdout_is_one_line(user_home: Path, tmp_path: Path) -> None:
    assert sh(f"{DR} triage Acme --no-input {GAP}", user_home, tmp_path).returncode == 0
    assert_one_error(sh(f"{DR} deals list >&-", user_home, tmp_path), 1, "standard output is closed")
    # The journal opened meanwhile did not take descriptor 1: it is whole and lists the run.
    listed = sh(f"{DR} deals list", user_home, tmp_path)
    assert listed.returncode == 0 and "Acme" in listed.stdout


def test_answers_from_a_closed_stdin_are_one_line(user_home: Path, tmp_path: Path) -> None:
    assert_one_error(sh(f"{DR} triage Acme --answers - --no-input <&-", user_home, tmp_path), 2, "stdin: it is closed")


@pytest.mark.parametrize("source", ["--answers /dev/zero", "--answers - < /dev/zero", "--answers - < <(yes)"])
def test_endless_answers_stop_at_the_size_limit(source: str, user_home: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    result = sh(f"ulimit -v 400000; {DR} triage Acme --no-input {source}", user_home, tmp_path)
    assert_one_error(result, 2, "larger than 1000 kB")
    assert time.monotonic() - started < 30


# Simulates a folder that is not the user's to look into (as root, chmod cannot: root reads all).
_FORBIDDING = textwrap.dedent("""
    import builtins, os, sys
    FORBIDDEN = sys.argv.pop(1)
    def guard(path):
        if not isinstance(path, int) and (str(path) == FORBIDDEN or str(path).startswith(FORBIDDEN + "/")):
            raise PermissionError(13, "Permission denied", str(path))
    def guarded(real):
        def call(path, *args, **kwargs):
            guard(path)
            return real(path, *args, **kwargs)
        return call
    os.stat, os.lstat, os.open, os.listdir = map(guarded, (os.stat, os.lstat, os.open, os.listdir))
    builtins.open = guarded(builtins.open)
    from dealrescue.cli.main import main
    sys.argv = ["dealrescue", *sys.argv[1:]]
    main()
""")


@pytest.mark.parametrize(
    ("args", "env", "code", "text"),
    [
        (f"triage Acme --no-input {GAP} -o /forbidden/x.md", {}, 1, "cannot write /forbidden/x.md: Permission denied"),
        ("todo --ics /forbidden/x.ics", {}, 1, "cannot write /forbidden/x.ics: Permission denied"),
        ("run /forbidden/x.yaml Acme --no-input", {}, 1, "/forbidden/x.yaml: Permission denied"),
        (f"triage Acme --no-input {GAP}", {"DEALRESCUE_HOME": "/forbidden"}, 1, "/forbidden"),
        (f"triage Acme --no-input {GAP}", {"DEALRESCUE_PLAYBOOKS": "/forbidden"}, 1, "/forbidden"),
        ("playbooks list", {"DEALRESCUE_PLAYBOOKS": "/forbidden"}, 1, "/forbidden: Permission denied"),
    ],
)
def test_a_folder_that_is_not_yours_is_one_line(args: str, env: dict[str, str], code: int, text: str, user_home: Path,
                                                 tmp_path: Path) -> None:
    script = tmp_path / "forbidding.py"
    script.write_text(_FORBIDDING)
    environment = {**os.environ, "DEALRESCUE_HOME": str(user_home), **env}
    result = subprocess.run([sys.executable, str(script), "/forbidden", *args.split()], capture_output=True, text=True,
                            env=environment, cwd=tmp_path, timeout=60)
    assert_one_error(result, code, text)
