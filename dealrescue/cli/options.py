"""Options shared by the commands, declared once; their choice types are in ``cli/choices.py``.

The options every playbook command takes (``PlaybookFlags``) are declared in ``PLAYBOOK_FLAGS``
and added to a command by ``playbook_flags``: run, the six bundled playbook commands, resume
and deals rerun all take them from here.
"""

import dataclasses
import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from dealrescue.cli.choices import CalendarKind, PlanFormat
from dealrescue.commands.flags import PlaybookFlags
from dealrescue.core.render.registry import PLAN

Deal = Annotated[Optional[str], typer.Argument(help="The deal or account name (asked for when missing on a terminal).", show_default=False)]
AnswersFile = Annotated[
    Optional[str],
    typer.Option("--answers", metavar="FILE", help="Answers from a YAML or JSON file (- reads stdin), checked like typed ones."),
]
Sets = Annotated[
    Optional[list[str]],
    typer.Option("--set", metavar="ID=VALUE", help="One answer; repeat for more. Wins over --answers. Multiselect: a,b,c. "
                 "Numbers as typed: 85000, $85,000, 85k, 1.2M. Dates: 2026-12-15, 12/15/2026 (15/12/2026 with "
                 "--dayfirst), +9d, 2w, tomorrow, friday (from the plan date)."),
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
DayFirst = Annotated[
    bool,
    typer.Option("--dayfirst", help="Read typed dates like 03/04/2027 as 3 April (default: US month first; also DEALRESCUE_DAYFIRST=1)."),
]

# The command-line declaration of each ``PlaybookFlags`` field, by field name.
PLAYBOOK_FLAGS: dict[str, Any] = {
    "answers_file": AnswersFile,
    "sets": Sets,
    "no_input": NoInput,
    "no_review": NoReview,
    "plain": Plain,
    "output": Output,
    "force": Force,
    "playbooks_dir": PlaybooksDir,
    "explain": Explain,
    "dayfirst": DayFirst,
}


def playbook_flags(command: Callable[..., None]) -> Callable[..., None]:
    """``command``, whose last parameter is ``flags: PlaybookFlags``, with that parameter replaced by
    one option per field (as ``PLAYBOOK_FLAGS`` declares it); typer reads the new signature, and
    ``command`` is called with the options gathered into one ``PlaybookFlags``."""
    # eval_str, not typing.get_type_hints: on Python 3.10 that wraps an annotation whose default is
    # None in Optional[...], hiding typer.Argument, so the DEAL argument became a --deal option.
    own = inspect.signature(command, eval_str=True).parameters
    params = [p for name, p in own.items() if name != "flags"]
    names = []
    for found in dataclasses.fields(PlaybookFlags):
        # A list option that is not given reaches the command as None: the field's factory then applies.
        default = found.default if found.default is not dataclasses.MISSING else None
        params.append(inspect.Parameter(found.name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=PLAYBOOK_FLAGS[found.name]))
        names.append(found.name)

    @functools.wraps(command)
    def with_flags(*args: Any, **given: Any) -> None:
        values = {name: given.pop(name) for name in names}
        command(*args, **given, flags=PlaybookFlags(**{name: value for name, value in values.items() if value is not None}))

    del with_flags.__wrapped__  # typer must read the signature below, not the command's own
    with_flags.__signature__ = inspect.Signature(params, return_annotation=None)  # type: ignore[attr-defined]
    with_flags.__annotations__ = {p.name: p.annotation for p in params}
    return with_flags
