"""``deals export --all --format csv``: every run as one CSV row, and reading such files back
(``track --from``), so a team can count its record without sharing journals.

A row holds what a track record needs (playbook, version, scoring fingerprint, status, dates,
verdict, bands, outcome) and no customer notes: free-text answers and the outcome's note come
only with ``--with-answers``. Cells a spreadsheet would run as formulas are neutralised (rank's
helper); reading a file back undoes exactly that.
"""

from __future__ import annotations

import codecs
import csv
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from dealrescue.core.model import PLAYBOOK_ID_PATTERN
from dealrescue.core.render.rank import csv_field, neutralise
from dealrescue.errors import UsageError
from dealrescue.ui import terminal

if TYPE_CHECKING:
    from dealrescue.core.model import Playbook

# The columns, in order: a warehouse table is made from these (docs/track.md).
COLUMNS = (
    "run_id", "deal", "playbook", "playbook_version", "scoring", "status", "plan_date", "created_at",
    "verdict", "bands", "outcome", "outcome_date", "success",
)
ANSWER_COLUMNS = ("outcome_note", "answers")
# What ``track --from`` needs of a file; the other columns are for people and warehouses.
NEEDED = ("run_id", "deal", "playbook", "status", "plan_date", "created_at", "verdict", "bands", "outcome")


def restored(text: str) -> str:
    """A cell as it was before ``neutralise``: the quote it added comes off, any other stays."""
    return text[1:] if text[:1] == "'" and neutralise(text[1:]) == text else text


def csv_line(cells: Iterable[Any]) -> str:
    """One CSV line, each cell neutralised and quoted as rank's are: a cell with a lone CR is quoted
    too (``csv.writer`` with LF line ends leaves it bare, which splits the row when read back)."""
    return ",".join(csv_field(neutralise("" if c is None else str(c))) for c in cells) + "\n"


def _success(playbooks: Mapping[str, Playbook | None], run: Mapping[str, Any]) -> str:
    """``yes``/``no`` for a run with an outcome, by its playbook's ``success:`` lists; empty while pending."""
    from dealrescue.core.track import is_success

    playbook = playbooks.get(run["playbook"])
    if not run.get("outcome") or playbook is None:
        return ""
    return "yes" if is_success(playbook, run) else "no"


def export_lines(with_answers: bool) -> Iterator[str]:
    """The header and one line per run, oldest first."""
    from dealrescue.commands.common import open_existing_journal

    yield csv_line(COLUMNS + (ANSWER_COLUMNS if with_answers else ()))
    journal = open_existing_journal()
    if journal is None:
        return
    with journal:
        from dealrescue.commands.outcome import playbooks_by_id

        # Newest first: each playbook as its newest run was made from it (a path, for one run from a file).
        sources: dict[str, str | None] = {}
        for batch in journal.stream_runs(["playbook_id", "playbook_source"]):
            for playbook_id, source in batch:
                sources.setdefault(playbook_id, source)
        playbooks: dict[str, Playbook | None] = {
            **dict.fromkeys(sources), **playbooks_by_id(sources, "their runs' success column is left empty")
        }
        for run in journal.run_rows():
            cells = {**run, "bands": json.dumps(run["bands"], sort_keys=True), "success": _success(playbooks, run)}
            row = [cells[c] for c in COLUMNS]
            if with_answers:
                outcome = journal.outcome_of(run["run_id"])
                answers = journal.get_run(run["run_id"]).answers
                row += [outcome.note if outcome else None, json.dumps(answers, ensure_ascii=False, sort_keys=True)]
            yield csv_line(row)


def export_all(fmt: str, output: Path | None, force: bool, with_answers: bool) -> None:
    """``deals export --all``: every run to stdout or, atomically, to ``output``."""
    from dealrescue.ui.output import check_target, emit

    if fmt != "csv":
        raise UsageError(f"deals export --all writes csv, not {fmt}", hint="dealrescue deals export --all --format csv")
    if output is not None:
        check_target(output, force=force)
    emit(export_lines(with_answers), output, force=force, written=f"Wrote every run to {output}.")


