"""Bytes of a playbook file in, a checked and compiled playbook out.

Every problem names the file, the line and the key path, and all problems are
collected (not only the first) so an author can fix a file in one pass.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Protocol

from dealrescue.core.answers import AnswerProblem, parse_answer
from dealrescue.core.expressions import (
    Condition,
    ExpressionProblem,
    Template,
    compile_condition,
    compile_template,
    names_in_condition,
)
from dealrescue.core.model import (
    RESERVED_NAMES,
    Playbook,
    format_shape,
    validate_as,
)
from dealrescue.core.questioncheck import question_shape_problems
from dealrescue.core.questions import kind_of
from dealrescue.core.schedule import date_problems
from dealrescue.core.yamlread import Path, YamlDocument, YamlProblem, format_path, parse_path, read_yaml
from dealrescue.errors import PlaybookError

# Each part of a plan (a list in the playbook whose entries have a `when`) and its templated texts.
_PLAN_TEXTS = {
    "plan": ("text",),
    "talk_tracks": ("title", "text"),
    "emails": ("title", "subject", "body"),
    "sections": ("title", "text"),
    "followups": ("text",),
}

# Names a condition may use, by where it stands.
_BASE_NAMES = {"deal", "today", "days_until", "playbook", "labels"}
_SCORE_NAMES = {"scores", "bands", "band_labels"}


@dataclass(slots=True)
class CompiledPlaybook:
    """A playbook whose conditions and templates are compiled once, keyed by key path."""

    playbook: Playbook
    source: str
    text: str
    conditions: dict[str, Condition] = field(default_factory=dict)
    templates: dict[str, Template] = field(default_factory=dict)
    # Paths of question conditions that read scores: only those need scores mid-walk.
    uses_scores: set[str] = field(default_factory=set)

    @property
    def id(self) -> str:
        return self.playbook.id

    def condition(self, path: str) -> Condition | None:
        return self.conditions.get(path)

    def template(self, path: str) -> Template:
        return self.templates[path]

    def problem(self, path: str, message: object) -> PlaybookError:
        """An error in the condition or template at ``path`` found on a run: ``FILE:LINE: path: message``."""
        return PlaybookError([f"{self.where(path)}: {path}: {message}"])

    def where(self, path: str) -> str:
        """``FILE:LINE`` of a key path such as ``plan[2].text`` (the file is read again: this is for errors only)."""
        try:
            doc = read_yaml(self.text.encode("utf-8"))
        except YamlProblem:
            return self.source
        line = doc.line_of(parse_path(path))
        return f"{self.source}:{line}" if line else self.source


class _Problems:
    def __init__(self, source: str, doc: YamlDocument | None) -> None:
        self.source = source
        self.doc = doc
        self.found: list[tuple[int, str]] = []
        # Keys whose bad value was reported and left out to check the rest (their default stands in).
        self.defaulted: set[Path] = set()

    def add(self, path: Path, message: str) -> None:
        line = self.doc.line_of(path) if self.doc else None
        where = f"{self.source}:{line}" if line else self.source
        key = format_path(path)
        self.found.append((line or 0, f"{where}: {key}: {message}" if key else f"{where}: {message}"))

    @property
    def items(self) -> list[str]:
        """Every problem, in the order of the file's lines (each check runs over the whole file in turn)."""
        return [text for _, text in sorted(self.found, key=lambda found: found[0])]


# Raised when what a cache entry holds changes shape, or the code compiled for a template does
# (8: lists and mappings written in a template are paid for from the budget): older entries become misses.
_ENTRY_FORMAT = 8


class CodeCache(Protocol):
    """Somewhere to keep compiled code between runs (the edge decides where)."""

    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, value: dict[str, Any]) -> None: ...


