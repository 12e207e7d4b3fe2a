"""A condition or template is parsed once for the checks and compiled from that same parse when
the budget leaves it alone: compiling must not change the tree, and the names found while
compiling are the ones jinja2.meta finds."""

from pathlib import Path

import pytest
from jinja2 import meta

from dealrescue.core.expressions import _parse_condition, _template_names, environment, parsed
from dealrescue.core.loader import load_playbook

PLAYBOOKS = sorted((Path(__file__).parent.parent / "playbooks").glob("*.yaml"))


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: p.stem)
def test_compiling_leaves_the_checked_tree_as_written(path: Path) -> None:
    compiled = load_playbook(path.read_bytes(), str(path))  # compiles everything
    conditions = {c.source for c in compiled.conditions.values()}
    templates = {t.source for t in compiled.templates.values() if t.code is not None}
    assert conditions and templates
    for source in conditions:
        assert repr(parsed(source, condition=True)) == repr(_parse_condition(source))
    for source in templates:
        assert repr(parsed(source, condition=False)) == repr(environment().parse(source))


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: p.stem)
def test_names_found_while_compiling_are_jinjas(path: Path) -> None:
    compiled = load_playbook(path.read_bytes(), str(path))
    for template in compiled.templates.values():
        if template.code is not None:
            expected = meta.find_undeclared_variables(environment().parse(template.source))
            assert _template_names(template.source) == expected, template.source


@pytest.mark.parametrize(
    "source",
    [
        "{% for r in reasons %}{{ r }} {{ loop.index }}{% endfor %} {{ deal }}",
        "{% set x = deal ~ '!' %}{{ x }} {{ other }}",
        "{% macro m(a) %}{{ a }}{{ b }}{% endmacro %}{{ m(c) }}",
        "{% if gap %}{{ labels.gap }}{% else %}{{ scores.risk }}{% endif %}",
    ],
)
def test_names_of_loops_sets_and_macros(source: str) -> None:
    assert _template_names(source) == meta.find_undeclared_variables(environment().parse(source))
