"""Plain-text templates (no {{ }}, {% %} or {# #}) skip Jinja and render exactly as Jinja would."""

from pathlib import Path

import pytest

from dealrescue.core.expressions import is_plain_text
from dealrescue.core.loader import load_playbook

PLAYBOOKS = sorted((Path(__file__).parent.parent / "playbooks").glob("*.yaml"))
SAMPLES = [
    "Call them back.",
    "  Two\r\nlines\rand a third\n\n",
    "Markdown *stays* as written: # heading, `code`, [link](x), <b>, | table |, 1. item",
    "Braces alone { are } text, and so is a lone % or #.",
    "Tabs\tand trailing spaces   \n",
]


def _by_jinja(source: str, *, markdown: bool) -> str:
    from dealrescue.core.expressions import Template, _template_code

    return Template.from_code(source, _template_code(source)).render({}, markdown=markdown)


@pytest.mark.parametrize("source", SAMPLES)
def test_plain_text_renders_as_jinja_renders_it(source: str) -> None:
    from dealrescue.core.expressions import compile_template

    assert is_plain_text(source)
    plain = compile_template(source, set())
    assert plain.code is None
    for markdown in (False, True):
        assert plain.render({}, markdown=markdown) == _by_jinja(source, markdown=markdown)


@pytest.mark.parametrize("source", ["{{ deal }}", "a {% if x %}b{% endif %}", "note {# hidden #}", "{{"])
def test_anything_with_a_tag_goes_to_jinja(source: str) -> None:
    assert not is_plain_text(source)


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: p.stem)
def test_every_plain_template_of_the_bundled_playbooks_renders_as_before(path: Path) -> None:
    compiled = load_playbook(path.read_bytes(), str(path))
    plain = [t for t in compiled.templates.values() if t.code is None]
    assert plain, "the bundled playbooks hold plain-text steps"
    for template in plain:
        for markdown in (False, True):
            assert template.render({}, markdown=markdown) == _by_jinja(template.source, markdown=markdown)


def test_a_suggested_command_is_a_shell_quoted_code_span() -> None:
    from dealrescue.core.sandbox import MARKDOWN, environment

    template = environment().from_string("run {{ ['walkaway', deal] | command }} now")
    for deal, line in [("Tailspin Toys", "dealrescue walkaway 'Tailspin Toys'"),
                       ("O'Brien & Co; rm -rf ~", "dealrescue walkaway 'O'\"'\"'Brien & Co; rm -rf ~'"),
                       ("A `tick`", "dealrescue walkaway 'A `tick`'")]:
        assert template.render(deal=deal) == f"run {line} now"
        token = MARKDOWN.set(True)
        try:
            shown = template.render(deal=deal)
        finally:
            MARKDOWN.reset(token)
        fence = "``" if "`" in deal else "`"
        assert shown == f"run {fence}{line}{fence} now"
