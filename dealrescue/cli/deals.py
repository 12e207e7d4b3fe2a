"""`dealrescue deals`: the journal of past runs (list, show, export).

Only typer is imported at the top: each command imports ``dealrescue.commands.deals``
(and with it the journal and the output helpers) when it runs, so ``dealrescue --help``
stays fast. Errors are raised as ``DealRescueError`` kin; ``dealrescue.cli.app.main``
turns them into messages and exit codes.
"""

import enum
from pathlib import Path
from typing import Annotated

import typer

from dealrescue.core.status import RunStatus

deals_app = typer.Typer(
    help="The journal of past runs: list them, show one, export its plan.",
    no_args_is_help=True,
)


class ListFormat(str, enum.Enum):
    table = "table"
    json = "json"


class ExportFormat(str, enum.Enum):
    markdown = "markdown"
    json = "json"


@deals_app.command("list")
def list_runs(
    deal: Annotated[
        str | None, typer.Option("--deal", metavar="TEXT", help="Only deals whose name contains TEXT (any case).")
    ] = None,
    playbook: Annotated[
        str | None, typer.Option("--playbook", metavar="ID", help="Only runs of this playbook.")
    ] = None,
    status: Annotated[RunStatus | None, typer.Option("--status", help="Only runs with this status.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", metavar="DATE", help="Only plans dated on or after DATE (YYYY-MM-DD).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", metavar="DATE", help="Only plans dated on or before DATE (YYYY-MM-DD).")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", metavar="N", min=1, help="At most N runs.")] = None,
    fmt: Annotated[
        ListFormat,
        typer.Option(
            "--format",
            help="table: a table on a terminal, tab-separated lines (id, date, deal, playbook, status, "
            "verdict id) in a pipe or file; json: a list of objects.",
        ),
    ] = ListFormat.table,
) -> None:
    """List recorded runs, newest first, with the ids other commands take."""
    from dealrescue.commands.deals import list_deals

    list_deals(deal, playbook, status.value if status else None, since, until, limit, fmt.value)


@deals_app.command("show")
def show(run_id: Annotated[str, typer.Argument(metavar="ID", help="A run id (or its first letters).")]) -> None:
    """Show one run as markdown: its answers, verdict, follow-ups and plan."""
    from dealrescue.commands.deals import show_deal

    show_deal(run_id)


@deals_app.command("export")
def export(
    run_id: Annotated[str, typer.Argument(metavar="ID", help="A run id (or its first letters).")],
    fmt: Annotated[ExportFormat, typer.Option("--format", help="The plan as markdown or as JSON.")] = (
        ExportFormat.markdown
    ),
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", metavar="FILE", help="Write to FILE (atomically) instead of stdout."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
) -> None:
    """Print (or write to a file) the plan a finished run made, exactly as stored."""
    from dealrescue.commands.deals import export_deal

    export_deal(run_id, fmt.value, output, force)
