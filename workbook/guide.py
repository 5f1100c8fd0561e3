"""The Guide sheet's text (使用说明), generated from the job registry and the layout so it
always describes the jobs and tables that exist."""

from __future__ import annotations

from workbook import layout, registry

_TEXT = {
    "title": ("FeeDesk 收费运营台 · 使用说明", "FeeDesk fee-operations desk · Guide"),
    "what": ("FeeDesk 是什么", "What FeeDesk does"),
    "what_body": (
        "FeeDesk 帮收费运营干事完成每月的工作：维护收费标准、出账和审核账单、把银行、微信支付、支付宝和柜台的收款"
        "与账单和财务总账核对、跟踪欠费和账龄、计算滞纳金、催缴、报送绩效指标、发送函件。数据都在这个工作簿的表格里；"
        "每项作业是控制台上的一个按钮，也可以用命令行 feedesk 在没有 Excel 的电脑上运行同样的作业。",
        "FeeDesk does the monthly work of a fee-operations officer: keep tariffs, run and audit bills, reconcile "
        "bank, WeChat Pay, Alipay and counter collections against bills and the finance ledger, follow arrears and "
        "aging, compute late fees, chase payment, report KPIs and send letters. The data lives in this workbook's "
        "tables; each job is a button on the Control sheet, and the same jobs run from the 'feedesk' command "
        "on a computer without Excel.",
    ),
    "order": ("每月工作顺序", "The month's order of work"),
    "order_body": (
        "控制台上的作业按月结顺序排列，从上到下依次点击。每个作业只读取输入表，把结果写到自己的输出表，"
        "并在“运行日志”追加一行；重复运行结果相同。",
        "The jobs on the Control sheet are in the order of a month's close: click them top to bottom. A job only "
        "reads input tables, writes its own output tables and appends one row to the Audit log; running it twice "
        "gives the same result.",
    ),
    "job": ("作业：", "Job: "),
    "sheets": ("工作表", "Sheets"),
    "inputs": ("输入表（由您填写或粘贴）", "Input tables (you fill or paste them)"),
    "outputs": ("输出表（由作业生成，请勿手工修改）", "Output tables (jobs write them; do not edit by hand)"),
    "settings": ("设置项（控制台）", "Settings (Control sheet)"),
    "kpis": ("绩效指标的公式", "The KPIs and their formulas"),
    "kpis_body": ("“绩效指标”表中的指标代码、名称和计算公式。比例以小数表示（0.95 即 95%）；无法计算时（例如本期没有销售）"
                  "数值留空并在说明中写明原因。",
                  "The codes, names and formulas of the KPI table. Ratios are fractions (0.95 is 95 %); a KPI that "
                  "cannot be computed (e.g. no sales in the period) is left blank with the reason in its note."),
    "scorecard": ("绩效看板：主要指标（颜色按目标：绿达标、黄预警、红未达标）、全部指标、收费率和 DSO 趋势、账龄分布；"
                  "均为公式，运行“绩效指标”后自动更新。",
                  "Scorecard: the headline KPIs (coloured by target: green met, amber warning, red missed), every "
                  "KPI, the collection-rate and DSO trends and the aging; all formulas, updated when 'KPIs' runs."),
    "rules": ("金额、日期和表头", "Amounts, dates and headers"),
    "rules_body": (
        (
            "金额按元填写，FeeDesk 内部按“分”精确计算，四舍五入到分，不会出现浮点误差。金额里不要写单位或文字；"
            "“¥1,234.56”这样的写法可以识别。",
            "日期请按 年-月-日 填写。2026-03-01、2026/3/1、2026年3月1日、20260301 都可以识别；3/1/2026 这种年份在后、"
            "月日顺序不明确的写法会被报告为问题。",
            "表头可以用中文或英文；多出的列会被忽略。表格名称（如 Customers、Bills）不要修改，公式和按钮靠它们找到表格。",
            "截止日期和账期取自设置表，作业不会使用电脑的当前日期，所以过去某天的结果可以原样重现。",
            "一张工作表最多 1,048,576 行。更长的表格（大户数的全年账单、抄表）接着写在“账单 (2)”“账单 (3)”……"
            "工作表上，表格名为 Bills_2、Bills_3……，列相同；作业把它们当作一张表读取。自己粘贴超过一张表的数据时，"
            "复制该工作表（Excel 会命名为“账单 (2)”），并把其中表格的名称改为 Bills_2。",
        ),
        (
            "Enter amounts in yuan; inside, FeeDesk computes in exact fen and rounds half-up to the fen, with no "
            "floating-point error. No units or words in amounts; '¥1,234.56' is understood.",
            "Write dates year first: 2026-03-01, 2026/3/1, 2026年3月1日 and 20260301 are all read; 3/1/2026, "
            "whose day and month could be swapped, is reported as a problem.",
            "Headers may be in Chinese or English; extra columns are ignored. Keep the table names (Customers, "
            "Bills ...): formulas and buttons find the tables by them.",
            "The as-of date and period come from the settings, never from the computer's clock, so a result for a "
            "past day can be reproduced exactly.",
            "A sheet holds 1,048,576 rows. A longer table (a large desk's year of bills or readings) continues on "
            "sheets 'Bills (2)', 'Bills (3)' ... holding tables Bills_2, Bills_3 ... with the same columns; jobs read "
            "them as one table. To paste more rows than a sheet holds, copy the sheet (Excel names the copy "
            "'Bills (2)') and rename its table to Bills_2.",
        ),
    ),
    "safety": ("出错时", "When something goes wrong"),
    "safety_body": (
        (
            "作业发现的问题写在“问题清单”中：工作表、行号、列、单元格内容和处理办法。“错误”必须改正，“提醒”仅供参考。",
            "保存是原子的：作业失败时工作簿不会被改动；每次保存前的版本保留为同一文件夹中的 *.bak.xlsm。",
            "工作簿在 Excel 中打开时，命令行作业会拒绝运行并提示先关闭；同一工作簿同时只能运行一个作业。",
        ),
        (
            "Problems go to the Problems sheet: sheet, row, column, cell value and what to do. Errors must be "
            "fixed; warnings are for information.",
            "Saving is atomic: a failed job leaves the workbook unchanged; the version before each save is kept "
            "as *.bak.xlsm in the same folder.",
            "While the workbook is open in Excel, command-line jobs refuse to run and ask you to close it; only one "
            "job runs on a workbook at a time.",
        ),
    ),
    "cli": ("命令行", "Command line"),
    "cli_body": (
        (
            "feedesk new 工作簿.xlsm --lang zh　新建空白工作簿（--lang en 为英文）",
            "feedesk run validate 工作簿.xlsm　运行一个作业（作业名见上）",
            "feedesk demo 文件夹　生成带示例数据的工作簿并运行所有作业",
            "feedesk jobs　列出所有作业",
        ),
        (
            "feedesk new Book.xlsm --lang en   new empty workbook (--lang zh for Chinese)",
            "feedesk run validate Book.xlsm   run one job (job names above)",
            "feedesk demo FOLDER   a workbook with sample data, every job run on it",
            "feedesk jobs   list the jobs",
        ),
    ),
}


