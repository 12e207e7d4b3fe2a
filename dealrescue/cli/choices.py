"""The choice types of ``--format`` and ``--ics-kind``, without typer.

Every ``--format`` is one of these Enums: typer checks the value, and a command receives a
member (``.value`` is the name). Plan formats come from the render registry, so a format
registered there is a ``--format`` choice with nothing to change here. No typer import.
"""

import enum

from dealrescue.core.render.registry import PLAN, RANKING

# Functional Enum: its members are the registry's names, whatever they are.
PlanFormat = enum.Enum("PlanFormat", {name: name for name in PLAN.names()}, type=str)  # type: ignore[misc]


class ExportFormat(enum.StrEnum):
    """``deals export``: one run's plan as stored (markdown, json), or every run as csv (``--all``)."""

    markdown = "markdown"
    json = "json"
    csv = "csv"


class TrackFormat(enum.StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class ListFormat(enum.StrEnum):
    table = "table"
    json = "json"


RankFormat = enum.Enum("RankFormat", {name: name for name in RANKING.names()}, type=str)  # type: ignore[misc]


class ReportFormat(enum.StrEnum):
    text = "text"
    json = "json"


class CalendarKind(enum.StrEnum):
    event = "event"
    todo = "todo"
