"""The root group builds each command when it is first used, and what it builds is what typer builds eagerly."""

import inspect
import os
import subprocess
import sys
from typing import Any

import typer
from typer.testing import CliRunner

from dealrescue.cli.app import COMMANDS, Commands, app, eager_app

from .conftest import installed_cli_modules


def _shape(command: Any) -> dict[str, Any]:
    """Everything click parses and shows: names, parameters (with their options and types), help."""
    params = [
        (p.name, tuple(p.opts), tuple(p.secondary_opts), p.type.name, p.required, p.multiple, p.nargs, repr(p.default))
        for p in command.params
    ]
    shape: dict[str, Any] = {
        "help": command.help,
        "panel": getattr(command, "rich_help_panel", None),
        "params": params,
        "class": type(command).__name__,
    }
    commands = getattr(command, "commands", None)
    if commands is not None:
        shape["commands"] = {name: _shape(commands[name]) for name in commands}
    return shape


def test_the_lazy_tree_is_the_eager_tree() -> None:
    eager = typer.main.get_command(eager_app())
    lazy = typer.main.get_command(app)
    assert list(lazy.commands) == list(eager.commands) == [c.name for c in COMMANDS]  # type: ignore[attr-defined]
    assert _shape(lazy) == _shape(eager)


def test_a_run_builds_only_the_command_it_calls() -> None:
    lazy = typer.main.get_command(app)
    commands = lazy.commands  # type: ignore[attr-defined]
    assert isinstance(commands, Commands)
    ctx = lazy.make_context("dealrescue", ["deals", "list"], resilient_parsing=True)
    deals = lazy.get_command(ctx, "deals")  # type: ignore[attr-defined]
    assert deals is not None
    assert list(commands._built) == ["deals"]
    assert "list" in deals.commands
    # Names alone answer a typo: nothing else is built for it.
    assert list(commands) == [c.name for c in COMMANDS]
    assert list(commands._built) == ["deals"]


def test_a_run_imports_only_its_own_command_module(tmp_path: Any) -> None:
    loaded = {}
    for args in (["deals", "list"], ["triage", "--set", "competitor=X", "--no-input", "--no-save", "Acme"]):
        loaded[args[0]], _ = installed_cli_modules(tmp_path, *args)
    others = {"dealrescue.cli.todo", "dealrescue.cli.rank", "dealrescue.cli.playbooks", "dealrescue.cli.card", "dealrescue.cli.followups"}
    assert "dealrescue.cli.deals" in loaded["deals"] and not others & loaded["deals"]
    assert "dealrescue.cli.run" in loaded["triage"] and not (others | {"dealrescue.cli.deals"}) & loaded["triage"]


def test_help_and_typos_read_as_the_eager_app(tmp_path: Any) -> None:
    """The installed CLI (which builds lazily) prints what the eagerly built app prints."""
    env = {**os.environ, "DEALRESCUE_HOME": str(tmp_path), "COLUMNS": "100", "NO_COLOR": "1"}
    env.pop("DEALRESCUE_DEBUG", None)
    runner = CliRunner()
    full = eager_app()
    for args in (["--help"], ["deals", "--help"], ["triage", "--help"], ["deals", "lisst"], ["trage"]):
        eager = runner.invoke(full, args, prog_name="dealrescue", env={"COLUMNS": "100", "NO_COLOR": "1"})
        lazy = subprocess.run([sys.executable, "-m", "dealrescue", *args], capture_output=True, text=True, env=env, timeout=60)
        assert lazy.returncode == eager.exit_code, args
        assert lazy.stdout == eager.stdout, args
    typo = subprocess.run([sys.executable, "-m", "dealrescue", "deals", "lisst"], capture_output=True, text=True, env=env, timeout=60)
    assert typo.returncode == 2
    assert typo.stderr.splitlines() == ["error: No such command 'lisst'. Did you mean 'list'?", "hint: see dealrescue deals --help"]
    typo = subprocess.run([sys.executable, "-m", "dealrescue", "trage"], capture_output=True, text=True, env=env, timeout=60)
    assert typo.stderr.splitlines() == ["error: No such command 'trage'. Did you mean 'triage', 'track'?", "hint: see dealrescue --help"]


