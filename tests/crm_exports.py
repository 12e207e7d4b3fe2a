"""Made-up CRM exports for tests and bench/: a plain one per playbook, and Salesforce- and
HubSpot-style exports as a sales manager would download them (US dates, TRUE/FALSE,
choice labels, amounts with currency symbols, a long notes column)."""

from __future__ import annotations

import csv
import datetime as dt
import random
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
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["deal", *[q.id for q in questions]])
        for number in range(rows):
            row = [f"{rng.choice(_NAMES)} {rng.choice(_KINDS)} {rng.randrange(10**6):06d}-{number}"]
            for q in questions:
                row.append(_sample_answer(q, rng, base))
            writer.writerow(row)


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
