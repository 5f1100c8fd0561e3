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


def parse_bounds(text: str) -> tuple[int, ...]:
    """'0,30,60' -> (0, 30, 60); strictly increasing whole days, else ValueError."""
    parts = [p.strip() for p in str(text).replace("，", ",").split(",") if p.strip()]
    bounds = tuple(int(float(p)) for p in parts)
    if not bounds or list(bounds) != sorted(set(bounds)):
        raise ValueError("bounds must be increasing whole numbers of days")
    return bounds
