"""The one registry of jobs that exist. The CLI, the demo, the Control sheet's job list and
buttons, the Guide and the VBA Subs are all generated from it, so a job appears everywhere
when it lands here and nothing ever points at a job that is not built.

It lives in `workbook` (not `macros`) because the builder needs it and imports point one
way; the job functions are named by dotted path and resolved by `macros.runner`.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Job:
    key: str  # CLI name and the name in the Audit log
    sub: str  # VBA Sub name
    entry: str  # "module:function" taking a Book, returning a Report
    zh: str  # button label
    en: str
    about_zh: str
    about_en: str
    steps_zh: tuple[str, ...]
    steps_en: tuple[str, ...]
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    asks_for_file: bool = False  # its button first asks the officer to pick a file (ImportFile)
    prints: str = ""  # a sheet `feedesk run JOB BOOK --pdf OUT.pdf` prints after the job

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def about(self, lang: str) -> str:
        return self.about_zh if lang == "zh" else self.about_en

    def steps(self, lang: str) -> tuple[str, ...]:
        return self.steps_zh if lang == "zh" else self.steps_en


INPUTS = ("Settings", "Tariffs", "Customers", "Usage", "Bills", "Payments", "BankStatement", "GL",
          "Complaints", "PeerTariffs", "LateFeeRules", "DunningPolicy", "Targets", "Templates", "ImportProfiles")

JOBS: tuple[Job, ...] = (
    Job(
        key="validate",
        sub="Validate",
        entry="macros.jobs.validate:run",
        zh="检查数据",
        en="Validate",
        about_zh="检查所有输入表：缺列、空的必填项、金额里的文字、日期格式、重复编号、下拉列表以外的值、"
                 "找不到的客户或收费标准。发现的问题写入“问题清单”。",
        about_en="Checks every input table: missing columns, blank required cells, text in amounts, date "
                 "formats, duplicate IDs, values outside their lists, unknown customers or tariffs. "
                 "Problems go to the Problems sheet.",
        steps_zh=(
            "在控制台的设置表中填好截止日期和账期。",
            "把客户、收费标准、抄表、账单、收款、银行流水等数据粘贴到各自的工作表（中文或英文表头都可以）。",
            "点“检查数据”按钮（或在命令行运行 feedesk run validate 工作簿.xlsm）。",
            "打开“问题清单”，按“行号”和“列”找到单元格，按“说明及处理办法”改正。",
            "再运行一次，直到没有“错误”。“提醒”不影响后续作业。",
        ),
        steps_en=(
            "Fill in the as-of date and the period in the settings table on the Control sheet.",
            "Paste customers, tariffs, readings, bills, payments and bank lines into their sheets "
            "(Chinese or English headers both work).",
            "Click 'Validate' (or run 'feedesk run validate Book.xlsm').",
            "Open the Problems sheet; find each cell by its row and column and fix it as the message says.",
            "Run it again until no errors remain. Warnings do not stop later jobs.",
        ),
        reads=INPUTS,
        writes=("Problems",),
    ),
    Job(
        key="bill_run",
        sub="BillRun",
        entry="macros.jobs.bill_run:run",
        zh="出账",
        en="Bill run",
        about_zh="按设置的账期，用客户、抄表用量和收费标准计算账单：每个客户一张账单，每个阶梯、每个收费项目一行明细。"
                 "重新运行会替换本账期的账单，不会重复出账。",
        about_en="Bills the settings' period from customers, usage and tariffs: one bill per customer, one line per "
                 "tier and component. Running it again replaces the period's bills; it never bills twice.",
        steps_zh=(
            "在控制台设置账期（如 2026-03），先运行“检查数据”改正错误。",
            "确认“收费标准”中本期适用的版本（生效日期、阶梯上限、单价）。",
            "点“出账”。账单写入“账单”，明细写入“账单明细”。",
            "没有抄表或收费标准的客户不会出账，原因列在“问题清单”中；补齐后重新出账即可。",
        ),
        steps_en=(
            "Set the period on the Control sheet (e.g. 2026-03) and run Validate first, fixing its errors.",
            "Check the tariff versions in force this period (effective dates, tier bounds, prices).",
            "Click 'Bill run'. Bills go to the Bills sheet, their lines to Bill lines.",
            "Customers without readings or a tariff get no bill; the Problems sheet says why. Fix and run again.",
        ),
        reads=("Settings", "Tariffs", "Customers", "Usage", "Bills"),
        writes=("Bills", "BillLines"),
    ),
    Job(
        key="bill_audit",
        sub="BillAudit",
        entry="macros.jobs.bill_audit:run",
        zh="账单审核",
        en="Bill audit",
        about_zh="审核本账期的账单和抄表：读数倒退或负用量、在用客户零用量、用量突增（超过近 6 个月中位数 3 倍）、"
                 "缺少抄表、重复账单、与现行收费标准重算金额不符。结果写入“账单审核”。",
        about_en="Audits the period's bills and readings: readings going back or negative usage, zero usage of an "
                 "active customer, spikes (over 3x the median of the last 6 months), missing readings, duplicate "
                 "bills, amounts that differ from a recomputation. Findings go to Bill audit.",
        steps_zh=(
            "出账后点“账单审核”。",
            "在“账单审核”中按“原因代码”逐条核对，说明列写明了要查什么。",
            "改正抄表或收费标准后重新出账，再审核一次，直到只剩已确认的情况。",
        ),
        steps_en=(
            "After the bill run, click 'Bill audit'.",
            "Go through Bill audit by reason; the explanation says what to check.",
            "Correct readings or tariffs, run the bill run again and audit again until only confirmed cases remain.",
        ),
        reads=("Settings", "Tariffs", "Customers", "Usage", "Bills"),
        writes=("BillAudit",),
    ),
    Job(
        key="tariff_impact",
        sub="TariffImpact",
        entry="macros.jobs.tariff_impact:run",
        zh="调价影响",
        en="Tariff impact",
        about_zh="把拟调整的收费标准（“拟调整”标为是，或生效日期晚于截止日期的版本）套用到近 12 个月的用量上，"
                 "与现行标准比较：收入变化合计、按客户类别和片区、账单变化分布、上涨超过阈值需发调价通知的客户；"
                 "并按典型月用量与周边城市比较居民账单。",
        about_en="Applies the proposed tariff (rows marked proposed, or a version taking effect after the as-of "
                 "date) to the last 12 months of usage next to the tariff in force: revenue change in total, by "
                 "customer type and region, the spread of bill changes, customers whose bill rises past the "
                 "notice threshold; and compares typical residential bills with other cities'.",
        steps_zh=(
            "在“收费标准”中录入拟调整的版本：每个阶梯一行，“拟调整”填“是”（或填将来的生效日期）。",
            "在“同业价格”中录入周边城市的阶梯价格。",
            "在控制台设置“调价通知阈值”（如 10%），点“调价影响”。",
            "在“调价影响”中查看合计和各分组的变化；“需通知客户”一行一户，可用于发送调价通知。",
            "在“同业比较”中查看典型用量下的账单对比和图表。",
        ),
        steps_en=(
            "Enter the proposed version in Tariffs: one row per tier, Proposed = yes (or a future effective date).",
            "Enter other cities' tiers and prices in Peer tariffs.",
            "Set the price-notice threshold on the Control sheet (e.g. 10%) and click 'Tariff impact'.",
            "Read the totals and segments in Impact; 'customer to notify' rows list who gets a price-change notice.",
            "Peer comparison shows typical bills side by side, with a chart.",
        ),
        reads=("Settings", "Tariffs", "Customers", "Usage", "PeerTariffs"),
        writes=("Impact", "PeerComparison"),
    ),
    Job(
        key="import_payments",
        sub="ImportPayments",
        entry="macros.jobs.import_statement:import_payments",
        zh="导入收款",
        en="Import payments",
        about_zh="把微信支付交易账单、支付宝账务明细（csv 或 zip）导入“收款记录”。按收款编号去重，重复导入不会重复记录；"
                 "退款记为负数，支付宝手续费并入对应收款；文件末尾的合计行用来核对。",
        about_en="Imports WeChat Pay trade bills and Alipay account statements (csv or zip) into Payments. Rows are "
                 "keyed by payment ID, so importing a file twice adds nothing twice; refunds become negative, "
                 "Alipay fees join their payment; the file's own totals are checked.",
        steps_zh=(
            "从微信支付商户平台或支付宝下载对账单（不要用 Excel 打开后另存）。",
            "点“导入收款”，选择文件（或命令行 feedesk import payments 文件 工作簿.xlsm）。",
            "新记录追加到“收款记录”；合计不符、金额或日期有误的行列在“问题清单”。",
            "其他格式：在“导入方案”中登记列对应关系，命令行用 --profile 方案名称。",
        ),
        steps_en=(
            "Download the statement from the WeChat Pay merchant platform or Alipay (don't re-save it in Excel).",
            "Click 'Import payments' and pick the file (or: feedesk import payments FILE Book.xlsm).",
            "New rows are added to Payments; mismatched totals and bad amounts or dates go to Problems.",
            "Other layouts: record the column mapping in Import profiles; on the command line use --profile NAME.",
        ),
        reads=("Settings", "Payments", "ImportProfiles"),
        writes=("Payments",),
        asks_for_file=True,
    ),
    Job(
        key="import_bank",
        sub="ImportBank",
        entry="macros.jobs.import_statement:import_bank",
        zh="导入银行流水",
        en="Import bank lines",
        about_zh="把网上银行导出的交易明细（csv 或 xlsx，GBK 或 UTF-8）导入“银行流水”。按交易流水号去重；"
                 "表头前的说明行和表尾的合计行自动跳过并用于核对。",
        about_en="Imports online-banking transaction exports (csv or xlsx, GBK or UTF-8) into Bank statement. "
                 "Keyed by transaction ID; lines above the header and total lines below are skipped and checked.",
        steps_zh=(
            "从网上银行导出交易明细。",
            "点“导入银行流水”，选择文件（或命令行 feedesk import bank 文件 工作簿.xlsm）。",
            "新流水追加到“银行流水”；问题列在“问题清单”。",
        ),
        steps_en=(
            "Export the transaction details from online banking.",
            "Click 'Import bank lines' and pick the file (or: feedesk import bank FILE Book.xlsm).",
            "New lines are added to Bank statement; problems go to the Problems sheet.",
        ),
        reads=("Settings", "BankStatement", "ImportProfiles"),
        writes=("BankStatement",),
        asks_for_file=True,
    ),
    Job(
        key="reconcile",
        sub="Reconcile",
        entry="macros.jobs.reconcile:run",
        zh="对账",
        en="Reconcile",
        about_zh="把收款与银行流水、账单、财务总账逐一核对：微信支付、支付宝、柜台每天的收款对上银行到账（扣除手续费）；"
                 "每笔收款按附言中的账单编号或客户编号、客户+金额、一笔缴多单、分次缴费、付款人户名、仅金额、容差等规则"
                 "找到账单，每条匹配写明规则、可信度和依据；款项按“指明账单优先、否则先欠先还”冲抵账单，多缴作为预存；"
                 "未对上、疑似重复、多缴少缴、渠道未到账等列入异常清单并附建议；台账与总账逐期核对并说明差异。",
        about_en="Reconciles collections with the bank, the bills and finance's GL: each day's WeChat Pay, Alipay and "
                 "counter receipts against the bank credit that settles them, net of fees; each payment to its bills "
                 "by bill or customer ID in the reference, customer and amount, one payment for several bills, "
                 "instalments, payer name, amount alone and tolerance, every match with its rule, score and reason; "
                 "money applied to the named bill first, else the oldest, overpayments held as credit; what is left "
                 "(unmatched, suspected duplicates, over- and underpayments, missing settlements) listed with an "
                 "action; the ledger's receivable balance against the GL per period, the variance explained.",
        steps_zh=(
            "导入本期的收款记录和银行流水，在“财务总账”中填入财务的应收账款余额；设置截止日期。",
            "点“对账”（或命令行 feedesk run reconcile 工作簿.xlsm）。",
            "在“对账结果”中查看每笔收款的匹配；状态为“待确认”的，在“处理”列选择“确认”或“否决”，再点一次“对账”。"
            "已确认的匹配保持不变，否决的不会再提出。",
            "按“异常清单”的建议处理未对上的款项、疑似重复和多缴少缴；“渠道到账”列出每天的到账和手续费。",
            "“三方核对”列出每个账期台账与总账的差异及原因；“核销分配”是每张账单的冲抵明细。",
        ),
        steps_en=(
            "Import the period's payments and bank lines, enter finance's receivable balances in GL; set the as-of "
            "date.",
            "Click 'Reconcile' (or: feedesk run reconcile Book.xlsm).",
            "Reconciliation shows each payment's match. For 'suggested' ones choose confirm or reject in Decision and "
            "click 'Reconcile' again: confirmed matches stay as they are, rejected ones are not proposed again.",
            "Work through Exceptions by their suggested actions; Settlements shows each day's settlement and fees.",
            "Ledger check shows each period's difference between the ledger and the GL and why; Allocations shows "
            "what paid each bill.",
        ),
        reads=("Settings", "Customers", "Bills", "Payments", "BankStatement", "GL", "Reconciliation"),
        writes=("Reconciliation", "Allocations", "Exceptions", "Settlements", "LedgerCheck"),
    ),
    Job(
        key="aging",
        sub="Aging",
        entry="macros.jobs.aging:run",
        zh="账龄分析",
        en="Aging",
        about_zh="按截止日期列出每张未结清账单和每笔预存：逾期天数（按到期日或账单日期，见设置）、账龄段（段数和天数由"
                 "“账龄分段”设置）、未收金额和滞纳金；按片区、责任干事、客户类别汇总，并列出每个客户的欠费。"
                 "已收金额取自“核销分配”（对账生成），截止日期之后的收款不计入，所以过去某一天的账龄可以原样重算；"
                 "尚未对账时取账单的“已收金额”。",
        about_en="Lists every open bill and credit as of the as-of date: days overdue (from the due date or the bill "
                 "date, a setting), the bucket (from the aging buckets setting), the open amount and the late fee; "
                 "totals by region, officer and customer type, and each customer's balance. What was paid comes from "
                 "Allocations (made by Reconcile), ignoring payments after the as-of date, so the aging of a past day "
                 "is reproduced exactly; before any reconciliation, from the Bills' paid amounts.",
        steps_zh=(
            "先运行“对账”，让“核销分配”反映最新的收款。",
            "在控制台设置截止日期、账龄起算（到期日或账单日）和账龄分段（如 0,30,60,90,180,365）。",
            "在“滞纳金规则”中按客户类别、费用项目填写日费率（当年、往年）、宽限天数、最低金额和上限。",
            "点“账龄分析”。“账龄”为明细，“账龄汇总”为分组合计和图表（颜色越深占比越高），“客户欠费”按逾期金额排序。",
        ),
        steps_en=(
            "Run Reconcile first so that Allocations reflect the latest payments.",
            "Set the as-of date, what to age from (due date or bill date) and the buckets (e.g. 0,30,60,90,180,365).",
            "Fill in Late fee rules by customer type and fee item: daily rates (this year, earlier years), grace "
            "days, minimum and cap.",
            "Click 'Aging'. Aging has the items, Aging summary the totals and the chart (darker is a larger share), "
            "Customer balances the customers by overdue amount.",
        ),
        reads=("Settings", "Customers", "Bills", "Allocations", "LateFeeRules"),
        writes=("Aging", "AgingSummary", "AgingCustomers"),
    ),
    Job(
        key="dunning",
        sub="Dunning",
        entry="macros.jobs.aging:run_dunning",
        zh="催缴",
        en="Dunning",
        about_zh="按“催缴策略”为每个逾期客户提出下一级催缴：在本轮欠费中已发出的最高级别之后的一级（函件记录中的级别），"
                 "最早一张账单逾期满该级天数、逾期欠费（扣除预存）不低于该级最低金额时提出；级别不跳过、不重复。"
                 "已缴清的不催；豁免客户（困难减免、重点客户）和有未办结账单争议的客户列出原因，暂不催缴。",
        about_en="Proposes each overdue customer's next reminder from the Dunning policy: the level after the highest "
                 "one already sent for these arrears (from the Letters log), once the oldest bill is that many days "
                 "overdue and the overdue amount less credit reaches the level's minimum; levels are never skipped or "
                 "sent twice. Paid customers are not chased; exempt customers (hardship, VIP) and those with an open "
                 "billing dispute are listed with the reason and held back.",
        steps_zh=(
            "在“催缴策略”中设置各级的逾期天数、最低欠费、方式和模板。",
            "豁免的客户在“客户”的“豁免”列注明；账单争议在“投诉”中登记并标为争议账单。",
            "点“催缴”。“催缴清单”中“建议催缴”的行由函件作业生成函件；发出的函件记入“函件”，下次催缴据此升级。",
        ),
        steps_en=(
            "Set each level's days overdue, minimum arrears, channel and template in Dunning policy.",
            "Mark exempt customers in Customers' Exemption column; record billing disputes in Complaints.",
            "Click 'Dunning'. The proposed rows of Dunning are what the letters job sends; letters sent are logged in "
            "Letters, and the next dunning run escalates from there.",
        ),
        reads=("Settings", "Customers", "Bills", "Allocations", "LateFeeRules", "DunningPolicy", "Letters",
               "Complaints"),
        writes=("Dunning",),
    ),
    Job(
        key="kpi",
        sub="KPI",
        entry="macros.jobs.kpi:run",
        zh="绩效指标",
        en="KPIs",
        about_zh="计算本账期的绩效指标：收费率（含/不含往期欠费）、DSO（标准法和倒推法）、最佳 DSO、平均拖欠天数、"
                 "催收有效性指数 CEI、当期占比、欠费率、坏账率、账单准确率、按时缴费率、争议率、投诉数量与办结天数、"
                 "满意度、对账匹配率、未对上金额、催缴函件数和催缴见效率；总体及按片区、责任干事、客户类别，"
                 "与“绩效目标”比较（绿/黄/红），与上期、去年同期比较；记入“绩效历史”；并做客户分析。"
                 "“绩效看板”汇总主要指标、趋势图和账龄图，可直接打印或导出 PDF。",
        about_en="Computes the period's KPIs: collection rate (with and without arrears), DSO (standard and count-back), "
                 "best possible DSO, average days delinquent, collection effectiveness index, % current, arrears "
                 "ratio, bad-debt ratio, billing accuracy, on-time rate, dispute rate, complaints and days to resolve, "
                 "satisfaction, reconciliation match rate, unmatched value, dunning letters and cure rate; overall and "
                 "by region, officer and customer type, against Targets (green / amber / red), last period and last "
                 "year; records them in KPI history; analyses customers. The Scorecard sheet shows the headline KPIs, "
                 "trends and aging, ready to print or export as PDF.",
        steps_zh=(
            "先完成本期的出账、对账、账龄分析和催缴。",
            "在“绩效目标”中为各指标填写方向、达标值和预警值（指标代码见本说明的指标公式一节）。",
            "点“绩效指标”。结果写入“绩效指标”“绩效历史”和“客户分析”；“绩效看板”自动更新。",
            "命令行 feedesk run kpi 工作簿.xlsm --pdf 看板.pdf 同时导出看板 PDF；--from 2026-01 可补算历史各期。",
        ),
        steps_en=(
            "Finish the period's bill run, reconciliation, aging and dunning first.",
            "Fill in Targets: direction, green and amber values per KPI (codes in the KPI formulas section below).",
            "Click 'KPIs'. Results go to KPI, KPI history and Customer analysis; the Scorecard updates itself.",
            "On the command line, feedesk run kpi Book.xlsm --pdf scorecard.pdf also prints the Scorecard; "
            "--from 2026-01 fills in the history for earlier periods.",
        ),
        reads=("Settings", "Customers", "Bills", "Allocations", "Complaints", "Reconciliation", "Exceptions",
               "Letters", "Targets", "KPIHistory"),
        writes=("KPI", "KPIHistory", "CustomerAnalysis"),
        prints="Scorecard",
    ),
    Job(
        key="letters",
        sub="Letters",
        entry="macros.jobs.letters:run",
        zh="生成函件",
        en="Letters",
        about_zh="按“催缴清单”中建议催缴的客户生成函件（或用命令行 --kind statement 为有欠费的客户生成对账单，"
                 "--kind price_change 为“调价影响”中需通知的客户生成调价通知，--kind complaint_reply 为近 30 天办结的投诉"
                 "生成答复函）："
                 "每封一个 Word 文件，另有一个合并文件便于打印，安装了 LibreOffice 时同时生成 PDF；"
                 "邮件方式的生成邮件草稿（附 PDF），设置“发送邮件”为“是”时通过邮件服务器发送；短信和电话方式生成清单。"
                 "每封函件记入“函件”，催缴作业据此升级。",
        about_en="Makes the letters for the customers Dunning proposes (or, on the command line, --kind statement: a "
                 "statement for every customer with a balance; --kind price_change: a price-change notice for every "
                 "customer Impact lists to notify; --kind complaint_reply: a reply to each complaint resolved in the "
                 "last 30 days): a Word file each, one combined file for printing, "
                 "PDFs when LibreOffice is installed; mail drafts with the PDF for the e-mail channel, sent through "
                 "the mail server when 'Send e-mail' is yes; lists for SMS and phone. Every letter is logged in "
                 "Letters, which the dunning job escalates from.",
        steps_zh=(
            "先运行“账龄分析”和“催缴”。",
            "在“模板”表中确认各模板的文件；可在 Word 中修改模板文字，字段用 {{ }} 标出，不要改字段名。",
            "在控制台设置函件文件夹、发件人和邮件服务器；“发送邮件”为“否”时只生成草稿。",
            "点“生成函件”。文件保存在函件文件夹中按日期命名的子文件夹；结果记入“函件”。",
        ),
        steps_en=(
            "Run Aging and Dunning first.",
            "Check the template files in Templates; edit their wording in Word, keeping the {{ }} field names.",
            "Set the letters folder, sender and mail server on the Control sheet; with 'Send e-mail' no, only "
            "drafts are written.",
            "Click 'Letters'. Files go to a dated folder inside the letters folder; Letters logs each one.",
        ),
        reads=("Settings", "Customers", "Dunning", "Aging", "Bills", "Allocations", "Impact", "Tariffs", "Complaints",
               "Templates", "Letters"),
        writes=("Letters",),
    ),
    Job(
        key="month_close",
        sub="MonthClose",
        entry="macros.jobs.month_close:run",
        zh="一键月结",
        en="Month's close",
        about_zh="按顺序运行检查数据、出账、账单审核、对账、账龄分析、催缴、绩效指标和生成函件，最后保存一次。"
                 "检查数据发现错误时在出账前停止；某一步失败时什么都不保存。控制台下方的“本次月结”表列出每一步的"
                 "数量、金额、问题和函件位置，运行日志每步一行。",
        about_en="Runs validate, bill run, bill audit, reconcile, aging, dunning, KPIs and letters in order and saves "
                 "once at the end. Errors found by validation stop it before the bill run; a failing step saves "
                 "nothing. The 'Last month's close' table on the Control sheet lists each step's counts, money, "
                 "problems and where the letters are; the Audit log gets a row per step.",
        steps_zh=(
            "在设置中填好截止日期和账期，粘贴本月的抄表、收款和银行流水。",
            "点“一键月结”（或 feedesk run month-close 工作簿.xlsm）。",
            "看控制台的“本次月结”表：每一步的结果、数量和金额；“有问题”的步骤到“问题清单”按作业筛选。",
            "检查数据报错时月结不会出账：改正后再运行一次。",
            "函件在表中写明的文件夹里；对账结果里“待确认”的匹配请在“处理意见”列确认或驳回，下次运行会保留。",
        ),
        steps_en=(
            "Set the as-of date and the period; paste the month's readings, payments and bank lines.",
            "Click 'Month's close' (or run 'feedesk run month-close Book.xlsm').",
            "Read the 'Last month's close' table on the Control sheet: each step's result, counts and money; filter "
            "the Problems sheet by job for a step marked 'problems'.",
            "If validation finds errors, nothing is billed: fix them and run it again.",
            "The letters are in the folder the table names; confirm or reject suggested matches in "
            "Reconciliation's Decision column, the next run keeps your decisions.",
        ),
        reads=INPUTS + ("BillLines", "Reconciliation", "Letters", "KPIHistory"),  # the steps' reads, in order
        writes=("Bills", "BillLines", "BillAudit", "Reconciliation", "Allocations", "Exceptions", "Settlements",
                "LedgerCheck", "Aging", "AgingSummary", "AgingCustomers", "Dunning", "KPI", "KPIHistory",
                "CustomerAnalysis", "Letters", "CloseSummary"),
        prints="Scorecard",
    ),
)

JOBS_BY_KEY = {job.key: job for job in JOBS}


def job(key: str) -> Job:
    normal = key.replace("-", "_").lower()
    for candidate in JOBS:
        if candidate.key == normal or candidate.sub.lower() == normal:
            return candidate
    raise KeyError(key)
