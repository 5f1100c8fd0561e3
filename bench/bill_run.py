"""Pricing a million usage rows with 3-tier graduated (阶梯累进) tariffs that changed price
mid-year, ours side by side with DuckDB SQL doing the same sums exactly (the anchor), and
LibreOffice recalculating the formula an officer would write (reported, not the ratio).

    python bench/bill_run.py [--quick] [--rows N] [--office-rows N] [--repeat N]

Six tariffs, each with two versions: 2026-01-01..2026-07-15 and from 2026-07-16 (a price change
mid-month). Periods are the calendar months of 2026 and thresholds are monthly, so a twelfth of
the rows (period 2026-07) cross the change and are split by days: each version prices
quantity x days/31 against tier bounds x days/31 (15/31 old, 16/31 new) and gives its own tier
lines; every other period lies wholly on one side.

Ours: `tariffs.compile_tariffs` + `tariffs.charge_lines`, then the lines summed per usage row
and per tariff and period. DuckDB: the same from the same two frames in one SQL script, tiers
as `greatest(0, least(q, upper) - lower) * price` x days/days-in-month, exact (floats read as
DECIMAL, then integer thousandths of a unit and millionths of a yuan, the division by the days
an integer half-up division), each tier line rounded half-up to the fen. Ours and DuckDB must
agree on every row, tier line and total to the fen (asserted), and DuckDB with a Fraction
reference on a sample. LibreOffice: a sheet of the first rows, one SUMPRODUCT/ROUND formula a
row over a small tier table (the days each version covers in the month worked out in the same
formula) and SUMIFS totals, written by XlsxWriter and recalculated on load (tests/office.py);
the rows and totals where it differs from the exact result are reported. Last line:
ratio=<ours/DuckDB>.
"""

from __future__ import annotations

import argparse
import calendar
import datetime
import os
import platform
import resource
import sys
import tempfile
import threading
import time
from decimal import Decimal
from fractions import Fraction

import duckdb
import numpy as np
import pandas as pd
import python_calamine
import xlsxwriter

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

import timing

from feedesk import money
from workbook import layout
from workbook.layout import Kind

CHANGE = datetime.date(2026, 7, 16)
FIRST = datetime.date(2026, 1, 1)
# code, fee item, customer type, name, (tier 1 upper, tier 2 upper), prices before, prices from CHANGE
TARIFFS = (
    ("WATER-RES", "water", "residential", "居民生活用水", (15, 22), ("3.45", "4.83", "5.83"), ("3.65", "5.11", "6.17")),
    ("WATER-COM", "water", "commercial", "非居民用水", (200, 500), ("4.10", "4.92", "6.15"), ("4.35", "5.22", "6.53")),
    ("ELEC-RES", "electricity", "residential", "居民生活用电", (240, 400),
     ("0.4883", "0.5383", "0.7883"), ("0.5083", "0.5583", "0.8083")),
    ("ELEC-COM", "electricity", "commercial", "一般工商业用电", (5000, 20000),
     ("0.6731", "0.7012", "0.7625"), ("0.6952", "0.7241", "0.7874")),
    ("GAS-RES", "gas", "residential", "居民生活用气", (30, 50), ("2.61", "3.13", "3.91"), ("2.75", "3.30", "4.13")),
    ("HEAT-COM", "heating", "commercial", "非居民供热", (1000, 3000),
     ("0.315", "0.3465", "0.4095"), ("0.3325", "0.3658", "0.4323")),
)
TARIFF_WEIGHTS = (0.40, 0.06, 0.35, 0.04, 0.12, 0.03)
PERIODS = tuple(f"2026-{m:02d}" for m in range(1, 13))
DTYPES = {
    Kind.TEXT: "str", Kind.PERIOD: "str", Kind.BOOL: "boolean", Kind.MONEY: "Int64", Kind.INT: "Int64",
    Kind.NUMBER: "float64", Kind.PRICE: "float64", Kind.RATE: "float64", Kind.DATE: "datetime64[s]",
    Kind.DATETIME: "datetime64[s]",
}
BIG = 1e9  # the officer's "no upper bound" in the sheet formula


