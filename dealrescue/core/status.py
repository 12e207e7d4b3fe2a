"""The states of a run in the journal: the one list, used by the schema, the store and the CLI."""

from __future__ import annotations

import enum


class RunStatus(str, enum.Enum):
    in_progress = "in_progress"
    interrupted = "interrupted"
    done = "done"


UNFINISHED = (RunStatus.in_progress, RunStatus.interrupted)


def sql_check(column: str) -> str:
    """The CHECK constraint that keeps ``column`` to these states, e.g. ``status IN ('in_progress', ...)``."""
    return f"{column} IN ({', '.join(repr(s.value) for s in RunStatus)})"
