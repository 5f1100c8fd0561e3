"""Tests for feedesk.tariffs: the tariff engine, as a billing officer would check it by hand.

Each example is a small tariff table written out as the officer keeps it (money in yuan, the
way the sheet shows it), a few usage rows, and the bill lines expected, with the arithmetic in
a comment beside them. Then bad tables, the worksheet functions, and a property test against a
slow, obvious Fraction reference.
"""

from __future__ import annotations

import calendar
import datetime
import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedesk import money, tariffs
from feedesk.tariffs import charge_lines, compile_tariffs, tiered_fen
from workbook import layout, tables
from xlfuncs.tariff_funcs import FD_CHARGE, FD_TIERED

# ---------------------------------------------------------------------------------------------
# Helpers: tables written the way the officer sees them
# ---------------------------------------------------------------------------------------------


def tariff_table(text: str, lang: str = "en") -> pd.DataFrame:
    """A Tariffs table from '|'-separated text (header first; column keys, zh or en headers),
    typed exactly as the workbook hosts type the sheet. Row 2 is the first data row."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    header = [cell.strip() for cell in lines[0].split("|")]
    rows = [[cell.strip() or None for cell in line.split("|")] for line in lines[1:]]
    if "FeeItem" not in header and "费用项目" not in header:
        header.append("FeeItem")
        rows = [row + ["water"] for row in rows]
    read = tables.type_table(layout.table("Tariffs"), header, rows, 2, lang, "Tariffs")
    assert read.problems == (), read.problems
    return read.frame


def usage_table(text: str) -> pd.DataFrame:
    """Usage rows: CustomerID | TariffCode | Period | Quantity [| Persons] [| YearToDate]; row 2 first."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    header = [cell.strip() for cell in lines[0].split("|")]
    rows = [[cell.strip() or None for cell in line.split("|")] for line in lines[1:]]
    data = {key: [row[at] for row in rows] for at, key in enumerate(header)}
    frame = pd.DataFrame({
        "CustomerID": pd.array(data["CustomerID"], dtype="str"),
        "TariffCode": pd.array(data["TariffCode"], dtype="str"),
        "Period": pd.array(data["Period"], dtype="str"),
        "Quantity": [float(q) for q in data["Quantity"]],
    }, index=pd.Index(range(2, 2 + len(rows)), name="row"))
    if "Persons" in data:
        frame["Persons"] = pd.array([None if p is None else int(p) for p in data["Persons"]], dtype="Int64")
    if "YearToDate" in data:
        frame["YearToDate"] = [0.0 if y is None else float(y) for y in data["YearToDate"]]
    return frame


def priced(tariff_text: str, usage_text: str, **options) -> list[tuple]:
    """The bill lines as (usage row, component, kind, tier, amount in yuan)."""
    versions, found = compile_tariffs(tariff_table(tariff_text), "en", "Tariffs")
    assert found == (), found
    lines, line_problems = charge_lines(versions, usage_table(usage_text), lang="en", sheet="Usage", **options)
    assert line_problems == (), line_problems
    return described(lines)


def described(lines: pd.DataFrame) -> list[tuple]:
    return [(int(row), "" if pd.isna(component) else component, kind, None if pd.isna(tier) else int(tier),
             str(money.fen_to_yuan(int(amount))))
            for row, component, kind, tier, amount in
            zip(lines["UsageRow"], lines["Component"], lines["Kind"], lines["Tier"], lines["Amount"])]


RESIDENTIAL_WATER = """
TariffCode | Model     | Tier | UpperBound | UnitPrice | EffectiveFrom
W-RES      | graduated | 1    | 15         | 3.45      | 2026-01-01
W-RES      | graduated | 2    | 22         | 4.83      | 2026-01-01
W-RES      | graduated | 3    |            | 5.83      | 2026-01-01
"""


# ---------------------------------------------------------------------------------------------
# The worked examples
# ---------------------------------------------------------------------------------------------


def test_residential_electricity_500_kwh_is_282_15():
    # 240 x 0.4883 + 160 x 0.5383 + 100 x 0.7883 = 117.192 + 86.128 + 78.83 = 282.15
    assert tiered_fen(500, [240, 400], [0.4883, 0.5383, 0.7883]) == 28215
    assert FD_TIERED(500, [240, 400], [0.4883, 0.5383, 0.7883]) == 282.15


def test_kill_bill_13_units_over_tiers_of_5():
    # graduated: 5 x 2 + 8 x 1 = 18.00; volume: all 13 at the reached tier's 1 = 13.00
    assert tiered_fen(13, [5], [2, 1]) == 1800
    assert tiered_fen(13, [5], [2, 1], mode="volume") == 1300
    assert FD_TIERED(13, 5, [2, 1]) == 18.0
    assert FD_TIERED(13, 5, [2, 1], "volume") == 13.0
    assert FD_TIERED(13, 5, [2, 1], "阶梯全量") == 13.0


def test_tiered_fen_edges():
    assert tiered_fen(240, [240, 400], [0.4883, 0.5383, 0.7883]) == 11719  # on the bound: still tier 1
    assert tiered_fen(0, [240], [1, 2]) == 0
    assert tiered_fen(3, [], [0.125]) == 38  # 0.375 rounds half-up once: 0.38, not 3 x 0.13
    assert tiered_fen(3, [], [0.125], rounding=money.Rounding.HALF_EVEN) == 38  # 37.5 fen -> 38 (even)
    assert tiered_fen(3, [], [0.125], rounding=money.Rounding.DOWN) == 37
    with pytest.raises(ValueError):
        tiered_fen(10, [5, 5], [1, 2, 3])  # bounds must rise
    with pytest.raises(ValueError):
        tiered_fen(10, [5], [1])  # one price more than thresholds
    with pytest.raises(ValueError):
        tiered_fen(-1, [5], [1, 2])


def test_fd_tiered_takes_rows_columns_and_blank_cells_as_excel_passes_them():
    as_row = [[240, 400, None]]
    as_column = [[0.4883], [0.5383], [0.7883], [None]]
    assert FD_TIERED(500.0, as_row, as_column) == 282.15
    assert FD_TIERED(None, as_row, as_column) == ""
    assert FD_TIERED("五百", as_row, as_column).startswith("#VALUE!")
    assert FD_TIERED(500, [400, 240], as_column).startswith("#VALUE!")
    assert FD_TIERED(500, as_row, as_column, "sideways").startswith("#VALUE!")
    assert FD_TIERED(-5, as_row, as_column).startswith("#VALUE!")


