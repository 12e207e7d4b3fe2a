"""The direct path (cli/direct.py) against the typer tree it stands in for.

Whatever command line the direct path accepts, typer must accept too and hand the same function
(``run_flags``, ``followups_flags``) the very same arguments; errors and exits must come out the
same either way.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import pytest

import dealrescue.commands.followups as followups_module
import dealrescue.commands.run as run_module
from dealrescue.cli import direct, direct_gen
from dealrescue.cli.app import LATER, base_app
from dealrescue.cli.direct_table import COMMANDS
from dealrescue.cli.lazy import command_tree
from dealrescue.cli.run import PLAYBOOK_COMMANDS

from .conftest import installed_cli_modules


class Called(BaseException):
    """Raised by a stand-in target (past every error handler): which one, and what it was given."""

    def __init__(self, target: str, flags: dict[str, Any]) -> None:
        super().__init__("called")
        self.call = (target, flags)


@pytest.fixture
def caught(monkeypatch: pytest.MonkeyPatch) -> None:
    for module, name in ((run_module, "run_flags"), (followups_module, "followups_flags")):
        target = f"{module.__name__}:{name}"

        def stand_in(target: str = target, **flags: Any) -> None:
            raise Called(target, flags)

        monkeypatch.setattr(module, name, stand_in)


@pytest.fixture
def tree() -> Any:
    return command_tree(base_app(), LATER)


Call = tuple[str, dict[str, Any]]


def typer_reading(tree: Any, argv: list[str]) -> Call | None:
    """What typer calls for ``argv``; None when it refuses the line or does not run."""
    try:
        tree.main(argv, prog_name="dealrescue", standalone_mode=False)
    except Called as called:
        return called.call
    except Exception:  # noqa: BLE001 - a usage error, --help's exit: typer did not run it
        return None
    return None


def direct_reading(argv: list[str]) -> Call | None:
    try:
        call = direct.parse(argv)
        if call is not None:
            direct.invoke(call)
    except Called as called:
        return called.call
    return None


def same(a: Call, b: Call) -> bool:
    return a == b and all(type(a[1][k]) is type(b[1][k]) for k in a[1])


def test_the_table_is_what_the_typer_declarations_say() -> None:
    assert direct_gen.table_source() == direct_gen.TABLE.read_text(), (
        "cli/direct_table.py is out of date: run `python -m dealrescue.cli.direct_gen`"
    )


def test_every_command_meant_for_the_direct_path_is_in_the_table() -> None:
    """A declaration the direct path cannot read leaves its command out; none does today."""
    assert list(COMMANDS) == list(direct_gen.direct_commands()) == [name for name, _, _ in PLAYBOOK_COMMANDS] + ["run", "followups"]


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with a file, a folder and an unreadable file to name on the command line."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plan.md").write_text("old plan\n")
    (tmp_path / "a.yaml").write_text("competitor: Globex\n")
    (tmp_path / "dir").mkdir()
    (tmp_path / "locked.md").write_text("")
    real_access = os.access
    # The suite may run as root, who reads everything: typer and the direct path ask os.access.
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: Path(path).name != "locked.md" and real_access(path, mode, **kw))
    return tmp_path


COMMON = [
    ["triage", "Acme", "--answers", "a.yaml", "--no-input", "--no-save", "--date", "2026-11-22"],
    ["triage", "Acme", "--set", "competitor=Globex", "--set", "signed=not_signed", "--no-input"],
    ["triage", "Acme Corp", "--answers=a.yaml", "--format", "json", "-o", "new.json"],
    ["triage", "Acme", "--answers", "-", "--no-input", "--format=json"],
    ["triage"],
    ["triage", "Acme", "-o", "plan.md", "--force", "--explain", "--plain", "--no-review"],
    ["qualify", "Acme", "--playbooks-dir", "dir", "--no-input"],
    ["run", "playbooks/triage.yaml", "Acme", "--no-input", "--no-save"],
    ["run", "my-playbook", "--set", "a=b=c", "--date", "2026-01-01"],
    ["walkaway", "--no-input", "Acme"],
    ["followups"],
    ["followups", "--date", "2026-11-22", "--format", "json", "--all"],
    ["followups", "--ics", "new.ics", "--ics-kind", "todo", "--force"],
    ["followups", "--ics", "-"],
]


@pytest.mark.usefixtures("caught", "scratch")
@pytest.mark.parametrize("argv", COMMON, ids=[" ".join(a) for a in COMMON])
def test_common_command_lines_are_read_directly_and_as_typer_reads_them(tree: Any, argv: list[str]) -> None:
    expected = typer_reading(tree, argv)
    found = direct_reading(argv)
    assert expected is not None and found is not None
    assert same(found, expected), (found, expected)


DECLINED = [
    ["triage", "--help"],
    ["triage", "-h"],
    ["triage", "--", "-Acme"],
    ["triage", "-oplan.md"],
    ["triage", "-o=plan.md"],
    ["triage", "-o", "dir"],
    ["triage", "-o", "locked.md"],
    ["triage", "--playbooks-dir", "plan.md"],
    ["triage", "--format", "JSON"],
    ["triage", "--format", "xml"],
    ["triage", "--no-input=yes"],
    ["triage", "--no-input", "--no-input"],
    ["triage", "--date", "1", "--date", "2"],
    ["triage", "Acme", "Globex"],
    ["triage", "--answers"],
    ["triage", "--answers", "--no-input"],
    ["triage", "--date", "-1"],
    ["triage", "--dat", "2026-01-01"],
    ["triage", ""],
    ["triage", "-"],
    ["run"],
    ["deals", "list"],
    ["--version"],
    ["resume"],
    ["followups", "done", "abc"],
    ["followups", "--help"],
    ["followups", "--ics-kind", "Event"],
    ["followups", "--format", "csv"],
    [],
]


@pytest.mark.usefixtures("caught", "scratch")
@pytest.mark.parametrize("argv", DECLINED, ids=[" ".join(a) or "(none)" for a in DECLINED])
def test_anything_else_is_left_to_typer(argv: list[str]) -> None:
    assert direct.parse(argv) is None


def test_typer_completion_is_left_to_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_DEALRESCUE_COMPLETE", "bash_complete")
    assert direct.parse(["triage", "Acme"]) is None


TOKENS = [
    "Acme", "Globex Corp", "ünï", "", "-", "--", "-x", "-5", "=", "--=x", "--help", "-h", "--version",
    "--no-input", "--no-input=1", "--no-save", "--force", "--explain", "--plain", "--no-review",
    "--answers", "a.yaml", "--answers=a.yaml", "--answers=", "--answers=-",
    "--set", "competitor=Globex", "--set=signed=yes", "--set=", "x",
    "--format", "json", "markdown", "JSON", "--format=json", "--format=xml", "--format=",
    "-o", "-oplan.md", "-o=plan.md", "--output", "--output=new.md", "plan.md", "new.md", "dir", "locked.md",
    "--playbooks-dir", "--playbooks-dir=dir", "--date", "2026-11-22", "--dat",
    "--all", "--ics", "--ics=-", "new.ics", "--ics-kind", "event", "todo", "--ics-kind=Todo", "table", "done",
]  # fmt: skip


@pytest.mark.usefixtures("caught", "scratch")
def test_random_command_lines_read_the_same_or_go_to_typer(tree: Any) -> None:
    """3,000 command lines from a vocabulary of the awkward and the plain."""
    rng = random.Random(20261130)
    accepted = 0
    for _ in range(3000):
        argv = [rng.choice(["triage", "run", "qualify", "followups"])] + [rng.choice(TOKENS) for _ in range(rng.randint(0, 7))]
        found = direct_reading(argv)
        if found is None:
            continue
        accepted += 1
        expected = typer_reading(tree, argv)
        assert expected is not None, f"typer refuses {argv}, the direct path ran it"
        assert same(found, expected), (argv, found, expected)
    assert accepted > 200  # the vocabulary reaches the direct path often enough to mean something


def outcome(capsys: pytest.CaptureFixture[str], call: Any) -> tuple[Any, str, str]:
    try:
        code = call()
    except SystemExit as done:
        code = done.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


ERRORS = [
    ["triage", "Acme", "--no-input", "--no-save"],
    ["triage", "Acme", "--no-input", "--no-save", "--date", "2026-13-45", "--set", "competitor=X"],
    ["triage", "Acme", "--no-input", "--no-save", "--answers", "missing.yaml"],
    ["triage", "Acme", "--no-input", "--no-save", "--set", "nonsense"],
    ["triage", "Acme", "--no-input", "--no-save", "--set", "pressure=eleven", "--set", "competitor=X"],
    ["triage", "Acme\x1b]0;pwned\x07", "--no-input", "--no-save", "-o", "plan.md", "--answers", "a.yaml"],
    ["run", "not-a-playbook", "Acme", "--no-input"],
    ["run", "a.yaml", "Acme", "--no-input", "--no-save"],
    ["followups", "--date", "yesterday"],
    ["followups", "--ics", "plan.md"],
]


@pytest.mark.usefixtures("scratch")
@pytest.mark.parametrize("argv", ERRORS, ids=[" ".join(a) for a in ERRORS])
def test_errors_read_the_same_on_either_path(tree: Any, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    call = direct.parse(argv)
    assert call is not None
    by_typer = outcome(capsys, lambda: tree.main(argv, prog_name="dealrescue", standalone_mode=True))
    by_direct = outcome(capsys, lambda: direct.invoke(call))
    assert by_direct == by_typer
    assert by_direct[0] != 0 and by_direct[2].startswith("error: ")


@pytest.mark.usefixtures("scratch")
@pytest.mark.parametrize("raised", [KeyboardInterrupt(), EOFError(), RuntimeError("boom \x1b[31m"), OSError(5, "I/O error")])
def test_what_escapes_a_run_exits_the_same_on_either_path(
    tree: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, raised: BaseException
) -> None:
    def failing(**flags: Any) -> None:
        raise raised

    monkeypatch.setattr(run_module, "run_flags", failing)
    argv = ["triage", "Acme", "--no-input"]
    call = direct.parse(argv)
    assert call is not None

    def either(call: Any) -> tuple[Any, str, str]:
        try:
            return outcome(capsys, call)
        except OSError as exc:  # not a write to the output: it goes on up, on both paths
            capsys.readouterr()
            return ("raised", type(exc).__name__, str(exc))

    by_typer = either(lambda: tree.main(argv, prog_name="dealrescue", standalone_mode=True))
    by_direct = either(lambda: direct.invoke(call))
    assert by_direct == by_typer


def test_a_scripted_triage_never_imports_typer(tmp_path: Path) -> None:
    answers = ["--set", "competitor=Globex", "--set", "signed=not_signed", "--set", "reason=price", "--set", "price_gap=too_far",
               "--set", "pressure=3", "--no-input", "--no-save"]
    loaded, done = installed_cli_modules(tmp_path, "triage", "Acme", *answers, "--date", "2026-11-22")
    assert done.stdout.startswith("# Lost-deal triage: Acme\n")
    assert not {m for m in loaded if m.startswith(("typer", "click"))}
    assert loaded == {"dealrescue.cli", "dealrescue.cli.choices", "dealrescue.cli.direct", "dealrescue.cli.direct_table",
                      "dealrescue.cli.failures", "dealrescue.cli.main"}  # fmt: skip
    # The same run through typer (a `--` it leaves to typer) writes the same plan.
    loaded, by_typer = installed_cli_modules(tmp_path, "triage", *answers, "--date", "2026-11-22", "--", "Acme")
    assert "typer" in loaded and "dealrescue.cli.run" in loaded
    assert by_typer.stdout == done.stdout and by_typer.returncode == done.returncode == 0


def test_help_and_completion_still_come_from_typer(tmp_path: Path) -> None:
    loaded, done = installed_cli_modules(tmp_path, "triage", "--help")
    assert done.returncode == 0 and "--no-input" in done.stdout and "typer" in loaded


def test_the_vocabulary_names_every_option() -> None:
    options = {flag for _, _, _, table, _ in COMMANDS.values() for flag in table}
    assert options <= {token.partition("=")[0] for token in TOKENS}


def test_followups_never_imports_typer_and_lists_what_typer_lists(tmp_path: Path) -> None:
    answers = ["--set", "competitor=Globex", "--set", "signed=not_signed", "--set", "reason=price", "--set", "price_gap=too_far",
               "--set", "pressure=3", "--no-input", "--date", "2026-11-22"]  # fmt: skip
    _, made = installed_cli_modules(tmp_path, "triage", "Acme", *answers)
    assert made.returncode == 0, made.stderr
    loaded, listed = installed_cli_modules(tmp_path, "followups", "--date", "2026-11-23")
    assert not {m for m in loaded if m.startswith(("typer", "click"))}
    assert "Acme" in listed.stdout and listed.returncode == 0
    loaded, by_typer = installed_cli_modules(tmp_path, "followups", "--date", "2026-11-23", "--")
    assert "typer" in loaded and (by_typer.stdout, by_typer.returncode) == (listed.stdout, listed.returncode)
