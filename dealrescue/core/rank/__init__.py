"""Ranking many deals at once: pure, rows of strings in, ranked rows and row problems out.

- ``columns``: which column holds what (header matching, the manager's columns);
- ``cells``: real-world cell values read into answers (aliases, null words, ``other``);
- ``skipping``: rows that are not deals to rank (report footers, closed deals);
- ``order``: which score ranks first and how ties break;
- ``scorer``: the kept results, the reading loop, and the engine scorer (the reference);
- ``fast``: the same rules precomputed into look-up tables, for large files;
- ``sql``: the same scoring as one SQL query, for a warehouse.

The edge (``dealrescue.commands.rank``) reads the CSV file and writes the result.
A blank cell means "not answered": the question's default, or no answer. A cell that
cannot be read counts as a blank one (with a warning).
"""

from dealrescue.core.rank.cells import CellReader, parse_amount
from dealrescue.core.rank.columns import ColumnMap, explain_columns, match_columns, normalize_header, unknown_columns_note
from dealrescue.core.rank.fast import FastScorer, make_scorer
from dealrescue.core.rank.order import score_order
from dealrescue.core.rank.scorer import (
    REASONS_SHOWN,
    EngineScorer,
    Ranked,
    RankedRow,
    RowProblem,
    Scorer,
    Standing,
)
from dealrescue.core.rank.tables import FastPathUnavailable, fast_path_obstacle

__all__ = [
    "REASONS_SHOWN", "CellReader", "ColumnMap", "EngineScorer", "FastPathUnavailable", "FastScorer", "Ranked",
    "RankedRow", "RowProblem", "Scorer", "Standing", "explain_columns", "fast_path_obstacle", "make_scorer",
    "match_columns", "normalize_header", "parse_amount", "score_order", "unknown_columns_note",
]