# -- data ---------------------------------------------------------------------------------------

def tariff_frame() -> pd.DataFrame:
    """The Tariffs table as the host types it: one row per tariff, version and tier."""
    rows = []
    for code, item, ctype, name, bounds, before, after in TARIFFS:
        for valid_from, valid_to, prices in ((FIRST, CHANGE - datetime.timedelta(days=1), before),
                                             (CHANGE, None, after)):
            for tier, price in enumerate(prices):
                rows.append({
                    "TariffCode": code, "TariffName": name, "FeeItem": item, "CustomerType": ctype,
                    "Model": "graduated", "Tier": tier + 1,
                    "UpperBound": float(bounds[tier]) if tier < 2 else np.nan, "UnitPrice": float(price),
                    "Unit": "kWh" if item == "electricity" else "m³", "ThresholdBasis": "monthly",
                    "EffectiveFrom": pd.Timestamp(valid_from), "EffectiveTo": pd.Timestamp(valid_to) if valid_to else pd.NaT,
                    "Proposed": False, "VATRate": 0.09, "VATIncluded": True, "Rounding": "half_up",
                })
    spec = layout.table("Tariffs")
    frame = pd.DataFrame({
        c.key: pd.Series([r.get(c.key) for r in rows], dtype=DTYPES[c.kind]) if c.key in rows[0]
        else pd.Series([None] * len(rows), dtype=DTYPES[c.kind]) for c in spec.columns})
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="row")  # Excel row numbers
    return frame


def usage_frame(rows: int, seed: int = 7) -> pd.DataFrame:
    """Monthly readings: 12 periods a customer, one tariff a customer, quantities to 0.01 unit.

    Quantities reach every tier; 1 % are zero and 2 % sit exactly on a tier bound."""
    random = np.random.default_rng(seed)
    customer = np.arange(rows) // 12
    customers = int(customer[-1]) + 1
    tariff_of_customer = random.choice(len(TARIFFS), customers, p=TARIFF_WEIGHTS)
    tariff = tariff_of_customer[customer]
    bound1 = np.array([t[4][0] for t in TARIFFS], dtype=float)[tariff]
    bound2 = np.array([t[4][1] for t in TARIFFS], dtype=float)[tariff]
    quantity = np.round(random.gamma(2.5, bound2 / 3.2), 2)  # about 15 % above the top bound
    pick = random.random(rows)
    quantity[pick < 0.01] = 0.0
    quantity[(pick >= 0.01) & (pick < 0.02)] = bound1[(pick >= 0.01) & (pick < 0.02)]
    quantity[(pick >= 0.02) & (pick < 0.03)] = bound2[(pick >= 0.02) & (pick < 0.03)]
    codes = np.array([t[0] for t in TARIFFS], dtype=object)
    items = np.array([t[1] for t in TARIFFS], dtype=object)
    ids = pd.Series(customer + 1).astype(str).str.zfill(7)
    frame = pd.DataFrame({
        "CustomerID": ("C" + ids).astype("str").array,
        "Period": pd.Series(np.array(PERIODS, dtype=object)[np.arange(rows) % 12], dtype="str").array,
        "FeeItem": pd.Series(items[tariff], dtype="str").array,
        "TariffCode": pd.Series(codes[tariff], dtype="str").array,
        "Quantity": quantity,
    })
    frame.index = pd.RangeIndex(2, rows + 2, name="row")  # Excel row numbers of the Usage sheet
    return frame


# -- ours ---------------------------------------------------------------------------------------

