"""The direct path: a playbook run's (or ``followups``') flags read without typer, when that is beyond doubt.

Importing typer (and its click) and building a command is about a fifth of a scripted
``dealrescue triage ... --no-input``. The parameters of these commands are in
``cli/direct_table.py``, generated from the typer declarations by ``cli/direct_gen.py``, so they
are still declared once, in ``cli/``, and the table names the function each command's typer
callback calls (``run_flags``, ``followups_flags``), which is what this path calls. This module reads only the plain
forms of a command line and gives up on anything else: the typer tree then reads it, with its
help, its completion and its messages. Whatever it accepts, typer accepts and reads the same way;
``tests/test_direct.py`` compares the two on thousands of command lines.

Accepted: the command name first; positional arguments that do not start with ``-``; each option
at most once (``--set`` any number of times), as ``--name value``, ``--name=value`` or ``-o value``,
with a value that is not empty and does not start with ``-`` (``-`` alone is a value: stdin); a
``--format`` value that is one of the choices; a path that does not exist or is of the kind the
option takes. Anything else (``--help``, ``--``, ``-ofile``, a repeat, an unknown name, a missing
argument, shell completion) goes to typer.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dealrescue.errors import EXIT_INTERRUPTED

# typer completes a command line when this is set (the program name, upper-cased).
_COMPLETION_VARIABLE = "_DEALRESCUE_COMPLETE"


def parse(argv: list[str]) -> tuple[str, dict[str, Any]] | None:
    """The function to call for ``argv`` ("module:function") and its keyword arguments, as typer would
    give them; None to let typer read it."""
    if not argv or _COMPLETION_VARIABLE in os.environ:
        return None
    from dealrescue.cli.direct_table import COMMANDS

    commands: dict[str, tuple[Any, ...]] = COMMANDS
    shape = commands.get(argv[0])
    if shape is None:
        return None
    target, fixed, arguments, options, defaults = shape
    flags: dict[str, Any] = {**defaults, **fixed}
    given: set[str] = set()
    positional: list[str] = []
    tokens = iter(argv[1:])
    for token in tokens:
        if not token or token == "-":
            return None
        if token[0] != "-":
            positional.append(token)
            continue
        name, equals, inline = token.partition("=") if token.startswith("--") else (token, "", "")
        found = options.get(name)
        if found is None:
            return None
        parameter, kind = found
        if parameter in given and kind != "many":
            return None
        given.add(parameter)
        if kind == "flag":
            if equals:
                return None
            flags[parameter] = True
            continue
        value = inline if equals else next(tokens, None)
        if value is None or not _plain_value(value):
            return None
        converted = _converted(kind, value)
        if converted is None:
            return None
        flags[parameter] = [*(flags[parameter] or []), converted] if kind == "many" else converted
    required = sum(1 for _, needed in arguments if needed)
    if not required <= len(positional) <= len(arguments):
        return None
    for (parameter, _), value in zip(arguments, positional, strict=False):
        flags[parameter] = value
    return target, flags


def invoke(call: tuple[str, dict[str, Any]]) -> int:
    """Make the call ``parse`` read; the exit code, by the same rules as under typer."""
    import importlib

    from dealrescue.cli.failures import exit_code_for

    target, flags = call
    module, function = target.split(":")
    try:
        getattr(importlib.import_module(module), function)(**flags)
    except KeyboardInterrupt:
        # typer's rule for a Ctrl-C that reaches it: 130, no message (a prompt has its own).
        return EXIT_INTERRUPTED
    except Exception as exc:
        code = exit_code_for(exc)
        if code is None:
            raise
        return code
    return 0


def _plain_value(value: str) -> bool:
    return value == "-" or (value != "" and value[0] != "-")


def _converted(kind: Any, value: str) -> Any:
    """``value`` as typer converts it for ``kind``; None when typer would refuse it (or might)."""
    if kind in ("text", "many"):
        return value
    if isinstance(kind, tuple):
        return _path(value, *kind[1:])
    # An Enum: typer offers its values as choices, case and all, and passes the member.
    try:
        return kind(value)
    except ValueError:
        return None


def _path(value: str, file_okay: bool, dir_okay: bool, readable: bool) -> Path | None:
    """click's ``Path`` check for a path that need not exist: a file where only a folder fits,
    a folder where only a file fits, or an unreadable one, is for typer to report."""
    import stat

    try:
        found = os.stat(value)
    except OSError:
        return Path(value)
    if (not file_okay and stat.S_ISREG(found.st_mode)) or (not dir_okay and stat.S_ISDIR(found.st_mode)):
        return None
    if readable and not os.access(value, os.R_OK):
        return None
    return Path(value)
