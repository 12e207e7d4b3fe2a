"""The values the journal writes that every part of it shares: timestamps, checked dates, typed ids."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

# An id (or its first letters) as a person types it; anything else matches no row.
ID_INPUT = re.compile(r"^[0-9a-z]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def now() -> str:
    """ISO 8601 UTC with microseconds, e.g. ``2024-05-01T12:34:56.123456Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def check_date(value: str | date, what: str) -> str:
    """``value`` as YYYY-MM-DD; ``ValueError``/``TypeError`` naming ``what`` if it is not a real date."""
    if isinstance(value, datetime):
        raise TypeError(f"{what} must be a date (YYYY-MM-DD), not a datetime")
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str) or not _DATE.match(value):
        raise ValueError(f"{what} must be a date as YYYY-MM-DD, got {value!r}")
    date.fromisoformat(value)  # raises ValueError for 2024-02-30
    return value
