"""What went wrong in a ranked export, said on stderr after the ranking."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dealrescue.ui import terminal

if TYPE_CHECKING:
    from dealrescue.commands.rankfile import ScoredFile


def report_problems(source: str, scored: ScoredFile, shown: int | None) -> None:
    """What went wrong, on stderr: the rows left out first (``FILE:LINE: column COLUMN: message``,
    the first ``shown``), then the ignored cells grouped by column and message with a count,
    what was skipped, and the data-quality line."""
    from dealrescue.core.mdescape import strip_controls

    def say(text: str) -> None:
        terminal.notice(strip_controls(text))

    limit = shown if shown is not None else 50
    dates = scored.scorer.close_dates.note()  # most close dates read the other way round: one line for them all
    left_out = [p for p in scored.problems if p.left_out]
    for problem in left_out[:limit]:
        say(f"{source}:{problem.line}: column {problem.column}: {problem.message}")
    if len(left_out) > limit:
        say(f"{source}: {len(left_out) - limit} more rows left out (--format json lists them)")
    groups: dict[tuple[str, str], list[int]] = {}
    for problem in scored.problems:
        if not problem.left_out and not (dates and problem.day_order):
            groups.setdefault((problem.column, problem.message), []).append(problem.line)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[1][0]))
    for (column, message), lines in ordered[:limit]:
        if len(lines) == 1:
            say(f"warning: {source}:{lines[0]}: column {column}: {message}")
        else:
            where = ", ".join(map(str, lines[:5])) + (", …" if len(lines) > 5 else "")
            say(f"warning: {source}: column {column} ×{len(lines)}: {message} (lines {where})")
    if len(ordered) > limit:
        say(f"{source}: {len(ordered) - limit} more kinds of warning (--format json lists every cell)")
    for note in (dates, scored.scorer.skipper.note()):
        if note is not None:
            say(f"{source}: {note}")
    from dealrescue.core.rank.columns import missing_columns_note

    missing = missing_columns_note(scored.columns, scored.scorer.compiled)
    if missing is not None:
        say(f"{source}: {missing}")
    from dealrescue.core.render.rank import quality_text

    quality = scored.scorer.quality()
    if quality["rows"] != quality["ranked"] or quality["ignored"]:
        say(f"{source}: {quality_text(quality)}")
