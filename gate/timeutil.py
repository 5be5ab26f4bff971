"""Times as the CCE API and the waiver files write them.

Times are compared as :class:`Instant`s: whole seconds since 1970-01-01T00:00:00Z as an int plus
the fraction as an exact rational. ``datetime`` keeps microseconds only (3.11 drops the rest of
``.648388123``) and overflows at the ends of its range (``9999-12-31`` plus a day, or year 1 at
``+01:00``); an Instant does neither, so two times are never called equal when they are not, and
no date a person can write crashes a comparison.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from fractions import Fraction

# RFC 3339 date-time (upper or lower case T and Z, or a space, as the response schema allows)
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:([Zz])|([+-])(\d\d):(\d\d))",
    re.ASCII,
)
_DAY = re.compile(r"(\d{4})-(\d\d)-(\d\d)", re.ASCII)
_EPOCH_DAY = date(1970, 1, 1).toordinal()
_SECONDS_PER_DAY = 86_400
# How far a time may lie after now and still count as now: clocks of the API's hosts and of the
# CI runner differ a little. Beyond it a creation time is refused, and withinHours fails.
CLOCK_SKEW_SECONDS = 300


@dataclass(frozen=True, order=True, slots=True)
class Instant:
    """A moment on the UTC time line, exact to any number of fractional digits."""

    seconds: int
    fraction: Fraction = Fraction(0)

    @classmethod
    def of(cls, moment: datetime) -> Instant:
        """The instant of an aware datetime (arithmetic on ordinals: no overflow near year 1)."""
        offset = moment.utcoffset()
        assert offset is not None, "gate only handles times with an offset"
        local = _seconds(moment.date(), moment.hour, moment.minute, moment.second)
        return cls(local - int(offset.total_seconds()), Fraction(moment.microsecond, 1_000_000))

    def plus(self, seconds: int) -> Instant:
        return Instant(self.seconds + seconds, self.fraction)

    def isoformat(self) -> str:
        """``2025-08-05T09:10:44.648388123Z``: UTC, with as many fraction digits as it has."""
        days, rest = divmod(self.seconds, _SECONDS_PER_DAY)
        try:
            day = date.fromordinal(days + _EPOCH_DAY)
        except (ValueError, OverflowError):  # only reachable from a time at the calendar's ends
            return f"{self.seconds} s after 1970-01-01T00:00:00Z"
        text = f"{day.isoformat()}T{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}"
        for digits in range(1, 13) if self.fraction else ():
            scaled = self.fraction * 10**digits
            if scaled.denominator == 1:
                text += f".{int(scaled):0{digits}d}"
                break
        return text + "Z"

    def hours_after(self, earlier: Instant) -> Fraction:
        """How many hours ``earlier`` lies before this instant (negative if it lies after)."""
        return (self.seconds - earlier.seconds + self.fraction - earlier.fraction) / 3600


def _seconds(day: date, hour: int, minute: int, second: int) -> int:
    return (day.toordinal() - _EPOCH_DAY) * _SECONDS_PER_DAY + hour * 3600 + minute * 60 + second


def parse_instant(text: str) -> Instant | None:
    """An RFC 3339 time with an offset, or None when it is not one (a naive time is not one)."""
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    year, month, mday, hour, minute, second, digits, zulu, sign, off_h, off_m = match.groups()
    day = _date(year, month, mday)
    if day is None or int(hour) > 23 or int(minute) > 59 or int(second) > 59:
        return None
    offset = 0
    if not zulu:
        if int(off_h) > 23 or int(off_m) > 59:
            return None
        offset = (int(off_h) * 3600 + int(off_m) * 60) * (1 if sign == "+" else -1)
    fraction = Fraction(int(digits), 10 ** len(digits)) if digits else Fraction(0)
    local = _seconds(day, int(hour), int(minute), int(second))
    return Instant(local - offset, fraction)


def _date(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse_timestamp(text: str) -> datetime | None:
    """The same times as :func:`parse_instant`, as a datetime (fraction cut to microseconds)."""
    if parse_instant(text) is None:
        return None
    match = _TIMESTAMP.fullmatch(text)
    assert match is not None
    year, month, mday, hour, minute, second, digits, zulu, sign, off_h, off_m = match.groups()
    offset = timedelta(hours=int(off_h or 0), minutes=int(off_m or 0))
    return datetime(
        int(year),
        int(month),
        int(mday),
        int(hour),
        int(minute),
        int(second),
        int((digits or "0")[:6].ljust(6, "0")),
        tzinfo=UTC if zulu else timezone(-offset if sign == "-" else offset),
    )


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
