"""Format registries: a format name -> the function that renders it.

A renderer is registered as ``"module:function"`` and imported the first time it is used,
so the names are known without importing any renderer: the CLI offers them as ``--format``
choices on the ``dealrescue --help`` start-up path, which must stay light.

To add a plan format (say HTML), write ``to_html(plan) -> str`` and add one entry to
``PLAN``; ``run``, ``resume`` and the ``--format`` choices take it from here.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any


class Renderers:
    """Renderers of one kind of result (a plan, a ranking), by format name, in the order given."""

    def __init__(self, what: str, entries: dict[str, str]) -> None:
        self.what = what
        self._entries = dict(entries)

    def names(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def get(self, name: str) -> Callable[[Any], str]:
        """The renderer of ``name``; a KeyError names the formats there are."""
        try:
            module, _, function = self._entries[name].partition(":")
        except KeyError:
            raise KeyError(f"no {self.what} format {name!r}; there are: {', '.join(self._entries)}") from None
        renderer: Callable[[Any], str] = getattr(import_module(module), function)
        return renderer

    def render(self, name: str, value: Any) -> str:
        return self.get(name)(value)


PLAN = Renderers(
    "plan",
    {
        "markdown": "dealrescue.core.render.plan:to_markdown",
        "json": "dealrescue.core.render.plan:to_json",
    },
)
"""Plan formats: ``run``/``resume --format`` and what ``render.plan.render(name, plan)`` accepts."""

RANKING = Renderers(
    "ranking",
    {
        "table": "dealrescue.core.render.ranktable:render_table",
        "csv": "dealrescue.core.render.rank:render_csv",
        "json": "dealrescue.core.render.rank:render_json",
        "html": "dealrescue.core.render.ranktable:render_html",
    },
)
"""Ranking formats, the one list: ``rank --format`` choices and the renderer each names (each
returns the text in chunks, see ``render.rank``)."""
