"""Customer text and rep notes kept apart.

Talk tracks and email drafts are read or sent to the customer. A rep's free-text
answer (text, multiline) is a note for the rep unless its question says
``customer_safe: true``; a customer-facing template that prints one is refused at load.
Steps, rationales, sections and emails to the rep's own team are rep notes and may use
any answer.
"""

from __future__ import annotations

from collections.abc import Iterator

from dealrescue.core.expressions import printed_names
from dealrescue.core.model import Playbook
from dealrescue.core.questions import kind_of

Path = tuple[str | int, ...]


def customer_templates(pb: Playbook) -> Iterator[tuple[Path, str]]:
    """The key path and source of every template the customer hears or reads."""
    for i, track in enumerate(pb.talk_tracks):
        yield ("talk_tracks", i, "text"), track.text
    for i, email in enumerate(pb.emails):
        if email.audience == "team":
            continue
        yield ("emails", i, "subject"), email.subject
        yield ("emails", i, "body"), email.body


def leak_problems(pb: Playbook) -> list[tuple[Path, str]]:
    """``(key path, message)`` for each rep note a customer-facing template would print."""
    private = {q.id for q in pb.questions if kind_of(q).free_text and not q.customer_safe}
    found = []
    for path, source in customer_templates(pb):
        try:
            names = printed_names(source)
        except Exception:  # noqa: BLE001 - a template that does not compile is reported when it compiles
            continue
        for name in sorted(names & private):
            found.append(
                (
                    path,
                    f"customer-facing text prints {name!r}, a rep's note: mark it customer_safe: true "
                    "if the rep writes it for the customer, or move it to a rep note",
                )
            )
    return found
