"""KPIs as an officer checks them: a ten-bill ledger typed in yuan, every KPI worked out by hand
next to its expected value; targets, trends, history; the worksheet functions."""

from __future__ import annotations

import datetime
import math

import numpy as np
import pandas as pd
import pytest

from feedesk import kpi, sample
from tests.test_reconcile import typed
from workbook import layout
from workbook import tables as wtables
from xlfuncs import kpi_funcs

# -- the published examples ---------------------------------------------------------------------


def test_count_back_dso_published_example():
    # AR 212,000 against 70,000, 80,000, 100,000 (oldest first), 30 days each:
    # newest 100,000 used up (30 days, 112,000 left), 80,000 used up (60 days, 32,000 left),
    # then 32,000 / 70,000 x 30 = 13.714 -> 73.714, shown 73.7.
    value = kpi.dso_countback(212_000, [70_000, 80_000, 100_000], [30, 30, 30])
    assert value == pytest.approx(60 + 32 / 70 * 30)
    assert round(value, 1) == 73.7
    assert kpi.dso_countback(212_000, [70_000, 80_000, 100_000], 30) == value  # one number for all months
    cell = kpi_funcs.FD_DSO_COUNTBACK(212000, [[70000], [80000], [100000]], 30)  # a column of cells
    assert round(cell, 1) == 73.7
    assert kpi_funcs.FD_DSO_COUNTBACK(212000, [70000, 80000, 100000], [[30, 30, 30]]) == pytest.approx(cell)


def test_count_back_edges():
    assert kpi.dso_countback(0, [100, 200], 30) == 0.0  # no AR: no days
    assert kpi.dso_countback(50, [0, 0], 30) is None  # no sales at all: undefined
    # AR 400 beyond all sales (100 + 200 over 60 days): 60 days + 100 at 300/60 a day = 80
    assert kpi.dso_countback(400, [100, 200], 30) == pytest.approx(80.0)
    assert kpi.dso_countback(150, [100, 0, 200], [31, 28, 31]) == pytest.approx(150 / 200 * 31)
    with pytest.raises(ValueError):
        kpi.dso_countback(100, [100, 200], [30])


def test_cei_by_hand_and_as_a_worksheet_function():
    # Opening 100,000 + sales 60,000 - ending 70,000 = 90,000 collected;
    # opening 100,000 + sales 60,000 - ending current 53,125 = 106,875 collectable;
    # 90,000 / 106,875 = 0.842105... -> 84.21 %.
    assert kpi.cei(100_000, 60_000, 70_000, 53_125) == pytest.approx(84.2105263, abs=1e-6)
    assert round(kpi_funcs.FD_CEI(100000, 60000, 70000, 53125), 2) == 84.21
    assert kpi_funcs.FD_CEI("100,000.00", "60000", 70000.0, 53125) == pytest.approx(84.2105263, abs=1e-6)
    assert kpi.cei(0, 0, 0, 0) is None
    assert kpi_funcs.FD_CEI(0, 0, 0, 0).startswith("#DIV/0!")


def test_dso_functions_and_their_errors():
    assert kpi.dso(50_000, 100_000, 31) == 15.5
    assert kpi.bpdso(20_000, 100_000, 30) == 6.0
    assert kpi.dso(50_000, 0, 31) is None  # no sales: undefined, not inf
    assert kpi_funcs.FD_DSO(50000, 100000, 31) == 15.5
    assert kpi_funcs.FD_DSO(0.1, 0.3, 30) == pytest.approx(10.0)  # exact fen inside: 10 / 30 x 30
    assert kpi_funcs.FD_DSO(500, 0, 31) == "#DIV/0! 无销售 / no sales"
    assert kpi_funcs.FD_DSO("abc", 100, 31).startswith("#VALUE!")
    assert kpi_funcs.FD_DSO(100, 100, -1).startswith("#VALUE!")
    assert kpi_funcs.FD_DSO(None, 100, 31) == ""
    assert kpi_funcs.FD_DSO_COUNTBACK(100, [100, 200], [30, 31, 30]) == kpi_funcs.BAD_MONTHS
    assert kpi_funcs.FD_DSO_COUNTBACK(100, [0, 0], 30).startswith("#DIV/0!")
    assert kpi_funcs.FD_DSO_COUNTBACK(100, [100, "x"], 30).startswith("#VALUE!")
    assert kpi_funcs.FD_DSO_COUNTBACK(100, [100, -5], 30) == kpi_funcs.NEGATIVE_SALES
    assert kpi_funcs.FD_CEI(True, 1, 1, 1).startswith("#VALUE!")