def ours(tariffs_module, tariffs: pd.DataFrame, usage: pd.DataFrame):
    """Per usage row fen (aligned with usage), totals per (TariffCode, Period), and the lines' fen."""
    versions, found = tariffs_module.compile_tariffs(tariffs, "zh", "收费标准")
    assert not [p for p in found if p.blocking], found[:3]
    lines, found = tariffs_module.charge_lines(versions, usage, lang="zh", sheet="抄表用量")
    assert not [p for p in found if p.blocking], found[:3]
    rows = usage.index.to_numpy()
    assert (np.diff(rows) > 0).all()  # Excel rows, in order
    position = np.searchsorted(rows, lines["UsageRow"].to_numpy())
    amounts = lines["Amount"].to_numpy(dtype=np.int64)
    assert np.abs(amounts).sum() < 2**53  # so the float sums below are exact
    charge = pd.Series(np.bincount(position, weights=amounts, minlength=len(rows)).astype(np.int64), index=usage.index)
    keys = [usage["TariffCode"].to_numpy(dtype=object), usage["Period"].to_numpy(dtype=object)]
    totals = charge.groupby(keys).sum()  # grouping plain objects: twice as fast as pandas' string arrays
    return charge.to_numpy(), totals, lines["Amount"]


# -- anchor: DuckDB -----------------------------------------------------------------------------

DUCKDB_LINES = """
WITH tiers AS (
    SELECT TariffCode, Tier,
           CAST(EffectiveFrom AS DATE) AS valid_from,
           coalesce(CAST(EffectiveTo AS DATE), DATE '9999-12-31') AS valid_to,
           CAST(CAST(coalesce(lag(UpperBound) OVER (PARTITION BY TariffCode, EffectiveFrom ORDER BY Tier), 0)
                     AS DECIMAL(18, 3)) * 1000 AS BIGINT) AS lower_k,      -- thousandths of a unit
           CAST(CAST(UpperBound AS DECIMAL(18, 3)) * 1000 AS BIGINT) AS upper_k,
           CAST(CAST(UnitPrice AS DECIMAL(18, 6)) * 1000000 AS BIGINT) AS price_u  -- millionths of a yuan
    FROM tariffs WHERE Model = 'graduated'),
readings AS (
    SELECT row, TariffCode, Period, CAST(CAST(Quantity AS DECIMAL(18, 3)) * 1000 AS BIGINT) AS q_k,
           CAST(strptime(Period || '-01', '%Y-%m-%d') AS DATE) AS first_day,
           CAST(last_day(strptime(Period || '-01', '%Y-%m-%d')) AS DATE) AS last_day
    FROM usage),
lines AS (  -- one row per usage row x version in force x tier; n / d is the line in fen
    SELECT r.row, r.TariffCode, r.Period, t.Tier, t.valid_from,
           greatest(0, least(r.q_k, coalesce(t.upper_k, r.q_k)) - t.lower_k)
             * (date_diff('day', greatest(t.valid_from, r.first_day), least(t.valid_to, r.last_day)) + 1)
             * t.price_u AS n,
           CAST(10000000 AS BIGINT) * (date_diff('day', r.first_day, r.last_day) + 1) AS d
    FROM readings r JOIN tiers t
      ON t.TariffCode = r.TariffCode AND t.valid_from <= r.last_day AND t.valid_to >= r.first_day)
"""
DUCKDB_SQL = "CREATE OR REPLACE TEMP TABLE charges AS" + DUCKDB_LINES + """
SELECT row, any_value(TariffCode) AS TariffCode, any_value(Period) AS Period,
       CAST(sum((2 * n + d) // (2 * d)) AS BIGINT) AS fen   -- each line rounded half-up, then added
FROM lines GROUP BY row
"""


def duckdb_run(connection, tariffs: pd.DataFrame, usage: pd.DataFrame):
    connection.register("tariffs", tariffs)
    connection.register("usage", usage.reset_index())
    connection.execute(DUCKDB_SQL)
    per_row = connection.execute("SELECT row, fen FROM charges ORDER BY row").fetchnumpy()
    totals = connection.execute(
        "SELECT TariffCode, Period, sum(fen)::BIGINT AS fen FROM charges GROUP BY ALL ORDER BY ALL").fetchdf()
    return per_row, totals


