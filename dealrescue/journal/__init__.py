"""The deal journal: every run, answer, plan and follow-up, kept in SQLite.

This package is the only part of dealrescue that imports sqlite3. Its names load the store
on first use, so a run that records nothing (``--no-save``) and ``dealrescue --help``
never import sqlite3.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dealrescue.journal.connection import DEFAULT_TIMEOUT
    from dealrescue.journal.items import TodoItem
    from dealrescue.journal.rows import FollowupRecord, RunRecord
    from dealrescue.journal.store import Journal

__all__ = ["DEFAULT_TIMEOUT", "FollowupRecord", "Journal", "RunRecord", "TodoItem"]


def __getattr__(name: str) -> Any:
    if name == "TodoItem":
        from dealrescue.journal import items

        return items.TodoItem
    if name in __all__:
        from dealrescue.journal import store

        return getattr(store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
