"""Measure the performance figures of DESIGN.md section 6, as ratios taken side by side in one run.

Run with the project's virtualenv (POSIX only):

    .venv/bin/pip install cookiecutter   # optional: only figure 2 needs it
    .venv/bin/python bench/run.py        # default: 15 repetitions per figure
    .venv/bin/python bench/run.py --quick

Every figure compares two commands, A and B, run as subprocesses in alternating
repetitions (A, B, A, B, ...) after one untimed warm-up of each, and reports
the median wall-clock time of each, the ratio A/B, the goal and PASS or MISS.
Each child's CPU time and peak memory come from ``os.wait4``. Nothing outside a
temporary folder is written; ``DEALRESCUE_HOME`` points into it for every run.
See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib
import importlib.util
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PLAN_DATE = "2026-11-22"
# Figure 3's floor: what any ranking of every row costs before scoring, without dealrescue. It
# reads every row, keeps the deal names, sorts them and writes one line per row with the rank
# and constant cells in place of rank's scores, bands, verdict and reasons.
RANK_FLOOR = """\
import csv, gc, sys
gc.disable()
rows = csv.reader(open(sys.argv[1], newline=""))
next(rows)
deals = [row[0] for row in rows]
deals.sort()
rest = ",4,deciding,38,critical,defecting,Deciding to defect,reason one; reason two; reason three"
sys.stdout.write("\\n".join([f"{n},{deal}{rest}" for n, deal in enumerate(deals, 1)]) + "\\n")
"""
MEMORY_RUNS = 5  # peak memory barely varies from run to run


# ----------------------------------------------------------------------------- running and timing


@dataclass
class Sample:
    wall_ms: float
    cpu_ms: float
    rc: int


@dataclass
class Side:
    label: str
    cmd: list[str]
    env: dict[str, str]
    cwd: Path | None = None
    samples: list[Sample] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return statistics.median(s.wall_ms for s in self.samples)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu_ms for s in self.samples)


class CommandFailed(Exception):
    pass


def run_once(cmd: Sequence[str], env: dict[str, str], cwd: Path | None, scratch: Path) -> Sample:
    """Run ``cmd`` with stdout to /dev/null; wall time and CPU time of that one child."""
    err_path = scratch / "last-stderr.txt"
    with open(err_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
    return Sample(wall * 1000, (usage.ru_utime + usage.ru_stime) * 1000, proc.returncode)


# Peak memory is read in a small interpreter started for the purpose: Linux counts the memory a
# child had before exec (a copy of its parent's) in its max RSS, and this script grows to tens
# of MiB (the journal fill), which would show up as the peak of any small child it started.
SPAWN_AND_MEASURE = (
    "import os,resource,subprocess,sys;"
    "rc=subprocess.call(sys.argv[1:],stdin=subprocess.DEVNULL,stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL);"
    "r=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
    "print(rc, r/1024 if sys.platform=='darwin' else r)"
)


def peak_rss_mib(cmd: Sequence[str], env: dict[str, str]) -> float:
    """The max RSS of one run of ``cmd``, in MiB, from ``getrusage(RUSAGE_CHILDREN)`` in a fresh, small parent."""
    out = subprocess.run(
        [sys.executable, "-S", "-c", SPAWN_AND_MEASURE, *cmd], env=env, capture_output=True, text=True, check=False
    )
    try:
        rc, kib = out.stdout.split()
    except ValueError:
        raise CommandFailed(f"measuring the memory of `{' '.join(cmd)}` failed: {out.stderr.strip()[-300:]}") from None
    if rc != "0":
        raise CommandFailed(f"`{' '.join(cmd)}` exited {rc} while its memory was measured")
    return float(kib) / 1024


def checked_run(side: Side, scratch: Path, ok_codes: Sequence[int] = (0,)) -> Sample:
    sample = run_once(side.cmd, side.env, side.cwd, scratch)
    if sample.rc not in ok_codes:
        tail = (scratch / "last-stderr.txt").read_text(errors="replace").strip().splitlines()[-6:]
        raise CommandFailed(f"{side.label}: `{' '.join(side.cmd)}` exited {sample.rc}\n      " + "\n      ".join(tail))
    return sample


def alternate(a: Side, b: Side, reps: int, scratch: Path, *more: Side) -> None:
    """One untimed warm-up of each, then A, B (, C, ...), A, B, ... ``reps`` times."""
    sides = (a, b, *more)
    for side in sides:
        checked_run(side, scratch)
    for _ in range(reps):
        for side in sides:
            side.samples.append(checked_run(side, scratch))


def capture(cmd: Sequence[str], env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)


# ----------------------------------------------------------------------------- reporting


@dataclass
class Result:
    number: int
    title: str
    goal: float | None
    ratio: float | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.ratio is None or self.goal is None:
            return self.note or "-"
        return "PASS" if self.ratio <= self.goal else "MISS"


def report_pair(result: Result, a: Side, b: Side) -> None:
    width = max(len(a.label), len(b.label))
    for side in (a, b):
        spread = f"{min(s.wall_ms for s in side.samples):.0f}-{max(s.wall_ms for s in side.samples):.0f}"
        print(
            f"    {side.label:<{width}}  median {side.wall:8.1f} ms   (range {spread} ms, cpu median {side.cpu:.0f} ms)"
        )
    result.ratio = a.wall / b.wall
    cpu_ratio = a.cpu / b.cpu if b.cpu else float("nan")
    print(
        f"    ratio {result.ratio:.2f}x   goal <= {result.goal:.2f}x   {result.verdict}"
        f"   (ratio of CPU-time medians: {cpu_ratio:.2f}x)"
    )


# ----------------------------------------------------------------------------- the bare Typer app

# The same shape as the console script pip writes for dealrescue.
LAUNCHER = """#!{python}
import sys
from {module} import main
if __name__ == '__main__':
    sys.argv[0] = sys.argv[0].removesuffix('.exe')
    sys.exit(main())
