"""Excel worksheet functions for KPIs (xlwings UDFs).

Why a thin wrapper: DSO, count-back DSO and CEI are computed by feedesk.kpi, so a cell and the
KPI job can never disagree. This layer only turns what Excel passes (None for an empty cell, a
row or column of cells as a list, amounts in yuan) into calls: amounts become exact integer fen
first, so sums inside are exact. A KPI with nothing to divide by shows a #DIV/0! text saying
why; bad input a #VALUE! text, instead of an exception dialog.
"""

from __future__ import annotations

import math

import xlwings as xw

from feedesk import kpi, money

NOT_A_NUMBER = "#VALUE! 不是数字 / not a number"
BAD_DAYS = "#VALUE! 天数应为不小于 0 的数 / days must be a number >= 0"
NEGATIVE_SALES = "#VALUE! 销售额不能为负数 / sales must not be negative"
BAD_MONTHS = ("#VALUE! 每月天数应为一个数，或与月销售额一一对应 / "
              "monthly days: one number, or one for each month of sales")
NO_SALES = "#DIV/0! 无销售 / no sales"
NO_CEI_BASE = ("#DIV/0! 期初应收 + 销售 − 期末未到期应收 不大于 0 / "
               "opening AR + sales − ending current AR is not above 0")


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _flatten(values) -> list:
    """A scalar, a row, a column or a 2-D range as one flat list, empty cells left out."""
    if values is None:
        return []
    if not isinstance(values, (list, tuple)):
        return [values]
    flat = []
    for value in values:
        flat.extend(_flatten(value))
    return [v for v in flat if not _blank(v)]


def _fen(value) -> int:
    """Yuan from a cell as exact integer fen (ValueError / TypeError for anything else)."""
    return money.yuan_to_fen(value)


def _days(value) -> float:
    number = money.to_decimal(value)
    if number < 0:
        raise ValueError(value)
    days = float(number)
    if not math.isfinite(days):
        raise ValueError(value)
    return days


@xw.func
@xw.arg("ending_ar", doc="期末应收（元） / ending accounts receivable in yuan")
@xw.arg("credit_sales", doc="本期销售（元） / credit sales of the period in yuan")
@xw.arg("days", doc="本期天数，如 31 / days in the period, e.g. 31")
@xw.ret(doc="应收账款周转天数 / days sales outstanding")
def FD_DSO(ending_ar, credit_sales, days):
    """应收账款周转天数（DSO）= 期末应收 ÷ 本期销售 × 本期天数，与绩效作业相同。例：应收 50,000，销售 100,000，
    31 天 -> 15.5。
    Days sales outstanding = ending AR / credit sales x days in the period, as the KPI job computes it. E.g. AR
    50,000, sales 100,000, 31 days -> 15.5."""
    if _blank(ending_ar) or _blank(credit_sales) or _blank(days):
        return ""
    try:
        ar, sales = _fen(ending_ar), _fen(credit_sales)
    except (TypeError, ValueError):
        return NOT_A_NUMBER
    try:
        period_days = _days(days)
    except (TypeError, ValueError):
        return BAD_DAYS
    if sales < 0:
        return NEGATIVE_SALES
    value = kpi.dso(ar, sales, period_days)
    return NO_SALES if value is None else value


@xw.func
@xw.arg("ending_ar", doc="期末应收（元） / ending accounts receivable in yuan")
@xw.arg("monthly_sales", doc="各月销售（元），从最早的月份到本月，一行或一列单元格；无销售的月份填 0 / "
                             "each month's credit sales in yuan, oldest month first, a row or column of cells; "
                             "0 for a month without sales")
@xw.arg("monthly_days", doc="各月天数，与各月销售一一对应，或一个数用于所有月份 / "
                            "the days of each month, one per month of sales, or one number for all")
@xw.ret(doc="倒推法 DSO（天） / count-back DSO in days")
def FD_DSO_COUNTBACK(ending_ar, monthly_sales, monthly_days):
    """倒推法 DSO：期末应收从本月起逐月往前抵减各月销售，抵完的月份计整月天数，抵不完的月份按比例计。
    例：应收 212,000，各月销售 70,000、80,000、100,000（最早在前），每月 30 天 -> 30 + 30 + 32/70 × 30 = 73.7。
    Count-back DSO: ending AR is taken off each month's sales, newest month first; a month used up counts all its
    days, the month where AR runs out a share. E.g. AR 212,000 against 70,000, 80,000, 100,000 (oldest first) at
    30 days each -> 30 + 30 + 32/70 x 30 = 73.7."""
    if _blank(ending_ar):
        return ""
    sales_cells = _flatten(monthly_sales)
    days_cells = _flatten(monthly_days)
    if not sales_cells or not days_cells:
        return ""
    try:
        ar = _fen(ending_ar)
        sales = [_fen(cell) for cell in sales_cells]
    except (TypeError, ValueError):
        return NOT_A_NUMBER
    try:
        days = [_days(cell) for cell in days_cells]
    except (TypeError, ValueError):
        return BAD_DAYS
    if any(s < 0 for s in sales):
        return NEGATIVE_SALES
    if len(days) == 1:
        days = days * len(sales)
    if len(days) != len(sales):
        return BAD_MONTHS
    value = kpi.dso_countback(ar, sales, days)
    return NO_SALES if value is None else value


@xw.func
@xw.arg("opening_ar", doc="期初应收（元） / opening accounts receivable in yuan")
@xw.arg("credit_sales", doc="本期销售（元） / credit sales of the period in yuan")
@xw.arg("ending_ar", doc="期末应收（元） / ending accounts receivable in yuan")
@xw.arg("ending_current_ar", doc="期末未到期应收（元） / the part of ending AR not yet due, in yuan")
@xw.ret(doc="催收有效性指数（百分数，如 84.21） / collection effectiveness index as a percentage, e.g. 84.21")
def FD_CEI(opening_ar, credit_sales, ending_ar, ending_current_ar):
    """催收有效性指数 CEI（百分数）=（期初应收 + 本期销售 − 期末应收）÷（期初应收 + 本期销售 − 期末未到期应收）× 100。
    例：期初 100,000，销售 60,000，期末 70,000，其中未到期 53,125 -> 90,000 ÷ 106,875 × 100 = 84.21。
    (The KPI table stores it as a fraction, 0.8421.)
    Collection effectiveness index as a percentage = (opening AR + sales - ending AR) / (opening AR + sales - ending
    current AR) x 100. E.g. opening 100,000, sales 60,000, ending 70,000 of which 53,125 not yet due -> 90,000 /
    106,875 x 100 = 84.21."""
    cells = (opening_ar, credit_sales, ending_ar, ending_current_ar)
    if any(_blank(cell) for cell in cells):
        return ""
    try:
        opening, sales, ending, current = (_fen(cell) for cell in cells)
    except (TypeError, ValueError):
        return NOT_A_NUMBER
    if sales < 0:
        return NEGATIVE_SALES
    value = kpi.cei(opening, sales, ending, current)
    return NO_CEI_BASE if value is None else value
