"""Write figure 1's bare Typer app FROM dealrescue's real one: same commands, groups and parameters, empty bodies.

``bare_app_source(app)`` walks the Typer objects of ``dealrescue.cli.app.eager_app()`` (its commands,
sub-groups, callbacks and each parameter's ``typer.Option``/``typer.Argument``) and returns the
source of a module that declares all of them again with typer alone: command bodies do
nothing, and the module imports nothing of dealrescue. Typer then does the same work for both
apps (read signatures, build the click tree, parse, print help), so the ratio is what
dealrescue adds on top. Nothing has to be kept in step by hand when a command changes.
"""

from __future__ import annotations

import enum
import inspect
import pathlib
import types
import typing
from typing import Any

import typer
from typer.models import ArgumentInfo, CommandInfo, DefaultPlaceholder, OptionInfo, ParameterInfo, TyperInfo

HEADER = '''\
"""A bare Typer app generated from dealrescue's own: its commands and options, nothing behind them."""

import enum
import pathlib
from typing import Annotated, Optional

import typer


def _eager_flag(value: bool) -> None:
    if value:
        print("dealrescue 0")
        raise typer.Exit()

'''

# Keyword arguments of typer.Option/Argument that hold functions: replaced by the one eager stub.
_FUNCTION_KWARGS = ("callback", "shell_complete", "autocompletion", "default_factory", "parser")
_INFO_DEFAULTS = {OptionInfo: OptionInfo(), ArgumentInfo: ArgumentInfo()}


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.enums: dict[type[enum.Enum], str] = {}
        self.count = 0

    def name(self, stem: str) -> str:
        self.count += 1
        return f"_{stem}_{self.count}"

    # --------------------------------------------------------------- types and values as source

    def type_source(self, annotation: Any) -> str:
        if annotation is type(None):
            return "None"
        if annotation in (str, int, float, bool):
            return annotation.__name__
        if annotation is typer.Context:
            return "typer.Context"
        if isinstance(annotation, type) and issubclass(annotation, pathlib.PurePath):
            return "pathlib.Path"
        if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            return self.enum_source(annotation)
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin in (typing.Union, types.UnionType):
            rest = [a for a in args if a is not type(None)]
            inner = self.type_source(rest[0]) if len(rest) == 1 else f"typing.Union[{', '.join(map(self.type_source, rest))}]"
            return f"Optional[{inner}]" if len(rest) < len(args) else inner
        if origin in (list, tuple, set):
            return f"{origin.__name__}[{', '.join(self.type_source(a) for a in args)}]"
        raise TypeError(f"bench: no source form for the annotation {annotation!r}")

    def enum_source(self, cls: type[enum.Enum]) -> str:
        if cls not in self.enums:
            name = self.name(cls.__name__)
            base = "str, enum.Enum" if issubclass(cls, str) else "enum.Enum"
            self.lines.append(f"class {name}({base}):")
            self.lines += [f"    {member.name} = {member.value!r}" for member in cls]
            self.lines.append("")
            self.enums[cls] = name
        return self.enums[cls]

    def value_source(self, value: Any) -> str:
        if isinstance(value, enum.Enum):
            return f"{self.enum_source(type(value))}.{value.name}"
        if isinstance(value, pathlib.PurePath):
            return f"pathlib.Path({str(value)!r})"
        if value is ... or value is None or isinstance(value, (str, int, float, bool, list, tuple)):
            return repr(value)
        raise TypeError(f"bench: no source form for the default {value!r}")

    def info_source(self, info: ParameterInfo) -> str:
        """``typer.Option(...)``/``typer.Argument(...)`` with every setting that differs from typer's default.

        The first positional is ``default`` as typer stored it: inside ``Annotated`` that is the
        first flag name (or ``...``), as the real declaration wrote it.
        """
        kind = "Option" if isinstance(info, OptionInfo) else "Argument"
        blank = _INFO_DEFAULTS[type(info)]
        parts = [self.value_source(info.default), *(repr(d) for d in info.param_decls or ())]
        for key in inspect.signature(type(info).__init__).parameters:
            if key in ("self", "default", "param_decls") or not hasattr(info, key):
                continue  # is_flag and flag_value are deprecated and not kept by typer
            value = getattr(info, key)
            if value == getattr(blank, key):
                continue
            if key in _FUNCTION_KWARGS:
                if key != "callback":
                    raise TypeError(f"bench: {key}= on a parameter is not mirrored; extend bench/bare_app.py")
                parts.append("callback=_eager_flag")
                continue
            parts.append(f"{key}={self.value_source(value)}")
        return f"typer.{kind}({', '.join(parts)})"

    # --------------------------------------------------------------- functions, commands, groups

    def function(self, callback: Any, stem: str) -> str:
        """A function with ``callback``'s parameters, docstring and an empty body; returns its name."""
        name = self.name(stem)
        hints = typing.get_type_hints(callback, include_extras=True)
        params = []
        for param in inspect.signature(callback).parameters.values():
            annotation = hints.get(param.name, str)
            if typing.get_origin(annotation) is typing.Annotated:
                base, *extras = typing.get_args(annotation)
                infos = [x for x in extras if isinstance(x, ParameterInfo)]
                text = f"{param.name}: Annotated[{self.type_source(base)}, {self.info_source(infos[0])}]"
                if param.default is not inspect.Parameter.empty:
                    text += f" = {self.value_source(param.default)}"
            elif isinstance(param.default, ParameterInfo):
                text = f"{param.name}: {self.type_source(annotation)} = {self.info_source(param.default)}"
            else:
                text = f"{param.name}: {self.type_source(annotation)}"
                if param.default is not inspect.Parameter.empty:
                    text += f" = {self.value_source(param.default)}"
            params.append(text)
        self.lines.append(f"def {name}(" + ", ".join(params) + ") -> None:")
        doc = inspect.getdoc(callback)
        self.lines.append(f"    {doc!r}" if doc else "    pass")
        self.lines.append("")
        return name

    def settings(self, info: CommandInfo | TyperInfo, skip: tuple[str, ...]) -> list[str]:
        """The keyword arguments a command or group was declared with (placeholders and defaults left out)."""
        blank = type(info)()
        parts = []
        for key in inspect.signature(type(info).__init__).parameters:
            if key in ("self", *skip):
                continue
            value = getattr(info, key)
            if isinstance(value, DefaultPlaceholder) or value == getattr(blank, key):
                continue
            if key == "cls":
                continue  # dealrescue's own group class (its error handling) is what figure 1 measures
            parts.append(f"{key}={value!r}")
        return parts

    def typer_app(self, app: typer.Typer, settings: list[str]) -> str:
        name = self.name("app")
        self.lines.append(f"{name} = typer.Typer({', '.join(settings)})")
        self.lines.append("")
        if app.registered_callback is not None:
            callback = app.registered_callback
            function = self.function(callback.callback, "callback")
            args = self.settings(callback, ("typer_instance", "name", "callback"))
            self.lines.append(f"{name}.callback({', '.join(args)})({function})")
            self.lines.append("")
        for command in app.registered_commands:
            function = self.function(command.callback, command.name or "command")
            args = [repr(command.name), *self.settings(command, ("name", "callback"))]
            self.lines.append(f"{name}.command({', '.join(args)})({function})")
            self.lines.append("")
        for group in app.registered_groups:
            sub = group.typer_instance
            assert sub is not None
            sub_name = self.typer_app(sub, self.settings(sub.info, ("typer_instance", "name", "callback")))
            args = self.settings(group, ("typer_instance", "callback"))
            self.lines.append(f"{name}.add_typer({sub_name}, {', '.join(args)})")
            self.lines.append("")
        return name


def _app_settings(app: typer.Typer) -> list[str]:
    """The keyword arguments of the root ``typer.Typer(...)`` that shape its help and behaviour."""
    info = app.info
    settings = [
        f"{key}={getattr(info, key)!r}"
        for key in ("name", "help", "no_args_is_help", "invoke_without_command", "context_settings")
        if not isinstance(getattr(info, key), DefaultPlaceholder)
    ]
    settings.append(f"pretty_exceptions_enable={app.pretty_exceptions_enable!r}")
    settings.append(f"add_completion={app._add_completion!r}")
    return settings


def bare_app_source(app: typer.Typer, prog_name: str = "dealrescue") -> str:
    """The source of a module whose ``main()`` runs a bare copy of ``app``."""
    writer = _Writer()
    root = writer.typer_app(app, _app_settings(app))
    footer = f"app = {root}\n\n\ndef main() -> None:\n    app(prog_name={prog_name!r})\n"
    return HEADER + "\n".join(writer.lines) + "\n\n" + footer
