"""Late fees (滞纳金): simple interest on what is paid late, as the desk computes it.

The rule an officer can check by hand:

* the fee is principal x daily rate x days, never compounded, rounded half-up to the fen once
  per bill (exact arithmetic throughout: no float ever touches the money);
* days run from the day after the due date to the end date inclusive (the payment date, or the
  as-of date for what is still open): due 2026-01-31, paid 2026-03-02 -> 30 days, and
  1,000.00 at 0.001 a day -> 30.00;
* grace days waive, they do not shift: 9 days late with 10 grace days -> no fee, 11 days late
  -> the full 11 days;
* days in the end date's calendar year go at the daily rate ("this year"), days in earlier
  calendar years at the earlier-years rate (the daily rate when that is blank);
* a fee above 0 but below the minimum becomes the minimum; then the cap (a ratio of the
  principal, 1 = the principal) limits it;
* a partly paid bill is a set of portions: each payment after the due date is a portion that ran
  until it was paid, what is still open at the end date runs to the end date, and payments on or
  before the due date only lower the principal. Each portion is charged with its own days and
  year split (a portion whose days are within the grace days adds nothing); the minimum and the
  cap (of the principal at the due date) apply to the bill's total.

Pure functions: no clock (the as-of date is a parameter), no workbook imports.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import numbers
import operator
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from feedesk import aging, dates, money, problems

__all__ = [
    "RATE_PLACES",
    "Rule",
    "LATE_FEE_HEADERS",
    "parse_rate",
    "late_fee",
    "rules_from_table",
    "rule_for",
    "bill_late_fees",
]

RATE_PLACES = 8  # daily rates (and cap ratios) are kept to 8 decimals: integers in units of 1e-8
RATE_SCALE = 10**RATE_PLACES
_HALF_SCALE = RATE_SCALE // 2
# Sums of int64 products must stay below this; beyond it the bill is computed with Python ints.
_SAFE = float(2**61)
# Scalar rates with more decimals than this are refused (exactness would cost unbounded memory).
_MAX_SCALAR_PLACES = 60

# Column headers of the LateFeeRules table as the officer sees them (zh, en), for the text of
# messages; the core does not import the workbook layout. A Problem's `column` is the column key
# (e.g. "DailyRate"); the job turns it into the header of the workbook's language.
LATE_FEE_HEADERS: dict[str, tuple[str, str]] = {
    "RuleID": ("规则编号", "Rule ID"),
    "CustomerType": ("客户类别", "Customer type"),
    "FeeItem": ("费用项目", "Fee item"),
    "DailyRate": ("日费率（当年）", "Daily rate (this year)"),
    "EarlierDailyRate": ("日费率（往年）", "Daily rate (earlier years)"),
    "GraceDays": ("宽限天数", "Grace days"),
    "Minimum": ("最低金额", "Minimum"),
    "CapRatio": ("上限（占本金）", "Cap (of principal)"),
}

# Reasons for the catalogue's "late_fee_rate" message: (zh, en).
_RATE_REASONS = {
    "negative": ("不能为负数", "it is negative"),
    "precision": (f"小数超过 {RATE_PLACES} 位（日费率最多保留 {RATE_PLACES} 位小数）",
                  f"it has more than {RATE_PLACES} decimals (daily rates are kept to {RATE_PLACES} decimals)"),
    "too_high": ("每日 100% 或以上，应是输入错误（每日千分之五请填 0.005 或 0.5%）",
                 "100 % a day or more must be a typo (5 per mille a day is 0.005 or 0.5%)"),
    "not_a_number": ("不是数字", "it is not a number"),
    "too_large": ("数值过大", "it is far too large"),
}
# Bounds beyond which a rule's value can only be a typing error (and would overflow the maths).
MAX_GRACE_DAYS = 36_500
MAX_MINIMUM_FEN = 10**15  # 10 trillion yuan, the tables' own cap on an amount
MAX_CAP_RATIO = Decimal(1000)  # a late fee up to 1,000 times the principal
# Other columns of a rule (grace days, minimum, cap): a problem code of this module's own.
RULE_VALUE_CODE = "late_fee_rule"
_VALUE_REASONS = {
    "negative": ("不能为负数", "it must not be negative"),
    "not_whole": ("应为整数天", "it must be a whole number of days"),
    "precision": (f"小数超过 {RATE_PLACES} 位", f"it has more than {RATE_PLACES} decimals"),
    "not_a_number": ("不是数字", "it is not a number"),
    "too_large": ("数值过大", "it is far too large"),
}
# Bounds beyond which a rule's value can only be a typing error (and would overflow the maths).
MAX_GRACE_DAYS = 36_500
MAX_MINIMUM_FEN = 10**15  # 10 trillion yuan, the tables' own cap on an amount
MAX_CAP_RATIO = Decimal(1000)  # a late fee up to 1,000 times the principal


# ---------------------------------------------------------------------------------------------
# Rates, dates and the scalar fee
# ---------------------------------------------------------------------------------------------

def parse_rate(value) -> Decimal:
    """A daily rate (or a ratio) read exactly: Decimal, int, float (through its shortest repr,
    like money.to_decimal) or text, which may end in % or ‰ ('0.1%' -> 0.001). Negative rates
    and anything not a number raise ValueError / TypeError."""
    if isinstance(value, str):
        text = dates.normalise_text(value)
        divisor = 1
        if text.endswith("%"):
            text, divisor = text[:-1], 100
        elif text.endswith("‰"):
            text, divisor = text[:-1], 1000
        rate = money.to_decimal(text)
        if divisor != 1:
            rate = _shift(rate, -2 if divisor == 100 else -3)
    else:
        rate = money.to_decimal(value)
    if rate < 0:
        raise ValueError(f"a rate must not be negative: {value!r}")
    return Decimal(0) if rate.is_zero() else rate  # -0 -> 0


def _shift(value: Decimal, places: int) -> Decimal:
    """value x 10**places, exactly (Decimal.scaleb would round to the thread context's precision)."""
    sign, digits, exponent = value.as_tuple()
    return Decimal((sign, digits, exponent + places))


def _decimal_places(value: Decimal) -> int:
    """Decimals needed to write `value` exactly (0.00100 -> 3, 1E+1 -> 0)."""
    _sign, digits, exponent = value.as_tuple()
    significant = "".join(map(str, digits)).rstrip("0")
    if not significant:
        return 0
    return max(0, -(exponent + len(digits) - len(significant)))


def _as_day(value) -> datetime.date:
    """A date from a date, a datetime / pandas Timestamp, a numpy datetime64 or date text."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            raise ValueError("a date is missing (NaT)")
        return pd.Timestamp(value).date()
    if isinstance(value, str):
        return dates.parse_date_text(value)
    raise TypeError(f"expected a date, got {type(value).__name__}: {value!r}")


def _whole(value, what: str) -> int:
    """A non-negative whole number (grace days, fen); floats like 10.0 are accepted."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{what} must be a whole number, got a boolean")
    if isinstance(value, numbers.Integral):
        number = operator.index(value)
    elif isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer():
        number = int(value)
    elif isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        number = int(value)
    else:
        raise ValueError(f"{what} must be a whole number, got {value!r}")
    if number < 0:
        raise ValueError(f"{what} must not be negative, got {value!r}")
    return number