# -- the ledger ---------------------------------------------------------------------------------
# Period 2026-03, as of 2026-04-10: the period runs 1-31 March, measure date 31 March, 31 days.

PERIOD = "2026-03"
AS_OF = datetime.date(2026, 4, 10)

CUSTOMERS = typed("Customers", {
    "CustomerID": ["C1", "C2", "C3", "C4"],
    "Name": ["张伟", "刘洋餐饮店", "李娜", "陈静"],
    "CustomerType": ["residential", "commercial", "residential", "residential"],
    "Region": ["东区", "东区", "西区", "西区"],
    "Officer": ["陈晓东", "陈晓东", "王丽娟", "王丽娟"],
    "Status": ["active"] * 4,
})

#   B01 C1 100.00 billed 02-20 due 03-06, paid 02-25 (before the period, on time)
#   B02 C2 200.00 due 02-16, paid 03-05: arrears at the start, collected in March
#   B03 C3 300.00 due 02-16, written off 03-20 (bad debt)
#   B04 C1 120.00 due 03-16, paid 03-10 (on time)
#   B05 C2 250.00 due 03-16, paid 03-25 (late)
#   B06 C3  80.00 due 03-16, three instalments of 10.00 on 03-05, 03-08, 03-12: 50.00 still open
#   B07 C4 150.00 due 03-16, cancelled (billing error)
#   B08 C4 140.00 due 03-20, the corrected bill, paid 03-18 (on time)
#   B09 C1  20.00 billed 03-25 due 04-09: a second water bill for C1's February (re-issued); paid 04-05,
#       after the measure date, so open and current on 31 March
#   B10 C2 -50.00 credit note 03-20
BILLS = typed("Bills", {
    "BillID": ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B09", "B10"],
    "CustomerID": ["C1", "C2", "C3", "C1", "C2", "C3", "C4", "C4", "C1", "C2"],
    "Period": ["2026-01", "2026-01", "2026-01", "2026-02", "2026-02", "2026-02", "2026-02", "2026-02", "2026-02",
               "2026-02"],
    "FeeItem": ["water", "water", "property", "water", "water", None, "water", "water", "water", "water"],
    "BillDate": ["2026-02-20", "2026-02-01", "2026-02-01", "2026-03-01", "2026-03-01", "2026-03-01", "2026-03-01",
                 "2026-03-05", "2026-03-25", "2026-03-20"],
    "DueDate": ["2026-03-06", "2026-02-16", "2026-02-16", "2026-03-16", "2026-03-16", "2026-03-16", "2026-03-16",
                "2026-03-20", "2026-04-09", "2026-03-20"],
    "Amount": [100.00, 200.00, 300.00, 120.00, 250.00, 80.00, 150.00, 140.00, 20.00, -50.00],
    "Status": [None, None, None, None, None, None, "cancelled", None, None, None],
})

ALLOCATIONS = typed("Allocations", {
    "AllocationID": ["A01", "A02", "A03", "A04", "A05", "A06", "A07", "A08", "A09", "A10"],
    "PaymentID": ["P01", "P02", None, "P04", "P05", "P06", "P07", "P08", "P09", "P10"],
    "BillID": ["B01", "B02", "B03", "B04", "B05", "B06", "B06", "B06", "B08", "B09"],
    "CustomerID": ["C1", "C2", "C3", "C1", "C2", "C3", "C3", "C3", "C4", "C1"],
    "AllocDate": ["2026-02-25", "2026-03-05", "2026-03-20", "2026-03-10", "2026-03-25", "2026-03-05", "2026-03-08",
                  "2026-03-12", "2026-03-18", "2026-04-05"],
    "Amount": [100.00, 200.00, 300.00, 120.00, 250.00, 10.00, 10.00, 10.00, 140.00, 20.00],
    "Kind": ["payment", "payment", "writeoff", "payment", "payment", "payment", "payment", "payment", "payment",
             "payment"],
})

