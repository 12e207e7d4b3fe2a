"""Follow-ups as an iCalendar file that calendar apps import.

Each follow-up becomes an all-day VEVENT (the kind every calendar app imports)
or, on request, a VTODO. UIDs are ``<followup-id>@dealrescue``, so importing
a newer file updates the entries already imported instead of adding copies;
``SEQUENCE`` goes up once a follow-up is done so apps take the change.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Literal

from icalendar import Calendar, Event, Todo

from dealrescue import __version__
from dealrescue.core.mdescape import strip_controls

if TYPE_CHECKING:
    from dealrescue.journal.records import FollowupRecord

Kind = Literal["event", "todo"]

PRODID = f"-//dealrescue//dealrescue {__version__}//EN"
UID_DOMAIN = "dealrescue"


def followup_uid(followup_id: str) -> str:
    return f"{followup_id}@{UID_DOMAIN}"


def _parse_utc(stamp: str) -> datetime:
    # Python 3.10 does not read a trailing "Z".
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(timezone.utc).replace(microsecond=0)


def followups_to_ics(
    followups: Iterable[FollowupRecord],
    *,
    kind: Kind = "event",
    now: datetime | None = None,
    problems: list[str] | None = None,
) -> str:
    """The iCalendar text (CRLF line ends, as RFC 5545 wants) for ``followups``.

    A follow-up whose stored due date cannot be read (a damaged row) is left out and named
    in ``problems``; the others are written. Text carries no raw control characters (RFC 5545
    forbids them): they are shown as pictures, like on a terminal.
    """
    stamp = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "dealrescue follow-ups")
    for f in followups:
        try:
            due = date.fromisoformat(f.due)
        except (TypeError, ValueError):
            if problems is not None:
                problems.append(f"follow-up {f.id} ({strip_controls(f.deal)}): its due date {f.due!r} is damaged in the journal; left out")
            continue
        done = f.done_at is not None
        description = "\n".join(
            [
                f"Deal: {f.deal}",
                f"Playbook: {f.playbook_id}",
                f"Run: {f.run_id} (dealrescue deals show {f.run_id})",
                f"Done: {f.done_at[:10]}" if f.done_at else f"Mark done: dealrescue followups done {f.id}",
            ]
        )
        component: Event | Todo
        if kind == "todo":
            component = Todo()
            component.add("due", due)
            component.add("status", "COMPLETED" if done else "NEEDS-ACTION")
            if f.done_at:
                component.add("completed", _parse_utc(f.done_at))
        else:
            component = Event()
            component.add("dtstart", due)
            component.add("dtend", due + timedelta(days=1))
            component.add("transp", "TRANSPARENT")
        component.add("uid", followup_uid(f.id))
        component.add("dtstamp", stamp)
        component.add("sequence", 1 if done else 0)
        text = strip_controls(f.text)
        component.add("summary", f"Done: {text}" if done and kind == "event" else text)
        component.add("description", strip_controls(description))
        component.add("categories", ["dealrescue"])
        cal.add_component(component)
    data: bytes = cal.to_ical()
    return data.decode("utf-8")
