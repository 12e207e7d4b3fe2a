"""The playbook format, defined once, as frozen dataclasses.

``core.validate`` checks plain data against them (``validate_as``), rejecting unknown keys,
but only when a file is checked: a run whose playbook comes from the compiled cache
unpickles these plain classes. pydantic reads them only to print the JSON Schema. Each
field's ``metadata`` carries its description and simple constraints; the loader checks the
constraints (naming the key path and line) and ``json_schema`` copies both into the schema
printed by ``dealrescue playbooks schema``.
"""

from __future__ import annotations

import dataclasses
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:  # only the type checker needs it; keep typing_extensions off the run path

    def dataclass_transform(**_: Any) -> Any:
        return lambda decorated: decorated


ID_PATTERN = r"^[a-z][a-z0-9_]*$"
PLAYBOOK_ID_PATTERN = r"^[a-z][a-z0-9_-]*$"
DUE_PATTERN = r"^\+?\d+[dwmy]$"
# An offset from the plan date, or a date question id with an optional offset: decision_date -2d.
DATE_EXPR_PATTERN = r"^\s*(\+?\d+[dwmy]|[a-z][a-z0-9_]*(\s*[+-]\s*\d+[dwmy])?)\s*$"
DEADLINE_PATTERN = r"^\s*[a-z][a-z0-9_]*(\s*[+-]\s*\d+[dwmy])?\s*$"
# Names every condition and template may use besides the question ids.
RESERVED_NAMES = frozenset(
    {"deal", "today", "days_until", "scores", "bands", "band_labels", "labels", "verdict", "playbook", "dates", "steps", "true", "false", "none"}
)

T = TypeVar("T")


def doc(description: str, default: Any = dataclasses.MISSING, *, factory: Any = dataclasses.MISSING, **rules: Any) -> Any:
    """A field with its description and constraints (``pattern``, ``min_length``, ``min_items``, ``ge``)."""
    metadata = {"description": description, **rules}
    if factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclass_transform(frozen_default=True, field_specifiers=(doc,))
def spec(cls: type[T]) -> type[T]:
    """A frozen record of the format: unknown keys are refused (by ``core.validate``, and pydantic's
    config below says the same for the JSON Schema)."""

    cls.__pydantic_config__ = {"extra": "forbid"}  # type: ignore[attr-defined]
    return dataclasses.dataclass(frozen=True, slots=True)(cls)


class QuestionType(StrEnum):
    text = "text"
    multiline = "multiline"
    select = "select"
    multiselect = "multiselect"
    confirm = "confirm"
    scale = "scale"
    number = "number"
    date = "date"


@spec
class Choice:
    """One option of a select or multiselect question."""

    value: str = doc("Stable value stored in answers and used in conditions.", pattern=ID_PATTERN)
    label: str = doc("What the rep sees.", min_length=1)
    help: str | None = doc("A hint shown beside the label.", default=None)
    points: dict[str, float] = doc("Points this choice adds to named scores, e.g. {risk: 3}.", factory=dict)
    group: str | None = doc("A heading that groups choices (shown as a separator).", default=None)
    aliases: list[str] = doc(
        "Other words for this choice, as a CRM or a team writes them (Closed Won, Met, Yes...): rank and typed answers "
        "read them, in any case and spacing.",
        factory=list,
    )


@spec
class Question:
    """One question: its prompt, type, choices, default, checks and when it is asked."""

    id: str = doc("Answer key, used in conditions and templates.", pattern=ID_PATTERN)
    prompt: str = doc("The question as the rep sees it.", min_length=1)
    help: str | None = doc("One line shown under the prompt.", default=None)
    type: QuestionType = doc("text, multiline, select, multiselect, confirm, scale, number or date.", default=QuestionType.text)
    choices: list[Choice] = doc("For select and multiselect.", factory=list)
    default: Any = doc("Used when the rep presses Enter or under --no-input.", default=None)
    required: bool = doc("A required answer must be given (or have a default).", default=True)
    min: float | None = doc("Smallest number, or fewest characters/choices.", default=None)
    max: float | None = doc("Largest number, or most characters/choices.", default=None)
    pattern: str | None = doc("A regular expression a text answer must match.", default=None)
    when: str | None = doc("Ask only when this condition on earlier answers holds.", default=None)
    points: dict[str, float] = doc(
        "Per-answer points: a number or scale answer times this weight, or a yes to a confirm.", factory=dict
    )
    customer_safe: bool = doc(
        "text and multiline: the rep writes this answer for the customer, so talk tracks and emails may quote it.",
        default=False,
    )
    deadline_label: str | None = doc(
        "date: how the plan names this date when a step is pulled in before it, e.g. \"their decision\".", default=None
    )
    first: bool = doc(
        "A key question, asked while there is one shot at it: after the last one, a rep on a terminal sees the "
        "provisional verdict and may make the plan now (a draft) and add the details later.",
        default=False,
    )
    other: str | None = doc(
        "select: the choice value any other non-empty text in a rank cell means, e.g. identified for a competitor's "
        "name in Competition.",
        default=None,
    )
    closed: list[str] = doc(
        "Cell values meaning the deal is closed (Closed Won, Lost...): rank skips such rows, with one note.",
        factory=list,
    )


