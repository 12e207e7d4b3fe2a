"""``invariants:`` and ``dealrescue playbooks test --fuzz``: generated answers, built-in checks, shrinking."""

from __future__ import annotations

import datetime as dt
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from dealrescue.core import fuzz as fuzzer
from dealrescue.core.loader import load_playbook
from dealrescue.core.model import Question, QuestionType
from dealrescue.errors import PlaybookError
from tests.conftest import REPO

EXAMPLE = REPO / "docs" / "examples" / "renewal-check.yaml"


def installed(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The installed console script (``python -m dealrescue`` where none is installed)."""
    script = Path(sys.executable).with_name("dealrescue")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "dealrescue"]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=120, env=os.environ.copy(), cwd=cwd)


def test_a_broken_invariant_fails_with_why_and_a_line_that_replays_it(tmp_path: Path) -> None:
    done = installed("playbooks", "test", str(EXAMPLE), "--fuzz", "200", "--seed", "3")
    assert done.returncode == 1, done.stderr
    assert "invariants[0].never" in done.stderr
    assert "why: An account at critical risk is never called healthy." in done.stderr
    replay = next(line.strip() for line in done.stderr.splitlines() if line.strip().startswith("dealrescue run"))
    words = shlex.split(replay)
    # Shrunk towards the defaults: only what the failure needs, the number brought down to the edge.
    assert words[words.index("--set") :] == ["--set", "usage=growing", "--set", "escalations=3", "--set", "contact=contact-note"]
    plan = installed(*words[1:], "--format", "json", cwd=tmp_path if EXAMPLE.is_absolute() else REPO)
    assert plan.returncode == 0, plan.stderr
    assert '"id": "keep_close"' in plan.stdout and '"band": "critical"' in plan.stdout


def test_same_seed_same_report_and_another_seed_still_finds_it() -> None:
    first = installed("playbooks", "test", str(EXAMPLE), "--fuzz", "150", "--seed", "11")
    again = installed("playbooks", "test", str(EXAMPLE), "--fuzz", "150", "--seed", "11")
    other = installed("playbooks", "test", str(EXAMPLE), "--fuzz", "150", "--seed", "12")
    assert first.stderr == again.stderr and first.stdout == again.stdout
    assert other.returncode == 1 and "invariants[0].never" in other.stderr


def test_fuzz_and_seed_are_checked(mini: Path) -> None:
    assert installed("playbooks", "test", str(mini), "--seed", "3").returncode == 2
    zero = installed("playbooks", "test", str(mini), "--fuzz", "0")
    assert zero.returncode == 2 and "--fuzz" in zero.stderr


def test_without_fuzz_the_playbooks_own_tests_still_run() -> None:
    done = installed("playbooks", "test", str(EXAMPLE))
    assert done.returncode == 0 and "ok:" in done.stdout and "answer sets" not in done.stdout


def test_invariants_compile_like_other_conditions_and_name_their_key(write_playbook: Callable[[str, str], Path]) -> None:
    text = EXAMPLE.read_text().replace('bands.risk == "critical"', 'bands.risk == "severe"').replace(
        "why: An account", "why: An acount"
    )
    text += "  - never: usage = 1\n    why: x\n  - never: nope\n    why: y\n"
    with pytest.raises(PlaybookError) as caught:
        load_playbook(text.encode(), "pb.yaml")
    problems = "\n".join(caught.value.problems)
    assert "invariants[0].never" in problems and "'severe'" in problems
    assert "invariants[1].never" in problems and "invariants[2].never: unknown name 'nope'" in problems


def test_the_schema_describes_invariants() -> None:
    done = installed("playbooks", "schema")
    assert '"Invariant"' in done.stdout and '"never"' in done.stdout and '"why"' in done.stdout


def test_steps_is_a_name_invariants_may_read() -> None:
    text = EXAMPLE.read_text() + '  - never: verdict == "rescue" and not steps and false\n    why: reads steps\n'
    compiled = load_playbook(text.encode(), "pb.yaml")
    assert "invariants[1].never" in compiled.conditions


def question(**fields: object) -> Question:
    return Question(**{"id": "q", "prompt": "Q?", **fields})  # type: ignore[arg-type]


def test_answers_cover_choices_subsets_edges_dates_and_blanks() -> None:
    select = question(type=QuestionType.select, choices=[{"value": "a", "label": "A"}, {"value": "b", "label": "B"}])
    from dealrescue.core.model import Choice

    choices = [Choice("a", "A"), Choice("b", "B"), Choice("c", "C")]
    assert fuzzer.candidates(question(type=QuestionType.select, choices=choices)) == ["a", "b", "c"]
    assert fuzzer.candidates(question(type=QuestionType.multiselect, choices=choices, required=False)) == [None, "a", "b", "c", "", "a,b,c"]
    assert fuzzer.candidates(question(type=QuestionType.scale)) == ["1", "6", "10"]
    assert fuzzer.candidates(question(type=QuestionType.number, min=0, max=50)) == ["0", "1", "25", "50"]
    dates = fuzzer.candidates(question(type=QuestionType.date, required=False))
    assert dates == [None, "@-30", "@0", "@1", "@3", "@7", "@30", "@400", ""]
    assert fuzzer.candidates(question(type=QuestionType.confirm, default=False)) == [None, "no", "yes"]
    assert select.choices  # the mapping form is accepted too


def test_every_value_is_tried_and_dates_count_from_each_plan_date() -> None:
    compiled = load_playbook(EXAMPLE.read_bytes(), "pb.yaml")
    sets = list(fuzzer.answer_sets(compiled.playbook, 60, seed=5))
    assert len(sets) == 60
    assert {a.get("usage") for _, a in sets} >= {"growing", "flat", "falling"}
    assert {a.get("escalations") for _, a in sets} >= {"0", "1", "1000000"}
    assert any("worry" not in a for _, a in sets) and any(a.get("worry") == "" for _, a in sets)
    assert all(dt.date(2026, 1, 12) <= d <= dt.date(2026, 1, 18) for d, _ in sets)
    assert sets == list(fuzzer.answer_sets(compiled.playbook, 60, seed=5))


LEAKY_TALK_TRACKS = [
    "{% set n = worry %}{{ n }}",
    "{% for x in [worry] %}{{ x }}{% endfor %}",
    "{{ labels|dictsort }}",
    "{{ labels|tojson }}",
    '{{ labels[("wor"~"ry")] }}',
]


@pytest.mark.parametrize("route", LEAKY_TALK_TRACKS)
def test_a_rep_note_reaching_customer_text_is_found_by_its_value(route: str) -> None:
    text = EXAMPLE.read_text().replace("Anything we should fix before the renewal?", f"Anything else? {route}")
    try:
        compiled = load_playbook(text.encode(), "pb.yaml")
    except PlaybookError as exc:  # refused when loaded: caught just as well
        assert "worry" in "\n".join(exc.problems)
        return
    report = fuzzer.fuzz(compiled, 120, seed=1)
    leaks = [f for f in report.failures if f.key == "leak: worry"]
    assert leaks, [f.key for f in report.failures]
    assert "worry-note" in leaks[0].detail or "*Co*" in leaks[0].detail


def test_an_empty_talk_track_and_a_blank_value_are_found(write_playbook: Callable[[str, str], Path]) -> None:
    text = EXAMPLE.read_text().replace(
        "talk_tracks:\n",
        "talk_tracks:\n  - title: Empty when flat\n    text: '{% if usage != \"flat\" %}> \"Say this.\"{% endif %}'\n"
        "  - title: Only an intro\n    text: 'Ask these:'\n"
        "  - title: A blank\n    text: '> \"Thanks {% if usage != \"flat\" %}team{% endif %}, see you.\"'\n",
    )
    compiled = load_playbook(text.encode(), "pb.yaml")
    keys = {f.key: f for f in fuzzer.fuzz(compiled, 150, seed=2).failures}
    assert "is empty" in keys["empty: talk track 'Empty when flat'"].detail
    assert "ends on its intro" in keys["empty: talk track 'Only an intro'"].detail
    assert keys["empty: talk track 'A blank'"].answers["usage"] == "flat"


def test_a_template_that_fails_for_some_answers_is_found() -> None:
    text = EXAMPLE.read_text().replace("{{ worry or 'nothing noted' }}", "{{ worry.upper() }}")
    compiled = load_playbook(text.encode(), "pb.yaml")
    render = next(f for f in fuzzer.fuzz(compiled, 100, seed=0).failures if f.key == "render")
    assert "plan[0].text" in render.detail and "worry" not in render.answers


def test_number_answers_stay_inside_any_bounds() -> None:
    assert fuzzer.candidates(question(type=QuestionType.number, min=5_000_000)) == ["5000000", "5500000", "6000000"]
    assert fuzzer.candidates(question(type=QuestionType.number, max=-5)) == ["-1000005", "-500005", "-5"]
    assert fuzzer.candidates(question(type=QuestionType.number)) == ["-1", "0", "1", "500000", "1000000"]


def test_an_invariant_reads_the_ids_of_the_steps_in_the_plan() -> None:
    text = EXAMPLE.read_text().replace("    due: +1d\n", '    due: +1d\n    id: worry_review\n    when: usage != "flat"\n', 1)
    text += '  - never: \'"worry_review" not in steps\'\n    why: Every plan goes through what worries the rep.\n'
    compiled = load_playbook(text.encode(), "pb.yaml")
    failure = next(f for f in fuzzer.fuzz(compiled, 100, seed=4).failures if f.key == "invariants[1].never")
    assert failure.answers["usage"] == "flat" and failure.why == "Every plan goes through what worries the rep."


def test_the_order_and_deadline_checks_find_a_step_placed_wrong() -> None:
    import dataclasses

    from dealrescue.catalog import finder
    from dealrescue.core import plancheck
    from dealrescue.core.engine import run_non_interactive
    from dealrescue.core.plan import build_plan

    compiled = finder.load_file(finder.locate("triage")[0])
    answers = {"competitor": "Globex", "signed": "not_signed", "reason": "better_fit", "sign_date": "2026-01-30"}
    date = dt.date(2026, 1, 15)
    plan = build_plan(compiled, run_non_interactive(compiled, answers, "Acme", date.isoformat()), "Acme", date)
    assert not list(plancheck._order(plan)) and not list(plancheck._dates(plan))
    later = next(s for s in plan.steps if s.after and any(b.id == s.after[0] for b in plan.steps))
    early = dataclasses.replace(later, due=date - dt.timedelta(days=1))
    late = dataclasses.replace(later, due=dt.date(2026, 3, 1), deadline=dt.date(2026, 1, 29))
    for broken, key in ((early, "order"), (early, "before_plan_date"), (late, "deadline")):
        moved = dataclasses.replace(plan, steps=tuple(broken if s is later else s for s in plan.steps))
        assert key in {f.key for f in [*plancheck._order(moved), *plancheck._dates(moved)]}, key
