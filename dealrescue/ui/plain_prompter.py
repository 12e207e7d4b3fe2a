"""Plain prompts: one line per question, typed and confirmed with Enter, no cursor movement.

For screen readers, ``TERM=dumb`` and terminals where full-screen prompts fail.
Choices are numbered; ``<`` alone goes back. The terminal stays in its normal
line mode, so Ctrl-C is the usual interrupt.
"""

from __future__ import annotations

from typing import Any

from dealrescue.core.answers import AnswerProblem, display_answer, parse_answer
from dealrescue.core.mdescape import strip_controls
from dealrescue.core.model import Question
from dealrescue.core.questions import kind_of
from dealrescue.core.reading import PLAIN, Reading
from dealrescue.ui.prompting import GoBack, instruction, review_choice, review_listing, width_of, wrapped
from dealrescue.ui.terminal import PromptStreams

BACK = "<"
# What to type, for each widget a terminal would show (a typed answer's hint comes from its kind).
_WIDGET_WORDS = {
    "select": "type a number",
    "checkbox": "numbers separated by commas, or none",
    "confirm": "y or n, then Enter",
    "lines": "several lines; a line with only . ends",
}


class PlainPrompter:
    def __init__(self, streams: PromptStreams, reading: Reading = PLAIN) -> None:
        self._streams = streams
        self._width = width_of(streams.output)
        self._reading = reading

    def note(self, text: str) -> None:
        print(text, file=self._streams.output, flush=True)

    def banner(self, text: str) -> None:
        self.note(wrapped(strip_controls(text), self._width))

    def _line(self, prompt: str) -> str:
        self._streams.output.write(prompt)
        self._streams.output.flush()
        try:
            line = self._streams.input.readline()
        except KeyboardInterrupt:
            # The terminal echoed ^C after the prompt: end that line so the error starts its own.
            self._streams.output.write("\n")
            self._streams.output.flush()
            raise
        if not line:
            raise EOFError
        return line.rstrip("\r\n")

    def ask(self, question: Question, default: Any, *, first: bool = False) -> Any:
        if question.help:
            self.note("\n" + wrapped(strip_controls(question.help), self._width, indent="  "))
        back = "" if first else f"; {BACK} back"
        kind = kind_of(question)
        while True:
            self.note(wrapped(strip_controls(question.prompt), self._width, first="? ", indent="  "))
            if question.choices:
                for number, choice in enumerate(question.choices, start=1):
                    self.note(wrapped(strip_controls(choice.label), self._width, first=f"  {number:>2}. ", indent="      "))
            hint = self._hint(question, default) + back
            if kind.multiline:
                raw: Any = self._lines(hint, default)
            else:
                raw = self._line(wrapped(f"({hint})", self._width, indent="  ") + " ")
                if raw.strip() == BACK and not first:
                    raise GoBack
                if not raw.strip() and default is not None:
                    raw = default
            try:
                if question.choices and isinstance(raw, str) and raw.strip():
                    raw = self._numbers(question, raw)
                value = parse_answer(question, raw, self._reading)
            except AnswerProblem as exc:
                self.note(wrapped(strip_controls(str(exc)), self._width, indent="    ", first="  ! "))
                continue
            self.note(f"  = {strip_controls(display_answer(question, value))}")
            return value

    def _hint(self, question: Question, default: Any) -> str:
        kind = kind_of(question)
        shown = "" if default is None else strip_controls(display_answer(question, default))
        keeps = "" if default is None else f"{'a lone .' if kind.multiline else 'Enter'} keeps {shown}"
        words = _WIDGET_WORDS.get(kind.widget) or instruction(question, reading=self._reading).strip("()") or "type the answer"
        return "; ".join(part for part in (words, keeps) if part)

    def _numbers(self, question: Question, raw: str) -> Any:
        """Typed choice numbers as choice values; anything else is left for the parser (a value or label)."""
        many = kind_of(question).many
        if many and raw.strip().lower() == "none":
            return []
        parts = [part.strip() for part in raw.split(",") if part.strip()]
        count = len(question.choices)
        if parts and all(part.isdigit() for part in parts) and not all(1 <= int(part) <= count for part in parts):
            raise AnswerProblem(f"type 1-{count}" + (", several separated by commas" if many else "") if count > 1 else "type 1")
        if not all(part.isdigit() for part in parts):
            return raw
        values = [question.choices[int(part) - 1].value for part in parts]
        return values if many else ",".join(values)

    def _lines(self, hint: str, default: Any) -> Any:
        self.note(wrapped(f"({hint})", self._width, indent="  "))
        lines: list[str] = []
        while True:
            line = self._line("  | ")
            if line.strip() == BACK and not lines:
                raise GoBack
            if line.strip() == ".":
                return default if not lines and default is not None else "\n".join(lines)
            lines.append(line)

    def review(self, lines: list[str]) -> int | None:
        self.note(review_listing(lines, self._width))
        while True:
            count = len(lines) - 1  # line 0 is the deal's name
            raw = self._line(f"(Enter makes the plan; a number 1-{count} changes that answer, 0 the deal's name; {BACK} back) ")
            if raw.strip() == BACK:
                raise GoBack
            try:
                return review_choice(raw, count)
            except ValueError as exc:
                self.note(f"  ! {exc}")