# ---------------------------------------------------------------------------------------------
# Each model
# ---------------------------------------------------------------------------------------------


def test_fixed_fee_per_period():
    assert priced("""
        TariffCode | Model | Tier | FixedFee | EffectiveFrom
        TV-BASIC   | fixed | 1    | 25.00    | 2026-01-01
        """, """
        CustomerID | TariffCode | Period  | Quantity
        C1         | TV-BASIC   | 2026-03 | 0
        """) == [(2, "", "fixed", None, "25.00")]


def test_per_unit_property_fee_by_area():
    # 89.5 m² x 2.20 = 196.90
    assert priced("""
        TariffCode | Model    | Tier | UnitPrice | EffectiveFrom
        P-RES      | per_unit | 1    | 2.20      | 2023-01-01
        """, """
        CustomerID | TariffCode | Period  | Quantity
        C1         | P-RES      | 2026-03 | 89.5
        """) == [(2, "", "tier", 1, "196.90")]


def test_graduated_water_each_tier_at_its_price():
    assert priced(RESIDENTIAL_WATER, """
        CustomerID | TariffCode | Period  | Quantity
        C1         | W-RES      | 2026-03 | 20
        C2         | W-RES      | 2026-03 | 30
        C3         | W-RES      | 2026-03 | 0
        """) == [
        (2, "", "tier", 1, "51.75"),  # 15 x 3.45
        (2, "", "tier", 2, "24.15"),  # 5 x 4.83
        (3, "", "tier", 1, "51.75"),  # 15 x 3.45
        (3, "", "tier", 2, "33.81"),  # 7 x 4.83
        (3, "", "tier", 3, "46.64"),  # 8 x 5.83
    ]  # nothing to charge for C3's 0 m³


def test_volume_all_units_at_the_tier_reached():
    assert priced("""
        TariffCode | Model  | Tier | UpperBound | UnitPrice | EffectiveFrom
        KB         | volume | 1    | 5          | 2         | 2026-01-01
        KB         | volume | 2    |            | 1         | 2026-01-01
        """, """
        CustomerID | TariffCode | Period  | Quantity
        C1         | KB         | 2026-03 | 13
        C2         | KB         | 2026-03 | 5
        """) == [(2, "", "tier", 2, "13.00"), (3, "", "tier", 1, "10.00")]  # 13 x 1; 5 x 2 (on the bound)


def test_block_priced_per_started_block_after_free_units():
    # 3 GB free, then 5.00 per started block of 10 GB
    table = """
        TariffCode | Model | Tier | UnitPrice | BlockSize | FreeUnits | EffectiveFrom
        DATA       | block | 1    | 5.00      | 10        | 3         | 2026-01-01
        """
    assert priced(table, """
        CustomerID | TariffCode | Period  | Quantity
        C1         | DATA       | 2026-03 | 25
        C2         | DATA       | 2026-03 | 13
        C3         | DATA       | 2026-03 | 3
        C4         | DATA       | 2026-03 | 13.001
        """) == [
        (2, "", "tier", 1, "15.00"),  # 25 - 3 = 22 -> 3 blocks
        (3, "", "tier", 1, "5.00"),  # 10 -> exactly 1 block
        (5, "", "tier", 1, "10.00"),  # 10.001 -> a second block is started
    ]  # C3: all free


def test_free_units_come_off_before_the_tiers():
    assert priced("""
        TariffCode | Model     | Tier | UpperBound | UnitPrice | FreeUnits | EffectiveFrom
        W-LOW      | graduated | 1    | 10         | 2.00      | 5         | 2026-01-01
        W-LOW      | graduated | 2    |            | 3.00      |           | 2026-01-01
        """, """
        CustomerID | TariffCode | Period  | Quantity
        C1         | W-LOW      | 2026-03 | 18
        """) == [(2, "", "tier", 1, "20.00"), (2, "", "tier", 2, "9.00")]  # 13 chargeable: 10 x 2 + 3 x 3


def test_sewage_component_prices_the_same_quantity_on_its_own_line():
    table = """
        TariffCode | Model     | Component | Tier | UpperBound | UnitPrice | EffectiveFrom
        W-RES      | graduated |           | 1    | 15         | 3.45      | 2026-01-01
        W-RES      | graduated |           | 2    | 22         | 4.83      | 2026-01-01
        W-RES      | graduated |           | 3    |            | 5.83      | 2026-01-01
        W-RES      | per_unit  | 污水处理费  | 1    |            | 0.95      | 2026-01-01
        """
    assert priced(table, """
        CustomerID | TariffCode | Period  | Quantity
        C1         | W-RES      | 2026-03 | 20
        """) == [
        (2, "", "tier", 1, "51.75"),  # 15 x 3.45
        (2, "", "tier", 2, "24.15"),  # 5 x 4.83
        (2, "污水处理费", "tier", 1, "19.00"),  # 20 x 0.95
    ]


def test_fixed_fee_beside_a_unit_price():
    assert priced("""
        TariffCode | Model    | Tier | UnitPrice | FixedFee | EffectiveFrom
        GAS        | per_unit | 1    | 2.61      | 5.00     | 2026-01-01
        """, """
        CustomerID | TariffCode | Period  | Quantity
        C1         | GAS        | 2026-03 | 12
        """) == [(2, "", "tier", 1, "31.32"), (2, "", "fixed", None, "5.00")]


def test_minimum_tops_up_and_maximum_caps():
    assert priced("""
        TariffCode | Model    | Tier | UnitPrice | MinCharge | MaxCharge | EffectiveFrom
        HEAT       | per_unit | 1    | 2.00      | 10.00     | 100.00    | 2026-01-01
        """, """
        CustomerID | TariffCode | Period  | Quantity
        C1         | HEAT       | 2026-03 | 3
        C2         | HEAT       | 2026-03 | 10
        C3         | HEAT       | 2026-03 | 60
        """) == [
        (2, "", "tier", 1, "6.00"), (2, "", "minimum", None, "4.00"),  # 6.00 topped up to 10.00
        (3, "", "tier", 1, "20.00"),  # between the two: as priced
        (4, "", "tier", 1, "120.00"), (4, "", "maximum", None, "-20.00"),  # 120.00 capped at 100.00
    ]


