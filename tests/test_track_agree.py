"""One rule for success on a team's exports: ``track --from`` (and ``rank --from``) count a success
where the export says ``success = yes``, as the warehouse SQL in docs/track.md does, whatever the
manager's copy of the playbook says; and both give the same figures on any export."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dealrescue import paths
from dealrescue.commands.runs_csv import COLUMNS, csv_line, read_exports
from dealrescue.core.track import round3, track_record
from tests.test_track import figures_by_sql, ok, run, setup

TRIAGE = paths.bundled_playbooks_dir() / "triage.yaml"


def _lenient_triage(folder: Path) -> Path:
    """A rep's own triage in which 'no decision' also counts as fight on value having worked."""
    text = TRIAGE.read_text(encoding="utf-8")
    head, tail = text.split("  - id: fight_on_value\n", 1)
    assert "    success: [won_back]\n" in tail
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "triage.yaml").write_text(head + "  - id: fight_on_value\n" + tail.replace(
        "    success: [won_back]\n", "    success: [won_back, no_decision]\n", 1), encoding="utf-8")
    return folder


def test_the_exports_success_counts_not_the_managers_playbook(tmp_path: Path) -> None:
    """Dana's triage counts 'no decision' as success for fight on value; the manager's (bundled) does not.
    Her export says which of her outcomes were successes, and that is what the team's record counts."""
    dana = tmp_path / "dana"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(paths.PLAYBOOKS_ENV, str(_lenient_triage(tmp_path / "dana-playbooks")))
        for i, result in enumerate(["won_back", "no_decision", "no_decision", "lost", "lost", "no_decision"]):
            setup("outcome", run(f"Deal {i}", "fight_on_value", f"2026-09-{i + 1:02d}", home=dana), result, home=dana)
        export = tmp_path / "dana-runs.csv"
        ok("deals", "export", "--all", "-o", str(export), home=dana)
    rows = list(csv.DictReader(io.StringIO(export.read_text(encoding="utf-8"))))
    assert [r["success"] for r in rows] == ["yes", "yes", "yes", "no", "no", "yes"]

    record = json.loads(ok("track", "triage", "--from", str(export), "--format", "json").stdout)
    fight = next(v for v in record["verdicts"] if v["verdict"] == "fight_on_value")
    assert (fight["outcomes"], fight["successes"], fight["rate"], fight["interval"]) == (6, 4, 0.667, [0.3, 0.903])
    os.chdir(tmp_path)
    verdicts, bands = figures_by_sql([export])
    assert verdicts["fight_on_value"] == fight
    assert bands == {"ajar": (6, 4)}
    listed = json.loads(ok("track", "triage", "--from", str(export), "--runs", "fight_on_value", "--format", "json").stdout)
    assert sum(r["success"] is True for r in listed) == 4

    # Without the column, the file has nothing to say and the manager's playbook judges: 1 of 6.
    bare = tmp_path / "no-success-column.csv"
    bare.write_text("".join(csv_line([r[c] for c in COLUMNS[:-1]]) for r in [dict(zip(COLUMNS, COLUMNS, strict=True)), *rows]),
                    encoding="utf-8")
    record = json.loads(ok("track", "triage", "--from", str(bare), "--format", "json").stdout)
    assert next(v for v in record["verdicts"] if v["verdict"] == "fight_on_value")["successes"] == 1


def test_an_outcome_the_export_could_not_judge_is_no_success_and_a_warning(tmp_path: Path) -> None:
    export = tmp_path / "runs.csv"
    export.write_text(csv_line(COLUMNS) + csv_line(
        ["r1", "Acme", "triage", "1", "", "done", "2026-09-01", "2026-09-01T10:00:00Z", "fight_on_value",
         '{"open_door": "ajar"}', "won_back", "2026-10-01", ""]), encoding="utf-8")
    done = ok("track", "triage", "--from", str(export), "--format", "json")
    fight = next(v for v in json.loads(done.stdout)["verdicts"] if v["verdict"] == "fight_on_value")
    assert (fight["outcomes"], fight["successes"]) == (1, 0)
    assert f"warning: {export}: 1 run(s) with an outcome say no success yes/no" in done.stderr


def test_round3_rounds_half_away_from_zero_as_the_sql_does() -> None:
    db = duckdb.connect()
    values = [k / n for n in range(1, 130) for k in range(n + 1)]
    sql = db.execute("SELECT round(x, 3) FROM unnest(?::DOUBLE[]) AS t(x)", [values]).fetchall()
    assert [round3(v) for v in values] == [row[0] for row in sql]
    assert (round3(1 / 16), round(1 / 16, 3)) == (0.063, 0.062)  # where Python's own round would differ


DEALS = ["Acme", "acme", "ACME", "Globex", "Initech", "initech", "Hooli", "Umbrella"]
VERDICTS = ["accept_and_learn", "walk_away", "fight_on_value", "change_approach", "resolve_indecision", "find_out_more", ""]
OUTCOMES = ["won_back", "lost", "parted_well", "invited_back", "no_decision", "", ""]
RUN = st.fixed_dictionaries({
    "deal": st.sampled_from(DEALS),
    "status": st.sampled_from(["done", "done", "done", "open", "draft"]),
    "verdict": st.sampled_from(VERDICTS),
    "band": st.sampled_from(["closed", "ajar", "open", None]),
    "day": st.integers(min_value=1, max_value=28),
    "outcome": st.sampled_from(OUTCOMES),
    "success": st.sampled_from(["yes", "no", "yes", ""]),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(RUN, max_size=45))
def test_track_from_and_the_documented_sql_agree_on_any_export(runs: list[dict[str, object]]) -> None:
    from dealrescue.commands.outcome import playbook_named

    with tempfile.TemporaryDirectory() as folder:
        export = Path(folder) / "runs.csv"
        lines = [csv_line(COLUMNS)]
        for i, r in enumerate(runs):
            outcome = r["outcome"]
            lines.append(csv_line([
                f"r{i:03d}", r["deal"], "triage", "1", "", r["status"], f"2026-09-{r['day']:02d}",
                f"2026-09-{r['day']:02d}T10:00:00Z", r["verdict"], json.dumps({"open_door": r["band"]} if r["band"] else {}),
                outcome, "2026-10-01" if outcome else "", r["success"] if outcome else "",
            ]))
        export.write_text("".join(lines), encoding="utf-8")
        record = track_record(playbook_named("triage"), read_exports([export]))
        verdicts, bands = figures_by_sql([export])
    assert verdicts == {v["verdict"]: v for v in record["verdicts"] if v["runs"]}
    expected = {b["band"]: (b["outcomes"], b["successes"]) for b in record["bands"]["open_door"]}
    assert {k: v for k, v in bands.items() if v[0]} == {k: v for k, v in expected.items() if v[0]}
