"""One statement of scoring: over generated playbooks and rows, the engine, the fast scorer and the
SQL query run in DuckDB give the same scores, bands, verdict and reasons for every row, columns
missing from the export included."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dealrescue.cli.app import app
from dealrescue.core.loader import load_playbook
from dealrescue.core.rank import match_columns
from dealrescue.core.rank.fast import FastScorer
from dealrescue.core.rank.scorer import EngineScorer, RowProblem, Scorer
from dealrescue.core.rank.sqlquery import ranking_sql

duckdb = pytest.importorskip("duckdb")
TODAY = "2027-01-04"
POINTS = st.sampled_from([-3, -1.5, -1, 0, 0, 0.5, 1, 2, 3])
# Labels that a query must quote, and one that is also a rule's label (so both read as one reason).
LABELS = ["Budget isn't set", "No champion", 'Said "later"', "Rival\\named", "Strong fit", "Quiet"]


@st.composite
def questions(draw: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for i in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["select", "confirm", "number"]))
        q: dict[str, Any] = {"id": f"q{i}", "prompt": f"Question {i}?", "type": kind}
        if kind == "select":
            labels = draw(st.lists(st.sampled_from(LABELS), min_size=2, max_size=3, unique=True))
            q["choices"] = [{"value": f"c{n}", "label": label,
                             "points": draw(st.dictionaries(st.sampled_from(["s0", "s1"]), POINTS, max_size=2))}
                            for n, label in enumerate(labels)]
            default = draw(st.sampled_from([None, "c0", "c1"]))
        elif kind == "confirm":
            q["points"] = draw(st.dictionaries(st.sampled_from(["s0", "s1"]), POINTS, max_size=1))
            default = draw(st.sampled_from([None, "yes", "no"]))
        else:
            q["min"], q["max"] = 0, 10
            default = draw(st.sampled_from([None, 3]))
        if default is not None:
            q["default"] = default
        q["required"] = draw(st.booleans())
        if found and draw(st.integers(0, 3)) == 0:
            q["when"] = draw(_condition(found))
        found.append(q)
    return found


def _condition(qs: list[dict[str, Any]]) -> Any:
    """A condition over the answers to ``qs``."""
    options = []
    for q in qs:
        if q["type"] == "select":
            options += [f"{q['id']} == '{c['value']}'" for c in q["choices"]]
            options.append(f"{q['id']} in {[c['value'] for c in q['choices'][1:]]!r}")
        elif q["type"] == "confirm":
            options += [q["id"], f"not {q['id']}"]
        else:
            options += [f"{q['id']} >= 5", f"{q['id']} < 2"]
        options.append(f"{q['id']} is none")
    single = st.sampled_from(options)
    return st.one_of(single, st.builds(lambda a, b, op: f"({a}) {op} ({b})", single, single,
                                       st.sampled_from(["and", "or"])))


@st.composite
def playbooks(draw: Any) -> dict[str, Any]:
    qs = draw(questions())
    scores = []
    for s in range(draw(st.integers(1, 2))):
        rules = [{"when": draw(_condition(qs)), "points": draw(POINTS),
                  **({"label": draw(st.sampled_from(LABELS))} if draw(st.booleans()) else {})}
                 for _ in range(draw(st.integers(0, 3)))]
        mins = draw(st.lists(st.sampled_from([-4, -1, 0, 1, 2, 3.5, 5]), max_size=3, unique=True))
        scores.append({"id": f"s{s}", "title": f"Score {s}", "combine": draw(st.sampled_from(["sum", "max"])),
                       "better": draw(st.sampled_from(["higher", "lower"])),
                       "rules": rules, "bands": [{"id": f"b{n}", "min": m, "label": f"Band {n}"}
                                                 for n, m in enumerate(mins)]})
    for q in qs:  # points only for the scores that exist
        for holder in [q, *q.get("choices", [])]:
            holder["points"] = {k: v for k, v in holder.get("points", {}).items() if int(k[1]) < len(scores)}
    on_scores = []
    for score in scores:
        on_scores += [f"bands.{score['id']} == '{b['id']}'" for b in score["bands"]]
        on_scores += [f"scores.{score['id']} >= 2", f"bands.{score['id']} is none"]
    verdict_when = st.one_of(st.sampled_from(on_scores), _condition(qs),
                             st.builds(lambda a, b: f"({a}) and ({b})", st.sampled_from(on_scores), _condition(qs)))
    verdicts = [{"id": f"v{n}", "title": f"Verdict {n}", "rationale": "Because.", "when": draw(verdict_when)}
                for n in range(draw(st.integers(1, 3)))]
    verdicts.insert(draw(st.integers(0, len(verdicts))),
                    {"id": "fallback", "title": "Fallback", "rationale": "Nothing else held.", "default": True})
    return {"id": "generated", "version": 1, "title": "Generated", "summary": "A generated playbook.",
            "questions": qs, "scores": scores, "verdicts": verdicts, "plan": [{"text": "Call them"}]}


def _cells(q: dict[str, Any]) -> Any:
    if q["type"] == "select":
        texts = [c["value"] for c in q["choices"]] + [c["label"].upper() for c in q["choices"]]
        return st.sampled_from(["", "  ", "nonsense", *texts])
    if q["type"] == "confirm":
        return st.sampled_from(["", "yes", "No", "TRUE", "x", "Y", "0", "maybe"])
    # Numbers as CRMs write them too (read as rank reads them, or unreadable alike).
    return st.sampled_from(["", "3", " 7 ", "0", "10", "11", "-2", "2.5", "lots", "$4", "(2)", "EUR 6,00", "0.008k",
                            "7,5", "1,000", "USD 1.5", "1.234"])


@st.composite
def exports(draw: Any) -> tuple[dict[str, Any], list[list[str]]]:
    data = draw(playbooks())
    header = ["deal", *(q["id"] for q in data["questions"])]
    rows = []
    for k in range(draw(st.integers(1, 12))):
        deal = draw(st.sampled_from([f"Deal {k}", f"deal {k}", ""]))
        rows.append([deal, *(draw(_cells(q)) for q in data["questions"])])
    # Some questions may have no column at all (not asked), unless a row cannot do without them.
    droppable = [i for i, q in enumerate(data["questions"]) if not (q["required"] and "default" not in q)]
    dropped = set(draw(st.lists(st.sampled_from(droppable), unique=True, max_size=2))) if droppable else set()
    keep = [0, *(i + 1 for i in range(len(data["questions"])) if i not in dropped)]
    return data, [[row[k] for k in keep] for row in [header, *rows]]


def _scored(scorer: Scorer, rows: list[list[str]]) -> list[tuple[Any, ...]]:
    text = io.StringIO()
    csv.writer(text).writerows(rows[1:])
    reader = csv.reader(io.StringIO(text.getvalue()))
    problems: list[RowProblem] = []
    scorer.feed(reader, problems.append)
    verdicts = scorer.compiled.playbook.verdicts
    return [(deal, standing.totals, standing.bands, verdicts[standing.verdict].id, "; ".join(reasons))
            for deal, _line, standing, reasons, _ordinal, _amount in scorer.ranked().rows()]


def _sql(compiled: Any, rows: list[list[str]]) -> list[tuple[Any, ...]]:
    query = ranking_sql(compiled, "crm_export", "duckdb", match_columns(rows[0], compiled, "export.csv"), today=TODAY)
    con = duckdb.connect()
    con.execute("CREATE TABLE crm_export (" + ", ".join(f'"{h}" VARCHAR' for h in rows[0]) + ")")
    con.executemany("INSERT INTO crm_export VALUES (" + ", ".join("?" for _ in rows[0]) + ")", rows[1:])
    count = len(compiled.playbook.scores)
    return [(r[1], tuple(r[2:2 + 2 * count:2]), tuple(r[3:3 + 2 * count:2]), r[-2], r[-1])
            for r in con.execute(query).fetchall()]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exports())
def test_engine_fast_scorer_and_sql_agree_on_generated_playbooks(export: tuple[dict[str, Any], list[list[str]]]) -> None:
    data, rows = export
    compiled = load_playbook(json.dumps(data).encode(), "generated.yaml")
    columns = match_columns(rows[0], compiled, "export.csv")
    order = tuple(range(len(compiled.playbook.scores)))
    engine = _scored(EngineScorer(compiled, columns, order, TODAY), rows)
    fast = _scored(FastScorer(compiled, columns, order, TODAY), rows)
    assert fast == engine
    assert _sql(compiled, rows) == engine


def test_two_bands_with_one_min_are_refused_by_validate(tmp_path: Any) -> None:
    path = tmp_path / "tie.yaml"
    data = {"id": "tie", "version": 1, "title": "Tie", "summary": "Two bands at one min.",
            "questions": [{"id": "risk", "prompt": "Risk?", "type": "confirm", "points": {"risk": 2}}],
            "scores": [{"id": "risk", "title": "Risk", "bands": [{"id": "go", "min": 0, "label": "Go"},
                                                                 {"id": "stop", "min": 0, "label": "Stop"}]}],
            "verdicts": [{"id": "fallback", "title": "F", "rationale": "R", "default": True}],
            "plan": [{"text": "Call"}]}
    path.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(app, ["playbooks", "validate", str(path)])
    assert result.exit_code == 3
    assert "score risk: bands go, stop have the same min 0" in result.output
