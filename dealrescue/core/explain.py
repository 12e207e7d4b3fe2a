"""Why a run gave its verdict: each verdict rule in order, and each score point by point.

A pure function of the compiled playbook and the settled answers. It uses the engine's own
decision (``decide``), the playbook's ``Scoring`` description (what each answer and rule gives,
the order verdicts are tried in) and the compiled conditions, and takes a failed condition apart only to
say which part was false, with the values it saw.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dealrescue.core.answers import number_text
from dealrescue.core.engine import Outcome, decide
from dealrescue.core.loader import CompiledPlaybook
from dealrescue.core.rank.scoring import Scoring

_OPS = {"eq": "==", "ne": "!=", "gt": ">", "gteq": ">=", "lt": "<", "lteq": "<=", "in": "in", "notin": "not in"}
_BINARY = {"Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "FloorDiv": "//", "Mod": "%", "Pow": "**"}


@dataclass(frozen=True)
class RuleLine:
    """One verdict rule or score rule: whether it held, and why not."""

    name: str
    held: bool | None  # None: not tried (an earlier verdict rule held) or the default
    points: float | None
    why: str


@dataclass(frozen=True)
class ScoreLines:
    id: str
    total: float
    band: str | None
    combine: str
    from_answers: tuple[tuple[str, float], ...]
    rules: tuple[RuleLine, ...]


@dataclass(frozen=True)
class Explanation:
    verdict: str
    verdicts: tuple[RuleLine, ...]
    scores: tuple[ScoreLines, ...]

    def lines(self) -> list[str]:
        out = []
        for score in self.scores:
            band = f", band {score.band}" if score.band else ""
            how = "the largest of these counts" if score.combine == "max" else "the sum of these"
            out.append(f"explain: score {score.id} = {number_text(score.total)}{band} ({how}):")
            for source, points in score.from_answers:
                out.append(f"  {_signed(points)}  {source}")
            for rule in score.rules:
                if rule.held:
                    out.append(f"  {_signed(rule.points or 0)}  rule {rule.name}: holds")
                else:
                    out.append(f"  {'+0':>4}  rule {rule.name}: no: {rule.why}")
            if not score.from_answers and not score.rules:
                out.append("  (no points)")
        out.append("explain: verdict rules, tried in order (the first that holds wins):")
        for index, rule in enumerate(self.verdicts, 1):
            mark = {True: "holds", False: "no", None: "-"}[rule.held]
            out.append(f"  {index}. {rule.name}: {mark}: {rule.why}")
        out.append(f"explain: verdict {self.verdict}")
        return out


def _signed(points: float) -> str:
    return f"{'+' if points >= 0 else ''}{number_text(points)}".rjust(4)


def explain(compiled: CompiledPlaybook, answers: Mapping[str, Any], deal: str, today: str) -> Explanation:
    """The trace of ``decide`` for these settled answers."""
    asked = tuple(a for a in answers)
    outcome = decide(compiled, answers, asked, deal, today)
    return explain_outcome(compiled, outcome)


def explain_outcome(compiled: CompiledPlaybook, outcome: Outcome) -> Explanation:
    pb = compiled.playbook
    scoring = Scoring(compiled)
    context = outcome.context
    chosen = outcome.verdict_index
    tried = scoring.verdicts_tried
    # Rules after the chosen one in the order they are tried were never tried.
    last_tried = tried.index(chosen) if chosen in tried else len(tried)
    verdicts: list[RuleLine] = []
    for v, verdict in enumerate(pb.verdicts):
        if v not in tried:
            why = "chosen: no rule above holds" if v == chosen else "the default, not needed"
            verdicts.append(RuleLine(verdict.id, None, None, why))
        elif tried.index(v) > last_tried:
            verdicts.append(RuleLine(verdict.id, None, None, "not tried: an earlier rule holds"))
        else:
            held = v == chosen
            why = f"{verdict.when}" if held else why_false(verdict.when or "", context)
            verdicts.append(RuleLine(verdict.id, held, None, why))
    scores = []
    for s, (score, result) in enumerate(zip(pb.scores, outcome.scores, strict=True)):
        rules = []
        for r, part in enumerate(scoring.rule_parts[s]):
            rule = score.rules[r]
            condition = compiled.condition(f"scores[{s}].rules[{r}].when")
            held = condition is None or condition.holds(context)
            name = json.dumps(part.source, ensure_ascii=False)
            rules.append(RuleLine(name, held, part.points if held else 0.0, "" if held else why_false(rule.when, context)))
        from_answers = tuple(
            (part.source, part.points)
            for i, q in enumerate(pb.questions)
            for part in scoring.answer_parts(i, outcome.answers.get(q.id))
            if part.score == s and part.points
        )
        scores.append(
            ScoreLines(
                id=score.id,
                total=result.total,
                band=result.band_id,
                combine=score.combine,
                from_answers=from_answers,
                rules=tuple(rules),
            )
        )
    return Explanation(verdict=pb.verdicts[chosen].id, verdicts=tuple(verdicts), scores=tuple(scores))


def why_false(source: str, context: dict[str, Any]) -> str:
    """Which parts of a condition are false for ``context``, each with the values it read."""
    from dealrescue.core.expressions import environment

    try:
        expression = environment().parse("{{ (" + source + ") }}").body[0].nodes[0]
        parts = _false_parts(expression, context)
    except Exception:  # noqa: BLE001 - the explanation must never stop a run
        return f"{source} is false"
    return "; ".join(parts) if parts else f"{source} is false"


def _false_parts(node: Any, context: dict[str, Any]) -> list[str]:
    from jinja2 import nodes

    if isinstance(node, nodes.And):
        for side in (node.left, node.right):
            if not _value(side, context):
                return _false_parts(side, context)
        return []
    if isinstance(node, nodes.Or):
        return [*_false_parts(node.left, context), *_false_parts(node.right, context)]
    seen = [f"{_text(n)} is {_shown(_value(n, context))}" for n in _read_values(node)]
    said = f"{_text(node)} is false"
    return [f"{said} ({', '.join(seen)})" if seen else said]


def _read_values(node: Any) -> list[Any]:
    """The outermost answers, scores, bands and labels an expression reads."""
    from jinja2 import nodes

    if isinstance(node, (nodes.Name, nodes.Getattr, nodes.Getitem)):
        return [node]
    found: list[Any] = []
    for child in node.iter_child_nodes():
        for item in _read_values(child):
            if _text(item) not in {_text(f) for f in found}:
                found.append(item)
    return found


def _value(node: Any, context: dict[str, Any]) -> Any:
    from jinja2 import nodes
    from jinja2.environment import TemplateExpression

    from dealrescue.core.expressions import environment

    env = environment()
    tree = nodes.Template([nodes.Assign(nodes.Name("result", "store"), node, lineno=1)], lineno=1)
    tree.set_environment(env)
    template = env.template_class.from_code(env, env.compile(tree), env.make_globals(None), None)
    try:
        return TemplateExpression(template, False)(**context)
    except TypeError:
        return False  # as Condition.holds: comparing an unanswered question is not true


def _shown(value: Any) -> str:
    if value is None:
        return "not answered"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return number_text(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def _text(node: Any) -> str:
    """A Jinja expression written back as text (for the common nodes of conditions)."""
    from jinja2 import nodes

    kind = type(node).__name__
    if isinstance(node, nodes.Name):
        return str(node.name)
    if isinstance(node, nodes.Const):
        return _shown(node.value) if not isinstance(node.value, bool) else str(node.value).lower()
    if isinstance(node, nodes.Getattr):
        return f"{_text(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem):
        return f"{_text(node.node)}[{_text(node.arg)}]"
    if isinstance(node, nodes.Compare):
        return " ".join([_text(node.expr), *(f"{_OPS.get(op.op, op.op)} {_text(op.expr)}" for op in node.ops)])
    if isinstance(node, (nodes.And, nodes.Or)):
        return f"({_text(node.left)} {kind.lower()} {_text(node.right)})"
    if isinstance(node, nodes.Not) and isinstance(node.node, nodes.Test):
        return f"{_text(node.node.node)} is not {node.node.name}"  # the parser reads `x is not none` as not (x is none)
    if isinstance(node, nodes.Not):
        return f"not {_text(node.node)}"
    if isinstance(node, (nodes.List, nodes.Tuple)):
        return "[" + ", ".join(_text(item) for item in node.items) + "]"
    if kind in _BINARY:
        return f"{_text(node.left)} {_BINARY[kind]} {_text(node.right)}"
    if isinstance(node, nodes.Filter):
        return f"{_text(node.node)}|{node.name}"
    if isinstance(node, nodes.Test):
        return f"{_text(node.node)} is {node.name}"
    if isinstance(node, nodes.Call):
        return f"{_text(node.node)}(...)"
    return kind.lower()
