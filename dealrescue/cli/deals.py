"""`dealrescue deals`: the journal of past runs (list, show, export).

Only typer is imported at the top: the journal (sqlite3) and the output
helpers load inside the commands, so ``dealrescue --help`` stays fast.
Errors are raised as ``DealRescueError`` kin; ``dealrescue.cli.app.main``
turns them into messages and exit codes.
"""

import enum
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dealrescue.errors import UsageError

if TYPE_CHECKING:
    from dealrescue.journal import Journal, RunRecord, RunSummary

deals_app = typer.Typer(
    help="The journal of past runs: list them, show one, export its plan.",
    no_args_is_help=True,
)


class Status(str, enum.Enum):
    in_progress = "in_progress"
    interrupted = "interrupted"
    done = "done"


class ListFormat(str, enum.Enum):
    table = "table"
    json = "json"


class ExportFormat(str, enum.Enum):
    markdown = "markdown"
    json = "json"


# --------------------------------------------------------------------- helpers shared with followups


def parse_date(value: str | None, flag: str) -> str | None:
    """``value`` checked as YYYY-MM-DD, or a UsageError naming ``flag``."""
    if value is None:
        return None
    from datetime import date

    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise UsageError(f"{flag} {value!r} is not a date", hint="write dates as YYYY-MM-DD") from None


def open_existing_journal() -> "Journal | None":
    """The journal, or None when none was ever made (a read command does not create one)."""
    from dealrescue import paths
    from dealrescue.journal import Journal

    path = paths.journal_path()
    if not path.exists():
        return None
    return Journal.open(path)


def note(message: str) -> None:
    """A message for the person at the terminal: on stderr, never mixed into stdout."""
    from dealrescue.terminal import notice

    notice(message)


def stdout_is_terminal() -> bool:
    from dealrescue import terminal

    return terminal.stdout_is_terminal()


_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_BREAKS = re.compile("\r\n|[\r\n\t\u2028\u2029]")


def one_line(value: object) -> str:
    """Text safe for one cell: line breaks and tabs as spaces, other control characters made visible."""
    text = "" if value is None else str(value)
    if not _UNSAFE.search(text):
        return text
    from dealrescue.core.mdescape import strip_controls

    return strip_controls(_BREAKS.sub(" ", text))


def tsv_cell(value: object) -> str:
    """One field of a tab-separated line: ``-`` when empty, no tabs, line breaks or escape codes."""
    text = one_line(value)
    return text if text else "-"


_UNSAFE_BUT_TAB = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def write_tsv(rows: Sequence[Sequence[object]]) -> None:
    """Tab-separated lines, one per row; quick for the common row that needs no cleaning."""
    lines = []
    for row in rows:
        line = "\t".join(["-" if c is None or c == "" else str(c) for c in row])
        if line.count("\t") != len(row) - 1 or _UNSAFE_BUT_TAB.search(line):
            line = "\t".join([tsv_cell(c) for c in row])
        lines.append(line + "\n")
    sys.stdout.write("".join(lines))
    sys.stdout.flush()


# A cell is text, or (text, SGR code) to colour it, e.g. ("OVERDUE", "1;31").
Cell = Any


def _width(text: str) -> int:
    import unicodedata

    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _clip(text: str, width: int) -> str:
    if _width(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = _width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "\u2026"


def print_table(
    headers: Sequence[str], rows: Sequence[Sequence[Cell]], *, key_column: int = 0, flex: Sequence[int] = ()
) -> None:
    """An aligned table for a terminal; ``flex`` columns are shortened (with an ellipsis) to fit its width.

    Colour only when allowed (``NO_COLOR``, ``TERM=dumb``); cell text never carries escape codes.
    """
    import shutil

    from dealrescue.terminal import color_allowed

    color = color_allowed()
    texts = [[one_line(c[0] if isinstance(c, tuple) else c) for c in row] for row in rows]
    codes = [[c[1] if isinstance(c, tuple) else None for c in row] for row in rows]
    widths = [max([_width(h)] + [_width(r[i]) for r in texts]) for i, h in enumerate(headers)]
    room = shutil.get_terminal_size((100, 24)).columns - 2 * (len(headers) - 1)
    while sum(widths) > room:
        shrinkable = [i for i in flex if widths[i] > max(12, _width(headers[i]))]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: widths[i])
        widths[widest] -= 1

    def paint(text: str, code: str | None) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color and code else text

    def line(cells: Sequence[str], cell_codes: Sequence[str | None]) -> str:
        parts = []
        for i, text in enumerate(cells):
            shown = _clip(text, widths[i])
            pad = " " * (widths[i] - _width(shown)) if i < len(cells) - 1 else ""
            parts.append(paint(shown, cell_codes[i]) + pad)
        return "  ".join(parts).rstrip()

    out = [line(list(headers), ["1"] * len(headers))]
    for row, row_codes in zip(texts, codes, strict=True):
        if key_column < len(row_codes) and row_codes[key_column] is None:
            row_codes = [*row_codes]
            row_codes[key_column] = "1;36"
        out.append(line(row, row_codes))
    sys.stdout.write("\n".join(out) + "\n")
    sys.stdout.flush()


def write_json(data: Any) -> None:
    import json

    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


