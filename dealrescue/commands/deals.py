"""What the ``deals`` commands do: list, show, export.

Each command takes plain arguments (strings, paths, flags). The journal
(sqlite3), rich and icalendar still load inside the functions that need them,
so a read command on a journal never made creates nothing and imports little.
Errors are raised as ``DealRescueError`` kin; ``dealrescue.cli.app.main`` turns
them into messages and exit codes.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealrescue.commands.common import journal_hints, note, open_existing_journal, parse_date, stdout_is_terminal
from dealrescue.errors import UsageError
from dealrescue.ui.tables import print_table, write_json, write_tsv

if TYPE_CHECKING:
    from dealrescue.journal import RunRecord, RunSummary


def _summary_json(run: RunSummary) -> dict[str, Any]:
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


def list_deals(
    deal: str | None,
    playbook: str | None,
    status: str | None,
    since: str | None,
    until: str | None,
    limit: int | None,
    fmt: str,
) -> None:
    """``deals list``: recorded runs, newest first; ``fmt`` is ``table`` or ``json``."""
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
                status=status,
                since=since_s,
                until=until_s,
                limit=limit,
            )
            total = len(runs) if runs else journal.count_runs()
    if fmt == "json":
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


def _get_run(run_id: str) -> RunRecord:
    journal = open_existing_journal()
    if journal is None:
        raise UsageError(f"no run with id {run_id!r}: the journal is empty", hint="see `dealrescue deals list`")
    with journal, journal_hints():
        return _reported(journal.get_run(run_id))


def _reported(run: RunRecord) -> RunRecord:
    """Say which parts of a damaged row were left out; the rest of the run is still shown."""
    for problem in run.problems:
        note(f"warning: run {run.id}: {problem}")
    return run


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


def _minute(stamp: str) -> str:
    """``2026-11-22T06:49:43.165728Z`` as ``2026-11-22 06:49 UTC``: the journal keeps the full stamp."""
    if len(stamp) >= 16 and stamp[10] == "T" and stamp.endswith("Z"):
        return f"{stamp[:10]} {stamp[11:16]} UTC"
    return stamp


def show_deal(run_id: str) -> None:
    """``deals show``: one run as markdown (rendered on a terminal)."""
    from dealrescue.core.mdescape import escape_inline as esc

    journal = open_existing_journal()
    if journal is None:
        raise UsageError(f"no run with id {run_id!r}: the journal is empty", hint="see `dealrescue deals list`")
    with journal, journal_hints():
        run = _reported(journal.get_run(run_id))
        followups = journal.followups_for_run(run.id)
    # Ids, dates and statuses are ours and safe; everything typed or written in a playbook is escaped.
    lines = [
        f"# {esc(run.deal) or '(no deal name)'}",
        "",
        f"- id: {run.id}",
        f"- playbook: {run.playbook_id} v{run.playbook_version} ({esc(run.playbook_source)})",
        f"- plan date: {run.plan_date}",
        f"- status: {run.status.replace('_', ' ')}",
        f"- recorded: {_minute(run.created_at)} (last change {_minute(run.updated_at)})",
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
        from dealrescue.ui.console import show_markdown

        show_markdown(markdown)
        return
    sys.stdout.write(markdown)
    sys.stdout.flush()


def export_deal(run_id: str, fmt: str, output: Path | None, force: bool) -> None:
    """``deals export``: the stored plan (``fmt`` ``markdown`` or ``json``) to stdout or, atomically, to ``output``."""
    run = _get_run(run_id)
    text = run.plan_json if fmt == "json" else run.plan_markdown
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
    from dealrescue.ui.output import write_atomic

    write_atomic(output, text, force=force)
    note(f"Wrote the plan of run {run.id} ({run.deal}) to {output}.")
