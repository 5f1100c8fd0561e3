"""What an officer sees: LibreOffice opens the workbook, recalculates the Control sheet's
formulas to the numbers the officer expects, and renders the Control and Guide sheets."""

from __future__ import annotations

import pytest
import python_calamine

from macros import runner
from tests import office
from tests.conftest import SETTINGS, small_desk_totals
from workbook import build, layout


def recalculated_control(path, out_dir, lang: str):
    """Values of the Control sheet after LibreOffice's full recalculation (read from its copy)."""
    copy = office.convert(path, "xlsx", out_dir)
    sheet = python_calamine.CalamineWorkbook.from_path(str(copy)).get_sheet_by_name(layout.CONTROL_SHEET[lang])
    return sheet.to_python(skip_empty_area=False)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_control_formulas_recalculate_to_the_desks_numbers(tmp_path, desk_book, desk_book_en, lang):
    path = desk_book if lang == "zh" else desk_book_en
    report = runner.run_file("validate", str(path))
    assert report.status == "ok"
    assert runner.run_file("reconcile", str(path)).status == "ok"
    cells = recalculated_control(path, tmp_path / "lo", lang)
    top = build.overview_row(lang)
    values = {cells[top + 1 + i][0]: cells[top + 1 + i][2] for i in range(len(build.overview_formulas(lang)))}
    expected = small_desk_totals()
    names = ["客户数", "账单数", "应收合计", "已收合计（收款记录）", "银行收入合计", "本账期应收", "待确认匹配", "未对上金额",
             "错误", "提醒"] if lang == "zh" \
        else ["Customers", "Bills", "Billed", "Collected (payments)", "Bank credits", "Billed this period",
              "Matches to confirm", "Unmatched amount", "Errors", "Warnings"]
    # Reconciled: the Alipay ¥1,234.56 names no customer or bill and stays unmatched.
    assert [values[n] for n in names] == [expected["customers"], expected["bills"], pytest.approx(expected["billed"]),
                                          pytest.approx(expected["collected"]), 0, pytest.approx(
                                              expected["billed_period"]), 0, pytest.approx(1234.56), 0, 0]
    subtitle = cells[1][0]
    assert SETTINGS["CompanyName"] in subtitle and "2026-04-10" in subtitle and "2026-03" in subtitle
    row0, col0 = layout.CONTROL_JOBS_ANCHOR
    last_run = cells[row0 + 1][col0 + 3]  # the validate row's "last run" = validate's last Audit row
    from workbook import filehost

    with filehost.FileBook(str(path), writable=False) as book:
        audit = book.read("Audit")
        logged = audit.loc[audit["Job"] == "validate", "Time"].iloc[-1]  # the validate row's own last run
    assert last_run == logged.to_pydatetime()


def test_problem_counts_follow_the_problems_sheet(tmp_path, desk_book):
    from tests.test_validate import edit

    edit(desk_book, "Bills", {(3, "Amount"): "abc", (4, "BillDate"): "3/1/2026"})
    assert runner.run_file("validate", str(desk_book)).errors == 2
    cells = recalculated_control(desk_book, tmp_path / "lo", "zh")
    top = build.overview_row("zh")
    assert cells[top + 9][0] == "错误" and cells[top + 9][2] == 2


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_control_and_guide_render_as_pages(tmp_path, lang):
    path = build.build(str(tmp_path / "FeeDesk.xlsm"), lang, None, SETTINGS)
    pdf = office.convert(path, "pdf", tmp_path / "pdf")
    text = office.pdf_text(pdf, 1, 3)
    if lang == "zh":
        assert "收费运营台" in text and "检查数据" in text and "使用说明" in text
    else:
        assert "fee-operations desk" in text and "Validate" in text and "Guide" in text
    png = office.pdf_to_png(pdf, 1, tmp_path / f"control-{lang}")
    assert png.stat().st_size > 10_000  # a rendered page, not a blank one
    guide = office.pdf_to_png(pdf, 2, tmp_path / f"guide-{lang}")
    assert guide.stat().st_size > 10_000
