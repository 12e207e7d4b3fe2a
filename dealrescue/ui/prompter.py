"""The only module that imports questionary: asking one question on a terminal.

The question owns its logic (when, validation, casting, in ``dealrescue.core``);
this adapter only draws it and hands the typed answer back. Ctrl-B (or Esc then
B, for tmux and screen, which keep Ctrl-B) goes back: ``ask`` raises ``GoBack``.
"""

from __future__ import annotations

from typing import Any

from dealrescue.core.answers import AnswerProblem, display_answer, parse_answer
from dealrescue.core.expressions import display_value
from dealrescue.core.mdescape import strip_controls
from dealrescue.core.model import Question
from dealrescue.core.questions import kind_of
from dealrescue.core.reading import PLAIN, Reading
from dealrescue.ui.prompting import (
    GoBack,
    back_key,
    instruction,
    review_choice,
    review_echo,
    review_help,
    review_listing,
    shortened,
    width_of,
    wrapped,
)
from dealrescue.ui.terminal import PromptStreams, color_allowed


class TerminalPrompter:
    """Asks questions with questionary on the given streams. Ctrl-C raises KeyboardInterrupt."""

    def __init__(self, streams: PromptStreams | None = None, *, pt_input: Any = None, pt_output: Any = None,
                 reading: Reading = PLAIN) -> None:
        from prompt_toolkit.input import create_input
        from prompt_toolkit.output import create_output

        self._streams = streams
        self._input = pt_input if pt_input is not None else create_input(streams.input if streams else None)  # type: ignore[arg-type]
        self._output = pt_output if pt_output is not None else create_output(stdout=streams.output if streams else None)  # type: ignore[arg-type]
        self._width = width_of(streams.output if streams else None)
        # The plan date (``+9d`` counts from it) and the order of 03/04.
        self._reading = reading

    def note(self, text: str) -> None:
        # Through prompt_toolkit's output, so notes and prompts share one stream in order.
        self._output.write_raw(strip_controls(text).replace("\n", "\r\n") + "\r\n")
        self._output.flush()

    def banner(self, text: str) -> None:
        self.note(wrapped(strip_controls(text), self._width))

    def ask(self, question: Question, default: Any, *, first: bool = False) -> Any:
        if question.help:
            # A blank line first, so the help sits with this question, not under the last answer.
            self.note("\n" + wrapped(strip_controls(question.help), self._width, indent="  "))
        try:
            raw = self._widget(question, default, back=not first)
        except GoBack:
            self._echo(question.prompt, "(back)")
            raise
        value = parse_answer(question, raw, self._reading)
        # The prompt is erased when answered; this line, wrapped at words, stays in the scrollback.
        if kind_of(question).many:
            labels = [shortened(strip_controls(c.label), 40) for c in question.choices if c.value in (value or [])]
            shown = "; ".join(labels) or "(none)"
        else:
            shown = strip_controls(display_answer(question, value))
        self._echo(question.prompt, shown)
        return value

    def _echo(self, prompt: str, shown: str) -> None:
        self.note(wrapped(f"{strip_controls(prompt)} {shown}", self._width, indent="  ", first="? "))

    def _validate(self, question: Question) -> Any:
        def validate(raw: Any) -> bool | str:
            try:
                parse_answer(question, raw, self._reading)
            except AnswerProblem as exc:
                return strip_controls(str(exc))
            return True

        return validate

    def review(self, lines: list[str]) -> int | None:
        import questionary

        count = len(lines) - 1  # line 0 is the deal's name

        def validate(raw: str) -> bool | str:
            try:
                review_choice(raw, count)
            except ValueError as exc:
                return str(exc)
            return True

        self.note(review_listing(lines, self._width))
        self.note(wrapped(review_help(count), self._width, indent="  ", first="  "))
        prompt = questionary.text("Make the plan?", validate=validate, **self._common())
        _message_under_the_input(prompt)
        try:
            picked = review_choice(str(self._run(prompt) or ""), count)
        except GoBack:
            self._echo("Make the plan?", "(back)")
            raise
        self._echo("Make the plan?", review_echo(picked))
        return picked

    # -- drawing --------------------------------------------------------------------------------

    def _common(self) -> dict[str, Any]:
        import questionary

        return {
            "input": self._input,
            "output": self._output,
            "qmark": "?",
            "style": None if color_allowed() else questionary.Style([("", "noinherit")]),
            "erase_when_done": True,
        }

    def _run(self, prompt: Any) -> Any:
        """Ask ``prompt`` (a questionary Question), with Ctrl-B and Esc B going back."""
        from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings

        keys = KeyBindings()

        @keys.add("c-b", eager=True)
        @keys.add("escape", "b", eager=True)
        @keys.add("escape", "B", eager=True)
        def _back(event: Any) -> None:
            event.app.exit(exception=GoBack())

        app = prompt.application
        app.key_bindings = merge_key_bindings([app.key_bindings or KeyBindings(), keys])
        return prompt.unsafe_ask()

    def _widget(self, question: Question, default: Any, *, back: bool) -> Any:
        # Playbook text reaches the terminal: through the one sanitiser (no escape sequences, no bidi tricks).
        text = strip_controls(question.prompt)
        widgets = {"select": self._select, "checkbox": self._multiselect, "confirm": self._confirm}
        return widgets.get(kind_of(question).widget, self._text)(question, text, default, back=back)

    def _select(self, question: Question, text: str, default: Any, *, back: bool) -> Any:
        import questionary

        choices = [questionary.Choice(title=self._label(c.label), value=c.value) for c in question.choices]
        known = default if any(c.value == default for c in question.choices) else None
        hint = "(arrow keys, Enter" + (f"; {back_key()})" if back else ")")
        prompt = questionary.select(self._message(text, hint), choices=choices, default=known, instruction=hint, **self._common())
        return self._run(prompt)

    def _confirm(self, question: Question, text: str, default: Any, *, back: bool) -> Any:
        import questionary

        # Enter confirms: a `y` typed out of habit with Enter never answers the next question.
        yes_no = "(y/N, then Enter" if not default else "(Y/n, then Enter"
        hint = yes_no + (f"; {back_key()})" if back else ")")
        message = self._message(text, hint)
        prompt = questionary.confirm(message, default=bool(default), auto_enter=False, instruction=hint, **self._common())
        return self._run(prompt)

    def _text(self, question: Question, text: str, default: Any, *, back: bool) -> Any:
        import questionary

        hint = instruction(question, back=back, reading=self._reading)
        prompt = questionary.text(
            self._message(text, hint),
            default="" if default is None else display_value(default),
            validate=self._validate(question),
            multiline=kind_of(question).multiline,
            instruction=hint,
            **self._common(),
        )
        _message_under_the_input(prompt)
        return self._run(prompt)

    def _multiselect(self, question: Question, text: str, default: Any, *, back: bool) -> Any:
        import questionary

        try:
            chosen = set(parse_answer(question, default) or []) if default is not None else set()
        except AnswerProblem:
            chosen = set()
        choices: list[Any] = []
        group = None
        for c in question.choices:
            if c.group and c.group != group:
                choices.append(questionary.Separator(f"-- {strip_controls(c.group)} --"))
                group = c.group
            choices.append(questionary.Choice(title=self._label(c.label, 5), value=c.value, checked=c.value in chosen))
        hint = "(Space to mark, Enter when done" + (f"; {back_key()})" if back else ")")
        message = self._message(text, hint)
        prompt = questionary.checkbox(message, choices=choices, validate=self._validate(question), instruction=hint, **self._common())
        return self._run(prompt)

    def _message(self, prompt: str, hint: str) -> str:
        """The prompt wrapped at words after questionary's "? ", with room left for its hint, else the hint on a line of its own."""
        text = wrapped(strip_controls(prompt), self._width, indent="  ", first="  ")[2:]
        last = text.rsplit("\n", 1)[-1]
        used = len(last) + (2 if "\n" not in text else 0)
        if hint and used + 2 + len(hint) > self._width - 1:
            text += "\n "  # questionary puts a space before the hint: it starts two columns in
        return text

    def _label(self, label: str, lead: int = 3) -> str:
        """A choice's label, wrapped under itself when longer than the terminal (pointer and mark take ``lead`` columns)."""
        return wrapped(strip_controls(label), self._width - lead, indent=" " * lead).lstrip()


def _message_under_the_input(prompt: Any) -> None:
    """Keep the input line from growing to the screen's height, so a validation message sits right under it.

    prompt_toolkit lets the input window take every free line; on a tall terminal
    the message then lands on the bottom line, far from the prompt.
    """
    from prompt_toolkit.filters import to_filter
    from prompt_toolkit.layout import BufferControl, Window

    for container in prompt.application.layout.walk():
        if isinstance(container, Window) and isinstance(container.content, BufferControl):
            container.dont_extend_height = to_filter(True)
