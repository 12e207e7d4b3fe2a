"""Conditions of a playbook (a question's ``when``, a score rule, a verdict rule) as SQL.

Translated from the condition's syntax tree, node by node, with the engine's meaning: an
ordered comparison with no answer is false (the engine's ``TypeError``), ``x in ticked``
reads a multiselect's choice. A node without a faithful SQL form is refused
(``SqlUnavailable``), never approximated.
"""

from __future__ import annotations

from typing import Any

from jinja2 import nodes

from dealrescue.core.expressions import environment
from dealrescue.core.loader import CompiledPlaybook
from dealrescue.core.model import Playbook, Question
from dealrescue.core.questions import kind_of
from dealrescue.core.rank.sqltext import Dialect, SqlUnavailable


class Conditions(Dialect):
    """Mixed into ``SqlWriter``: ``scope`` maps each name a condition reads to its SQL column."""

    compiled: CompiledPlaybook
    pb: Playbook
    qs: dict[str, Question]
    today: str

    def condition(self, path: str, scope: dict[str, str]) -> str:
        """The condition at ``path``, true exactly where the engine's holds."""
        condition = self.compiled.condition(path)
        if condition is None:
            return "TRUE"
        body = environment().parse("{{ (" + condition.source + ") }}").body[0].nodes[0]
        try:
            value, fails = self.boolean(body, scope)
        except SqlUnavailable as exc:
            raise SqlUnavailable(f"{path} ({condition.source}): {exc.message}") from None
        # A comparison that fails (the engine's TypeError) makes the whole condition false.
        return value if fails == "FALSE" else f"(NOT {fails} AND {value})"

    def boolean(self, node: Any, scope: dict[str, str]) -> tuple[str, str]:
        """(whether ``node`` is true, whether evaluating it fails): neither is ever NULL.

        ``and``/``or`` evaluate their right side only when Python would, so only then can it fail.
        """
        if isinstance(node, (nodes.And, nodes.Or)):
            (first, first_fails), (second, second_fails) = self.boolean(node.left, scope), self.boolean(node.right, scope)
            both = "AND" if isinstance(node, nodes.And) else "OR"
            goes_on = first if both == "AND" else f"NOT {first}"
            return f"({first} {both} {second})", _either(first_fails, _both(goes_on, second_fails))
        if isinstance(node, nodes.Not):
            held, fails = self.boolean(node.node, scope)
            return f"(NOT {held})", fails
        if isinstance(node, nodes.Test) and node.name == "none" and not node.args:
            return f"({self.value(node.node, scope)} IS NULL)", "FALSE"
        if isinstance(node, nodes.Compare) and len(node.ops) == 1 and node.ops[0].op in ("in", "notin"):
            op = node.ops[0]
            held = self.membership(node.expr, op.expr, scope)
            return (f"(NOT {held})" if op.op == "notin" else held), "FALSE"
        if isinstance(node, nodes.Compare):
            # `0 <= x <= 30` is `0 <= x and x <= 30`, as in Python.
            held, fails, side = "TRUE", "FALSE", node.expr
            for op in node.ops:
                term = self.comparison(op.op, self.value(side, scope), self.value(op.expr, scope))
                term_fails = "FALSE" if op.op in ("eq", "ne") else self.unanswered(side, op.expr, scope)
                fails = _either(fails, _both(held, term_fails))
                held = term if held == "TRUE" else f"({held} AND {term})"
                side = op.expr
            return held, fails
        if isinstance(node, nodes.Name) and node.name in self.qs:
            return self.truthy(node.name, scope), "FALSE"
        if isinstance(node, nodes.Const) and isinstance(node.value, bool):
            return ("TRUE" if node.value else "FALSE"), "FALSE"
        raise SqlUnavailable(f"no SQL form for {type(node).__name__.lower()} here")

    def unanswered(self, left: Any, right: Any, scope: dict[str, str]) -> str:
        """Whether either side of an ordered comparison is none, so that Python raises TypeError."""
        sides = [f"{self.value(side, scope)} IS NULL" for side in (left, right) if not isinstance(side, nodes.Const)]
        return "(" + " OR ".join(sides) + ")" if sides else "FALSE"

    def comparison(self, op: str, left: str, right: str) -> str:
        """One comparison, never NULL (an ordered one with no answer also fails: see ``unanswered``)."""
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
        if isinstance(node, nodes.Const):
            return self.literal(node.value)
        if isinstance(node, nodes.Name):
            if node.name in self.qs and not kind_of(self.qs[node.name]).many:
                return scope[node.name]
            if node.name == "deal":
                return self.name("deal")
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


def _either(first: str, second: str) -> str:
    if first == "FALSE":
        return second
    return first if second == "FALSE" else f"({first} OR {second})"


def _both(first: str, second: str) -> str:
    if first == "FALSE" or second == "FALSE":
        return "FALSE"
    return second if first == "TRUE" else f"({first} AND {second})"
