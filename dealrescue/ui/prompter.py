"""The only module that imports questionary: asking one question on a terminal.

The question owns its logic (when, validation, casting, in ``dealrescue.core``);
this adapter only draws it and hands the typed answer back.
"""

from __future__ import annotations

from typing import Any

from dealrescue.core.answers import AnswerProblem, parse_answer, range_text
from dealrescue.core.expressions import display_value
from dealrescue.core.mdescape import strip_controls
from dealrescue.core.model import Question, QuestionType
from dealrescue.ui.terminal import PromptStreams, color_allowed


def instruction(question: Question) -> str:
    """The hint after a typed question: its form (unless the prompt says it already) and whether it may be left empty."""
    parts = []
    kind = question.type
    numbers = range_text(question)
    if kind is QuestionType.scale and numbers is not None:
        low, high = numbers.split("-")
        if not any(f"{low}{sep}{high}" in question.prompt for sep in ("-", " to ", "–")):
            parts.append(numbers)
    elif kind is QuestionType.number:
        parts.append("a number" + (f", {numbers}" if numbers else ""))
    elif kind is QuestionType.date and "YYYY-MM-DD" not in question.prompt:
        parts.append("YYYY-MM-DD")
    elif kind is QuestionType.multiline:
        parts.append("Esc then Enter to finish")
    if not question.required and "leave empty" not in question.prompt.lower():
        parts.append("optional")
    return f"({', '.join(parts)})" if parts else ""


class TerminalPrompter:
    """Asks questions with questionary on the given streams. Ctrl-C raises KeyboardInterrupt."""

    def __init__(self, streams: PromptStreams | None = None, *, pt_input: Any = None, pt_output: Any = None) -> None:
        from prompt_toolkit.input import create_input
        from prompt_toolkit.output import create_output

        self._streams = streams
        self._input = pt_input if pt_input is not None else create_input(streams.input if streams else None)  # type: ignore[arg-type]
        self._output = pt_output if pt_output is not None else create_output(stdout=streams.output if streams else None)  # type: ignore[arg-type]

    def note(self, text: str) -> None:
        if self._streams is not None:
            print(strip_controls(text), file=self._streams.output, flush=True)

    def ask(self, question: Question, default: Any) -> Any:
        import questionary

        def validate(raw: Any) -> bool | str:
            try:
                parse_answer(question, raw)
            except AnswerProblem as exc:
                return str(exc)
            return True

        common: dict[str, Any] = {
            "input": self._input,
            "output": self._output,
            "qmark": "?",
            "style": None if color_allowed() else questionary.Style([("", "noinherit")]),
        }
        if question.help:
            # A blank line first, so the help sits with this question, not under the last answer.
            self.note(f"\n  {question.help}")
        kind = question.type
        # Playbook text reaches the terminal: through the one sanitiser (no escape sequences, no bidi tricks).
        prompt = strip_controls(question.prompt)
        if kind is QuestionType.select:
            choices = [questionary.Choice(title=strip_controls(c.label), value=c.value) for c in question.choices]
            answer = questionary.select(prompt, choices=choices, default=default, **common).unsafe_ask()
        elif kind is QuestionType.multiselect:
            chosen = set(parse_answer(question, default) or []) if default is not None else set()
            choices = []
            group = None
            for c in question.choices:
                if c.group and c.group != group:
                    choices.append(questionary.Separator(strip_controls(f"-- {c.group} --")))
                    group = c.group
                choices.append(questionary.Choice(title=strip_controls(c.label), value=c.value, checked=c.value in chosen))
            answer = questionary.checkbox(
                prompt, choices=choices, validate=validate, instruction="(Space to mark, Enter when done)", **common
            ).unsafe_ask()
        elif kind is QuestionType.confirm:
            answer = questionary.confirm(prompt, default=bool(default), **common).unsafe_ask()
        else:
            answer = questionary.text(
                prompt,
                default="" if default is None else display_value(default),
                validate=validate,
                multiline=kind is QuestionType.multiline,
                instruction=instruction(question),
                **common,
            ).unsafe_ask()
        return parse_answer(question, answer)
