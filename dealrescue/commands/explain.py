"""Print why a run gave its verdict (``--explain`` and failing ``playbooks test`` cases)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dealrescue.ui import terminal

if TYPE_CHECKING:
    from dealrescue.core.loader import CompiledPlaybook


def print_explanation(compiled: CompiledPlaybook, answers: Mapping[str, Any], deal: str, today: str, indent: str = "") -> None:
    """Each score point by point and each verdict rule in order, to stderr."""
    from dealrescue.core.explain import explain
    from dealrescue.core.mdescape import strip_controls

    for line in explain(compiled, answers, deal, today).lines():
        terminal.notice(indent + strip_controls(line))
