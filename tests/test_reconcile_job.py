"""The reconcile job on a real workbook: its five tables written in the workbook's language, the
officer's decisions typed into the sheet kept by the next run, bad input stopping it before it
writes anything."""

from __future__ import annotations

import pathlib

import openpyxl
import pandas as pd
import pytest

from feedesk import sample
from macros import runner
from tests.test_validate import edit
from workbook import build, filehost, layout, registry

OUTPUTS = ("Reconciliation", "Allocations", "Exceptions", "Settlements", "LedgerCheck")


@pytest.fixture(scope="module")
def sample_data():
    return sample.make(customers=400, months=4, seed=3)


@pytest.fixture
def sample_book(tmp_path, sample_data) -> pathlib.Path:
    return pathlib.Path(build.build(str(tmp_path / "FeeDesk.xlsm"), "zh", sample_data.tables, sample_data.settings))


def read(path, *keys):
    with filehost.FileBook(str(path), writable=False) as book:
        return [book.read(key) for key in keys]


def test_reconcile_writes_its_tables_and_the_button_exists(sample_book, sample_data):
    report = runner.run_file("reconcile", str(sample_book))
    assert report.status == "ok", report.problems
    recon, allocations, exceptions, settlements, ledger = read(sample_book, *OUTPUTS)
    payments = sample_data.tables["Payments"]
    assert set(recon["PaymentID"]) <= set(payments["PaymentID"]) | set(sample_data.tables["BankStatement"]["TxnID"])
    assert report.counts["received_fen"] == int(payments["Amount"].sum()) + int(
        allocations.loc[allocations["Source"] == "bank", "Amount"].sum()) + int(
        exceptions.loc[exceptions["Kind"].isin(["unmatched_bank", "stale"]) & (exceptions["Source"] == "bank"),
                       "Amount"].sum())
    assert report.counts["allocated_fen"] == int(allocations.loc[allocations["Kind"] == "payment", "Amount"].sum())
    assert set(settlements["Status"]) <= {"settled", "in_transit"}
    assert list(ledger["Period"]) == list(sample_data.tables["GL"]["Period"])
    assert int(ledger["Unexplained"].abs().sum()) == 0
    assert "reconcile" in [job.key for job in registry.JOBS]
    workbook = openpyxl.load_workbook(sample_book, read_only=False, keep_vba=True)
    sheet = workbook[layout.table("Reconciliation").sheet_name("zh")]
    assert [c.value for c in sheet[1]][:4] == ["匹配编号", "来源", "收款编号", "收款日期"]
    assert sheet["J2"].value in {r.zh for r in layout.MATCH_RULES}  # rules shown as their zh labels


def test_english_workbook_has_english_headers_and_labels(tmp_path, sample_data):
    data = sample.make(customers=60, months=3, seed=3, lang="en")
    path = build.build(str(tmp_path / "en.xlsm"), "en", data.tables, data.settings)
    assert runner.run_file("reconcile", path).status == "ok"
    workbook = openpyxl.load_workbook(path, keep_vba=True)
    sheet = workbook["Reconciliation"]
    assert [c.value for c in sheet[1]][:4] == ["Match ID", "Source", "Payment ID", "Paid on"]
    assert sheet["J2"].value in {r.en for r in layout.MATCH_RULES}
    assert workbook["Exceptions"]["B2"].value in {k.en for k in layout.EXCEPTION_KINDS}


def test_decisions_typed_in_the_sheet_are_kept_and_a_third_run_changes_nothing(sample_book):
    runner.run_file("reconcile", str(sample_book))
    (recon,) = read(sample_book, "Reconciliation")
    suggested = recon.index[recon["Status"] == "suggested"].tolist()
    assert len(suggested) >= 2, "the sample should leave something to decide"
    confirm_row, reject_row = suggested[0], suggested[-1]
    decision = layout.table("Reconciliation").column("Decision")
    edit(sample_book, "Reconciliation", {(confirm_row, "Decision"): "确认", (reject_row, "Decision"): "否决"})
    confirmed = recon.loc[confirm_row]
    rejected = recon.loc[reject_row]
    assert runner.run_file("reconcile", str(sample_book)).status == "ok"
    second = read(sample_book, *OUTPUTS)
    recon2, allocations2 = second[0], second[1]
    row = recon2[(recon2["PaymentID"] == confirmed["PaymentID"]) & (recon2["Status"] == "confirmed")]
    assert len(row) == 1 and row.iloc[0]["Decision"] == "confirm" and decision.key == "Decision"
    moved = allocations2[(allocations2["PaymentID"] == confirmed["PaymentID"]) & (allocations2["Kind"] == "payment")]
    assert int(moved["Amount"].sum()) > 0
    gone = recon2[(recon2["PaymentID"] == rejected["PaymentID"])]
    assert list(gone["Status"]) == ["rejected"]
    assert runner.run_file("reconcile", str(sample_book)).status == "ok"
    for before, after, key in zip(second, read(sample_book, *OUTPUTS), OUTPUTS):
        pd.testing.assert_frame_equal(before, after, obj=key)


@pytest.mark.parametrize(("changes", "code", "column"), [
    ({(2, "PaidDate"): None}, "blank_required", "PaidDate"),
    ({(3, "PaymentID"): "P-DUP", (4, "PaymentID"): "P-DUP"}, "duplicate_id", "PaymentID"),
    ({(2, "Amount"): "七十五元"}, "not_a_number", "Amount"),
])
def test_bad_payments_stop_the_job_before_it_writes(sample_book, changes, code, column):
    edit(sample_book, "Payments", changes)
    before = read(sample_book, *OUTPUTS)
    report = runner.run_file("reconcile", str(sample_book))
    assert report.errors >= 1
    problem = next(p for p in report.problems if p.code == code)
    assert problem.sheet == "收款记录"
    assert problem.column == layout.table("Payments").column(column).header("zh")
    assert problem.row in {row for row, _ in changes}
    for was, now, key in zip(before, read(sample_book, *OUTPUTS), OUTPUTS):
        pd.testing.assert_frame_equal(was, now, obj=key)  # nothing half-written


def test_an_unknown_pass_name_is_a_clear_setting_problem(sample_book):
    with filehost.FileBook(str(sample_book)) as book:
        settings = book.read("Settings")
    row = int(settings.index[settings["Key"] == "MatchPasses"][0])
    edit_settings = {(row, "Value"): "reference,by_magic"}
    workbook = openpyxl.load_workbook(sample_book, keep_vba=True)
    sheet = workbook[layout.CONTROL_SHEET["zh"]]
    anchor_row, anchor_col = layout.CONTROL_SETTINGS_ANCHOR
    for (excel_row, _), value in edit_settings.items():
        sheet.cell(row=excel_row, column=anchor_col + 1 + layout.SETTINGS_TABLE.keys.index("Value")).value = value
    workbook.save(sample_book)
    report = runner.run_file("reconcile", str(sample_book))
    problem = next(p for p in report.problems if p.code == "bad_setting")
    assert "by_magic" in problem.message and "customer_amount" in problem.message
    assert anchor_row >= 0
