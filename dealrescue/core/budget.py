"""The budget of one template or condition: text built, loop steps and calls, loops inside
loops, numbers' size, and a condition's size (documented in docs/playbooks.md).

Loops and ``~`` are counted by filters put into each template when it is compiled
(``with_budget``); calls and operators by the sandbox (``dealrescue.core.expressions``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

MAX_TEXT = 1_000_000
"""Characters one template may output, or build with ``~`` or ``+``."""
MAX_STEPS = 50_000
"""Loop iterations plus calls (macros included) in one render."""
MAX_LOOP_DEPTH = 4
"""Loops inside loops."""
MAX_NUMBER_BITS = 4096
"""Integers are kept to this size (about 1,200 digits)."""
MAX_CONDITION_TERMS = 300
"""Names, values and the words and/or/not in one condition (``when``), about 100 comparisons;
past it a condition is refused, quickly."""
MAX_CONDITION_DEPTH = 30
"""Brackets inside brackets in one condition."""


class BudgetExceeded(Exception):
    """A template or condition that would run too long or build too much."""


class Budget:
    __slots__ = ("steps",)

    def __init__(self) -> None:
        self.steps = 0

    def step(self, line: int | None = None) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            where = f" (loop at line {line})" if line else ""
            raise BudgetExceeded(f"more than {MAX_STEPS:,} loop steps and calls{where}; playbook templates must stay small")


BUDGET: ContextVar[Budget | None] = ContextVar("dealrescue_budget", default=None)


def current_budget() -> Budget:
    budget = BUDGET.get()
    if budget is None:  # e.g. a template rendered outside Template.render: a fresh budget each time
        budget = Budget()
        BUDGET.set(budget)
    return budget


def counted_loop(iterable: Any, line: int | None = None) -> Iterator[Any]:
    """What every ``{% for %}`` iterates over (put there when the template is compiled)."""
    budget = current_budget()
    for item in iterable:
        budget.step(line)
        yield item


def bounded_concat(parts: Any, line: int | None = None) -> str:
    """What every ``a ~ b`` becomes: the same text, refused past MAX_TEXT."""
    text = "".join(str(part) for part in parts)
    if len(text) > MAX_TEXT:
        where = f" at line {line}" if line else ""
        raise BudgetExceeded(f"text joined with ~{where} is longer than {MAX_TEXT:,} characters")
    return text


def with_budget(tree: Any) -> Any:
    """The parsed template with its loops counted and its ``~`` bounded, and loop nesting checked."""
    from jinja2 import nodes

    for concat in list(tree.find_all(nodes.Concat)):
        replacement = nodes.Filter(
            nodes.List(list(concat.nodes), lineno=concat.lineno), "dr_concat", [nodes.Const(concat.lineno)], [], None, None,
            lineno=concat.lineno,
        )
        _replace(tree, concat, replacement)
    for loop in tree.find_all(nodes.For):
        loop.iter = nodes.Filter(loop.iter, "dr_loop", [nodes.Const(loop.lineno)], [], None, None, lineno=loop.lineno)
    _check_loop_depth(tree, 0)
    return tree


def _replace(tree: Any, old: Any, new: Any) -> None:
    """Put ``new`` where ``old`` is in ``tree`` (Jinja nodes have no parent links)."""
    from jinja2 import nodes

    for node in [tree, *tree.find_all(nodes.Node)]:
        for field in node.fields:
            value = getattr(node, field, None)
            if value is old:
                setattr(node, field, new)
                return
            if isinstance(value, list):
                for index, item in enumerate(value):
                    if item is old:
                        value[index] = new
                        return


def _check_loop_depth(node: Any, depth: int) -> None:
    from jinja2 import nodes

    for child in node.iter_child_nodes():
        inner = depth + 1 if isinstance(child, nodes.For) else depth
        if inner > MAX_LOOP_DEPTH:
            raise BudgetExceeded(f"line {child.lineno}: more than {MAX_LOOP_DEPTH} loops inside each other")
        _check_loop_depth(child, inner)


def check_condition_size(source: str, lexer: Any) -> None:
    """Refuse, in linear time, a condition too big to compile safely: the compiler recurses once
    per ``and``/``or`` and per bracket, so a long chain ends in a RecursionError (and slowly)."""
    brackets = source.count("(") + source.count("[") + source.count("{")
    if len(source) <= MAX_CONDITION_TERMS and brackets <= MAX_CONDITION_DEPTH:
        # Within both limits without lexing it: a term is one character at least, and no bracket
        # nests deeper than the brackets written (those inside strings only count too many).
        return
    terms = depth = deepest = 0
    try:
        for _line, kind, value in lexer.tokeniter(source, None, state="variable"):
            if kind in ("name", "string", "integer", "float"):
                terms += 1
                if terms > MAX_CONDITION_TERMS:
                    break  # enough read to refuse: the rest is not even lexed
            elif kind == "operator" and value in "([{":
                depth += 1
                deepest = max(deepest, depth)
            elif kind == "operator" and value in ")]}":
                depth -= 1
    except Exception:  # noqa: BLE001 - a lexing error is reported by the parser, with its line
        return
    if terms > MAX_CONDITION_TERMS:
        raise BudgetExceeded(
            f"condition is too long: {terms} names, values and words (and, or, not), at most {MAX_CONDITION_TERMS}; split it"
        )
    if deepest > MAX_CONDITION_DEPTH:
        raise BudgetExceeded(f"condition nests brackets {deepest} deep, at most {MAX_CONDITION_DEPTH}")
