"""``dealrescue outcome``: what happened to a deal after its plan."""

from typing import Annotated

import typer

from dealrescue.cli.options import PlaybooksDir


def outcome_command(
    run_id: Annotated[str, typer.Argument(metavar="RUN", help="A run id (or its first letters).", show_default=False)],
    result: Annotated[
        str, typer.Argument(metavar="RESULT", help="One of the run's playbook's outcome ids (e.g. won_back, lost).", show_default=False)
    ],
    note: Annotated[
        str | None,
        typer.Option("--note", metavar="TEXT", help="A line about what happened (kept in the journal; at most 10,000 characters)."),
    ] = None,
    on: Annotated[
        str | None, typer.Option("--date", metavar="YYYY-MM-DD", help="When it happened (default today).")
    ] = None,
    playbooks_dir: PlaybooksDir = None,
) -> None:
    """Record what happened to the deal after a run's plan: one of its playbook's outcomes.

    Recording it again changes it; every outcome recorded stays in the run's history.

    A run that a re-run replaced passes its outcome on to the run that replaced it.

    Example: dealrescue outcome 7k2m9p won_back --note "signed after the pilot"
    """
    from dealrescue.commands.outcome import record_outcome

    record_outcome(run_id, result, note, on, playbooks_dir)