def test_vat_not_included_adds_a_line_rounded_once():
    table = """
        TariffCode | Model    | Tier | UnitPrice | VATRate | VATIncluded | EffectiveFrom
        E-COM      | per_unit | 1    | 0.8163    | 13%     | no          | 2026-01-01
        E-INC      | per_unit | 1    | 0.8163    | 13%     | yes         | 2026-01-01
        """
    assert priced(table, """
        CustomerID | TariffCode | Period  | Quantity
        C1         | E-COM      | 2026-03 | 1000
        C2         | E-INC      | 2026-03 | 1000
        """) == [
        (2, "", "tier", 1, "816.30"),  # 1000 x 0.8163
        (2, "", "vat", None, "106.12"),  # 816.30 x 13% = 106.119
        (3, "", "tier", 1, "816.30"),  # VAT already in the price: no extra line
    ]


def test_rounding_column_applies_to_the_components_lines():
    assert priced("""
        TariffCode | Model    | Tier | UnitPrice | Rounding  | EffectiveFrom
        R-UP       | per_unit | 1    | 0.125     | 进一       | 2026-01-01
        R-DOWN     | per_unit | 1    | 0.125     | down      | 2026-01-01
        R-EVEN     | per_unit | 1    | 0.125     | half_even | 2026-01-01
        """, """
        CustomerID | TariffCode | Period  | Quantity
        C1         | R-UP       | 2026-03 | 3.1
        C2         | R-DOWN     | 2026-03 | 3
        C3         | R-EVEN     | 2026-03 | 1
        """) == [
        (2, "", "tier", 1, "0.39"),  # 0.3875 up
        (3, "", "tier", 1, "0.37"),  # 0.375 down
        (4, "", "tier", 1, "0.12"),  # 0.125 half-even
    ]


def test_large_households_get_wider_tiers():
    # 4 persons included, 5 m³ more per extra person: a household of 6 has tiers 25 / 32
    table = """
        TariffCode | Model     | Tier | UpperBound | UnitPrice | PersonsIncluded | ExtraPerPerson | EffectiveFrom
        W-RES      | graduated | 1    | 15         | 3.45      | 4               | 5              | 2026-01-01
        W-RES      | graduated | 2    | 22         | 4.83      | 4               | 5              | 2026-01-01
        W-RES      | graduated | 3    |            | 5.83      | 4               | 5              | 2026-01-01
        """
    assert priced(table, """
        CustomerID | TariffCode | Period  | Quantity | Persons
        C6         | W-RES      | 2026-03 | 30       | 6
        C3         | W-RES      | 2026-03 | 30       | 3
        C?         | W-RES      | 2026-03 | 30       |
        """) == [
        (2, "", "tier", 1, "86.25"), (2, "", "tier", 2, "24.15"),  # 25 x 3.45 + 5 x 4.83
        (3, "", "tier", 1, "51.75"), (3, "", "tier", 2, "33.81"), (3, "", "tier", 3, "46.64"),  # 15 / 7 / 8
        (4, "", "tier", 1, "51.75"), (4, "", "tier", 2, "33.81"), (4, "", "tier", 3, "46.64"),  # unknown: as 4
    ]


def test_annual_thresholds_count_the_years_usage_so_far():
    # 阶梯电价 by year: 2880 kWh at 0.4883, to 4800 at 0.5383, then 0.7883
    table = """
        TariffCode | Model     | Tier | UpperBound | UnitPrice | ThresholdBasis | EffectiveFrom
        E-RES-Y    | graduated | 1    | 2880       | 0.4883    | annual         | 2026-01-01
        E-RES-Y    | graduated | 2    | 4800       | 0.5383    | annual         | 2026-01-01
        E-RES-Y    | graduated | 3    |            | 0.7883    | annual         | 2026-01-01
        """
    assert priced(table, """
        CustomerID | TariffCode | Period  | Quantity | YearToDate
        C1         | E-RES-Y    | 2026-11 | 200      | 2800
        C2         | E-RES-Y    | 2026-01 | 200      |
        C3         | E-RES-Y    | 2026-12 | 300      | 4700
        """) == [
        (2, "", "tier", 1, "39.06"), (2, "", "tier", 2, "64.60"),  # 80 x 0.4883 + 120 x 0.5383
        (3, "", "tier", 1, "97.66"),  # 200 x 0.4883
        (4, "", "tier", 2, "53.83"), (4, "", "tier", 3, "157.66"),  # 100 x 0.5383 + 200 x 0.7883
    ]


def test_a_summer_tier_set_wins_in_its_months():
    table = """
        TariffCode | Model     | Tier | UpperBound | UnitPrice | SeasonMonths | EffectiveFrom
        E-RES      | graduated | 1    | 200        | 0.50      |              | 2026-01-01
        E-RES      | graduated | 2    |            | 0.80      |              | 2026-01-01
        E-RES      | graduated | 1    | 300        | 0.50      | 6-9          | 2026-01-01
        E-RES      | graduated | 2    |            | 0.80      | 6-9          | 2026-01-01
        """
    assert priced(table, """
        CustomerID | TariffCode | Period  | Quantity
        C1         | E-RES      | 2026-03 | 300
        C1         | E-RES      | 2026-07 | 300
        """) == [
        (2, "", "tier", 1, "100.00"), (2, "", "tier", 2, "80.00"),  # March: 200 x 0.50 + 100 x 0.80
        (3, "", "tier", 1, "150.00"),  # July: all 300 in the summer set's first tier
    ]


def test_seasons_read_as_officers_write_them():
    assert tariffs.parse_season("6-9") == {6, 7, 8, 9}
    assert tariffs.parse_season("6,7,8,9") == tariffs.parse_season("6月-9月") == {6, 7, 8, 9}
    assert tariffs.parse_season("11-3") == {11, 12, 1, 2, 3}  # heating season over the new year
    assert tariffs.parse_season("６，７") == {6, 7}
    assert tariffs.parse_season(None) == frozenset()
    for bad in ("13", "summer", "6-"):
        with pytest.raises(ValueError):
            tariffs.parse_season(bad)


WATER_PRICE_CHANGE = RESIDENTIAL_WATER + """
W-RES      | graduated | 1    | 15         | 3.65      | 2026-04-16
W-RES      | graduated | 2    | 22         | 5.11      | 2026-04-16
W-RES      | graduated | 3    |            | 6.17      | 2026-04-16
"""


