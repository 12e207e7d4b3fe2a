"""The click command tree, each command built from its typer declaration only when it is used.

typer turns every command's signature into click parameters before it parses a single flag:
for this app that is about 30 ms of a 240 ms run, spent on twenty commands the run never calls.
Here the root group and each sub-group start with only their own options, and a command is built
the first time click asks for it. ``--help`` lists every command (so builds them all, as before),
and a mistyped command still gets typer's "Did you mean ...?" from the names alone.

The declarations stay in the typer app; this module only changes when they are turned into
click objects. ``tests/test_cli_tree.py`` checks that the tree is the one typer builds eagerly.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from functools import partial
from typing import Any, NamedTuple

import typer
from typer._click import Command
from typer.core import TyperGroup
from typer.main import (
    get_command_from_info,
    get_command_name,
    get_group_from_info,
    get_install_completion_arguments,
    solve_typer_info_defaults,
)
from typer.models import CommandInfo, TyperInfo


class LazyCommands(MutableMapping[str, Command]):
    """A group's commands by name, in declaration order; each one is built on first access.

    While ``listing`` (the group's help is being written), a command not built yet is given as
    its summary: the same name, help, panel and flags, without its parameters, which the list
    of commands does not show. Reading every signature only to list names was about 30M
    instructions of a ``--help``.
    """

    def __init__(self) -> None:
        self._commands: dict[str, Command | Callable[[], Command]] = {}
        self._summaries: dict[str, Callable[[], Command]] = {}
        self.listing = False

    def declare(self, name: str, build: Callable[[], Command], summarize: Callable[[], Command] | None = None) -> None:
        self._commands[name] = build
        if summarize is not None:
            self._summaries[name] = summarize

    def __getitem__(self, name: str) -> Command:
        found = self._commands[name]
        if isinstance(found, Command):
            return found
        if self.listing and name in self._summaries:
            return self._summaries[name]()
        found = self._commands[name] = found()
        return found

    def __setitem__(self, name: str, command: Command) -> None:
        self._commands[name] = command

    def __delitem__(self, name: str) -> None:
        del self._commands[name]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._commands))

    def __len__(self) -> int:
        return len(self._commands)


class Later(NamedTuple):
    """A command declared by where it lives: ``module:object``, a typer app (a group) or a function."""

    name: str
    where: str
    panel: str


def attach(app: typer.Typer, later: Later) -> None:
    """Import ``later``'s object and add it to ``app``, as ``add_typer`` or ``command`` would."""
    module, attribute = later.where.split(":")
    found = getattr(importlib.import_module(module), attribute)
    if isinstance(found, typer.Typer):
        app.add_typer(found, name=later.name, rich_help_panel=later.panel)
    else:
        app.command(later.name, rich_help_panel=later.panel)(found)


def command_tree(app: typer.Typer, later: Sequence[Later] = ()) -> TyperGroup:
    """What ``typer.main.get_command`` returns for ``app`` with ``later`` attached, built lazily:
    a command's module is imported, and its click object made, only when it is asked for."""
    settings = {
        "pretty_exceptions_short": app.pretty_exceptions_short,
        "rich_markup_mode": app.rich_markup_mode,
        "suggest_commands": app.suggest_commands,
    }
    group = _lazy_group(TyperInfo(app), **settings)
    assert isinstance(group.commands, LazyCommands)
    for each in later:
        group.commands.declare(each.name, partial(_build_later, each, settings), partial(_build_later, each, settings, summary=True))
    if app._add_completion:
        group.params.extend(get_install_completion_arguments())
    return group


def _build_later(later: Later, settings: dict[str, Any], summary: bool = False) -> Command:
    holder = typer.Typer()
    attach(holder, later)
    if holder.registered_groups:
        return _lazy_group(holder.registered_groups[0], **settings)
    command_settings = {key: settings[key] for key in ("pretty_exceptions_short", "rich_markup_mode")}
    build = _summary if summary else get_command_from_info
    return build(holder.registered_commands[0], **command_settings)


def _summary(info: CommandInfo, **command_settings: Any) -> Command:
    """``info``'s command as typer builds it, but from a function without parameters."""
    function = info.callback
    assert function is not None, "a command needs its function"

    def without_parameters() -> None:
        pass

    without_parameters.__doc__ = function.__doc__
    without_parameters.__name__ = function.__name__
    stand_in = copy.copy(info)
    stand_in.callback = without_parameters
    return get_command_from_info(stand_in, **command_settings)


def _lazy_group(info: TyperInfo, **settings: Any) -> TyperGroup:
    instance = info.typer_instance
    assert instance is not None, "a group needs its typer app"
    # The group itself (its callback's options, help and class) from an app with no commands.
    bare = copy.copy(instance)
    bare.registered_commands = []
    bare.registered_groups = []
    bare_info = copy.copy(info)
    bare_info.typer_instance = bare
    group = get_group_from_info(bare_info, **settings)

    commands = LazyCommands()
    command_settings = {key: settings[key] for key in ("pretty_exceptions_short", "rich_markup_mode")}
    for command_info in instance.registered_commands:
        assert command_info.callback is not None, "a command needs its function"
        command_name = command_info.name or get_command_name(command_info.callback.__name__)
        commands.declare(
            command_name,
            partial(get_command_from_info, command_info, **command_settings),
            partial(_summary, command_info, **command_settings),
        )
    for sub_info in instance.registered_groups:
        group_name = solve_typer_info_defaults(sub_info).name
        assert isinstance(group_name, str) and group_name, "every sub-group of dealrescue is added with a name"
        commands.declare(group_name, partial(_lazy_group, sub_info, **settings))
    group.commands = commands
    write_help = group.format_help

    def format_help(ctx: Any, formatter: Any) -> None:
        commands.listing = True
        try:
            write_help(ctx, formatter)
        finally:
            commands.listing = False

    group.format_help = format_help  # type: ignore[method-assign]
    return group
