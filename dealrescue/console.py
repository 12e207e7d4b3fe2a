"""The only module that imports rich: showing a plan rendered on a terminal."""

from __future__ import annotations

import sys

from dealrescue.core.mdescape import strip_controls
from dealrescue.terminal import color_allowed


def show_markdown(markdown: str) -> None:
    from rich.console import Console
    from rich.markdown import Markdown

    console = Console(file=sys.stdout, no_color=not color_allowed(), highlight=False, emoji=False)
    console.print(Markdown(strip_controls(markdown), hyperlinks=False))
