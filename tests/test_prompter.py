"""The terminal prompter driven key by key through prompt_toolkit's pipe input.

CliRunner's ``input=`` cannot drive questionary; a pipe input and ``DummyOutput``
can. Keys are sent before ``ask`` runs: prompt_toolkit reads them as typeahead.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput
from prompt_toolkit.output.vt100 import Vt100_Output

from dealrescue.core.engine import collect_answers, decide
from dealrescue.core.loader import load_playbook
from dealrescue.core.model import Choice, Question, QuestionType
from dealrescue.ui.prompter import TerminalPrompter
from tests.conftest import MINIMAL

DOWN = "\x1b[B"
UP = "\x1b[A"
ENTER = "\r"
BACKSPACE = "\x7f"
CTRL_C = "\x03"
SPACE = " "


@pytest.fixture
def keys() -> Iterator[PipeInput]:
    with create_pipe_input() as pipe:
        yield pipe


@pytest.fixture
def prompter(keys: PipeInput) -> TerminalPrompter:
    return TerminalPrompter(None, pt_input=keys, pt_output=DummyOutput())


def ask(prompter: TerminalPrompter, keys: PipeInput, typed: str, question: Question, default: Any = None) -> Any:
    keys.send_text(typed)
    return prompter.ask(question, default)


def q(kind: QuestionType = QuestionType.text, **fields: Any) -> Question:
    fields.setdefault("id", "x")
    fields.setdefault("prompt", "Question?")
    return Question(type=kind, **fields)


CHOICES = [
    Choice(value="signed", label="Signed"),
    Choice(value="in_progress", label="In progress"),
    Choice(value="not_signed", label="Not signed"),
]


# --- text ------------------------------------------------------------------


def test_text_is_returned_stripped(prompter: TerminalPrompter, keys: PipeInput) -> None:
    assert ask(prompter, keys, "  Globex  " + ENTER, q()) == "Globex"


def test_text_validation_rejects_then_accepts_the_corrected_value(prompter: TerminalPrompter, keys: PipeInput) -> None:
    # "ab" is too short: Enter is refused and the text stays in the buffer; typing "c" then Enter passes.
    question = q(min=3)
    assert ask(prompter, keys, "ab" + ENTER + "c" + ENTER, question) == "abc"


def test_text_validation_retry_after_erasing(prompter: TerminalPrompter, keys: PipeInput) -> None:
    question = q(pattern=r"[A-Z]{3}-\d+")
    typed = "abc-1" + ENTER + BACKSPACE * 5 + "ABC-12" + ENTER
    assert ask(prompter, keys, typed, question) == "ABC-12"


def test_required_text_refuses_an_empty_answer(prompter: TerminalPrompter, keys: PipeInput) -> None:
    assert ask(prompter, keys, ENTER + "Initech" + ENTER, q(required=True)) == "Initech"


def test_optional_text_left_empty_is_none(prompter: TerminalPrompter, keys: PipeInput) -> None:
    assert ask(prompter, keys, ENTER, q(required=False)) is None


def test_text_default_is_prefilled(prompter: TerminalPrompter, keys: PipeInput) -> None:
    assert ask(prompter, keys, ENTER, q(), default="Umbrella") == "Umbrella"


def test_validation_message_is_shown_on_the_terminal(keys: PipeInput) -> None:
    # Keys sent all at once are handled before any redraw, so ask in a thread and type step by step.
    screen = io.StringIO()
    output = Vt100_Output(screen, lambda: Size(rows=24, columns=100), term="xterm", enable_cpr=False)
    prompter = TerminalPrompter(None, pt_input=keys, pt_output=output)
    result: list[Any] = []
    worker = threading.Thread(target=lambda: result.append(prompter.ask(q(min=3), None)), daemon=True)
    worker.start()
    keys.send_text("ab" + ENTER)
    deadline = time.monotonic() + 10
    while "needs at least 3 characters" not in screen.getvalue() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "needs at least 3 characters" in screen.getvalue()
    keys.send_text("c" + ENTER)
    worker.join(10)
    assert result == ["abc"]


def test_multiline_finishes_with_escape_enter(prompter: TerminalPrompter, keys: PipeInput) -> None:
    typed = "first line" + ENTER + "second line" + "\x1b" + ENTER
    assert ask(prompter, keys, typed, q(QuestionType.multiline)) == "first line\nsecond line"


# --- select and multiselect --------------------------------------------------


def test_select_enter_takes_the_first_choice(prompter: TerminalPrompter, keys: PipeInput) -> None:
    assert ask(prompter, keys, ENTER, q(QuestionType.select, choices=CHOICES)) == "signed"


def test_select_with_arrow_keys(prompter: TerminalPrompter, keys: PipeInput) -> None:
    assert ask(prompter, keys, DOWN + DOWN + ENTER, q(QuestionType.select, choices=CHOICES)) == "not_signed"
    assert ask(prompter, keys, DOWN + DOWN + UP + ENTER, q(QuestionType.select, choices=CHOICES)) == "in_progress"


def test_select_starts_on_the_default(prompter: TerminalPrompter, keys: PipeInput) -> None:
    question = q(QuestionType.select, choices=CHOICES, default="in_progress")
    assert ask(prompter, keys, DOWN + ENTER, question, default="in_progress") == "not_signed"


def test_multiselect_marks_with_space(prompter: TerminalPrompter, keys: PipeInput) -> None:
    question = q(QuestionType.multiselect, choices=CHOICES)
    # Mark the third then the first: the answer keeps the playbook's order.
    typed = DOWN + DOWN + SPACE + UP + UP + SPACE + ENTER
    assert ask(prompter, keys, typed, question) == ["signed", "not_signed"]


def test_multiselect_space_twice_unmarks(prompter: TerminalPrompter, keys: PipeInput) -> None:
    question = q(QuestionType.multiselect, choices=CHOICES, required=False)
    assert ask(prompter, keys, SPACE + SPACE + DOWN + SPACE + ENTER, question) == ["in_progress"]


def test_multiselect_required_refuses_nothing_marked(prompter: TerminalPrompter, keys: PipeInput) -> None:
    question = q(QuestionType.multiselect, choices=CHOICES, required=True)
    assert ask(prompter, keys, ENTER + DOWN + SPACE + ENTER, question) == ["in_progress"]


def test_multiselect_max_is_enforced_at_the_prompt(prompter: TerminalPrompter, keys: PipeInput) -> None:
    question = q(QuestionType.multiselect, choices=CHOICES, max=1)
    typed = SPACE + DOWN + SPACE + ENTER + SPACE + ENTER  # two marked: refused; unmark the second: accepted
    assert ask(prompter, keys, typed, question) == ["signed"]


def test_multiselect_default_is_premarked(prompter: TerminalPrompter, keys: PipeInput) -> None:
    question = q(QuestionType.multiselect, choices=CHOICES, default=["not_signed"])
    assert ask(prompter, keys, ENTER, question, default=["not_signed"]) == ["not_signed"]


# --- confirm -----------------------------------------------------------------


# A confirm answer needs Enter (a `y` typed with Enter out of habit must not answer the next question).
@pytest.mark.parametrize(("typed", "default", "expected"), [("y" + ENTER, False, True), ("n" + ENTER, True, False),
                                                            (ENTER, True, True), (ENTER, None, False),
                                                            ("Y" + ENTER, None, True), ("y" + "n" + ENTER, None, False)])
def test_confirm(prompter: TerminalPrompter, keys: PipeInput, typed: str, default: Any, expected: bool) -> None:
    assert ask(prompter, keys, typed, q(QuestionType.confirm), default=default) is expected


# --- scale, number, date -----------------------------------------------------


def test_scale_rejects_out_of_range_and_fractions_then_accepts(prompter: TerminalPrompter, keys: PipeInput) -> None:
    typed = "11" + ENTER + BACKSPACE * 2 + "6.5" + ENTER + BACKSPACE * 3 + "7" + ENTER
    value = ask(prompter, keys, typed, q(QuestionType.scale))
    assert value == 7
    assert isinstance(value, int)


def test_number_parses_and_validates(prompter: TerminalPrompter, keys: PipeInput) -> None:
    typed = "lots" + ENTER + BACKSPACE * 4 + "1,500" + ENTER
    assert ask(prompter, keys, typed, q(QuestionType.number, min=0)) == 1500
    assert ask(prompter, keys, "-3" + ENTER + BACKSPACE * 2 + "2.5" + ENTER, q(QuestionType.number, min=0)) == 2.5


def test_date_parses_and_validates(prompter: TerminalPrompter, keys: PipeInput) -> None:
    typed = "2026-13-01" + ENTER + BACKSPACE * 10 + "2027-02-28" + ENTER
    assert ask(prompter, keys, typed, q(QuestionType.date)) == "2027-02-28"


# --- Ctrl-C ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "question"),
    [
        ("half" + CTRL_C, q()),
        (DOWN + CTRL_C, q(QuestionType.select, choices=CHOICES)),
        (SPACE + CTRL_C, q(QuestionType.multiselect, choices=CHOICES)),
        (CTRL_C, q(QuestionType.confirm)),
        ("5" + CTRL_C, q(QuestionType.scale)),
        (CTRL_C, q(QuestionType.date)),
        (CTRL_C, q(QuestionType.number)),
    ],
    ids=["text", "select", "multiselect", "confirm", "scale", "date", "number"],
)
def test_ctrl_c_raises_keyboard_interrupt(prompter: TerminalPrompter, keys: PipeInput, typed: str,
                                          question: Question) -> None:
    with pytest.raises(KeyboardInterrupt):
        ask(prompter, keys, typed, question)


# --- a whole interactive run through the engine ------------------------------


Run = tuple[dict[str, Any], tuple[str, ...], list[str]]


def run_interactively(typed: str, given: dict[str, Any] | None = None) -> Run:
    compiled = load_playbook(MINIMAL.encode(), "mini.yaml")
    saved: list[str] = []
    with create_pipe_input() as keys:
        prompter = TerminalPrompter(None, pt_input=keys, pt_output=DummyOutput())
        keys.send_text(typed)
        answers, asked = collect_answers(
            compiled,
            given=given or {},
            deal="Acme",
            today="2026-11-22",
            ask=prompter.ask,
            on_answer=lambda qid, value: saved.append(qid),
        )
    verdict = compiled.playbook.verdicts[decide(compiled, answers, asked, "Acme", "2026-11-22").verdict_index].id
    return answers | {"verdict": verdict}, asked, saved


def test_collect_answers_interactively_gap_branch() -> None:
    answers, asked, saved = run_interactively("Globex" + ENTER + ENTER + "reporting" + ENTER)
    assert answers == {"competitor": "Globex", "reason": "gap", "gap": "reporting", "verdict": "fight"}
    assert asked == ("competitor", "reason", "gap")
    assert saved == ["competitor", "reason", "gap"]


def test_collect_answers_interactively_skips_what_when_rules_out() -> None:
    answers, asked, _ = run_interactively("Globex" + ENTER + DOWN + ENTER)
    assert answers == {"competitor": "Globex", "reason": "better_fit", "verdict": "walk"}
    assert asked == ("competitor", "reason")


def test_collect_answers_asks_only_what_was_not_given() -> None:
    # competitor comes from --answers/--set: the first keys go to the reason prompt.
    answers, asked, saved = run_interactively(DOWN + ENTER, given={"competitor": "Initech"})
    assert answers == {"competitor": "Initech", "reason": "better_fit", "verdict": "walk"}
    assert saved == ["competitor", "reason"]


def test_ctrl_c_mid_run_keeps_the_answers_given_so_far() -> None:
    compiled = load_playbook(MINIMAL.encode(), "mini.yaml")
    saved: dict[str, Any] = {}
    with create_pipe_input() as keys:
        prompter = TerminalPrompter(None, pt_input=keys, pt_output=DummyOutput())
        keys.send_text("Globex" + ENTER + ENTER + "repo" + CTRL_C)
        with pytest.raises(KeyboardInterrupt):
            collect_answers(compiled, given={}, deal="Acme", today="2026-11-22", ask=prompter.ask,
                            on_answer=saved.__setitem__)
    assert saved == {"competitor": "Globex", "reason": "gap"}


# --- back (Ctrl-B, or Esc then B) on every type ------------------------------


CTRL_B = "\x02"


@pytest.mark.parametrize("back", [CTRL_B, "\x1bb"], ids=["ctrl-b", "esc-b"])
@pytest.mark.parametrize(
    "question",
    [q(), q(QuestionType.multiline), q(QuestionType.select, choices=CHOICES), q(QuestionType.multiselect, choices=CHOICES),
     q(QuestionType.confirm), q(QuestionType.scale), q(QuestionType.number), q(QuestionType.date)],
    ids=["text", "multiline", "select", "multiselect", "confirm", "scale", "number", "date"],
)
def test_back_key_raises_go_back(prompter: TerminalPrompter, keys: PipeInput, back: str, question: Question) -> None:
    from dealrescue.ui.prompting import GoBack

    with pytest.raises(GoBack):
        ask(prompter, keys, "1" + back if question.type is not QuestionType.multiselect else back, question)


# --- plain prompts: lines in, lines out --------------------------------------


def plain(typed: str, question: Question, default: Any = None) -> tuple[Any, str]:
    from dealrescue.ui.plain_prompter import PlainPrompter
    from dealrescue.ui.terminal import PromptStreams

    shown = io.StringIO()
    value = PlainPrompter(PromptStreams(io.StringIO(typed), shown, [])).ask(question, default)
    return value, shown.getvalue()


@pytest.mark.parametrize(
    ("question", "typed", "expected"),
    [
        (q(QuestionType.select, choices=CHOICES), "3\n", "not_signed"),
        (q(QuestionType.select, choices=CHOICES), "In progress\n", "in_progress"),
        (q(QuestionType.multiselect, choices=CHOICES), "3, 1\n", ["signed", "not_signed"]),
        (q(QuestionType.multiselect, choices=CHOICES, required=False), "none\n", []),
        (q(QuestionType.confirm), "y\n", True),
        (q(QuestionType.multiline), "first\nsecond\n.\n", "first\nsecond"),
        (q(QuestionType.scale), "11\n7\n", 7),  # refused, asked again
        (q(QuestionType.date), "2026-12-01\n", "2026-12-01"),
    ],
    ids=["select-number", "select-label", "multiselect", "multiselect-none", "confirm", "multiline", "scale", "date"],
)
def test_plain_prompter_reads_lines(question: Question, typed: str, expected: Any) -> None:
    value, shown = plain(typed, question)
    assert value == expected
    assert "\x1b" not in shown  # no cursor movement, no colour


def test_plain_prompter_refusal_is_right_under_the_answer_and_enter_keeps_the_default() -> None:
    value, shown = plain("11\n\n", q(QuestionType.scale), default=4)
    assert value == 4
    lines = shown.splitlines()
    refused = next(i for i, line in enumerate(lines) if "must be at most 10" in line)
    assert lines[refused + 1] == "? Question?"  # asked again at once, the answer it keeps named
    assert "Enter keeps 4" in lines[refused + 2]


def test_plain_prompter_back_and_a_closed_input() -> None:
    from dealrescue.ui.prompting import GoBack

    with pytest.raises(GoBack):
        plain("<\n", q())
    with pytest.raises(EOFError):
        plain("", q())


def test_plain_prompter_and_review_strip_control_sequences_from_playbook_text() -> None:
    hostile = [Choice(value="a", label="Clear\x1b[2J screen"), Choice(value="b", label="Bell\x07 ring")]
    question = q(QuestionType.select, choices=hostile, prompt="Pick\x1b]0;title\x07 one", help="Help\x1b[31m red")
    value, shown = plain("1\n", question)
    assert value == "a"
    assert "\x1b" not in shown and "\x07" not in shown
    assert "Clear" in shown and "screen" in shown


def test_plain_prompter_out_of_range_says_which_numbers() -> None:
    value, shown = plain("5\n2\n", q(QuestionType.select, choices=CHOICES))
    assert value == "in_progress"
    assert "! type 1-3" in shown
    assert "not one of the choices" not in shown  # never the internal ids


def test_the_back_hint_in_tmux_is_esc_b(monkeypatch: pytest.MonkeyPatch) -> None:
    from dealrescue.ui.prompting import back_key, instruction

    monkeypatch.delenv("TMUX", raising=False)
    assert back_key() == "Ctrl-B back"
    monkeypatch.setenv("TMUX", "/tmp/tmux-0/default,1,0")
    assert back_key() == "Esc b back"
    assert "Esc b back" in instruction(q(), back=True)