"""


def shebang_python(script: Path) -> str:
    first = script.read_text(errors="replace").splitlines()[0]
    return first[2:].strip() if first.startswith("#!") else sys.executable


@dataclass
class Launchers:
    """How both sides of figure 1 (and every dealrescue run) are started: the same way for both."""

    dealrescue: list[str]
    bare: list[str]
    description: str


def console_script() -> Path | None:
    script = BIN / "dealrescue"
    return script if script.is_file() and os.access(script, os.X_OK) else None


def make_launchers(scratch: Path) -> Launchers:
    """Write the bare app, generated from dealrescue's own Typer app (bench/bare_app.py), and both launchers."""
    from bare_app import bare_app_source

    from dealrescue.cli.app import eager_app

    bare_dir = scratch / "bare"
    bare_dir.mkdir()
    (bare_dir / "bare_dealrescue.py").write_text(bare_app_source(eager_app()))
    script = console_script()
    if script is not None:
        launcher = bare_dir / "bare-dealrescue"
        launcher.write_text(LAUNCHER.format(python=shebang_python(script), module="bare_dealrescue"))
        launcher.chmod(0o755)
        return Launchers(
            [str(script)],
            [str(launcher)],
            f"console scripts: {script} vs a generated script of the same form (bare_dealrescue.main)",
        )
    (bare_dir / "__main__.py").write_text("from bare_dealrescue import main\nmain()\n")
    return Launchers(
        [sys.executable, "-m", "dealrescue"],
        [sys.executable, str(bare_dir)],
        f"{sys.executable} -m dealrescue vs {sys.executable} <bare app dir> (no console script found in {BIN})",
    )


# ----------------------------------------------------------------------------- inputs


def triage_answers() -> dict[str, object]:
    """The richest valid answer set among the tests at the bottom of playbooks/triage.yaml."""
    import yaml

    from dealrescue import paths

    doc = yaml.safe_load((paths.bundled_playbooks_dir() / "triage.yaml").read_text(encoding="utf-8"))
    tests = [t for t in doc.get("tests") or [] if isinstance(t.get("answers"), dict)]
    if not tests:
        raise SystemExit("bench: playbooks/triage.yaml has no tests: with answers to borrow")
    return dict(max(tests, key=lambda t: len(t["answers"]))["answers"])


