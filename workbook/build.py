"""Write a new master workbook (FeeDesk.xlsm) from the layout and the job registry.

XlsxWriter writes the skeleton: every table as an Excel Table with styled header, column
formats, frozen header, widths, drop-downs and conditional formats; the Control sheet with
the settings, the job list, a button per job and live formulas; the Guide; the hidden
xlwings.conf sheet. workbook.vba then adds the VBA project (the installed xlwings package's
modules and FeeDesk's). Table data, if any, is written last, part by part through the same
path the jobs use, which streams a million rows quickly.
"""

from __future__ import annotations

import datetime
import os

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from feedesk import dates
from workbook import filehost, layout, registry, vba
from workbook.layout import Kind

HEADER_COLOUR = "#1F5C63"
TITLE_COLOUR = "#12393D"
TABLE_STYLE = "Table Style Medium 2"
LAST_ROW = 1_048_575  # zero-based last row of a sheet
PEER_CHART_ROWS = 12  # rows of PeerComparison the chart shows (profiles x fee items)
AGING_CHART_ROWS = 7  # rows of AgingSummary the chart shows: the total's buckets for the default bounds


def overview_formulas(lang: str) -> list[tuple[str, str, str]]:
    """(label, formula, number format) lines of the Control sheet's overview, in Excel 2016 functions."""
    h = _header
    money = layout.NUMBER_FORMATS[Kind.MONEY]
    error = layout.SEVERITIES[0].label(lang)
    warning = layout.SEVERITIES[1].label(lang)
    suggested = layout.choice_label(layout.MATCH_STATUSES, "suggested", lang)
    zh = lang == "zh"
    return [
        ("客户数" if zh else "Customers", f"=COUNTA(Customers[{h('Customers', 'CustomerID', lang)}])", "#,##0"),
        ("账单数" if zh else "Bills", f"=COUNTA(Bills[{h('Bills', 'BillID', lang)}])", "#,##0"),
        ("应收合计" if zh else "Billed", f"=SUM(Bills[{h('Bills', 'Amount', lang)}])", money),
        ("已收合计（收款记录）" if zh else "Collected (payments)", f"=SUM(Payments[{h('Payments', 'Amount', lang)}])",
         money),
        ("银行收入合计" if zh else "Bank credits", f"=SUM(BankStatement[{h('BankStatement', 'Credit', lang)}])", money),
        ("本账期应收" if zh else "Billed this period",
         f"=SUMIFS(Bills[{h('Bills', 'Amount', lang)}],Bills[{h('Bills', 'Period', lang)}],Period)", money),
        ("待确认匹配" if zh else "Matches to confirm",
         f'=COUNTIF(Reconciliation[{h("Reconciliation", "Status", lang)}],"{suggested}")', "#,##0"),
        ("未对上金额" if zh else "Unmatched amount",
         "=" + "+".join(f'SUMIFS(Exceptions[{h("Exceptions", "Amount", lang)}],Exceptions[{h("Exceptions", "Kind", lang)}],'
                        f'"{layout.choice_label(layout.EXCEPTION_KINDS, kind, lang)}")'
                        for kind in ("unmatched_payment", "unmatched_bank", "stale")), money),
        ("错误" if zh else "Errors", f'=COUNTIF(Problems[{h("Problems", "Severity", lang)}],"{error}")', "#,##0"),
        ("提醒" if zh else "Warnings", f'=COUNTIF(Problems[{h("Problems", "Severity", lang)}],"{warning}")', "#,##0"),
    ]


