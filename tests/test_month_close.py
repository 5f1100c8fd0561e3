"""The month's close: the eight steps on one open workbook, saved once."""

from __future__ import annotations

import hashlib
import shutil

import pandas as pd
import pytest

from feedesk import sample
from macros import cli, runner
from macros.jobs import month_close
from workbook import build, filehost


def digest(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.fixture(scope="module")
def sample_book(tmp_path_factory):
    """300 customers over 4 months, as the demo makes them."""
    data = sample.make(customers=300, months=4, seed=11)
    path = tmp_path_factory.mktemp("close") / "FeeDesk.xlsm"
    build.build(str(path), "zh", data.tables, {**data.settings, "LettersFolder": str(path.parent / "letters")})
    return path


def copy(path, tmp_path, name="FeeDesk.xlsm"):
    target = tmp_path / name
    shutil.copy(path, target)
    return target


def read(path, *tables):
    with filehost.FileBook(str(path), writable=False) as book:
        return [book.read(t) for t in tables]


def test_the_close_gives_what_the_jobs_one_by_one_give(sample_book, tmp_path):
    closed, stepped = copy(sample_book, tmp_path, "closed.xlsm"), copy(sample_book, tmp_path, "stepped.xlsm")
    report = runner.run_file("month_close", str(closed))
    assert report.status == "ok", report.problems[:3]
    assert [s.job for s in report.steps] == list(month_close.STEPS)
    for key in month_close.STEPS:
        assert runner.run_file(key, str(stepped)).status == "ok", key
    tables = ("Bills", "BillAudit", "Reconciliation", "Allocations", "Exceptions", "Aging", "AgingCustomers",
              "Dunning", "KPI")
    for name, a, b in zip(tables, read(closed, *tables), read(stepped, *tables)):
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), obj=name)
    billed = next(s for s in report.steps if s.job == "bill_run").counts["amount_fen"]
    bills, = read(closed, "Bills")
    period = bills["Period"].max()
    assert int(bills.loc[bills["Period"] == period, "Amount"].sum()) == billed  # the summary's money is the bills'


def test_an_audit_row_per_step_and_the_summary_on_the_control_sheet(sample_book, tmp_path):
    path = copy(sample_book, tmp_path)
    report = runner.run_file("month_close", str(path))
    audit, summary = read(path, "Audit", "CloseSummary")
    assert audit["Job"].tolist()[-9:] == [*month_close.STEPS, "month_close"]
    assert audit["InputDigest"].tolist()[-9:] == [runner.file_digest(str(sample_book))] * 9  # the file as it was
    assert summary["Job"].tolist() == ["检查数据", "出账", "账单审核", "对账", "账龄分析", "催缴", "绩效指标", "生成函件"]
    assert summary["Status"].tolist() == ["ok"] * 8
    bill_run = summary.iloc[1]
    assert bill_run["Amount"] == report.steps[1].counts["amount_fen"]
    assert f"账单 {report.steps[1].counts['bills']:,}" in bill_run["Detail"]
    letters = summary.iloc[7]
    assert str(sample_book.parent / "letters") in letters["Detail"]  # where the letters went


def test_validation_errors_stop_the_close_before_the_bill_run(tmp_path):
    data = sample.make(customers=40, months=2, seed=3)
    bills = data.tables["Bills"].copy()
    bills.loc[bills.index[3], "BillID"] = bills.loc[bills.index[2], "BillID"]  # a duplicate bill ID
    path = tmp_path / "FeeDesk.xlsm"
    build.build(str(path), "zh", {**data.tables, "Bills": bills}, data.settings)
    before, = read(path, "Bills")
    report = runner.run_file("month_close", str(path))
    assert report.errors >= 1 and [s.job for s in report.steps] == ["validate"]
    after, summary, problems = read(path, "Bills", "CloseSummary", "Problems")
    pd.testing.assert_frame_equal(before, after)  # nothing billed
    assert summary["Status"].tolist() == ["problems"] + ["skipped"] * 7
    assert (problems["Job"] == "validate").all() and "duplicate" in " ".join(problems["Code"])


def test_a_step_that_fails_saves_nothing(sample_book, tmp_path, monkeypatch):
    path = copy(sample_book, tmp_path)
    before = digest(path)

    def broken(book):
        raise RuntimeError("disk on fire")

    from macros.jobs import aging

    monkeypatch.setattr(aging, "run", broken)
    report = runner.run_file("month_close", str(path))
    assert report.status == "failed"
    assert "disk on fire" in report.problems[0].message
    assert digest(path) == before  # the bills of the bill run before it are not saved either


def test_the_command_prints_each_step(sample_book, tmp_path, capsys):
    path = copy(sample_book, tmp_path)
    assert cli.main(["run", "month-close", str(path)]) == 0
    out = capsys.readouterr().out
    for key in month_close.STEPS:
        assert f"  {key}: ok" in out