def _split_days(due: datetime.date, end: datetime.date) -> tuple[int, int]:
    """(days in the end date's year, days in earlier years) of the days due+1 .. end."""
    total = max(0, (end - due).days)
    year_before = datetime.date(end.year - 1, 12, 31) if end.year > 1 else datetime.date.min
    this_year = min(total, max(0, (end - max(due, year_before)).days))
    return this_year, total - this_year


def _half_up(value: Fraction) -> int:
    """Round a non-negative exact fraction half-up to an integer (negatives: away from zero)."""
    if value < 0:
        return -_half_up(-value)
    return math.floor(value + Fraction(1, 2))


def _exact(rate: Decimal) -> Fraction:
    if _decimal_places(rate) > _MAX_SCALAR_PLACES:
        raise ValueError(f"a rate with more than {_MAX_SCALAR_PLACES} decimals is not a rate: {rate}")
    return Fraction(rate)


def _floor_and_cap(fee: int, minimum_fen: int, cap_fen: int | None) -> int:
    """The minimum (for a fee above 0), then the cap."""
    if 0 < fee < minimum_fen:
        fee = minimum_fen
    if cap_fen is not None:
        fee = min(fee, max(cap_fen, 0))
    return max(fee, 0)


def late_fee(principal_fen: int, due_date: datetime.date, end_date: datetime.date, daily_rate,
             grace_days: int = 0, minimum_fen: int = 0, cap_ratio=None, earlier_rate=None) -> int:
    """The late fee in fen on `principal_fen` due on `due_date` and paid (or still open) on `end_date`.

    principal x rate x days with the days split by calendar year (this year: the end date's year,
    at `daily_rate`; earlier years at `earlier_rate`, default `daily_rate`), computed exactly and
    rounded half-up to the fen once; nothing if the days are within `grace_days` (or the end is
    not after the due date, or the principal is not positive); a fee above 0 is at least
    `minimum_fen`; `cap_ratio` (1 = the principal) then limits it.
    Example: 1,000.00 (100000 fen) due 2026-01-31, paid 2026-03-02, 0.001 a day -> 30 days -> 3000.
    Bad arguments (a negative rate, negative grace days, text that is no number) raise.
    """
    if isinstance(principal_fen, (bool, np.bool_)):
        raise TypeError("principal_fen must be an integer number of fen, got a boolean")
    principal = operator.index(principal_fen)
    due, end = _as_day(due_date), _as_day(end_date)
    rate = parse_rate(daily_rate)
    earlier = rate if earlier_rate is None else parse_rate(earlier_rate)
    grace = _whole(grace_days, "grace_days")
    minimum = _whole(minimum_fen, "minimum_fen")
    cap = None if cap_ratio is None else parse_rate(cap_ratio)
    days = aging.days_overdue(due, end)
    if principal <= 0 or days <= grace:
        return 0
    this_year, earlier_years = _split_days(due, end)
    fee = _half_up(principal * (_exact(rate) * this_year + _exact(earlier) * earlier_years))
    cap_fen = None if cap is None else _half_up(principal * _exact(cap))
    return _floor_and_cap(fee, minimum, cap_fen)


