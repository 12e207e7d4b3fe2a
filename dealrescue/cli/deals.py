"""`dealrescue deals`: the journal of past runs (list, show, export).

Only typer is imported at the top: each command imports ``dealrescue.commands.deals``
(and with it the journal and the output helpers) when it runs, so ``dealrescue --help``
stays fast. Errors are raised as ``DealRescueError`` kin; ``dealrescue.cli.failures``
turns them into messages and exit codes.
"""

from typing import Annotated

import typer

from dealrescue.cli.choices import ExportFormat, ListFormat
from dealrescue.cli.options import Force, KeptFormat, Output, PlanDate, playbook_flags
from dealrescue.commands.flags import PlaybookFlags, flag_values
from dealrescue.core.status import ShownStatus

deals_app = typer.Typer(
    help="The journal of past runs: list them, show one, export its plan.",
    no_args_is_help=True,
)


@deals_app.command("list")
def list_runs(
    deal: Annotated[
        str | None, typer.Option("--deal", metavar="TEXT", help="Only deals whose name contains TEXT (any case).")
    ] = None,
    playbook: Annotated[
        str | None, typer.Option("--playbook", metavar="ID", help="Only runs of this playbook.")
    ] = None,
    status: Annotated[ShownStatus | None, typer.Option("--status", help="Only runs with this status.")] = None,
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
def show(
    run_id: Annotated[str, typer.Argument(metavar="ID", help="A run id (or its first letters).")],
    no_pager: Annotated[
        bool, typer.Option("--no-pager", help="On a terminal, print it all instead of paging ($PAGER, or less).")
    ] = False,
) -> None:
    """Show one run as markdown: its answers, verdict, steps and follow-ups (done or not) and plan."""
    from dealrescue.commands.deals import show_deal

    show_deal(run_id, pager=not no_pager)


@deals_app.command("rerun")
@playbook_flags
def rerun(
    run_id: Annotated[str, typer.Argument(metavar="ID", help="A finished run's id (or its first letters).")],
    fmt: KeptFormat = None,
    date: PlanDate = None,
    *,
    flags: PlaybookFlags,
) -> None:
    """Run a finished run again with its answers, changed by --set/--answers (and, on a terminal, the review screen).

    The new run records that it replaces the old one, whose open follow-ups are closed as superseded.
    """
    from dealrescue.commands.resume import ResumeOptions, rerun

    rerun(ResumeOptions(run_id=run_id, format=fmt.value if fmt is not None else None, date=date, **flag_values(flags)))


@deals_app.command("export")
def export_command(
    run_id: Annotated[
        str | None, typer.Argument(metavar="[ID]", help="A run id (or its first letters); leave out with --all.", show_default=False)
    ] = None,
    fmt: Annotated[
        ExportFormat | None,
        typer.Option("--format", help="One run's plan as markdown (default) or JSON; with --all, csv (the default there).", show_default=False),
    ] = None,
    output: Output = None,
    force: Force = False,
    email: Annotated[
        bool,
        typer.Option("--email", help="Only one email draft, as plain text: a Subject line, a blank line, the body."),
    ] = False,
    number: Annotated[
        int | None,
        typer.Argument(metavar="[N]", min=1, show_default=False, help="With --email: which draft (default 1)."),
    ] = None,
    every: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Every run as CSV (playbook, version, verdict, bands, dates, outcome) for a team's track record: "
            "dealrescue track PLAYBOOK --from FILE.csv.",
        ),
    ] = False,
    with_answers: Annotated[
        bool, typer.Option("--with-answers", help="With --all: add each run's answers and the outcome's note (customer notes: keep them private).")
    ] = False,
) -> None:
    """Print (or write to a file) the plan a finished run made, exactly as stored; or one email draft; or, with --all, every run as CSV."""
    from dealrescue.commands.deals import export

    export(run_id, fmt.value if fmt is not None else None, output, force, email=email, number=number, every=every, with_answers=with_answers)
