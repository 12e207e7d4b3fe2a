"""Promises that must not drift: the JSON document's shape, light start-up, installable wheel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dealrescue.cli.app import app
from tests.conftest import REPO

ARGS = ["--set", "competitor=Globex", "--set", "reason=gap", "--set", "gap=sso", "--date", "2026-11-22", "--no-save"]


def test_json_document_shape_is_pinned(mini: Path) -> None:
    doc = json.loads(CliRunner().invoke(app, ["run", str(mini), "Acme", *ARGS, "--format", "json"]).stdout)
    assert list(doc) == [
        "schema_version", "playbook", "deal", "date", "answers", "scores", "verdict", "draft",
        "steps", "sections", "talk_tracks", "emails", "followups", "schedule",
    ]
    assert doc["schema_version"] == 2
    assert doc["playbook"] == {"id": "mini", "title": "Mini", "version": 1}
    assert doc["deal"] == "Acme" and doc["date"] == "2026-11-22"
    assert doc["answers"] == {"competitor": "Globex", "reason": "gap", "gap": "sso"}
    assert list(doc["verdict"]) == ["id", "title", "rationale", "next", "record", "hinge"]
    assert doc["verdict"]["record"] is None  # no outcomes judge the verdict: nothing, as in the markdown
    assert doc["draft"] is False and doc["verdict"]["hinge"] is None  # a finished plan hinges on nothing left
    assert [list(s) for s in doc["steps"]] == [["id", "after", "text", "due", "deadline", "owner"]] * 2
    assert [s["id"] for s in doc["steps"]] == ["plan_0", "plan_1"] and all(s["after"] == [] for s in doc["steps"])
    assert doc["followups"] == [{"id": "followups_0", "after": [], "text": "Check back with Acme", "due": "2027-02-22", "deadline": None}]
    assert doc["schedule"] == {"feasible": True, "short_by_days": 0, "binding": [], "notes": []}


def test_json_verdict_carries_the_record_the_markdown_shows_once_judged() -> None:
    import re

    ids = []
    for i in range(6):
        done = CliRunner().invoke(app, ["qualify", f"Q{i}", "--no-input", "--date", "2026-09-01"])
        ids.append(re.search(r"Saved as run (\w+)", done.stderr).group(1))  # type: ignore[union-attr]
    for i, run_id in enumerate(ids[:4]):
        assert CliRunner().invoke(app, ["outcome", run_id, "won" if i < 2 else "lost"]).exit_code == 0
    plan = ["qualify", "Q9", "--no-input", "--no-save", "--date", "2026-09-02"]
    # 4 outcomes: too few to judge, so null (and no line in the markdown).
    assert json.loads(CliRunner().invoke(app, [*plan, "--format", "json"]).stdout)["verdict"]["record"] is None
    assert CliRunner().invoke(app, ["outcome", ids[4], "lost"]).exit_code == 0
    doc = json.loads(CliRunner().invoke(app, [*plan, "--format", "json"]).stdout)
    assert doc["verdict"]["id"] == "at_risk"
    assert doc["verdict"]["record"] == {
        "text": "Track record: 2 of 5 won (12-77%, Wilson 95%)",
        "outcomes": 5, "successes": 2, "rate": 0.4, "interval": [0.118, 0.769], "method": "Wilson 95%",
    }
    markdown = CliRunner().invoke(app, plan).stdout
    assert f"*{doc['verdict']['record']['text']}*" in markdown
    # The same figures as `track` gives the verdict.
    record = json.loads(CliRunner().invoke(app, ["track", "qualify", "--format", "json"]).stdout)
    figures = next(v for v in record["verdicts"] if v["verdict"] == "at_risk")
    assert figures["runs"] == 6  # one run is pending: the plan's record counts outcomes, not runs
    assert {k: figures[k] for k in ("outcomes", "successes", "rate", "interval")} == {
        k: doc["verdict"]["record"][k] for k in ("outcomes", "successes", "rate", "interval")
    }


def test_json_scores_carry_their_drivers(tmp_path: Path) -> None:
    from tests.test_engine import SCORED

    path = tmp_path / "scored.yaml"
    path.write_text(SCORED)
    result = CliRunner().invoke(app, ["run", str(path), "Acme", "--set", "signals=quiet", "--set", "pulse=2", "--format", "json", "--no-save"])
    step = json.loads(result.stdout)["scores"]["step"]
    assert step == {
        "title": "Furthest step", "total": 3.0, "band": "diligence", "label": "Due diligence", "note": "Odds drop",
        "drivers": [{"source": "Went quiet", "points": 3.0}],
    }


@pytest.mark.parametrize("args", [["--help"], ["triage", "--help"], ["playbooks", "--help"]])
def test_help_imports_no_heavy_module(args: list[str]) -> None:
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['dealrescue', *{args!r}]\n"
        "try:\n    runpy.run_module('dealrescue', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "heavy = [m for m in ('questionary', 'jinja2', 'yaml', 'sqlite3', 'prompt_toolkit', 'icalendar', 'pydantic') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert "HEAVY=\n" in result.stderr, result.stderr[-500:]


@pytest.mark.parametrize("args", [["--help"], ["deals", "rerun", "--help"],
                                  ["triage", "Acme", "--no-input", "--no-save", "--set", "competitor=x",
                                   "--set", "signed=signed", "--set", "reason=better_fit"]])
def test_prompt_code_loads_only_when_prompting(args: list[str]) -> None:
    # A scripted run (no terminal) and --help never load the prompters, the interview or prompt_toolkit.
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['dealrescue', *{args!r}]\n"
        "try:\n    runpy.run_module('dealrescue', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "loaded = [m for m in ('dealrescue.ui.interview', 'dealrescue.ui.prompter', 'dealrescue.ui.plain_prompter',"
        " 'questionary', 'prompt_toolkit') if m in sys.modules]\n"
        "print('PROMPT=' + ','.join(loaded), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                            stdin=subprocess.DEVNULL)
    assert "PROMPT=\n" in result.stderr, result.stderr[-500:]
    assert ("Usage" if "--help" in args else "# Lost-deal triage: Acme") in result.stdout


def test_completion_imports_no_heavy_module() -> None:
    env = {**os.environ, "_DEALRESCUE_COMPLETE": "complete_bash", "COMP_WORDS": "dealrescue tri", "COMP_CWORD": "1"}
    code = (
        "import sys, runpy\nsys.argv = ['dealrescue']\n"
        "try:\n    runpy.run_module('dealrescue', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print('HEAVY=' + ','.join(m for m in ('questionary', 'jinja2', 'yaml') if m in sys.modules), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert "triage" in result.stdout
    assert "HEAVY=\n" in result.stderr


@pytest.mark.slow
def test_plain_pip_install_finds_bundled_playbooks_from_another_folder(tmp_path: Path) -> None:
    """`pip install .` (not editable) into a fresh venv; run from a folder far from the checkout."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    pip = env_dir / "bin" / "pip"
    # Dependencies come from this interpreter's site-packages (no network needed), the project from the checkout.
    site = next(p for p in sys.path if p.endswith("site-packages"))
    target_site = next((env_dir / "lib").glob("python*/site-packages"))
    (target_site / "parent.pth").write_text(site + "\n")
    install = subprocess.run(
        [str(pip), "install", "--no-deps", "--no-build-isolation", "-q", str(REPO)], capture_output=True, text=True, check=False
    )
    assert install.returncode == 0, install.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "DEALRESCUE_HOME": str(tmp_path / "home")}
    listed = subprocess.run(
        [str(env_dir / "bin" / "dealrescue"), "playbooks", "list", "--format", "json"],
        capture_output=True, text=True, cwd=elsewhere, env=env, check=False,
    )
    assert listed.returncode == 0, listed.stderr
    entries = {e["id"]: e for e in json.loads(listed.stdout)}
    assert {"triage", "recover", "walkaway", "pulse", "review"} <= set(entries)
    assert str(target_site) in entries["triage"]["path"], "the wheel carries the playbooks inside the package"
    ran = subprocess.run(
        [str(env_dir / "bin" / "dealrescue"), "triage", "Acme", "--no-input", "--no-save",
         "--set", "competitor=Globex", "--set", "signed=signed", "--set", "reason=better_fit"],
        capture_output=True, text=True, cwd=elsewhere, env=env, check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("# Lost-deal triage: Acme")


def test_a_draft_says_so_and_what_its_verdict_hinges_on_in_json_and_markdown() -> None:
    import datetime as dt
    from dataclasses import replace

    from dealrescue.catalog import finder
    from dealrescue.core.engine import provisional
    from dealrescue.core.hinge import hinge
    from dealrescue.core.plan import build_plan
    from dealrescue.core.render.plan import to_document, to_markdown

    compiled, _origin = finder.load("triage", None)
    key = {"competitor": "Globex", "signed": "not_signed", "reason": "gap"}
    plan = build_plan(compiled, provisional(compiled, key, "Acme", "2026-11-22"), "Acme", dt.date(2026, 11, 22))
    draft = replace(plan, draft=True, hinge=hinge(compiled, key, "Acme", "2026-11-22"))
    doc = to_document(draft)
    assert doc["draft"] is True and doc["verdict"]["id"] == "find_out_more"
    assert doc["verdict"]["hinge"]["question"] == "closable"
    assert doc["verdict"]["hinge"]["prompt"] == "Do we have another product or option that closes that gap?"
    assert [v["verdict"] for v in doc["verdict"]["hinge"]["verdicts"]] == ["fight_on_value", "walk_away", "find_out_more"]
    assert doc["verdict"]["hinge"]["verdicts"][1] == {
        "verdict": "walk_away", "title": "Walk away gracefully", "answers": ["No, not within their timeline"],
    }
    markdown = to_markdown(draft)
    assert "**Draft:** made from the key questions only; the questions left took their defaults." in markdown
    assert "It hinges on: *Do we have another product or option that closes that gap?*" in markdown
    assert "- Walk away gracefully if No, not within their timeline" in markdown
    assert "Draft" not in to_markdown(plan)  # the same plan, not a draft: no such lines
