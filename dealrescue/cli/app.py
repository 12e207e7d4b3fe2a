"""The typer application: the root group, its options and the commands in help order.

Only typer is imported here. Each command is declared by where it lives (``COMMANDS``) and is
imported and turned into a click command by typer (``typer.main.get_command``) the first time
the root group is asked for it: a triage builds the triage command only, and never imports the
journal's flags. This is click's documented way of loading sub-commands lazily (a group's
``get_command``/``list_commands``), on the group class typer lets an app choose (``cls=``).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from typing import Any, NamedTuple

import typer
from typer.core import TyperGroup

from dealrescue import __version__
from dealrescue.cli.failures import echo_err, exit_code_for, usage_failure
from dealrescue.ui.terminal import Terminated, stopped


class Declared(NamedTuple):
    """A command declared by where it lives: ``module:object``, a typer app (a group) or a function."""

    name: str
    where: str
    panel: str


# Every command, in the order help lists them.
COMMANDS = (
    *(
        Declared(name, f"dealrescue.cli.run:{name}", "Playbooks")
        for name in ("triage", "recover", "walkaway", "pulse", "review", "qualify")
    ),
    Declared("resume", "dealrescue.cli.run:resume_command", "Playbooks"),
    Declared("run", "dealrescue.cli.run:run_command", "Playbooks"),
    Declared("rank", "dealrescue.cli.rank:rank_command", "Playbooks"),
    Declared("card", "dealrescue.cli.card:card_command", "Playbooks"),
    # Commands before groups: typer's eager tree (eager_app) lists them so, and the lazy tree must match it.
    Declared("outcome", "dealrescue.cli.outcome:outcome_command", "Playbooks and journal"),
    Declared("track", "dealrescue.cli.track:track_command", "Playbooks and journal"),
    Declared("playbooks", "dealrescue.cli.playbooks:playbooks_app", "Playbooks and journal"),
    Declared("deals", "dealrescue.cli.deals:deals_app", "Playbooks and journal"),
    Declared("followups", "dealrescue.cli.followups:followups_app", "Playbooks and journal"),
    Declared("todo", "dealrescue.cli.todo:todo_app", "Playbooks and journal"),
)


def attach(app: typer.Typer, declared: Declared) -> None:
    """Import ``declared``'s object and add it to ``app``, with ``add_typer`` or ``command``."""
    module, attribute = declared.where.split(":")
    found = getattr(importlib.import_module(module), attribute)
    if isinstance(found, typer.Typer):
        app.add_typer(found, name=declared.name, rich_help_panel=declared.panel)
    else:
        app.command(declared.name, rich_help_panel=declared.panel)(found)


def build(declared: Declared, *, summary: bool = False) -> Any:
    """``declared``'s click command, made by typer from its declaration.

    A ``summary`` is the same command (name, help, panel) made from a function without
    parameters: what the list of commands in ``--help`` shows, without reading each signature.
    """
    holder = typer.Typer(add_completion=False)
    holder.callback()(_nothing)  # a group, even with one command: its command is then taken by name
    if summary:
        module, attribute = declared.where.split(":")
        found = getattr(importlib.import_module(module), attribute)
        if not isinstance(found, typer.Typer):

            def stand_in() -> None:
                pass

            stand_in.__doc__ = found.__doc__
            holder.command(declared.name, rich_help_panel=declared.panel)(stand_in)
            return typer.main.get_command(holder).commands[declared.name]  # type: ignore[attr-defined]
    attach(holder, declared)
    return typer.main.get_command(holder).commands[declared.name]  # type: ignore[attr-defined]


def _nothing() -> None:
    pass


class Commands(MutableMapping[str, Any]):
    """The root group's commands by name, in help order; each is built the first time it is read.

    While ``listing`` (the root help is being written), a command not built yet is read as its
    summary (see ``build``).
    """

    def __init__(self, built: MutableMapping[str, Any]) -> None:
        self._built = dict(built)
        self._declared = {declared.name: declared for declared in COMMANDS if declared.name not in built}
        self._names = [*built, *self._declared]
        self.listing = False

    def __getitem__(self, name: str) -> Any:
        if name in self._built:
            return self._built[name]
        declared = self._declared[name]
        if self.listing:
            return build(declared, summary=True)
        command = self._built[name] = build(declared)
        return command

    def __setitem__(self, name: str, command: Any) -> None:
        if name not in self._names:
            self._names.append(name)
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self._names:
            raise KeyError(name)
        self._names.remove(name)
        self._built.pop(name, None)
        self._declared.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._names))

    def __len__(self) -> int:
        return len(self._names)


class DealRescueGroup(TyperGroup):
    """The root group: commands built on first use (``Commands``), and errors raised under it
    become stderr lines and exit codes (``cli/failures.py``)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = Commands(self.commands)

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # the names only: nothing is built to list them

    def format_help(self, ctx: Any, formatter: Any) -> None:
        commands = self.commands
        assert isinstance(commands, Commands)
        commands.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            commands.listing = False

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Terminated as stop:
            # typer makes every KeyboardInterrupt 130; a signal ends with 128 + its number, and says so.
            line, signal_code = stopped(stop)
            echo_err(f"\n{line}")
            raise typer.Exit(signal_code) from None
        except Exception as exc:
            if _is_usage_error(exc):
                # Bad flags: the same two lines as every other error, not a boxed panel.
                command = exc.ctx.command_path if exc.ctx is not None else "dealrescue"  # type: ignore[attr-defined]
                raise typer.Exit(usage_failure(exc.format_message(), command)) from None  # type: ignore[attr-defined]
            # typer's own exits and usage errors are handled by typer.
            code = None if _is_typers(exc) else exit_code_for(exc)
            if code is None:
                raise
            raise typer.Exit(code) from None


def _is_typers(exc: Exception) -> bool:
    """typer's own exits and errors (and its click's): typer reports those itself."""
    return isinstance(exc, (typer.Exit, typer.Abort)) or type(exc).__module__.startswith("typer")


def _is_usage_error(exc: Exception) -> bool:
    """A bad command line (unknown option, missing argument, bad value, unknown command).

    typer exports only one of these classes (``typer.BadParameter``); all are click usage
    errors, which carry the exit status 2, a message and the context of the command line.
    """
    return _is_typers(exc) and getattr(exc, "exit_code", None) == 2 and hasattr(exc, "format_message") and hasattr(exc, "ctx")


def _version(value: bool) -> None:
    if value:
        print(f"dealrescue {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    pass


def make_app() -> typer.Typer:
    """The app: the root group and its options; its commands come from ``COMMANDS`` as they are used."""
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
    return made


def eager_app() -> typer.Typer:
    """The app with every command registered up front, as typer builds an app by default (tests, bench)."""
    full = make_app()
    for declared in COMMANDS:
        attach(full, declared)
    return full


app = make_app()
