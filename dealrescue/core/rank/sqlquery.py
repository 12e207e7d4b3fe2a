"""Assembling the ranking query from ``sql._Sql``'s pieces, one layer (CTE) per step:
answers, each question's ``when`` in order, scores, bands and verdict, then the reasons."""

from __future__ import annotations

from typing import Any

from dealrescue.core.questions import kind_of
from dealrescue.core.rank.order import reason_ranks, tie_signs
from dealrescue.core.rank.sqldates import days_until, real_date
from dealrescue.core.rank.tables import fast_path_obstacle

_NONE = "-1e308"  # a max score that nothing has reached yet


def build(sql: Any, table: str, order: tuple[int, ...], shown: int, topics: dict[tuple[int, str], str]) -> str:
    from dealrescue.core.rank.sql import SqlUnavailable

    compiled, pb = sql.compiled, sql.pb
    obstacle = fast_path_obstacle(compiled)
    if obstacle is not None:
        raise SqlUnavailable(f"playbook {compiled.id} cannot be ranked in SQL: {obstacle}")
    for q in pb.questions:
        if q.points and kind_of(q).numeric:
            raise SqlUnavailable(f"playbook {compiled.id} cannot be ranked in SQL: question {q.id} gives points per "
                                 "step of its answer, so its reasons have no fixed order")
    read = _read_by_rules(compiled)
    # Columns: v_<i> typed answer, c_<i>_<n> multiselect choice ticked, a_<i> asked.
    scope: dict[str, str] = {}
    cells: dict[str, str] = {"deal": f"trim(src.{sql.ident(sql.deal_column)})", "_line": "ROW_NUMBER() OVER ()"}
    ticks: dict[str, str] = {}
    columns: dict[str, str] = {"deal": "deal", "_line": "_line"}
    for i, q in enumerate(pb.questions):
        if kind_of(q).many:
            first, second, third = sql.ticked(q, i)
            cells.update(first)
            ticks.update(second)
            columns.update(third)
            for n, choice in enumerate(q.choices):
                scope[f"{q.id}={choice.value}"] = f"c_{i}_{n}"
        elif q.id in read or (q.required and q.default is None):
            cells[f"v_{i}"] = sql.answer(q)
            columns[f"v_{i}"] = f"v_{i}"
            scope[q.id] = f"v_{i}"
            if kind_of(q).dated:  # digits in cells, the answer (ISO text) from here on
                columns[f"v_{i}"] = real_date(sql, f"v_{i}")
                scope[f"days_until.{q.id}"] = days_until(sql, f"v_{i}", sql.today)
        else:
            scope[q.id] = "NULL"  # a text, date or note no rule reads: its value changes nothing
        columns[f"a_{i}"] = "TRUE"
    layers = [("cells", _select(sql, cells, f"{table_name(sql, table)} AS src"))]
    layers.append(("ticks", f"SELECT *{''.join(f', {e} AS {n}' for n, e in ticks.items())} FROM cells"))
    layers.append(("answers", _select(sql, columns, "ticks")))
    for i, q in enumerate(pb.questions):
        if q.when is None:
            continue
        asked = sql.condition(f"questions[{i}].when", scope)
        changed = {name: name for name in columns}
        changed[f"a_{i}"] = asked
        if f"v_{i}" in columns:
            changed[f"v_{i}"] = f"(CASE WHEN {asked} THEN v_{i} END)"
        for n in range(len(q.choices) if kind_of(q).many else 0):
            changed[f"c_{i}_{n}"] = f"({asked} AND c_{i}_{n})"
        layers.append((f"when_{i}", _select(sql, changed, layers[-1][0])))
    kept = ["deal <> ''", "deal IS NOT NULL"]
    for i, q in enumerate(pb.questions):
        if q.required and q.default is None:
            if kind_of(q).many:
                ticked = " OR ".join(f"c_{i}_{n}" for n in range(len(q.choices))) or "FALSE"
                kept.append(f"NOT (a_{i} AND NOT ({ticked}))")
            else:
                kept.append(f"NOT (a_{i} AND v_{i} IS NULL)")
    scored: dict[str, str] = {"deal": "deal", "_line": "_line"}
    candidates: list[tuple[Any, ...]] = []
    rank_of = reason_ranks(sql.compiled, order)  # warning signs first, as rank shows them
    for s, score in enumerate(pb.scores):
        parts: list[tuple[str, float, str]] = []  # (fired, points, source), in the engine's order
        for q in pb.questions:
            for choice in q.choices:
                fired = scope[f"{q.id}={choice.value}"] if kind_of(q).many else \
                    f"COALESCE({scope[q.id]} = {sql.text(choice.value)}, FALSE)"
                if score.id in choice.points:
                    parts.append((fired, choice.points[score.id], choice.label))
            if score.id in q.points:  # confirm only (refused above for numbers)
                parts.append((f"COALESCE({scope[q.id]}, FALSE)", q.points[score.id], f"{q.prompt} yes"))
        for r, rule in enumerate(score.rules):
            parts.append((sql.condition(f"scores[{s}].rules[{r}].when", scope), rule.points, rule.label or rule.when))
        if score.combine == "max":
            best = ", ".join(f"CASE WHEN {f} THEN {float(p)} ELSE {_NONE} END" for f, p, _src in parts)
            total = f"GREATEST({_NONE}, {best})" if parts else _NONE
            scored[f"s_{s}"] = f"(CASE WHEN {total} = {_NONE} THEN 0.0 ELSE {total} END)"
        else:
            scored[f"s_{s}"] = "(0.0" + "".join(f" + CASE WHEN {f} THEN {float(p)} ELSE 0.0 END" for f, p, _src in parts) + ")"
        for position, (fired, points, source) in enumerate(parts):
            if points > 0:
                candidates.append((rank_of[s], -points, position, source, topics.get((s, source), source), fired))
    candidates.sort(key=lambda c: c[:3])
    for k, candidate in enumerate(candidates):
        scored[f"f_{k}"] = candidate[5]
    for expr in scope.values():
        if expr.startswith(("v_", "c_")):
            scored[expr] = expr  # verdicts read answers too
    layers.append(("scored", _select(sql, scored, layers[-1][0], " AND ".join(kept))))
    verdict_scope = dict(scope)
    banded: dict[str, str] = {name: name for name in scored}
    for s, score in enumerate(pb.scores):
        verdict_scope[f"scores.{score.id}"] = f"s_{s}"
        verdict_scope[f"bands.{score.id}"] = f"b_{s}"
        arms = " ".join(f"WHEN s_{s} >= {float(b.min)} THEN {sql.text(b.id)}"
                        for b in sorted(score.bands, key=lambda b: -b.min))
        banded[f"b_{s}"] = f"(CASE {arms} ELSE NULL END)" if arms else "NULL"
    layers.append(("banded", _select(sql, banded, layers[-1][0])))
    default = next((v.id for v in pb.verdicts if v.default), pb.verdicts[0].id if pb.verdicts else "")
    arms = " ".join(f"WHEN {sql.condition(f'verdicts[{v}].when', verdict_scope)} THEN {sql.text(verdict.id)}"
                    for v, verdict in enumerate(pb.verdicts) if not verdict.default)
    verdict = f"(CASE {arms} ELSE {sql.text(default)} END)" if arms else sql.text(default)
    decided = {name: name for name in banded}
    decided["verdict"] = verdict
    layers.append(("decided", _select(sql, decided, layers[-1][0])))
    picked: list[tuple[str, str]] = []
    for n in range(1, shown + 1):
        reason_arms, topic_arms = [], []
        for k, (_r, _p, _pos, source, topic, _f) in enumerate(candidates):
            guard = "".join(f" AND {sql.text(source)} IS DISTINCT FROM {r} AND {sql.text(topic)} IS DISTINCT FROM {t}"
                            for r, t in picked)
            reason_arms.append(f"WHEN f_{k}{guard} THEN {sql.text(source)}")
            topic_arms.append(f"WHEN f_{k}{guard} THEN {sql.text(topic)}")
        reason = f"(CASE {' '.join(reason_arms)} END)" if reason_arms else "NULL"
        topic = f"(CASE {' '.join(topic_arms)} END)" if topic_arms else "NULL"
        layers.append((f"reason_{n}", f"SELECT *, {reason} AS r_{n}, {topic} AS t_{n} FROM {layers[-1][0]}"))
        picked.append((f"r_{n}", f"t_{n}"))
    collate = ' COLLATE "C"' if sql.dialect == "postgres" else ""
    signs = tie_signs(sql.compiled, order)  # each score in its own direction, as rank sorts
    keys = ", ".join(f"s_{s} {'DESC' if signs[s] < 0 else 'ASC'}" for s in order) + f", lower(deal){collate}, deal{collate}, _line"
    joined = "COALESCE(r_1, '')" + "".join(f" || COALESCE('; ' || r_{n}, '')" for n in range(2, shown + 1))
    outputs = [f"ROW_NUMBER() OVER (ORDER BY {keys}) AS {sql.ident('rank')}", f"deal AS {sql.ident('deal')}"]
    for s, score in enumerate(pb.scores):
        outputs += [f"s_{s} AS {sql.ident(score.id)}", f"b_{s} AS {sql.ident(score.id + '_band')}"]
    outputs += [f"verdict AS {sql.ident('verdict')}", f"{joined} AS {sql.ident('reasons')}"]
    ctes = ",\n".join(f"{name} AS (\n  {body}\n)" for name, body in layers)
    head = (f"-- dealrescue rank --sql: playbook {compiled.id} version {pb.version}, dialect {sql.dialect}\n"
            "-- Same scores, bands, verdict and reasons as `dealrescue rank`, highest first.\n")
    if any(key.startswith("days_until.") for key in scope):
        head += f"-- Days until a date count from {sql.today}, the day this query was written (rank counts from its day).\n"
    return f"{head}WITH {ctes}\nSELECT {', '.join(outputs)}\nFROM {layers[-1][0]}\nORDER BY 1;\n"


def table_name(sql: Any, table: str) -> str:
    """``schema.table`` quoted part by part."""
    return ".".join(sql.ident(part) for part in table.split("."))


def _select(sql: Any, columns: dict[str, str], source: str, where: str = "") -> str:
    body = ",\n    ".join(expr if expr == name else f"{expr} AS {name}" for name, expr in columns.items())
    return f"SELECT\n    {body}\n  FROM {source}" + (f"\n  WHERE {where}" if where else "")


def _read_by_rules(compiled: Any) -> set[str]:
    """Question ids a score rule, a verdict or a question's `when` reads."""
    from dealrescue.core.expressions import names_in_condition

    names: set[str] = set()
    for path, condition in compiled.conditions.items():
        if path.startswith(("questions", "scores", "verdicts")):
            names |= names_in_condition(condition.source)
    if "days_until" in names:  # it reads the date answers
        names |= {q.id for q in compiled.playbook.questions if kind_of(q).dated}
    return names | {q.id for q in compiled.playbook.questions if q.choices or q.points}
