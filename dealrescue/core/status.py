"""The states of a run in the journal: the one list, used by the schema, the store and the CLI."""

from __future__ import annotations

import enum


class RunStatus(enum.StrEnum):
    in_progress = "in_progress"
    interrupted = "interrupted"
    done = "done"


UNFINISHED = (RunStatus.in_progress, RunStatus.interrupted)


def sql_check(column: str) -> str:
    """The CHECK constraint that keeps ``column`` to these states, e.g. ``status IN ('in_progress', ...)``."""
    return f"{column} IN ({', '.join(repr(s.value) for s in RunStatus)})"


class ShownStatus(enum.StrEnum):
    """A run's status as listings and ``deals show`` name it: a finished run is also a draft
    (made after the key questions, the rest not asked yet) or replaced (a re-run replaced it)."""

    in_progress = "in_progress"
    interrupted = "interrupted"
    draft = "draft"
    done = "done"
    replaced = "replaced"


# The shown status of a row of ``runs``, in SQL (listings); ``shown_status`` says the same in Python.
SHOWN_STATUS_SQL = (
    "CASE WHEN runs.status <> 'done' THEN runs.status "
    "WHEN EXISTS (SELECT 1 FROM runs AS later WHERE later.replaces = runs.id) THEN 'replaced' "
    "WHEN json_extract(runs.options, '$.draft') THEN 'draft' ELSE 'done' END"
)


def shown_status(status: str, options: dict[str, object], replaced: bool) -> str:
    """The shown status of a run (``SHOWN_STATUS_SQL`` for one row)."""
    if status != RunStatus.done.value:
        return status
    if replaced:
        return ShownStatus.replaced.value
    return ShownStatus.draft.value if options.get("draft") is True else status