COMPLAINTS = typed("Complaints", {
    "ComplaintID": ["T1", "T2", "T3"],
    "CustomerID": ["C2", "C3", "C1"],
    "OpenedDate": ["2026-03-03", "2026-02-20", "2026-03-25"],
    "Category": ["billing", "meter", "service"],
    "BillID": ["B05", None, None],
    "IsDispute": ["是", "否", "否"],
    "Status": ["resolved", "resolved", "open"],
    "ResolvedDate": ["2026-03-13", "2026-03-15", None],  # 10 days, 23 days
    "Satisfaction": [4, 2, None],
})


def reconciliation(rows):
    keys = layout.table("Reconciliation").keys
    return typed("Reconciliation", {k: [r.get(k) for r in rows] for k in keys})


def exceptions(rows):
    keys = layout.table("Exceptions").keys
    return typed("Exceptions", {k: [r.get(k) for r in rows] for k in keys})


def letters(rows):
    keys = layout.table("Letters").keys
    return typed("Letters", {k: [r.get(k) for r in rows] for k in keys})


def _match(pid, day, status="auto", source="payments"):
    return {"PaymentID": pid, "PaidDate": day, "Status": status, "Source": source}


RECONCILIATION = reconciliation([
    _match("P01", "2026-02-25"),  # February: not in the period
    _match("P02", "2026-03-05"), _match("P04", "2026-03-10"), _match("P05", "2026-03-25", "confirmed"),
    _match("P06", "2026-03-05"), _match("P07", "2026-03-08"), _match("P08", "2026-03-12"),
    _match("P09", "2026-03-18"),
    _match("P10", "2026-04-05"),  # April
    _match("P12", "2026-03-29", "suggested"),  # not yet confirmed: not matched
    _match("T900", "2026-03-15", source="bank"),  # a bank line, not a payment
])

EXCEPTIONS = exceptions([
    {"ExceptionID": "E1", "Kind": "unmatched_payment", "Source": "payments", "SourceID": "P11", "Amount": 66.00,
     "ItemDate": "2026-03-28"},
    {"ExceptionID": "E2", "Kind": "suggested", "Source": "payments", "SourceID": "P12", "Amount": 45.00,
     "ItemDate": "2026-03-29"},
    {"ExceptionID": "E3", "Kind": "unmatched_bank", "Source": "bank", "SourceID": "T901", "Amount": 12.34,
     "ItemDate": "2026-03-30"},
    {"ExceptionID": "E4", "Kind": "stale", "Source": "payments", "SourceID": "P00", "Amount": 99.00,
     "ItemDate": "2026-01-20"},  # January: not in the period
    {"ExceptionID": "E5", "Kind": "duplicate", "Source": "payments", "SourceID": "P04", "Amount": 120.00,
     "ItemDate": "2026-03-10"},  # not an unmatched kind
])

LETTERS = letters([
    {"LetterID": "L1", "CustomerID": "C3", "Kind": "dunning", "Level": 1, "SentAt": "2026-03-02 09:30:00",
     "Status": "sent"},  # C3 pays 03-05: cured
    {"LetterID": "L2", "CustomerID": "C2", "Kind": "dunning", "Level": 1, "SentAt": "2026-03-28", "Status": "sent"},
    # C2 pays nothing after 03-28 up to 03-31: not cured
    {"LetterID": "L3", "CustomerID": "C1", "Kind": "dunning", "Level": 1, "SentAt": "2026-03-15",
     "Status": "failed"},  # not sent
    {"LetterID": "L4", "CustomerID": "C4", "Kind": "dunning", "Level": 1, "SentAt": "2026-02-20",
     "Status": "sent"},  # February
])

TABLES = {"Customers": CUSTOMERS, "Bills": BILLS, "Allocations": ALLOCATIONS, "Complaints": COMPLAINTS,
          "Reconciliation": RECONCILIATION, "Exceptions": EXCEPTIONS, "Letters": LETTERS}