# ---------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Rule:
    """One row of the LateFeeRules table. Blank customer type / fee item: any. Rates are daily;
    `earlier_rate` None means the daily rate; `minimum` in fen; `cap_ratio` None: no cap."""

    rule_id: str
    customer_type: str | None
    fee_item: str | None
    daily_rate: Decimal
    earlier_rate: Decimal | None
    grace_days: int
    minimum: int
    cap_ratio: Decimal | None


def _blank(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _text(value) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _shown_number(value) -> str:
    """How a cell's number reads in a message: 1e-10 -> 0.0000000001, text as typed."""
    if isinstance(value, str):
        return value
    try:
        return format(money.to_decimal(value), "f")
    except (TypeError, ValueError):
        return str(value)


def rules_from_table(frame: pd.DataFrame, lang: str = "zh", sheet: str = "LateFeeRules"
                     ) -> tuple[tuple[Rule, ...], tuple[problems.Problem, ...]]:
    """The usable rules of a typed LateFeeRules frame (index: Excel row numbers) and the problems.

    A row whose rule ID or daily rate is blank ("blank_required"), or whose rate is negative, of
    100 % a day or more, or has more than 8 decimals ("late_fee_rate"), or whose grace days,
    minimum or cap is negative or unreadable ("late_fee_rule"), is a problem and the row is not
    used. A problem names the Excel row (the frame's index) and the column by its key, e.g.
    "DailyRate"; its message names the header in `lang`.
    """
    found: list[problems.Problem] = []
    rules: list[Rule] = []
    zh = lang == "zh"

    def header(key: str) -> str:
        return LATE_FEE_HEADERS[key][0 if zh else 1]

    def column(key: str) -> pd.Series:
        if key in frame.columns:
            return frame[key]
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)

    def add(problem: problems.Problem, key: str) -> None:
        found.append(dataclasses.replace(problem, column=key))  # the message names the header, the record the key

    def rate_problem(row: int, key: str, value, reason: str) -> None:
        add(problems.make("late_fee_rate", lang, sheet=sheet, row=row, column=header(key),
                          value=_shown_number(value), reason=_RATE_REASONS[reason][0 if zh else 1]), key)

    def value_problem(row: int, key: str, value, reason: str) -> None:
        add(problems.make(RULE_VALUE_CODE, lang, sheet=sheet, row=row, column=header(key), value=_shown_number(value),
                          reason=_VALUE_REASONS[reason][0 if zh else 1]), key)

    def read_rate(row: int, key: str, value, required: bool) -> tuple[bool, Decimal | None]:
        if _blank(value):
            if required:
                add(problems.make("blank_required", lang, sheet=sheet, row=row, column=header(key)), key)
                return False, None
            return True, None
        try:
            rate = money.to_decimal(value) if not isinstance(value, str) else _signed_rate_text(value)
        except (TypeError, ValueError):
            rate_problem(row, key, value, "not_a_number")
            return False, None
        if rate < 0:
            rate_problem(row, key, value, "negative")
        elif _decimal_places(rate) > RATE_PLACES:
            rate_problem(row, key, value, "precision")
        elif rate >= 1:
            rate_problem(row, key, value, "too_high")
        else:
            return True, Decimal(0) if rate.is_zero() else rate
        return False, None

    columns = {key: column(key).tolist() for key in LATE_FEE_HEADERS}
    for position, row in enumerate(frame.index.tolist()):
        row = int(row)
        cell = {key: values[position] for key, values in columns.items()}
        ok = True
        rule_id = _text(cell["RuleID"])
        if rule_id is None:
            add(problems.make("blank_required", lang, sheet=sheet, row=row, column=header("RuleID")), "RuleID")
            ok = False
        good, daily = read_rate(row, "DailyRate", cell["DailyRate"], required=True)
        ok &= good
        good, earlier = read_rate(row, "EarlierDailyRate", cell["EarlierDailyRate"], required=False)
        ok &= good

        grace = 0
        if not _blank(cell["GraceDays"]):
            try:
                grace = _whole(cell["GraceDays"], "GraceDays")
            except (TypeError, ValueError):
                negative = _is_negative(cell["GraceDays"])
                value_problem(row, "GraceDays", cell["GraceDays"], "negative" if negative else "not_whole")
                ok = False
            else:
                if grace > MAX_GRACE_DAYS:
                    value_problem(row, "GraceDays", cell["GraceDays"], "too_large")
                    ok = False
        minimum = 0
        if not _blank(cell["Minimum"]):
            try:
                minimum = _whole(cell["Minimum"], "Minimum")
            except (TypeError, ValueError):
                negative = _is_negative(cell["Minimum"])
                value_problem(row, "Minimum", cell["Minimum"], "negative" if negative else "not_a_number")
                ok = False
            else:
                if minimum > MAX_MINIMUM_FEN:
                    value_problem(row, "Minimum", cell["Minimum"], "too_large")
                    ok = False
        cap = None
        if not _blank(cell["CapRatio"]):
            try:
                cap = parse_rate(cell["CapRatio"])
            except (TypeError, ValueError):
                negative = _is_negative(cell["CapRatio"])
                value_problem(row, "CapRatio", cell["CapRatio"], "negative" if negative else "not_a_number")
                ok = False
            else:
                if _decimal_places(cap) > RATE_PLACES:
                    value_problem(row, "CapRatio", cell["CapRatio"], "precision")
                    ok = False
                elif cap > MAX_CAP_RATIO:
                    value_problem(row, "CapRatio", cell["CapRatio"], "too_large")
                    ok = False
        if ok:
            rules.append(Rule(rule_id, _text(cell["CustomerType"]), _text(cell["FeeItem"]), daily, earlier,
                              grace, minimum, cap))
    return tuple(rules), tuple(found)


