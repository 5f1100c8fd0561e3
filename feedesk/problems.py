"""Problems as records: every check runs over the whole table and returns all it found.

A Problem names the sheet, the Excel row and the column header the officer sees, and its
message says what is wrong and what to do, in the workbook's language. Expected business
problems are never raised one at a time; exceptions are for programming errors only.
"""

from __future__ import annotations

import dataclasses

ERROR = "error"
WARNING = "warning"

# code -> (zh, en). Placeholders are filled from the keyword arguments of `make`.
MESSAGES: dict[str, tuple[str, str]] = {
    "missing_table": (
        "找不到表格“{table}”（工作表“{sheet}”）。请从 feedesk new 新建的模板中把该工作表复制回来，不要改表格名称。",
        "Table '{table}' (sheet '{sheet}') is missing. Copy the sheet back from a workbook made by "
        "'feedesk new'; keep the table's name.",
    ),
    "missing_column": (
        "缺少必填列“{column}”。请在表头加上这一列（中文或英文表头都可以）。",
        "Required column '{column}' is missing. Add it to the header row (Chinese or English header).",
    ),
    "blank_required": (
        "“{column}”不能为空。请填写后重新运行。",
        "'{column}' must not be blank. Fill it in and run again.",
    ),
    "not_a_number": (
        "“{value}”不是数字。请填写数字，例如 1234.56，不要带单位、空格或文字。",
        "'{value}' is not a number. Enter a number such as 1234.56, without units or words.",
    ),
    "not_an_integer": (
        "“{value}”不是整数。请填写整数。",
        "'{value}' is not a whole number. Enter a whole number.",
    ),
    "bad_date": (
        "“{value}”不是可识别的日期。请填写 2026-03-01、2026/3/1、2026年3月1日或 20260301 这样的日期。",
        "'{value}' is not a date FeeDesk can read. Enter it as 2026-03-01, 2026/3/1, 2026年3月1日 or 20260301.",
    ),
    "ambiguous_date": (
        "“{value}”的年月日顺序不明确。请按 年-月-日 填写，例如 2026-03-01。",
        "'{value}' could be read two ways. Write the date year first, e.g. 2026-03-01.",
    ),
    "bad_period": (
        "“{value}”不是账期。请按 2026-03 的格式填写年月。",
        "'{value}' is not a period. Write year and month as 2026-03.",
    ),
    "error_cell": (
        "单元格是错误值 {value}。请改正产生它的公式，或填入数值。",
        "The cell holds the error {value}. Fix the formula behind it or enter a value.",
    ),
    "not_in_list": (
        "“{value}”不是可选值。请从下拉列表中选择：{allowed}。",
        "'{value}' is not one of the allowed values. Pick one from the drop-down: {allowed}.",
    ),
    "duplicate_id": (
        "编号“{value}”重复（第 {first_row} 行已有）。编号必须唯一：删除重复的行或改正编号。",
        "ID '{value}' appears twice (first on row {first_row}). IDs must be unique: delete the "
        "duplicate row or correct the ID.",
    ),
    "unknown_reference": (
        "“{value}”在“{target}”中找不到。请先在“{target}”中添加，或改正编号。",
        "'{value}' is not found in '{target}'. Add it there first or correct the ID.",
    ),
    "blank_rows": (
        "表格中间有 {count} 个空行（第 {rows} 行），已跳过。可以删除这些空行。",
        "{count} blank row(s) inside the table (row {rows}) were skipped. You may delete them.",
    ),
    "empty_table": (
        "表格“{table}”没有数据。请粘贴或填写数据后再运行。",
        "Table '{table}' has no rows. Paste or enter the data, then run again.",
    ),
    "bad_setting": (
        "设置项“{setting}”的值“{value}”无效：{reason}。请在控制台的设置表中改正。",
        "Setting '{setting}' has the invalid value '{value}': {reason}. Correct it in the settings "
        "table on the Control sheet.",
    ),
    "too_many_rows": (
        "表格“{table}”有 {count} 行，超过 Excel 的上限 1,048,576 行。请拆分数据。",
        "Table '{table}' has {count} rows, more than Excel's 1,048,576. Split the data.",
    ),
    "output_blocked": (
        "“{table}”的结果会覆盖表格下方的单元格 {cell}。请把该单元格的内容移到别处后重新运行。",
        "The results for '{table}' would overwrite cell {cell} below the table. Move that cell's content "
        "elsewhere and run again.",
    ),
    "rows_below_table": (
        "表格“{table}”正下方还有数据，但不属于表格，未被读取。请把表格范围扩大到这些行（表设计 → 调整表格大小）。",
        "There is data right below table '{table}' that is not part of it and was not read. Resize the table "
        "to include those rows (Table Design → Resize Table).",
    ),
    "file_changed": (
        "“{file}”在作业运行期间被其他程序修改了，结果没有保存，以免覆盖别人的修改。请重新运行。",
        "'{file}' was changed by another program while the job ran; the results were not saved so as not to "
        "overwrite those changes. Run the job again.",
    ),
    "not_a_workbook": (
        "“{file}”不是 Excel 工作簿（.xlsx/.xlsm）。请选择 FeeDesk 工作簿文件。",
        "'{file}' is not an Excel workbook (.xlsx/.xlsm). Choose a FeeDesk workbook.",
    ),
    "file_missing": (
        "找不到文件“{file}”。请检查路径。",
        "File '{file}' does not exist. Check the path.",
    ),
    "file_locked": (
        "“{file}”正被 Excel 或另一个作业使用（{why}）。请关闭它或等作业结束后再运行。",
        "'{file}' is in use by Excel or another job ({why}). Close it or wait for the job to end, then run again.",
    ),
    "read_only": (
        "“{file}”是只读的，结果无法保存。请取消只读属性，或把文件复制到可写的文件夹。",
        "'{file}' is read-only, so results cannot be saved. Clear the read-only flag or copy it to a writable folder.",
    ),
    "save_failed": (
        "保存“{file}”失败：{error}。原文件未被改动，可检查磁盘空间和权限后重试。",
        "Saving '{file}' failed: {error}. The original file is unchanged; check disk space and permissions, then retry.",
    ),
    "internal_error": (
        "程序内部错误（{error}），数据未被修改。请把这条信息和工作簿发给技术支持。",
        "Internal error ({error}); nothing was changed. Send this message and the workbook to support.",
    ),
}


@dataclasses.dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None  # Excel row number as the officer sees it; None for the whole sheet
    column: str  # header text as in the sheet
    code: str
    message: str
    severity: str = ERROR
    value: str = ""
    job: str = ""

    @property
    def blocking(self) -> bool:
        return self.severity == ERROR


def message(code: str, lang: str, **params) -> str:
    zh, en = MESSAGES[code]
    template = zh if lang == "zh" else en
    return template.format(**params)


def make(code: str, lang: str, *, sheet: str = "", row: int | None = None, column: str = "",
         value: object = "", severity: str = ERROR, **params) -> Problem:
    """Build a Problem whose message is the catalogue text for `code` in `lang`."""
    shown = _shown(value)
    text = message(code, lang, column=column, value=shown, sheet=sheet, **params)
    return Problem(sheet, row, column, code, text, severity, shown)


def _shown(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def has_blocking(problems) -> bool:
    return any(p.blocking for p in problems)
