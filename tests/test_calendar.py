"""The iCalendar export: parsed back with icalendar, stable UIDs, text that survives."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar

from dealrescue.journal import FollowupRecord, Journal
from dealrescue.journal.calendar import PRODID, followup_uid, followups_to_ics
from tests.conftest_journal import home

__all__ = ["home"]  # the autouse fixture that sets DEALRESCUE_HOME for every test here

NOW = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
TRICKY = "Call Ana; re: price, terms\\options — naïve café 🚀 " + "long " * 30


def followup(fid: str, due: str, text: str = "Check back", done_at: str | None = None) -> FollowupRecord:
    return FollowupRecord(
        id=fid, run_id="run234", deal="Acme, Inc.", playbook_id="walkaway", text=text, due=due, done_at=done_at
    )


def parse(text: str, kind: str = "VEVENT") -> tuple[Calendar, list]:  # type: ignore[type-arg]
    cal = Calendar.from_ical(text)
    return cal, list(cal.walk(kind))


def test_each_follow_up_is_an_all_day_event_with_a_stable_uid() -> None:
    items = [followup("abc234", "2024-08-01", TRICKY), followup("xyz789", "2024-05-03", "Send the comparison")]
    text = followups_to_ics(items, now=NOW)
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n"))  # folded as RFC 5545 wants
    cal, events = parse(text)
    assert str(cal["VERSION"]) == "2.0" and str(cal["PRODID"]) == PRODID
    assert [str(e["UID"]) for e in events] == ["abc234@dealrescue", "xyz789@dealrescue"]
    first = events[0]
    assert first.decoded("DTSTART") == date(2024, 8, 1) and not isinstance(first.decoded("DTSTART"), datetime)
    assert first.decoded("DTEND") == date(2024, 8, 2)
    # A short summary, the deal first; the whole text in the description.
    assert str(first["SUMMARY"]) == "Acme, Inc.: Call Ana; re: price, terms\\options — naïve…"
    assert len(str(first["SUMMARY"])) <= 60
    description = str(first["DESCRIPTION"])
    assert description.startswith(TRICKY.rstrip())
    assert "Deal: Acme, Inc." in description and "dealrescue todo done abc234" in description
    assert "run234" in description
    assert first.decoded("DTSTAMP") == NOW
    assert int(first["SEQUENCE"]) == 0


def test_exporting_again_gives_the_same_uids_and_content_but_the_stamp() -> None:
    items = [followup("abc234", "2024-08-01"), followup("xyz789", "2024-05-03")]
    first = followups_to_ics(items, now=NOW)
    second = followups_to_ics(items, now=NOW + timedelta(days=30))
    assert first != second
    assert [str(e["UID"]) for e in parse(first)[1]] == [str(e["UID"]) for e in parse(second)[1]]

    def without_stamp(text: str) -> list[str]:
        return [line for line in text.split("\r\n") if not line.startswith("DTSTAMP")]

    assert without_stamp(first) == without_stamp(second)


def test_a_done_follow_up_raises_the_sequence_so_a_reimport_updates_it() -> None:
    text = followups_to_ics([followup("abc234", "2024-08-01", done_at="2024-07-30T10:00:00.123456Z")], now=NOW)
    (event,) = parse(text)[1]
    assert str(event["UID"]) == followup_uid("abc234")
    assert int(event["SEQUENCE"]) == 1
    assert str(event["SUMMARY"]) == "Acme, Inc.: done: Check back"
    assert not event.walk("VALARM")  # no reminder for what is done


def test_to_dos_carry_due_date_status_and_completion() -> None:
    items = [
        followup("abc234", "2024-08-01", "Open one"),
        followup("xyz789", "2024-05-03", "Closed one", done_at="2024-05-02T08:15:00.500000Z"),
    ]
    cal, todos = parse(followups_to_ics(items, kind="todo", now=NOW), "VTODO")
    assert not cal.walk("VEVENT")
    assert [str(t["UID"]) for t in todos] == ["abc234@dealrescue", "xyz789@dealrescue"]
    assert todos[0].decoded("DUE") == date(2024, 8, 1)
    assert str(todos[0]["STATUS"]) == "NEEDS-ACTION" and "COMPLETED" not in todos[0]
    assert str(todos[1]["STATUS"]) == "COMPLETED"
    assert todos[1].decoded("COMPLETED") == datetime(2024, 5, 2, 8, 15, tzinfo=UTC)
    assert str(todos[1]["SUMMARY"]) == "Acme, Inc.: Closed one"


def test_no_follow_ups_is_still_a_calendar() -> None:
    cal, events = parse(followups_to_ics([], now=NOW))
    assert events == [] and str(cal["VERSION"]) == "2.0"


@pytest.mark.parametrize("kind", ["event", "todo"])
def test_follow_ups_from_the_journal_export_and_parse_back(kind: str) -> None:
    with Journal.open() as j:
        run_id = j.start_run("Straße AG", "walkaway", 2, "bundled", "2024-05-01", {})
        ids = j.finish_run(run_id, "walk", "Walk away", "# plan", "{}", [("Check back in 3 months", "2024-08-01")])
        items = j.list_followups()
    component = "VTODO" if kind == "todo" else "VEVENT"
    (entry,) = parse(followups_to_ics(items, kind=kind, now=NOW), component)[1]  # type: ignore[arg-type]
    assert str(entry["UID"]) == f"{ids[0]}@dealrescue"
    assert "Deal: Straße AG" in str(entry["DESCRIPTION"])
