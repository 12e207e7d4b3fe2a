"""What the ``deals`` commands do: list, show, export.

Each command takes plain arguments (strings, paths, flags). The journal
(sqlite3), rich and icalendar still load inside the functions that need them,
so a read command on a journal never made creates nothing and imports little.
Errors are raised as ``DealRescueError`` kin; ``dealrescue.cli.failures`` turns
them into messages and exit codes.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealrescue.commands.common import journal_hints, open_existing_journal, parse_date
from dealrescue.errors import JournalError, UsageError
from dealrescue.ui import terminal
from dealrescue.ui.listing_output import EMPTY, print_table, write_json, write_tsv

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from dealrescue.journal import RunRecord, TodoItem


# The columns of each listing form, as the journal names them.
_JSON_COLUMNS = (
    "id", "plan_date", "deal", "playbook_id", "playbook_version", "status",
    "verdict_id", "verdict_title", "created_at", "updated_at",
)
_TABLE_COLUMNS = ("id", "plan_date", "deal", "playbook_id", "status", "verdict_title")
_TSV_COLUMNS = ("id", "plan_date", "deal", "playbook_id", "status", "verdict_id")


def _summary_json(row: Sequence[Any]) -> dict[str, Any]:
    rid, plan_date, deal, playbook_id, version, status, verdict_id, verdict_title, created, updated = row
    return {
        "id": rid,
        "date": plan_date,
        "deal": deal,
        "playbook": {"id": playbook_id, "version": version},
        "status": status,
        "verdict": None if verdict_id is None else {"id": verdict_id, "title": verdict_title},
        "created_at": created,
        "updated_at": updated,
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
    """``deals list``: recorded runs, newest first; ``fmt`` is ``table`` or ``json``.

    Rows stream from the journal to stdout; only a terminal table (which needs every width) is held whole.
    """
    since_day = parse_date(since, "--since") if since is not None else None
    until_day = parse_date(until, "--until") if until is not None else None
    journal = open_existing_journal()

    def stream(columns: Sequence[str], empty: str | None = None) -> Iterator[list[tuple[Any, ...]]]:
        assert journal is not None
        return journal.stream_runs(
            columns, deal=deal, playbook=playbook, status=status, since=since_day, until=until_day, limit=limit, empty=empty
        )

    if journal is None:
        if fmt == "json":
            write_json([])
        listed = total = 0
    else:
        with journal:
            if fmt == "json":
                runs = [_summary_json(r) for batch in stream(_JSON_COLUMNS) for r in batch]
                write_json(runs)
                listed = len(runs)
            elif terminal.stdout_is_terminal():
                rows = [r for batch in stream(_TABLE_COLUMNS) for r in batch]
                if rows:
                    print_table(
                        ["ID", "Date", "Deal", "Playbook", "Status", "Verdict"],
                        [(i, d, n, p, s.replace("_", " "), v or "") for i, d, n, p, s, v in rows],
                        flex=[2, 5],
                    )
                listed = len(rows)
            else:
                listed = write_tsv(stream(_TSV_COLUMNS, EMPTY))
            total = listed or journal.count_runs()
    if not listed:
        if total == 0:
            terminal.notice("No runs recorded yet: the journal is empty. Runs are recorded as you answer a playbook.")
        else:
            terminal.notice(f"No runs match those filters ({total} recorded in all).")


def _get_run(run_id: str) -> RunRecord:
    journal = open_existing_journal()
    if journal is None:
        raise UsageError(f"no run with id {run_id!r}: the journal is empty", hint="see `dealrescue deals list`")
    with journal, journal_hints():
        return _reported(journal.get_run(run_id))


def _reported(run: RunRecord) -> RunRecord:
    """Say which parts of a damaged row were left out; the rest of the run is still shown."""
    for problem in run.problems:
        terminal.notice(f"warning: run {run.id}: {problem}")
    return run


def _answer_text(value: Any) -> str:
    """A stored answer as plain text (escaped for markdown by the caller): the one display, with words for empty."""
    from dealrescue.core.expressions import display_value

    if value is None:
        return "(left empty)"
    if value == []:
        return "(none)"
    return display_value(value)


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


def _closing(item: TodoItem) -> str:
    """Why an item was closed without being done."""
    return ", superseded by a newer run" if item.run_replaced else ", closed: the outcome is in"


def _nested(plan_markdown: str) -> list[str]:
    """The plan under the run's own heading: each of its headings two levels down."""
    return [f"##{line}" if re.match(r"#{1,4} ", line) else line for line in plan_markdown.rstrip("\n").split("\n")]