def _header(table: str, column: str, lang: str) -> str:
    """A header as a structured reference's column specifier: ' [ ] # are escaped with '."""
    header = layout.table(table).column(column).header(lang)
    return header.replace("'", "''").replace("[", "'[").replace("]", "']").replace("#", "'#")


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook):
        base = {"font_name": "Microsoft YaHei", "font_size": 10}
        self.book = book
        self.base = base
        self.header = book.add_format({**base, "bold": True, "font_color": "#FFFFFF", "bg_color": HEADER_COLOUR,
                                       "text_wrap": True, "valign": "vcenter"})
        self.title = book.add_format({**base, "bold": True, "font_size": 16, "font_color": TITLE_COLOUR})
        self.subtitle = book.add_format({**base, "italic": True, "font_color": "#555555"})
        self.section = book.add_format({**base, "bold": True, "font_size": 12, "font_color": TITLE_COLOUR,
                                        "bottom": 2, "bottom_color": HEADER_COLOUR})
        self.text = book.add_format({**base, "text_wrap": True, "valign": "top"})
        self.label = book.add_format({**base, "bold": True})
        self.key = book.add_format({**base, "font_color": "#888888"})
        self.error = book.add_format({"bg_color": "#F8CBAD", "font_color": "#9C0006"})
        self.warning = book.add_format({"bg_color": "#FFEB9C", "font_color": "#7F6000"})
        self.good = book.add_format({"bg_color": "#C6EFCE", "font_color": "#006100"})
        self._by_kind: dict = {}
        self._by_format: dict = {}

    def for_kind(self, kind: Kind):
        if kind not in self._by_kind:
            self._by_kind[kind] = self.book.add_format({**self.base, "num_format": layout.NUMBER_FORMATS[kind]})
        return self._by_kind[kind]

    def number(self, num_format: str, bold: bool = False, align: str | None = None):
        key = (num_format, bold, align)
        if key not in self._by_format:
            extra = {"align": align} if align else {}
            self._by_format[key] = self.book.add_format({**self.base, "num_format": num_format, "bold": bold,
                                                         **extra})
        return self._by_format[key]


def build(path: str, lang: str = "zh", data: dict[str, pd.DataFrame] | None = None,
          settings: dict[str, object] | None = None, progress=None) -> str:
    """Write a new master workbook at `path`; `data` fills input tables (core typed frames)."""
    if lang not in layout.LANGUAGES:
        raise ValueError(f"language must be one of {layout.LANGUAGES}")
    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".~new-{os.path.basename(path)}.{os.getpid()}.xlsm")
    values = {s.key: s.default for s in layout.SETTINGS}
    values["Language"] = lang
    values.update(settings or {})
    try:
        book = xlsxwriter.Workbook(tmp, {"strings_to_formulas": False, "strings_to_urls": False})
        formats = _Formats(book)
        book.set_properties({"title": "FeeDesk", "subject": "收费运营台 / fee-operations desk",
                             "author": values.get("CompanyName") or "FeeDesk"})
        control = book.add_worksheet(layout.CONTROL_SHEET[lang])
        guide = book.add_worksheet(layout.GUIDE_SHEET[lang])
        scorecard = book.add_worksheet(layout.SCORECARD_SHEET[lang])
        for spec in layout.SHEET_TABLES:
            _table_sheet(book, formats, spec, lang)
        _control_sheet(book, control, formats, lang, values)
        _scorecard_sheet(book, scorecard, formats, lang)
        _guide_sheet(guide, formats, lang)
        _conf_sheet(book, formats)
        control.activate()
        book.close()
        vba.add_project(tmp, lang)  # while the file is small: before the data goes in
        if data:
            filehost.fill_tables(tmp, {k: v for k, v in data.items() if k != "Settings"}, lang, progress)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def _table_sheet(book, formats: _Formats, spec: layout.Table, lang: str) -> None:
    sheet = book.add_worksheet(spec.sheet_name(lang))
    row0, col0 = spec.anchor
    _add_table(sheet, formats, spec, lang, row0, col0, rows=1)
    sheet.freeze_panes(row0 + 1, 0)
    if spec.role is layout.Role.OUTPUT:
        sheet.set_tab_color("#7FA7AB")
    _validations(sheet, spec, lang, row0 + 1, col0)
    _conditional_formats(sheet, formats, spec, lang, row0 + 1, col0)
    if spec.key == "PeerComparison":
        _peer_chart(book, sheet, spec, lang)
    if spec.key == "AgingSummary":
        _aging_chart(book, sheet, spec, lang)


def _aging_chart(book, sheet, spec: layout.Table, lang: str) -> None:
    """The total's bucket amounts as columns: the aging job writes the total's buckets first."""
    last = AGING_CHART_ROWS
    chart = book.add_chart({"type": "column"})
    at = spec.keys.index("Amount")
    bucket = spec.keys.index("Bucket")
    chart.add_series({"name": [sheet.name, 0, at], "categories": [sheet.name, 1, bucket, last, bucket],
                      "values": [sheet.name, 1, at, last, at], "fill": {"color": HEADER_COLOUR},
                      "data_labels": {"value": True, "num_format": "¥#,##0"}})
    chart.set_title({"name": "账龄分布（未收金额）" if lang == "zh" else "Aging: open amount by bucket"})
    chart.set_y_axis({"num_format": "¥#,##0"})
    chart.set_legend({"none": True})
    sheet.insert_chart(1, len(spec.columns) + 1, chart, {"x_scale": 1.5, "y_scale": 1.3})


