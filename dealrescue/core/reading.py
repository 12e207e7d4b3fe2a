"""Numbers and dates as people type them, read one way everywhere.

Typed answers, ``--set``, answers files and rank's cells all come through here (by way
of the question kinds), so they accept the same things:

- numbers: ``85000``, ``85,000.00``, ``$85,000``, ``USD 85,000``, ``85 000``, ``85k``,
  ``1.2M``, ``2bn``, ``(5,000.00)`` (negative), ``EUR 40.000,00`` (comma for decimals);
- dates: ``2026-12-15`` or ``20261215`` (a time after it is dropped), ``12/15/2026`` (month first, or day
  first with ``dayfirst``; ``.`` between the parts too), and relative to the plan date:
  ``+9d``, ``9d``, ``2w``, ``in 9 days``, ``in 2 weeks``, ``today``, ``tomorrow``, and a
  weekday name (``friday``: the next one after the plan date).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal


class ReadProblem(ValueError):
    """The text is not a number or a date; the message says what it would take."""


class NotADate(ReadProblem):
    """Text in none of the date forms."""


class OtherOrder(ReadProblem):
    """A numeric date that reads only with the other day/month order (15/12/2026 without day first)."""


@dataclass(frozen=True, slots=True)
class Reading:
    """What reading a date depends on: the plan date (for ``+9d``, ``friday``) and the order of 03/04."""

    today: dt.date | None = None
    dayfirst: bool = False


PLAIN = Reading()


# The number rules as data: ``read_number`` follows them, and ``rank --sql``'s query is generated
# from the same constants (``core/rank/sqlnumbers.py``), so both read the same cells. Patterns use
# only what Python, RE2 and POSIX-style engines read alike: no ``\\d``, no ``\\s``, no ``(?:``.

# A currency sign or an ISO code before or after the number (``$1,200``, ``USD 1200``, ``1.200,50 €``);
# the spaces next to it go with every other space.
CURRENCY = "^([A-Z]{3}|[A-Z]{0,2}[$€£¥₹]|[$€£¥₹])|([A-Z]{3}|[$€£¥₹])$"
# Dropped anywhere: white space (what Python's ``\\s`` matches), no-break spaces, apostrophes.
SPACES = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
          "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000'’")
# A typographic minus, read as ``-``.
MINUS = "−"
# A suffix right after a digit, in any case: the number times this.
MULTIPLIERS = {"k": 1_000, "m": 1_000_000, "mm": 1_000_000, "b": 1_000_000_000, "bn": 1_000_000_000}
# ``1.234`` (no suffix): thousands or decimals? Refused, with a hint.
DOT_THOUSANDS = "[0-9]{1,3}([.][0-9]{3})+"
# What is left, once separators are settled: a plain number, never too large for a float (at most
# 200 digits before the point, an exponent of at most 99, times at most a billion), so no warehouse
# fails casting it.
NUMBER = "[+-]?([0-9]{1,200}([.][0-9]{0,200})?|[.][0-9]{1,200})([eE][+-]?[0-9]{1,2})?"
# ``1,234`` and ``1,234,567``: a comma before each group of three is a thousands separator.
COMMA_THOUSANDS = "[^,]*(,[^,]{3})+"

_CURRENCY = re.compile(CURRENCY)
_SPACES = re.compile(f"[{SPACES}]")
_SUFFIX = re.compile(f"(?i)({'|'.join(MULTIPLIERS)})$")
_DOT_THOUSANDS = re.compile(DOT_THOUSANDS)
_NUMBER = re.compile(NUMBER)
_COMMA_THOUSANDS = re.compile(COMMA_THOUSANDS)


def read_number(text: str) -> float:
    """The number in ``text`` (see the module's list of forms)."""
    shown = text.strip()
    body = _SPACES.sub("", _CURRENCY.sub("", shown))
    negative = body.startswith("(") and body.endswith(")")
    body = body[1:-1] if negative else body
    body = body.replace(MINUS, "-")
    times = 1
    suffix = _SUFFIX.search(body)
    if suffix and body[: suffix.start()][-1:] in tuple("0123456789"):
        times = MULTIPLIERS[suffix.group(1).lower()]
        body = body[: suffix.start()]
    if _DOT_THOUSANDS.fullmatch(body.lstrip("+-")) and times == 1:
        raise ReadProblem(f"{shown!r} reads as thousands or as decimals: write it without the dot, or with cents")
    if "," in body and "." in body:
        decimal = "," if body.rindex(",") > body.rindex(".") else "."
        body = body.replace("." if decimal == "," else ",", "").replace(decimal, ".")
    elif "," in body:
        if _COMMA_THOUSANDS.fullmatch(body) and times == 1:
            body = body.replace(",", "")
        elif body.count(",") == 1:
            body = body.replace(",", ".")  # 2,5 and 1,5k: a decimal comma
        else:
            raise ReadProblem(f"{shown!r} is not a number")
    if not _NUMBER.fullmatch(body):
        raise ReadProblem(f"{shown!r} is not a number")
    value = Decimal(body) * times
    number = float(value)
    if number in (float("inf"), float("-inf")):
        raise ReadProblem(f"{shown!r} is too large")
    return -number if negative else number


_ISO = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")
_NUMERIC = re.compile(r"(\d{1,2})([/.])(\d{1,2})\2(\d{4})")
_OFFSET = re.compile(r"(?:\+|in\s+)?(\d{1,4})\s*(d|days?|w|weeks?)")
_WEEKDAYS = {name.lower(): n for n, name in enumerate(calendar.day_name)}
_WEEKDAYS |= {name[:3].lower(): n for name, n in list(_WEEKDAYS.items())}
_NAMED = {"today": 0, "tomorrow": 1}


def read_date(text: str, reading: Reading = PLAIN) -> dt.date:
    """The day ``text`` names (see the module's list of forms)."""
    shown = text.strip()
    word = " ".join(shown.lower().split())
    iso = _ISO.fullmatch(shown)
    if iso:
        return _day(shown, int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    numeric = _NUMERIC.fullmatch(shown)
    if numeric:
        return _numeric_day(shown, int(numeric.group(1)), int(numeric.group(3)), int(numeric.group(4)), reading.dayfirst)
    offset = _OFFSET.fullmatch(word)
    if offset or word in _NAMED or word in _WEEKDAYS or word.removeprefix("next ") in _WEEKDAYS:
        if reading.today is None:
            raise ReadProblem(f"{shown!r}: a date counted from the plan date needs one here; write YYYY-MM-DD")
        if offset:
            days = int(offset.group(1)) * (7 if offset.group(2).startswith("w") else 1)
        elif word in _NAMED:
            days = _NAMED[word]
        else:
            # The next one: friday on a Friday is a week on.
            days = (_WEEKDAYS[word.removeprefix("next ")] - reading.today.weekday() - 1) % 7 + 1
        return reading.today + dt.timedelta(days=days)
    try:
        return dt.date.fromisoformat(shown)  # the rarer ISO forms, e.g. a week date 2027-W13-3
    except ValueError:
        raise NotADate(f"{shown!r} is not a date: use {date_forms(reading.dayfirst)}") from None


def date_forms(dayfirst: bool) -> str:
    """The accepted date forms, in a few words (for hints and messages)."""
    return f"YYYY-MM-DD, {'15/12/2026' if dayfirst else '12/15/2026'}, +9d, 2w, friday"


def _day(shown: str, year: int, month: int, day: int) -> dt.date:
    """The day, or why there is none (``February 2027 has 28 days``)."""
    if not 1 <= month <= 12:
        raise ReadProblem(f"{shown}: there is no month {month}")
    last = calendar.monthrange(year, month)[1] if dt.MINYEAR <= year <= dt.MAXYEAR else 0
    if not 1 <= day <= last:
        if last == 0:
            raise ReadProblem(f"{shown}: the year {year} is out of range")
        raise ReadProblem(f"{shown}: {calendar.month_name[month]} {year} has {last} days")
    return dt.date(year, month, day)


def _numeric_day(shown: str, first: int, second: int, year: int, dayfirst: bool) -> dt.date:
    """12/15/2026 (month first) or 15/12/2026 (day first); a date that only reads the other way says so."""
    day, month = (first, second) if dayfirst else (second, first)
    try:
        return _day(shown, year, month, day)
    except ReadProblem as problem:
        try:
            _day(shown, year, day, month)
        except ReadProblem:
            raise problem from None
    if dayfirst:
        raise OtherOrder(f"{shown!r} reads only as month first: drop --dayfirst (or DEALRESCUE_DAYFIRST)")
    raise OtherOrder(f"{shown!r} reads only as day first: use --dayfirst (or DEALRESCUE_DAYFIRST=1)")