def show_deal(run_id: str, *, pager: bool = True) -> None:
    """``deals show``: one run as markdown (rendered on a terminal, through a pager when long)."""
    from dealrescue.core.answers import display_answer
    from dealrescue.core.mdescape import escape_inline as esc
    from dealrescue.core.status import shown_status

    journal = open_existing_journal()
    if journal is None:
        raise UsageError(f"no run with id {run_id!r}: the journal is empty", hint="see `dealrescue deals list`")
    with journal, journal_hints():
        run = _reported(journal.get_run(run_id))
        items = journal.items_for_run(run.id)
        replaces, replaced_by = journal.relations(run.id)
        from dealrescue.commands.outcome import outcome_lines

        outcome = outcome_lines(journal, run)
    origin, questions = _playbook_of(run)
    # Ids, dates and statuses are ours and safe; everything typed or written in a playbook is escaped.
    lines = [
        f"# {esc(run.deal) or '(no deal name)'}",
        "",
        f"- id: {run.id}",
        f"- playbook: {run.playbook_id} v{run.playbook_version} ({esc(origin)})",
        f"- plan date: {run.plan_date}",
        f"- status: {shown_status(run.status, run.options, bool(replaced_by)).replace('_', ' ')}",
        f"- recorded: {_minute(run.created_at)} (last change {_minute(run.updated_at)})",
    ]
    if replaces is not None:
        lines.append(f"- replaces run {replaces} (a re-run with changed answers; its open steps and follow-ups were closed)")
    if replaced_by:
        lines.append(f"- replaced by run {', '.join(replaced_by)} (re-run with changed answers; see that run's plan)")
    lines += ["", "## Answers", ""]
    # In the playbook's order, as they were asked: the journal keeps the order they were saved in,
    # and an answer changed at the review screen (or on a re-run) is saved after the others.
    place = {qid: index for index, qid in enumerate(questions)}
    for qid, value in sorted(run.answers.items(), key=lambda answer: place.get(answer[0], len(place))):
        q = questions.get(qid)
        shown = display_answer(q, value) if q is not None and value is not None else _answer_text(value)
        lines.append(f"- **{esc(q.prompt)}** {esc(shown)}" if q is not None else f"- {qid}: {esc(shown)}")
    if not run.answers:
        lines.append("(none yet)")
    lines += ["", "## Verdict", ""]
    if run.verdict_id is not None:
        lines.append(esc(run.verdict_title or run.verdict_id))
    else:
        state = run.status.replace("_", " ")
        lines.append(f"(none yet: the run is {state}; continue it with `dealrescue resume {run.id}`)")
    lines += outcome
    # An item closed without being done: by a re-run of the deal, or (steps) once the outcome was recorded.
    for kind, heading in (("step", "Steps"), ("followup", "Follow-ups")):
        chosen = [i for i in items if i.kind == kind]
        if chosen:
            lines += ["", f"## {heading}", ""]
            lines += [
                f"- [{'x' if i.done_at else ' '}] {i.due} {esc(i.text)} (id {i.id}"
                f"{_closing(i) if i.superseded_at and not i.done_at else ''})"
                for i in chosen
            ]
    if run.plan_markdown is not None:
        lines += ["", "## Plan", "", *_nested(run.plan_markdown)]
    markdown = "\n".join(lines) + "\n"
    if terminal.stdout_is_terminal():
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
    if fmt == "csv":
        raise UsageError("one run's plan is markdown or json; csv is the export of every run", hint="dealrescue deals export --all --format csv")
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
    elif fmt == "json":
        from dealrescue.core.mdescape import json_safe

        text = json_safe(text)  # a plan stored by an older version may hold C1 or bidi controls raw
    if not text.endswith("\n"):
        text += "\n"
    from dealrescue.ui.output import emit

    what = f"email draft {draft}" if draft is not None else "the plan"
    emit(text, output, force=force, written=f"Wrote {what} of run {run.id} ({run.deal}) to {output}.")


def export(
    run_id: str | None,
    fmt: str | None,
    output: Path | None,
    force: bool,
    *,
    email: bool = False,
    number: int | None = None,
    every: bool = False,
    with_answers: bool = False,
) -> None:
    """``deals export``: one run's plan (``export_deal``), or with ``every`` all runs as CSV (``runs_csv``)."""
    if with_answers and not every:
        raise UsageError(
            "--with-answers adds answers to the export of every run: give --all too", hint="dealrescue deals export --all --with-answers"
        )
    if every:
        if run_id is not None or email:
            raise UsageError("--all exports every run: it takes no run id and no --email", hint="dealrescue deals export --all --format csv")
        from dealrescue.commands.runs_csv import export_all

        export_all(fmt or "csv", output, force, with_answers)
        return
    if run_id is None:
        raise UsageError("deals export needs a run id, or --all for every run", hint="dealrescue deals export ID, or deals export --all --format csv")
    export_deal(run_id, fmt or "markdown", output, force, email=email, number=number)


def _email_text(run_id: str, plan_json: str, number: int) -> str:
    """Email draft ``number`` (from 1) of a stored plan, as plain text."""
    import json

    from dealrescue.core.render.email import plain_email

    try:
        document = json.loads(plan_json)
    except ValueError:
        document = None
    emails = document.get("emails", []) if isinstance(document, dict) else None
    if not isinstance(emails, list) or not all(isinstance(e, dict) and "subject" in e and "body" in e for e in emails):
        raise JournalError(
            f"run {run_id}'s stored plan is damaged (its JSON is not a plan document), so its email drafts cannot be read",
            hint=f"the plan as markdown may still be whole: dealrescue deals export {run_id}",
        )
    if not emails:
        raise UsageError(f"run {run_id}'s plan has no email drafts", hint="export the plan without --email")
    if number > len(emails):
        raise UsageError(
            f"run {run_id}'s plan has {len(emails)} email draft(s); there is no draft {number}",
            hint=f"use --email 1{f' to --email {len(emails)}' if len(emails) > 1 else ''}",
        )
    draft = emails[number - 1]
    return plain_email(str(draft["subject"]), str(draft["body"]))
