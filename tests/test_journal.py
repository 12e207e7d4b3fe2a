"""The journal's storage layer: schema and migrations, refusals, permissions, round trips, concurrency."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import stat
import time
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dealrescue import paths
from dealrescue.errors import EXIT_RUNTIME, JournalError, UsageError
from dealrescue.journal import FollowupRecord, Journal, RunRecord, migrations, store
from tests.conftest_journal import all_runs, answer_then_hang, files_bytes, home, raw_connect, writer

__all__ = ["home"]  # the autouse fixture that sets DEALRESCUE_HOME for every test here

TABLES = {"runs", "answers", "followups"}


def sidecars(db: Path) -> tuple[Path, Path]:
    return db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")


def new_run(j: Journal, deal: str = "Acme", playbook: str = "triage", plan_date: str = "2024-05-01") -> str:
    return j.start_run(deal, playbook, 1, "bundled", plan_date, {"no_input": False})


def table_names(db: Path) -> set[str]:
    conn = raw_connect(db)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


# ------------------------------------------------------------------------------------ migrations


def test_a_new_journal_is_created_in_the_data_folder_and_migrated(home: Path) -> None:
    assert not home.exists()
    with Journal.open() as j:
        assert j.path == home / "journal.db" == paths.journal_path()
    conn = raw_connect(home / "journal.db")
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(migrations.MIGRATIONS) >= 1
        assert conn.execute("PRAGMA application_id").fetchone()[0] == migrations.APPLICATION_ID
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()
    assert table_names(home / "journal.db") >= TABLES


@pytest.mark.parametrize("applied", range(len(migrations.MIGRATIONS)))
def test_migration_from_each_earlier_version(tmp_path: Path, applied: int) -> None:
    db = tmp_path / "old.db"
    conn = raw_connect(db)
    assert migrations.apply_migrations(conn, migrations.MIGRATIONS[:applied]) == applied
    assert conn.execute("PRAGMA user_version").fetchone()[0] == applied
    conn.close()
    with Journal.open(db) as j:
        run_id = new_run(j)
        j.save_answer(run_id, "q", "a")
        assert j.get_run(run_id).answers == {"q": "a"}
    conn = raw_connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(migrations.MIGRATIONS)
    conn.close()


def test_an_existing_empty_file_becomes_a_journal(tmp_path: Path) -> None:
    db = tmp_path / "journal.db"
    db.touch()
    with Journal.open(db) as j:
        assert all_runs(j) == []
    assert table_names(db) >= TABLES


def test_migrations_are_small_named_functions_in_order() -> None:
    names = [fn.__name__ for fn in migrations.MIGRATIONS]
    assert len(set(names)) == len(names)
    for number, name in enumerate(names, start=1):
        assert re.fullmatch(rf"m{number:03d}_[a-z0-9_]+", name), name
    assert len(names) == migrations.SCHEMA_VERSION


def test_a_later_migration_upgrades_an_existing_journal_and_keeps_its_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "journal.db"
    with Journal.open(db) as j:
        run_id = new_run(j)
        j.save_answer(run_id, "competitor", "Globex")

    def m999_add_runs_note(conn: object) -> None:
        conn.execute("ALTER TABLE runs ADD COLUMN note TEXT")  # type: ignore[attr-defined]

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, m999_add_runs_note])
    with Journal.open(db) as j:
        assert j.get_run(run_id).answers == {"competitor": "Globex"}
    conn = raw_connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(migrations.MIGRATIONS)
    assert "note" in {r[1] for r in conn.execute("PRAGMA table_info(runs)")}
    conn.close()


def test_a_failing_migration_is_rolled_back_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "journal.db"
    Journal.open(db).close()
    before = len(migrations.MIGRATIONS)

    def m998_half_done(conn: object) -> None:
        conn.execute("CREATE TABLE half (x)")  # type: ignore[attr-defined]
        raise RuntimeError("boom")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, m998_half_done])
    with pytest.raises(RuntimeError, match="boom"):
        Journal.open(db)
    conn = raw_connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == before
    conn.close()
    assert "half" not in table_names(db)


# -------------------------------------------------------------------------------------- refusals


def test_a_journal_from_a_newer_dealrescue_is_refused_and_left_byte_for_byte(tmp_path: Path) -> None:
    db = tmp_path / "journal.db"
    conn = raw_connect(db)
    conn.execute("CREATE TABLE runs (future_column TEXT)")
    conn.execute("INSERT INTO runs VALUES ('from the future')")
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    before = files_bytes(db, *sidecars(db))
    with pytest.raises(JournalError) as info:
        Journal.open(db)
    assert info.value.exit_code == EXIT_RUNTIME
    assert "newer dealrescue" in info.value.message and "999" in info.value.message
    assert info.value.hint and "upgrade" in info.value.hint
    assert files_bytes(db, *sidecars(db)) == before


def test_a_newer_journal_with_an_uncheckpointed_wal_is_left_untouched(tmp_path: Path) -> None:
    """Snapshot a newer journal while its writer still has changes in the -wal file (as after a crash)."""
    live = tmp_path / "live.db"
    conn = raw_connect(live)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("CREATE TABLE runs (x)")
    conn.execute("INSERT INTO runs VALUES (1)")
    conn.execute("PRAGMA user_version = 999")
    db = tmp_path / "journal.db"
    db.write_bytes(live.read_bytes())
    sidecars(db)[0].write_bytes(sidecars(live)[0].read_bytes())
    conn.close()
    assert len(sidecars(db)[0].read_bytes()) > 0
    before = files_bytes(db, sidecars(db)[0])
    with pytest.raises(JournalError, match="newer dealrescue"):
        Journal.open(db)
    assert files_bytes(db, sidecars(db)[0]) == before


def test_a_damaged_file_is_reported_and_not_overwritten(home: Path) -> None:
    home.mkdir()
    db = home / "journal.db"
    garbage = bytes(range(256)) * 64
    db.write_bytes(garbage)
    with pytest.raises(JournalError) as info:
        Journal.open()
    assert "damaged" in info.value.message and str(db) in info.value.message
    assert info.value.exit_code == EXIT_RUNTIME
    assert db.read_bytes() == garbage
    assert not any(p.exists() for p in sidecars(db))


def test_a_journal_with_damaged_pages_is_reported_not_recreated(tmp_path: Path) -> None:
    db = tmp_path / "journal.db"
    with Journal.open(db) as j:
        for i in range(20):
            new_run(j, deal=f"deal {i}")
    data = bytearray(db.read_bytes())
    data[100:] = b"\xab" * (len(data) - 100)  # keep the header, wreck every page
    db.write_bytes(bytes(data))
    with pytest.raises(JournalError, match="damaged"), Journal.open(db) as j:
        all_runs(j)
    assert db.read_bytes() == bytes(data)


def test_an_sqlite_database_that_is_not_a_journal_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "journal.db"
    conn = raw_connect(db)
    conn.execute("CREATE TABLE customers (name TEXT)")
    conn.close()
    before = db.read_bytes()
    with pytest.raises(JournalError, match="not a dealrescue journal"):
        Journal.open(db)
    assert db.read_bytes() == before


# ----------------------------------------------------------------------------------- permissions


@pytest.mark.parametrize("umask", [0o022, 0o000, 0o077])
def test_folder_is_0700_and_database_files_0600_whatever_the_umask(
    home: Path, umask: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    nested = home / "deeper"
    monkeypatch.setenv("DEALRESCUE_HOME", str(nested))
    old = os.umask(umask)
    try:
        with Journal.open() as j:
            run_id = new_run(j)
            j.save_answer(run_id, "notes", "the customer's secret pricing")
            db = nested / "journal.db"
            wal, shm = sidecars(db)
            assert wal.exists() and shm.exists()
            assert stat.S_IMODE(nested.stat().st_mode) == 0o700
            for f in (db, wal, shm):
                assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    finally:
        os.umask(old)


def test_loose_permissions_on_an_existing_journal_are_tightened(tmp_path: Path) -> None:
    db = tmp_path / "data" / "journal.db"
    Journal.open(db).close()
    os.chmod(db, 0o644)
    os.chmod(db.parent, 0o755)
    Journal.open(db).close()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    # A folder that already existed is the owner's choice (it may be $DEALRESCUE_HOME=~): left as it is.
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o755


def test_an_existing_home_folder_keeps_its_permissions(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)
    Journal.open(home / "deep" / "journal.db").close()
    assert stat.S_IMODE(home.stat().st_mode) == 0o755
    assert stat.S_IMODE((home / "deep").stat().st_mode) == 0o700


# ------------------------------------------------------------------------------------ round trip


def test_runs_answers_and_followups_round_trip() -> None:
    with Journal.open() as j:
        run_id = j.start_run("Acme Corp", "triage", 3, "/tmp/triage.yaml", "2024-05-01", {"format": "markdown"})
        assert re.fullmatch(r"[23456789abcdefghjkmnpqrstuvwxyz]{6}", run_id)
        started = j.get_run(run_id)
        assert started.status == "in_progress" and started.answers == {}
        j.save_answer(run_id, "competitor", "Globex")
        j.save_answer(run_id, "signed", "not_signed")
        j.save_answer(run_id, "reasons", ["price", "gap"])
        j.save_answer(run_id, "score", 7)
        j.save_answer(run_id, "sure", True)
        j.save_answer(run_id, "competitor", "Initech")  # replaced, keeps its place
        j.set_status(run_id, "interrupted")
    with Journal.open() as j:
        run = j.get_run(run_id[:4])
        assert run.status == "interrupted"
        assert list(run.answers.items()) == [
            ("competitor", "Initech"),
            ("signed", "not_signed"),
            ("reasons", ["price", "gap"]),
            ("score", 7),
            ("sure", True),
        ]
        assert j.latest_unfinished() == run
        j.set_status(run_id, "in_progress")
        ids = j.finish_run(
            run_id,
            "fight_on_value",
            "Fight on value",
            "# Plan\n\n- call {{ deal }}\n",
            json.dumps({"verdict": {"id": "fight_on_value"}}),
            [("Check back with Acme", "2024-08-01"), ("Send the comparison", "2024-05-03")],
        )
        assert len(ids) == 2 and len(set(ids) | {run_id}) == 3
        assert j.latest_unfinished() is None
    with Journal.open() as j:
        done = j.get_run(run_id)
        assert isinstance(done, RunRecord)
        assert done == RunRecord(
            id=run_id,
            deal="Acme Corp",
            playbook_id="triage",
            playbook_version=3,
            playbook_source="/tmp/triage.yaml",
            plan_date="2024-05-01",
            status="done",
            answers=run.answers,
            options={"format": "markdown"},
            verdict_id="fight_on_value",
            verdict_title="Fight on value",
            plan_markdown="# Plan\n\n- call {{ deal }}\n",
            plan_json='{"verdict": {"id": "fight_on_value"}}',
            created_at=run.created_at,
            updated_at=done.updated_at,
        )
        created = datetime.fromisoformat(done.created_at.replace("Z", "+00:00"))
        assert created.utcoffset() is not None and created.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
        assert done.updated_at >= done.created_at
        listed = j.list_followups()
        assert [f.text for f in listed] == ["Send the comparison", "Check back with Acme"]  # by due date
        assert listed[1] == FollowupRecord(
            id=ids[0],
            run_id=run_id,
            deal="Acme Corp",
            playbook_id="triage",
            text="Check back with Acme",
            due="2024-08-01",
            done_at=None,
        )
        marked = j.mark_item_done(ids[1][:5])
        assert marked.id == ids[1] and marked.done_at is not None
        assert j.mark_item_done(ids[1]).done_at == marked.done_at  # marking again keeps the first date
        assert [f.id for f in j.list_followups()] == [ids[0]]
        assert [f.id for f in j.list_followups(include_done=True)] == [ids[1], ids[0]]
        assert [f.id for f in j.followups_for_run(run_id)] == ids


def test_answers_of_any_json_shape_round_trip(tmp_path: Path) -> None:
    json_values = st.recursive(
        st.booleans()
        | st.integers(min_value=-(2**53), max_value=2**53)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=10,
    )
    with Journal.open(tmp_path / "journal.db") as j:

        @settings(max_examples=60, deadline=None)
        @given(answers=st.dictionaries(st.text(min_size=1, max_size=20), json_values, max_size=6), deal=st.text())
        def check(answers: dict[str, object], deal: str) -> None:
            run_id = new_run(j, deal=deal)
            for qid, value in answers.items():
                j.save_answer(run_id, qid, value)
            run = j.get_run(run_id)
            assert run.deal == deal
            assert list(run.answers.items()) == list(answers.items())

        check()


def test_an_optional_answer_left_empty_is_kept_as_none() -> None:
    with Journal.open() as j:
        run_id = new_run(j)
        j.save_answer(run_id, "gap", None)
        j.save_answer(run_id, "competitor", "Globex")
        assert j.get_run(run_id).answers == {"gap": None, "competitor": "Globex"}


@pytest.mark.parametrize("bad", [float("nan"), object(), {"when": datetime(2024, 1, 1)}])
def test_an_answer_that_is_not_json_data_is_refused_and_nothing_saved(bad: object) -> None:
    with Journal.open() as j:
        run_id = new_run(j)
        with pytest.raises(ValueError):
            j.save_answer(run_id, "q", bad)
        assert j.get_run(run_id).answers == {}


def test_writes_to_unknown_or_finished_runs_are_refused() -> None:
    with Journal.open() as j:
        with pytest.raises(UsageError, match="zzzzzz"):
            j.save_answer("zzzzzz", "q", "a")
        run_id = new_run(j)
        j.finish_run(run_id, "v", "V", "# plan", "{}", [])
        for write in (
            lambda: j.save_answer(run_id, "q", "a"),
            lambda: j.set_status(run_id, "interrupted"),
            lambda: j.finish_run(run_id, "v", "V", "# plan", "{}", []),
        ):
            with pytest.raises(UsageError, match="already done"):
                write()
        assert j.get_run(run_id).answers == {}
        with pytest.raises(ValueError):
            j.set_status(run_id, "done")


@pytest.mark.parametrize("plan_date", ["2024-5-1", "2024-02-30", "yesterday", "2024-05-01T10:00"])
def test_a_bad_plan_date_is_refused(plan_date: str) -> None:
    with Journal.open() as j:
        with pytest.raises(ValueError):
            new_run(j, plan_date=plan_date)
        assert all_runs(j) == []


def test_finish_run_with_a_bad_follow_up_or_plan_json_changes_nothing() -> None:
    with Journal.open() as j:
        run_id = new_run(j)
        with pytest.raises(ValueError):
            j.finish_run(run_id, "v", "V", "# plan", "{}", [("ok", "2024-06-01"), ("bad", "next week")])
        with pytest.raises(ValueError):
            j.finish_run(run_id, "v", "V", "# plan", "{not json", [])
        assert j.get_run(run_id).status == "in_progress"
        assert j.list_followups(include_done=True) == []


def test_ids_are_unique_even_when_the_generator_repeats_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    sequence = iter(["abc234", "abc234", "abc567", "abc567", "abc567", "xyz234"])
    monkeypatch.setattr(store, "_new_id", lambda: next(sequence))
    with Journal.open() as j:
        first, second = new_run(j), new_run(j)
        followup_ids = j.finish_run(first, "v", "V", "# p", "{}", [("f", "2024-06-01")])
    assert (first, second, followup_ids) == ("abc234", "abc567", ["xyz234"])


def test_get_run_by_id_or_unique_prefix_and_clear_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    sequence = iter(["abc234", "abc567", "xyz234"])
    monkeypatch.setattr(store, "_new_id", lambda: next(sequence))
    with Journal.open() as j:
        for _ in range(3):
            new_run(j)
        assert j.get_run("ABC5").id == "abc567"
        assert j.get_run(" xyz234 ").id == "xyz234"
        with pytest.raises(UsageError, match=r"'abc' matches several runs \(abc234, abc567\)"):
            j.get_run("abc")
        for missing in ("qqq", "abc2345", "", "a%", "ab*"):
            with pytest.raises(UsageError) as info:
                j.get_run(missing)
            assert repr(missing) in info.value.message and info.value.exit_code == 2
        with pytest.raises(UsageError, match="follow-up"):
            j.get_followup("nope22")


def test_latest_unfinished_is_the_run_touched_last() -> None:
    with Journal.open() as j:
        assert j.latest_unfinished() is None
        first = new_run(j, deal="first")
        second = new_run(j, deal="second")
        j.set_status(second, "interrupted")
        j.save_answer(first, "q", "touched later")
        latest = j.latest_unfinished()
        assert latest is not None and latest.id == first
        j.finish_run(first, "v", "V", "# p", "{}")
        latest = j.latest_unfinished()
        assert latest is not None and latest.id == second


def test_listing_filters_newest_first() -> None:
    with Journal.open() as j:
        a = new_run(j, deal="Acme Corp", playbook="triage", plan_date="2024-01-10")
        b = new_run(j, deal="Straße AG", playbook="walkaway", plan_date="2024-02-10")
        c = new_run(j, deal="ACME Europe", playbook="walkaway", plan_date="2024-03-10")
        j.finish_run(b, "walk", "Walk away", "# p", "{}")
        j.set_status(c, "interrupted")

        def ids(**filters: object) -> list[str]:
            runs = all_runs(j, **filters)
            rows = [row for batch in j.stream_runs(("id", "deal"), **filters) for row in batch]  # type: ignore[arg-type]
            assert [(r.id, r.deal) for r in runs] == rows
            return [r.id for r in runs]

        assert ids() == [c, b, a]
        assert ids(deal="acme") == [c, a]
        assert ids(deal="STRASSE") == [b]  # Unicode case folding
        assert ids(playbook="walkaway") == [c, b]
        assert ids(status="done") == [b]
        assert ids(status="interrupted") == [c]
        assert ids(status="in_progress") == [a]
        assert ids(since="2024-02-10") == [c, b]
        assert ids(until="2024-02-10") == [b, a]
        assert ids(since="2024-02-01", until="2024-02-28", playbook="walkaway") == [b]
        assert ids(limit=2) == [c, b]
        assert ids(deal="nobody") == []
        assert all_runs(j, deal="acme")[1].answers == {} and all_runs(j)[0].options == {"no_input": False}
        with pytest.raises(ValueError):
            j.stream_runs(("id",), status="lost")
        with pytest.raises(ValueError):
            j.stream_runs(("id",), since="10 days ago")
        with pytest.raises(ValueError):
            j.stream_runs(("id", "deal_key"))  # only the listing columns may be asked for


# ---------------------------------------------------------------------------- concurrency, crashes


def test_two_processes_writing_at_once_both_succeed(home: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(2), ctx.Queue()
    db = home / "journal.db"  # not created yet: both processes also race to create and migrate it
    runs, answers = 25, 4
    procs = [
        ctx.Process(target=writer, args=(str(db), name, runs, answers, start, results)) for name in ("left", "right")
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    reports = sorted(results.get(timeout=5) for _ in procs)
    assert [r[:2] for r in reports] == [("left", runs), ("right", runs)]
    # Both were at work at the same time: each started before the other had finished.
    assert max(r[2] for r in reports) < min(r[3] for r in reports)
    with Journal.open(db) as j:
        recorded = all_runs(j)
        assert len(recorded) == 2 * runs
        assert all(r.status == "done" and len(r.answers) == answers for r in recorded)
        assert len({r.id for r in recorded}) == 2 * runs
        assert len(j.list_followups()) == 2 * runs
        assert sorted(r.options["worker"] for r in recorded) == ["left"] * runs + ["right"] * runs


def test_a_journal_that_stays_locked_gives_a_journal_error_and_keeps_what_was_saved(tmp_path: Path) -> None:
    db = tmp_path / "journal.db"
    with Journal.open(db) as j:
        run_id = new_run(j)
        j.save_answer(run_id, "competitor", "Globex")
    holder = raw_connect(db)
    holder.execute("BEGIN IMMEDIATE")  # another dealrescue in the middle of a write, and stuck there
    try:
        with Journal.open(db, timeout=0.3) as j:  # opening only reads: it works
            started = time.monotonic()
            with pytest.raises(JournalError) as info:
                j.save_answer(run_id, "signed", "not_signed")
            waited = time.monotonic() - started
            assert waited >= 0.25  # it did wait for the busy timeout before giving up
            assert "busy" in info.value.message and str(db) in info.value.message
            assert info.value.exit_code == EXIT_RUNTIME
            assert j.get_run(run_id).answers == {"competitor": "Globex"}  # reads still work
            holder.execute("ROLLBACK")
            j.save_answer(run_id, "signed", "not_signed")  # and once free, writes go through
            assert j.get_run(run_id).answers == {"competitor": "Globex", "signed": "not_signed"}
    finally:
        holder.close()


def test_a_new_journal_that_cannot_be_migrated_for_a_lock_gives_a_journal_error(tmp_path: Path) -> None:
    db = tmp_path / "journal.db"
    holder = raw_connect(db)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(JournalError, match="busy"):
            Journal.open(db, timeout=0.2)
    finally:
        holder.close()
    Journal.open(db).close()


def test_answers_given_before_a_kill_are_kept(home: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Queue()
    db = home / "journal.db"
    proc = ctx.Process(target=answer_then_hang, args=(str(db), ready))
    proc.start()
    try:
        run_id = ready.get(timeout=60)
        proc.kill()  # SIGKILL, as when the terminal dies: no cleanup runs at all
        proc.join(10)
    finally:
        if proc.is_alive():
            proc.kill()
    with Journal.open(db) as j:
        run = j.latest_unfinished()
        assert run is not None and run.id == run_id and run.status == "in_progress"
        assert run.answers == {"competitor": "Globex", "signed": "not_signed"}


# -------------------------------------------------------------------------------------- volume


def test_ten_thousand_runs_are_listed_newest_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Figures are printed (run with -s to see them), never asserted."""
    db = tmp_path / "journal.db"
    total = 10_000
    with Journal.open(db) as j:
        j._conn.execute("PRAGMA synchronous = OFF")  # only to build the test data quickly
        started = time.perf_counter()
        for i in range(total):
            run_id = new_run(j, deal=f"Deal {i:05d}", playbook=("triage", "walkaway")[i % 2])
            if i % 10 == 0:
                j.save_answer(run_id, "competitor", "Globex")
                j.finish_run(run_id, "fight", "Fight on value", "# Plan\n" + "- a step of the plan\n" * 40, "{}", [])
        built = time.perf_counter() - started
    with Journal.open(db) as j:
        timings = {}
        started = time.perf_counter()
        summaries = [row for batch in j.stream_runs(("id", "deal")) for row in batch]
        timings["stream_runs (all, id and deal)"] = time.perf_counter() - started
        started = time.perf_counter()
        runs = all_runs(j)
        timings["every run read back whole (answers and plans)"] = time.perf_counter() - started
        started = time.perf_counter()
        columns = ("deal", "playbook_id")
        filtered = [row for batch in j.stream_runs(columns, deal="deal 09", playbook="walkaway", limit=20) for row in batch]
        timings["stream_runs (deal+playbook filter, limit 20)"] = time.perf_counter() - started
        started = time.perf_counter()
        latest = j.latest_unfinished()
        timings["latest_unfinished"] = time.perf_counter() - started
    assert len(summaries) == len(runs) == total
    assert summaries[0][1] == "Deal 09999" and summaries[-1][1] == "Deal 00000"
    assert [r.id for r in runs] == [s[0] for s in summaries]
    assert len(filtered) == 20 and all("09" in deal and playbook == "walkaway" for deal, playbook in filtered)
    assert latest is not None and latest.deal == "Deal 09999"
    with capsys.disabled():
        print(f"\n  built {total} runs in {built:.2f} s (synchronous=OFF)")
        for what, seconds in timings.items():
            print(f"  {what}: {seconds * 1000:.1f} ms")


