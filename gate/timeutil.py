"""Times as the CCE API and the waiver files write them.

Times are compared as :class:`Instant`s: whole seconds since 1970-01-01T00:00:00Z as an int plus
the fraction's decimal digits, exactly as written. ``datetime`` keeps microseconds only (3.11
drops the rest of ``.648388123``) and overflows at the ends of its range (``9999-12-31`` plus a
day, or year 1 at ``+01:00``); an Instant does neither, so two times are never called equal when
they are not, and no date a person can write crashes a comparison.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from fractions import Fraction
from typing import NamedTuple

# RFC 3339 date-time (upper or lower case T and Z, or a space, as the response schema allows)
_TIMESTAMP = re.compile(
    r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.(\d+))?(?:[Zz]|[+-]\d\d:(\d\d))", re.ASCII
)
_DAY = re.compile(r"(\d{4})-(\d\d)-(\d\d)", re.ASCII)
_EPOCH_DAY = date(1970, 1, 1).toordinal()
_SECONDS_PER_DAY = 86_400
# How far a time may lie after now and still count as now: clocks of the API's hosts and of the
# CI runner differ a little. Beyond it a creation time is refused, and withinHours fails.
CLOCK_SKEW_SECONDS = 300


class Instant(NamedTuple):
    """A moment on the UTC time line, exact to any number of fractional digits.

    ``digits`` are the fraction's decimal digits without trailing zeros ("5" for .50): compared
    as strings they order exactly as the fractions do, and cost far less than a Fraction. A
    tuple, so that building and comparing one stays cheap for 100,000 tasks.
    """

    seconds: int
    digits: str = ""

    @classmethod
    def of(cls, moment: datetime, digits: str | None = None) -> Instant:
        """The instant of an aware datetime (arithmetic on ordinals: no overflow near year 1);
        ``digits`` replace its microseconds when the text had more."""
        offset = moment.utcoffset()
        assert offset is not None, "gate only handles times with an offset"
        local = _seconds(moment.date(), moment.hour, moment.minute, moment.second)
        if digits is None:
            digits = f"{moment.microsecond:06d}".rstrip("0")
        return cls(local - offset.days * _SECONDS_PER_DAY - offset.seconds, digits)

    def plus(self, seconds: int) -> Instant:
        return Instant(self.seconds + seconds, self.digits)

    def isoformat(self) -> str:
        """``2025-08-05T09:10:44.648388123Z``: UTC, with as many fraction digits as it has."""
        days, rest = divmod(self.seconds, _SECONDS_PER_DAY)
        try:
            day = date.fromordinal(days + _EPOCH_DAY)
        except (ValueError, OverflowError):  # only reachable from a time at the calendar's ends
            return f"{self.seconds} s after 1970-01-01T00:00:00Z"
        text = f"{day.isoformat()}T{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}"
        return text + (f".{self.digits}Z" if self.digits else "Z")

    def hours_after(self, earlier: Instant) -> Fraction:
        """How many hours ``earlier`` lies before this instant (negative if it lies after)."""
        return (self.seconds - earlier.seconds + self.fraction - earlier.fraction) / 3600

    @property
    def fraction(self) -> Fraction:
        return Fraction(int(self.digits), 10 ** len(self.digits)) if self.digits else Fraction(0)


def _seconds(day: date, hour: int, minute: int, second: int) -> int:
    return (day.toordinal() - _EPOCH_DAY) * _SECONDS_PER_DAY + hour * 3600 + minute * 60 + second


def parse_instant(text: str) -> Instant | None:
    """An RFC 3339 time with an offset, or None when it is not one (a naive time is not one)."""
    parsed = _parse(text)
    if parsed is None:
        return None
    moment, digits = parsed
    return Instant.of(moment, digits)


def parse_timestamp(text: str) -> datetime | None:
    """The same times as :func:`parse_instant`, as a datetime (fraction cut to microseconds)."""
    parsed = _parse(text)
    return None if parsed is None else parsed[0]


def _parse(text: str) -> tuple[datetime, str] | None:
    """(the time as a datetime, its fraction digits): the pattern decides the form,
    ``fromisoformat`` (fast, in C) the calendar and the ranges."""
    match = _TIMESTAMP.fullmatch(text)
    # fromisoformat reads "+22:60" as 23 hours; RFC 3339 has no minute 60
    if match is None or (match.group(2) or "0") > "59":
        return None
    try:
        # 3.11 reads "T" and "Z" only in upper case; RFC 3339 allows both
        return datetime.fromisoformat(text.upper()), (match.group(1) or "").rstrip("0")
    except ValueError:
        return None


def _date(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse_expiry(text: str) -> Instant | None:
    """A waiver's ``expires``: the end of a date (valid through that whole day, UTC), or an
    RFC 3339 time; None when it is neither."""
    match = _DAY.fullmatch(text)
    if match is None:
        return parse_instant(text)
    day = _date(*match.groups())
    if day is None:
        return None
    return Instant(_seconds(day, 0, 0, 0) + _SECONDS_PER_DAY)


def utc_now() -> datetime:
    return datetime.now(UTC)
