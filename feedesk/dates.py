"""Dates as officers type them, and Excel's serial numbers. Never reads the clock."""

from __future__ import annotations

import calendar
import datetime
import re
import unicodedata

EXCEL_EPOCH = datetime.date(1899, 12, 30)  # serial 0 in the 1900 date system (Excel's leap-year bug included)
MAX_SERIAL = 2958465  # 9999-12-31
FIRST_YEAR = 1900  # Excel has no dates before 1900: a period before it is a typo


class DateTextError(ValueError):
    """Text that is not a date (`ambiguous` when it could be read two ways)."""

    def __init__(self, text: str, ambiguous: bool = False):
        super().__init__(text)
        self.ambiguous = ambiguous


_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DMY = re.compile(r"^(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{4})$")
_PERIOD = re.compile(r"^(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?|(\d{2}))$")


def normalise_text(text: str) -> str:
    """Full-width digits, letters and spaces to ASCII; strip export padding (tabs, backticks)."""
    text = unicodedata.normalize("NFKC", text)
    return text.strip().strip("`'\t ").strip()


def parse_date_text(text: str) -> datetime.date:
    """Read a date written as text in the forms officers use; refuse what is ambiguous."""
    cleaned = normalise_text(text)
    for pattern in (_YMD, _COMPACT):
        match = pattern.match(cleaned)
        if match:
            return _make(text, int(match[1]), int(match[2]), int(match[3]))
    match = _DMY.match(cleaned)
    if match:
        first, second, year = int(match[1]), int(match[2]), int(match[3])
        if first <= 12 and second <= 12 and first != second:
            raise DateTextError(text, ambiguous=True)
        day, month = (first, second) if first > 12 else (second, first)
        return _make(text, year, month, day)
    raise DateTextError(text)


def _make(text: str, year: int, month: int, day: int) -> datetime.date:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise DateTextError(text) from None


def serial_to_date(serial: float) -> datetime.date:
    return EXCEL_EPOCH + datetime.timedelta(days=int(serial))


def date_to_serial(day: datetime.date) -> int:
    return (day - EXCEL_EPOCH).days


def number_to_date(number: float) -> datetime.date:
    """A number in a date column: 20260301 typed as a number, else an Excel serial."""
    if 19000101 <= number <= 29991231 and float(number).is_integer():
        return parse_date_text(str(int(number)))
    if 1 <= number <= MAX_SERIAL:
        return serial_to_date(number)
    raise DateTextError(str(number))


def parse_period(value: object) -> str:
    """'2026-03' from 2026-03, 2026/3, 2026年3月, 202603 or a date (years 1900 to 9999); ValueError otherwise."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        year, month = value.year, value.month
    else:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        cleaned = normalise_text(str(value))
        match = _PERIOD.match(cleaned)
        if match:
            year, month = int(match[1]), int(match[2] or match[3])
        else:
            try:
                day = parse_date_text(cleaned)
            except DateTextError:
                raise ValueError(str(value)) from None
            year, month = day.year, day.month
    if not 1 <= month <= 12 or not FIRST_YEAR <= year <= 9999:
        raise ValueError(str(value))
    return f"{year:04d}-{month:02d}"


def period_start(period: str) -> datetime.date:
    year, month = period.split("-")
    return datetime.date(int(year), int(month), 1)


def period_end(period: str) -> datetime.date:
    start = period_start(period)
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])  # 9999-12 too


def shift_period(period: str, months: int) -> str:
    start = period_start(period)
    index = start.year * 12 + start.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