def duckdb_lines(connection, tariffs: pd.DataFrame, usage: pd.DataFrame) -> pd.DataFrame:
    """For comparison only: the tier lines themselves (like ours builds), fetched into pandas."""
    connection.register("tariffs", tariffs)
    connection.register("usage", usage.reset_index())
    return connection.execute(DUCKDB_LINES + """
SELECT l.row AS UsageRow, u.CustomerID, l.TariffCode, l.Tier, l.valid_from AS VersionFrom,
       CAST((2 * l.n + l.d) // (2 * l.d) AS BIGINT) AS Amount
FROM lines l JOIN usage u ON u.row = l.row WHERE l.n > 0 ORDER BY l.row, l.valid_from, l.Tier""").fetchdf()


# -- the slow reference -------------------------------------------------------------------------

def parts(period: str) -> list[tuple[int, int, int]]:
    """(version index, days it covers, days in the month) for a period 'YYYY-MM'."""
    first = datetime.date(int(period[:4]), int(period[5:]), 1)
    month_days = calendar.monthrange(first.year, first.month)[1]
    last = first + datetime.timedelta(days=month_days - 1)
    found = []
    for version, (valid_from, valid_to) in enumerate(((FIRST, CHANGE - datetime.timedelta(days=1)),
                                                       (CHANGE, datetime.date(9999, 12, 31)))):
        days = (min(valid_to, last) - max(valid_from, first)).days + 1
        if days > 0:
            found.append((version, days, month_days))
    return found


def half_fen_lines(usage: pd.DataFrame) -> int:
    """How many tier lines land exactly on half a fen (where half-up decides), in exact integers."""
    spec = {t[0]: t for t in TARIFFS}
    thousandths = np.rint(usage["Quantity"].to_numpy() * 1000).astype(np.int64)
    count = 0
    for (code, period), group in usage.groupby(["TariffCode", "Period"]).indices.items():
        bounds = [0, spec[code][4][0] * 1000, spec[code][4][1] * 1000, None]
        for version, days, month_days in parts(period):
            for tier in range(3):
                top = thousandths[group] if bounds[tier + 1] is None else np.minimum(thousandths[group], bounds[tier + 1])
                units = np.maximum(0, top - bounds[tier])
                n = units * days * int(Decimal(spec[code][5 + version][tier]) * 1_000_000)
                d = 10_000_000 * month_days  # n / d fen
                count += int(((units > 0) & ((2 * n) % (2 * d) == d)).sum())
    return count


def reference_fen(code: str, period: str, quantity: float) -> int:
    """Fractions, version part by part and tier by tier, each line rounded half-up to the fen."""
    spec = next(t for t in TARIFFS if t[0] == code)
    units, total = Fraction(repr(float(quantity))), 0
    for version, days, month_days in parts(period):
        lower = Fraction(0)
        for tier, price in enumerate(spec[5 + version]):
            upper = units if tier == 2 else min(units, Fraction(spec[4][tier]))
            if upper > lower:
                fen = (upper - lower) * Fraction(days, month_days) * Fraction(price) * 100
                total += (2 * fen.numerator + fen.denominator) // (2 * fen.denominator)  # half-up, fen >= 0
            if tier < 2:
                lower = Fraction(spec[4][tier])
    return total


# -- anchor 2: LibreOffice ----------------------------------------------------------------------

