"""``dealrescue card``: the few lines to keep beside the phone."""

from typing import Annotated

import typer

from dealrescue.cli.options import PlaybooksDir


def card_command(
    playbook: Annotated[str, typer.Argument(help="A playbook id (triage, walkaway, recover) or a path.", show_default=False)],
    playbooks_dir: PlaybooksDir = None,
) -> None:
    """Print a playbook's pocket card for the live call: the questions to ask and what not to say (markdown).

    Example: dealrescue card triage > triage-card.md
    """
    from dealrescue.commands.card import print_card

    print_card(playbook, playbooks_dir)
