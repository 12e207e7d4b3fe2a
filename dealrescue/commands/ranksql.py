"""``dealrescue rank --sql``: print the playbook's scoring as one SQL query."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from dealrescue.catalog import finder as catalog
from dealrescue.commands.common import day_first
from dealrescue.core.rank.sqltext import DIALECTS
from dealrescue.errors import UsageError


def print_sql(playbook: str, dialect: str, table: str | None, file: Path | None, playbooks_dir: Path | None,
              by: str | None = None, dayfirst: bool = False) -> None:
    """The query on stdout; with FILE, its header names the columns the query reads."""
    if dialect not in DIALECTS:
        raise UsageError(f"--dialect {dialect!r} is not known", hint=f"use one of: {', '.join(DIALECTS)}")
    if not table:
        raise UsageError("--sql needs --table NAME: the table that holds the export's columns",
                         hint="dealrescue rank --sql --table crm_export [--dialect postgres]")
    compiled, _origin = catalog.load(playbook, playbooks_dir)
    from dealrescue.core.rank import score_order
    from dealrescue.core.rank.sqlquery import ranking_sql
    from dealrescue.core.rank.sqltext import SqlUnavailable

    if by == "amount":
        raise UsageError("--sql ranks by the playbook's scores; --by amount is for rank FILE",
                         hint="rank --sql --by SCORE_ID, then weight by amount in the warehouse if needed")
    order = score_order(compiled, by)
    header = _header(file) if file is not None else None
    # The plan date as rank takes it: today, on this machine's clock.
    today = dt.date.today().isoformat()
    try:
        query = ranking_sql(compiled, table, dialect, header, order, today=today, dayfirst=day_first(dayfirst))
    except SqlUnavailable as exc:
        if not compiled.playbook.scores:
            raise
        said = exc.message if exc.message.startswith("playbook ") else (
            f"playbook {compiled.id} cannot be ranked in SQL: {exc.message}")
        raise SqlUnavailable(said, hint=f"rank the export itself, with the same rules: dealrescue rank FILE.csv -p {playbook}") from None
    sys.stdout.write(query)
    sys.stdout.flush()


def _header(file: Path) -> list[str]:
    import csv

    try:
        with open(file, encoding="utf-8-sig", newline="") as handle:
            return next(csv.reader(handle), [])
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror}", hint="check the path of the CSV export") from None
