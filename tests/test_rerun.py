"""``deals rerun``: a finished run again with an answer changed, through the CLI as a user runs it."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from dealrescue.cli.app import app

runner = CliRunner()

# A triage that ends in "fight on value" with a follow-up (a proof-of-concept checkpoint).
GAP = ["--set", "competitor=Globex", "--set", "signed=not_signed", "--set", "reason=gap", "--set", "gap=SSO",
       "--set", "closable=other_product", "--set", "pressure=3", "--set", "decider=Dana"]


def first_run(*extra: str) -> tuple[str, dict[str, object]]:
    done = runner.invoke(app, ["triage", "Acme", "--no-input", "--format", "json", "--date", "2026-11-22", *GAP, *extra])
    assert done.exit_code == 0, done.stderr
    return done.stderr.split("Saved as run ")[1].split()[0], json.loads(done.stdout)


def followups() -> list[dict[str, object]]:
    listed = runner.invoke(app, ["followups", "--format", "json"])
    assert listed.exit_code == 0, listed.stderr
    return list(json.loads(listed.stdout)) if listed.stdout.strip() else []


def test_rerun_changes_the_verdict_supersedes_follow_ups_and_links_both_ways() -> None:
    old_id, old_doc = first_run()
    assert [f for f in followups() if f["run_id"] == old_id], "the first run made follow-ups"

    again = runner.invoke(app, ["deals", "rerun", old_id, "--no-input", "--format", "json",
                                "--set", "reason=price", "--set", "price_gap=too_far"])
    assert again.exit_code == 0, again.stderr
    new_id = again.stderr.split("Saved as run ")[1].split(";")[0].split()[0]
    assert new_id != old_id
    assert f"replaces run {old_id}" in again.stderr
    new_doc = json.loads(again.stdout)
    # Same JSON shape as any run; the other answers came from the old run.
    assert set(new_doc) == set(old_doc)
    assert new_doc["verdict"]["id"] != old_doc["verdict"]["id"]
    assert new_doc["answers"]["competitor"] == "Globex" and new_doc["answers"]["reason"] == "price"
    assert "gap" not in new_doc["answers"]  # its question no longer applies

    # The old run's follow-ups are closed: `followups` lists only the new run's.
    still_open = followups()
    assert still_open, "the new run has follow-ups of its own"
    assert {f["run_id"] for f in still_open} == {new_id}

    old_show = runner.invoke(app, ["deals", "show", old_id])
    new_show = runner.invoke(app, ["deals", "show", new_id])
    assert f"replaced by run {new_id}" in old_show.stdout
    assert f"replaces run {old_id}" in new_show.stdout
    closed = old_show.stdout.split("## Follow-ups")[1].split("## Plan")[0]
    listed = [line for line in closed.splitlines() if line.startswith("- [")]
    assert listed and all(line.startswith("- [x]") or line.endswith("superseded by a newer run)") for line in listed)


def test_rerun_with_an_answers_file_and_nothing_changed_keeps_the_verdict(tmp_path: object) -> None:
    old_id, old_doc = first_run()
    again = runner.invoke(app, ["deals", "rerun", old_id, "--no-input", "--format", "json", "--date", "2026-11-22"])
    assert again.exit_code == 0, again.stderr
    doc = json.loads(again.stdout)
    assert doc["verdict"] == old_doc["verdict"] and doc["answers"] == old_doc["answers"]


def test_rerun_missing_a_new_answer_names_it() -> None:
    old_id, _ = first_run()
    again = runner.invoke(app, ["deals", "rerun", old_id, "--no-input", "--set", "reason=price"])
    assert again.exit_code == 2, again.stderr
    assert "price_gap" in again.stderr
    # Nothing was superseded: the old run's follow-ups are still open.
    assert any(f["run_id"] == old_id for f in followups())


def test_rerun_refuses_unfinished_and_unknown_runs_and_an_empty_deal_name() -> None:
    unknown = runner.invoke(app, ["deals", "rerun", "zzzzzz", "--no-input"])
    assert unknown.exit_code == 2 and "zzzzzz" in unknown.stderr
    old_id, _ = first_run()
    renamed = runner.invoke(app, ["deals", "rerun", old_id, "--no-input", "--set", "deal= "])
    assert renamed.exit_code == 2 and "--set deal= is empty" in renamed.stderr
    typo = runner.invoke(app, ["deals", "rerun", old_id, "--no-input", "--set", "reasn=price"])
    assert typo.exit_code == 2 and "reason" in typo.stderr


def test_rerun_renames_the_deal_with_set_deal() -> None:
    old_id, _ = first_run()
    again = runner.invoke(app, ["deals", "rerun", old_id, "--no-input", "--format", "json", "--set", "deal=Acme Europe"])
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["deal"] == "Acme Europe"
    assert "changed: deal" in again.stderr


def test_resume_of_a_finished_run_points_to_rerun() -> None:
    old_id, _ = first_run()
    again = runner.invoke(app, ["resume", old_id])
    assert again.exit_code == 2 and f"deals rerun {old_id}" in again.stderr


def test_an_interrupted_rerun_supersedes_when_resume_finishes_it() -> None:
    from dealrescue.journal import Journal

    old_id, _ = first_run()
    # What an interrupted `deals rerun` leaves: a new run whose stored options name the run it replaces.
    with Journal.open() as journal:
        old = journal.get_run(old_id)
        new_id = journal.start_run("Acme", "triage", 1, old.playbook_source, "2026-11-23",
                                   {"format": "json", "output": None, "force": False, "date": "2026-11-23",
                                    "replaces": old_id})
        for question_id, value in old.answers.items():
            journal.save_answer(new_id, question_id, value)
        journal.set_status(new_id, "interrupted")
    assert any(f["run_id"] == old_id for f in followups())  # not superseded while unfinished

    resumed = runner.invoke(app, ["resume", new_id, "--no-input", "--set", "pressure=9"])
    assert resumed.exit_code == 0, resumed.stderr
    assert f"it replaces run {old_id}" in resumed.stderr
    assert {f["run_id"] for f in followups()} == {new_id}
    assert f"replaced by run {new_id}" in runner.invoke(app, ["deals", "show", old_id]).stdout


def test_a_run_already_replaced_is_not_rerun_again_so_one_plan_stays_live() -> None:
    """Re-running the old run a second time would leave two live plans for the deal (todo and
    followups listing both); the newest run is the one to change."""
    old_id, _doc = first_run()
    first = runner.invoke(app, ["deals", "rerun", old_id, "--no-input", "--set", "pressure=5"])
    assert first.exit_code == 0, first.stderr
    newer = first.stderr.split("Saved as run ")[1].split(";")[0].split()[0]
    second = runner.invoke(app, ["deals", "rerun", old_id, "--no-input", "--set", "pressure=6"])
    assert second.exit_code == 2
    assert second.stdout == ""
    assert second.stderr.splitlines() == [
        f"error: run {old_id} was already replaced by run {newer}",
        f"hint: change the newest plan instead: dealrescue deals rerun {newer} --set ID=VALUE",
    ]
    assert {f["run_id"] for f in followups()} == {newer}
    # Down the chain: a run replaced twice over points at the newest.
    third = runner.invoke(app, ["deals", "rerun", newer, "--no-input", "--set", "pressure=7"])
    newest = third.stderr.split("Saved as run ")[1].split(";")[0].split()[0]
    again = runner.invoke(app, ["deals", "rerun", old_id, "--no-input"])
    assert again.exit_code == 2 and f"dealrescue deals rerun {newest} --set" in again.stderr


def test_a_follow_up_of_a_replaced_run_is_not_ticked_off() -> None:
    old_id, _doc = first_run()
    old_followup = next(f["id"] for f in followups() if f["run_id"] == old_id)
    again = runner.invoke(app, ["deals", "rerun", old_id, "--no-input", "--set", "pressure=5"])
    assert again.exit_code == 0, again.stderr
    newer = again.stderr.split("Saved as run ")[1].split(";")[0].split()[0]
    result = runner.invoke(app, ["followups", "done", str(old_followup)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {old_followup} is a follow-up of run {old_id}, which run {newer} replaced: there is nothing to tick",
        "hint: see the open follow-ups and their ids with: dealrescue followups",
    ]
    assert {f["run_id"] for f in followups()} == {newer}


def test_rerun_and_resume_take_explain_like_every_run() -> None:
    """A manager changing one answer wants to see why the verdict moved."""
    old_id, _doc = first_run()
    again = runner.invoke(app, ["deals", "rerun", old_id, "--no-input", "--set", "reason=price",
                                "--set", "price_gap=too_far", "--explain"])
    assert again.exit_code == 0, again.stderr
    assert "explain: verdict rules, tried in order" in again.stderr
    assert "explain:" not in again.stdout
    assert "--explain" in runner.invoke(app, ["resume", "--help"]).stdout
