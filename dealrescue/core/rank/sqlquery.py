"""The ranking query, generated from the playbook's ``Scoring`` description, one layer (CTE) per step:
answers, each question's ``when`` in order, the points, bands and verdict, then the reasons.

Nothing here decides a band, a verdict or a reason: each score's parts (what fires them, what
they give), its band thresholds, the verdicts' order, which answers a row needs, and the reason
candidates' order and which of them are shown once come from ``Scoring``; this module only
writes them as CASE tables. The query gives per row what ``rank`` gives: each score and band,
the verdict, the top reasons, and the rank.
"""

from __future__ import annotations

from dealrescue.core.engine import score_total
from dealrescue.core.loader import CompiledPlaybook
from dealrescue.core.questions import kind_of
from dealrescue.core.rank.columns import ColumnMap, questions_read
from dealrescue.core.rank.order import reason_ranks, tie_signs
from dealrescue.core.rank.scorer import REASONS_SHOWN
from dealrescue.core.rank.scoring import Part, Scoring, same_reason
from dealrescue.core.rank.sql import SqlWriter
from dealrescue.core.rank.sqldates import days_until, real_date
from dealrescue.core.rank.sqlnumbers import number_steps
from dealrescue.core.rank.sqltext import SqlUnavailable
from dealrescue.core.rank.tables import fast_path_obstacle

_NONE = "-1e308"  # a max score that nothing has reached yet


def ranking_sql(compiled: CompiledPlaybook, table: str, dialect: str, columns: ColumnMap | None = None,
                order: tuple[int, ...] | None = None, *, today: str, dayfirst: bool = False) -> str:
    """One query: deal, rank, each score and band, verdict and reasons, highest first.

    ``columns`` are an export's columns as rank matched them (None: each named as its id, the deal
    ``deal``); ``today`` (ISO) is the plan date ``days_until`` counts from; ``dayfirst`` reads dates as rank's."""
    pb = compiled.playbook
    if not pb.scores:
        raise SqlUnavailable(f"playbook {compiled.id} has no scores, so there is nothing to rank by")
    obstacle = fast_path_obstacle(compiled)
    if obstacle is not None:
        raise SqlUnavailable(f"playbook {compiled.id} cannot be ranked in SQL: {obstacle}")
    for q in pb.questions:
        if q.points and kind_of(q).numeric:
            raise SqlUnavailable(f"playbook {compiled.id} cannot be ranked in SQL: question {q.id} gives points per "
                                 "step of its answer, so its reasons have no fixed order")
    return _Query(SqlWriter(compiled, dialect, columns, today, dayfirst), Scoring(compiled),
                  order or tuple(range(len(pb.scores))), table).text()