def _t(key: str, lang: str):
    zh, en = _TEXT[key]
    return zh if lang == "zh" else en


def lines(lang: str) -> list[tuple[str, object]]:
    """(kind, text) lines: kind is title, section, text or step (text = (number, body))."""
    out: list[tuple[str, object]] = [("title", _t("title", lang))]
    out += [("section", _t("what", lang)), ("text", _t("what_body", lang))]
    out += [("section", _t("order", lang)), ("text", _t("order_body", lang))]
    for number, job in enumerate(registry.JOBS, start=1):
        out.append(("step", (f"{number}.", f"{job.label(lang)} — {job.about(lang)}")))
    for job in registry.JOBS:
        out += [("section", _t("job", lang) + job.label(lang)), ("text", job.about(lang))]
        out += [("step", (f"{n}.", step)) for n, step in enumerate(job.steps(lang), start=1)]
        reads = "、".join(layout.sheet_name(t, lang) for t in job.reads if t != "Settings")
        writes = "、".join(layout.sheet_name(t, lang) for t in job.writes)
        out.append(("text", (f"读取：{reads}。写入：{writes}。" if lang == "zh" else f"Reads: {reads}. Writes: {writes}.")))
    out.append(("section", _t("sheets", lang)))
    out.append(("text", _t("inputs", lang)))
    out += [("step", ("•", f"{t.sheet_name(lang)}（{t.key}）：{t.about_zh}" if lang == "zh"
                      else f"{t.sheet_name(lang)} ({t.key}): {t.about_en}")) for t in layout.INPUT_TABLES]
    out.append(("text", _t("outputs", lang)))
    in_use = {"Problems", "Audit"} | {t for job in registry.JOBS for t in job.writes}
    for spec in layout.OUTPUT_TABLES:
        about = spec.about_zh if lang == "zh" else spec.about_en
        if spec.key not in in_use:
            about = "后续版本的作业将写入此表" if lang == "zh" else "a job of a later version will write it"
        out.append(("step", ("•", f"{spec.sheet_name(lang)}（{spec.key}）：{about}" if lang == "zh"
                             else f"{spec.sheet_name(lang)} ({spec.key}): {about}")))
    close = layout.CLOSE_TABLE
    out.append(("step", ("•", f"{layout.CONTROL_SHEET[lang]}（{close.key}）：{close.about_zh}" if lang == "zh"
                         else f"{layout.CONTROL_SHEET[lang]} ({close.key}): {close.about_en}")))
    out.append(("text", _t("scorecard", lang)))
    out.append(("section", _t("settings", lang)))
    out += [("step", ("•", f"{s.label(lang)}：{s.note(lang)}" if lang == "zh" else f"{s.label(lang)}: {s.note(lang)}"))
            for s in layout.SETTINGS]
    from feedesk import kpi

    out += [("section", _t("kpis", lang)), ("text", _t("kpis_body", lang))]
    out += [("step", ("•", f"{d.code}　{d.zh}：{d.formula_zh}" if lang == "zh" else f"{d.code} — {d.en}: {d.formula_en}"))
            for d in kpi.DEFINITIONS]
    for key in ("rules", "safety", "cli"):
        out.append(("section", _t(key, lang)))
        out += [("text", text) for text in _t(key + "_body", lang)]
    return out
