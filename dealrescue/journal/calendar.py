"""Plan steps, follow-ups and "record the outcome" reminders as an iCalendar file that calendar
apps import (a reminder's id is its run's).

Each item becomes an all-day VEVENT (the kind every calendar app imports) or, on
request, a VTODO. The SUMMARY is short and plain (the deal first, at most about 60
characters, no markdown); the whole text is in the DESCRIPTION; an open item carries a
reminder (VALARM) at 9:00 on its day. UIDs are ``<item-id>@dealrescue``, so importing a
newer file updates the entries already imported instead of adding copies; ``SEQUENCE``
goes up each time an item changes (done, or superseded by a new run of its deal) and
``DTSTAMP`` is the time of the export, so apps take the change. icalendar escapes
commas, semicolons, backslashes and line breaks and folds long lines (RFC 5545); control
characters, which the format does not allow in text, become visible pictures first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Literal, Protocol

from icalendar import Alarm, Calendar, Event, Todo

from dealrescue import __version__
from dealrescue.core.mdescape import strip_controls

Kind = Literal["event", "todo"]

PRODID = f"-//dealrescue//dealrescue {__version__}//EN"
UID_DOMAIN = "dealrescue"
SUMMARY_LIMIT = 60
# Markdown a playbook's text may carry, which a calendar would show as typed.
_MARKUP = re.compile(r"\*\*|__|`|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)")


class Entry(Protocol):
    """What the calendar needs of a step or follow-up (``TodoItem`` and ``FollowupRecord`` fit)."""

    @property
    def id(self) -> str: ...
    @property
    def run_id(self) -> str: ...
    @property
    def deal(self) -> str: ...
    @property
    def playbook_id(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def due(self) -> str: ...
    @property
    def done_at(self) -> str | None: ...


def followup_uid(followup_id: str) -> str:
    return f"{followup_id}@{UID_DOMAIN}"


def _parse_utc(stamp: str) -> datetime:
    # Python 3.10 does not read a trailing "Z".
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC).replace(microsecond=0)


def _plain(text: str) -> str:
    """One line of text without markdown or control characters."""
    return " ".join(_MARKUP.sub("", strip_controls(text)).split())


def summary(deal: str, text: str, *, done: bool = False, limit: int = SUMMARY_LIMIT) -> str:
    """``Acme: Call Dana about the pilot`` cut at a word to at most ``limit`` characters."""
    name = _plain(deal) or "unnamed deal"
    line = f"{name}: {'done: ' if done else ''}{_plain(text)}"
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    if " " in cut[len(name) + 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-") + "…"


def _revision(entry: Entry) -> int:
    return getattr(entry, "revision", None) or (1 if entry.done_at else 0)


def _alarm(title: str, related: str, offset: timedelta) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", title)
    alarm.add("trigger", offset, parameters={"RELATED": related})
    return alarm


def _closing_line(entry: Entry, superseded: bool) -> str:
    """How the entry was closed, or how to close it: a "record the outcome" reminder is ticked off
    by recording the outcome, a step or follow-up by ``todo done``."""
    outcome = getattr(entry, "kind", None) == "outcome"
    if entry.done_at:
        return f"{'Outcome recorded' if outcome else 'Done'}: {entry.done_at[:10]}"
    if superseded and not getattr(entry, "run_replaced", True):
        return "Closed: the outcome is in"  # a step of a run whose outcome was recorded
    if superseded:
        return "Superseded by a newer run of this deal" + (": its outcome goes to that run" if outcome else "")
    if outcome:
        return f"Record it (this ticks it off): dealrescue outcome {entry.run_id} RESULT"
    return f"Mark done: dealrescue todo done {entry.id}"


def items_to_ics(
    entries: Iterable[Entry],
    *,
    kind: Kind = "event",
    now: datetime | None = None,
    name: str = "dealrescue",
    problems: list[str] | None = None,
) -> str:
    """The iCalendar text (CRLF line ends, as RFC 5545 wants) for ``entries``.

    An entry whose stored due date cannot be read (a damaged row) is left out and named in
    ``problems``; the others are written.
    """
    stamp = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    for entry in entries:
        try:
            due = date.fromisoformat(entry.due)
        except (TypeError, ValueError):
            if problems is not None:
                problems.append(f"{entry.id} ({strip_controls(entry.deal)}): its due date {entry.due!r} is damaged in the journal; left out")
            continue
        done = entry.done_at is not None
        superseded = getattr(entry, "superseded_at", None) is not None
        owner = getattr(entry, "owner", None)
        # A reminder's text names the deal again and a command: the title needs neither.
        text = "record the outcome" if getattr(entry, "kind", None) == "outcome" else entry.text
        title = summary(entry.deal, text, done=done and kind == "event")
        description = "\n".join(
            [
                strip_controls(entry.text),
                "",
                f"Deal: {strip_controls(entry.deal)}",
                *([f"Owner: {strip_controls(owner)}"] if owner else []),
                f"Playbook: {entry.playbook_id}",
                f"Run: {entry.run_id} (dealrescue deals show {entry.run_id})",
                _closing_line(entry, superseded),
            ]
        )
        component: Event | Todo
        if kind == "todo":
            component = Todo()
            component.add("due", due)
            component.add("status", "COMPLETED" if done else "CANCELLED" if superseded else "NEEDS-ACTION")
            if entry.done_at:
                component.add("completed", _parse_utc(entry.done_at))
        else:
            component = Event()
            component.add("dtstart", due)
            component.add("dtend", due + timedelta(days=1))
            component.add("transp", "TRANSPARENT")
            component.add("status", "CANCELLED" if superseded else "CONFIRMED")
        component.add("uid", followup_uid(entry.id))
        component.add("dtstamp", stamp)
        component.add("sequence", _revision(entry))
        component.add("summary", title)
        component.add("description", description)
        component.add("categories", ["dealrescue"])
        # Each entry carries the rep's own notes on a customer (a blocker, a champion's name, the
        # rival): a calendar shared with colleagues shows it as busy time, not its text.
        component.add("class", "PRIVATE")
        if not done and not superseded:
            # 9:00 on the day: from the start of an all-day event, 15 hours before a to-do's due midnight.
            in_event = kind == "event"
            component.add_component(_alarm(title, "START" if in_event else "END", timedelta(hours=9 if in_event else -15)))
        cal.add_component(component)
    data: bytes = cal.to_ical()
    return data.decode("utf-8")


def followups_to_ics(
    entries: Iterable[Entry], *, kind: Kind = "event", now: datetime | None = None, problems: list[str] | None = None
) -> str:
    """Follow-ups only (``dealrescue followups --ics``)."""
    return items_to_ics(entries, kind=kind, now=now, name="dealrescue follow-ups", problems=problems)
