"""What differs between question types lives in core/questions.py: everything else asks the kind."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dealrescue.core.model import QuestionType
from dealrescue.core.questions import KINDS

PACKAGE = Path(__file__).resolve().parent.parent / "dealrescue"
# The enum's home and the kinds' home; nowhere else names a question type.
ALLOWED = {PACKAGE / "core" / "model.py", PACKAGE / "core" / "questions.py"}
TYPE_NAMES = {member.value for member in QuestionType}


def _type_branches(tree: ast.AST) -> list[int]:
    """Lines that name a QuestionType member, or compare an answer's ``.type`` with a type's name."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "QuestionType":
            lines.append(node.lineno)
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            reads_type = any(isinstance(s, ast.Attribute) and s.attr in ("type", "value") for s in sides)
            names_type = any(isinstance(s, ast.Constant) and s.value in TYPE_NAMES for s in sides)
            if reads_type and names_type:
                lines.append(node.lineno)
    return lines


def test_no_module_outside_the_kinds_branches_on_a_question_type() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path in ALLOWED:
            continue
        for line in _type_branches(ast.parse(path.read_text(encoding="utf-8"))):
            found.append(f"{path.relative_to(PACKAGE.parent)}:{line}")
    assert not found, "ask the question's kind (core/questions.py) instead:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        "if q.type is QuestionType.date:\n    pass\n",
        "x = q.type in (QuestionType.text, QuestionType.multiline)\n",
        "ok = q.type.value == 'multiselect'\n",
    ],
)
def test_the_scan_finds_a_branch_on_a_type(source: str) -> None:
    assert _type_branches(ast.parse(source))


def test_every_type_has_its_kind() -> None:
    assert set(KINDS) == set(QuestionType)


def test_free_text_kinds_are_the_rep_note_kinds() -> None:
    # The leak check (core/customer_text.py) keeps these answers out of customer text unless customer_safe.
    free = {t for t, kind in KINDS.items() if kind.free_text}
    assert free == {QuestionType.text, QuestionType.multiline}
    assert not any(kind.free_text and kind.has_choices for kind in KINDS.values())
