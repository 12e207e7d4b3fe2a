"""A playbook's ``pattern:`` cannot hang a run: it is matched in linear time, and a pattern the
linear-time matcher cannot take is refused when the playbook is checked (issue 26, item 4)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import MINIMAL

CATASTROPHIC = r"([A-Za-z]+ ?)*"


def with_pattern(pattern: str) -> str:
    return MINIMAL.replace("    prompt: Who did they choose?\n", f"    prompt: Who did they choose?\n    pattern: '{pattern}'\n", 1)


def dr(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dealrescue", *args], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def test_a_backtracking_pattern_checks_a_long_answer_at_once(write_playbook: Callable[..., Path]) -> None:
    path = write_playbook(with_pattern(CATASTROPHIC))
    # 28 letters and a "!" took 20 s with a backtracking matcher, doubling with each letter.
    started = time.monotonic()
    done = dr("run", str(path), "Acme", "--no-input", "--set", "competitor=" + "a" * 60 + "!", "--set", "reason=gap",
              "--set", "gap=SSO")
    took = time.monotonic() - started
    assert done.returncode == 2, done.stderr
    assert "must match the pattern" in done.stderr
    assert took < 10, f"took {took:.1f} s"
    ok = dr("run", str(path), "Acme", "--no-input", "--set", "competitor=Globex Analytics", "--set", "reason=better_fit")
    assert ok.returncode == 0, ok.stderr


def test_the_matcher_is_linear_in_the_answer() -> None:
    from dealrescue.core.patterns import full_match

    started = time.monotonic()
    assert not full_match(CATASTROPHIC, "a" * 200_000 + "!")
    assert full_match(r"[A-Z]{3}-\d+", "ACM-42") and not full_match(r"[A-Z]{3}-\d+", "ACM-42x")
    assert time.monotonic() - started < 1.0


def test_validate_refuses_a_pattern_it_cannot_match_in_linear_time(write_playbook: Callable[..., Path]) -> None:
    for pattern, why in ((r"(?=a)a", "lookahead"), (r"(a)\1", "backreferences"), (r"a{5000}", "at most {1000}")):
        path = write_playbook(with_pattern(pattern.replace("'", "''")), "bad.yaml")
        done = dr("playbooks", "validate", str(path))
        assert done.returncode == 3, done.stderr
        assert "linear time" in done.stderr and why in done.stderr and "bad.yaml" in done.stderr, done.stderr
        assert "re2.cc" not in done.stderr  # the matcher's own log stays quiet