def _peer_chart(book, sheet, spec: layout.Table, lang: str) -> None:
    """Our typical bills beside the peers' average: a native chart over the job's rows."""
    last = PEER_CHART_ROWS  # zero-based: rows 2..13 under the header
    chart = book.add_chart({"type": "column"})
    categories = [sheet.name, 1, spec.keys.index("Profile"), last, spec.keys.index("Profile")]
    for key, colour in (("OurAmount", HEADER_COLOUR), ("PeerAverage", "#B0B7BB")):
        at = spec.keys.index(key)
        chart.add_series({"name": [sheet.name, 0, at], "categories": categories,
                          "values": [sheet.name, 1, at, last, at], "fill": {"color": colour}})
    chart.set_title({"name": "典型月用量账单：本单位与同业" if lang == "zh" else "Typical monthly bills: ours and peers"})
    chart.set_y_axis({"num_format": "¥#,##0"})
    chart.set_legend({"position": "bottom"})
    sheet.insert_chart(1, len(spec.columns) + 1, chart, {"x_scale": 1.6, "y_scale": 1.4})


def _add_table(sheet, formats: _Formats, spec: layout.Table, lang: str, row0: int, col0: int, rows: int,
               data: list[list] | None = None) -> None:
    columns = [{"header": c.header(lang), "header_format": formats.header, "format": formats.for_kind(c.kind)}
               for c in spec.columns]
    options = {"name": spec.key, "style": TABLE_STYLE, "columns": columns}
    if data:
        options["data"] = data
    sheet.add_table(row0, col0, row0 + max(rows, 1), col0 + len(spec.columns) - 1, options)
    for offset, column in enumerate(spec.columns):
        sheet.set_column(col0 + offset, col0 + offset, column.display_width, formats.for_kind(column.kind))
    sheet.set_row(row0, 30)


def _validations(sheet, spec: layout.Table, lang: str, first: int, col0: int) -> None:
    for offset, column in enumerate(spec.columns):
        at = col0 + offset
        if column.choices:
            labels = [c.label(lang) for c in column.choices]
            sheet.data_validation(first, at, LAST_ROW, at, {
                "validate": "list", "source": labels, "error_type": "warning",
                "error_title": "FeeDesk",
                "error_message": ("请从下拉列表中选择：" if lang == "zh" else "Pick from the list: ") + ", ".join(labels),
            })
        elif column.ref == "Tariffs.TariffCode":
            header = layout.table("Tariffs").column("TariffCode").header(lang)
            sheet.data_validation(first, at, LAST_ROW, at, {
                "validate": "list", "source": f'=INDIRECT("Tariffs[{header}]")', "error_type": "warning",
            })
        elif column.kind is Kind.DATE:
            sheet.data_validation(first, at, LAST_ROW, at, {
                "validate": "date", "criteria": "between", "minimum": datetime.date(1990, 1, 1),
                "maximum": datetime.date(2099, 12, 31), "error_type": "warning",
                "input_title": "", "error_message": "yyyy-mm-dd",
            })


def _conditional_formats(sheet, formats: _Formats, spec: layout.Table, lang: str, first: int, col0: int) -> None:
    marks = {
        ("Problems", "Severity"): [("error", formats.error), ("warning", formats.warning)],
        ("Bills", "Status"): [("open", formats.error), ("partial", formats.warning), ("paid", formats.good)],
        ("Audit", "Status"): [("failed", formats.error), ("problems", formats.warning), ("ok", formats.good)],
        ("Reconciliation", "Status"): [("suggested", formats.warning), ("rejected", formats.error),
                                       ("confirmed", formats.good)],
        ("Settlements", "Status"): [("missing", formats.error), ("difference", formats.warning),
                                    ("settled", formats.good)],
        ("Exceptions", "Kind"): [("stale", formats.error), ("duplicate", formats.warning),
                                 ("settlement_missing", formats.error)],
    }
    scales = {  # heat maps: white to the desk's red
        ("AgingSummary", "Share"): "#F8696B",
        ("AgingCustomers", "Overdue"): "#F8696B",
        ("Aging", "DaysOverdue"): "#F8696B",
    }
    for offset, column in enumerate(spec.columns):
        if (spec.key, column.key) in scales:
            sheet.conditional_format(first, col0 + offset, LAST_ROW, col0 + offset, {
                "type": "2_color_scale", "min_color": "#FFFFFF", "max_color": scales[(spec.key, column.key)]})
        for code, style in marks.get((spec.key, column.key), []):
            label = layout.choice_label(column.choices, code, lang)
            sheet.conditional_format(first, col0 + offset, LAST_ROW, col0 + offset, {
                "type": "cell", "criteria": "==", "value": f'"{label}"', "format": style})


