"""`dealrescue todo`: the to-do list across deals (plan steps and follow-ups), and ticking one off.

Only typer is imported at the top (see ``deals.py``).
"""

from pathlib import Path
from typing import Annotated

import typer

from dealrescue.cli.choices import CalendarKind, ListFormat
from dealrescue.cli.options import Force, IcsKind

todo_app = typer.Typer(
    help="What is overdue, due today and due this week across all deals (steps, follow-ups, outcomes to record); "
    "tick items off; a calendar file.",
    invoke_without_command=True,
)


@todo_app.callback()
def todo(
    ctx: typer.Context,
    on: Annotated[
        str | None,
        typer.Option("--date", metavar="YYYY-MM-DD", help="Count from this day (default today)."),
    ] = None,
    fmt: Annotated[
        ListFormat,
        typer.Option(
            "--format",
            help="table: a table on a terminal, tab-separated lines (id, due, state, deal, who, text) "
            "in a pipe or file; json: a list of objects.",
        ),
    ] = ListFormat.table,
    ics: Annotated[
        Path | None,
        typer.Option(
            "--ics",
            metavar="FILE",
            help="Write every step, follow-up and \"record the outcome\" reminder, however far ahead (done and "
            "superseded ones too, so a newer file updates the calendar), to an iCalendar FILE ('-' for stdout) "
            "instead of listing them.",
        ),
    ] = None,
    kind: IcsKind = CalendarKind.event,
    force: Force = False,
) -> None:
    """List plan steps, follow-ups and outcomes to record that are overdue, due today or due this week, oldest first."""
    if ctx.invoked_subcommand is not None:
        return
    from dealrescue.commands.todo import list_todo

    list_todo(on, fmt.value, ics, kind.value, force)


@todo_app.command("done")
def done(
    item_ids: Annotated[list[str], typer.Argument(metavar="ID...", help="Step or follow-up ids (or their first letters).")],
) -> None:
    """Tick steps or follow-ups off: todo done ID [ID ...]."""
    from dealrescue.commands.todo import mark_done

    mark_done(item_ids)
