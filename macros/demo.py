"""The demo: a master workbook filled with sample data, every job that exists run on it (the
month's steps as one month's close)."""

from __future__ import annotations

import dataclasses
import os
import time

from feedesk import reconcile, sample
from macros import runner
from macros.jobs import month_close
from workbook import build, filehost, registry

BOOK_NAME = "FeeDesk.xlsm"


def run(folder: str, customers: int = 2000, months: int = 12, lang: str = "zh", seed: int = 7,
        start: str = "2026-01", progress=None) -> list[runner.Report]:
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, BOOK_NAME)
    started = time.perf_counter()
    if progress:
        progress(0, 3, "sample data" if lang == "en" else "生成示例数据")
    data = sample.make(customers=customers, months=months, start_period=start, seed=seed, lang=lang)
    if progress:
        progress(1, 3, "workbook" if lang == "en" else "写入工作簿")
    build.build(path, lang, data.tables, data.settings, progress=progress)
    built = time.perf_counter() - started
    reports = [runner.Report("build", counts={"rows": sum(len(f) for f in data.tables.values())},
                             seconds=round(built, 3))]
    for job in registry.JOBS:
        if job.asks_for_file:  # imports need a statement export: `feedesk import` shows them
            continue
        if job.key in month_close.STEPS:  # these run as the steps of the month's close
            continue
        params = {"from_period": start} if job.key == "month_close" else None  # KPIs: fill every month's history
        report = runner.run_file(job.key, path, progress=progress, params=params)
        if job.key == "month_close" and report.status != "failed" and data.truth is not None:
            note = quality_note(path, data, lang)
            report = dataclasses.replace(report, steps=tuple(
                dataclasses.replace(step, note=note) if step.job == "reconcile" else step for step in report.steps))
        reports.append(report)
    return reports


def quality_note(path: str, data: sample.SampleBook, lang: str) -> str:
    """The reconciliation's automatic matches against what the sample generator knows."""
    with filehost.FileBook(path) as book:
        matched = book.read("Reconciliation")
    quality = reconcile.match_quality(matched, data.truth, data.tables["Bills"])
    if lang == "zh":
        return (f"自动匹配准确率 {quality.precision:.2%}（{quality.correct:,}/{quality.automatic:,}），"
                f"召回率 {quality.recall:.2%}（{quality.found:,}/{quality.payments:,}）")
    return (f"automatic matches: precision {quality.precision:.2%} ({quality.correct:,}/{quality.automatic:,}), "
            f"recall {quality.recall:.2%} ({quality.found:,}/{quality.payments:,})")
