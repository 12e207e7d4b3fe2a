"""The playbook commands: one per bundled playbook, plus ``run`` for any playbook."""

import inspect
import typing
from collections.abc import Callable
from typing import Annotated, Any, Optional

import typer

from dealrescue.cli.choices import PlanFormat
from dealrescue.cli.options import (
    AnswersFile,
    Deal,
    Explain,
    Force,
    Format,
    KeptFormat,
    NoInput,
    NoReview,
    NoSave,
    Output,
    Plain,
    PlanDate,
    PlaybooksDir,
    Sets,
)

EXAMPLES = """

Examples:

  dealrescue {cmd} Acme                      # answer on the terminal, plan shown

  dealrescue {cmd} Acme > acme.md            # prompts on screen, plan in acme.md

  dealrescue {cmd} Acme --answers a.yaml --no-input --format json
"""


def _run(playbook: str, **flags: Any) -> None:
    from dealrescue.commands.run import run_flags

    run_flags(playbook=playbook, **flags)


def _playbook_command(playbook_id: str, summary: str) -> Callable[..., None]:
    """``run_command`` with its PLAYBOOK argument fixed: same options, one definition; the
    command has the playbook's name."""

    def command(**flags: Any) -> None:
        _run(playbook_id, **flags)

    command.__name__ = command.__qualname__ = playbook_id
    command.__doc__ = summary + EXAMPLES.format(cmd=playbook_id)

    hints = typing.get_type_hints(run_command, include_extras=True)
    params = [
        p.replace(annotation=hints[p.name])
        for p in inspect.signature(run_command).parameters.values()
        if p.name != "playbook"
    ]
    command.__signature__ = inspect.Signature(params, return_annotation=None)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    return command


def run_command(
    playbook: Annotated[str, typer.Argument(help="A playbook id (bundled or your own) or a path to a YAML file.", show_default=False)],
    deal: Deal = None,
    answers: AnswersFile = None,
    sets: Sets = None,
    no_input: NoInput = False,
    no_review: NoReview = False,
    plain: Plain = False,
    fmt: Format = PlanFormat["markdown"],
    output: Output = None,
    force: Force = False,
    date: PlanDate = None,
    no_save: NoSave = False,
    playbooks_dir: PlaybooksDir = None,
    explain: Explain = False,
) -> None:
    """Run any playbook: a bundled id, one of your own, or a path to a YAML file."""
    _run(
        playbook, deal=deal, answers=answers, sets=sets, no_input=no_input, fmt=fmt, output=output,
        force=force, date=date, no_save=no_save, playbooks_dir=playbooks_dir, no_review=no_review, plain=plain,
        explain=explain,
    )


run_command.__doc__ = (run_command.__doc__ or "") + EXAMPLES.format(cmd="run my-playbook.yaml")

# The bundled playbooks that have a command of their own (``cli/app.py`` lists them).
triage = _playbook_command("triage", "Right after 'we're going with someone else': fight, change approach, walk away, or accept and learn?")
recover = _playbook_command("recover", "A stalled deal after a misstep: own the issues, reinforce value, give first.")
walkaway = _playbook_command("walkaway", "Prepare a graceful walk-away call: reasons, the three tests, the script, a check-back.")
pulse = _playbook_command("pulse", "Take an account's pulse: where it stands on the path to defecting, and what to do.")
review = _playbook_command("review", "Win/loss review: the buyer interview, the process stage by stage, the lessons.")
qualify = _playbook_command(
    "qualify", "Qualify an open deal (MEDDPICC): grade each element by evidence, a weighted score, one step per gap."
)


def resume_command(
    run_id: Annotated[
        Optional[str], typer.Argument(metavar="[ID]", help="The run to continue (default: the latest unfinished).", show_default=False)
    ] = None,
    answers_file: AnswersFile = None,
    sets: Sets = None,
    no_input: NoInput = False,
    no_review: NoReview = False,
    plain: Plain = False,
    fmt: KeptFormat = None,
    output: Output = None,
    force: Force = False,
    date: Annotated[
        Optional[str],
        typer.Option("--date", metavar="YYYY-MM-DD", help="The day the plan is made (default: the run's own date)."),
    ] = None,
    playbooks_dir: PlaybooksDir = None,
    explain: Explain = False,
) -> None:
    """Continue an interrupted run: asks only what is still missing, then makes the plan.

    Ctrl-C during a run keeps every answer given; `dealrescue deals list --status interrupted` shows them. --answers and --set add answers (replacing kept ones); -o, --format and --date change how the plan is written.
    """  # noqa: E501
    from dealrescue.commands.resume import ResumeOptions, resume

    resume(
        ResumeOptions(
            run_id=run_id,
            no_input=no_input,
            playbooks_dir=playbooks_dir,
            answers_file=answers_file,
            sets=sets or [],
            format=fmt.value if fmt is not None else None,
            output=output,
            force=force,
            date=date,
            review=not no_review,
            plain=plain,
            explain=explain,
        )
    )
