"""What ``dealrescue track`` does: each playbook's record, per verdict and per score band,
counted from the journal or from ``deals export --all`` files, and the runs behind any figure.

The counting is ``core/track.py``'s (the same for both sources); this module reads, picks the
playbooks and prints.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealrescue.commands.common import journal_hints, open_existing_journal, parse_date
from dealrescue.errors import UsageError
from dealrescue.ui import terminal
from dealrescue.ui.listing_output import one_line, write_json

if TYPE_CHECKING:
    from dealrescue.core.model import Playbook
    from dealrescue.core.plan import Plan
    from dealrescue.journal import Journal


def load_runs(playbook: str | None, sources: list[Path]) -> list[dict[str, Any]]:
    """Every run (of ``playbook``, or all) from the export files, or else from the journal."""
    if sources:
        from dealrescue.commands.runs_csv import read_exports

        return read_exports(sources, playbook)
    journal = open_existing_journal()
    if journal is None:
        return []
    with journal, journal_hints():
        return list(journal.run_rows(playbook))


def _chosen(ref: str | None, runs: list[dict[str, Any]], playbooks_dir: Path | None) -> list[Playbook]:
    from dealrescue.commands.outcome import playbook_named, playbooks_by_id

    # Oldest first: the last run of each playbook names the file it was made from (journal runs only).
    sources = {str(r["playbook"]): r.get("playbook_source") for r in runs}
    if ref is not None:
        return [playbook_named(ref, sources.get(ref), playbooks_dir=playbooks_dir)]
    return list(playbooks_by_id(sources, "their runs are left out", playbooks_dir).values())


def track(
    ref: str | None, since: str | None, fmt: str, sources: list[Path], figure: str | None, playbooks_dir: Path | None = None
) -> None:
    """``track``: the record of ``ref`` (every playbook with runs when None), or with ``figure`` the runs behind it."""
    from dealrescue.core.track import counted_runs, track_record

    since_day = parse_date(since, "--since").isoformat() if since is not None else None
    if figure is not None and ref is None:
        raise UsageError("--runs lists the runs behind one playbook's figure: name the playbook", hint=f"dealrescue track triage --runs {figure}")
    runs = load_runs(ref, sources)
    playbooks = _chosen(ref, runs, playbooks_dir)
    if ref is not None and playbooks[0].id != ref:
        # A playbook named by its file: its runs are recorded under its id.
        runs = load_runs(playbooks[0].id, sources)
    if figure is not None:
        _runs_behind(playbooks[0], counted_runs(playbooks[0], runs, since_day), figure, fmt)
        return
    records = [track_record(p, runs, since_day) for p in playbooks]
    if fmt == "json":
        write_json(records[0] if ref is not None else records)
    elif fmt == "csv":
        _write_csv(records)
    else:
        for index, playbook in enumerate(playbooks):
            sys.stdout.write(("\n" if index else "") + table_text(playbook, counted_runs(playbook, runs, since_day), since_day))
        if not playbooks:
            terminal.notice("No runs recorded yet: the record starts with the first finished run.")
        sys.stdout.flush()


def table_text(playbook: Playbook, counted: list[Mapping[str, Any]], since: str | None) -> str:
    """The record as lines a person reads: one per verdict, then one per band of each score."""
    from dealrescue.core.outcomes import success_ids
    from dealrescue.core.track import CAVEAT, METHOD, MIN_OUTCOMES, band_tallies, band_words, figure_line, runs_behind, success_words, verdict_tallies

    since_text = f", plans since {since}" if since else ""
    deals = f"{len(counted)} deal{'' if len(counted) == 1 else 's'}"
    lines = [f"{one_line(playbook.title)} ({playbook.id}): {deals}, each counted by its latest run{since_text}", ""]
    for verdict_id, counts in verdict_tallies(playbook, counted):
        words = one_line(success_words(playbook, success_ids(playbook, verdict_id)))
        lines.append("  " + figure_line(verdict_id.replace("_", " "), counts, words))
    labels = {s.id: (s.title, {b.id: b.label for b in s.bands}) for s in playbook.scores}
    for score_id, bands in band_tallies(playbook, counted).items():
        if not bands:
            continue
        title, band_labels = labels[score_id]
        lines += ["", f"  By band of {one_line(title)} (what each band foretold):"]
        for band_id, counts in bands:
            words = one_line(band_words(playbook, runs_behind(playbook, counted, f"{score_id}.{band_id}")))
            lines.append("    " + figure_line(one_line(band_labels[band_id]), counts, words))
    lines += [
        "",
        f"Rates are successes among recorded outcomes, with {METHOD} intervals; below {MIN_OUTCOMES} outcomes: too few to judge.",
        CAVEAT,
        f"The runs behind a figure: dealrescue track {playbook.id} --runs VERDICT (or SCORE.BAND).",
    ]
    return "\n".join(lines) + "\n"


def _write_csv(records: list[dict[str, Any]]) -> None:
    from dealrescue.ui.output import emit

    emit(_record_lines(records), None)


def _record_lines(records: list[dict[str, Any]]) -> Iterator[str]:
    from dealrescue.commands.runs_csv import csv_line

    yield csv_line(["playbook", "kind", "score", "figure", "runs", "outcomes", "successes", "rate", "low", "high", "judged"])
    for record in records:
        for v in record["verdicts"]:
            low, high = v["interval"] or ("", "")
            counts = [v["runs"], v["outcomes"], v["successes"], v["rate"], low, high, _flag(v["judged"])]
            yield csv_line([record["playbook"], "verdict", "", v["verdict"], *counts])
        for score, bands in record["bands"].items():
            for b in bands:
                low, high = b["interval"] or ("", "")
                yield csv_line([record["playbook"], "band", score, b["band"], "", b["outcomes"], b["successes"], "", low, high, _flag(b["judged"])])


def recorded_runs(playbook: Playbook, journal: Journal | None = None) -> list[Mapping[str, Any]]:
    """The journal's runs that a plan's or a ranking's record line counts (none without a journal,
    without outcomes in the playbook, or when the journal cannot be read: the line is an extra).
    ``journal``: one already open (a run being recorded); otherwise the existing one is opened."""
    from dealrescue.core.track import counted_runs
    from dealrescue.errors import JournalError

    if not playbook.outcomes:
        return []
    try:
        if journal is not None:
            return counted_runs(playbook, journal.judged_rows(playbook.id))
        opened = open_existing_journal()
        if opened is None:
            return []
        with opened:
            return counted_runs(playbook, opened.judged_rows(playbook.id))
    except JournalError:
        return []


def record_runs(playbook: Playbook, sources: list[Path]) -> list[Mapping[str, Any]]:
    """The runs a ranking's band records count: from the ``deals export --all`` files when any are
    given (read as ``track --from`` reads them; a bad file is an error), else from the journal."""
    from dealrescue.core.track import counted_runs

    if not sources:
        return recorded_runs(playbook)
    return counted_runs(playbook, load_runs(playbook.id, sources))


def band_records(playbook: Playbook, score_id: str, counted: list[Mapping[str, Any]]) -> dict[str, str]:
    """``rank``'s hook: each judged band of ``score_id`` with its record line ("7 of 19 won (19-59%)"),
    counted from ``counted`` (``record_runs``)."""
    from dealrescue.core.track import band_line

    score = next((s for s in playbook.scores if s.id == score_id), None)
    if not counted or score is None:
        return {}
    lines = {band.id: band_line(playbook, counted, score_id, band.id) for band in score.bands}
    return {band_id: line for band_id, line in lines.items() if line is not None}


def verdict_record(playbook: Playbook, verdict_id: str, journal: Journal | None = None) -> dict[str, Any] | None:
    """A plan's hook: the verdict's record (its line and figures), when it is judged."""
    from dealrescue.core.track import plan_record

    counted = recorded_runs(playbook, journal)
    return plan_record(playbook, counted, verdict_id) if counted else None


def with_record(plan: Plan, playbook: Playbook, journal: Journal | None) -> Plan:
    """A plan's hook: the plan with its verdict's record when it is judged (read through
    ``journal`` when the run is being recorded, so it is not opened twice)."""
    from dataclasses import replace

    record = verdict_record(playbook, plan.verdict.id, journal)
    return replace(plan, record=record) if record else plan


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _runs_behind(playbook: Playbook, counted: list[Mapping[str, Any]], figure: str, fmt: str) -> None:
    """``--runs``: the runs one figure counts, with their outcome and whether it counts as success."""
    from dealrescue.core.outcomes import closest
    from dealrescue.core.track import figures, is_success, runs_behind

    known = figures(playbook)
    if figure not in known:
        near = closest(figure, known)
        raise UsageError(
            f"{figure!r} is not a verdict or SCORE.BAND of playbook {playbook.id!r}; valid: {', '.join(known)}",
            hint=f"did you mean {near!r}?" if near else "see dealrescue track " + playbook.id,
        )
    rows = [
        {
            "run_id": r["run_id"], "deal": r["deal"], "plan_date": r["plan_date"], "verdict": r["verdict"],
            "bands": r["bands"], "outcome": r.get("outcome"),
            "success": None if not r.get("outcome") else is_success(playbook, r),
        }
        for r in runs_behind(playbook, counted, figure)
    ]
    if fmt == "json":
        write_json(rows)
        return
    from dealrescue.commands.runs_csv import csv_line
    from dealrescue.ui.output import emit

    def cells(row: Mapping[str, Any]) -> list[Any]:
        worked = "pending" if row["success"] is None else "success" if row["success"] else "no success"
        return [row["run_id"], row["deal"], row["plan_date"], row["verdict"], row["outcome"] or "-", worked]

    if fmt == "csv":
        # A deal's name may be anyone's (a colleague's export): emit shows its control characters on a terminal.
        header = csv_line(["run_id", "deal", "plan_date", "verdict", "outcome", "success"])
        emit(itertools.chain([header], (csv_line(cells(row)) for row in rows)), None)
        return
    for row in rows:
        sys.stdout.write("\t".join(one_line(c) for c in cells(row)) + "\n")
    sys.stdout.flush()
    terminal.notice(f"{len(rows)} run(s) behind {figure} ({playbook.id}); see one with: dealrescue deals show ID")