UNIT_FORMATS = {"ratio": "0.0%", "days": "0.0", "count": "#,##0", "score": "0.00", "yuan": "¥#,##0.00"}
RAG_FILLS = {"green": "#C6EFCE", "amber": "#FFEB9C", "red": "#F8CBAD"}


def _kpi_lookup(code: str, column: str, lang: str, table: str = "KPI", period_cell: str | None = None) -> tuple:
    """(criteria text, COUNTIFS/SUMIFS argument text) for one KPI's total row in a KPI-shaped table."""
    h = _header
    total = layout.choice_label(layout.AGING_SCOPES, "total", lang)
    criteria = f'{table}[{h(table, "KPI", lang)}],"{code}",{table}[{h(table, "Scope", lang)}],"{total}"'
    if period_cell:
        criteria += f",{table}[{h(table, 'Period', lang)}],{period_cell}"
    return criteria, f"{table}[{h(table, column, lang)}]"


def _kpi_value_formula(code: str, column: str, lang: str, missing: str = '"—"', table: str = "KPI",
                       period_cell: str | None = None) -> str:
    criteria, values = _kpi_lookup(code, column, lang, table, period_cell)
    return f'=IF(COUNTIFS({criteria},{values},"<>")=0,{missing},SUMIFS({values},{criteria}))'


def _kpi_status_formula(code: str, lang: str) -> str:
    criteria, values = _kpi_lookup(code, "Status", lang)
    formula = '""'
    for status in ("red", "amber", "green"):
        label = layout.choice_label(layout.RAG_STATUSES, status, lang)
        formula = f'IF(COUNTIFS({criteria},{values},"{label}")>0,"{label}",{formula})'
    return "=" + formula


