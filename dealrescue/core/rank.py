"""Ranking many deals at once: header matching, a row's cells to answers, scores, verdict, ordering.

Pure: rows of strings in, ranked rows and row problems out. The edge
(``dealrescue.ranking``) reads the CSV file and writes the result.

Two scorers give identical results:

- ``EngineScorer`` runs the engine (``collect_answers`` then ``decide``) on every
  row. It is the reference, and the fallback for a playbook the fast scorer
  cannot take (see ``fast_path_obstacle``).
- ``FastScorer`` does the same work once per distinct cell instead of once per
  row: each column keeps, per distinct cell text, the parsed answer, the points
  it gives each score (its choices' points, and every score rule that names
  only that question) and its share of the reasons. A condition is evaluated
  once per distinct set of the values it names. Per row, what is left is a few
  dictionary look-ups and sums. Rank never builds plans.

A blank cell means "not answered": the question's default, or no answer.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from typing import Any, NamedTuple, Protocol

from dealrescue.core.answers import AnswerProblem, is_empty, parse_answer
from dealrescue.core.engine import ScoreOutcome, collect_answers, decide, missing_answers
from dealrescue.core.expressions import ExpressionProblem, display_value, names_in_condition
from dealrescue.core.loader import CompiledPlaybook
from dealrescue.core.model import Question, QuestionType
from dealrescue.errors import AnswerError, PlaybookError, UsageError

DEAL_COLUMN = "deal"
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
        raise UsageError(
            f"{source}: no deal column in the header (found: {', '.join(repr(h) for h in header) or 'nothing'})",
            hint=f"the first row must name the columns: deal, then question ids (dealrescue playbooks show {pb.id})",
        )
    missing = [q.id for q in pb.questions if q.required and q.default is None and q.id not in questions]
    if missing:
        raise UsageError(
            f"{source}: no column for required question{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            hint=f"add {'these columns' if len(missing) > 1 else 'this column'} (dealrescue playbooks show {pb.id} "
            "lists the questions)",
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


class RankedRow(NamedTuple):
    """One deal's result. ``key`` orders rows: most at risk first, then by deal name."""

    key: tuple[Any, ...]
    deal: str
    line: int
    totals: tuple[float, ...]  # in the playbook's score order
    bands: tuple[str | None, ...]  # band id per score, in the playbook's score order
    verdict: int  # index into the playbook's verdicts
    reasons: tuple[str, ...]


def score_order(compiled: CompiledPlaybook, by: str | None) -> tuple[int, ...]:
    """Score indexes in ranking order: ``by`` first (if given), then the rest as declared."""
    scores = compiled.playbook.scores
    ids = [s.id for s in scores]
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


def _sort_key(totals: Sequence[float], order: Sequence[int], deal: str, line: int) -> tuple[Any, ...]:
    return (*(-totals[i] for i in order), deal.casefold(), deal, line)


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


def ranked(rows: list[RankedRow]) -> list[RankedRow]:
    rows.sort()
    return rows


class LineReader(Protocol):
    """Rows of cells with the line number reached (what ``csv.reader`` gives)."""

    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...


ProblemSink = Callable[[RowProblem], None]
ProgressSink = Callable[[int], None]
_PROGRESS_EVERY = 8192


class Scorer:
    """What both scorers share: the column map, the row shape checks, the results."""

    def __init__(self, compiled: CompiledPlaybook, columns: ColumnMap, order: Sequence[int], today: str) -> None:
        self.compiled = compiled
        self.columns = columns
        self.order = tuple(order)
        self.today = today
        self.rows: list[RankedRow] = []
        self.bad_rows = 0

    def feed(self, reader: LineReader, on_problem: ProblemSink, on_progress: ProgressSink | None = None) -> None:
        raise NotImplementedError

    def result(self) -> list[RankedRow]:
        return ranked(self.rows)

    def _shape(self, row: list[str], line: int, on_problem: ProblemSink) -> list[str] | None:
        """A row of the header's width, or None (a blank line, or a bad row already reported)."""
        width = self.columns.width
        if not any(cell.strip() for cell in row):
            return None
        if len(row) > width:
            extra = next(i for i in range(width, len(row)) if row[i].strip()) if any(
                cell.strip() for cell in row[width:]
            ) else None
            if extra is None:
                return row[:width]
            self._bad(on_problem, [RowProblem(line, f"{extra + 1}", f"a cell beyond the header's {width} columns")])
            return None
        if len(row) < width:
            name = self.columns.headers[len(row)]
            self._bad(on_problem, [RowProblem(line, name, f"missing: the row has {len(row)} cells, the header {width}")])
            return None
        return row

    def _bad(self, on_problem: ProblemSink, problems: list[RowProblem]) -> None:
        self.bad_rows += 1
        for problem in problems:
            on_problem(problem)


