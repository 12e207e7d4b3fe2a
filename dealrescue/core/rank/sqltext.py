"""Text inside the ranking query, written so each dialect reads back exactly what was meant.

Every label, reason, column and table name reaches the query through ``Dialect.text`` or
``Dialect.ident``, whatever it holds (quotes, backslashes, line breaks, NUL):

- duckdb: standard strings (``'`` doubled; a backslash is itself);
- postgres: a text with a backslash is an escape string (``E'...'``, backslash and ``'``
  escaped), read the same whether ``standard_conforming_strings`` is on or off; one without
  is a standard string, also read the same either way;
- snowflake and bigquery: their strings always read backslash escapes, so ``\\`` is doubled
  and ``'`` escaped;
- a control character (line breaks, NUL...) is never written raw: it is joined in with the
  dialect's code-point function, so no client can change it on the way. Postgres cannot hold
  NUL in text at all, so a text with one is refused there, as is a name with a control
  character in any dialect (no warehouse table has such a column).
"""

from __future__ import annotations

import re
from typing import Any

from dealrescue.errors import UsageError

DIALECTS = ("duckdb", "postgres", "snowflake", "bigquery")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CAST = {"duckdb": "DOUBLE", "postgres": "DOUBLE PRECISION", "snowflake": "DOUBLE", "bigquery": "FLOAT64"}


class SqlUnavailable(UsageError):
    """The playbook has a rule with no faithful SQL form."""


class Dialect:
    """How one SQL dialect writes names, text and the few functions that differ."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect  # one of DIALECTS (the command checks it first)
        self.cast_number = _CAST[dialect]
        self._names: dict[tuple[str, ...], str] = {}

    def name(self, *parts: str) -> str:
        """The query's quoted name for a column holding ``parts`` (``answer``, question id...), unique."""
        found = self._names.get(parts)
        if found is None:
            plain, n = "_".join(parts), 1
            taken = set(self._names.values())
            found = self.ident(plain)
            while found in taken:
                n += 1
                found = self.ident(f"{plain}_{n}")
            self._names[parts] = found
        return found

    def ident(self, name: str) -> str:
        """A quoted name: a column, a table or one part of ``schema.table``."""
        if not name or _CONTROL.search(name):
            raise SqlUnavailable(f"the name {name!r} cannot be a column or table name in SQL: "
                                 "rename it without control characters")
        if self.dialect == "bigquery":
            return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"
        return '"' + name.replace('"', '""') + '"'

    def text(self, value: str) -> str:
        """A string literal for ``value``; control characters joined in by code point."""
        pieces = []
        for n, run in enumerate(re.split(r"([\x00-\x1f\x7f-\x9f])", value)):
            if n % 2:
                pieces.append(self._code_point(ord(run)))
            elif run or len(value) == 0:
                pieces.append(self._quoted(run))
        return pieces[0] if len(pieces) == 1 else "(" + " || ".join(pieces) + ")"

    def _quoted(self, run: str) -> str:
        if self.dialect == "duckdb" or (self.dialect == "postgres" and "\\" not in run):
            return "'" + run.replace("'", "''") + "'"  # read the same with standard_conforming_strings off
        escaped = run.replace("\\", "\\\\").replace("'", "\\'" if self.dialect == "bigquery" else "''")
        return ("E'" if self.dialect == "postgres" else "'") + escaped + "'"

    def _code_point(self, code: int) -> str:
        if self.dialect == "bigquery":
            return f"CODE_POINTS_TO_STRING([{code}])"
        if self.dialect == "postgres" and code == 0:
            raise SqlUnavailable("a text holds the NUL character, which postgres text cannot hold: remove it")
        return f"chr({code})"

    def literal(self, value: Any) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, (int, float)):
            return repr(float(value))
        if isinstance(value, str):
            return self.text(value)
        raise SqlUnavailable(f"the value {value!r} has no SQL form")

    def regex_replace(self, subject: str, pattern: str, replacement: str) -> str:
        flags = ", 'g'" if self.dialect in ("duckdb", "postgres") else ""
        return f"regexp_replace({subject}, {self.text(pattern)}, {self.text(replacement)}{flags})"

    def matches(self, subject: str, pattern: str) -> str:
        if self.dialect == "duckdb":
            return f"regexp_full_match({subject}, {self.text(pattern)})"
        if self.dialect == "postgres":
            return f"({subject} ~ {self.text(pattern)})"
        if self.dialect == "snowflake":
            return f"REGEXP_LIKE({subject}, {self.text(pattern)})"
        return f"REGEXP_CONTAINS({subject}, {self.text(pattern)})"

    def contains(self, subject: str, fixed: str) -> str:
        """Whether ``subject`` holds the fixed text ``fixed``."""
        if self.dialect == "snowflake":
            return f"(POSITION({self.text(fixed)}, {subject}) > 0)"
        return f"(strpos({subject}, {self.text(fixed)}) > 0)"

    def table_name(self, table: str) -> str:
        """``schema.table`` quoted part by part."""
        return ".".join(self.ident(part) for part in table.split("."))
