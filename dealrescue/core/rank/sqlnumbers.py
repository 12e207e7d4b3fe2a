"""Number cells in SQL, read as ``rank`` reads them: generated from ``core.reading``'s number rules
(its constants: the currency pattern, the spaces, the minus, the multipliers, the thousands and
number patterns), step by step as ``read_number`` takes them.

Each step is a column of its own, in a layer of the query before the answers are read, so every
step reads the one before by name and the query grows with the steps, not with their product.
A cell that is not a number is NULL (a blank cell for the answer, as in ``rank``).
"""

from __future__ import annotations

from dealrescue.core.rank.sqltext import Dialect
from dealrescue.core.reading import COMMA_THOUSANDS, CURRENCY, DOT_THOUSANDS, MINUS, MULTIPLIERS, NUMBER, SPACES

# The suffixes, longest first: a cell ending in ``mm`` is read as ``mm``, not as ``m``.
_SUFFIXES = sorted(MULTIPLIERS, key=len, reverse=True)


_STEPS = ("number_body", "number_negative", "number_text", "number_times", "number_digits", "number_plain")


def number_column(w: Dialect, key: str) -> str:
    """The column holding the number read from question ``key``'s cell (NULL: not a number)."""
    return w.name("dealrescue", "number", key)


def _full(pattern: str) -> str:
    """``pattern`` matching the whole text, in every dialect (some only search)."""
    return f"^({pattern})$"


def number_steps(w: Dialect, key: str, raw: str) -> list[dict[str, str]]:
    """The steps reading the cell ``raw`` as a number, one dict of new columns per step (each step
    reads the columns of the ones before); the last step's ``number_<key>`` is the number or NULL."""
    # Named apart from any export column: these layers keep every column of the table too.
    body, negative, text, times, digits, plain = (w.name("dealrescue", step, key) for step in _STEPS)
    # Currency signs and codes off, then every space (read_number: the same two substitutions).
    first = {body: w.regex_replace(w.regex_replace(f"trim({raw})", CURRENCY, ""), f"[{SPACES}]", "")}
    # (5,000.00) is negative; a typographic minus is a minus.
    bracketed = f"({body} LIKE '(%)')"
    second = {negative: bracketed,
              text: f"replace(CASE WHEN {bracketed} THEN substr({body}, 2, length({body}) - 2) ELSE {body} END, "
                    f"{w.text(MINUS)}, '-')"}
    # A multiplier right after a digit, in any case.
    ends = [(w.matches(f"lower({text})", _full(f".*[0-9]{suffix}")), suffix) for suffix in _SUFFIXES]
    third = {times: "(CASE " + " ".join(f"WHEN {test} THEN {float(MULTIPLIERS[s])}" for test, s in ends) + " ELSE 1.0 END)",
             digits: "(CASE " + " ".join(f"WHEN {test} THEN substr({text}, 1, length({text}) - {len(s)})"
                                         for test, s in ends) + f" ELSE {text} END)"}
    # The separators: both (the later one is the decimal mark), a comma alone (thousands, or one
    # decimal comma), and 1.234 with no multiplier refused.
    comma, dot = w.contains(digits, ","), w.contains(digits, ".")
    fourth = {plain: (
        f"(CASE WHEN {times} = 1.0 AND {w.matches(w.regex_replace(digits, '^[-+]+', ''), _full(DOT_THOUSANDS))} "
        "THEN NULL "
        f"WHEN {comma} AND {dot} THEN (CASE WHEN {w.matches(digits, _full('.*,[^.]*'))} "
        f"THEN replace(replace({digits}, '.', ''), ',', '.') ELSE replace({digits}, ',', '') END) "
        f"WHEN {comma} THEN (CASE WHEN {times} = 1.0 AND {w.matches(digits, _full(COMMA_THOUSANDS))} "
        f"THEN replace({digits}, ',', '') WHEN {w.matches(digits, _full('[^,]*,[^,]*'))} "
        f"THEN replace({digits}, ',', '.') END) "
        f"ELSE {digits} END)")}
    value = f"CAST({plain} AS {w.cast_number})"
    fifth = {number_column(w, key): (f"(CASE WHEN {w.matches(plain, _full(NUMBER))} THEN "
                                     f"(CASE WHEN {negative} THEN -1.0 ELSE 1.0 END) * {value} * {times} END)")}
    return [first, second, third, fourth, fifth]
