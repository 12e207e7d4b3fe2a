"""Made-up CRM exports for tests and bench/: a plain one per playbook, and Salesforce- and
HubSpot-style exports as a sales manager would download them (US dates, TRUE/FALSE,
choice labels, amounts with currency symbols, a long notes column)."""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from dealrescue.catalog import finder as catalog

_NAMES = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell", "Cyberdyne", "Soylent",
          "Wonka", "Gringotts", "Oscorp", "Vandelay", "Monarch", "Aperture", "Dunder", "Prestige", "Massive", "Pied")
_KINDS = ("Foods", "Logistics", "Labs", "Bank", "Health", "Retail", "Energy", "Media", "Systems", "Partners")


def make_sample_csv(path: Path, rows: int, seed: int = 0, playbook: str = "pulse",
                    playbooks_dir: Path | None = None) -> None:
    """Write a CSV of ``rows`` made-up deals answering ``playbook``, as a CRM export would.

    Deal names in no particular order; most accounts show few warning signs; about
    one cell in ten is blank; multiselect items in any order. Every row is valid.
    """
    compiled, _origin = catalog.load(playbook, playbooks_dir)
    questions = compiled.playbook.questions
    rng = random.Random(seed)
    base = dt.date(2026, 1, 1)

    def made() -> Iterator[list[str]]:
        for number in range(rows):
            deal = f"{rng.choice(_NAMES)} {rng.choice(_KINDS)} {rng.randrange(10**6):06d}-{number}"
            yield [deal, *(_sample_answer(q, rng, base) for q in questions)]

    _write_csv(path, ["deal", *[q.id for q in questions]], made())


