"""Options shared by every playbook command, declared once."""

from pathlib import Path
from typing import Annotated, Optional

import typer

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
Format = Annotated[str, typer.Option("--format", metavar="markdown|json", help="Plan as markdown (default) or a JSON document.")]
Output = Annotated[
    Optional[Path],
    typer.Option("-o", "--output", metavar="FILE", help="Write the plan to FILE atomically (stdout otherwise).", dir_okay=False),
]
Force = Annotated[bool, typer.Option("--force", help="Let -o replace an existing file.")]
PlanDate = Annotated[
    Optional[str],
    typer.Option("--date", metavar="YYYY-MM-DD", help="The day the plan is made (default today); due dates count from it."),
]
NoSave = Annotated[bool, typer.Option("--no-save", help="Do not record this run in the journal.")]
PlaybooksDir = Annotated[
    Optional[Path],
    typer.Option("--playbooks-dir", metavar="DIR", help="Look for playbooks here first.", file_okay=False),
]
Explain = Annotated[
    bool, typer.Option("--explain", help="Print to stderr how each score and verdict rule was evaluated, and why.")
]