def test_a_price_change_mid_period_is_split_by_days():
    # April has 30 days; new prices from the 16th: 15 days old, 15 new, so each version prices
    # 30 x 15/30 = 15 m³ with its bounds halved (7.5 / 11).
    lines = priced(WATER_PRICE_CHANGE, """
        CustomerID | TariffCode | Period  | Quantity
        C1         | W-RES      | 2026-04 | 30
        """)
    assert lines == [
        (2, "", "tier", 1, "25.88"),  # 7.5 x 3.45 = 25.875
        (2, "", "tier", 2, "16.91"),  # 3.5 x 4.83 = 16.905
        (2, "", "tier", 3, "23.32"),  # 4 x 5.83
        (2, "", "tier", 1, "27.38"),  # 7.5 x 3.65 = 27.375
        (2, "", "tier", 2, "17.89"),  # 3.5 x 5.11 = 17.885
        (2, "", "tier", 3, "24.68"),  # 4 x 6.17
    ]
    versions, _ = compile_tariffs(tariff_table(WATER_PRICE_CHANGE), "en", "Tariffs")
    frame, _ = charge_lines(versions, usage_table("""
        CustomerID | TariffCode | Period  | Quantity
        C1         | W-RES      | 2026-04 | 30
        """))
    assert list(frame["VersionFrom"].dt.strftime("%m-%d")) == ["01-01"] * 3 + ["04-16"] * 3
    assert list(frame["Quantity"]) == [7.5, 3.5, 4.0, 7.5, 3.5, 4.0]
    assert frame["Amount"].sum() == 13606
    # A whole month on either side of the change is not split.
    assert priced(WATER_PRICE_CHANGE, """
        CustomerID | TariffCode | Period  | Quantity
        C1         | W-RES      | 2026-05 | 20
        """) == [(2, "", "tier", 1, "54.75"), (2, "", "tier", 2, "25.55")]  # 15 x 3.65 + 5 x 5.11


def test_the_line_frame_has_the_promised_columns_and_types():
    versions, _ = compile_tariffs(tariff_table(WATER_PRICE_CHANGE), "en", "Tariffs")
    frame, _ = charge_lines(versions, usage_table("""
        CustomerID | TariffCode | Period  | Quantity
        C1         | W-RES      | 2026-04 | 30
        """))
    assert tuple(frame.columns) == tariffs.LINE_COLUMNS
    assert {k: str(t) for k, t in frame.dtypes.items()} == {
        "UsageRow": "int64", "CustomerID": "str", "TariffCode": "str", "Component": "category", "Kind": "category",
        "Tier": "Int64", "Quantity": "float64", "UnitPrice": "float64", "Amount": "Int64",
        "VersionFrom": "datetime64[s]"}
    empty, _ = charge_lines(versions, usage_table("CustomerID | TariffCode | Period | Quantity\n"))
    assert tuple(empty.columns) == tariffs.LINE_COLUMNS and len(empty) == 0


def test_proposed_rows_are_used_only_when_asked():
    table = """
        TariffCode | Model     | Tier | UpperBound | UnitPrice | EffectiveFrom | Proposed
        W-RES      | graduated | 1    | 15         | 3.45      | 2026-01-01    |
        W-RES      | graduated | 2    | 22         | 4.83      | 2026-01-01    |
        W-RES      | graduated | 3    |            | 5.83      | 2026-01-01    |
        W-RES      | graduated | 1    | 15         | 4.00      | 2026-07-01    | yes
        W-RES      | graduated | 2    |            | 6.00      | 2026-07-01    | yes
        """
    usage = """
        CustomerID | TariffCode | Period  | Quantity
        C1         | W-RES      | 2026-03 | 20
        """
    assert priced(table, usage) == [(2, "", "tier", 1, "51.75"), (2, "", "tier", 2, "24.15")]
    # The tariff-impact view: last March's usage at the proposed prices, 15 x 4 + 5 x 6.
    assert priced(table, usage, proposed=True) == [(2, "", "tier", 1, "60.00"), (2, "", "tier", 2, "30.00")]


def test_unknown_tariff_and_no_version_in_force_are_problems_naming_the_usage_row():
    versions, _ = compile_tariffs(tariff_table(RESIDENTIAL_WATER), "zh", "收费标准")
    lines, found = charge_lines(versions, usage_table("""
        CustomerID | TariffCode | Period  | Quantity
        C1         | W-RES      | 2026-03 | 20
        C2         | W-XYZ      | 2026-03 | 20
        C3         | W-RES      | 2025-12 | 20
        """), lang="zh", sheet="抄表用量")
    assert set(lines["UsageRow"]) == {2}
    assert [(p.code, p.sheet, p.row, p.column, p.value) for p in found] == [
        ("no_tariff", "抄表用量", 3, "收费标准代码", "W-XYZ"),
        ("no_tariff", "抄表用量", 4, "收费标准代码", "W-RES"),
    ]
    assert "2025-12" in found[1].message and "请改正代码" in found[1].message


def test_a_tariff_starting_mid_month_charges_its_days_and_warns():
    lines, found = charge_lines(
        compile_tariffs(tariff_table("""
            TariffCode | Model    | Tier | UnitPrice | EffectiveFrom
            NEW        | per_unit | 1    | 3.00      | 2026-04-16
            """), "en", "Tariffs")[0],
        usage_table("""
            CustomerID | TariffCode | Period  | Quantity
            C1         | NEW        | 2026-04 | 30
            """), lang="en", sheet="Usage")
    assert described(lines) == [(2, "", "tier", 1, "45.00")]  # 15 of 30 days: 15 x 3.00
    assert [(p.code, p.severity, p.row) for p in found] == [("tariff_partly_in_force", "warning", 2)]


def test_negative_quantity_is_not_charged():
    versions, _ = compile_tariffs(tariff_table(RESIDENTIAL_WATER), "en", "Tariffs")
    lines, found = charge_lines(versions, usage_table("""
        CustomerID | TariffCode | Period  | Quantity
        C1         | W-RES      | 2026-03 | -3
        """), lang="en", sheet="Usage")
    assert len(lines) == 0
    assert [(p.code, p.row, p.column) for p in found] == [("negative_quantity", 2, "Quantity")]


def test_quantities_are_read_as_excel_shows_them():
    values = np.array([20.200000000000003, 0.0005, 2.0005, 12.345, 1e-7, 123456789.123, 7.0])
    assert tariffs.quantities_to_thousandths(values).tolist() == [20200, 1, 2001, 12345, 0, 123456789123, 7000]


# ---------------------------------------------------------------------------------------------
# Bad tariff tables: every problem at once, each naming its row and column
# ---------------------------------------------------------------------------------------------


def problems_of(text: str, lang: str = "zh"):
    versions, found = compile_tariffs(tariff_table(text, lang), lang, "收费标准" if lang == "zh" else "Tariffs")
    return versions, [(p.code, p.row, p.column) for p in found], found