def _scorecard_sheet(book, sheet, formats: _Formats, lang: str) -> None:
    """Tiles for the headline KPIs with their RAG colour, every KPI's line, trends and the aging
    chart: live formulas over the KPI, KPI history and Aging summary tables, so the sheet is ready
    to hand over (and to print: `feedesk run kpi BOOK --pdf OUT.pdf`)."""
    from feedesk import kpi

    zh = lang == "zh"
    by_code = {d.code: d for d in kpi.DEFINITIONS}
    sheet.hide_gridlines(2)
    sheet.set_column(0, 0, 2)
    sheet.set_column(1, 12, 13)
    sheet.write(0, 1, "绩效看板" if zh else "Scorecard", formats.title)
    sheet.write_formula(1, 1, '="账期 "&Period&"　截止日期 "&TEXT(AsOfDate,"yyyy-mm-dd")' if zh else
                        '="Period "&Period&"   as of "&TEXT(AsOfDate,"yyyy-mm-dd")', formats.subtitle, "")
    tile_label = book.add_format({**formats.base, "bold": True, "align": "center", "font_color": "#555555",
                                  "top": 1, "left": 1, "right": 1, "border_color": "#BFBFBF"})
    tile_status = book.add_format({**formats.base, "align": "center", "font_color": "#555555",
                                   "bottom": 1, "left": 1, "right": 1, "border_color": "#BFBFBF"})
    fills = {status: book.add_format({"bg_color": colour}) for status, colour in RAG_FILLS.items()}
    row = layout.SCORECARD_TILE_ROW
    for n, code in enumerate(layout.SCORECARD_TILES):
        definition = by_code[code]
        col = 1 + 2 * n
        value = book.add_format({**formats.base, "bold": True, "font_size": 20, "align": "center",
                                 "left": 1, "right": 1, "border_color": "#BFBFBF",
                                 "num_format": UNIT_FORMATS.get(definition.unit, "0.00")})
        sheet.merge_range(row, col, row, col + 1, definition.zh if zh else definition.en, tile_label)
        sheet.merge_range(row + 1, col, row + 2, col + 1, "", value)
        sheet.write_formula(row + 1, col, _kpi_value_formula(code, "Value", lang), value, "")
        sheet.merge_range(row + 3, col, row + 3, col + 1, "", tile_status)
        sheet.write_formula(row + 3, col, _kpi_status_formula(code, lang), tile_status, "")
        status_cell = xl_rowcol_to_cell(row + 3, col, row_abs=True, col_abs=True)
        for status, fill in fills.items():
            label = layout.choice_label(layout.RAG_STATUSES, status, lang)
            sheet.conditional_format(row + 1, col, row + 3, col + 1, {
                "type": "formula", "criteria": f'={status_cell}="{label}"', "format": fill})
    # Every KPI, overall.
    top = layout.SCORECARD_TABLE_ROW
    heads = ("指标", "数值", "目标", "状态", "上期", "去年同期", "单位") if zh else \
        ("KPI", "Value", "Target", "Status", "Previous", "Same period last year", "Unit")
    for i, text in enumerate(heads):
        sheet.write(top, 1 + i, text, formats.header)
    status_col = 4
    for k, definition in enumerate(kpi.DEFINITIONS, start=1):
        number = formats.number(UNIT_FORMATS.get(definition.unit, "0.00"))
        r = top + k
        sheet.write(r, 1, definition.zh if zh else definition.en, formats.label)
        sheet.write_formula(r, 2, _kpi_value_formula(definition.code, "Value", lang), number, "")
        sheet.write_formula(r, 3, _kpi_value_formula(definition.code, "Target", lang, '""'), number, "")
        sheet.write_formula(r, status_col, _kpi_status_formula(definition.code, lang), formats.text, "")
        sheet.write_formula(r, 5, _kpi_value_formula(definition.code, "Previous", lang, '""'), number, "")
        sheet.write_formula(r, 6, _kpi_value_formula(definition.code, "LastYear", lang, '""'), number, "")
        sheet.write(r, 7, definition.unit_zh if zh else definition.unit_en, formats.key)
    last = top + len(kpi.DEFINITIONS)
    for status, fill in fills.items():
        label = layout.choice_label(layout.RAG_STATUSES, status, lang)
        sheet.conditional_format(top + 1, status_col, last, status_col, {
            "type": "cell", "criteria": "==", "value": f'"{label}"', "format": fill})
    # Trends: the 13 periods up to the settings' period, from the KPI history.
    trend = layout.SCORECARD_TREND_ROW
    sheet.write_row(trend, 1, ("账期", "收费率", "DSO（天）") if zh else ("Period", "Collection rate", "DSO (days)"),
                    formats.header)
    periods = layout.SCORECARD_TREND_PERIODS
    for k in range(periods):
        r = trend + 1 + k
        sheet.write_formula(r, 1, f'=IFERROR(TEXT(EDATE(DATEVALUE(Period&"-01"),{k - periods + 1}),"yyyy-mm"),"")',
                            formats.text, "")
        cell = xl_rowcol_to_cell(r, 1, col_abs=True)
        for c, (code, fmt) in enumerate((("collection_rate", "0.0%"), ("dso", "0.0")), start=2):
            sheet.write_formula(r, c, _kpi_value_formula(code, "Value", lang, "NA()", "KPIHistory", cell),
                                formats.number(fmt), "")
    first, end = trend + 1, trend + periods
    charts_row = top + len(kpi.DEFINITIONS) + 2
    for c, (title, fmt) in enumerate(((("收费率趋势", "Collection rate trend"), "0%"),
                                      (("DSO 趋势（天）", "DSO trend (days)"), "0")), start=2):
        chart = book.add_chart({"type": "line"})
        chart.add_series({"name": [sheet.name, trend, c], "categories": [sheet.name, first, 1, end, 1],
                          "values": [sheet.name, first, c, end, c], "marker": {"type": "circle"},
                          "line": {"color": HEADER_COLOUR}})
        chart.set_title({"name": title[0] if zh else title[1]})
        chart.set_y_axis({"num_format": fmt})
        chart.set_legend({"none": True})
        chart.show_na_as_empty_cell()
        sheet.insert_chart(charts_row, 1 + (c - 2) * 5, chart, {"x_scale": 1.0, "y_scale": 1.0})
    aging = layout.table("AgingSummary")
    aging_sheet = aging.sheet_name(lang)
    chart = book.add_chart({"type": "column"})
    at, bucket = aging.keys.index("Amount"), aging.keys.index("Bucket")
    chart.add_series({"name": "未收金额" if zh else "Open amount",
                      "categories": [aging_sheet, 1, bucket, AGING_CHART_ROWS, bucket],
                      "values": [aging_sheet, 1, at, AGING_CHART_ROWS, at], "fill": {"color": HEADER_COLOUR}})
    chart.set_title({"name": "账龄分布" if zh else "Aging"})
    chart.set_y_axis({"num_format": "¥#,##0"})
    chart.set_legend({"none": True})
    sheet.insert_chart(top, 9, chart, {"x_scale": 1.1, "y_scale": 1.1})
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 1)
    sheet.print_area(0, 0, trend + periods, 14)


