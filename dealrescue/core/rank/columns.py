"""Which column of a CRM export holds what: the deal name, each question, and the columns
a manager reads (owner, amount, close date, stage), kept and passed through.

Headers are matched forgivingly: case, spaces, dashes and punctuation do not matter
(``Amount (USD)`` reads as ``amount_usd``), and common CRM names stand for the deal
column (Account Name, Opportunity Name, Deal Name...).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from dealrescue.core.expressions import names_in_condition
from dealrescue.core.loader import CompiledPlaybook
from dealrescue.core.questions import kind_of
from dealrescue.errors import UsageError

DEAL_COLUMN = "deal"
# Other names CRM exports give the deal column, by preference; "deal" itself comes first.
DEAL_ALIASES = ("deal_name", "opportunity_name", "opportunity", "deal_title", "topic", "name")
# Names of the account a deal belongs to, by preference: the deal column when there is no
# deal-named one, and the name of a row whose deal cell is blank.
ACCOUNT_NAMES = ("account_name", "account", "company", "company_name", "potential_customer", "customer",
                 "customer_name", "organization", "organisation", "deal_organization", "client", "associated_company")
# The columns a manager reads beside the scores, by role; each role's names by preference.
ROLE_NAMES: dict[str, tuple[str, ...]] = {
    "owner": ("owner", "deal_owner", "opportunity_owner", "account_owner", "owner_name", "sales_rep", "rep",
              "account_manager", "csm"),
    "amount": ("amount", "amount_usd", "arr", "acv", "annual_contract_value", "contract_value", "deal_value",
               "opportunity_amount", "deal_amount", "est_revenue", "estimated_revenue", "expected_revenue", "value",
               "mrr"),
    "close_date": ("close_date", "closedate", "expected_close_date", "deal_expected_close_date", "est_close_date",
                   "estimated_close_date", "renewal_date", "close"),
    "stage": ("stage", "deal_stage", "opportunity_stage", "dealstage", "pipeline_stage", "sales_stage",
              "pipeline_phase"),
    # Read for closed deals only (Open, Won, Lost): see core.rank.skipping.
    "status": ("status", "deal_status", "opportunity_status", "status_reason"),
}
ROLES = (DEAL_COLUMN, *ROLE_NAMES)
# Headers CRMs and teams give a question, known without --map: header -> question id (used only
# when the playbook has that question and no column is named after it).
QUESTION_HEADERS: dict[str, str] = {
    "identify_pain": "pain", "identified_pain": "pain", "implicate_pain": "pain", "implicate_the_pain": "pain",
    "pain_points": "pain", "pain_point": "pain", "business_pain": "pain",
    "decision_maker": "economic_buyer", "economic_buyer_eb": "economic_buyer", "eb": "economic_buyer",
    "deal_stage": "stage", "opportunity_stage": "stage", "sales_stage": "stage", "dealstage": "stage",
    "pipeline_stage": "stage", "pipeline_phase": "stage",
    "metric": "metrics", "champion_coach": "champion", "competitors": "competition",
    "competitive_landscape": "competition", "decision_criterion": "decision_criteria",
}
# A prefix some CRMs put on every field (Pipedrive's "Deal - Stage"): read without it too.
_FIELD_PREFIXES = ("deal_", "opportunity_", "opp_")

_SEPARATORS = re.compile(r"[^0-9a-z]+")


def normalize_header(text: str) -> str:
    """``" Competitor Knocking"``, ``competitor-knocking`` and ``Amount (USD)`` become
    ``competitor_knocking`` and ``amount_usd``."""
    return _SEPARATORS.sub("_", text.replace("\ufeff", "").strip().lower()).strip("_")


def header_names(name: str) -> tuple[str, ...]:
    """A normalized header, then the same without a CRM's field prefix (``deal_stage``, ``stage``)."""
    for prefix in _FIELD_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            return (name, name[len(prefix):])
    return (name,)


@dataclass(frozen=True)
class ColumnMap:
    """Which column of the file holds what."""

    source: str
    headers: tuple[str, ...]
    deal: int
    questions: dict[str, int]
    unknown: tuple[int, ...]
    roles: dict[str, int] = field(default_factory=dict)  # owner, amount, close_date, stage, status -> column
    fallbacks: tuple[int, ...] = ()  # columns naming a row whose deal cell is blank, by preference
    mapped: frozenset[int] = frozenset()  # columns placed by --map

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
        """Every column of the file, in file order (all are kept in the output)."""
        return tuple(range(self.width))


