"""Numbers and dates as people type them: one reader for prompts, --set, answers files and rank's cells."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dealrescue.core.reading import Reading, ReadProblem, read_date, read_number

PLAN = dt.date(2026, 12, 6)  # a Sunday
AT_PLAN = Reading(today=PLAN)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("85000", 85000), ("$85,000", 85000), ("85,000.00", 85000), ("85k", 85000), ("85K", 85000),
        ("1.2M", 1_200_000), ("1.2m", 1_200_000), ("2bn", 2_000_000_000), ("85 000", 85000), ("85\u00a0000", 85000),
        ("USD 85,000", 85000), ("(5,000.00)", -5000), ("EUR 40.000,00", 40000), ("1.234,50 €", 1234.5),
        ("2,5", 2.5), ("-3", -3), ("$1.5k", 1500), ("0.25", 0.25), ("1'000", 1000),
    ],
)
def test_numbers_as_people_type_them(text: str, number: float) -> None:
    assert read_number(text) == number


@pytest.mark.parametrize(("text", "says"), [
    ("40.000", "reads as thousands or as decimals"), ("zero", "is not a number"), ("1,00,0", "is not a number"),
    ("nan", "is not a number"), ("inf", "is not a number"), ("k", "is not a number"), ("", "is not a number"),
])
def test_what_is_not_a_number_says_so(text: str, says: str) -> None:
    with pytest.raises(ReadProblem, match=says):
        read_number(text)


def _forms(value: int) -> list[str]:
    """``value`` written in each accepted form."""
    forms = [str(value), f"{value:,}", f"{value:,}.00", f"${value:,}", f"USD {value:,}", f"{value:,}".replace(",", " "),
             f"EUR {value:,}.00".replace(",", "_").replace(".", ",").replace("_", ".")]
    if value % 1000 == 0:
        forms.append(f"{value // 1000}k")
    if value % 100_000 == 0:
        forms.append(f"{value / 1_000_000:.1f}M")
    return forms


@given(st.integers(min_value=0, max_value=10**12) | st.integers(min_value=0, max_value=10**6).map(lambda n: n * 1000))
def test_a_number_in_every_accepted_form_reads_back(value: int) -> None:
    for form in _forms(value):
        assert read_number(form) == value, form
    assert read_number(f"({value:,}.00)") == -value


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=99))
def test_cents_read_back(units: int, cents: int) -> None:
    value = units + cents / 100
    assert read_number(f"{units:,}.{cents:02d}") == pytest.approx(value)
    assert read_number(f"${units:,}.{cents:02d}") == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-12-15", dt.date(2026, 12, 15)), ("2026-12-15T09:30:00Z", dt.date(2026, 12, 15)),
        ("12/15/2026", dt.date(2026, 12, 15)), ("+9d", dt.date(2026, 12, 15)), ("9d", dt.date(2026, 12, 15)),
        ("2w", dt.date(2026, 12, 20)), ("in 9 days", dt.date(2026, 12, 15)), ("in 2 weeks", dt.date(2026, 12, 20)),
        ("In 1 day", dt.date(2026, 12, 7)), ("tomorrow", dt.date(2026, 12, 7)), ("today", PLAN),
        ("friday", dt.date(2026, 12, 11)), ("Fri", dt.date(2026, 12, 11)), ("sunday", dt.date(2026, 12, 13)),
        ("next monday", dt.date(2026, 12, 7)),
    ],
)
def test_dates_as_people_type_them(text: str, day: dt.date) -> None:
    assert read_date(text, AT_PLAN) == day


def test_day_first_reads_the_other_way() -> None:
    assert read_date("03/04/2027", Reading(dayfirst=True)) == dt.date(2027, 4, 3)
    assert read_date("03.04.2027", Reading(dayfirst=True)) == dt.date(2027, 4, 3)
    assert read_date("03/04/2027") == dt.date(2027, 3, 4)


@pytest.mark.parametrize(("text", "reading", "says"), [
    ("2027-02-30", AT_PLAN, "2027-02-30: February 2027 has 28 days"),
    ("2028-02-30", AT_PLAN, "2028-02-30: February 2028 has 29 days"),
    ("2/30/2027", AT_PLAN, "2/30/2027: February 2027 has 28 days"),
    ("2027-13-01", AT_PLAN, "2027-13-01: there is no month 13"),
    ("15/12/2026", AT_PLAN, "reads only as day first: use --dayfirst"),
    ("12/15/2026", Reading(dayfirst=True), "reads only as month first: drop --dayfirst"),
    ("+9d", Reading(), "needs one here"),
    ("next week sometime", AT_PLAN, "is not a date: use YYYY-MM-DD, 12/15/2026, +9d, 2w, friday"),
])
def test_what_is_not_a_day_says_why(text: str, reading: Reading, says: str) -> None:
    with pytest.raises(ReadProblem) as caught:
        read_date(text, reading)
    assert says in str(caught.value)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(9999, 12, 31)), st.booleans())
def test_a_date_in_every_accepted_form_reads_back(day: dt.date, dayfirst: bool) -> None:
    reading = Reading(today=PLAN, dayfirst=dayfirst)
    numeric = f"{day.day}/{day.month}/{day.year}" if dayfirst else f"{day.month}/{day.day}/{day.year}"
    for form in (day.isoformat(), f"{day.isoformat()}T08:00", numeric, numeric.replace("/", ".")):
        assert read_date(form, reading) == day, form


@given(st.integers(min_value=0, max_value=9999))
def test_relative_days_count_from_the_plan_date(days: int) -> None:
    ahead = PLAN + dt.timedelta(days=days)
    for form in (f"+{days}d", f"{days}d", f"in {days} days", f"{days} days"):
        assert read_date(form, AT_PLAN) == ahead, form


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1)), st.sampled_from(
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]))
def test_a_weekday_is_the_next_one(plan: dt.date, name: str) -> None:
    day = read_date(name, Reading(today=plan))
    assert 1 <= (day - plan).days <= 7
    assert day.strftime("%A").lower() == name
