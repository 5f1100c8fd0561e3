"""The aging and dunning jobs on a real workbook: totals that add up, a past date reproduced after
later payments arrive, bad input reported by row."""

from __future__ import annotations

import datetime
import pathlib

import openpyxl
import pandas as pd
import pytest

from feedesk import sample
from macros import runner
from tests.test_validate import edit
from workbook import build, filehost, layout

PAST = datetime.date(2026, 4, 20)


@pytest.fixture(scope="module")
def sample_data():
    return sample.make(customers=300, months=5, seed=5)


@pytest.fixture
def book(tmp_path, sample_data) -> pathlib.Path:
    path = pathlib.Path(build.build(str(tmp_path / "FeeDesk.xlsm"), "zh", sample_data.tables, sample_data.settings))
    assert runner.run_file("reconcile", str(path)).status == "ok"
    return path


def read(path, *keys):
    with filehost.FileBook(str(path), writable=False) as handle:
        return [handle.read(key) for key in keys]


def set_as_of(path, day: datetime.date) -> None:
    (settings,) = read(path, "Settings")
    row = int(settings.index[settings["Key"] == "AsOfDate"][0])
    workbook = openpyxl.load_workbook(path, keep_vba=True)
    sheet = workbook[layout.CONTROL_SHEET["zh"]]
    column = layout.CONTROL_SETTINGS_ANCHOR[1] + 1 + layout.SETTINGS_TABLE.keys.index("Value")
    sheet.cell(row=row, column=column).value = day
    workbook.save(path)


def test_bucket_totals_equal_the_open_balance_per_customer_and_in_total(book):
    report = runner.run_file("aging", str(book))
    assert report.status == "ok", report.problems
    items, summary, balances = read(book, "Aging", "AgingSummary", "AgingCustomers")
    total = summary[summary["Scope"] == "total"]
    assert int(total["Amount"].sum()) == int(items["OpenAmount"].sum()) == int(balances["Balance"].sum())
    per_customer = items.groupby("CustomerID")["OpenAmount"].sum()
    assert per_customer.to_dict() == balances.set_index("CustomerID")["Balance"].astype(int).to_dict()
    for scope in ("region", "officer", "customer_type"):
        assert int(summary.loc[summary["Scope"] == scope, "Amount"].sum()) == int(total["Amount"].sum())
    assert list(total["Bucket"])[:7] == ["未到期", "1-30天", "31-60天", "61-90天", "91-180天", "181-365天", "365天以上"]
    assert report.counts["from_allocations"] == 1
    assert int(items["LateFee"].sum()) == report.counts["late_fee_fen"] > 0


def test_an_aging_for_a_past_date_is_the_same_after_later_payments(book, sample_data):
    set_as_of(book, PAST)
    assert runner.run_file("aging", str(book)).status == "ok"
    then = read(book, "Aging", "AgingSummary", "AgingCustomers")
    # Later: customers pay bills that nobody had paid yet, after the past date.
    (allocations,) = read(book, "Allocations")
    bills = sample_data.tables["Bills"]
    unpaid = bills[~bills["BillID"].isin(allocations["BillID"].dropna()) & (bills["BillDate"] < pd.Timestamp(PAST))]
    later = unpaid.head(5)
    assert len(later) == 5
    with filehost.FileBook(str(book)) as handle:
        payments = handle.read("Payments")
        extra = pd.DataFrame({
            "PaymentID": [f"PX{i}" for i in range(5)], "Channel": "counter",
            "PaidDate": pd.Timestamp(PAST + datetime.timedelta(days=3)).as_unit("s"),
            "Amount": later["Amount"].to_numpy(), "CustomerID": later["CustomerID"].to_numpy(),
            "BillID": later["BillID"].to_numpy(),
        })
        handle.write("Payments", pd.concat([payments, extra], ignore_index=True))
        handle.commit()
    set_as_of(book, sample_data.settings["AsOfDate"])
    assert runner.run_file("reconcile", str(book)).status == "ok"
    set_as_of(book, PAST)
    assert runner.run_file("aging", str(book)).status == "ok"
    for before, after, key in zip(then, read(book, "Aging", "AgingSummary", "AgingCustomers"),
                                  ("Aging", "AgingSummary", "AgingCustomers")):
        pd.testing.assert_frame_equal(before, after, obj=key)


def test_bad_bills_are_reported_with_their_row(book):
    edit(book, "Bills", {(2, "DueDate"): datetime.datetime(2020, 1, 1)})
    report = runner.run_file("aging", str(book))
    problem = next(p for p in report.problems if p.code == "due_before_bill_date")
    assert (problem.sheet, problem.row) == ("账单", 2)
    assert problem.column == layout.table("Bills").column("DueDate").header("zh")


def test_a_missing_due_date_stops_the_job(book):
    edit(book, "Bills", {(3, "DueDate"): None})
    report = runner.run_file("aging", str(book))
    assert report.errors and any(p.code == "blank_required" and p.row == 3 for p in report.problems)


def test_dunning_proposes_from_the_policy_and_lists_the_exempt(book):
    report = runner.run_file("dunning", str(book))
    assert report.status == "ok", report.problems
    (proposals,) = read(book, "Dunning")
    proposed = proposals[proposals["Status"] == "proposed"]
    assert len(proposed) == report.counts["proposed"] > 0
    assert set(proposed["Level"]) == {1}  # nothing sent yet: everyone starts at the first level
    assert proposed["Channel"].isin(["sms", "letter", "email", "phone"]).all()
    skipped = proposals[proposals["Status"] == "skipped"]
    assert skipped["Reason"].str.contains("豁免|争议").all()
