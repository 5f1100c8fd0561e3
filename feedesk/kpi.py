"""KPIs (绩效指标): what management asks the fee desk every month, from the desk's own tables.

The period P ('YYYY-MM') runs from its first day to its *measure date*: the last day of the
month, or the as-of date when that comes first (a period not yet over is measured so far).
"In the period" below always means dated from the first day to the measure date.

* Credit sales (销售) = bills with a positive amount, not cancelled, dated in the period.
* AR at a date d (应收) = the open amounts of the positive bills open at d, from
  `aging.open_items` (Allocations dated up to d; credits and credit notes left out). The part
  not yet due at d (DueDate >= d) is current (未到期); the rest is overdue (逾期).
  Opening AR is the AR on the day before the period.
* Collected (实收) = Allocations of kind payment. Without Allocations (before any reconciliation)
  the Bills' PaidAmount stands in; it carries no dates, and every KPI that used it says so.

Ratios are fractions (0.95 is 95 %), days are days, values that cannot be computed (nothing to
divide by) are NaN with a Note saying why: never inf, never an exception. The money KPIs are
also computed by region, officer and customer type: per-customer sums are made once (integer
fen, exact) and added up per segment, so a million bills take about a second.

Pure functions over DataFrames; no clock, no workbook imports.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import numbers

import numpy as np
import pandas as pd

from feedesk import aging, dates

__all__ = [
    "ANALYSIS_COLUMNS",
    "DEFINITIONS",
    "DEFINITIONS_BY_CODE",
    "HISTORY_COLUMNS",
    "KPI_COLUMNS",
    "SCOPES",
    "SEGMENTED",
    "TERMS",
    "Definition",
    "Window",
    "apply_targets",
    "apply_trends",
    "bpdso",
    "cei",
    "compute",
    "countback_exceeds",
    "customer_analysis",
    "dso",
    "dso_countback",
    "update_history",
    "window",
]


# ---------------------------------------------------------------------------------------------
# Definitions
# ---------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Definition:
    code: str
    zh: str
    en: str
    unit_zh: str
    unit_en: str  # also the unit's key: ratio, days, count, score, yuan
    direction: str  # 'higher' | 'lower' is better
    formula_zh: str
    formula_en: str

    @property
    def unit(self) -> str:
        return self.unit_en

    def name(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def unit_label(self, lang: str) -> str:
        return self.unit_zh if lang == "zh" else self.unit_en


_RATIO = ("比例", "ratio")
_DAYS = ("天", "days")
_SCORE = ("分", "score")
_YUAN = ("元", "yuan")


def _d(code, zh, en, unit, direction, formula_zh, formula_en) -> Definition:
    return Definition(code, zh, en, unit[0], unit[1], direction, formula_zh, formula_en)


DEFINITIONS: tuple[Definition, ...] = (
    _d("collection_rate", "当期收费率", "Collection rate", _RATIO, "higher",
       "本期到期账单截至计算日收到的缴费（冲抵这些账单的收款）÷ 本期到期账单的应收金额（正数、未作废）",
       "payments applied, up to the measure date, to the bills due in the period ÷ the amount of the bills due "
       "in the period (positive, not cancelled)"),
    _d("collection_rate_with_arrears", "综合收费率（含往期欠费）", "Collection rate incl. arrears", _RATIO, "higher",
       "本期收到并冲抵账单的全部缴费 ÷（本期到期账单的应收金额 + 期初逾期欠费）",
       "all payments applied to bills in the period ÷ (the amount of the bills due in the period + the overdue "
       "arrears at the start of the period)"),
    _d("dso", "应收账款周转天数（DSO）", "Days sales outstanding (DSO)", _DAYS, "lower",
       "期末应收 ÷ 本期销售 × 本期天数",
       "ending AR ÷ credit sales of the period × days in the period"),
    _d("dso_countback", "DSO（倒推法）", "DSO (count-back)", _DAYS, "lower",
       "期末应收从本月起逐月往前抵减各月销售（按账单日期，最多 12 个月）：抵完的月份计整月天数，"
       "抵不完的那个月计 剩余应收 ÷ 该月销售 × 该月天数",
       "ending AR is taken off each month's credit sales, newest month first (by bill date, up to 12 months): "
       "a month used up counts all its days, the month where AR runs out counts remaining AR ÷ its sales × its days"),
    _d("bpdso", "最佳 DSO（BPDSO）", "Best possible DSO (BPDSO)", _DAYS, "lower",
       "期末未到期应收 ÷ 本期销售 × 本期天数",
       "ending current (not yet due) AR ÷ credit sales of the period × days in the period"),
    _d("add", "平均拖欠天数（ADD）", "Average days delinquent (ADD)", _DAYS, "lower",
       "DSO − 最佳 DSO（即 期末逾期应收 ÷ 本期销售 × 本期天数）",
       "DSO − BPDSO (that is ending overdue AR ÷ credit sales × days in the period)"),
    _d("cei", "催收有效性指数（CEI）", "Collection effectiveness index (CEI)", _RATIO, "higher",
       "（期初应收 + 本期销售 − 期末应收）÷（期初应收 + 本期销售 − 期末未到期应收），以比例表示（0.90 即 90%）",
       "(opening AR + credit sales − ending AR) ÷ (opening AR + credit sales − ending current AR), as a fraction "
       "(0.90 is 90 %)"),
    _d("pct_current", "未到期应收占比", "% current", _RATIO, "higher",
       "期末未到期应收 ÷ 期末应收",
       "ending current AR ÷ ending AR"),
    _d("arrears_ratio", "欠费率（逾期应收占比）", "Arrears ratio", _RATIO, "lower",
       "期末逾期应收 ÷ 期末应收",
       "ending overdue AR ÷ ending AR"),
    _d("bad_debt_ratio", "坏账核销率", "Bad-debt ratio", _RATIO, "lower",
       "本期核销（核销分配中类型为差额核销、日期在本期的金额）÷ 本期销售",
       "write-offs dated in the period (Allocations of kind write-off) ÷ credit sales of the period"),
    _d("billing_accuracy", "账单准确率", "Billing accuracy", _RATIO, "higher",
       "1 − 更正的账单数 ÷ 本期出账的账单数；更正 = 已作废、贷项账单（负数金额），或重开的账单"
       "（同一客户、账期、费用项目的第二张有效账单）",
       "1 − corrected bills ÷ bills issued in the period; corrected = cancelled, a credit note (negative amount) "
       "or re-issued (a second valid bill for the same customer, period and fee item)"),
    _d("on_time_rate", "按时缴费率", "On-time payment rate", _RATIO, "higher",
       "本期到期账单中在到期日当天或之前缴清（缴费与差额核销合计不少于应收）的张数 ÷ 本期到期账单张数",
       "bills due in the period paid in full (payments and write-offs) by their due date ÷ bills due in the period"),
    _d("dispute_rate", "账单争议率", "Dispute rate", _RATIO, "lower",
       "本期受理、标为争议账单的投诉数 ÷ 本期出账的账单数",
       "complaints opened in the period marked as a disputed bill ÷ bills issued in the period"),
    _d("complaints", "投诉数量", "Complaints", ("件", "count"), "lower",
       "本期受理的投诉数",
       "complaints opened in the period"),
    _d("complaint_median_days", "投诉办结天数（中位数）", "Days to resolve (median)", _DAYS, "lower",
       "本期办结的投诉（办结日期 − 受理日期）天数的中位数",
       "median of (resolved − opened) in days of the complaints resolved in the period"),
    _d("complaint_resolution_rate", "投诉办结率", "Complaint resolution rate", _RATIO, "higher",
       "本期受理的投诉中截至计算日已办结的 ÷ 本期受理的投诉",
       "complaints opened in the period and resolved by the measure date ÷ complaints opened in the period"),
    _d("complaints_within_target", "投诉按时办结率", "Complaints resolved in time", _RATIO, "higher",
       "本期办结的投诉中在时限（默认 15 天）内办结的 ÷ 本期办结的投诉",
       "complaints resolved in the period within the target days (15 by default) ÷ complaints resolved in the "
       "period"),
    _d("satisfaction", "投诉满意度", "Complaint satisfaction", _SCORE, "higher",
       "本期办结投诉的满意度（1-5 分）平均值",
       "mean satisfaction (1-5) of the complaints resolved in the period"),
    _d("match_rate", "对账匹配率", "Reconciliation match rate", _RATIO, "higher",
       "本期收款中已自动匹配或已确认的笔数 ÷ 本期收款笔数（收款取自对账结果和异常清单）",
       "payments dated in the period with an automatic or confirmed match ÷ payments dated in the period (from "
       "Reconciliation and Exceptions)"),
    _d("unmatched_value", "未对上金额", "Unmatched value", _YUAN, "lower",
       "异常清单中日期在本期的收款未对上、银行收入未对上、长期未达和待确认匹配的金额合计",
       "Exceptions dated in the period of kind unmatched payment, unmatched bank line, stale or match to "
       "confirm: their amounts added up"),
    _d("letters_sent", "催缴函件数", "Letters sent", ("封", "count"), "lower",
       "本期发出的函件数（状态不是“未发出”）",
       "letters sent in the period (status other than 'not sent')"),
    _d("cure_rate", "催缴见效率", "Cure rate", _RATIO, "higher",
       "本期收到函件的客户中，函件发出后 30 天内（截至计算日）有缴费冲抵账单的客户占比",
       "of the customers sent a letter in the period, the share with a payment applied to a bill within 30 days "
       "of the letter (up to the measure date)"),
)
DEFINITIONS_BY_CODE: dict[str, Definition] = {d.code: d for d in DEFINITIONS}

# The KPIs also computed by region, officer and customer type (the money ones).
SEGMENTED = ("collection_rate", "collection_rate_with_arrears", "dso", "bpdso", "add", "cei", "pct_current",
             "arrears_ratio", "bad_debt_ratio", "billing_accuracy", "on_time_rate")
SCOPES = (("total", None), ("region", "Region"), ("officer", "Officer"), ("customer_type", "CustomerType"))
KPI_COLUMNS = ("Period", "KPI", "Name", "Scope", "Segment", "Value", "Unit", "Target", "Status", "Previous",
               "Change", "LastYear", "YoYChange", "Note")
HISTORY_COLUMNS = ("Period", "KPI", "Scope", "Segment", "Value")
ANALYSIS_COLUMNS = ("Category", "Rank", "Key", "Name", "Amount", "Measure", "Detail")

# What the words in the formulas mean, for the Guide.
TERMS = (
    (("本期：账期当月 1 日至计算日（月末，或截止日期在月内时为截止日期）。销售：本期出账、金额为正、未作废的账单。"
     "应收：某日仍未收清的正数账单余额（按核销分配中该日及以前的缴费和核销；未对账时按账单的已收金额）；"
     "到期日不早于该日的为未到期，其余为逾期。期初应收：本期前一天的应收。"),
     ("Period: from the month's first day to the measure date (the month's last day, or the as-of date when it is "
     "earlier). Credit sales: positive bills, not cancelled, dated in the period. AR at a date: what is still open "
     "on the positive bills (payments and write-offs in Allocations dated up to that day; before reconciliation the "
     "Bills' paid amounts); due on or after the date is current, the rest overdue. Opening AR: AR on the day "
     "before the period.")),
)

BLANK_SEGMENT = {"zh": "（空白）", "en": "(blank)"}
MIXED_FEE_ITEM = "mixed"
FEE_ITEM_LABELS = {
    "water": ("水费", "water"), "electricity": ("电费", "electricity"), "gas": ("燃气费", "gas"),
    "heating": ("供暖费", "heating"), "property": ("物业费", "property"), "other": ("其他", "other"),
    MIXED_FEE_ITEM: ("多项", "mixed"),
}
STOPPED_AFTER_DAYS = 60
STOPPED_MIN_PAYMENTS = 3
STOPPED_LOOKBACK_MONTHS = 6
UNMATCHED_KINDS = ("unmatched_payment", "unmatched_bank", "stale", "suggested")
RECEIPT_EXCEPTION_KINDS = ("unmatched_payment", "stale", "suggested")  # a payment left unmatched
MATCHED_STATUSES = ("auto", "confirmed")

# Short names for the notes ("无销售，DSO 无定义").
_SHORT = {"dso": "DSO", "dso_countback": "DSO", "bpdso": "BPDSO", "add": "ADD", "cei": "CEI"}

_REASONS = {
    "no_sales": ("无销售，{name}无定义", "no sales: {name} undefined"),
    "no_due": ("本期无到期账单，{name}无定义", "no bills due in the period: {name} undefined"),
    "no_due_or_arrears": ("本期无到期账单也无期初欠费，{name}无定义",
                          "no bills due and no arrears at the start: {name} undefined"),
    "no_cei_base": ("期初应收 + 销售 − 期末未到期应收 为 0，{name}无定义",
                    "opening AR + sales − ending current AR is 0: {name} undefined"),
    "no_ar": ("期末无应收，{name}无定义", "no AR at the end: {name} undefined"),
    "no_issued": ("本期无出账账单，{name}无定义", "no bills issued in the period: {name} undefined"),
    "no_opened": ("本期无受理的投诉，{name}无定义", "no complaints opened in the period: {name} undefined"),
    "no_resolved": ("本期无办结的投诉，{name}无定义", "no complaints resolved in the period: {name} undefined"),
    "no_ratings": ("本期办结的投诉均无满意度评分，{name}无定义",
                   "no satisfaction scores on the complaints resolved in the period: {name} undefined"),
    "no_payments": ("本期无收款，{name}无定义", "no payments in the period: {name} undefined"),
    "no_letters": ("本期未发出函件，{name}无定义", "no letters sent in the period: {name} undefined"),
    "no_allocation_dates": ("无核销分配（对账后生成），没有缴费日期，{name}无法计算",
                            "no Allocations (made by reconciliation): no payment dates, {name} cannot be computed"),
}
_NOTES = {
    "fallback": ("无核销分配，按账单的已收金额计算（无缴费日期）",
                 "no Allocations: the Bills' paid amounts are used (no payment dates)"),
    "fallback_writeoffs": ("无核销分配，没有核销记录", "no Allocations: no write-offs recorded"),
    "countback_beyond": ("期末应收超过近 {months} 个月的销售，超出部分按这些月的日均销售折算",
                         ("ending AR exceeds the sales of the last {months} months: the rest at their average "
                          "daily sales")),
    "partial": ("账期未结束，计至 {day}", "period not over: measured to {day}"),
    "within_target": ("时限 {days} 天", "target {days} days"),
    "cure_days": ("函件后 {days} 天内", "within {days} days of the letter"),
}


def _reason(code: str, kpi: str, lang: str) -> str:
    definition = DEFINITIONS_BY_CODE[kpi]
    name = _SHORT.get(kpi) or definition.name(lang)
    zh, en = _REASONS[code]
    if lang == "zh":
        return zh.format(name=name + (" " if name[-1].isascii() else ""))
    return en.format(name=name)


def _note(code: str, lang: str, **values) -> str:
    zh, en = _NOTES[code]
    return (zh if lang == "zh" else en).format(**values)


# ---------------------------------------------------------------------------------------------
# The formulas on single numbers (the worksheet functions call these)
# ---------------------------------------------------------------------------------------------

def _number(value, what: str):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a number, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return value


def _days_value(days, what: str = "days"):
    _number(days, what)
    if days < 0:
        raise ValueError(f"{what} must not be negative, got {days!r}")
    return days


def dso(ending_ar, credit_sales, days) -> float | None:
    """Days sales outstanding: ending AR / credit sales x days; None without sales."""
    _number(ending_ar, "ending_ar")
    _number(credit_sales, "credit_sales")
    _days_value(days)
    if credit_sales <= 0:
        return None
    return float(ending_ar) / float(credit_sales) * float(days)


def bpdso(ending_current_ar, credit_sales, days) -> float | None:
    """Best possible DSO: the current (not yet due) part of ending AR / credit sales x days; None
    without sales."""
    return dso(ending_current_ar, credit_sales, days)


def dso_countback(ending_ar, monthly_sales, monthly_days) -> float | None:
    """Count-back DSO. `monthly_sales` are the months' credit sales OLDEST first; `monthly_days`
    the days of each month (or one number for all). Ending AR is taken off the newest month's
    sales, then the one before...: a month used up counts all its days, the month where the AR runs
    out counts AR left / its sales x its days. AR beyond all the months' sales is counted at their
    average daily sales. None when the months have no sales; 0.0 when there is no AR.
    E.g. AR 212,000 against 70,000, 80,000, 100,000 at 30 days: 30 + 30 + 32/70 x 30 = 73.7."""
    _number(ending_ar, "ending_ar")
    sales = [_number(s, "monthly_sales") for s in monthly_sales]
    if isinstance(monthly_days, numbers.Real) and not isinstance(monthly_days, bool):
        days = [_days_value(monthly_days)] * len(sales)
    else:
        days = [_days_value(d) for d in monthly_days]
    if len(days) != len(sales):
        raise ValueError(f"{len(sales)} months of sales but {len(days)} months of days")
    if any(s < 0 for s in sales):
        raise ValueError("monthly sales must not be negative")
    total_sales = sum(sales)  # exact for integer fen
    if total_sales <= 0:
        return None
    left = ending_ar
    counted = 0.0
    for month_sales, month_days in zip(reversed(sales), reversed(days)):
        if left <= 0:
            break
        if left >= month_sales:
            left -= month_sales  # exact for integer fen
            counted += float(month_days)
        else:
            counted += float(left) / float(month_sales) * float(month_days)
            left = 0
    if left > 0:  # beyond the months given: at their average daily sales
        counted += float(left) / float(total_sales) * float(sum(days))
    return counted


def countback_exceeds(ending_ar, monthly_sales) -> bool:
    """Whether the AR is more than all the months' sales (the count-back ran past them)."""
    return sum(monthly_sales) > 0 and ending_ar > sum(monthly_sales)


