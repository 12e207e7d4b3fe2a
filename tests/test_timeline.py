"""The scheduler over random dependency graphs: order, plan date, deadlines, and the shortfall it reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dealrescue.core.timeline import (
    NO_GAP,
    Gap,
    Task,
    is_working_day,
    parse_gap,
    place,
    shortfall_message,
    through_hidden,
    topological,
)

START = dt.date(2026, 11, 16)  # a Monday: plan dates below fall on every day of the week


@st.composite
def graphs(draw: Any) -> tuple[list[Task], dt.date]:
    plan_date = START + dt.timedelta(days=draw(st.integers(0, 13)))
    count = draw(st.integers(1, 8))
    tasks = []
    for i in range(count):
        after = tuple(f"t{p}" for p in draw(st.sets(st.integers(0, i - 1), max_size=3))) if i else ()
        deadline_days = draw(st.one_of(st.none(), st.integers(-2, 25)))
        deadline = None if deadline_days is None else plan_date + dt.timedelta(days=deadline_days)
        anchor = None if deadline is None else deadline + dt.timedelta(days=draw(st.integers(0, 2)))
        gap = Gap(draw(st.integers(0, 6)), draw(st.booleans())) if after else NO_GAP
        tasks.append(
            Task(
                id=f"t{i}",
                wish=plan_date + dt.timedelta(days=draw(st.integers(-3, 20))),
                after=after,
                gap=gap,
                deadline=deadline,
                anchor=anchor,
                label="their date",
                working_day=draw(st.booleans()),
            )
        )
    return draw(st.permutations(tasks)), plan_date


def _needs(tasks: list[Task], plan_date: dt.date) -> dict[str, dt.date]:
    """The least day each task can have when every gap is kept, by repeating until nothing moves."""
    need = {t.id: plan_date for t in tasks}
    for _ in range(len(tasks) + 1):
        for t in tasks:
            need[t.id] = max([plan_date, *(t.gap.after(need[p]) for p in t.after)])
    return need


@settings(max_examples=400, deadline=None)
@given(graphs())
def test_placement_keeps_order_plan_date_and_deadlines(case: tuple[list[Task], dt.date]) -> None:
    tasks, plan_date = case
    timeline = place(tasks, plan_date)
    due, limit = timeline.due, timeline.deadline
    for t in tasks:
        assert due[t.id] >= plan_date
        for p in t.after:
            assert due[t.id] >= due[p], "order kept"
            assert timeline.rank[p] < timeline.rank[t.id]
        if limit[t.id] is not None:
            assert plan_date <= limit[t.id] and due[t.id] <= limit[t.id]
        if t.deadline is not None:
            assert limit[t.id] == max(plan_date, limit[t.id]) and limit[t.id] <= max(plan_date, t.deadline)
        lowest = max(plan_date, t.wish)
        if limit[t.id] is not None:
            lowest = min(lowest, limit[t.id])
        moved_back = t.working_day and is_working_day(due[t.id])
        assert due[t.id] >= lowest or moved_back, "on or after its own offset unless a deadline pulls it in"
        if t.working_day and not is_working_day(due[t.id]):
            assert limit[t.id] is not None
            free = [due[t.id] + dt.timedelta(days=d) for d in range((limit[t.id] - due[t.id]).days + 1)]
            assert not any(map(is_working_day, free)), "a customer step moves to a free working day"


@settings(max_examples=400, deadline=None)
@given(graphs())
def test_feasible_exactly_when_no_shortfall_and_the_figure_is_right(case: tuple[list[Task], dt.date]) -> None:
    tasks, plan_date = case
    timeline = place(tasks, plan_date)
    need = _needs(tasks, plan_date)
    overruns = [(need[t.id] - t.deadline).days for t in tasks if t.deadline is not None]
    expected = max([0, *overruns])
    short = timeline.shortfall
    assert (short.days if short else 0) == expected
    kept = all(
        timeline.due[t.id] >= t.gap.after(timeline.due[p]) for t in tasks for p in t.after
    ) and all(t.deadline is None or timeline.due[t.id] <= t.deadline for t in tasks)
    assert kept == (short is None), "feasible iff every gap and deadline is kept"
    if short is not None:
        by_id = {t.id: t for t in tasks}
        chain = short.binding
        for first, then in zip(chain, chain[1:], strict=False):
            assert first in by_id[then].after
        day = plan_date
        for step in chain[1:]:
            day = by_id[step].gap.after(day)
        last = by_id[chain[-1]]
        assert last.deadline is not None and (day - last.deadline).days == short.days
        assert short.need - short.left == short.days
        assert shortfall_message(short, {}).startswith("Not enough time: ")


def test_the_issue_example_reads_in_plain_words() -> None:
    plan_date = dt.date(2026, 11, 30)  # a Monday
    signature = dt.date(2026, 12, 7)
    tasks = [
        Task("proposal", plan_date),
        Task("proof", plan_date, after=("proposal",), gap=parse_gap("5wd")),
        Task("side_by_side", plan_date, after=("proof",), gap=parse_gap("3d")),
        Task("signature", plan_date, after=("side_by_side",), gap=parse_gap("2d"), deadline=signature, anchor=signature,
             label="their signature", working_day=True),
    ]
    timeline = place(tasks, plan_date)
    assert timeline.shortfall is not None
    assert timeline.shortfall.binding == ("proposal", "proof", "side_by_side", "signature")
    assert shortfall_message(timeline.shortfall, {}) == (
        "Not enough time: proposal, proof, side by side and signature need 12 days before their signature on 2026-12-07;"
        " 7 are left. Ask for a later date, or drop or shorten proof."
    )
    due = [timeline.due[t] for t in ("proposal", "proof", "side_by_side", "signature")]
    assert due == sorted(due) and due[-1] == signature


def test_a_customer_step_on_a_saturday_moves_to_monday_or_back_to_friday() -> None:
    saturday = dt.date(2026, 11, 21)
    assert place([Task("call", saturday, working_day=True)], saturday).due["call"] == dt.date(2026, 11, 23)
    held = place([Task("call", saturday, deadline=dt.date(2026, 11, 22), working_day=True)], dt.date(2026, 11, 19))
    assert held.due["call"] == dt.date(2026, 11, 20)
    assert place([Task("note", saturday)], saturday).due["note"] == saturday  # not customer-facing: stays


@pytest.mark.parametrize(("text", "gap"), [("5wd", Gap(5, True)), ("3d", Gap(3, False)), (" 0 wd ", Gap(0, True))])
def test_gaps_parse(text: str, gap: Gap) -> None:
    assert parse_gap(text) == gap


def test_working_day_gaps_count_mondays_to_fridays() -> None:
    friday = dt.date(2026, 11, 20)
    assert Gap(1, True).after(friday) == dt.date(2026, 11, 23)
    assert Gap(5, True).after(friday) == dt.date(2026, 11, 27)
    assert Gap(1, True).before(dt.date(2026, 11, 23)) == dt.date(2026, 11, 22)  # Sunday +1wd is Monday
    with pytest.raises(ValueError, match="5wd"):
        parse_gap("5 weeks")


def test_a_hidden_prerequisite_passes_its_own_on() -> None:
    after = {"a": (), "b": ("a",), "c": ("b",), "d": ("c", "a")}
    assert through_hidden(after, ["a", "c", "d"]) == {"a": (), "c": ("a",), "d": ("c",)}  # a comes before c already
    assert through_hidden(after, ["d"]) == {"d": ()}


def test_a_cycle_is_refused() -> None:
    day = dt.date(2026, 11, 22)
    with pytest.raises(ValueError, match="cycle"):
        topological([Task("a", day, after=("b",)), Task("b", day, after=("a",))])