def test_overlapping_tiers():
    versions, found, records = problems_of("""
        TariffCode | Model     | Tier | UpperBound | UnitPrice | EffectiveFrom
        W-RES      | graduated | 1    | 15         | 3.45      | 2026-01-01
        W-RES      | graduated | 2    | 12         | 4.83      | 2026-01-01
        W-RES      | graduated | 3    |            | 5.83      | 2026-01-01
        """)
    assert found == [("tariff_tier_overlap", 3, "阶梯上限")]
    assert "阶梯重叠" in records[0].message and "W-RES" in records[0].message
    assert versions == ()  # a broken tariff is never used


def test_a_gap_in_the_tier_numbers():
    _, found, _ = problems_of("""
        TariffCode | Model     | Tier | UpperBound | UnitPrice | EffectiveFrom
        W-RES      | graduated | 1    | 15         | 3.45      | 2026-01-01
        W-RES      | graduated | 3    |            | 5.83      | 2026-01-01
        """)
    assert found == [("tariff_tier_gap", 3, "阶梯")]


def test_a_tier_without_a_price_and_bounds_in_the_wrong_places():
    _, found, _ = problems_of("""
        TariffCode | Model     | Tier | UpperBound | UnitPrice | EffectiveFrom
        W-RES      | graduated | 1    |            | 3.45      | 2026-01-01
        W-RES      | graduated | 2    | 22         |           | 2026-01-01
        W-RES      | graduated | 3    | 30         | 5.83      | 2026-01-01
        """)
    assert found == [("tariff_tier_unbounded", 2, "阶梯上限"), ("tariff_no_price", 3, "单价"),
                     ("tariff_last_tier_bounded", 4, "阶梯上限")]


def test_two_versions_effective_the_same_day():
    _, found, records = problems_of(RESIDENTIAL_WATER + """
        W-RES      | graduated | 2    | 22         | 4.90      | 2026-01-01
        """)
    assert found == [("tariff_same_day", 5, "生效日期")]
    assert "第 3 行" in records[0].message


def test_dates_reversed_and_a_block_without_its_size_all_reported_at_once():
    versions, found, _ = problems_of("""
        TariffCode | Model    | Tier | UnitPrice | BlockSize | EffectiveFrom | EffectiveTo
        W-COM      | per_unit | 1    | 5.20      |           | 2026-03-01    | 2026-02-28
        DATA       | block    | 1    | 5.00      |           | 2026-01-01    |
        P-RES      | per_unit | 1    | 2.20      |           | 2026-01-01    |
        """)
    assert found == [("tariff_dates_reversed", 2, "失效日期"), ("tariff_no_block_size", 3, "计费块大小")]
    assert [v.code for v in versions] == ["P-RES"]  # the good tariff is still there


def test_other_slips_are_reported_with_their_rows_too():
    versions, found, records = problems_of("""
        TariffCode | Model     | Tier | UpperBound | UnitPrice | FixedFee | MinCharge | MaxCharge | ExtraPerPerson | SeasonMonths | EffectiveFrom
        W-RES      | graduated | 1    | 15         | 3.45      | 2.00     |           |           | 5              |              | 2026-01-01
        W-RES      | volume    | 2    |            | 4.83      | 3.00     |           |           |                |              | 2026-01-01
        E-RES      | graduated | 1    | 200.5555   | 0.50      |          |           |           |                | 夏季          | 2026-01-01
        HEAT       | per_unit  | 1    |            | 2.00      |          | 50.00     | 20.00     |                |              | 2026-01-01
        HEAT       | per_unit  | 2    |            | 3.00      |          |           |           |                |              | 2026-01-01
        TV         | fixed     | 1    |            |           |          |           |           |                |              | 2026-01-01
        """)
    assert found == [
        ("tariff_no_persons_included", 2, "基准人口"),
        ("tariff_inconsistent", 3, "固定费"),
        ("tariff_inconsistent", 3, "计价方式"),
        ("tariff_bad_season", 4, "适用月份"),
        ("tariff_min_above_max", 5, "最高收费"),
        ("tariff_single_tier", 6, "阶梯"),
        ("tariff_no_fixed_fee", 7, "固定费"),
    ]
    assert versions == ()
    assert all(record.message and "{" not in record.message for record in records)


def test_english_headers_and_messages():
    _, found, records = problems_of("""
        Tariff code | Model     | Tier | Tier upper bound | Unit price | Effective from
        W-RES       | graduated | 1    | 15               | 3.45       | 2026-01-01
        W-RES       | graduated | 2    | 15               | 4.83       | 2026-01-01
        W-RES       | graduated | 3    |                  | 5.83       | 2026-01-01
        """, lang="en")
    assert found == [("tariff_tier_overlap", 3, "Tier upper bound")]
    assert "overlap" in records[0].message


def test_compiled_version_keeps_what_the_rows_say():
    table = """
        TariffCode | TariffName | Model     | Tier | UpperBound | UnitPrice | FixedFee | Unit | VATRate | SeasonMonths | EffectiveFrom | EffectiveTo
        W-RES      | 居民用水     | graduated | 1    | 15         | 3.45      | 2.00     | m³   | 9%      | 6-9          | 2026-01-01    | 2026-12-31
        W-RES      |            | graduated | 2    |            | 4.83      |          |      |         | 6-9          | 2026-01-01    |
        """
    (version,), found = compile_tariffs(tariff_table(table), "en", "Tariffs")
    assert found == ()
    assert version == tariffs.Version(
        code="W-RES", component="", model="graduated", fee_item="water", customer_type=None, name="居民用水",
        unit="m³", tiers=(tariffs.Tier(1, Decimal(15), Decimal("3.45")), tariffs.Tier(2, None, Decimal("4.83"))),
        fixed_fee=200, block_size=None, free_units=Decimal(0), min_charge=None, max_charge=None, basis="monthly",
        persons_included=None, extra_per_person=None, season=frozenset({6, 7, 8, 9}),
        effective_from=datetime.date(2026, 1, 1), effective_to=datetime.date(2026, 12, 31), proposed=False,
        vat_rate=Decimal("0.09"), vat_included=True, rounding=money.Rounding.HALF_UP, rows=(2, 3))


def test_headers_named_in_problems_are_the_layouts():
    for table, headers in (("Tariffs", tariffs.TARIFF_HEADERS), ("Usage", tariffs.USAGE_HEADERS)):
        spec = layout.table(table)
        for key, (zh, en) in headers.items():
            assert (spec.column(key).zh, spec.column(key).en) == (zh, en)


# ---------------------------------------------------------------------------------------------
# FD_CHARGE: the whole model from a Tariffs range, as Excel passes it
# ---------------------------------------------------------------------------------------------


