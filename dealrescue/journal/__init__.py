"""The deal journal: every run, answer, plan and follow-up, kept in SQLite.

This package is the only part of dealrescue that imports sqlite3; import it
lazily (inside the command that needs it) so ``dealrescue --help`` stays fast.
"""

from dealrescue.journal.store import (
    DEFAULT_TIMEOUT,
    FollowupRecord,
    Journal,
    RunRecord,
)

__all__ = ["DEFAULT_TIMEOUT", "FollowupRecord", "Journal", "RunRecord"]