# Worked out by hand (yuan):
#   credit sales (positive, not cancelled, billed in March): B04 120 + B05 250 + B06 80 + B08 140 + B09 20 = 610
#   opening AR on 28 Feb: B02 200 + B03 300 = 500, all overdue (B01 paid 02-25)
#   ending AR on 31 Mar: B06 50 (overdue) + B09 20 (current, due 04-09) = 70; current 20, overdue 50
#   billed due in March: B01 100 + B04 120 + B05 250 + B06 80 + B08 140 = 690 (B07 cancelled, B10 a credit)
#   collected on them by 31 Mar: 100 + 120 + 250 + 30 + 140 = 640
#   collected in March on anything: 200 + 120 + 250 + 30 + 140 = 740 (write-off and April's payment not)
#   bills issued in March: B04..B10 = 7; corrected: B07 cancelled, B10 credit note, B09 re-issued = 3
EXPECTED = {
    "collection_rate": 640 / 690,  # 0.9275
    "collection_rate_with_arrears": 740 / (690 + 500),  # 0.6218
    "dso": 70 / 610 * 31,  # 3.557 days
    "dso_countback": 70 / 610 * 31,  # March's sales 610 cover the AR 70: 70/610 of March's 31 days
    "bpdso": 20 / 610 * 31,  # 1.016
    "add": 50 / 610 * 31,  # 3.557 - 1.016 = 2.541
    "cei": (500 + 610 - 70) / (500 + 610 - 20),  # 1040 / 1090 = 0.9541
    "pct_current": 20 / 70,  # 0.2857
    "arrears_ratio": 50 / 70,  # 0.7143
    "bad_debt_ratio": 300 / 610,  # B03's write-off 0.4918
    "billing_accuracy": 1 - 3 / 7,  # 0.5714
    "on_time_rate": 3 / 5,  # due in March: B01, B04, B08 paid by their due dates; B05 late, B06 part paid
    "dispute_rate": 1 / 7,  # T1 is a dispute opened in March; 7 bills issued
    "complaints": 2,  # T1, T3 opened in March (T2 in February)
    "complaint_median_days": 16.5,  # resolved in March: T1 10 days, T2 23 days
    "complaint_resolution_rate": 1 / 2,  # of T1, T3 only T1 resolved
    "complaints_within_target": 1 / 2,  # T1 within 15 days, T2 not
    "satisfaction": 3.0,  # (4 + 2) / 2
    "match_rate": 7 / 9,  # P02 P04 P05 P06 P07 P08 P09 matched; P12 suggested, P11 unmatched
    "unmatched_value": 123.34,  # 66.00 + 45.00 + 12.34
    "letters_sent": 2,  # L1, L2 (L3 failed, L4 February)
    "cure_rate": 1 / 2,  # C3 cured, C2 not
}


@pytest.fixture(scope="module")
def computed():
    return kpi.compute(TABLES, PERIOD, AS_OF, lang="zh")


def total(frame) -> dict:
    rows = frame[frame["Scope"] == "total"]
    return dict(zip(rows["KPI"], rows["Value"]))


def test_every_kpi_on_the_ledger(computed):
    values = total(computed)
    assert list(values) == [d.code for d in kpi.DEFINITIONS]
    assert set(EXPECTED) == set(values)
    for code, expected in EXPECTED.items():
        assert values[code] == pytest.approx(expected, abs=1e-9), code
    totals = computed[computed["Scope"] == "total"]
    assert totals["Note"].isna().sum() >= 15  # nothing to explain for most
    assert list(computed.columns) == ["Period", "KPI", "Name", "Scope", "Segment", "Value", "Unit", "Note"]
    assert set(computed["Period"]) == {PERIOD} and totals["Segment"].isna().all()
    dso_row = totals[totals["KPI"] == "dso"].iloc[0]
    assert (dso_row["Name"], dso_row["Unit"]) == ("应收账款周转天数（DSO）", "天")
    assert computed["Value"].dtype == np.float64 and computed["KPI"].dtype == "str"


def test_the_table_agrees_with_the_single_number_formulas(computed):
    values = total(computed)
    assert values["dso"] == pytest.approx(kpi.dso(7000, 61000, 31))
    assert values["bpdso"] == pytest.approx(kpi.bpdso(2000, 61000, 31))
    assert values["cei"] == pytest.approx(kpi.cei(50000, 61000, 7000, 2000) / 100)
    assert values["add"] == pytest.approx(values["dso"] - values["bpdso"])


