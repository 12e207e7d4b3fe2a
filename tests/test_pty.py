"""Real-terminal tests: the installed command on a pseudo-terminal, driven key by key with pexpect.

Each session runs ``python -m dealrescue`` through ``bash -c`` (for redirections) on a
100x40 pty, answers prompt_toolkit's cursor-position requests the way a real terminal
does, and keeps the whole screen transcript so tests can assert what was shown.
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pexpect
import pytest

pytestmark = pytest.mark.pty

PY = shlex.quote(sys.executable)
DR = f"{PY} -m dealrescue"
DATE = "2026-11-22"

DOWN = "\x1b[B"
ENTER = "\r"
CTRL_C = "\x03"
CPR_REQUEST = "\x1b[6n"
CURSOR_HIDE, CURSOR_SHOW = "\x1b[?25l", "\x1b[?25h"
PASTE_ON, PASTE_OFF = "\x1b[?2004h", "\x1b[?2004l"

# triage.yaml prompts (and the help line printed above each).
COMPETITOR = "Who did they choose?"
COMPETITOR_HELP = "Vendor and product as they named it"
SIGNED = "Is anything signed with them?"
SIGNED_HELP = "is there ink on anything yet?"
REASON = "What was the key reason?"
REASON_HELP = "The one that tipped it"
GAP = "Which capability did they find missing?"
CLOSABLE = "Do we have another product or option that closes that gap?"
PRESSURE = "How hard are they pushing on commercials?"
DECIDER = "Who makes the final call and holds the budget on their side?"
# Optional questions asked after the decider when nothing is signed (left empty in these runs).
AFTER_DECIDER = (
    "Who on their side was most for us?",
    "Who pushed for them, or could block us?",
    "What is the deal worth, roughly?",
    "What would a rescue cost us, roughly?",
)
RECONSIDER = "What would they need to see to reconsider?"
SIGN_DATE = "When do they plan to sign with them?"
TRUST = "What damaged the trust, in a few words?"
# After the key questions (competitor, signed, reason) with more to ask: the provisional verdict and one offer.
OFFER = "Add the details for a dated plan?"

CALLPREP = """\
id: callprep
version: 1
title: Call prep
summary: A small playbook with a confirm question, for terminal tests.
questions:
  - id: contact
    prompt: Who is the key contact?
  - id: ready
    prompt: Are you truly ready to walk away?
    type: confirm
  - id: call_on
    prompt: When is the call?
    type: date
verdicts:
  - id: walk
    when: ready
    title: Walk away with care
    rationale: You are ready; call {{ contact }} on {{ call_on }}.
  - id: wait
    default: true
    title: Not yet
    rationale: Do not bluff.
plan:
  - text: Call {{ contact }}
    due: +1d
