"""Excel worksheet functions for aging and late fees (xlwings UDFs).

Why a thin wrapper: days overdue, buckets and late fees are computed by feedesk.aging and
feedesk.latefees, so a cell and the aging / dunning jobs can never disagree. This layer only
turns what Excel passes (None for an empty cell, dates as datetimes or serial numbers, a range
as a list) into calls, and turns bad input into an error text in the cell instead of an
exception dialog.
"""

from __future__ import annotations

import datetime
import math

import xlwings as xw

from feedesk import aging, dates, latefees, money, settings

NOT_A_NUMBER = "#VALUE! 不是数字 / not a number"
BAD_DATE = "#VALUE! 日期无法识别，请写成 2026-03-15 / date not readable, write it as 2026-03-15"
BAD_BOUNDS = ("#VALUE! 账龄分段应为逐级增大的整数天数，如 0,30,60 / "
              "bounds must be increasing whole numbers of days, e.g. 0,30,60")
BAD_LANG = "#VALUE! 语言只能是 zh 或 en / language must be zh or en"
BAD_RATE = "#VALUE! 日费率应为不小于 0 的数，如 0.001 或 0.1% / the daily rate must be a number >= 0, e.g. 0.001 or 0.1%"
BAD_GRACE = "#VALUE! 宽限天数应为不小于 0 的整数 / grace days must be a whole number >= 0"
NEGATIVE = "#VALUE! 最低金额和上限不能为负数 / the minimum and the cap must not be negative"

_ZH = {"zh", "zh-cn", "cn", "中文", "chinese"}
_EN = {"en", "en-us", "en-gb", "english", "英文"}


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _day(value) -> datetime.date:
    """A date cell (datetime / date), an Excel serial number (or 20260301 typed as a number) or
    date text; ValueError / TypeError otherwise."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean is not a date")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError(value)
        return dates.number_to_date(value)
    if isinstance(value, str):
        return dates.parse_date_text(value)
    raise TypeError(type(value).__name__)


def _two_days(due_date, as_of):
    """(due, as_of) as dates, '' when a cell is empty, or the error text."""
    if _blank(due_date) or _blank(as_of):
        return ""
    try:
        return _day(due_date), _day(as_of)
    except (TypeError, ValueError):
        return BAD_DATE


def _flatten(values) -> list:
    if values is None:
        return []
    if not isinstance(values, (list, tuple)):
        return [values]
    flat = []
    for value in values:
        flat.extend(_flatten(value))
    return [v for v in flat if not _blank(v)]


def _bounds(value) -> tuple[int, ...]:
    """Bucket bounds from a range of numbers or text '0,30,60'; the setting's default when blank."""
    cells = _flatten(value)
    if not cells:
        return tuple(settings.DEFAULT_AGING_BOUNDS)
    parts = []
    for cell in cells:
        if isinstance(cell, bool):
            raise ValueError("a boolean is not a bound")
        if isinstance(cell, (int, float)):
            if not (math.isfinite(cell) and float(cell).is_integer()):
                raise ValueError(cell)
            parts.append(str(int(cell)))
        else:
            text = dates.normalise_text(str(cell)).replace("，", ",")
            for piece in (p.strip() for p in text.split(",") if p.strip()):
                number = money.to_decimal(piece)
                if number != number.to_integral_value():
                    raise ValueError(piece)
                parts.append(str(int(number)))
    bounds = settings.parse_bounds(",".join(parts))
    if bounds[0] < 0:
        raise ValueError("bounds must not be negative")
    return bounds


def _lang(value) -> str | None:
    if _blank(value):
        return "zh"
    text = str(value).strip().lower()
    return "zh" if text in _ZH else "en" if text in _EN else None


@xw.func
@xw.arg("due_date", doc="到期日（日期或日期序列号） / the due date (a date or an Excel serial number)")
@xw.arg("as_of", doc="截至日期，如控制台的截止日期 / the as-of date, e.g. the Control sheet's as-of date")
@xw.ret(doc="逾期天数，未到期为 0 / days past due, 0 if not yet due")
def FD_DAYS_OVERDUE(due_date, as_of):
    """逾期天数：截至日期比到期日晚几天（未到期为 0），与账龄作业相同。例：到期 2026-01-31，截至 2026-03-02 -> 30。
    Days past due on the as-of date (0 if not yet due), as the aging job counts them. E.g. due 2026-01-31, as of
    2026-03-02 -> 30."""
    days = _two_days(due_date, as_of)
    if not isinstance(days, tuple):
        return days
    return aging.days_overdue(*days)


