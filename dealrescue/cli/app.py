"""The typer application: the root group, its options and the commands in help order.

Only typer is imported here; each command imports what it needs when it runs, so
``dealrescue --help`` stays fast. ``cli/main.py`` starts it (or the direct path).
"""

from typing import Any

import typer
from typer._click.exceptions import UsageError as ClickUsageError  # typer 0.28's own click; not exported
from typer.core import TyperGroup

from dealrescue import __version__
from dealrescue.cli import run
from dealrescue.cli.failures import echo_err, exit_code_for
from dealrescue.cli.lazy import Later, attach


class DealRescueGroup(TyperGroup):
    """The root group: errors raised under it become stderr lines and exit codes (``cli/failures.py``)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ClickUsageError as exc:
            # Bad flags: the same two lines as every other error, not a boxed panel.
            command = exc.ctx.command_path if exc.ctx is not None else "dealrescue"
            echo_err(f"error: {exc.format_message()}")
            echo_err(f"hint: see {command} --help")
            raise typer.Exit(exc.exit_code) from None
        except Exception as exc:
            # typer's own exits and usage errors are handled by typer.
            code = None if _is_typers(exc) else exit_code_for(exc)
            if code is None:
                raise
            raise typer.Exit(code) from None


def _is_typers(exc: Exception) -> bool:
    """typer's and click's own exits and usage errors: typer reports those itself."""
    return isinstance(exc, (typer.Exit, typer.Abort)) or type(exc).__module__.startswith(("typer", "click"))


# The commands after the playbook ones, in the order help lists them. Their modules load only
# when one of them runs, or for --help (cli/lazy.py): a triage never imports the journal's flags.
LATER = (
    Later("rank", "dealrescue.cli.rank:rank_command", "Playbooks"),
    Later("card", "dealrescue.cli.card:card_command", "Playbooks"),
    # Commands before groups: typer's eager tree lists them so, and the lazy tree must match it.
    Later("outcome", "dealrescue.cli.outcome:outcome_command", "Playbooks and journal"),
    Later("track", "dealrescue.cli.track:track_command", "Playbooks and journal"),
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
