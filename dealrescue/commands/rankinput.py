"""How a CRM export's bytes become rows for ``rank``: opened with bounded lines, a pipe spooled
to a private file, the encoding and the delimiter found (or forced), and a file that is not
UTF-8 turned into a private UTF-8 copy.

Everything after this module reads UTF-8 text: the first read (the scoring) and the second
(the columns passed through, by byte offset) read the same bytes, so they cannot disagree.

The policy (README, "rank"):
- encoding: a byte order mark says it (UTF-8, UTF-16, UTF-32); else UTF-8 when the whole file
  is UTF-8; else Windows-1252, what Excel writes as "CSV" in Western Europe; ``--encoding``
  forces one. A byte Windows-1252 leaves undefined (0x81, 0x8d, 0x8f, 0x90, 0x9d) is an
  error naming the line, never a guess: such a file is in another encoding; so is a stray
  byte after UTF-8 accents (a damaged or joined file, that Windows-1252 would garble);
- delimiter: the one of comma, semicolon and tab found most often outside quotes in the
  header line (a comma on a tie or when there is none); ``--delimiter`` forces one;
- line ends: LF or CRLF as they are; lines ending in a lone CR (Excel for Mac), found in the
  head, are read from a copy where each lone CR is an LF.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from dealrescue.errors import DealRescueError, UsageError

# One line of the file (a quoted cell's line breaks end lines too): a longer one is not a CRM export.
LINE_LIMIT = 64 << 20
# What a pipe may bring (rank spools it to a private temp file to read it twice).
PIPE_LIMIT = 4 << 30
# The bytes looked at for a byte order mark, UTF-16 without one, and the header line.
_HEAD = 1 << 16
_CHUNK = 1 << 20
_LONE_CR = re.compile("\r(?!\n)")
# Codecs of text to text that are not a file's character set: they read escapes or domain names, and
# fail on a CSV with a bare UnicodeError (idna refuses the error handler "replace", punycode a space).
_NOT_CHARACTER_SETS = frozenset({"idna", "punycode", "unicode-escape", "raw-unicode-escape"})

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}  # found from a header line
# What --delimiter takes: the character itself, or its name (a tab is hard to type).
_DELIMITER_WORDS = {",": ",", "comma": ",", ";": ";", "semicolon": ";", "tab": "\t", "\\t": "\t", "\t": "\t",
                    "|": "|", "pipe": "|"}
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_LABELS = {"utf-8": "UTF-8", "utf-16": "UTF-16", "utf-16-le": "UTF-16 (little-endian, no byte order mark)",
           "utf-16-be": "UTF-16 (big-endian, no byte order mark)", "utf-32": "UTF-32", "cp1252": "Windows-1252"}


@dataclass(frozen=True)
class ExportFormat:
    """How an export is written: its encoding (a Python codec name) and its cell delimiter."""

    encoding: str = "utf-8"
    delimiter: str = ","
    guessed: bool = False  # the encoding was chosen because the file is not UTF-8
    carriage_returns: bool = False  # lines end in a lone CR (Excel for Mac's "CSV"): read from a copy with LF

    @property
    def label(self) -> str:
        return _LABELS.get(self.encoding, self.encoding)

    def note(self) -> str | None:
        """The summary's line on how the file was read, when it is not UTF-8 with commas."""
        parts = []
        if self.encoding != "utf-8":
            why = " (not UTF-8; --encoding names another)" if self.guessed else ""
            parts.append(f"{self.label} text{why}")
        if self.delimiter != ",":
            parts.append(f"{DELIMITERS.get(self.delimiter, 'pipe')}-separated")
        said = [f"read as {', '.join(parts)}"] if parts else []
        if self.carriage_returns:
            said.append("its lines end in a lone carriage return (classic Mac), read as line breaks")
        return "; ".join(said) or None

    def described(self) -> dict[str, str]:
        """The JSON ``read`` object: {"encoding": "cp1252", "delimiter": ";"}."""
        return {"encoding": self.encoding, "delimiter": self.delimiter}


def delimiter_option(text: str | None) -> str | None:
    """``--delimiter``: ``,`` ``;`` or ``tab`` (or its name) -> the character; None: found from the header."""
    if text is None:
        return None
    found = _DELIMITER_WORDS.get(text.strip().lower() if text.strip() else text)
    if found is None:
        raise UsageError(f"--delimiter {text!r} is not one rank reads", hint="use --delimiter , or ; or tab (or |)")
    return found


