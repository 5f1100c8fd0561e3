"""Typing raw cells into tables, the way statement exports and officers actually fill them."""

from __future__ import annotations

import datetime

import pandas as pd

from workbook import layout, tables


def typed(table: str, header: list, rows: list[list], lang: str = "zh"):
    result = tables.type_table(layout.table(table), header, rows, 2, lang, "收款记录")
    return result.frame, result.problems


PAYMENT_HEADER = ["收款编号", "Channel", "收款日期", "金额", "手续费", "客户编号", "导出批次"]  # zh, en and an extra column


def test_mixed_zh_en_headers_extra_columns_and_export_padding():
    frame, found = typed("Payments", PAYMENT_HEADER, [
        ["P001\t", "微信支付", datetime.date(2026, 3, 2), 1280.0, 7.68, "C000105", "批次1"],
        ["`P002", "alipay", 46084.0, "¥1,234.56", "", 101.0, "批次1"],
        ["P003", "柜台", "2026年3月4日", 0.05, None, "  ", "批次1"],
    ])
    assert found == ()
    assert frame["PaymentID"].tolist() == ["P001", "`P002", "P003"]  # a tab is padding; a backtick is kept in IDs
    assert frame["Channel"].tolist() == ["wechat", "alipay", "counter"]
    assert [d.date().isoformat() for d in frame["PaidDate"]] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert frame["Amount"].tolist() == [128000, 123456, 5]
    assert frame["Fee"].tolist()[0] == 768 and frame["Fee"].isna().tolist()[1:] == [True, True]
    assert frame["CustomerID"].tolist()[:2] == ["C000105", "101"]  # a number typed in a text column
    assert pd.isna(frame["CustomerID"].tolist()[2])  # spaces only = blank
    assert "导出批次" not in frame


def test_error_cells_are_named_not_guessed():
    frame, found = typed("Payments", PAYMENT_HEADER, [
        ["P001", "银行转账", "2026-03-02", "#N/A", None, "#REF!", None],
        ["P002", "银行转账", "#VALUE!", 10.0, None, "C1", None],
    ])
    assert sorted((p.row, p.column, p.value) for p in found if p.code == "error_cell") == [
        (2, "客户编号", "#REF!"), (2, "金额", "#N/A"), (3, "收款日期", "#VALUE!")]
    assert "改正产生它的公式" in found[0].message
    assert not [p for p in found if p.code == "blank_required"]  # one problem per cell
    assert frame["Amount"].isna().tolist() == [True, False]


def test_half_fen_rounds_half_up_exactly():
    frame, found = typed("Payments", PAYMENT_HEADER[:4], [
        ["P1", "bank", "2026-03-01", 2.675], ["P2", "bank", "2026-03-01", -2.675], ["P3", "bank", "2026-03-01", 0.005],
        ["P4", "bank", "2026-03-01", "1,000.125"], ["P5", "bank", "2026-03-01", 1.004999],
    ])
    assert found == ()
    assert frame["Amount"].tolist() == [268, -268, 1, 100013, 100]


def test_periods_in_the_forms_officers_type():
    header = ["客户编号", "账期", "费用项目", "收费标准代码", "用量"]
    frame, found = typed("Usage", header, [
        ["C1", "2026-03", "水费", "W", 1.0], ["C1", "2026/3", "水费", "W", 1.0], ["C1", "2026年3月", "水费", "W", 1.0],
        ["C1", 202603.0, "水费", "W", 1.0], ["C1", datetime.date(2026, 3, 1), "水费", "W", 1.0],
        ["C1", "三月", "水费", "W", 1.0],
    ])
    assert frame["Period"].tolist()[:5] == ["2026-03"] * 5
    assert [(p.row, p.code) for p in found] == [(7, "bad_period")]


def test_blank_rows_at_the_end_are_normal_but_inside_are_reported():
    header = ["客户编号", "客户名称", "客户类别", "状态"]
    frame, found = typed("Customers", header, [
        ["C1", "张伟", "居民", "正常"], ["", "", "", ""], ["C2", "王芳", "居民", "正常"], ["", None, "", ""]])
    assert list(frame.index) == [2, 4]
    assert [(p.code, p.row, p.severity) for p in found] == [("blank_rows", 3, "warning")]


def test_every_problem_in_one_pass():
    header = ["客户编号", "客户名称", "客户类别", "状态", "面积（㎡）", "开户日期"]
    _, found = typed("Customers", header, [
        ["C1", "张伟", "居民", "正常", "八十", "2026-01-01"],
        ["C1", "", "个人", "正常", 80.0, "1/2/2026"],
        ["C3", "李娜", "商业", "停用", 80.0, "2026-13-01"],
    ])
    assert sorted((p.row, p.code) for p in found) == [
        (2, "not_a_number"), (3, "ambiguous_date"), (3, "blank_required"), (3, "duplicate_id"), (3, "not_in_list"),
        (4, "bad_date"), (4, "not_in_list")]


def test_sheet_values_round_trip_through_labels_and_yuan():
    spec = layout.table("Payments")
    frame, _ = typed("Payments", PAYMENT_HEADER[:5], [["P1", "wechat", "2026-03-01", 1.1, 0.01]])
    columns = dict((c.key, v) for c, v in tables.to_sheet_columns(spec, frame, "zh"))
    assert columns["Channel"].tolist() == ["微信支付"]
    assert columns["Amount"].tolist() == [1.1] and columns["Fee"].tolist() == [0.01]
    english = dict((c.key, v) for c, v in tables.to_sheet_columns(spec, frame, "en"))
    assert english["Channel"].tolist() == ["WeChat Pay"]
