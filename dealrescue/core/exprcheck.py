"""What a condition or template will do on every run, known before any run.

Three static checks over the text and the parsed Jinja tree, used by the loader so that
``playbooks validate`` reports them with file and line:

- slips from other languages (``&&``, ``||``, ``!``, a single ``=``), with the word to write;
- what the sandbox refuses on every run (attributes starting with ``_``, ``format``, ``mro``,
  methods that change data, ``%`` on text, include/import/extend);
- comparisons with a value that cannot occur (a choice, band, verdict or score id that does
  not exist), with the closest one that does.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from typing import Any

from dealrescue.core.expressions import parsed
from dealrescue.core.mdescape import strip_controls
from dealrescue.core.model import Playbook, Question
from dealrescue.core.questions import kind_of
from dealrescue.core.sandbox import ALLOWED_METHODS

# The sandbox refuses these on every object a playbook can reach.
_REFUSED_ATTRIBUTES = {
    "format": "formatting text with .format is not allowed: join text with ~, e.g. {{ \"Hi \" ~ deal }}",
    "format_map": "formatting text with .format_map is not allowed: join text with ~, e.g. {{ \"Hi \" ~ deal }}",
    "mro": "`mro` reaches Python's internals, which playbooks cannot use: use the answer's value itself",
}
# Methods that change a list, mapping or set: the sandbox keeps answers read-only.
_MUTATING = {
    "append", "extend", "insert", "pop", "popitem", "remove", "clear", "update", "setdefault",
    "add", "discard", "reverse", "sort", "difference_update", "symmetric_difference_update",
}  # fmt: skip
# Methods a template may call: those of text, lists, mappings and numbers the sandbox allows, and a loop's own.
_CALLABLE = frozenset().union(*ALLOWED_METHODS.values(), {"cycle", "changed"})
_INTERNAL = {"gi_code", "gi_frame", "cr_code", "cr_frame", "ag_code", "ag_frame", "func_globals", "func_code"}
# Filters whose text arguments name an attribute to read.
_ATTRIBUTE_FILTERS = {"attr", "map", "selectattr", "rejectattr", "groupby", "sort", "sum", "unique", "min", "max"}
_SCORE_MAPS = {"scores": "score", "bands": "band", "band_labels": "band label"}
# Quick tests that spare walking a condition or parsing a template (most are text with a few
# {{ answer }}): each refusal above needs one of these in the text (a backslash may spell an
# underscore).
_MAY_BE_REFUSED = re.compile(
    r"\.\s*_|[\"']_|\\|(gi|cr|ag|func)_|format|mro|[\"']\s*%|\{%-?\s*(include|import|from|extends)\b"
    r"|(\.\s*|[\"'])(" + "|".join(sorted(_MUTATING)) + r")\b|\.\s*\w+\s*\("
)
_MAY_COMPARE = re.compile(r"==|!=|\bin\b|scores|bands|band_labels|labels|verdict")
_CODE = re.compile(r"\{\{(.*?)\}\}|\{%(.*?)%\}", re.DOTALL)
_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")


def operator_slips(source: str, *, condition: bool) -> list[str]:
    """``&&``, ``||``, ``!`` (and in a condition a single ``=``), each with what to write instead.

    Strings are left alone; in a template only the code between ``{{ }}`` and ``{% %}`` is read.
    """
    if not any(mark in source for mark in ("&", "|", "!", "=" if condition else "&")):
        return []  # every slip below is written with one of these
    pieces = [source] if condition else [m.group(1) or m.group(2) or "" for m in _CODE.finditer(source)]
    found: list[str] = []
    for piece in pieces:
        code = _STRING.sub(lambda m: '""', piece)
        if "&&" in code or re.search(r"(?<!&)&(?!&)", code):
            found.append("`&&` is not a word conditions know: write `and`")
        if "||" in code:
            found.append("`||` is not a word conditions know: write `or`")
        if re.search(r"!(?!=)", code):
            found.append("`!` is not a word conditions know: write `not` (and `!=` for 'is not equal to')")
        if condition and re.search(r"(?<![=!<>])=(?!=)", re.sub(r"\s+", "", code)):
            found.append("a single `=` sets a value; to compare, write `==`")
    if condition and found:
        fixed = _fixed(source)
        if fixed != source:
            found[-1] += f"; the condition would read: {strip_controls(fixed)}"
    return list(dict.fromkeys(found))


def _fixed(source: str) -> str:
    """``source`` with the slips replaced, strings untouched (shown as a suggestion)."""
    out, last = [], 0
    for match in _STRING.finditer(source):
        out.append(_fix_code(source[last : match.start()]))
        out.append(match.group())
        last = match.end()
    out.append(_fix_code(source[last:]))
    return "".join(out)


def _fix_code(code: str) -> str:
    code = re.sub(r"\s*&&?\s*", " and ", code)
    code = re.sub(r"\s*\|\|\s*", " or ", code)
    code = re.sub(r"!(?!=)\s*", "not ", code)
    return re.sub(r"(?<![=!<>])=(?!=)", "==", code)


def sandbox_refusals(source: str, *, condition: bool) -> list[str]:
    """What the sandbox would refuse on every run, found in the parsed template or condition."""
    from jinja2 import nodes

    if not _MAY_BE_REFUSED.search(source):
        return []  # nothing the sandbox refuses can be written without one of these
    try:
        tree = parsed(source, condition=condition)
    except Exception:  # noqa: BLE001 - a syntax error is reported when the text compiles
        return []
    found: list[str] = []
    for node in tree.find_all(nodes.Node):
        if isinstance(node, nodes.Getattr):
            found += _attribute_refusal(node.attr)
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            found += _attribute_refusal(node.arg.value)
        elif isinstance(node, nodes.Filter) and node.name in _ATTRIBUTE_FILTERS:
            texts = [a.value for a in node.args if isinstance(a, nodes.Const) and isinstance(a.value, str)]
            texts += [k.value.value for k in node.kwargs if isinstance(k.value, nodes.Const) and isinstance(k.value.value, str)]
            for text in texts:
                found += [m for part in text.split(".") for m in _attribute_refusal(part) if part.startswith("_") or node.name == "attr"]
        elif isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) and node.node.attr not in _CALLABLE:
            found += _attribute_refusal(node.node.attr) or [_method_refusal(node.node.attr)]
        elif isinstance(node, nodes.Mod) and isinstance(node.left, nodes.Const) and isinstance(node.left.value, str):
            found.append("%-formatting of text is not allowed: join text with ~, e.g. {{ \"Hi \" ~ deal }}")
        elif isinstance(node, (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
            found.append("a playbook template cannot include, import or extend other files: write the text out here")
    return list(dict.fromkeys(found))


def _method_refusal(name: str) -> str:
    shown = strip_controls(name)
    return f"`.{shown}(...)` is not a method playbooks can call (text methods such as .upper() and .split() are; see docs/playbooks.md)"


def _attribute_refusal(name: str) -> list[str]:
    if name.startswith("_") or name in _INTERNAL:
        shown = strip_controls(name)  # a Jinja string may spell any character
        return [f"`{shown}` is internal to Python and refused on every run: use answers, labels, scores and text only"]
    if name in _REFUSED_ATTRIBUTES:
        return [_REFUSED_ATTRIBUTES[name]]
    if name in _MUTATING:
        return [f"`.{name}(...)` would change the answers, which are read-only: build a new value instead"]
    return []


def mismatched_kinds(source: str, questions: dict[str, Question]) -> list[str]:
    """An answer compared with a constant of another kind: false on every run, so refused."""
    from jinja2 import nodes

    try:
        tree = parsed(source, condition=True)
    except Exception:  # noqa: BLE001 - a syntax error is reported when the text compiles
        return []
    found = []
    for name, constant in _name_constant_pairs(tree, nodes):
        q = questions.get(name)
        if q is None or constant is None:
            continue
        kind = kind_of(q)
        if kind.numeric and isinstance(constant, str):
            found.append(f"compares {name} ({kind.noun}) with the text {constant!r}: write the number without quotes")
        elif kind.yes_no and not isinstance(constant, bool):
            found.append(f"compares {name} ({kind.noun}) with {constant!r}: write `{name}` or `not {name}`")
        elif not kind.numeric and not kind.yes_no and isinstance(constant, (int, float)):
            found.append(f"compares {name} ({kind.noun}) with the number {constant!r}: put the value in quotes")
    return found


def _name_constant_pairs(tree: Any, nodes: Any) -> Iterator[tuple[str, Any]]:
    """``(name, constant)`` for each ``name <op> constant`` (or the other way round)."""
    for compare in tree.find_all(nodes.Compare):
        terms = [compare.expr, *(op.expr for op in compare.ops)]
        for left, right, op in zip(terms, terms[1:], (op.op for op in compare.ops), strict=False):
            if op not in ("eq", "ne", "gt", "gteq", "lt", "lteq"):
                continue
            for name, constant in ((left, right), (right, left)):
                if isinstance(name, nodes.Name) and isinstance(constant, nodes.Const):
                    yield name.name, constant.value


def possible_values(playbook: Playbook) -> dict[tuple[str, str], list[Any]]:
    """Every value each comparable thing can hold: ``("answer", id)``, ``("band", score)``, ``("verdict", "")``, ..."""
    values: dict[tuple[str, str], list[Any]] = {("verdict", ""): [v.id for v in playbook.verdicts]}
    for q in playbook.questions:
        if kind_of(q).has_choices:
            values[("answer", q.id)] = [c.value for c in q.choices]
            values[("label", q.id)] = [c.label for c in q.choices]
    for score in playbook.scores:
        values[("band", score.id)] = [b.id for b in score.bands]
        values[("band label", score.id)] = [b.label for b in score.bands]
    return values


def impossible_comparisons(
    source: str, playbook: Playbook, values: dict[tuple[str, str], list[Any]], *, condition: bool = True
) -> list[str]:
    """Comparisons with a value that cannot occur, and scores named that do not exist.

    ``values`` is ``possible_values(playbook)``, computed once per playbook by the caller.
    """
    from jinja2 import nodes

    if not condition and not _MAY_COMPARE.search(source):
        return []  # no comparison and no score, band, label or verdict named
    try:
        tree = parsed(source, condition=condition)
    except Exception:  # noqa: BLE001 - a syntax error is reported when the text compiles
        return []
    stored = {n.name for n in tree.find_all(nodes.Name) if n.ctx == "store"}  # {% set %} and loop names
    if stored:
        values = {k: v for k, v in values.items() if not (k[0] == "answer" and k[1] in stored)}
    score_ids = [s.id for s in playbook.scores]
    question_ids = [q.id for q in playbook.questions]
    found: list[str] = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        subject = _subject(node)
        if subject and subject[0] in ("score", "band", "band label") and subject[1] not in score_ids:
            found.append(f"{_written(subject)}: no score has id {subject[1]!r}{closest_hint(subject[1], score_ids, ' (add it under scores:)')}")
        elif subject and subject[0] == "label" and subject[1] not in question_ids:
            found.append(f"{_written(subject)}: no question has id {subject[1]!r}{closest_hint(subject[1], question_ids, '')}")
    for subject, constant in _compared(tree):
        allowed = values.get(subject)
        if allowed is None or constant is None or constant in allowed:
            continue
        if subject[0] == "answer" and not isinstance(constant, str):
            continue  # a number compared with a choice is reported by the loader's type check
        listed = ", ".join(repr(v) for v in allowed) or "nothing: add bands to the score"
        found.append(
            f"compares {_written(subject)} with {constant!r}, which it can never be{closest_hint(constant, allowed, '')}; "
            f"it can be: {listed}"
        )
    return list(dict.fromkeys(found))


def closest_hint(value: Any, candidates: list[Any], otherwise: str) -> str:
    """" (did you mean 'x'?)" for the closest of ``candidates``, else ``otherwise``."""
    close = difflib.get_close_matches(str(value), [str(c) for c in candidates], n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else otherwise


def _written(subject: tuple[str, str]) -> str:
    kind, name = subject
    prefix = {"answer": "", "label": "labels.", "score": "scores.", "band": "bands.", "band label": "band_labels."}
    return "verdict" if kind == "verdict" else prefix[kind] + name


def _subject(node: Any) -> tuple[str, str] | None:
    """What a node stands for when it is an answer, label, score, band or the verdict."""
    from jinja2 import nodes

    if isinstance(node, nodes.Name):
        return ("verdict", "") if node.name == "verdict" else ("answer", node.name)
    key = None
    if isinstance(node, nodes.Getattr):
        key = node.attr
    elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        key = node.arg.value
    if key is not None and isinstance(node.node, nodes.Name):
        if node.node.name in _SCORE_MAPS:
            return (_SCORE_MAPS[node.node.name], key)
        if node.node.name == "labels":
            return ("label", key)
    return None


def _compared(tree: Any) -> Iterator[tuple[tuple[str, str], Any]]:
    """``(subject, constant)`` for ``x == c``, ``x != c``, ``c in x`` and ``x in [c, ...]``."""
    from jinja2 import nodes

    for compare in tree.find_all(nodes.Compare):
        terms = [compare.expr, *(op.expr for op in compare.ops)]
        for left, right, op in zip(terms, terms[1:], (op.op for op in compare.ops), strict=False):
            if op in ("eq", "ne"):
                pairs = [(left, right), (right, left)]
                for subject_node, constant in pairs:
                    subject = _subject(subject_node)
                    if subject and isinstance(constant, nodes.Const):
                        yield subject, constant.value
            elif op in ("in", "notin"):
                subject = _subject(right)
                if subject and isinstance(left, nodes.Const):
                    yield subject, left.value
                subject = _subject(left)
                if subject and isinstance(right, (nodes.List, nodes.Tuple)):
                    for item in right.items:
                        if isinstance(item, nodes.Const):
                            yield subject, item.value
