"""Scoring rows: the results a ranking keeps, the shared reading loop, and the engine scorer.

Per row a ranking keeps only what sorting and writing need: the deal name, its line and
position in the file, a shared ``Standing`` and a shared reasons tuple, and the amount.
The rest of the row (the columns passed through) is read again from the file when the
ranking is written, so memory does not grow with the width of the export.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate, islice, pairwise, repeat
from typing import Any, Protocol

from dealrescue.core.answers import AnswerProblem, parse_answer
from dealrescue.core.engine import ScoreOutcome, collect_answers, decide, missing_answers
from dealrescue.core.loader import CompiledPlaybook
from dealrescue.core.rank.cells import CellReader, parse_amount
from dealrescue.core.rank.closedates import CloseDates
from dealrescue.core.rank.columns import ColumnMap
from dealrescue.core.rank.order import reason_ranks, tie_signs
from dealrescue.core.rank.skipping import RowSkipper
from dealrescue.errors import AnswerError

REASONS_SHOWN = 3
_CHUNK = 4096


@dataclass(frozen=True)
class RowProblem:
    """A cell that was ignored (``left_out`` False: the row is still ranked) or a row left out."""

    line: int
    column: str
    message: str
    left_out: bool = False
    day_order: bool = False  # a close date read only with the other day/month order: may be said once for all


@dataclass(frozen=True)
class Standing:
    """Scores, bands and verdict. Rows with the same totals share one."""

    totals: tuple[float, ...]  # in the playbook's score order
    bands: tuple[str | None, ...]  # band id per score, in the playbook's score order
    verdict: int  # index into the playbook's verdicts
    rank_key: tuple[float, ...]  # the totals as they sort (see ``tie_signs``), ranking score first


# A ranked row: deal name, line, standing, reasons, position among the file's rows, amount (or None).
RankedRow = tuple[str, int, Standing, tuple[str, ...], int, float | None]


def make_standing(totals: Sequence[float], bands: Sequence[str | None], verdict: int, order: Sequence[int],
                  signs: Sequence[float]) -> Standing:
    return Standing(tuple(totals), tuple(bands), verdict, tuple(signs[i] * totals[i] for i in order))


def reason_topics(compiled: CompiledPlaybook) -> dict[tuple[int, str], str]:
    """(score index, rule source) -> the one question the rule reads, for rules that read one.

    Several rules about one question (``pulse <= 4``, ``4 <= pulse <= 6``) are one reason:
    the one that counted most is shown, never two that read as a contradiction.
    """
    from dealrescue.core.expressions import names_in_condition

    ids = {q.id for q in compiled.playbook.questions}
    topics: dict[tuple[int, str], str] = {}
    for s, score in enumerate(compiled.playbook.scores):
        for rule in score.rules:
            names = names_in_condition(rule.when) & ids
            if len(names) == 1:
                topics[(s, rule.label or rule.when)] = "question " + next(iter(names))
    return topics


def pick_reasons(candidates: Iterable[tuple[Any, ...]]) -> tuple[str, ...]:
    """The first few distinct reasons of sorted (rank, -points, position, source, topic) candidates."""
    picked: list[str] = []
    topics: set[str] = set()
    for candidate in candidates:
        source, topic = candidate[3], candidate[4]
        if source not in picked and topic not in topics:
            picked.append(source)
            topics.add(topic)
            if len(picked) == REASONS_SHOWN:
                break
    return tuple(picked)


def reasons_of(scores: Sequence[ScoreOutcome], ranks: dict[int, int], topics: dict[tuple[int, str], str]) -> tuple[str, ...]:
    """The main reasons: sources of the positive contributions, by ``order.reason_ranks`` (warning
    signs first, then the ranking order).

    Within a score the larger points come first, ties in the engine's order; a
    source (or a question) counted by two scores is named once.
    """
    candidates = []
    for s, rank in sorted(ranks.items(), key=lambda item: item[1]):
        for position, contribution in enumerate(scores[s].contributions):
            if contribution.points > 0:
                source = contribution.source
                candidates.append((rank, -contribution.points, position, source, topics.get((s, source), source)))
    return pick_reasons(sorted(candidates))


class LineReader(Protocol):
    """Rows of cells with the number of lines read so far (what ``csv.reader`` gives)."""

    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...

    def __next__(self) -> list[str]: ...


ProblemSink = Callable[[RowProblem], None]
ProgressSink = Callable[[int], None]


def cell_problem(exc: AnswerProblem, raw: str | None) -> str:
    message = str(exc)
    if raw is None or not raw.strip():
        return message
    text = raw.strip()
    return message if repr(text) in message else f"{message} (got {text!r})"


def _line_span(row: list[str]) -> int:
    """How many lines a row took: one, plus the line breaks inside its quoted cells."""
    return 1 + sum(cell.count("\n") + cell.count("\r") - cell.count("\r\n") for cell in row)


class Scorer:
    """What both scorers share: reading rows in chunks, the row shape checks, the kept results."""

    def __init__(self, compiled: CompiledPlaybook, columns: ColumnMap, order: Sequence[int], today: str,
                 cells: CellReader | None = None) -> None:
        self.compiled = compiled
        self.columns = columns
        self.order = tuple(order)
        self.signs = tie_signs(compiled, self.order)
        self.reason_ranks = reason_ranks(compiled, self.order)
        self.today = today
        self.cell_reader = cells or CellReader()
        self.topics = reason_topics(compiled)
        self.deals: list[str] = []
        self.standings: list[Standing] = []
        self.reasons: list[tuple[str, ...]] = []
        self.lines = array("q")
        self.ordinals = array("q")
        self.amounts = array("d")
        self.bad_rows = 0
        self.ignored_cells = 0
        self.skipper = RowSkipper(compiled, columns)
        self.close_dates = CloseDates(columns, self.cell_reader)
        self._count = 0

    def feed(self, reader: LineReader, on_problem: ProblemSink, on_progress: ProgressSink | None = None) -> None:
        """Score every row ``reader`` gives; problems go to ``on_problem`` in line order."""
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
            ordinals: Sequence[int] = range(self._count, self._count + len(chunk))
            problems: dict[int, list[RowProblem]] = {}
            rows, lines, ordinals = self._shape(chunk, lines, ordinals, end, problems)
            skipped = self.skipper.skipped(rows)
            if skipped:
                keep = [k for k in range(len(rows)) if k not in skipped]
                rows, lines, ordinals = [rows[k] for k in keep], [lines[k] for k in keep], [ordinals[k] for k in keep]
            if rows:
                self._score_chunk(rows, lines, ordinals, problems)
            for line in sorted(problems):
                if any(problem.left_out for problem in problems[line]):
                    self.bad_rows += 1
                for problem in problems[line]:
                    self.ignored_cells += not problem.left_out
                    on_problem(problem)
            self._count += len(chunk)
            if on_progress is not None:
                on_progress(self._count)

    def _keep(self, rows: list[list[str]], deals: list[str], lines: Sequence[int], ordinals: Sequence[int],
              standings: Iterable[Standing], reasons: Iterable[tuple[str, ...]],
              problems: dict[int, list[RowProblem]]) -> None:
        """Keep the scored rows (and their amounts; a bad amount or close date is a warning)."""
        self.deals += deals
        self.standings += standings
        self.reasons += reasons
        self.lines.extend(lines)
        self.ordinals.extend(ordinals)
        index = self.columns.amount
        if index is not None:
            amounts = []
            for row, line in zip(rows, lines, strict=True):
                try:
                    amounts.append(parse_amount(row[index]))
                except AnswerProblem as exc:
                    amounts.append(math.nan)
                    problems.setdefault(line, []).append(
                        RowProblem(line, self.columns.headers[index], f"{cell_problem(exc, row[index])}; amount ignored"))
            self.amounts.extend(amounts)
        for line, message, other_order in self.close_dates.problems(rows, lines):
            problems.setdefault(line, []).append(RowProblem(line, self.close_dates.column, message, day_order=other_order))

    def ranked(self, weighted: bool = False) -> Ranked:
        """The kept rows, ranked: most at risk first (or the largest score times amount with ``weighted``).

        Ties go by deal name (case-blind, then exact), then line. Rows are placed by standing
        first (few, sorted once) into one array of positions, then each standing's run sorted by
        name: a row costs 8 bytes, and only one run's sort keys and ints are alive at a time.
        """
        deals, standings = self.deals, self.standings
        position = {key: n for n, key in enumerate(sorted({s.rank_key for s in standings}))}
        # Rows share few standings: one look-up per standing object, then each row's bucket by its id.
        bucket_of = {id(s): position[s.rank_key] for s in {id(s): s for s in standings}.values()}
        which = array("l", map(bucket_of.__getitem__, map(id, standings)))
        counts = Counter(which)
        starts = list(accumulate((counts[b] for b in range(len(position))), initial=0))
        order = array("q", bytes(8 * len(which)))
        place = starts[:-1]
        for k, bucket in enumerate(which):  # in line order: equal rows keep it (stable sorts)
            order[place[bucket]] = k
            place[bucket] += 1
        del which
        for start, stop in pairwise(starts):
            run = order[start:stop].tolist()
            run.sort(key=deals.__getitem__)  # "ACME" and "Acme": the exact name decides
            run.sort(key=lambda k: deals[k].casefold())
            order[start:stop] = array("q", run)
        if weighted and self.amounts:
            first, amounts = self.order[0], self.amounts
            weighed = sorted(order, key=lambda k: -(standings[k].totals[first] * (0.0 if amounts[k] != amounts[k]
                                                                                   else amounts[k])))
            order = array("q", weighed)
        return Ranked(self, order)

    def _score_chunk(self, rows: list[list[str]], lines: Sequence[int], ordinals: Sequence[int],
                     problems: dict[int, list[RowProblem]]) -> None:
        raise NotImplementedError

    def _shape(
        self, rows: list[list[str]], lines: Sequence[int], ordinals: Sequence[int], last: int,
        problems: dict[int, list[RowProblem]],
    ) -> tuple[list[list[str]], Sequence[int], Sequence[int]]:
        """Rows of the header's width. Blank lines are dropped; a row too short or too long is reported.

        ``last`` is the number of the last line the rows took.
        """
        width = self.columns.width
        if len(rows[0]) == width and len(set(map(len, rows))) == 1:
            return rows, lines, ordinals
        kept: list[list[str]] = []
        kept_lines: list[int] = []
        kept_ordinals: list[int] = []
        for row, line, ordinal in zip(rows, lines, ordinals, strict=True):
            if len(row) > width and not any(cell.strip() for cell in row[width:]):
                row = row[:width]  # trailing empty cells, as some spreadsheets write them
            if len(row) == width:
                kept.append(row)
                kept_lines.append(line)
                kept_ordinals.append(ordinal)
            elif any(cell.strip() for cell in row) and not self.skipper.short_row(row):
                span = _line_span(row)
                # An unclosed quote joins every line up to the next quote into one cell.
                end = min(line + span - 1, last)
                note = f"; the row runs to line {end}: is a quote left open?" if end > line else ""
                if len(row) > width:
                    problem = RowProblem(line, f"{width + 1}", f"a cell beyond the header's {width} columns{note}", True)
                else:
                    column = self.columns.headers[len(row)]
                    problem = RowProblem(line, column, f"missing: the row has {len(row)} cells, the header {width}{note}",
                                         True)
                problems[line] = [problem]
        return kept, kept_lines, kept_ordinals

    def deal_names(self, deals: list[str], rows: list[list[str]]) -> list[str]:
        """Each row's deal name: its deal cell, or when that is blank the first filled account-like cell."""
        fallbacks = self.columns.fallbacks
        if not fallbacks or "" not in deals:
            return deals
        return [deal or next((name for name in (row[i].strip() for i in fallbacks) if name), "")
                for deal, row in zip(deals, rows, strict=True)]

    def quality(self) -> dict[str, int]:
        """What was read and what became of it (the JSON ``quality`` object)."""
        ranked, left_out, skipped = len(self.deals), self.bad_rows, self.skipper.count
        return {"rows": ranked + left_out + skipped, "ranked": ranked, "left_out": left_out, "skipped": skipped,
                "cells": (ranked + left_out) * len(self.columns.questions), "ignored": self.ignored_cells}

    def _deal_problem(self, row: list[str], line: int) -> list[RowProblem] | None:
        """A row with no deal name: blank (skipped, None) or bad."""
        if not any(cell.strip() for cell in row):
            return None
        named = [self.columns.headers[i] for i in (self.columns.deal, *self.columns.fallbacks)]
        return [RowProblem(line, named[0], f"no name: {' and '.join(repr(n) for n in named)} are blank"
                           if len(named) > 1 else "a deal name is required", True)]


