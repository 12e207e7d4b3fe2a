"""Running a recorded run again: ``resume`` finishes an interrupted one, ``deals rerun`` redoes a finished one."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealrescue.catalog import finder as catalog
from dealrescue.commands.common import day_first, journal_hints, parse_date
from dealrescue.commands.flags import PlaybookFlags, flag_values
from dealrescue.commands.given import given_answers
from dealrescue.commands.run import (
    Run,
    RunOptions,
    StoredOptions,
    check_format,
    check_output,
    deal_name,
    finish_run,
    plan_date,
)
from dealrescue.core.mdescape import one_line
from dealrescue.errors import AnswerError, UsageError
from dealrescue.journal.recorder import Recorder
from dealrescue.ui import terminal

if TYPE_CHECKING:
    from dealrescue.core.loader import CompiledPlaybook
    from dealrescue.journal import Journal
    from dealrescue.journal.rows import RunRecord


@dataclass(slots=True, kw_only=True)
class ResumeOptions(PlaybookFlags):
    """What ``resume`` and ``deals rerun`` may change: answers, and where and how the plan is written.

    A ``format`` or ``date`` of ``None`` keeps what the run was started with. The output is this
    command line's own (stdout by default): a stored ``-o FILE`` or ``--force`` is never reused, since
    a path relative to another folder, or a file since made precious, would be overwritten.
    """

    run_id: str | None = None
    format: str | None = None
    date: str | None = None


def resume(options: ResumeOptions) -> None:
    """Continue an interrupted run: ask only what is still missing, then finish the plan."""
    from dealrescue.journal import Journal

    given = _checked_given(options, "resume")
    with Journal.open(notify=terminal.notice) as journal, journal_hints():
        record = journal.get_run(options.run_id) if options.run_id else journal.latest_unfinished()
        if record is not None and record.status == "done":
            record = _open_rerun(journal, record) or record
    if record is None:
        raise UsageError("there is no unfinished run to resume", hint="see past runs with: dealrescue deals list")
    if record.status == "done" and record.options.get("draft") is True:
        # A draft has its plan; finishing it is a run that replaces it, asking only what is left.
        terminal.notice(f"Run {record.id} is a draft: asking the questions left for a dated plan.")
        rerun(replace(options, run_id=record.id), announce=False)
        return
    if record.status == "done":
        raise UsageError(
            f"run {record.id} is already finished",
            hint=f"see its plan with: dealrescue deals show {record.id}; to change an answer: dealrescue deals rerun {record.id}",
        )
    _resume_unfinished(record, given, options)


def _open_rerun(journal: Journal, record: RunRecord) -> RunRecord | None:
    """The unfinished re-run of finished ``record`` (or a draft's finishing, interrupted), to go on
    with rather than start another: its answers are not asked twice, and the deal does not end up
    with two plans."""
    pending = journal.interrupted_reruns(record.id)
    if not pending:
        return None
    others = f" (also unfinished: {', '.join(pending[1:])})" if pending[1:] else ""
    terminal.notice(f"Run {record.id} has a re-run left unfinished, {pending[0]}{others}: going on with it.")
    return journal.get_run(pending[0])


def _resume_unfinished(record: RunRecord, given: dict[str, Any], options: ResumeOptions) -> None:
    compiled = _load_recorded(record, options.playbooks_dir, "asking what the new version needs")
    settled = _kept_answers(compiled, record, given, "it will be asked again")
    stored = _stored_for(record, options)
    run_options = _run_options(record, stored, options)
    check_output(run_options)
    terminal.notice(f"Resuming run {record.id} ({compiled.id}, {one_line(record.deal) or 'unnamed deal'}): {len(settled)} answer(s) kept.")
    recorder = Recorder(enabled=True, run_id=record.id, notify=terminal.notice)
    recorder.kept.update(settled)
    finish_run(Run(compiled, run_options, stored, record.deal, given, recorder, settled=settled))


def rerun(options: ResumeOptions, *, announce: bool = True) -> None:
    """A new run of a finished one with its answers, changed by --set/--answers (and the review screen);
    ``announce=False`` when ``resume`` has already said what it does (a draft being finished)."""
    from dealrescue.journal import Journal

    given = _checked_given(options, "rerun")
    new_name = given.pop("deal", None)
    with Journal.open(notify=terminal.notice) as journal, journal_hints():
        record = journal.get_run(options.run_id or "")
        replaced_by = journal.relations(record.id)[1] if record is not None else []
        newest = _newest_replacement(journal, record.id) if replaced_by and record is not None else None
        pending = _open_rerun(journal, record) if record is not None and record.status == "done" and newest is None else None
    if record is None:
        raise UsageError(f"no run with id {options.run_id!r} in the journal", hint="see past runs with: dealrescue deals list")
    if pending is not None:
        if new_name is not None:
            raise UsageError(f"run {pending.id} keeps its deal name", hint=f"finish it first, then rename in a re-run of its plan: "
                             f"dealrescue deals rerun {pending.id} --set 'deal=NEW NAME'")
        _resume_unfinished(pending, given, options)
        return
    if record.status != "done":
        raise UsageError(f"run {record.id} is not finished", hint=f"continue it with: dealrescue resume {record.id}")
    if newest is not None:
        # Its steps are closed already; a second re-run would leave two live plans for the deal.
        raise UsageError(f"run {record.id} was already replaced by run {', '.join(replaced_by)}",
                         hint=f"change the newest plan instead: dealrescue deals rerun {newest} --set ID=VALUE")
    compiled = _load_recorded(record, options.playbooks_dir, "its answers are checked against the new version")
    old = _kept_answers(compiled, record, given, "it will be asked")
    stored = _stored_for(record, options)
    stored.replaces = record.id
    if options.date is None:
        stored.date = plan_date(None).isoformat()  # a new plan is dated today, like a new run
    run_options = _run_options(record, stored, options)
    check_output(run_options)
    deal = record.deal if new_name is None else deal_name(new_name)
    if not deal:
        raise UsageError("--set deal= is empty", hint="give the deal's new name, e.g. --set 'deal=Acme Europe'")
    changed = ", ".join(sorted([*given, *(["deal"] if deal != record.deal else [])])) or "none yet"
    if announce:
        terminal.notice(f"Re-running run {record.id} ({compiled.id}, {one_line(record.deal)}) with {len(old)} answer(s) kept; changed: {changed}.")
    finish_run(Run(compiled, run_options, stored, deal, {**old, **given}, Recorder(enabled=True, notify=terminal.notice)))


def _newest_replacement(journal: Journal, run_id: str) -> str | None:
    """The last run down the chain of re-runs that replace ``run_id``, or None when nothing replaces it."""
    newest = None
    seen = {run_id}
    later = journal.relations(run_id)[1]
    while later and later[-1] not in seen:
        newest = later[-1]
        seen.add(newest)
        later = journal.relations(newest)[1]
    return newest


def _checked_given(options: ResumeOptions, command: str) -> dict[str, Any]:
    if options.format is not None:
        check_format(options.format)
    if options.date is not None:
        parse_date(options.date, "--date")
    given = given_answers(options.answers_file, options.sets)
    if "deal" in given and command == "resume":
        raise UsageError(f"{command} keeps the run's deal name", hint="leave deal out of --answers and --set")
    return given


def _load_recorded(record: RunRecord, playbooks_dir: Path | None, then: str) -> CompiledPlaybook:
    """The playbook a run was made with: its file, else the playbook of the same id."""
    source = record.playbook_source
    if Path(source).is_file():
        compiled = catalog.load_file(Path(source))
    else:
        compiled = catalog.load(record.playbook_id, playbooks_dir)[0]
        terminal.notice(f"The playbook file of this run, {source}, is gone; using {compiled.source} (same id).")
    if compiled.playbook.version != record.playbook_version:
        terminal.notice(
            f"Playbook {compiled.id} changed from v{record.playbook_version} to v{compiled.playbook.version} "
            f"since this run began; {then}."
        )
    return compiled


def _kept_answers(compiled: CompiledPlaybook, record: RunRecord, given: dict[str, Any], otherwise: str) -> dict[str, Any]:
    """The run's answers that still fit the playbook, typed; an answer given now replaces the kept one."""
    from dealrescue.core.engine import check_answer_ids, typed_answer

    check_answer_ids(compiled, given)
    kept: dict[str, Any] = {}
    for question_id, value in record.answers.items():
        question = compiled.playbook.question(question_id)
        if question is None or question_id in given:
            continue
        try:
            kept[question_id] = typed_answer(question, value)
        except AnswerError:
            terminal.notice(f"The saved answer for {question_id!r} no longer fits; {otherwise}.")
    return kept


def _stored_for(record: RunRecord, options: ResumeOptions) -> StoredOptions:
    stored = StoredOptions.from_dict(record.options, record.plan_date)
    if options.format is not None:
        stored.format = options.format
    if options.date is not None:
        stored.date = options.date
    # A run begun with --dayfirst keeps reading dates day first; --dayfirst now turns it on.
    stored.dayfirst = stored.dayfirst or day_first(options.dayfirst)
    return stored


def _run_options(record: RunRecord, stored: StoredOptions, options: ResumeOptions) -> RunOptions:
    flags = {
        **flag_values(options),
        # The answers given now are already in the run (``Run.given``); the playbook is the run's own.
        "sets": [],
        "playbooks_dir": None,
    }
    return RunOptions(playbook=record.playbook_source, deal=record.deal, format=stored.format, date=stored.date, **flags)
