"""The file host: typed reads, writes that keep everything else, atomic saves, refusals."""

from __future__ import annotations

import hashlib
import os
import stat
import zipfile

import openpyxl
import pandas as pd
import pytest

from macros import runner
from tests.conftest import small_desk
from workbook import filehost, layout


def parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def digest(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def table_parts(path, key: str) -> set[str]:
    with zipfile.ZipFile(path) as archive:
        from workbook import package

        part = package.read_index(archive).tables[key.lower()]
    return {part.sheet_part, part.part}


def test_reads_tables_typed_with_excel_row_numbers(desk_book):
    with filehost.FileBook(str(desk_book), writable=False) as book:
        bills = book.read("Bills")
        customers = book.read("Customers")
        assert book.read_problems == []
    assert list(bills.index) == [2, 3, 4, 5, 6]  # Excel rows under the header
    assert bills.loc[2, "BillID"] == "B2026030001"
    assert bills["Amount"].tolist() == [7590, 3450, 5175, 6624, 19690]  # fen, exact
    assert bills["Amount"].sum() == 42529
    assert bills.loc[2, "DueDate"] == pd.Timestamp("2026-04-16")
    assert customers.loc[5, "CustomerType"] == "commercial"  # code, though the sheet shows 商业
    assert pd.isna(customers.loc[5, "Persons"])


def test_settings_come_from_the_control_sheet(desk_book):
    with filehost.FileBook(str(desk_book), writable=False) as book:
        settings = book.settings()
    assert settings.as_of.isoformat() == "2026-04-10"
    assert settings.period == "2026-03"
    assert settings.company_name == "青禾物业服务有限公司"
    assert settings.match_tolerance == 5
    assert settings.aging_bounds == (0, 30, 60, 90, 180, 365)


def test_a_job_changes_only_its_own_parts(desk_book):
    before = parts(desk_book)
    report = runner.run_file("validate", str(desk_book))
    assert report.status == "ok", report.problems
    after = parts(desk_book)
    owned = table_parts(desk_book, "Problems") | table_parts(desk_book, "Audit")
    assert set(before) == set(after)
    changed = {name for name in before if before[name] != after[name]}
    assert changed <= owned
    for name in ("xl/vbaProject.bin", "xl/workbook.xml", "xl/styles.xml", "[Content_Types].xml"):
        assert before[name] == after[name]
    assert os.path.exists(filehost.backup_path(str(desk_book)))
    assert parts(filehost.backup_path(str(desk_book))) == before


def test_written_table_reads_back_equal_and_keeps_its_formats(desk_book):
    frame = pd.DataFrame({
        "CustomerID": ["C000101", "C000103"], "BillID": ["B2026030001", "B2026030003"],
        "DueDate": pd.to_datetime(["2026-04-16", "2026-04-16"]), "DaysOverdue": pd.array([0, 0], dtype="Int64"),
        "Bucket": ["未到期", "未到期"], "OpenAmount": pd.array([7590, 5175], dtype="Int64"),
        "Region": ["东区", "西区"], "Officer": [None, "=HYPERLINK(\"http://x\")"],
    })
    with filehost.FileBook(str(desk_book)) as book:
        book.write("Aging", frame)
        book.commit()
    with filehost.FileBook(str(desk_book), writable=False) as book:
        back = book.read("Aging")
    assert back["OpenAmount"].tolist() == [7590, 5175]
    assert back["Officer"].tolist()[1] == '=HYPERLINK("http://x")'  # text, never a formula
    workbook = openpyxl.load_workbook(desk_book)
    sheet = workbook[layout.table("Aging").sheet_name("zh")]
    keys = layout.table("Aging").keys
    letter = {key: openpyxl.utils.get_column_letter(keys.index(key) + 1) for key in keys}
    assert sheet.tables["Aging"].ref == f"A1:{letter[keys[-1]]}3"
    money = sheet[f"{letter['OpenAmount']}2"]
    assert money.value == 75.9 and money.number_format == layout.NUMBER_FORMATS[layout.Kind.MONEY]
    assert sheet[f"{letter['DueDate']}2"].number_format == "yyyy-mm-dd"
    assert sheet[f"{letter['Officer']}3"].data_type == "s"


def test_writing_fewer_rows_shrinks_the_table(desk_book):
    with filehost.FileBook(str(desk_book)) as book:
        book.write("Problems", runner.problems_frame([]))
        book.commit()
    sheet = openpyxl.load_workbook(desk_book)[layout.table("Problems").sheet_name("zh")]
    assert sheet.tables["Problems"].ref == "A1:H2"  # a table keeps one blank row
    assert sheet["A2"].value is None


def test_jobs_never_write_input_tables(desk_book):
    with filehost.FileBook(str(desk_book)) as book, pytest.raises(ValueError):
        book.write("Customers", pd.DataFrame())


def test_second_run_on_a_held_file_is_refused(desk_book):
    first = filehost.FileBook(str(desk_book))
    try:
        report = runner.run_file("validate", str(desk_book))
        assert report.status == "failed"
        assert report.problems[0].code == "file_locked"
        assert "另一个作业" in report.problems[0].message
    finally:
        first.close()
    assert runner.run_file("validate", str(desk_book)).status == "ok"


@pytest.mark.parametrize("owner", ["~${name}", ".~lock.{name}#"])
def test_file_open_in_excel_or_libreoffice_is_refused_unchanged(desk_book, owner):
    (desk_book.parent / owner.format(name=desk_book.name)).write_text("officer")
    before = digest(desk_book)
    report = runner.run_file("validate", str(desk_book))
    assert report.status == "failed" and report.problems[0].code == "file_locked"
    assert "请关闭" in report.problems[0].message
    assert digest(desk_book) == before


def test_read_only_file_is_refused_unchanged(desk_book):
    os.chmod(desk_book, stat.S_IRUSR | stat.S_IRGRP)
    before = digest(desk_book)
    report = runner.run_file("validate", str(desk_book))
    assert report.status == "failed" and report.problems[0].code == "read_only"
    assert "只读" in report.problems[0].message
    assert digest(desk_book) == before


def test_not_a_workbook_is_refused_unchanged(tmp_path):
    fake = tmp_path / "FeeDesk.xlsm"
    fake.write_text("客户编号,金额\nC000101,12.5\n", encoding="utf-8")
    before = digest(fake)
    report = runner.run_file("validate", str(fake))
    assert report.status == "failed" and report.problems[0].code == "not_a_workbook"
    assert "不是 Excel 工作簿" in report.problems[0].message
    assert digest(fake) == before


def test_missing_file_is_reported(tmp_path):
    report = runner.run_file("validate", str(tmp_path / "nowhere.xlsm"))
    assert report.status == "failed" and report.problems[0].code == "file_missing"


def test_failed_save_leaves_the_file_and_reports(desk_book, monkeypatch):
    before = digest(desk_book)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(filehost.package, "write_package", disk_full)
    report = runner.run_file("validate", str(desk_book))
    assert report.status == "failed" and report.problems[0].code == "save_failed"
    assert "No space left on device" in report.problems[0].message
    assert digest(desk_book) == before
    assert not [p for p in os.listdir(desk_book.parent) if p.endswith(".tmp")]


def test_english_workbook_reads_the_same_values(desk_book, desk_book_en):
    with filehost.FileBook(str(desk_book), writable=False) as zh, \
            filehost.FileBook(str(desk_book_en), writable=False) as en:
        assert en.lang == "en" and zh.lang == "zh"
        for key in small_desk():
            pd.testing.assert_frame_equal(zh.read(key), en.read(key))


def test_the_users_own_sheet_chart_and_names_survive_a_job(desk_book):
    from openpyxl.chart import BarChart, Reference
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import PatternFill
    from openpyxl.workbook.defined_name import DefinedName

    workbook = openpyxl.load_workbook(desk_book, keep_vba=True)
    mine = workbook.create_sheet("我的分析")
    for row in [["片区", "欠费"], ["东区", 120.5], ["西区", 88.0]]:
        mine.append(row)
    chart = BarChart()
    chart.add_data(Reference(mine, min_col=2, min_row=1, max_row=3), titles_from_data=True)
    mine.add_chart(chart, "D2")
    mine.conditional_formatting.add("B2:B3", CellIsRule(operator="greaterThan", formula=["100"],
                                                        fill=PatternFill("solid", bgColor="FFC7CE")))
    workbook.defined_names["我的合计"] = DefinedName("我的合计", attr_text="'我的分析'!$B$2:$B$3")
    workbook.save(desk_book)

    before = parts(desk_book)
    assert any(name.startswith("xl/charts/") for name in before)
    assert runner.run_file("validate", str(desk_book)).status == "ok"
    after = parts(desk_book)
    owned = table_parts(desk_book, "Problems") | table_parts(desk_book, "Audit")
    assert {n for n in before if before[n] != after[n]} <= owned
    reopened = openpyxl.load_workbook(desk_book, keep_vba=True)
    assert reopened["我的分析"]["B2"].value == 120.5
    assert "我的合计" in reopened.defined_names


def test_officers_notes_beside_an_output_table_are_kept(desk_book):
    workbook = openpyxl.load_workbook(desk_book, keep_vba=True)
    sheet = workbook["问题清单"]
    sheet["K3"] = "张伟：3月问题已核对"
    sheet["K40"] = "=1+1"
    workbook.save(desk_book)
    report = runner.run_file("validate", str(desk_book))
    assert report.status == "ok"
    sheet = openpyxl.load_workbook(desk_book)["问题清单"]
    assert sheet["K3"].value == "张伟：3月问题已核对" and sheet["K40"].value == "=1+1"


def test_an_output_table_never_grows_over_the_officers_cells(desk_book):
    from tests.test_validate import edit

    workbook = openpyxl.load_workbook(desk_book, keep_vba=True)
    workbook["问题清单"]["A4"] = "我的备注"
    workbook.save(desk_book)
    edit(desk_book, "Bills", {(3, "Amount"): "abc", (4, "Amount"): "x", (5, "Amount"): "y"})
    before = digest(desk_book)
    report = runner.run_file("validate", str(desk_book))
    assert report.status == "failed" and report.problems[0].code == "output_blocked"
    assert "A4" in report.problems[0].message and "移到别处" in report.problems[0].message
    assert digest(desk_book) == before


def test_writes_follow_the_sheets_own_column_order(desk_book):
    workbook = openpyxl.load_workbook(desk_book, keep_vba=True)
    sheet = workbook["运行日志"]
    table = sheet.tables["Audit"]
    sheet["A1"], sheet["B1"] = "用户", "时间"  # the officer swapped two columns
    table.tableColumns[0].name, table.tableColumns[1].name = "用户", "时间"
    workbook.save(desk_book)
    for _ in range(2):
        assert runner.run_file("validate", str(desk_book)).status == "ok"
    with filehost.FileBook(str(desk_book), writable=False) as book:
        audit = book.read("Audit")
        assert book.read_problems == []
    assert audit["User"].notna().all() and audit["Time"].notna().all() and len(audit) == 2


def test_a_totals_row_is_not_data(desk_book):
    workbook = openpyxl.load_workbook(desk_book, keep_vba=True)
    sheet = workbook["账单"]
    table = sheet.tables["Bills"]
    table.ref = "A1:K7"
    table.totalsRowCount = 1
    sheet["H7"] = "=SUBTOTAL(109,Bills[应收金额])"
    workbook.save(desk_book)
    with filehost.FileBook(str(desk_book), writable=False) as book:
        bills = book.read("Bills")
        assert book.read_problems == []
    assert len(bills) == 5 and bills["Amount"].sum() == 42529


def test_rows_pasted_below_a_table_are_pointed_out(desk_book):
    workbook = openpyxl.load_workbook(desk_book, keep_vba=True)
    workbook["客户"]["A7"] = "C000106"
    workbook.save(desk_book)
    report = runner.run_file("validate", str(desk_book))
    problem = [p for p in report.problems if p.code == "rows_below_table"][0]
    assert (problem.sheet, problem.row, problem.severity) == ("客户", 7, "warning")
    assert "调整表格大小" in problem.message


def test_excels_formula_cache_is_dropped_when_sheets_are_rewritten(desk_book):
    source = parts(desk_book)
    source["xl/calcChain.xml"] = b'<?xml version="1.0"?><calcChain xmlns="http://schemas.openxmlformats.org/' \
                                 b'spreadsheetml/2006/main"><c r="C21" i="1"/></calcChain>'
    source["[Content_Types].xml"] = source["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-'
                     b'officedocument.spreadsheetml.calcChain+xml"/></Types>')
    source["xl/_rels/workbook.xml.rels"] = source["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/'
                             b'2006/relationships/calcChain" Target="calcChain.xml"/></Relationships>')
    with zipfile.ZipFile(desk_book, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in source.items():
            archive.writestr(name, data)
    assert runner.run_file("validate", str(desk_book)).status == "ok"
    after = parts(desk_book)
    assert "xl/calcChain.xml" not in after
    assert b"calcChain" not in after["[Content_Types].xml"] + after["xl/_rels/workbook.xml.rels"]
    assert b'fullCalcOnLoad="1"' in after["xl/workbook.xml"]
    openpyxl.load_workbook(desk_book, keep_vba=True)


def test_a_file_changed_during_the_job_is_not_overwritten(desk_book, monkeypatch):
    from macros.jobs import validate

    real = validate.run

    def officer_saves_meanwhile(book):
        report = real(book)
        with open(desk_book, "ab") as handle:  # Excel (or a copy) wrote the file
            handle.write(b"\0")
        return report

    monkeypatch.setattr(validate, "run", officer_saves_meanwhile)
    report = runner.run_file("validate", str(desk_book))
    assert report.status == "failed" and report.problems[0].code == "file_changed"
    assert open(desk_book, "rb").read().endswith(b"\0")


def test_saving_through_a_link_updates_the_real_file(desk_book):
    link = desk_book.parent / "link.xlsm"
    link.symlink_to(desk_book)
    before = digest(desk_book)
    assert runner.run_file("validate", str(link)).status == "ok"
    assert link.is_symlink() and digest(desk_book) != before


def test_odd_values_are_written_so_excel_accepts_them(desk_book):
    frame = pd.DataFrame({"Period": ["2026-03"] * 3, "KPI": ["_x0041_ rate", "a\rb", "长" * 40_000],
                          "Value": [float("inf"), float("nan"), 1e-05]})
    with filehost.FileBook(str(desk_book)) as book:
        book.write("KPI", frame)
        book.commit()
    with filehost.FileBook(str(desk_book), writable=False) as book:
        back = book.read("KPI")
    assert back["KPI"].tolist()[0] == "_x0041_ rate"
    assert len(back["KPI"].tolist()[2]) == 32_767
    assert pd.isna(back["Value"].tolist()[0]) and back["Value"].tolist()[2] == 1e-05
