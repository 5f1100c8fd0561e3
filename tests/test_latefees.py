"""Tests for feedesk.latefees: late fees (滞纳金) as an officer would check them by hand.

Each example gives the numbers and the arithmetic beside them (money in yuan as the sheet shows
it, fen inside). Then the rules table, the whole-table function against a slow, obvious
reference built from late_fee() itself, and the worksheet functions.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedesk import dates
from feedesk.latefees import (LATE_FEE_HEADERS, Rule, bill_late_fees, late_fee, parse_rate, rule_for,
                              rules_from_table)
from workbook import layout, tables
from xlfuncs.aging_funcs import BAD_BOUNDS, BAD_DATE, BAD_LANG, FD_AGE_BUCKET, FD_DAYS_OVERDUE, FD_LATE_FEE

D = datetime.date


def rule(rule_id="R1", daily_rate="0.001", customer_type=None, fee_item=None, earlier_rate=None, grace_days=0,
         minimum=0, cap_ratio=None) -> Rule:
    return Rule(rule_id, customer_type, fee_item, Decimal(daily_rate),
                None if earlier_rate is None else Decimal(earlier_rate), grace_days, minimum,
                None if cap_ratio is None else Decimal(cap_ratio))


def one_bill(amount_fen: int, due: str, payments=(), bill_id="B1", customer="C1", fee_item="water"):
    """A Bills frame of one bill (Excel row 2) and its paid rows [(date, fen)], typed as the hosts type them."""
    bills = pd.DataFrame({
        "BillID": pd.array([bill_id], dtype="str"),
        "CustomerID": pd.array([customer], dtype="str"),
        "FeeItem": pd.array([fee_item], dtype="str"),
        "DueDate": pd.to_datetime([due]).astype("datetime64[s]"),
        "Amount": pd.array([amount_fen], dtype="Int64"),
    }, index=pd.Index([2], name="row"))
    paid = pd.DataFrame({
        "BillID": pd.array([bill_id] * len(payments), dtype="str"),
        "PaidDate": pd.to_datetime([d for d, _ in payments]).astype("datetime64[s]"),
        "Amount": pd.array([a for _, a in payments], dtype="Int64"),
    })
    return bills, paid


TYPES = pd.Series({"C1": "residential", "C2": "commercial"})

# ---------------------------------------------------------------------------------------------
# The worked examples (one bill, late_fee)
# ---------------------------------------------------------------------------------------------


def test_1000_yuan_due_jan_31_paid_mar_2_at_one_per_mille_is_30_yuan():
    # days: Feb 1 .. Feb 28 = 28, Mar 1 .. Mar 2 = 2 -> 30; 1,000.00 x 0.001 x 30 = 30.00
    assert late_fee(100000, D(2026, 1, 31), D(2026, 3, 2), 0.001) == 3000
    assert FD_LATE_FEE(1000, D(2026, 1, 31), D(2026, 3, 2), 0.001) == 30.00


def test_the_rate_reads_the_same_as_decimal_text_float_or_percent():
    for rate in (Decimal("0.001"), "0.001", 0.001, "0.1%", "1‰"):
        assert late_fee(100000, D(2026, 1, 31), D(2026, 3, 2), rate) == 3000, rate
    assert parse_rate(0.0003) == Decimal("0.0003")  # the float's shortest repr, not its binary expansion


def test_not_yet_due_or_paid_on_the_due_date_is_no_fee():
    assert late_fee(100000, D(2026, 1, 31), D(2026, 1, 31), 0.001) == 0
    assert late_fee(100000, D(2026, 1, 31), D(2026, 1, 20), 0.001, minimum_fen=100) == 0
    assert late_fee(0, D(2026, 1, 31), D(2026, 3, 2), 0.001) == 0
    assert late_fee(-5000, D(2026, 1, 31), D(2026, 3, 2), 0.001) == 0  # a credit note earns no fee


def test_grace_days_waive_but_do_not_shift():
    # due 2026-03-01, 10 grace days
    # paid 03-10: 9 days late, within the grace -> 0
    # paid 03-11: 10 days late, still within (<= 10) -> 0
    # paid 03-12: 11 days late -> all 11 days count: 1,000.00 x 0.001 x 11 = 11.00 (not 1 day = 1.00)
    assert late_fee(100000, D(2026, 3, 1), D(2026, 3, 10), "0.001", grace_days=10) == 0
    assert late_fee(100000, D(2026, 3, 1), D(2026, 3, 11), "0.001", grace_days=10) == 0
    assert late_fee(100000, D(2026, 3, 1), D(2026, 3, 12), "0.001", grace_days=10) == 1100


def test_a_tiny_fee_is_raised_to_the_minimum_of_1_yuan():
    # 50.00 x 0.0005 x 3 days = 0.075 -> 0.08, below the minimum 1.00 -> 1.00
    assert late_fee(5000, D(2026, 3, 1), D(2026, 3, 4), "0.0005") == 8
    assert late_fee(5000, D(2026, 3, 1), D(2026, 3, 4), "0.0005", minimum_fen=100) == 100
    # above the minimum it stays as it is: 1,000.00 x 0.001 x 30 = 30.00
    assert late_fee(100000, D(2026, 1, 31), D(2026, 3, 2), "0.001", minimum_fen=100) == 3000


def test_the_cap_keeps_the_fee_at_most_the_principal():
    # due 2024-03-01, still open 2026-03-01: 730 days (2024-03-02 .. 2026-03-01)
    # 1,000.00 x 0.003 x 730 = 2,190.00 -> capped at 1.0 x 1,000.00 = 1,000.00
    assert late_fee(100000, D(2024, 3, 1), D(2026, 3, 1), "0.003") == 219000
    assert late_fee(100000, D(2024, 3, 1), D(2026, 3, 1), "0.003", cap_ratio=1) == 100000
    # a cap of 0.3 of the principal: 300.00; the cap comes after the minimum
    assert late_fee(100000, D(2024, 3, 1), D(2026, 3, 1), "0.003", cap_ratio="0.3") == 30000
    # fee 3.00 (1 day) raised to the minimum 500.00, then capped at 0.3 x 1,000.00 = 300.00
    assert late_fee(100000, D(2026, 3, 1), D(2026, 3, 2), "0.003", minimum_fen=50000, cap_ratio="0.3") == 30000


def test_a_year_end_splits_the_days_between_the_two_rates():
    # 5,000.00 due 2025-12-20, as of 2026-01-10: 21 days
    # 2025-12-21 .. 2025-12-31 = 11 days of an earlier year at 0.003: 5000 x 0.003 x 11 = 165.00
    # 2026-01-01 .. 2026-01-10 = 10 days of this year at 0.002:        5000 x 0.002 x 10 = 100.00
    #                                                                                      = 265.00
    assert late_fee(500000, D(2025, 12, 20), D(2026, 1, 10), "0.002", earlier_rate="0.003") == 26500
    # without an earlier-years rate all 21 days go at 0.002: 5000 x 0.002 x 21 = 210.00
    assert late_fee(500000, D(2025, 12, 20), D(2026, 1, 10), "0.002") == 21000
    # paid within the same year: every day is "this year"
    assert late_fee(500000, D(2025, 12, 20), D(2025, 12, 31), "0.002", earlier_rate="0.003") == 11000


def test_rounding_is_half_up_once_per_bill():
    # 1,250.00 x 0.0005 x 1 day = 0.625 -> 0.63 (half-up; half-even would give 0.62)
    assert late_fee(125000, D(2026, 3, 1), D(2026, 3, 2), "0.0005") == 63
    # 3 days: 1,250.00 x 0.0005 x 3 = 1.875 -> 1.88 once (rounding each day would give 3 x 0.63 = 1.89)
    assert late_fee(125000, D(2026, 3, 1), D(2026, 3, 4), "0.0005") == 188
    # over a year end the two parts are added exactly before rounding:
    # 1,250.00 x (0.0005 x 1 + 0.0007 x 1) = 0.625 + 0.875 = 1.50 (rounding each part: 0.63 + 0.88 = 1.51)
    assert late_fee(125000, D(2025, 12, 30), D(2026, 1, 1), "0.0007", earlier_rate="0.0005") == 150


def test_bad_arguments_raise_in_the_core():
    with pytest.raises(ValueError):
        late_fee(100000, D(2026, 1, 31), D(2026, 3, 2), "-0.001")
    with pytest.raises(ValueError):
        late_fee(100000, D(2026, 1, 31), D(2026, 3, 2), "0.001", grace_days=-1)
    with pytest.raises((TypeError, ValueError)):
        late_fee(100000, D(2026, 1, 31), D(2026, 3, 2), "千分之一")
    with pytest.raises(TypeError):
        late_fee(1000.0, D(2026, 1, 31), D(2026, 3, 2), "0.001")  # fen are integers


# ---------------------------------------------------------------------------------------------
# Partly paid bills (bill_late_fees)
# ---------------------------------------------------------------------------------------------


def test_a_partly_paid_bill_is_charged_by_portions():
    # Bill 1,000.00 due 2026-01-31, rule 0.001 a day with 15 grace days, as of 2026-03-31.
    #   200.00 paid 01-20 (before the due date): lowers the principal to 800.00, no fee
    #   300.00 paid 02-10: ran 10 days, within the 15 grace days           ->  0.00
    #   100.00 paid 02-25: ran 25 days: 100.00 x 0.001 x 25                 ->  2.50
    #   400.00 still open at 03-31: ran 28 + 31 = 59 days: 400 x 0.001 x 59 -> 23.60
    #                                                                          26.10
    bills, paid = one_bill(100000, "2026-01-31", [("2026-01-20", 20000), ("2026-02-10", 30000),
                                                  ("2026-02-25", 10000)])
    out = bill_late_fees(bills, paid, TYPES, [rule(grace_days=15)], D(2026, 3, 31))
    assert out.loc[2, "LateFee"] == 2610
    assert out.loc[2, "Days"] == 59
    assert out.loc[2, "RuleID"] == "R1"
    # the cap is of the principal at the due date: 0.03 x 800.00 = 24.00 (not 0.03 x 1,000.00 = 30.00)
    out = bill_late_fees(bills, paid, TYPES, [rule(grace_days=15, cap_ratio="0.03")], D(2026, 3, 31))
    assert out.loc[2, "LateFee"] == 2400
    # minimum 30.00 first (26.10 -> 30.00), then the cap (24.00)
    out = bill_late_fees(bills, paid, TYPES, [rule(grace_days=15, minimum=3000, cap_ratio="0.03")], D(2026, 3, 31))
    assert out.loc[2, "LateFee"] == 2400


def test_a_payment_after_the_as_of_date_is_ignored():
    # the same bill with the last 400.00 paid on 04-05, after the as-of date 03-31: still open -> 26.10
    bills, paid = one_bill(100000, "2026-01-31", [("2026-01-20", 20000), ("2026-02-10", 30000),
                                                  ("2026-02-25", 10000), ("2026-04-05", 40000)])
    out = bill_late_fees(bills, paid, TYPES, [rule(grace_days=15)], D(2026, 3, 31))
    assert (out.loc[2, "LateFee"], out.loc[2, "Days"]) == (2610, 59)
    # as of 04-30 the 400.00 ran to 04-05: 28 + 31 + 5 = 64 days: 2.50 + 400 x 0.001 x 64 = 2.50 + 25.60 = 28.10
    out = bill_late_fees(bills, paid, TYPES, [rule(grace_days=15)], D(2026, 4, 30))
    assert (out.loc[2, "LateFee"], out.loc[2, "Days"]) == (2810, 64)  # paid off on 04-05: 64 days late


def test_a_fully_paid_bill_equals_late_fee_to_its_payment_date():
    bills, paid = one_bill(100000, "2026-01-31", [("2026-03-02", 100000)])
    out = bill_late_fees(bills, paid, TYPES, [rule()], D(2026, 6, 30))
    assert (out.loc[2, "LateFee"], out.loc[2, "Days"]) == (3000, 30)  # the 30.00 example; ran 30 days


def test_each_portion_splits_its_own_days_at_the_year_end():
    # 5,000.00 due 2025-12-20, 0.002 this year / 0.003 earlier years, as of 2026-01-10
    #   2,000.00 paid 2025-12-30: 10 days, all in its own (payment) year: 2000 x 0.002 x 10  =  40.00
    #   3,000.00 open at 2026-01-10: 11 days of 2025 x 0.003 + 10 days of 2026 x 0.002
    #            = 3000 x (0.033 + 0.020)                                                    = 159.00
    #                                                                                          199.00
    bills, paid = one_bill(500000, "2025-12-20", [("2025-12-30", 200000)])
    out = bill_late_fees(bills, paid, TYPES, [rule(daily_rate="0.002", earlier_rate="0.003")], D(2026, 1, 10))
    assert out.loc[2, "LateFee"] == 19900


def test_bills_without_a_rule_a_due_date_or_a_positive_amount():
    bills = pd.DataFrame({
        "BillID": pd.array(["B1", "B2", "B3", "B4"], dtype="str"),
        "CustomerID": pd.array(["C2", "C1", "C1", "C1"], dtype="str"),
        "FeeItem": pd.array(["gas", "water", "water", None], dtype="str"),
        "DueDate": pd.to_datetime(["2026-01-31", None, "2026-01-31", "2026-01-31"]).astype("datetime64[s]"),
        "Amount": pd.array([100000, 100000, -5000, 100000], dtype="Int64"),
    }, index=pd.Index([2, 3, 4, 5], name="row"))
    paid = pd.DataFrame({"BillID": pd.array([], dtype="str"), "PaidDate": pd.Series([], dtype="datetime64[s]"),
                         "Amount": pd.array([], dtype="Int64")})
    rules = [rule("RES", customer_type="residential")]
    out = bill_late_fees(bills, paid, TYPES, rules, D(2026, 3, 2))
    assert out.index.tolist() == [2, 3, 4, 5]
    assert out["RuleID"].isna().tolist() == [True, False, False, False]  # commercial: no rule
    assert out["LateFee"].tolist() == [0, 0, 0, 3000]
    assert out["Days"].isna().tolist() == [False, True, False, False]  # no due date: days unknown
    assert out.loc[2, "Days"] == 30 and out.loc[4, "Days"] == 0  # a credit note is never overdue
    assert str(out["LateFee"].dtype) == "Int64" and str(out["Days"].dtype) == "Int64"


def test_a_huge_bill_is_computed_exactly_with_python_ints():
    # 10,000,000,000.00 (1e12 fen) at 0.5 a day for 36,500 days: far beyond int64 in 1e-8 fen
    bills, paid = one_bill(10**12, "1925-01-01", [("1950-01-01", 3 * 10**11)])
    out = bill_late_fees(bills, paid, TYPES, [rule(daily_rate="0.5", earlier_rate="0.12345678")], D(2025, 1, 1))
    expected = Fraction(late_fee(3 * 10**19, D(1925, 1, 1), D(1950, 1, 1), "0.5", earlier_rate="0.12345678")
                        + late_fee(7 * 10**19, D(1925, 1, 1), D(2025, 1, 1), "0.5", earlier_rate="0.12345678"),
                        10**8)
    assert out.loc[2, "LateFee"] == int(expected + Fraction(1, 2))


# ---------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------


def test_the_most_specific_rule_applies():
    rules = [
        rule("ANY"),
        rule("RES", customer_type="residential"),
        rule("WATER", fee_item="water"),
        rule("RES-WATER", customer_type="residential", fee_item="water"),
        rule("COM-GAS", customer_type="commercial", fee_item="gas"),
        rule("RES-AGAIN", customer_type="residential"),  # same as RES: the first in the table wins
    ]
    found = {pair: (rule_for(rules, *pair) or Rule("-", None, None, Decimal(0), None, 0, 0, None)).rule_id
             for pair in [("residential", "water"), ("residential", "gas"), ("commercial", "water"),
                          ("commercial", "electricity"), ("commercial", "gas"), (None, "water"), (None, None)]}
    assert found == {
        ("residential", "water"): "RES-WATER",  # type and item
        ("residential", "gas"): "RES",  # type only beats item only and the catch-all
        ("commercial", "water"): "WATER",  # item only
        ("commercial", "electricity"): "ANY",  # neither
        ("commercial", "gas"): "COM-GAS",
        (None, "water"): "WATER",  # a customer of no type: rules naming a type do not apply
        (None, None): "ANY",
    }
    assert rule_for(rules, float("nan"), "water").rule_id == "WATER"  # a blank cell reads as NaN
    assert rule_for(rules[1:5], "institutional", "heating") is None


def test_bill_late_fees_picks_the_same_rule_as_rule_for():
    rules = [rule("ANY", "0.0005"), rule("RES", "0.001", customer_type="residential"),
             rule("GAS", "0.002", fee_item="gas")]
    bills = pd.DataFrame({
        "BillID": pd.array(["B1", "B2", "B3", "B4"], dtype="str"),
        "CustomerID": pd.array(["C1", "C2", "C9", "C1"], dtype="str"),  # C9: not in the customer list
        "FeeItem": pd.array(["water", "gas", "water", None], dtype="str"),
        "DueDate": pd.to_datetime(["2026-01-31"] * 4).astype("datetime64[s]"),
        "Amount": pd.array([100000] * 4, dtype="Int64"),
    }, index=pd.Index([2, 3, 4, 5], name="row"))
    paid = pd.DataFrame({"BillID": pd.array([], dtype="str"), "PaidDate": pd.Series([], dtype="datetime64[s]"),
                         "Amount": pd.array([], dtype="Int64")})
    out = bill_late_fees(bills, paid, TYPES, rules, D(2026, 3, 2))
    assert out["RuleID"].tolist() == ["RES", "GAS", "ANY", "RES"]
    assert out["LateFee"].tolist() == [3000, 6000, 1500, 3000]  # 1,000.00 x 30 days x 0.001 / 0.002 / 0.0005


def typed_rules(text: str, lang: str = "zh"):
    """The LateFeeRules table from '|'-separated text, typed as the workbook hosts type it; row 2 first."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    header = [cell.strip() for cell in lines[0].split("|")]
    rows = [[cell.strip() or None for cell in line.split("|")] for line in lines[1:]]
    return tables.type_table(layout.table("LateFeeRules"), header, rows, 2, lang, "滞纳金规则").frame


