"""Ranking many deals at once: header matching, a row's cells to answers, scores, verdict, ordering.

Pure: rows of strings in, ranked rows and row problems out. The edge
(``dealrescue.commands.rank``) reads the CSV file and writes the result. Rank never
builds plans: it needs the scores, their bands, the verdict and the reasons.

Two scorers give identical results (tests hold them to it):

- ``EngineScorer`` runs the engine (``collect_answers`` then ``decide``) on every
  row: the reference, and the fallback for a playbook the fast scorer cannot take
  (``fast_path_obstacle`` says why).
- ``FastScorer`` does the engine's work once per distinct answer instead of once
  per row, and the per-row rest column by column inside ``map`` and ``zip``.

A blank cell means "not answered": the question's default, or no answer.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import accumulate, islice
from operator import add, attrgetter, itemgetter
from typing import Any, Protocol

from dealrescue.core.answers import AnswerProblem, is_empty, parse_answer, scale_bounds
from dealrescue.core.engine import ScoreOutcome, collect_answers, decide, missing_answers
from dealrescue.core.expressions import ExpressionProblem, display_value, names_in_condition
from dealrescue.core.loader import CompiledPlaybook
from dealrescue.core.model import Question, QuestionType
from dealrescue.core.questions import kind_of
from dealrescue.core.schedule import days_until
from dealrescue.errors import AnswerError, UsageError

DEAL_COLUMN = "deal"
# Other names CRM exports give the deal column, by preference; "deal" itself comes first.
DEAL_ALIASES = ("deal_name", "account", "account_name", "opportunity", "opportunity_name", "company", "company_name")
REASONS_SHOWN = 3
# Names a condition may use that are the same for every row.
_CONSTANT_NAMES = frozenset({"today", "playbook"})
# Memo tables stop growing here (a column of unique free text must not fill memory).
_MEMO_LIMIT = 50_000
# Points that are whole multiples of 2**-10 below 2**30 add up exactly in any order,
# so the fast scorer may add them per column instead of in the engine's order.
_EXACT_SCALE = 1024
_EXACT_LIMIT = 2.0**30

_SEPARATORS = re.compile(r"[\s\-]+")


# --- header matching ---------------------------------------------------------------------------


def normalize_header(text: str) -> str:
    """``" Competitor Knocking"`` and ``competitor-knocking`` both become ``competitor_knocking``."""
    return _SEPARATORS.sub("_", text.replace("\ufeff", "").strip().lower())


@dataclass(frozen=True)
class ColumnMap:
    """Which column of the file holds what."""

    source: str
    headers: tuple[str, ...]
    deal: int
    questions: dict[str, int]
    unknown: tuple[int, ...]

    @property
    def width(self) -> int:
        return len(self.headers)

    def column_name(self, question_id: str) -> str:
        """The header as written in the file (the id when the file has no such column)."""
        index = self.questions.get(question_id)
        return self.headers[index] if index is not None else question_id


def match_columns(header: Sequence[str], compiled: CompiledPlaybook, source: str) -> ColumnMap:
    """Map a header row to the deal column and question ids.

    Raises ``UsageError`` when there is no deal column, when two columns mean the same
    thing, or when a required question without a default has no column.
    """
    pb = compiled.playbook
    ids = [q.id for q in pb.questions]
    known = set(ids)
    seen: dict[str, int] = {}
    deal: int | None = None
    questions: dict[str, int] = {}
    unknown: list[int] = []
    for index, text in enumerate(header):
        name = normalize_header(text)
        if name in seen and (name == DEAL_COLUMN or name in known):
            first = header[seen[name]]
            raise UsageError(
                f"{source}: columns {first!r} and {text!r} both give {name}",
                hint="keep one of them, or rename the other",
            )
        seen.setdefault(name, index)
        if name == DEAL_COLUMN:
            deal = index
        elif name in known:
            questions[name] = index
        else:
            unknown.append(index)
    if deal is None:
        alias = next((name for name in DEAL_ALIASES if name in seen and name not in known), None)
        if alias is not None:
            deal = seen[alias]
            unknown.remove(deal)
    if deal is None:
        hint = f"the first row must name the columns: deal, then question ids (dealrescue playbooks show {pb.id} --questions)"
        other = next((sep for sep in (";", "\t", "|") if len(header) == 1 and sep in header[0]), None)
        if other is not None:
            hint = f"the columns seem separated by {other!r}: rank reads comma-separated files, so export with commas"
        raise UsageError(
            f"{source}: no deal column in the header (found: {', '.join(repr(h) for h in header) or 'nothing'})",
            hint=hint,
        )
    missing = [q.id for q in pb.questions if q.required and q.default is None and q.id not in questions]
    if missing:
        raise UsageError(
            f"{source}: no column for required question{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            hint=f"add {'these columns' if len(missing) > 1 else 'this column'} (dealrescue playbooks show {pb.id} "
            "--questions lists them)",
        )
    return ColumnMap(source, tuple(header), deal, questions, tuple(unknown))


def unknown_columns_note(columns: ColumnMap, compiled: CompiledPlaybook) -> str | None:
    """One line naming the columns no question takes, or None."""
    if not columns.unknown:
        return None
    import difflib

    ids = [DEAL_COLUMN] + [q.id for q in compiled.playbook.questions]
    taken = set(columns.questions) | {DEAL_COLUMN}
    free = [i for i in ids if i not in taken]
    named = []
    for index in columns.unknown:
        text = columns.headers[index]
        if not text.strip():
            named.append(f"column {index + 1} (no name)")
            continue
        close = difflib.get_close_matches(normalize_header(text), free, n=1)
        named.append(f"{text!r} (did you mean {close[0]}?)" if close else repr(text))
    plural = "s" if len(named) > 1 else ""
    return (
        f"{columns.source}: ignoring unknown column{plural} {', '.join(named)}; "
        f"playbook {compiled.id} takes: {', '.join(ids)}"
    )


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    line: int
    column: str
    message: str


@dataclass(frozen=True)
class Standing:
    """Scores, bands and verdict. Rows with the same totals share one."""

    totals: tuple[float, ...]  # in the playbook's score order
    bands: tuple[str | None, ...]  # band id per score, in the playbook's score order
    verdict: int  # index into the playbook's verdicts
    rank_key: tuple[float, ...]  # minus the totals, ranking score first: sorts most at risk first


# A ranked row: (deal name casefolded, deal name, line, standing, reasons).
RankedRow = tuple[str, str, int, Standing, tuple[str, ...]]


def score_order(compiled: CompiledPlaybook, by: str | None) -> tuple[int, ...]:
    """Score indexes in ranking order: ``by`` first (if given), then the rest as declared."""
    ids = [s.id for s in compiled.playbook.scores]
    if not ids:
        raise UsageError(
            f"playbook {compiled.id} has no scores, so there is nothing to rank by",
            hint="rank with a playbook that declares scores (pulse does)",
        )
    if by is None:
        return tuple(range(len(ids)))
    if by not in ids:
        raise UsageError(f"--by {by!r}: playbook {compiled.id} has no such score", hint=f"its scores: {', '.join(ids)}")
    first = ids.index(by)
    return (first, *(i for i in range(len(ids)) if i != first))


def _standing(totals: Sequence[float], bands: Sequence[str | None], verdict: int, order: Sequence[int]) -> Standing:
    return Standing(tuple(totals), tuple(bands), verdict, tuple(-totals[i] for i in order))


def _pick_reasons(candidates: Iterable[tuple[Any, ...]]) -> tuple[str, ...]:
    """The first few distinct sources of sorted (rank, -points, position, source) candidates."""
    picked: list[str] = []
    for candidate in candidates:
        source = candidate[3]
        if source not in picked:
            picked.append(source)
            if len(picked) == REASONS_SHOWN:
                break
    return tuple(picked)


def reasons_of(scores: Sequence[ScoreOutcome], order: Sequence[int]) -> tuple[str, ...]:
    """The main reasons: sources of the positive contributions, the ranking score's first.

    Within a score the larger points come first, ties in the engine's order; a
    source counted by two scores is named once.
    """
    candidates = []
    for rank, s in enumerate(order):
        for position, contribution in enumerate(scores[s].contributions):
            if contribution.points > 0:
                candidates.append((rank, -contribution.points, position, contribution.source))
    return _pick_reasons(sorted(candidates))


def rank_rows(rows: list[RankedRow]) -> list[RankedRow]:
    """Sort in place: by the scores in ranking order (highest first), then deal name, then line.

    Rows are put in buckets by standing (few, sorted once), then each bucket is
    sorted by name: fewer string comparisons than sorting every row by name.
    Rows arrive in line order and the sorts are stable, so the same name keeps it.
    """
    standings = {id(standing): standing for standing in map(_STANDING_OF, rows)}
    rank_keys = sorted({standing.rank_key for standing in standings.values()})
    position = {key: n for n, key in enumerate(rank_keys)}
    code = {key: position[standing.rank_key] for key, standing in standings.items()}
    codes = list(map(code.__getitem__, map(id, map(_STANDING_OF, rows))))
    order = sorted(range(len(rows)), key=codes.__getitem__)
    names_repeat = len(set(map(itemgetter(0), rows))) != len(rows)
    counts = Counter(codes)
    ranked: list[RankedRow] = []
    start = 0
    for n in range(len(rank_keys)):
        bucket = list(map(rows.__getitem__, order[start : start + counts[n]]))
        start += counts[n]
        if names_repeat:
            bucket.sort(key=itemgetter(1))  # "ACME" and "Acme": the exact name decides
        bucket.sort(key=itemgetter(0))
        ranked += bucket
    rows[:] = ranked
    return rows


_STANDING_OF = itemgetter(3)


class LineReader(Protocol):
    """Rows of cells with the number of lines read so far (what ``csv.reader`` gives)."""

    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...

    def __next__(self) -> list[str]: ...


ProblemSink = Callable[[RowProblem], None]
ProgressSink = Callable[[int], None]
_CHUNK = 4096


def _cell_problem(exc: AnswerProblem, raw: str | None) -> str:
    message = str(exc)
    if raw is None or not raw.strip():
        return message
    text = raw.strip()
    return message if repr(text) in message else f"{message} (got {text!r})"


def _line_span(row: list[str]) -> int:
    """How many lines a row took: one, plus the line breaks inside its quoted cells."""
    return 1 + sum(cell.count("\n") + cell.count("\r") - cell.count("\r\n") for cell in row)


class Scorer:
    """What both scorers share: reading rows in chunks, the row shape checks, the results."""

    def __init__(self, compiled: CompiledPlaybook, columns: ColumnMap, order: Sequence[int], today: str) -> None:
        self.compiled = compiled
        self.columns = columns
        self.order = tuple(order)
        self.today = today
        self.rows: list[RankedRow] = []
        self.bad_rows = 0

    def feed(self, reader: LineReader, on_problem: ProblemSink, on_progress: ProgressSink | None = None) -> None:
        """Score every row ``reader`` gives; bad rows go to ``on_problem`` in line order."""
        count = 0
        while True:
            start = reader.line_num
            chunk = list(islice(reader, _CHUNK))
            if not chunk:
                return
            end = reader.line_num
            if end - start == len(chunk):
                lines: Sequence[int] = range(start + 1, end + 1)
            else:
                lines = list(accumulate(map(_line_span, chunk), initial=start + 1))[:-1]
            problems: dict[int, list[RowProblem]] = {}
            rows, lines = self._shape(chunk, lines, end, problems)
            if rows:
                self._score_chunk(rows, lines, problems)
            for line in sorted(problems):
                self.bad_rows += 1
                for problem in problems[line]:
                    on_problem(problem)
            count += len(chunk)
            if on_progress is not None:
                on_progress(count)

    def result(self) -> list[RankedRow]:
        return rank_rows(self.rows)

    def _score_chunk(self, rows: list[list[str]], lines: Sequence[int], problems: dict[int, list[RowProblem]]) -> None:
        raise NotImplementedError

    def _shape(
        self, rows: list[list[str]], lines: Sequence[int], last: int, problems: dict[int, list[RowProblem]]
    ) -> tuple[list[list[str]], Sequence[int]]:
        """Rows of the header's width. Blank lines are dropped; a row too short or too long is reported.

        ``last`` is the number of the last line the rows took.
        """
        width = self.columns.width
        if len(rows[0]) == width and len(set(map(len, rows))) == 1:
            return rows, lines
        kept: list[list[str]] = []
        kept_lines: list[int] = []
        for row, line in zip(rows, lines, strict=True):
            if len(row) > width and not any(cell.strip() for cell in row[width:]):
                row = row[:width]  # trailing empty cells, as some spreadsheets write them
            if len(row) == width:
                kept.append(row)
                kept_lines.append(line)
            elif any(cell.strip() for cell in row):
                span = _line_span(row)
                # An unclosed quote joins every line up to the next quote into one cell.
                end = min(line + span - 1, last)
                note = f"; the row runs to line {end}: is a quote left open?" if end > line else ""
                if len(row) > width:
                    problem = RowProblem(line, f"{width + 1}", f"a cell beyond the header's {width} columns{note}")
                else:
                    column = self.columns.headers[len(row)]
                    problem = RowProblem(line, column, f"missing: the row has {len(row)} cells, the header {width}{note}")
                problems[line] = [problem]
        return kept, kept_lines

    def _deal_problem(self, row: list[str], line: int) -> list[RowProblem] | None:
        """A row with no deal name: blank (skipped, None) or bad."""
        if not any(cell.strip() for cell in row):
            return None
        return [RowProblem(line, self.columns.headers[self.columns.deal], "a deal name is required")]


# --- the reference: the engine, row by row -----------------------------------------------------


class EngineScorer(Scorer):
    """Every row through ``collect_answers`` and ``decide``: slow, and the definition of right."""

    def _score_chunk(self, rows: list[list[str]], lines: Sequence[int], problems: dict[int, list[RowProblem]]) -> None:
        for row, line in zip(rows, lines, strict=True):
            scored = self.score_row(row, line)
            if isinstance(scored, list):
                problems[line] = scored
            elif scored is not None:
                deal = row[self.columns.deal].strip()
                standing, reasons = scored
                self.rows.append((deal.casefold(), deal, line, standing, reasons))

    def score_row(self, row: list[str], line: int) -> tuple[Standing, tuple[str, ...]] | list[RowProblem] | None:
        """The standing and reasons of one row of the header's width, its problems, or None for a blank row."""
        columns = self.columns
        deal = row[columns.deal].strip()
        if not deal:
            return self._deal_problem(row, line)
        given = {qid: row[index] for qid, index in columns.questions.items() if not is_empty(row[index])}
        try:
            answers, asked = collect_answers(self.compiled, given=given, deal=deal, today=self.today, ask=None)
        except AnswerError as exc:
            return self._problems(exc, given, deal, line)
        outcome = decide(self.compiled, answers, asked, deal, self.today)
        standing = _standing(
            [s.total for s in outcome.scores], [s.band_id for s in outcome.scores], outcome.verdict_index, self.order
        )
        return standing, reasons_of(outcome.scores, self.order)

    def _problems(self, exc: AnswerError, given: dict[str, str], deal: str, line: int) -> list[RowProblem]:
        """The engine stops at the first bad answer; it is reported in the fast scorer's words."""
        if exc.question_id is not None:
            question = self.compiled.playbook.question(exc.question_id)
            raw = given.get(exc.question_id)
            message = exc.message
            if question is not None:
                try:
                    parse_answer(question, raw if raw is not None else question.default)
                except AnswerProblem as problem:
                    message = _cell_problem(problem, raw)
            return [RowProblem(line, self.columns.column_name(exc.question_id), message)]
        missing = missing_answers(self.compiled, given=given, deal=deal, today=self.today)
        return [RowProblem(line, self.columns.column_name(m), "an answer is required") for m in missing]


