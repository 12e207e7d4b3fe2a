"""The typer application and the one place that turns errors into messages and exit codes.

Only typer is imported at start-up; each command imports what it needs when it
runs, so ``dealrescue --help`` stays fast.
"""

from __future__ import annotations

import os
import sys

import typer

from dealrescue import __version__
from dealrescue.cli import playbooks, run
from dealrescue.errors import EXIT_RUNTIME, DealRescueError

app = typer.Typer(
    name="dealrescue",
    help=(
        "What to do in the minutes after a deal goes bad. Answer a few sharp questions "
        "and get a verdict and a dated action plan in markdown.\n\n"
        "Start with: dealrescue triage ACME > acme-plan.md"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
run.register(app)
app.add_typer(playbooks.playbooks_app, name="playbooks")


def _version(value: bool) -> None:
    if value:
        print(f"dealrescue {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    """What to do in the minutes after a deal goes bad."""


def main() -> None:
    """Entry point: run the app; every DealRescueError becomes stderr lines and its exit code."""
    try:
        app(prog_name="dealrescue")
    except DealRescueError as exc:
        if os.environ.get("DEALRESCUE_DEBUG") == "1":
            raise
        for line in exc.lines():
            print(line, file=sys.stderr)
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - last resort: never a traceback for a user
        if os.environ.get("DEALRESCUE_DEBUG") == "1":
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        print("hint: this is a bug; rerun with DEALRESCUE_DEBUG=1 for the traceback and report it", file=sys.stderr)
        sys.exit(EXIT_RUNTIME)
