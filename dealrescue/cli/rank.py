"""``dealrescue rank``: flags in, one call to ``dealrescue.commands.rank.rank``."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from dealrescue.cli.options import Force, Output, PlaybooksDir, RankFormat


def rank_command(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE.csv",
            help="A CSV export: a deal (or account) column, then one column per question id (any case; spaces or - for _).",
            show_default=False,
        ),
    ],
    playbook: Annotated[
        str, typer.Option("--playbook", "-p", metavar="ID", help="The playbook to score with (an id or a path).")
    ] = "pulse",
    by: Annotated[
        Optional[str],
        typer.Option("--by", metavar="SCORE_ID", help="Rank by this score first (default: the scores in playbook order)."),
    ] = None,
    fmt: Annotated[
        Optional[RankFormat],
        typer.Option("--format", metavar="table|csv|json", help="Default: a table on a terminal, CSV otherwise."),
    ] = None,
    output: Output = None,
    force: Force = False,
    playbooks_dir: PlaybooksDir = None,
) -> None:
    """Score and rank many accounts or deals at once from a CSV export, most at risk first.

    Blank cells and missing optional columns take the question's default; `dealrescue playbooks show ID --questions` lists the columns. A bad row is reported on stderr as FILE:LINE: column COLUMN: problem; the other rows are still ranked, and the exit status is 2.

    Examples:

      dealrescue rank accounts.csv                  # a table, most at risk first

      dealrescue rank accounts.csv > ranked.csv     # CSV when stdout is not a terminal

      dealrescue rank deals.csv -p recover --format json -o ranked.json
    """  # noqa: E501
    from dealrescue.commands.rank import RankOptions, rank

    rank(
        RankOptions(
            file=file,
            playbook=playbook,
            by=by,
            format=fmt.value if fmt is not None else None,
            output=output,
            force=force,
            playbooks_dir=playbooks_dir,
        )
    )