ZH_RANGE = [
    ["收费标准代码", "收费标准名称", "费用项目", "计价方式", "收费项目", "阶梯", "阶梯上限", "单价", "生效日期", "增值税率", "含税"],
    ["WATER-RES", "居民生活用水", "水费", "阶梯累进", None, 1.0, 15.0, 3.45, datetime.datetime(2026, 1, 1), None, None],
    ["WATER-RES", "居民生活用水", "水费", "阶梯累进", None, 2.0, 22.0, 4.83, datetime.datetime(2026, 1, 1), None, None],
    ["WATER-RES", "居民生活用水", "水费", "阶梯累进", None, 3.0, None, 5.83, datetime.datetime(2026, 1, 1), None, None],
    ["WATER-RES", "居民生活用水", "水费", "单一价", "污水处理费", 1.0, None, 0.95, datetime.datetime(2026, 1, 1),
     0.09, "否"],
    ["WATER-RES", "居民生活用水", "水费", "阶梯累进", None, 1.0, 15.0, 3.65, datetime.datetime(2026, 4, 16), None, None],
    ["WATER-RES", "居民生活用水", "水费", "阶梯累进", None, 2.0, 22.0, 5.11, datetime.datetime(2026, 4, 16), None, None],
    ["WATER-RES", "居民生活用水", "水费", "阶梯累进", None, 3.0, None, 6.17, datetime.datetime(2026, 4, 16), None, None],
    ["BAD", "坏的", "水费", "阶梯累进", None, 1.0, 10.0, 1.0, datetime.datetime(2026, 1, 1), None, None],
    ["BAD", "坏的", "水费", "阶梯累进", None, 3.0, None, 1.0, datetime.datetime(2026, 1, 1), None, None],
]


def test_fd_charge_prices_a_month_from_the_tariffs_range():
    # March, 20 m³: 15 x 3.45 + 5 x 4.83 = 75.90; sewage 20 x 0.95 = 19.00, VAT 9% = 1.71
    assert FD_CHARGE(20, "WATER-RES", datetime.datetime(2026, 3, 5), ZH_RANGE) == 96.61
    assert FD_CHARGE(20.0, "WATER-RES", 46086.0, ZH_RANGE) == 96.61  # 2026-03-05 as a serial number
    assert FD_CHARGE(20, "WATER-RES", "2026-03", ZH_RANGE) == 96.61
    # April, 30 m³ across the change on the 16th: 136.06 (see the split test); sewage 28.50 + VAT 2.57
    assert FD_CHARGE(30, "WATER-RES", datetime.datetime(2026, 4, 30), ZH_RANGE) == 167.13


def test_fd_charge_says_what_is_wrong_in_the_cell():
    assert FD_CHARGE(20, "NOPE", datetime.datetime(2026, 3, 5), ZH_RANGE).startswith("#VALUE! 收费标准代码“NOPE”")
    assert "缺少第 2 阶梯" in FD_CHARGE(20, "BAD", datetime.datetime(2026, 3, 5), ZH_RANGE)
    assert FD_CHARGE(20, "WATER-RES", datetime.datetime(2025, 3, 5), ZH_RANGE).startswith("#VALUE!")
    assert FD_CHARGE(20, "WATER-RES", "someday", ZH_RANGE).startswith("#VALUE!")
    assert FD_CHARGE("abc", "WATER-RES", "2026-03", ZH_RANGE).startswith("#VALUE!")
    assert FD_CHARGE(20, "WATER-RES", "2026-03", [["x"]]).startswith("#VALUE!")
    assert FD_CHARGE(None, "WATER-RES", "2026-03", ZH_RANGE) == ""


# ---------------------------------------------------------------------------------------------
# Property: the vectorised engine equals a slow, obvious Fraction reference, to the fen
# ---------------------------------------------------------------------------------------------


def reference_round(amount_yuan: Fraction, mode: money.Rounding) -> int:
    fen = amount_yuan * 100
    sign = -1 if fen < 0 else 1
    if mode is money.Rounding.HALF_UP:
        return sign * math.floor(abs(fen) + Fraction(1, 2))
    if mode is money.Rounding.HALF_EVEN:
        return round(fen)  # Fraction rounds ties to even
    if mode is money.Rounding.DOWN:
        return sign * math.floor(abs(fen))
    return sign * math.ceil(abs(fen))


def reference_lines(versions, usage: pd.DataFrame) -> list[tuple]:
    """Row by row, day by day, in Fractions: what the rules say, with no cleverness."""
    out = []
    for row, line in usage.iterrows():
        year, month = map(int, line["Period"].split("-"))
        days_in_month = calendar.monthrange(year, month)[1]
        quantity = Fraction(Decimal(repr(float(line["Quantity"]))))
        persons = line.get("Persons", pd.NA)
        ytd = Fraction(Decimal(repr(float(line.get("YearToDate", 0.0)))))
        mine = [v for v in versions if v.code == line["TariffCode"] and not v.proposed]
        components = sorted({v.component for v in mine},
                            key=lambda c: (c != "", min(min(v.rows) for v in mine if v.component == c)))
        for component in components:
            candidates = [v for v in mine if v.component == component]
            in_force = []
            for day in range(1, days_in_month + 1):
                date = datetime.date(year, month, day)
                live = [v for v in candidates if v.effective_from <= date
                        and (v.effective_to is None or date <= v.effective_to)]
                seasonal = [v for v in live if month in v.season]
                pool = seasonal or [v for v in live if not v.season]
                in_force.append(max(pool, key=lambda v: v.effective_from) if pool else None)
            day = 0
            while day < days_in_month:
                version = in_force[day]
                length = 1
                while day + length < days_in_month and in_force[day + length] is version:
                    length += 1
                if version is not None:
                    out += reference_part(version, row, component, quantity, persons, ytd, day, length,
                                          days_in_month)
                day += length
    return out


