"""The playbook's ranking as one SQL query, for a warehouse that holds the export.

The query reads a table with the export's columns (text), and gives per row what
``rank`` gives: each score and band, the verdict, the top reasons, and the rank. It is
built from the same playbook data the engine reads; conditions are translated from
their syntax tree, and anything without a faithful SQL form is refused with the reason
(``SqlUnavailable``), never approximated.

What the SQL reads of a cell (a subset of ``rank``'s forgiveness, documented in the
README): values or labels in any case with spaces, ``_`` or ``-``; yes/no words; numbers
with thousands commas; several choices separated by ``,``, ``;`` or ``|``; dates as
``rank`` reads them (``sqldates``), ``days_until`` counting from the given plan date. A cell it
cannot read is a missing answer, as in ``rank``; a row with no deal name or without a
required answer is left out.
"""

from __future__ import annotations

import re
from typing import Any

from dealrescue.core.answers import FALSE_WORDS, TRUE_WORDS
from dealrescue.core.expressions import environment
from dealrescue.core.loader import CompiledPlaybook
from dealrescue.core.model import Question
from dealrescue.core.questions import choice_key as _key
from dealrescue.core.questions import choice_words, kind_of
from dealrescue.core.rank.cells import NULL_WORDS
from dealrescue.core.rank.columns import ACCOUNT_NAMES, DEAL_ALIASES, DEAL_COLUMN, normalize_header
from dealrescue.core.rank.scorer import REASONS_SHOWN, reason_topics
from dealrescue.core.rank.sqldates import date_digits
from dealrescue.errors import UsageError

_CAST = {"duckdb": "DOUBLE", "postgres": "DOUBLE PRECISION", "snowflake": "DOUBLE", "bigquery": "FLOAT64"}
_NUMBER = r"^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$"
_NONE = -1e308  # a max score that nothing has reached yet


class SqlUnavailable(UsageError):
    """The playbook has a rule with no faithful SQL form."""


