"""The run settings every job receives: the as-of date and period come from here, never the clock."""

from __future__ import annotations

import dataclasses
import datetime

DEFAULT_AGING_BOUNDS = (0, 30, 60, 90, 180, 365)


@dataclasses.dataclass(frozen=True)
class Settings:
    as_of: datetime.date | None = None
    period: str | None = None  # 'YYYY-MM'
    language: str = "zh"
    currency: str = "CNY"
    company_name: str = ""
    company_address: str = ""
    contact_person: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    payment_due_days: int = 15
    aging_basis: str = "due"
    aging_bounds: tuple[int, ...] = DEFAULT_AGING_BOUNDS
    match_tolerance: int = 5  # fen
    notice_rate: float = 0.1  # a bill rising more than this gets a price-change notice
    import_file: str = ""  # the statement an import button picked
    match_window_days: int = 120
    name_threshold: float = 90.0
    reference_pattern: str = r"[A-Z]{1,3}\d{5,}"
    match_passes: str = ""  # blank: every pass in the default order
    stale_days: int = 30
    gl_account: str = "1122"
    letters_folder: str = ""
    send_mail: bool = False
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    mail_from: str = ""

    @property
    def lang(self) -> str:
        return self.language


# Settings key in the workbook -> field name here.
FIELDS = {
    "AsOfDate": "as_of",
    "Period": "period",
    "Language": "language",
    "Currency": "currency",
    "CompanyName": "company_name",
    "CompanyAddress": "company_address",
    "ContactPerson": "contact_person",
    "ContactPhone": "contact_phone",
    "ContactEmail": "contact_email",
    "PaymentDueDays": "payment_due_days",
    "AgingBasis": "aging_basis",
    "AgingBounds": "aging_bounds",
    "MatchTolerance": "match_tolerance",
    "NoticeRate": "notice_rate",
    "ImportFile": "import_file",
    "MatchWindowDays": "match_window_days",
    "NameThreshold": "name_threshold",
    "ReferencePattern": "reference_pattern",
    "MatchPasses": "match_passes",
    "StaleDays": "stale_days",
    "GLAccount": "gl_account",
    "LettersFolder": "letters_folder",
    "SendMail": "send_mail",
    "SmtpHost": "smtp_host",
    "SmtpPort": "smtp_port",
    "SmtpUser": "smtp_user",
    "MailFrom": "mail_from",
}


MAX_DAYS = 36500  # a hundred years: beyond this a number of days is a typo (and dates overflow)


def parse_bounds(text: str) -> tuple[int, ...]:
    """'0,30,60' -> (0, 30, 60); strictly increasing whole days from 0 to MAX_DAYS, else ValueError."""
    parts = [p.strip() for p in str(text).replace("，", ",").split(",") if p.strip()]
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise ValueError("bounds must be increasing whole numbers of days") from None
    if not all(0 <= n <= MAX_DAYS and n.is_integer() for n in numbers):
        raise ValueError(f"bounds must be whole numbers of days from 0 to {MAX_DAYS}")
    bounds = tuple(int(n) for n in numbers)
    if not bounds or list(bounds) != sorted(set(bounds)):
        raise ValueError("bounds must be increasing whole numbers of days")
    return bounds


# What a setting may hold besides its type: (lowest, highest). The workbook's typing checks the
# type; a job checks the settings it uses against these before computing with them.
LIMITS: dict[str, tuple[object, object]] = {
    "AsOfDate": (datetime.date(1900, 1, 1), datetime.date(9999, 12, 31)),  # the dates Excel has
    "Period": ("1900-01", "9999-12"),
    "PaymentDueDays": (0, 3650),
    "MatchTolerance": (0, 10 ** 15),  # fen
    "MatchWindowDays": (0, MAX_DAYS),
    "NameThreshold": (0, 100),
    "StaleDays": (0, MAX_DAYS),
    "NoticeRate": (-1.0, 100.0),
    "SmtpPort": (1, 65535),
}


def out_of_range(record: Settings, keys) -> list[tuple[str, object, object, object]]:
    """(key, value, lowest, highest) for each of `keys` whose value lies outside its LIMITS
    (NaN counts as outside); blank settings are not checked here."""
    found = []
    for key in keys:
        if key not in LIMITS:
            continue
        value = getattr(record, FIELDS[key])
        if value is None or value == "":
            continue
        low, high = LIMITS[key]
        if not low <= value <= high:  # False for NaN too
            found.append((key, value, low, high))
    return found
