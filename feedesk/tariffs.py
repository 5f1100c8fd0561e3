"""The tariff engine: the Tariffs table compiled into versions, and usage priced into charge lines.

Why this module exists: a bill is only as right as its tariff. Officers keep tariffs as rows
(one per code, component, version, season and tier); this module checks those rows all at
once, turns them into small frozen records, and prices a whole Usage table with them.

Money rules kept here (DESIGN.md):
* everything is exact: quantities are integer thousandths of a unit, prices integer millionths
  of a yuan (finer when a price needs it), a part of a period is an integer number of days out
  of the days in the period; products stay integers (int64, or Python ints when a bound could
  overflow) and each line is rounded ONCE to the fen with the tariff's rounding rule;
* floats are read through their shortest repr (what Excel shows), never ``Decimal(float)``;
* no Excel libraries, no clock: the period and dates come from the caller.

Models (the Model column): fixed (a fee per period), per_unit (all units at one price),
graduated (阶梯累进: each tier's units at that tier's price), volume (阶梯全量: all units at the
price of the tier reached), block (a price per started block of BlockSize units). FreeUnits
come off the quantity first; FixedFee, MinCharge, MaxCharge and VAT give lines of their own.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime
import math
import re
import unicodedata
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from feedesk import dates, money, problems

__all__ = [
    "KINDS",
    "LINE_COLUMNS",
    "MODELS",
    "Tier",
    "Version",
    "charge_lines",
    "compile_tariffs",
    "parse_season",
    "quantities_to_thousandths",
    "tiered_fen",
]

MODELS = ("fixed", "per_unit", "graduated", "volume", "block")
PRICED_MODELS = frozenset(("per_unit", "graduated", "volume", "block"))
ONE_TIER_MODELS = frozenset(("per_unit", "block"))
KINDS = ("tier", "fixed", "minimum", "maximum", "vat")  # also the order of a part's lines
BASES = ("monthly", "annual")
LINE_COLUMNS = ("UsageRow", "CustomerID", "TariffCode", "Component", "Kind", "Tier", "Quantity", "UnitPrice",
                "Amount", "VersionFrom")

# The headers problems name. The core imports nothing from workbook/, so the few headers it
# needs are repeated here (tests check they equal workbook/layout.py).
TARIFF_HEADERS: dict[str, tuple[str, str]] = {
    "TariffCode": ("收费标准代码", "Tariff code"),
    "TariffName": ("收费标准名称", "Tariff name"),
    "FeeItem": ("费用项目", "Fee item"),
    "CustomerType": ("客户类别", "Customer type"),
    "Model": ("计价方式", "Model"),
    "Component": ("收费项目", "Component"),
    "Tier": ("阶梯", "Tier"),
    "UpperBound": ("阶梯上限", "Tier upper bound"),
    "UnitPrice": ("单价", "Unit price"),
    "FixedFee": ("固定费", "Fixed fee"),
    "BlockSize": ("计费块大小", "Block size"),
    "FreeUnits": ("免费用量", "Free units"),
    "MinCharge": ("最低收费", "Minimum charge"),
    "MaxCharge": ("最高收费", "Maximum charge"),
    "Unit": ("计量单位", "Unit"),
    "ThresholdBasis": ("阶梯周期", "Threshold basis"),
    "PersonsIncluded": ("基准人口", "Persons included"),
    "ExtraPerPerson": ("每增一人增加用量", "Extra units per person"),
    "SeasonMonths": ("适用月份", "Season months"),
    "EffectiveFrom": ("生效日期", "Effective from"),
    "EffectiveTo": ("失效日期", "Effective to"),
    "Proposed": ("拟调整", "Proposed"),
    "VATRate": ("增值税率", "VAT rate"),
    "VATIncluded": ("含税", "VAT included"),
    "Rounding": ("舍入方式", "Rounding"),
}
USAGE_HEADERS: dict[str, tuple[str, str]] = {
    "TariffCode": ("收费标准代码", "Tariff code"),
    "Period": ("账期", "Period"),
    "Quantity": ("用量", "Quantity"),
}

_ROUNDINGS = {"half_up": money.Rounding.HALF_UP, "half_even": money.Rounding.HALF_EVEN,
              "down": money.Rounding.DOWN, "up": money.Rounding.UP}
_QUANTITY_PLACES = 3  # quantities and tier bounds: integer thousandths
_QUANTITY_SCALE = 10**_QUANTITY_PLACES
_PRICE_PLACES = 6  # prices: integer millionths unless a price has more decimals
_SAFE = 2**62  # int64 products must stay below this; beyond it Python ints take over


def _header(key: str, lang: str, table: dict[str, tuple[str, str]] = TARIFF_HEADERS) -> str:
    zh, en = table[key]
    return zh if lang == "zh" else en


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Tier:
    """One tier: units up to `upper` (None: no upper bound, the last tier) at `price` yuan."""

    number: int
    upper: Decimal | None
    price: Decimal | None


@dataclasses.dataclass(frozen=True)
class Version:
    """One version of one component of a tariff, as the rows that made it say.

    `component` is '' for the base charge; `season` is empty for all year; `rows` are the Excel
    rows it came from, so a line can always be traced back to the table.
    """

    code: str
    component: str
    model: str
    fee_item: str | None
    customer_type: str | None
    name: str
    unit: str
    tiers: tuple[Tier, ...]
    fixed_fee: int
    block_size: Decimal | None
    free_units: Decimal
    min_charge: int | None
    max_charge: int | None
    basis: str
    persons_included: int | None
    extra_per_person: Decimal | None
    season: frozenset[int]
    effective_from: datetime.date
    effective_to: datetime.date | None
    proposed: bool
    vat_rate: Decimal
    vat_included: bool
    rounding: money.Rounding
    rows: tuple[int, ...]


# ---------------------------------------------------------------------------------------------
# Reading cells (typed frames, or the plain values a test writes inline)
# ---------------------------------------------------------------------------------------------


def _blank(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _cells(frame: pd.DataFrame, key: str) -> list:
    if key not in frame.columns:
        return [None] * len(frame)
    return [None if _blank(v) else v for v in frame[key].tolist()]


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() or None


def _code(value) -> str | None:
    text = _text(value)
    return text.lower().replace(" ", "_") if text else None


def _date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).date()
    return dates.parse_date_text(str(value))


def _bool(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("yes", "是", "true", "y", "1")
    return bool(value)


def _decimal_places(value: Decimal) -> int:
    return max(0, -value.as_tuple().exponent)


def parse_season(text) -> frozenset[int]:
    """Months a seasonal tier set applies in: '6-9', '6,7,8,9', '6月-9月', '11-3' (wraps the
    new year); blank means all year (an empty set). ValueError when it cannot be read."""
    if _blank(text):
        return frozenset()
    if isinstance(text, float) and text.is_integer():
        text = str(int(text))
    cleaned = unicodedata.normalize("NFKC", str(text)).strip().replace("月", "")
    months: set[int] = set()
    for part in re.split(r"[,;、\s]+", cleaned):
        if not part:
            continue
        match = re.fullmatch(r"(\d{1,2})(?:\s*[-~–—至到]\s*(\d{1,2}))?", part)
        if not match:
            raise ValueError(text)
        first, last = int(match[1]), int(match[2] or match[1])
        if not (1 <= first <= 12 and 1 <= last <= 12):
            raise ValueError(text)
        month = first
        months.add(month)
        while month != last:
            month = month % 12 + 1
            months.add(month)
    if not months:
        raise ValueError(text)
    return frozenset(months)


# ---------------------------------------------------------------------------------------------
# compile_tariffs
# ---------------------------------------------------------------------------------------------

# Version-level columns: one value per version (blank on some tier rows is fine, two different
# values are not).
_VERSION_FIELDS = ("TariffName", "FeeItem", "CustomerType", "Model", "FixedFee", "BlockSize", "FreeUnits",
                   "MinCharge", "MaxCharge", "Unit", "ThresholdBasis", "PersonsIncluded", "ExtraPerPerson",
                   "EffectiveTo", "VATRate", "VATIncluded", "Rounding")


def compile_tariffs(frame: pd.DataFrame, lang: str, sheet: str) -> tuple[tuple[Version, ...], tuple[problems.Problem, ...]]:
    """The Tariffs table as versions, and every problem in it at once.

    Why all at once: an officer fixes a tariff table in one sitting. A tariff code (current or
    proposed rows separately) with any error gives no versions at all, so a broken tariff is
    never used for a bill and an older version never silently takes its place. Rows without a
    code, model, tier or effective date are left out here: reading the table reports them.
    """
    found: list[problems.Problem] = []
    broken: set[tuple[str, bool]] = set()

    def report(code: str, row: int, key: str, value, tariff: str, proposed: bool, **params) -> None:
        found.append(problems.make(code, lang, sheet=sheet, row=int(row), column=_header(key, lang),
                                   value=_shown(value), tariff=tariff, **params))
        broken.add((tariff, proposed))

    columns = {key: _cells(frame, key) for key in TARIFF_HEADERS}
    groups: dict[tuple, list[dict]] = {}
    first_row_of: dict[tuple, int] = {}
    for at, row in enumerate(frame.index):
        row = int(row)
        cells = {key: values[at] for key, values in columns.items()}
        code = _text(cells["TariffCode"])
        model = _code(cells["Model"])
        if code is None or model is None or cells["Tier"] is None or cells["EffectiveFrom"] is None:
            continue
        proposed = cells["Proposed"] is not None and _bool(cells["Proposed"])
        if model not in MODELS:
            report("not_in_list", row, "Model", cells["Model"], code, proposed, allowed=", ".join(MODELS))
            continue
        try:
            season = parse_season(cells["SeasonMonths"])
        except ValueError:
            report("tariff_bad_season", row, "SeasonMonths", cells["SeasonMonths"], code, proposed)
            continue
        try:
            effective_from = _date(cells["EffectiveFrom"])
        except (ValueError, TypeError):
            report("bad_date", row, "EffectiveFrom", cells["EffectiveFrom"], code, proposed)
            continue
        tier = int(cells["Tier"])
        component = _text(cells["Component"]) or ""
        duplicate_key = (code, component, season, tier, effective_from, proposed)
        if duplicate_key in first_row_of:
            report("tariff_same_day", row, "EffectiveFrom", effective_from.isoformat(), code, proposed,
                   first_row=first_row_of[duplicate_key], tier_number=tier)
            continue
        first_row_of[duplicate_key] = row
        version_key = (code, component, season, effective_from, proposed)
        groups.setdefault(version_key, []).append(
            {"row": row, "tier": tier, "model": model, "cells": cells})

    built: list[Version] = []
    for (code, component, season, effective_from, proposed), members in groups.items():
        def report_here(c, r, k, v, _code=code, _proposed=proposed, **p):
            report(c, r, k, v, _code, _proposed, **p)

        version = _compile_version(code, component, season, effective_from, proposed, members, lang, report_here)
        if version is not None:
            built.append(version)
    usable = tuple(v for v in built if (v.code, v.proposed) not in broken)
    found.sort(key=lambda p: (p.row or 0, p.column, p.code))
    return usable, tuple(found)


def _shown(value) -> object:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _compile_version(code, component, season, effective_from, proposed, members, lang, report) -> Version | None:
    members = sorted(members, key=lambda m: (m["tier"], m["row"]))
    rows = tuple(m["row"] for m in members)
    first = members[0]["row"]
    values: dict[str, object] = {}
    for key in _VERSION_FIELDS:
        chosen, chosen_row = None, None
        for member in members:
            value = member["cells"][key]
            if value is None:
                continue
            comparable = _comparable(key, value)
            if chosen is None:
                chosen, chosen_row = comparable, member["row"]
            elif comparable != chosen:
                report("tariff_inconsistent", member["row"], key, value, first_row=chosen_row)
        values[key] = chosen
    model = values["Model"]

    def number(key, row=first) -> Decimal | None:
        value = values[key]
        if value is None:
            return None
        if _decimal_places(value) > _QUANTITY_PLACES:
            report("tariff_too_many_decimals", row, key, value)
        if value < 0:
            report("tariff_negative", row, key, value)
        return value

    block_size = number("BlockSize")
    free_units = number("FreeUnits") or Decimal(0)
    extra = number("ExtraPerPerson")
    persons_included = None if values["PersonsIncluded"] is None else int(values["PersonsIncluded"])
    if persons_included is not None and persons_included < 0:
        report("tariff_negative", first, "PersonsIncluded", persons_included)
    if extra is not None and persons_included is None:
        report("tariff_no_persons_included", first, "PersonsIncluded", None)
    min_charge = None if values["MinCharge"] is None else int(values["MinCharge"])
    max_charge = None if values["MaxCharge"] is None else int(values["MaxCharge"])
    if min_charge is not None and max_charge is not None and min_charge > max_charge:
        report("tariff_min_above_max", first, "MaxCharge", money.fen_to_yuan(max_charge),
               minimum=money.fen_to_yuan(min_charge))
    effective_to = None
    if values["EffectiveTo"] is not None:
        try:
            effective_to = _date(values["EffectiveTo"])
        except (ValueError, TypeError):
            report("bad_date", first, "EffectiveTo", values["EffectiveTo"])
        else:
            if effective_to < effective_from:
                report("tariff_dates_reversed", first, "EffectiveTo", effective_to.isoformat(),
                       start=effective_from.isoformat())
    basis = values["ThresholdBasis"] or "monthly"
    if basis not in BASES:
        report("not_in_list", first, "ThresholdBasis", basis, allowed=", ".join(BASES))
    rounding_code = values["Rounding"] or "half_up"
    if rounding_code not in _ROUNDINGS:
        report("not_in_list", first, "Rounding", rounding_code, allowed=", ".join(_ROUNDINGS))
    vat_rate = values["VATRate"] if values["VATRate"] is not None else Decimal(0)
    if not Decimal(0) <= vat_rate < Decimal(1):  # 13 meant as 13% would bill VAT of 13 times the charge
        report("tariff_vat_rate", first, "VATRate", vat_rate)
    vat_included = True if values["VATIncluded"] is None else bool(values["VATIncluded"])
    fixed_fee = 0 if values["FixedFee"] is None else int(values["FixedFee"])
    for key, fen in (("FixedFee", fixed_fee), ("MinCharge", min_charge), ("MaxCharge", max_charge)):
        if fen is not None and fen < 0:
            report("tariff_negative", first, key, money.fen_to_yuan(fen))

    tiers = []
    for member in members:
        cells = member["cells"]
        upper = None if cells["UpperBound"] is None else money.to_decimal(cells["UpperBound"])
        price = None if cells["UnitPrice"] is None else money.to_decimal(cells["UnitPrice"])
        tiers.append(Tier(member["tier"], upper, price))
        if price is not None and price < 0:
            report("tariff_negative", member["row"], "UnitPrice", price)
        if upper is not None and _decimal_places(upper) > _QUANTITY_PLACES:
            report("tariff_too_many_decimals", member["row"], "UpperBound", upper)
    if model in PRICED_MODELS:
        _check_tiers(tiers, rows, model, report)
    if model == "block" and (block_size is None or block_size <= 0):
        report("tariff_no_block_size", first, "BlockSize", block_size)
    if model == "fixed" and values["FixedFee"] is None:
        report("tariff_no_fixed_fee", first, "FixedFee", None)
    return Version(
        code=code, component=component, model=model, fee_item=values["FeeItem"],
        customer_type=values["CustomerType"], name=values["TariffName"] or "", unit=values["Unit"] or "",
        tiers=tuple(tiers), fixed_fee=fixed_fee, block_size=block_size, free_units=free_units,
        min_charge=min_charge, max_charge=max_charge, basis=basis, persons_included=persons_included,
        extra_per_person=extra, season=season, effective_from=effective_from, effective_to=effective_to,
        proposed=proposed, vat_rate=vat_rate, vat_included=vat_included,
        rounding=_ROUNDINGS.get(rounding_code, money.Rounding.HALF_UP), rows=rows,
    )


def _comparable(key: str, value):
    """A version-level cell as the value it means, so 0.09 and '9%' or 1 and 1.0 agree."""
    if key in ("BlockSize", "FreeUnits", "ExtraPerPerson", "VATRate"):
        return money.to_decimal(value)
    if key in ("FixedFee", "MinCharge", "MaxCharge", "PersonsIncluded"):
        return int(value)
    if key == "VATIncluded":
        return _bool(value)
    if key == "EffectiveTo":
        try:
            return _date(value)
        except (ValueError, TypeError):
            return value
    if key in ("Model", "ThresholdBasis", "Rounding"):
        return _code(value)
    return _text(value)


_MODEL_LABELS = {"per_unit": "单一价 per unit", "block": "按块计价 block"}


def _check_tiers(tiers: list[Tier], rows: tuple[int, ...], model: str, report) -> None:
    """Tiers 1..n, upper bounds rising from above 0, the last one open, every tier priced."""
    for expected, (tier, row) in enumerate(zip(tiers, rows), start=1):
        if tier.number != expected:
            report("tariff_tier_gap", row, "Tier", tier.number, missing=expected)
            break
    if model in ONE_TIER_MODELS:
        for tier, row in zip(tiers[1:], rows[1:]):
            report("tariff_single_tier", row, "Tier", tier.number, model=_MODEL_LABELS.get(model, model))
        tiers, rows = tiers[:1], rows[:1]
    previous = Decimal(0)
    for position, (tier, row) in enumerate(zip(tiers, rows)):
        last = position == len(tiers) - 1
        if tier.price is None:
            report("tariff_no_price", row, "UnitPrice", None)
        if last:
            if tier.upper is not None:
                report("tariff_last_tier_bounded", row, "UpperBound", tier.upper)
        elif tier.upper is None:
            report("tariff_tier_unbounded", row, "UpperBound", None)
        elif tier.upper <= previous:
            report("tariff_tier_overlap", row, "UpperBound", tier.upper, previous=format(previous, "f"))
        else:
            previous = tier.upper


# ---------------------------------------------------------------------------------------------
# Exact integer helpers
# ---------------------------------------------------------------------------------------------


def _round_div_int(numerator: int, denominator: int, mode: money.Rounding) -> int:
    """numerator / denominator rounded once by `mode` (denominator > 0), in Python ints."""
    negative = numerator < 0
    quotient, remainder = divmod(abs(numerator), denominator)
    if mode is money.Rounding.HALF_UP:
        quotient += 2 * remainder >= denominator
    elif mode is money.Rounding.HALF_EVEN:
        quotient += 2 * remainder > denominator or (2 * remainder == denominator and quotient % 2 == 1)
    elif mode is money.Rounding.UP:
        quotient += remainder > 0
    return -quotient if negative else quotient


def _round_div(numerator: np.ndarray, denominator: int, mode: money.Rounding) -> np.ndarray:
    """The same, element-wise over int64 or object (Python int) arrays."""
    negative = numerator < 0
    magnitude = np.abs(numerator)
    quotient = magnitude // denominator  # floor division and remainder work on object arrays too
    remainder = magnitude - quotient * denominator
    if mode is money.Rounding.HALF_UP:
        quotient = quotient + (2 * remainder >= denominator)
    elif mode is money.Rounding.HALF_EVEN:
        twice = 2 * remainder
        quotient = quotient + ((twice > denominator) | ((twice == denominator) & (quotient % 2 == 1)))
    elif mode is money.Rounding.UP:
        quotient = quotient + (remainder > 0)
    return np.where(negative, -quotient, quotient)


def _fraction_to_fen(amount: Fraction, mode: money.Rounding) -> int:
    scaled = amount * 100
    return _round_div_int(scaled.numerator, scaled.denominator, mode)


def _scaled(value: Decimal, places: int) -> int:
    """value x 10**places as an exact integer (the caller knows it has no more decimals)."""
    scaled = Fraction(value) * 10**places
    if scaled.denominator != 1:
        raise ValueError(f"{value} has more than {places} decimals")
    return scaled.numerator


def _round_half_up_scaled(value: Decimal, places: int) -> int:
    scaled = Fraction(value) * 10**places
    return _round_div_int(scaled.numerator, scaled.denominator, money.Rounding.HALF_UP)


_DEKKER_SPLIT = 2.0**27 + 1
_VECTOR_LIMIT = 2.0**39  # below this a float's rounding interval is narrower than 0.0001


def quantities_to_thousandths(values) -> np.ndarray:
    """Float quantities to int64 thousandths: each float's shortest repr rounded half-up.

    Why not rint(x*1000): 0.0005 is the float 0.000500000000000000010..., and a quantity computed
    in Excel (120.3-100.1 = 20.200000000000003) carries binary noise; reading the repr is what the
    officer saw. Vectorised and exact: a repr with <= 4 decimals is found as an integer of
    ten-thousandths (unique below 2**39); otherwise no rounding boundary lies between the repr
    and the float, so the float's exact product with 1000 (Dekker) rounds the same way.
    """
    x = np.asarray(values, dtype=np.float64)
    if not np.isfinite(x).all():
        raise ValueError("quantities must be finite")
    big = np.abs(x) >= _VECTOR_LIMIT
    xm = np.where(big, 0.0, x)
    nearest = np.rint(xm * 10000.0)
    found = nearest / 10000.0 == xm
    ten_thousandths = nearest
    for offset in (-1.0, 1.0):
        candidate = nearest + offset
        hit = ~found & (candidate / 10000.0 == xm)
        ten_thousandths = np.where(hit, candidate, ten_thousandths)
        found |= hit
    tt = np.where(found, ten_thousandths, 0.0).astype(np.int64)
    from_tt = np.sign(tt) * ((np.abs(tt) + 5) // 10)
    magnitude = np.abs(xm)
    product = magnitude * 1000.0
    split = magnitude * _DEKKER_SPLIT
    high = split - (split - magnitude)
    low = magnitude - high
    error = (high * 1000.0 - product) + low * 1000.0
    whole = np.floor(product)
    fraction = product - whole
    step = (fraction > 0.5) | ((fraction == 0.5) & (error > 0))
    rounded = whole.astype(np.int64) + step
    out = np.where(found, from_tt, np.where(xm < 0, -rounded, rounded))
    if big.any():
        limit = _SAFE // 1000
        objects = None
        for position in np.flatnonzero(big):
            value = _round_half_up_scaled(money.to_decimal(float(x[position])), _QUANTITY_PLACES)
            if abs(value) >= limit:
                if objects is None:
                    objects = out.astype(object)
                objects[position] = value
            else:
                out[position] = value
        if objects is not None:
            for position in np.flatnonzero(big):
                objects[position] = _round_half_up_scaled(money.to_decimal(float(x[position])), _QUANTITY_PLACES)
            return objects
    return out


def _fits(*magnitudes: int) -> bool:
    product = 1
    for magnitude in magnitudes:
        product *= max(int(magnitude), 1)
    return product < _SAFE


def _max_abs(values) -> int:
    array = np.asarray(values)
    if not array.size:
        return 0
    return int(max(abs(int(array.max())), abs(int(array.min()))))


# ---------------------------------------------------------------------------------------------
# tiered_fen: the worksheet-function core
# ---------------------------------------------------------------------------------------------


def tiered_fen(quantity, thresholds, prices, mode: str = "graduated",
               rounding: money.Rounding = money.Rounding.HALF_UP) -> int:
    """Tiered charge in fen, exact and rounded once: what FD_TIERED shows in a cell.

    thresholds are the upper bounds of every tier but the last (rising), prices one more than
    thresholds. 'graduated' prices each tier's units at its own price (阶梯累进); 'volume'
    prices all units at the price of the tier reached (阶梯全量). A quantity on a bound stays
    in the lower tier. Raises ValueError on bad input (the worksheet function turns it into text).
    """
    amount = money.to_decimal(quantity)
    bounds = [money.to_decimal(t) for t in thresholds]
    rates = [money.to_decimal(p) for p in prices]
    if len(rates) != len(bounds) + 1:
        raise ValueError(f"need one price more than thresholds: {len(bounds)} thresholds, {len(rates)} prices")
    if amount < 0:
        raise ValueError("quantity must not be negative")
    previous = Decimal(0)
    for bound in bounds:
        if bound <= previous:
            raise ValueError("thresholds must rise, starting above 0")
        previous = bound
    if not isinstance(rounding, money.Rounding):
        raise TypeError(f"rounding must be a Rounding member, got {rounding!r}")
    quantity_f = Fraction(amount)
    total = Fraction(0)
    if mode == "graduated":
        lower = Fraction(0)
        for index, price in enumerate(rates):
            upper = Fraction(bounds[index]) if index < len(bounds) else None
            top = quantity_f if upper is None else min(quantity_f, upper)
            if top > lower:
                total += (top - lower) * Fraction(price)
            if upper is None or quantity_f <= upper:
                break
            lower = upper
    elif mode == "volume":
        reached = sum(1 for bound in bounds if quantity_f > Fraction(bound))
        total = quantity_f * Fraction(rates[reached])
    else:
        raise ValueError(f"mode must be 'graduated' or 'volume', got {mode!r}")
    return _fraction_to_fen(total, rounding)


# ---------------------------------------------------------------------------------------------
# charge_lines
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Priced:
    """A version's numbers as the integers the vectorised pricing uses."""

    version: Version
    bounds: tuple[int, ...]  # thousandths: upper bounds of every tier but the last
    prices: tuple[int, ...]  # price x price_scale
    numbers: tuple[int, ...]  # tier numbers
    price_scale: int
    free: int  # thousandths
    block: int  # thousandths (block model)
    extra: int  # thousandths per extra person
    included: int
    vat: Fraction
    price_floats: tuple[float, ...]

    @classmethod
    def of(cls, version: Version) -> _Priced:
        tiers = version.tiers
        if version.model in ONE_TIER_MODELS:
            tiers = tiers[:1]
        elif version.model == "fixed":
            tiers = ()
        prices = [t.price for t in tiers]
        places = max([_PRICE_PLACES] + [_decimal_places(p) for p in prices])
        return cls(
            version=version,
            bounds=tuple(_scaled(t.upper, _QUANTITY_PLACES) for t in tiers[:-1]),
            prices=tuple(_scaled(p, places) for p in prices),
            numbers=tuple(t.number for t in tiers),
            price_scale=10**places,
            free=_scaled(version.free_units, _QUANTITY_PLACES),
            block=_scaled(version.block_size, _QUANTITY_PLACES) if version.block_size else 0,
            extra=_scaled(version.extra_per_person, _QUANTITY_PLACES) if version.extra_per_person else 0,
            included=version.persons_included or 0,
            vat=Fraction(version.vat_rate),
            price_floats=tuple(float(p) for p in prices),
        )