def cache_key(raw: bytes) -> str:
    """Same bytes, same dealrescue (and shape of the format), same Jinja, same Python: the same compiled code."""
    import hashlib
    import sys

    import jinja2

    from dealrescue import __version__

    versions = f"{__version__}|{_ENTRY_FORMAT}|{format_shape()}|{jinja2.__version__}|{sys.version}".encode()
    return hashlib.sha256(versions + b"\0" + raw).hexdigest()


def load_playbook(raw: bytes, source: str, cache: CodeCache | None = None) -> CompiledPlaybook:
    """Parse, validate and compile. Raises ``PlaybookError`` listing every problem found.

    With a ``cache``, a file whose exact bytes were checked and compiled before is not
    parsed, checked or compiled again: the checked playbook and its code come from the cache.
    """
    key = cache_key(raw) if cache is not None else ""
    if cache is not None:
        cached = _from_cache(cache.get(key), raw, source)
        if cached is not None:
            return cached
    compiled = _parse_and_check(raw, source)
    if cache is not None:
        import pickle

        cache.put(
            key,
            {
                "playbook": pickle.dumps(compiled.playbook),
                "conditions": {path: (c.source, c.code) for path, c in compiled.conditions.items()},
                "templates": {path: (t.source, t.code) for path, t in compiled.templates.items()},
                "uses_scores": sorted(compiled.uses_scores),
            },
        )
    return compiled


def _parse_and_check(raw: bytes, source: str) -> CompiledPlaybook:
    # The checks load only on a cache miss: a cached run never needs them.
    from dealrescue.core.shapecheck import check_constraints, describe_error, repaired

    try:
        doc = read_yaml(raw)
    except YamlProblem as exc:
        where = f"{source}:{exc.line}" if exc.line else source
        said = [f"{where}: YAML parser said: {exc.detail}"] if exc.detail else []
        raise PlaybookError([f"{where}: {exc.message}", *said]) from None
    problems = _Problems(source, doc)
    if not isinstance(doc.data, dict):
        problems.add((), "a playbook is a mapping of keys (id, title, questions, ...), not a single value or list")
        raise PlaybookError(problems.items)
    from dealrescue.core.validate import ShapeError

    try:
        playbook = validate_as(Playbook, doc.data)
    except ShapeError as exc:
        errors = exc.errors()
        for error in errors:
            path = tuple(error["loc"])
            problems.add(path, describe_error(error, path))
        # Misspelt and unknown keys leave a playbook that can be checked further: report its
        # other problems in the same run instead of one kind per round.
        fixed = repaired(doc.data, [dict(e) for e in errors])
        problems.defaulted = {tuple(e["loc"]) for e in errors if e["type"] not in ("missing", "extra_forbidden", "unexpected_keyword_argument")}
        if fixed is None:
            raise PlaybookError(problems.items) from None
        try:
            playbook = validate_as(Playbook, fixed)
        except ShapeError:
            raise PlaybookError(problems.items) from None
    check_constraints(playbook, (), problems)
    compiled = CompiledPlaybook(playbook=playbook, source=source, text=raw.decode("utf-8-sig"))
    _check(compiled, problems)
    if problems.items:
        raise PlaybookError(problems.items)
    return compiled


def _from_cache(entry: dict[str, Any] | None, raw: bytes, source: str) -> CompiledPlaybook | None:
    """The compiled playbook from a cache entry, or None if the entry is missing or unusable."""
    if not entry:
        return None
    try:
        import pickle

        playbook = pickle.loads(entry["playbook"])
        if not isinstance(playbook, Playbook):
            return None
        compiled = CompiledPlaybook(playbook=playbook, source=source, text=raw.decode("utf-8-sig"))
        compiled.conditions = {p: Condition.from_code(source, c) for p, (source, c) in entry["conditions"].items()}
        compiled.templates = {p: Template.from_code(source, c) for p, (source, c) in entry["templates"].items()}
        compiled.uses_scores = set(entry["uses_scores"])
    except Exception:  # noqa: BLE001 - a stale or damaged cache entry is just a miss
        return None
    return compiled