# --- the fast scorer ---------------------------------------------------------------------------


def fast_path_obstacle(compiled: CompiledPlaybook) -> str | None:
    """Why the fast scorer cannot take this playbook (None when it can).

    It needs conditions on answers only (not on the deal name, labels, or scores
    before the verdict), and points that add up exactly in any order.
    """
    pb = compiled.playbook
    plain = {q.id for q in pb.questions} | _CONSTANT_NAMES | {"days_until"}
    for path, condition in compiled.conditions.items():
        if not path.startswith(("questions", "scores", "verdicts")):
            continue
        allowed = plain | {"scores", "bands"} if path.startswith("verdicts") else plain
        names = names_in_condition(condition.source)
        if not names <= allowed:
            return f"{path} uses {', '.join(sorted(names - allowed))}"
    points: list[float] = []
    for q in pb.questions:
        for choice in q.choices:
            points += choice.points.values()
        if q.points and q.type is QuestionType.number:
            return f"question {q.id} gives points per number"
        if q.points and q.type is QuestionType.scale:
            low, high = scale_bounds(q)
            points += [w * v for w in q.points.values() for v in (low, high)]
        else:
            points += q.points.values()
    for score in pb.scores:
        points += [rule.points for rule in score.rules]
    for value in points:
        if not (abs(value) < _EXACT_LIMIT and float(value * _EXACT_SCALE).is_integer()):
            return f"points {value} do not add up exactly in any order"
    return None


