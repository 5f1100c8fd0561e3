"""Tables longer than a sheet continue on "账单 (2)", "账单 (3)" ...; jobs see one table.

A real sheet holds 1,048,576 rows; here the limit is lowered to 12 rows (11 data rows under
the header) so the same code paths run on a 25-row table.
"""

from __future__ import annotations

import zipfile

import openpyxl
import pandas as pd
import pytest
import python_calamine

from macros import runner
from tests import office
from workbook import filehost, layout, package, sheetxml


def bills(count: int) -> pd.DataFrame:
    return pd.DataFrame({
        "BillID": [f"B2026030{n:03d}" for n in range(1, count + 1)],
        "CustomerID": ["C000101"] * count,
        "Period": ["2026-03"] * count,
        "FeeItem": ["water"] * count,
        "BillDate": pd.to_datetime(["2026-04-01"] * count),
        "DueDate": pd.to_datetime(["2026-04-16"] * count),
        "Amount": pd.array([1000 + n for n in range(count)], dtype="Int64"),  # fen: 10.00, 10.01 ...
        "PaidAmount": pd.array([0] * count, dtype="Int64"),
        "Status": ["open"] * count,
    })


@pytest.fixture
def short_sheets(monkeypatch):
    monkeypatch.setattr(sheetxml, "EXCEL_ROWS", 12)


def write(path, frame):
    with filehost.FileBook(str(path)) as book:
        book.write("Bills", frame)
        book.commit()


def sheet_names(path) -> list[str]:
    return python_calamine.CalamineWorkbook.from_path(str(path)).sheet_names


def test_25_bills_fill_three_sheets_and_read_back_as_one_table(desk_book, short_sheets):
    write(desk_book, bills(25))
    names = sheet_names(desk_book)
    at = names.index("账单")
    assert names[at:at + 3] == ["账单", "账单 (2)", "账单 (3)"]  # next to each other, in order
    with zipfile.ZipFile(desk_book) as archive:
        index = package.read_index(archive)
    assert [index.tables[t].ref for t in ("bills", "bills_2", "bills_3")] == ["A1:K12", "A1:K12", "A1:K4"]
    with filehost.FileBook(str(desk_book), writable=False) as book:
        read = book.read("Bills")
        assert book.read_problems == []
    assert len(read) == 25
    assert read["BillID"].tolist() == bills(25)["BillID"].tolist()
    assert int(read["Amount"].sum()) == sum(1000 + n for n in range(25))  # 255.00 yuan, to the fen
    # rows 2-12 on the first sheet; the second sheet's rows numbered from 10,000,000
    assert read.index[:2].tolist() == [2, 3]
    assert read.index[11:13].tolist() == [layout.CONTINUED_ROW_STRIDE + 2, layout.CONTINUED_ROW_STRIDE + 3]


def test_a_continuation_sheet_is_a_copy_without_what_must_stay_unique(desk_book, short_sheets):
    write(desk_book, bills(25))
    book = openpyxl.load_workbook(desk_book, keep_vba=True)
    first, second = book["账单"], book["账单 (2)"]
    assert [c.value for c in second[1]] == [c.value for c in first[1]]  # the same header
    assert second["H2"].number_format == first["H2"].number_format  # money formatted alike
    assert second["A2"].value == "B2026030012"
    assert second.freeze_panes == first.freeze_panes
    assert not second.sheet_view.tabSelected
    assert second.sheet_properties.codeName != first.sheet_properties.codeName or first.sheet_properties.codeName is None


def test_libreoffice_opens_the_continued_table(desk_book, short_sheets, tmp_path):
    write(desk_book, bills(25))
    converted = office.convert(desk_book, "xlsx", tmp_path / "lo")
    reopened = openpyxl.load_workbook(converted, read_only=True)
    assert reopened["账单 (3)"]["A4"].value == "B2026030025"
    assert reopened["账单 (2)"]["H2"].value == pytest.approx(10.11)


def test_a_shorter_table_leaves_the_continuations_empty(desk_book, short_sheets):
    write(desk_book, bills(25))
    write(desk_book, bills(5))
    with filehost.FileBook(str(desk_book), writable=False) as book:
        read = book.read("Bills")
    assert read["BillID"].tolist() == bills(5)["BillID"].tolist()
    assert "账单 (3)" in sheet_names(desk_book)  # kept, empty: nothing an officer linked to disappears
    write(desk_book, bills(30))  # grows again into the same sheets, no fourth copy needed yet
    assert sheet_names(desk_book).count("账单 (3)") == 1


def test_a_problem_on_a_continuation_names_its_own_sheet_and_row(desk_book, short_sheets):
    write(desk_book, bills(25))
    book = openpyxl.load_workbook(desk_book, keep_vba=True)
    book["账单 (2)"]["H5"] = "十元"  # text in an amount
    book.save(desk_book)
    with filehost.FileBook(str(desk_book), writable=False) as host:
        host.read("Bills")
        found = [p for p in host.read_problems if p.value == "十元"]
    assert [(p.sheet, p.row) for p in found] == [("账单 (2)", 5)]


def test_a_table_written_earlier_in_the_run_reads_as_it_will_after_the_save(desk_book, short_sheets):
    frame = bills(25)
    with filehost.FileBook(str(desk_book)) as book:
        book.write("Bills", frame)
        pending = book.read("Bills")
        book.commit()
    with filehost.FileBook(str(desk_book), writable=False) as book:
        saved = book.read("Bills")
    pd.testing.assert_frame_equal(pending, saved)


def test_a_job_problem_on_a_continuation_names_its_own_sheet_and_row(desk_book, short_sheets):
    frame = bills(25)
    frame.loc[15, "CustomerID"] = "C999999"  # bill 16: on the second sheet, its row 6
    write(desk_book, frame)
    report = runner.run_file("validate", str(desk_book))
    found = [p for p in report.problems if p.value == "C999999"]
    assert [(p.sheet, p.row) for p in found] == [("账单 (2)", 6)]
    with filehost.FileBook(str(desk_book), writable=False) as book:
        listed = book.read("Problems")
    assert listed.loc[listed["Value"] == "C999999", ["Sheet", "Row"]].values.tolist() == [["账单 (2)", 6]]