@spec
class Band:
    """Maps a score to a label: the band with the highest ``min`` not above the score wins."""

    id: str = doc("Band id, used in conditions as bands.<score>.", pattern=ID_PATTERN)
    min: float = doc("Lowest score in this band.")
    label: str = doc("What the band is called in the plan.")
    note: str | None = doc("What this band means, shown in the plan.", default=None)


@spec
class ScoreRule:
    """Points a score gets when a condition holds."""

    when: str = doc("Condition; when it holds, points are added.")
    points: float = doc("Points added when the condition holds.")
    label: str | None = doc("How the plan names this rule among a score's drivers.", default=None)


@spec
class Score:
    """A named total of points, with bands that label ranges of it."""

    id: str = doc("Score id, used in conditions as scores.<id>.", pattern=ID_PATTERN)
    title: str = doc("How the plan names the score.")
    combine: Literal["sum", "max"] = doc("sum the points, or keep the largest.", default="sum")
    better: Literal["higher", "lower"] = doc(
        "Whether a higher or a lower total is better: rank breaks ties on this score in its own direction.",
        default="higher",
    )
    rules: list[ScoreRule] = doc("Extra points when a condition holds.", factory=list)
    bands: list[Band] = doc("Labels for ranges of the total.", factory=list)


@spec
class Verdict:
    """One verdict rule: the first whose condition holds wins; one is the default."""

    id: str = doc("Verdict id, used in conditions as verdict.", pattern=ID_PATTERN)
    title: str = doc("The verdict as the plan states it.")
    rationale: str = doc("Template: why this verdict.")
    when: str | None = doc("Rules are tried in order; the first that holds wins.", default=None)
    default: bool = doc("Exactly one verdict is the default.", default=False)
    next: str | None = doc("Id of the follow-on playbook to run next.", default=None)
    success: list[str] = doc(
        "Outcome ids that mean this verdict's advice worked: dealrescue track counts them as successes.", factory=list
    )


GAP_PATTERN = r"^\s*\d+\s*w?d\s*$"


def _id_field() -> Any:
    return doc(
        "A name other steps and follow-ups use in after (default: plan_N or followups_N, N counted from 0).",
        default=None,
        pattern=ID_PATTERN,
    )


def _after_field() -> Any:
    return doc("Ids of the steps or follow-ups that must come first: one id, or a list.", factory=list)


def _gap_field() -> Any:
    return doc(
        "The least time after the steps in after: 5wd (working days) or 3d (days).", default=None, pattern=GAP_PATTERN
    )


def _customer_field() -> Any:
    return doc(
        "The customer takes part (a call, a meeting, a milestone): it moves off a weekend when a working day is free.",
        default=False,
    )


def ids_in(after: str | list[str]) -> tuple[str, ...]:
    """``after`` as written (one id or a list) as a tuple of ids."""
    return (after,) if isinstance(after, str) else tuple(after)


@spec
class Step:
    """A dated step of the action plan."""

    text: str = doc("Template.")
    when: str | None = doc("Show the step only when this condition holds.", default=None)
    due: str = doc(
        "When it is due: +2d, +1w, +3m, +1y after the plan date, or from a date answer: decision_date -2d.",
        default="+0d",
        pattern=DATE_EXPR_PATTERN,
    )
    owner: str = doc("Who does it.", default="rep")
    fallback: str | None = doc("Offset from the plan date used when the date answer in due is empty: +5d.", default=None, pattern=DUE_PATTERN)
    deadline: str | None = doc(
        "Never due after this date answer: decision_date or decision_date -1d.", default=None, pattern=DEADLINE_PATTERN
    )
    id: str | None = _id_field()
    after: str | list[str] = _after_field()
    gap: str | None = _gap_field()
    customer: bool = _customer_field()


@spec
class TalkTrack:
    """What to say, as a titled template."""

    title: str = doc("Template.")
    text: str = doc("Template (markdown).")
    when: str | None = doc("Show it only when this condition holds.", default=None)


@spec
class Email:
    """An email draft: title, subject and body templates."""

    title: str = doc("Template.")
    subject: str = doc("Template.")
    body: str = doc("Template.")
    when: str | None = doc("Show it only when this condition holds.", default=None)
    audience: Literal["customer", "team"] = doc(
        "customer (default): sent to the customer; team: to your manager or team, a rep note that may quote any answer.",
        default="customer",
    )


@spec
class Section:
    """A titled block of items (a checklist or a list of points), or free text."""

    title: str = doc("Template.")
    when: str | None = doc("Show it only when this condition holds.", default=None)
    text: str | None = doc("Template shown before the items.", default=None)
    items: list[str] = doc("Templates, one per bullet.", factory=list)
    checklist: bool = doc("Show items as tick boxes.", default=False)