def _signed_rate_text(text: str) -> Decimal:
    """Rate text read like parse_rate but keeping a minus sign (so it can be reported as negative)."""
    cleaned = dates.normalise_text(text)
    negative = cleaned.startswith("-")
    rate = parse_rate(cleaned[1:] if negative else cleaned)
    return -rate if negative else rate


def _is_negative(value) -> bool:
    try:
        return money.to_decimal(value) < 0
    except (TypeError, ValueError):
        return isinstance(value, str) and dates.normalise_text(value).startswith("-")


def _specificity(rule: Rule) -> int:
    """3: type and item, 2: type only, 1: item only, 0: neither."""
    return (2 if rule.customer_type is not None else 0) + (1 if rule.fee_item is not None else 0)


def rule_for(rules, customer_type, fee_item) -> Rule | None:
    """The most specific rule for a customer type and fee item: type and item > type only >
    item only > neither; a rule naming another type or item does not apply; ties go to the
    rule higher up in the table."""
    customer_type = _text(customer_type)
    fee_item = _text(fee_item)
    best, best_level = None, -1
    for rule in rules:
        if rule.customer_type is not None and rule.customer_type != customer_type:
            continue
        if rule.fee_item is not None and rule.fee_item != fee_item:
            continue
        level = _specificity(rule)
        if level > best_level:
            best, best_level = rule, level
    return best


