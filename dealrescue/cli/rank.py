"""``dealrescue rank``: flags in, one call to ``dealrescue.commands.rank``."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from dealrescue.cli.choices import RankFormat
from dealrescue.cli.options import Force, Output, PlaybooksDir


def rank_command(
    file: Annotated[
        Optional[Path],
        typer.Argument(
            metavar="FILE.csv",
            help="A CSV export (- for standard input): a deal (or account) column, then one column per question id "
                 "(any case; spaces or - for _).",
            show_default=False,
        ),
    ] = None,
    playbook: Annotated[
        str, typer.Option("--playbook", "-p", metavar="ID",
                          help="The playbook to score with (an id or a path; default qualify, for open deals).")
    ] = "qualify",
    by: Annotated[
        Optional[str],
        typer.Option("--by", metavar="SCORE_ID|amount",
                     help="Rank by this score first (default: the scores in playbook order); amount: the first score "
                          "times the amount."),
    ] = None,
    fmt: Annotated[
        Optional[RankFormat],
        typer.Option("--format", metavar="table|csv|json|html", help="Default: a table on a terminal, CSV otherwise."),
    ] = None,
    output: Output = None,
    force: Force = False,
    playbooks_dir: PlaybooksDir = None,
    amount: Annotated[
        Optional[str],
        typer.Option("--amount", metavar="COLUMN", help="The amount column (default: guessed from Amount, ARR, ACV...)."),
    ] = None,
    encoding: Annotated[
        Optional[str],
        typer.Option("--encoding", metavar="NAME",
                     help="The file's encoding, e.g. cp1252 or utf-16 (default: found: a byte order mark says it, "
                          "else UTF-8, else Windows-1252 as a European Excel saves CSV; the summary names it)."),
    ] = None,
    delimiter: Annotated[
        Optional[str],
        typer.Option("--delimiter", metavar=",|;|tab",
                     help="What separates the cells (default: found from the header line; Excel in Europe and "
                          "Dynamics 365 write ;, Excel's Unicode Text tabs)."),
    ] = None,
    dayfirst: Annotated[
        bool, typer.Option("--dayfirst", help="Read 03/04/2027 and 03.04.2027 as 3 April (default: US month first; also DEALRESCUE_DAYFIRST=1).")
    ] = False,
    wide: Annotated[bool, typer.Option("--wide", help="The table shows every reason, not only the top one.")] = False,
    top: Annotated[
        Optional[int],
        typer.Option("--top", metavar="N", help="The table shows the first N rows (default: what fits the terminal)."),
    ] = None,
    raw: Annotated[
        bool, typer.Option("--raw", help="CSV cells as they are: no quote before a cell a spreadsheet would run.")
    ] = False,
    explain: Annotated[
        bool, typer.Option("--explain-columns", help="Say which column feeds which question, then stop.")
    ] = False,
    mapping: Annotated[
        Optional[list[str]],
        typer.Option("--map", metavar="COLUMN=TARGET",
                     help="Which column feeds which question id, or the deal, owner, amount, close_date, stage or status "
                          "(repeatable), e.g. --map \"Identify Pain=pain\"."),
    ] = None,
    map_file: Annotated[
        Optional[Path],
        typer.Option("--map-file", metavar="FILE.yaml", help="The same as --map, as YAML lines: Identify Pain: pain."),
    ] = None,
    sources: Annotated[
        Optional[list[Path]],
        typer.Option("--from", metavar="EXPORT.csv", dir_okay=False,
                     help="Count the bands' track records from files written by `deals export --all` (a team's, "
                          "repeatable) instead of your journal. A band with 5 outcomes or more shows its record "
                          "in the chart and HTML, e.g. \"Weak: mostly hope · 2 of 5 won (12-77%)\"."),
    ] = None,
    sql: Annotated[
        bool, typer.Option("--sql", help="Print one SQL query computing the same ranking over a table (no FILE).")
    ] = False,
    dialect: Annotated[
        str, typer.Option("--dialect", metavar="duckdb|postgres|snowflake|bigquery", help="The SQL dialect for --sql.")
    ] = "duckdb",
    table: Annotated[
        Optional[str], typer.Option("--table", metavar="NAME", help="The table --sql reads (the export's columns).")
    ] = None,
    columns_from: Annotated[
        Optional[Path],
        typer.Option("--columns-from", metavar="FILE.csv",
                     help="With --sql: read only this export's header and write the query for its columns, matched "
                          "as rank matches them (--map and --map-file too)."),
    ] = None,
) -> None:
    """Score and rank many accounts or deals at once from a CSV export, by the playbook's scores.

    Commas, semicolons or tabs; UTF-8, UTF-16 or Windows-1252: the file is read as Excel or the CRM saved it, and the summary says how when it is not UTF-8 with commas. Blank cells and missing optional columns take the question's default; `dealrescue playbooks show ID --questions` lists the columns. Other columns (owner, amount, close date, stage...) are kept in every format. A cell that cannot be read is a warning (FILE:LINE: column COLUMN: problem) and the row is ranked without that answer; a row is left out only when it lacks a deal name or a required answer. Exit status: 0 when every row was ranked, 2 when a row was left out.

    Examples:

      dealrescue rank open-deals.csv                # MEDDPICC (qualify): a table and a chart

      dealrescue rank accounts.csv -p pulse         # accounts, most at risk of leaving first

      dealrescue rank pipeline.csv --by amount      # the first score weighted by the Amount column

      dealrescue rank accounts.csv > ranked.csv     # CSV when stdout is not a terminal

      dealrescue rank deals.csv -p recover --format html -o ranked.html

      dealrescue rank angebote.csv --dayfirst       # a European Excel export: 15.01.2027 dates

      dealrescue rank open-deals.csv --from team-runs.csv   # each band with its record, from a team export

      dealrescue rank --sql --dialect postgres --table crm_export

      dealrescue rank --sql --table crm_export --columns-from export.csv   # the query for that export's columns
    """  # noqa: E501
    if sql:
        from dealrescue.commands.ranksql import print_sql
        from dealrescue.errors import UsageError

        if sources:
            raise UsageError("--from goes with a ranking of a FILE, not with --sql (a query carries no track record)",
                             hint="dealrescue rank FILE.csv --from EXPORT.csv")

        print_sql(playbook, dialect, table, columns_from or file, playbooks_dir, by, dayfirst,
                  mapping=mapping or [], map_file=map_file, encoding=encoding, delimiter=delimiter)
        return
    from dealrescue.commands.rank import RankOptions, rank
    from dealrescue.errors import UsageError

    if file is None:
        raise UsageError("rank needs a CSV file", hint="dealrescue rank FILE.csv (or --sql --table NAME for SQL)")
    rank(
        RankOptions(
            file=file, playbook=playbook, by=by, format=fmt.value if fmt is not None else None, output=output, force=force,
            playbooks_dir=playbooks_dir, amount=amount, dayfirst=dayfirst, wide=wide, top=top, raw=raw,
            explain_columns=explain, mapping=mapping or [], map_file=map_file, sources=list(sources or []),
            encoding=encoding, delimiter=delimiter,
        )
    )