def test_by_region_officer_and_customer_type(computed):
    west = computed[(computed["Scope"] == "region") & (computed["Segment"] == "西区")]
    values = dict(zip(west["KPI"], west["Value"]))
    assert list(values) == list(kpi.SEGMENTED)
    # 西区 = C3 and C4: sales B06 80 + B08 140 = 220; opening AR B03 300 (overdue); ending AR B06 50 (overdue);
    # due in March B06 80 + B08 140 = 220, collected 30 + 140 = 170; collected in March 170; written off 300;
    # issued B06 B07 B08, corrected B07; due B06 (part paid) and B08 (on time).
    expected = {
        "collection_rate": 170 / 220, "collection_rate_with_arrears": 170 / (220 + 300), "dso": 50 / 220 * 31,
        "bpdso": 0.0, "add": 50 / 220 * 31, "cei": (300 + 220 - 50) / (300 + 220 - 0), "pct_current": 0.0,
        "arrears_ratio": 1.0, "bad_debt_ratio": 300 / 220, "billing_accuracy": 1 - 1 / 3, "on_time_rate": 1 / 2,
    }
    for code, value in expected.items():
        assert values[code] == pytest.approx(value, abs=1e-9), code
    east = computed[(computed["Scope"] == "region") & (computed["Segment"] == "东区")]
    east = dict(zip(east["KPI"], east["Value"]))
    # 东区 = C1 and C2: due B01 100 + B04 120 + B05 250 all paid; AR 20 all current.
    assert east["collection_rate"] == 1.0 and east["add"] == 0.0 and east["cei"] == 1.0
    assert east["dso"] == pytest.approx(20 / 390 * 31)
    assert set(computed.loc[computed["Scope"] == "officer", "Segment"]) == {"陈晓东", "王丽娟"}
    assert set(computed.loc[computed["Scope"] == "customer_type", "Segment"]) == {"commercial", "residential"}
    assert set(computed.loc[computed["Scope"] != "total", "KPI"]) == set(kpi.SEGMENTED)


def test_english_labels_and_a_customer_missing_from_customers():
    bills = pd.concat([BILLS, typed("Bills", {
        "BillID": ["B11"], "CustomerID": ["C9"], "Period": ["2026-02"], "BillDate": ["2026-03-02"],
        "DueDate": ["2026-03-17"], "Amount": [10.00]})])
    frame = kpi.compute({**TABLES, "Bills": bills}, PERIOD, AS_OF, lang="en")
    assert "(blank)" in set(frame.loc[frame["Scope"] == "region", "Segment"])
    row = frame[(frame["Scope"] == "total") & (frame["KPI"] == "dso")].iloc[0]
    assert (row["Name"], row["Unit"]) == ("Days sales outstanding (DSO)", "days")
    # C9's unpaid 10.00 is overdue at the end: AR 80, sales 620
    assert row["Value"] == pytest.approx(80 / 620 * 31)


# -- bad inputs ------------------------------------------------------------------------------------

def test_a_period_without_sales_leaves_dso_undefined_with_a_note():
    frame = kpi.compute(TABLES, "2026-05", datetime.date(2026, 6, 10))
    rows = frame[frame["Scope"] == "total"].set_index("KPI")
    assert np.isnan(rows.loc["dso", "Value"]) and "无销售，DSO 无定义" in rows.loc["dso", "Note"]
    for code in ("bpdso", "add", "bad_debt_ratio"):
        assert np.isnan(rows.loc[code, "Value"]) and "无销售" in rows.loc[code, "Note"]
    assert np.isfinite(rows["Value"].dropna()).all()  # never inf
    assert np.isnan(rows.loc["on_time_rate", "Value"]) and "无到期账单" in rows.loc["on_time_rate", "Note"]
    assert rows.loc["arrears_ratio", "Value"] == 1.0  # B06's 50.00 is still open and overdue
    english = kpi.compute(TABLES, "2026-05", datetime.date(2026, 6, 10), lang="en")
    note = english[(english["Scope"] == "total") & (english["KPI"] == "dso")]["Note"].iloc[0]
    assert note == "no sales: DSO undefined"


def test_empty_or_missing_complaints_letters_and_reconciliation():
    empty = {key: wtables.empty_frame(layout.table(key)) for key in ("Complaints", "Letters", "Reconciliation",
                                                                      "Exceptions")}
    for tables in ({**TABLES, **empty}, {k: v for k, v in TABLES.items() if k not in empty}):
        rows = kpi.compute(tables, PERIOD, AS_OF)
        rows = rows[rows["Scope"] == "total"].set_index("KPI")
        assert rows.loc["complaints", "Value"] == 0 and rows.loc["letters_sent", "Value"] == 0
        assert rows.loc["unmatched_value", "Value"] == 0
        for code in ("complaint_median_days", "complaint_resolution_rate", "complaints_within_target",
                     "satisfaction", "match_rate", "cure_rate"):
            assert np.isnan(rows.loc[code, "Value"]) and "无定义" in rows.loc[code, "Note"], code
        assert rows.loc["dso", "Value"] == pytest.approx(EXPECTED["dso"])


