"""``deals export --all --format csv``: every run as one CSV row, and reading such files back
(``track --from``), so a team can count its record without sharing journals.

A row holds what a track record needs (playbook, version, scoring fingerprint, status, dates,
verdict, bands, outcome) and no customer notes: free-text answers and the outcome's note come
only with ``--with-answers``. Cells a spreadsheet would run as formulas are neutralised (rank's
helper); reading a file back undoes exactly that.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealrescue.core.render.rank import neutralise
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
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([neutralise("" if c is None else str(c)) for c in cells])
    return out.getvalue()


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
            **dict.fromkeys(sources), **playbooks_by_id(sources, "its runs' success column is left empty")
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


def read_exports(files: list[Path]) -> list[dict[str, Any]]:
    """The runs of one or more ``deals export --all`` files, as ``track`` reads runs from the journal."""
    runs: list[dict[str, Any]] = []
    seen: set[str] = set()
    for path in files:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror}", hint="give files written by dealrescue deals export --all") from None
        except UnicodeDecodeError:
            raise UsageError(f"{path} is not UTF-8 text", hint="give files written by dealrescue deals export --all") from None
        reader = csv.DictReader(io.StringIO(text, newline=""))
        missing = [c for c in NEEDED if c not in (reader.fieldnames or [])]
        if missing:
            raise UsageError(
                f"{path}: not a runs export: no column {', '.join(missing)}",
                hint="write one with: dealrescue deals export --all --format csv -o FILE",
            )
        unjudged = 0  # runs with an outcome and no success yes/no
        for row in reader:
            run: dict[str, Any] = {k: restored(v or "") for k, v in row.items() if k is not None}
            if run["run_id"] in seen:
                continue  # the same run in two files (an export given twice) counts once
            seen.add(run["run_id"])
            try:
                bands = json.loads(run["bands"] or "{}")
            except ValueError:
                raise UsageError(f"{path}:{reader.line_num}: bands is not JSON ({run['bands'][:40]!r})") from None
            run["bands"] = {str(k): v for k, v in bands.items() if isinstance(v, str)} if isinstance(bands, dict) else {}
            run["outcome"] = run["outcome"] or None
            run["verdict"] = run["verdict"] or None
            unjudged += bool(run["outcome"]) and run.get("success") not in (None, "yes", "no")
            runs.append(run)
        if unjudged:
            terminal.notice(
                f"warning: {path}: {unjudged} run(s) with an outcome say no success yes/no (their playbook could not be "
                "loaded when exported): counted as outcomes, not successes, as the SQL in docs/track.md counts them"
            )
    return runs
