"""Options shared by the commands, declared once; their choice types are in ``cli/choices.py``."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from dealrescue.cli.choices import CalendarKind, PlanFormat
from dealrescue.core.render.registry import PLAN

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