def test_a_list_of_commands_builds_none_of_them(capsys: Any, monkeypatch: Any) -> None:
    """Help lists summaries (name, help, panel); every command stays unbuilt, and is whole when run."""
    monkeypatch.setenv("COLUMNS", "100")
    lazy = typer.main.get_command(app)
    eager = typer.main.get_command(eager_app())
    shown = []
    for group in (lazy, eager):
        with group.make_context("dealrescue", ["triage"], resilient_parsing=True) as ctx:
            shown.append(group.get_help(ctx) + capsys.readouterr().out)  # rich prints it, click returns it
    assert "triage" in shown[0] and shown[0] == shown[1]
    commands = lazy.commands  # type: ignore[attr-defined]
    assert isinstance(commands, Commands) and not commands.listing
    assert list(commands._built) == []
    # A command asked for outside the listing is the whole command, parameters and all.
    assert _shape(commands["triage"]) == _shape(eager.commands["triage"])  # type: ignore[attr-defined]


def test_no_private_module_of_typer_is_imported() -> None:
    """typer's own click (``typer._click``) and its other underscored modules are not its public API."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    found = []
    for path in [*(root / "dealrescue").rglob("*.py"), *(root / "bench").rglob("*.py"), *(root / "tests").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] in ("typer", "click") and any(part.startswith("_") for part in parts[1:]):
                    found.append(f"{path.relative_to(root)}: {name}")
    assert found == []


PLAYBOOK_COMMANDS = [["run"], ["triage"], ["recover"], ["walkaway"], ["pulse"], ["review"], ["qualify"], ["resume"], ["deals", "rerun"]]


def test_every_playbook_command_takes_every_playbook_flag_as_declared_once() -> None:
    """run, the six bundled playbook commands, resume and deals rerun read their shared options from one declaration."""
    import dataclasses

    from dealrescue.commands.flags import PlaybookFlags

    root = typer.main.get_command(app)
    wanted = [f.name for f in dataclasses.fields(PlaybookFlags)]
    seen = {}
    for path in PLAYBOOK_COMMANDS:
        command: Any = root
        for name in path:
            command = command.commands[name]
        params = {p.name: p for p in command.params}
        assert set(wanted) <= set(params), path
        seen[" ".join(path)] = [(p.opts, p.help, p.type.name, p.multiple) for name, p in params.items() if name in wanted]
    assert len({repr(shown) for shown in seen.values()}) == 1


def test_a_playbook_flag_reaches_the_run_of_each_command(tmp_path: Any, monkeypatch: Any) -> None:
    """What typer reads for a shared option arrives in the command's options (here --plain and --set)."""
    from dealrescue.commands import resume, run

    got: dict[str, Any] = {}
    monkeypatch.setattr(run, "run", lambda options: got.setdefault("run", options))
    monkeypatch.setattr(resume, "resume", lambda options: got.setdefault("resume", options))
    monkeypatch.setattr(resume, "rerun", lambda options: got.setdefault("rerun", options))
    runner = CliRunner()
    for args in (["triage", "Acme"], ["resume", "abc"], ["deals", "rerun", "abc"]):
        result = runner.invoke(app, [*args, "--plain", "--set", "a=1", "--set", "b=2", "--no-review"])
        assert result.exit_code == 0, result.output
    assert got["run"].playbook == "triage" and got["run"].deal == "Acme"
    for options in got.values():
        assert (options.plain, options.sets, options.no_review, options.answers_file) == (True, ["a=1", "b=2"], True, None)
    assert got["resume"].run_id == got["rerun"].run_id == "abc"


def _every_command(command: Any, path: tuple[str, ...] = ()) -> Any:
    yield path, command
    for name, sub in (getattr(command, "commands", None) or {}).items():
        yield from _every_command(sub, (*path, name))


def test_help_paragraphs_after_the_first_are_written_on_one_line() -> None:
    """Typer's rich help joins the first paragraph's lines but keeps every line break of the later
    ones, and then wraps those lines again: a docstring wrapped by hand reads as ragged lines in
    `--help`. Only an indented block (examples) may span lines."""
    ragged = []
    for path, command in _every_command(typer.main.get_command(eager_app())):
        for paragraph in inspect.cleandoc(command.help or "").split("\n\n")[1:]:
            later_lines = paragraph.split("\n")[1:]
            if later_lines and not all(line.startswith("  ") for line in later_lines):
                ragged.append(f"{' '.join(path) or 'dealrescue'}: {paragraph[:60]!r}")
    assert ragged == []


def test_a_later_help_paragraph_reads_as_one_paragraph_on_a_narrow_terminal() -> None:
    screen = CliRunner().invoke(app, ["outcome", "--help"], env={"COLUMNS": "60", "TERM": "dumb"}).output
    lines = [line.strip() for line in screen.splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("Recording it again"))
    paragraph = lines[start : lines.index("", start)]
    assert " ".join(paragraph) == "Recording it again changes it; every outcome recorded stays in the run's history."
    # Every line but the last is filled: none ends half-way across the screen.
    assert all(len(line) > 40 for line in paragraph[:-1]), paragraph