def reference_part(v, row, component, quantity, persons, ytd, before, days, days_in_month) -> list[tuple]:
    share = Fraction(days, days_in_month)
    mode = v.rounding
    lines = []

    def line(kind, tier, amount_fen):
        lines.append((row, component, kind, tier, v.effective_from, amount_fen))

    chargeable = max(Fraction(0), quantity - Fraction(v.free_units))
    total = 0
    if v.model != "fixed":
        tiers = v.tiers[:1] if v.model in ("per_unit", "block") else v.tiers
        extra = 0
        if v.extra_per_person is not None and not pd.isna(persons):
            extra = Fraction(v.extra_per_person) * max(0, int(persons) - v.persons_included)
        if v.model == "block":
            blocks = math.ceil(chargeable / Fraction(v.block_size))
            pieces = [(tiers[0], blocks * share)]
        elif v.model == "per_unit":
            pieces = [(tiers[0], chargeable * share)]
        else:
            if v.basis == "annual":
                start = ytd + chargeable * Fraction(before, days_in_month)
                end = start + chargeable * share
                bounds = [Fraction(t.upper) + extra for t in tiers[:-1]]
            else:
                start, end = Fraction(0), chargeable * share
                bounds = [(Fraction(t.upper) + extra) * share for t in tiers[:-1]]
            if v.model == "graduated":
                pieces, lower = [], Fraction(0)
                for index, tier in enumerate(tiers):
                    upper = bounds[index] if index < len(bounds) else None
                    top = end if upper is None else min(end, upper)
                    pieces.append((tier, max(Fraction(0), top - max(start, lower))))
                    lower = upper if upper is not None else lower
            else:
                reached = sum(1 for b in bounds if end > b)
                pieces = [(tiers[reached], end - start)]
        for tier, units in pieces:
            if units > 0:
                amount = reference_round(units * Fraction(tier.price), mode)
                line("tier", tier.number, amount)
                total += amount
    def part_of(fen):
        """The part's share of a per-period amount: cut so the parts add up to it exactly."""
        return (reference_round(Fraction(fen, 100) * Fraction(before + days, days_in_month), mode)
                - reference_round(Fraction(fen, 100) * Fraction(before, days_in_month), mode))

    if v.fixed_fee:
        amount = part_of(v.fixed_fee)
        line("fixed", None, amount)
        total += amount
    if v.min_charge is not None:
        floor = part_of(v.min_charge)
        if floor > total:
            line("minimum", None, floor - total)
            total = floor
    if v.max_charge is not None:
        ceiling = part_of(v.max_charge)
        if ceiling < total:
            line("maximum", None, ceiling - total)
            total = ceiling
    if not v.vat_included and v.vat_rate:
        vat = reference_round(Fraction(total, 100) * Fraction(v.vat_rate), mode)
        if vat:
            line("vat", None, vat)
    return lines


def decimals(places: int, low: int, high: int):
    """Decimals with up to `places` decimals between low and high (as floats, exact via repr)."""
    return st.integers(low * 10**places, high * 10**places).map(lambda n: Decimal(n).scaleb(-places))


@st.composite
def a_version(draw, code: str, component: str | None, effective_from: str) -> list[dict]:
    model = draw(st.sampled_from(tariffs.MODELS))
    count = draw(st.integers(1, 4)) if model in ("graduated", "volume") else 1
    bounds = sorted(draw(st.sets(decimals(3, 0, 60).filter(lambda d: d > 0), min_size=count - 1,
                                 max_size=count - 1)))
    prices = [draw(decimals(4, 0, 10)) for _ in range(count)]
    common = {
        "TariffCode": code, "Model": model, "Component": component, "EffectiveFrom": effective_from,
        "FixedFee": draw(st.one_of(st.none(), st.integers(1, 5000))),
        "FreeUnits": draw(st.one_of(st.none(), decimals(3, 0, 5))),
        "BlockSize": draw(decimals(3, 1, 20)) if model == "block" else None,
        "MinCharge": draw(st.one_of(st.none(), st.integers(0, 3000))),
        "MaxCharge": draw(st.one_of(st.none(), st.integers(3000, 40000))),
        "ThresholdBasis": draw(st.sampled_from(["monthly", "annual"])),
        "VATRate": draw(st.sampled_from([None, Decimal("0.06"), Decimal("0.09"), Decimal("0.13")])),
        "VATIncluded": draw(st.booleans()),
        "Rounding": draw(st.sampled_from(["half_up", "half_even", "down", "up"])),
    }
    if model == "fixed" and common["FixedFee"] is None:
        common["FixedFee"] = 1000
    if len(bounds) and draw(st.booleans()):
        common["PersonsIncluded"], common["ExtraPerPerson"] = draw(st.integers(0, 5)), draw(decimals(3, 0, 6))
    return [dict(common, Tier=index + 1, UpperBound=bounds[index] if index < len(bounds) else None,
                 UnitPrice=None if model == "fixed" else prices[index]) for index in range(count)]


def typed_tariffs(rows: list[dict]) -> pd.DataFrame:
    """The typed frame the hosts would make of these rows (money in fen, numbers as floats)."""
    keys = ["TariffCode", "Model", "Component", "Tier", "UpperBound", "UnitPrice", "FixedFee", "BlockSize",
            "FreeUnits", "MinCharge", "MaxCharge", "ThresholdBasis", "PersonsIncluded", "ExtraPerPerson",
            "EffectiveFrom", "VATRate", "VATIncluded", "Rounding"]
    data = {key: [row.get(key) for row in rows] for key in keys}

    def floats(values):
        return [np.nan if v is None else float(v) for v in values]

    frame = pd.DataFrame({
        "TariffCode": pd.array(data["TariffCode"], dtype="str"), "Model": pd.array(data["Model"], dtype="str"),
        "Component": pd.array(data["Component"], dtype="str"), "Tier": pd.array(data["Tier"], dtype="Int64"),
        "UpperBound": floats(data["UpperBound"]), "UnitPrice": floats(data["UnitPrice"]),
        "FixedFee": pd.array(data["FixedFee"], dtype="Int64"), "BlockSize": floats(data["BlockSize"]),
        "FreeUnits": floats(data["FreeUnits"]), "MinCharge": pd.array(data["MinCharge"], dtype="Int64"),
        "MaxCharge": pd.array(data["MaxCharge"], dtype="Int64"),
        "ThresholdBasis": pd.array(data["ThresholdBasis"], dtype="str"),
        "PersonsIncluded": pd.array(data["PersonsIncluded"], dtype="Int64"),
        "ExtraPerPerson": floats(data["ExtraPerPerson"]),
        "EffectiveFrom": pd.to_datetime(pd.Series(data["EffectiveFrom"])).astype("datetime64[s]"),
        "VATRate": floats(data["VATRate"]), "VATIncluded": pd.array(data["VATIncluded"], dtype="boolean"),
        "Rounding": pd.array(data["Rounding"], dtype="str"),
    })
    frame.index = pd.Index(range(2, 2 + len(rows)), name="row")
    return frame


