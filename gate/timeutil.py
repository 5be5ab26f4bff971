"""Times as the CCE API and the waiver files write them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta


def parse_timestamp(text: str) -> datetime | None:
    """An RFC 3339 time with an offset, or None when it is not one (a naive time is not one)."""
    try:
        # 3.11 reads "T" and "Z" only in upper case; RFC 3339 allows both
        moment = datetime.fromisoformat(text.upper())
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment


def parse_expiry(text: str) -> datetime | None:
    """A waiver's ``expires``: a date (valid through that whole day, UTC) or an RFC 3339 time."""
    if len(text) == 10:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None
        return datetime.combine(day, time(0), tzinfo=UTC) + timedelta(days=1)
    return parse_timestamp(text)


def utc_now() -> datetime:
    return datetime.now(UTC)
