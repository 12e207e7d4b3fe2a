"""Reading the export's cells in SQL, as ``rank`` reads them, for the ranking query.

The query reads a table with the export's columns (text). What it reads of a cell is taken
from ``cells.py``'s definitions (choice keys, the ticked marks, the words that key ignores)
and ``answers``' yes/no words: values or labels in any case with spaces, ``_`` or ``-``;
yes/no words; numbers as ``core.reading`` reads them (``sqlnumbers``); several choices separated by ``,``, ``;`` or
``|``; dates as ``rank`` reads them (``sqldates``), ``days_until`` counting from the given
plan date. A cell it cannot read is a missing answer, as in ``rank``. Column names in the
query say what they hold: ``answer_<question>``, ``ticked_<question>_<choice>``...
"""

from __future__ import annotations

from dealrescue.core.answers import FALSE_WORDS, TRUE_WORDS, parse_answer
from dealrescue.core.loader import CompiledPlaybook
from dealrescue.core.model import Question
from dealrescue.core.questions import APOSTROPHES, WORD_JOINERS, choice_words, kind_of
from dealrescue.core.questions import choice_key as key_of
from dealrescue.core.rank.cells import NULL_WORDS, TICKED, choice_keys, closed_words
from dealrescue.core.rank.columns import DEAL_COLUMN, ColumnMap
from dealrescue.core.rank.sqlconditions import Conditions
from dealrescue.core.rank.sqldates import date_digits
from dealrescue.core.rank.sqlnumbers import number_column
from dealrescue.core.rank.sqltext import SqlUnavailable

# ``choice_key``'s reading as POSIX classes: its apostrophes left out, white space and its joiners as one space.
_QUOTES = f"[{APOSTROPHES}]"
_WORD_BREAKS = "[[:space:]" + "".join(sorted(WORD_JOINERS, key=lambda c: c == "-")) + "]+"

__all__ = ["SqlUnavailable", "SqlWriter"]


