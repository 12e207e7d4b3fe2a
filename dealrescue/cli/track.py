"""``dealrescue track``: how each verdict and score band of a playbook has fared."""

from pathlib import Path
from typing import Annotated

import typer

from dealrescue.cli.choices import TrackFormat
from dealrescue.cli.options import PlaybooksDir


def track_command(
    playbook: Annotated[
        str | None, typer.Argument(metavar="[PLAYBOOK]", help="A playbook id (default: every playbook with runs).", show_default=False)
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", metavar="YYYY-MM-DD", help="Only deals whose latest plan is dated on or after this day.")
    ] = None,
    fmt: Annotated[
        TrackFormat,
        typer.Option("--format", help="table: lines to read; json: the record per verdict and band; csv: one row per figure."),
    ] = TrackFormat.table,
    sources: Annotated[
        list[Path] | None,
        typer.Option(
            "--from", metavar="FILE.csv", dir_okay=False,
            help="Count from files written by `deals export --all` instead of your journal (repeat for a team's files).",
        ),
    ] = None,
    figure: Annotated[
        str | None,
        typer.Option("--runs", metavar="VERDICT", help="List the runs behind one figure: a verdict id, or SCORE.BAND."),
    ] = None,
    playbooks_dir: PlaybooksDir = None,
) -> None:
    """Show how each verdict and score band of a playbook has fared, from the outcomes recorded.

    Per verdict and per band: runs, outcomes, successes, and from 5 outcomes on the rate with its 95% Wilson interval.

    Each deal counts once, by its latest run.

    Example: dealrescue track triage
    """
    from dealrescue.commands.track import track

    track(playbook, since, fmt.value, list(sources or []), figure, playbooks_dir)