@dataclasses.dataclass
class _Block:
    """Lines of one kind for some usage rows (positions), all from one component part."""

    positions: np.ndarray
    component: int
    kind: int
    tier: int  # 0: not a tier line
    quantity: np.ndarray | float
    price: np.ndarray | float
    amount: np.ndarray
    version_from: np.datetime64


class _Timelines:
    """Which version of each tariff component is in force on each day of a period."""

    def __init__(self, versions, proposed: bool):
        by_component: dict[tuple[str, str], list[_Priced]] = {}
        for version in versions:
            by_component.setdefault((version.code, version.component), []).append(_Priced.of(version))
        self.components: dict[str, list[str]] = {}
        self.candidates: dict[tuple[str, str], list[tuple[_Priced, datetime.date, datetime.date]]] = {}
        order: dict[tuple[str, str], int] = {}
        for (code, component), priced in by_component.items():
            chosen = [p for p in priced if not p.version.proposed]
            extend_back = False
            if proposed and any(p.version.proposed for p in priced):
                chosen = [p for p in priced if p.version.proposed]
                extend_back = True
            if not chosen:
                continue
            earliest = min(p.version.effective_from for p in chosen)
            self.candidates[(code, component)] = [
                (p, datetime.date.min if extend_back and p.version.effective_from == earliest
                 else p.version.effective_from, p.version.effective_to or datetime.date.max)
                for p in chosen]
            order[(code, component)] = min(min(p.version.rows) for p in chosen)
            self.components.setdefault(code, []).append(component)
        for code, components in self.components.items():
            components.sort(key=lambda c: (c != "", order[(code, c)]))

    def segments(self, code: str, component: str, year: int, month: int):
        """[(priced, first day index, days)] in date order, and the count of days not covered."""
        candidates = self.candidates[(code, component)]
        days_in_month = calendar.monthrange(year, month)[1]
        seasonal = [c for c in candidates if month in c[0].version.season]
        all_year = [c for c in candidates if not c[0].version.season]
        in_force: list[_Priced | None] = []
        for day_index in range(days_in_month):
            day = datetime.date(year, month, day_index + 1)
            chosen = None
            for group in (seasonal, all_year):
                live = [c for c in group if c[1] <= day <= c[2]]
                if live:
                    chosen = max(live, key=lambda c: (c[1], -len(c[0].version.season), -c[0].version.rows[0]))[0]
                    break
            in_force.append(chosen)
        parts = []
        start = 0
        for day_index in range(1, days_in_month + 1):
            if day_index == days_in_month or in_force[day_index] is not in_force[start]:
                if in_force[start] is not None:
                    parts.append((in_force[start], start, day_index - start))
                start = day_index
        uncovered = sum(1 for v in in_force if v is None)
        return parts, uncovered, days_in_month


