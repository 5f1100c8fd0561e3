"""The bill run and the bill audit on the small desk, with the numbers an officer checks by hand."""

from __future__ import annotations

import hypothesis
import pandas as pd
import pytest
from hypothesis import strategies as st

from feedesk import billing
from macros import runner
from tests.test_validate import edit
from workbook import filehost


def read(path, *tables):
    with filehost.FileBook(str(path), writable=False) as book:
        frames = [book.read(t) for t in tables]
        assert not [p for p in book.read_problems if p.blocking]
    return frames if len(frames) > 1 else frames[0]


def test_one_bill_per_customer_with_lines_that_add_up(unbilled_book):
    report = runner.run_file("bill_run", str(unbilled_book))
    assert report.status == "ok", report.problems
    bills, lines = read(unbilled_book, "Bills", "BillLines")
    march = bills[bills["Period"] == "2026-03"].set_index("BillID")
    # 20 m³: 15 x 3.45 + 5 x 4.83 = 75.90; 89.5 m² x 2.20 = 196.90
    assert march["Amount"].to_dict() == {
        "B202603C000101": 7590 + 19690, "B202603C000102": 3450, "B202603C000103": 5175, "B202603C000105": 6624}
    assert march.loc["B202603C000101", "BillDate"] == pd.Timestamp("2026-04-01")
    assert march.loc["B202603C000101", "DueDate"] == pd.Timestamp("2026-04-16")  # 15 days to pay
    first = lines[lines["BillID"] == "B202603C000101"]
    assert first[["Line", "Tier", "Quantity", "UnitPrice", "Amount"]].astype(object).values.tolist() == [
        [1, 1, 15.0, 3.45, 5175], [2, 2, 5.0, 4.83, 2415], [3, 1, 89.5, 2.2, 19690]]
    assert first["Component"].tolist() == ["水费", "水费", "物业费"]
    assert lines.groupby("BillID")["Amount"].sum().to_dict() == march["Amount"].to_dict()
    # C000104 (a shop) has no readings: no bill, and the officer is told
    assert [(p.code, p.row) for p in report.problems] == [("no_reading", 5)]


def test_running_the_period_twice_replaces_never_duplicates(unbilled_book):
    runner.run_file("bill_run", str(unbilled_book))
    once = read(unbilled_book, "Bills", "BillLines")
    runner.run_file("bill_run", str(unbilled_book))
    twice = read(unbilled_book, "Bills", "BillLines")
    for a, b in zip(once, twice):
        pd.testing.assert_frame_equal(a, b)
    assert twice[0]["BillID"].is_unique


def test_a_customer_without_a_valid_tariff_gets_a_problem_not_a_zero_bill(unbilled_book):
    edit(unbilled_book, "Usage", {(3, "TariffCode"): "W-XXX"})
    report = runner.run_file("bill_run", str(unbilled_book))
    bills = read(unbilled_book, "Bills")
    assert "B202603C000102" not in set(bills["BillID"])
    problem = next(p for p in report.problems if p.row == 3 and p.sheet == "抄表用量")
    assert problem.blocking


def test_the_audit_finds_what_an_officer_must_look_at(unbilled_book):
    runner.run_file("bill_run", str(unbilled_book))
    edit(unbilled_book, "Usage", {(4, "CurrReading"): 50.0})  # C000103: 55 -> 50 without a meter change
    edit(unbilled_book, "Bills", {(5, "Amount"): 70.00})  # a bill changed by hand: 66.24 -> 70.00
    report = runner.run_file("bill_audit", str(unbilled_book))
    assert report.status == "ok", report.problems
    audit = read(unbilled_book, "BillAudit")
    reasons = dict(zip(audit["Reason"], audit["CustomerID"]))
    assert reasons["meter_rollback"] == "C000103"
    mismatch = audit[audit["Reason"] == "amount_mismatch"].iloc[0]
    assert (mismatch["CustomerID"], mismatch["Expected"], mismatch["Actual"]) == ("C000105", 6624, 7000)
    assert "¥66.24" in mismatch["Explanation"] and "¥70.00" in mismatch["Explanation"]