def office_workbook(path: str, tariffs: pd.DataFrame, usage: pd.DataFrame) -> tuple[int, int]:
    """The sheet an officer would build: tier table, usage rows with one formula each, SUMIFS totals."""
    book = xlsxwriter.Workbook(path, {"constant_memory": True})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    tiers = book.add_worksheet("Tiers")
    tiers.write_row(0, 0, ["TariffCode", "From", "To", "Tier", "Lower", "Upper", "Price"])
    lower = tariffs.groupby(["TariffCode", "EffectiveFrom"])["UpperBound"].shift(1).fillna(0.0)
    for i, (row, lo) in enumerate(zip(tariffs.itertuples(), lower), start=1):
        to = row.EffectiveTo if not pd.isna(row.EffectiveTo) else pd.Timestamp("2099-12-31")
        tiers.write_string(i, 0, row.TariffCode)
        tiers.write_datetime(i, 1, row.EffectiveFrom.to_pydatetime(), date_format)
        tiers.write_datetime(i, 2, to.to_pydatetime(), date_format)
        tiers.write_number(i, 3, int(row.Tier))
        tiers.write_number(i, 4, float(lo))
        tiers.write_number(i, 5, BIG if pd.isna(row.UpperBound) else float(row.UpperBound))
        tiers.write_number(i, 6, float(row.UnitPrice))
    last = len(tariffs) + 1
    ref = {name: f"Tiers!${col}$2:${col}${last}" for name, col in
           (("code", "A"), ("from", "B"), ("to", "C"), ("lower", "E"), ("upper", "F"), ("price", "G"))}

    sheet = book.add_worksheet("Usage")
    sheet.write_row(0, 0, ["Row", "CustomerID", "TariffCode", "Period", "Quantity", "FirstDay", "LastDay", "Charge"])
    n = len(usage)
    code, valid_from, valid_to, lower, upper, price = (ref[k] for k in ("code", "from", "to", "lower", "upper", "price"))
    for i, (row, customer, tariff, period, quantity) in enumerate(zip(
            usage.index.tolist(), usage["CustomerID"].tolist(), usage["TariffCode"].tolist(),
            usage["Period"].tolist(), usage["Quantity"].tolist()), start=1):
        r = i + 1
        sheet.write_number(i, 0, row)
        sheet.write_string(i, 1, customer)
        sheet.write_string(i, 2, tariff)
        sheet.write_string(i, 3, period)
        sheet.write_number(i, 4, quantity)
        sheet.write_formula(i, 5, f"=DATE(VALUE(LEFT(D{r},4)),VALUE(RIGHT(D{r},2)),1)", date_format)
        sheet.write_formula(i, 6, f"=DATE(VALUE(LEFT(D{r},4)),VALUE(RIGHT(D{r},2))+1,0)", date_format)
        # min/max by arithmetic (no MIN/MAX over arrays inside SUMPRODUCT):
        # days of the month each tier row's version covers, 0 when it is not in force
        days = (f"(({valid_to}-({valid_to}>G{r})*({valid_to}-G{r}))-({valid_from}+(F{r}>{valid_from})"
                f"*(F{r}-{valid_from}))+1)*({valid_from}<=G{r})*({valid_to}>=F{r})")
        # units in the tier: max(0, min(q, upper) - lower)
        units = f"((E{r}-(E{r}>{upper})*(E{r}-{upper}))-{lower})*(E{r}>{lower})"
        # each tier line (and each version's part of the month) rounded to the fen, then added
        sheet.write_formula(i, 7, f"=SUMPRODUCT(({code}=C{r})*ROUND({days}/(G{r}-F{r}+1)*{units}*{price},2))")

    totals = book.add_worksheet("Totals")
    totals.write_row(0, 0, ["TariffCode", "Period", "Charge"])
    keys = [(t[0], p) for t in TARIFFS for p in PERIODS]
    for i, (code, period) in enumerate(keys, start=1):
        totals.write_string(i, 0, code)
        totals.write_string(i, 1, period)
        totals.write_formula(i, 2, f"=SUMIFS(Usage!$H$2:$H${n + 1},Usage!$C$2:$C${n + 1},A{i + 1},"
                                   f"Usage!$D$2:$D${n + 1},B{i + 1})")
    book.close()
    return n, len(keys)


def office_read(path: str, rows: int, keys: int):
    workbook = python_calamine.CalamineWorkbook.from_path(path)
    usage = workbook.get_sheet_by_name("Usage").to_python(skip_empty_area=False, nrows=rows + 1)
    charge = np.array([float(r[7]) if isinstance(r[7], (int, float)) else np.nan for r in usage[1:rows + 1]])
    totals = workbook.get_sheet_by_name("Totals").to_python(skip_empty_area=False, nrows=keys + 1)
    return charge, {(r[0], r[1]): r[2] for r in totals[1:keys + 1]}


