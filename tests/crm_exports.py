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
