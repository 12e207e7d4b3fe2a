"""Safe YAML reading that remembers where every key stands.

``yaml.safe_load`` alone loses line numbers and silently keeps the last of two
duplicate keys. Here the nesting depth is checked on the event stream first, then
the document is composed into nodes, and one walk over them checks them (no
duplicate keys, no aliases, no tags beyond plain data, keys are words), indexes
them by key path and constructs plain data, so every problem has a line and a path.
"""

from __future__ import annotations

import re
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


@dataclass(slots=True)
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
    """``message`` in plain words; ``detail``, when set, is the parser's own text (kept for experts)."""

    def __init__(self, message: str, line: int | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.detail = detail


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def parse_path(text: str) -> Path:
    """The inverse of ``format_path``: ``plan[2].text`` is ``("plan", 2, "text")``."""
    return tuple(int(index) if index else name for name, index in re.findall(r"([A-Za-z_]+)|\[(\d+)\]", text))


def _scan_events(yaml: Any, loader_class: Any, text: str) -> int | None:
    """Refuse deep nesting before anything is composed, and return the line of the first alias.

    libyaml composes recursively in C and overflows its stack (a segfault) on ``[[[[...`` or
    ``- - - ...`` thousands of levels deep; the event stream is flat, so walking it is safe and
    stops at the first level too deep. A composed alias is its anchor's node and keeps the
    anchor's position, so where the alias stands is only known here.
    """
    starts = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    depth = 0
    alias_line = None
    parser = loader_class(text)
    try:
        # get_event in a loop: yaml.parse's generator and its check_event cost a third more.
        while True:
            event = parser.get_event()
            kind = type(event)
            if kind in starts:
                depth += 1
                if depth > MAX_DEPTH:
                    raise YamlProblem(f"nesting is deeper than {MAX_DEPTH} levels", event.start_mark.line + 1)
            elif kind in ends:
                depth -= 1
            elif kind is yaml.AliasEvent:
                if alias_line is None:
                    alias_line = event.start_mark.line + 1
            elif kind is yaml.StreamEndEvent or event is None:
                return alias_line
    finally:
        parser.dispose()


def read_yaml(raw: bytes) -> YamlDocument:
    """Parse one YAML document from ``raw`` bytes into plain data and a line index."""
    if len(raw) > MAX_BYTES:
        raise YamlProblem(f"file is larger than {MAX_BYTES // 1000} kB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlProblem("is not UTF-8 text (save it as UTF-8)", line) from None

    import yaml  # PyYAML, with its C loader (libyaml) where it is built

    control = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if control:
        line = text.count("\n", 0, control.start()) + 1
        raise YamlProblem(f"holds a control character (U+{ord(control.group()):04X}) that YAML does not allow", line)
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_class(text)
    try:
        try:
            alias_line = _scan_events(yaml, loader_class, text)
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            raise _syntax_problem(exc, text) from None
        except yaml.YAMLError as exc:
            raise YamlProblem("not valid YAML: " + " ".join(str(exc).split())) from None
        if node is None:
            raise YamlProblem("is empty")
        doc = YamlDocument(data=None)
        doc.data = _Builder(loader, doc.lines, alias_line).build(node, ())
        return doc
    finally:
        loader.dispose()


def _syntax_problem(exc: Any, text: str) -> YamlProblem:
    mark, context = exc.problem_mark or exc.context_mark, exc.context or ""
    if "expected a single document" in context:
        return YamlProblem("holds more than one YAML document (remove the extra ---)", mark.line + 1 if mark else None)
    problem = exc.problem or "not valid YAML"
    if "maximum nesting depth" in problem:
        # PyYAML 6.0.3+ has a nesting limit of its own, met before ours on deep flow collections.
        problem = f"nesting is deeper than {MAX_DEPTH} levels"
    lines = text.splitlines()
    opened = exc.context_mark.line + 1 if exc.context_mark else None
    if context and opened and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
        # An unclosed [ or { is only noticed lines later: say where it opened.
        problem += f" ({context} at line {opened})"
    line = mark.line if mark else None
    plain = plain_yaml_problem(exc.problem or "", context, lines, line, mark.column if mark else 0, opened)
    if plain is None:
        return YamlProblem(problem, line + 1 if line is not None else None)
    message, line = plain if isinstance(plain, tuple) else (plain, line)
    return YamlProblem(message, line + 1 if line is not None else None, detail=problem)


_QUOTE_THEN_MORE = re.compile(r"""^\s*(?:- )?[\w-]+:\s+(["'])(?:(?!\1).)*\1\s*[^\s#]""")
_QUOTE_LEFT_OPEN = re.compile(r"""^\s*(?:- )?[\w-]+:\s+(["'])(?:(?!\1).)*$""")
_KEY_WITHOUT_SPACE = re.compile(r"^\s*(?:- )?([A-Za-z_][\w-]*):(\S.*)$")


def plain_yaml_problem(
    problem: str, context: str, lines: list[str], line: int | None, column: int, opened: int | None
) -> str | tuple[str, int] | None:
    """The parser's complaint in words a playbook author can act on, or None when it is not a common case.

    ``line`` is 0-based; ``opened`` is the 1-based line where an unclosed quote or bracket began.
    A pair names the (0-based) line the problem really is on, when the parser noticed it later.
    """
    here = lines[line] if line is not None and line < len(lines) else ""
    above = next((i for i in range((line or 0) - 1, -1, -1) if lines[i].strip()), None) if line else None
    before = lines[above] if above is not None else ""
    if "'\\t'" in problem or "tab character" in problem or "\t" in here[: len(here) - len(here.lstrip())]:
        return "a tab is used to indent this line: indent with spaces, never tabs"
    for at, text in ((above, before), (line, here)) if "mapping values" in problem or "expected ':'" in problem else ():
        missing = _KEY_WITHOUT_SPACE.match(text)
        if at is not None and missing and not missing.group(2).startswith(("//", ":")):
            key, value = missing.groups()
            return f"no space after the colon in `{text.strip()}`: write `{key}: {value}`", at
    if "quoted scalar" in context:
        return (
            f"a quote opened at line {opened} is never closed: end the text with the same quote, or if the text "
            "holds an apostrophe, wrap it in double quotes (\"don't\")"
        )
    if "flow sequence" in context or "flow mapping" in context:
        bracket, closing = ("[", "]") if "sequence" in context else ("{", "}")
        if opened is not None and line is not None and opened == line + 1:
            return (
                f"a colon inside a value in {bracket} {closing}: put the text in quotes, "
                'e.g. label: "Price: too high"'
            )
        return f"a {bracket} opened at line {opened} is not closed: add {closing} at the end of that value, or put the text in quotes"
    if "mapping values are not allowed" in problem:
        if ": " in here[:column] or here[:column].rstrip().endswith(":"):
            return 'a colon inside a value: put the whole value in quotes, e.g. prompt: "Why: price or fit?"'
        return "this line is indented more than the key above it: line it up with the other keys of its item"
    if "expected <block end>" in problem or "expected key" in problem:
        start = min(opened - 1 if opened else line or 0, line or 0)
        for at in range(start, (line or 0) + 1):
            if at < len(lines) and _QUOTE_THEN_MORE.match(lines[at]):
                return (
                    "a value that starts with a quote ends at its closing quote, and more text follows it: "
                    "put the whole value in the other kind of quotes (when: '\"gap\" in reasons'), or for an "
                    "apostrophe use double quotes (\"don't\")",
                    at,
                )
        for at in range(start, line or 0):
            left_open = _QUOTE_LEFT_OPEN.match(lines[at]) if at < len(lines) else None
            # The quoted text runs on, quote-free, to the line where the parser gave up.
            if left_open and left_open.group(1) in here and not any(left_open.group(1) in lines[i] for i in range(at + 1, line or 0)):
                return f"the quote opened on this line is closed only at line {(line or 0) + 1}: close it on this line", at
    if "expected <block end>" in problem or "expected '-' indicator" in problem or "expected key" in problem:
        return (
            "the indentation of this line does not match the lines above: keys of one item line up, "
            "and each list item starts with - at the same column"
        )
    if "could not find expected ':'" in problem:
        return "a line with neither `key: value` nor `- item`: add the colon and a space, or join it to the line above"
    return None


def _problem(path: Path, message: str, line: int) -> YamlProblem:
    where = format_path(path)
    return YamlProblem(f"{where}: {message}" if where else message, line)


def _tag_name(tag: str) -> str:
    return "!!" + tag[len(_STANDARD_TAG_PREFIX) :] if tag.startswith(_STANDARD_TAG_PREFIX) else tag


def _line(node: Any) -> int:
    return int(node.start_mark.line) + 1


@dataclass(slots=True)
class _Builder:
    """One walk over the composed nodes: check them (no alias, no tag beyond plain data, unique
    word keys), index their lines by key path, and construct plain data."""

    loader: Any
    lines: dict[Path, int]
    alias_line: int | None
    seen: set[int] = field(default_factory=set)

    def _once(self, node: Any, path: Path) -> None:
        # The first node met twice is the first alias (the walk follows document order).
        if id(node) in self.seen:
            message = "anchors and aliases (&name, *name) are not allowed: write the value out"
            raise _problem(path, message, self.alias_line or _line(node))
        self.seen.add(id(node))

    def build(self, node: Any, path: Path) -> Any:
        import yaml

        self._once(node, path)
        self.lines.setdefault(path, _line(node))
        if isinstance(node, yaml.MappingNode):
            if node.tag != _MAP:
                raise _problem(path, f"tag {_tag_name(node.tag)} is not allowed", _line(node))
            data: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self._key(key_node, path)
                if key in data:
                    first = self.lines[(*path, key)]
                    raise _problem((*path, key), f"duplicate key (first at line {first})", _line(key_node))
                self.lines[(*path, key)] = _line(key_node)
                data[key] = self.build(value_node, (*path, key))
            return data
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise _problem(path, f"tag {_tag_name(node.tag)} is not allowed", _line(node))
            items = []
            for i, item in enumerate(node.value):
                self.lines[(*path, i)] = _line(item)
                items.append(self.build(item, (*path, i)))
            return items
        if node.tag not in _SCALAR_KINDS:
            raise _problem(path, f"tag {_tag_name(node.tag)} is not allowed", _line(node))
        if node.tag == _STR:
            return node.value  # what SafeConstructor.construct_yaml_str returns, without its machinery
        try:
            return self.loader.construct_object(node, deep=True)
        except Exception as exc:  # noqa: BLE001 - the constructor raises ValueError, KeyError, ... on bad scalars
            reason = getattr(exc, "problem", None) or (str(exc).split(";")[0] if isinstance(exc, ValueError) else "")
            value = node.value if len(node.value) <= 40 else node.value[:37] + "..."
            message = f"cannot read {value!r} as {_SCALAR_KINDS[node.tag]}"
            raise _problem(path, f"{message}: {reason}" if reason else message, _line(node)) from None

    def _key(self, node: Any, path: Path) -> str:
        import yaml

        if node.tag == _STANDARD_TAG_PREFIX + "merge":
            raise _problem(path, "merge keys (<<) are not allowed: write the keys out", _line(node))
        self._once(node, path)
        if not isinstance(node, yaml.ScalarNode):
            raise _problem(path, "keys must be plain words, not lists or mappings", _line(node))
        if node.tag not in _SCALAR_KINDS:
            raise _problem(path, f"tag {_tag_name(node.tag)} is not allowed", _line(node))
        if node.tag != _STR:
            raise _problem(path, f"key {node.value!r} reads as {_SCALAR_KINDS[node.tag]}: put it in quotes", _line(node))
        return str(node.value)
