"""What one question's own keys must agree on, checked when a playbook is loaded in full.

Choices against the type, min against max, a pattern the matcher can run, and choice words
(aliases, ``other``, ``closed``) that each say one thing. Problems are plain messages; the loader
adds the file, line and key path.
"""

from __future__ import annotations

from dealrescue.core.model import Question
from dealrescue.core.patterns import problem as pattern_problem
from dealrescue.core.questions import choice_key, choice_words, kind_of


def question_shape_problems(q: Question) -> list[str]:
    """What a question's keys must agree on: choices with the type, min with max, a usable pattern."""
    found = []
    has_choices = kind_of(q).has_choices
    if has_choices and not q.choices:
        found.append(f"a {q.type.value} question needs choices")
    if not has_choices and q.choices:
        found.append(f"a {q.type.value} question takes no choices (use type: select)")
    values = [c.value for c in q.choices]
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        found.append(f"choice values repeat: {', '.join(repeated)}")
    found += word_clashes(q)
    if q.min is not None and q.max is not None and q.min > q.max:
        found.append("min is larger than max")
    if q.pattern is not None and (trouble := pattern_problem(q.pattern)) is not None:
        found.append(trouble)
    return found


def word_clashes(q: Question) -> list[str]:
    """Aliases, ``other`` and ``closed`` words must each say one thing."""
    found = []
    owner: dict[str, str] = {}
    for choice in q.choices:
        for word in (choice_key(choice.value), choice_key(choice.label)):
            owner.setdefault(word, choice.value)
    for choice in q.choices:
        for word in choice_words(choice) - {choice_key(choice.value), choice_key(choice.label)}:
            if owner.setdefault(word, choice.value) != choice.value:
                found.append(f"alias {word!r} of choice {choice.value} is also a word of choice {owner[word]}")
    if q.other is not None and q.other not in {c.value for c in q.choices}:
        found.append(f"other: {q.other!r} is not one of the choice values")
    for word in q.closed:
        if choice_key(word) in owner:
            found.append(f"closed: {word!r} is also a word of choice {owner[choice_key(word)]}")
    return found
