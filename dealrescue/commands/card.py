"""``dealrescue card PLAYBOOK``: a playbook's pocket card for the live call, as markdown on stdout."""

from __future__ import annotations

import sys
from pathlib import Path

from dealrescue.errors import UsageError


def card_text(title: str, card: str) -> str:
    """The card under a heading naming the playbook; controls made visible, one trailing newline."""
    from dealrescue.core.mdescape import escape_inline, strip_controls

    return strip_controls(f"# {escape_inline(title)}: pocket card\n\n{card.strip()}\n")


def print_card(ref: str, playbooks_dir: Path | None) -> None:
    from dealrescue.catalog import finder as catalog

    path, _origin = catalog.locate(ref, playbooks_dir)
    playbook = catalog.load_file(path).playbook
    if not playbook.card:
        raise UsageError(
            f"playbook {playbook.id} has no pocket card",
            hint="every bundled playbook has one; a playbook gets one with a card: key",
        )
    text = card_text(playbook.title, playbook.card)
    from dealrescue.ui import terminal

    if terminal.stdout_is_terminal():
        # Rendered as plans are on a terminal, not raw **markdown**.
        from dealrescue.ui.console import show_markdown

        show_markdown(text)
        return
    sys.stdout.write(text)