def read_exports(files: list[Path], playbook: str | None = None) -> list[dict[str, Any]]:
    """The runs of one or more ``deals export --all`` files, as ``track`` reads runs from the journal.

    The files may be a colleague's, so they are read as data and only so much of them: a regular
    file or a pipe (never a device such as ``/dev/zero``, nor waiting for a FIFO's writer), at most
    ``EXPORT_LIMIT`` bytes, and of each row only the export's own columns (``KEPT``): another
    column (``playbook_source``, say) cannot choose which playbook file is loaded. With ``playbook``,
    only its runs are kept.
    """
    from dealrescue.commands.rankfile import field_limit

    read = _Runs()
    for path in files:
        conflicts = 0  # runs read before with other contents
        unjudged = 0  # runs with an outcome and no success yes/no
        with _export_text(path) as lines, field_limit(CELL_LIMIT):
            reader = csv.DictReader(lines)
            try:
                kept = _kept_columns(path, reader.fieldnames or [])
                for row in reader:
                    if playbook is not None and restored(row.get("playbook") or "") != playbook:
                        continue
                    run = read.run_of(path, reader.line_num, {c: restored(row.get(c) or "") for c in kept})
                    added = read.add(run)
                    conflicts += added is None
                    unjudged += bool(added and run["outcome"]) and run.get("success") not in (None, "yes", "no")
            except csv.Error as exc:
                raise UsageError(f"{path}:{reader.line_num + 1}: not readable as CSV: {exc}", hint=_EXPORT_HINT) from None
            except UnicodeDecodeError:
                raise UsageError(f"{path}:{reader.line_num + 1}: not UTF-8 text", hint=_EXPORT_HINT) from None
        if unjudged:
            terminal.notice(
                f"warning: {path}: {unjudged} run(s) with an outcome say no success yes/no (their playbook could not be "
                "loaded when exported): counted as outcomes, not successes, as the SQL in docs/track.md counts them"
            )
        if conflicts:
            terminal.notice(
                f"warning: {path}: {conflicts} run(s) with the id of a run read before but other contents: "
                "each counts as read first (the order of --from)"
            )
    return read.runs


_EXPORT_HINT = "give files written by dealrescue deals export --all"
# What is kept of each row: what a record counts and ``--runs`` lists (the rest is for people and warehouses).
KEPT = (*NEEDED, "success")
# Columns whose values repeat from run to run: held once (a million runs in about a GB).
_REPEATED = frozenset({"playbook", "status", "plan_date", "verdict", "outcome", "success"})
# A team's export of every run is a few MB; a file beyond this is not one (or is /dev/zero's kin).
EXPORT_LIMIT = 1 << 30
# The longest cell read: a run's answers as JSON (--with-answers) stay far below it.
CELL_LIMIT = 16 << 20
# One line of the file (a quoted cell's line breaks end lines too).
LINE_LIMIT = 2 * CELL_LIMIT
# What a playbook column holds: an id, as the playbook format defines it (never a path).
_PLAYBOOK_ID = re.compile(PLAYBOOK_ID_PATTERN.removesuffix("$"))
# A run's bands are a few score ids and band ids.
BANDS_LIMIT = 64 << 10


def _kept_columns(path: Path, header: Sequence[str]) -> list[str]:
    """The columns of ``KEPT`` the file has; an error if it lacks one ``track`` needs."""
    if not header:
        raise UsageError(f"{path} is empty: not a runs export", hint="write one with: dealrescue deals export --all --format csv -o FILE")
    missing = [c for c in NEEDED if c not in header]
    if missing:
        raise UsageError(
            f"{path}: not a runs export: no column {', '.join(missing)}",
            hint="write one with: dealrescue deals export --all --format csv -o FILE",
        )
    return [c for c in KEPT if c in header]