def test_rules_from_the_table_and_the_rows_that_cannot_be_used():
    frame = typed_rules("""
        规则编号 | 客户类别 | 费用项目 | 日费率（当年） | 日费率（往年） | 宽限天数 | 最低金额 | 上限（占本金）
        R1       | 居民     | 水费     | 0.05%          | 0.001          | 10       | 1.00     | 100%
        R2       |          |          |                |                |          |          |
        R3       | 商业     |          | 0.0000000001   |                |          |          |
        R4       |          | 燃气费   | -0.001         |                |          |          |
        R5       |          |          | 0.003          | 1.5            | -3       |          |
        R6       |          |          | 0.00012345     |                |          |          | 0.5
    """)
    rules, found = rules_from_table(frame, "zh", "滞纳金规则")
    assert rules == (
        Rule("R1", "residential", "water", Decimal("0.0005"), Decimal("0.001"), 10, 100, Decimal("1")),
        Rule("R6", None, None, Decimal("0.00012345"), None, 0, 0, Decimal("0.5")),
    )
    # the problems name the Excel row and the column key (the job shows the header of the workbook)
    assert [(p.row, p.column, p.code, p.value) for p in found] == [
        (3, "DailyRate", "blank_required", ""),
        (4, "DailyRate", "late_fee_rate", "0.0000000001"),  # 10 decimals: more than 8
        (5, "DailyRate", "late_fee_rate", "-0.001"),
        (6, "EarlierDailyRate", "late_fee_rate", "1.5"),  # 150 % a day: a typo
        (6, "GraceDays", "late_fee_rule", "-3"),
    ]
    assert found[0].message == "“日费率（当年）”不能为空。请填写后重新运行。"
    assert "8 位小数" in found[1].message and "负数" in found[2].message and "宽限天数" in found[4].message
    assert all(p.sheet == "滞纳金规则" and p.blocking for p in found)
    _, found_en = rules_from_table(frame, "en", "Late fee rules")
    assert "8 decimals" in found_en[1].message and "'Grace days'" in found_en[4].message