# ---------------------------------------------------------------------------------------------
# Every bill at once
# ---------------------------------------------------------------------------------------------

def _rate_units(rate: Decimal, what: str) -> int:
    """A rate as an integer number of 1e-8 (rules_from_table never lets a finer rate through)."""
    if _decimal_places(rate) > RATE_PLACES:
        raise ValueError(f"{what} {rate} has more than {RATE_PLACES} decimals; read rules with rules_from_table")
    return int(_shift(rate, RATE_PLACES))


def _rule_per_bill(bills: pd.DataFrame, customer_types: pd.Series, rules: tuple[Rule, ...]) -> np.ndarray:
    """Index into `rules` of each bill's rule (-1: none), resolved once per distinct
    (customer type, fee item) pair with rule_for, so the table and a single lookup agree."""
    n = len(bills)
    if not rules or n == 0:
        return np.full(n, -1, dtype=np.int64)
    types = customer_types[~customer_types.index.duplicated(keep="first")]
    where = pd.Index(types.index).get_indexer(pd.Index(bills["CustomerID"].to_numpy(object)))
    type_values = types.to_numpy(object)
    type_of_bill = np.full(n, None, dtype=object)
    if len(type_values):
        found = where >= 0
        type_of_bill[found] = type_values[where[found]]
    type_codes, type_uniques = pd.factorize(type_of_bill)
    items = bills["FeeItem"].to_numpy(object) if "FeeItem" in bills.columns else np.full(n, None, dtype=object)
    item_codes, item_uniques = pd.factorize(items)
    type_uniques = [_text(value) for value in type_uniques]  # blanks and padding read as rule_for reads them
    item_uniques = [_text(value) for value in item_uniques]
    width = len(item_uniques) + 1
    combo = (type_codes.astype(np.int64) + 1) * width + (item_codes.astype(np.int64) + 1)
    distinct, inverse = np.unique(combo, return_inverse=True)
    index_of = {id(rule): k for k, rule in enumerate(rules)}
    chosen = np.empty(len(distinct), dtype=np.int64)
    for k, key in enumerate(distinct.tolist()):
        type_code, item_code = divmod(key, width)
        rule = rule_for(rules, type_uniques[type_code - 1] if type_code else None,
                        item_uniques[item_code - 1] if item_code else None)
        chosen[k] = -1 if rule is None else index_of[id(rule)]
    return chosen[inverse.ravel()]


def _bill_positions(bill_ids: pd.Series, paid_bill_ids: pd.Series) -> np.ndarray:
    """Position in the bills of each paid row's bill (-1: none); a repeated bill ID takes the money
    on its first row, and a blank ID in paid names no bill."""
    ids = bill_ids.to_numpy(object)
    wanted = paid_bill_ids.to_numpy(object)
    index = pd.Index(ids)
    if index.is_unique:  # the usual case: one hash table, built once
        where = index.get_indexer(pd.Index(wanted)).astype(np.int64)
    else:
        first = ~pd.Series(ids, dtype=object).duplicated(keep="first").to_numpy()
        positions = np.flatnonzero(first)
        found = pd.Index(ids[first]).get_indexer(pd.Index(wanted))
        where = np.where(found >= 0, positions[np.maximum(found, 0)] if len(positions) else -1, -1).astype(np.int64)
    where[paid_bill_ids.isna().to_numpy(bool)] = -1
    return where