def test_tariff_impact_prices_last_years_usage_at_the_proposed_tariff(tmp_path):
    import datetime

    from tests.conftest import SETTINGS, small_desk
    from workbook import build

    desk = small_desk()
    proposed = pd.DataFrame({
        "TariffCode": ["W-RES", "W-RES"], "TariffName": ["居民生活用水", "居民生活用水"], "FeeItem": ["water", "water"],
        "CustomerType": ["residential"] * 2, "Model": ["graduated"] * 2, "Tier": [1, 2], "UpperBound": [15.0, None],
        "UnitPrice": [3.80, 5.30], "EffectiveFrom": ["2026-07-01"] * 2, "Proposed": [True, True]})
    desk["Tariffs"] = pd.concat([desk["Tariffs"], proposed], ignore_index=True)
    desk["PeerTariffs"] = pd.DataFrame({
        "City": ["邻市"] * 3, "FeeItem": ["water"] * 3, "CustomerType": ["residential"] * 3, "Tier": [1, 2, 3],
        "UpperBound": [17.0, 30.0, None], "UnitPrice": [2.90, 3.85, 6.70], "EffectiveFrom": ["2025-01-01"] * 3})
    settings = {**SETTINGS, "NoticeRate": 0.101, "AsOfDate": datetime.date(2026, 4, 10)}
    path = build.build(str(tmp_path / "FeeDesk.xlsm"), "zh", desk, settings)

    report = runner.run_file("tariff_impact", path)
    assert report.status == "ok", report.problems
    table = read(path, "Impact")
    total = table[table["Scope"] == "total"].iloc[0]
    # current: 75.90 + 34.50 + 51.75 + 66.24 = 228.39; proposed: 83.50 + 38.00 + 57.00 + 72.90 = 251.40
    assert (total["Customers"], total["CurrentAmount"], total["ProposedAmount"], total["Change"]) == (
        4, 22839, 25140, 2301)
    assert round(total["ChangeRate"], 4) == 0.1007
    # rises over 10.1%: 10 m³ and 15 m³ customers (+10.14%), not 20 m³ (+10.01%) or 18 m³ (+10.05%)
    assert table[table["Scope"] == "notice"]["Segment"].tolist() == ["C000102", "C000103"]
    spread = table[table["Scope"] == "distribution"].set_index("Segment")["Customers"]
    assert spread["上涨 10–20%"] == 4

    peers = read(path, "PeerComparison").set_index("Profile")
    # ours: 5 m³ 17.25, 40 m³ 15 x 3.45 + 25 x 4.83 = 172.50; the neighbour: 14.50 and 166.35
    assert peers.loc["水费 5 m³", ["OurAmount", "PeerAverage", "Difference"]].tolist() == [1725, 1450, 275]
    assert peers.loc["水费 40 m³", ["OurAmount", "PeerAverage"]].tolist() == [17250, 16635]
    assert peers.loc["水费 20 m³", "Peers"] == "邻市"


def test_a_reading_lower_than_the_last_stops_that_bill_unless_the_meter_was_changed(unbilled_book):
    edit(unbilled_book, "Usage", {(4, "CurrReading"): 50.0})  # C000103: 55 -> 50
    report = runner.run_file("bill_run", str(unbilled_book))
    problem = next(p for p in report.problems if p.code == "reading_went_back")
    assert (problem.sheet, problem.row, problem.column) == ("抄表用量", 4, "本期读数")
    assert "换表" in problem.message
    assert "B202603C000103" not in set(read(unbilled_book, "Bills")["BillID"])
    edit(unbilled_book, "Usage", {(4, "MeterChanged"): "是"})
    runner.run_file("bill_run", str(unbilled_book))
    assert "B202603C000103" in set(read(unbilled_book, "Bills")["BillID"])


def test_the_bill_run_never_drops_the_officers_own_columns_in_bills(unbilled_book):
    import hashlib

    import openpyxl

    workbook = openpyxl.load_workbook(unbilled_book, keep_vba=True)
    sheet = workbook["账单"]
    table = sheet.tables["Bills"]
    table.ref = "A1:L2"
    sheet["L1"] = "催收员备注"
    sheet["L2"] = "已电话联系"
    from openpyxl.worksheet.table import TableColumn

    table.tableColumns.append(TableColumn(id=12, name="催收员备注"))
    table.autoFilter.ref = "A1:L2"
    workbook.save(unbilled_book)
    before = hashlib.sha256(open(unbilled_book, "rb").read()).hexdigest()
    report = runner.run_file("bill_run", str(unbilled_book))
    assert report.status == "failed" and report.problems[0].code == "extra_columns"
    assert "催收员备注" in report.problems[0].message
    assert hashlib.sha256(open(unbilled_book, "rb").read()).hexdigest() == before


