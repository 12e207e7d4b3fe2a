"""Options and choice types shared by the commands, declared once.

Every ``--format`` is one of the Enums below: typer checks the value, and a command
receives a member (``.value`` is the name). Plan formats come from the render registry,
so a format registered there is a ``--format`` choice with nothing to change here.
"""

import enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from dealrescue.core.render.registry import PLAN

# Functional Enum: its members are the registry's names, whatever they are.
PlanFormat = enum.Enum("PlanFormat", {name: name for name in PLAN.names()}, type=str)  # type: ignore[misc]


class StoredFormat(str, enum.Enum):
    """The plan formats the journal keeps for every finished run (``deals export``)."""

    markdown = "markdown"
    json = "json"


class ListFormat(str, enum.Enum):
    table = "table"
    json = "json"


class RankFormat(str, enum.Enum):
    table = "table"
    csv = "csv"
    json = "json"
    html = "html"


class ReportFormat(str, enum.Enum):
    text = "text"
    json = "json"


class CalendarKind(str, enum.Enum):
    event = "event"
    todo = "todo"


Deal = Annotated[Optional[str], typer.Argument(help="The deal or account name (asked for when missing on a terminal).", show_default=False)]
AnswersFile = Annotated[
    Optional[str],
    typer.Option("--answers", metavar="FILE", help="Answers from a YAML or JSON file (- reads stdin), checked like typed ones."),
]
Sets = Annotated[
    Optional[list[str]],
    typer.Option("--set", metavar="ID=VALUE", help="One answer; repeat for more. Wins over --answers. Multiselect: a,b,c."),
]
NoInput = Annotated[bool, typer.Option("--no-input", help="Never prompt: use answers given, then defaults; report every missing id.")]
_PLAN_FORMATS = "|".join(PLAN.names())
Format = Annotated[
    PlanFormat, typer.Option("--format", metavar=_PLAN_FORMATS, help="The plan's format (default markdown; json for scripts).")
]
IcsKind = Annotated[CalendarKind, typer.Option("--ics-kind", help="In the calendar file: all-day events, or to-dos.")]
KeptFormat = Annotated[
    Optional[PlanFormat],
    typer.Option("--format", metavar="|".join(PlanFormat.__members__), help="The plan's format (default: as the run began)."),
]
Output = Annotated[
    Optional[Path],
    typer.Option("-o", "--output", metavar="FILE", help="Write to FILE atomically (stdout otherwise).", dir_okay=False),
]
Force = Annotated[bool, typer.Option("--force", help="Replace the output file if it exists.")]
PlanDate = Annotated[
    Optional[str],
    typer.Option("--date", metavar="YYYY-MM-DD", help="The day the plan is made (default today); due dates count from it."),
]
NoSave = Annotated[bool, typer.Option("--no-save", help="Do not record this run in the journal.")]
PlaybooksDir = Annotated[
    Optional[Path],
    typer.Option("--playbooks-dir", metavar="DIR", help="Look for playbooks here first.", file_okay=False),
]
NoReview = Annotated[bool, typer.Option("--no-review", help="On a terminal, make the plan right after the last question.")]
Plain = Annotated[
    bool,
    typer.Option("--plain", help="Plain prompts: numbered choices, one line each, Enter to confirm (also DEALRESCUE_PROMPTS=plain)."),
]
Explain = Annotated[
    bool, typer.Option("--explain", help="Print to stderr how each score and verdict rule was evaluated, and why.")
]