def test_nothing_at_all_is_no_crash():
    frame = kpi.compute({}, PERIOD, AS_OF)
    assert len(frame) == len(kpi.DEFINITIONS) and frame["Value"].isna().sum() >= 15


def test_without_allocations_the_bills_paid_amounts_stand_in():
    # Before reconciliation: PaidAmount (no dates) — B05 marked paid in full, B06 30.00.
    paid = BILLS.assign(PaidAmount=pd.array([10000, 20000, 0, 12000, 25000, 3000, 0, 14000, 0, 0], dtype="Int64"))
    tables = {**TABLES, "Bills": paid, "Allocations": wtables.empty_frame(layout.table("Allocations"))}
    rows = kpi.compute(tables, PERIOD, AS_OF)
    rows = rows[rows["Scope"] == "total"].set_index("KPI")
    assert rows.loc["collection_rate", "Value"] == pytest.approx(640 / 690)
    assert "已收金额" in rows.loc["collection_rate", "Note"]
    assert rows.loc["on_time_rate", "Value"] == pytest.approx(4 / 5)  # B05 counts: its payment date is unknown
    assert np.isnan(rows.loc["cure_rate", "Value"]) and "核销分配" in rows.loc["cure_rate", "Note"]
    # Without dates B03 (never paid, never written off) is open: ending AR 300 + 50 + 20.
    assert rows.loc["dso", "Value"] == pytest.approx(370 / 610 * 31)


def test_a_period_not_over_is_measured_to_the_as_of_date():
    frame = kpi.compute(TABLES, PERIOD, datetime.date(2026, 3, 15))
    rows = frame[frame["Scope"] == "total"].set_index("KPI")
    # 1-15 March, 15 days: sales B04 120 + B05 250 + B06 80 + B08 140 = 590; AR on 15 March:
    # B03 300 (written off on the 20th) + B05 250 + B06 50 + B08 140 = 740, of which B05 B06 B08 current (440).
    assert rows.loc["dso", "Value"] == pytest.approx(740 / 590 * 15)
    assert rows.loc["bpdso", "Value"] == pytest.approx(440 / 590 * 15)
    assert "计至 2026-03-15" in rows.loc["dso", "Note"]


# -- targets, trends, history ------------------------------------------------------------------------

TARGETS = typed("Targets", {
    "KPI": ["collection_rate", "dso", "cei", "arrears_ratio", "add", "按时缴费率", "collection_ratio"],
    "Direction": ["higher", "lower", "higher", "lower", "lower", "higher", "higher"],
    "Green": [0.95, 30, 0.90, 0.05, 2, 0.6, 0.9],
    "Amber": [0.90, 45, 0.80, 0.10, 3, 0.5, 0.8],
})


def test_targets_green_amber_red_in_both_directions(computed):
    scored, unknown = kpi.apply_targets(computed, TARGETS)
    assert unknown == ["collection_ratio"]
    rows = scored[scored["Scope"] == "total"].set_index("KPI")
    assert rows.loc["collection_rate", "Status"] == "amber"  # 0.9275: below 0.95, at least 0.90
    assert rows.loc["cei", "Status"] == "green"  # 0.954 >= 0.90
    assert rows.loc["dso", "Status"] == "green"  # 3.6 days <= 30
    assert rows.loc["add", "Status"] == "amber"  # 2.54 days: above 2, within 3
    assert rows.loc["arrears_ratio", "Status"] == "red"  # 0.714 > 0.10
    assert rows.loc["on_time_rate", "Status"] == "green"  # 0.6 == green 0.6 (by its zh name)
    assert rows.loc["bpdso", "Status"] == "none" and np.isnan(rows.loc["bpdso", "Target"])
    assert rows.loc["collection_rate", "Target"] == 0.95
    west = scored[(scored["Scope"] == "region") & (scored["Segment"] == "西区")].set_index("KPI")
    assert west.loc["collection_rate", "Status"] == "red"  # 0.77
    assert list(scored.columns[:9]) == ["Period", "KPI", "Name", "Scope", "Segment", "Value", "Unit", "Target",
                                        "Status"]
    undefined = kpi.compute(TABLES, "2026-05", datetime.date(2026, 6, 10))
    scored, _ = kpi.apply_targets(undefined, TARGETS)
    assert scored[(scored["Scope"] == "total") & (scored["KPI"] == "dso")]["Status"].iloc[0] == "none"
    frame = pd.DataFrame({"KPI": ["dso", "dso", "cei", "cei"], "Value": [45.0, 45.01, 0.80, 0.7999]})
    assert list(kpi.apply_targets(frame, TARGETS)[0]["Status"]) == ["amber", "red", "amber", "red"]