def _cell_problem(exc: AnswerProblem, raw: str | None) -> str:
    message = str(exc)
    if raw is None or not raw.strip():
        return message
    text = raw.strip()
    return message if repr(text) in message else f"{message} (got {text!r})"


# --- the reference: the engine, row by row -----------------------------------------------------


class EngineScorer(Scorer):
    """Every row through ``collect_answers`` and ``decide``: slow, and the definition of right."""

    def score_row(self, row: list[str], line: int) -> RankedRow | list[RowProblem]:
        columns = self.columns
        deal = row[columns.deal].strip()
        if not deal:
            return [RowProblem(line, columns.headers[columns.deal], "a deal name is required")]
        given = {qid: row[index] for qid, index in columns.questions.items() if not is_empty(row[index])}
        try:
            answers, asked = collect_answers(self.compiled, given=given, deal=deal, today=self.today, ask=None)
        except AnswerError as exc:
            return self._problems(exc, given, deal, line)
        outcome = decide(self.compiled, answers, asked, deal, self.today)
        totals = tuple(s.total for s in outcome.scores)
        return RankedRow(
            _sort_key(totals, self.order, deal, line),
            deal,
            line,
            totals,
            tuple(s.band_id for s in outcome.scores),
            outcome.verdict_index,
            reasons_of(outcome.scores, self.order),
        )

    def _problems(self, exc: AnswerError, given: dict[str, str], deal: str, line: int) -> list[RowProblem]:
        pb = self.compiled.playbook
        if exc.question_id is not None:
            question = pb.question(exc.question_id)
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

    def feed(self, reader: LineReader, on_problem: ProblemSink, on_progress: ProgressSink | None = None) -> None:
        width = self.columns.width
        previous = reader.line_num
        for count, row in enumerate(reader, 1):
            line, previous = previous + 1, reader.line_num
            if on_progress is not None and not count % _PROGRESS_EVERY:
                on_progress(count)
            if len(row) != width or not row[self.columns.deal].strip():
                shaped = self._shape(row, line, on_problem)
                if shaped is None:
                    continue
                row = shaped
            outcome = self.score_row(row, line)
            if isinstance(outcome, list):
                self._bad(on_problem, outcome)
            else:
                self.rows.append(outcome)


# --- the fast scorer ---------------------------------------------------------------------------


def fast_path_obstacle(compiled: CompiledPlaybook) -> str | None:
    """Why the fast scorer cannot take this playbook (None when it can)."""
    pb = compiled.playbook
    ids = {q.id for q in pb.questions}
    plain = ids | _CONSTANT_NAMES
    for path, condition in compiled.conditions.items():
        if path.startswith(("plan", "talk_tracks", "emails", "sections", "followups")):
            continue
        allowed = plain | {"scores", "bands"} if path.startswith("verdicts") else plain
        names = names_in_condition(condition.source)
        if not names <= allowed:
            return f"{path} uses {', '.join(sorted(names - allowed))}"
    points: list[float] = []
    for q in pb.questions:
        for choice in q.choices:
            points += choice.points.values()
        if q.points:
            if q.type is QuestionType.number:
                return f"question {q.id} gives points per number"
            if q.type is QuestionType.scale:
                low = q.min if q.min is not None else 1
                high = q.max if q.max is not None else 10
                points += [w * v for w in q.points.values() for v in (low, high)]
            else:
                points += q.points.values()
    for score in pb.scores:
        points += [rule.points for rule in score.rules]
    for value in points:
        if not (abs(value) < _EXACT_LIMIT and float(value * _EXACT_SCALE).is_integer()):
            return f"points {value} do not add up exactly in any order"
    return None


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


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


# An entry: what one answer (one distinct cell of one column) brings to a row.
# (key, value, problem, reason candidates, part of score 0, part of score 1, ...)
_KEY, _VALUE, _PROBLEM, _CANDIDATES, _PARTS = 0, 1, 2, 3, 4
_NO_PART = -math.inf  # a max score with nothing from this answer