def write_cookiecutter_template(folder: Path, answers: dict[str, object]) -> Path:
    """A one-file template taking the same answers as the triage run, rendering one markdown file."""
    template = folder / "triage-template"
    body = template / "{{ cookiecutter.deal }}"
    body.mkdir(parents=True)
    context = {"deal": "Acme", "date": PLAN_DATE, **{k: str(v) for k, v in answers.items()}}
    (template / "cookiecutter.json").write_text(json.dumps(context, indent=2) + "\n")
    lines = [
        "# Lost-deal triage: {{ cookiecutter.deal }}",
        "",
        "Playbook `triage` v1 · plan made {{ cookiecutter.date }}",
        "",
        "## Answers",
        "",
        *[f"- {key}: {{{{ cookiecutter.{key} }}}}" for key in context if key not in ("deal", "date")],
        "",
        "## Verdict",
        "",
        '{% if cookiecutter.signed == "signed" %}Accept and learn.'
        '{% elif cookiecutter.reason == "better_fit" %}Walk away.'
        '{% elif cookiecutter.reason == "unknown" %}Find out more.'
        "{% else %}Fight on value, not price.{% endif %}",
        "",
        "## Action plan",
        "",
        "- [ ] **by {{ cookiecutter.date }}** (rep) Pause before you react.",
        "- [ ] **by {{ cookiecutter.date }}** (rep) Log the answers in the CRM: chose {{ cookiecutter.competitor }}.",
        "{% if cookiecutter.reason == 'gap' %}- [ ] (rep) Check that we can cover {{ cookiecutter.gap }}.{% endif %}",
        "",
    ]
    (body / "plan.md").write_text("\n".join(lines))
    return template


def pulse_choice_values() -> dict[str, list[str]]:
    import yaml

    from dealrescue import paths

    doc = yaml.safe_load((paths.bundled_playbooks_dir() / "pulse.yaml").read_text(encoding="utf-8"))
    values: dict[str, list[str]] = {}
    for question in doc.get("questions") or []:
        if question.get("choices"):
            values[question["id"]] = [str(c["value"]) for c in question["choices"]]
    return values


def write_pulse_csv(path: Path, rows: int, seed: int) -> None:
    """The bench's own sample: the pulse playbook's columns, valid values only."""
    choices = pulse_choice_values()
    signals = choices["signals"]
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["deal", "signals", "pulse", "calling_high", "competitor_knocking"])
        for i in range(rows):
            writer.writerow(
                [
                    f"Account {i + 1:06d}",
                    ",".join(rng.sample(signals, rng.randint(0, 4))),
                    rng.randint(1, 10),
                    rng.choice(choices["calling_high"]),
                    rng.choice(choices["competitor_knocking"]),
                ]
            )


def fill_journal(home: Path, runs: int, answers: dict[str, object], plan_md: str, plan_json: str) -> float:
    """``runs`` finished triage runs through the journal API, in one process. Returns seconds taken."""
    followups = [(f["text"], f["due"]) for f in json.loads(plan_json).get("followups", [])]
    verdict = json.loads(plan_json).get("verdict") or {}
    start = time.perf_counter()
    with _throwaway_journal(home) as journal:
        rng = random.Random(7)
        for i in range(runs):
            day = f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"
            run_id = journal.start_run(f"Account {i + 1:05d}", "triage", 1, "bundled", day, {"format": "markdown"})
            for question_id, value in answers.items():
                journal.save_answer(run_id, question_id, value)
            if i % 20 == 19:
                journal.set_status(run_id, "interrupted")
            else:
                journal.finish_run(
                    run_id,
                    str(verdict.get("id", "fight_on_value")),
                    str(verdict.get("title", "Fight on value")),
                    plan_md,
                    plan_json,
                    followups,
                )
    return time.perf_counter() - start


@contextlib.contextmanager
def _throwaway_journal(home: Path) -> Iterator[Any]:
    """The journal in ``home``, for a fill: durability does not matter, so no fsync per answer."""
    from dealrescue.journal import Journal

    journal = Journal.open(home / "journal.db")
    try:
        conn = getattr(journal, "_conn", None)
        if conn is not None:
            conn.execute("PRAGMA synchronous = OFF")
        yield journal
    finally:
        journal.close()


