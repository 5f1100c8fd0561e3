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
    "negative_usage": (
        "客户 {customer} 的用量为负数（{value}），本期不出账。请核对抄表读数；若换过表，请在“换表”列填“是”。",
        "Customer {customer}'s usage is negative ({value}); no bill this period. Check the readings; if the "
        "meter was replaced, enter yes in 'Meter changed'.",
    ),
    "reading_went_back": (
        "客户 {customer} 的本期读数 {value} 低于上期读数 {previous}，本期不出账。请核对读数；若换过表，请在“换表”列填“是”。",
        "Customer {customer}'s current reading {value} is below the previous {previous}; no bill this period. "
        "Check the readings; if the meter was replaced, enter yes in 'Meter changed'.",
    ),
    "no_reading": (
        "客户 {value} 在账期 {period} 没有抄表用量，本期未出账。请补录抄表数据，或把客户状态改为“销户”。",
        "Customer {value} has no usage for period {period} and was not billed. Enter the readings, or set the "
        "customer's status to closed.",
    ),
    "extra_columns": (
        "“{sheet}”表格中有 FeeDesk 不认识的列（{columns}），重写该表会丢失这些列的内容，因此未保存。"
        "请把这些列移到表格右侧之外（或另一张工作表）后重新运行。",
        "The table on '{sheet}' has columns FeeDesk does not know ({columns}); rewriting it would lose them, so "
        "nothing was saved. Move those columns outside the table (or to another sheet) and run again.",
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
    # --- tariffs (feedesk/tariffs.py) ---
    "tariff_tier_overlap": (
        "收费标准“{tariff}”的阶梯上限 {value} 不大于上一阶梯的上限 {previous}，阶梯重叠。阶梯上限必须逐级增大"
        "（第 1 阶梯的上限要大于 0）。请改正阶梯上限或阶梯顺序。",
        "Tariff '{tariff}': the tier upper bound {value} is not above the previous tier's bound {previous}, so the "
        "tiers overlap. Upper bounds must rise from tier to tier (tier 1's above 0). Correct the bounds or the tier "
        "order.",
    ),
    "tariff_tier_gap": (
        "收费标准“{tariff}”的阶梯编号不连续：缺少第 {missing} 阶梯。同一版本的阶梯必须从 1 开始连续编号"
        "（1、2、3…）。请补上缺少的阶梯行或改正编号。",
        "Tariff '{tariff}': tier {missing} is missing. The tiers of one version must be numbered 1, 2, 3 ... "
        "without gaps. Add the missing tier row or renumber the tiers.",
    ),
    "tariff_no_price": (
        "收费标准“{tariff}”这一阶梯没有单价。请填写单价（免费的阶梯填 0）。",
        "Tariff '{tariff}': this tier has no unit price. Enter the price (0 for a free tier).",
    ),
    "tariff_last_tier_bounded": (
        "收费标准“{tariff}”的最后一个阶梯有上限 {value}，超过上限的用量将无价可算。最后一个阶梯的上限请留空；"
        "若还有更高阶梯，请补上那一行。",
        "Tariff '{tariff}': the last tier has an upper bound ({value}), so usage above it would have no price. Leave "
        "the last tier's upper bound blank, or add the higher tier's row.",
    ),
    "tariff_tier_unbounded": (
        "收费标准“{tariff}”中间的阶梯没有上限。只有最后一个阶梯的上限可以留空。请填写这一阶梯的上限。",
        "Tariff '{tariff}': a tier before the last has no upper bound. Only the last tier's bound may be blank. "
        "Enter this tier's upper bound.",
    ),
    "tariff_same_day": (
        "收费标准“{tariff}”第 {tier_number} 阶梯有两行在同一天（{value}）生效（第 {first_row} 行已有），无法确定用哪一行。"
        "请删除重复行，或改正其中一行的生效日期、收费项目或适用月份。",
        "Tariff '{tariff}': two rows for tier {tier_number} take effect on the same day ({value}) (the first is on "
        "row {first_row}), so FeeDesk cannot tell which applies. Delete the duplicate, or correct one row's "
        "effective date, component or season months.",
    ),
    "tariff_dates_reversed": (
        "收费标准“{tariff}”的失效日期 {value} 早于生效日期 {start}。请改正日期；失效日期可以留空（一直有效到下一版本）。",
        "Tariff '{tariff}': the end date {value} is before the effective date {start}. Correct the dates; the end "
        "date may stay blank (in force until the next version).",
    ),
    "tariff_no_block_size": (
        "收费标准“{tariff}”按块计价，但没有填写大于 0 的计费块大小。请填写每块的用量（例如 10）。",
        "Tariff '{tariff}' prices by block but has no block size above 0. Enter the units per block (e.g. 10).",
    ),
    "tariff_no_fixed_fee": (
        "收费标准“{tariff}”是固定费用，但没有填写固定费。请填写每期的固定费。",
        "Tariff '{tariff}' is a fixed fee but the fixed fee is blank. Enter the fee per period.",
    ),
    "tariff_single_tier": (
        "收费标准“{tariff}”的计价方式（{model}）只用一个阶梯，这一行（第 {value} 阶梯）多余。请删除它，"
        "或把计价方式改为阶梯累进或阶梯全量。",
        "Tariff '{tariff}': its model ({model}) uses one tier, so this row (tier {value}) is one too many. Delete "
        "it, or change the model to graduated or volume.",
    ),
    "tariff_bad_season": (
        "收费标准“{tariff}”的适用月份“{value}”无法识别。请写成 6-9 或 6,7,8,9 这样的月份（1 到 12）；全年适用请留空。",
        "Tariff '{tariff}': season months '{value}' cannot be read. Write months 1 to 12 as 6-9 or 6,7,8,9; leave "
        "blank for all year.",
    ),
    "tariff_inconsistent": (
        "收费标准“{tariff}”同一版本的“{column}”不一致：这一行是“{value}”，第 {first_row} 行不同。同一版本各阶梯行的"
        "这一列应相同（或只在第 1 阶梯填写）。请统一。",
        "Tariff '{tariff}': '{column}' differs within one version: '{value}' here, something else on row "
        "{first_row}. All tier rows of a version must agree on it (or fill it on tier 1 only). Make them the same.",
    ),
    "tariff_too_many_decimals": (
        "收费标准“{tariff}”的“{column}”是 {value}，用量最多精确到 3 位小数。请改为最多 3 位小数。",
        "Tariff '{tariff}': '{column}' is {value}; quantities go to 3 decimals at most. Round it to 3 decimals.",
    ),
    "tariff_negative": (
        "收费标准“{tariff}”的“{column}”不能为负数（{value}）。请改正。",
        "Tariff '{tariff}': '{column}' must not be negative ({value}). Correct it.",
    ),
    "tariff_no_persons_included": (
        "收费标准“{tariff}”填了每增一人增加用量，但没有填写基准人口。请填写阶梯用量对应的户内人数（例如 4）。",
        "Tariff '{tariff}' has extra units per person but no persons included. Enter the household size the tier "
        "bounds are meant for (e.g. 4).",
    ),
    "tariff_min_above_max": (
        "收费标准“{tariff}”的最低收费 {minimum} 高于最高收费 {value}。请改正其中之一。",
        "Tariff '{tariff}': the minimum charge {minimum} is above the maximum charge {value}. Correct one of them.",
    ),
    "no_tariff": (
        "收费标准代码“{value}”在账期 {period} 没有可用的收费标准：收费标准表中没有这个代码、没有在该账期生效的版本，"
        "或该收费标准有错误（见问题清单）。请改正代码，或在收费标准表中补上（或改正）该收费标准。",
        "Tariff code '{value}' has no usable tariff for period {period}: the Tariffs table lacks the code, has no "
        "version in force in that period, or the tariff has errors (see the problems list). Correct the code, or "
        "add (or fix) the tariff in the Tariffs table.",
    ),
    "tariff_partly_in_force": (
        "收费标准“{value}”的{component}在账期 {period} 有 {days} 天（共 {days_in_period} 天）没有生效的版本，"
        "这几天未计费（{rows} 行用量受影响，本行是第一行）。若不应如此，请检查生效日期和失效日期是否衔接。",
        "Tariff '{value}', {component}: no version is in force on {days} of the {days_in_period} days of period "
        "{period}, and those days were not charged ({rows} usage row(s); this is the first). If that is wrong, "
        "check that the effective and end dates of its versions meet.",
    ),
    "negative_quantity": (
        "用量是负数（{value}），这一行没有计费。请核对抄表读数；换表或冲减请另行处理。",
        "The quantity is negative ({value}); this row was not charged. Check the readings; handle meter changes and "
        "credits separately.",
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