def encoding_option(name: str | None) -> str | None:
    """``--encoding NAME`` -> Python's codec name for it (``latin-1``, ``windows-1252``...); None: found."""
    if name is None:
        return None
    try:
        codec = codecs.lookup(name.strip())
    except LookupError:
        raise UsageError(f"--encoding {name!r} is not an encoding rank knows",
                         hint="use utf-8, utf-16, cp1252 (Windows Western European), latin-1, or another Python "
                              "codec name; or leave it out and rank picks") from None
    try:
        text = isinstance(codecs.decode(b"", codec.name), str)
    except Exception:  # zlib, uu, rot13...: codecs of bytes to bytes fail on empty bytes, each its own way
        text = False
    if not text or codec.name in _NOT_CHARACTER_SETS:
        raise UsageError(f"--encoding {name!r} is not a text encoding", hint="use utf-8, utf-16 or cp1252")
    return "utf-8" if codec.name == "utf-8-sig" else codec.name


def header_delimiter(line: str) -> str:
    """The delimiter of a header line: the one of comma, semicolon and tab that occurs most often
    outside double quotes (``"Amount, EUR";Stage`` is semicolon-separated); a comma on a tie."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def export_format(path: Path, source: str, encoding: str | None = None, delimiter: str | None = None) -> ExportFormat:
    """How the export at ``path`` is written: each of ``encoding`` and ``delimiter`` as forced, else found."""
    with open_export(path) as handle:
        head = handle.read(_HEAD)
        guessed = False
        if encoding is None:
            encoding = _by_bom(head) or _utf16_without_bom(head)
        if encoding is None:
            handle.seek(0)
            utf8 = _utf8_kind(handle)
            if utf8 == "mixed":
                line, column = not_utf8_at(path)
                raise UsageError(f"{source}:{line}: not UTF-8 text (byte at column {column}), though the lines "
                                 "before it are UTF-8 with accents: two files joined, or a damaged one",
                                 hint="fix that line, or read the whole file as Windows-1252 with --encoding cp1252")
            guessed = utf8 == "no"
            encoding = "cp1252" if guessed else "utf-8"
    text = head.decode(encoding, "replace").removeprefix("\ufeff")
    if delimiter is None:
        first = next((line for line in text.splitlines() if line.strip(" \t\",;")), "")
        named = first.strip().lower()
        delimiter = first.strip()[4] if len(named) == 5 and named.startswith("sep=") else header_delimiter(first)
    # A CR not before LF (the head's last character may be cut before its LF): lines that end in CR alone.
    return ExportFormat(encoding, delimiter, guessed, _LONE_CR.search(text.rstrip("\r")) is not None)


def _by_bom(head: bytes) -> str | None:
    return next((name for bom, name in _BOMS if head.startswith(bom)), None)


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 with no byte order mark, from its NUL bytes: ASCII letters have one beside them."""
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if len(head) < 4 or max(even, odd) < len(head) // 4 or min(even, odd) > max(even, odd) // 8:
        return None
    return "utf-16-le" if odd > even else "utf-16-be"