class FastPathUnavailable(Exception):
    """The playbook needs something the fast scorer does not do (see ``fast_path_obstacle``)."""


class _Memo(dict):  # type: ignore[type-arg]
    """``fn(key)`` computed on first use; stops storing beyond a limit."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        super().__init__()
        self.fn = fn

    def __missing__(self, key: Any) -> Any:
        value = self.fn(key)
        if len(self) < _MEMO_LIMIT:
            self[key] = value
        return value


class _Entry:
    """What one answer to one question brings to a row. Compared by identity: one per answer."""

    __slots__ = ("value", "problem", "parts", "state")

    def __init__(self, value: Any, problem: str | None, parts: tuple[float, ...], state: int) -> None:
        self.value = value  # the answer as the engine holds it
        self.problem = problem  # why the cell is bad, or None
        self.parts = parts  # what it gives each score (a sum's part, or a max's best)
        self.state = state  # its reason candidates, as a reason state id


_NO_PART = -math.inf  # a max score that nothing has reached yet


class FastScorer(Scorer):
    """Identical results to ``EngineScorer``, with the per-row work reduced to look-ups.

    Rows are scored a chunk at a time, column by column, so that the loops over rows
    run inside ``map`` and ``zip``:

    - each distinct cell text of a column is parsed once into an ``_Entry``: the
      answer, the points it gives each score (its choices' points and every rule
      that names only that question), and its reason candidates;
    - the columns with few distinct answers (select, confirm, scale) are combined
      per row in one look-up; the others (multiselect, number, text, date, and
      rules naming several questions) are added on column by column;
    - a distinct set of totals gives bands and the verdict once;
    - reason candidates are ints that sort in the engine's order; a "reason state"
      keeps only the first candidate of each of the first three distinct sources
      (nothing after those can ever be shown), so states are few and merging two
      of them is a look-up.
    """

    def __init__(self, compiled: CompiledPlaybook, columns: ColumnMap, order: Sequence[int], today: str) -> None:
        super().__init__(compiled, columns, order, today)
        obstacle = fast_path_obstacle(compiled)
        if obstacle is not None:
            raise FastPathUnavailable(f"the fast scorer cannot take playbook {compiled.id}: {obstacle}")
        pb = compiled.playbook
        self.questions = pb.questions
        self.qindex = {q.id: i for i, q in enumerate(pb.questions)}
        self.scores = pb.scores
        self.sindex = {s.id: n for n, s in enumerate(pb.scores)}
        self.is_max = tuple(s.combine == "max" for s in pb.scores)
        self.neutral = tuple(_NO_PART if m else 0.0 for m in self.is_max)
        self.rank_of = {s: rank for rank, s in enumerate(self.order)}
        self.constants: dict[str, Any] = {
            "today": today,
            "playbook": {"id": pb.id, "title": pb.title, "version": pb.version},
        }
        self.choice_adds: dict[int, dict[str, list[tuple[int, float, int | None]]]] = {}
        self._place_candidates()
        self._place_rules()
        self._place_verdicts()
        self._place_whens()
        self.none_entries = [self._entry(i, None) for i in range(len(pb.questions))]
        self.by_value = [_Memo(partial(self._entry, i)) for i in range(len(pb.questions))]
        self.cells = [_Memo(partial(self._cell, i)) for i in range(len(pb.questions))]
        self.item_sets: list[dict[frozenset[str], _Entry]] = [{} for _ in pb.questions]
        self.problem_entries: list[set[_Entry]] = [set() for _ in pb.questions]
        self.standings = _Memo(self._standing)
        matters = [i for i in range(len(pb.questions)) if self._gives(i)]
        named = set(self.verdict_refs) | set(self.multi_refs) | {j for refs, _m in self.whens.values() for j in refs}
        # A column is read when its answers count, are named by a condition, or can be wrong.
        self.read = [
            i for i in range(len(pb.questions)) if i in matters or i in named or not _always_fits(self.questions[i])
        ]
        self.narrow = [i for i in matters if kind_of(self.questions[i]).narrow]
        self.wide = [i for i in matters if not kind_of(self.questions[i]).narrow]
        self.groups = _Memo(self._group)

    # -- set-up ----------------------------------------------------------------------------------

    def _names(self, path: str) -> list[str]:
        condition = self.compiled.condition(path)
        names = names_in_condition(condition.source) if condition is not None else set()
        if "days_until" in names:  # it reads the date answers
            names |= {q.id for q in self.questions if q.type is QuestionType.date}
        return sorted(names)

    def _holds(self, path: str, context: dict[str, Any]) -> bool:
        condition = self.compiled.condition(path)
        if condition is None:
            return True
        # As in the engine: days from the plan date to each date answer in this context.
        context = {**context, "days_until": days_until(dt.date.fromisoformat(self.today), self.questions, context)}
        try:
            return condition.holds(context)
        except ExpressionProblem as exc:
            raise self.compiled.problem(path, exc) from None

    def _context(self, entries: Iterable[tuple[int, _Entry]]) -> dict[str, Any]:
        context = dict(self.constants)
        for i, entry in entries:
            context[self.questions[i].id] = entry.value
        return context

    def _place_candidates(self) -> None:
        """Reason candidates as ints that sort like (score rank, -points, the engine's position)."""
        pb = self.compiled.playbook
        # Positions keep the engine's order of contributions within a score:
        # by question, then choice, then per-answer points; rules after every question.
        self.stride = 2 + max(len(q.choices) for q in pb.questions)
        self.rule_base = self.stride * (len(pb.questions) + 1)
        self.positions = self.rule_base + max((len(s.rules) for s in pb.scores), default=0) + 1
        points = [abs(p) for q in pb.questions for c in q.choices for p in c.points.values()]
        points += [abs(r.points) for s in pb.scores for r in s.rules]
        points += [abs(w) * _largest_answer(q) for q in pb.questions for w in q.points.values()]
        self.most = int(max(points, default=0.0) * _EXACT_SCALE) + 1
        self.sources: dict[int, str] = {}
        self.state_ids: dict[tuple[int, ...], int] = {(): 0}
        self.state_codes: list[tuple[int, ...]] = [()]
        self.state_reasons: list[tuple[str, ...]] = [()]
        self.merges = _Memo(self._merges_with)

    def _candidate(self, s: int, position: int, points: float, source: str) -> int:
        code = (self.rank_of[s] * 2 * self.most + (self.most - int(points * _EXACT_SCALE))) * self.positions + position
        self.sources[code] = source
        return code

    def _state(self, candidates: Iterable[int]) -> int:
        """The reason state of some candidates: the first of each of the first distinct sources."""
        kept: list[int] = []
        seen: list[str] = []
        for code in sorted(candidates):
            source = self.sources[code]
            if source not in seen:
                seen.append(source)
                kept.append(code)
                if len(kept) == REASONS_SHOWN:
                    break
        key = tuple(kept)
        found = self.state_ids.get(key)
        if found is None:
            found = len(self.state_codes)
            self.state_ids[key] = found
            self.state_codes.append(key)
            self.state_reasons.append(tuple(seen))
        return found

    def _merges_with(self, state: int) -> _Memo:
        return _Memo(partial(self._merge, state))

    def _merge(self, state: int, other: int) -> int:
        first, second = self.state_codes[state], self.state_codes[other]
        if not second or (len(first) == REASONS_SHOWN and first[-1] < second[0]):
            return state
        if not first or (len(second) == REASONS_SHOWN and second[-1] < first[0]):
            return other
        return self._state(first + second)

    def _place_rules(self) -> None:
        """A rule naming one question goes on that question's entries; one naming none is constant;
        one naming several is a column of its own, derived from theirs."""
        self.single_rules: dict[int, list[tuple[int, int, str]]] = {}
        self.multi_rules: list[tuple[int, int, str]] = []
        multi_refs: set[int] = set()
        parts = list(self.neutral)
        candidates: list[int] = []
        for s, score in enumerate(self.scores):
            for r, rule in enumerate(score.rules):
                path = f"scores[{s}].rules[{r}].when"
                refs = [self.qindex[n] for n in self._names(path) if n in self.qindex]
                if len(refs) == 1:
                    self.single_rules.setdefault(refs[0], []).append((s, r, path))
                elif refs:
                    self.multi_rules.append((s, r, path))
                    multi_refs.update(refs)
                elif self._holds(path, dict(self.constants)):
                    self._add(parts, candidates, s, self.rule_base + r, rule.points, rule.label or rule.when)
        self.const_entry = _Entry(None, None, tuple(parts), self._state(candidates))
        self.multi_refs = sorted(multi_refs)
        self.derived = _Memo(self._derived_entry)

    def _place_verdicts(self) -> None:
        verdicts = self.compiled.playbook.verdicts
        self.default_verdict = max((v for v, verdict in enumerate(verdicts) if verdict.default), default=0)
        names: set[str] = set()
        for v, verdict in enumerate(verdicts):
            if not verdict.default:
                names.update(self._names(f"verdicts[{v}].when"))
        self.verdict_refs = sorted(self.qindex[n] for n in names if n in self.qindex)
        self.bands_sorted = [sorted(score.bands, key=lambda b: b.min) for score in self.scores]
        self.band_mins = [[b.min for b in bands] for bands in self.bands_sorted]

    def _place_whens(self) -> None:
        self.whens: dict[int, tuple[list[int], _Memo]] = {}
        for i, q in enumerate(self.questions):
            if q.when is not None:
                path = f"questions[{i}].when"
                refs = [self.qindex[n] for n in self._names(path) if n in self.qindex]
                self.whens[i] = (refs, _Memo(partial(self._when_holds, path, refs)))

    def _when_holds(self, path: str, refs: list[int], entries: _Entry | tuple[_Entry, ...]) -> bool:
        given = entries if isinstance(entries, tuple) else (entries,)
        return self._holds(path, self._context(zip(refs, given, strict=True)))

    def _gives(self, i: int) -> bool:
        """Whether question ``i``'s answers can add to a score."""
        q = self.questions[i]
        return bool(any(c.points for c in q.choices) or q.points or i in self.single_rules)

    def _add(self, parts: list[float], candidates: list[int], s: int, position: int, points: float,
             source: str) -> None:
        parts[s] = max(parts[s], points) if self.is_max[s] else parts[s] + points
        if points > 0:
            candidates.append(self._candidate(s, position, points, source))

    def _combine(self, first: tuple[float, ...], second: tuple[float, ...]) -> tuple[float, ...]:
        return tuple(max(a, b) if m else a + b for a, b, m in zip(first, second, self.is_max, strict=True))

    # -- entries: one per distinct answer --------------------------------------------------------

    def _cell(self, i: int, raw: str) -> _Entry:
        """The entry for one distinct cell text of question ``i`` (blank: its default)."""
        q = self.questions[i]
        blank = is_empty(raw)
        if q.type is QuestionType.multiselect and not blank:
            # Its answer depends only on the set of items, whatever their order.
            items = frozenset(part.strip() for part in raw.split(",") if part.strip())
            found = self.item_sets[i].get(items)
            if found is not None:
                return found
        try:
            value = parse_answer(q, q.default if blank else raw)
        except AnswerProblem as exc:
            none = self.none_entries[i]
            entry = _Entry(None, _cell_problem(exc, None if blank else raw), none.parts, none.state)
            self.problem_entries[i].add(entry)
            return entry
        key = tuple(value) if isinstance(value, list) else value
        found = self.by_value[i].get(key)
        if found is None:
            found = self._entry(i, value)
            if len(self.by_value[i]) < _MEMO_LIMIT:
                self.by_value[i][key] = found
        if q.type is QuestionType.multiselect and not blank and len(self.item_sets[i]) < _MEMO_LIMIT:
            self.item_sets[i][items] = found
        return found

    def _entry(self, i: int, value: Any) -> _Entry:
        """What answer ``value`` to question ``i`` brings, as the engine counts it."""
        q: Question = self.questions[i]
        parts = list(self.neutral)
        candidates: list[int] = []
        base = self.stride * i
        if value is not None and q.choices:
            chosen = kind_of(q).chosen(q, value)
            adds = self._choice_adds(i)
            for choice_value in chosen:
                for s, points, code in adds.get(choice_value, ()):
                    parts[s] = max(parts[s], points) if self.is_max[s] else parts[s] + points
                    if code is not None:
                        candidates.append(code)
        if value is not None:
            for score_id, weight in q.points.items():
                points = kind_of(q).points(value, weight)
                if points:
                    source = f"{q.prompt} {display_value(value)}"
                    self._add(parts, candidates, self.sindex[score_id], base + len(q.choices), points, source)
        for s, r, path in self.single_rules.get(i, []):
            if self._holds(path, {**self.constants, q.id: value}):
                rule = self.scores[s].rules[r]
                self._add(parts, candidates, s, self.rule_base + r, rule.points, rule.label or rule.when)
        return _Entry(value, None, tuple(parts), self._state(candidates))

    def _choice_adds(self, i: int) -> dict[str, list[tuple[int, float, int | None]]]:
        """Per choice value of question ``i``: (score, points, reason candidate) for each of its points."""
        adds = self.choice_adds.get(i)
        if adds is None:
            adds = {}
            base = self.stride * i
            for c, choice in enumerate(self.questions[i].choices):
                adds[choice.value] = [
                    (self.sindex[score_id], points,
                     self._candidate(self.sindex[score_id], base + c, points, choice.label) if points > 0 else None)
                    for score_id, points in choice.points.items()
                ]
            self.choice_adds[i] = adds
        return adds

    def _derived_entry(self, entries: tuple[_Entry, ...]) -> _Entry:
        """What the rules naming several questions bring, for one combination of their answers."""
        parts = list(self.neutral)
        candidates: list[int] = []
        context = self._context(zip(self.multi_refs, entries, strict=True))
        for s, r, path in self.multi_rules:
            if self._holds(path, context):
                rule = self.scores[s].rules[r]
                self._add(parts, candidates, s, self.rule_base + r, rule.points, rule.label or rule.when)
        return _Entry(None, None, tuple(parts), self._state(candidates))

    def _group(self, entries: tuple[_Entry, ...]) -> _Entry:
        """The constant rules and the narrow columns of a row, combined into one entry."""
        parts = self.const_entry.parts
        state = self.const_entry.state
        for entry in entries:
            parts = self._combine(parts, entry.parts)
            state = self.merges[state][entry.state]
        return _Entry(None, None, parts, state)

    def _standing(self, key: tuple[Any, ...]) -> Standing:
        """Bands and verdict for one set of totals, then the entries of the questions the verdicts name."""
        count = len(self.scores)
        totals = [0.0 if part == _NO_PART else part for part in key[:count]]
        bands = []
        for s, total in enumerate(totals):
            index = bisect_right(self.band_mins[s], total)
            bands.append(self.bands_sorted[s][index - 1].id if index else None)
        context = self._context(zip(self.verdict_refs, key[count:], strict=True))
        context["scores"] = {score.id: totals[s] for s, score in enumerate(self.scores)}
        context["bands"] = {score.id: bands[s] for s, score in enumerate(self.scores)}
        verdict = self.default_verdict
        for v, candidate in enumerate(self.compiled.playbook.verdicts):
            if not candidate.default and self._holds(f"verdicts[{v}].when", context):
                verdict = v
                break
        return _standing(totals, bands, verdict, self.order)

    # -- a chunk of rows -------------------------------------------------------------------------

    def _score_chunk(self, rows: list[list[str]], lines: Sequence[int], problems: dict[int, list[RowProblem]]) -> None:
        columns = self.columns
        cells = list(zip(*rows, strict=True))
        blank = ("",) * len(rows)
        deals = list(map(str.strip, cells[columns.deal]))
        unread = [self.none_entries[0]] * len(rows)
        entries: list[list[_Entry]] = [unread] * len(self.questions)
        for i in self.read:
            index = columns.questions.get(self.questions[i].id)
            column = list(map(self.cells[i].__getitem__, blank if index is None else cells[index]))
            when = self.whens.get(i)
            if when is not None:
                refs, memo = when
                keys = entries[refs[0]] if len(refs) == 1 else zip(*[entries[j] for j in refs], strict=True)
                asked = list(map(memo.__getitem__, keys))
                if not all(asked):
                    skipped = self.none_entries[i]
                    column = [entry if ask else skipped for entry, ask in zip(column, asked, strict=True)]
            entries[i] = column
        bad = self._bad_rows(rows, lines, deals, entries, problems)
        count = len(rows)
        if bad:
            keep = [k for k in range(count) if k not in bad]
            deals = [deals[k] for k in keep]
            lines = [lines[k] for k in keep]
            entries = [[column[k] for k in keep] for column in entries]
            count = len(keep)
            if not count:
                return
        if self.narrow:
            groups = list(map(self.groups.__getitem__, zip(*[entries[i] for i in self.narrow], strict=True)))
        else:
            groups = [self.const_entry] * count
        wide = [entries[i] for i in self.wide]
        if self.multi_rules:
            wide.append(list(map(self.derived.__getitem__, zip(*[entries[j] for j in self.multi_refs], strict=True))))
        totals = []
        for s, is_max in enumerate(self.is_max):
            part = itemgetter(s)
            total: Iterable[float] = map(part, map(_PARTS, groups))
            for column in wide:
                total = map(max if is_max else add, total, map(part, map(_PARTS, column)))
            totals.append(total)
        keys = zip(*totals, *[entries[j] for j in self.verdict_refs], strict=True)
        standings = list(map(self.standings.__getitem__, keys))
        states: Iterable[int] = map(_STATE, groups)
        for column in wide:
            states = map(dict.__getitem__, map(self.merges.__getitem__, states), map(_STATE, column))
        reasons = map(self.state_reasons.__getitem__, states)
        self.rows.extend(zip(map(str.casefold, deals), deals, lines, standings, reasons, strict=True))

    def _bad_rows(
        self,
        rows: list[list[str]],
        lines: Sequence[int],
        deals: list[str],
        entries: list[list[_Entry]],
        problems: dict[int, list[RowProblem]],
    ) -> set[int]:
        """Indexes of rows with a problem (reported into ``problems``) or blank (dropped)."""
        suspects = {k for k, deal in enumerate(deals) if not deal} if "" in deals else set()
        for i, column in enumerate(entries):
            known = self.problem_entries[i]
            if known and not known.isdisjoint(column):
                suspects.update(k for k, entry in enumerate(column) if entry in known)
        for k in suspects:
            found = self._deal_problem(rows[k], lines[k]) if not deals[k] else []
            if found is None:
                continue  # a blank row
            for i, column in enumerate(entries):
                problem = column[k].problem
                if problem is not None:
                    found.append(RowProblem(lines[k], self.columns.column_name(self.questions[i].id), problem))
            problems[lines[k]] = found
        return suspects


def _always_fits(question: Question) -> bool:
    """A text answer with no rules of its own: any cell fits, so the column need not be read."""
    text = question.type in (QuestionType.text, QuestionType.multiline)
    unchecked = question.min is None and question.max is None and question.pattern is None
    return text and unchecked and (not question.required or question.default is not None)


def _largest_answer(question: Question) -> float:
    """The largest size of an answer that points multiply (a scale's ends, or 1 for yes)."""
    low, high = scale_bounds(question)
    return max(abs(low), abs(high), 1.0)


_PARTS = attrgetter("parts")
_STATE = attrgetter("state")


def make_scorer(
    compiled: CompiledPlaybook, columns: ColumnMap, order: Sequence[int], today: str, *, engine: bool = False
) -> Scorer:
    """The fast scorer when the playbook allows it (unless ``engine``), else the engine."""
    if not engine:
        try:
            return FastScorer(compiled, columns, order, today)
        except FastPathUnavailable:
            pass
    return EngineScorer(compiled, columns, order, today)
