"""One playbook run, from flags to a written plan: the function every run command calls."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealrescue.catalog import finder as catalog
from dealrescue.commands.common import answer_hints, day_first, parse_date
from dealrescue.commands.flags import PlaybookFlags
from dealrescue.commands.given import given_answers
from dealrescue.errors import AnswerError, DealRescueError, Interrupted, JournalError, PlaybookError, RunReplacedError, UsageError
from dealrescue.journal.recorder import Recorder
from dealrescue.ui import terminal
from dealrescue.ui.output import check_target

if TYPE_CHECKING:
    from dealrescue.core.loader import CompiledPlaybook
    from dealrescue.core.plan import Plan


@dataclass(slots=True, kw_only=True)
class RunOptions(PlaybookFlags):
    """A run's options: the flags every playbook command takes, and those of a new run."""

    playbook: str
    deal: str | None = None
    format: str = "markdown"
    date: str | None = None
    no_save: bool = False


def plan_date(value: str | None) -> dt.date:
    """The day the plan is made: ``--date``, else today."""
    return dt.date.today() if value is None else parse_date(value, "--date")


def check_format(fmt: str) -> None:
    """A plan format the render registry knows (a stored run's options are checked again on resume)."""
    from dealrescue.core.render.registry import PLAN

    if fmt not in PLAN:
        raise UsageError(f"--format {fmt!r} is not known", hint=f"use one of: {', '.join(PLAN.names())}")


def deal_name(raw: object) -> str:
    """A deal's name as given, on one line: a line break in it (an answers file's ``deal: |``, a
    pasted name) would start a line of its own in every message, listing and calendar entry."""
    return " ".join(part.strip() for part in str(raw).splitlines() if part.strip())


def gather_given(options: RunOptions) -> tuple[dict[str, Any], str]:
    """Answers from --answers then --set (which wins), and the deal name (``deal_name``)."""
    given = given_answers(options.answers_file, options.sets)
    deal_from_answers = given.pop("deal", None)
    deal = options.deal if options.deal is not None else ("" if deal_from_answers is None else deal_from_answers)
    return given, deal_name(deal)


def check_output(options: RunOptions) -> None:
    """Refuse early, before any question, if the plan could not be written."""
    if options.output is not None:
        check_target(options.output, force=options.force)


def emit_plan(text: str, options: RunOptions) -> None:
    """Markdown on a terminal is shown rendered; anything else goes through the one ``emit``."""
    if options.output is None and options.format == "markdown" and terminal.stdout_is_terminal():
        from dealrescue.ui.console import show_markdown

        show_markdown(text)
        return
    from dealrescue.ui.output import emit

    emit(text, options.output, force=options.force, written=f"Plan written to {options.output}")


@dataclass(slots=True)
class StoredOptions:
    """How a run's plan is made, kept with the run so that resume makes it the same way.

    Where it was written (``-o``, ``--force``) is not kept: resume and rerun write where their own
    command line says.
    """

    format: str = "markdown"
    date: str = ""
    # How typed dates are read (03/04 as 3 April), so that resume reads them the same way.
    dayfirst: bool = False
    # The finished run this one replaces (``deals rerun``); its follow-ups close when this one is done.
    replaces: str | None = None

    def as_dict(self) -> dict[str, Any]:
        kept: dict[str, Any] = {"format": self.format, "date": self.date}
        if self.dayfirst:
            kept["dayfirst"] = True
        if self.replaces is not None:
            kept["replaces"] = self.replaces
        return kept

    @classmethod
    def from_dict(cls, data: dict[str, Any], plan_date: str) -> StoredOptions:
        """Read back what ``as_dict`` wrote (a value of the wrong type counts as not given)."""

        def text(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) and value else None

        from dealrescue.core.render.registry import PLAN

        stored_format = text("format")
        return cls(
            # A format this dealrescue does not know (a damaged row, a newer version's): markdown.
            format=stored_format if stored_format is not None and stored_format in PLAN else "markdown",
            date=text("date") or plan_date,
            replaces=text("replaces"),
            dayfirst=data.get("dayfirst") is True,
        )


@dataclass(slots=True)
class Run:
    """One run on its way from answers to a written plan: what every step of the run path needs."""

    playbook: CompiledPlaybook
    options: RunOptions
    stored: StoredOptions
    deal: str
    given: dict[str, Any]
    recorder: Recorder
    # Typed answers kept from an interrupted run (resume); None for a new run.
    settled: dict[str, Any] | None = None
    # Made after the key questions, the rest unanswered (the rep chose the plan now).
    draft: bool = False

    @property
    def today(self) -> dt.date:
        return parse_date(self.stored.date, "--date")


def run(options: RunOptions) -> None:
    """Load the playbook, settle the answers (asking on a terminal), build, write and record the plan."""
    check_format(options.format)
    today = plan_date(options.date)
    check_output(options)
    compiled, _origin = catalog.load(options.playbook, options.playbooks_dir)
    given, deal = gather_given(options)
    from dealrescue.core.engine import check_answer_ids

    check_answer_ids(compiled, given)
    stored = StoredOptions(
        format=options.format,
        date=today.isoformat(),
        dayfirst=day_first(options.dayfirst),
    )
    finish_run(Run(compiled, options, stored, deal, given, Recorder(enabled=not options.no_save, notify=terminal.notice)))


