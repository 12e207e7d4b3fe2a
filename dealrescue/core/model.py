"""The playbook format as a strict pydantic model.

Every model rejects unknown keys, so a typo such as ``promt`` is an error that
names its path instead of a silently ignored field. The JSON Schema printed by
``dealrescue playbooks schema`` is generated from these classes.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
DUE_PATTERN = r"^\+?\d+[dwmy]$"
# Names every condition and template may use besides the question ids.
RESERVED_NAMES = frozenset(
    {"deal", "today", "scores", "bands", "band_labels", "labels", "verdict", "playbook", "true", "false", "none"}
)


class Strict(BaseModel):
    # defer_build: the validator is built on first validation, so a run whose playbook
    # comes from the compiled cache (unpickled, not validated) never pays for it.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False, defer_build=True)


class QuestionType(str, Enum):
    text = "text"
    multiline = "multiline"
    select = "select"
    multiselect = "multiselect"
    confirm = "confirm"
    scale = "scale"
    number = "number"
    date = "date"


class Choice(Strict):
    """One option of a select or multiselect question."""

    value: str = Field(pattern=ID_PATTERN, description="Stable value stored in answers and used in conditions.")
    label: str = Field(min_length=1, description="What the rep sees.")
    help: str | None = Field(default=None, description="A hint shown beside the label.")
    points: dict[str, float] = Field(
        default_factory=dict,
        description="Points this choice adds to named scores, e.g. {risk: 3}.",
    )
    group: str | None = Field(default=None, description="A heading that groups choices (shown as a separator).")


class Question(Strict):
    id: str = Field(pattern=ID_PATTERN, description="Answer key, used in conditions and templates.")
    prompt: str = Field(min_length=1)
    help: str | None = None
    type: QuestionType = QuestionType.text
    choices: list[Choice] = Field(default_factory=list, description="For select and multiselect.")
    default: Any = Field(default=None, description="Used when the rep presses Enter or under --no-input.")
    required: bool = Field(default=True, description="A required answer must be given (or have a default).")
    min: float | None = Field(default=None, description="Smallest number, or fewest characters/choices.")
    max: float | None = Field(default=None, description="Largest number, or most characters/choices.")
    pattern: str | None = Field(default=None, description="A regular expression a text answer must match.")
    when: str | None = Field(default=None, description="Ask only when this condition on earlier answers holds.")
    points: dict[str, float] = Field(
        default_factory=dict,
        description="Per-answer points: a number or scale answer times this weight, or a yes to a confirm.",
    )

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _choices_fit_type(self) -> Question:
        has_choices = self.type in (QuestionType.select, QuestionType.multiselect)
        if has_choices and not self.choices:
            raise ValueError(f"a {self.type.value} question needs choices")
        if not has_choices and self.choices:
            raise ValueError(f"a {self.type.value} question takes no choices (use type: select)")
        values = [c.value for c in self.choices]
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            raise ValueError(f"choice values repeat: {', '.join(dupes)}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is larger than max")
        return self


class Band(Strict):
    """Maps a score to a label: the band with the highest ``min`` not above the score wins."""

    id: str = Field(pattern=ID_PATTERN)
    min: float = Field(description="Lowest score in this band.")
    label: str
    note: str | None = Field(default=None, description="What this band means, shown in the plan.")


class ScoreRule(Strict):
    when: str = Field(description="Condition; when it holds, points are added.")
    points: float
    label: str | None = Field(default=None, description="How the plan names this rule among a score's drivers.")


class Score(Strict):
    id: str = Field(pattern=ID_PATTERN)
    title: str
    combine: str = Field(default="sum", pattern="^(sum|max)$", description="sum the points, or keep the largest.")
    rules: list[ScoreRule] = Field(default_factory=list)
    bands: list[Band] = Field(default_factory=list)

    @model_validator(mode="after")
    def _bands_distinct(self) -> Score:
        ids = [b.id for b in self.bands]
        if len(set(ids)) != len(ids):
            raise ValueError("band ids repeat")
        return self


class Verdict(Strict):
    id: str = Field(pattern=ID_PATTERN)
    title: str
    when: str | None = Field(default=None, description="Rules are tried in order; the first that holds wins.")
    default: bool = Field(default=False, description="Exactly one verdict is the default.")
    rationale: str = Field(description="Template: why this verdict.")
    next: str | None = Field(default=None, description="Id of the follow-on playbook to run next.")


class Step(Strict):
    text: str = Field(description="Template.")
    when: str | None = None
    due: str = Field(default="+0d", pattern=DUE_PATTERN, description="Offset from the plan date: +2d, +1w, +3m, +1y.")
    owner: str = "rep"


class TalkTrack(Strict):
    title: str
    text: str = Field(description="Template (markdown).")
    when: str | None = None


class Email(Strict):
    title: str
    subject: str = Field(description="Template.")
    body: str = Field(description="Template.")
    when: str | None = None


class Section(Strict):
    """A titled block of items (a checklist or a list of points), or free text."""

    title: str
    when: str | None = None
    text: str | None = Field(default=None, description="Template shown before the items.")
    items: list[str] = Field(default_factory=list, description="Templates, one per bullet.")
    checklist: bool = Field(default=False, description="Show items as tick boxes.")


class Followup(Strict):
    text: str = Field(description="Template.")
    due: str = Field(pattern=DUE_PATTERN)
    when: str | None = None


class PlaybookTest(Strict):
    """Answers and the verdict they must give: pins a playbook's behaviour."""

    name: str
    deal: str = "Test deal"
    answers: dict[str, Any] = Field(default_factory=dict)
    verdict: str = Field(pattern=ID_PATTERN)
    scores: dict[str, float] = Field(default_factory=dict, description="Expected score totals (optional).")


class Playbook(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    version: int = Field(ge=1)
    title: str
    summary: str
    sources: list[str] = Field(default_factory=list)
    questions: list[Question] = Field(min_length=1)
    scores: list[Score] = Field(default_factory=list)
    verdicts: list[Verdict] = Field(min_length=1)
    plan: list[Step] = Field(default_factory=list)
    talk_tracks: list[TalkTrack] = Field(default_factory=list)
    emails: list[Email] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)
    followups: list[Followup] = Field(default_factory=list)
    tests: list[PlaybookTest] = Field(default_factory=list)

    def question(self, question_id: str) -> Question | None:
        for q in self.questions:
            if q.id == question_id:
                return q
        return None
