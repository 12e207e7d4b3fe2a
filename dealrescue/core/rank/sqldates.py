"""Date cells and ``days_until`` in the ranking query, read as ``rank`` reads them.

A date cell becomes the answer the engine holds, ISO text (``2027-03-31``), or NULL:
ISO with or without a time, ``YYYYMMDD``, and ``M/D/YYYY`` or ``M.D.YYYY`` (day first
with ``--dayfirst``). A cell that reads only the other way round, or names no real day
(``2/30/2027``), is NULL, as ``rank`` leaves that answer out. ``days_until.<id>`` is the
days from the plan date to that answer (negative when past, NULL when there is none).
"""

from __future__ import annotations

from typing import Any

_ISO = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_COMPACT = "^[0-9]{8}$"
_TIMED = "^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$"
# One separator kind per cell (no back-references in every dialect's regex, so two patterns).
_SLASHED = "^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}$"
_DOTTED = "^[0-9]{1,2}[.][0-9]{1,2}[.][0-9]{4}$"
_INT = {"duckdb": "INTEGER", "postgres": "INTEGER", "snowflake": "INTEGER", "bigquery": "INT64"}


def date_digits(sql: Any, raw: str, dayfirst: bool) -> str:
    """The cell ``raw`` as eight digits, year month day, from whichever form it has (NULL: none)."""
    text = sql.regex_replace(raw, "^[[:space:]]+|[[:space:]]+$", "")
    first = sql.regex_replace(text, "[/.].*$", "")
    second = sql.regex_replace(sql.regex_replace(text, "^[0-9]+[/.]", ""), "[/.].*$", "")
    year = sql.regex_replace(text, "^.*[/.]", "")
    day, month = (first, second) if dayfirst else (second, first)
    return (f"(CASE WHEN {sql.matches(text, _ISO)} OR {sql.matches(text, _TIMED)} "
            f"THEN substr({text}, 1, 4) || substr({text}, 6, 2) || substr({text}, 9, 2) "
            f"WHEN {sql.matches(text, _COMPACT)} THEN {text} "
            f"WHEN {sql.matches(text, _SLASHED)} OR {sql.matches(text, _DOTTED)} "
            f"THEN {year} || lpad({month}, 2, '0') || lpad({day}, 2, '0') END)")


def real_date(sql: Any, digits: str) -> str:
    """The column ``digits`` (from ``date_digits``) as the ISO text of a real day, or NULL."""
    number = _INT[sql.dialect]
    y, m, d = (f"CAST(substr({digits}, {start}, {size}) AS {number})" for start, size in ((1, 4), (5, 2), (7, 2)))
    leap = f"((MOD({y}, 4) = 0 AND MOD({y}, 100) <> 0) OR MOD({y}, 400) = 0)"
    month_days = f"(CASE WHEN {m} = 2 THEN (CASE WHEN {leap} THEN 29 ELSE 28 END) WHEN {m} IN (4, 6, 9, 11) THEN 30 ELSE 31 END)"
    real = f"{y} >= 1 AND {m} BETWEEN 1 AND 12 AND {d} BETWEEN 1 AND {month_days}"
    iso = f"substr({digits}, 1, 4) || '-' || substr({digits}, 5, 2) || '-' || substr({digits}, 7, 2)"
    # Nested: the casts only run on eight digits.
    return f"(CASE WHEN {digits} IS NOT NULL THEN (CASE WHEN {real} THEN {iso} END) END)"


def days_until(sql: Any, answer: str, plan_date: str) -> str:
    """Days from the plan date to the ISO date text ``answer`` (NULL stays NULL)."""
    plan = f"DATE {sql.text(plan_date)}"
    if sql.dialect == "snowflake":
        return f"DATEDIFF('day', {plan}, TO_DATE({answer}, 'YYYY-MM-DD'))"
    if sql.dialect == "bigquery":
        return f"DATE_DIFF(CAST({answer} AS DATE), {plan}, DAY)"
    return f"(CAST({answer} AS DATE) - {plan})"
