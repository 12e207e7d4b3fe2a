"""Any text as an answer survives into the markdown plan as text, and never as structure.

The plan is parsed back with markdown-it-py: whatever the answer, the document has the same
blocks, lists, headings and emphasis as with a harmless answer, no HTML or link appears, and
the visible text shows the answer (whitespace normalised; control characters as pictures).
"""

from __future__ import annotations

import datetime as dt
import functools
import textwrap
import unicodedata
from typing import Any

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from dealrescue.core.engine import run_non_interactive
from dealrescue.core.loader import CompiledPlaybook, load_playbook
from dealrescue.core.mdescape import escape_inline
from dealrescue.core.plan import build_plan
from dealrescue.core.render.plan import to_document, to_markdown

TODAY = dt.date(2026, 11, 22)

# An answer lands mid-line in a task item, at the start of a paragraph, at the start of a
# list item, after bold text, inside a blockquote and in the deal's heading.
PLAYBOOK = textwrap.dedent(
    """\
    id: md
    version: 1
    title: Markdown safety
    summary: Every place an answer can land.
    questions:
      - id: competitor
        prompt: Who did they choose?
        customer_safe: true
      - id: notes
        prompt: Anything else?
        type: multiline
        customer_safe: true
    verdicts:
      - id: fight
        default: true
        title: Fight
        rationale: They chose {{ competitor }}. {{ notes }}
    plan:
      - text: Offer {{ competitor }}
        due: +1d
      - text: "{{ notes }}"
        due: +2d
    talk_tracks:
      - title: Opening
        text: "{{ competitor }}"
    emails:
      - title: Debrief
        subject: About {{ competitor }}
        body: "{{ notes }}"
    sections:
      - title: Notes
        items:
          - "{{ competitor }}"
          - "{{ notes }}"
    followups:
      - text: Ask {{ deal }} about {{ notes }}
        due: +3m
    """
)
# Stand-ins for the answers in the reference plan: plain words that need no escaping.
COMPETITOR, NOTES, DEAL = "Qcompetitorq", "Qnotesq", "Qdealq"
# Pictures the plan may show in place of a control character (U+2400 block, replacement char).
PICTURES = {chr(c) for c in range(0x2400, 0x2427)} | {"\ufffd"}
FORBIDDEN = {"html_inline", "html_block", "link_open", "image", "code_block", "fence", "hr", "table_open"}


@functools.cache
def compiled() -> CompiledPlaybook:
    return load_playbook(PLAYBOOK.encode(), "md.yaml")


def parse(markdown: str) -> list[Token]:
    return MarkdownIt("commonmark").enable("table").parse(markdown)


def signature(tokens: list[Token]) -> list[tuple[Any, ...]]:
    """The structure: every block token, and the non-text tokens inside each inline."""
    out: list[tuple[Any, ...]] = []
    for token in tokens:
        if token.type == "inline":
            kids = tuple(c.type for c in token.children or [] if c.type not in ("text", "softbreak", "hardbreak"))
            out.append(("inline", kids))
        else:
            out.append((token.type, token.tag, token.level))
    return out


def all_types(markdown: str) -> set[str]:
    tokens = parse(markdown)
    return {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}


def visible(token: Token) -> str:
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts)


def canon(text: str) -> str:
    """Control characters and their pictures become one placeholder; whitespace runs one space."""
    out = []
    for char in text:
        control = unicodedata.category(char) == "Cc" and char not in "\t\n\r"
        out.append("\ufffd" if control or char in PICTURES else char)
    return " ".join("".join(out).split())