def _days_split(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Days start+1 .. end (0 if none) and how many fall in end's year / earlier years."""
    total = np.maximum((end - start).astype(np.int64), 0)
    year_before = end.astype("datetime64[Y]").astype("datetime64[D]") - np.timedelta64(1, "D")
    this_year = np.minimum(total, np.maximum((end - np.maximum(start, year_before)).astype(np.int64), 0))
    return total, this_year, total - this_year


def _empty_result(bills: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"BillID": bills["BillID"] if "BillID" in bills else pd.Series(dtype="str"),
                         "RuleID": pd.array([], dtype="str"), "Days": pd.array([], dtype="Int64"),
                         "LateFee": pd.array([], dtype="Int64")}, index=bills.index)


def bill_late_fees(bills: pd.DataFrame, paid: pd.DataFrame, customer_types: pd.Series, rules,
                   as_of: datetime.date) -> pd.DataFrame:
    """The late fee of every bill as of `as_of`, with the portions rule for partly paid bills.

    bills: BillID, CustomerID, FeeItem, DueDate, Amount (fen; only positive amounts are charged).
    paid: BillID, PaidDate, Amount (fen): money applied to the bill (payments, write-offs;
    negative amounts reverse earlier ones). Rows dated after `as_of`, undated or naming no bill
    are ignored. customer_types: CustomerID -> customer type code.
    Returns, per bill and in the bills' order and index: BillID, RuleID (blank: no rule applies),
    Days (days the bill ran overdue: to `as_of` while it is open, to the day it was paid off if
    that came first; 0 if never overdue; blank without a due date) and LateFee (fen, 0 if none).

    Exact integer arithmetic: rates are integers of 1e-8; each portion's fee is split as
    portion x (q x 1e8 + r), r < 1e8, so the int64 sums stay below 2**61 for principals below
    1e10 fen whatever the rate (< 100 % a day) and the days; bills beyond a bound checked per bill
    are summed with Python ints. The fee is rounded half-up once per bill.
    """
    rules = tuple(rules)
    n = len(bills)
    if n == 0:
        return _empty_result(bills)
    as_of_day = np.datetime64(_as_day(as_of), "D")

    rule_index = _rule_per_bill(bills, customer_types, rules)
    # Per-rule parameters, with a last entry for "no rule" so index -1 picks zeros.
    this_rate = np.array([_rate_units(r.daily_rate, "daily_rate") for r in rules] + [0], dtype=np.int64)
    earlier_rate = np.array([_rate_units(r.daily_rate if r.earlier_rate is None else r.earlier_rate, "earlier_rate")
                             for r in rules] + [0], dtype=np.int64)
    grace = np.array([max(int(r.grace_days), 0) for r in rules] + [0], dtype=np.int64)
    minimum = np.array([int(r.minimum) for r in rules] + [0], dtype=np.int64)
    cap_units = np.array([-1 if r.cap_ratio is None else _rate_units(r.cap_ratio, "cap_ratio") for r in rules]
                         + [-1], dtype=np.int64)
    if (this_rate < 0).any() or (earlier_rate < 0).any() or (minimum < 0).any():
        raise ValueError("late-fee rules with negative rates or minimums; read rules with rules_from_table")

    amount = pd.array(bills["Amount"], dtype="Int64").to_numpy(dtype=np.int64, na_value=0)
    due = bills["DueDate"].to_numpy("datetime64[D]")
    has_due = ~np.isnat(due)
    active = has_due & (amount > 0)
    due_safe = np.where(has_due, due, as_of_day)
    bill_rule = rule_index

    # --- payment portions, sorted by bill then date --------------------------------------------
    if len(paid):
        pay_bill = _bill_positions(bills["BillID"], paid["BillID"])
        pay_date = paid["PaidDate"].to_numpy("datetime64[D]")
        pay_amount = pd.array(paid["Amount"], dtype="Int64").to_numpy(dtype=np.int64, na_value=0)
        keep = (pay_bill >= 0) & ~np.isnat(pay_date)
        keep[keep] = active[pay_bill[keep]] & (pay_date[keep] <= as_of_day) & (pay_amount[keep] != 0)
        pay_bill, pay_date, pay_amount = pay_bill[keep], pay_date[keep], pay_amount[keep]
        order = np.lexsort((pay_date.view(np.int64), pay_bill))
        pay_bill, pay_date, pay_amount = pay_bill[order], pay_date[order], pay_amount[order]
    else:
        pay_bill = np.empty(0, dtype=np.int64)
        pay_date = np.empty(0, dtype="datetime64[D]")
        pay_amount = np.empty(0, dtype=np.int64)

    m = len(pay_bill)
    starts = np.flatnonzero(np.r_[True, pay_bill[1:] != pay_bill[:-1]]) if m else np.empty(0, dtype=np.int64)
    counts = np.diff(np.r_[starts, m])
    group_bill = pay_bill[starts]
    group_of = np.repeat(np.arange(len(starts)), counts)
    # Running paid per bill. A global cumsum may wrap around in int64, but each bill's partial sums
    # are differences of it, which int64 (arithmetic mod 2**64) gets exactly while they fit.
    running = np.cumsum(pay_amount)
    running = running - (running[starts] - pay_amount[starts])[group_of] if m else running
    principal = amount[pay_bill]
    settled = np.clip(running, 0, principal)  # paid over the amount runs no fee; reversals re-open
    before = np.empty_like(settled)
    if m:
        before[1:] = settled[:-1]
        before[starts] = 0
    portion = settled - before

    def per_bill(values: np.ndarray, reducer=np.add) -> np.ndarray:
        out = np.zeros(n, dtype=values.dtype)
        if m:
            out[group_bill] = reducer.reduceat(values, starts)
        return out

    last_settled = np.zeros(n, dtype=np.int64)
    if m:
        last_settled[group_bill] = settled[starts + counts - 1]
    open_amount = np.where(active, amount - last_settled, 0)
    paid_by_due = per_bill(np.where(pay_date <= due_safe[pay_bill], portion, 0))
    principal_at_due = amount - paid_by_due

    # --- days and rates of every portion (payments, then what is open at as_of) -------------------
    pay_rule = bill_rule[pay_bill]
    pay_days, pay_this, pay_earlier = _days_split(due_safe[pay_bill], pay_date)
    end_days, end_this, end_earlier = _days_split(due_safe, np.full(n, as_of_day))
    pay_counted = pay_days > grace[pay_rule]
    end_counted = (end_days > grace[bill_rule]) & (open_amount != 0)
    pay_rd = np.where(pay_counted, this_rate[pay_rule] * pay_this + earlier_rate[pay_rule] * pay_earlier, 0)
    end_rd = np.where(end_counted, this_rate[bill_rule] * end_this + earlier_rate[bill_rule] * end_earlier, 0)

    # Overflow guard: |sums| <= sum |portion| x (1e8 + rd / 1e8); the cap likewise. Checked in floats
    # with a wide margin (2**61); bills beyond it (principals of ~1e10 fen and more) use Python ints.
    rate_max = np.maximum(this_rate, earlier_rate).astype(np.float64)
    pay_bound = np.abs(portion).astype(np.float64) * (RATE_SCALE + rate_max[pay_rule] * pay_days / RATE_SCALE)
    pay_rd_bound = rate_max[pay_rule] * pay_days
    bound = per_bill(pay_bound) + np.abs(open_amount) * (RATE_SCALE + rate_max[bill_rule] * end_days / RATE_SCALE)
    bound = np.maximum(bound, np.abs(principal_at_due) * (RATE_SCALE + np.maximum(cap_units[bill_rule], 0)
                                                           / RATE_SCALE))
    bound = np.maximum(bound, rate_max[bill_rule] * end_days)
    rd_too_big = per_bill(pay_rd_bound, np.maximum) if m else np.zeros(n)
    unsafe = (bound >= _SAFE) | (rd_too_big >= _SAFE) | (np.abs(amount) >= _SAFE / RATE_SCALE)

    pay_q, pay_r = np.divmod(pay_rd, RATE_SCALE)
    end_q, end_r = np.divmod(end_rd, RATE_SCALE)
    high = per_bill(portion * pay_q) + open_amount * end_q  # whole fen
    low = per_bill(portion * pay_r) + open_amount * end_r  # 1e-8 fen, below 1e8 x principal
    fee = high + (low + _HALF_SCALE) // RATE_SCALE  # floor: half-up for the (non-negative) total
    cap = cap_units[bill_rule]
    cap_q, cap_r = np.divmod(np.maximum(cap, 0), RATE_SCALE)
    cap_fen = principal_at_due * cap_q + (principal_at_due * cap_r + _HALF_SCALE) // RATE_SCALE

    fee = np.maximum(fee, 0)
    fee = np.where((fee > 0) & (fee < minimum[bill_rule]), minimum[bill_rule], fee)
    fee = np.where(cap >= 0, np.minimum(fee, np.maximum(cap_fen, 0)), fee)
    fee = np.where(active & (bill_rule >= 0), fee, 0)

    if unsafe.any():
        fee = fee.astype(object)
        for position in np.flatnonzero(unsafe & active & (bill_rule >= 0)).tolist():
            fee[position] = _python_fee(position, rules[bill_rule[position]], amount, principal_at_due,
                                        open_amount, end_this, end_earlier, end_counted, pay_bill, portion,
                                        pay_this, pay_earlier, pay_counted)
        fee = fee.astype(np.int64)  # fees are capped by nothing in general; beyond int64 this raises

    # --- days overdue ----------------------------------------------------------------------------
    last_change = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    if m:
        changed = np.where(portion != 0, pay_date.view(np.int64), np.iinfo(np.int64).min)  # min: NaT
        last_change[group_bill] = np.maximum.reduceat(changed, starts).view("datetime64[D]")
    ran_to = np.where(open_amount > 0, as_of_day, last_change)
    days = np.where(active & ~np.isnat(ran_to), np.maximum((ran_to - due_safe).astype(np.int64), 0), 0)

    rule_ids = np.array([r.rule_id for r in rules] + [None], dtype=object)[bill_rule]
    return pd.DataFrame({
        "BillID": bills["BillID"].array,
        "RuleID": pd.array(rule_ids, dtype="str"),
        "Days": pd.arrays.IntegerArray(days.astype(np.int64), ~has_due),
        "LateFee": pd.array(fee, dtype="Int64"),
    }, index=bills.index)