class _Query:
    def __init__(self, sql: SqlWriter, scoring: Scoring, order: tuple[int, ...], table: str) -> None:
        self.sql, self.scoring, self.order, self.table = sql, scoring, order, table
        self.pb = sql.pb
        self.scope: dict[str, str] = {}  # what a condition names -> the column that holds it
        self.layers: list[tuple[str, str]] = []
        self.source: str | None = f"{sql.table_name(table)} AS src"  # what the first layer reads

    def add(self, name: str, columns: dict[str, str], where: str = "") -> None:
        source, self.source = self.source or self.layers[-1][0], None
        body = ",\n    ".join(expr if expr == name_ else f"{expr} AS {name_}" for name_, expr in columns.items())
        self.layers.append((name, f"SELECT\n    {body}\n  FROM {source}" + (f"\n  WHERE {where}" if where else "")))

    def text(self) -> str:
        self.answers()
        self.asked()
        parts = self.points()
        self.bands()
        self.verdict()
        self.reasons(parts)
        return self.assemble()

    # -- answers and whens ---------------------------------------------------------------------

    def numbers(self, read: set[str]) -> None:
        """Number cells read step by step (``sqlnumbers``), each step a layer keeping every column."""
        steps: list[dict[str, str]] = []
        for i, q in enumerate(self.pb.questions):
            raw = self.sql.raw(q)
            if kind_of(q).numeric and raw is not None and (q.id in read or self.scoring.needs_answer[i]):
                for n, step in enumerate(number_steps(self.sql, q.id, raw)):
                    if n == len(steps):
                        steps.append({})
                    steps[n].update(step)
        for n, step in enumerate(steps, 1):
            body = ",\n    ".join(["src.*", *(f"{expr} AS {name}" for name, expr in step.items())])
            self.layers.append((f"numbers_{n}", f"SELECT\n    {body}\n  FROM {self.source}"))
            self.source = f"numbers_{n} AS src"

    def answers(self) -> None:
        sql, pb = self.sql, self.pb
        read = questions_read(sql.compiled)
        self.numbers(read)
        self.deal, self.line = sql.name("deal"), sql.name("line_in_table")
        cells = {self.deal: sql.deal_name(), self.line: "ROW_NUMBER() OVER ()"}
        ticks: dict[str, str] = {}
        columns = {self.deal: self.deal, self.line: self.line}
        closed = sql.closed()
        self.closed = None if closed is None else sql.name("closed_deal")
        if closed is not None and self.closed is not None:
            cells[self.closed], columns[self.closed] = closed, self.closed
        for i, q in enumerate(pb.questions):
            if kind_of(q).many:
                first, second, third = sql.ticked(q)
                cells.update(first)
                ticks.update(second)
                columns.update(third)
                for choice in q.choices:
                    self.scope[f"{q.id}={choice.value}"] = sql.name("ticked", q.id, choice.value)
            elif q.id in read or self.scoring.needs_answer[i]:
                answer = sql.name("answer", q.id)
                cells[answer] = sql.answer(q)
                columns[answer] = answer
                self.scope[q.id] = answer
                if kind_of(q).dated:  # digits in cells, the answer (ISO text) from here on
                    columns[answer] = real_date(sql, answer)
                    self.scope[f"days_until.{q.id}"] = days_until(sql, answer, sql.today)
            else:
                self.scope[q.id] = "NULL"  # a text, date or note no rule reads: its value changes nothing
            columns[sql.name("asked", q.id)] = "TRUE"
        self.add("cells", cells)
        self.layers.append(("ticks", f"SELECT *{''.join(f', {e} AS {n}' for n, e in ticks.items())} FROM cells"))
        self.add("answers", columns)
        self.columns = columns

    def asked(self) -> None:
        """Each question's ``when`` in order: a question it skips has no answer."""
        sql = self.sql
        for i, q in enumerate(self.pb.questions):
            if q.when is None:
                continue
            asked = sql.condition(f"questions[{i}].when", self.scope)
            changed = {name: name for name in self.columns}
            changed[sql.name("asked", q.id)] = asked
            if q.id in self.scope and self.scope[q.id] != "NULL":
                changed[self.scope[q.id]] = f"(CASE WHEN {asked} THEN {self.scope[q.id]} END)"
            for choice in q.choices if kind_of(q).many else ():
                ticked = self.scope[f"{q.id}={choice.value}"]
                changed[ticked] = f"({asked} AND {ticked})"
            self.add(f"when_{q.id}", changed)

    # -- points, bands, verdict ----------------------------------------------------------------

    def fired(self, i: int, answer: object) -> str:
        """Whether question ``i``'s answer is ``answer`` (a choice value, a yes/no, a ticked choice)."""
        q = self.pb.questions[i]
        if kind_of(q).many:
            return self.scope[f"{q.id}={answer[0]}"]  # type: ignore[index]
        return f"COALESCE({self.scope[q.id]} = {self.sql.literal(answer)}, FALSE)"

    def points(self) -> list[tuple[Part, str]]:
        """Each score's total, and every part that can be given with what fires it."""
        sql, scoring = self.sql, self.scoring
        parts: list[tuple[Part, str]] = []
        for i, q in enumerate(self.pb.questions):
            if q.choices or q.points:
                for _name, answer in scoring.choice_answers(i):
                    parts += [(part, self.fired(i, answer)) for part in scoring.answer_parts(i, answer)]
        for s, score_rules in enumerate(scoring.rule_parts):
            for r, part in enumerate(score_rules):
                parts.append((part, sql.condition(f"scores[{s}].rules[{r}].when", self.scope)))
        kept = [f"{self.deal} <> ''"]
        if self.closed is not None:  # closed deals are not ranked (rank skips them with a note)
            kept.append(f"NOT {self.closed}")
        for i, q in enumerate(self.pb.questions):
            if scoring.needs_answer[i]:
                asked = sql.name("asked", q.id)
                if kind_of(q).many:
                    ticked = " OR ".join(self.scope[f"{q.id}={c.value}"] for c in q.choices) or "FALSE"
                    kept.append(f"NOT ({asked} AND NOT ({ticked}))")
                else:
                    kept.append(f"NOT ({asked} AND {self.scope[q.id]} IS NULL)")
        scored = {self.deal: self.deal, self.line: self.line}
        for s, table in enumerate(scoring.scores):
            mine = [(part, fired) for part, fired in parts if part.score == s]
            scored[sql.name("points", table.id)] = self._total(s, mine)
        ranks = reason_ranks(sql.compiled, self.order)  # warning signs first, as rank shows them
        self.candidates = sorted(((part, fired) for part, fired in parts if part.points > 0),
                                 key=lambda c: scoring.reason_key(ranks[c[0].score], c[0]))
        for k, (_part, fired) in enumerate(self.candidates):
            scored[sql.name("reason_candidate", str(k))] = fired
        for column in self.scope.values():
            if column in self.columns:
                scored[column] = column  # verdicts read answers too
        self.add("scored", scored, " AND ".join(kept))
        self.passed = list(scored)
        return parts

    def _total(self, s: int, parts: list[tuple[Part, str]]) -> str:
        """The SQL form of the score's join (``combine_operator``) from its start (``combine_start``)."""
        table = self.scoring.scores[s]
        empty = float(score_total(self.pb.scores[s], ()))
        if table.join is max:
            best = ", ".join(f"CASE WHEN {f} THEN {float(p.points)} ELSE {_NONE} END" for p, f in parts)
            total = f"GREATEST({_NONE}, {best})" if parts else _NONE
            return f"(CASE WHEN {total} = {_NONE} THEN {empty} ELSE {total} END)"
        return f"({float(table.start)}" + "".join(f" + CASE WHEN {f} THEN {float(p.points)} ELSE 0.0 END"
                                                  for p, f in parts) + ")"

    def bands(self) -> None:
        sql = self.sql
        banded = {name: name for name in self.passed}
        for table in self.scoring.scores:
            points = sql.name("points", table.id)
            arms = " ".join(f"WHEN {points} >= {lowest} THEN {sql.literal(band)}" for lowest, band in table.steps)
            banded[sql.name("band", table.id)] = f"(CASE {arms} ELSE NULL END)" if arms else "NULL"
            self.scope[f"scores.{table.id}"] = points
            self.scope[f"bands.{table.id}"] = sql.name("band", table.id)
        self.add("banded", banded)
        self.passed = list(banded)

    def verdict(self) -> None:
        sql, scoring, verdicts = self.sql, self.scoring, self.pb.verdicts
        arms = " ".join(f"WHEN {sql.condition(f'verdicts[{v}].when', self.scope)} THEN {sql.text(verdicts[v].id)}"
                        for v in scoring.verdicts_tried)
        default = sql.text(verdicts[scoring.verdict_default].id)
        decided = {name: name for name in self.passed}
        decided[sql.name("verdict")] = f"(CASE {arms} ELSE {default} END)" if arms else default
        self.add("decided", decided)

    # -- reasons -------------------------------------------------------------------------------

    def reasons(self, parts: list[tuple[Part, str]]) -> None:
        """Reason ``n`` is the first candidate that fired and is not shown once with an earlier pick."""
        sql = self.sql
        picked: list[str] = []
        for n in range(1, REASONS_SHOWN + 1):
            arms = []
            for k, (part, _fired) in enumerate(self.candidates):
                once = ", ".join(str(j) for j, (other, _f) in enumerate(self.candidates) if same_reason(part, other))
                guard = "".join(f" AND {p} NOT IN ({once})" for p in picked)
                arms.append(f"WHEN {sql.name('reason_candidate', str(k))}{guard} THEN {k}")
            reason = sql.name("reason", str(n))
            expr = f"(CASE {' '.join(arms)} END)" if arms else "CAST(NULL AS INTEGER)"
            self.layers.append((f"reason_{n}", f"SELECT *, {expr} AS {reason} FROM {self.layers[-1][0]}"))
            picked.append(reason)
        self.picked = picked

    def reason_text(self, reason: str) -> str:
        arms = " ".join(f"WHEN {k} THEN {self.sql.text(part.source)}" for k, (part, _f) in enumerate(self.candidates))
        return f"(CASE {reason} {arms} END)" if arms else "CAST(NULL AS VARCHAR)"

    def assemble(self) -> str:
        sql, pb = self.sql, self.pb
        collate = ' COLLATE "C"' if sql.dialect == "postgres" else ""
        signs = tie_signs(sql.compiled, self.order)  # each score in its own direction, as rank sorts
        keys = ", ".join(f"{sql.name('points', pb.scores[s].id)} {'DESC' if signs[s] < 0 else 'ASC'}" for s in self.order)
        keys += f", lower({self.deal}){collate}, {self.deal}{collate}, {self.line}"
        first, *rest = self.picked
        joined = f"COALESCE({self.reason_text(first)}, '')" + "".join(
            f" || COALESCE('; ' || {self.reason_text(r)}, '')" for r in rest)
        outputs = [f"ROW_NUMBER() OVER (ORDER BY {keys}) AS {sql.ident('rank')}", f"{self.deal} AS {sql.ident('deal')}"]
        for score in pb.scores:
            outputs += [f"{sql.name('points', score.id)} AS {sql.ident(score.id)}",
                        f"{sql.name('band', score.id)} AS {sql.ident(score.id + '_band')}"]
        outputs += [f"{sql.name('verdict')} AS {sql.ident('verdict')}", f"{joined} AS {sql.ident('reasons')}"]
        ctes = ",\n".join(f"{name} AS (\n  {body}\n)" for name, body in self.layers)
        head = (f"-- dealrescue rank --sql: playbook {sql.compiled.id} version {pb.version}, dialect {sql.dialect}\n"
                "-- Same scores, bands, verdict and reasons as `dealrescue rank`, highest first.\n")
        if any(key.startswith("days_until.") for key in self.scope):
            head += (f"-- Days until a date count from {sql.today}, the day this query was written "
                     "(rank counts from its day).\n")
        return f"{head}WITH {ctes}\nSELECT {', '.join(outputs)}\nFROM {self.layers[-1][0]}\nORDER BY 1;\n"