def test_bills_already_in_the_period_keep_their_ids_and_what_they_received(desk_book):
    """The small desk's March bills came from the old system, one per fee item."""
    edit(desk_book, "Bills", {(3, "PaidAmount"): 34.50, (3, "Status"): "已缴清"})
    report = runner.run_file("bill_run", str(desk_book))
    bills = read(desk_book, "Bills").set_index("BillID")
    # C000102 had one bill, B2026030002: re-made under the same ID, the 34.50 received kept
    assert (bills.loc["B2026030002", "Amount"], bills.loc["B2026030002", "PaidAmount"]) == (3450, 3450)
    assert bills.loc["B2026030002", "Status"] == "paid"
    # C000101 had two (water, property): kept as they were, and the officer is told
    assert {"B2026030001", "B2026030005"} <= set(bills.index) and "B202603C000101" not in bills.index
    kept = next(p for p in report.problems if p.code == "bills_kept")
    assert (kept.value, kept.severity) == ("C000101", "warning")
    assert len(bills) == 5


def test_a_usage_row_entered_twice_is_never_billed_twice(unbilled_book):
    import openpyxl

    workbook = openpyxl.load_workbook(unbilled_book, keep_vba=True)
    sheet = workbook["抄表用量"]
    sheet.append([c.value for c in sheet[3]])  # C000102's water row pasted again, as row 7
    sheet.tables["Usage"].ref = "A1:K7"
    workbook.save(unbilled_book)
    report = runner.run_file("bill_run", str(unbilled_book))
    problem = next(p for p in report.problems if p.code == "duplicate_usage")
    assert (problem.row, problem.blocking) == (7, True)
    assert "B202603C000102" not in set(read(unbilled_book, "Bills")["BillID"])


def test_a_customer_is_billed_whole_or_not_at_all(unbilled_book):
    edit(unbilled_book, "Usage", {(2, "CurrReading"): 90.0})  # C000101's water reading went back
    runner.run_file("bill_run", str(unbilled_book))
    bills = read(unbilled_book, "Bills")
    assert "B202603C000101" not in set(bills["BillID"])  # not a property-only bill either
    assert len(bills) == 3


def test_the_audit_names_each_duplicate_once():
    from feedesk import auditing

    bills = pd.DataFrame({
        "BillID": ["B1", "B2", "B3", "B4", "B5", "B6"], "CustomerID": ["C1", "C1", "C1", "C1", "C1", "C2"],
        "Period": ["2026-03"] * 6, "FeeItem": ["water", "water", "electricity", "electricity", "property", None],
        "Status": ["open", "open", "open", "cancelled", "open", "open"]})
    found = auditing.duplicate_bills(bills, "2026-03", "zh")
    assert found["BillID"].tolist() == ["B1", "B2"]  # the cancelled second electricity bill is no duplicate


@hypothesis.settings(max_examples=60, deadline=None)
@hypothesis.given(st.lists(st.tuples(st.sampled_from(["C1", "C2", None]), st.sampled_from(["W", "E"]),
                                     st.sampled_from(["2025-11", "2025-12", "2026-01", "2026-02", "2026-03", None]),
                                     st.one_of(st.none(), st.floats(-5, 50, allow_nan=False))),
                          max_size=40))
def test_year_to_date_is_the_same_customer_and_tariff_earlier_in_the_year(rows):
    """Against the plain reading: sum the positive quantities of the same customer and tariff in the
    earlier periods of the same year (blank keys: no year to date)."""
    usage = pd.DataFrame(rows, columns=["CustomerID", "TariffCode", "Period", "Quantity"])
    customers = pd.DataFrame({"CustomerID": ["C1", "C2"], "Persons": pd.array([3, None], dtype="Int64")})
    got = billing.with_household_and_year(usage, customers)["YearToDate"].tolist()
    for row, value in zip(rows, got):
        customer, tariff, period, _ = row
        if customer is None or period is None:
            assert value != value  # NaN
            continue
        expected = sum(max(q or 0.0, 0.0) for c, t, p, q in rows
                       if c == customer and t == tariff and p is not None and p[:4] == period[:4] and p < period)
        assert value == pytest.approx(expected)
