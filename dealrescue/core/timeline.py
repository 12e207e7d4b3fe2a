"""Placing dated tasks that depend on each other: the order kept, the customer's dates kept.

Each task has the day it would like (its own offset), an optional deadline from a customer's
date, the tasks it comes after (``after``) and a minimum gap after them. ``place`` dates every
task so that:

- a task is never before the plan date, nor before the tasks it comes after;
- it is never after its effective deadline: the tighter of its own and those of the tasks
  that come after it, less their gaps (never before the plan date);
- otherwise it is on or after its own offset, and after its prerequisites plus its gap;
- a customer-facing task moves off a weekend when a working day is free in its window.

When the gaps cannot all fit before a deadline, they are squeezed (the order and the deadline
stay) and ``Timeline.shortfall`` says by how many days, and which chain binds.
"""

from __future__ import annotations

import datetime as dt
import heapq
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_GAP = re.compile(r"^\s*(\d+)\s*(wd|d)\s*$")
_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Gap:
    """At least ``amount`` days (working days when ``working``) after the prerequisites."""

    amount: int
    working: bool

    def after(self, day: dt.date) -> dt.date:
        """The first day this gap allows after ``day``."""
        if not self.working:
            return day + dt.timedelta(days=self.amount)
        for _ in range(self.amount):
            day += _DAY
            while not is_working_day(day):
                day += _DAY
        return day

    def before(self, day: dt.date) -> dt.date:
        """The latest day whose gap still ends on or before ``day``."""
        if not self.working:
            return day - dt.timedelta(days=self.amount)
        found = day - dt.timedelta(days=self.amount)  # a working-day gap is never shorter in days
        while self.after(found + _DAY) <= day:
            found += _DAY
        while self.after(found) > day:
            found -= _DAY
        return found


NO_GAP = Gap(0, False)


def parse_gap(text: str) -> Gap:
    """``5wd`` (working days) or ``3d`` (calendar days); ValueError otherwise."""
    match = _GAP.match(text)
    if not match:
        raise ValueError(f"not a gap: {text!r} (write 5wd for working days or 3d for days)")
    return Gap(int(match.group(1)), match.group(2) == "wd")


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5


@dataclass(frozen=True, slots=True)
class Task:
    """One step or follow-up to date. ``deadline`` is its own; ``anchor`` the customer's date it
    comes from (``deadline`` may be a day or two before it) and ``label`` how the plan names it."""

    id: str
    wish: dt.date
    after: tuple[str, ...] = ()
    gap: Gap = NO_GAP
    deadline: dt.date | None = None
    anchor: dt.date | None = None
    label: str | None = None
    working_day: bool = False


@dataclass(frozen=True, slots=True)
class Shortfall:
    """The chain (``binding``, first to last) that does not fit before ``label`` on ``anchor``."""

    days: int
    binding: tuple[str, ...]
    need: int
    left: int
    label: str
    anchor: dt.date
    longest_gap: str | None


@dataclass(frozen=True, slots=True)
class Timeline:
    due: dict[str, dt.date]
    deadline: dict[str, dt.date | None]
    rank: dict[str, int]  # position in an order that keeps every `after`; ties keep the input order
    shortfall: Shortfall | None
    # Customer dates (by label) that pulled a task in before its own offset.
    pulled: dict[str, dt.date]


