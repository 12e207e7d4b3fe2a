"""The deal journal: every run, answer, plan and follow-up, kept in SQLite.

This package is the only part of dealrescue that imports sqlite3; import it
lazily (inside the command that needs it) so ``dealrescue --help`` stays fast.
"""

from dealrescue.journal.connection import DEFAULT_TIMEOUT
from dealrescue.journal.records import FollowupRecord, RunRecord, RunSummary
from dealrescue.journal.store import Journal

__all__ = ["DEFAULT_TIMEOUT", "FollowupRecord", "Journal", "RunRecord", "RunSummary"]
