"""Outcomes and track records against hostile input: a colleague's `deals export --all` file read by
`track --from` and `rank --from` (devices, pipes, huge cells, columns that are not the export's,
runs that contradict each other, names with escape sequences), through the installed CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from dealrescue.commands.runs_csv import CELL_LIMIT, COLUMNS, csv_line, read_exports
from tests.conftest import MINIMAL

DEALRESCUE = str(Path(sys.executable).with_name("dealrescue"))
CLIPBOARD = "\x1b]52;c;SGVsbG8=\x07"  # OSC 52: write the clipboard
RLO = "\u202e"
FIGHT = ["--set", "competitor=Globex", "--set", "signed=not_signed", "--set", "reason=price", "--set", "price_gap=bridgeable", "--set", "pressure=6"]


def cli(*args: str, stdin: int | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DEALRESCUE, *args], capture_output=True, text=True, timeout=timeout, env=os.environ.copy(), stdin=stdin)


def export_row(run_id: str, deal: str = "Acme", **cells: str) -> dict[str, str]:
    row = {
        "run_id": run_id, "deal": deal, "playbook": "triage", "playbook_version": "2", "scoring": "", "status": "done",
        "plan_date": "2026-09-01", "created_at": f"2026-09-01T10:00:00.{run_id}Z", "verdict": "fight_on_value",
        "bands": '{"open_door": "ajar"}', "outcome": "lost", "outcome_date": "2026-10-01", "success": "no",
    }
    return {**row, **cells}


def write_export(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] = COLUMNS) -> Path:
    path.write_text("".join([csv_line(columns), *(csv_line([row.get(c, "") for c in columns]) for row in rows)]), encoding="utf-8")
    return path


def fight_figure(path: Path) -> dict[str, object]:
    done = cli("track", "triage", "--from", str(path), "--format", "json")
    assert done.returncode == 0, done.stderr
    return next(v for v in json.loads(done.stdout)["verdicts"] if v["verdict"] == "fight_on_value")


# -- what is read, and how much of it


def test_a_device_is_refused_and_a_fifo_without_a_writer_is_not_waited_for(tmp_path: Path) -> None:
    done = cli("track", "--from", "/dev/zero", timeout=20)
    assert done.returncode == 2 and "error: cannot read /dev/zero: not a file" in done.stderr
    fifo = tmp_path / "runs.csv"
    os.mkfifo(fifo)
    done = cli("track", "--from", str(fifo), timeout=20)  # would hang on open without O_NONBLOCK
    assert done.returncode == 2 and f"error: {fifo} is empty: not a runs export" in done.stderr
    done = cli("rank", "--from", "/dev/zero", str(write_export(tmp_path / "x.csv", [])), "-p", "triage", timeout=20)
    assert done.returncode == 2 and "cannot read /dev/zero: not a file" in done.stderr


def test_an_endless_pipe_stops_at_the_line_limit_without_holding_it(tmp_path: Path) -> None:
    zeros = subprocess.Popen(["head", "-c", str(40 << 20), "/dev/zero"], stdout=subprocess.PIPE)
    assert zeros.stdout is not None
    try:
        done = cli("track", "--from", "/dev/stdin", stdin=zeros.stdout.fileno(), timeout=60)
    finally:
        zeros.stdout.close()
        zeros.wait()
    assert done.returncode == 2 and "/dev/stdin:1: a line over 32 MiB: not an export of runs" in done.stderr


def test_a_pipe_is_read_as_a_file_is(tmp_path: Path) -> None:
    export = write_export(tmp_path / "runs.csv", [export_row(f"{i:06d}", f"Deal {i}") for i in range(3)])
    with open(export, "rb") as source:
        done = cli("track", "triage", "--from", "/dev/stdin", "--format", "json", stdin=source.fileno())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(cli("track", "triage", "--from", str(export), "--format", "json").stdout)


def test_a_cell_past_csvs_default_limit_is_read_and_one_past_the_files_limit_is_refused(tmp_path: Path) -> None:
    columns = (*COLUMNS, "outcome_note", "answers")
    long_note = write_export(tmp_path / "long.csv", [export_row("000001", outcome_note="n" * 200_000)], columns)
    assert fight_figure(long_note)["outcomes"] == 1  # 200,000 characters: over csv's own 131,072
    huge = write_export(tmp_path / "huge.csv", [export_row("000001"), export_row("000002", answers="a" * (CELL_LIMIT + 1))], columns)
    done = cli("track", "--from", str(huge))
    assert done.returncode == 2, done.stderr
    assert f"error: {huge}:3: not readable as CSV: field larger than field limit" in done.stderr
    assert "unexpected" not in done.stderr


@pytest.mark.parametrize("bands", ["[" * 5000 + "]" * 5000, '{"open_door": "' + "x" * 70_000 + '"}', "{nope"])
def test_bands_that_are_not_short_json_name_the_line(tmp_path: Path, bands: str) -> None:
    export = write_export(tmp_path / "runs.csv", [export_row("000001"), export_row("000002", bands=bands)])
    done = cli("track", "--from", str(export))
    assert done.returncode == 2
    assert f"error: {export}:3: bands is not JSON" in done.stderr
    assert "unexpected" not in done.stderr


def test_bytes_that_are_not_utf8_name_the_line(tmp_path: Path) -> None:
    export = write_export(tmp_path / "runs.csv", [export_row("000001"), export_row("000002")])
    export.write_bytes(export.read_bytes() + b"000003,Caf\xe9,triage\n")
    done = cli("track", "--from", str(export))
    assert done.returncode == 2 and f"error: {export}:4: not UTF-8 text" in done.stderr


# -- what a colleague's file can decide


def test_a_column_that_is_not_the_exports_cannot_choose_the_playbook_file(tmp_path: Path) -> None:
    """A `playbook_source` column (the journal's, never exported) must not make track load a file it names."""
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text(MINIMAL.replace("title: Mini", "title: Loaded from elsewhere"), encoding="utf-8")
    row = export_row("000001", playbook="mini", verdict="fight", bands="{}", playbook_source=str(elsewhere))
    export = write_export(tmp_path / "runs.csv", [row], (*COLUMNS, "playbook_source"))
    done = cli("track", "--from", str(export))
    assert "Loaded from elsewhere" not in done.stdout
    assert "warning: playbook 'mini' cannot be loaded" in done.stderr
    assert all("playbook_source" not in run for run in read_exports([export]))


@pytest.mark.parametrize("named", ["path", "relative", "verdict-first"])
def test_a_playbook_column_that_is_a_path_is_refused_not_loaded(tmp_path: Path, named: str) -> None:
    """track loads each playbook an export names, by id or path alike: a path in a colleague's file would pick the file."""
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text(MINIMAL.replace("title: Mini", "title: Loaded from elsewhere"), encoding="utf-8")
    playbook = {"path": str(elsewhere), "relative": "./elsewhere.yaml", "verdict-first": str(elsewhere)}[named]
    rows = [export_row("000002", playbook=playbook, verdict="fight", bands="{}")]
    if named == "verdict-first":  # the same text seen first in another column
        rows.insert(0, export_row("000001", verdict=playbook))
    export = write_export(tmp_path / "runs.csv", rows)
    done = subprocess.run([DEALRESCUE, "track", "--from", str(export)], capture_output=True, text=True, timeout=60,
                          env=os.environ.copy(), cwd=tmp_path)
    assert "Loaded from elsewhere" not in done.stdout
    assert done.returncode == 2 and f"error: {export}:{len(rows) + 1}: playbook {playbook[:60]!r} is not a playbook id" in done.stderr


def test_a_run_id_read_again_with_other_contents_counts_as_first_read_and_is_named(tmp_path: Path) -> None:
    mine = write_export(tmp_path / "mine.csv", [export_row("000001", outcome="lost", success="no")])
    theirs = write_export(tmp_path / "theirs.csv", [export_row("000001", outcome="won_back", success="yes")])
    done = cli("track", "triage", "--from", str(mine), "--from", str(theirs), "--format", "json")
    assert done.returncode == 0, done.stderr
    fight = next(v for v in json.loads(done.stdout)["verdicts"] if v["verdict"] == "fight_on_value")
    assert (fight["outcomes"], fight["successes"]) == (1, 0)
    assert f"warning: {theirs}: 1 run(s) with the id of a run read before but other contents" in done.stderr
    again = cli("track", "triage", "--from", str(mine), "--from", str(mine))
    assert again.returncode == 0 and "warning" not in again.stderr  # the same file twice: no conflict


def test_repeated_values_of_the_runs_read_are_held_once(tmp_path: Path) -> None:
    """Repeated values are held once: the runs read share their playbook, verdict, day and bands."""
    export = write_export(tmp_path / "runs.csv", [export_row(f"{i:06d}", f"Deal {i}") for i in range(50)])
    runs = read_exports([export])
    assert len(runs) == 50
    assert all(r["bands"] is runs[0]["bands"] and r["verdict"] is runs[0]["verdict"] for r in runs)
    assert read_exports([export], "qualify") == []


# -- what reaches a terminal


@pytest.mark.pty
def test_track_runs_as_csv_on_a_terminal_shows_a_deals_escapes_inert(user_home: Path, tmp_path: Path) -> None:
    export = write_export(tmp_path / "runs.csv", [export_row("000001", f"Evil{CLIPBOARD}{RLO}Corp\r\nfake: line")])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEALRESCUE_", "PYTEST_"))}
    env.update(DEALRESCUE_HOME=str(user_home), TERM="xterm-256color", NO_COLOR="1")
    for fmt in ("csv", "table"):
        command = f"{shlex.quote(DEALRESCUE)} track triage --runs fight_on_value --from {shlex.quote(str(export))} --format {fmt}"
        child = pexpect.spawn("bash", ["-c", command], env=env, encoding="utf-8", timeout=60, dimensions=(40, 200))
        child.expect(pexpect.EOF)
        child.close()
        screen = str(child.before)
        assert "Evil" in screen and "000001" in screen
        assert "\x1b]" not in screen and "\x07" not in screen and RLO not in screen, repr(screen)
    piped = cli("track", "triage", "--runs", "fight_on_value", "--from", str(export), "--format", "csv")
    assert f"Evil{CLIPBOARD}{RLO}Corp" in piped.stdout  # a pipe or file gets the data as it is


# -- the command line


@pytest.mark.parametrize(
    "args",
    [
        ["triage", "Caf\udce9 Corp", "--no-input"],
        ["deals", "list", "--deal=Caf\udce9"],
        ["track", "tri\udcffage"],
    ],
    ids=["deal", "option", "playbook"],
)
def test_an_argument_that_is_not_utf8_is_a_usage_error_not_a_crash(args: list[str]) -> None:
    """Bytes the locale cannot read reach Python as lone surrogates, which sqlite3 and stdout refuse."""
    done = subprocess.run([os.fsencode(DEALRESCUE), *(os.fsencode(a) for a in args)], capture_output=True, timeout=60, env=os.environ.copy())
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2, stderr
    assert "is not UTF-8 text" in stderr and "\\x" in stderr and "unexpected" not in stderr


def test_an_argument_that_is_not_utf8_under_debug_is_the_error_itself_not_a_silent_exit_0() -> None:
    env = {**os.environ, "DEALRESCUE_DEBUG": "1"}
    done = subprocess.run([os.fsencode(DEALRESCUE), b"triage", b"Caf\xe9 Corp", b"--no-input"], capture_output=True,
                          timeout=60, env=env)
    assert done.returncode == 1
    assert b"Traceback" in done.stderr and b"is not UTF-8 text" in done.stderr


def test_an_outcome_note_that_is_not_utf8_is_refused_and_nothing_recorded() -> None:
    from dealrescue.journal import Journal

    done = cli("triage", "Acme", "--no-input", "--date", "2026-09-01", *FIGHT)
    assert done.returncode == 0, done.stderr
    run_id = done.stderr.split("Saved as run ")[1].split()[0]
    done = subprocess.run([DEALRESCUE, "outcome", run_id, "lost", "--note", "went with Glo\udcffbex"], capture_output=True,
                          timeout=60, env=os.environ.copy())
    assert done.returncode == 2 and b"error: the argument 'went with Glo\\xffbex' is not UTF-8 text" in done.stderr
    with Journal.open() as journal:
        assert journal.outcome_history(run_id) == []


def test_a_file_whose_name_is_not_utf8_is_still_read(tmp_path: Path) -> None:
    export = write_export(tmp_path / "runs.csv", [export_row("000001")])
    named = os.fsencode(tmp_path) + b"/caf\xe9.csv"
    os.rename(export, named)
    done = subprocess.run([os.fsencode(DEALRESCUE), b"track", b"triage", b"--from", named, b"--format", b"json"],
                          capture_output=True, timeout=60, env=os.environ.copy())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["verdicts"]


def test_a_deal_name_with_line_breaks_is_kept_as_one_line_everywhere(tmp_path: Path) -> None:
    """From the command line or an answers file's `deal:`: no message, listing or calendar entry gets a line of its own."""
    answers = tmp_path / "answers.yaml"
    answers.write_text('deal: "Initech\\nerror: fake line"\n', encoding="utf-8")
    for args in (["Acme\r\nerror: fake\u2028line"], ["--answers", str(answers)]):
        done = cli("triage", *args, "--no-input", "--date", "2026-09-01", *FIGHT)
        assert done.returncode == 0, done.stderr
    listed = json.loads(cli("deals", "list", "--format", "json").stdout)
    assert sorted(run["deal"] for run in listed) == ["Acme error: fake line", "Initech error: fake line"]
    run_id = next(run["id"] for run in listed if run["deal"].startswith("Acme"))
    done = cli("outcome", run_id, "lost", "--note", "went with Globex")
    assert done.returncode == 0, done.stderr
    assert f"Recorded for run {run_id} (Acme error: fake line, triage): Lost on" in done.stderr
    assert not any(line.startswith("error:") for line in done.stderr.splitlines())
    # A new name given to a re-run follows the same rule.
    again = cli("deals", "rerun", run_id, "--no-input", "--set", "deal=Acme\nerror: renamed")
    assert again.returncode == 0, again.stderr
    assert "Acme error: renamed" in {run["deal"] for run in json.loads(cli("deals", "list", "--format", "json").stdout)}


def test_track_names_a_playbook_by_its_file_as_well_as_by_its_id(tmp_path: Path) -> None:
    path = tmp_path / "mini.yaml"
    path.write_text(MINIMAL + "outcomes:\n  - {id: won, label: Won}\n  - {id: lost, label: Lost}\n", encoding="utf-8")
    for deal in ("Acme", "Globex"):
        done = cli("run", str(path), deal, "--set", "competitor=X", "--set", "reason=better_fit", "--no-input")
        assert done.returncode == 0, done.stderr
    by_id = cli("track", "mini", "--format", "json")
    by_file = cli("track", str(path), "--format", "json")
    assert by_file.returncode == 0, by_file.stderr
    assert json.loads(by_file.stdout) == json.loads(by_id.stdout)
    assert {v["verdict"]: v["runs"] for v in json.loads(by_file.stdout)["verdicts"]} == {"fight": 0, "walk": 2}


# -- the calendar


@pytest.mark.parametrize("kind", ["event", "todo"])
def test_a_deal_or_text_with_crlf_and_end_vevent_adds_no_property_or_entry(kind: str) -> None:
    """A journal from before deal names were kept to one line, or a playbook's step text: folded and escaped, never structure."""
    from icalendar import Calendar

    from dealrescue.journal import TodoItem
    from dealrescue.journal.calendar import items_to_ics

    inject = "\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:pwned\r\nATTACH:http://x\r\n" + CLIPBOARD + ";,\\"
    items = [
        TodoItem(id=f"it{i}", run_id="run234", deal=f"Acme{inject}", playbook_id="triage", kind=kind_of_item, text=f"Call{inject}" * 30,
                 due="2026-09-01", owner=f"rep{inject}", done_at=None, superseded_at=None)
        for i, kind_of_item in enumerate(("step", "followup", "outcome"))
    ]
    text = items_to_ics(items, kind=kind)  # type: ignore[arg-type]
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n"))
    assert "\x1b" not in text and "\x07" not in text
    entries = list(Calendar.from_ical(text).walk("VEVENT" if kind == "event" else "VTODO"))
    assert len(entries) == 3
    for entry in entries:
        assert "ATTACH" not in entry and str(entry["SUMMARY"]).startswith("Acme") and str(entry["SUMMARY"]) != "pwned"
        assert "END:VEVENT" in str(entry["DESCRIPTION"])  # kept as text, inside the description
    lines = text.split("\r\n")
    assert lines.count("BEGIN:VEVENT") == (3 if kind == "event" else 0) and not any(line.startswith(("SUMMARY:pwned", "ATTACH")) for line in lines)


def test_an_export_naming_many_unknown_playbooks_warns_once(tmp_path: Path) -> None:
    export = write_export(tmp_path / "runs.csv", [export_row(f"{i:06d}", playbook=f"pb{i:03d}") for i in range(300)])
    done = cli("track", "--from", str(export))
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == ["warning: playbooks 'pb000', 'pb001', 'pb002', 'pb003', 'pb004' and 295 more cannot be loaded: their runs are left out"]


@pytest.mark.parametrize("deal", ["=HYPERLINK(\"http://x\")", "+1+cmd", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"])
def test_a_formula_cell_read_back_is_neutralised_again_in_tracks_own_csv(tmp_path: Path, deal: str) -> None:
    export = write_export(tmp_path / "runs.csv", [export_row("000001", deal)])
    assert next(csv.DictReader(io.StringIO(export.read_bytes().decode("utf-8"), newline="")))["deal"] == "'" + deal
    done = subprocess.run([DEALRESCUE, "track", "triage", "--from", str(export), "--runs", "fight_on_value", "--format", "csv"],
                          capture_output=True, timeout=60, env=os.environ.copy())  # bytes: a CR stays a CR
    assert done.returncode == 0, done.stderr
    assert next(csv.DictReader(io.StringIO(done.stdout.decode("utf-8"), newline="")))["deal"] == "'" + deal
    as_json = json.loads(cli("track", "triage", "--from", str(export), "--runs", "fight_on_value", "--format", "json").stdout)
    assert as_json[0]["deal"] == deal


def test_an_outcome_note_with_a_lone_cr_exports_as_one_row_that_reads_back(tmp_path: Path) -> None:
    """csv.writer with LF line ends left a cell with a lone CR unquoted: the row split in two when read back."""
    done = cli("triage", "Acme", "--no-input", "--date", "2026-09-01", *FIGHT)
    run_id = done.stderr.split("Saved as run ")[1].split()[0]
    assert cli("outcome", run_id, "lost", "--note", "went with Globex\rthen =cmd", "--date", "2026-10-01").returncode == 0
    export = tmp_path / "runs.csv"
    assert cli("deals", "export", "--all", "--with-answers", "-o", str(export)).returncode == 0
    rows = list(csv.DictReader(io.StringIO(export.read_bytes().decode("utf-8"), newline="")))
    assert len(rows) == 1 and rows[0]["outcome_note"] == "went with Globex\rthen =cmd"
    assert fight_figure(export)["outcomes"] == 1