@st.composite
def a_desk(draw):
    period = draw(st.sampled_from(["2026-02", "2026-03", "2026-04"]))
    days = calendar.monthrange(2026, int(period[-2:]))[1]
    rows = draw(a_version("T", None, "2026-01-01"))
    if draw(st.booleans()):  # a price change inside the period
        rows += draw(a_version("T", None, f"{period}-{draw(st.integers(2, days)):02d}"))
    if draw(st.booleans()):  # a sewage-style component
        rows += draw(a_version("T", "污水处理费", "2026-01-01"))
    count = draw(st.integers(1, 5))
    quantities = [float(draw(decimals(3, 0, 150))) for _ in range(count)]
    persons = [draw(st.one_of(st.none(), st.integers(1, 9))) for _ in range(count)]
    year_to_date = [float(draw(decimals(3, 0, 200))) for _ in range(count)]
    usage = pd.DataFrame({
        "CustomerID": pd.array([f"C{i}" for i in range(count)], dtype="str"),
        "TariffCode": pd.array(["T"] * count, dtype="str"), "Period": pd.array([period] * count, dtype="str"),
        "Quantity": quantities, "Persons": pd.array(persons, dtype="Int64"), "YearToDate": year_to_date,
    }, index=pd.Index(range(2, 2 + count), name="row"))
    return typed_tariffs(rows), usage


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a_desk())
def test_charge_lines_equal_a_slow_fraction_reference(desk):
    frame, usage = desk
    versions, found = compile_tariffs(frame, "en", "Tariffs")
    assert found == ()
    lines, _ = charge_lines(versions, usage)
    ours = [(int(r), "" if pd.isna(c) else c, k, None if pd.isna(t) else int(t), f.date(), int(a))
            for r, c, k, t, f, a in zip(lines["UsageRow"], lines["Component"], lines["Kind"], lines["Tier"],
                                        lines["VersionFrom"], lines["Amount"])]
    assert ours == reference_lines(versions, usage)


@settings(max_examples=200, deadline=None)
@given(decimals(3, 0, 5000), st.lists(decimals(3, 0, 1000).filter(lambda d: d > 0), max_size=3, unique=True),
       st.data())
def test_tiered_fen_equals_the_reference(quantity, bounds, data):
    bounds = sorted(bounds)
    prices = [data.draw(decimals(4, 0, 10)) for _ in range(len(bounds) + 1)]
    mode = data.draw(st.sampled_from(["graduated", "volume"]))
    total, lower = Fraction(0), Fraction(0)
    q = Fraction(quantity)
    if mode == "graduated":
        for index, price in enumerate(prices):
            upper = Fraction(bounds[index]) if index < len(bounds) else None
            top = q if upper is None else min(q, upper)
            total += max(Fraction(0), top - lower) * Fraction(price)
            lower = upper if upper is not None else lower
    else:
        total = q * Fraction(prices[sum(1 for b in bounds if q > b)])
    expected = reference_round(total, money.Rounding.HALF_UP)
    assert tiered_fen(float(quantity), [float(b) for b in bounds], [float(p) for p in prices], mode) == expected


def test_numbers_too_large_for_int64_fall_back_to_python_integers():
    # 9,876,543.219 units at six-figure prices: products far beyond int64, still exact to the fen.
    table = tariff_table("""
        TariffCode | Model     | Tier | UpperBound | UnitPrice     | BlockSize | VATRate | VATIncluded | ThresholdBasis | PersonsIncluded | ExtraPerPerson | EffectiveFrom
        BIG        | graduated | 1    | 1000000    | 123456.789012 |           | 13%     | no          | annual         | 2               | 1000           | 2026-01-01
        BIG        | graduated | 2    |            | 234567.890123 |           | 13%     | no          | annual         |                 |                | 2026-01-01
        BIG        | graduated | 1    | 1000000    | 123456.789013 |           |         |             | annual         | 2               | 1000           | 2026-03-10
        BIG        | graduated | 2    |            | 234567.890124 |           |         |             | annual         |                 |                | 2026-03-10
        LOTS       | block     | 1    |            | 987654.321    | 0.001     | 6%      | no          |                |                 |                | 2026-01-01
        """)
    versions, found = compile_tariffs(table, "en", "Tariffs")
    assert found == ()
    usage = usage_table("""
        CustomerID | TariffCode | Period  | Quantity    | Persons | YearToDate
        C1         | BIG        | 2026-03 | 9876543.219 | 5       | 500000.5
        C2         | BIG        | 2026-03 | 12.5        | 5       |
        C3         | LOTS       | 2026-03 | 9876543.219 |         |
        """)
    lines, _ = charge_lines(versions, usage)
    ours = [(int(r), "" if pd.isna(c) else c, k, None if pd.isna(t) else int(t), f.date(), int(a))
            for r, c, k, t, f, a in zip(lines["UsageRow"], lines["Component"], lines["Kind"], lines["Tier"],
                                        lines["VersionFrom"], lines["Amount"])]
    assert ours == reference_lines(versions, usage)
    # 9,876,543,219 blocks of 0.001 x 987,654.321 yuan = 9,754,610,586,788,599.299 yuan
    assert ours[-2][-1] == 975461058678859930


def test_a_vat_rate_of_13_and_negative_prices_are_problems():
    frame = tariff_table("""
        TariffCode | FeeItem | Model    | Tier | UnitPrice | VATRate | VATIncluded | EffectiveFrom
        W          | water   | per_unit | 1    | 3.45      | 13      | no          | 2026-01-01
        E          | water   | per_unit | 1    | -0.50     | 0.13    | no          | 2026-01-01
        """)
    versions, found = compile_tariffs(frame, "zh", "收费标准")
    assert sorted((p.code, p.row) for p in found) == [("tariff_negative", 3), ("tariff_vat_rate", 2)]
    assert "不要填 13" in next(p for p in found if p.code == "tariff_vat_rate").message
    assert versions == ()  # a tariff with an error prices nothing, rather than something wrong


def test_a_fixed_fee_split_by_a_price_change_still_adds_up_to_the_fee():
    """5.01 a month, a new version from the 16th of a 30-day month: 2.51 + 2.50, not 2.51 twice."""
    frame = tariff_table("""
        TariffCode | FeeItem | Model | Tier | FixedFee | EffectiveFrom | EffectiveTo
        F          | water   | fixed | 1    | 5.01     | 2026-01-01    | 2026-04-15
        F          | water   | fixed | 1    | 5.01     | 2026-04-16    |
        """)
    versions, found = compile_tariffs(frame, "zh", "收费标准")
    assert found == ()
    lines, _ = charge_lines(versions, usage_table("""
        CustomerID | TariffCode | Period  | Quantity
        C1         | F          | 2026-04 | 1
        """))
    assert lines["Amount"].tolist() == [251, 250]
