"""The budget of one template or condition: text built, loop steps and calls, loops inside
loops, numbers' size, and a condition's size (documented in docs/playbooks.md).

Loops, ``~`` and the lists written out are counted by filters put into each template when it is
compiled (``with_budget``); calls, filters, methods and operators by the sandbox
(``dealrescue.core.sandbox``), each output size checked before it is built.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

MAX_TEXT = 1_000_000
"""Characters one template may output, or build with ``~`` or ``+``."""
MAX_STEPS = 50_000
"""Loop iterations plus calls (macros included) in one render."""
MAX_BUILT = 4_000_000
"""Characters and items one render may build or read through filters, methods and operators, all
added up (a list counts what it holds, lists inside it too)."""
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
    __slots__ = ("built", "steps")

    def __init__(self) -> None:
        self.steps = 0
        self.built = 0

    def spend(self, units: int, what: str) -> None:
        """Pay for ``units`` characters or items built or read; refused past MAX_BUILT."""
        self.built += units
        if self.built > MAX_BUILT:
            raise BudgetExceeded(
                f"it builds and reads more than {MAX_BUILT:,} characters and items ({what}); playbook templates must stay small"
            )

    def room(self) -> int:
        return max(MAX_BUILT - self.built, 0)

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


def deep_size(value: Any, limit: int) -> int:
    """Characters and items in ``value``, a list inside lists counted each time it appears; the walk
    stops once the count passes ``limit``. Each distinct list is walked once (its size is kept by
    identity), so ``[a, a, a]`` costs three look-ups, not three walks, whatever ``a`` holds."""
    if _parts(value) is None:
        return _scalar_size(value)
    sizes: dict[int, int] = {}
    pending: list[tuple[Any, bool]] = [(value, False)]
    while pending:
        item, children_done = pending.pop()
        if id(item) in sizes and not children_done:
            continue
        parts = _parts(item)
        if parts is None:
            sizes[id(item)] = _scalar_size(item)
            continue
        if not children_done:
            pending.append((item, True))
            pending.extend((part, False) for part in parts if _parts(part) is not None and id(part) not in sizes)
            continue
        total = len(parts) + 1
        for part in parts:
            total += sizes[id(part)] if id(part) in sizes else _scalar_size(part)
            if total > limit:
                return total
        sizes[id(item)] = total
    return sizes.get(id(value), 0)


def _parts(item: Any) -> list[Any] | tuple[Any, ...] | None:
    """What a list, tuple, set or mapping holds (a mapping's keys and values); None for anything else."""
    if isinstance(item, (list, tuple)):
        return item
    if isinstance(item, (set, frozenset)):
        return list(item)
    if isinstance(item, dict):
        return [*item.keys(), *item.values()]
    return None


def _scalar_size(item: Any) -> int:
    if isinstance(item, str):
        return len(item)
    if isinstance(item, int) and not isinstance(item, bool):
        return item.bit_length() // 3 + 1  # about its digits
    return 1


def measured(value: Any, what: str) -> Any:
    """``value``, once what it holds is paid for from the current budget."""
    budget = current_budget()
    budget.spend(deep_size(value, budget.room() + 1), what)
    return value


def counted_loop(iterable: Any, line: int | None = None) -> Iterator[Any]:
    """What every ``{% for %}`` iterates over (put there when the template is compiled)."""
    budget = current_budget()
    for item in iterable:
        budget.step(line)
        yield item


def bounded_concat(parts: Any, line: int | None = None) -> str:
    """What every ``a ~ b`` becomes: the same text, refused past MAX_TEXT (what each part holds is
    measured before it is turned into text)."""
    where = f" at line {line}" if line else ""
    size = sum(deep_size(part, MAX_TEXT + 1) for part in parts)
    if size > MAX_TEXT:
        raise BudgetExceeded(f"text joined with ~{where} is longer than {MAX_TEXT:,} characters")
    current_budget().spend(size, f"text joined with ~{where}")
    return "".join(str(part) for part in parts)


def with_budget(tree: Any) -> Any:
    """The parsed template with its loops counted, its ``~`` bounded, the lists and mappings it
    writes out paid for, and loop nesting checked."""
    from jinja2 import nodes

    for literal in list(tree.find_all((nodes.List, nodes.Dict, nodes.Tuple))):
        if isinstance(literal, nodes.Tuple) and literal.ctx != "load":
            continue  # `{% for a, b in ... %}` names, not a value
        counted = nodes.Filter(literal, "dr_built", [nodes.Const(literal.lineno)], [], None, None, lineno=literal.lineno)
        _replace(tree, literal, counted)

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
