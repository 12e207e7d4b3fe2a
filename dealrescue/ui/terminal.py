"""Which streams are terminals, and where prompts and notices go.

stdout carries only the plan. Prompts go to stderr when it is a terminal, else
to /dev/tty, so ``dealrescue triage > plan.md 2> log`` still shows them.
"""

from __future__ import annotations

import os
import sys
from typing import IO


class PromptStreams:
    """Where prompts are read and written, and which of those streams we opened (and close).

    A plain class: this module loads on every start (for the signal handlers), ``--help`` too,
    and a record would bring the dataclasses machinery with it.
    """

    __slots__ = ("input", "output", "owned")

    def __init__(self, input: IO[str], output: IO[str], owned: list[IO[str]]) -> None:  # noqa: A002 - the stream's role
        self.input = input
        self.output = output
        self.owned = owned

    def close(self) -> None:
        for stream in self.owned:
            try:
                stream.close()
            except OSError:
                pass


def _isatty(stream: IO[str] | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):
        return False


def stdout_is_terminal() -> bool:
    return _isatty(sys.stdout)


def stdin_is_terminal() -> bool:
    return _isatty(sys.stdin)


def stdout_file_name() -> str:
    """The file stdout was redirected to, shell-quoted and relative, where the system tells (else FILE)."""
    import shlex

    try:
        name = os.readlink("/proc/self/fd/1")
    except OSError:
        return "FILE"
    return shlex.quote(os.path.relpath(name)) if name.startswith("/") else "FILE"


def stdout_is_file() -> bool:
    """stdout goes to a regular file (``> plan.md``): the shell made it before we ran."""
    import stat

    try:
        return stat.S_ISREG(os.fstat(sys.stdout.fileno()).st_mode)
    except (OSError, ValueError, AttributeError):
        return False


def _open_tty(mode: str) -> IO[str] | None:
    try:
        return open("/dev/tty", mode, encoding="utf-8")  # noqa: SIM115 - closed by PromptStreams.close
    except OSError:
        return None


def prompt_streams(stdin_taken: bool) -> PromptStreams | None:
    """Streams to prompt on, or None when no terminal is there (then we never prompt).

    ``stdin_taken``: stdin carries answers (``--answers -``), so read keys from /dev/tty.
    """
    owned: list[IO[str]] = []
    if not stdin_taken:
        # stdin redirected from a file or /dev/null means the user chose no keyboard.
        if not _isatty(sys.stdin):
            return None
        input_stream: IO[str] = sys.stdin
    else:
        tty = _open_tty("r")
        if tty is None:
            return None
        owned.append(tty)
        input_stream = tty
    if _isatty(sys.stderr):
        output_stream: IO[str] = sys.stderr
    else:
        tty_out = _open_tty("w")
        if tty_out is None:
            for stream in owned:
                stream.close()
            return None
        owned.append(tty_out)
        output_stream = tty_out
    return PromptStreams(input_stream, output_stream, owned)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the program is, so it ends like Ctrl-C: the terminal
    restored, the answers kept, a message saying how to resume, exit 128 + the signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


    @property
    def message(self) -> str:
        import signal

        return f"stopped by {signal.Signals(self.signum).name}"


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated(signum)


# Every signal whose default action ends the process, but SIGINT (Ctrl-C has its own path) and
# SIGPIPE (Python reports a closed pipe as an error): each ends it through the same cleanup, so
# a prompt puts the terminal back and the answers are kept.
ENDING_SIGNALS = ("SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF")


def stopped(stop: KeyboardInterrupt) -> tuple[str, int]:
    """The line and exit code for a Ctrl-C or an ending signal that reached the top: 130, or 128 + the signal."""
    if isinstance(stop, Terminated):
        return stop.message, stop.exit_code
    return "interrupted", 130


def signals_as_interrupts() -> None:
    """The ending signals raise ``Terminated`` (a KeyboardInterrupt), so one path handles them and Ctrl-C."""
    import signal

    for name in ENDING_SIGNALS:
        number = getattr(signal, name, None)
        if number is not None:
            try:
                signal.signal(number, _raise_terminated)
            except (OSError, ValueError):  # not the main thread, or not allowed here
                pass


class _ClosedOutput:
    """stdout when the shell closed it (``>&-``): writing fails as a write to a closed descriptor
    does, so the one output-failure path reports it, in one line."""

    encoding = "utf-8"

    def write(self, text: str) -> int:
        import errno

        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return 1


_CLOSED: set[int] = set()


def guard_standard_streams() -> None:
    """Put /dev/null on each of the descriptors 0, 1, 2 that the shell closed (``<&-``, ``>&-``), so
    no file dealrescue opens later (the journal!) can land on one and receive the plan or a prompt.
    Which were closed is remembered: reading a closed stdin, or writing a closed stdout, is an error."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            try:
                null = os.open(os.devnull, os.O_RDWR)
            except OSError:
                continue
            if null != fd:  # the lowest free descriptor is this one, unless a lower one was free too
                os.dup2(null, fd)
                os.close(null)
            _CLOSED.add(fd)
    if 1 in _CLOSED:
        sys.stdout = _ClosedOutput()
    if 2 in _CLOSED:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the whole run
    if 0 in _CLOSED:
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - for the whole run


def stdin_closed() -> bool:
    return 0 in _CLOSED


def notice(message: str) -> None:
    """A line for the person (not the plan): always stderr, through the one terminal sanitiser."""
    from dealrescue.core.mdescape import strip_controls

    print(strip_controls(message), file=sys.stderr, flush=True)


def color_allowed() -> bool:
    return not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