def _write_csv(path: Path, header: list[str], rows: Iterable[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _pulse_signals() -> list[Any]:
    pulse = catalog.load("pulse")[0].playbook
    return pulse.question("signals").choices  # type: ignore[union-attr]


def _sample_answer(question: Any, rng: random.Random, base: dt.date) -> str:
    kind = question.type.value
    if kind == "multiselect":
        count = rng.choices((0, 1, 2, 3, 4), (40, 25, 20, 10, 5))[0]
        low = int(question.min or (1 if question.required and question.default is None else 0))
        high = int(question.max or len(question.choices))
        count = max(low, min(count, high, len(question.choices)))
        return ",".join(c.value for c in rng.sample(question.choices, count))
    optional = not question.required or question.default is not None
    if optional and rng.random() < 0.1:
        return ""
    if kind == "select":
        return str(rng.choice(question.choices).value)
    if kind == "confirm":
        return rng.choice(("yes", "no"))
    if kind in ("scale", "number"):
        low = int(question.min if question.min is not None else 1)
        high = int(question.max if question.max is not None else 10)
        return str(rng.randint(low, high))
    if kind == "date":
        return (base + dt.timedelta(days=rng.randrange(700))).isoformat()
    text = rng.choice(("Globex", "Initech", "Umbrella", "Hooli", "a new vendor"))
    if question.min is not None and len(text) < question.min:
        text = f"{text} came in with a lower price and a faster start"
    return text[: int(question.max)] if question.max is not None else text


# --- Salesforce- and HubSpot-style exports of pulse answers --------------------------------------

_OWNERS = ("Dana Whitfield", "Sam Okafor", "Priya Raman", "Luis Ortega")
_STAGES = ("Renewal - Negotiation", "Renewal - Discovery", "Closed Won", "Renewal - Proposal")
_CALLING_HIGH = ("Yes", "Partly", "No", "Not sure", "")  # labels, as a CRM picklist writes them
_KNOCKING = ("Yes", "No", "Don't know", "")


def _us_date(day: dt.date) -> str:
    return f"{day.month}/{day.day}/{day.year}"


def _money(rng: random.Random) -> str:
    amount = rng.choice((12_500, 48_000, 95_000, 210_000, 1_250_000, 7_800))
    return rng.choice((f"${amount:,}", f"${amount:,}.00", f"USD {amount:,}", f"{amount}"))


def salesforce_export(path: Path, rows: int, seed: int = 0, notes_bytes: int = 0) -> None:
    """A Salesforce report export: Title Case headers, US dates, TRUE/FALSE, picklist labels,
    signals joined with ``;`` (multi-select picklists), amounts like ``$210,000.00``, and a
    long Description on the first row (``notes_bytes`` characters)."""
    signals = _pulse_signals()
    rng = random.Random(seed)
    base = dt.date(2026, 1, 1)
    header = ["Account Name", "Opportunity Owner", "Stage", "Amount", "Close Date", "Signals", "Pulse",
              "Asked Loss Question", "Calling High", "Competitor Knocking", "Knows Their Fear", "Shared Our Fear",
              "In The Way", "Renewal", "Description"]

    def made() -> Iterator[list[str]]:
        for number in range(rows):
            ticked = rng.sample(signals, rng.choice((0, 0, 1, 1, 2, 3)))
            yield [
                f"{rng.choice(_NAMES)} {rng.choice(_KINDS)} {number + 1:03d}",
                rng.choice(_OWNERS), rng.choice(_STAGES), _money(rng),
                _us_date(base + dt.timedelta(days=rng.randrange(500))),
                ";".join(c.label if rng.random() < 0.5 else c.value for c in ticked),
                rng.choice(("", "2", "4", "6", "8", "9")),
                rng.choice(("TRUE", "FALSE", "")), rng.choice(_CALLING_HIGH), rng.choice(_KNOCKING),
                rng.choice(("TRUE", "FALSE")), rng.choice(("TRUE", "FALSE")), rng.choice(("TRUE", "FALSE", "")),
                _us_date(base + dt.timedelta(days=90 + rng.randrange(400))),
                "x" * notes_bytes if number == 0 and notes_bytes else rng.choice(("", "QBR went fine", "=cmd|' /C calc'!A0")),
            ]

    _write_csv(path, header, made())


def hubspot_export(path: Path, rows: int, seed: int = 0) -> None:
    """A HubSpot deals export: "Deal Name", "Deal owner", "Amount (USD)" with thousands separators,
    Yes/No and checkbox ``x`` answers, values in other case and spacing, signals joined with ``|``."""
    signals = _pulse_signals()
    rng = random.Random(seed)
    base = dt.date(2026, 1, 1)
    header = ["Deal Name", "Deal owner", "Deal Stage", "Amount (USD)", "Close Date", "signals", "Pulse Score",
              "asked loss question", "Calling-High", "competitor knocking", "knows their fear", "shared our fear",
              "in the way", "renewal", "Notes"]

    def made() -> Iterator[list[str]]:
        for number in range(rows):
            ticked = rng.sample(signals, rng.choice((0, 1, 2)))
            yield [
                f"{rng.choice(_NAMES)} {rng.choice(_KINDS)} deal {number + 1}",
                rng.choice(_OWNERS), rng.choice(("appointmentscheduled", "contractsent", "closedwon")),
                f"{rng.choice((5_000, 64_000, 130_000, 2_400_000)):,}",
                (base + dt.timedelta(days=rng.randrange(500))).isoformat() + " 00:00",
                " | ".join(c.value.upper().replace("_", " ") for c in ticked),
                rng.choice(("", "3", "5", "7", "10")),
                rng.choice(("Yes", "No", "")), rng.choice(("YES", "partly", "no", "not_sure")),
                rng.choice(("yes", "no", "dont know", "Dont-Know")),
                rng.choice(("x", "")), rng.choice(("Y", "N")), rng.choice(("1", "0")),
                (base + dt.timedelta(days=rng.randrange(600))).isoformat(), rng.choice(("", "@SUM(A1:A9)", "fine")),
            ]

    _write_csv(path, header, made())


_GRADES = ("Unknown", "identified", "Validated", "CONFIRMED", "")


def open_deals_export(path: Path, rows: int, seed: int = 0) -> None:
    """A Salesforce-style export of open opportunities graded on MEDDPICC (the qualify playbook):
    picklist stages and grades in any case, a champion's name, amounts with currency signs."""
    rng = random.Random(seed)
    base = dt.date(2026, 12, 1)
    elements = ("Metrics", "Economic Buyer", "Decision Criteria", "Decision Process", "Paper Process", "Pain",
                "Champion", "Competition")
    header = ["Opportunity Name", "Account Name", "Opportunity Owner", "Stage", "Amount", "Close Date", *elements,
              "Champion Name"]

    def made() -> Iterator[list[str]]:
        for number in range(rows):
            account = f"{rng.choice(_NAMES)} {rng.choice(_KINDS)}"
            stage = rng.choice(("Discovery", "Evaluation", "Proposal", "Negotiation"))
            late = stage in ("Proposal", "Negotiation")
            grades = [rng.choice(_GRADES[1:4] if late and rng.random() < 0.6 else _GRADES) for _ in elements]
            yield [
                f"{account} - {rng.choice(('New business', 'Expansion', 'Renewal'))} {number + 1:02d}", account,
                rng.choice(_OWNERS), stage, _money(rng), _us_date(base + dt.timedelta(days=rng.randrange(200))),
                *grades, rng.choice(("", "Priya Raman", "Tom Reed")),
            ]

    _write_csv(path, header, made())


# --- MEDDPICC reports as four CRMs write them (qualify) --------------------------------------------
#
# Filled in the way sales teams fill them: grades, Yes/No, a name where a grade was asked, null words
# (N/A, TBD, -), blanks, a few cells nobody could read, closed deals among the open ones, and each
# CRM's own stage names, header names, dates and amounts.

_ELEMENTS = ("Metrics", "Economic Buyer", "Decision Criteria", "Decision Process", "Paper Process", "Identify Pain",
             "Champion", "Competition")
_COMMON = ("Yes", "No", "Identified", "Validated", "Confirmed", "Unknown", "N/A", "TBD", "-", "", "", "")
# What a team writes, per element, beside the common grades.
_TEAM_WORDS: dict[str, tuple[str, ...]] = {
    "Metrics": ("20% faster month-end close", "Y", "TRUE", "Not Identified"),
    "Economic Buyer": ("Met", "Not Identified", "Yes - CFO", "Jane Doe (CFO)", "Met"),
    "Decision Criteria": ("Y", "N", "FALSE", "x"),
    "Decision Process": ("Y", "Not Identified", "none"),
    "Paper Process": ("N", "x", "n/a"),
    "Identify Pain": ("Manual reconciliation costs 3 FTEs", "Y", "FALSE"),
    "Champion": ("Yes - Anna (IT Dir)", "Anna Berg", "TRUE", "Y", "Not Identified", "N"),
    "Competition": ("Oracle", "SAP", "Workday", "In-house build", "Status quo", "None", "Unknown"),
}
# Cells nobody can read, rare as in real reports (under 1% of answer cells).
_UNREADABLE = ("See notes", "?", "ask Priya", "Partly")
_SALESFORCE_STAGES = ("Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers",
                      "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review")
_HUBSPOT_STAGES = ("Appointment Scheduled", "Qualified To Buy", "Presentation Scheduled", "Decision Maker Bought-In",
                   "Contract Sent")
_DYNAMICS_STAGES = ("1-Qualify", "2-Develop", "3-Propose", "4-Close")
_PIPEDRIVE_STAGES = ("Qualified", "Contact Made", "Demo Scheduled", "Proposal Made", "Negotiations Started")


def _element_cells(rng: random.Random) -> list[str]:
    cells = []
    for element in _ELEMENTS:
        if rng.random() < 0.004:
            cells.append(rng.choice(_UNREADABLE))
        else:
            cells.append(rng.choice(_COMMON + _TEAM_WORDS[element]))
    return cells


def _opportunity(rng: random.Random, number: int) -> tuple[str, str]:
    account = f"{rng.choice(_NAMES)} {rng.choice(_KINDS)}"
    return f"{account} - {rng.choice(('New Business', 'Expansion', 'Renewal', 'Upsell'))} {number:03d}", account


def _write_quoted(path: Path, header: list[str], rows: Iterable[list[str]], footer: Iterable[list[str]] = (),
                  bom: bool = False) -> None:
    """Every cell in double quotes, CRLF line ends, a BOM if asked: as Salesforce and Dynamics write."""
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(header)
        writer.writerows(rows)
        writer.writerows(footer)


def salesforce_meddpicc_report(path: Path, rows: int = 298, seed: int = 23) -> dict[str, int]:
    """A Salesforce opportunity report with MEDDPICC fields, exported "Details Only" with its footer.

    BOM, every cell quoted, ``$12,500.00`` amounts, US dates, the default stage names (a tenth
    Closed Won or Closed Lost), a blank Opportunity Name here and there (its Account Name is
    there), one row with no name at all, a Next Step with a line break, and the footer lines
    (Total, Confidential, Copyright, Generated By, the company). Returns what was written:
    ``rows`` (data rows), ``closed``, ``nameless`` and ``footer`` (report lines).
    """
    rng = random.Random(seed)
    base = dt.date(2026, 12, 1)
    header = ["Opportunity Name", "Account Name", "Opportunity Owner", "Stage", "Amount", "Probability (%)",
              "Close Date", *_ELEMENTS, "Next Step", "Created Date"]
    closed = 0
    total = 0.0
    made: list[list[str]] = []
    for number in range(1, rows + 1):
        name, account = _opportunity(rng, number)
        stage = rng.choice(_SALESFORCE_STAGES)
        if rng.random() < 0.1:
            stage = rng.choice(("Closed Won", "Closed Lost"))
            closed += 1
        amount = rng.choice((12_500, 48_000, 95_000, 210_000, 7_800, 1_250_000))
        total += amount
        if number % 53 == 0:
            name = ""  # the opportunity name was never filled in: the account names the row
        next_step = rng.choice(("", "Demo to IT", "Send MSA\nthen chase legal", "Pricing call"))
        made.append([name, account, rng.choice(_OWNERS), stage, f"${amount:,.2f}", f"{rng.choice((10, 20, 50, 75, 90))}%",
                     _us_date(base + dt.timedelta(days=rng.randrange(200))), *_element_cells(rng), next_step,
                     _us_date(base - dt.timedelta(days=rng.randrange(300)))])
    made[rows // 2][0] = made[rows // 2][1] = ""  # no name at all: the one row left out
    footer = [[""], ["Total", "", "", "", f"${total:,.2f}"], [""], ["Confidential Information - Do Not Distribute"],
              ["Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."],
              ["Generated By:  Dana Whitfield  12/6/2026 9:14 AM"], ["Northwind Software"]]
    _write_quoted(path, header, made, footer, bom=True)
    return {"rows": rows, "closed": closed, "nameless": 1, "footer": 5}


def hubspot_meddpicc_export(path: Path, rows: int = 120, seed: int = 24) -> dict[str, int]:
    """A HubSpot deals export: Deal Name, Deal Stage (HubSpot's default labels, some Closed Won or
    Closed Lost), Deal owner, plain amounts, ``2026-12-15 10:00`` dates, properties named as a
    portal admin named them (Identify Pain, Decision Maker, Competitor), true/false checkboxes."""
    rng = random.Random(seed)
    base = dt.date(2026, 12, 1)
    header = ["Record ID", "Deal Name", "Deal Stage", "Amount", "Close Date", "Deal owner", "Pipeline", "Metrics",
              "Decision Maker", "Decision Criteria", "Decision Process", "Paper Process", "Identify Pain", "Champion",
              "Competitor"]
    closed = 0
    made = []
    for number in range(1, rows + 1):
        stage = rng.choice(_HUBSPOT_STAGES)
        if rng.random() < 0.1:
            stage = rng.choice(("Closed Won", "Closed Lost"))
            closed += 1
        cells = [c.lower() if c in ("Yes", "No") and rng.random() < 0.5 else c for c in _element_cells(rng)]
        made.append([str(9_000_000_000 + number), _opportunity(rng, number)[0], stage,
                     str(rng.choice((5_000, 64_000, 130_000, 2_400_000))),
                     (base + dt.timedelta(days=rng.randrange(200))).isoformat() + " 10:00", rng.choice(_OWNERS),
                     "Sales Pipeline", *cells])
    _write_csv(path, header, made)
    return {"rows": rows, "closed": closed, "nameless": 0, "footer": 0}


def dynamics_meddpicc_export(path: Path, rows: int = 80, seed: int = 25) -> dict[str, int]:
    """A Dynamics 365 opportunities export (Export to Excel, saved as CSV): the hidden
    ``(Do Not Modify)`` columns first, Topic and Potential Customer, Est. Revenue, Est. Close
    Date, Pipeline Phase (``1-Qualify``...), Status (Open, Won, Lost), BOM and quoted cells."""
    rng = random.Random(seed)
    base = dt.date(2026, 12, 1)
    header = ["(Do Not Modify) Opportunity", "(Do Not Modify) Row Checksum", "(Do Not Modify) Modified On", "Topic",
              "Potential Customer", "Owner", "Est. Revenue", "Est. Close Date", "Pipeline Phase", "Status",
              *_ELEMENTS]
    closed = 0
    made = []
    for number in range(1, rows + 1):
        status = "Open"
        if rng.random() < 0.1:
            status = rng.choice(("Won", "Lost"))
            closed += 1
        topic, account = _opportunity(rng, number)
        made.append([f"{rng.getrandbits(128):032x}", "AbC123==", "12/1/2026 8:00 AM", topic, account,
                     rng.choice(_OWNERS), f"${rng.choice((9_000, 75_000, 310_000)):,.2f}",
                     _us_date(base + dt.timedelta(days=rng.randrange(200))), rng.choice(_DYNAMICS_STAGES), status,
                     *_element_cells(rng)])
    _write_quoted(path, header, made, bom=True)
    return {"rows": rows, "closed": closed, "nameless": 0, "footer": 0}


def pipedrive_meddpicc_export(path: Path, rows: int = 80, seed: int = 26) -> dict[str, int]:
    """A Pipedrive deals export: ``Deal - Title``-style headers, the default pipeline's stages,
    ``Deal - Status`` open/won/lost, the value and its currency in two columns, ISO dates."""
    rng = random.Random(seed)
    base = dt.date(2026, 12, 1)
    header = ["Deal - ID", "Deal - Title", "Deal - Organization", "Deal - Owner", "Deal - Value", "Deal - Currency",
              "Deal - Stage", "Deal - Status", "Deal - Expected close date", *(f"Deal - {e}" for e in _ELEMENTS)]
    closed = 0
    made = []
    for number in range(1, rows + 1):
        status = "open"
        if rng.random() < 0.1:
            status = rng.choice(("won", "lost"))
            closed += 1
        title, account = _opportunity(rng, number)
        made.append([str(number), title, account, rng.choice(_OWNERS), str(rng.choice((4_000, 22_000, 180_000))),
                     "EUR", rng.choice(_PIPEDRIVE_STAGES), status,
                     (base + dt.timedelta(days=rng.randrange(200))).isoformat(), *_element_cells(rng)])
    _write_csv(path, header, made)
    return {"rows": rows, "closed": closed, "nameless": 0, "footer": 0}