def _control_sheet(book, sheet, formats: _Formats, lang: str, values: dict) -> None:
    zh = lang == "zh"
    sheet.set_column(0, 0, 16, formats.key)
    sheet.set_column(1, 1, 18)
    sheet.set_column(2, 2, 24)
    sheet.set_column(3, 3, 36)
    sheet.set_column(4, 4, 3)
    sheet.set_column(5, 5, 6)
    sheet.set_column(6, 6, 14)
    sheet.set_column(7, 7, 72)
    sheet.set_column(8, 8, 18)
    sheet.set_column(9, 9, 18)
    sheet.write(0, 0, "FeeDesk 收费运营台" if zh else "FeeDesk — fee-operations desk", formats.title)
    sheet.write_formula(1, 0, ('="截止日期 "&TEXT(AsOfDate,"yyyy-mm-dd")&"　账期 "&Period&"　"&CompanyName'
                               if zh else '="As of "&TEXT(AsOfDate,"yyyy-mm-dd")&" · period "&Period&" · "&CompanyName'),
                        formats.subtitle)
    sheet.write(2, 0, "设置" if zh else "Settings", formats.section)

    spec = layout.SETTINGS_TABLE
    row0, col0 = spec.anchor
    rows = []
    for setting in layout.SETTINGS:
        rows.append([setting.key, setting.label(lang), _setting_cell(setting, values.get(setting.key), lang),
                     setting.note(lang)])
    _add_table(sheet, formats, spec, lang, row0, col0, rows=len(rows), data=rows)
    value_col = col0 + 2
    for offset, setting in enumerate(layout.SETTINGS):
        row = row0 + 1 + offset
        fmt = formats.number(layout.NUMBER_FORMATS[setting.kind] if setting.kind in (
            Kind.DATE, Kind.MONEY, Kind.INT, Kind.RATE) else "@", align="left")
        value = _setting_cell(setting, values.get(setting.key), lang)
        if isinstance(value, datetime.date):
            sheet.write_datetime(row, value_col, datetime.datetime.combine(value, datetime.time()), fmt)
        elif value is None or value == "":
            sheet.write_blank(row, value_col, None, fmt)
        else:
            sheet.write(row, value_col, value, fmt)
        book.define_name(setting.key, f"='{sheet.name}'!${_col(value_col)}${row + 1}")
        if setting.choices:
            labels = [c.label(lang) for c in setting.choices]
            sheet.data_validation(row, value_col, row, value_col, {"validate": "list", "source": labels})

    jobs_row, jobs_col = layout.CONTROL_JOBS_ANCHOR
    sheet.write(jobs_row - 1, jobs_col, "月结步骤（按顺序点击）" if zh else "Month's close (click in order)",
                formats.section)
    headers = ["步骤", "作业", "做什么", "上次运行", "按钮"] if zh else ["Step", "Job", "What it does", "Last run",
                                                                       "Button"]
    for offset, text in enumerate(headers):
        sheet.write(jobs_row, jobs_col + offset, text, formats.header)
    audit = layout.table("Audit")
    time_header, job_header = audit.column("Time").header(lang), audit.column("Job").header(lang)
    for index, job in enumerate(registry.JOBS):
        row = jobs_row + 1 + index
        sheet.set_row(row, 32)
        sheet.write_number(row, jobs_col, index + 1, formats.number("0", bold=True))
        sheet.write(row, jobs_col + 1, job.label(lang), formats.label)
        sheet.write(row, jobs_col + 2, job.about(lang), formats.text)
        sheet.write_formula(row, jobs_col + 3,
                            f'=SUMPRODUCT(MAX((Audit[{job_header}]="{job.key}")*Audit[{time_header}]))',
                            formats.number("yyyy-mm-dd hh:mm;;"))
        sheet.insert_button(row, layout.CONTROL_JOBS_BUTTON_COL, {
            "macro": job.sub, "caption": job.label(lang), "width": 128, "height": 36, "x_offset": 2, "y_offset": 3,
        })
    close_row, close_col = layout.CONTROL_CLOSE_ANCHOR  # the month's close writes its summary here
    sheet.write(close_row - 1, close_col, layout.CLOSE_TITLE[lang], formats.section)
    _add_table(sheet, formats, layout.CLOSE_TABLE, lang, close_row, close_col, rows=0)
    row, col = layout.CONTROL_SELF_TEST_CELL  # written by the VBA self-test Sub, no Python needed
    sheet.write_blank(row, col, None, formats.key)
    book.define_name("FeeDeskSelfTest", f"='{sheet.name}'!${_col(col)}${row + 1}")
    summary_row = overview_row(lang)
    sheet.write(summary_row, 0, layout.CONTROL_SUMMARY_TITLE[lang], formats.section)
    for offset, (label, formula, num_format) in enumerate(overview_formulas(lang)):
        sheet.write(summary_row + 1 + offset, 0, label, formats.label)
        sheet.write_formula(summary_row + 1 + offset, 2, formula, formats.number(num_format, bold=True))
    sheet.freeze_panes(3, 0)
    sheet.hide_gridlines(2)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)