class Ranked:
    """A ranking: the scorer's kept rows and the order to write them in."""

    def __init__(self, scorer: Scorer, order: array[int]) -> None:
        self.scorer = scorer
        self.order = order

    def __len__(self) -> int:
        return len(self.order)

    def rows(self, start: int = 0, stop: int | None = None) -> Iterator[RankedRow]:
        """The ranked rows from ``start`` to ``stop``, each read by look-ups in C (no frame per row)."""
        s = self.scorer
        order = self.order[start:stop]
        amounts: Iterable[float | None] = map(_amount, map(s.amounts.__getitem__, order)) if s.amounts else repeat(None)
        return zip(map(s.deals.__getitem__, order), map(s.lines.__getitem__, order),
                   map(s.standings.__getitem__, order), map(s.reasons.__getitem__, order),
                   map(s.ordinals.__getitem__, order), amounts, strict=False)  # amounts may repeat None


def _amount(value: float) -> float | None:
    return None if value != value else value  # NaN: no amount


# --- the reference: the engine, row by row -----------------------------------------------------


class EngineScorer(Scorer):
    """Every row through ``collect_answers`` and ``decide``: slow, and the definition of right.

    A cell that does not parse is read as a blank one (the question's default) and reported;
    the row is left out only when that answer is required and has no default.
    """

    def _score_chunk(self, rows: list[list[str]], lines: Sequence[int], ordinals: Sequence[int],
                     problems: dict[int, list[RowProblem]]) -> None:
        kept: list[list[str]] = []
        kept_at: list[tuple[str, int, int, Standing, tuple[str, ...]]] = []
        for row, line, ordinal in zip(rows, lines, ordinals, strict=True):
            scored, found = self.score_row(row, line)
            if found:
                problems[line] = found
            if scored is not None:
                kept.append(row)
                kept_at.append((self.deal_names([row[self.columns.deal].strip()], [row])[0], line, ordinal, *scored))
        self._keep(kept, [k[0] for k in kept_at], [k[1] for k in kept_at], [k[2] for k in kept_at],
                   [k[3] for k in kept_at], [k[4] for k in kept_at], problems)

    def score_row(self, row: list[str], line: int) -> tuple[tuple[Standing, tuple[str, ...]] | None, list[RowProblem]]:
        """The standing and reasons of one row of the header's width (None: left out or blank), and its problems."""
        columns = self.columns
        deal = self.deal_names([row[columns.deal].strip()], [row])[0]
        if not deal:
            return None, self._deal_problem(row, line) or []
        found: list[RowProblem] = []
        given: dict[str, Any] = {}
        reader = self.cell_reader
        for q in self.compiled.playbook.questions:
            index = columns.questions.get(q.id)
            raw = row[index] if index is not None else ""
            if reader.blank(q, raw):
                continue
            try:
                given[q.id] = parse_answer(q, reader.canonical(q, raw))
            except AnswerProblem as exc:
                # Read as a blank cell (the question's default): a cell never counts against a deal
                # because it could not be read.
                required = q.required and q.default is None
                found.append(RowProblem(line, columns.column_name(q.id), cell_problem(exc, raw), required))
        try:
            answers, asked = collect_answers(self.compiled, given=given, deal=deal, today=self.today, ask=None)
        except AnswerError:
            missing = missing_answers(self.compiled, given=given, deal=deal, today=self.today)
            reported = {problem.column for problem in found}
            missing = [m for m in missing if columns.column_name(m) not in reported]
            return None, found + [RowProblem(line, columns.column_name(m), "an answer is required", True) for m in missing]
        # A cell of a question its `when` skipped is not read, so not reported either.
        names = {columns.column_name(qid) for qid in asked}
        found = [problem for problem in found if problem.column in names]
        if any(problem.left_out for problem in found):
            return None, found
        outcome = decide(self.compiled, answers, asked, deal, self.today)
        standing = make_standing(
            [s.total for s in outcome.scores], [s.band_id for s in outcome.scores], outcome.verdict_index, self.order,
            self.signs,
        )
        return (standing, reasons_of(outcome.scores, self.reason_ranks, self.topics)), found