def cei(opening_ar, credit_sales, ending_ar, ending_current_ar) -> float | None:
    """Collection effectiveness index as a PERCENTAGE (84.21 for 84.21 %):
    (opening AR + sales - ending AR) / (opening AR + sales - ending current AR) x 100;
    None when the denominator is not positive."""
    for value, what in ((opening_ar, "opening_ar"), (credit_sales, "credit_sales"), (ending_ar, "ending_ar"),
                        (ending_current_ar, "ending_current_ar")):
        _number(value, what)
    collectable = opening_ar + credit_sales - ending_current_ar  # exact for integer fen
    if collectable <= 0:
        return None
    return float(opening_ar + credit_sales - ending_ar) / float(collectable) * 100.0


# ---------------------------------------------------------------------------------------------
# The period
# ---------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Window:
    period: str
    start: datetime.date
    end: datetime.date  # the month's last day
    measure: datetime.date  # min(end, as_of)

    @property
    def days(self) -> int:
        """Days from the first day to the measure date, both included (0 before the period starts)."""
        return max(0, (self.measure - self.start).days + 1)

    @property
    def partial(self) -> bool:
        return self.measure < self.end


def _date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):  # also pd.Timestamp
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).date()
    raise TypeError(f"expected a date, got {value!r}")


def window(period, as_of) -> Window:
    period = dates.parse_period(period)
    start, end = dates.period_start(period), dates.period_end(period)
    return Window(period, start, end, min(end, _date(as_of)))