def _summary_json(run: "RunSummary") -> dict[str, Any]:
    return {
        "id": run.id,
        "date": run.plan_date,
        "deal": run.deal,
        "playbook": {"id": run.playbook_id, "version": run.playbook_version},
        "status": run.status,
        "verdict": None if run.verdict_id is None else {"id": run.verdict_id, "title": run.verdict_title},
        "created_at": run.created_at,
        "updated_at": run.updated_at,
    }


# --------------------------------------------------------------------------------- commands


@deals_app.command("list")
def list_runs(
    deal: Annotated[
        str | None, typer.Option("--deal", metavar="TEXT", help="Only deals whose name contains TEXT (any case).")
    ] = None,
    playbook: Annotated[
        str | None, typer.Option("--playbook", metavar="ID", help="Only runs of this playbook.")
    ] = None,
    status: Annotated[Status | None, typer.Option("--status", help="Only runs with this status.")] = None,
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
    since_s = parse_date(since, "--since")
    until_s = parse_date(until, "--until")
    journal = open_existing_journal()
    if journal is None:
        runs: list[RunSummary] = []
        total = 0
    else:
        with journal:
            runs = journal.list_summaries(
                deal=deal,
                playbook=playbook,
                status=status.value if status else None,
                since=since_s,
                until=until_s,
                limit=limit,
            )
            total = len(runs) if runs else journal.count_runs()
    if fmt is ListFormat.json:
        write_json([_summary_json(r) for r in runs])
    elif not runs:
        pass
    elif stdout_is_terminal():
        print_table(
            ["ID", "Date", "Deal", "Playbook", "Status", "Verdict"],
            [
                (r.id, r.plan_date, r.deal, r.playbook_id, r.status.replace("_", " "), r.verdict_title or "")
                for r in runs
            ],
            flex=[2, 5],
        )
    else:
        write_tsv([(r.id, r.plan_date, r.deal, r.playbook_id, r.status, r.verdict_id) for r in runs])
    if not runs:
        if total == 0:
            note("No runs recorded yet: the journal is empty. Runs are recorded as you answer a playbook.")
        else:
            note(f"No runs match those filters ({total} recorded in all).")


def _get_run(run_id: str) -> "RunRecord":
    journal = open_existing_journal()
    if journal is None:
        raise UsageError(f"no run with id {run_id!r}: the journal is empty", hint="see `dealrescue deals list`")
    with journal:
        return journal.get_run(run_id)


def _format_answer(value: Any) -> str:
    """An answer as plain text (escaped for markdown by the caller)."""
    if value is None:
        return "(left empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_format_answer(v) for v in value) if value else "(none)"
    if isinstance(value, dict):
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)


@deals_app.command("show")
def show(run_id: Annotated[str, typer.Argument(metavar="ID", help="A run id (or its first letters).")]) -> None:
    """Show one run as markdown: its answers, verdict, follow-ups and plan."""
    from dealrescue.core.mdescape import escape_inline as esc

    journal = open_existing_journal()
    if journal is None:
        raise UsageError(f"no run with id {run_id!r}: the journal is empty", hint="see `dealrescue deals list`")
    with journal:
        run = journal.get_run(run_id)
        followups = journal.followups_for_run(run.id)
    # Ids, dates and statuses are ours and safe; everything typed or written in a playbook is escaped.
    lines = [
        f"# {esc(run.deal) or '(no deal name)'}",
        "",
        f"- id: {run.id}",
        f"- playbook: {run.playbook_id} v{run.playbook_version} ({esc(run.playbook_source)})",
        f"- plan date: {run.plan_date}",
        f"- status: {run.status.replace('_', ' ')}",
        f"- recorded: {run.created_at} (last change {run.updated_at})",
        "",
        "## Answers",
        "",
    ]
    if run.answers:
        lines += [f"- {qid}: {esc(_format_answer(value))}" for qid, value in run.answers.items()]
    else:
        lines.append("(none yet)")
    lines += ["", "## Verdict", ""]
    if run.verdict_id is not None:
        lines.append(f"{esc(run.verdict_title or '')} ({run.verdict_id})")
    else:
        state = run.status.replace("_", " ")
        lines.append(f"(none yet: the run is {state}; continue it with `dealrescue resume {run.id}`)")
    if followups:
        lines += ["", "## Follow-ups", ""]
        lines += [f"- [{'x' if f.done_at else ' '}] {f.due} {esc(f.text)} (id {f.id})" for f in followups]
    if run.plan_markdown is not None:
        lines += ["", "## Plan", "", run.plan_markdown.rstrip("\n")]
    markdown = "\n".join(lines) + "\n"
    if stdout_is_terminal():
        from dealrescue.console import show_markdown

        show_markdown(markdown)
        return
    sys.stdout.write(markdown)
    sys.stdout.flush()


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
    run = _get_run(run_id)
    text = run.plan_json if fmt is ExportFormat.json else run.plan_markdown
    if run.status != "done" or text is None:
        raise UsageError(
            f"run {run.id} has no plan yet (it is {run.status.replace('_', ' ')})",
            hint=f"finish it with `dealrescue resume {run.id}`",
        )
    if not text.endswith("\n"):
        text += "\n"
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from dealrescue.output import write_atomic

    write_atomic(output, text, force=force)
    note(f"Wrote the plan of run {run.id} ({run.deal}) to {output}.")
