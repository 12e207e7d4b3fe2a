"""One playbook run, from flags to a written plan: the function every run command calls."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealrescue.catalog import finder as catalog
from dealrescue.errors import AnswerError, DealRescueError, Interrupted, PlaybookError, UsageError
from dealrescue.journal.recorder import Recorder
from dealrescue.ui import terminal
from dealrescue.ui.output import check_target

if TYPE_CHECKING:
    from dealrescue.core.loader import CompiledPlaybook
    from dealrescue.core.plan import Plan


@dataclass
class RunOptions:
    playbook: str
    deal: str | None = None
    answers_file: str | None = None
    sets: list[str] = field(default_factory=list)
    no_input: bool = False
    format: str = "markdown"
    output: Path | None = None
    force: bool = False
    date: str | None = None
    no_save: bool = False
    playbooks_dir: Path | None = None
    explain: bool = False


def parse_date(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--date {value!r} is not a date", hint="use YYYY-MM-DD, e.g. --date 2026-11-22") from None


def parse_sets(sets: list[str]) -> dict[str, str]:
    given: dict[str, str] = {}
    for item in sets:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set {item!r} is not ID=VALUE", hint="for example: --set signed=not_signed")
        if key.strip() in given:
            raise UsageError(
                f"--set {key.strip()} is given twice",
                hint=f"give it once; several choices go in one value: --set {key.strip()}=first,second",
            )
        given[key.strip()] = value
    return given


def read_answers_file(name: str) -> dict[str, Any]:
    """Answers from a YAML or JSON mapping; ``-`` reads stdin."""
    from dealrescue.core.yamlread import YamlProblem, read_yaml

    label = "stdin" if name == "-" else name
    try:
        raw = sys.stdin.buffer.read() if name == "-" else Path(name).expanduser().read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read answers file {name}: {exc.strerror}", hint="check the --answers path") from None
    try:
        doc = read_yaml(raw)
    except YamlProblem as exc:
        where = f"{label}:{exc.line}" if exc.line else label
        raise UsageError(f"answers file {where}: {exc.message}", hint="write answers as `id: value` lines (YAML) or a JSON object") from None
    if not isinstance(doc.data, dict):
        raise UsageError(f"answers file {label}: expected a mapping of question ids to answers", hint="for example: signed: not_signed")
    return {str(k): v for k, v in doc.data.items()}


def given_answers(answers_file: str | None, sets: list[str]) -> dict[str, Any]:
    """Answers from --answers then --set (which wins)."""
    given: dict[str, Any] = read_answers_file(answers_file) if answers_file else {}
    given.update(parse_sets(sets))
    return given


def check_format(fmt: str) -> None:
    if fmt not in ("markdown", "json"):
        raise UsageError(f"--format {fmt!r} is not known", hint="use --format markdown or --format json")


def gather_given(options: RunOptions) -> tuple[dict[str, Any], str]:
    """Answers from --answers then --set (which wins), and the deal name."""
    given = given_answers(options.answers_file, options.sets)
    deal_from_answers = given.pop("deal", None)
    deal = options.deal if options.deal is not None else ("" if deal_from_answers is None else str(deal_from_answers))
    return given, deal.strip()


def check_output(options: RunOptions) -> None:
    """Refuse early, before any question, if the plan could not be written."""
    if options.output is not None:
        check_target(options.output, force=options.force)


def emit(text: str, options: RunOptions) -> None:
    if options.output is not None:
        from dealrescue.ui.output import write_atomic

        write_atomic(options.output, text, force=options.force)
        terminal.notice(f"Plan written to {options.output}")
    elif options.format == "markdown" and terminal.stdout_is_terminal():
        from dealrescue.ui.console import show_markdown

        show_markdown(text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def run(options: RunOptions) -> None:
    """Load the playbook, settle the answers (asking on a terminal), build, write and record the plan."""
    check_format(options.format)
    today = parse_date(options.date)
    check_output(options)
    compiled, _origin = catalog.load(options.playbook, options.playbooks_dir)
    given, deal = gather_given(options)
    from dealrescue.core.engine import check_answer_ids

    check_answer_ids(compiled, given)
    recorder = Recorder(enabled=not options.no_save)
    stored = {
        "format": options.format,
        "output": str(options.output) if options.output else None,
        "force": options.force,
        "date": today.isoformat(),
    }
    finish_run(compiled, options, given, deal, today, recorder, stored, settled=None)


def finish_run(
    compiled: CompiledPlaybook,
    options: RunOptions,
    given: dict[str, Any],
    deal: str,
    today: dt.date,
    recorder: Recorder,
    stored: dict[str, Any],
    settled: dict[str, Any] | None,
) -> None:
    streams = None if options.no_input else terminal.prompt_streams(stdin_taken=options.answers_file == "-")
    if streams is None and not deal:
        raise UsageError(
            "no deal name: the plan is written about a named deal or account",
            hint=f"name it after the playbook, e.g. dealrescue run {options.playbook} ACME, or add `deal: ACME` to --answers",
        )
    try:
        from dealrescue.core.render.plan import to_json, to_markdown

        try:
            plan = _answer_and_plan(compiled, options.playbook, given, deal, today, streams, recorder, stored, settled)
            markdown, document = to_markdown(plan), to_json(plan)
            if options.explain:
                from dealrescue.commands.explain import print_explanation

                print_explanation(compiled, {a.id: a.value for a in plan.answers}, plan.deal, plan.date.isoformat())
        except PlaybookError as exc:
            # A condition or template that fails on these answers (division by zero, ...).
            raise _kept_for_resume(exc, recorder) from None
        # Saved before it is written out, so a closed pipe or a failed write loses nothing.
        recorder.finish(plan, markdown, document)
        saved = bool(recorder.run_id and recorder.enabled)
        try:
            emit(document if options.format == "json" else markdown, options)
        except DealRescueError as exc:
            if saved:
                exc.hint = f"the plan is saved as run {recorder.run_id}: dealrescue deals export {recorder.run_id} -o FILE"
            raise
        if saved:
            terminal.notice(f"Saved as run {recorder.run_id} (dealrescue deals show {recorder.run_id}).")
    finally:
        recorder.close()
        if streams is not None:
            streams.close()


def _answer_and_plan(
    compiled: CompiledPlaybook,
    ref: str,
    given: dict[str, Any],
    deal: str,
    today: dt.date,
    streams: terminal.PromptStreams | None,
    recorder: Recorder,
    stored: dict[str, Any],
    settled: dict[str, Any] | None,
) -> Plan:
    from dealrescue.core.engine import collect_answers, decide
    from dealrescue.core.plan import build_plan

    iso = today.isoformat()

    def start(deal_name: str) -> None:
        recorder.start(
            deal=deal_name,
            playbook_id=compiled.id,
            version=compiled.playbook.version,
            # Absolute, so that resume finds the same file from any folder.
            source=str(Path(compiled.source).resolve()),
            plan_date=iso,
            options=stored,
        )

    if streams is None:
        answers, asked = collect_answers(compiled, given=given, deal=deal, today=iso, ask=None, settled=settled)
        start(deal)
        for question_id, value in answers.items():
            if settled is None or question_id not in settled:
                recorder.answer(question_id, value)
    else:
        from dealrescue.ui.prompter import TerminalPrompter

        prompter = TerminalPrompter(streams)
        try:
            prompter.note(f"{compiled.playbook.title}: {compiled.playbook.summary}")
            if not deal:
                deal = _ask_deal(prompter)
            start(deal)
            answers, asked = collect_answers(
                compiled, given=given, deal=deal, today=iso, ask=prompter.ask, on_answer=recorder.answer, settled=settled
            )
        except (KeyboardInterrupt, EOFError) as exc:
            kept = recorder.interrupted()
            how = (
                f"continue with: dealrescue resume {recorder.run_id}"
                if recorder.run_id and recorder.enabled
                else f"start again with: dealrescue run {ref}"
            )
            if isinstance(exc, EOFError):
                raise AnswerError(f"the terminal closed before every question was answered; {kept}", hint=how) from None
            raise Interrupted(f"interrupted: {kept}; no plan was made", hint=how) from None
    outcome = decide(compiled, answers, asked, deal, iso)
    return build_plan(compiled, outcome, deal, today)


def _ask_deal(prompter: Any) -> str:
    from dealrescue.core.model import Question

    question = Question(
        id="deal_name",
        prompt="Which deal or account is this about?",
        help="A name for the plan and the journal, e.g. Acme or Acme renewal 2027.",
        required=True,
    )
    return str(prompter.ask(question, None) or "").strip()


def _kept_for_resume(exc: PlaybookError, recorder: Recorder) -> PlaybookError:
    """A plan that fails to render after the answers were given: say they are kept, and how to go on."""
    if recorder.enabled and recorder.run_id is not None:
        recorder.interrupted()
        exc.hint = (
            f"{len(recorder.kept)} answer(s) are kept as run {recorder.run_id}: "
            f"fix the playbook, then dealrescue resume {recorder.run_id}"
        )
    return exc


@dataclass
class ResumeOptions:
    """What ``resume`` may change: more answers, and where and how the plan is written.

    ``None`` keeps what the run was started with.
    """

    run_id: str | None = None
    no_input: bool = False
    playbooks_dir: Path | None = None
    answers_file: str | None = None
    sets: list[str] = field(default_factory=list)
    format: str | None = None
    output: Path | None = None
    force: bool = False
    date: str | None = None


def resume(options: ResumeOptions) -> None:
    """Continue an interrupted run: ask only what is still missing, then finish the plan."""
    from dealrescue.core.engine import check_answer_ids, typed_answer
    from dealrescue.journal import Journal

    run_id, playbooks_dir = options.run_id, options.playbooks_dir
    if options.format is not None:
        check_format(options.format)
    if options.date is not None:
        parse_date(options.date)
    given = given_answers(options.answers_file, options.sets)
    if "deal" in given:
        raise UsageError("resume keeps the run's deal name", hint="leave deal out of --answers and --set")

    with Journal.open() as journal:
        record = journal.get_run(run_id) if run_id else journal.latest_unfinished()
    if record is None:
        raise UsageError("there is no unfinished run to resume", hint="see past runs with: dealrescue deals list")
    if record.status == "done":
        raise UsageError(f"run {record.id} is already finished", hint=f"see its plan with: dealrescue deals show {record.id}")
    source = record.playbook_source
    if Path(source).is_file():
        compiled = catalog.load_file(Path(source))
    else:
        compiled = catalog.load(record.playbook_id, playbooks_dir)[0]
        terminal.notice(f"The playbook file of this run, {source}, is gone; using {compiled.source} (same id).")
    if compiled.playbook.version != record.playbook_version:
        terminal.notice(
            f"Playbook {compiled.id} changed from v{record.playbook_version} to v{compiled.playbook.version} "
            "since this run began; asking what the new version needs."
        )
    check_answer_ids(compiled, given)
    settled: dict[str, Any] = {}
    for question_id, value in record.answers.items():
        question = compiled.playbook.question(question_id)
        if question is None or question_id in given:  # an answer given now replaces the kept one
            continue
        try:
            settled[question_id] = typed_answer(question, value)
        except AnswerError:
            terminal.notice(f"The saved answer for {question_id!r} no longer fits; it will be asked again.")
    stored = dict(record.options)
    if options.format is not None:
        stored["format"] = options.format
    if options.output is not None:
        stored["output"], stored["force"] = str(options.output), options.force
    if options.date is not None:
        stored["date"] = options.date
    output = stored.get("output")
    run_options = RunOptions(
        playbook=source,
        deal=record.deal,
        no_input=options.no_input,
        answers_file=options.answers_file,
        format=str(stored.get("format") or "markdown"),
        output=Path(output) if output else None,
        force=bool(stored.get("force")),
        date=str(stored.get("date") or record.plan_date),
    )
    check_output(run_options)
    terminal.notice(f"Resuming run {record.id} ({compiled.id}, {record.deal or 'unnamed deal'}): {len(settled)} answer(s) kept.")
    recorder = Recorder(enabled=True, run_id=record.id)
    recorder.kept.update(settled)
    today = parse_date(run_options.date)
    finish_run(compiled, run_options, given, record.deal, today, recorder, stored, settled=settled)
