"""Which column of a CRM export holds what: the deal name, each question, and the columns
a manager reads (owner, amount, close date, stage), kept and passed through.

Headers are matched forgivingly: case, spaces, dashes and punctuation do not matter
(``Amount (USD)`` reads as ``amount_usd``), and common CRM names stand for the deal
column (Account Name, Opportunity Name, Deal Name...).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from dealrescue.core.loader import CompiledPlaybook
from dealrescue.errors import UsageError

DEAL_COLUMN = "deal"
# Other names CRM exports give the deal column, by preference; "deal" itself comes first. An
# export of opportunities also names their account: the opportunity is the row.
DEAL_ALIASES = ("deal_name", "opportunity_name", "opportunity", "account_name", "account", "company",
                "company_name", "name")
# The columns a manager reads beside the scores, by role; each role's names by preference.
ROLE_NAMES: dict[str, tuple[str, ...]] = {
    "owner": ("owner", "deal_owner", "opportunity_owner", "account_owner", "owner_name", "sales_rep", "rep",
              "account_manager", "csm"),
    "amount": ("amount", "amount_usd", "arr", "acv", "annual_contract_value", "contract_value", "deal_value",
               "opportunity_amount", "deal_amount", "value", "mrr"),
    "close_date": ("close_date", "closedate", "expected_close_date", "renewal_date", "close"),
    "stage": ("stage", "deal_stage", "opportunity_stage", "dealstage", "pipeline_stage"),
}

_SEPARATORS = re.compile(r"[^0-9a-z]+")


def normalize_header(text: str) -> str:
    """``" Competitor Knocking"``, ``competitor-knocking`` and ``Amount (USD)`` become
    ``competitor_knocking`` and ``amount_usd``."""
    return _SEPARATORS.sub("_", text.replace("\ufeff", "").strip().lower()).strip("_")


@dataclass(frozen=True)
class ColumnMap:
    """Which column of the file holds what."""

    source: str
    headers: tuple[str, ...]
    deal: int
    questions: dict[str, int]
    unknown: tuple[int, ...]
    roles: dict[str, int] = field(default_factory=dict)  # owner, amount, close_date, stage -> column

    @property
    def width(self) -> int:
        return len(self.headers)

    @property
    def amount(self) -> int | None:
        return self.roles.get("amount")

    def column_name(self, question_id: str) -> str:
        """The header as written in the file (the id when the file has no such column)."""
        index = self.questions.get(question_id)
        return self.headers[index] if index is not None else question_id

    def passed_through(self) -> tuple[int, ...]:
        """Every column except the deal and the questions, in file order (kept in the output)."""
        taken = {self.deal, *self.questions.values()}
        return tuple(i for i in range(self.width) if i not in taken)


def match_columns(header: Sequence[str], compiled: CompiledPlaybook, source: str,
                  amount: str | None = None) -> ColumnMap:
    """Map a header row to the deal column, question ids and the manager's columns.

    Raises ``UsageError`` when there is no deal column, when two columns mean the same
    thing, when a required question without a default has no column, or when
    ``amount`` names no column.
    """
    pb = compiled.playbook
    ids = [q.id for q in pb.questions]
    known = set(ids)
    seen: dict[str, int] = {}
    deal: int | None = None
    questions: dict[str, int] = {}
    unknown: list[int] = []
    for index, text in enumerate(header):
        name = normalize_header(text)
        if name in seen and (name == DEAL_COLUMN or name in known):
            first = header[seen[name]]
            raise UsageError(
                f"{source}: columns {first!r} and {text!r} both give {name}",
                hint="keep one of them, or rename the other",
            )
        seen.setdefault(name, index)
        if name == DEAL_COLUMN:
            deal = index
        elif name in known:
            questions[name] = index
        else:
            unknown.append(index)
    if deal is None:
        alias = next((name for name in DEAL_ALIASES if name in seen and name not in known), None)
        if alias is not None:
            deal = seen[alias]
            unknown.remove(deal)
    if deal is None:
        hint = f"the first row must name the columns: deal, then question ids (dealrescue playbooks show {pb.id} --questions)"
        other = next((sep for sep in (";", "\t", "|") if len(header) == 1 and sep in header[0]), None)
        if other is not None:
            hint = f"the columns seem separated by {other!r}: rank reads comma-separated files, so export with commas"
        raise UsageError(
            f"{source}: no deal column in the header (found: {', '.join(repr(h) for h in header) or 'nothing'})",
            hint=hint,
        )
    missing = [q.id for q in pb.questions if q.required and q.default is None and q.id not in questions]
    if missing:
        raise UsageError(
            f"{source}: no column for required question{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            hint=f"add {'these columns' if len(missing) > 1 else 'this column'} (dealrescue playbooks show {pb.id} "
            "--questions lists them)",
        )
    roles = _roles(header, unknown, seen, amount, source)
    return ColumnMap(source, tuple(header), deal, questions, tuple(unknown), roles)


def _roles(header: Sequence[str], unknown: list[int], seen: dict[str, int], amount: str | None,
           source: str) -> dict[str, int]:
    """The owner, amount, close date and stage columns among those no question takes."""
    free = {normalize_header(header[i]): i for i in reversed(unknown)}
    roles: dict[str, int] = {}
    for role, names in ROLE_NAMES.items():
        found = next((free[name] for name in names if name in free), None)
        if found is None and role == "amount":
            found = next((i for name, i in free.items() if name.startswith("amount_")), None)
        if found is not None:
            roles[role] = found
    if amount is not None:
        index = seen.get(normalize_header(amount))
        if index is None:
            raise UsageError(
                f"--amount {amount!r}: {source} has no such column",
                hint=f"its columns: {', '.join(repr(h) for h in header)}",
            )
        roles["amount"] = index
    return roles


def explain_columns(columns: ColumnMap, compiled: CompiledPlaybook) -> list[str]:
    """One line per column of the file (and per question with no column): what it feeds."""
    lines = [f"{columns.headers[columns.deal]!r}: the deal name"]
    by_index = {index: qid for qid, index in columns.questions.items()}
    role_of = {index: role for role, index in columns.roles.items()}
    for index, text in enumerate(columns.headers):
        if index == columns.deal:
            continue
        if index in by_index:
            lines.append(f"{text!r}: question {by_index[index]}")
        elif index in role_of:
            role = role_of[index].replace("_", " ")
            lines.append(f"{text!r}: the {role} (shown and passed through)")
        else:
            lines.append(f"{text!r}: passed through (no question reads it)")
    for q in compiled.playbook.questions:
        if q.id not in columns.questions:
            default = "no answer" if q.default in (None, []) else f"its default {q.default!r}"
            lines.append(f"(no column) question {q.id}: every row takes {default}")
    return lines


def unknown_columns_note(columns: ColumnMap, compiled: CompiledPlaybook) -> str | None:
    """One line naming the columns that look like a misspelt question id, or None.

    Columns that match no question are kept and passed through; only those close to a
    question id no column gave are worth a warning.
    """
    import difflib

    ids = [DEAL_COLUMN] + [q.id for q in compiled.playbook.questions]
    taken = set(columns.questions) | {DEAL_COLUMN}
    free = [i for i in ids if i not in taken]
    named = []
    for index in columns.unknown:
        text = columns.headers[index]
        close = difflib.get_close_matches(normalize_header(text), free, n=1, cutoff=0.8) if text.strip() else []
        if close:
            named.append(f"{text!r} (did you mean {close[0]}?)")
    if not named:
        return None
    plural = "s" if len(named) > 1 else ""
    return (
        f"{columns.source}: column{plural} {', '.join(named)} read by no question (passed through); "
        f"playbook {compiled.id} takes: {', '.join(ids)}; see rank --explain-columns"
    )