# ---------------------------------------------------------------------------------------------
# Column helpers
# ---------------------------------------------------------------------------------------------

def _table(tables, key: str) -> pd.DataFrame:
    frame = tables.get(key) if tables else None
    return frame if frame is not None else pd.DataFrame()


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame:
        return frame[name]
    return pd.Series(np.full(len(frame), None, dtype=object), index=frame.index)


def _days(series: pd.Series) -> np.ndarray:
    if series.dtype.kind != "M":
        series = pd.to_datetime(series, errors="coerce")
    return series.to_numpy("datetime64[D]")


def _fen(series: pd.Series) -> np.ndarray:
    return series.to_numpy(np.int64, na_value=0) if len(series) else np.zeros(0, dtype=np.int64)


def _present(series: pd.Series) -> np.ndarray:
    return series.notna().to_numpy(bool)


def _is(series: pd.Series, *values: str) -> np.ndarray:
    if not len(series):
        return np.zeros(0, dtype=bool)
    if len(values) == 1:
        return series.eq(values[0]).to_numpy(bool, na_value=False)
    return series.isin(values).to_numpy(bool, na_value=False)


def _objects(series: pd.Series) -> np.ndarray:
    return series.to_numpy(object, na_value=None) if len(series) else np.zeros(0, dtype=object)


def _day(value: datetime.date) -> np.datetime64:
    return np.datetime64(value, "D")


