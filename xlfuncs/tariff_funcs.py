"""Excel worksheet functions for tariffs (xlwings UDFs).

Why a thin wrapper: the pricing rules live in feedesk.tariffs, so a cell and the bill run can
never disagree. This layer only turns what Excel passes (None for an empty cell, a row or a
column of cells as a list, a table range as a 2-D list) into calls, and turns bad input into
an error text in the cell instead of an exception dialog.
"""

from __future__ import annotations

import datetime
import functools

import pandas as pd
import xlwings as xw

from feedesk import dates, money, problems, tariffs
from workbook import layout, tables

NOT_A_NUMBER = "#VALUE! 不是数字 / not a number"
BAD_TIERS = "#VALUE! 阶梯不对：单价要比阶梯上限多一个，上限逐级增大 / bad tiers: one price more than thresholds, rising thresholds"
BAD_MODE = "#VALUE! 计价方式只能是阶梯累进或阶梯全量 / mode must be graduated or volume"
NEGATIVE = "#VALUE! 用量不能为负数 / quantity must not be negative"
BAD_DATE = "#VALUE! 日期无法识别，请写成 2026-03-15 / date not readable, write it as 2026-03-15"
BAD_TABLE = "#VALUE! 收费标准表应连同表头一起选取 / select the Tariffs table with its header row"
_MODES = layout.choice_by_text(layout.TARIFF_MODELS)


def _flatten(values) -> list:
    """A scalar, a row, a column or a 2-D range as one flat list, empty cells left out."""
    if values is None:
        return []
    if not isinstance(values, (list, tuple)):
        return [values]
    flat = []
    for value in values:
        flat.extend(_flatten(value))
    return [v for v in flat if not (isinstance(v, str) and not v.strip())]


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@xw.func
@xw.arg("quantity", doc="用量 / quantity (e.g. 500)")
@xw.arg("thresholds", doc="各阶梯上限（最后一档除外），一行或一列单元格 / upper bounds of every tier but the last, a row or column of cells")
@xw.arg("prices", doc="各阶梯单价（元），比上限多一个 / price per unit of each tier in yuan, one more than thresholds")
@xw.arg("mode", doc="阶梯累进 graduated（默认）或阶梯全量 volume / graduated (default) or volume")
def FD_TIERED(quantity, thresholds, prices, mode="graduated"):
    """阶梯计费（元）：按阶梯上限和单价精确计算，四舍五入到分。Tiered charge in yuan, exact, rounded half-up to the fen: graduated prices each tier's units at its price, volume prices all units at the price of the tier reached."""
    if _blank(quantity):
        return ""
    chosen = _MODES.get(str(mode or "graduated").strip().lower())
    if chosen not in ("graduated", "volume"):
        return BAD_MODE
    try:
        amount = money.to_decimal(quantity)
        bounds = [money.to_decimal(t) for t in _flatten(thresholds)]
        rates = [money.to_decimal(p) for p in _flatten(prices)]
    except (TypeError, ValueError):
        return NOT_A_NUMBER
    if amount < 0:
        return NEGATIVE
    try:
        return money.fen_to_float(tariffs.tiered_fen(amount, bounds, rates, chosen))
    except (TypeError, ValueError):
        return BAD_TIERS


@xw.func
@xw.arg("quantity", doc="本期用量 / quantity for the period")
@xw.arg("tariff_code", doc="收费标准代码 / tariff code (e.g. WATER-RES)")
@xw.arg("date", doc="账期内的任一日期，决定用哪个版本和月份 / any date in the billing month: picks the version and season")
@xw.arg("tariffs_table", ndim=2, doc="收费标准表（连同表头，中文或英文表头） / the Tariffs table with its header row (zh or en headers)")
def FD_CHARGE(quantity, tariff_code, date, tariffs_table):
    """按收费标准表计算一期费用（元）：阶梯、固定费、其他收费项目、最低/最高收费、价外增值税，月内调价按天折算。Charge for one month in yuan from the Tariffs table: tiers, fixed fee, components, minimum/maximum, VAT not included, split by days at a price change."""
    if _blank(quantity) or _blank(tariff_code):
        return ""
    try:
        amount = money.to_decimal(quantity)
    except (TypeError, ValueError):
        return NOT_A_NUMBER
    if amount < 0:
        return NEGATIVE
    period = _period(date)
    if period is None:
        return BAD_DATE
    if not isinstance(tariffs_table, (list, tuple)) or len(tariffs_table) < 2 \
            or not isinstance(tariffs_table[0], (list, tuple)):
        return BAD_TABLE
    try:
        key = tuple(tuple(row) for row in tariffs_table)
        hash(key)
    except TypeError:
        key = None
    compiled = _compile(key) if key is not None else _compile_uncached(tariffs_table)
    versions, rows_of, found, lang = compiled
    code = str(tariff_code).strip()
    if isinstance(tariff_code, float) and tariff_code.is_integer():
        code = str(int(tariff_code))
    mine = rows_of.get(code, frozenset())
    blocking = [p for p in found if p.blocking and (p.row in mine or p.row == 1)]
    if blocking:
        return f"#VALUE! {blocking[0].message}"
    usage = pd.DataFrame({"CustomerID": pd.array([""], dtype="str"), "TariffCode": pd.array([code], dtype="str"),
                          "Period": pd.array([period], dtype="str"), "Quantity": [float(amount)]},
                         index=pd.Index([2], name="row"))
    lines, line_problems = tariffs.charge_lines(versions, usage, lang=lang, sheet="")
    errors = [p for p in line_problems if p.blocking]
    if errors:
        return f"#VALUE! {errors[0].message}"
    return money.fen_to_float(int(lines["Amount"].sum()))


def _period(value) -> str | None:
    """'YYYY-MM' of a date cell (datetime), an Excel serial number, or date / period text."""
    try:
        if isinstance(value, (datetime.date, datetime.datetime)):
            return f"{value.year:04d}-{value.month:02d}"
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            day = dates.number_to_date(value)
            return f"{day.year:04d}-{day.month:02d}"
        if isinstance(value, str) and value.strip():
            return dates.parse_period(value)
    except ValueError:
        return None
    return None


def _lang(header) -> str:
    return "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in "".join(str(h or "") for h in header)) else "en"


@functools.lru_cache(maxsize=8)
def _compile(table: tuple):
    """Typed and compiled once per distinct table: a sheet may hold thousands of FD_CHARGE cells."""
    return _compile_uncached(table)


def _compile_uncached(table):
    header, rows = list(table[0]), [list(r) for r in table[1:]]
    lang = _lang(header)
    spec = layout.table("Tariffs")
    sheet = spec.sheet_name(lang)
    read = tables.type_table(spec, header, rows, 2, lang, sheet)
    versions, found = tariffs.compile_tariffs(read.frame, lang, sheet)
    rows_of: dict[str, set[int]] = {}
    if len(read.frame):
        for row, code in read.frame["TariffCode"].items():
            if isinstance(code, str):
                rows_of.setdefault(code, set()).add(int(row))
    every: tuple[problems.Problem, ...] = tuple(read.problems) + tuple(found)
    return versions, {k: frozenset(v) for k, v in rows_of.items()}, every, lang
