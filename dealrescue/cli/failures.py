"""The one place an error becomes stderr lines and an exit code.

The root group (``DealRescueGroup.invoke`` in ``cli/app.py``) and the console script
(``cli/main.py``) use it. No typer import.
"""

from __future__ import annotations

import os
import sys

from dealrescue.errors import EXIT_RUNTIME, EXIT_USAGE, DealRescueError


def exit_code_for(exc: Exception) -> int | None:
    """Report ``exc`` on stderr and return its exit code; None when it must go on up as it is
    (``DEALRESCUE_DEBUG=1``, or an OSError that is not a failed write to the output)."""
    debug = os.environ.get("DEALRESCUE_DEBUG") == "1"
    if isinstance(exc, DealRescueError):
        if debug:
            return None
        for line in exc.lines():
            echo_err(line)
        return exc.exit_code
    if isinstance(exc, OSError):
        return os_failure(exc)
    if debug:
        return None
    # Last resort: never a traceback for a user.
    echo_err(f"error: unexpected {type(exc).__name__}: {exc}")
    echo_err("hint: this is a bug; rerun with DEALRESCUE_DEBUG=1 for the traceback and report it")
    return EXIT_RUNTIME


def usage_failure(message: str, command: str) -> int:
    """A bad command line (click's usage errors): the same two lines as every other error, not a boxed panel."""
    echo_err(f"error: {message}")
    echo_err(f"hint: see {command} --help")
    return EXIT_USAGE


def output_failed(exc: OSError) -> int | None:
    """One line for a failed write to stdout (none for a closed pipe) and its exit code; None
    for any other OSError, which goes on up."""
    from dealrescue.ui.output import is_output_failure, output_failure

    if os.environ.get("DEALRESCUE_DEBUG") == "1" or not is_output_failure(exc):
        return None
    error = output_failure(exc)
    for line in error.lines():
        echo_err(line)
    return error.exit_code


def os_failure(exc: OSError) -> int | None:
    """A failed write to stdout, else any file the system refused (a folder not yours, a disk
    gone): one line naming it and exit 1. None with ``DEALRESCUE_DEBUG=1``: the traceback."""
    code = output_failed(exc)
    if code is not None or os.environ.get("DEALRESCUE_DEBUG") == "1":
        return code
    what = f" {exc.filename}" if exc.filename is not None else ""
    echo_err(f"error: cannot use{what}: {exc.strerror or exc}")
    echo_err("hint: check that the file or folder exists and is yours to read and write")
    return EXIT_RUNTIME


def echo_err(line: str) -> None:
    """``line`` on stderr, through the one terminal sanitiser: a name in it cannot drive the terminal."""
    from dealrescue.core.mdescape import strip_controls

    try:
        sys.stderr.write(strip_controls(line) + "\n")
        sys.stderr.flush()
    except OSError:
        pass  # the terminal is gone (SIGHUP): nobody is left to read it