def finish_run(run: Run) -> None:
    with answer_hints():
        _finish(run)


def _replaced_meanwhile(exc: RunReplacedError, recorder: Recorder) -> RunReplacedError:
    """Another re-run replaced this run's old run while this one was being answered: nothing is
    written (the deal keeps one live plan), and the answers stay in the journal, ready to replace
    the newer run once their author has looked at it."""
    kept = recorder.kept_for_newer(exc.newer)
    exc.message = f"run {exc.run_id} was replaced by run {exc.newer} while this re-run was open; this plan was not saved"
    if kept is not None:
        exc.hint = (
            f"your answers are kept as unfinished run {kept}; see the newer plan with: dealrescue deals show {exc.newer}, "
            f"then make yours the plan with: dealrescue resume {kept} (it replaces run {exc.newer})"
        )
    return exc


def _finish(run: Run) -> None:
    options, recorder = run.options, run.recorder
    streams = None if options.no_input else terminal.prompt_streams(stdin_taken=options.answers_file == "-")
    if streams is None and not run.deal:
        raise UsageError(
            "no deal name: the plan is written about a named deal or account",
            hint=f"name it after the playbook, e.g. dealrescue run {options.playbook} ACME, or add `deal: ACME` to --answers",
        )
    try:
        from dealrescue.core.render.plan import render

        try:
            plan = _answer_and_plan(run, streams)
            if run.playbook.playbook.outcomes:  # the verdict's track record line, once outcomes judge it
                from dealrescue.commands.track import with_record

                plan = with_record(plan, run.playbook.playbook, recorder.journal())
            text = render(options.format, plan)
            if options.explain:
                from dealrescue.commands.explain import print_explanation

                print_explanation(run.playbook, {a.id: a.value for a in plan.answers}, plan.deal, plan.date.isoformat())
        except PlaybookError as exc:
            # A condition or template that fails on these answers (division by zero, ...).
            raise _kept_for_resume(exc, recorder, run.playbook.source) from None
        # Saved before it is written out, so a closed pipe or a failed write loses nothing.
        unrecorded: JournalError | None = None
        try:
            recorder.finish(plan, replaces=run.stored.replaces, playbook=run.playbook.playbook, draft=run.draft)
        except JournalError as exc:
            # A busy or failing journal at the very end: the plan is made, so write it anyway.
            unrecorded = exc
        except RunReplacedError as exc:
            raise _replaced_meanwhile(exc, recorder) from None
        saved = bool(recorder.run_id and recorder.enabled) and unrecorded is None
        replaced = f"; it replaces run {run.stored.replaces}" if run.stored.replaces else ""
        saved_notice = f"Saved as run {recorder.run_id}{replaced} (dealrescue deals show {recorder.run_id})."
        # Into a pipe (`| tee`), the notice goes first: written after, it could land inside the plan's lines.
        notice_first = saved and options.output is None and not terminal.stdout_is_terminal()
        if notice_first:
            terminal.notice(saved_notice)
        try:
            emit_plan(text, options)
        except DealRescueError as exc:
            if saved:
                exc.hint = f"the plan is saved as run {recorder.run_id}: dealrescue deals export {recorder.run_id} -o FILE"
            raise
        except OSError as exc:
            from dealrescue.ui.output import is_output_failure, output_failure

            if not is_output_failure(exc):
                raise
            raise output_failure(exc, recorder.run_id if saved else None) from None
        if unrecorded is not None:
            raise _not_recorded(unrecorded, recorder, options.playbook)
        if saved and not notice_first:
            terminal.notice(saved_notice)
    finally:
        recorder.close()
        if streams is not None:
            streams.close()


