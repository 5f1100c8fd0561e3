"""The Excel host, against a recording stand-in of xlwings' object model: the same job gives the
same tables as through the file host; progress in the status bar, screen updating off while
writing, a summary in a message box, never a traceback."""

from __future__ import annotations

import pathlib
import re
import shutil

import pandas as pd
import pytest

import macros
from macros import excelhost, runner
from tests import fake_xlwings
from tests.test_validate import edit
from workbook import filehost, layout, registry, tables

ROOT = pathlib.Path(__file__).resolve().parent.parent


def typed(fake: fake_xlwings.Book, table: str) -> pd.DataFrame:
    values = fake.table_values(table)
    first_row = layout.table(table).anchor[0] + 2  # tables on the Control sheet sit lower
    return tables.type_table(layout.table(table), values[0], values[1:], first_row, "zh", table).frame


@pytest.fixture
def bad_desk(desk_book):
    edit(desk_book, "Bills", {(3, "Amount"): "七十五元", (4, "BillDate"): "3/1/2026"})
    edit(desk_book, "Customers", {(4, "CustomerID"): "C000101"})
    return desk_book


def test_the_same_job_gives_the_same_tables_through_both_hosts(bad_desk, tmp_path):
    twin = tmp_path / "twin.xlsm"
    shutil.copy(bad_desk, twin)
    file_report = runner.run_file("validate", str(twin))
    fake = fake_xlwings.Book.from_file(bad_desk)
    excel_report = excelhost.run_in_excel(fake, "validate")

    assert [p.code for p in excel_report.problems] == [p.code for p in file_report.problems]
    assert excel_report.errors == 5  # duplicate ID, text amount, ambiguous date, C000103 gone twice
    with filehost.FileBook(str(twin), writable=False) as book:
        file_problems = book.read("Problems")
        file_audit = book.read("Audit")
    pd.testing.assert_frame_equal(typed(fake, "Problems"), file_problems)
    same = ["Job", "InputDigest", "Status", "Rows", "Problems"]
    pd.testing.assert_frame_equal(typed(fake, "Audit")[same], file_audit[same])


def test_progress_in_the_status_bar_and_no_screen_updates_while_writing(bad_desk):
    fake = fake_xlwings.Book.from_file(bad_desk)
    excelhost.run_in_excel(fake, "validate")
    app = fake.app
    texts = [s for s in app.status_history if isinstance(s, str)]
    assert texts[0] == "FeeDesk: 检查数据 0/1"
    assert "FeeDesk: 客户 1/14" in texts  # one step per input table
    assert app.status_history[-1] is False  # the status bar is handed back to Excel
    assert {name for name, _ in app.writes} == {"Problems", "Audit"}
    assert all(updating is False for _, updating in app.writes)
    assert app.screen_updating is True and app.calculation == "automatic"


def test_a_short_summary_in_a_message_box(bad_desk):
    fake = fake_xlwings.Book.from_file(bad_desk)
    excelhost.run_in_excel(fake, "validate")
    (alert,) = fake.app.alerts
    assert alert["title"] == "FeeDesk" and alert["mode"] == "info"
    assert alert["prompt"].splitlines()[0].startswith("检查数据：完成，但有错误需要改正")
    assert "错误 5 个，提醒 0 个。" in alert["prompt"] and "问题清单" in alert["prompt"]


def test_english_workbook_english_message(desk_book_en):
    fake = fake_xlwings.Book.from_file(desk_book_en)
    report = excelhost.run_in_excel(fake, "validate")
    assert report.status == "ok"
    assert fake.app.alerts[0]["prompt"].startswith("Validate: done (")


def test_a_programming_error_is_a_message_not_a_traceback(desk_book, monkeypatch):
    from macros.jobs import validate

    def broken(book):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(validate, "run", broken)
    fake = fake_xlwings.Book.from_file(desk_book)
    report = excelhost.run_in_excel(fake, "validate")
    assert report.status == "failed"
    (alert,) = fake.app.alerts
    assert alert["mode"] == "critical"
    assert "程序内部错误（ZeroDivisionError: division by zero）" in alert["prompt"]
    assert "Traceback" not in alert["prompt"]
    assert typed(fake, "Problems")["Code"].tolist() == ["internal_error"]


def test_text_that_looks_like_a_formula_is_written_as_text(desk_book):
    fake = fake_xlwings.Book.from_file(desk_book)
    host = excelhost.ExcelBook(fake)
    host.write("Aging", pd.DataFrame({"CustomerID": ["=1+1", "C000101"], "Officer": ["@SUM(A1)", "-张伟"],
                                      "OpenAmount": pd.array([7590, None], dtype="Int64")}))
    host.commit()
    sheet = next(s for s in fake.sheets if s.name == "账龄")
    keys = layout.table("Aging").keys
    officer, open_amount = keys.index("Officer") + 1, keys.index("OpenAmount") + 1
    assert sheet.cells[(2, 1)] == "=1+1" and (2, 1) in sheet.as_text
    assert sheet.cells[(3, officer)] == "-张伟" and (3, officer) in sheet.as_text
    assert sheet.cells[(2, open_amount)] == 75.9 and (3, open_amount) not in sheet.cells


def test_an_empty_result_keeps_every_column(desk_book):
    fake = fake_xlwings.Book.from_file(desk_book)
    host = excelhost.ExcelBook(fake)
    host.write("Problems", runner.problems_frame([]))
    host.commit()
    values = fake.table_values("Problems")
    assert values[0] == [c.header("zh") for c in layout.table("Problems").columns]
    assert values[1:] == [[None] * len(layout.table("Problems").columns)]


def test_every_job_has_its_entry_point(desk_book, monkeypatch):
    import xlwings

    fake = fake_xlwings.Book.from_file(desk_book)
    monkeypatch.setattr(xlwings.Book, "caller", classmethod(lambda cls: fake))
    for job in registry.JOBS:
        assert callable(getattr(macros, job.key))
    macros.validate()  # what the button's RunPython line calls
    assert fake.app.alerts[0]["prompt"].startswith("检查数据：完成")


def test_nothing_imports_the_non_open_source_parts_of_xlwings():
    pattern = re.compile(r"xlwings\.(pro|server)|from\s+xlwings\s+import\s+.*\b(pro|server)\b")
    offenders = [str(path.relative_to(ROOT)) for folder in ("feedesk", "workbook", "macros", "xlfuncs")
                 for path in (ROOT / folder).rglob("*.py") if pattern.search(path.read_text(encoding="utf-8"))]
    assert offenders == []


@pytest.mark.parametrize("job", ["bill_run", "bill_audit", "tariff_impact", "reconcile", "aging", "dunning", "kpi",
                                 "month_close"])
def test_the_billing_jobs_give_the_same_tables_through_both_hosts(desk_book, tmp_path, job):
    twin = tmp_path / "twin.xlsm"
    shutil.copy(desk_book, twin)
    runner.run_file(job, str(twin))
    fake = fake_xlwings.Book.from_file(desk_book)
    report = excelhost.run_in_excel(fake, job)
    assert report.status == "ok", report.problems
    with filehost.FileBook(str(twin), writable=False) as book:
        for table in registry.job(job).writes:
            timing = ["Seconds"] if table == "CloseSummary" else []  # the close's own stopwatch differs
            pd.testing.assert_frame_equal(typed(fake, table).drop(columns=timing), book.read(table).drop(columns=timing),
                                          obj=table)
