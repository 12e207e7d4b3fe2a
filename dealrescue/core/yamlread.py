"""Safe YAML reading that remembers where every key stands.

``yaml.safe_load`` alone loses line numbers and silently keeps the last of two
duplicate keys. Here the nesting depth is checked on the event stream first, then
the document is composed into nodes, and one walk over them checks them (no
duplicate keys, no aliases, no tags beyond plain data, keys are words), indexes
them by key path and constructs plain data, so every problem has a line and a path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Path = tuple[str | int, ...]

MAX_BYTES = 1_000_000
MAX_DEPTH = 40
_STANDARD_TAG_PREFIX = "tag:yaml.org,2002:"
_MAP, _SEQ, _STR = (_STANDARD_TAG_PREFIX + kind for kind in ("map", "seq", "str"))
# The only scalars a playbook holds: what plain YAML resolves to (no !!binary, !!python/..., !foo).
_SCALAR_KINDS = {
    _STANDARD_TAG_PREFIX + tag: kind
    for tag, kind in (
        ("str", "text"),
        ("int", "a whole number"),
        ("float", "a number"),
        ("bool", "true/false"),
        ("null", "empty (null)"),
        ("timestamp", "a date"),
    )
}


@dataclass
class YamlDocument:
    data: Any
    lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


class YamlProblem(Exception):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _guard_depth(yaml: Any, loader_class: Any, text: str) -> None:
    """Refuse deep nesting before anything is composed: libyaml composes recursively in C and
    overflows its stack (a segfault) on ``[[[[...`` or ``- - - ...`` thousands of levels deep.
    The event stream is flat, so walking it is safe and stops at the first level too deep."""
    depth = 0
    for event in yaml.parse(text, Loader=loader_class):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlProblem(f"nesting is deeper than {MAX_DEPTH} levels", event.start_mark.line + 1)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def read_yaml(raw: bytes) -> YamlDocument:
    """Parse one YAML document from ``raw`` bytes into plain data and a line index."""
    if len(raw) > MAX_BYTES:
        raise YamlProblem(f"file is larger than {MAX_BYTES // 1000} kB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlProblem("is not UTF-8 text (save it as UTF-8)", line) from None

    import yaml

    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_class(text)
    try:
        try:
            _guard_depth(yaml, loader_class, text)
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            raise _syntax_problem(exc) from None
        except yaml.YAMLError as exc:
            raise YamlProblem(f"not valid YAML: {exc}") from None
        if node is None:
            raise YamlProblem("is empty")
        doc = YamlDocument(data=None)
        doc.data = _build(loader, node, (), doc.lines, set())
        return doc
    finally:
        loader.dispose()


def _syntax_problem(exc: Any) -> YamlProblem:
    mark, context = exc.problem_mark or exc.context_mark, exc.context or ""
    if "expected a single document" in context:
        return YamlProblem("holds more than one YAML document (remove the extra ---)", mark.line + 1 if mark else None)
    problem = exc.problem or "not valid YAML"
    if context and exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
        # An unclosed [ or { is only noticed lines later: say where it opened.
        problem += f" ({context} at line {exc.context_mark.line + 1})"
    return YamlProblem(problem, mark.line + 1 if mark else None)


def _problem(path: Path, message: str, node: Any) -> YamlProblem:
    where = format_path(path)
    return YamlProblem(f"{where}: {message}" if where else message, node.start_mark.line + 1)


def _tag_name(tag: str) -> str:
    return "!!" + tag[len(_STANDARD_TAG_PREFIX) :] if tag.startswith(_STANDARD_TAG_PREFIX) else tag


def _build(loader: Any, node: Any, path: Path, lines: dict[Path, int], seen: set[int]) -> Any:
    """Check ``node`` (no alias, no tag beyond plain data, unique word keys), index its lines,
    and construct it into plain data."""
    import yaml

    if id(node) in seen:
        raise _problem(path, "anchors and aliases (&name, *name) are not allowed: write the value out", node)
    seen.add(id(node))
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        if node.tag != _MAP:
            raise _problem(path, f"tag {_tag_name(node.tag)} is not allowed", node)
        data: dict[str, Any] = {}
        keys: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _STANDARD_TAG_PREFIX + "merge":
                raise _problem(path, "merge keys (<<) are not allowed: write the keys out", key_node)
            if not isinstance(key_node, yaml.ScalarNode) or id(key_node) in seen:
                raise _problem(path, "keys must be plain words (no lists, maps or aliases as keys)", key_node)
            if key_node.tag not in _SCALAR_KINDS:
                raise _problem(path, f"tag {_tag_name(key_node.tag)} is not allowed", key_node)
            if key_node.tag != _STR:
                kind = _SCALAR_KINDS[key_node.tag]
                raise _problem(path, f"key {key_node.value!r} reads as {kind}: put it in quotes", key_node)
            seen.add(id(key_node))
            key = key_node.value
            if key in keys:
                raise _problem((*path, key), f"duplicate key (first at line {keys[key]})", key_node)
            keys[key] = line
            lines[(*path, key)] = line
            data[key] = _build(loader, value_node, (*path, key), lines, seen)
        return data
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ:
            raise _problem(path, f"tag {_tag_name(node.tag)} is not allowed", node)
        items = []
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            items.append(_build(loader, item, (*path, i), lines, seen))
        return items
    if node.tag not in _SCALAR_KINDS:
        raise _problem(path, f"tag {_tag_name(node.tag)} is not allowed", node)
    try:
        return loader.construct_object(node, deep=True)
    except Exception as exc:  # noqa: BLE001 - the constructor raises ValueError, KeyError, ... on bad scalars
        reason = getattr(exc, "problem", None) or str(exc) or type(exc).__name__
        raise _problem(path, f"cannot read {node.value!r} as {_SCALAR_KINDS[node.tag]}: {reason}", node) from None
