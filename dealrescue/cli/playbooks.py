"""``dealrescue playbooks``: list, show, validate, schema, new, test."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dealrescue.cli.options import PlaybooksDir

playbooks_app = typer.Typer(
    help="List, show, check and write playbooks (the YAML files behind every command).",
    no_args_is_help=True,
)


@playbooks_app.command("list")
def list_command(
    playbooks_dir: PlaybooksDir = None,
    fmt: Annotated[str, typer.Option("--format", metavar="table|json", help="A table (default) or JSON.")] = "table",
) -> None:
    """Every playbook in effect, where it lives, and any that fail to load."""
    from dealrescue.playbook_commands import list_playbooks

    list_playbooks(playbooks_dir, fmt)


@playbooks_app.command("show")
def show_command(
    playbook: Annotated[str, typer.Argument(help="A playbook id or path.", show_default=False)],
    path: Annotated[bool, typer.Option("--path", help="Print only where the file lives.")] = False,
    playbooks_dir: PlaybooksDir = None,
) -> None:
    """Print a playbook's YAML as written, to copy and adapt (or --path: where it lives)."""
    from dealrescue.playbook_commands import show_playbook

    show_playbook(playbook, playbooks_dir, path_only=path)


@playbooks_app.command("validate")
def validate_command(
    files: Annotated[list[Path], typer.Argument(help="Playbook files to check.", show_default=False)],
    fmt: Annotated[str, typer.Option("--format", metavar="text|json", help="Plain lines (default) or JSON for editors and CI.")] = "text",
) -> None:
    """Check playbook files: YAML, keys, conditions and templates. Exit 3 if any fails."""
    from dealrescue.playbook_commands import validate_playbooks

    validate_playbooks(files, fmt)


@playbooks_app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the playbook format, for editors that check YAML."""
    from dealrescue.playbook_commands import print_schema

    print_schema()