@xw.func
@xw.arg("due_date", doc="到期日 / the due date")
@xw.arg("as_of", doc="截至日期 / the as-of date")
@xw.arg("bounds", doc="账龄分段上限（天），一行或一列单元格或文字 0,30,60；留空用默认 0,30,60,90,180,365 / "
                      "upper bounds of the buckets in days: cells or text 0,30,60; blank: 0,30,60,90,180,365")
@xw.arg("lang", doc="标签语言 zh（默认）或 en / label language, zh (default) or en")
@xw.ret(doc="账龄段名称，如 1-30天 / the bucket label, e.g. 31-60")
def FD_AGE_BUCKET(due_date, as_of, bounds=None, lang="zh"):
    """账龄段：按逾期天数和分段上限给出账龄段名称，与账龄分析表相同。例：逾期 45 天，分段 0,30,60 -> 31-60天。
    The aging bucket of a bill from its days past due and the bucket bounds, as in the aging report. E.g. 45 days
    past due with bounds 0,30,60 -> 31-60."""
    days = _two_days(due_date, as_of)
    if not isinstance(days, tuple):
        return days
    chosen = _lang(lang)
    if chosen is None:
        return BAD_LANG
    try:
        upper = _bounds(bounds)
    except (TypeError, ValueError):
        return BAD_BOUNDS
    overdue = aging.days_overdue(*days)
    return aging.bucket_labels(upper, chosen)[int(aging.bucket_index([overdue], upper)[0])]


@xw.func
@xw.arg("principal", doc="欠费本金（元） / the amount overdue in yuan")
@xw.arg("due_date", doc="到期日 / the due date")
@xw.arg("end_date", doc="缴费日期，未缴则填截至日期 / the payment date, or the as-of date while unpaid")
@xw.arg("daily_rate", doc="日费率，如 0.001 或 0.1% / the daily rate, e.g. 0.001 or 0.1%")
@xw.arg("grace_days", doc="宽限天数（默认 0）：逾期不超过这些天不收，超过则从到期次日起全额计 / "
                          "grace days (default 0): none within them, beyond them every day from the due date counts")
@xw.arg("minimum", doc="最低金额（元，默认 0） / the minimum fee in yuan (default 0)")
@xw.arg("cap", doc="上限，占本金的比例，1 即不超过本金（留空不封顶） / the cap as a ratio of the principal, 1 = the "
                   "principal (blank: no cap)")
@xw.ret(doc="滞纳金（元） / the late fee in yuan")
def FD_LATE_FEE(principal, due_date, end_date, daily_rate, grace_days=0, minimum=0, cap=None):
    """滞纳金（元）：本金 × 日费率 × 逾期天数（从到期次日算到缴费日，含当天），单利，四舍五入到分；
    宽限期内不收，不足最低金额按最低金额，不超过上限。例：本金 1,000.00，到期 2026-01-31，2026-03-02 缴费，
    日费率 0.001 -> 30 天 -> 30.00。
    The late fee in yuan: principal x daily rate x days late (from the day after the due date to the payment date,
    inclusive), simple interest rounded half-up to the fen; none within the grace days, at least the minimum, at
    most the cap. E.g. 1,000.00 due 2026-01-31, paid 2026-03-02, at 0.001 a day -> 30 days -> 30.00."""
    if _blank(principal) or _blank(daily_rate):
        return ""
    days = _two_days(due_date, end_date)
    if not isinstance(days, tuple):
        return days
    try:
        principal_fen = money.yuan_to_fen(principal)
        minimum_fen = 0 if _blank(minimum) else money.yuan_to_fen(minimum)
    except (TypeError, ValueError):
        return NOT_A_NUMBER
    if minimum_fen < 0:
        return NEGATIVE
    try:
        rate = latefees.parse_rate(daily_rate)
    except (TypeError, ValueError):
        return BAD_RATE
    try:
        ratio = None if _blank(cap) else latefees.parse_rate(cap)
    except (TypeError, ValueError):
        return NEGATIVE if _negative(cap) else NOT_A_NUMBER
    try:
        grace = 0 if _blank(grace_days) else _whole_days(grace_days)
    except (TypeError, ValueError):
        return BAD_GRACE
    try:
        fee = latefees.late_fee(principal_fen, days[0], days[1], rate, grace, minimum_fen, ratio)
    except (TypeError, ValueError):
        return BAD_RATE
    return money.fen_to_float(fee)


def _whole_days(value) -> int:
    """Grace days: a whole number >= 0 (10.0 from a cell, or the text '10')."""
    number = money.to_decimal(value)
    if number < 0 or number != number.to_integral_value():
        raise ValueError(value)
    return int(number)


def _negative(value) -> bool:
    try:
        return money.to_decimal(str(value).rstrip("%‰") if isinstance(value, str) else value) < 0
    except (TypeError, ValueError):
        return False
