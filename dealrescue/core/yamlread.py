"""Safe YAML reading that remembers where every key stands.

``yaml.safe_load`` alone loses line numbers and silently keeps the last of two
duplicate keys. Here the document is composed into nodes first, checked (no
duplicate keys, no aliases, no custom tags, bounded depth), indexed by key path,
and only then constructed into plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Path = tuple[str | int, ...]

MAX_BYTES = 1_000_000
MAX_DEPTH = 40
_STANDARD_TAG_PREFIX = "tag:yaml.org,2002:"


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


def _guard_depth(text: str) -> None:
    """Refuse deeply nested flow collections before libyaml sees them (it can overflow its stack)."""
    depth = 0
    deepest = 0
    for char in text:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(0, depth - 1)
    if deepest > MAX_DEPTH:
        raise YamlProblem(f"nesting is deeper than {MAX_DEPTH} levels of [ ] or {{ }}")


def read_yaml(raw: bytes) -> YamlDocument:
    """Parse one YAML document from ``raw`` bytes into plain data and a line index."""
    if len(raw) > MAX_BYTES:
        raise YamlProblem(f"file is larger than {MAX_BYTES // 1000} kB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlProblem("is not UTF-8 text (save it as UTF-8)", line) from None
    _guard_depth(text)

    import yaml

    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_class(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or "not valid YAML"
            if "expected a single document" in (exc.context or ""):
                problem = "holds more than one YAML document (remove the extra ---)"
            raise YamlProblem(problem, mark.line + 1 if mark else None) from None
        except yaml.YAMLError as exc:
            raise YamlProblem(f"not valid YAML: {exc}") from None
        if node is None:
            raise YamlProblem("is empty")
        doc = YamlDocument(data=None)
        _index(node, (), doc.lines, set(), 0)
        try:
            doc.data = loader.construct_document(node)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise YamlProblem(f"cannot read a value: {getattr(exc, 'problem', exc)}", mark.line + 1 if mark else None) from None
        return doc
    finally:
        loader.dispose()


def _index(node: Any, path: Path, lines: dict[Path, int], seen: set[int], depth: int) -> None:
    import yaml

    if depth > MAX_DEPTH:
        raise YamlProblem(f"nesting is deeper than {MAX_DEPTH} levels", node.start_mark.line + 1)
    if id(node) in seen:
        raise YamlProblem("anchors and aliases (&name, *name) are not allowed: write the value out", node.start_mark.line + 1)
    seen.add(id(node))
    if not node.tag.startswith(_STANDARD_TAG_PREFIX):
        raise YamlProblem(f"tag {node.tag} is not allowed", node.start_mark.line + 1)
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        keys: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem("keys must be plain words", key_node.start_mark.line + 1)
            if key_node.tag == _STANDARD_TAG_PREFIX + "merge":
                raise YamlProblem("merge keys (<<) are not allowed: write the keys out", key_node.start_mark.line + 1)
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in keys:
                where = format_path((*path, key))
                raise YamlProblem(f"{where}: duplicate key (first at line {keys[key]})", line)
            keys[key] = line
            lines[(*path, key)] = line
            _index(value_node, (*path, key), lines, seen, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            _index(item, (*path, i), lines, seen, depth + 1)
