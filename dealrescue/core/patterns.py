"""A question's ``pattern:`` matched in time proportional to the answer, whatever the pattern.

Python's ``re`` backtracks: ``([A-Za-z]+ ?)*`` against 28 letters and a ``!`` takes seconds, and
each letter doubles it. Patterns run on RE2 instead (``google-re2``), which never backtracks, so a
typed answer or a CSV cell is checked in linear time. What RE2 cannot do in linear time
(lookahead, lookbehind, backreferences) it does not compile: validate refuses such a pattern,
naming what to change.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


class PatternProblem(ValueError):
    """A pattern the linear-time matcher does not take, with why."""


@lru_cache(maxsize=256)
def compiled(pattern: str) -> Any:
    import re2

    options = re2.Options()
    options.log_errors = False  # the reason is reported once, as a playbook problem
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise PatternProblem(
            f"pattern is not a regular expression dealrescue can match in linear time: {reason} "
            "(lookahead, lookbehind and backreferences are not supported; repeats are at most {1000})"
        ) from None


def full_match(pattern: str, value: str) -> bool:
    """Whether the whole of ``value`` matches ``pattern`` (checked by ``problem`` when the playbook loaded)."""
    return compiled(pattern).fullmatch(value) is not None


def problem(pattern: str) -> str | None:
    try:
        compiled(pattern)
    except PatternProblem as exc:
        return str(exc)
    return None
