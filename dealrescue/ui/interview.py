"""Asking a playbook's questions on a terminal: forward, back, and a review before the plan.

The prompters (full-screen ``prompter``, line-by-line ``plain_prompter``) draw one
question at a time; this module decides which question comes next. Going back or
changing an answer on the review screen walks the questions again: a question
whose ``when`` no longer holds loses its answer, a newly applicable one is asked,
the others keep theirs. Each change reaches the journal as it is made.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence, Set
from typing import Any

from dealrescue.core.answers import display_answer
from dealrescue.core.engine import asked_path, reading_for, typed_answer
from dealrescue.core.loader import CompiledPlaybook
from dealrescue.core.mdescape import strip_controls
from dealrescue.core.model import Question
from dealrescue.core.questions import kind_of
from dealrescue.core.reading import PLAIN, Reading
from dealrescue.errors import AnswerError
from dealrescue.ui.plain_prompter import PlainPrompter
from dealrescue.ui.prompter import TerminalPrompter
from dealrescue.ui.prompting import GoBack, Prompter, shortened
from dealrescue.ui.terminal import PromptStreams

# How much of a prompt and of an answer the review screen shows.
REVIEW_LABEL_WIDTH = 60


def prompter_for(streams: PromptStreams, *, plain: bool, reading: Reading = PLAIN) -> Prompter:
    """Plain prompts when asked for (``--plain``, ``DEALRESCUE_PROMPTS=plain``) or on a dumb terminal.

    ``reading`` is how typed dates and numbers are read (the plan date for ``+9d``, day first or not)."""
    if plain or os.environ.get("DEALRESCUE_PROMPTS") == "plain" or os.environ.get("TERM") == "dumb":
        return PlainPrompter(streams, reading)
    return TerminalPrompter(streams, reading=reading)


def ask_deal(prompter: Prompter, default: str | None = None) -> str:
    """The deal's name, asked first when none was given (or again from the review screen)."""
    question = Question(
        id="deal_name",
        prompt="Which deal or account is this about?",
        help="A name for the plan and the journal, e.g. Acme or Acme renewal 2027.",
        required=True,
    )
    while True:
        try:
            return str(prompter.ask(question, default, first=True) or "").strip()
        except GoBack:
            prompter.note("  (this is the first question)")


def review_lines(compiled: CompiledPlaybook, path: tuple[str, ...], answers: Mapping[str, Any], deal: str) -> list[str]:
    """The review screen's list: the deal's name (line 0), then one line per answer, the question's
    prompt then the answer in words (a date as the day it became)."""
    lines = [f"Deal: {shortened(strip_controls(deal), REVIEW_LABEL_WIDTH)}"]
    for question_id in path:
        question = compiled.playbook.question(question_id)
        assert question is not None  # the path holds only this playbook's ids
        prompt = shortened(strip_controls(question.prompt), REVIEW_LABEL_WIDTH)
        answer = shortened(strip_controls(display_answer(question, answers.get(question_id))), REVIEW_LABEL_WIDTH)
        lines.append(f"{prompt} {answer}")
    return lines


def _last_key_question(compiled: CompiledPlaybook, later: Sequence[str], answered: Set[str]) -> bool:
    """No key question among ``later`` (the ids still to come), and some of them not answered yet."""
    questions = [q for q in map(compiled.playbook.question, later) if q is not None]
    return not any(q.first for q in questions) and any(q.id not in answered for q in questions)


def _with_given(compiled: CompiledPlaybook, answers: Mapping[str, Any], given: Mapping[str, Any], reading: Reading) -> dict[str, Any]:
    """The answers so far and those given ahead (--set, --answers) for questions not reached yet."""
    known = dict(answers)
    for question_id, raw in given.items():
        question = compiled.playbook.question(question_id)
        if question is not None and question_id not in known:
            try:
                known[question_id] = typed_answer(question, raw, reading)
            except AnswerError:
                pass  # reported when its question is reached
    return known


def interview(
    compiled: CompiledPlaybook,
    prompter: Prompter,
    *,
    given: Mapping[str, Any],
    settled: Mapping[str, Any],
    deal: str,
    today: str,
    on_answer: Callable[[str, Any], None],
    on_drop: Callable[[str], None],
    review: bool,
    dayfirst: bool = False,
    offer: Callable[[dict[str, Any]], bool] | None = None,
    on_rename: Callable[[str], None] | None = None,
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Settle every question its ``when`` asks for, letting the rep go back and review; return answers and path.

    ``given`` holds raw answers (--answers/--set), taken without asking when their
    question is reached; ``settled`` holds typed answers kept from before (resume).
    After the last key question (``first: true``), with questions still open, ``offer``
    is called once with the answers so far: False stops there, returning what is answered.
    The review screen's line 0 renames the deal: ``on_rename`` gets the new name.
    """
    answers: dict[str, Any] = dict(settled)
    # Questions to ask even though they have an answer: stepped back over, or picked on the review screen.
    revisit: set[str] = set()
    position = 0
    while True:
        path = asked_path(compiled, answers, deal, today)
        if position >= len(path):
            if not review or not path:
                break
            try:
                picked = prompter.review(review_lines(compiled, path, answers, deal))
            except GoBack:
                picked = len(path)
            if picked is None:
                break
            if picked == 0:
                renamed = ask_deal(prompter, deal)
                if renamed and renamed != deal and on_rename is not None:
                    deal = renamed
                    on_rename(deal)
                continue
            position = picked - 1
            revisit.add(path[position])
            continue
        question_id = path[position]
        question = compiled.playbook.question(question_id)
        assert question is not None
        if question_id in answers and question_id not in revisit:
            position += 1
            continue
        if question_id not in answers and question_id in given:
            value = typed_answer(question, given[question_id], reading_for(today, dayfirst))
        else:
            default = answers.get(question_id, question.default)
            try:
                value = prompter.ask(question, default, first=position == 0)
                if kind_of(question).dated and value is not None and str(value) < today:
                    # A renewal or signing date already past is usually a slip of the year or month.
                    prompter.note(f"  note: {value} is before the plan date, {today}: if that is a slip, go back and change it")
            except GoBack:
                if position == 0:
                    prompter.note("  (this is the first question)")
                else:
                    revisit.update((question_id, path[position - 1]))
                    position -= 1
                continue
        revisit.discard(question_id)
        answers[question_id] = value
        on_answer(question_id, value)
        # Later questions whose `when` no longer holds lose their answers now, so resume sees the same.
        still = set(asked_path(compiled, answers, deal, today))
        for later in path[position + 1:]:
            if later not in still and later in answers:
                del answers[later]
                revisit.discard(later)
                on_drop(later)
        position += 1
        if offer is not None and question.first:
            now = asked_path(compiled, answers, deal, today)
            if _last_key_question(compiled, now[now.index(question_id) + 1:], answers.keys() | given.keys()):
                go_on, offer = offer(_with_given(compiled, answers, given, reading_for(today, dayfirst))), None
                if not go_on:
                    return dict(answers), tuple(q for q in now if q in answers)
    return {question_id: answers.get(question_id) for question_id in path}, path