class SqlWriter(Conditions):
    """The pieces of the ranking query for one playbook, dialect and header."""

    def __init__(self, compiled: CompiledPlaybook, dialect: str, columns: ColumnMap | None, today: str,
                 dayfirst: bool = False) -> None:
        super().__init__(dialect)
        self.compiled = compiled
        self.today = today  # the plan date days_until counts from, as rank's
        self.dayfirst = dayfirst
        self.pb = compiled.playbook
        self.qs = {q.id: q for q in self.pb.questions}
        # The columns as rank matched them (``match_columns``); with no header, named as the ids.
        self.status_column: str | None = None
        if columns is None:
            self.deal_columns = [DEAL_COLUMN]
            self.column = {q.id: q.id for q in self.pb.questions}
        else:
            headers = columns.headers
            self.deal_columns = [headers[i] for i in (columns.deal, *columns.fallbacks)]
            self.column = {qid: headers[i] for qid, i in columns.questions.items()}
            status = columns.roles.get("status")
            self.status_column = headers[status] if status is not None else None

    def deal_name(self) -> str:
        """The row's deal name as ``Scorer.deal_names`` reads it: the deal cell, or when blank the
        first filled account-like cell ('' when none is)."""
        cells = ", ".join(f"NULLIF(trim(src.{self.ident(name)}), '')" for name in self.deal_columns)
        return f"COALESCE({cells}, '')"

    def closed(self) -> str | None:
        """Whether the row is a closed deal, as ``skipping.RowSkipper`` reads it (None: no check)."""
        checks: list[tuple[str, frozenset[str]]] = []
        every: set[str] = set()
        for q in self.pb.questions:
            if q.closed:
                every |= closed_words(q)
                if q.id in self.column:
                    checks.append((self.column[q.id], closed_words(q)))
        if self.status_column is not None and every:
            checks.append((self.status_column, frozenset(every)))
        tests = [f"COALESCE({self.words(f'src.{self.ident(name)}')} IN ({', '.join(map(self.text, sorted(words)))}), FALSE)"
                 for name, words in checks]
        return " OR ".join(tests) or None

    def words(self, raw: str) -> str:
        """The cell as ``questions.choice_key`` reads it: lower case, apostrophes out, word breaks as one space."""
        lowered = self.regex_replace(f"lower({raw})", _QUOTES, "")
        return f"trim({self.regex_replace(lowered, _WORD_BREAKS, ' ')})"

    # -- answers -------------------------------------------------------------------------------

    def raw(self, q: Question) -> str | None:
        return f"src.{self.ident(self.column[q.id])}" if q.id in self.column else None

    def blank(self, raw: str | None, q: Question) -> str:
        """A blank cell, or a null word no choice of ``q`` takes, as ``CellReader.blank`` reads it."""
        if raw is None:
            return "TRUE"
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
        value = parse_answer(q, q.default)
        # A date's cell is read to digits first (see sqldates), its default too.
        return self.literal(value.replace("-", "") if kind_of(q).dated else value)

    def parse(self, q: Question, raw: str) -> str:
        kind = kind_of(q)
        if kind.has_choices and not kind.many:
            arms = " ".join(f"WHEN {self.text(k)} THEN {self.text(v[0])}"
                            for k, v in choice_keys(q).items() if len(v) == 1)
            other = self.text(q.other) if q.other is not None else "NULL"
            return f"(CASE {self.words(raw)} {arms} ELSE {other} END)"
        if kind.yes_no:
            yes = ", ".join(map(self.text, sorted(TRUE_WORDS | TICKED)))
            no = ", ".join(map(self.text, sorted(FALSE_WORDS)))
            word = f"lower(trim({raw}))"
            return f"(CASE WHEN {word} IN ({yes}) THEN TRUE WHEN {word} IN ({no}) THEN FALSE ELSE NULL END)"
        if kind.numeric:
            value = number_column(self, q.id)  # read as rank reads numbers, a layer before (sqlnumbers)
            low, high = kind.bounds(q)
            checks = [f"{value} IS NOT NULL"]
            checks += [f"{value} >= {float(low)}"] if low is not None else []
            checks += [f"{value} <= {float(high)}"] if high is not None else []
            if kind.whole:
                checks.append(f"{value} = floor({value})")
            return f"(CASE WHEN {' AND '.join(checks)} THEN {value} END)"
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
        spaced = self.regex_replace(self.regex_replace(f"lower({raw})", _QUOTES, ""), _WORD_BREAKS, " ")
        for choice in q.choices:  # a label holding a separator stands for its value before splitting
            if any(sep in choice.label for sep in ",;|"):
                spaced = f"replace({spaced}, {self.text(key_of(choice.label))}, {self.text(key_of(choice.value))})"
        # As rank reads them: ; or | when the cell has one (labels may hold commas), else commas.
        marked = f"({self.contains(raw, ';')} OR {self.contains(raw, '|')})"
        joined = (f"(CASE WHEN {marked} THEN {self.regex_replace(spaced, ' ?[;|] ?', '|')} "
                  f"ELSE {self.regex_replace(spaced, ' ?, ?', '|')} END)")
        trimmed = self.regex_replace(f"trim({joined})", "^[|]+|[|]+$", "")
        return f"('|' || {self.regex_replace(trimmed, '[|]+', '|')} || '|')"

    def ticked(self, q: Question) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        """Multiselect ``q`` in three layers, so each cell is normalised once a row: its items and
        blankness; whether each choice is among them and how many items; then per choice whether it
        is ticked (a cell with an unknown item, or outside min/max, ticks nothing)."""
        raw = self.raw(q)
        default = set(q.default or [])
        items, blank, count = self.name("items", q.id), self.name("blank", q.id), self.name("count", q.id)
        first = {items: self.items(q, raw) if raw is not None else "''", blank: self.blank(raw, q)}
        second = {count: f"(length({items}) - length(replace({items}, '|', '')) - 1)"}
        named = []
        for c in q.choices:
            named.append(self.name("named", q.id, c.value))
            second[named[-1]] = "(" + " OR ".join(f"({items} LIKE {self.text('%|' + k + '|%')})"
                                                  for k in sorted(choice_words(c))) + ")"
        matched = " + ".join(f"(CASE WHEN {n} THEN 1 ELSE 0 END)" for n in named) or "0"
        valid = f"({matched}) = {count}"
        if q.min is not None:
            valid += f" AND {count} >= {int(q.min)}"
        if q.max is not None:
            valid += f" AND {count} <= {int(q.max)}"
        third = {}
        for c, n in zip(q.choices, named, strict=True):
            when_blank = "TRUE" if c.value in default else "FALSE"
            # A cell that does not read is a blank one: the default.
            third[self.name("ticked", q.id, c.value)] = (f"(CASE WHEN {blank} THEN {when_blank} WHEN {valid} THEN {n} "
                                                         f"ELSE {when_blank} END)")
        return first, second, third
