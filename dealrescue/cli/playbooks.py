"""``dealrescue playbooks``: list, show, validate, schema, new, test."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from dealrescue.cli.choices import ListFormat, ReportFormat
from dealrescue.cli.options import PlaybooksDir

playbooks_app = typer.Typer(
    help="List, show, check and write playbooks (the YAML files behind every command).",
    no_args_is_help=True,
)


@playbooks_app.command("list")
def list_command(
    playbooks_dir: PlaybooksDir = None,
    fmt: Annotated[ListFormat, typer.Option("--format", metavar="table|json", help="A table (default) or JSON.")] = ListFormat.table,
) -> None:
    """Every playbook in effect, where it lives, and any that fail to load."""
    from dealrescue.commands.playbooks import list_playbooks

    list_playbooks(playbooks_dir, fmt.value)


@playbooks_app.command("show")
def show_command(
    playbook: Annotated[str, typer.Argument(help="A playbook id or path.", show_default=False)],
    path: Annotated[bool, typer.Option("--path", help="Print only where the file lives.")] = False,
    questions: Annotated[
        bool, typer.Option("--questions", help="Print only the question ids, types and accepted values.")
    ] = False,
    playbooks_dir: PlaybooksDir = None,
    fmt: Annotated[
        str, typer.Option("--format", metavar="text|json", help="With --questions: plain lines (default) or JSON for scripts.")
    ] = "text",
) -> None:
    """Print a playbook's YAML as written, to copy and adapt.

    --questions lists the answer ids it takes, for --set, --answers and rank's CSV columns (with --format json: ids, types, choices and defaults as JSON); --path prints where the file lives.
    """  # noqa: E501
    from dealrescue.commands.playbooks import show_playbook

    show_playbook(playbook, playbooks_dir, path_only=path, questions=questions, fmt=fmt)


@playbooks_app.command("validate")
def validate_command(
    files: Annotated[
        list[Path], typer.Argument(metavar="FILE|ID...", help="Playbook files (or ids) to check.", show_default=False)
    ],
    fmt: Annotated[
        ReportFormat, typer.Option("--format", metavar="text|json", help="Plain lines (default) or JSON for editors and CI.")
    ] = ReportFormat.text,
) -> None:
    """Check playbooks: YAML, keys, conditions and templates. Exit 3 if any fails, 2 if a file is missing."""
    from dealrescue.commands.playbooks import validate_playbooks

    validate_playbooks(files, fmt.value)


@playbooks_app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the playbook format, for editors that check YAML."""
    from dealrescue.commands.playbooks import print_schema

    print_schema()



@playbooks_app.command("new")
def new_command(
    playbook_id: Annotated[str, typer.Argument(metavar="ID", help="Id of the new playbook, e.g. my-triage.", show_default=False)],
    output: Annotated[
        Optional[Path], typer.Option("-o", "--output", metavar="PATH", help="Where to write it (default: your playbook folder).")
    ] = None,
    start_from: Annotated[
        Optional[str],
        typer.Option("--from", metavar="PLAYBOOK", help="Start from this playbook (a bundled id, yours, or a path), tests included."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing file, or shadow a bundled playbook of the same id.")
    ] = False,
) -> None:
    """Write a commented starter playbook that validates and runs as written.

    It shows every question type, a when, scores with bands, verdict rules, a dated step, a talk track, a follow-up, tests.

    Then: dealrescue run ID.

    With --from, a copy of that playbook instead, e.g. dealrescue playbooks new my-triage --from triage
    """
    from dealrescue.commands.playbooks import new_playbook

    new_playbook(playbook_id, output, force, start_from)


@playbooks_app.command("test")
def test_command(
    files: Annotated[list[Path], typer.Argument(metavar="FILE|ID...", help="Playbook files (or ids) to test.", show_default=False)],
    answers: Annotated[Optional[str], typer.Option("--answers", metavar="FILE", help="Test one set of answers instead.")] = None,
    verdict: Annotated[Optional[str], typer.Option("--verdict", metavar="ID", help="The verdict --answers must give.")] = None,
    fuzz: Annotated[
        Optional[int],
        typer.Option("--fuzz", metavar="N", help="Also build N plans from generated answers and check each (exit 1 on a failure)."),
    ] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", metavar="S", help="With --fuzz: the seed (default 0); same seed, same answers.")] = None,
) -> None:
    """Run a playbook's own tests: answers and the verdict (and scores) they must give. Exit 3 on a failure.

    With --fuzz N, also build N plans from generated answers and check in each one:

      - steps in order and on time
      - every template renders
      - no empty talk track or email line
      - no rep's note in customer text
      - the playbook's invariants

    A failure prints the smallest answers that still break it, as a dealrescue run line to paste, and exits 1.
    """
    from dealrescue.commands.playbooks import test_playbooks

    test_playbooks(files, answers, verdict, fuzz=fuzz, seed=seed)
