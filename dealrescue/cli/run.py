"""The playbook commands: one per bundled playbook, plus ``run`` for any playbook, and ``resume``.

Their shared options are declared once, in ``cli/options.py`` (``playbook_flags``).
"""

import inspect
from collections.abc import Callable
from typing import Annotated, Any, Optional

import typer

from dealrescue.cli.choices import PlanFormat
from dealrescue.cli.options import Deal, Format, KeptFormat, NoSave, PlanDate, playbook_flags
from dealrescue.commands.flags import PlaybookFlags, flag_values

EXAMPLES = """

Examples:

  dealrescue {cmd} Acme                      # answer on the terminal, plan shown

  dealrescue {cmd} Acme > acme.md            # prompts on screen, plan in acme.md

  dealrescue {cmd} Acme --answers a.yaml --no-input --format json
"""


@playbook_flags
def run_command(
    playbook: Annotated[str, typer.Argument(help="A playbook id (bundled or your own) or a path to a YAML file.", show_default=False)],
    deal: Deal = None,
    fmt: Format = PlanFormat["markdown"],
    date: PlanDate = None,
    no_save: NoSave = False,
    *,
    flags: PlaybookFlags,
) -> None:
    """Run any playbook: a bundled id, one of your own, or a path to a YAML file."""
    from dealrescue.commands.run import RunOptions, run

    run(RunOptions(playbook=playbook, deal=deal, format=fmt.value, date=date, no_save=no_save, **flag_values(flags)))


run_command.__doc__ = (run_command.__doc__ or "") + EXAMPLES.format(cmd="run my-playbook.yaml")


def _playbook_command(playbook_id: str, summary: str) -> Callable[..., None]:
    """``run_command`` with its PLAYBOOK argument fixed: the same options, and the playbook's name."""

    def command(**given: Any) -> None:
        run_command(playbook_id, **given)

    signature = inspect.signature(run_command)
    params = [p for name, p in signature.parameters.items() if name != "playbook"]
    command.__name__ = command.__qualname__ = playbook_id
    command.__doc__ = summary + EXAMPLES.format(cmd=playbook_id)
    command.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    return command


# The bundled playbooks that have a command of their own (``cli/app.py`` lists them).
triage = _playbook_command("triage", "Right after 'we're going with someone else': fight, change approach, walk away, or accept and learn?")
recover = _playbook_command("recover", "A stalled deal after a misstep: own the issues, reinforce value, give first.")
walkaway = _playbook_command("walkaway", "Prepare a graceful walk-away call: reasons, the three tests, the script, a check-back.")
pulse = _playbook_command("pulse", "Take an account's pulse: where it stands on the path to defecting, and what to do.")
review = _playbook_command("review", "Win/loss review: the buyer interview, the process stage by stage, the lessons.")
qualify = _playbook_command(
    "qualify", "Qualify an open deal (MEDDPICC): grade each element by evidence, a weighted score, one step per gap."
)


@playbook_flags
def resume_command(
    run_id: Annotated[
        Optional[str], typer.Argument(metavar="[ID]", help="The run to continue (default: the latest unfinished).", show_default=False)
    ] = None,
    fmt: KeptFormat = None,
    date: Annotated[
        Optional[str],
        typer.Option("--date", metavar="YYYY-MM-DD", help="The day the plan is made (default: the run's own date)."),
    ] = None,
    *,
    flags: PlaybookFlags,
) -> None:
    """Continue an interrupted run: asks only what is still missing, then makes the plan.

    Ctrl-C during a run keeps every answer given; `dealrescue deals list --status interrupted` shows them. --answers and --set add answers (replacing kept ones); -o, --format and --date change how the plan is written.
    """  # noqa: E501
    from dealrescue.commands.resume import ResumeOptions, resume

    resume(ResumeOptions(run_id=run_id, format=fmt.value if fmt is not None else None, date=date, **flag_values(flags)))
