"""What the ``deals`` commands do: list, show, export.

Each command takes plain arguments (strings, paths, flags). The journal
(sqlite3), rich and icalendar still load inside the functions that need them,
so a read command on a journal never made creates nothing and imports little.
Errors are raised as ``DealRescueError`` kin; ``dealrescue.cli.app.main`` turns
them into messages and exit codes.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealrescue.commands.common import note, open_existing_journal, parse_date, stdout_is_terminal
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


def _minute(stamp: str) -> str:
    """``2026-11-22T06:49:43.165728Z`` as ``2026-11-22 06:49 UTC``: the journal keeps the full stamp."""
    if len(stamp) >= 16 and stamp[10] == "T" and stamp.endswith("Z"):
        return f"{stamp[:10]} {stamp[11:16]} UTC"
    return stamp


def _playbook_of(run: RunRecord) -> tuple[str, Any]:
    """How to name where the run's playbook came from (``bundled`` or its path), and its questions
    by id when the file can still be read (for labels instead of ids)."""
    from dealrescue import paths
    from dealrescue.catalog import finder

    source = Path(run.playbook_source)
    try:
        bundled = source.resolve().parent == paths.bundled_playbooks_dir().resolve()
    except OSError:
        bundled = False
    questions: dict[str, Any] = {}
    try:
        compiled = finder.load_file(source) if source.is_file() else None
    except Exception:  # noqa: BLE001 - a file changed or broken since: show ids, as recorded
        compiled = None
    if compiled is not None and compiled.id == run.playbook_id:
        questions = {q.id: q for q in compiled.playbook.questions}
    return ("bundled" if bundled else run.playbook_source), questions


def _nested(plan_markdown: str) -> list[str]:
    """The plan under the run's own heading: each of its headings two levels down."""
    return [f"##{line}" if re.match(r"#{1,4} ", line) else line for line in plan_markdown.rstrip("\n").split("\n")]


def show_deal(run_id: str, *, pager: bool = True) -> None:
    """``deals show``: one run as markdown (rendered on a terminal, through a pager when long)."""
    from dealrescue.core.answers import display_answer
    from dealrescue.core.mdescape import escape_inline as esc

    journal = open_existing_journal()
    if journal is None:
        raise UsageError(f"no run with id {run_id!r}: the journal is empty", hint="see `dealrescue deals list`")
    with journal:
        run = journal.get_run(run_id)
        items = journal.items_for_run(run.id)
        replaces, replaced_by = journal.relations(run.id)
    origin, questions = _playbook_of(run)
    # Ids, dates and statuses are ours and safe; everything typed or written in a playbook is escaped.
    lines = [
        f"# {esc(run.deal) or '(no deal name)'}",
        "",
        f"- id: {run.id}",
        f"- playbook: {run.playbook_id} v{run.playbook_version} ({esc(origin)})",
        f"- plan date: {run.plan_date}",
        f"- status: {run.status.replace('_', ' ')}",
        f"- recorded: {_minute(run.created_at)} (last change {_minute(run.updated_at)})",
    ]
    if replaces is not None:
        lines.append(f"- replaces run {replaces} (a re-run with changed answers; its open steps and follow-ups were closed)")
    if replaced_by:
        lines.append(f"- replaced by run {', '.join(replaced_by)} (re-run with changed answers; see that run's plan)")
    lines += ["", "## Answers", ""]
    for qid, value in run.answers.items():
        q = questions.get(qid)
        shown = display_answer(q, value) if q is not None and value is not None else _format_answer(value)
        lines.append(f"- **{esc(q.prompt)}** {esc(shown)}" if q is not None else f"- {qid}: {esc(shown)}")
    if not run.answers:
        lines.append("(none yet)")
    lines += ["", "## Verdict", ""]
    if run.verdict_id is not None:
        lines.append(esc(run.verdict_title or run.verdict_id))
    else:
        state = run.status.replace("_", " ")
        lines.append(f"(none yet: the run is {state}; continue it with `dealrescue resume {run.id}`)")
    for kind, heading in (("step", "Steps"), ("followup", "Follow-ups")):
        chosen = [i for i in items if i.kind == kind]
        if chosen:
            lines += ["", f"## {heading}", ""]
            lines += [
                f"- [{'x' if i.done_at else ' '}] {i.due} {esc(i.text)} (id {i.id}"
                f"{', superseded by a newer run' if i.superseded_at and not i.done_at else ''})"
                for i in chosen
            ]
    if run.plan_markdown is not None:
        lines += ["", "## Plan", "", *_nested(run.plan_markdown)]
    markdown = "\n".join(lines) + "\n"
    if stdout_is_terminal():
        from dealrescue.ui.console import show_markdown

        show_markdown(markdown, pager=pager)
        return
    sys.stdout.write(markdown)
    sys.stdout.flush()


def export_deal(
    run_id: str, fmt: str, output: Path | None, force: bool, *, email: bool = False, number: int | None = None
) -> None:
    """``deals export``: the stored plan (``fmt`` ``markdown`` or ``json``), or with ``email`` draft
    ``number`` (default 1) as plain text, to stdout or, atomically, to ``output``."""
    if number is not None and not email:
        raise UsageError(f"{number} names an email draft: give it with --email", hint=f"dealrescue deals export {run_id} --email {number}")
    if email and fmt == "json":
        raise UsageError("--email prints one draft as plain text; it does not take --format json", hint="drop one of them")
    draft = (number or 1) if email else None
    run = _get_run(run_id)
    text = run.plan_json if fmt == "json" or draft is not None else run.plan_markdown
    if run.status != "done" or text is None:
        raise UsageError(
            f"run {run.id} has no plan yet (it is {run.status.replace('_', ' ')})",
            hint=f"finish it with `dealrescue resume {run.id}`",
        )
    if draft is not None:
        text = _email_text(run.id, text, draft)
    if not text.endswith("\n"):
        text += "\n"
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from dealrescue.ui.output import write_atomic

    write_atomic(output, text, force=force)
    what = f"email draft {draft}" if draft is not None else "the plan"
    note(f"Wrote {what} of run {run.id} ({run.deal}) to {output}.")


def _email_text(run_id: str, plan_json: str, number: int) -> str:
    """Email draft ``number`` (from 1) of a stored plan, as plain text."""
    import json

    from dealrescue.core.render.email import plain_email

    emails = json.loads(plan_json).get("emails", [])
    if not emails:
        raise UsageError(f"run {run_id}'s plan has no email drafts", hint="export the plan without --email")
    if number > len(emails):
        raise UsageError(
            f"run {run_id}'s plan has {len(emails)} email draft(s); there is no draft {number}",
            hint=f"use --email 1{f' to --email {len(emails)}' if len(emails) > 1 else ''}",
        )
    draft = emails[number - 1]
    return plain_email(str(draft["subject"]), str(draft["body"]))