def history_rows(rows):
    return pd.DataFrame({
        "Period": pd.array([r[0] for r in rows], dtype="str"), "KPI": pd.array([r[1] for r in rows], dtype="str"),
        "Scope": pd.array([r[2] for r in rows], dtype="str"), "Segment": pd.array([r[3] for r in rows], dtype="str"),
        "Value": np.array([r[4] for r in rows], dtype=np.float64)})


def test_trends_use_exactly_the_previous_period_and_last_year(computed):
    history = history_rows([
        ("2026-02", "collection_rate", "total", None, 0.90),
        ("2025-03", "collection_rate", "total", None, 0.80),
        ("2026-01", "dso", "total", None, 5.0),  # a gap: no February DSO, so no Previous
        ("2025-02", "dso", "total", None, 9.0),  # not March 2025: no LastYear either
        ("2026-02", "collection_rate", "region", "西区", 0.5),
        ("2026-02", "collection_rate", "region", "东区", None),
    ])
    trended = kpi.apply_trends(computed, history)
    rows = trended[trended["Scope"] == "total"].set_index("KPI")
    assert rows.loc["collection_rate", "Previous"] == 0.90
    assert rows.loc["collection_rate", "Change"] == pytest.approx(640 / 690 - 0.90)
    assert rows.loc["collection_rate", "LastYear"] == 0.80
    assert rows.loc["collection_rate", "YoYChange"] == pytest.approx(640 / 690 - 0.80)
    assert np.isnan(rows.loc["dso", "Previous"]) and np.isnan(rows.loc["dso", "Change"])
    assert np.isnan(rows.loc["dso", "LastYear"]) and np.isnan(rows.loc["dso", "YoYChange"])
    segment = trended[trended["Scope"] == "region"].set_index(["Segment", "KPI"])
    assert segment.loc[("西区", "collection_rate"), "Previous"] == 0.5
    assert np.isnan(segment.loc[("东区", "collection_rate"), "Previous"])
    assert kpi.apply_trends(computed, None)["Previous"].isna().all()
    assert list(trended.columns) == ["Period", "KPI", "Name", "Scope", "Segment", "Value", "Unit", "Previous",
                                     "Change", "LastYear", "YoYChange", "Note"]


def test_history_replaces_the_period_and_is_idempotent(computed):
    old = history_rows([("2026-02", "dso", "total", None, 5.0), ("2026-03", "dso", "total", None, 99.0),
                        ("2026-03", "gone", "total", None, 1.0)])
    once = kpi.update_history(old, computed)
    twice = kpi.update_history(once, computed)
    pd.testing.assert_frame_equal(once, twice)
    assert list(once.columns) == ["Period", "KPI", "Scope", "Segment", "Value"]
    march = once[once["Period"] == "2026-03"]
    assert len(march) == len(computed) and "gone" not in set(march["KPI"])
    assert march[(march["KPI"] == "dso") & (march["Scope"] == "total")]["Value"].iloc[0] == pytest.approx(
        EXPECTED["dso"])
    assert once.iloc[0]["Period"] == "2026-02"  # sorted by period first
    keys = once[["Period", "KPI", "Scope", "Segment"]].astype(object).fillna("")
    assert keys.equals(keys.sort_values(list(keys.columns)).reset_index(drop=True))
    assert len(kpi.update_history(None, computed)) == len(computed)
    # The trend of the next period reads it back.
    april = kpi.compute(TABLES, "2026-04", datetime.date(2026, 5, 10))
    trended = kpi.apply_trends(april, once)
    assert trended[(trended["Scope"] == "total") & (trended["KPI"] == "dso")]["Previous"].iloc[0] == pytest.approx(
        EXPECTED["dso"])


# -- customer analysis -------------------------------------------------------------------------------