def fill_todo_journal(home: Path, deals: int, steps_per_deal: int) -> tuple[float, str]:
    """``deals`` finished runs with ``steps_per_deal`` open steps each, due from 30 days before to
    60 days after a fixed day; returns the seconds taken and that day (for ``todo --date``)."""
    today = date(2026, 11, 22)
    start = time.perf_counter()
    with _throwaway_journal(home) as journal:
        rng = random.Random(13)
        for i in range(deals):
            run_id = journal.start_run(f"Account {i + 1:05d}", "recover", 1, "bundled", today.isoformat(), {})
            steps = [
                (f"Step {n + 1} for account {i + 1}: own the concern and say what changes, by whom and by when",
                 (today + timedelta(days=rng.randint(-30, 60))).isoformat(), "rep")
                for n in range(steps_per_deal)
            ]
            journal.finish_run(run_id, "recoverable_now", "Recoverable now", "# plan", "{}", (), steps=steps)
    return time.perf_counter() - start, today.isoformat()


# ----------------------------------------------------------------------------- the figures


@dataclass
class Bench:
    reps: int
    rows: int
    runs: int
    scratch: Path
    env: dict[str, str]
    launch: Launchers
    has_rank: bool
    triage_args: list[str]
    results: list[Result] = field(default_factory=list)
    cookiecutter: Side | None = None
    for_scale: list[tuple[str, list[str]]] = field(default_factory=list)

    def dealrescue(self, *args: str, label: str = "", env: dict[str, str] | None = None) -> Side:
        return Side(label or "dealrescue " + " ".join(args), [*self.launch.dealrescue, *args], env or self.env)

    def figure(self, result: Result, body: Callable[[Result], None]) -> None:
        self.results.append(result)
        goal = f" (goal <= {result.goal:g}x)" if result.goal is not None else ""
        print(f"\n[{result.number}] {result.title}{goal}")
        try:
            body(result)
        except CommandFailed as exc:
            result.note = "FAILED"
            print(f"    not measured: {exc}")

    def help_vs_bare(self, result: Result) -> None:
        a = self.dealrescue("--help")
        b = Side("bare typer --help", [*self.launch.bare, "--help"], self.env)
        screens = [capture(side.cmd, side.env).stdout for side in (a, b)]
        if screens[0] == screens[1]:
            print("    check: both print the same help screen")
        else:
            print("    note: the help screens differ: bench/bare_app.py no longer mirrors some declaration; extend it")
        alternate(a, b, self.reps, self.scratch)
        report_pair(result, a, b)
        self.for_scale.append(("the bare Typer app's --help", b.cmd))

    def cookiecutter_side(self, result: Result) -> Side | None:
        """Side B of figures 2 and 6 (made once), or None with a note when cookiecutter is missing."""
        if self.cookiecutter is not None:
            return self.cookiecutter
        cookiecutter = BIN / "cookiecutter"
        if importlib.util.find_spec("cookiecutter") is None or not cookiecutter.is_file():
            result.note = "SKIPPED"
            print(
                f"    note: cookiecutter is not installed in {BIN.parent}; skipping this figure.\n"
                f"    install it just for the bench with: {BIN / 'pip'} install cookiecutter"
            )
            return None
        template = write_cookiecutter_template(self.scratch, triage_answers())
        config = self.scratch / "cookiecutter-config.yaml"
        config.write_text(f"cookiecutters_dir: {self.scratch / 'cc-cache'}\nreplay_dir: {self.scratch / 'cc-replay'}\n")
        out = self.scratch / "cc-out"
        out.mkdir()
        self.cookiecutter = Side(
            "cookiecutter --no-input",
            [str(cookiecutter), "--no-input", "-f", "-o", str(out), "--config-file", str(config), str(template)],
            self.env,
        )
        return self.cookiecutter

    def check_cookiecutter_output(self) -> None:
        rendered = list((self.scratch / "cc-out").glob("*/plan.md"))
        if not rendered or "Acme" not in rendered[0].read_text():
            raise CommandFailed("cookiecutter did not render plan.md")

    def triage_vs_cookiecutter(self, result: Result) -> None:
        b = self.cookiecutter_side(result)
        if b is None:
            return
        a = self.dealrescue(*self.triage_args, label="dealrescue triage")
        floor = self.floor_side()
        print(f"    A: dealrescue {' '.join(self.triage_args)}")
        print("    B: cookiecutter --no-input -f -o OUT --config-file CFG triage-template/ (1 markdown file)")
        print(f"    floor: {floor.label} (bench/floor.py)")
        alternate(a, b, self.reps, self.scratch, floor)
        self.check_cookiecutter_output()
        report_pair(result, a, b)
        print(
            f"    floor  median {floor.wall:8.1f} ms   (cpu median {floor.cpu:.0f} ms): floor / cookiecutter "
            f"{floor.wall / b.wall:.2f}x (cpu {floor.cpu / b.cpu:.2f}x); triage - floor {a.wall - floor.wall:.0f} ms"
        )
        self.for_scale.append(("cookiecutter --no-input", b.cmd))

    def floor_side(self) -> Side:
        """Figure 2's floor: typer, Jinja2, PyYAML and the run's dataclass shapes, launched as dealrescue is."""
        from floor import floor_source, record_shapes

        shapes = record_shapes(sys.executable, self.triage_args, self.env)
        folder = self.scratch / "floor"
        folder.mkdir(exist_ok=True)
        (folder / "triage_floor.py").write_text(floor_source(shapes))
        label = f"the libraries + {len(shapes)} dataclasses ({sum(s[1] for s in shapes)} frozen)"
        answers = self.triage_args[self.triage_args.index("--answers") + 1]
        script = console_script()
        if script is None:
            return Side(label, [sys.executable, "-c", "import triage_floor; triage_floor.main()", "Acme",
                                "--answers", answers], {**self.env, "PYTHONPATH": str(folder)})
        launcher = folder / "triage-floor"
        launcher.write_text(LAUNCHER.format(python=shebang_python(script), module="triage_floor"))
        launcher.chmod(0o755)
        return Side(label, [str(launcher), "Acme", "--answers", answers], self.env)

    def first_run_vs_cookiecutter(self, result: Result) -> None:
        """Figure 6: the same triage with the compiled-playbook cache emptied before every run (a miss)."""
        b = self.cookiecutter_side(result)
        if b is None:
            return
        home = self.scratch / "home-cold"
        home.mkdir(mode=0o700)
        env = {**self.env, "DEALRESCUE_HOME": str(home)}
        cache = home / "cache"
        # rm runs in the child before dealrescue starts: a fork and exec of about a millisecond.
        a = Side(
            "dealrescue triage (cold)",
            ["/bin/sh", "-c", 'rm -rf "$0" && exec "$@"', str(cache), *self.launch.dealrescue, *self.triage_args],
            env,
        )
        print(f"    A: rm -rf DEALRESCUE_HOME/cache, then dealrescue {' '.join(self.triage_args)}")
        print("    B: cookiecutter --no-input -f -o OUT --config-file CFG triage-template/ (1 markdown file)")
        alternate(a, b, self.reps, self.scratch)
        if not any(cache.rglob("*.entry")):
            raise CommandFailed("the triage run wrote no cache entry: the figure would not be a cache miss")
        self.check_cookiecutter_output()
        report_pair(result, a, b)

    def rank_vs_csv(self, result: Result) -> None:
        """rank against DuckDB running rank's own --sql on the same file, at --rows and ten times
        as many; peak memory of each; the pure-Python read-sort-write floor beside both."""
        if not self.has_rank:
            result.note = "not available"
            print("    rank: not available (`dealrescue rank --help` fails: the command is not there yet)")
            return
        try:
            import duckdb  # noqa: F401 - only to know it is there; the side runs in its own interpreter
        except ImportError:
            result.note = "no duckdb"
            print("    DuckDB is not installed (pip install duckdb, or the test extra): figure skipped")
            return
        sys.path.insert(0, str(ROOT))
        from tests.crm_exports import make_sample_csv

        duck_script = self.scratch / "duckdb_rank.py"
        duck_script.write_text(
            "import sys, duckdb\n"
            "sql = open(sys.argv[2], encoding='utf-8').read().strip().rstrip(';')\n"
            "con = duckdb.connect()\n"
            "con.execute(\"CREATE VIEW crm_export AS SELECT * FROM read_csv('\" + sys.argv[1] + \"', all_varchar=true, header=true)\")\n"
            "con.execute('COPY (' + sql + \") TO '/dev/stdout' (HEADER)\")\n"
        )
        floor_script = self.scratch / "rank_floor.py"
        floor_script.write_text(RANK_FLOOR)
        # The query alone, as a warehouse runs it: the export loaded into a table first, not timed.
        query_script = self.scratch / "duckdb_query_alone.py"
        query_script.write_text(
            "import sys, time, duckdb\n"
            "sql = open(sys.argv[2], encoding='utf-8').read().strip().rstrip(';')\n"
            "con = duckdb.connect()\n"
            "con.execute(\"CREATE TABLE crm_export AS SELECT * FROM read_csv('\" + sys.argv[1] + \"', all_varchar=true, header=true)\")\n"
            "times = []\n"
            "for _ in range(3):\n"
            "    start = time.perf_counter()\n"
            "    con.execute('CREATE OR REPLACE TEMP TABLE ranked AS ' + sql)\n"
            "    times.append(time.perf_counter() - start)\n"
            "print(sorted(times)[1] * 1000)\n"
        )
        for rows, reps in ((self.rows, self.reps), (self.rows * 10, max(2, self.reps // 5))):
            data = self.scratch / f"accounts-{rows}.csv"
            make_sample_csv(data, rows, 42)
            print(f"\n    input: {data.name}, {rows:,} rows, {data.stat().st_size / 1e6:.1f} MB, every pulse column, "
                  f"made by tests/crm_exports.make_sample_csv(path, {rows}, 42); {reps} repetitions")
            query = self.scratch / "rank.sql"
            made = capture([*self.launch.dealrescue, "rank", "--sql", "--table", "crm_export", "-p", "pulse", str(data)],
                           self.env)
            if made.returncode != 0:
                raise CommandFailed(f"`dealrescue rank --sql` exited {made.returncode}: {made.stderr.strip()[-300:]}")
            query.write_text(made.stdout, encoding="utf-8")
            a = self.dealrescue("rank", str(data), "-p", "pulse", "--format", "csv", label="dealrescue rank FILE")
            b = Side("duckdb: rank --sql on FILE", [sys.executable, str(duck_script), str(data), str(query)], self.env)
            floor = Side("python rank_floor.py FILE", [sys.executable, str(floor_script), str(data)], self.env)
            for side in (a, b, floor):
                side.samples.clear()
            alternate(a, b, reps, self.scratch, floor)
            ratio = a.wall / b.wall
            if rows == self.rows:
                result.ratio = ratio
            width = max(len(side.label) for side in (a, b, floor))
            for side in (a, b, floor):
                spread = f"{min(x.wall_ms for x in side.samples):.0f}-{max(x.wall_ms for x in side.samples):.0f}"
                peak = peak_rss_mib(side.cmd, side.env)
                print(f"    {side.label:<{width}}  median {side.wall:9.1f} ms  (range {spread} ms, cpu {side.cpu:.0f} ms)"
                      f"  peak {peak:6.1f} MiB")
            print(f"    rank / duckdb {ratio:.2f}x (goal <= {result.goal:g}x); rank / floor {a.wall / floor.wall:.2f}x")
            alone = capture([sys.executable, str(query_script), str(data), str(query)], self.env)
            if alone.returncode == 0:
                print(f"    the query alone in DuckDB (table loaded first, median of 3): {float(alone.stdout):.0f} ms")

    def filled_home(self) -> dict[str, str]:
        """The environment of a DEALRESCUE_HOME whose journal holds ``runs`` triage runs (filled once)."""
        home = self.scratch / "home-journal"
        env = {**self.env, "DEALRESCUE_HOME": str(home)}
        if home.exists():
            return env
        home.mkdir(mode=0o700)
        answers = triage_answers()
        plan_md = capture([*self.launch.dealrescue, *self.triage_args], self.env).stdout
        made = capture([*self.launch.dealrescue, *self.triage_args, "--format", "json"], self.env)
        if made.returncode != 0 or not plan_md:
            raise CommandFailed(f"triage for the sample plan exited {made.returncode}: {made.stderr.strip()[-300:]}")
        seconds = fill_journal(home, self.runs, answers, plan_md, made.stdout)
        size = (home / "journal.db").stat().st_size / 1e6
        print(
            f"    journal: {self.runs:,} triage runs ({len(answers)} answers, plan and follow-ups each; "
            f"1 in 20 interrupted), {size:.1f} MB, filled in {seconds:.1f} s"
        )
        return env

    def listing_vs_help(self, result: Result, command: list[str], expected_lines: Callable[[], int]) -> None:
        """``dealrescue COMMAND`` on the filled journal vs ``dealrescue --help``, after checking its line count."""
        env = self.filled_home()
        listed = capture([*self.launch.dealrescue, *command], env)
        lines = listed.stdout.count("\n")
        if listed.returncode != 0 or lines != expected_lines():
            raise CommandFailed(
                f"`{' '.join(command)}` exited {listed.returncode} with {lines} lines (expected {expected_lines()})"
            )
        print(f"    check: `{' '.join(command)}` prints {lines:,} lines")
        a = self.dealrescue(*command, env=env)
        b = self.dealrescue("--help", env=env)
        alternate(a, b, self.reps, self.scratch)
        report_pair(result, a, b)

    def todo_vs_help(self, result: Result) -> None:
        """Figure 8: the to-do list across 1,000 deals holding 10,000 open steps, against --help."""
        home = self.scratch / "home-todo"
        home.mkdir(mode=0o700)
        env = {**self.env, "DEALRESCUE_HOME": str(home)}
        seconds, listed_by = fill_todo_journal(home, deals=1_000, steps_per_deal=10)
        size = (home / "journal.db").stat().st_size / 1e6
        listed = capture([*self.launch.dealrescue, "todo", "--date", listed_by], env)
        lines = listed.stdout.count("\n")
        if listed.returncode != 0 or not lines:
            raise CommandFailed(f"`todo` exited {listed.returncode} with {lines} lines")
        print(f"    journal: 1,000 deals, 10,000 open steps due over 90 days, {size:.1f} MB, filled in {seconds:.1f} s")
        print(f"    A: dealrescue todo --date {listed_by} ({lines:,} items overdue or due that week, TSV to /dev/null)")
        a = self.dealrescue("todo", "--date", listed_by, env=env, label="dealrescue todo")
        b = self.dealrescue("--help", env=env)
        alternate(a, b, self.reps, self.scratch)
        report_pair(result, a, b)

    def deals_list_vs_help(self, result: Result) -> None:
        self.listing_vs_help(result, ["deals", "list"], lambda: self.runs)

    def followups_vs_help(self, result: Result) -> None:
        def followup_count() -> int:
            import sqlite3

            with sqlite3.connect(self.scratch / "home-journal" / "journal.db") as conn:
                return int(conn.execute("SELECT count(*) FROM followups WHERE done_at IS NULL").fetchone()[0])

        self.listing_vs_help(result, ["followups", "--date", PLAN_DATE], followup_count)

    def triage_memory(self, result: Result) -> None:
        cmd = [*self.launch.dealrescue, *self.triage_args]
        runs = min(self.reps, MEMORY_RUNS)
        rss = [peak_rss_mib(cmd, self.env) for _ in range(runs)]
        print(f"    dealrescue {' '.join(self.triage_args)}")
        print(
            f"    peak RSS median {statistics.median(rss):.1f} MiB (min {min(rss):.1f}, max {max(rss):.1f}) "
            f"over {runs} runs; no goal in DESIGN section 6"
        )
        for label, other in self.for_scale:
            print(f"    for scale: {label} peaks at {peak_rss_mib(other, self.env):.1f} MiB")
        result.note = f"{statistics.median(rss):.1f} MiB"


# ----------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--reps", type=int, default=15, metavar="N", help="alternating repetitions per figure (default 15)"
    )
    parser.add_argument("--quick", action="store_true", help="5 repetitions per figure (same as --reps 5)")
    parser.add_argument("--rows", type=int, default=100_000, help="CSV rows for the rank figure (default 100000)")
    parser.add_argument(
        "--runs", type=int, default=100_000, help="journal runs for the deals list and followups figures (default 100000)"
    )
    parser.add_argument(
        "--only", metavar="1,2,...", default="1,2,3,4,5,6,7,8", help="figures to measure, comma-separated (default all)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and print where it is")
    args = parser.parse_args(argv)
    if args.quick:
        args.reps = 5
    if args.reps < 1 or args.rows < 1 or args.runs < 1:
        parser.error("--reps, --rows and --runs must be at least 1")
    try:
        args.only = {int(x) for x in args.only.split(",") if x.strip()}
    except ValueError:
        parser.error("--only takes figure numbers, e.g. --only 1,4")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if os.name != "posix":
        print("bench: needs a POSIX system (os.wait4)", file=sys.stderr)
        return 2
    if importlib.util.find_spec("dealrescue") is None:
        print(f"bench: dealrescue is not importable by {sys.executable}; run with the project's venv", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="dealrescue-bench-"))
    home = scratch / "home"
    home.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEALRESCUE_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["DEALRESCUE_HOME"] = str(home)
    # Cached bytecode for every module on both sides, as after a pip install, without writing
    # __pycache__ into the checkout (an editable install under PYTHONDONTWRITEBYTECODE=1 would
    # otherwise compile dealrescue's sources on every run, and only dealrescue's).
    env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    try:
        import yaml

        script = console_script()
        product = [str(script)] if script else [sys.executable, "-m", "dealrescue"]
        has_rank = capture([*product, "rank", "--help"], env).returncode == 0
        launch = make_launchers(scratch)
        answers_file = scratch / "a.yaml"
        answers_file.write_text(yaml.safe_dump(triage_answers(), sort_keys=False, allow_unicode=True))
        bench = Bench(
            reps=args.reps,
            rows=args.rows,
            runs=args.runs,
            scratch=scratch,
            env=env,
            launch=launch,
            has_rank=has_rank,
            triage_args=[
                "triage",
                "Acme",
                "--answers",
                str(answers_file),
                "--no-input",
                "--no-save",
                "--date",
                PLAN_DATE,
            ],
        )
        import dealrescue

        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print("dealrescue bench (DESIGN.md section 6): medians of alternating repetitions A, B, A, B, ...")
        print(f"  dealrescue {dealrescue.__version__} from {Path(dealrescue.__file__).parent}")
        print(f"  Python {platform.python_version()} ({platform.python_implementation()}) at {sys.executable}")
        print(
            f"  machine: {platform.system()} {platform.release()} {platform.machine()}, "
            f"{os.cpu_count()} cores, load average {load} at start"
        )
        print(f"  {args.reps} repetitions per figure after one warm-up each; stdout of every run to /dev/null")
        print(f"  launcher: {launch.description}")
        print(f"  DEALRESCUE_HOME: a fresh folder under {scratch}")
        print(
            "  bytecode: cached for every module after the warm-up (PYTHONPYCACHEPREFIX in the temp folder"
            + (", PYTHONDONTWRITEBYTECODE=1 dropped for the children)" if "PYTHONDONTWRITEBYTECODE" in os.environ else ")")
        )

        started = time.perf_counter()
        figures = [
            (Result(1, "dealrescue --help vs a bare Typer app with the same commands", 1.0), bench.help_vs_bare),
            (
                Result(2, "non-interactive triage to stdout vs cookiecutter --no-input on a one-file template", 0.6),
                bench.triage_vs_cookiecutter,
            ),
            (
                Result(3, f"dealrescue rank on {args.rows:,} rows vs DuckDB running rank --sql on the same file", 1.0),
                bench.rank_vs_csv,
            ),
            (
                Result(4, f"dealrescue deals list with {args.runs:,} recorded runs vs dealrescue --help", 1.5),
                bench.deals_list_vs_help,
            ),
            (Result(5, "peak memory (max RSS) of the non-interactive triage run", None), bench.triage_memory),
            (
                Result(6, "first run (compiled-playbook cache empty) of figure 2's triage vs cookiecutter", 1.2),
                bench.first_run_vs_cookiecutter,
            ),
            (
                Result(7, f"dealrescue followups with {args.runs:,} recorded runs vs dealrescue --help", 1.5),
                bench.followups_vs_help,
            ),
            (Result(8, "dealrescue todo with 1,000 deals and 10,000 open steps vs dealrescue --help", 1.3), bench.todo_vs_help),
        ]
        for result, body in figures:
            if result.number in args.only:
                bench.figure(result, body)

        print(f"\nsummary ({time.perf_counter() - started:.0f} s):")
        for r in bench.results:
            measured = f"{r.ratio:5.2f}x" if r.ratio is not None else "   - "
            goal = f"<= {r.goal:g}x" if r.goal is not None else "      "
            print(f"  [{r.number}] {measured}  {goal:8}  {r.verdict:13}  {r.title}")
        failed = any(r.note == "FAILED" for r in bench.results)
        return 1 if failed else 0
    finally:
        if args.keep:
            print(f"\nkept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