def names_in_when(source: str | None) -> set[str]:
    """The names a condition uses; none when it does not parse (compiling it reports that)."""
    if source is None:
        return set()
    try:
        return names_in_condition(source)
    except Exception:  # noqa: BLE001 - a syntax error is reported when the condition compiles
        return set()


def _static_problems(source: str, *, condition: bool) -> list[str]:
    """Slips like ``&&``, and what the sandbox refuses on every run."""
    from dealrescue.core.exprcheck import operator_slips, sandbox_refusals

    return operator_slips(source, condition=condition) or sandbox_refusals(source, condition=condition)


def _check(compiled: CompiledPlaybook, problems: _Problems) -> None:
    from dealrescue.core.customer_text import leak_problems
    from dealrescue.core.exprcheck import closest_hint, impossible_comparisons, mismatched_kinds, possible_values
    from dealrescue.core.outcomes import outcome_problems

    pb = compiled.playbook
    score_ids = [s.id for s in pb.scores]
    question_ids = [q.id for q in pb.questions]
    verdict_ids = [v.id for v in pb.verdicts]

    for kind, ids in (("question", question_ids), ("score", score_ids), ("verdict", verdict_ids)):
        plural = f"{kind}s" if kind != "score" else "scores"
        seen: set[str] = set()
        for index, item_id in enumerate(ids):
            if item_id in seen:
                problems.add((plural, index, "id"), f"{kind} id {item_id!r} is used twice")
            seen.add(item_id)

    questions = {q.id: q for q in pb.questions}
    vocabulary = possible_values(pb)

    # What a text says wrong depends on the text alone (and this playbook): a playbook repeats
    # many conditions, each checked once and its findings reported at every place it stands.
    static_found: dict[tuple[str, bool], list[str]] = {}
    value_found: dict[tuple[str, bool], list[str]] = {}

    def checked(path: Path, source: str | None, known: set[str], *, condition: bool) -> None:
        """Compile a condition or a template at ``path``, with every check validate makes of it."""
        if source is None:
            return
        key = (source, condition)
        if key not in static_found:
            static_found[key] = _static_problems(source, condition=condition)
        for message in static_found[key]:
            problems.add(path, message)
        if static_found[key]:
            return
        try:
            if condition:
                compiled.conditions[format_path(path)] = compile_condition(source, known)
            else:
                compiled.templates[format_path(path)] = compile_template(source, known)
        except ExpressionProblem as exc:
            problems.add(path, str(exc))
            return
        if key not in value_found:
            kinds = mismatched_kinds(source, questions) if condition else []
            value_found[key] = [*kinds, *impossible_comparisons(source, pb, vocabulary, condition=condition)]
        for message in value_found[key]:
            problems.add(path, message)

    def cond(path: Path, source: str | None, known: set[str]) -> None:
        checked(path, source, known, condition=True)

    def tmpl(path: Path, source: str | None, known: set[str]) -> None:
        checked(path, source, known, condition=False)

    def points(path: Path, mapping: dict[str, float]) -> None:
        for score_id in mapping:
            if score_id not in score_ids:
                close = difflib.get_close_matches(score_id, score_ids, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else " (add it under scores:)"
                problems.add(path, f"points name an unknown score {score_id!r}{hint}")

    for s_index, score in enumerate(pb.scores):
        band_ids = [b.id for b in score.bands]
        if len(set(band_ids)) != len(band_ids):
            problems.add(("scores", s_index, "bands"), "band ids repeat")
        for lowest in sorted({b.min for b in score.bands}):
            same = [b.id for b in score.bands if b.min == lowest]
            if len(same) > 1:
                problems.add(("scores", s_index, "bands"),
                             f"score {score.id}: bands {', '.join(same)} have the same min {lowest:g}, so only one of "
                             "them could ever be reached: give each band its own min")

    earlier: set[str] = set(_BASE_NAMES) | _SCORE_NAMES
    for i, q in enumerate(pb.questions):
        path: Path = ("questions", i)
        # A type already reported as unknown stands as text: its shape would be a second, false error.
        for message in [] if (*path, "type") in problems.defaulted else question_shape_problems(q):
            problems.add(path, message)
        if q.id in RESERVED_NAMES:
            problems.add((*path, "id"), f"{q.id!r} is a reserved name: choose another id")
        later = names_in_when(q.when) & (set(question_ids[i:]) - earlier)
        if later:
            names = ", ".join(repr(n) for n in sorted(later))
            problems.add(
                (*path, "when"),
                f"names question {names}, asked at this point or later: a question's when may use only "
                "the questions before it (move this question below it)",
            )
        else:
            cond((*path, "when"), q.when, earlier)
        when_path = format_path((*path, "when"))
        if when_path in compiled.conditions and names_in_condition(q.when or "") & _SCORE_NAMES:
            compiled.uses_scores.add(when_path)
        earlier.add(q.id)
        if q.points and not kind_of(q).takes_points:
            problems.add((*path, "points"), "only number, scale and confirm questions take points; put points on choices")
        points((*path, "points"), q.points)
        for c, choice in enumerate(q.choices):
            points((*path, "choices", c, "points"), choice.points)
        if isinstance(q.default, (bool, int, float)) and kind_of(q).text_answer:
            problems.add((*path, "default"), f"YAML read the default as {type(q.default).__name__} {q.default!r}: put it in quotes")
        elif q.default is not None:
            try:
                parse_answer(q, q.default)
            except AnswerProblem as exc:
                problems.add((*path, "default"), f"default does not fit the question: {exc}")

    answers = set(_BASE_NAMES) | set(question_ids)
    scored = answers | _SCORE_NAMES
    for s, score in enumerate(pb.scores):
        for r, rule in enumerate(score.rules):
            cond(("scores", s, "rules", r, "when"), rule.when, answers)

    defaults = [i for i, v in enumerate(pb.verdicts) if v.default]
    if len(defaults) != 1:
        problems.add(("verdicts",), f"exactly one verdict needs default: true (found {len(defaults)})")
    for v, verdict in enumerate(pb.verdicts):
        path = ("verdicts", v)
        if verdict.when is None and not verdict.default:
            problems.add(path, "a verdict needs a when condition, or default: true")
        cond((*path, "when"), verdict.when, scored)
        tmpl((*path, "rationale"), verdict.rationale, scored)

    planned, written = scored | {"verdict"}, scored | {"verdict", "dates"}  # texts may also quote the plan's dates
    for part, fields in _PLAN_TEXTS.items():
        for i, entry in enumerate(getattr(pb, part)):
            cond((part, i, "when"), entry.when, planned)
            for name in fields:
                tmpl((part, i, name), getattr(entry, name), written)
    for i, section in enumerate(pb.sections):
        for j, item in enumerate(section.items):
            tmpl(("sections", i, "items", j), item, written)

    for i, invariant in enumerate(pb.invariants):  # answers, verdict, scores and the plan's step ids
        cond(("invariants", i, "never"), invariant.never, planned | {"steps"})

    dated = [*(("plan", s) for s in pb.plan), *(("followups", f) for f in pb.followups)]
    for path, message in [*date_problems(dated, questions), *leak_problems(pb), *outcome_problems(pb)]:
        problems.add(path, message)

    for t, test in enumerate(pb.tests):
        path = ("tests", t)
        if test.verdict not in verdict_ids:
            problems.add((*path, "verdict"), f"no verdict has id {test.verdict!r}{closest_hint(test.verdict, verdict_ids, '')}")
        for answer_id in test.answers:
            if answer_id not in question_ids:
                problems.add((*path, "answers", answer_id), f"no question has id {answer_id!r}{closest_hint(answer_id, question_ids, '')}")
        for score_id in test.scores:
            if score_id not in score_ids:
                problems.add((*path, "scores", score_id), f"no score has id {score_id!r}{closest_hint(score_id, score_ids, '')}")