def overview_row(lang: str) -> int:
    """Zero-based row of the overview title on the Control sheet."""
    row0, _ = layout.SETTINGS_TABLE.anchor
    jobs_row, _ = layout.CONTROL_JOBS_ANCHOR
    return max(row0 + len(layout.SETTINGS) + 3, jobs_row + len(registry.JOBS) + 3)


def _setting_cell(setting: layout.Setting, value, lang: str):
    if value is None:
        return None
    if setting.choices:
        return layout.choice_label(setting.choices, str(value), lang)
    if setting.kind is Kind.MONEY:
        return int(value) / 100
    if setting.kind is Kind.DATE and isinstance(value, str):
        return dates.parse_date_text(value)
    if setting.key == "AgingBounds" and isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value)
    return value


def _col(index: int) -> str:
    from workbook import package

    return package.column_letter(index)


def _guide_sheet(sheet, formats: _Formats, lang: str) -> None:
    from workbook import guide

    sheet.set_column(0, 0, 4)
    sheet.set_column(1, 1, 110, formats.text)
    sheet.hide_gridlines(2)
    row = 0
    for kind, text in guide.lines(lang):
        if kind == "title":
            sheet.write(row, 0, text, formats.title)
        elif kind == "section":
            row += 1
            sheet.write(row, 0, text, formats.section)
        elif kind == "step":
            number, body = text
            sheet.write(row, 0, number, formats.label)
            sheet.write(row, 1, body, formats.text)
        else:
            sheet.write(row, 1, text, formats.text)
        row += 1
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)


def _conf_sheet(book, formats: _Formats) -> None:
    sheet = book.add_worksheet(layout.CONF_SHEET)
    for row, (key, value) in enumerate(XLWINGS_CONF):
        sheet.write_string(row, 0, key)
        sheet.write_string(row, 1, value)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 40)
    sheet.hide()


# xlwings reads this sheet (keys in A, values in B); empty values mean xlwings' defaults.
XLWINGS_CONF = (
    ("Interpreter_Win", ""),
    ("Interpreter_Mac", ""),
    ("PYTHONPATH", ""),
    ("Conda Path", ""),
    ("Conda Env", ""),
    ("UDF Modules", "xlfuncs"),
    ("Debug UDFs", "False"),
    ("Use UDF Server", "False"),
    ("Show Console", "False"),
)
