"""`deals` and `followups` commands through CliRunner, on a tiny app around the two sub-apps.

Errors surface as the ``DealRescueError`` raised (the real app's main turns them
into stderr lines and exit codes); stdout and stderr are checked apart.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from icalendar import Calendar
from typer.testing import CliRunner

from dealrescue.cli.deals import deals_app
from dealrescue.cli.followups import followups_app
from dealrescue.errors import OutputExistsError, UsageError
from dealrescue.journal import Journal
from dealrescue.ui import terminal
from tests.conftest_journal import home

__all__ = ["home"]  # the autouse fixture that sets DEALRESCUE_HOME for every test here

app = typer.Typer()
app.add_typer(deals_app, name="deals")
app.add_typer(followups_app, name="followups")
runner = CliRunner()

PLAN_MD = "# Acme Corp: Fight on value\n\n- [ ] **by 2024-01-12** Send the side-by-side\n"
PLAN_JSON = json.dumps({"playbook": {"id": "triage", "version": 1}, "verdict": {"id": "fight_on_value"}})


def invoke(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def journal_ids() -> dict[str, str]:
    """Three runs (oldest first: acme done, straße interrupted, globex done) and their follow-ups."""
    with Journal.open() as j:
        acme = j.start_run("Acme Corp", "triage", 1, "bundled", "2024-01-10", {})
        j.save_answer(acme, "competitor", "Globex")
        j.save_answer(acme, "reasons", ["price", "gap"])
        j.save_answer(acme, "notes", "line one\nline two")
        j.save_answer(acme, "gap", None)
        acme_f = j.finish_run(
            acme,
            "fight_on_value",
            "Fight on value",
            PLAN_MD,
            PLAN_JSON,
            [("Check back with Acme Corp", "2024-04-10"), ("Send the side-by-side", "2024-01-12")],
        )
        strasse = j.start_run("Straße AG", "walkaway", 2, "/tmp/walkaway.yaml", "2024-02-10", {})
        j.save_answer(strasse, "why", "no_budget")
        j.set_status(strasse, "interrupted")
        globex = j.start_run("Globex\tEvil\x1b[31m", "walkaway", 2, "bundled", "2024-03-10", {})
        globex_f = j.finish_run(globex, "walk", "Walk away", "# Globex plan\n", "{}", [("Call Globex", "2024-03-20")])
    return {
        "acme": acme,
        "strasse": strasse,
        "globex": globex,
        "acme_checkback": acme_f[0],
        "acme_sidebyside": acme_f[1],
        "globex_call": globex_f[0],
    }


# --------------------------------------------------------------------------------------- deals list


def test_list_on_an_empty_journal_says_so_on_stderr_and_creates_nothing(home: Path) -> None:
    result = invoke("deals", "list")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "no runs recorded yet" in result.stderr.lower()
    assert not (home / "journal.db").exists()
    as_json = invoke("deals", "list", "--format", "json")
    assert as_json.exit_code == 0 and json.loads(as_json.stdout) == []


def test_list_in_a_pipe_is_plain_tab_separated_newest_first(journal_ids: dict[str, str]) -> None:
    result = invoke("deals", "list")
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stdout
    lines = result.stdout.splitlines()
    assert [line.split("\t") for line in lines] == [
        [journal_ids["globex"], "2024-03-10", "Globex Evil␛[31m", "walkaway", "done", "walk"],
        [journal_ids["strasse"], "2024-02-10", "Straße AG", "walkaway", "interrupted", "-"],
        [journal_ids["acme"], "2024-01-10", "Acme Corp", "triage", "done", "fight_on_value"],
    ]


def test_a_long_listing_streams_in_batches_and_cleans_every_hostile_row() -> None:
    """More rows than one batch: plain batches take the quick path, a batch with a hostile row is cleaned."""
    from dealrescue.journal import listing as store

    total = store._BATCH + 50
    hostile = {7: "Tab\there", store._BATCH + 3: "Bell\x07 and \u2028 line", store._BATCH + 9: "Zoë"}
    with Journal.open() as j:
        j._conn.execute("PRAGMA synchronous = OFF")  # only to build the test data quickly
        for i in range(total):
            j.start_run(hostile.get(total - 1 - i, f"Deal {i:05d}"), "triage", 1, "bundled", "2024-01-10", {})
    listed = invoke("deals", "list")
    assert listed.exit_code == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert len(rows) == total and {len(r) for r in rows} == {6}
    assert [r[2] for r in rows[:2]] == [f"Deal {total - 1:05d}", f"Deal {total - 2:05d}"]
    assert rows[7][2] == "Tab here" and rows[store._BATCH + 3][2] == "Bell␇ and   line" and rows[store._BATCH + 9][2] == "Zoë"
    assert {r[4] for r in rows} == {"in_progress"} and {r[5] for r in rows} == {"-"}
    followups = invoke("followups")
    assert followups.exit_code == 0 and followups.stdout == ""


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--deal", "STRASSE"], ["strasse"]),
        (["--deal", "acme"], ["acme"]),
        (["--playbook", "walkaway"], ["globex", "strasse"]),
        (["--status", "done"], ["globex", "acme"]),
        (["--status", "interrupted"], ["strasse"]),
        (["--since", "2024-02-10"], ["globex", "strasse"]),
        (["--until", "2024-02-10"], ["strasse", "acme"]),
        (["--since", "2024-02-01", "--until", "2024-02-28"], ["strasse"]),
        (["--limit", "1"], ["globex"]),
        (["--playbook", "walkaway", "--status", "done"], ["globex"]),
    ],
)
def test_list_filters(journal_ids: dict[str, str], args: list[str], expected: list[str]) -> None:
    result = invoke("deals", "list", *args)
    assert result.exit_code == 0, result.stderr
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == [journal_ids[k] for k in expected]


def test_list_with_no_match_says_so_on_stderr(journal_ids: dict[str, str]) -> None:
    result = invoke("deals", "list", "--deal", "nobody")
    assert result.exit_code == 0 and result.stdout == ""
    assert "No runs match" in result.stderr and "3 recorded" in result.stderr


def test_list_json_shape(journal_ids: dict[str, str]) -> None:
    result = invoke("deals", "list", "--format", "json", "--deal", "acme")
    assert result.exit_code == 0, result.stderr
    (item,) = json.loads(result.stdout)
    assert set(item) == {"id", "date", "deal", "playbook", "status", "verdict", "created_at", "updated_at"}
    assert item["id"] == journal_ids["acme"]
    assert item["date"] == "2024-01-10" and item["deal"] == "Acme Corp"
    assert item["playbook"] == {"id": "triage", "version": 1}
    assert item["status"] == "done"
    assert item["verdict"] == {"id": "fight_on_value", "title": "Fight on value"}
    unfinished = json.loads(invoke("deals", "list", "--format", "json", "--status", "interrupted").stdout)
    assert unfinished[0]["verdict"] is None


def test_list_on_a_terminal_is_an_aligned_table(journal_ids: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(terminal, "stdout_is_terminal", lambda: True)
    monkeypatch.setenv("NO_COLOR", "1")
    result = invoke("deals", "list")
    assert result.exit_code == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["ID", "Date", "Deal", "Playbook", "Status", "Verdict"]
    assert [r.split()[0] for r in rows] == [journal_ids["globex"], journal_ids["strasse"], journal_ids["acme"]]
    assert "\x1b" not in result.stdout and "\t" not in result.stdout
    assert "Fight on value" in rows[2] and "in progress" not in result.stdout and "interrupted" in rows[1]
    assert rows[0].index("2024-03-10") == header.index("Date")  # columns line up


@pytest.mark.parametrize(
    ("args", "flag"),
    [(["--since", "2024-13-01"], "--since"), (["--until", "last week"], "--until")],
)
def test_list_bad_dates_are_usage_errors(journal_ids: dict[str, str], args: list[str], flag: str) -> None:
    result = invoke("deals", "list", *args)
    assert isinstance(result.exception, UsageError)
    assert flag in result.exception.message and result.exception.exit_code == 2


def test_list_unknown_status_is_rejected_by_the_parser(journal_ids: dict[str, str]) -> None:
    result = invoke("deals", "list", "--status", "lost")
    assert result.exit_code == 2 and result.stdout == ""


# --------------------------------------------------------------------------------------- show, export


def test_show_has_answers_verdict_follow_ups_and_plan(journal_ids: dict[str, str]) -> None:
    result = invoke("deals", "show", journal_ids["acme"][:4])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("# Acme Corp\n")
    assert f"- id: {journal_ids['acme']}" in out
    assert "- competitor: Globex" in out and "- reasons: price, gap" in out
    assert "- notes: line one\\\nline two\n" in out  # a markdown hard break keeps the lines
    assert "- gap: (left empty)" in out
    assert "\nFight on value\n" in out and "fight_on_value" not in out  # the title, not the id
    assert f"Check back with Acme Corp (id {journal_ids['acme_checkback']})" in out
    # The plan sits under its own heading: its headings are two levels down.
    nested = "\n".join(f"##{ln}" if ln.startswith("#") else ln for ln in PLAN_MD.rstrip("\n").split("\n"))
    assert out.rstrip("\n").endswith("## Plan\n\n" + nested)
    assert out.index("## Answers") < out.index("## Verdict") < out.index("## Follow-ups") < out.index("## Plan")


def test_show_escapes_what_was_typed(journal_ids: dict[str, str]) -> None:
    with Journal.open() as j:
        run_id = j.start_run("# Not a heading *bold*", "triage", 1, "bundled", "2024-01-10", {})
        j.save_answer(run_id, "competitor", "<script> [link](x) \x1b[2J")
    out = invoke("deals", "show", run_id).stdout
    assert out.startswith("# \\# Not a heading \\*bold\\*\n")
    assert "- competitor: \\<script> \\[link\\](x) \u241b\\[2J" in out
    assert "\x1b" not in out


def test_show_on_a_terminal_is_rendered(journal_ids: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(terminal, "stdout_is_terminal", lambda: True)
    monkeypatch.setenv("NO_COLOR", "1")
    result = invoke("deals", "show", journal_ids["acme"])
    assert result.exit_code == 0, result.stderr
    assert "Fight on value" in result.stdout and "Globex" in result.stdout
    assert "## Answers" not in result.stdout  # headings were rendered, not printed as markdown


def test_show_an_unfinished_run_says_how_to_continue(journal_ids: dict[str, str]) -> None:
    result = invoke("deals", "show", journal_ids["strasse"])
    assert result.exit_code == 0, result.stderr
    assert "- status: interrupted" in result.stdout
    assert f"dealrescue resume {journal_ids['strasse']}" in result.stdout
    assert "## Plan" not in result.stdout


@pytest.mark.parametrize("command", ["show", "export"])
def test_unknown_ids_are_usage_errors_naming_the_id(journal_ids: dict[str, str], command: str) -> None:
    result = invoke("deals", command, "qqqqqq")
    assert isinstance(result.exception, UsageError)
    assert "'qqqqqq'" in result.exception.message


def test_show_lists_answers_in_the_playbooks_order_not_the_order_saved(home: Path) -> None:
    """An answer changed at the review screen can make a new question apply, saved after all the
    others; `deals show` still lists the answers as the playbook asks them."""
    from dealrescue import paths

    source = str(paths.bundled_playbooks_dir() / "triage.yaml")
    with Journal.open() as j:
        run = j.start_run("Acme", "triage", 1, source, "2026-11-22", {})
        for qid, value in (("competitor", "Globex"), ("signed", "not_signed"), ("pressure", 3), ("reason", "price"),
                           ("decider", "Dana"), ("price_gap", "too_far")):
            j.save_answer(run, qid, value)
    shown = invoke("deals", "show", run).stdout
    answers = shown.split("## Answers")[1].split("## Verdict")[0]
    listed = [line for line in answers.splitlines() if line.startswith("- **")]
    assert len(listed) == 6
    from dealrescue.catalog.finder import load_file

    questions = load_file(Path(source)).playbook.questions
    order = [q.id for q in questions]
    by_prompt = {q.prompt: q.id for q in questions}
    shown_ids = [by_prompt[line.split("**")[1]] for line in listed]
    assert shown_ids == sorted(shown_ids, key=order.index)
    assert shown_ids.index("price_gap") < shown_ids.index("pressure")


def test_show_on_an_empty_journal_is_a_usage_error(home: Path) -> None:
    result = invoke("deals", "show", "abc234")
    assert isinstance(result.exception, UsageError)
    assert not (home / "journal.db").exists()


def test_export_prints_the_stored_plan(journal_ids: dict[str, str]) -> None:
    markdown = invoke("deals", "export", journal_ids["acme"])
    assert markdown.exit_code == 0, markdown.stderr
    assert markdown.stdout == PLAN_MD and markdown.stderr == ""
    as_json = invoke("deals", "export", journal_ids["acme"], "--format", "json")
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout) == json.loads(PLAN_JSON)


def test_export_to_a_file_refuses_to_replace_without_force(journal_ids: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "plan.md"
    first = invoke("deals", "export", journal_ids["acme"], "-o", target)
    assert first.exit_code == 0, first.stderr
    assert first.stdout == "" and target.read_text() == PLAN_MD
    target.write_text("my own edits\n")
    again = invoke("deals", "export", journal_ids["acme"], "-o", target)
    assert isinstance(again.exception, OutputExistsError)
    assert target.read_text() == "my own edits\n"
    forced = invoke("deals", "export", journal_ids["acme"], "--format", "json", "-o", target, "--force")
    assert forced.exit_code == 0
    assert json.loads(target.read_text()) == json.loads(PLAN_JSON)


def test_export_of_an_unfinished_run_is_a_usage_error(journal_ids: dict[str, str]) -> None:
    result = invoke("deals", "export", journal_ids["strasse"])
    assert isinstance(result.exception, UsageError)
    assert "no plan yet" in result.exception.message
    assert result.exception.hint and f"dealrescue resume {journal_ids['strasse']}" in result.exception.hint


# ------------------------------------------------------------------------------------------ followups


def test_followups_lists_open_ones_by_due_date_with_overdue_marked(journal_ids: dict[str, str]) -> None:
    result = invoke("followups", "--date", "2024-03-20")
    assert result.exit_code == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (journal_ids["acme_sidebyside"], "2024-01-12", "overdue"),
        (journal_ids["globex_call"], "2024-03-20", "today"),
        (journal_ids["acme_checkback"], "2024-04-10", "upcoming"),
    ]
    assert rows[0][3:] == ["Acme Corp", "triage", "Send the side-by-side"]
    assert "1 overdue" in result.stderr


def test_followups_done_then_all(journal_ids: dict[str, str]) -> None:
    done = invoke("followups", "done", journal_ids["acme_sidebyside"])
    assert done.exit_code == 0, done.stderr
    assert "Send the side-by-side" in done.stderr and done.stdout == ""
    again = invoke("followups", "done", journal_ids["acme_sidebyside"])
    assert again.exit_code == 0 and "already done" in again.stderr
    open_ids = [line.split("\t")[0] for line in invoke("followups", "--date", "2024-03-20").stdout.splitlines()]
    assert journal_ids["acme_sidebyside"] not in open_ids and len(open_ids) == 2
    everything = json.loads(invoke("followups", "--all", "--format", "json", "--date", "2024-03-20").stdout)
    states = {item["id"]: item["state"] for item in everything}
    assert states[journal_ids["acme_sidebyside"]] == "done"
    assert set(everything[0]) == {"id", "due", "state", "text", "deal", "playbook", "run_id", "done_at"}


def test_followups_done_with_an_unknown_id_is_a_usage_error(journal_ids: dict[str, str]) -> None:
    result = invoke("followups", "done", "zzzzzz")
    assert isinstance(result.exception, UsageError) and "'zzzzzz'" in result.exception.message


def test_followups_on_an_empty_journal(home: Path) -> None:
    result = invoke("followups")
    assert result.exit_code == 0 and result.stdout == ""
    assert "No follow-ups" in result.stderr
    assert not (home / "journal.db").exists()


def test_followups_ics_file_parses_back_with_stable_uids(journal_ids: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "followups.ics"
    result = invoke("followups", "--ics", target)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and "Wrote 3 follow-ups" in result.stderr
    events = Calendar.from_ical(target.read_bytes()).walk("VEVENT")
    assert sorted(str(e["UID"]) for e in events) == sorted(
        f"{journal_ids[k]}@dealrescue" for k in ("acme_checkback", "acme_sidebyside", "globex_call")
    )
    refused = invoke("followups", "--ics", target)
    assert isinstance(refused.exception, OutputExistsError)
    invoke("followups", "done", journal_ids["globex_call"])
    again = invoke("followups", "--ics", target, "--force", "--all", "--ics-kind", "todo")
    assert again.exit_code == 0, again.stderr
    todos = {str(t["UID"]): t for t in Calendar.from_ical(target.read_bytes()).walk("VTODO")}
    assert str(todos[f"{journal_ids['globex_call']}@dealrescue"]["STATUS"]) == "COMPLETED"
    to_stdout = invoke("followups", "--ics", "-")
    assert to_stdout.stdout.startswith("BEGIN:VCALENDAR")


# ------------------------------------------------------------------------------------------ start-up


def test_importing_the_command_modules_loads_no_heavy_library() -> None:
    code = (
        "import sys, dealrescue.cli.deals, dealrescue.cli.followups\n"
        "print(sorted(m for m in ('sqlite3', 'rich', 'icalendar', 'dealrescue.journal') if m in sys.modules))"
    )
    repo = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo).stdout
    assert out.strip() == "[]"
