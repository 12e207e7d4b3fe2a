"""The console script: ``dealrescue`` starts here.

Every command line goes to the typer app (``cli/app.py``); whatever it ends with, the exit rules
below are the same.
"""

from __future__ import annotations

import sys
from typing import Any

from dealrescue.cli.failures import echo_err, exit_code_for, os_failure, output_failed


def main() -> None:
    from dealrescue.ui.terminal import guard_standard_streams, signals_as_interrupts, stopped

    guard_standard_streams()

    signals_as_interrupts()
    stdout_before = _stdout_identity()
    code: Any = 0
    try:
        undecodable = not_text(sys.argv[1:])
        if undecodable is not None:
            refused = exit_code_for(undecodable)
            if refused is None:  # DEALRESCUE_DEBUG=1: the error itself, not a silent exit 0
                raise undecodable
            sys.exit(refused)
        import typer

        from dealrescue.cli.app import app

        typer.main.get_command(app)(prog_name="dealrescue")
    except SystemExit as done:
        code = done.code
        if code == 1 and _closed_pipe_seen(stdout_before):
            # Click or rich met a closed pipe outside a command (--help, --version) and chose 1;
            # the rule is the same as inside one: a reader closing the pipe is not a failure.
            code = 0
    except KeyboardInterrupt as stop:
        # Outside a prompt (a prompt turns Ctrl-C into its own message): no traceback.
        line, code = stopped(stop)
        echo_err(f"\n{line}")
    except OSError as exc:
        code = os_failure(exc)
        if code is None:
            raise
    try:
        # Output that fit in the buffer is written only now: a full disk shows here.
        sys.stdout.flush()
    except OSError as exc:
        failed = output_failed(exc)
        if failed is None:
            raise
        code = code or failed
    # The work is done and written. Python's shutdown puts back the default SIGINT action, so a
    # Ctrl-C landing in it would end a finished run as "killed by signal", with no message.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(code)


def not_text(args: list[str]) -> Exception | None:
    """The error for the first argument with bytes the locale's encoding cannot read (Python keeps
    them as lone surrogates, which no text written to the journal, a file or the terminal can
    hold), unless it names a file that exists: a file's name is any bytes, and reads as it is."""
    import os

    for arg in args:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            value = arg.partition("=")[2] if arg.startswith("--") and "=" in arg else arg
            if os.path.lexists(value):
                continue
            from dealrescue.errors import UsageError

            encoding = sys.getfilesystemencoding()
            shown = arg.encode(encoding, "surrogateescape").decode(encoding, "backslashreplace")
            return UsageError(f"the argument '{shown}' is not {encoding.upper()} text",
                              hint=f"type it again in a terminal set to {encoding.upper()} (or, for a file to write, a name in it)")
    return None


def _stdout_identity() -> tuple[int, int, int] | None:
    import os

    try:
        info = os.fstat(sys.stdout.fileno())
    except (OSError, ValueError):
        return None
    return (info.st_dev, info.st_ino, info.st_mode)


def _closed_pipe_seen(before: tuple[int, int, int] | None) -> bool:
    """Click's and rich's own closed-pipe exits: click wraps stdout, rich points it at /dev/null."""
    import stat

    if type(sys.stdout).__name__ == "PacifyFlushWrapper":
        return True
    now = _stdout_identity()
    return before is not None and stat.S_ISFIFO(before[2]) and now is not None and now != before