def topological(tasks: Sequence[Task]) -> list[Task]:
    """``tasks`` in an order where each comes after its prerequisites; otherwise the input order.

    Prerequisites not among ``tasks`` are ignored. ValueError on a cycle.
    """
    index = {t.id: i for i, t in enumerate(tasks)}
    waiting = {t.id: sum(1 for p in set(t.after) if p in index) for t in tasks}
    dependents: dict[str, list[str]] = {t.id: [] for t in tasks}
    for t in tasks:
        for p in set(t.after):
            if p in index:
                dependents[p].append(t.id)
    ready = [index[i] for i, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    ordered: list[Task] = []
    while ready:
        task = tasks[heapq.heappop(ready)]
        ordered.append(task)
        for d in dependents[task.id]:
            waiting[d] -= 1
            if waiting[d] == 0:
                heapq.heappush(ready, index[d])
    if len(ordered) != len(tasks):
        stuck = sorted(i for i, n in waiting.items() if n)
        raise ValueError(f"the steps {', '.join(stuck)} wait for each other in a cycle")
    return ordered


def place(tasks: Sequence[Task], plan_date: dt.date) -> Timeline:
    """Date every task (see the module's docstring)."""
    ordered = topological(tasks)
    known = {t.id for t in tasks}
    before = {t.id: tuple(p for p in dict.fromkeys(t.after) if p in known) for t in tasks}
    deadline, pulled_by = _effective_deadlines(ordered, before, plan_date)
    due: dict[str, dt.date] = {}
    pulled: dict[str, dt.date] = {}
    for t in ordered:
        ready = [t.gap.after(due[p]) for p in before[t.id]]
        earliest = max([plan_date, t.wish, *ready])
        limit = deadline[t.id]
        day = earliest if limit is None else min(earliest, limit)
        if day < earliest and t.id in pulled_by:
            source = pulled_by[t.id]
            pulled[source.label or ""] = source.anchor or plan_date
        if t.working_day and not is_working_day(day):
            floor = max([plan_date, *(due[p] for p in before[t.id])])
            gapped = max([plan_date, *ready])
            day = _working_day_near(day, max(floor, gapped) if limit is None or gapped <= limit else floor, limit)
        due[t.id] = day
    return Timeline(
        due=due,
        deadline=deadline,
        rank={t.id: i for i, t in enumerate(ordered)},
        shortfall=_shortfall(ordered, before, plan_date),
        pulled=pulled,
    )


def _effective_deadlines(
    ordered: Sequence[Task], before: Mapping[str, tuple[str, ...]], plan_date: dt.date
) -> tuple[dict[str, dt.date | None], dict[str, Task]]:
    """Each task's tighter of its own deadline and its dependents' (less their gaps), and the
    task whose own deadline that is."""
    deadline: dict[str, dt.date | None] = {t.id: t.deadline for t in ordered}
    source: dict[str, Task] = {t.id: t for t in ordered if t.deadline is not None}
    for t in reversed(ordered):
        own = deadline[t.id]
        if own is None:
            continue
        own = max(own, plan_date)
        deadline[t.id] = own
        for p in before[t.id]:
            allowed = max(t.gap.before(own), plan_date)
            current = deadline[p]
            if current is None or allowed < current:
                deadline[p] = allowed
                source[p] = source[t.id]
    return deadline, source


def _working_day_near(day: dt.date, floor: dt.date, limit: dt.date | None) -> dt.date:
    """The first working day after ``day`` up to ``limit``, else the last one back to ``floor``, else ``day``."""
    later = day
    while limit is None or later <= limit:
        if is_working_day(later):
            return later
        later += _DAY
    earlier = day
    while earlier >= floor:
        if is_working_day(earlier):
            return earlier
        earlier -= _DAY
    return day


def _shortfall(ordered: Sequence[Task], before: Mapping[str, tuple[str, ...]], plan_date: dt.date) -> Shortfall | None:
    """The worst overrun of a deadline by the days the gaps alone need, counted from the plan date."""
    need: dict[str, dt.date] = {}
    via: dict[str, str | None] = {}
    for t in ordered:
        need[t.id], via[t.id] = plan_date, None
        for p in before[t.id]:
            ready = t.gap.after(need[p])
            if ready > need[t.id]:
                need[t.id], via[t.id] = ready, p
    worst: tuple[int, Task] | None = None
    for t in ordered:
        if t.deadline is not None and (need[t.id] - t.deadline).days > (worst[0] if worst else 0):
            worst = ((need[t.id] - t.deadline).days, t)
    if worst is None:
        return None
    days, last = worst
    chain = [last.id]
    while (previous := via[chain[-1]]) is not None:
        chain.append(previous)
    chain.reverse()
    by_id = {t.id: t for t in ordered}
    gaps = [(by_id[i].gap.amount, i) for i in chain[1:] if by_id[i].gap.amount]
    anchor = last.anchor or last.deadline
    assert anchor is not None
    left = (anchor - plan_date).days
    return Shortfall(
        days=days,
        binding=tuple(chain),
        need=left + days,
        left=left,
        label=last.label or "the deadline",
        anchor=anchor,
        longest_gap=max(gaps, key=lambda g: g[0])[1] if gaps else None,
    )


def shortfall_message(short: Shortfall, names: Mapping[str, str]) -> str:
    """``Not enough time: proposal, proof and side by side need 9 days before their signature on ...``."""
    words = [names.get(i, i.replace("_", " ")) for i in short.binding]
    chain = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
    need = "needs" if len(words) == 1 else "need"
    left = f"{short.left} {'is' if short.left == 1 else 'are'} left" if short.left > 0 else "none are left"
    remedy = "Ask for a later date"
    if short.longest_gap is not None:
        remedy += f", or drop or shorten {names.get(short.longest_gap, short.longest_gap.replace('_', ' '))}"
    return (
        f"Not enough time: {chain} {need} {short.need} day{'s' if short.need != 1 else ''} before "
        f"{short.label} on {short.anchor.isoformat()}; {left}. {remedy}."
    )


def through_hidden(after: Mapping[str, tuple[str, ...]], shown: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Each shown task's nearest prerequisites among the shown ones: a hidden prerequisite passes on its own.

    ``after`` holds every task's declared prerequisites (the playbook's, shown or not).
    """
    visible = set(shown)
    found: dict[str, tuple[str, ...]] = {}

    def resolve(task: str, trail: frozenset[str]) -> list[str]:
        out: list[str] = []
        for p in after.get(task, ()):
            if p in visible:
                out.append(p)
            elif p not in trail:  # a cycle cannot load; this only keeps a hand-made one finite
                out += resolve(p, trail | {p})
        return out

    for task in shown:
        found[task] = tuple(dict.fromkeys(resolve(task, frozenset({task}))))
    # Leave out a prerequisite that another one already waits for: it changes no date, and reads as noise.
    ancestors: dict[str, set[str]] = {}

    def before_of(task: str, trail: frozenset[str]) -> set[str]:
        if task not in ancestors:
            direct = [p for p in found.get(task, ()) if p not in trail]
            ancestors[task] = set(direct).union(*(before_of(p, trail | {p}) for p in direct))
        return ancestors[task]

    return {
        task: tuple(p for p in wanted if not any(p in before_of(q, frozenset({q})) for q in wanted if q != p))
        for task, wanted in found.items()
    }
