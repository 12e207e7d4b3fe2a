"""Escaping user text for markdown so it reads as text, never as structure."""

from __future__ import annotations

import re

# Inline structure, by CommonMark's rules, so a rep's text is escaped only where it would
# change what a reader sees: code spans (`), emphasis (*, and _ except inside a word: in
# payroll_run it cannot open or close), links ([ ]), autolinks and HTML (< before a letter,
# / ! or ?), entities (& before name; or #123;), backslash escapes (\ before punctuation or at
# the end, where the next text or the line break would complete one), table cells (|) and
# strikethrough (~), and a lone run of # (in a heading, " #" at the end would close it). `>`, `#`
# and `!` otherwise matter only at a line start or before `[`, both handled.
_INLINE = re.compile(
    r"""[`*\[\]|~]"""
    r"""|(?<![^\W_])_|_(?![^\W_])"""
    r"""|<(?=[A-Za-z/!?])"""
    r"""|&(?=#?\w+;)"""
    r"""|\\(?=[!-/:-@\[-`{-~]|$)"""
    r"""|(?<!\S)#(?=#*(?:\s|$))"""
)
# What can open a block at the start of a line: headings, lists, quotes, rules, tables.
_LINE_START = re.compile(r"^(\s*)([-+=>:#]|\d+[.)])")
# Bidirectional controls reorder what is shown (U+202E makes "gpj.exe" read "exe.jpg"):
# the Arabic letter mark, LRM/RLM, the embeddings and overrides, and the isolates.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# Everything a terminal could act on instead of showing (C0 but tab and newline, DEL, C1), and bidi.
UNSAFE_CHARACTERS = "\x00-\x08\x0b-\x1f\x7f\u0080-\u009f" + BIDI_CONTROLS
_CONTROL = re.compile(f"[{UNSAFE_CHARACTERS}]")


def _control_picture(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    # U+2400 block pictures the C0 controls (ESC shows as a picture of ESC); C1 controls
    # become U+FFFD; a bidi control is named, e.g. [U+202E], so a reader sees it was there.
    if code < 0x20:
        return chr(0x2400 + code)
    if code <= 0x9F:
        return "\ufffd"
    return f"[U+{code:04X}]"


def strip_controls(text: str) -> str:
    """The one terminal sanitiser: control characters and bidi controls shown, never acted on.

    Every string from user data or a playbook passes here before it reaches a terminal.
    Line breaks become ``\\n``; the Unicode line and paragraph separators become spaces, since
    ``str.splitlines`` and some editors break lines there and they must not hide a line start.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", " ").replace("\u2029", " ")
    return _CONTROL.sub(_control_picture, text.replace("\t", "    "))


# In JSON text these can only stand inside strings: written as \u escapes, the document means the
# same and no terminal acts on it (C0 controls JSON escapes itself).
_JSON_UNSAFE = re.compile(f"[\u0080-\u009f{BIDI_CONTROLS}\u2028\u2029]")


def json_safe(text: str) -> str:
    """JSON text with C1 controls, bidi controls and the line separators as ``\\uXXXX`` escapes."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def one_line(text: str) -> str:
    """``strip_controls`` for text inside a one-line message: a line break cannot start a fake line."""
    return strip_controls(text).replace("\n", " ")


def code_span(text: str) -> str:
    """``text`` as a markdown code span, fenced with more backticks than any run inside it."""
    flat = " ".join(strip_controls(text).split())
    runs = [len(run) for run in re.findall(r"`+", flat)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def escape_inline(text: str) -> str:
    """Escape ``text`` to sit inside a markdown paragraph or list item.

    Newlines become CommonMark hard breaks (a backslash before the line end), so a
    multi-line answer keeps its lines but stays inside the paragraph it is in.
    """
    lines = strip_controls(text).split("\n")
    # Blank lines at either end carry nothing, and a hard break there could be left dangling
    # (a lone backslash) once the surrounding text is stripped.
    while len(lines) > 1 and not lines[-1].strip():
        lines.pop()
    while len(lines) > 1 and not lines[0].strip():
        lines.pop(0)
    if len(lines) == 1:
        return _escape_line(lines[0])
    # A blank line would end the paragraph; a non-breaking space keeps it open.
    return "\\\n".join(_escape_line(line) if line.strip() else "\u00a0" for line in lines)


def _escape_line(line: str) -> str:
    return _LINE_START.sub(_escape_line_start, _INLINE.sub(lambda m: "\\" + m.group(0), line))


def _escape_line_start(match: re.Match[str]) -> str:
    lead, marker = match.group(1), match.group(2)
    if marker[-1] in ".)":
        return f"{lead}{marker[:-1]}\\{marker[-1]}"
    return f"{lead}\\{marker}"
