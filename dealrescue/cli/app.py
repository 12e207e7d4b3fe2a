"""The typer application and the one place that turns errors into messages and exit codes.

Only typer is imported at start-up; each command imports what it needs when it
runs, so ``dealrescue --help`` stays fast.
"""

import os
import sys
from typing import Any

import typer
from typer._click.exceptions import UsageError as ClickUsageError  # typer 0.28's own click; not exported
from typer.core import TyperGroup

from dealrescue import __version__
from dealrescue.cli import run
from dealrescue.cli.lazy import Later, attach, command_tree
from dealrescue.errors import EXIT_INTERRUPTED, EXIT_RUNTIME, DealRescueError


class DealRescueGroup(TyperGroup):
    """The root group. Its ``invoke`` is the one place errors become stderr lines and exit codes."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except DealRescueError as exc:
            if os.environ.get("DEALRESCUE_DEBUG") == "1":
                raise
            from dealrescue.core.mdescape import strip_controls

            for line in exc.lines():
                typer.echo(strip_controls(line), err=True)
            raise typer.Exit(exc.exit_code) from None
        except ClickUsageError as exc:
            # Bad flags: the same two lines as every other error, not a boxed panel.
            command = exc.ctx.command_path if exc.ctx is not None else "dealrescue"
            typer.echo(f"error: {exc.format_message()}", err=True)
            typer.echo(f"hint: see {command} --help", err=True)
            raise typer.Exit(exc.exit_code) from None
        except OSError as exc:
            raise typer.Exit(_output_failed(exc)) from None
        except Exception as exc:  # noqa: BLE001 - last resort: never a traceback for a user
            # typer's own exits and usage errors are handled by typer.
            if os.environ.get("DEALRESCUE_DEBUG") == "1" or _is_typers(exc):
                raise
            typer.echo(f"error: unexpected {type(exc).__name__}: {exc}", err=True)
            typer.echo("hint: this is a bug; rerun with DEALRESCUE_DEBUG=1 for the traceback and report it", err=True)
            raise typer.Exit(EXIT_RUNTIME) from None


def _is_typers(exc: Exception) -> bool:
    """typer's and click's own exits and usage errors: typer reports those itself."""
    return isinstance(exc, (typer.Exit, typer.Abort)) or type(exc).__module__.startswith(("typer", "click"))


# The commands after the playbook ones, in the order help lists them. Their modules load only
# when one of them runs, or for --help (cli/lazy.py): a triage never imports the journal's flags.
LATER = (
    Later("rank", "dealrescue.cli.rank:rank_command", "Playbooks"),
    Later("card", "dealrescue.cli.card:card_command", "Playbooks"),
    Later("playbooks", "dealrescue.cli.playbooks:playbooks_app", "Playbooks and journal"),
    Later("deals", "dealrescue.cli.deals:deals_app", "Playbooks and journal"),
    Later("followups", "dealrescue.cli.followups:followups_app", "Playbooks and journal"),
    Later("todo", "dealrescue.cli.todo:todo_app", "Playbooks and journal"),
)


def _version(value: bool) -> None:
    if value:
        print(f"dealrescue {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    pass


def base_app() -> typer.Typer:
    """The root app with its options and the playbook commands; ``LATER`` holds the rest."""
    made = typer.Typer(
        name="dealrescue",
        help=(
            "What to do in the minutes after a deal goes bad. Answer a few sharp questions "
            "and get a verdict and a dated action plan in markdown.\n\n"
            "Start with: dealrescue triage ACME > acme-plan.md"
        ),
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        cls=DealRescueGroup,
        add_completion=True,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    made.callback()(_root)
    run.register(made)
    return made


def __getattr__(name: str) -> typer.Typer:
    """``app``: every command registered, as typer's tools (CliRunner, docs) expect one app."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    full = base_app()
    for later in LATER:
        attach(full, later)
    globals()["app"] = full
    return full


def main() -> None:
    from dealrescue.ui.terminal import signals_as_interrupts

    signals_as_interrupts()
    stdout_before = _stdout_identity()
    code: Any = 0
    try:
        command_tree(base_app(), LATER)(prog_name="dealrescue")
    except SystemExit as done:
        code = done.code
        if code == 1 and _closed_pipe_seen(stdout_before):
            # Click or rich met a closed pipe outside a command (--help, --version) and chose 1;
            # the rule is the same as inside one: a reader closing the pipe is not a failure.
            code = 0
    except KeyboardInterrupt as stop:
        # Outside a prompt (a prompt turns Ctrl-C into its own message): no traceback.
        _echo_err("\ninterrupted")
        code = getattr(stop, "exit_code", EXIT_INTERRUPTED)
    except OSError as exc:
        code = _output_failed(exc)
    try:
        # Output that fit in the buffer is written only now: a full disk shows here.
        sys.stdout.flush()
    except OSError as exc:
        failed = _output_failed(exc)
        code = code or failed
    sys.exit(code)


def _stdout_identity() -> tuple[int, int, int] | None:
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


def _output_failed(exc: OSError) -> int:
    """One line for a failed write to stdout (none for a closed pipe); other errors go on up."""
    from dealrescue.ui.output import is_output_failure, output_failure

    if os.environ.get("DEALRESCUE_DEBUG") == "1" or not is_output_failure(exc):
        raise exc
    error = output_failure(exc)
    for line in error.lines():
        _echo_err(line)
    return error.exit_code


def _echo_err(line: str) -> None:
    try:
        typer.echo(line, err=True)
    except OSError:
        pass  # the terminal is gone (SIGHUP): nobody is left to read it
