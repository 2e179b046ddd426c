"""db/base.py: `as_utc`, the one rule for "make this datetime UTC"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from db.base import as_utc


def test_a_naive_time_is_taken_as_utc_wall_clock() -> None:
    # SQLite gives stored UTC back without a zone: the wall clock stays, the zone is attached.
    assert as_utc(datetime(2027, 1, 4, 9, 30)) == datetime(2027, 1, 4, 9, 30, tzinfo=UTC)
    assert as_utc(datetime(2027, 1, 4, 9, 30)).tzinfo is UTC


def test_an_aware_time_keeps_its_instant_and_gets_the_utc_offset() -> None:
    berlin_summer = datetime(2027, 6, 1, 9, 0, tzinfo=timezone(timedelta(hours=2)))
    converted = as_utc(berlin_summer)
    assert converted == berlin_summer  # same instant
    assert (converted.hour, converted.tzinfo) == (7, UTC)  # not 09:00 UTC, which replace gives
    assert converted.isoformat() == "2027-06-01T07:00:00+00:00"


def test_an_aware_utc_time_is_unchanged() -> None:
    moment = datetime(2027, 1, 4, 9, 30, 15, 123456, tzinfo=UTC)
    assert as_utc(moment) == moment
    assert as_utc(moment).isoformat() == moment.isoformat()
