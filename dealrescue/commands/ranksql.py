"""``dealrescue rank --sql``: print the playbook's scoring as one SQL query."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dealrescue.catalog import finder as catalog
from dealrescue.commands.common import day_first
from dealrescue.core.rank.sqltext import DIALECTS
from dealrescue.errors import UsageError


def print_sql(playbook: str, dialect: str, table: str | None, columns_from: Path | None, playbooks_dir: Path | None,
              by: str | None = None, dayfirst: bool = False, *, mapping: list[str] | None = None,
              map_file: Path | None = None, encoding: str | None = None, delimiter: str | None = None) -> None:
    """The query on stdout; with ``columns_from``, for the columns of that export's header, matched as
    ``rank`` matches them (``--map``/``--map-file`` included)."""
    if dialect not in DIALECTS:
        raise UsageError(f"--dialect {dialect!r} is not known", hint=f"use one of: {', '.join(DIALECTS)}")
    if not table:
        raise UsageError("--sql needs --table NAME: the table that holds the export's columns",
                         hint="dealrescue rank --sql --table crm_export [--dialect postgres] [--columns-from FILE.csv]")
    compiled, _origin = catalog.load(playbook, playbooks_dir)
    from dealrescue.commands.rank import column_mapping
    from dealrescue.core.rank import score_order
    from dealrescue.core.rank.sqlquery import ranking_sql
    from dealrescue.core.rank.sqltext import SqlUnavailable

    if by == "amount":
        raise UsageError("--sql ranks by the playbook's scores; --by amount is for rank FILE",
                         hint="rank --sql --by SCORE_ID, then weight by amount in the warehouse if needed")
    order = score_order(compiled, by)
    pairs = column_mapping(mapping or [], map_file)
    if columns_from is not None:
        from dealrescue.commands.rankfile import read_columns
        from dealrescue.commands.rankinput import export_path, export_text

        columns_from = export_path(columns_from)
        with export_text(columns_from, str(columns_from), encoding, delimiter) as (path, how):
            columns = read_columns(path, compiled, mapping=pairs, source=str(columns_from), delimiter=how.delimiter)
        from dealrescue.core.rank.columns import missing_columns_note

        note = missing_columns_note(columns, compiled)
        if note is not None:  # the query reads such a question as rank does: blank cells
            from dealrescue.core.mdescape import strip_controls
            from dealrescue.ui import terminal

            terminal.notice(strip_controls(f"{columns_from}: {note}"))
    elif pairs:
        raise UsageError("--map and --map-file name columns of an export: give its header with --columns-from FILE.csv")
    else:
        columns = None
    # The plan date as rank takes it: today, on this machine's clock.
    today = dt.date.today().isoformat()
    try:
        query = ranking_sql(compiled, table, dialect, columns, order, today=today, dayfirst=day_first(dayfirst))
    except SqlUnavailable as exc:
        if not compiled.playbook.scores:
            raise
        said = exc.message if exc.message.startswith("playbook ") else (
            f"playbook {compiled.id} cannot be ranked in SQL: {exc.message}")
        raise SqlUnavailable(said, hint=f"rank the export itself, with the same rules: dealrescue rank FILE.csv -p {playbook}") from None
    from dealrescue.ui.output import emit

    # Labels and CSV header names are in the query: on a terminal, shown, never acted on.
    emit(query, None)
