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
    "due_before_bill_date": (
        "到期日 {value} 早于账单日期 {bill_date}。请改正到期日（通常为账单日期加缴费期限）。",
        "The due date {value} is before the bill date {bill_date}. Correct the due date (usually the bill "
        "date plus the days to pay).",
    ),
    "negative_balance": (
        "账单 {value} 的已收金额大于应收金额，余额为负，但它不是贷项通知单（负金额账单）。请核对已收金额，"
        "多收的部分应作为预存（运行“对账”）或开具负金额的贷项账单。",
        "Bill {value} has been paid more than its amount (a negative balance) but is no credit note (a bill "
        "with a negative amount). Check the paid amount; money paid over belongs in credit (run Reconcile) or "
        "on a credit note.",
    ),
    "late_fee_rule": (
        "滞纳金规则的“{column}”为“{value}”，无法使用：{reason}。请改正这一条规则，改正前它不会被使用。",
        "Late-fee rule: '{column}' is '{value}', which cannot be used: {reason}. Correct the rule; until then "
        "it is not applied.",
    ),
    "late_fee_rate": (
        "日费率“{value}”无效：{reason}。请填写如 0.001（即每日万分之十）或 0.1% 的费率。",
        "The daily rate '{value}' is not usable: {reason}. Enter a rate such as 0.001 (0.1 % a day).",
    ),
    "letter_template_missing": (
        "找不到模板“{value}”（{kind}）的 Word 文件。请在“模板”表中为它登记文件，并把文件放在工作簿旁或 templates 文件夹中。",
        "No Word file for template '{value}' ({kind}). Register its file in Templates and put the file beside the "
        "workbook or in the templates folder.",
    ),
    "letter_field_missing": (
        "模板 {template} 用到了字段“{value}”，但数据中没有它；本批函件一封也没有生成。请改正模板中的字段名后重新运行。",
        "Template {template} uses the field '{value}', which the data does not have; no letter of this batch was "
        "written. Correct the field name in the template and run again.",
    ),
    "mail_not_sent": (
        "有 {count} 封邮件没有发出：{error}。函件记录中标为“未发出”，邮件草稿已保存，可稍后重发。",
        "{count} e-mails were not sent: {error}. They are marked 'not sent' in Letters; the drafts are saved for "
        "a later try.",
    ),
    "no_libreoffice": (
        "未安装 LibreOffice，函件只生成了 Word 文件，没有 PDF。",
        "LibreOffice is not installed: the letters are Word files only, without PDFs.",
    ),
    "pdf_not_made": (
        "有 {count} 封函件没有转成 PDF：{error}",
        "{count} letters were not converted to PDF: {error}",
    ),
    "kpi_unknown_target": (
        "绩效目标中的指标代码“{value}”不存在，这一行未使用。可用的代码见“使用说明”的指标公式一节。",
        "The KPI code '{value}' in Targets does not exist; the row is not used. The codes are listed with "
        "their formulas in the Guide.",
    ),
    "kpi_no_target": (
        "看板指标没有目标：{value}。请在“绩效目标”中为它们填写达标值和预警值，否则状态显示为“无目标”。",
        "Scorecard KPIs without a target: {value}. Add their green and amber values in Targets; until then "
        "their status shows 'no target'.",
    ),
    "decision_not_found": (
        "有 {count} 条确认/否决所指的收款或账单已不在表中，这些决定未使用。请核对“对账结果”。",
        "{count} confirm / reject decisions name a payment or bill that is no longer there and were not used. "
        "Check the Reconciliation table.",
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
        "客户 {customer} 的用量为负数（{value}），该客户本期不出新账单。请核对抄表读数；若换过表，请在“换表”列填“是”。",
        "Customer {customer}'s usage is negative ({value}); the customer gets no new bill this run. Check the "
        "readings; if the meter was replaced, enter yes in 'Meter changed'.",
    ),
    "unknown_customer": (
        "客户编号 {value} 不在“客户”表中，该行不出账。请先建立客户档案，或改正客户编号。",
        "Customer {value} is not in the Customers table; this row is not billed. Add the customer first or "
        "correct the ID.",
    ),
    "duplicate_usage": (
        "客户 {customer} 在账期 {period} 的收费标准 {value} 有重复的抄表行，该客户本期不出新账单，以免重复收费。"
        "请删除重复行；换表时把两块表的用量合并为一行。",
        "Customer {customer} has more than one usage row for tariff {value} in period {period}; the customer gets "
        "no new bill, so nothing is charged twice. Delete the duplicate; after a meter change, enter the two "
        "meters' usage as one row.",
    ),
    "import_no_file": (
        "没有选择要导入的文件。请点导入按钮选择对账单，或在命令行写明文件：feedesk import payments 文件 工作簿.xlsm。",
        "No file to import was chosen. Click the import button and pick the statement, or name it on the command "
        "line: feedesk import payments FILE Book.xlsm.",
    ),
    "import_unknown_profile": (
        "没有名为“{value}”的导入方案。可用的方案：{known}。请在“导入方案”中登记，或改用其中之一。",
        "There is no import profile named '{value}'. Known profiles: {known}. Record it in Import profiles or use "
        "one of these.",
    ),
    "no_proposal": (
        "“收费标准”中没有拟调整的版本（“拟调整”为是，或生效日期晚于截止日期），调价影响全部为零。请先录入拟调整的价格。",
        "Tariffs has no proposed version (Proposed = yes, or a start after the as-of date), so every impact is "
        "zero. Enter the proposed prices first.",
    ),
    "peer_tiers_unusable": (
        "城市“{value}”的阶梯不完整或上限重复，无法比较，已跳过。请检查该城市各阶梯的上限和单价。",
        "The tiers of '{value}' are incomplete or repeat a bound, so the city was left out. Check its tier bounds "
        "and prices.",
    ),
    "bills_kept": (
        "客户 {value} 本期已有 {count} 张账单（按费用项目分开），出账作业保留它们，不重新出账。",
        "Customer {value} already has {count} bills this period (one per fee item); the bill run keeps them and "
        "does not bill the customer again.",
    ),
    "reading_went_back": (
        "客户 {customer} 的本期读数 {value} 低于上期读数 {previous}，该客户本期不出新账单。请核对读数；"
        "若换过表，请在“换表”列填“是”。",
        "Customer {customer}'s current reading {value} is below the previous {previous}; the customer gets no new "
        "bill this run. Check the readings; if the meter was replaced, enter yes in 'Meter changed'.",
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
    "tariff_vat_rate": (
        "收费标准“{tariff}”的增值税率 {value} 不在 0 到 1 之间。税率 13% 请填 13% 或 0.13，不要填 13。",
        "Tariff '{tariff}': VAT rate {value} is not between 0 and 1. Enter 13% as 13% or 0.13, not 13.",
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
    # --- statement imports (feedesk/statements.py); the sheet is the file, the row its line ---
    "statement_unreadable": (
        "无法读取对账单文件“{file}”（{why}）。请从银行或支付平台重新下载，另存为 CSV 或 Excel（.xlsx）后再导入。",
        "The statement file '{file}' cannot be read ({why}). Download it again from the bank or payment platform, "
        "save it as CSV or Excel (.xlsx), then import it.",
    ),
    "statement_wrong_kind": (
        "“{file}”不是导入方案“{profile}”对应的对账单：前 30 行里找不到表头 {missing}。请选择与文件相符的导入方案；"
        "如果文件里这些列换了名字，请在导入方案表中把目标列对应到文件里的表头。",
        "'{file}' is not a statement of import profile '{profile}': the header(s) {missing} are not in its first "
        "30 lines. Choose the profile that fits the file; if the file names these columns differently, map them in "
        "the Import profiles table.",
    ),
    "statement_bad_amount": (
        "“{column}”的“{value}”不是金额，这一笔已导入但金额为空。请核对原文件（可重新导出），再在表中填上正确金额。",
        "'{value}' in '{column}' is not an amount; the line was imported with the amount blank. Check the original "
        "file (export it again if needed) and enter the correct amount.",
    ),
    "statement_bad_date": (
        "“{column}”的“{value}”不是可识别的日期，这一笔已导入但日期为空。请核对原文件后在表中填上日期（如 2026-03-02）。",
        "'{value}' in '{column}' is not a date FeeDesk can read; the line was imported with the date blank. Check "
        "the original file and enter the date (e.g. 2026-03-02).",
    ),
    "statement_blank": (
        "这一行的“{column}”是空的，无法对账。请核对原文件，在表中补上。",
        "'{column}' is blank on this line, so it cannot be reconciled. Check the original file and fill it in.",
    ),
    "statement_duplicate_id": (
        "“{column}”中的编号“{value}”在文件中出现了两次（第 {first_row} 行已有）。同一笔可能被导出了两遍："
        "请核对后删除重复的一行。",
        "ID '{value}' in '{column}' appears twice in the file (first on line {first_row}). The same transaction may "
        "have been exported twice: check and delete the duplicate line.",
    ),
    "statement_total_mismatch": (
        "文件中的“{column}”为 {value}，而导入的明细合计为 {parsed}（相差 {difference}）。文件可能不完整或有行没有读出："
        "请先处理本文件的其他问题；若没有其他问题，请重新导出完整的对账单。",
        "The file's '{column}' says {value}, but the lines imported add up to {parsed} (a difference of "
        "{difference}). The file may be incomplete or some lines were not read: deal with the file's other problems "
        "first; if there are none, export the complete statement again.",
    ),
    "statement_fee_unlinked": (
        "这一行是手续费 {amount} 元（交易号“{value}”），但文件中找不到对应的收款，未计入任何收款。请查看该收款是否在"
        "另一份对账单中，并在收款记录中手工填写它的手续费。",
        "This line is a fee of {amount} (trade '{value}'), but the payment it belongs to is not in the file, so it "
        "was not added to any payment. Look for that payment in another statement and enter its fee in Payments "
        "by hand.",
    ),
    "statement_row_skipped": (
        "这一行（“{column}”为“{value}”）不是收款、退款或手续费，未导入。如果它应当算作收款，请在收款记录中手工录入。",
        "This line ('{column}' is '{value}') is not a payment, refund or fee and was not imported. If it should count "
        "as a payment, enter it in Payments by hand.",
    ),
    "statement_balance_break": (
        "这一行的余额 {value} 与上一笔余额加减本笔金额（{expected}）对不上。对账单可能缺了行或被改动过："
        "请重新导出完整的对账单后再导入。",
        "The balance on this line, {value}, does not follow from the previous balance and this line's amount "
        "({expected}). The statement may be missing lines or have been edited: export the complete statement "
        "again and import it.",
    ),
    "statement_column_missing": (
        "文件中没有“{column}”列，“{target}”将留空。如果文件里这一列叫别的名字，请在导入方案表中为方案“{profile}”对应它。",
        "The file has no '{column}' column, so '{target}' stays blank. If the file calls that column something else, "
        "map it for profile '{profile}' in the Import profiles table.",
    ),
    "statement_id_as_number": (
        "“{column}”的编号“{value}”在文件里存成了数字，超过 15 位的部分可能已被 Excel 改成 0。请让银行导出为文本格式，"
        "或按原始凭证核对这个编号。",
        "The ID '{value}' in '{column}' is stored as a number in the file, so Excel may have turned digits beyond the "
        "15th into zeros. Ask for a text export, or check the ID against the original record.",
    ),
    "statement_bad_row": (
        "这一行有 {fields} 个字段，而表头只有 {expected} 列（可能是商品名称或附言中有逗号），未导入。请在原文件或商户平台"
        "核对这一笔，并在表中手工录入。",
        "This line has {fields} fields but the header has {expected} columns (a comma inside a description?), so it "
        "was not imported. Check this transaction in the original file or on the platform and enter it by hand.",
    ),
    "statement_no_rows": (
        "“{file}”中找到了表头，但没有交易明细。请确认导出的日期范围是否正确。",
        "'{file}' has the header but no transaction lines. Check the date range of the export.",
    ),
    "profile_bad_kind": (
        "导入方案“{profile}”的“导入到”是“{value}”，无法识别，该方案未使用。请从下拉列表中选择：{allowed}。",
        "Import profile '{profile}' imports into '{value}', which is not known, so the profile was not used. Pick "
        "one from the drop-down: {allowed}.",
    ),
    "profile_bad_target": (
        "导入方案“{profile}”的目标列“{value}”不是该表的列，这一行未使用。请填写以下列名之一：{allowed}。",
        "Import profile '{profile}': target column '{value}' is not a column of that table, so this row was not "
        "used. Enter one of: {allowed}.",
    ),
    "profile_bad_encoding": (
        "导入方案“{profile}”的编码“{value}”无法识别，已改用自动识别。常用编码：gbk、gb18030、utf-8。",
        "Import profile '{profile}': encoding '{value}' is not known; FeeDesk detects the encoding instead. Common "
        "ones: gbk, gb18030, utf-8.",
    ),
    # hostile input
    "damaged_part": (
        "“{file}”已损坏，无法读取（{error}）。文件未被改动。请用 Excel 打开它（Excel 会提示修复）并另存为新的工作簿，"
        "或改用备份文件（.bak），再运行。",
        "'{file}' is damaged and cannot be read ({error}). The file was not changed. Open it in Excel (which offers "
        "to repair it) and save it as a new workbook, or use the backup (.bak), then run again.",
    ),
    "zip_bomb": (
        "“{file}”中的 {part} 解压后有 {size} 字节（压缩时只有 {packed} 字节），这是“压缩炸弹”，FeeDesk 拒绝读取，文件未被改动。"
        "请改用原来的工作簿或备份文件（.bak），不要打开来历不明的文件。",
        "In '{file}', part {part} would inflate to {size} bytes from {packed}: a zip bomb. FeeDesk refuses to read "
        "it; the file was not changed. Use the original workbook or the backup (.bak), and do not open files of "
        "unknown origin.",
    ),
    "xml_bomb": (
        "“{file}”中的 {part} 含有 DTD 或实体定义（“XML 炸弹”就是这样做的），Excel 从不写这种内容，FeeDesk 拒绝读取，"
        "文件未被改动。请改用原来的工作簿或备份文件（.bak），不要打开来历不明的文件。",
        "In '{file}', part {part} declares a DTD or entities (as an 'XML bomb' does); Excel never writes them, so "
        "FeeDesk refuses to read it and the file was not changed. Use the original workbook or the backup (.bak), "
        "and do not open files of unknown origin.",
    ),
    "sheet_beyond_excel": (
        "工作表“{sheet}”中有单元格 {cell}，超出了 Excel 的上限（1,048,576 行、16,384 列，最后一格是 XFD1048576）。"
        "工作簿已损坏或被改动过，FeeDesk 拒绝读取，文件未被改动。请改用原来的工作簿或备份文件（.bak）。",
        "Sheet '{sheet}' has a cell at {cell}, beyond Excel's limit of 1,048,576 rows and 16,384 columns (the last "
        "cell is XFD1048576). The workbook is damaged or was tampered with, so FeeDesk refuses to read it; the file "
        "was not changed. Use the original workbook or the backup (.bak).",
    ),
    "sheet_too_large": (
        "工作表“{sheet}”的使用区域一直延伸到单元格 {cell}（约 {cells} 个单元格），远大于其中的表格，读取它会耗尽内存。"
        "请在 Excel 中删除表格右侧和下方多余的单元格（按 Ctrl+End 可找到最后一个单元格），保存后再运行。",
        "The used area of sheet '{sheet}' reaches cell {cell} (about {cells} cells), far beyond its table; reading "
        "it would run out of memory. In Excel, delete the stray cells right of and below the table (Ctrl+End shows "
        "the last one), save, and run again.",
    ),
    "letter_template_failed": (
        "函件模板 {template} 无法使用：{error}。本批函件一封也没有生成。请改用 templates 文件夹中原来的模板，"
        "模板中只使用“使用说明”列出的字段。",
        "Letter template {template} cannot be used: {error}. No letter of this batch was written. Use the "
        "original template from the templates folder, with only the fields the Guide lists.",
    ),
    "merged_cells": (
        "{value} 是合并单元格：合并后只有左上角的单元格有值，其余单元格按空白读取。请取消合并，并在每一行填写各自的值。",
        "{value} are merged cells: only the top-left cell of a merge holds the value, the others read as blank. "
        "Unmerge them and fill in each row's own value.",
    ),
    # saving faults: save_no_space and save_denied are the reason inside save_failed's {error}
    "save_no_space": (
        "“{folder}”所在的磁盘空间不足或超出了配额（{error}），请在该磁盘上腾出至少 {needed} 的空间",
        "the disk holding '{folder}' is full or over its quota ({error}); free at least {needed} on it",
    ),
    "save_denied": (
        "没有写入文件夹“{folder}”的权限，或者文件正被其他程序（杀毒软件、网盘同步、Excel）占用（{error}），"
        "请确认您能写入该文件夹并关闭占用文件的程序",
        "you may not write to the folder '{folder}', or another program (antivirus, a sync client, Excel) holds the "
        "file ({error}); make sure you can write to the folder and close that program",
    ),
    "folder_read_only": (
        "“{file}”所在的文件夹“{folder}”不允许写入，结果无法保存，作业没有运行，文件未被改动。请把工作簿复制到可写的文件夹"
        "（例如“文档”）再运行，或请管理员开放该文件夹的写入权限。",
        "The folder '{folder}' holding '{file}' cannot be written to, so no results could be saved; the job did not "
        "run and the file is unchanged. Copy the workbook to a folder you can write to (such as Documents) and run "
        "it there, or ask your administrator for write access to the folder.",
    ),
    # found by fuzzing
    "setting_out_of_range": (
        "设置项“{setting}”的值“{value}”超出了允许的范围（{low} 至 {high}）。请在控制台的设置表中改正后重新运行。",
        "Setting '{setting}' is '{value}', outside what it may be ({low} to {high}). Correct it in the settings "
        "table on the Control sheet and run again.",
    ),
    "bill_date_out_of_range": (
        "账期 {value} 的账单日期或到期日（账期结束后一天，再加缴费期限 {days} 天）晚于 Excel 能表示的最后一天 9999-12-31。"
        "请在控制台的设置表中改正账期或缴费期限。",
        "The bill date or due date of period {value} (the day after it ends, plus {days} days to pay) falls after "
        "9999-12-31, the last day Excel has. Correct the period or the days to pay in the settings table on the "
        "Control sheet.",
    ),
    "pay_by_out_of_range": (
        "截止日期 {value} 加上缴费期限 {days} 天，晚于 Excel 能表示的最后一天 9999-12-31，函件的缴费期限无法填写。"
        "请在控制台的设置表中改正截止日期或缴费期限。",
        "The as-of date {value} plus {days} days to pay falls after 9999-12-31, the last day Excel has, so the "
        "letters cannot give a date to pay by. Correct the as-of date or the days to pay in the settings table on "
        "the Control sheet.",
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
