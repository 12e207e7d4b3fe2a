"""Load-time checks of the order a playbook declares: step ids, ``after`` and ``gap``.

Steps and follow-ups share one set of ids, so a follow-up may come after a step. A step
without ``id`` is named by its place: ``plan_0``, ``followups_2``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dealrescue.core.model import ids_in

KeyPath = tuple[str | int, ...]


def item_id(kind: str, index: int, declared: str | None) -> str:
    """A step's or follow-up's id: the one it declares, or ``plan_3`` / ``followups_0``."""
    return declared if declared else f"{kind}_{index}"


def numbered(items: Iterable[tuple[str, Any]]) -> list[tuple[str, int, Any]]:
    """``("plan", step)`` pairs as ``("plan", index, step)``, each kind counted from 0."""
    counters: dict[str, int] = {}
    found = []
    for kind, item in items:
        index = counters.get(kind, 0)
        counters[kind] = index + 1
        found.append((kind, index, item))
    return found


def order_problems(items: Iterable[tuple[str, Any]]) -> list[tuple[KeyPath, str]]:
    """Repeated ids, ``after`` naming no step, cycles, and a ``gap`` with nothing to count from."""
    entries = numbered(items)
    found: list[tuple[KeyPath, str]] = []
    where: dict[str, str] = {}
    for kind, index, item in entries:
        step_id = item_id(kind, index, item.id)
        if step_id in where:
            found.append(((kind, index, "id"), f"id {step_id!r} is used twice (also {where[step_id]})"))
        where.setdefault(step_id, f"{kind}[{index}]")
    after = {item_id(k, i, item.id): ids_in(item.after) for k, i, item in entries}
    for kind, index, item in entries:
        path: KeyPath = (kind, index, "after")
        step_id = item_id(kind, index, item.id)
        for wanted in ids_in(item.after):
            if wanted not in where:
                close = difflib.get_close_matches(wanted, list(where), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else f" (ids: {', '.join(sorted(where))})"
                found.append((path, f"no step or follow-up has id {wanted!r}{hint}"))
        cycle = _cycle_from(step_id, after)
        if cycle:
            found.append((path, f"a cycle: {' comes after '.join(repr(c) for c in cycle)}; remove one of these after entries"))
        if item.gap and not ids_in(item.after):
            found.append(((kind, index, "gap"), "a gap counts from the steps in after: add after, or use due"))
    return found


def _cycle_from(start: str, after: Mapping[str, Sequence[str]]) -> list[str]:
    """``[start, x, ..., start]`` when following ``after`` from ``start`` comes back to it, else []."""
    trail: list[str] = [start]
    seen: set[str] = set()

    def walk(node: str) -> bool:
        for wanted in after.get(node, ()):
            if wanted == start:
                trail.append(start)
                return True
            if wanted in seen or wanted not in after:
                continue
            seen.add(wanted)
            trail.append(wanted)
            if walk(wanted):
                return True
            trail.pop()
        return False

    return trail if walk(start) else []