def _locks_held_on(path: Path) -> int:
    """How many POSIX locks this process holds on ``path`` (Linux's /proc/locks)."""
    inode = os.stat(path).st_ino
    held = 0
    for line in Path("/proc/locks").read_text().split("\n"):
        fields = line.split()
        # e.g. "1: POSIX  ADVISORY  READ 12345 fd:01:2345678 128 128"
        if len(fields) >= 6 and fields[1] == "POSIX" and fields[4] == str(os.getpid()) and fields[5].endswith(f":{inode}"):
            held += 1
    return held


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="reads Linux's /proc/locks")
def test_opening_a_second_connection_keeps_sqlites_locks(home: Path) -> None:
    """Checking the -wal and -shm files must not open and close them: a close drops every POSIX
    lock the process holds on the file, and a second process could then reset the -shm file
    under the first one's memory map (it died of SIGBUS, 1 run in 5 of the test above)."""
    with Journal.open() as first:
        new_run(first, deal="Acme")
        db = paths.journal_path()
        files = (db, db.with_name(db.name + "-shm"))
        before = [_locks_held_on(f) for f in files]
        assert all(before)  # SQLite holds a lock on the journal and on its shared memory while connected
        with Journal.open() as second:  # its checks (the side files, the read-only probe) must not drop them
            new_run(second, deal="Globex")
            assert all(_locks_held_on(f) >= held for f, held in zip(files, before, strict=True))
        assert all(_locks_held_on(f) >= held for f, held in zip(files, before, strict=True))
        new_run(first, deal="Initech")