class FastScorer(Scorer):
    """Identical results to ``EngineScorer``, with the per-row work reduced to look-ups."""

    def __init__(self, compiled: CompiledPlaybook, columns: ColumnMap, order: Sequence[int], today: str) -> None:
        super().__init__(compiled, columns, order, today)
        obstacle = fast_path_obstacle(compiled)
        if obstacle is not None:
            raise ValueError(f"the fast scorer cannot take playbook {compiled.id}: {obstacle}")
        pb = compiled.playbook
        self.questions = pb.questions
        self.qindex = {q.id: i for i, q in enumerate(pb.questions)}
        self.scores = pb.scores
        self.is_max = [s.combine == "max" for s in pb.scores]
        self.rank_of = {s: rank for rank, s in enumerate(self.order)}
        self.constants: dict[str, Any] = {
            "today": today,
            "playbook": {"id": pb.id, "title": pb.title, "version": pb.version},
        }
        # Positions keep the engine's order of contributions within a score.
        self.stride = 2 + max(len(q.choices) for q in pb.questions)
        self.rule_base = self.stride * (len(pb.questions) + 1)
        self._sort_rules()
        self._sort_bands()
        self._sort_verdicts()
        self._sort_whens()
        self.none_entries = [self._entry(i, None) for i in range(len(pb.questions))]
        self.by_value = [_Memo(lambda value, i=i: self._entry(i, value)) for i in range(len(pb.questions))]  # type: ignore[misc]
        self.cells = [_Memo(lambda raw, i=i: self._cell(i, raw)) for i in range(len(pb.questions))]  # type: ignore[misc]

    # -- set-up ----------------------------------------------------------------------------------

    def _names(self, path: str) -> list[str]:
        condition = self.compiled.condition(path)
        return sorted(names_in_condition(condition.source)) if condition is not None else []

    def _holds(self, path: str, context: dict[str, Any]) -> bool:
        condition = self.compiled.condition(path)
        if condition is None:
            return True
        try:
            return condition.holds(context)
        except ExpressionProblem as exc:
            raise PlaybookError([f"{self.compiled.source}: {path}: {exc}"]) from None

    def _sort_rules(self) -> None:
        """Each score rule goes where it is cheapest: on its one question, constant, or per row."""
        self.single_rules: dict[int, list[tuple[int, int, str]]] = {}
        self.row_rules: list[tuple[int, int, str, list[int]]] = []
        const_parts = [(_NO_PART if m else 0.0) for m in self.is_max]
        const_candidates: list[tuple[Any, ...]] = []
        for s, score in enumerate(self.scores):
            for r, rule in enumerate(score.rules):
                path = f"scores[{s}].rules[{r}].when"
                refs = [self.qindex[n] for n in self._names(path) if n in self.qindex]
                if len(refs) == 1:
                    self.single_rules.setdefault(refs[0], []).append((s, r, path))
                elif refs:
                    self.row_rules.append((s, r, path, refs))
                elif self._holds(path, dict(self.constants)):
                    const_parts[s] = self._combine(s, const_parts[s], rule.points)
                    const_candidates += self._candidate(s, self.rule_base + r, rule.points, rule.label or rule.when)
        self.const_parts = const_parts
        self.const_candidates = tuple(const_candidates)
        self.row_rule_memo: dict[tuple[Any, ...], bool] = {}

    def _sort_bands(self) -> None:
        self.band_mins = []
        self.band_ids: list[list[str | None]] = []
        for score in self.scores:
            ordered = sorted(score.bands, key=lambda b: b.min)
            self.band_mins.append([b.min for b in ordered])
            self.band_ids.append([None] + [b.id for b in ordered])
        self.band_memo = [_Memo(lambda total, s=s: self.band_ids[s][bisect_right(self.band_mins[s], total)])
                          for s in range(len(self.scores))]  # type: ignore[misc]

    def _sort_verdicts(self) -> None:
        verdicts = self.compiled.playbook.verdicts
        self.default_verdict = max((v for v, verdict in enumerate(verdicts) if verdict.default), default=0)
        names: set[str] = set()
        for v, verdict in enumerate(verdicts):
            if not verdict.default:
                names.update(self._names(f"verdicts[{v}].when"))
        self.verdict_refs = sorted(self.qindex[n] for n in names if n in self.qindex)
        self.verdict_scores = "scores" in names
        self.verdict_bands = "bands" in names
        self.verdict_memo: dict[tuple[Any, ...], int] = {}

    def _sort_whens(self) -> None:
        self.whens: list[tuple[int, str, list[int], dict[tuple[Any, ...], bool]]] = []
        for i, q in enumerate(self.questions):
            if q.when is None:
                continue
            path = f"questions[{i}].when"
            refs = [self.qindex[n] for n in self._names(path) if n in self.qindex]
            self.whens.append((i, path, refs, {}))

    def _combine(self, s: int, part: float, points: float) -> float:
        return max(part, points) if self.is_max[s] else part + points

    def _candidate(self, s: int, position: int, points: float, source: str) -> list[tuple[Any, ...]]:
        return [(self.rank_of[s], -points, position, source)] if points > 0 else []

    def _cell(self, i: int, raw: str) -> tuple[Any, ...]:
        """The entry for one distinct cell text of question ``i`` (blank: its default)."""
        q = self.questions[i]
        blank = is_empty(raw)
        try:
            value = parse_answer(q, q.default if blank else raw)
        except AnswerProblem as exc:
            return (None, None, _cell_problem(exc, None if blank else raw), *self.none_entries[i][_CANDIDATES:])
        return self.by_value[i][_frozen(value)] if not isinstance(value, list) else self._entry_for_list(i, value)

    def _entry_for_list(self, i: int, value: list[str]) -> tuple[Any, ...]:
        key = tuple(value)
        entry = self.by_value[i].get(key)
        if entry is None:
            entry = self._entry(i, value)
            self.by_value[i][key] = entry
        return entry  # type: ignore[no-any-return]

    def _entry(self, i: int, value: Any) -> tuple[Any, ...]:
        """What answer ``value`` to question ``i`` brings, in the engine's order of contributions."""
        q: Question = self.questions[i]
        parts = list(self.const_parts_zero())
        candidates: list[tuple[Any, ...]] = []
        sindex = {s.id: n for n, s in enumerate(self.scores)}
        base = self.stride * i

        def add(score_id_or_index: str | int, position: int, points: float, source: str) -> None:
            s = sindex[score_id_or_index] if isinstance(score_id_or_index, str) else score_id_or_index
            parts[s] = self._combine(s, parts[s], points)
            candidates.extend(self._candidate(s, position, points, source))

        if value is not None:
            for c, choice in enumerate(q.choices):
                chosen = value == choice.value if q.type is QuestionType.select else choice.value in value
                if chosen:
                    for score_id, points in choice.points.items():
                        add(score_id, base + c, points, choice.label)
            for score_id, weight in q.points.items():
                points = (weight if value else 0.0) if q.type is QuestionType.confirm else weight * float(value)
                if points:
                    add(score_id, base + len(q.choices), points, f"{q.prompt} {display_value(value)}")
        for s, r, path in self.single_rules.get(i, []):
            if self._holds(path, {**self.constants, q.id: value}):
                rule = self.scores[s].rules[r]
                add(s, self.rule_base + r, rule.points, rule.label or rule.when)
        candidates.sort()
        kept = _keep_distinct(candidates)
        return (_frozen(value), value, None, kept, *parts)

    def const_parts_zero(self) -> list[float]:
        return [(_NO_PART if m else 0.0) for m in self.is_max]

    # -- the rows --------------------------------------------------------------------------------

    def feed(self, reader: LineReader, on_problem: ProblemSink, on_progress: ProgressSink | None = None) -> None:
        columns = self.columns
        width = columns.width
        deal_index = columns.deal
        # Absent columns read a blank cell appended to each row: blank means the default.
        picks = [columns.questions.get(q.id, width) for q in self.questions]
        pad = width in picks
        pick = itemgetter(*picks) if len(picks) > 1 else (lambda row, p=picks[0]: (row[p],))
        caches = self.cells
        lookup = dict.__getitem__
        problem_of = itemgetter(_PROBLEM)
        candidates_of = itemgetter(_CANDIDATES)
        whens = self.whens
        none_entries = self.none_entries
        score_range = range(len(self.scores))
        part_of = [itemgetter(_PARTS + s) for s in score_range]
        is_max = self.is_max
        const_parts = self.const_parts
        const_candidates = self.const_candidates
        row_rules = self.row_rules
        band_memo = self.band_memo
        order = self.order
        results = self.rows
        append = results.append
        verdict_of = self._verdict
        previous = reader.line_num
        for count, row in enumerate(reader, 1):
            line, previous = previous + 1, reader.line_num
            if on_progress is not None and not count % _PROGRESS_EVERY:
                on_progress(count)
            deal = row[deal_index].strip() if len(row) == width else ""
            if not deal:
                shaped = self._shape(row, line, on_problem)
                if shaped is None:
                    continue
                row = shaped
                deal = row[deal_index].strip()
            if pad:
                row.append("")
            entries = list(map(lookup, caches, pick(row)))
            for i, path, refs, memo in whens:
                key = tuple([entries[j][_KEY] for j in refs])
                holds = memo.get(key)
                if holds is None:
                    holds = self._holds(path, {**self.constants, **{self.questions[j].id: entries[j][_VALUE] for j in refs}})
                    if len(memo) < _MEMO_LIMIT:
                        memo[key] = holds
                if not holds:
                    entries[i] = none_entries[i]
            if not deal or any(map(problem_of, entries)):
                self._report(entries, deal, line, on_problem)
                continue
            totals = []
            for s in score_range:
                if is_max[s]:
                    total = max(max(map(part_of[s], entries)), const_parts[s])
                else:
                    total = sum(map(part_of[s], entries)) + const_parts[s]
                totals.append(total)
            candidates = list(chain(const_candidates, *map(candidates_of, entries)))
            if row_rules:
                self._row_rules(entries, totals, candidates)
            for s in score_range:
                if totals[s] == _NO_PART:
                    totals[s] = 0.0
            bands = tuple([band_memo[s][totals[s]] for s in score_range])
            candidates.sort()
            append(
                RankedRow(
                    (*[-totals[s] for s in order], deal.casefold(), deal, line),
                    deal,
                    line,
                    tuple(totals),
                    bands,
                    verdict_of(entries, totals, bands),
                    _pick_reasons(candidates),
                )
            )

    def _row_rules(self, entries: list[tuple[Any, ...]], totals: list[float], candidates: list[tuple[Any, ...]]) -> None:
        for s, r, path, refs in self.row_rules:
            key = (r, s, *[entries[j][_KEY] for j in refs])
            holds = self.row_rule_memo.get(key)
            if holds is None:
                context = {**self.constants, **{self.questions[j].id: entries[j][_VALUE] for j in refs}}
                holds = self._holds(path, context)
                if len(self.row_rule_memo) < _MEMO_LIMIT:
                    self.row_rule_memo[key] = holds
            if holds:
                rule = self.scores[s].rules[r]
                totals[s] = self._combine(s, totals[s], rule.points)
                candidates.extend(self._candidate(s, self.rule_base + r, rule.points, rule.label or rule.when))

    def _verdict(self, entries: list[tuple[Any, ...]], totals: list[float], bands: tuple[str | None, ...]) -> int:
        key = (
            *[entries[j][_KEY] for j in self.verdict_refs],
            tuple(totals) if self.verdict_scores else None,
            bands if self.verdict_bands else None,
        )
        found = self.verdict_memo.get(key)
        if found is not None:
            return found
        context: dict[str, Any] = {**self.constants, **{self.questions[j].id: entries[j][_VALUE] for j in self.verdict_refs}}
        context["scores"] = {s.id: totals[n] for n, s in enumerate(self.scores)}
        context["bands"] = {s.id: bands[n] for n, s in enumerate(self.scores)}
        chosen = self.default_verdict
        for v, verdict in enumerate(self.compiled.playbook.verdicts):
            if not verdict.default and self._holds(f"verdicts[{v}].when", context):
                chosen = v
                break
        if len(self.verdict_memo) < _MEMO_LIMIT:
            self.verdict_memo[key] = chosen
        return chosen

    def _report(self, entries: list[tuple[Any, ...]], deal: str, line: int, on_problem: ProblemSink) -> None:
        problems = []
        if not deal:
            problems.append(RowProblem(line, self.columns.headers[self.columns.deal], "a deal name is required"))
        for q, entry in zip(self.questions, entries):
            if entry[_PROBLEM] is not None:
                problems.append(RowProblem(line, self.columns.column_name(q.id), entry[_PROBLEM]))
        self._bad(on_problem, problems)


def _keep_distinct(candidates: list[tuple[Any, ...]]) -> tuple[tuple[Any, ...], ...]:
    """Sorted candidates up to the last distinct source that could be shown (the rest never is)."""
    kept: list[tuple[Any, ...]] = []
    sources: set[str] = set()
    for candidate in candidates:
        if candidate[3] not in sources:
            if len(sources) == REASONS_SHOWN:
                break
            sources.add(candidate[3])
        kept.append(candidate)
    return tuple(kept)


def make_scorer(
    compiled: CompiledPlaybook, columns: ColumnMap, order: Sequence[int], today: str, *, engine: bool = False
) -> Scorer:
    """The fast scorer when the playbook allows it (or unless ``engine``), else the engine."""
    if not engine and fast_path_obstacle(compiled) is None:
        return FastScorer(compiled, columns, order, today)
    return EngineScorer(compiled, columns, order, today)
