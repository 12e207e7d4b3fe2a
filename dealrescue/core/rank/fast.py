"""The fast scorer: the engine's own rules, precomputed into look-up tables.

Identical results to ``EngineScorer`` (tests hold them to it). Nothing here restates a
rule: what an answer or a rule gives, how parts join, the bands and the reasons' order come
from the playbook's ``Scoring`` description (built from the engine's functions); conditions
and verdicts from ``rules.guard`` and ``rules.pick_verdict``. What is new is only when they
are called: once per distinct answer (or set of totals) instead of once per row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from functools import partial
from operator import attrgetter
from typing import Any

from dealrescue.core import engine as rules
from dealrescue.core.answers import AnswerProblem, parse_answer
from dealrescue.core.expressions import names_in_condition
from dealrescue.core.loader import CompiledPlaybook
from dealrescue.core.model import Question
from dealrescue.core.questions import kind_of
from dealrescue.core.rank.cells import CellReader
from dealrescue.core.rank.columns import ColumnMap
from dealrescue.core.rank.folds import FOLD, Folds
from dealrescue.core.rank.reasons import ReasonStates
from dealrescue.core.rank.scorer import (
    EngineScorer,
    RowProblem,
    Scorer,
    Standing,
    cell_problem,
    make_standing,
)
from dealrescue.core.rank.scoring import Part, Scoring
from dealrescue.core.rank.tables import (
    MEMO_LIMIT,
    Entry,
    FastPathUnavailable,
    Memo,
    always_fits,
    fast_path_obstacle,
)
from dealrescue.core.schedule import days_until

# Narrow columns folded together per memo (see FastScorer.__init__).
NARROW_CHUNK = 3


class FastScorer(Scorer, ReasonStates, Folds):
    """Identical results to ``EngineScorer``, with the per-row work reduced to look-ups.

    Rows are scored a chunk at a time, column by column, so that the loops over rows
    run inside ``map`` and ``zip``:

    - each distinct cell text of a column is parsed once into an ``Entry``: the
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

    def __init__(self, compiled: CompiledPlaybook, columns: ColumnMap, order: Sequence[int], today: str,
                 cells: CellReader | None = None) -> None:
        super().__init__(compiled, columns, order, today, cells)
        obstacle = fast_path_obstacle(compiled)
        if obstacle is not None:
            raise FastPathUnavailable(f"the fast scorer cannot take playbook {compiled.id}: {obstacle}")
        pb = compiled.playbook
        self._plan_date = dt.date.fromisoformat(today)
        self.scoring = Scoring(compiled)
        self.questions = pb.questions
        self.qindex = {q.id: i for i, q in enumerate(pb.questions)}
        self.scores = pb.scores
        self.joins = tuple(table.join for table in self.scoring.scores)
        self.neutral = tuple(table.start for table in self.scoring.scores)
        self.rank_of = self.reason_ranks
        self.constants: dict[str, Any] = {
            "today": today,
            "playbook": {"id": pb.id, "title": pb.title, "version": pb.version},
        }
        self._place_candidates()
        self._place_folds()
        self._place_rules()
        self._place_verdicts()
        self._place_whens()
        self.none_entries = [self._entry(i, None) for i in range(len(pb.questions))]
        self.by_value = [Memo(partial(self._entry, i)) for i in range(len(pb.questions))]
        self.cells = [Memo(partial(self._cell, i)) for i in range(len(pb.questions))]
        self.item_sets: list[dict[frozenset[str], Entry]] = [{} for _ in pb.questions]
        self.problem_entries: list[set[Entry]] = [set() for _ in pb.questions]
        self.standing_of = Memo(self._standing)
        matters = [i for i in range(len(pb.questions)) if self._gives(i)]
        named = set(self.verdict_refs) | set(self.multi_refs) | {j for refs, _m in self.whens.values() for j in refs}
        # A column is read when its answers count, are named by a condition, or can be wrong.
        self.read = [
            i for i in range(len(pb.questions)) if i in matters or i in named or not always_fits(self.questions[i])
        ]
        self.narrow = [i for i in matters if kind_of(self.questions[i]).narrow]
        self.wide = [i for i in matters if not kind_of(self.questions[i]).narrow]
        # Narrow columns are folded a few at a time: one memo for every combination of ten of
        # them would miss on nearly every row (pulse: 68,000 combinations in 100,000 rows).
        self.narrow_chunks = [self.narrow[k : k + NARROW_CHUNK] for k in range(0, len(self.narrow), NARROW_CHUNK)]
        self.chunk_groups = [Memo(partial(self._group, first=n == 0)) for n in range(len(self.narrow_chunks))]

    # -- set-up ----------------------------------------------------------------------------------

    def _names(self, path: str) -> list[str]:
        condition = self.compiled.condition(path)
        names = names_in_condition(condition.source) if condition is not None else set()
        if "days_until" in names:  # it reads the date answers
            names = (names - {"days_until"}) | {q.id for q in self.questions if kind_of(q).dated}
        return sorted(names)

    def _holds(self, path: str, context: dict[str, Any]) -> bool:
        # As in the engine's context: days from the plan date to each date answer.
        context = {**context, "days_until": days_until(self._plan_date, self.questions, context)}
        return rules.guard(self.compiled, path, context)

    def _context(self, entries: Iterable[tuple[int, Entry]]) -> dict[str, Any]:
        context = dict(self.constants)
        for i, entry in entries:
            context[self.questions[i].id] = entry.value
        return context

    def _place_rules(self) -> None:
        """A rule naming one question goes on that question's entries; one naming none is constant;
        one naming several is a column of its own, derived from theirs."""
        self.single_rules: dict[int, list[tuple[int, int, str]]] = {}
        self.multi_rules: list[tuple[int, int, str]] = []
        multi_refs: set[int] = set()
        parts = list(self.neutral)
        candidates: list[int] = []
        for s, score in enumerate(self.scores):
            for r in range(len(score.rules)):
                path = f"scores[{s}].rules[{r}].when"
                refs = [self.qindex[n] for n in self._names(path) if n in self.qindex]
                if len(refs) == 1:
                    self.single_rules.setdefault(refs[0], []).append((s, r, path))
                elif refs:
                    self.multi_rules.append((s, r, path))
                    multi_refs.update(refs)
                elif self._holds(path, dict(self.constants)):
                    self._add(parts, candidates, self.scoring.rule_parts[s][r])
        self.const_entry = self._made(None, None, tuple(parts), self._state(candidates))
        self.empty_entry = self._made(None, None, tuple(self.neutral), self._state([]))
        self.multi_refs = sorted(multi_refs)
        self.derived = Memo(self._derived_entry)

    def _place_verdicts(self) -> None:
        verdicts = self.compiled.playbook.verdicts
        names: set[str] = set()
        for v, verdict in enumerate(verdicts):
            if not verdict.default:
                names.update(self._names(f"verdicts[{v}].when"))
        self.verdict_refs = sorted(self.qindex[n] for n in names if n in self.qindex)

    def _place_whens(self) -> None:
        self.whens: dict[int, tuple[list[int], Memo]] = {}
        for i, q in enumerate(self.questions):
            if q.when is not None:
                path = f"questions[{i}].when"
                refs = [self.qindex[n] for n in self._names(path) if n in self.qindex]
                self.whens[i] = (refs, Memo(partial(self._when_holds, path, refs)))

    def _when_holds(self, path: str, refs: list[int], entries: Entry | tuple[Entry, ...]) -> bool:
        given = entries if isinstance(entries, tuple) else (entries,)
        return self._holds(path, self._context(zip(refs, given, strict=True)))

    def _gives(self, i: int) -> bool:
        """Whether question ``i``'s answers can add to a score."""
        q = self.questions[i]
        return bool(any(c.points for c in q.choices) or q.points or i in self.single_rules)

    def _add(self, parts: list[float], candidates: list[int], part: Part) -> None:
        s = part.score
        parts[s] = self.joins[s](parts[s], part.points)
        if part.points > 0:
            candidates.append(self._candidate(part))

    def _made(self, value: Any, problem: str | None, parts: tuple[float, ...], state: int) -> Entry:
        """An entry, with the fold of its parts."""
        return Entry(value, problem, parts, state, self._fold(parts))

    def _combine(self, first: tuple[float, ...], second: tuple[float, ...]) -> tuple[float, ...]:
        return tuple(join(a, b) for a, b, join in zip(first, second, self.joins, strict=True))

    # -- entries: one per distinct answer --------------------------------------------------------

    def _cell(self, i: int, raw: str) -> Entry:
        """The entry for one distinct cell text of question ``i`` (blank: its default)."""
        q = self.questions[i]
        blank = self.cell_reader.blank(q, raw)
        try:
            text = raw if blank else self.cell_reader.canonical(q, raw)
            if kind_of(q).many and not blank:
                # Its answer depends only on the set of items, whatever their order.
                items = frozenset(part.strip() for part in text.split(",") if part.strip())
                found = self.item_sets[i].get(items)
                if found is not None:
                    return found
            value = parse_answer(q, q.default if blank else text)
        except AnswerProblem as exc:
            # An unreadable cell reads as a blank one (the default), with its problem attached;
            # when a blank is itself a problem (required, no default) the answer is missing.
            like = self.none_entries[i] if blank else self.cells[i][""]
            if like.problem is not None:
                like = self.none_entries[i]
            entry = Entry(like.value, cell_problem(exc, None if blank else raw), like.parts, like.state, like.fold)
            self.problem_entries[i].add(entry)
            return entry
        key = tuple(value) if isinstance(value, list) else value
        found = self.by_value[i].get(key)
        if found is None:
            found = self._entry(i, value)
            if len(self.by_value[i]) < MEMO_LIMIT:
                self.by_value[i][key] = found
        if kind_of(q).many and not blank and len(self.item_sets[i]) < MEMO_LIMIT:
            self.item_sets[i][items] = found
        return found

    def _entry(self, i: int, value: Any) -> Entry:
        """What answer ``value`` to question ``i`` brings, as the engine counts it."""
        q: Question = self.questions[i]
        parts = list(self.neutral)
        candidates: list[int] = []
        for part in self.scoring.answer_parts(i, value):
            self._add(parts, candidates, part)
        for s, r, path in self.single_rules.get(i, []):
            if self._holds(path, {**self.constants, q.id: value}):
                self._add(parts, candidates, self.scoring.rule_parts[s][r])
        return self._made(value, None, tuple(parts), self._state(candidates))

    def _derived_entry(self, entries: tuple[Entry, ...]) -> Entry:
        """What the rules naming several questions bring, for one combination of their answers."""
        parts = list(self.neutral)
        candidates: list[int] = []
        context = self._context(zip(self.multi_refs, entries, strict=True))
        for s, r, path in self.multi_rules:
            if self._holds(path, context):
                self._add(parts, candidates, self.scoring.rule_parts[s][r])
        return self._made(None, None, tuple(parts), self._state(candidates))

    def _group(self, entries: tuple[Entry, ...], first: bool = True) -> Entry:
        """Some narrow columns of a row combined into one entry (the first chunk with the constant rules)."""
        start = self.const_entry if first else self.empty_entry
        parts, state = start.parts, start.state
        for entry in entries:
            parts = self._combine(parts, entry.parts)
            state = self.merges[state][entry.state]
        return self._made(None, None, parts, state)

    def _standing(self, key: int | tuple[Any, ...]) -> Standing:
        """Bands and verdict for a row's fold, then the entries of the questions the verdicts name."""
        fold, refs = (key, ()) if isinstance(key, int) else (key[0], key[1:])
        totals = [rules.score_total(score, (part,)) for score, part in zip(self.scores, self.fold_parts[fold], strict=True)]
        bands = [table.band(total) for table, total in zip(self.scoring.scores, totals, strict=True)]
        context = self._context(zip(self.verdict_refs, refs, strict=True))
        context["scores"] = {score.id: totals[s] for s, score in enumerate(self.scores)}
        context["bands"] = {score.id: bands[s] for s, score in enumerate(self.scores)}
        # A verdict may read days_until, as a run's does (recover's decision_passed).
        context["days_until"] = days_until(self._plan_date, self.questions, context)
        return make_standing(totals, bands, rules.pick_verdict(self.compiled, context), self.order, self.signs)

    # -- a chunk of rows -------------------------------------------------------------------------

    def _score_chunk(self, rows: list[list[str]], lines: Sequence[int], ordinals: Sequence[int],
                     problems: dict[int, list[RowProblem]]) -> None:
        columns = self.columns
        cells = list(zip(*rows, strict=True))
        blank = ("",) * len(rows)
        deals = self.deal_names(list(map(str.strip, cells[columns.deal])), rows)
        unread = [self.none_entries[0]] * len(rows)
        entries: list[list[Entry]] = [unread] * len(self.questions)
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
            rows = [rows[k] for k in keep]
            deals = [deals[k] for k in keep]
            lines = [lines[k] for k in keep]
            ordinals = [ordinals[k] for k in keep]
            entries = [[column[k] for k in keep] for column in entries]
            count = len(keep)
            if not count:
                return
        folded = [
            list(map(memo.__getitem__, zip(*[entries[i] for i in chunk], strict=True)))
            for memo, chunk in zip(self.chunk_groups, self.narrow_chunks, strict=True)
        ]
        groups = folded[0] if folded else [self.const_entry] * count
        wide = folded[1:] + [entries[i] for i in self.wide]
        if self.multi_rules:
            wide.append(list(map(self.derived.__getitem__, zip(*[entries[j] for j in self.multi_refs], strict=True))))
        folds = self.folded(list(map(FOLD, groups)), [list(map(FOLD, column)) for column in wide])
        # A standing depends on the totals, and on the answers the verdicts name.
        by: Iterable[Any] = zip(folds, *[entries[j] for j in self.verdict_refs], strict=True) if self.verdict_refs else folds
        standings = list(map(self.standing_of.__getitem__, by))
        states: Iterable[int] = map(_STATE, groups)
        for column in wide:
            states = map(dict.__getitem__, map(self.merges.__getitem__, states), map(_STATE, column))
        reasons = map(self.state_reasons.__getitem__, states)
        self._keep(rows, deals, lines, ordinals, standings, reasons, problems)

    def _bad_rows(
        self,
        rows: list[list[str]],
        lines: Sequence[int],
        deals: list[str],
        entries: list[list[Entry]],
        problems: dict[int, list[RowProblem]],
    ) -> set[int]:
        """Indexes of rows left out: blank, no deal name, or a required answer missing.

        Every problem is reported into ``problems``; a bad optional cell leaves its row ranked
        with that answer missing (its entry carries no answer).
        """
        suspects = {k for k, deal in enumerate(deals) if not deal} if "" in deals else set()
        for i, column in enumerate(entries):
            known = self.problem_entries[i]
            if known and not known.isdisjoint(column):
                suspects.update(k for k, entry in enumerate(column) if entry in known)
        left_out: set[int] = set()
        for k in suspects:
            found: list[RowProblem] = []
            if not deals[k]:
                left_out.add(k)
                deal_problem = self._deal_problem(rows[k], lines[k])
                if deal_problem is None:
                    continue  # a blank row
                found = deal_problem
            for i, column in enumerate(entries):
                problem = column[k].problem
                if problem is not None:
                    q = self.questions[i]
                    required = self.scoring.needs_answer[i]
                    found.append(RowProblem(lines[k], self.columns.column_name(q.id), problem, required))
                    if required:
                        left_out.add(k)
            problems[lines[k]] = found
        return left_out


_STATE = attrgetter("state")


def make_scorer(
    compiled: CompiledPlaybook, columns: ColumnMap, order: Sequence[int], today: str, *, engine: bool = False,
    cells: CellReader | None = None,
) -> Scorer:
    """The fast scorer when the playbook allows it (unless ``engine``), else the engine."""
    if not engine:
        try:
            return FastScorer(compiled, columns, order, today, cells)
        except FastPathUnavailable:
            pass
    return EngineScorer(compiled, columns, order, today, cells)