"""

# The review screen after the last question.
REVIEW = "Make the plan?"

# An SGR sequence; its parameters tell colour (30-38, 40-48, 90-97, 100-107) from bold/reset.
SGR = re.compile(r"\x1b\[([0-9;:]*)m")


def colour_codes(text: str) -> list[str]:
    found = []
    for match in SGR.finditer(text):
        params = [p for p in re.split("[;:]", match.group(1)) if p]
        # Skip the arguments of 38;5;N / 38;2;R;G;B so a 256-colour index is not read as a code.
        i = 0
        while i < len(params):
            code = int(params[i])
            if code in (38, 48):
                found.append(match.group(0))
                i += 3 if i + 1 < len(params) and params[i + 1] == "5" else 5
                continue
            if 30 <= code <= 37 or 40 <= code <= 47 or 90 <= code <= 97 or 100 <= code <= 107:
                found.append(match.group(0))
            i += 1
    return found


def test_colour_code_detector() -> None:
    assert colour_codes("\x1b[0;38;5;67m?\x1b[0m") == ["\x1b[0;38;5;67m"]
    assert colour_codes("\x1b[1;36mid\x1b[0m") == ["\x1b[1;36m"]
    assert colour_codes("\x1b[1m\x1b[0m\x1b[3m\x1b[4m\x1b[22m") == []
    assert colour_codes("\x1b[38;2;10;20;30mx") == ["\x1b[38;2;10;20;30m"]


class Session:
    """One command on a pseudo-terminal, with the full screen transcript."""

    def __init__(self, command: str, *, cwd: Path, env: dict[str, str]) -> None:
        self.screen = io.StringIO()
        self.child = pexpect.spawn(
            "bash", ["-c", command], cwd=str(cwd), env=env, encoding="utf-8", codec_errors="replace",
            timeout=30, dimensions=(40, 100),
        )
        self.child.logfile_read = self.screen
        # Every send waits for the prompt to be drawn (so the tty is already raw): pexpect's
        # default 50 ms pause before each send is not needed.
        self.child.delaybeforesend = None

    def wait(self, text: str) -> None:
        """Wait until ``text`` is on screen, answering cursor-position requests meanwhile."""
        while True:
            if self.child.expect_exact([CPR_REQUEST, text]) == 1:
                return
            self.child.send("\x1b[1;1R")

    def answer(self, prompt: str, keys: str, *, shown: str | None = None) -> None:
        """Wait for ``prompt`` (and ``shown``, e.g. a select's last choice), then type ``keys``."""
        self.wait(prompt)
        if shown is not None:
            self.wait(shown)
        self.child.send(keys)

    def make_plan(self) -> None:
        """Enter on the review screen: the answers stand, make the plan."""
        self.answer(REVIEW, ENTER)

    def finish(self) -> int:
        while self.child.expect_exact([CPR_REQUEST, pexpect.EOF]) == 0:
            self.child.send("\x1b[1;1R")
        self.child.close()
        assert self.child.exitstatus is not None, f"killed by signal {self.child.signalstatus}"
        return int(self.child.exitstatus)

    @property
    def text(self) -> str:
        return self.screen.getvalue()


@pytest.fixture
def home(user_home: Path) -> Path:
    """The data folder conftest made for this test (DEALRESCUE_HOME here too): children get the same one."""
    return user_home


def make_env(home: Path, **extra: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEALRESCUE_", "PYTEST_")) and k != "NO_COLOR"}
    env.update(COLUMNS="100", LINES="40", TERM="xterm-256color", DEALRESCUE_HOME=str(home), PYTHONIOENCODING="utf-8")
    env.pop("TMUX", None)  # the back hint names Esc b inside tmux
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


Start = Callable[..., Session]


@pytest.fixture
def start(tmp_path: Path, home: Path) -> Start:
    def start(command: str, **extra: str | None) -> Session:
        return Session(command, cwd=tmp_path, env=make_env(home, **extra))

    return start


def dr(args: str, home: Path, cwd: Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run dealrescue without a terminal (for checking the journal after a session)."""
    return subprocess.run(f"{DR} {args}", shell=True, cwd=cwd, env=make_env(home), capture_output=True,
                          text=True, timeout=30, stdin=subprocess.DEVNULL, check=False, **kwargs)


def journal_record(run_id: str) -> Any:
    """The run as the journal holds it (read in this process: conftest points DEALRESCUE_HOME at ``home``)."""
    from dealrescue.journal import Journal

    with Journal.open() as journal:
        return journal.get_run(run_id)


def run_status(run_id: str, home: Path, cwd: Path) -> dict[str, Any]:
    result = dr("deals list --format json", home, cwd)
    assert result.returncode == 0, result.stderr
    runs = {r["id"]: r for r in json.loads(result.stdout)}
    return runs[run_id]


def assert_terminal_sane(screen: str) -> None:
    """The cursor is visible and bracketed paste is off after the last prompt; the tty is cooked again."""
    assert CURSOR_HIDE in screen, "the prompts hid the cursor (select does): the check below means something"
    assert screen.rfind(CURSOR_SHOW) > screen.rfind(CURSOR_HIDE)
    assert screen.rfind(PASTE_OFF) > screen.rfind(PASTE_ON)
    stty = screen[screen.index("STTY:"):]
    for flag in ("icanon", "echo", "isig", "icrnl", "opost"):
        assert re.search(rf"(?<![-\w]){flag}\b", stty), f"{flag} left off after the interrupt:\n{stty}"


# --- a full session, stdout to a file ----------------------------------------------------------


def test_full_triage_with_stdout_to_a_file(start: Start, tmp_path: Path) -> None:
    s = start(f"{DR} triage Acme --date {DATE} > plan.md")
    s.answer(COMPETITOR, "Globex Analytics" + ENTER)
    s.answer(SIGNED, DOWN + DOWN + ENTER, shown="Don't know")  # Not signed
    s.answer(REASON, DOWN + ENTER, shown="Don't know yet")  # A capability we lack
    s.answer(OFFER, ENTER)  # Yes: add the details
    s.answer(GAP, "monthly board reporting" + ENTER)
    s.answer(CLOSABLE, ENTER, shown="Not sure yet")  # another product of ours covers it
    s.answer(PRESSURE, "11" + ENTER)  # out of range: refused at the prompt
    s.wait("must be at most 10")
    s.child.send("\x7f\x7f4" + ENTER)
    s.answer(DECIDER, "Dana Ruiz, CFO" + ENTER)
    skip_after_decider(s)
    s.answer(RECONSIDER, "their board report built in our tool" + ENTER)
    s.answer(SIGN_DATE, "2026-11-25" + ENTER)
    s.make_plan()
    assert s.finish() == 0, s.text

    plan = (tmp_path / "plan.md").read_text(encoding="utf-8")
    assert plan.startswith("# Lost-deal triage: Acme\n")
    assert "\x1b" not in plan and "\r" not in plan
    for typed in ("Globex Analytics", "monthly board reporting", "Dana Ruiz, CFO", "their board report built in our tool"):
        assert typed in plan
    assert "- [ ] **by 2026-11-" in plan
    assert plan.count("tight: their planned signature is on 2026-11-25") == 1
    # Their date is when they would sign with the competitor: our last milestone, their decision, is the day before.
    assert max(re.findall(r"\*\*by (\d{4}-\d\d-\d\d)\*\*", plan)) == "2026-11-24"
    # Nothing meant for the person leaked into the plan (the plan lists the answers, but never a live prompt).
    for shown in ("? " + COMPETITOR, COMPETITOR_HELP, "(arrow keys, Enter", "(1-10", "Saved as run", "must be at most", REVIEW):
        assert shown not in plan

    screen = s.text
    for shown in (COMPETITOR, COMPETITOR_HELP, SIGNED, SIGNED_HELP, REASON, REASON_HELP, GAP, CLOSABLE, PRESSURE,
                  DECIDER, RECONSIDER, "Lost-deal triage: Right after"):
        assert shown in screen
    assert TRUST not in screen  # its `when` rules it out
    assert "- [ ] **by" not in screen  # the plan went to the file only
    assert "Traceback" not in screen
    run_id = re.search(r"Saved as run (\w+)", screen)
    assert run_id, screen
    record = journal_record(run_id.group(1))
    assert record.status == "done"
    assert record.answers["competitor"] == "Globex Analytics" and record.answers["pressure"] == 4


# --- Ctrl-C, then resume ----------------------------------------------------------------------


def skip_after_decider(s: Session) -> None:
    for prompt in AFTER_DECIDER:
        s.answer(prompt, ENTER)


def interrupt_at_select(s: Session) -> None:
    s.answer(COMPETITOR, "Globex" + ENTER)
    s.answer(SIGNED, DOWN + CTRL_C, shown="Don't know")


def interrupt_at_text(s: Session) -> None:
    s.answer(COMPETITOR, "Globex" + ENTER)
    s.answer(SIGNED, DOWN + DOWN + ENTER, shown="Don't know")  # Not signed
    s.answer(REASON, DOWN * 3 + ENTER, shown="Don't know yet")  # Relationship or trust
    s.answer(OFFER, ENTER)  # Yes: add the details
    s.answer(TRUST, ENTER)  # optional, deliberately left empty: kept as such
    s.answer(DECIDER, "Dana R" + CTRL_C)  # cut off mid-typing: not kept


def interrupt_at_confirm(s: Session) -> None:
    s.answer("Who is the key contact?", "Globex" + ENTER)
    s.answer("Are you truly ready to walk away?", CTRL_C)


def resume_after_select(s: Session) -> None:
    s.answer(SIGNED, DOWN + DOWN + ENTER, shown="Don't know")
    s.answer(REASON, DOWN + ENTER, shown="Don't know yet")
    s.answer(OFFER, ENTER)  # Yes: add the details
    s.answer(GAP, "single sign-on" + ENTER)
    s.answer(CLOSABLE, DOWN + ENTER, shown="Not sure yet")
    s.answer(PRESSURE, "3" + ENTER)
    s.answer(DECIDER, "Dana Ruiz" + ENTER)
    skip_after_decider(s)
    s.answer(RECONSIDER, "SSO working in a pilot" + ENTER)
    s.answer(SIGN_DATE, ENTER)  # optional: left empty
    s.make_plan()


def resume_after_text(s: Session) -> None:
    s.answer(DECIDER, "Dana Ruiz" + ENTER)
    skip_after_decider(s)
    s.answer(RECONSIDER, "a new account team" + ENTER)
    s.answer(SIGN_DATE, ENTER)
    s.make_plan()


def resume_callprep(s: Session) -> None:
    s.answer("Are you truly ready to walk away?", "y" + ENTER)
    s.answer("When is the call?", "2026-12-01" + ENTER)
    s.make_plan()


TRIAGE_RUN = f"triage Acme --date {DATE}"
CASES = {
    # case: (command args, interrupt, answers kept, prompts that must not be asked again, resume, plan heading)
    "select": (TRIAGE_RUN, interrupt_at_select, {"competitor": "Globex"}, [COMPETITOR, COMPETITOR_HELP],
               resume_after_select, "# Lost-deal triage: Acme"),
    "text": (TRIAGE_RUN, interrupt_at_text,
             {"competitor": "Globex", "signed": "not_signed", "reason": "relationship", "trust_issue": None},
             [COMPETITOR, COMPETITOR_HELP, SIGNED, SIGNED_HELP, REASON, REASON_HELP, TRUST], resume_after_text,
             "# Lost-deal triage: Acme"),
    "confirm": (f"run callprep.yaml Acme --date {DATE}", interrupt_at_confirm, {"contact": "Globex"},
                ["Who is the key contact?"], resume_callprep, "# Call prep: Acme"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_ctrl_c_then_resume_asks_only_what_is_missing(case: str, start: Start, tmp_path: Path, home: Path) -> None:
    args, interrupt, kept, not_again, resume_keys, heading = CASES[case]
    (tmp_path / "callprep.yaml").write_text(CALLPREP, encoding="utf-8")

    s = start(f'{DR} {args} > plan.md; echo "RC:$?"; echo STTY:; stty -a')
    interrupt(s)
    s.wait("STTY:")
    assert s.finish() == 0
    screen = s.text
    assert "RC:130" in screen, screen
    assert "Traceback" not in screen
    message = re.search(r"error: interrupted: (\d+) answer\(s\) kept in the journal as run (\w+); no plan was made", screen)
    assert message, screen
    assert int(message.group(1)) == len(kept)
    run_id = message.group(2)
    assert f"hint: continue with: dealrescue resume {run_id}" in screen
    assert_terminal_sane(screen)
    assert (tmp_path / "plan.md").read_text(encoding="utf-8") == ""  # no plan from partial answers
    record = journal_record(run_id)
    assert record.status == "interrupted"
    assert record.answers == kept  # the prompt cut off by Ctrl-C left no answer, not even None

    r = start(f"{DR} resume {run_id} > plan.md")
    r.wait(f"Resuming run {run_id}")
    assert f"{len(kept)} answer(s) kept" in r.text
    resume_keys(r)
    assert r.finish() == 0, r.text
    asked = r.text[:r.text.index("Your answers:")]  # the review screen lists every answer, kept ones too
    for prompt in not_again:
        assert prompt not in asked, f"{prompt!r} was asked again on resume"
    plan = (tmp_path / "plan.md").read_text(encoding="utf-8")
    assert plan.startswith(heading + "\n")
    assert "Globex" in plan  # the answer kept from before the interrupt
    assert "\x1b" not in plan
    status = run_status(run_id, home, tmp_path)
    assert status["status"] == "done"
    assert status["verdict"] is not None


def test_killed_terminal_keeps_the_answers_and_resume_continues(start: Start, tmp_path: Path) -> None:
    s = start(f"{DR} triage Acme --date {DATE}")
    s.answer(COMPETITOR, "Globex" + ENTER)
    s.answer(SIGNED, ENTER, shown="Don't know")  # Signed
    s.wait(REASON)
    s.wait("Don't know yet")
    s.child.close(force=True)  # the terminal goes away (SIGHUP) at the third question

    r = start(f"{DR} resume > plan.md")  # no id: the latest unfinished run
    r.answer(REASON, DOWN * 3 + ENTER, shown="Don't know yet")  # Relationship or trust
    r.answer(OFFER, ENTER)  # Yes: add the details
    r.answer(TRUST, "missed the demo date" + ENTER)
    r.make_plan()
    assert r.finish() == 0, r.text
    assert "2 answer(s) kept" in r.text
    asked = r.text[:r.text.index("Your answers:")]
    assert COMPETITOR not in asked and SIGNED not in asked
    plan = (tmp_path / "plan.md").read_text(encoding="utf-8")
    assert plan.startswith("# Lost-deal triage: Acme\n")
    assert "Globex" in plan and "missed the demo date" in plan


# --- no terminal at all --------------------------------------------------------------------------


def test_no_terminal_fails_before_any_prompt(tmp_path: Path, home: Path) -> None:
    result = subprocess.run(
        ["setsid", sys.executable, "-m", "dealrescue", "triage", "Acme"], stdin=subprocess.DEVNULL,
        capture_output=True, text=True, cwd=tmp_path, env=make_env(home), timeout=30, check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "missing answers for: competitor, signed, reason" in result.stderr
    assert "--answers" in result.stderr
    assert COMPETITOR not in result.stderr and "\x1b" not in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) <= 2
    # Nothing was asked, so nothing was recorded.
    listing = dr("deals list --format json", home, tmp_path)
    assert listing.stdout.strip() in ("", "[]"), listing.stdout


def test_no_terminal_with_answers_on_stdin_names_what_is_still_missing(tmp_path: Path, home: Path) -> None:
    # `--answers -` takes stdin; with no /dev/tty to ask on, the rest is missing at once.
    result = subprocess.run(
        ["setsid", sys.executable, "-m", "dealrescue", "triage", "Acme", "--answers", "-"], input="competitor: Globex\n",
        capture_output=True, text=True, cwd=tmp_path, env=make_env(home), timeout=30, check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "missing answers for: signed, reason" in result.stderr
    assert "--answers" in result.stderr


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param("competitor=Globex signed=signed reason=better_fit", id="no-optional-question-asked"),
        pytest.param(
            "competitor=Globex signed=not_signed reason=price price_gap=bridgeable pressure=7",
            id="optional-questions-unanswered",  # decider and reconsider: recorded as left empty
        ),
    ],
)
def test_no_terminal_with_every_required_answer_makes_the_plan(answers: str, tmp_path: Path, home: Path) -> None:
    sets = [arg for pair in answers.split() for arg in ("--set", pair)]
    result = subprocess.run(
        ["setsid", sys.executable, "-m", "dealrescue", "triage", "Acme", "--date", DATE, *sets],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=tmp_path, env=make_env(home), timeout=30,
        check=False,
    )
    assert "unexpected" not in result.stderr
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Lost-deal triage: Acme\n")
    assert "\x1b" not in result.stdout
    assert COMPETITOR not in result.stderr


# --- stderr and stdout redirected ------------------------------------------------------------------


def short_triage(s: Session) -> None:
    s.answer(COMPETITOR, "Globex" + ENTER)
    s.answer(SIGNED, ENTER, shown="Don't know")  # Signed
    s.answer(REASON, ENTER, shown="Don't know yet")  # Their choice fits them better
    s.make_plan()


def short_triage_plain(s: Session) -> None:
    """The same answers as plain prompts take them (TERM=dumb switches them on): numbers, Enter."""
    s.answer(COMPETITOR, "Globex" + ENTER)
    s.answer("Don't know", "1" + ENTER)  # Signed
    s.answer("Don't know yet", "1" + ENTER)  # Their choice fits them better
    s.answer("Enter makes the plan", ENTER)


def test_stderr_redirected_prompts_and_plan_still_on_the_terminal(start: Start, tmp_path: Path) -> None:
    s = start(f"{DR} triage Acme --date {DATE} 2> log")
    short_triage(s)
    s.wait("Lost-deal triage: Acme")  # the plan, rendered on the terminal
    assert s.finish() == 0
    screen = s.text
    for prompt in (COMPETITOR, COMPETITOR_HELP, SIGNED, REASON):
        assert prompt in screen
    plan_part = screen[screen.rindex("Lost-deal triage: Acme"):]
    assert "# Lost-deal triage" not in screen  # rendered by Rich, not raw markdown
    assert "Accept, learn and check back" in plan_part
    log = (tmp_path / "log").read_text(encoding="utf-8")
    for prompt in (COMPETITOR, SIGNED, REASON, "(arrow keys, Enter", REVIEW):
        assert prompt not in log
    assert "\x1b" not in log


def test_stdout_and_stderr_redirected_prompts_on_dev_tty(start: Start, tmp_path: Path) -> None:
    s = start(f"{DR} triage Acme --date {DATE} > plan.md 2> log")
    short_triage(s)
    assert s.finish() == 0, s.text
    for prompt in (COMPETITOR, COMPETITOR_HELP, SIGNED, REASON):
        assert prompt in s.text
    assert "Accept, learn and check back" not in s.text
    plan = (tmp_path / "plan.md").read_text(encoding="utf-8")
    assert plan.startswith("# Lost-deal triage: Acme\n")
    assert "Accept, learn and check back" in plan
    assert "\x1b" not in plan
    log = (tmp_path / "log").read_text(encoding="utf-8")
    for text in (COMPETITOR, SIGNED, "\x1b", "# Lost-deal"):
        assert text not in log


# --- colour -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "coloured"),
    [({"NO_COLOR": "1"}, False), ({"TERM": "dumb"}, False), ({}, True)],
    ids=["NO_COLOR", "TERM=dumb", "colour-control"],
)
def test_colour_on_a_terminal(env: dict[str, str], coloured: bool, start: Start) -> None:
    s = start(f"{DR} triage Acme --date {DATE}", **env)
    (short_triage_plain if env.get("TERM") == "dumb" else short_triage)(s)
    s.wait("Lost-deal triage: Acme")
    assert s.finish() == 0
    screen = s.text
    plan_part = screen[screen.rindex("Lost-deal triage: Acme"):]
    assert "Accept, learn and check back" in plan_part
    if coloured:
        assert colour_codes(plan_part), "a colour terminal should get a coloured plan"
        assert colour_codes(screen[:screen.index("Lost-deal triage: Acme")]), "and coloured prompts"
    else:
        assert colour_codes(plan_part) == []
        assert colour_codes(screen) == [], "prompts are coloured too"


# --- closed pipes -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A journal whose listing is far larger than a pipe's buffer: writing it must hit the closed pipe."""
    home = tmp_path_factory.mktemp("big-journal")
    code = textwrap.dedent(
        """
        from dealrescue.journal import Journal
        with Journal.open() as journal:
            for i in range(300):
                journal.start_run(deal=f"Deal {i} " + "x" * 2000, playbook_id="triage", playbook_version=1,
                                  playbook_source="triage.yaml", plan_date="2026-11-22", options={})
        """
    )
    subprocess.run([sys.executable, "-c", code], env=make_env(home), check=True, timeout=60)
    return home


@pytest.mark.parametrize(
    "pipeline",
    [
        "deals list | head -1",
        "deals list --format json | head -1",
        "playbooks show triage | head -1",
        # `true` has exited before dealrescue writes a byte: the first write meets a closed pipe.
        "deals list | true",
        "playbooks show triage | true",
    ],
)
def test_closed_pipe_ends_quietly(pipeline: str, big_home: Path, tmp_path: Path) -> None:
    result = subprocess.run(["bash", "-c", f"{DR} {pipeline}"], capture_output=True, text=True,
                            cwd=tmp_path, env=make_env(big_home), timeout=30, check=False)
    assert "Traceback" not in result.stderr
    assert "BrokenPipe" not in result.stderr
    assert "Exception ignored" not in result.stderr
    assert result.stderr == ""
    if "head -1" in pipeline:
        assert len(result.stdout.splitlines()) == 1
        assert result.stdout.split()[0] in ("[", "#") or re.match(r"\w{6}\t2026-11-22\tDeal 299 ", result.stdout)


def test_closed_pipe_control_a_naive_writer_does_complain(tmp_path: Path) -> None:
    # Proves `| true` really closes the pipe before the writer writes: plain Python prints a traceback.
    result = subprocess.run(["bash", "-c", f"{PY} -c 'print(1)' | true"], capture_output=True, text=True,
                            cwd=tmp_path, timeout=30, check=False)
    assert "BrokenPipeError" in result.stderr


def test_card_on_a_terminal_is_rendered_like_a_plan(start: Start) -> None:
    s = start(f"{DR} card qualify")
    assert s.finish() == 0, s.text
    assert "pocket card" in s.text and "Economic buyer" in s.text
    assert "**" not in s.text  # bold is drawn, not shown as markdown


# --- the verdict first: after the key questions, the provisional verdict and one offer ---------

PRICE_GAP = "How far apart are we on price?"


def key_questions(s, reason_keys: str = DOWN * 2 + ENTER) -> None:  # type: ignore[no-untyped-def]
    s.answer(COMPETITOR, "Globex" + ENTER)
    s.answer(SIGNED, DOWN + DOWN + ENTER, shown="Don't know")  # Not signed
    s.answer(REASON, reason_keys, shown="Don't know yet")  # Price or commercial terms


def test_no_after_the_key_questions_makes_a_draft_that_resume_finishes(start: Start, tmp_path: Path, home: Path) -> None:
    s = start(f"{DR} triage Acme --date {DATE} > plan.md")
    s.wait("Pocket card for the call: dealrescue card triage")  # the first screen names the card
    key_questions(s)
    s.wait("Provisional verdict:")
    s.wait("First step:")
    s.wait("It hinges on: How far apart are we on price?")  # the follow-up that decides, with each verdict
    s.wait("Walk away gracefully if Far apart")
    s.answer(OFFER, "n" + ENTER)
    assert s.finish() == 0, s.text
    assert PRICE_GAP not in s.text.split(OFFER)[-1]  # nothing after the offer was asked
    run_id = re.search(r"Saved as run (\w+)", s.text).group(1)  # type: ignore[union-attr]
    assert run_status(run_id, home, tmp_path)["status"] == "draft"
    assert "- status: draft" in dr(f"deals show {run_id}", home, tmp_path).stdout
    written = (tmp_path / "plan.md").read_text(encoding="utf-8")
    assert written.startswith("# Lost-deal triage: Acme\n")
    assert "**Draft:** made from the key questions only" in written and "It hinges on: *How far apart" in written
    todo = dr("todo --date 2026-11-22", home, tmp_path)
    assert f"Finish the triage for Acme: dealrescue resume {run_id}" in todo.stdout, todo.stdout + todo.stderr

    r = start(f"{DR} resume {run_id} --date {DATE} > plan2.md")
    r.wait("is a draft: asking the questions left")
    r.answer(PRICE_GAP, ENTER, shown="They have not named a number")  # asks what is left, first of all
    r.wait("How hard are they pushing on commercials?")
    r.child.sendcontrol("c")
    r.finish()
    assert COMPETITOR not in r.text and OFFER not in r.text  # the key answers are kept; no second offer

    # The to-do still names the draft: resuming it again goes on with the finishing run Ctrl-C left,
    # its price answer kept, rather than starting a third run that asks it all again.
    again = dr(f"resume {run_id} --no-input --date {DATE} --set pressure=6 --set sign_date=+9d --format json", home, tmp_path)
    assert again.returncode == 0, again.stderr
    assert f"Run {run_id} has a re-run left unfinished" in again.stderr
    assert json.loads(again.stdout)["answers"]["price_gap"] == "bridgeable"  # the first choice, taken with Enter
    listed = json.loads(dr("deals list --format json", home, tmp_path).stdout)
    assert sorted(r["status"] for r in listed) == ["done", "replaced"]


def test_the_rest_finished_after_a_draft_replaces_it(start: Start, tmp_path: Path, home: Path) -> None:
    s = start(f"{DR} triage Acme --date {DATE}")
    key_questions(s)
    s.answer(OFFER, "n" + ENTER)
    assert s.finish() == 0, s.text
    draft_id = re.search(r"Saved as run (\w+)", s.text).group(1)  # type: ignore[union-attr]
    given = " ".join(f"--set {pair}" for pair in ("price_gap=no_number", "pressure=6", "sign_date=+9d"))
    done = dr(f"resume {draft_id} --no-input --date {DATE} {given}", home, tmp_path)
    assert done.returncode == 0, done.stderr
    listed = {r["id"]: r["status"] for r in json.loads(dr("deals list --format json", home, tmp_path).stdout)}
    assert listed[draft_id] == "replaced"
    assert sorted(listed.values()) == ["done", "replaced"]
    assert "Finish the triage" not in dr("todo --date 2026-11-22", home, tmp_path).stdout


def test_yes_goes_on_and_a_signed_deal_is_not_offered(start: Start, tmp_path: Path) -> None:
    s = start(f"{DR} triage Acme --date {DATE} --no-save > plan.md")
    s.answer(COMPETITOR, "Globex" + ENTER)
    s.answer(SIGNED, ENTER, shown="Don't know")  # Signed: nothing is left after the reason
    s.answer(REASON, ENTER, shown="Don't know yet")
    s.answer("Enter makes the plan", ENTER)
    assert s.finish() == 0, s.text
    assert OFFER not in s.text and SIGNED_HELP in s.text

    y = start(f"{DR} triage Acme --date {DATE} --no-save --no-review > plan.md")
    key_questions(y)
    y.answer(OFFER, ENTER)  # Yes (the default): the details follow
    y.answer(PRICE_GAP, ENTER, shown="They have not named a number")
    y.child.sendcontrol("c")
    y.finish()
    assert "start again with: dealrescue run triage Acme --no-save" in " ".join(y.text.split())  # not saved, nor is the rerun


def test_a_signing_date_before_the_plan_date_is_pointed_out_when_typed(start: Start, tmp_path: Path) -> None:
    given = ["competitor=Globex", "signed=not_signed", "reason=price", "price_gap=bridgeable", "pressure=5", "decider=",
             "champion_name=", "blocker=", "deal_size=85k", "rescue_cost=", "reconsider="]
    s = start(f"{DR} triage Acme --date {DATE} --no-save --no-review {' '.join('--set ' + g for g in given)} > plan.md")
    s.wait("Provisional verdict: Fight on value, not price")  # the answers given ahead count
    s.answer(OFFER, ENTER)
    s.answer(SIGN_DATE, "11/01/2026" + ENTER)
    s.wait(f"note: 2026-11-01 is before the plan date, {DATE}")
    assert s.finish() == 0, s.text


def test_the_review_screen_shows_the_deal_and_renames_it(start: Start, tmp_path: Path, home: Path) -> None:
    s = start(f"{DR} triage Acme --date {DATE} > plan.md")
    s.answer(COMPETITOR, "Globex" + ENTER)
    s.answer(SIGNED, ENTER, shown="Don't know")  # Signed
    s.answer(REASON, ENTER, shown="Don't know yet")
    s.wait("0. Deal: Acme")
    s.answer("0 the deal's name", "0" + ENTER)
    s.answer("Which deal or account is this about?", "\x15" + "Acme Europe" + ENTER)  # Ctrl-U clears the name kept
    s.wait("0. Deal: Acme Europe")
    s.answer("Make the plan?", ENTER)
    assert s.finish() == 0, s.text
    assert (tmp_path / "plan.md").read_text(encoding="utf-8").startswith("# Lost-deal triage: Acme Europe\n")
    listed = json.loads(dr("deals list --format json", home, tmp_path).stdout)
    assert [r["deal"] for r in listed] == ["Acme Europe"]