class _Sql:
    def __init__(self, compiled: CompiledPlaybook, dialect: str, header: list[str] | None, today: str,
                 dayfirst: bool = False) -> None:
        self.compiled = compiled
        self.today = today  # the plan date days_until counts from, as rank's
        self.dayfirst = dayfirst
        self.pb = compiled.playbook
        self.dialect = dialect
        self.qs = {q.id: q for q in self.pb.questions}
        names = {normalize_header(h): h for h in reversed(header)} if header else {}
        deal = next((names[n] for n in (DEAL_COLUMN, *DEAL_ALIASES, *ACCOUNT_NAMES) if n in names), DEAL_COLUMN)
        self.deal_column = deal
        self.column = {q.id: names.get(q.id, q.id) if header else q.id for q in self.pb.questions}
        self.present = {q.id for q in self.pb.questions if not header or q.id in names}

    # -- pieces of SQL -------------------------------------------------------------------------

    def ident(self, name: str) -> str:
        if self.dialect == "bigquery":
            return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"
        return '"' + name.replace('"', '""') + '"'

    def text(self, value: str) -> str:
        if self.dialect == "bigquery":
            return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return "'" + value.replace("'", "''") + "'"

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

    def words(self, raw: str) -> str:
        """The cell as ``cells._key`` reads it: lower case, runs of spaces, _ and - as one space."""
        lowered = self.regex_replace(f"lower({raw})", "['’]", "")
        return f"trim({self.regex_replace(lowered, '[[:space:]_-]+', ' ')})"

    # -- answers -------------------------------------------------------------------------------

    def raw(self, q: Question) -> str | None:
        return f"src.{self.ident(self.column[q.id])}" if q.id in self.present else None

    def blank(self, raw: str | None, q: Question | None = None) -> str:
        """A blank cell, or (for ``q``) a null word no choice takes, as ``CellReader.blank`` reads it."""
        if raw is None:
            return "TRUE"
        if q is None:
            return f"({raw} IS NULL OR trim({raw}) = '')"
        taken = {word for c in q.choices for word in choice_words(c)}
        nulls = ", ".join(self.text(w) for w in sorted(NULL_WORDS - taken | ({""} - taken)))
        return f"({raw} IS NULL OR trim({raw}) = '' OR {self.words(raw)} IN ({nulls}))"

    def answer(self, q: Question) -> str:
        """The typed answer of question ``q`` (NULL: no answer), before its ``when``."""
        raw = self.raw(q)
        if kind_of(q).many:
            raise AssertionError("multiselect answers are read per choice")
        default = None if q.default is None else self.typed_default(q)
        parsed = "NULL" if raw is None else self.parse(q, raw)
        # A cell that does not read is a blank one: the default (rank does the same).
        read = parsed if default is None else f"COALESCE({parsed}, {default})"
        return f"(CASE WHEN {self.blank(raw, q)} THEN {default or 'NULL'} ELSE {read} END)"

    def typed_default(self, q: Question) -> str:
        from dealrescue.core.answers import parse_answer

        value = parse_answer(q, q.default)
        # A date's cell is read to digits first (see sqldates), its default too.
        return self.literal(value.replace("-", "") if kind_of(q).dated else value)

    def parse(self, q: Question, raw: str) -> str:
        kind = kind_of(q)
        if kind.has_choices and not kind.many:
            table: dict[str, list[str]] = {}
            for c in q.choices:
                for key in choice_words(c):
                    table.setdefault(key, [])
                    if c.value not in table[key]:
                        table[key].append(c.value)
            arms = " ".join(f"WHEN {self.text(k)} THEN {self.text(v[0])}" for k, v in table.items() if len(v) == 1)
            other = self.text(q.other) if q.other is not None else "NULL"
            return f"(CASE {self.words(raw)} {arms} ELSE {other} END)"
        if kind.yes_no:
            yes = ", ".join(map(self.text, sorted(TRUE_WORDS | {"x", "✓", "✔"})))
            no = ", ".join(map(self.text, sorted(FALSE_WORDS)))
            word = f"lower(trim({raw}))"
            return f"(CASE WHEN {word} IN ({yes}) THEN TRUE WHEN {word} IN ({no}) THEN FALSE ELSE NULL END)"
        if kind.numeric:
            text = f"replace(trim({raw}), ',', '')"
            value = f"CAST({text} AS {_CAST[self.dialect]})"
            low, high = kind.bounds(q)
            checks = [self.matches(text, _NUMBER)]
            checks += [f"{value} >= {float(low)}"] if low is not None else []
            checks += [f"{value} <= {float(high)}"] if high is not None else []
            if kind.whole:
                checks.append(f"{value} = floor({value})")
            # Nested CASEs: the cast only runs on text that is a number.
            inner = f"CASE WHEN {checks[0]} THEN {value} END"
            rest = " AND ".join(c.replace(value, f"({inner})") for c in checks[1:]) or "TRUE"
            return f"(CASE WHEN {checks[0]} THEN (CASE WHEN {rest} THEN {inner} END) END)"
        if kind.free_text:
            if q.pattern:
                raise SqlUnavailable(f"question {q.id} checks its text with a pattern")
            if not kind.multiline:
                value = f"trim({self.regex_replace(raw, '[[:space:]]+', ' ')})"
            else:
                # Regex escapes, not the characters themselves: a raw CR in a query does not survive every client.
                unified = self.regex_replace(raw, "\\r\\n?", "\n")
                value = self.regex_replace(unified, "^\\n+|\\n+$", "")
            checks = [f"length({value}) >= {int(q.min)}"] if q.min is not None else []
            checks += [f"length({value}) <= {int(q.max)}"] if q.max is not None else []
            return f"(CASE WHEN {' AND '.join(checks)} THEN {value} END)" if checks else value
        if kind.dated:
            return date_digits(self, raw, self.dayfirst)  # sqlquery makes it a real day's ISO text
        raise SqlUnavailable(f"question {q.id} is of type {q.type.value}, which --sql does not read")

    def items(self, q: Question, raw: str) -> str:
        """The cell's choices as ``|a|b|`` (keys), separators ``,``, ``;`` and ``|`` alike."""
        spaced = self.regex_replace(self.regex_replace(f"lower({raw})", "['’]", ""), "[[:space:]_-]+", " ")
        for choice in q.choices:  # a label holding a separator stands for its value before splitting
            if any(sep in choice.label for sep in ",;|"):
                spaced = f"replace({spaced}, {self.text(_key(choice.label))}, {self.text(_key(choice.value))})"
        # As rank reads them: ; or | when the cell has one (labels may hold commas), else commas.
        marked = f"(strpos({raw}, ';') > 0 OR strpos({raw}, '|') > 0)"
        if self.dialect == "bigquery":
            marked = f"(STRPOS({raw}, ';') > 0 OR STRPOS({raw}, '|') > 0)"
        elif self.dialect == "snowflake":
            marked = f"(POSITION(';', {raw}) > 0 OR POSITION('|', {raw}) > 0)"
        joined = (f"(CASE WHEN {marked} THEN {self.regex_replace(spaced, ' ?[;|] ?', '|')} "
                  f"ELSE {self.regex_replace(spaced, ' ?, ?', '|')} END)")
        trimmed = self.regex_replace(f"trim({joined})", "^[|]+|[|]+$", "")
        return f"('|' || {self.regex_replace(trimmed, '[|]+', '|')} || '|')"

    def ticked(self, q: Question, i: int) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        """Multiselect ``q`` (question ``i``) in three layers, so each cell is normalised once a row:
        its items and blankness; whether each choice is among them and how many items; then per
        choice whether it is ticked (a cell with an unknown item, or outside min/max, ticks nothing)."""
        raw = self.raw(q)
        default = set(q.default or [])
        first = {f"m_{i}": self.items(q, raw) if raw is not None else "''", f"e_{i}": self.blank(raw, q)}
        second = {f"k_{i}": f"(length(m_{i}) - length(replace(m_{i}, '|', '')) - 1)"}
        for n, c in enumerate(q.choices):
            second[f"h_{i}_{n}"] = "(" + " OR ".join(f"(m_{i} LIKE {self.text('%|' + k + '|%')})"
                                                     for k in sorted(choice_words(c))) + ")"
        matched = " + ".join(f"(CASE WHEN h_{i}_{n} THEN 1 ELSE 0 END)" for n in range(len(q.choices))) or "0"
        valid = f"({matched}) = k_{i}"
        if q.min is not None:
            valid += f" AND k_{i} >= {int(q.min)}"
        if q.max is not None:
            valid += f" AND k_{i} <= {int(q.max)}"
        third = {}
        for n, c in enumerate(q.choices):
            when_blank = "TRUE" if c.value in default else "FALSE"
            # A cell that does not read is a blank one: the default.
            third[f"c_{i}_{n}"] = f"(CASE WHEN e_{i} THEN {when_blank} WHEN {valid} THEN h_{i}_{n} ELSE {when_blank} END)"
        return first, second, third

    # -- conditions ----------------------------------------------------------------------------

    def condition(self, path: str, scope: dict[str, str]) -> str:
        condition = self.compiled.condition(path)
        if condition is None:
            return "TRUE"
        body = environment().parse("{{ (" + condition.source + ") }}").body[0].nodes[0]
        try:
            return self.boolean(body, scope)
        except SqlUnavailable as exc:
            raise SqlUnavailable(f"{path} ({condition.source}): {exc.message}") from None

    def boolean(self, node: Any, scope: dict[str, str]) -> str:
        from jinja2 import nodes

        if isinstance(node, nodes.And):
            return f"({self.boolean(node.left, scope)} AND {self.boolean(node.right, scope)})"
        if isinstance(node, nodes.Or):
            return f"({self.boolean(node.left, scope)} OR {self.boolean(node.right, scope)})"
        if isinstance(node, nodes.Not):
            return f"(NOT {self.boolean(node.node, scope)})"
        if isinstance(node, nodes.Test) and node.name == "none" and not node.args:
            return f"({self.value(node.node, scope)} IS NULL)"
        if isinstance(node, nodes.Compare) and len(node.ops) == 1 and node.ops[0].op in ("in", "notin"):
            op = node.ops[0]
            held = self.membership(node.expr, op.expr, scope)
            return f"(NOT {held})" if op.op == "notin" else held
        if isinstance(node, nodes.Compare):
            # `0 <= x <= 30` is `0 <= x and x <= 30`, as in Python.
            terms, left = [], node.expr
            for op in node.ops:
                terms.append(self.comparison(op.op, self.value(left, scope), self.value(op.expr, scope)))
                left = op.expr
            return terms[0] if len(terms) == 1 else "(" + " AND ".join(terms) + ")"
        if isinstance(node, nodes.Name) and node.name in self.qs:
            return self.truthy(node.name, scope)
        if isinstance(node, nodes.Const) and isinstance(node.value, bool):
            return "TRUE" if node.value else "FALSE"
        raise SqlUnavailable(f"no SQL form for {type(node).__name__.lower()} here")

    def comparison(self, op: str, left: str, right: str) -> str:
        """One comparison; an ordered one with NULL (no answer) is false, as the engine's TypeError."""
        if op == "eq":
            return f"({left} IS NOT DISTINCT FROM {right})"
        if op == "ne":
            return f"({left} IS DISTINCT FROM {right})"
        sign = {"lt": "<", "lteq": "<=", "gt": ">", "gteq": ">="}.get(op)
        if sign is None:
            raise SqlUnavailable(f"no SQL form for the comparison {op} here")
        return f"COALESCE({left} {sign} {right}, FALSE)"

    def truthy(self, qid: str, scope: dict[str, str]) -> str:
        q, value = self.qs[qid], scope.get(qid, "NULL")
        kind = kind_of(q)
        if kind.yes_no:
            return f"COALESCE({value}, FALSE)"
        if kind.numeric:
            return f"COALESCE({value} <> 0, FALSE)"
        if kind.many:
            return "(" + " OR ".join(scope[f"{qid}={c.value}"] for c in q.choices) + ")"
        return f"COALESCE({value} <> '', FALSE)"

    def membership(self, item: Any, container: Any, scope: dict[str, str]) -> str:
        from jinja2 import nodes

        if isinstance(container, nodes.Or) and isinstance(container.right, nodes.List) and not container.right.items:
            container = container.left  # `x in (ticked or [])`
        if isinstance(container, nodes.Name) and self.qs.get(container.name, None) is not None:
            q = self.qs[container.name]
            if kind_of(q).many and isinstance(item, nodes.Const):
                key = f"{q.id}={item.value}"
                return scope.get(key, "FALSE")
        if isinstance(container, (nodes.List, nodes.Tuple)) and all(isinstance(i, nodes.Const) for i in container.items):
            left = self.value(item, scope)
            values = ", ".join(self.literal(getattr(i, "value", None)) for i in container.items)
            return f"COALESCE({left} IN ({values}), FALSE)" if values else "FALSE"
        raise SqlUnavailable("no SQL form for this `in`")

    def value(self, node: Any, scope: dict[str, str]) -> str:
        from jinja2 import nodes

        if isinstance(node, nodes.Const):
            return self.literal(node.value)
        if isinstance(node, nodes.Name):
            if node.name in self.qs and not kind_of(self.qs[node.name]).many:
                return scope[node.name]
            if node.name == "deal":
                return "deal"
            if node.name == "today":
                return self.text(self.today)
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
            key = f"{node.node.name}.{node.attr}"
            if key in scope:
                return scope[key]
            if node.node.name == "playbook" and node.attr in ("id", "title", "version"):
                return self.literal(getattr(self.pb, node.attr))
        if isinstance(node, nodes.Name) and node.name == "verdict":
            raise SqlUnavailable("a verdict is not known yet here")
        if isinstance(node, nodes.Filter):
            raise SqlUnavailable(f"no SQL form for the filter {node.name}")
        name = getattr(node, "name", None) or type(node).__name__.lower()
        raise SqlUnavailable(f"no SQL form for {name}")


def ranking_sql(compiled: CompiledPlaybook, table: str, dialect: str, header: list[str] | None = None,
                order: tuple[int, ...] | None = None, *, today: str, dayfirst: bool = False) -> str:
    """One query: deal, rank, each score and band, verdict and reasons, highest first.

    ``today`` (ISO) is the plan date ``days_until`` counts from; ``dayfirst`` reads dates as rank's."""
    from dealrescue.core.rank.sqlquery import build

    pb = compiled.playbook
    if not pb.scores:
        raise SqlUnavailable(f"playbook {compiled.id} has no scores, so there is nothing to rank by")
    return build(_Sql(compiled, dialect, header, today, dayfirst), table, order or tuple(range(len(pb.scores))), REASONS_SHOWN,
                 reason_topics(compiled))


def sql_name(text: str) -> str:
    """A column alias made of letters, digits and _ only."""
    return re.sub(r"[^0-9A-Za-z_]", "_", text)


NONE_PART = _NONE