def yuan_to_fen(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    assert not np.isnan(values).any(), "LibreOffice left a charge that is not a number"
    return money.yuan_array_to_fen(values)


# -- memory -------------------------------------------------------------------------------------

def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRss:
    """Samples the resident set every 5 ms while the block runs (ru_maxrss only ever grows)."""

    def __enter__(self):
        self.before, self.peak, self._stop = rss_bytes(), rss_bytes(), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_bytes())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())


# -- main ---------------------------------------------------------------------------------------

def load_ours():
    try:
        from feedesk import tariffs as tariffs_module
    except ImportError as error:
        print(f"(ours not available: {error})")
        return None
    return tariffs_module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 rows, 20,000 in LibreOffice (under a minute)")
    parser.add_argument("--rows", type=int)
    parser.add_argument("--office-rows", type=int)
    parser.add_argument("--repeat", type=int)
    args = parser.parse_args()
    rows = args.rows or (100_000 if args.quick else 1_000_000)
    office_rows = min(rows, args.office_rows or (20_000 if args.quick else 100_000))
    repeat = args.repeat or 5

    tariffs = tariff_frame()
    started = time.perf_counter()
    usage = usage_frame(rows)
    make_seconds = time.perf_counter() - started
    tariffs_module = load_ours()

    # ours first, so the process peak is inputs + ours
    ours_seconds = ours_result = peak = None
    if tariffs_module is not None:
        with PeakRss() as peak:  # each call's lines are freed inside `ours`; only its small result is kept
            ours_seconds, ours_result = timing.median_time(lambda: ours(tariffs_module, tariffs, usage), repeat)
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    connection = duckdb.connect()
    duck_seconds, (duck_rows, duck_totals) = timing.median_time(lambda: duckdb_run(connection, tariffs, usage), repeat)
    lines_seconds, duck_line_frame = timing.median_time(lambda: duckdb_lines(connection, tariffs, usage), 3)
    threads = connection.execute("SELECT current_setting('threads')").fetchone()[0]
    duck_charge = duck_rows["fen"]
    assert len(duck_charge) == rows and (duck_rows["row"] == usage.index.to_numpy()).all()

    sample = np.random.default_rng(1).choice(rows, min(rows, 3_000), replace=False)
    reference = np.array([reference_fen(usage["TariffCode"].iat[i], usage["Period"].iat[i], usage["Quantity"].iat[i])
                          for i in sample])
    assert (duck_charge[sample] == reference).all(), "DuckDB differs from the Decimal reference"

    if ours_result is not None:
        charge, totals, line_amounts = ours_result
        off = int((charge != duck_charge).sum())
        assert off == 0, f"ours and DuckDB differ on {off} rows, e.g. row {usage.index[np.argmax(charge != duck_charge)]}"
        duck_keyed = duck_totals.set_index(["TariffCode", "Period"])["fen"]
        assert duck_keyed.to_dict() == totals.to_dict(), "totals per tariff and period differ"
        assert int(charge.sum()) == int(duck_keyed.sum())
        assert len(line_amounts) == len(duck_line_frame), (len(line_amounts), len(duck_line_frame))
        assert (line_amounts.to_numpy(dtype=np.int64) == duck_line_frame["Amount"].to_numpy()).all(), "lines differ"

    # LibreOffice on the first office_rows rows
    from tests import office
    with tempfile.TemporaryDirectory() as folder:
        subset = usage.iloc[:office_rows]
        small = os.path.join(folder, "start.xlsx")
        office_workbook(small, tariffs, usage.iloc[:10])
        office.convert(small, "xlsx", os.path.join(folder, "out"))  # first start makes the profile
        started = time.perf_counter()
        office.convert(small, "xlsx", os.path.join(folder, "out"))
        office_start = time.perf_counter() - started
        source = os.path.join(folder, "officer.xlsx")
        started = time.perf_counter()
        n, keys = office_workbook(source, tariffs, subset)
        office_write = time.perf_counter() - started
        started = time.perf_counter()
        converted = office.convert(source, "xlsx", os.path.join(folder, "out"), timeout=1800)
        office_seconds = time.perf_counter() - started
        lo_charge, lo_totals = office_read(str(converted), n, keys)
    lo_fen = yuan_to_fen(lo_charge)
    lo_off = int((lo_fen != duck_charge[:office_rows]).sum())
    expected = pd.Series(duck_charge[:office_rows]).groupby(
        [subset["TariffCode"].to_numpy(), subset["Period"].to_numpy()]).sum()
    lo_total_fen = {k: int(money.yuan_to_fen(float(v))) for k, v in lo_totals.items()}
    totals_off = sum(1 for k, v in expected.items() if lo_total_fen.get(k) != int(v))
    lo_examples = [(int(usage.index[i]), usage["TariffCode"].iat[i], usage["Period"].iat[i],
                    float(usage["Quantity"].iat[i]), int(lo_fen[i]), int(duck_charge[i]))
                   for i in np.flatnonzero(lo_fen != duck_charge[:office_rows])[:5]]

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, pandas {pd.__version__}, duckdb {duckdb.__version__} ({threads} threads)")
    print(f"{rows:,} usage rows (made in {make_seconds:.2f} s), {len(TARIFFS)} tariffs x 2 versions x 3 tiers, "
          f"price change on {CHANGE}: period 2026-07 split by days (15/31 old, 16/31 new)")
    print(f"{'ours equals ' if ours_result is not None else ''}DuckDB on every row to the fen; "
          f"{len(sample):,} sampled rows equal a Fraction reference; {half_fen_lines(usage):,} tier lines "
          f"sit on exactly half a fen; total {int(duck_charge.sum()) / 100:,.2f} yuan")
    print(f"{'method':<52}{'rows':>11}{'seconds':>10}{'rows/s':>13}")
    if ours_seconds is not None:
        print(f"{'ours: compile_tariffs + charge_lines + sums':<52}{rows:>11,}{ours_seconds:>10.2f}"
              f"{rows / ours_seconds:>13,.0f}")
    print(f"{'anchor: DuckDB SQL, exact, half-up per tier line':<52}{rows:>11,}{duck_seconds:>10.2f}"
          f"{rows / duck_seconds:>13,.0f}")
    print(f"{'(DuckDB building the tier lines into pandas, as ours)':<52}{rows:>11,}{lines_seconds:>10.2f}"
          f"{rows / lines_seconds:>13,.0f}")
    print(f"{'LibreOffice 7.4 recalculating SUMPRODUCT/ROUND':<52}{office_rows:>11,}{office_seconds:>10.2f}"
          f"{office_rows / office_seconds:>13,.0f}")
    print(f"  (LibreOffice: {office_start:.1f} s of that is start, open and save of a 10-row file; "
          f"writing the sheet with XlsxWriter took {office_write:.1f} s; "
          + ("every row and SUMIFS total equals DuckDB's)" if not lo_off and not totals_off else
             f"{lo_off} row(s) and {totals_off} SUMIFS total(s) differ from DuckDB's by a fen)"))
    for row, code, period, quantity, lo, exact in lo_examples:
        print(f"  LibreOffice row {row}: {code} {period} {quantity} -> {lo / 100:.2f}, exact {exact / 100:.2f}")
    if peak is not None:
        print(f"memory: inputs held {peak.before / 2**30:.2f} GB RSS; peak during ours {peak.peak / 2**30:.2f} GB "
              f"(+{(peak.peak - peak.before) / 2**30:.2f} GB); process ru_maxrss {max_rss / 2**30:.2f} GB; "
              f"{len(ours_result[2]):,} tier lines, each equal to DuckDB's")
        print(f"ratio={ours_seconds / duck_seconds:.2f}")
    else:
        print("ratio=n/a (feedesk.tariffs not importable yet)")


if __name__ == "__main__":
    main()