def test_values_only_a_typing_error_can_give_are_refused_not_overflowed():
    header = ["规则编号", "日费率（当年）", "宽限天数", "最低金额", "上限（占本金）"]
    rows = [["R1", 0.001, None, None, 1e12],  # numbers as a cell holds them (the table reads them)
            ["R2", 0.001, 999999999999, None, None],
            ["R4", 0.001, 30, 1.0, 3.0]]
    frame = tables.type_table(layout.table("LateFeeRules"), header, rows, 2, "zh", "滞纳金规则").frame
    rules, found = rules_from_table(frame, "zh", "滞纳金规则")
    assert [r.rule_id for r in rules] == ["R4"]  # three times the principal at most: a real rule
    assert [(p.row, p.column) for p in found] == [(2, "CapRatio"), (3, "GraceDays")]
    assert all("数值过大" in p.message for p in found)


def test_the_problem_headers_are_the_layout_headers():
    spec = layout.table("LateFeeRules")
    for key, (zh, en) in LATE_FEE_HEADERS.items():
        column = next(c for c in spec.columns if c.key == key)
        assert (column.header("zh"), column.header("en")) == (zh, en)


# ---------------------------------------------------------------------------------------------
# The whole table against a slow reference
# ---------------------------------------------------------------------------------------------


