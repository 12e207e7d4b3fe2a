"""One playbook run, from flags to a written plan: the function every run command calls."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealrescue import catalog, terminal
from dealrescue.errors import AnswerError, Interrupted, OutputExistsError, UsageError

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


def gather_given(options: RunOptions) -> tuple[dict[str, Any], str]:
    """Answers from --answers then --set (which wins), and the deal name."""
    given: dict[str, Any] = read_answers_file(options.answers_file) if options.answers_file else {}
    given.update(parse_sets(options.sets))
    deal_from_answers = given.pop("deal", None)
    deal = options.deal if options.deal is not None else ("" if deal_from_answers is None else str(deal_from_answers))
    return given, deal.strip()


def check_output(options: RunOptions) -> None:
    """Refuse early, before any question, if the plan could not be written."""
    if options.output is None:
        return
    if options.output.is_dir():
        raise UsageError(f"{options.output} is a folder", hint="give a file name to -o/--output")
    if (options.output.exists() or options.output.is_symlink()) and not options.force:
        raise OutputExistsError(f"{options.output} already exists", hint="add --force to replace it, or choose another -o file")


def render(plan: Plan, fmt: str) -> str:
    from dealrescue.core.render import to_json, to_markdown

    return to_json(plan) if fmt == "json" else to_markdown(plan)


def emit(text: str, options: RunOptions) -> None:
    if options.output is not None:
        from dealrescue.output import write_atomic

        write_atomic(options.output, text, force=options.force)
        terminal.notice(f"Plan written to {options.output}")
    elif options.format == "markdown" and terminal.stdout_is_terminal():
        from dealrescue.console import show_markdown

        show_markdown(text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def run(options: RunOptions) -> None:
    if options.format not in ("markdown", "json"):
        raise UsageError(f"--format {options.format!r} is not known", hint="use --format markdown or --format json")
    today = parse_date(options.date)
    check_output(options)
    compiled, _origin = catalog.load(options.playbook, options.playbooks_dir)
    given, deal = gather_given(options)
    from dealrescue.core.engine import check_answer_ids

    check_answer_ids(compiled, given)
    streams = None if options.no_input else terminal.prompt_streams(stdin_taken=options.answers_file == "-")
    try:
        plan = _answer_and_plan(compiled, given, deal, today, streams)
    finally:
        if streams is not None:
            streams.close()
    emit(render(plan, options.format), options)


def _answer_and_plan(
    compiled: CompiledPlaybook, given: dict[str, Any], deal: str, today: dt.date, streams: terminal.PromptStreams | None
) -> Plan:
    from dealrescue.core.engine import collect_answers, decide
    from dealrescue.core.plan import build_plan

    iso = today.isoformat()
    kept: list[str] = []
    if streams is None:
        answers, asked = collect_answers(compiled, given=given, deal=deal, today=iso, ask=None)
    else:
        from dealrescue.prompter import TerminalPrompter

        prompter = TerminalPrompter(streams)
        try:
            prompter.note(f"{compiled.playbook.title}: {compiled.playbook.summary}")
            if not deal:
                deal = _ask_deal(prompter)
            answers, asked = collect_answers(
                compiled, given=given, deal=deal, today=iso, ask=prompter.ask, on_answer=lambda qid, _v: kept.append(qid)
            )
        except KeyboardInterrupt:
            raise Interrupted(
                f"interrupted after {len(kept)} answer(s); no plan was made and nothing was saved",
                hint=f"run `dealrescue {compiled.id}` again, or pass answers with --answers FILE",
            ) from None
        except EOFError:
            raise AnswerError("the terminal closed before every question was answered", hint="pass answers with --answers FILE") from None
    outcome = decide(compiled, answers, asked, deal, iso)
    return build_plan(compiled, outcome, deal, today)


def _ask_deal(prompter: Any) -> str:
    from dealrescue.core.model import Question

    question = Question(id="deal_name", prompt="Which deal or account is this about?", required=False)
    return str(prompter.ask(question, None) or "")