def _sum_by(code: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Exact integer sums of `values` per code 0..size-1 (codes < 0 are left out)."""
    code = np.asarray(code, dtype=np.int64)
    values = np.asarray(values, dtype=np.int64)
    keep = code >= 0
    if not keep.all():
        code, values = code[keep], values[keep]
    if not len(code):
        return np.zeros(size, dtype=np.int64)
    if int(np.abs(values).sum()) < 2**53:  # every partial sum is an integer a float holds exactly
        return np.bincount(code, weights=values.astype(np.float64), minlength=size).round().astype(np.int64)
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, code, values)
    return out


def _count_by(code: np.ndarray, mask: np.ndarray, size: int) -> np.ndarray:
    code = np.asarray(code, dtype=np.int64)[mask]
    code = code[code >= 0]
    return np.bincount(code, minlength=size).astype(np.int64)


def _positions(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Position in `keys` of each wanted value (the first when a key repeats), -1 when absent."""
    index = pd.Index(keys)
    if not index.is_unique:
        codes, uniques = pd.factorize(keys)
        first = np.empty(len(uniques), dtype=np.int64)
        first[codes[::-1]] = np.arange(len(keys) - 1, -1, -1)
        at = pd.Index(uniques).get_indexer(wanted)
        return np.where(at >= 0, first[np.maximum(at, 0)], -1)
    return index.get_indexer(wanted)


def _divide(numerator, denominator) -> tuple[np.ndarray, np.ndarray]:
    """numerator / denominator where the denominator is positive, NaN elsewhere; and the mask."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    ok = denominator > 0
    return np.where(ok, numerator / np.where(ok, denominator, 1.0), np.nan), ok


# ---------------------------------------------------------------------------------------------
# The ledger as arrays: bills, allocations, customers, coded once
# ---------------------------------------------------------------------------------------------

class _Ledger:
    """Bills and Allocations as numpy arrays, customers coded 0..n-1 across all tables."""

    def __init__(self, tables, lang: str):
        self.lang = lang
        self.bills = bills = _table(tables, "Bills")
        allocations = _table(tables, "Allocations")
        self.allocations = allocations if len(allocations) else None
        self.customers = _table(tables, "Customers")
        # Customers: the Customers table's ids, then any other id a bill or allocation names.
        info = self.customers
        if "CustomerID" in info and len(info):
            info = info[info["CustomerID"].notna()].drop_duplicates("CustomerID")
        else:
            info = pd.DataFrame({"CustomerID": pd.Series([], dtype=object)})
        self.info = info
        universe = pd.Index(_objects(info["CustomerID"]))
        bill_codes, bill_uniques = pd.factorize(_col(bills, "CustomerID")) if len(bills) else \
            (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object))
        bill_uniques = np.asarray(bill_uniques, dtype=object)
        at = universe.get_indexer(bill_uniques)
        if (at < 0).any():
            universe = universe.append(pd.Index(bill_uniques[at < 0]))
            at = universe.get_indexer(bill_uniques)
        self.universe = universe
        self.bill_customer = np.where(bill_codes >= 0, at[np.maximum(bill_codes, 0)] if len(at) else -1, -1)
        n = len(bills)
        self.bill_ids = _objects(_col(bills, "BillID"))
        self.bill_day = _days(_col(bills, "BillDate")) if n else np.zeros(0, dtype="datetime64[D]")
        due = _days(_col(bills, "DueDate")) if n else np.zeros(0, dtype="datetime64[D]")
        self.due_day = np.where(np.isnat(due), self.bill_day, due)
        amount = _col(bills, "Amount")
        self.amount = _fen(amount)
        self.cancelled = _is(_col(bills, "Status"), "cancelled")
        self.valid = _present(amount) & (self.bill_customer >= 0) & ~np.isnat(self.bill_day) if n else \
            np.zeros(0, dtype=bool)
        self.positive = self.valid & ~self.cancelled & (self.amount > 0)
        self.paid_amount = _fen(_col(bills, "PaidAmount"))
        if self.allocations is not None:
            a = self.allocations
            self.alloc_day = _days(_col(a, "AllocDate"))
            kind = _col(a, "Kind")
            self.alloc_payment = _is(kind, "payment")
            self.alloc_writeoff = _is(kind, "writeoff")
            self.alloc_amount = _fen(_col(a, "Amount"))
            self.alloc_bill = _positions(self.bill_ids, _objects(_col(a, "BillID")))
            own = self.customer_codes(_col(a, "CustomerID"))
            from_bill = np.where(self.alloc_bill >= 0, self.bill_customer[np.maximum(self.alloc_bill, 0)]
                                 if n else -1, -1)
            self.alloc_customer = np.where(from_bill >= 0, from_bill, own)  # the bill's customer first
            self.alloc_payment_id = _objects(_col(a, "PaymentID"))
        self._open: dict = {}

    @property
    def size(self) -> int:
        return len(self.universe)

    def customer_codes(self, ids: pd.Series) -> np.ndarray:
        """Codes of customer ids; ids not seen yet are added to the universe."""
        values = _objects(ids)
        if not len(values):
            return np.zeros(0, dtype=np.int64)
        missing = pd.isna(values)
        at = self.universe.get_indexer(np.where(missing, "", values))
        new = ~missing & (at < 0)
        if new.any():
            self.universe = self.universe.append(pd.Index(pd.unique(values[new])))
            at = self.universe.get_indexer(np.where(missing, "", values))
        return np.where(missing, -1, at).astype(np.int64)

    @property
    def has_allocations(self) -> bool:
        return self.allocations is not None

    def open_bills(self, day: datetime.date) -> pd.DataFrame:
        """The positive bills open at `day` (aging.open_items), with their customer codes."""
        if day not in self._open:
            if len(self.bills):
                items = aging.open_items(self.bills, self.allocations, day, self.lang).items
                items = items[(items["Kind"] == "bill") & (items["Open"] > 0)]
            else:
                items = pd.DataFrame({"CustomerID": [], "BillID": [], "DueDate": pd.Series([], dtype="datetime64[s]"),
                                      "Open": pd.Series([], dtype=np.int64)})
            self._open[day] = items.assign(code=self.customer_codes(items["CustomerID"]))
        return self._open[day]

    def ar(self, day: datetime.date, size: int) -> tuple[np.ndarray, np.ndarray]:
        """(AR, current AR) per customer at `day`."""
        items = self.open_bills(day)
        code = items["code"].to_numpy(np.int64)
        open_amount = items["Open"].to_numpy(np.int64)
        current = items["DueDate"].to_numpy("datetime64[D]") >= _day(day)
        return _sum_by(code, open_amount, size), _sum_by(code[current], open_amount[current], size)

    def paid_by(self, limit: np.ndarray, kinds: str = "payment") -> np.ndarray:
        """Per bill: payments (and write-offs when kinds='settled') dated on or before the bill's
        `limit` day (an array over the bills)."""
        if not self.has_allocations or not len(self.bills):
            return np.zeros(len(self.bills), dtype=np.int64)
        kind = self.alloc_payment | (self.alloc_writeoff if kinds == "settled" else False)
        bill = self.alloc_bill
        use = kind & (bill >= 0) & ~np.isnat(self.alloc_day)
        use[use] = self.alloc_day[use] <= limit[bill[use]]
        return _sum_by(bill[use], self.alloc_amount[use], len(self.bills))

    def segments(self, lang: str):
        """(scope, names, code per customer) for the total and each segment scope."""
        size = self.size
        at = pd.Index(_objects(self.info["CustomerID"])).get_indexer(self.universe.to_numpy(object)) \
            if len(self.info) else np.full(size, -1)
        blank = BLANK_SEGMENT[lang]
        out = []
        for scope, key in SCOPES:
            if key is None:
                out.append((scope, np.array([None], dtype=object), np.zeros(size, dtype=np.int64)))
                continue
            values = _objects(_col(self.info, key))
            per = np.where(at >= 0, values[np.maximum(at, 0)] if len(values) else None, None)
            per = np.where(pd.isna(per), blank, per).astype(object)
            code, names = pd.factorize(per, sort=True)
            out.append((scope, np.asarray(names, dtype=object), code.astype(np.int64)))
        return out


# ---------------------------------------------------------------------------------------------
# compute
# ---------------------------------------------------------------------------------------------

def _money_bases(ledger: _Ledger, w: Window) -> dict[str, np.ndarray]:
    """Per-customer sums (exact integer fen, or counts) the money KPIs are made of."""
    start, measure = _day(w.start), _day(w.measure)
    bill_day, due_day, amount = ledger.bill_day, ledger.due_day, ledger.amount
    customer = ledger.bill_customer
    in_period = (bill_day >= start) & (bill_day <= measure)
    sales_bills = ledger.positive & in_period
    due_bills = ledger.positive & (due_day >= start) & (due_day <= measure) & (bill_day <= measure)
    issued = ledger.valid & in_period
    base = {}
    opening_items = ledger.open_bills(w.start - datetime.timedelta(days=1))
    ledger.open_bills(w.measure)
    size = ledger.size  # after the open items are coded (they name only the bills' customers)
    ar_end, ar_current = ledger.ar(w.measure, size)
    code = opening_items["code"].to_numpy(np.int64)
    open_amount = opening_items["Open"].to_numpy(np.int64)
    arrears = opening_items["DueDate"].to_numpy("datetime64[D]") < start  # due before the period
    base["ar_open"] = _sum_by(code, open_amount, size)
    base["arrears_open"] = _sum_by(code[arrears], open_amount[arrears], size)
    base["ar_end"], base["ar_current"] = ar_end, ar_current
    base["sales"] = _sum_by(customer[sales_bills], amount[sales_bills], size)
    base["due_amount"] = _sum_by(customer[due_bills], amount[due_bills], size)
    base["due_count"] = _count_by(customer, due_bills, size)
    if ledger.has_allocations:
        a_day, a_bill, a_amount = ledger.alloc_day, ledger.alloc_bill, ledger.alloc_amount
        dated = ~np.isnat(a_day) & (a_day <= measure)
        on_due = np.zeros(len(a_bill), dtype=bool)
        on_due[a_bill >= 0] = due_bills[a_bill[a_bill >= 0]]
        pay = ledger.alloc_payment & dated & on_due
        base["collected_due"] = _sum_by(customer[a_bill[pay]], a_amount[pay], size)
        pay = ledger.alloc_payment & dated & (a_day >= start)
        base["collected_any"] = _sum_by(ledger.alloc_customer[pay], a_amount[pay], size)
        off = ledger.alloc_writeoff & dated & (a_day >= start)
        base["writeoffs"] = _sum_by(ledger.alloc_customer[off], a_amount[off], size)
        settled = ledger.paid_by(due_day, "settled")
        on_time = due_bills & (settled >= amount)
    else:  # the Bills' paid amounts, capped at each bill's amount (over-payments are credit)
        paid = np.clip(ledger.paid_amount, 0, np.maximum(amount, 0))
        base["collected_due"] = _sum_by(customer[due_bills], paid[due_bills], size)
        base["collected_any"] = base["collected_due"].copy()
        base["writeoffs"] = np.zeros(size, dtype=np.int64)
        on_time = due_bills & (ledger.paid_amount >= amount)
    base["on_time_count"] = _count_by(customer, on_time, size)
    base["issued"] = _count_by(customer, issued, size)
    base["corrected"] = _count_by(customer, issued & (ledger.cancelled | (amount < 0) | _reissued(ledger, measure)),
                                  size)
    return base


def _reissued(ledger: _Ledger, measure: np.datetime64) -> np.ndarray:
    """Bills that are a second valid (positive, not cancelled) bill for the same customer, period
    and fee item, in bill-date then row order."""
    candidates = np.flatnonzero(ledger.positive & (ledger.bill_day <= measure))
    flags = np.zeros(len(ledger.bills), dtype=bool)
    if len(candidates) < 2:
        return flags
    period_code, periods = pd.factorize(_col(ledger.bills, "Period").iloc[candidates])
    item_code, items = pd.factorize(_col(ledger.bills, "FeeItem").iloc[candidates])
    key = (ledger.bill_customer[candidates].astype(np.int64) * (len(periods) + 1) + (period_code + 1)) \
        * (len(items) + 1) + (item_code + 1)
    day = ledger.bill_day[candidates].astype(np.int64)
    order = np.lexsort((candidates, day, key))
    ordered = key[order]
    later = np.zeros(len(order), dtype=bool)
    later[1:] = ordered[1:] == ordered[:-1]
    flags[candidates[order[later]]] = True
    return flags


def _money_values(s: dict[str, np.ndarray], days: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each segmented KPI: (values, reason code or None) over the groups of `s`."""
    out = {}
    sales = s["sales"]
    groups = len(sales)

    def put(code, values, ok, reason):
        out[code] = (values, np.where(ok, None, reason).astype(object) if groups else np.zeros(0, dtype=object))

    put("collection_rate", *_divide(s["collected_due"], s["due_amount"]), "no_due")
    put("collection_rate_with_arrears", *_divide(s["collected_any"], s["due_amount"] + s["arrears_open"]),
        "no_due_or_arrears")
    dso_values, ok = _divide(s["ar_end"] * float(days), sales)
    bpdso_values, _ = _divide(s["ar_current"] * float(days), sales)
    put("dso", dso_values, ok, "no_sales")
    put("bpdso", bpdso_values, ok, "no_sales")
    put("add", dso_values - bpdso_values, ok, "no_sales")
    put("cei", *_divide(s["ar_open"] + sales - s["ar_end"], s["ar_open"] + sales - s["ar_current"]),
        "no_cei_base")
    put("pct_current", *_divide(s["ar_current"], s["ar_end"]), "no_ar")
    put("arrears_ratio", *_divide(s["ar_end"] - s["ar_current"], s["ar_end"]), "no_ar")
    put("bad_debt_ratio", *_divide(s["writeoffs"], sales), "no_sales")
    accuracy, ok = _divide(s["corrected"], s["issued"])
    put("billing_accuracy", 1.0 - accuracy, ok, "no_issued")
    put("on_time_rate", *_divide(s["on_time_count"], s["due_count"]), "no_due")
    return out


def _monthly_sales(ledger: _Ledger, w: Window, months: int = 12) -> tuple[list[int], list[int]]:
    """Credit sales and days of the `months` months up to the period, oldest first (the period's
    own month up to the measure date)."""
    first = dates.shift_period(w.period, -(months - 1))
    first_month = np.datetime64(first, "M")
    month = (ledger.bill_day.astype("datetime64[M]") - first_month).astype(np.int64)
    use = ledger.positive & (month >= 0) & (month < months) & (ledger.bill_day <= _day(w.measure))
    sales = _sum_by(month[use], ledger.amount[use], months)
    days = []
    for k in range(months):
        period = dates.shift_period(first, k)
        days.append(w.days if k == months - 1 else dates.period_end(period).day)
    return [int(x) for x in sales], days


def compute(tables: dict[str, pd.DataFrame], period: str, as_of: datetime.date, *, lang: str = "zh",
            complaint_target_days: int = 15, cure_days: int = 30) -> pd.DataFrame:
    """The period's KPIs: one row per KPI overall, and one per KPI and segment (region, officer,
    customer type) for the money KPIs. Columns Period, KPI, Name, Scope, Segment (NaN for the
    total), Value (float; NaN when undefined), Unit, Note (why undefined; data caveats).

    Reads Bills, Allocations, Customers, Complaints, Reconciliation, Exceptions and Letters from
    `tables`; a missing or empty table is treated as having no rows."""
    w = window(period, as_of)
    ledger = _Ledger(tables, lang)
    base = _money_bases(ledger, w)
    common = [_note("partial", lang, day=w.measure.isoformat())] if w.partial else []

    def data_notes(code: str) -> list[str]:
        if ledger.has_allocations or not (code in SEGMENTED or code == "dso_countback"):
            return []
        return [_note("fallback_writeoffs" if code == "bad_debt_ratio" else "fallback", lang)]

    rows: list[tuple] = []  # (scope, segment, code, value, notes)

    def add(scope, segment, code, value, notes):
        rows.append((scope, segment, code, value, notes))

    by_scope = {}
    for scope, names, code in ledger.segments(lang):
        sums = {k: _sum_by(code, v, len(names)) for k, v in base.items()}
        by_scope[scope] = (names, _money_values(sums, w.days))
    # The total first: every KPI in the definitions' order.
    names, money = by_scope["total"]
    total_values = {k: (float(v[0][0]), v[1][0]) for k, v in money.items()}
    total_values.update(_total_only(ledger, tables, w, lang, complaint_target_days, cure_days))
    for definition in DEFINITIONS:
        code = definition.code
        value, reason = total_values[code][:2]
        extra = list(total_values[code][2]) if len(total_values[code]) > 2 else []
        notes = [_reason(reason, code, lang)] if reason is not None else []
        add("total", None, code, value, notes + data_notes(code) + extra + common)
    for scope, _ in SCOPES[1:]:
        names, money = by_scope[scope]
        for k, segment in enumerate(names.tolist()):
            for code in SEGMENTED:
                values, reasons = money[code]
                notes = [_reason(reasons[k], code, lang)] if reasons[k] is not None else []
                add(scope, segment, code, float(values[k]), notes + data_notes(code) + common)
    separator = "；" if lang == "zh" else "; "
    frame = pd.DataFrame({
        "Period": w.period,
        "KPI": [r[2] for r in rows],
        "Name": [DEFINITIONS_BY_CODE[r[2]].name(lang) for r in rows],
        "Scope": [r[0] for r in rows],
        "Segment": [r[1] for r in rows],
        "Value": np.array([np.nan if r[3] is None else r[3] for r in rows], dtype=np.float64),
        "Unit": [DEFINITIONS_BY_CODE[r[2]].unit_label(lang) for r in rows],
        "Note": [separator.join(r[4]) if r[4] else None for r in rows],
    })
    for column in ("Period", "KPI", "Name", "Scope", "Segment", "Unit", "Note"):
        frame[column] = frame[column].astype("str")
    return frame


def _total_only(ledger: _Ledger, tables, w: Window, lang: str, target_days: int, cure_days: int) -> dict:
    """code -> (value or None, reason or None, [notes]) for the KPIs computed overall only."""
    out = {}
    start, measure = _day(w.start), _day(w.measure)
    # Count-back DSO over the last 12 months.
    sales, days = _monthly_sales(ledger, w)
    ar_end = int(ledger.open_bills(w.measure)["Open"].sum())
    value = dso_countback(ar_end, sales, days)
    notes = [_note("countback_beyond", lang, months=len(sales))] if countback_exceeds(ar_end, sales) else []
    out["dso_countback"] = (value, None if value is not None else "no_sales", notes)
    # Complaints.
    c = _table(tables, "Complaints")
    opened = _days(_col(c, "OpenedDate")) if len(c) else np.zeros(0, dtype="datetime64[D]")
    resolved = _days(_col(c, "ResolvedDate")) if len(c) else np.zeros(0, dtype="datetime64[D]")
    dispute = _col(c, "IsDispute").astype("boolean").to_numpy(bool, na_value=False) if len(c) else \
        np.zeros(0, dtype=bool)
    opened_in = ~np.isnat(opened) & (opened >= start) & (opened <= measure)
    resolved_in = ~np.isnat(resolved) & (resolved >= start) & (resolved <= measure)
    issued = int((ledger.valid & (ledger.bill_day >= start) & (ledger.bill_day <= measure)).sum())
    count = int(opened_in.sum())
    out["complaints"] = (float(count), None, [])
    out["dispute_rate"] = _ratio(int((opened_in & dispute).sum()), issued, "no_issued")
    took = (resolved[resolved_in] - opened[resolved_in]).astype(np.int64) if resolved_in.any() else \
        np.zeros(0, dtype=np.int64)
    took = took[took >= 0] if len(took) else took
    out["complaint_median_days"] = (float(np.median(took)), None, []) if len(took) else (None, "no_resolved", [])
    done = opened_in & ~np.isnat(resolved) & (resolved <= measure)
    out["complaint_resolution_rate"] = _ratio(int(done.sum()), count, "no_opened")
    within = _ratio(int((took <= target_days).sum()), len(took), "no_resolved")
    out["complaints_within_target"] = within[:2] + ([_note("within_target", lang, days=target_days)],)
    scores = pd.to_numeric(_col(c, "Satisfaction"), errors="coerce").to_numpy(np.float64, na_value=np.nan) \
        if len(c) else np.zeros(0)
    rated = scores[resolved_in & ~np.isnan(scores)] if len(scores) else scores
    if len(took) == 0:
        out["satisfaction"] = (None, "no_resolved", [])
    elif len(rated) == 0:
        out["satisfaction"] = (None, "no_ratings", [])
    else:
        out["satisfaction"] = (float(rated.mean()), None, [])
    # Reconciliation.
    out["match_rate"] = _match_rate(tables, start, measure)
    e = _table(tables, "Exceptions")
    if len(e):
        e_day = _days(_col(e, "ItemDate"))
        use = _is(_col(e, "Kind"), *UNMATCHED_KINDS) & ~np.isnat(e_day) & (e_day >= start) & (e_day <= measure)
        unmatched = int(_fen(_col(e, "Amount"))[use].sum())
    else:
        unmatched = 0
    out["unmatched_value"] = (unmatched / 100, None, [])
    # Letters.
    letters = _table(tables, "Letters")
    if len(letters):
        sent_day = _days(_col(letters, "SentAt"))
        sent = ~np.isnat(sent_day) & (sent_day >= start) & (sent_day <= measure) & \
            ~_is(_col(letters, "Status"), "failed")
    else:
        sent_day, sent = np.zeros(0, dtype="datetime64[D]"), np.zeros(0, dtype=bool)
    out["letters_sent"] = (float(sent.sum()), None, [])
    cure_note = [_note("cure_days", lang, days=cure_days)]
    if not sent.any():
        out["cure_rate"] = (None, "no_letters", cure_note)
    elif not ledger.has_allocations:
        out["cure_rate"] = (None, "no_allocation_dates", cure_note)
    else:
        customer = ledger.customer_codes(_col(letters, "CustomerID"))[sent]
        day = sent_day[sent]
        keep = customer >= 0
        out["cure_rate"] = (_cured(ledger, customer[keep], day[keep], measure, cure_days), None, cure_note)
        if not keep.any():
            out["cure_rate"] = (None, "no_letters", cure_note)
    return out


def _ratio(numerator: int, denominator: int, reason: str) -> tuple:
    if denominator <= 0:
        return None, reason, []
    return numerator / denominator, None, []


def _match_rate(tables, start: np.datetime64, measure: np.datetime64) -> tuple:
    """Payments dated in the period (Reconciliation rows and the Exceptions that list a payment
    left unmatched; bank-only lines are not payments), and the share with an automatic or
    confirmed match."""
    r = _table(tables, "Reconciliation")
    e = _table(tables, "Exceptions")
    ids, matched = [], []
    if len(r):
        day = _days(_col(r, "PaidDate"))
        use = ~np.isnat(day) & (day >= start) & (day <= measure) & ~_is(_col(r, "Source"), "bank", "bills") & \
            _present(_col(r, "PaymentID"))
        payment = _objects(_col(r, "PaymentID"))[use]
        ids.append(payment)
        matched.append(payment[_is(_col(r, "Status"), *MATCHED_STATUSES)[use]])
    if len(e):
        day = _days(_col(e, "ItemDate"))
        use = ~np.isnat(day) & (day >= start) & (day <= measure) & _is(_col(e, "Kind"), *RECEIPT_EXCEPTION_KINDS) \
            & ~_is(_col(e, "Source"), "bank", "bills") & _present(_col(e, "SourceID"))
        ids.append(_objects(_col(e, "SourceID"))[use])
    every = set(np.concatenate(ids).tolist()) if ids else set()
    hit = set(np.concatenate(matched).tolist()) & every if matched else set()
    return _ratio(len(hit), len(every), "no_payments")


def _cured(ledger: _Ledger, customer: np.ndarray, day: np.ndarray, measure: np.datetime64, cure_days: int) -> float:
    """Share of the customers (sent a letter on `day`) with a payment allocation dated from the
    letter's day to cure_days after it, up to the measure date."""
    pay = ledger.alloc_payment & ~np.isnat(ledger.alloc_day) & (ledger.alloc_day <= measure) & \
        (ledger.alloc_customer >= 0)
    letters = pd.DataFrame({"c": customer, "d": day.astype("datetime64[ns]")}).sort_values("d", kind="stable")
    paid = pd.DataFrame({"c": ledger.alloc_customer[pay], "p": ledger.alloc_day[pay].astype("datetime64[ns]")})
    paid = paid[paid["c"].isin(letters["c"])].sort_values("p", kind="stable")
    if len(paid):
        found = pd.merge_asof(letters, paid, left_on="d", right_on="p", by="c", direction="forward")
        cured = found["p"].notna() & (found["p"] <= found["d"] + pd.Timedelta(days=cure_days))
        cured_customers = set(found.loc[cured, "c"].tolist())
    else:
        cured_customers = set()
    everyone = set(letters["c"].tolist())
    return len(cured_customers) / len(everyone)


# ---------------------------------------------------------------------------------------------
# Targets, trends, history
# ---------------------------------------------------------------------------------------------

def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    first = [c for c in KPI_COLUMNS if c in frame]
    return frame[first + [c for c in frame.columns if c not in first]]


def apply_targets(kpis: pd.DataFrame, targets: pd.DataFrame | None) -> tuple[pd.DataFrame, list[str]]:
    """KPIs with Target (the green threshold) and Status: green / amber / red against the Targets
    table (KPI, Direction, Green, Amber), 'none' without a target or a value. Higher is better:
    value >= green is green, >= amber amber, else red; lower is better: <= green, <= amber.
    A blank Direction takes the KPI's own. Also returns the Targets' KPI codes that name no KPI
    (their rows are not used). The KPI column accepts codes or the KPI names in zh or en."""
    known = {}
    for d in DEFINITIONS:
        for text in (d.code, d.zh, d.en):
            known.setdefault(text.strip().lower(), d.code)
    unknown: list[str] = []
    green, amber, direction = {}, {}, {}
    if targets is not None and len(targets):
        for kpi_text, way, g, a in zip(_objects(_col(targets, "KPI")), _objects(_col(targets, "Direction")),
                                       _col(targets, "Green").tolist(), _col(targets, "Amber").tolist()):
            if kpi_text is None or (isinstance(kpi_text, float) and math.isnan(kpi_text)):
                continue
            code = known.get(str(kpi_text).strip().lower())
            if code is None:
                unknown.append(str(kpi_text))
                continue
            if code in green:
                continue  # the first row of a KPI counts
            g = pd.to_numeric(g, errors="coerce")
            a = pd.to_numeric(a, errors="coerce")
            way = str(way).strip().lower() if isinstance(way, str) and way.strip() else \
                DEFINITIONS_BY_CODE[code].direction
            if way not in ("higher", "lower"):
                way = {"越高越好": "higher", "越低越好": "lower", "higher is better": "higher",
                       "lower is better": "lower"}.get(way, DEFINITIONS_BY_CODE[code].direction)
            green[code], amber[code], direction[code] = g, a, way
    codes = kpis["KPI"].to_numpy(object)
    value = kpis["Value"].to_numpy(np.float64)
    g = np.array([green.get(c, np.nan) for c in codes], dtype=np.float64)
    a = np.array([amber.get(c, np.nan) for c in codes], dtype=np.float64)
    a = np.where(np.isnan(a), g, a)  # no amber: green or red
    higher = np.array([direction.get(c, "higher") == "higher" for c in codes], dtype=bool)
    scored = ~np.isnan(value) & ~np.isnan(g)
    with np.errstate(invalid="ignore"):
        is_green = np.where(higher, value >= g, value <= g)
        is_amber = np.where(higher, value >= a, value <= a)
    status = np.select([~scored, is_green, is_amber], ["none", "green", "amber"], "red")
    out = kpis.assign(Target=g, Status=pd.array(status.astype(object), dtype="str"))
    return _ordered(out), unknown


def _key(frame: pd.DataFrame) -> pd.Series:
    return (frame["KPI"].astype(object).fillna("") + "\x1f" + frame["Scope"].astype(object).fillna("") + "\x1f"
            + frame["Segment"].astype(object).fillna(""))


def apply_trends(kpis: pd.DataFrame, history: pd.DataFrame | None) -> pd.DataFrame:
    """KPIs with Previous (the same KPI, scope and segment in the period before), Change (value -
    previous), LastYear (12 periods earlier) and YoYChange. Only those exact periods are used: a
    period missing from the history leaves them NaN."""
    key = _key(kpis).to_numpy(object)
    periods = kpis["Period"].astype(object).to_numpy(object)
    shifted = {}
    for p in set(periods.tolist()):
        try:
            shifted[p] = (dates.shift_period(dates.parse_period(p), -1), dates.shift_period(dates.parse_period(p), -12))
        except (ValueError, TypeError, AttributeError):
            shifted[p] = (None, None)
    if history is not None and len(history):
        h = history[history["Value"].notna()]
        lookup = pd.Series(h["Value"].to_numpy(np.float64),
                           index=h["Period"].astype(object).fillna("").to_numpy(object) + "\x1e" +
                           _key(h).to_numpy(object))
        lookup = lookup[~lookup.index.duplicated(keep="last")]
    else:
        lookup = pd.Series([], dtype=np.float64)

    def find(which: int) -> np.ndarray:
        wanted = np.array([(shifted[p][which] or "\x00") + "\x1e" + k for p, k in zip(periods.tolist(), key.tolist())],
                          dtype=object)
        return lookup.reindex(wanted).to_numpy(np.float64) if len(wanted) else np.zeros(0)

    previous, last_year = find(0), find(1)
    value = kpis["Value"].to_numpy(np.float64)
    out = kpis.assign(Previous=previous, Change=value - previous, LastYear=last_year, YoYChange=value - last_year)
    return _ordered(out)


def update_history(history: pd.DataFrame | None, kpis: pd.DataFrame) -> pd.DataFrame:
    """The KPI history with the periods in `kpis` replaced by its rows; sorted by Period, KPI,
    Scope, Segment. Running it twice gives the same table."""
    new = kpis[list(HISTORY_COLUMNS)]
    if history is not None and len(history):
        old = history[list(HISTORY_COLUMNS)]
        old = old[~old["Period"].astype(object).isin(set(new["Period"].astype(object)))]
        parts = [p for p in (old, new) if len(p)]
        merged = pd.concat([p.astype({"Value": np.float64}) for p in parts], ignore_index=True) if parts else new
    else:
        merged = new
    merged = merged.astype({"Value": np.float64})
    for column in ("Period", "KPI", "Scope", "Segment"):
        merged[column] = merged[column].astype(object).where(merged[column].notna(), None).astype("str")
    merged = merged.sort_values(["Period", "KPI", "Scope", "Segment"], kind="stable", na_position="first")
    return merged.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Customer analysis
# ---------------------------------------------------------------------------------------------

def _analysis_frame(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(ANALYSIS_COLUMNS))
    frame["Rank"] = pd.array(frame["Rank"].tolist(), dtype="Int64")
    frame["Amount"] = pd.array(frame["Amount"].tolist(), dtype="Int64")
    frame["Measure"] = frame["Measure"].astype(np.float64)
    for column in ("Category", "Key", "Name", "Detail"):
        frame[column] = frame[column].astype(object).astype("str")
    return frame


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def customer_analysis(tables: dict[str, pd.DataFrame], period: str, as_of: datetime.date, lang: str = "zh",
                      top: int = 20) -> pd.DataFrame:
    """Customer analysis for the period, up to `top` rows per category:

    * high_value: the customers billed most in the 12 months to the period's end (positive bills,
      not cancelled); Measure = the share of their bills due by the measure date that were paid in
      full by the due date (NaN when none was due yet).
    * stopped_paying: customers with overdue open bills whose last payment (Allocations of kind
      payment) is more than 60 days before the measure date but who paid at least 3 times in the 6
      months up to that last payment; Amount = overdue, Measure = days since the last payment.
      Needs Allocations (payment dates): none without them.
    * arrears_fee_item: overdue open amount by the bills' fee item (a bill of several items:
      'mixed'); Measure = share of all overdue.
    * arrears_region: overdue open amount by the customers' region; Measure = share.
    """
    zh = lang == "zh"
    w = window(period, as_of)
    ledger = _Ledger(tables, lang)
    measure = _day(w.measure)
    size = ledger.size
    rows: list[tuple] = []
    names_by_code = _customer_names(ledger)
    # High-value customers.
    first = _day(dates.period_start(dates.shift_period(w.period, -11)))
    span = ledger.positive & (ledger.bill_day >= first) & (ledger.bill_day <= measure)
    customer = ledger.bill_customer
    billed = _sum_by(customer[span], ledger.amount[span], size)
    count = _count_by(customer, span, size)
    due = span & (ledger.due_day <= measure)
    if ledger.has_allocations:
        on_time = due & (ledger.paid_by(ledger.due_day, "settled") >= ledger.amount)
    else:
        on_time = due & (ledger.paid_amount >= ledger.amount)
    due_count = _count_by(customer, due, size)
    on_time_count = _count_by(customer, on_time, size)
    ids = ledger.universe.to_numpy(object)
    chosen = np.flatnonzero(billed > 0)
    chosen = chosen[np.lexsort((ids[chosen].astype(str), -billed[chosen]))][:top]
    for rank, k in enumerate(chosen.tolist(), start=1):
        share = on_time_count[k] / due_count[k] if due_count[k] else np.nan
        detail = (f"近 12 个月账单 {count[k]} 张，已到期 {due_count[k]} 张，按时缴清 {on_time_count[k]} 张" if zh else
                  f"{count[k]} bills in 12 months, {due_count[k]} due, {on_time_count[k]} paid in full on time")
        rows.append(("high_value", rank, ids[k], names_by_code[k], int(billed[k]), share, detail))
    # Overdue open items at the measure date.
    items = ledger.open_bills(w.measure)
    overdue = items[items["DueDate"].to_numpy("datetime64[D]") < measure]
    size = ledger.size
    names_by_code = _customer_names(ledger)
    ids = ledger.universe.to_numpy(object)
    owed = _sum_by(overdue["code"].to_numpy(np.int64), overdue["Open"].to_numpy(np.int64), size)
    # Customers who stopped paying.
    if ledger.has_allocations:
        rows += _stopped_paying(ledger, owed, measure, ids, names_by_code, zh, top)
    # Arrears by fee item and by region.
    total_overdue = int(overdue["Open"].sum())
    at = _positions(ledger.bill_ids, overdue["BillID"].to_numpy(object))
    items_col = _objects(_col(ledger.bills, "FeeItem"))
    fee = np.where(at >= 0, items_col[np.maximum(at, 0)] if len(items_col) else None, None)
    fee = np.where(pd.isna(fee), MIXED_FEE_ITEM, fee).astype(object)
    rows += _arrears_rows("arrears_fee_item", fee, overdue["Open"].to_numpy(np.int64), total_overdue, zh, top,
                          lambda key: FEE_ITEM_LABELS.get(key, (key, key))[0 if zh else 1])
    region_of = _segment_values(ledger, "Region", lang)
    region = region_of[overdue["code"].to_numpy(np.int64)] if len(overdue) else np.zeros(0, dtype=object)
    rows += _arrears_rows("arrears_region", region, overdue["Open"].to_numpy(np.int64), total_overdue, zh, top,
                          lambda key: key)
    return _analysis_frame(rows)


def _customer_names(ledger: _Ledger) -> np.ndarray:
    at = pd.Index(_objects(ledger.info["CustomerID"])).get_indexer(ledger.universe.to_numpy(object)) \
        if len(ledger.info) else np.full(ledger.size, -1)
    names = _objects(_col(ledger.info, "Name"))
    return np.where(at >= 0, names[np.maximum(at, 0)] if len(names) else None, None)


def _segment_values(ledger: _Ledger, key: str, lang: str) -> np.ndarray:
    at = pd.Index(_objects(ledger.info["CustomerID"])).get_indexer(ledger.universe.to_numpy(object)) \
        if len(ledger.info) else np.full(ledger.size, -1)
    values = _objects(_col(ledger.info, key))
    per = np.where(at >= 0, values[np.maximum(at, 0)] if len(values) else None, None)
    return np.where(pd.isna(per), BLANK_SEGMENT[lang], per).astype(object)


def _stopped_paying(ledger: _Ledger, owed: np.ndarray, measure: np.datetime64, ids, names, zh: bool,
                    top: int) -> list[tuple]:
    size = len(owed)
    pay = ledger.alloc_payment & ~np.isnat(ledger.alloc_day) & (ledger.alloc_day <= measure) & \
        (ledger.alloc_customer >= 0)
    if not pay.any():
        return []
    customer = ledger.alloc_customer[pay]
    day = ledger.alloc_day[pay]
    last = np.full(size, np.datetime64("NaT"), dtype="datetime64[D]")
    frame = pd.DataFrame({"c": customer, "d": day})
    latest = frame.groupby("c")["d"].max()
    last[latest.index.to_numpy(np.int64)] = latest.to_numpy("datetime64[D]")
    cutoff = measure - np.timedelta64(STOPPED_AFTER_DAYS, "D")
    candidates = np.flatnonzero((owed > 0) & ~np.isnat(last) & (last < cutoff))
    if not len(candidates):
        return []
    since = (pd.DatetimeIndex(last[candidates].astype("datetime64[ns]")) -
             pd.DateOffset(months=STOPPED_LOOKBACK_MONTHS)).to_numpy("datetime64[D]")
    start_of = np.full(size, np.datetime64("NaT"), dtype="datetime64[D]")
    start_of[candidates] = since
    payment_ids = ledger.alloc_payment_id[pay]
    row_ids = np.flatnonzero(pay).astype(str)
    payment_key = np.where(pd.isna(payment_ids), "#" + row_ids.astype(object), payment_ids)
    inside = ~np.isnat(start_of[customer]) & (day > start_of[customer]) & (day <= last[customer])
    counted = pd.DataFrame({"c": customer[inside], "p": payment_key[inside]}).drop_duplicates()
    payments = np.bincount(counted["c"].to_numpy(np.int64), minlength=size)
    chosen = candidates[payments[candidates] >= STOPPED_MIN_PAYMENTS]
    chosen = chosen[np.lexsort((ids[chosen].astype(str), -owed[chosen]))][:top]
    rows = []
    for rank, k in enumerate(chosen.tolist(), start=1):
        days = int((measure - last[k]).astype(np.int64))
        when = str(last[k])
        detail = (f"最后一次缴费 {when}（{days} 天前），此前 {STOPPED_LOOKBACK_MONTHS} 个月内缴费 {payments[k]} 次；"
                  f"逾期欠费 {_yuan(owed[k])}" if zh else
                  f"last payment {when} ({days} days ago), {payments[k]} payments in the {STOPPED_LOOKBACK_MONTHS} "
                  f"months up to it; overdue {_yuan(owed[k])}")
        rows.append(("stopped_paying", rank, ids[k], names[k], int(owed[k]), float(days), detail))
    return rows


def _arrears_rows(category: str, keys: np.ndarray, amounts: np.ndarray, total: int, zh: bool, top: int,
                  label) -> list[tuple]:
    if not len(keys):
        return []
    code, uniques = pd.factorize(keys)
    sums = _sum_by(code, amounts, len(uniques))
    bills = np.bincount(code, minlength=len(uniques))
    uniques = np.asarray(uniques, dtype=object)
    order = np.lexsort((uniques.astype(str), -sums))[:top]
    rows = []
    for rank, k in enumerate(order.tolist(), start=1):
        share = sums[k] / total if total > 0 else np.nan
        detail = (f"逾期账单 {bills[k]} 张，占全部逾期欠费 {share:.1%}" if zh else
                  f"{bills[k]} overdue bills, {share:.1%} of all overdue")
        rows.append((category, rank, uniques[k], label(uniques[k]), int(sums[k]), float(share), detail))
    return rows