def reference_fees(bills: pd.DataFrame, paid: pd.DataFrame, types: dict, rules, as_of: datetime.date):
    """Bill by bill, in Python: the portions, each charged with late_fee() itself.

    late_fee of 10**8 x a portion is that portion's exact fee in 1e-8 fen (rates have at most 8
    decimals, so nothing is rounded there); the bill's total is rounded half-up once, then the
    minimum and the cap (of the principal at the due date) apply."""
    fees, days_out = [], []
    for _, bill in bills.iterrows():
        amount = 0 if pd.isna(bill["Amount"]) else int(bill["Amount"])
        due = None if pd.isna(bill["DueDate"]) else bill["DueDate"].date()
        chosen = rule_for(rules, types.get(bill["CustomerID"]), bill["FeeItem"])
        if due is None:
            fees.append(0)
            days_out.append(None)
            continue
        if amount <= 0:
            fees.append(0)
            days_out.append(0)
            continue
        mine = [(row["PaidDate"].date(), int(row["Amount"])) for _, row in paid.iterrows()
                if row["BillID"] == bill["BillID"] and not pd.isna(row["PaidDate"])
                and row["PaidDate"].date() <= as_of and not pd.isna(row["Amount"])]
        mine.sort(key=lambda pair: pair[0])  # stable: same-day rows keep their order
        running, settled, portions = 0, 0, []
        for day, money_in in mine:
            running += money_in
            now = min(max(running, 0), amount)
            portions.append((day, now - settled))
            settled = now
        open_at_end = amount - settled
        last_change = max((day for day, part in portions if part), default=None)
        ran_to = as_of if open_at_end > 0 else last_change
        days_out.append(max(0, (ran_to - due).days))
        if chosen is None:
            fees.append(0)
            continue

        def exact(part, end):
            fee = late_fee(abs(part) * 10**8, due, end, chosen.daily_rate, chosen.grace_days,
                           earlier_rate=chosen.earlier_rate)
            return fee if part >= 0 else -fee

        total = sum(exact(part, day) for day, part in portions) + exact(open_at_end, as_of)
        fee = max(0, (total + 5 * 10**7) // 10**8)
        if 0 < fee < chosen.minimum:
            fee = chosen.minimum
        if chosen.cap_ratio is not None:
            at_due = amount - sum(part for day, part in portions if day <= due)
            cap = int(Fraction(at_due) * Fraction(chosen.cap_ratio) + Fraction(1, 2)) if at_due > 0 else 0
            fee = min(fee, cap)
        fees.append(fee)
    return fees, days_out


RATES = ["0.001", "0.0005", "0.00012345", "0.003", "0.00000001", "0", "0.99999999"]
START = datetime.date(2024, 11, 1)


@st.composite
def desks(draw):
    rules = draw(st.lists(st.builds(
        rule,
        rule_id=st.sampled_from(["A", "B", "C", "D"]),
        daily_rate=st.sampled_from(RATES),
        customer_type=st.sampled_from([None, None, "residential", "commercial"]),
        fee_item=st.sampled_from([None, None, "water", "gas"]),
        earlier_rate=st.sampled_from([None] + RATES),
        grace_days=st.integers(0, 40),
        minimum=st.sampled_from([0, 0, 100, 2000]),
        cap_ratio=st.sampled_from([None, "1", "0.5", "0.12345678", "0", "3"]),
    ), min_size=1, max_size=4))
    n = draw(st.integers(1, 8))
    # mostly ordinary bills; some credit notes, blanks and bills too large for the int64 path
    amount = st.sampled_from(["ordinary"] * 6 + ["credit", "blank", "huge"]).flatmap(lambda kind: {
        "ordinary": st.integers(1, 10**7), "credit": st.integers(-1000, 0), "blank": st.none(),
        "huge": st.integers(10**10, 10**13)}[kind])
    amounts = draw(st.lists(amount, min_size=n, max_size=n))
    due_days = draw(st.lists(st.sampled_from([True] * 5 + [False]).flatmap(
        lambda dated: st.integers(0, 500) if dated else st.none()), min_size=n, max_size=n))
    bills = pd.DataFrame({
        "BillID": pd.array([f"B{k}" for k in range(n)], dtype="str"),
        "CustomerID": pd.array(draw(st.lists(st.sampled_from(["C1", "C2", "C3", "C9"]), min_size=n, max_size=n)),
                               dtype="str"),
        "FeeItem": pd.array(draw(st.lists(st.sampled_from(["water", "gas", None]), min_size=n, max_size=n)),
                            dtype="str"),
        "DueDate": pd.to_datetime([None if d is None else START + datetime.timedelta(d) for d in due_days])
        .astype("datetime64[s]"),
        "Amount": pd.array(amounts, dtype="Int64"),
    }, index=pd.Index(range(2, 2 + n), name="row"))
    payments = draw(st.lists(st.tuples(
        st.sampled_from([f"B{k}" for k in range(n)] + ["B-unknown", None]),
        st.one_of(st.integers(-30, 700), st.none()),
        st.one_of(st.integers(1, 5 * 10**6), st.integers(-3000, -1), st.integers(10**9, 10**13)),
    ), max_size=15))
    paid = pd.DataFrame({
        "BillID": pd.array([p[0] for p in payments], dtype="str"),
        "PaidDate": pd.to_datetime([None if p[1] is None else START + datetime.timedelta(p[1]) for p in payments])
        .astype("datetime64[s]"),
        "Amount": pd.array([p[2] for p in payments], dtype="Int64"),
    })
    as_of = START + datetime.timedelta(draw(st.integers(100, 800)))
    return bills, paid, rules, as_of


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(desks())
def test_bill_late_fees_agrees_with_late_fee_portion_by_portion(desk):
    bills, paid, rules, as_of = desk
    types = {"C1": "residential", "C2": "commercial", "C3": None}
    out = bill_late_fees(bills, paid, pd.Series(types, dtype=object), rules, as_of)
    fees, days = reference_fees(bills, paid, types, rules, as_of)
    assert out["LateFee"].tolist() == fees
    assert [None if pd.isna(d) else int(d) for d in out["Days"]] == days
    assert out["BillID"].tolist() == bills["BillID"].tolist()


# ---------------------------------------------------------------------------------------------
# Worksheet functions
# ---------------------------------------------------------------------------------------------

SERIAL_JAN_31 = float(dates.date_to_serial(D(2026, 1, 31)))  # 46053.0, what Excel passes for a number cell


def test_fd_days_overdue():
    assert SERIAL_JAN_31 == 46053.0
    assert FD_DAYS_OVERDUE(datetime.datetime(2026, 1, 31), datetime.datetime(2026, 3, 2)) == 30
    assert FD_DAYS_OVERDUE(SERIAL_JAN_31, SERIAL_JAN_31 + 30) == 30  # serial numbers
    assert FD_DAYS_OVERDUE("2026-01-31", D(2026, 3, 2)) == 30  # date text
    assert FD_DAYS_OVERDUE(D(2026, 3, 2), D(2026, 1, 31)) == 0  # not yet due
    assert FD_DAYS_OVERDUE(None, D(2026, 1, 31)) == ""
    assert FD_DAYS_OVERDUE("明天", D(2026, 1, 31)) == BAD_DATE
    assert FD_DAYS_OVERDUE(True, D(2026, 1, 31)) == BAD_DATE
    assert FD_DAYS_OVERDUE(-5.0, D(2026, 1, 31)) == BAD_DATE


def test_fd_age_bucket():
    # 45 days past due; default bounds 0,30,60,90,180,365 -> 31-60天
    assert FD_AGE_BUCKET(D(2026, 1, 1), D(2026, 2, 15)) == "31-60天"
    assert FD_AGE_BUCKET(SERIAL_JAN_31, SERIAL_JAN_31) == "未到期"  # on the due date: not yet overdue
    assert FD_AGE_BUCKET(D(2026, 1, 1), D(2026, 2, 15), [[0], [30], [60], [None]], "en") == "31-60"  # a column range
    assert FD_AGE_BUCKET(D(2026, 1, 1), D(2026, 2, 15), [[0, 30]], "en") == "over 30"  # a row range
    assert FD_AGE_BUCKET(D(2026, 1, 1), D(2026, 2, 15), "0,30,60") == "31-60天"
    assert FD_AGE_BUCKET(D(2026, 1, 1), D(2026, 2, 15), "0，30") == "30天以上"  # full-width comma
    assert FD_AGE_BUCKET(D(2026, 1, 1), D(2026, 2, 15), "60,30") == BAD_BOUNDS
    assert FD_AGE_BUCKET(D(2026, 1, 1), D(2026, 2, 15), [0, 30.5]) == BAD_BOUNDS
    assert FD_AGE_BUCKET(D(2026, 1, 1), D(2026, 2, 15), "0,thirty") == BAD_BOUNDS
    assert FD_AGE_BUCKET(D(2026, 1, 1), D(2026, 2, 15), None, "fr") == BAD_LANG
    assert FD_AGE_BUCKET("", D(2026, 2, 15)) == ""
    assert FD_AGE_BUCKET("not a date", D(2026, 2, 15)) == BAD_DATE


def test_fd_late_fee():
    # 1,000.00 due 2026-01-31, paid 2026-03-02 at 0.001 -> 30.00, with dates as serial numbers too
    assert FD_LATE_FEE(1000, SERIAL_JAN_31, SERIAL_JAN_31 + 30, 0.001) == 30.00
    assert FD_LATE_FEE("¥1,000.00", "2026-01-31", "2026-03-02", "0.1%") == 30.00
    # grace 10, 11 days late: 11.00; minimum 1.00 on a 0.08 fee; cap 1 of the principal
    assert FD_LATE_FEE(1000, D(2026, 3, 1), D(2026, 3, 12), 0.001, 10) == 11.00
    assert FD_LATE_FEE(1000, D(2026, 3, 1), D(2026, 3, 11), 0.001, 10.0) == 0.0
    assert FD_LATE_FEE(50, D(2026, 3, 1), D(2026, 3, 4), 0.0005, 0, 1) == 1.00
    assert FD_LATE_FEE(1000, D(2024, 3, 1), D(2026, 3, 1), 0.003, None, None, 1) == 1000.00
    assert FD_LATE_FEE(1000, D(2024, 3, 1), D(2026, 3, 1), 0.003, None, None, "30%") == 300.00
    # blanks and bad input
    assert FD_LATE_FEE(None, D(2026, 1, 31), D(2026, 3, 2), 0.001) == ""
    assert FD_LATE_FEE(1000, D(2026, 1, 31), None, 0.001) == ""
    assert FD_LATE_FEE("一千", D(2026, 1, 31), D(2026, 3, 2), 0.001).startswith("#VALUE!")
    assert FD_LATE_FEE(1000, "someday", D(2026, 3, 2), 0.001) == BAD_DATE
    for bad_rate in ("-0.001", "千分之一", True):
        assert FD_LATE_FEE(1000, D(2026, 1, 31), D(2026, 3, 2), bad_rate).startswith("#VALUE!"), bad_rate
    assert FD_LATE_FEE(1000, D(2026, 1, 31), D(2026, 3, 2), 0.001, -1).startswith("#VALUE!")
    assert FD_LATE_FEE(1000, D(2026, 1, 31), D(2026, 3, 2), 0.001, 1.5).startswith("#VALUE!")
    assert FD_LATE_FEE(1000, D(2026, 1, 31), D(2026, 3, 2), 0.001, 0, -1).startswith("#VALUE!")
    assert FD_LATE_FEE(1000, D(2026, 1, 31), D(2026, 3, 2), 0.001, 0, 0, -1).startswith("#VALUE!")
    assert isinstance(FD_LATE_FEE(1000, D(2026, 1, 31), D(2026, 3, 2), 0.001), float)


def test_the_functions_document_the_example():
    assert "30.00" in FD_LATE_FEE.__doc__ and "2026-01-31" in FD_LATE_FEE.__doc__
    for function in (FD_DAYS_OVERDUE, FD_AGE_BUCKET, FD_LATE_FEE):
        assert any("\u4e00" <= ch <= "\u9fff" for ch in function.__doc__)  # zh and en

