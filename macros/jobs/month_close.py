"""The month's close: validate, bill run, bill audit, reconcile, aging, dunning, KPIs and letters
in order on one open workbook, saved once at the end.

Each step reads what the steps before it wrote (the bill run's bills feed the reconciliation,
its allocations the aging, the aging the dunning, the dunning the letters) without a save in
between; a table is read from the file once. Blocking problems found by validation stop the
close before any step writes a result: only the Problems list, the Audit rows and the summary
are written, so the officer sees what to fix. A step that fails stops the close and nothing
is saved: a month is closed whole or not at all. Every step appends its own Audit row; the
Control sheet's summary table says what each step did, with its counts and money, its
problems and where the letters are.
"""

from __future__ import annotations

import dataclasses
import time

import pandas as pd

from feedesk import money, problems
from macros import runner
from workbook import layout, registry

STEPS = ("validate", "bill_run", "bill_audit", "reconcile", "aging", "dunning", "kpi", "letters")

# The money a step's summary row shows, and its counts worth a word (zh, en), in this order.
AMOUNT_COUNT = {"bill_run": "amount_fen", "reconcile": "allocated_fen", "aging": "open_fen",
                "dunning": "overdue_fen"}
COUNT_WORDS = {
    "tables": ("表", "tables"), "bills": ("账单", "bills"), "lines": ("明细", "lines"), "held": ("暂缓", "held"),
    "amount_fen": ("应收", "billed"), "findings": ("审核发现", "findings"), "receipts": ("收款", "receipts"),
    "matched": ("已匹配", "matched"), "suggested": ("待确认", "to confirm"), "exceptions": ("例外", "exceptions"),
    "allocated_fen": ("已核销", "applied"), "credit_fen": ("预收", "credit"), "unmatched_fen": ("未匹配", "unmatched"),
    "ledger_unexplained_fen": ("总账差异未解释", "GL variance unexplained"), "items": ("未清项", "open items"),
    "customers": ("客户", "customers"), "open_fen": ("未收", "open"), "overdue_fen": ("逾期", "overdue"),
    "late_fee_fen": ("滞纳金", "late fees"), "proposed": ("建议催缴", "proposed"), "skipped": ("暂不催缴", "held back"),
    "kpis": ("指标", "KPIs"), "green": ("达标", "green"), "amber": ("接近", "amber"), "red": ("未达标", "red"),
    "letters": ("函件", "letters"), "pdf": ("PDF", "PDFs"), "email": ("邮件", "e-mails"), "sent": ("已发送", "sent"),
    "sms_phone": ("短信/电话", "SMS/phone"),
}


def run(book) -> runner.Report:
    job = registry.job("month_close")
    digest = book.params.get("digest", "")
    done: list[runner.Report] = []
    found: list[problems.Problem] = []
    for number, key in enumerate(STEPS, start=1):
        step = registry.job(key)
        book.read_problems = []  # each step reports the problems of the tables it reads
        started = time.perf_counter()
        with book.stage(number, len(STEPS), step.label(book.lang)):
            result = runner.resolve(step)(book)  # an exception stops the close; the runner saves nothing
        seconds = round(time.perf_counter() - started, 3)
        step_problems = tuple(dataclasses.replace(p, job=key) for p in result.problems)
        status = "problems" if problems.has_blocking(step_problems) else "ok"
        report = dataclasses.replace(result, job=key, problems=step_problems, status=status, seconds=seconds)
        book.append("Audit", runner.audit_frame(key, digest, status, result.counts, len(step_problems), seconds,
                                                _words(report, book.lang)))
        done.append(report)
        found.extend(step_problems)
        if key == "validate" and status == "problems":
            break
    book.write("CloseSummary", summary_frame(done, book.lang))
    stopped = len(done) < len(STEPS)
    counts = {"steps": len(done), "rows": sum(int(r.counts.get("rows", 0)) for r in done)}
    for key in ("amount_fen", "allocated_fen", "open_fen", "letters"):
        for report in done:
            if key in report.counts:
                counts[key] = int(report.counts[key])
    note = _stopped_note(book.lang) if stopped else next(
        (r.note for r in done if r.job == "letters" and r.note), "")
    return runner.Report(job.key, counts=counts, problems=tuple(found), note=note,
                         written=tuple(dict.fromkeys(w for r in done for w in r.written)) + ("CloseSummary",),
                         steps=tuple(done))


def summary_frame(done: list[runner.Report], lang: str) -> pd.DataFrame:
    """One row per step of the close, the steps not run included (status skipped)."""
    by_key = {report.job: report for report in done}
    rows = []
    for number, key in enumerate(STEPS, start=1):
        report = by_key.get(key)
        amount_key = AMOUNT_COUNT.get(key)
        rows.append({
            "Step": number,
            "Job": registry.job(key).label(lang),
            "Detail": _words(report, lang) if report else ("因数据检查发现错误未运行" if lang == "zh"
                                                          else "not run: validation found errors"),
            "Status": report.status if report else "skipped",
            "Seconds": report.seconds if report else None,
            "Rows": int(report.counts.get("rows", 0)) if report else None,
            "Amount": int(report.counts[amount_key]) if report and amount_key in report.counts else None,
            "Errors": report.errors if report else None,
            "Warnings": report.warnings if report else None,
        })
    frame = pd.DataFrame(rows, columns=layout.CLOSE_TABLE.keys)
    return frame.astype({"Step": "Int64", "Rows": "Int64", "Amount": "Int64", "Errors": "Int64",
                         "Warnings": "Int64", "Seconds": "float64"})


def _words(report: runner.Report, lang: str) -> str:
    """A step's counts in words: "账单 100,000；应收 ¥1,234,567.00；…" and where its files are."""
    parts = []
    for key, (zh, en) in COUNT_WORDS.items():
        if key not in report.counts:
            continue
        value = int(report.counts[key])
        shown = money.format_yuan(value) if key.endswith("_fen") else f"{value:,}"
        parts.append(f"{zh} {shown}" if lang == "zh" else f"{en} {shown}")
    text = ("；" if lang == "zh" else "; ").join(parts)
    if report.job == "letters" and report.note:
        text += ("；文件：" if lang == "zh" else "; files: ") + report.note
    return text


def _stopped_note(lang: str) -> str:
    return ("数据检查发现错误，月结在出账前停止：请按“问题清单”改正后重新运行。" if lang == "zh" else
            "Validation found errors; the close stopped before the bill run. Fix them (see Problems) and run it again.")