_PERIOD_TEXT = re.compile(r"^(\d{4})-(\d{2})$")


def charge_lines(versions, usage: pd.DataFrame, *, proposed: bool = False, lang: str = "zh",
                 sheet: str = "抄表用量") -> tuple[pd.DataFrame, tuple[problems.Problem, ...]]:
    """Price every usage row: one line per row x component x part, each rounded once.

    Why lines and not totals: a bill must show how it was made (tier by tier, the fixed fee,
    a minimum top-up, VAT), and an auditor must be able to redo each line by hand. A period that
    crosses a price change is priced by days: each version prices quantity x days/days-in-period
    with its tier bounds scaled the same way (monthly basis), and gives its own lines.
    `proposed=True` prices with the proposed rows of every tariff component that has them, for
    every period (their earliest version also covers periods before its date), so past usage can
    be repriced for the tariff-impact analysis. Rows with a blank tariff code, period or quantity
    are skipped (reading the table reports them).
    """
    found: list[problems.Problem] = []
    timelines = _Timelines(tuple(versions), proposed)
    count = len(usage)
    excel_rows = np.asarray(usage.index, dtype=np.int64)
    code_series = usage["TariffCode"] if "TariffCode" in usage else pd.Series([None] * count, index=usage.index)
    period_series = usage["Period"] if "Period" in usage else pd.Series([None] * count, index=usage.index)
    quantity = pd.to_numeric(usage["Quantity"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan) \
        if "Quantity" in usage else np.full(count, np.nan)
    # factorizing the plain object values is twice as fast as through pandas' string array
    code_index, code_names = pd.factorize(code_series.to_numpy(dtype=object), use_na_sentinel=True)
    period_index, period_names = pd.factorize(period_series.to_numpy(dtype=object), use_na_sentinel=True)
    valid = (code_index >= 0) & (period_index >= 0) & np.isfinite(quantity)

    negative = valid & (quantity < 0)
    for position in np.flatnonzero(negative):
        found.append(problems.make("negative_quantity", lang, sheet=sheet, row=int(excel_rows[position]),
                                   column=_header("Quantity", lang, USAGE_HEADERS), value=_shown(quantity[position])))
    valid &= ~negative

    periods: list[tuple[int, int] | None] = []
    for name in period_names:
        match = _PERIOD_TEXT.match(str(name).strip())
        month = int(match[2]) if match else 0
        periods.append((int(match[1]), month) if match and 1 <= month <= 12 else None)
    bad_period = valid & np.isin(period_index, [i for i, p in enumerate(periods) if p is None])
    for position in np.flatnonzero(bad_period):
        found.append(problems.make("bad_period", lang, sheet=sheet, row=int(excel_rows[position]),
                                   column=_header("Period", lang, USAGE_HEADERS),
                                   value=period_series.iloc[position]))
    valid &= ~bad_period

    thousandths = np.zeros(count, dtype=np.int64)
    if valid.any():
        converted = quantities_to_thousandths(quantity[valid])
        if converted.dtype == object:
            thousandths = thousandths.astype(object)
        thousandths[valid] = converted
    year_to_date = _optional_quantity(usage, "YearToDate", count)
    persons, persons_known = _optional_persons(usage, count)

    keys = code_index.astype(np.int64) * max(len(period_names), 1) + period_index
    valid_positions = np.flatnonzero(valid)
    order = valid_positions[np.argsort(keys[valid_positions], kind="stable")]
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]) if len(order) else np.array([], int)
    ends = np.r_[starts[1:], len(order)]

    component_names: list[str] = []
    component_ids: dict[str, int] = {}
    blocks: list[_Block] = []
    partly: dict[tuple[str, str, str], list] = {}
    for start, end in zip(starts.tolist(), ends.tolist()):
        positions = order[start:end]
        code = str(code_names[code_index[positions[0]]])
        period_name = str(period_names[period_index[positions[0]]])
        year, month = periods[period_index[positions[0]]]
        priced_any = False
        for component in timelines.components.get(code, ()):
            parts, uncovered, days_in_month = timelines.segments(code, component, year, month)
            if not parts:
                continue
            priced_any = True
            if uncovered:
                note = partly.setdefault((code, component, period_name), [int(excel_rows[positions[0]]), 0,
                                                                         uncovered, days_in_month])
                note[1] += len(positions)
            if component not in component_ids:
                component_ids[component] = len(component_names)
                component_names.append(component)
            group = _Group(positions, thousandths[positions], year_to_date[positions], persons[positions],
                           persons_known[positions])
            for priced, first_day, days in parts:
                blocks.extend(_price_part(priced, group, first_day, days, days_in_month,
                                          component_ids[component]))
        if not priced_any:
            for position in positions:
                found.append(problems.make(
                    "no_tariff", lang, sheet=sheet, row=int(excel_rows[position]),
                    column=_header("TariffCode", lang, USAGE_HEADERS), value=code, period=period_name))
    for (code, component, period_name), (first_row, rows, uncovered, days_in_month) in partly.items():
        found.append(problems.make(
            "tariff_partly_in_force", lang, sheet=sheet, row=first_row,
            column=_header("TariffCode", lang, USAGE_HEADERS), value=code, severity=problems.WARNING,
            component=component or ("基本费用" if lang == "zh" else "base charge"), period=period_name,
            days=uncovered, days_in_period=days_in_month, rows=rows))
    found.sort(key=lambda p: (p.row or 0, p.code))
    return _assemble(blocks, usage, excel_rows, component_names), tuple(found)