def test_customer_analysis_on_the_ledger():
    frame = kpi.customer_analysis(TABLES, PERIOD, AS_OF, "zh")
    assert list(frame.columns) == ["Category", "Rank", "Key", "Name", "Amount", "Measure", "Detail"]
    assert frame["Amount"].dtype == "Int64"
    high = frame[frame["Category"] == "high_value"]
    # Billed in the 12 months to March: C2 200 + 250 = 450; C3 300 + 80 = 380; C1 100 + 120 + 20 = 240; C4 140
    # (B07 cancelled, B10 a credit). Paid on time of those due by 31 March: C2 0 of 2, C3 0 of 2, C1 2 of 2
    # (B09 not yet due), C4 1 of 1.
    assert list(zip(high["Rank"], high["Key"], high["Amount"], high["Measure"])) == [
        (1, "C2", 45000, 0.0), (2, "C3", 38000, 0.0), (3, "C1", 24000, 1.0), (4, "C4", 14000, 1.0)]
    assert high.iloc[0]["Name"] == "刘洋餐饮店"
    assert high.iloc[2]["Detail"] == "近 12 个月账单 3 张，已到期 2 张，按时缴清 2 张"
    # Overdue on 31 March: B06's 50.00 only, a bill of several items.
    fee = frame[frame["Category"] == "arrears_fee_item"]
    assert list(zip(fee["Key"], fee["Name"], fee["Amount"], fee["Measure"])) == [("mixed", "多项", 5000, 1.0)]
    region = frame[frame["Category"] == "arrears_region"]
    assert list(zip(region["Key"], region["Amount"])) == [("西区", 5000)]
    assert "stopped_paying" not in set(frame["Category"])  # C3 paid 19 days before 31 March


def test_arrears_by_fee_item_and_region_at_the_end_of_february():
    frame = kpi.customer_analysis(TABLES, "2026-02", datetime.date(2026, 3, 5), "en")
    fee = frame[frame["Category"] == "arrears_fee_item"]
    # Overdue on 28 Feb: B03 300 property (C3, 西区), B02 200 water (C2, 东区).
    assert list(zip(fee["Rank"], fee["Key"], fee["Name"], fee["Amount"], fee["Measure"])) == [
        (1, "property", "property", 30000, 0.6), (2, "water", "water", 20000, 0.4)]
    region = frame[frame["Category"] == "arrears_region"]
    assert list(zip(region["Key"], region["Amount"])) == [("西区", 30000), ("东区", 20000)]


def test_a_customer_who_stopped_paying():
    # By 30 June C3 still owes B06's 50.00 (due 16 March); the last payment was 12 March, 110 days
    # earlier (more than 60), after three payments (5, 8, 12 March) in the six months up to it.
    frame = kpi.customer_analysis(TABLES, "2026-06", datetime.date(2026, 7, 10), "zh")
    stopped = frame[frame["Category"] == "stopped_paying"]
    assert list(zip(stopped["Key"], stopped["Name"], stopped["Amount"], stopped["Measure"])) == [
        ("C3", "李娜", 5000, 110.0)]
    assert "2026-03-12" in stopped.iloc[0]["Detail"] and "缴费 3 次" in stopped.iloc[0]["Detail"]
    # Two payments are not a habit.
    fewer = ALLOCATIONS[ALLOCATIONS["AllocationID"] != "A07"]
    frame = kpi.customer_analysis({**TABLES, "Allocations": fewer}, "2026-06", datetime.date(2026, 7, 10), "zh")
    assert "stopped_paying" not in set(frame["Category"])


def test_customer_analysis_with_nothing():
    frame = kpi.customer_analysis({}, PERIOD, AS_OF)
    assert len(frame) == 0 and list(frame.columns) == list(kpi.ANALYSIS_COLUMNS)


# -- a generated desk ---------------------------------------------------------------------------------

def test_on_generated_data_every_value_is_finite_or_explained():
    book = sample.make(400, 6, start_period="2026-01")
    period, as_of = book.settings["Period"], book.settings["AsOfDate"]
    frame = kpi.compute(book.tables, period, as_of)
    assert not np.isinf(frame["Value"]).any()
    assert frame.loc[frame["Value"].isna(), "Note"].notna().all()
    assert set(frame.loc[frame["Scope"] == "region", "Segment"]) == set(sample.REGIONS)
    totals = total(frame)
    assert 0 < totals["collection_rate"] <= 1 and totals["dso"] > 0
    analysis = kpi.customer_analysis(book.tables, period, as_of)
    assert (analysis.groupby("Category")["Rank"].max() <= 20).all()
    assert math.isclose(analysis.loc[analysis["Category"] == "arrears_region", "Measure"].sum(), 1.0)