class _Runs:
    """The runs read so far, each run id once, each repeated value (and each bands mapping) held once."""

    def __init__(self) -> None:
        self.runs: list[dict[str, Any]] = []
        self._index: dict[str, int] = {}
        self._values: dict[str, str] = {}
        self._bands: dict[str, dict[str, str]] = {}
        self._playbooks: set[str] = set()  # the playbook ids checked

    def run_of(self, path: Path, line: int, cells: dict[str, str]) -> dict[str, Any]:
        """A row as ``track`` reads a run: its bands as a mapping (shared: nothing changes one), an
        empty outcome or verdict as None."""
        if cells["playbook"] not in self._playbooks and not _PLAYBOOK_ID.fullmatch(cells["playbook"]):
            # track loads each playbook named here: a path (../x.yaml) would have it load that file.
            raise UsageError(f"{path}:{line}: playbook {cells['playbook'][:60]!r} is not a playbook id", hint=_EXPORT_HINT)
        self._playbooks.add(cells["playbook"])
        run: dict[str, Any] = {c: self._values.setdefault(v, v) if c in _REPEATED else v for c, v in cells.items()}
        text = run["bands"] or "{}"
        bands = self._bands.get(text)
        run["bands"] = bands if bands is not None else self._bands.setdefault(text, _bands(path, line, text))
        run["outcome"] = run["outcome"] or None
        run["verdict"] = run["verdict"] or None
        return run

    def add(self, run: dict[str, Any]) -> bool | None:
        """True when ``run`` is new; False for a run read before (an export given twice counts
        once); None for a run id read before with other contents (the first read counts)."""
        index = self._index.get(run["run_id"])
        if index is not None:
            return False if self.runs[index] == run else None
        self._index[run["run_id"]] = len(self.runs)
        self.runs.append(run)
        return True


def _bands(path: Path, line: int, text: str) -> dict[str, str]:
    try:
        if len(text) > BANDS_LIMIT:
            raise ValueError
        bands = json.loads(text)
    except (ValueError, RecursionError):
        raise UsageError(f"{path}:{line}: bands is not JSON ({text[:40]!r})",
                         hint=_EXPORT_HINT) from None
    return {str(k): v for k, v in bands.items() if isinstance(v, str)} if isinstance(bands, dict) else {}


@contextmanager
def _export_text(path: Path) -> Iterator[Iterator[str]]:
    """The lines of the export at ``path`` as text, at most ``EXPORT_LIMIT`` bytes of them.

    Opened without waiting (a FIFO nobody writes to reads as empty, it does not hang); only a
    regular file or a pipe is read (``<(dealrescue deals export --all)`` is one).
    """
    from dealrescue import paths

    try:
        handle = paths.open_without_waiting(path)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}", hint=_EXPORT_HINT) from None
    with handle:
        info = os.fstat(handle.fileno())
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
            raise UsageError(f"cannot read {path}: not a file", hint=_EXPORT_HINT)
        if info.st_size > EXPORT_LIMIT:
            raise UsageError(f"{path}: {info.st_size:,} bytes, over the {EXPORT_LIMIT >> 30} GiB an export of runs may be",
                             hint=_EXPORT_HINT)
        yield _decoded_lines(path, handle)


def _decoded_lines(path: Path, handle: IO[bytes]) -> Iterator[str]:
    """``handle``'s lines as text (a BOM dropped), refused once past ``EXPORT_LIMIT`` bytes or
    ``LINE_LIMIT`` in a line (an endless pipe of zeros is found without holding it)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    left, number = EXPORT_LIMIT, 0
    while raw := handle.readline(min(left, LINE_LIMIT) + 1):
        number += 1
        left -= len(raw)
        if left < 0:
            raise UsageError(f"{path}: over the {EXPORT_LIMIT >> 30} GiB an export of runs may be", hint=_EXPORT_HINT)
        if len(raw) > LINE_LIMIT:
            raise UsageError(f"{path}:{number}: a line over {LINE_LIMIT >> 20} MiB: not an export of runs", hint=_EXPORT_HINT)
        yield decoder.decode(raw)