def _optional_quantity(usage: pd.DataFrame, key: str, count: int) -> np.ndarray:
    if key not in usage:
        return np.zeros(count, dtype=np.int64)
    values = pd.to_numeric(usage[key], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    values = np.where(np.isfinite(values), values, 0.0)
    return quantities_to_thousandths(values)


def _optional_persons(usage: pd.DataFrame, count: int) -> tuple[np.ndarray, np.ndarray]:
    if "Persons" not in usage:
        return np.zeros(count, dtype=np.int64), np.zeros(count, dtype=bool)
    values = pd.array(usage["Persons"], dtype="Int64")
    known = ~values.isna()
    return values.to_numpy(dtype=np.int64, na_value=0), np.asarray(known, dtype=bool)


@dataclasses.dataclass
class _Group:
    """The usage rows of one tariff code and period: positions, and their integer quantities."""

    positions: np.ndarray
    quantity: np.ndarray  # thousandths
    year_to_date: np.ndarray  # thousandths
    persons: np.ndarray
    persons_known: np.ndarray


def _price_part(priced: _Priced, group: _Group, first_day: int, days: int, days_in_month: int,
                component: int) -> list[_Block]:
    """One version's lines for `days` of the period starting at `first_day` (0-based).

    Units are counted in 1/(1000 x D') of a unit (D' the period's days over their common divisor
    with this part's days), so a pro-rata part stays an integer and each line is one exact
    division rounded once.
    """
    version = priced.version
    mode = version.rounding
    positions = group.positions
    size = len(positions)
    annual = version.basis == "annual" and version.model in ("graduated", "volume")
    divisor = math.gcd(days, days_in_month, first_day) if annual else math.gcd(days, days_in_month)
    part_days, period_days, days_before = days // divisor, days_in_month // divisor, first_day // divisor
    version_from = np.datetime64(version.effective_from, "s")
    blocks: list[_Block] = []
    total = np.zeros(size, dtype=np.int64)

    quantity = group.quantity
    chargeable = quantity - priced.free
    chargeable = np.where(chargeable > 0, chargeable, 0)

    if version.model in PRICED_MODELS:
        price_den = 10 * period_days * priced.price_scale  # units x price / price_den = fen
        max_price = max((abs(p) for p in priced.prices), default=0)
        tier_units: list[tuple[int, np.ndarray]] = []  # (tier index, units per row)
        if version.model == "block":
            started = -(-chargeable // priced.block)
            ints = _fits(_max_abs(started), _QUANTITY_SCALE * part_days, max_price)
            if not ints:
                started = started.astype(object)
            tier_units.append((0, started * (_QUANTITY_SCALE * part_days)))
        else:
            per_person = bool(priced.extra and priced.bounds)
            adjust = 0
            if per_person:
                extra_persons = np.where(group.persons_known, group.persons - priced.included, 0)
                adjust = np.where(extra_persons > 0, extra_persons, 0) * priced.extra
            ytd = group.year_to_date if annual else 0
            reach = (_max_abs(ytd) + _max_abs(chargeable)
                     + max(priced.bounds, default=0) + _max_abs(adjust)) * period_days
            ints = _fits(reach, max_price, 2)
            if not ints:
                chargeable = chargeable.astype(object)
                ytd = np.asarray(ytd).astype(object) if annual else 0
                adjust = np.asarray(adjust).astype(object) if per_person else 0
            if annual:  # thresholds on the year's cumulative usage: this part's place on that axis
                start = ytd * period_days + chargeable * days_before
                end = start + chargeable * part_days
                bounds = [(b + adjust) * period_days for b in priced.bounds]
            else:  # thresholds per period: this part's share of the quantity and of every bound
                start = 0
                end = chargeable * part_days
                bounds = [(b + adjust) * part_days for b in priced.bounds]
            if version.model == "per_unit":
                tier_units.append((0, end - start))
            elif version.model == "graduated":
                lower = 0
                for index in range(len(priced.prices)):
                    top = end if index == len(bounds) else np.minimum(end, bounds[index])
                    units = top - np.maximum(start, lower)
                    tier_units.append((index, np.where(units > 0, units, 0)))
                    if index < len(bounds):
                        lower = bounds[index]
            else:  # volume: every unit at the price of the tier the quantity reaches
                reached = np.zeros(size, dtype=np.int64)
                for bound in bounds:
                    reached += np.asarray(end > bound, dtype=np.int64)
                units = end - start
                for index in range(len(priced.prices)):
                    tier_units.append((index, np.where(reached == index, units, 0)))
        for index, units in tier_units:
            units = np.asarray(units)
            hit = units > 0
            if not hit.any():
                continue
            units = units[hit]
            amount = _round_div(units * priced.prices[index], price_den, mode)
            amount = (amount if ints else np.array([int(a) for a in amount], dtype=object)).astype(np.int64)
            blocks.append(_Block(positions[hit], component, 0, priced.numbers[index],
                                 units.astype(np.float64) / (_QUANTITY_SCALE * period_days),
                                 priced.price_floats[index], amount, version_from))
            total[hit] += amount

    def share(fen: int) -> int:
        """This part's share of a per-period amount, cut so that the parts add up to it exactly."""
        return (_round_div_int(fen * (first_day + days), days_in_month, mode)
                - _round_div_int(fen * first_day, days_in_month, mode))

    if version.fixed_fee:
        fixed = share(version.fixed_fee)
        amount = np.full(size, fixed, dtype=np.int64)
        blocks.append(_Block(positions, component, 1, 0, part_days / period_days, version.fixed_fee / 100,
                             amount, version_from))
        total += fixed
    if version.min_charge is not None:
        floor = share(version.min_charge)
        top_up = floor - total
        hit = top_up > 0
        if hit.any():
            blocks.append(_Block(positions[hit], component, 2, 0, np.nan, np.nan, top_up[hit], version_from))
            total = np.where(hit, floor, total)
    if version.max_charge is not None:
        ceiling = share(version.max_charge)
        cap = ceiling - total
        hit = cap < 0
        if hit.any():
            blocks.append(_Block(positions[hit], component, 3, 0, np.nan, np.nan, cap[hit], version_from))
            total = np.where(hit, ceiling, total)
    if not version.vat_included and priced.vat:
        numerator, denominator = priced.vat.numerator, priced.vat.denominator
        base = total if _fits(_max_abs(total), abs(numerator)) else total.astype(object)
        vat = _round_div(base * numerator, denominator, mode).astype(np.int64)
        hit = vat != 0
        if hit.any():
            blocks.append(_Block(positions[hit], component, 4, 0, total[hit] / 100, float(priced.vat), vat[hit],
                                 version_from))
    return blocks


def _assemble(blocks: list[_Block], usage: pd.DataFrame, excel_rows: np.ndarray,
              component_names: list[str]) -> pd.DataFrame:
    """The lines in bill order (usage row, component, part, kind, tier) without a sort: each
    row's lines are written one after another in the order the blocks were made."""
    count = len(usage)
    if blocks:
        counts = np.zeros(count, dtype=np.int64)
        for block in blocks:
            counts[block.positions] += 1
    else:
        counts = np.zeros(count, dtype=np.int64)
    total = int(counts.sum())
    cursor = np.cumsum(counts) - counts
    position = np.empty(total, dtype=np.int64)
    component = np.empty(total, dtype=np.int64)
    kind = np.empty(total, dtype=np.int8)
    tier = np.zeros(total, dtype=np.int64)
    quantity = np.empty(total, dtype=np.float64)
    price = np.empty(total, dtype=np.float64)
    amount = np.empty(total, dtype=np.int64)
    version_from = np.empty(total, dtype="datetime64[s]")
    for block in blocks:
        destination = cursor[block.positions]
        cursor[block.positions] += 1
        position[destination] = block.positions
        component[destination] = block.component
        kind[destination] = block.kind
        tier[destination] = block.tier
        quantity[destination] = block.quantity
        price[destination] = block.price
        amount[destination] = block.amount
        version_from[destination] = block.version_from

    def text_column(key: str) -> pd.Series:
        if key not in usage:
            return pd.Series(pd.array([None] * total, dtype="str"))
        column = usage[key]
        if str(column.dtype) != "str":
            column = column.astype("str")
        return pd.Series(column.array.take(position))

    return pd.DataFrame({
        "UsageRow": excel_rows[position],
        "CustomerID": text_column("CustomerID"),
        "TariffCode": text_column("TariffCode"),
        "Component": _labels(component, component_names),
        "Kind": _labels(kind, KINDS),
        "Tier": pd.arrays.IntegerArray(tier, tier == 0),
        "Quantity": quantity,
        "UnitPrice": price,
        "Amount": pd.array(amount, dtype="Int64"),
        "VersionFrom": version_from,
    }, copy=False)  # the arrays are ours and fresh: copying 10 columns of millions of lines costs a third


def _labels(codes: np.ndarray, names) -> pd.Series:
    """A categorical column from small integer codes ('' becomes blank): a handful of labels
    over millions of lines, kept as codes (building millions of Python strings costs more than
    all the pricing)."""
    categories = [name for name in names if name]
    mapped = np.array([categories.index(name) if name else -1 for name in names] + [-1], dtype=np.int64)
    codes = mapped[codes] if len(names) else np.full(len(codes), -1, dtype=np.int64)
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories))