def render(competitor: str, notes: str, deal: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    outcome = run_non_interactive(compiled(), {"competitor": competitor, "notes": notes}, deal, TODAY.isoformat())
    plan = build_plan(compiled(), outcome, deal, TODAY)
    return to_markdown(plan), to_document(plan), outcome.answers


def check_plan_keeps_answers_as_text(competitor: str, notes: str, deal: str) -> None:
    reference_md, _, _ = render(COMPETITOR, NOTES, DEAL)
    markdown, document, typed = render(competitor, notes, deal)

    # Typing an answer only trims or folds whitespace; the JSON plan holds it unchanged.
    assert " ".join(typed["competitor"].split()) == " ".join(competitor.split())
    # A multiline answer keeps its lines; \r and \r\n are line breaks too.
    assert typed["notes"] == notes.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    assert document["steps"][0]["text"] == f"Offer {typed['competitor']}".strip()
    assert document["followups"][0]["text"] == f"Ask {deal} about {typed['notes']}".strip()

    reference, tokens = parse(reference_md), parse(markdown)
    found = all_types(markdown)
    assert not found & FORBIDDEN, f"{sorted(found & FORBIDDEN)} in:\n{markdown}"
    for kind in ("heading_open", "list_item_open", "paragraph_open", "blockquote_open", "strong_open"):
        assert sum(t.type == kind for t in tokens) == sum(t.type == kind for t in reference), (kind, markdown)
    assert signature(tokens) == signature(reference), markdown

    # Same structure, so the inline runs pair up: each shows its answers, and nothing else changed.
    inlines = [t for t in tokens if t.type == "inline"]
    expected_inlines = [t for t in reference if t.type == "inline"]
    assert len(inlines) == len(expected_inlines)
    replacements = {COMPETITOR: typed["competitor"], NOTES: typed["notes"], DEAL: deal}
    for got, want in zip(inlines, expected_inlines, strict=True):
        expected = visible(want)
        for stand_in, answer in replacements.items():
            expected = expected.replace(stand_in, answer)
        assert canon(visible(got)) == canon(expected), (visible(got), expected)


ANY_TEXT = st.text(max_size=60)
# What markdown and HTML authors type, so that shrinking finds short, readable failures.
MARKUP = st.lists(
    st.sampled_from(
        [
            *"#*_`[]()<>!|\\-+=:.&~>\"' \t\n\r\x1b\x00\x7f\x85\u00a0\u2028\u2029",
            "1.",
            "2)",
            "---",
            "***",
            "```",
            "<b>",
            "</div>",
            "<!--",
            "[x](http://e.com)",
            "![i](a.png)",
            "<http://e.com>",
            "&amp;",
            "&#60;",
            "| a | b |",
            "|---|",
            "    ",
            "\n\n",
            "\n- ",
            "\n# ",
            "\n> ",
            "\n1. ",
            "\n===",
            "\n---",
            "text",
            "\\\n",
        ]
    ),
    max_size=12,
).map("".join)
ANSWER = st.one_of(ANY_TEXT, MARKUP)
ONE_LINE = ANSWER.map(lambda s: s.replace("\n", " ").replace("\r", " "))


@settings(max_examples=200, deadline=None)
@given(competitor=ANSWER, notes=ANSWER, deal=ONE_LINE)
@example(competitor="# Heading", notes="- item\n1. item\n> quote", deal="Acme | Ltd")
@example(competitor="<script>alert(1)</script>", notes="[click](javascript:alert(1))\n<div>x</div>", deal="<b>x</b>")
@example(competitor="\x1b[31mred\x1b[0m", notes="a\n\n\nb\n---\n=== ", deal="**bold** `code`")
@example(competitor="{{ 7*7 }}", notes="{% for x in y %}\n    code\n```\nfence", deal="{{ deal }}")
@example(competitor="a\u00a0b", notes="x\u2028- y\u2029# z", deal="Acme")
@example(competitor="Priya Shah (CFO) & Tom O*Neil", notes="payroll_run, TCO < Workday\nC:\\path\\ &amp; &#60;", deal="R&D_team")
@example(competitor="_a_ *b* a_b_ <b> <3", notes="x\\\n\\*y*\\", deal="C# !#tag")
@example(competitor="0", notes="0", deal="0 #")
def test_any_answer_survives_as_text(competitor: str, notes: str, deal: str) -> None:
    assume(competitor.strip() and notes.strip() and deal.strip())
    check_plan_keeps_answers_as_text(competitor, notes, deal)



def test_deal_name_with_a_newline_stays_in_its_heading() -> None:
    tokens = parse(render(COMPETITOR, NOTES, "Acme\n# Injected")[0])
    assert tokens[0].type == "heading_open"
    assert tokens[1].content.endswith("Injected"), tokens[1].content
    assert signature(tokens) == signature(parse(render(COMPETITOR, NOTES, DEAL)[0]))


def test_answer_in_a_templated_heading_stays_in_it() -> None:
    text = PLAYBOOK.replace("  - title: Opening\n", "  - title: Opening {{ notes }}\n")
    assert text != PLAYBOOK
    playbook = load_playbook(text.encode(), "md.yaml")

    def markdown(notes: str) -> str:
        outcome = run_non_interactive(playbook, {"competitor": COMPETITOR, "notes": notes}, DEAL, TODAY.isoformat())
        return to_markdown(build_plan(playbook, outcome, DEAL, TODAY))

    assert signature(parse(markdown("first line\n- second line"))) == signature(parse(markdown(NOTES)))


def test_the_reference_plan_has_every_context() -> None:
    """The property above is only as strong as the places it looks at."""
    markdown, _, _ = render(COMPETITOR, NOTES, DEAL)
    tokens = parse(markdown)
    kinds = {t.type for t in tokens}
    assert {"heading_open", "bullet_list_open", "blockquote_open", "paragraph_open"} <= kinds
    texts = [visible(t) for t in tokens if t.type == "inline"]
    assert sum(COMPETITOR in t for t in texts) >= 6
    assert sum(NOTES in t for t in texts) >= 5
    assert any(DEAL in t for t in texts)


@pytest.mark.parametrize(
    ("typed", "raw"),
    [
        ("Priya Shah (CFO) & Tom", "Priya Shah (CFO) & Tom"),
        ("payroll_run", "payroll_run"),
        ("TCO < Workday", "TCO < Workday"),
        ("C# developers, 5 > 3!", "C# developers, 5 > 3!"),
        ("C:\\Users\\x", "C:\\Users\\x"),
        ("Tom O*Neil", "Tom O\\*Neil"),
        ("_init_ x_", "\\_init\\_ x\\_"),
        ("&amp; <b>", "\\&amp; \\<b>"),
        ("# not a heading", "\\# not a heading"),
        ("Acme ## #1", "Acme \\## #1"),
    ],
)
def test_a_reps_text_is_escaped_only_where_markdown_would_read_it(typed: str, raw: str) -> None:
    assert escape_inline(typed) == raw
    shown = MarkdownIt("commonmark").parseInline(f"Call {escape_inline(typed)} today")[0].children
    assert "".join(c.content for c in shown or [] if c.type == "text") == f"Call {typed} today"


@pytest.mark.parametrize(
    ("text", "structure"),
    [
        ("# title", "heading_open"),
        ("- item", "bullet_list_open"),
        ("1. item", "ordered_list_open"),
        ("> quote", "blockquote_open"),
        ("<div>x</div>", "html_block"),
        ("[a](http://e.com)", "link_open"),
        ("| a | b |\n|---|---|", "table_open"),
        ("---", "hr"),
        ("```\ncode\n```", "fence"),
    ],
)
def test_unescaped_text_would_change_the_structure(text: str, structure: str) -> None:
    """The parser sees the structures the property forbids, and escaping removes each one."""
    assert structure in all_types(text)
    assert structure not in all_types(escape_inline(text))


@settings(max_examples=200, deadline=None)
@given(text=ANSWER)
def test_escape_inline_keeps_text_in_one_paragraph(text: str) -> None:
    assume(text.strip())
    escaped = escape_inline(text)
    tokens = parse(f"Before {escaped} after")
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"], escaped
    assert canon(visible(tokens[1])) == canon(f"Before {text} after"), escaped
