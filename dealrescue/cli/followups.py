"""`dealrescue followups`: check-backs and dated steps across all deals, and their calendar file.

``dealrescue followups`` (no subcommand) lists them; ``followups done ID``
marks one done. Only typer is imported at the top (see ``deals.py``).
"""

from pathlib import Path
from typing import Annotated

import typer

from dealrescue.cli.choices import CalendarKind, ListFormat
from dealrescue.cli.options import Force, IcsKind

followups_app = typer.Typer(
    help="Due and upcoming follow-ups across all deals; export them to a calendar; mark them done.",
    invoke_without_command=True,
)


@followups_app.callback()
def followups(
    ctx: typer.Context,
    include_done: Annotated[bool, typer.Option("--all", help="Include follow-ups already done.")] = False,
    ics: Annotated[
        Path | None,
        typer.Option(
            "--ics",
            metavar="FILE",
            help="Write the follow-ups listed to an iCalendar FILE ('-' for stdout) instead of listing them. "
            "Entries keep their ids, so importing a newer file updates them; use --all to carry 'done' over.",
        ),
    ] = None,
    kind: IcsKind = CalendarKind.event,
    force: Force = False,
    on: Annotated[
        str | None,
        typer.Option("--date", metavar="YYYY-MM-DD", help="Count overdue from this day (default today)."),
    ] = None,
    fmt: Annotated[
        ListFormat,
        typer.Option(
            "--format",
            help="table: a table on a terminal, tab-separated lines (id, due, state, deal, playbook, text) "
            "in a pipe or file; json: a list of objects.",
        ),
    ] = ListFormat.table,
) -> None:
    """List due and upcoming follow-ups across all deals (overdue ones marked), by due date."""
    if ctx.invoked_subcommand is not None:
        return
    from dealrescue.commands.followups import list_followups

    list_followups(include_done, ics, kind.value, force, on, fmt.value)


@followups_app.command("done")
def done(
    followup_id: Annotated[str, typer.Argument(metavar="ID", help="A follow-up id (or its first letters).")],
) -> None:
    """Mark a follow-up done."""
    from dealrescue.commands.todo import mark_done

    mark_done([followup_id], followups_only=True)
