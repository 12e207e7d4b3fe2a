"""How a journal listing is written out: aligned tables on a terminal, tab-separated lines, JSON.

Imported only when a journal command runs (``dealrescue.commands.deals``), so
the regexes below compile off the ``dealrescue --help`` start-up path.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dealrescue.core.mdescape import BIDI_CONTROLS

_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{BIDI_CONTROLS}]")
_BREAKS = re.compile("\r\n|[\r\n\t\u2028\u2029]")


def one_line(value: object) -> str:
    """Text safe for one cell: line breaks and tabs as spaces, other control characters made visible."""
    text = "" if value is None else str(value)
    if not _UNSAFE.search(text):
        return text
    from dealrescue.core.mdescape import strip_controls

    return strip_controls(_BREAKS.sub(" ", text))


def tsv_cell(value: object) -> str:
    """One field of a tab-separated line: ``-`` when empty, no tabs, line breaks or escape codes."""
    text = one_line(value)
    return text if text else EMPTY


EMPTY = "-"
"""What a tab-separated line shows for an empty cell."""

# What is left of a clean chunk once its printable text is deleted: its separators alone.
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))
_PRINTABLE_OR_BEYOND_ASCII = _PRINTABLE_ASCII + bytes(range(0x80, 0x100))
# Beyond ASCII, the characters one_line changes (C1 controls, line and paragraph separators, bidi).
_UNSAFE_BEYOND_ASCII = re.compile(f"[\x80-\x9f\u2028\u2029{BIDI_CONTROLS}]")


def _clean_chunk(text: str, lines: int, width: int) -> bytes | None:
    """``text`` (``lines`` lines of ``width`` tab-separated non-empty cells, each line ending in a
    newline) as bytes when every cell already reads as ``tsv_cell`` makes it, else None.

    That is: no cell holds a character ``one_line`` would change (a tab or line break inside a
    cell, a control character). Checked on the whole chunk in two passes, so the usual chunk,
    all plain text, costs no work per row.
    """
    plain = text.isascii()
    if not plain and _UNSAFE_BEYOND_ASCII.search(text):
        return None
    data = text.encode("ascii" if plain else "utf-8")
    separators = data.translate(None, _PRINTABLE_ASCII if plain else _PRINTABLE_OR_BEYOND_ASCII)
    if separators != (b"\t" * (width - 1) + b"\n") * lines:
        return None  # a control character, or a tab or line break inside a cell
    return data


def write_tsv(batches: Iterable[Sequence[Sequence[object]]]) -> int:
    """Tab-separated lines, one per row of cells, written a batch of rows at a time; returns how many rows.

    Rows stream from the journal in batches, so a long listing is never held whole. A batch of
    plain text (the common case) is joined, checked and written in one go; any other is cleaned
    cell by cell.
    """
    count = 0
    stdout = sys.stdout
    stdout.flush()
    binary = getattr(stdout, "buffer", None)  # ASCII bytes go straight out, with no second encoding
    for rows in batches:
        if not rows:
            continue
        data = None
        if all(map(all, rows)):  # else an empty cell (shown as EMPTY) or None: cleaned cell by cell
            try:
                text = "\n".join(map("\t".join, rows)) + "\n"  # type: ignore[arg-type]
            except TypeError:  # a number: cleaned cell by cell
                pass
            else:
                data = _clean_chunk(text, len(rows), len(rows[0]))
        if data is None:
            text = "".join(["\t".join([tsv_cell(c) for c in row]) + "\n" for row in rows])
        elif binary is not None and text.isascii():
            binary.write(data)
            count += len(rows)
            continue
        stdout.write(text)
        stdout.flush()
        count += len(rows)
    if binary is not None:
        binary.flush()
    return count


# A cell is text, or (text, SGR code) to colour it, e.g. ("OVERDUE", "1;31").
Cell = Any


def _width(text: str) -> int:
    import unicodedata

    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _clip(text: str, width: int) -> str:
    if _width(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = _width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "\u2026"


def print_table(
    headers: Sequence[str], rows: Sequence[Sequence[Cell]], *, key_column: int = 0, flex: Sequence[int] = (),
    caps: Mapping[int, int] | None = None,
) -> None:
    """An aligned table for a terminal; ``flex`` columns are shortened (with an ellipsis) to fit its width,
    and a column in ``caps`` is never wider than its cap (so the others get the room).

    Colour only when allowed (``NO_COLOR``, ``TERM=dumb``); cell text never carries escape codes.
    """
    import shutil

    from dealrescue.ui.terminal import color_allowed

    color = color_allowed()
    texts = [[one_line(c[0] if isinstance(c, tuple) else c) for c in row] for row in rows]
    codes = [[c[1] if isinstance(c, tuple) else None for c in row] for row in rows]
    widths = [max([_width(h)] + [_width(r[i]) for r in texts]) for i, h in enumerate(headers)]
    for i, cap in (caps or {}).items():
        widths[i] = min(widths[i], max(cap, _width(headers[i])))
    room = shutil.get_terminal_size((100, 24)).columns - 2 * (len(headers) - 1)
    while sum(widths) > room:
        shrinkable = [i for i in flex if widths[i] > max(12, _width(headers[i]))]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: widths[i])
        widths[widest] -= 1

    def paint(text: str, code: str | None) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color and code else text

    def line(cells: Sequence[str], cell_codes: Sequence[str | None]) -> str:
        parts = []
        for i, text in enumerate(cells):
            shown = _clip(text, widths[i])
            pad = " " * (widths[i] - _width(shown)) if i < len(cells) - 1 else ""
            parts.append(paint(shown, cell_codes[i]) + pad)
        return "  ".join(parts).rstrip()

    out = [line(list(headers), ["1"] * len(headers))]
    for row, row_codes in zip(texts, codes, strict=True):
        if key_column < len(row_codes) and row_codes[key_column] is None:
            row_codes = [*row_codes]
            row_codes[key_column] = "1;36"
        out.append(line(row, row_codes))
    sys.stdout.write("\n".join(out) + "\n")
    sys.stdout.flush()


def write_json(data: Any) -> None:
    import json

    from dealrescue.core.mdescape import json_safe

    sys.stdout.write(json_safe(json.dumps(data, ensure_ascii=False, indent=2)) + "\n")
    sys.stdout.flush()
