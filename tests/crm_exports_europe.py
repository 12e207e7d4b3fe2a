"""Made-up exports as they come out of a European office: Dynamics 365 opened in Excel and saved
as "CSV" under a German or French locale (Windows-1252, semicolons, ``12.500,00 €``, day-first
dates, accented names, a report footer), and Excel's "Unicode Text" (UTF-16 with a BOM, tabs).

``write_as`` writes any rows the way one of those programs would, so a test can write the same
rows twice (as UTF-8 with commas, and as the program writes them) and compare the rankings.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from pathlib import Path

from tests.crm_exports import _ELEMENTS, _OWNERS, _element_cells

ACCOUNTS = ("Société Générale", "Bürotechnik Müller GmbH", "Crédit Agricole", "Café Noir SARL", "Škoda Auto",
            "Øresund Logistik", "Zürcher Kantonalbank", "Łódź Energia", "Peñalara S.L.", "Ærø Fisk")
# Accounts whose names Windows-1252 can write (Škoda's Š is 0x8a, one of its C1-range letters).
ACCOUNTS_1252 = tuple(a for a in ACCOUNTS if not a.startswith("Łódź"))
_PHASES = ("1-Qualifizieren", "2-Entwickeln", "3-Vorschlagen", "4-Abschließen", "1-Qualify", "3-Propose")

# How each program writes: (encoding, delimiter). "utf-16" puts a BOM first, as Excel does.
WRITERS = {
    "excel-csv-europe": ("cp1252", ";"),
    "excel-unicode-text": ("utf-16", "\t"),
    "excel-csv-utf8": ("utf-8-sig", ";"),
    "tab-utf8": ("utf-8", "\t"),
    "comma-cp1252": ("cp1252", ","),
    "comma-utf8": ("utf-8", ","),
}


def write_as(path: Path, rows: list[list[str]], writer: str) -> None:
    """``rows`` (the header first) as ``writer`` writes them: quotes only where needed, CRLF line ends."""
    encoding, delimiter = WRITERS[writer]
    text = io.StringIO(newline="")
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(text.getvalue().encode(encoding))


def euro_amount(amount: float) -> str:
    """``12.500,00 €``: as Excel shows a euro amount under a German or French locale."""
    whole, cents = f"{amount:,.2f}".split(".")
    return f"{whole.replace(',', '.')},{cents} €"


def dynamics_europe_rows(rows: int = 60, seed: int = 27, dayfirst_dates: bool = True) -> list[list[str]]:
    """A Dynamics 365 opportunities export from a German office, header first, then the report's
    footer lines (a blank line, a total, a confidentiality line)."""
    rng = random.Random(seed)
    base = dt.date(2026, 12, 1)
    header = ["Topic", "Potential Customer", "Owner", "Est. Revenue", "Est. Close Date", "Pipeline Phase", "Status",
              *_ELEMENTS, "Description"]
    made = [header]
    total = 0.0
    for number in range(1, rows + 1):
        account = rng.choice(ACCOUNTS_1252)
        amount = rng.choice((12_500, 9_000, 75_000, 310_000, 1_250_000))
        total += amount
        close = base + dt.timedelta(days=rng.randrange(200))
        made.append([f"{account} – Erweiterung {number:03d}", account, rng.choice(_OWNERS), euro_amount(amount),
                     close.strftime("%d.%m.%Y") if dayfirst_dates else close.isoformat(), rng.choice(_PHASES), "Open",
                     *_element_cells(rng),
                     rng.choice(("", "Rückruf; Angebot „final“", "Budget 2027 bestätigt", "Tel. 0049 …"))])
    made += [[""], ["Summe", "", "", euro_amount(total)], ["Vertraulich – nur für den internen Gebrauch"]]
    return made
