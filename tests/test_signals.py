"""SIGTERM and SIGHUP at a prompt end like Ctrl-C; Ctrl-C during start-up prints no traceback;
a full or closed stdout is one clean line (issue 11). Through the installed CLI on a pty."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest

from dealrescue.journal import Journal

DR = str(Path(sys.executable).with_name("dealrescue"))
ANSWERS = "competitor: Globex\nsigned: not_signed\nreason: gap\ngap: reporting\nclosable: other_product\npressure: 8\n"


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEALRESCUE_", "PYTEST_"))}
    env.update(TERM="xterm-256color", COLUMNS="100", LINES="40", DEALRESCUE_HOME=str(home), NO_COLOR="1")
    return env


def _child_pid(parent: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True).stdout.split()
        if found:
            return int(found[0])
        time.sleep(0.05)
    raise AssertionError("dealrescue did not start")


@pytest.mark.parametrize(
    ("signum", "code"),
    [(s, 128 + s) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2,
                            signal.SIGALRM, signal.SIGXCPU)],
)
def test_a_signal_at_a_prompt_ends_like_ctrl_c(signum: int, code: int, user_home: Path, tmp_path: Path) -> None:
    session = pexpect.spawn(
        "bash", ["-c", f"{DR} triage Acme > plan.md; echo RC:$?; stty -a"],
        cwd=str(tmp_path), env=_env(user_home), encoding="utf-8", timeout=60, dimensions=(40, 100),
    )
    session.expect_exact("Who did")
    time.sleep(0.3)
    session.sendline("Globex")
    session.expect_exact("signed")  # the second question: one answer is kept
    time.sleep(0.3)
    os.kill(_child_pid(session.pid), signum)
    session.expect(pexpect.EOF)
    screen = session.before.replace("\r", "")
    name = signal.Signals(signum).name
    assert f"RC:{code}" in screen, screen
    assert "Traceback" not in screen
    assert f"error: stopped by {name}: 1 answer(s) kept in the journal as run " in screen, screen
    run_id = screen.split("kept in the journal as run ")[1][:6]
    assert f"hint: continue with: dealrescue resume {run_id}" in screen
    # The terminal is usable again: line editing, echo and Ctrl-C all back on.
    modes = screen.split("RC:")[1]
    for mode in (" isig ", " icanon ", " echo "):
        assert mode in modes.replace("\n", " "), modes
    with Journal.open() as journal:
        record = journal.get_run(run_id)
    assert record.status == "interrupted" and record.answers == {"competitor": "Globex"}


def test_ctrl_c_during_start_up_prints_no_traceback(user_home: Path) -> None:
    """Once Python itself is up (its own start-up is out of our hands), Ctrl-C is a clean exit 130."""
    # Python's own start-up, timed now: on a loaded machine it alone can outlast a fixed delay, and a
    # Ctrl-C inside it is Python's traceback, not ours. The interrupts land after it.
    began = time.monotonic()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    python_up = time.monotonic() - began
    cleaned = 0
    for delay in (python_up + 0.05, python_up + 0.15, python_up + 0.25, python_up + 0.4):
        child = subprocess.Popen([DR, "playbooks", "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(user_home))
        time.sleep(delay)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
        assert "Traceback" not in err, err
        if child.returncode != 0:
            assert child.returncode == 130, (child.returncode, err)
            cleaned += 1
    assert cleaned, "no interrupt landed before the command finished: the test proved nothing"


def test_a_ctrl_c_in_pythons_shutdown_cannot_kill_a_finished_run(user_home: Path) -> None:
    """Python puts SIGINT's default action back while it shuts down: a Ctrl-C there used to end a
    finished command as killed by SIGINT (exit -2, no message), about one in six near the end."""
    code = (
        "import signal, sys\n"
        "from dealrescue.cli.main import main\n"
        "sys.argv = ['dealrescue', 'playbooks', 'list']\n"
        "try:\n    main()\n"
        "except SystemExit as done:\n"
        "    print(done.code, signal.getsignal(signal.SIGINT) is signal.SIG_IGN, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(user_home), timeout=60)
    assert done.stderr.splitlines()[-1] == "0 True", done.stderr


@pytest.mark.parametrize(
    "args",
    [["--version"], ["--help"], ["playbooks", "list"], ["playbooks", "show", "triage"], ["deals", "list"], ["followups"],
     ["triage", "Acme", "--no-input", "--answers", "a.yaml"]],
)
def test_a_full_disk_on_stdout_is_one_line(args: list[str], user_home: Path, tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(ANSWERS, encoding="utf-8")
    if args[0] in ("deals", "followups"):  # something to list
        seed = [DR, "triage", "Acme", "--no-input", "--answers", "a.yaml"]
        subprocess.run(seed, capture_output=True, cwd=tmp_path, env=_env(user_home), check=True)
    with open("/dev/full", "w") as full:
        result = subprocess.run([DR, *args], stdout=full, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=_env(user_home), timeout=60)
    # Into a file or pipe the "Saved as run" notice comes before the plan (so `| tee` cannot mix them).
    lines = [line for line in result.stderr.splitlines() if not line.startswith("Saved as run ")]
    assert result.returncode == 1
    assert lines[0] == "error: cannot write the output: No space left on device", result.stderr
    if args[0] == "triage":  # the plan was saved first: its run id is given
        assert len(lines) == 2 and lines[1].startswith("hint: the plan is saved as run ")
        run_id = lines[1].split("saved as run ")[1][:6]
        export = subprocess.run([DR, "deals", "export", run_id], capture_output=True, text=True, env=_env(user_home), timeout=60)
        assert export.stdout.startswith("# Lost-deal triage: Acme")
    else:
        assert len(lines) == 1


@pytest.mark.parametrize("args", [["--help"], ["playbooks", "show", "triage"], ["triage", "Acme", "--no-input", "--answers", "a.yaml"]])
def test_a_closed_pipe_exits_0_whatever_the_size_of_the_output(args: list[str], user_home: Path, tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(ANSWERS, encoding="utf-8")
    command = " ".join(args)
    # `true` has exited before a byte is written; `head -c1` reads one byte of a longer output;
    # `sleep 0.5` reads nothing and leaves while dealrescue runs. A reader that reads it all: 0 too.
    for reader in ("true", "head -c1 >/dev/null", "sleep 0.5"):
        result = subprocess.run(["bash", "-c", f"{DR} {command} | {reader}; echo ${{PIPESTATUS[0]}} >&2"],
                                capture_output=True, text=True, cwd=tmp_path, env=_env(user_home), timeout=60)
        *messages, status = result.stderr.splitlines()
        assert status == "0", result.stderr
        assert all(m.startswith("Saved as run ") for m in messages), result.stderr
    whole = subprocess.run(["bash", "-c", f"{DR} {command} | cat >/dev/null; echo ${{PIPESTATUS[0]}} >&2"],
                           capture_output=True, text=True, cwd=tmp_path, env=_env(user_home), timeout=60)
    assert whole.stderr.splitlines()[-1] == "0"


def test_sigterm_while_the_pager_shows_a_plan_exits_143(user_home: Path, tmp_path: Path) -> None:
    made = subprocess.run([DR, "triage", "Acme", "--no-input", "--answers", "-", "--set", "decider=Dana"], input=ANSWERS,
                          capture_output=True, text=True, env=_env(user_home), timeout=60)
    assert made.returncode == 0, made.stderr
    run_id = made.stderr.split("Saved as run ")[1].split()[0]
    pager = tmp_path / "pager.sh"
    pager.write_text("#!/bin/sh\necho PAGER-UP\nexec sleep 60\n")
    pager.chmod(0o755)
    session = pexpect.spawn(
        "bash", ["-c", f"{DR} deals show {run_id}; echo RC:$?"], cwd=str(tmp_path),
        env={**_env(user_home), "PAGER": str(pager), "LINES": "5"}, encoding="utf-8", timeout=60, dimensions=(5, 100),
    )
    session.expect_exact("PAGER-UP")
    os.kill(_child_pid(session.pid), signal.SIGTERM)
    session.expect(pexpect.EOF)
    screen = session.before.replace("\r", "")
    assert "RC:143" in screen and "stopped by SIGTERM" in screen and "Traceback" not in screen, screen


def test_rank_killed_by_sigterm_exits_143_and_says_so(user_home: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "accounts.csv"
    os.mkfifo(fifo)
    child = subprocess.Popen([DR, "rank", str(fifo)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=_env(user_home))
    with open(fifo, "w") as writer:  # rank is now reading the pipe, waiting for rows
        writer.write("deal,competitor\nAcme,Globex\n")
        writer.flush()
        time.sleep(1.5)
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=60)
    assert child.returncode == 143, (child.returncode, err)
    assert "stopped by SIGTERM" in err and "Traceback" not in err, err
