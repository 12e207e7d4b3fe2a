"""What ``dealrescue outcome RUN RESULT`` does: record what happened to a deal after its plan.

The result must be one of the outcomes the run's playbook declares. An outcome given for a run
that a re-run replaced goes to the run that replaced it, and says so. Recording it again changes
it; every outcome recorded stays in the journal's history (``deals show`` lists it).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from dealrescue.commands.common import journal_hints, open_existing_journal, parse_date, today
from dealrescue.errors import PlaybookError, PlaybookNotFoundError, UsageError
from dealrescue.ui import terminal

if TYPE_CHECKING:
    from dealrescue.core.model import Playbook
    from dealrescue.journal import Journal, RunRecord, TodoItem


def playbook_named(playbook_id: str, source: str | None = None, *, playbooks_dir: Path | None = None) -> Playbook:
    """The playbook ``playbook_id`` in effect now (your folders, then the bundled ones); failing that,
    the file a run was made from, if it still holds that playbook."""
    from dealrescue.catalog import finder

    try:
        return finder.load(playbook_id, playbooks_dir)[0].playbook
    except PlaybookNotFoundError:
        if source is None or not Path(source).is_file():
            raise
        compiled = finder.load_file(Path(source))
        if compiled.id != playbook_id:
            raise
        return compiled.playbook


# Well under the 32,767 characters a spreadsheet keeps of a cell (`deals export --all` writes it).
NOTE_LIMIT = 10_000


def playbooks_by_id(
    sources: Mapping[str, str | None], left: str, playbooks_dir: Path | None = None
) -> dict[str, Playbook]:
    """Each playbook of ``sources`` (id: the file its newest run was made from, or None) as
    ``playbook_named`` finds it; one that cannot be loaded gets a notice ending in ``left``."""
    found: dict[str, Playbook] = {}
    missing: list[str] = []
    for playbook_id in sorted(sources):
        try:
            found[playbook_id] = playbook_named(playbook_id, sources[playbook_id], playbooks_dir=playbooks_dir)
        except (PlaybookNotFoundError, PlaybookError):
            missing.append(playbook_id)
    if missing:
        # One line however many (an export from elsewhere may name thousands).
        named = ", ".join(map(repr, missing[:5])) + (f" and {len(missing) - 5:,} more" if len(missing) > 5 else "")
        terminal.notice(f"warning: playbook{'s' if len(missing) > 1 else ''} {named} cannot be loaded: {left}")
    return found


def record_outcome(given: str, result: str, note: str | None, on: str | None, playbooks_dir: Path | None = None) -> None:
    """``outcome``: record ``result`` for the run ``given`` (an id or its first letters)."""
    from dealrescue.core.outcomes import closest, outcome_ids, outcome_named, success_ids

    happened_on = parse_date(on, "--date").isoformat() if on is not None else today()
    if happened_on > today():
        raise UsageError(f"--date {happened_on} is after today ({today()}): an outcome is what has already happened",
                         hint="give the day it happened, or leave --date out for today")
    if note is not None and not note.strip():
        note = None
    if note is not None and len(note) > NOTE_LIMIT:
        raise UsageError(f"--note is {len(note):,} characters; an outcome's note holds at most {NOTE_LIMIT:,}",
                         hint="say what happened and why in a few lines; the rest belongs in your CRM")
    journal = open_existing_journal()
    if journal is None:
        raise UsageError(f"no run with id {given!r}: the journal is empty", hint="see `dealrescue deals list`")
    with journal, journal_hints():
        run = journal.get_run(given)
        asked_for = run.id
        current = journal.replacement_of(run.id)
        if current != run.id:
            run = journal.get_run(current)
            terminal.notice(f"Run {asked_for} was replaced by run {run.id} (a re-run of {run.deal}): the outcome is recorded for {run.id}.")
        if run.status != "done":
            raise UsageError(
                f"run {run.id} has no verdict yet (it is {run.status.replace('_', ' ')}): an outcome is recorded for a finished run",
                hint=f"finish it first with `dealrescue resume {run.id}`",
            )
        playbook = playbook_named(run.playbook_id, run.playbook_source, playbooks_dir=playbooks_dir)
        valid = outcome_ids(playbook)
        if not valid:
            raise UsageError(
                f"playbook {playbook.id!r} declares no outcomes, so none can be recorded for run {run.id}",
                hint="add them under outcomes: in the playbook (see docs/playbooks.md), then record it again",
            )
        if happened_on < run.plan_date:
            raise UsageError(f"--date {happened_on} is before run {run.id}'s plan was made ({run.plan_date})",
                             hint="an outcome follows the plan: give the day it happened, or leave --date out for today")
        result = outcome_named(playbook, result) or result
        if result not in valid:
            near = closest(result, valid)
            raise UsageError(
                f"{result!r} is not an outcome of playbook {playbook.id!r}; valid: {', '.join(valid)}",
                hint=f"did you mean {near!r}? dealrescue outcome {run.id} {near}" if near else f"e.g. dealrescue outcome {run.id} {valid[0]}",
            )
        before, closed = journal.set_outcome(run.id, result, note, happened_on, given_for=asked_for if asked_for != run.id else None)
        latest = journal.latest_of_deal(run.id)
    labels = {o.id: o.label for o in playbook.outcomes}
    worked = "counts as success" if result in success_ids(playbook, run.verdict_id) else "does not count as success"
    terminal.notice(
        f"Recorded for run {run.id} ({run.deal}, {run.playbook_id}): {labels[result]} on {happened_on}; "
        f"it {worked} for the verdict {run.verdict_title or run.verdict_id!r}."
    )
    if closed:
        terminal.notice(f"Closed its {closed} open step(s): they led up to this outcome. Its follow-ups (the check-backs) "
                        "stay open: dealrescue followups, and `dealrescue followups done ID` for one that no longer applies.")
    if latest != run.id:
        terminal.notice(
            f"Note: {run.deal}'s latest {run.playbook_id} run is {latest}, and `dealrescue track` counts each deal by its "
            f"latest run: if this outcome answers that run's verdict too, record it there (dealrescue outcome {latest} {result})."
        )
    if before is not None and (before.outcome, before.note, before.happened_on) != (result, note, happened_on):
        terminal.notice(
            f"It replaces {labels.get(before.outcome, before.outcome)} (on {before.happened_on}); "
            "the earlier one stays in the run's history (dealrescue deals show)."
        )


def outcome_lines(journal: Journal, run: RunRecord) -> list[str]:
    """The ``## Outcome`` part of ``deals show``: the outcome now, its note, and earlier ones kept in its history."""
    from dealrescue.core.mdescape import escape_inline as esc
    from dealrescue.core.outcomes import success_ids

    history = journal.outcome_history(run.id)
    if run.status != "done":
        return []
    lines = ["", "## Outcome", ""]
    if not history:
        return [*lines, f"(none recorded yet: `dealrescue outcome {run.id} RESULT` when you know how it went)"]
    try:
        playbook: Playbook | None = playbook_named(run.playbook_id, run.playbook_source)
    except Exception:  # noqa: BLE001 - a playbook gone or broken since: show the ids as recorded
        playbook = None
    labels = {o.id: o.label for o in playbook.outcomes} if playbook is not None else {}

    def named(outcome_id: str) -> str:
        return f"{esc(labels[outcome_id])} (`{outcome_id}`)" if outcome_id in labels else f"`{outcome_id}`"

    current = history[-1]
    worked = ""
    if playbook is not None:
        worked = " · a success for this verdict" if current.outcome in success_ids(playbook, run.verdict_id) else " · not a success for this verdict"
    lines.append(f"{named(current.outcome)} on {current.happened_on}{worked}")
    if current.note:
        lines += ["", f"> {esc(current.note)}"]
    if len(history) > 1:
        lines += ["", "Earlier (kept in the history):", ""]
        for old in reversed(history[:-1]):
            given = f", given for run {old.given_for}" if old.given_for else ""
            note = f": {esc(old.note)}" if old.note else ""
            lines.append(f"- {named(old.outcome)} on {old.happened_on} (recorded {old.recorded_at[:10]}{given}){note}")
    return lines


def outcome_items(journal: Journal, until: str | None, *, closed: bool = False) -> list[TodoItem]:
    """The to-do list's "record the outcome" items: finished runs whose outcome is due by ``until``
    (any day when None). ``closed`` (a calendar file): also those recorded (done) or replaced since."""
    from dealrescue.journal import TodoItem

    return [
        TodoItem(
            id=due.run_id, run_id=due.run_id, deal=due.deal, playbook_id=due.playbook_id, kind="outcome",
            text=f"record the outcome for {due.deal}: `dealrescue outcome {due.run_id} …`",
            due=due.due, owner="rep", done_at=due.recorded_at, superseded_at=due.replaced_at,
            run_replaced=due.replaced_at is not None,
        )
        for due in journal.outcomes_due(until, closed=closed)
    ]