@spec
class Followup:
    """A dated check-back, listed by dealrescue followups."""

    text: str = doc("Template.")
    due: str = doc(
        "When it is due: +2d, +1w, +3m, +1y after the plan date, or from a date answer: renewal -30d.",
        pattern=DATE_EXPR_PATTERN,
    )
    when: str | None = doc("Keep it only when this condition holds.", default=None)
    fallback: str | None = doc("Offset from the plan date used when the date answer in due is empty: +5d.", default=None, pattern=DUE_PATTERN)
    deadline: str | None = doc(
        "Never due after this date answer: renewal or renewal -1d.", default=None, pattern=DEADLINE_PATTERN
    )
    id: str | None = _id_field()
    after: str | list[str] = _after_field()
    gap: str | None = _gap_field()
    customer: bool = _customer_field()


@spec
class DealOutcome:
    """Something that can happen to the deal after the plan, recorded with dealrescue outcome."""

    id: str = doc("Outcome id, as given to dealrescue outcome RUN ID.", pattern=ID_PATTERN)
    label: str = doc("How track records name it, e.g. \"Won back\" (\"5 of 9 won back\").", min_length=1)


@spec
class Invariant:
    """What must never happen in a plan; ``dealrescue playbooks test --fuzz`` looks for it."""

    never: str = doc(
        "Condition on the answers, verdict, scores.X, bands.X and steps (the ids of the plan's steps) that must never hold.",
        min_length=1,
    )
    why: str = doc("Why it must not happen, in a sentence: printed when the fuzzer finds it.", min_length=1)


@spec
class PlaybookTest:
    """Answers and the verdict they must give: pins a playbook's behaviour."""

    name: str = doc("What the case shows.")
    verdict: str = doc("The verdict id these answers must give.", pattern=ID_PATTERN)
    deal: str = doc("The deal name for the case.", default="Test deal")
    answers: dict[str, Any] = doc("Answers by question id.", factory=dict)
    scores: dict[str, float] = doc("Expected score totals (optional).", factory=dict)
    date: str | None = doc("The plan date for the case, YYYY-MM-DD (default 2026-01-15).", default=None)
    includes: list[str] = doc("Words the plan's text must contain (checked in its plain text).", factory=list)
    excludes: list[str] = doc("Words the plan's text must not contain, e.g. a rep's note in an email.", factory=list)
    customer_excludes: list[str] = doc("Words the talk tracks and customer emails must not contain.", factory=list)
    due_by: str | None = doc("Every step must be due on or before this date, YYYY-MM-DD.", default=None)


@spec
class Playbook:
    """A dealrescue playbook: questions, scores, verdict rules and the plan they lead to."""

    id: str = doc("Playbook id: lowercase letters, digits, _ and -.", pattern=PLAYBOOK_ID_PATTERN)
    version: int = doc("A whole number; raise it when questions change.", ge=1)
    title: str = doc("The playbook's name.")
    summary: str = doc("One line that says what it is for.")
    questions: list[Question] = doc("The questions, asked in order.", min_items=1)
    verdicts: list[Verdict] = doc("Verdict rules: the first that holds wins; one is the default.", min_items=1)
    sources: list[str] = doc("Where its ideas come from.", factory=list)
    scores: list[Score] = doc("Named scores, summed from points.", factory=list)
    plan: list[Step] = doc("Dated steps.", factory=list)
    talk_tracks: list[TalkTrack] = doc("What to say.", factory=list)
    emails: list[Email] = doc("Drafts to send.", factory=list)
    sections: list[Section] = doc("Checklists and notes.", factory=list)
    followups: list[Followup] = doc("Check-backs, listed by dealrescue followups.", factory=list)
    tests: list[PlaybookTest] = doc("Answers and the verdict they must give.", factory=list)
    outcomes: list[DealOutcome] = doc(
        "What can happen to the deal next (recorded with dealrescue outcome); verdicts name theirs in success.",
        factory=list,
    )
    invariants: list[Invariant] = doc("What must never happen, whatever the answers: checked by playbooks test --fuzz.", factory=list)
    card: str | None = doc(
        "A pocket card for the live call (markdown, printed by dealrescue card): what to ask, what not to say.",
        default=None,
    )

    def question(self, question_id: str) -> Question | None:
        for q in self.questions:
            if q.id == question_id:
                return q
        return None


def validate_as(cls: type[T], data: Any) -> T:
    """Plain data to ``cls`` (raises ``core.validate.ShapeError``, whose errors name key paths)."""
    from dealrescue.core.validate import validate_as as checked

    return checked(cls, data)


def format_shape() -> str:
    """Every class of the format and its fields, in order.

    A pickled playbook is read back field by field in this order (the records have slots), so a
    compiled playbook kept under another shape must be a cache miss, not a playbook whose values
    sit in the wrong fields.
    """
    classes = (value for value in globals().values() if isinstance(value, type) and value.__module__ == __name__)
    return ";".join(
        f"{cls.__qualname__}:{','.join(f.name for f in dataclasses.fields(cls))}" for cls in classes if dataclasses.is_dataclass(cls)
    )
