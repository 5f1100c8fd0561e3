"""Bad input, as officers produce it: every problem reported at once, with sheet, row, column
and what to do; input sheets are never changed by a run."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest

from macros import cli, runner
from workbook import layout, package


def edit(path, table: str, changes: dict[tuple[int, str], object] = (), *, rename: dict[str, str] = (),
         delete_rows: int = 0) -> None:
    """Change cells of a table by (Excel row, column key), as an officer would in Excel."""
    spec = layout.table(table)
    workbook = openpyxl.load_workbook(path, keep_vba=True)
    sheet = workbook[spec.sheet_name("zh")]
    for (row, key), value in dict(changes).items():
        sheet.cell(row=row, column=spec.keys.index(key) + 1).value = value
    for key, header in dict(rename).items():
        at = spec.keys.index(key)
        sheet.cell(row=1, column=at + 1, value=header)
        sheet.tables[table].tableColumns[at].name = header
    if delete_rows:
        for row in range(2, 2 + delete_rows):
            for at in range(len(spec.columns)):
                sheet.cell(row=row, column=at + 1).value = None
    workbook.save(path)


def input_parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        index = package.read_index(archive)
        owned = {p for key in ("problems", "audit") for p in (index.tables[key].sheet_part, index.tables[key].part)}
        return {name: archive.read(name) for name in archive.namelist() if name not in owned}


def validate(path):
    before = input_parts(path)
    report = runner.run_file("validate", str(path))
    assert input_parts(path) == before, "a run changed an input sheet"
    return report


def only(report, code):
    found = [p for p in report.problems if p.code == code]
    assert found, f"no {code} in {[p.code for p in report.problems]}"
    return found


def test_clean_desk_has_no_problems(desk_book):
    report = validate(desk_book)
    assert report.status == "ok"
    assert report.problems == ()
    assert report.counts["rows"] == 5 + 3 + 5 + 5 + 3


def test_missing_sheet(desk_book):
    workbook = openpyxl.load_workbook(desk_book, keep_vba=True)
    del workbook[layout.table("Customers").sheet_name("zh")]
    workbook.save(desk_book)
    report = validate(desk_book)
    problem = only(report, "missing_table")[0]
    assert problem.sheet == "客户"
    assert "找不到表格“Customers”" in problem.message and "复制回来" in problem.message


def test_missing_column(desk_book):
    edit(desk_book, "Customers", rename={"Name": "名字"})
    problem = only(validate(desk_book), "missing_column")[0]
    assert (problem.sheet, problem.row, problem.column) == ("客户", 1, "客户名称")
    assert "请在表头加上这一列" in problem.message


def test_text_in_an_amount(desk_book):
    edit(desk_book, "Bills", {(3, "Amount"): "七十五元", (4, "Amount"): "¥1,234.56"})
    report = validate(desk_book)
    problem = only(report, "not_a_number")
    assert [(p.sheet, p.row, p.column, p.value) for p in problem] == [("账单", 3, "应收金额", "七十五元")]
    assert "请填写数字" in problem[0].message
    from workbook import filehost

    with filehost.FileBook(str(desk_book), writable=False) as book:
        assert book.read("Bills").loc[4, "Amount"] == 123456  # ¥1,234.56 is read exactly


@pytest.mark.parametrize("text", ["2026/3/1", "2026年3月1日", "20260301", "2026-3-1", "２０２６年３月１日"])
def test_dates_written_as_text_are_read(desk_book, text):
    edit(desk_book, "Bills", {(2, "BillDate"): text})
    assert validate(desk_book).problems == ()
    from workbook import filehost

    with filehost.FileBook(str(desk_book), writable=False) as book:
        assert book.read("Bills").loc[2, "BillDate"].date().isoformat() == "2026-03-01"


def test_ambiguous_and_impossible_dates(desk_book):
    edit(desk_book, "Bills", {(2, "BillDate"): "3/1/2026", (3, "BillDate"): "2026-02-30", (4, "DueDate"): "25/4/2026"})
    report = validate(desk_book)
    assert [(p.row, p.column) for p in only(report, "ambiguous_date")] == [(2, "账单日期")]
    assert [(p.row, p.column) for p in only(report, "bad_date")] == [(3, "账单日期")]
    assert "年-月-日" in only(report, "ambiguous_date")[0].message
    assert len(report.problems) == 2  # 25/4/2026 can only be 25 April


def test_duplicate_customer_ids(desk_book):
    edit(desk_book, "Customers", {(4, "CustomerID"): "C000101"})
    problem = only(validate(desk_book), "duplicate_id")
    assert [(p.row, p.value) for p in problem] == [(4, "C000101")]
    assert "第 2 行已有" in problem[0].message


def test_blank_rows_inside_a_table_are_skipped_with_a_warning(desk_book):
    workbook = openpyxl.load_workbook(desk_book, keep_vba=True)
    sheet = workbook["客户"]
    sheet.insert_rows(3, 2)
    sheet.tables["Customers"].ref = "A1:M8"
    workbook.save(desk_book)
    report = validate(desk_book)
    problem = only(report, "blank_rows")[0]
    assert problem.severity == "warning" and problem.row == 3
    assert "2 个空行" in problem.message and "3, 4" in problem.message
    assert report.status == "ok"  # warnings do not block


def test_empty_table(desk_book):
    edit(desk_book, "Tariffs", delete_rows=3)
    report = validate(desk_book)
    assert only(report, "empty_table")[0].sheet == "收费标准"
    # and the usage rows that name tariffs now point at nothing
    assert {p.value for p in only(report, "unknown_reference")} == {"W-RES", "P-RES"}


def test_value_outside_its_list_and_blank_required(desk_book):
    edit(desk_book, "Customers", {(3, "CustomerType"): "个人", (4, "Name"): None})
    report = validate(desk_book)
    outside = only(report, "not_in_list")[0]
    assert (outside.row, outside.column, outside.value) == (3, "客户类别", "个人")
    assert "居民、商业、机关事业" in outside.message
    blank = only(report, "blank_required")[0]
    assert (blank.row, blank.column) == (4, "客户名称")


def test_unknown_customer_in_bills(desk_book):
    edit(desk_book, "Bills", {(6, "CustomerID"): "C009999"})
    problem = only(validate(desk_book), "unknown_reference")[0]
    assert (problem.sheet, problem.row, problem.column, problem.value) == ("账单", 6, "客户编号", "C009999")
    assert "在“客户”中找不到" in problem.message


def test_problems_land_in_the_problems_sheet(desk_book):
    edit(desk_book, "Bills", {(3, "Amount"): "abc"})
    validate(desk_book)
    sheet = openpyxl.load_workbook(desk_book)["问题清单"]
    assert [c.value for c in sheet[2]][:6] == ["错误", "账单", 3, "应收金额", "abc", "not_a_number"]


def test_cli_exit_codes_and_readable_list(desk_book, capsys, tmp_path):
    assert cli.main(["run", "validate", str(desk_book)]) == 0
    edit(desk_book, "Bills", {(3, "Amount"): "abc"})
    assert cli.main(["run", "validate", str(desk_book)]) == 1
    out = capsys.readouterr().out
    assert "账单 row 3 [应收金额]" in out and "“abc”不是数字" in out
    assert cli.main(["run", "validate", str(tmp_path / "none.xlsm")]) == 2


def test_english_workbook_speaks_english(desk_book_en):
    workbook = openpyxl.load_workbook(desk_book_en, keep_vba=True)
    sheet = workbook["Bills"]
    assert sheet["H1"].value == "Amount"
    sheet["H3"] = "seventy"
    workbook.save(desk_book_en)
    problem = only(runner.run_file("validate", str(desk_book_en)), "not_a_number")[0]
    assert (problem.sheet, problem.row, problem.column) == ("Bills", 3, "Amount")
    assert problem.message.startswith("'seventy' is not a number")