def _answer_and_plan(run: Run, streams: terminal.PromptStreams | None) -> Plan:
    from dealrescue.core.engine import collect_answers, decide, provisional
    from dealrescue.core.plan import build_plan

    compiled, recorder, settled = run.playbook, run.recorder, run.settled
    iso = run.stored.date

    def start(deal_name: str) -> None:
        recorder.start(
            deal=deal_name,
            playbook_id=compiled.id,
            version=compiled.playbook.version,
            # Absolute, so that resume finds the same file from any folder.
            source=str(Path(compiled.source).resolve()),
            plan_date=iso,
            options=run.stored.as_dict(),
        )

    draft = False
    if streams is None:
        answers, asked = collect_answers(compiled, given=run.given, deal=run.deal, today=iso, ask=None, settled=settled,
                                         dayfirst=run.stored.dayfirst)
        start(run.deal)
        for question_id, value in answers.items():
            if settled is None or question_id not in settled:
                recorder.answer(question_id, value)
    else:
        from dealrescue.core.engine import reading_for
        from dealrescue.ui.interview import ask_deal, interview, prompter_for
        from dealrescue.ui.prompting import width_of
        from dealrescue.ui.verdict_first import first_screen, offer_details

        prompter = prompter_for(streams, plain=run.options.plain, reading=reading_for(iso, run.stored.dayfirst))

        def rename(deal: str) -> None:
            run.deal = deal
            recorder.rename(deal)

        def offer(so_far: dict[str, Any]) -> bool:
            nonlocal draft
            draft = not offer_details(prompter, compiled, so_far, run.deal, run.today, width_of(streams.output))
            return not draft

        try:
            first_screen(prompter, compiled)
            if not run.deal:
                run.deal = ask_deal(prompter)
            start(run.deal)
            answers, asked = interview(
                compiled,
                prompter,
                given=run.given,
                settled=settled or {},
                deal=run.deal,
                today=iso,
                on_answer=recorder.answer,
                on_drop=recorder.forget,
                review=not run.options.no_review,
                dayfirst=run.stored.dayfirst,
                # A re-run (or a draft being finished) has its key answers: no second offer.
                offer=offer if run.stored.replaces is None else None,
                on_rename=rename,
            )
        except (KeyboardInterrupt, EOFError) as exc:
            signum = exc.signum if isinstance(exc, terminal.Terminated) else None
            raise _stopped(run, isinstance(exc, EOFError), signum) from None
    run.draft = draft
    if not draft:
        return build_plan(compiled, decide(compiled, answers, asked, run.deal, iso), run.deal, run.today)
    from dataclasses import replace

    from dealrescue.core.hinge import hinge

    plan = build_plan(compiled, provisional(compiled, answers, run.deal, iso), run.deal, run.today)
    return replace(plan, draft=True, hinge=hinge(compiled, answers, run.deal, iso))


def _stopped(run: Run, closed: bool, signum: int | None = None) -> DealRescueError:
    """Ctrl-C, SIGTERM/SIGHUP or a closed terminal while asking: say what is kept and how to go on."""
    import shlex

    recorder = run.recorder
    kept = recorder.interrupted()
    options = run.options
    # How the rep is asked goes on; resume keeps the plan's date, format and date reading itself.
    asking = [*(["--plain"] if options.plain else []), *(["--no-review"] if options.no_review else [])]
    if recorder.run_id and recorder.enabled:
        how = f"continue with: dealrescue resume {shlex.join([recorder.run_id, *asking])}"
    else:
        again = [
            options.playbook,
            *([run.deal] if run.deal else []),
            *(["--no-save"] if options.no_save else []),
            *(["--date", options.date] if options.date else []),
            *(["--format", options.format] if options.format != "markdown" else []),
            *(["--dayfirst"] if options.dayfirst else []),
            *(["--playbooks-dir", str(options.playbooks_dir)] if options.playbooks_dir else []),
            *asking,
        ]
        how = f"start again with: dealrescue run {shlex.join(again)}"
    if options.output is not None:
        # -o writes only a finished plan: the file is not there yet, unless --force was to replace one.
        how += f" -o {shlex.quote(str(options.output))}" + (" --force" if options.force else "")
    elif terminal.stdout_is_file():
        # The shell made the file before we ran; -o writes only a finished plan.
        # Resume with -o into that file needs --force, as the file is there (empty).
        name = terminal.stdout_file_name()
        how += f" -o {name} --force (the shell made {name} before the run, empty; -o writes the plan only once it is made)"
    if closed:
        return AnswerError(f"the terminal closed before every question was answered; {kept}", hint=how)
    if signum is not None:
        import signal

        stopped = Interrupted(f"stopped by {signal.Signals(signum).name}: {kept}; no plan was made", hint=how)
        stopped.exit_code = 128 + signum
        return stopped
    return Interrupted(f"interrupted: {kept}; no plan was made", hint=how)


def _not_recorded(exc: JournalError, recorder: Recorder, ref: str) -> JournalError:
    """The plan was written but the journal refused it: say so, and how to record it later."""
    if recorder.run_id is not None:
        later = f"dealrescue resume {recorder.run_id} --no-input (its answers are kept in the journal)"
    else:
        later = f"dealrescue run {ref} --no-input --answers FILE, with the file named above"
    kept = f"; {exc.hint}" if exc.hint and "kept in" in exc.hint else ""
    return JournalError(f"{exc.message}; the plan was written but not recorded{kept}", hint=f"record it later with: {later}")


def _kept_for_resume(exc: PlaybookError, recorder: Recorder, source: str = "") -> PlaybookError:
    """A plan that fails to render after the answers were given: say they are kept, and how to go on."""
    if recorder.enabled and recorder.run_id is not None:
        recorder.interrupted()
        exc.hint = (
            f"{len(recorder.kept)} answer(s) are kept as run {recorder.run_id}: "
            f"fix the playbook, then dealrescue resume {recorder.run_id}"
        )
    elif exc.hint is None and source:
        exc.hint = catalog.validate_hint(source)
    return exc
