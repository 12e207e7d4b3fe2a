"""The only module that imports rich: showing a plan rendered on a terminal."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from dealrescue.core.mdescape import strip_controls
from dealrescue.ui.terminal import color_allowed


def show_markdown(markdown: str, *, pager: bool = False) -> None:
    """Render ``markdown`` on the terminal; with ``pager``, through $PAGER (default ``less``) when it
    is longer than the screen."""
    from rich.console import Console
    from rich.markdown import Markdown

    if not pager or not _is_tty(sys.stdout):
        console = Console(file=sys.stdout, no_color=not color_allowed(), highlight=False, emoji=False)
        console.print(Markdown(strip_controls(markdown), hyperlinks=False))
        return
    import shutil

    size = shutil.get_terminal_size()
    buffer = io.StringIO()
    Console(
        file=buffer, width=size.columns, force_terminal=True, no_color=not color_allowed(), highlight=False, emoji=False
    ).print(Markdown(strip_controls(markdown), hyperlinks=False))
    text = buffer.getvalue()
    if text.count("\n") < size.lines or not _page(text):
        sys.stdout.write(text)
        sys.stdout.flush()


def _is_tty(stream: IO[str]) -> bool:
    try:
        return os.isatty(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return False


def _page(text: str) -> bool:
    """Show ``text`` through $PAGER (``less`` when unset); False when no pager could run."""
    import shlex
    import subprocess

    command = shlex.split(os.environ.get("PAGER") or "less")
    if not command:
        return False
    # less: keep colours, quit at once when the text fits after all, leave it on the screen.
    env = {**os.environ, "LESS": os.environ.get("LESS") or "FRX"}
    if os.path.basename(command[0]) == "less" and not any(flag in env["LESS"] for flag in ("R", "r")):
        command.append("-R")  # the user's own LESS (often "-i") would show the styles as ESC[1m text
    try:
        subprocess.run(command, input=text, text=True, env=env, check=False)
    except OSError:
        return False
    return True


def _console(file: IO[str], *, width: int | None = None, color: bool = True) -> Any:
    from rich.console import Console

    return Console(file=file, width=width, no_color=not (color and color_allowed()), highlight=False, emoji=False)


@contextmanager
def progress_bar(label: str, total: int) -> Iterator[tuple[Callable[[int, int], None], Callable[[str], None]]]:
    """A transient progress bar on stderr: yields ``update(completed, rows)`` and ``say(line)``,
    which prints a line above the bar."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
    from rich.text import Text

    progress = Progress(
        TextColumn(strip_controls(label)),
        BarColumn(),
        TextColumn("{task.fields[rows]:,} rows"),
        TimeRemainingColumn(),
        console=_console(sys.stderr),
        transient=True,
        auto_refresh=False,
    )
    with progress:
        task = progress.add_task("progress", total=total, rows=0)

        def update(completed: int, rows: int) -> None:
            progress.update(task, completed=completed, rows=rows, refresh=True)

        def say(line: str) -> None:
            progress.console.print(Text(strip_controls(line)), soft_wrap=True)

        yield update, say


def show_chart(view: Any) -> None:
    """Under the ranking table: accounts (and amount) per band of the ranking score, as Rich bars."""
    if not view.bands:
        return
    from rich import box
    from rich.bar import Bar
    from rich.table import Table

    from dealrescue.core.render.rank import amount_text

    score = view.compiled.playbook.scores[view.order[0]]
    console = _console(sys.stdout)
    labels = max(len(strip_controls(b.label)) for b in view.bands)
    # The bar gives way first on a narrow terminal, so the bands' labels stay on one line.
    bar = max(8, min(30, console.width - labels - len("Accounts") - (len("Amount") + 3 if view.has_amount else 0) - 10))
    table = Table(box=box.SIMPLE, title=strip_controls(f"{score.title} by band"), title_justify="left")
    table.add_column("Band", no_wrap=True)
    table.add_column("Accounts", justify="right", no_wrap=True)
    table.add_column("", width=bar)
    if view.has_amount:
        table.add_column("Amount", justify="right", no_wrap=True)
    most = max(b.accounts for b in view.bands) or 1
    for band in reversed(view.bands):
        cells: list[Any] = [strip_controls(band.label), str(band.accounts), Bar(most, 0, band.accounts, color="red")]
        if view.has_amount:
            cells.append(amount_text(band.amount))
        table.add_row(*cells)
    console.print(table)
