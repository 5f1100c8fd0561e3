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
)

JOBS_BY_KEY = {job.key: job for job in JOBS}


def job(key: str) -> Job:
    normal = key.replace("-", "_").lower()
    for candidate in JOBS:
        if candidate.key == normal or candidate.sub.lower() == normal:
            return candidate
    raise KeyError(key)