def _utf8_kind(handle: IO[bytes]) -> str:
    """"yes" when every byte of the file is UTF-8 text (ASCII chunks, the common case, are not
    decoded); "no" when it is not, and no letter before the first bad byte was UTF-8 beyond ASCII;
    "mixed" when some was: UTF-8 with a stray byte, where Windows-1252 would garble every accent."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    pending = False
    accents = False
    try:
        while chunk := handle.read(_CHUNK):
            if pending or not chunk.isascii():
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    accents = accents or not chunk[: exc.start].isascii()
                    raise
                accents = True
                pending = bool(decoder.getstate()[0])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "mixed" if accents else "no"
    return "yes"


def not_utf8_at(path: Path) -> tuple[int, int]:
    """The line and column (1-based, in bytes) of the first byte of ``path`` that is not UTF-8."""
    with open_export(path) as handle:
        for number, line in enumerate(bounded_lines(handle, str(path), None), 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                return number, exc.start + 1
    return 0, 0


@contextmanager
def utf8_text(path: Path, source: str, fmt: ExportFormat) -> Iterator[Path]:
    """``path`` itself when it is UTF-8 with LF or CRLF line ends; else a private UTF-8 copy (0600,
    removed after), line for line, a lone CR made LF (the csv module reads the lines it is given)."""
    if fmt.encoding == "utf-8" and not fmt.carriage_returns:
        yield path
        return
    import tempfile

    decoder = codecs.getincrementaldecoder(fmt.encoding)("strict")
    line, held = 1, ""  # a CR that ends a piece of text: lone or not depends on the next piece
    with open_export(path) as raw, tempfile.NamedTemporaryFile(prefix="dealrescue-rank-", suffix=".csv") as copy:
        for chunk in bounded_lines(raw, source, None):
            state = decoder.getstate()
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                # The line of the bad byte: the line breaks before it (in UTF-16 the last one may still be half in the decoder).
                decoder.setstate(state)
                valid = chunk[: max(0, exc.start - (len(exc.object) - len(chunk)))]
                raise _undecodable(source, line + decoder.decode(valid).count("\n"), fmt, exc) from None
            if fmt.carriage_returns:
                text = held + text
                held = "\r" if text.endswith("\r") else ""
                text = _LONE_CR.sub("\n", text.removesuffix("\r"))
            line += text.count("\n")
            copy.write(text.encode("utf-8", "surrogatepass"))
        try:
            copy.write((_LONE_CR.sub("\n", held + decoder.decode(b"", final=True))).encode("utf-8", "surrogatepass"))
        except UnicodeDecodeError as exc:
            raise _undecodable(source, line, fmt, exc) from None
        copy.flush()
        yield Path(copy.name)


def _undecodable(source: str, line: int, fmt: ExportFormat, exc: UnicodeDecodeError) -> UsageError:
    byte = exc.object[exc.start] if exc.start < len(exc.object) else 0
    if fmt.encoding == "cp1252":
        return UsageError(
            f"{source}:{line}: byte 0x{byte:02x} is not a character in Windows-1252, and the file is not UTF-8",
            hint="name the encoding the CRM wrote with --encoding (cp1250 for Central Europe, latin-1 for ISO-8859-1)",
        )
    return UsageError(f"{source}:{line}: not {fmt.label} text (byte 0x{byte:02x})",
                      hint="name the encoding the file is in with --encoding, or leave it out and rank picks")


def bounded_lines(handle: IO[bytes], source: str, size: int | None) -> Iterator[bytes]:
    """The lines of ``handle`` up to ``size`` bytes, none longer than ``LINE_LIMIT``."""
    left = size if size is not None else -1
    number = 0
    while left:
        raw = handle.readline(LINE_LIMIT if left < 0 else min(LINE_LIMIT, left))
        if not raw:
            return
        number += 1
        if len(raw) == LINE_LIMIT and not raw.endswith(b"\n"):
            raise UsageError(f"{source}:{number}: a line over {LINE_LIMIT >> 20} MiB: not a CSV export rank can read",
                             hint="export the report again as CSV; a cell that long belongs in an attachment")
        left -= len(raw) if left > 0 else 0
        yield raw


@contextmanager
def readable_twice(path: Path) -> Iterator[Path]:
    """``path`` itself when it is a regular file; a pipe (``/dev/stdin``, ``<(cat f.csv)``) is first
    copied to a private temp file (0600, removed after), as rank reads the rows twice."""
    import stat
    import tempfile

    try:
        regular = stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        regular = True  # open_export says what is wrong
    if regular:
        yield path
        return
    with open_export(path) as source, tempfile.NamedTemporaryFile(prefix="dealrescue-rank-", suffix=".csv") as copy:
        total = 0
        for raw in bounded_lines(source, str(path), None):
            total += len(raw)
            if total > PIPE_LIMIT:
                raise UsageError(f"{path}: over {PIPE_LIMIT >> 30} GiB through a pipe",
                                 hint="save the export to a file and rank the file")
            copy.write(raw)
        copy.flush()
        yield Path(copy.name)


@contextmanager
def export_text(path: Path, source: str, encoding: str | None = None,
                delimiter: str | None = None) -> Iterator[tuple[Path, ExportFormat]]:
    """The export at ``path`` (a file or a pipe) as a UTF-8 file read twice, and how it was written.

    ``encoding`` and ``delimiter`` are the options as given (checked here; None: found from the file).
    """
    forced_encoding, forced_delimiter = encoding_option(encoding), delimiter_option(delimiter)
    with readable_twice(path) as readable:
        fmt = export_format(readable, source, forced_encoding, forced_delimiter)
        with utf8_text(readable, source, fmt) as text:
            yield text, fmt


def export_path(given: Path) -> Path:
    """Where an export is read from: ``-`` is standard input, as for ``--answers -``."""
    if str(given) != "-":
        return given
    from dealrescue.ui import terminal

    if terminal.stdin_is_terminal():  # else a silent wait: rank seems to hang
        terminal.notice("Reading the CSV export from the keyboard; end it with Ctrl-D (a file: dealrescue rank FILE).")
    return Path("/dev/stdin")


def open_export(path: Path) -> IO[bytes]:
    """The export at ``path`` opened to read (a FIFO nobody writes to reads as empty: no hang)."""
    from dealrescue import paths

    try:
        return paths.open_without_waiting(path)
    except FileNotFoundError:
        raise UsageError(f"cannot read {path}: no such file", hint="check the path of the CSV export") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a folder", hint="give the path of a CSV file") from None
    except PermissionError:
        raise UsageError(f"cannot read {path}: permission denied", hint="check the file's permissions") from None
    except OSError as exc:
        raise DealRescueError(f"cannot read {path}: {exc.strerror}") from None
