"""`--explain` and failing `playbooks test` cases: why a run gave its verdict and its scores."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dealrescue.cli.app import app
from dealrescue.core.loader import load_playbook
from tests.conftest import BUNDLED, MINIMAL

runner = CliRunner()
DATE = "2026-01-15"


def invoke(*args: object) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def _cases() -> list[tuple[Path, str, dict[str, Any], str, dict[str, float]]]:
    """For each bundled playbook, one of its own test cases per verdict."""
    found = []
    for path in BUNDLED:
        playbook = load_playbook(path.read_bytes(), str(path)).playbook
        for verdict in playbook.verdicts:
            case = next(t for t in playbook.tests if t.verdict == verdict.id)
            found.append((path, verdict.id, {"deal": case.deal, **case.answers}, case.name, case.scores))
    return found


CASES = _cases()


def _verdict_lines(stderr: str) -> list[tuple[str, str, str]]:
    """``(verdict id, mark, why)`` for each numbered verdict-rule line."""
    return re.findall(r"^  \d+\. (\w+): (holds|no|-): ?(.*)$", stderr, re.MULTILINE)


def _score_blocks(stderr: str) -> dict[str, tuple[float, str, list[float]]]:
    """score id -> (total, how combined, the points of each line under it)."""
    blocks: dict[str, tuple[float, str, list[float]]] = {}
    current = None
    for line in stderr.splitlines():
        head = re.match(r"^explain: score (\w+) = (-?[\d.]+).*\((the sum of these|the largest of these counts)\):$", line)
        if head:
            current = head.group(1)
            blocks[current] = (float(head.group(2)), head.group(3), [])
        elif current and (points := re.match(r"^\s+([+-]\d+(?:\.\d+)?)  ", line)):
            blocks[current][2].append(float(points.group(1)))
        elif not line.startswith("  "):
            current = None
    return blocks


@pytest.mark.parametrize(("path", "verdict", "answers", "name", "scores"), CASES, ids=[f"{c[0].stem}-{c[1]}" for c in CASES])
def test_explain_traces_each_bundled_verdict(
    path: Path, verdict: str, answers: dict[str, Any], name: str, scores: dict[str, float], tmp_path: Path
) -> None:
    answers_file = tmp_path / "answers.json"
    answers_file.write_text(json.dumps(answers))
    common = ("run", path, "--answers", answers_file, "--no-input", "--no-save", "--date", DATE)
    plain = invoke(*common)
    explained = invoke(*common, "--explain")
    assert explained.exit_code == 0, explained.stderr
    assert explained.stdout == plain.stdout, "--explain changes only stderr"
    assert "explain:" not in plain.stderr
    assert f"explain: verdict {verdict}\n" in explained.stderr

    playbook = load_playbook(path.read_bytes(), str(path)).playbook
    lines = _verdict_lines(explained.stderr)
    assert [v for v, _, _ in lines] == [v.id for v in playbook.verdicts], "every rule, in the playbook's order"
    chosen = [v.id for v in playbook.verdicts].index(verdict)
    for index, (rule, mark, why) in enumerate(lines):
        default = playbook.verdicts[index].default
        if rule == verdict:
            assert (mark, why) == ("-", "chosen: no rule above holds") if default else mark == "holds"
        elif default:
            assert mark == "-"
        elif index < chosen or playbook.verdicts[chosen].default:
            # A rule tried and not held says which part was false, with the values it read.
            assert mark == "no" and " is false" in why, (rule, why)
        else:
            assert (mark, why) == ("-", "not tried: an earlier rule holds")

    blocks = _score_blocks(explained.stderr)
    assert set(blocks) == {s.id for s in playbook.scores}
    for score_id, (total, how, points) in blocks.items():
        # The lines add up to the engine's total: the trace is the real computation.
        assert total == (max(points, default=0.0) if "largest" in how else sum(points)), (score_id, explained.stderr)
    for score_id, expected in scores.items():
        assert blocks[score_id][0] == expected


def test_explain_names_the_false_part_and_its_value(mini: Path) -> None:
    result = invoke("run", mini, "Acme", "--no-input", "--no-save", "--set", "competitor=Globex",
                    "--set", "reason=better_fit", "--explain")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert '  1. fight: no: reason == "gap" is false (reason is "better_fit")\n' in result.stderr
    assert "  2. walk: -: chosen: no rule above holds\n" in result.stderr


SCORED = MINIMAL.replace(
    "verdicts:\n",
    "scores:\n  - id: risk\n    title: Risk\n    rules:\n      - {when: 'reason == \"gap\"', points: 30, label: A gap}\n"
    "      - {when: 'competitor == \"Globex\"', points: 5}\nverdicts:\n",
).replace(
    "followups:", "tests:\n  - name: a gap is risky\n    answers: {competitor: Globex, reason: gap, gap: SSO}\n"
    "    verdict: walk\n    scores: {risk: 30}\nfollowups:"
)


def test_failing_case_shows_values_as_written_and_the_trace(tmp_path: Path) -> None:
    path = tmp_path / "scored.yaml"
    path.write_text(SCORED)
    result = invoke("playbooks", "test", path)
    assert result.exit_code == 3
    assert f"FAIL: {path}: a gap is risky" in result.stderr
    assert "  verdict: expected 'walk', got 'fight'\n" in result.stderr
    assert "  scores.risk: expected 30, got 35\n" in result.stderr
    assert '     +30  rule "A gap": holds\n' in result.stderr
    assert '      +5  rule "competitor == \\"Globex\\"": holds\n' in result.stderr
    assert "    1. fight: holds: reason == \"gap\"\n" in result.stderr
    assert "error:" not in result.stderr


def test_passing_case_prints_no_trace(tmp_path: Path) -> None:
    path = tmp_path / "scored.yaml"
    path.write_text(SCORED.replace("verdict: walk\n    scores: {risk: 30}", "verdict: fight\n    scores: {risk: 35}"))
    result = invoke("playbooks", "test", path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"ok: {path}: a gap is risky\n"
    assert "explain:" not in result.stderr


def test_the_explain_example_in_the_docs_is_real(tmp_path: Path) -> None:
    from tests.conftest import REPO

    doc = (REPO / "docs" / "playbooks.md").read_text(encoding="utf-8")
    example = doc.split("## A worked example")[1].split("```yaml\n")[1].split("```")[0]
    (tmp_path / "gone-quiet.yaml").write_text(example, encoding="utf-8")
    shown = doc.split("## Why this verdict?")[1].split("```text\n")[1].split("```")[0]
    command, printed = shown.split("\n", 1)
    args = command.removeprefix("$ dealrescue ").split()
    args[1] = str(tmp_path / args[1])
    result = invoke(*args, "--no-save")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == printed


ESCALATIONS = """\
id: esc
version: 1
title: Escalations
summary: A number that may be left empty.
questions:
  - id: open_escalations
    prompt: How many escalations are open?
    type: number
    required: false
scores:
  - id: risk
    title: Risk
    rules:
      - {when: 'open_escalations is not none and open_escalations >= 3', points: 5, label: Three or more open}
verdicts:
  - id: calm
    default: true
    title: Calm
    rationale: Nothing to do.
"""


def test_a_negated_test_reads_as_written(tmp_path: Path) -> None:
    """`x is not none` is shown as the author wrote it, not as `not x is none`."""
    path = tmp_path / "esc.yaml"
    path.write_text(ESCALATIONS, encoding="utf-8")
    result = invoke("run", path, "Acme", "--no-input", "--no-save", "--explain")
    assert result.exit_code == 0, result.stderr
    assert (
        'rule "Three or more open": no: open_escalations is not none is false (open_escalations is not answered)'
        in result.stderr
    ), result.stderr