def match_columns(header: Sequence[str], compiled: CompiledPlaybook, source: str,
                  amount: str | None = None, mapping: Mapping[str, str] | None = None) -> ColumnMap:
    """Map a header row to the deal column, question ids and the manager's columns.

    ``mapping`` (``--map``) says by hand which header feeds which question id, the deal or a
    role; the rest is matched by name, then by the common CRM names above. Raises
    ``UsageError`` when there is no deal column, when two columns mean the same thing, when a
    required question without a default has no column, or when ``amount`` or ``mapping``
    names no column.
    """
    pb = compiled.playbook
    known = {q.id for q in pb.questions}
    names = [normalize_header(text) for text in header]
    pairs = [("--map", column, target) for column, target in (mapping or {}).items()]
    forced = _mapped(header, names, pairs + ([("--amount", amount, "amount")] if amount else []), known, source)
    seen: dict[str, int] = {}
    deal: int | None = None
    questions: dict[str, int] = {}
    unknown: list[int] = []
    roles: dict[str, int] = {}
    for index, (text, name) in enumerate(zip(header, names, strict=True)):
        target = forced.get(index) or next((n for n in header_names(name) if n == DEAL_COLUMN or n in known), name)
        if target in seen and (target == DEAL_COLUMN or target in known):
            first = header[seen[target]]
            raise UsageError(
                f"{source}: columns {first!r} and {text!r} both give {target}",
                hint="keep one of them, rename the other, or say which with --map",
            )
        seen.setdefault(target, index)
        seen.setdefault(name, index)
        if target == DEAL_COLUMN:
            deal = index
        elif target in known:
            questions[target] = index
        elif target in ROLE_NAMES:
            roles[target] = index
        else:
            unknown.append(index)
    for index in list(unknown):  # common CRM headers for a question no column is named after
        common = next((QUESTION_HEADERS[n] for n in header_names(names[index]) if n in QUESTION_HEADERS), None)
        if common is not None and common in known and common not in questions:
            questions[common] = index
            unknown.remove(index)
    free = {n: i for i in reversed(unknown) for n in reversed(header_names(names[i]))}
    candidates = [free[n] for n in (*DEAL_ALIASES, *ACCOUNT_NAMES) if n in free]
    if deal is None and candidates:
        deal = candidates[0]
        unknown.remove(deal)
    if deal is None:
        raise _no_deal_column(header, pb.id, source)
    fallbacks = tuple(dict.fromkeys(i for i in candidates if i != deal))
    missing = [q.id for q in pb.questions if q.required and q.default is None and q.id not in questions]
    if missing:
        raise UsageError(
            f"{source}: no column for required question{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            hint=f"add {'these columns' if len(missing) > 1 else 'this column'} (dealrescue playbooks show {pb.id} "
            "--questions lists them), or name one with --map 'COLUMN=question'",
        )
    roles = {**_roles(names, unknown), **roles}
    return ColumnMap(source, tuple(header), deal, questions, tuple(unknown), roles, fallbacks, frozenset(forced))


def _mapped(header: Sequence[str], names: list[str], pairs: list[tuple[str, str, str]], known: set[str],
            source: str) -> dict[int, str]:
    """Column index -> what ``--map`` (or ``--amount``) says it feeds; pairs are (flag, column, target)."""
    forced: dict[int, str] = {}
    for flag, column, target in pairs:
        wanted = normalize_header(target)
        if wanted not in known and wanted not in ROLES:
            raise UsageError(
                f"{flag} {column}={target}: {target!r} is neither a question id nor one of {', '.join(ROLES)}",
                hint="dealrescue playbooks show PLAYBOOK --questions lists the question ids",
            )
        found = [i for i, name in enumerate(names) if header[i] == column or name == normalize_header(column)]
        if not found:
            raise UsageError(
                f"{flag} {column!r}: {source} has no such column",
                hint=f"its columns: {', '.join(repr(h) for h in header)}",
            )
        forced[found[0]] = wanted
    return forced


def _no_deal_column(header: Sequence[str], playbook_id: str, source: str) -> UsageError:
    hint = (f"the first row must name the columns: deal, then question ids (dealrescue playbooks show {playbook_id} "
            "--questions), or say which column names the deal with --map 'COLUMN=deal'")
    other = next((sep for sep in (";", "\t", "|") if len(header) == 1 and sep in header[0]), None)
    if other is not None:
        named = "tab" if other == "\t" else other
        hint = f"the columns seem separated by {other!r}: say so with --delimiter '{named}'"
    return UsageError(
        f"{source}: no deal column in the header (found: {', '.join(repr(h) for h in header) or 'nothing'})",
        hint=hint,
    )


def _roles(names: list[str], unknown: list[int]) -> dict[str, int]:
    """The owner, amount, close date, stage and status columns among those no question takes."""
    free = {n: i for i in reversed(unknown) for n in reversed(header_names(names[i]))}
    roles: dict[str, int] = {}
    for role, role_names in ROLE_NAMES.items():
        found = next((free[name] for name in role_names if name in free), None)
        if found is None and role == "amount":
            found = next((i for name, i in free.items() if name.startswith("amount_")), None)
        if found is not None:
            roles[role] = found
    return roles


def explain_columns(columns: ColumnMap, compiled: CompiledPlaybook) -> list[str]:
    """One line per column of the file (and per question with no column): what it feeds, and why."""
    by_index = {index: qid for qid, index in columns.questions.items()}
    role_of = {index: role for role, index in columns.roles.items()}
    questions = {q.id: q for q in compiled.playbook.questions}
    lines = []
    for index, text in enumerate(columns.headers):
        how = " (--map)" if index in columns.mapped else ""
        if index == columns.deal:
            lines.append(f"{text!r}: the deal name{how}")
        elif index in columns.fallbacks:
            lines.append(f"{text!r}: the deal name when the deal column is blank (passed through)")
        elif index in by_index:
            q = questions[by_index[index]]
            closed = f"; rows at {', '.join(q.closed)} are skipped as closed" if q.closed else ""
            other = f"; any other text reads as {q.other}" if q.other else ""
            lines.append(f"{text!r}: question {q.id}{how}{other}{closed}")
        elif index in role_of:
            role = role_of[index].replace("_", " ")
            lines.append(f"{text!r}: the {role}{how} (shown and passed through)")
        else:
            lines.append(f"{text!r}: passed through (no question reads it)")
    for q in compiled.playbook.questions:
        if q.id not in columns.questions:
            default = "no answer" if q.default in (None, []) else f"its default {q.default!r}"
            lines.append(f"(no column) question {q.id}: every row takes {default}")
    return lines


def questions_read(compiled: CompiledPlaybook) -> set[str]:
    """Ids of the questions a ranking reads: those a score rule, a verdict or a question's `when`
    names, and those whose answers give points."""
    names: set[str] = set()
    for path, condition in compiled.conditions.items():
        if path.startswith(("questions", "scores", "verdicts")):
            names |= names_in_condition(condition.source)
    if "days_until" in names:  # it reads the date answers
        names |= {q.id for q in compiled.playbook.questions if kind_of(q).dated}
    return names | {q.id for q in compiled.playbook.questions if q.choices or q.points}


def check_questions_fed(columns: ColumnMap, compiled: CompiledPlaybook) -> None:
    """Refuse an export none of whose columns feeds a question the ranking reads: every row would
    get the same scores and verdict, which looks like a ranking and says nothing."""
    if set(columns.questions) & questions_read(compiled):
        return
    raise UsageError(
        f"{columns.source}: none of its columns feeds a question playbook {compiled.id} scores, so every row "
        "would get the same verdict",
        hint="name them with --map 'COLUMN=question' (--explain-columns shows what each column feeds), or rank with "
             "the playbook the export is for (-p qualify for open deals, -p pulse for accounts)",
    )


def missing_columns_note(columns: ColumnMap, compiled: CompiledPlaybook) -> str | None:
    """One line naming the questions the ranking reads that the export has no column for, or None.

    Such a question reads as a blank cell in every row (its default), never worse. Reading it as not
    asked (no answer) instead would be worse for some rows: qualify's ``stage != "discovery"`` holds
    for no answer, so an export without a Stage column would gain warning signs."""
    read = questions_read(compiled)
    missing = [q.id for q in compiled.playbook.questions if q.id in read and q.id not in columns.questions]
    if not missing:
        return None
    return (f"no column for {', '.join(missing)}: read as blank cells (the default); name one with "
            f"--map 'COLUMN={missing[0]}'")


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
