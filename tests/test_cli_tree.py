"""The lazily built command tree is the tree typer builds eagerly, and builds only what a run uses."""

import os
import subprocess
import sys
from typing import Any

import typer
from typer._click import Command
from typer.testing import CliRunner

from dealrescue.cli.app import LATER, app, base_app
from dealrescue.cli.lazy import LazyCommands, command_tree

from .conftest import installed_cli_modules


def _shape(command: Any) -> dict[str, Any]:
    """Everything click parses and shows: names, parameters (with their options and types), help."""
    params = [
        (p.name, tuple(p.opts), tuple(p.secondary_opts), p.type.name, p.required, p.multiple, p.nargs, repr(p.default))
        for p in command.params
    ]
    shape: dict[str, Any] = {"name": command.name, "help": command.help, "params": params, "class": type(command).__name__}
    commands = getattr(command, "commands", None)
    if commands is not None:
        shape["commands"] = {name: _shape(commands[name]) for name in commands}
    return shape


def test_the_lazy_tree_is_the_eager_tree() -> None:
    eager = typer.main.get_command(app)
    lazy = command_tree(base_app(), LATER)
    assert list(lazy.commands) == list(eager.commands)  # type: ignore[attr-defined]
    assert _shape(lazy) == _shape(eager)


def test_a_run_builds_only_the_command_it_calls() -> None:
    lazy = command_tree(base_app(), LATER)
    commands = lazy.commands
    assert isinstance(commands, LazyCommands)
    ctx = lazy.make_context("dealrescue", ["deals", "list"], resilient_parsing=True)
    deals = lazy.get_command(ctx, "deals")
    assert deals is not None
    built = [name for name, found in commands._commands.items() if isinstance(found, Command)]
    assert built == ["deals"]
    assert "list" in deals.commands  # type: ignore[attr-defined]
    # Names alone answer a typo: nothing else is built for it.
    assert sorted(commands) == sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_a_run_imports_only_its_own_command_module(tmp_path: Any) -> None:
    loaded = {}
    # The triage is written with `--` so that typer reads it (tests/test_direct.py has the direct path).
    for args in (["deals", "list"], ["triage", "--set", "competitor=X", "--no-input", "--no-save", "--", "Acme"]):
        loaded[args[0]], _ = installed_cli_modules(tmp_path, *args)
    others = {"dealrescue.cli.todo", "dealrescue.cli.rank", "dealrescue.cli.playbooks", "dealrescue.cli.card", "dealrescue.cli.followups"}
    assert "dealrescue.cli.deals" in loaded["deals"] and not others & loaded["deals"]
    assert "dealrescue.cli.run" in loaded["triage"] and not (others | {"dealrescue.cli.deals"}) & loaded["triage"]


def test_help_and_typos_read_as_before(tmp_path: Any) -> None:
    """The installed CLI (which builds lazily) prints what the eagerly built app prints."""
    env = {**os.environ, "DEALRESCUE_HOME": str(tmp_path), "COLUMNS": "100", "NO_COLOR": "1"}
    env.pop("DEALRESCUE_DEBUG", None)
    runner = CliRunner()
    for args in (["--help"], ["deals", "--help"], ["triage", "--help"], ["deals", "lisst"], ["trage"]):
        eager = runner.invoke(app, args, prog_name="dealrescue", env={"COLUMNS": "100", "NO_COLOR": "1"})
        lazy = subprocess.run([sys.executable, "-m", "dealrescue", *args], capture_output=True, text=True, env=env, timeout=60)
        assert lazy.returncode == eager.exit_code, args
        assert lazy.stdout == eager.stdout, args
    typo = subprocess.run([sys.executable, "-m", "dealrescue", "deals", "lisst"], capture_output=True, text=True, env=env, timeout=60)
    assert typo.returncode == 2
    assert typo.stderr.splitlines() == ["error: No such command 'lisst'. Did you mean 'list'?", "hint: see dealrescue deals --help"]


def test_a_list_of_commands_builds_none_of_them(capsys: Any, monkeypatch: Any) -> None:
    """Help lists summaries (name, help, panel); every command stays unbuilt, and is whole when run."""
    monkeypatch.setenv("COLUMNS", "100")
    lazy = command_tree(base_app(), LATER)
    eager = typer.main.get_command(app)
    shown = []
    for group in (lazy, eager):
        with group.make_context("dealrescue", ["triage"], resilient_parsing=True) as ctx:
            shown.append(group.get_help(ctx) + capsys.readouterr().out)  # rich prints it, click returns it
    assert "triage" in shown[0] and shown[0] == shown[1]
    commands = lazy.commands
    assert isinstance(commands, LazyCommands) and not commands.listing
    leaves = [name for name, found in commands._commands.items() if isinstance(found, Command) and not hasattr(found, "commands")]
    assert leaves == []
    # A command asked for outside the listing is the whole command, parameters and all.
    assert _shape(commands["triage"]) == _shape(eager.commands["triage"])  # type: ignore[attr-defined]
