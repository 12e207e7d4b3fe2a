"""Email drafts that paste cleanly: each paragraph one line, and a plain-text export."""

from __future__ import annotations

import re

from dealrescue.core.mdescape import strip_controls

# A line ending like this ends on purpose: "Hi Dana,", "Best regards,", "Below is each point:".
_ENDS_ON_PURPOSE = re.compile(r"""[,;:][\"'\u201d\u2019)\]]*\s*$""")
# Shorter lines are kept as they are: a name under a sign-off, an address, a signature.
_WRAPPED = 40
_LIST_ITEM = re.compile(r"^\s*([-*+]|\d+[.)])\s")


def _odd_backslashes(line: str) -> bool:
    """A markdown hard break (a rep's own line break inside an answer)."""
    return (len(line) - len(line.rstrip("\\"))) % 2 == 1


def email_lines(body: str, *, markdown: bool) -> list[str]:
    """``body`` with the lines of each paragraph joined, where the author only wrapped the source.

    A line break stays after a line that ends on purpose (a greeting or a sign-off ends in a
    comma, an introduction in a colon), after a short line (a name, a signature), before a
    list item and, in markdown, at a rep's own hard break. Every other break within a
    paragraph is the playbook's source wrapped to fit an editor.
    """
    out: list[str] = []
    for line in body.split("\n"):
        previous = out[-1] if out else ""
        joins = (
            previous.strip()
            and line.strip()
            and len(previous.strip()) >= _WRAPPED
            and not _ENDS_ON_PURPOSE.search(previous)
            and not _LIST_ITEM.match(line)
            and not (markdown and _odd_backslashes(previous))
        )
        if joins:
            out[-1] = f"{previous.rstrip()} {line.strip()}"
        else:
            out.append(line)
    return out


def plain_email(subject: str, body: str) -> str:
    """``Subject: ...``, a blank line, then the body: ready for the clipboard, no markdown."""
    one_line = " ".join(strip_controls(subject).split())
    text = "\n".join(email_lines(strip_controls(body), markdown=False)).strip("\n")
    return f"Subject: {one_line}\n\n{text}\n"
