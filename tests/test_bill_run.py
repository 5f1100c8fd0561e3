"""The bill run and the bill audit on the small desk, with the numbers an officer checks by hand."""

from __future__ import annotations

import pandas as pd

from macros import runner
from tests.test_validate import edit
from workbook import filehost


def read(path, *tables):
    with filehost.FileBook(str(path), writable=False) as book:
        frames = [book.read(t) for t in tables]
        assert not [p for p in book.read_problems if p.blocking]
    return frames if len(frames) > 1 else frames[0]


def test_one_bill_per_customer_with_lines_that_add_up(desk_book):
    report = runner.run_file("bill_run", str(desk_book))
    assert report.status == "ok", report.problems
    bills, lines = read(desk_book, "Bills", "BillLines")
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


def test_running_the_period_twice_replaces_never_duplicates(desk_book):
    runner.run_file("bill_run", str(desk_book))
    once = read(desk_book, "Bills", "BillLines")
    runner.run_file("bill_run", str(desk_book))
    twice = read(desk_book, "Bills", "BillLines")
    for a, b in zip(once, twice):
        pd.testing.assert_frame_equal(a, b)
    assert twice[0]["BillID"].is_unique


def test_a_customer_without_a_valid_tariff_gets_a_problem_not_a_zero_bill(desk_book):
    edit(desk_book, "Usage", {(3, "TariffCode"): "W-XXX"})
    report = runner.run_file("bill_run", str(desk_book))
    bills = read(desk_book, "Bills")
    assert "B202603C000102" not in set(bills["BillID"])
    problem = next(p for p in report.problems if p.row == 3 and p.sheet == "抄表用量")
    assert problem.blocking


def test_the_audit_finds_what_an_officer_must_look_at(desk_book):
    runner.run_file("bill_run", str(desk_book))
    edit(desk_book, "Usage", {(4, "CurrReading"): 50.0})  # C000103: 55 -> 50 without a meter change
    edit(desk_book, "Bills", {(5, "Amount"): 70.00})  # a bill changed by hand: 66.24 -> 70.00
    report = runner.run_file("bill_audit", str(desk_book))
    assert report.status == "ok", report.problems
    audit = read(desk_book, "BillAudit")
    reasons = dict(zip(audit["Reason"], audit["CustomerID"]))
    assert reasons["meter_rollback"] == "C000103"
    mismatch = audit[audit["Reason"] == "amount_mismatch"].iloc[0]
    assert (mismatch["CustomerID"], mismatch["Expected"], mismatch["Actual"]) == ("C000105", 6624, 7000)
    assert "¥66.24" in mismatch["Explanation"] and "¥70.00" in mismatch["Explanation"]
