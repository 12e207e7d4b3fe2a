"""Copy-ready emails: whole-line paragraphs, escapes only where markdown needs them, and
``deals export ID --email [N]`` as plain text."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from dealrescue.cli.app import app
from dealrescue.core.mdescape import strip_controls
from dealrescue.core.render.email import email_lines, plain_email

MAILER = """\
id: mailer
version: 1
title: Mailer
summary: One email with a rep's words in it.
questions:
  - id: people
    prompt: Who was in the room?
    customer_safe: true
  - id: system
    prompt: Which system?
    customer_safe: true
verdicts:
  - id: go
    default: true
    title: Go
    rationale: Go.
emails:
  - title: Recap
    subject: "Recap: {{ system }} for {{ deal }}"
    body: |
      Hi {{ people }},

      Thank you for the time today. We went through how {{ system }} fits into the month-end
      close, and where the hand-offs between your teams slow it down the most. I will send the
      numbers we agreed on by Friday.

      What I heard:
      - the close takes ten days
      - the hand-offs are manual

      Best regards,
      Sam
  - title: Short note
    subject: Thanks
    body: Thanks again, {{ people }}.
"""
TYPED = {
    "people": "Priya Shah (CFO) & Tom O*Neil",
    "system": "payroll_run, TCO < Workday",
}


def run_mailer(write_playbook: Callable[..., Path], **answers: str) -> str:
    path = write_playbook(MAILER)
    sets = [a for k, v in {**TYPED, **answers}.items() for a in ("--set", f"{k}={v}")]
    result = CliRunner().invoke(app, ["run", str(path), "Acme", "--date", "2026-11-22", *sets])
    assert result.exit_code == 0, result.stderr
    run_id = re.search(r"Saved as run (\w+)", result.stderr)
    assert run_id, result.stderr
    return run_id.group(1)


def export(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["deals", "export", *args])
    return result.exit_code, result.stdout, result.stderr


def test_email_export_is_the_drafts_words_as_plain_text(write_playbook: Callable[..., Path]) -> None:
    run_id = run_mailer(write_playbook)
    code, out, _ = export(run_id, "--email")
    assert code == 0
    draft = json.loads(export(run_id, "--format", "json")[1])["emails"][0]
    subject, blank, *body = out.split("\n")
    assert subject == f"Subject: {draft['subject']}" == "Subject: Recap: payroll_run, TCO < Workday for Acme"
    assert blank == ""
    assert " ".join(body).split() == draft["body"].split()  # the same words, nothing added
    assert "\\" not in out and "**" not in out and "> " not in out
    # Paragraphs are whole lines; the greeting, list, sign-off and name keep their own lines.
    assert body == [
        "Hi Priya Shah (CFO) & Tom O*Neil,",
        "",
        "Thank you for the time today. We went through how payroll_run, TCO < Workday fits into the month-end "
        "close, and where the hand-offs between your teams slow it down the most. I will send the numbers we "
        "agreed on by Friday.",
        "",
        "What I heard:",
        "- the close takes ten days",
        "- the hand-offs are manual",
        "",
        "Best regards,",
        "Sam",
        "",
    ]
    assert export(run_id, "--email", "2")[1] == "Subject: Thanks\n\nThanks again, Priya Shah (CFO) & Tom O*Neil.\n"


def test_email_export_refuses_what_it_cannot_do(write_playbook: Callable[..., Path]) -> None:
    run_id = run_mailer(write_playbook)
    code, out, err = export(run_id, "--email", "3")
    assert (code, out) == (2, "")
    assert "has 2 email draft(s); there is no draft 3" in err and "--email 1 to --email 2" in err
    code, _, err = export(run_id, "2")
    assert code == 2 and "give it with --email" in err
    code, _, err = export(run_id, "--email", "--format", "json")
    assert code == 2 and "does not take --format json" in err


def test_markdown_plan_email_is_whole_lines_and_shows_what_was_typed(write_playbook: Callable[..., Path]) -> None:
    run_id = run_mailer(write_playbook)
    markdown = export(run_id)[1]
    quote = [ln for ln in markdown.split("\n") if ln.startswith(">")]
    # No hard break in the middle of a sentence: only the greeting, the list, the sign-off carry one.
    breaks = [ln for ln in quote if ln.endswith("  ")]
    assert breaks == ["> What I heard:  ", "> - the close takes ten days  ", "> Best regards,  "]
    # Escaped only where markdown would change it: the * (emphasis), nothing else.
    assert "> Hi Priya Shah (CFO) & Tom O\\*Neil," in quote
    assert "payroll_run, TCO < Workday fits" in markdown
    tokens = MarkdownIt("commonmark").parse(markdown)
    shown = " ".join(t.content for t in tokens if t.type == "inline")
    for typed in TYPED.values():
        assert typed in MarkdownIt("commonmark").render(markdown).replace("&amp;", "&").replace("&lt;", "<")
    assert "Priya Shah (CFO) &amp; Tom" not in shown  # no entity: the & is not escaped in the source


def test_the_bundled_walkaway_email_has_no_hard_break_mid_sentence(user_home: Path) -> None:
    answers = {"reasons": "poor_fit", "fit_gap": "on-premise hosting", "fit_weight": "must_have", "stage": "final",
               "contact": "Dana", "would_stop": "true", "manager_agreed": "agreed"}
    sets = [a for k, v in answers.items() for a in ("--set", f"{k}={v}")]
    markdown = CliRunner().invoke(app, ["run", "walkaway", "Acme", "--no-save", *sets]).stdout
    quoted = [ln for ln in markdown.split("\n") if ln.startswith("> ")]
    assert quoted
    for line in quoted:
        if line.endswith("  "):
            assert line.rstrip().endswith((",", ":")) or len(line) < 44, line


PLAIN = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)


@settings(max_examples=200, deadline=None)
@given(subject=PLAIN, body=PLAIN)
def test_plain_email_keeps_every_word(subject: str, body: str) -> None:
    out = plain_email(subject, body)
    head, rest = out.split("\n\n", 1) if "\n\n" in out else (out, "")
    assert head.startswith("Subject:") and "\n" not in head
    assert head[len("Subject:"):].split() == strip_controls(subject).split()
    assert rest.split() == strip_controls(body).split()


@settings(max_examples=200, deadline=None)
@given(body=PLAIN)
def test_joining_wrapped_lines_only_removes_line_breaks(body: str) -> None:
    for markdown in (False, True):
        joined = email_lines(body, markdown=markdown)
        assert " ".join(joined).split() == body.split()
        assert len(joined) <= len(body.split("\n"))