def _python_fee(position: int, rule: Rule, amount, principal_at_due, open_amount, end_this, end_earlier,
                end_counted, pay_bill, portion, pay_this, pay_earlier, pay_counted) -> int:
    """One bill's fee with Python ints, for the rare bill too large for the int64 path."""
    this_rate = _rate_units(rule.daily_rate, "daily_rate")
    earlier = rule.daily_rate if rule.earlier_rate is None else rule.earlier_rate
    earlier_rate = _rate_units(earlier, "earlier_rate")
    total = 0
    lo, hi = np.searchsorted(pay_bill, [position, position + 1])
    for k in range(int(lo), int(hi)):
        if pay_counted[k]:
            total += int(portion[k]) * (this_rate * int(pay_this[k]) + earlier_rate * int(pay_earlier[k]))
    if end_counted[position]:
        total += int(open_amount[position]) * (this_rate * int(end_this[position])
                                               + earlier_rate * int(end_earlier[position]))
    fee = (total + _HALF_SCALE) // RATE_SCALE
    cap_fen = None
    if rule.cap_ratio is not None:
        cap_fen = (int(principal_at_due[position]) * _rate_units(rule.cap_ratio, "cap_ratio") + _HALF_SCALE) \
            // RATE_SCALE
    return _floor_and_cap(max(fee, 0), int(rule.minimum), cap_fen)
