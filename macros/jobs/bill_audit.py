"""The bill audit: the period's bills and readings checked for what an officer must look at
before the bills go out -> BillAudit, one finding per row with a reason and an explanation."""

from __future__ import annotations

import pandas as pd

from feedesk import auditing, billing, problems, tariffs
from macros import runner
from macros.jobs import settings_in_range
from workbook import registry


def run(book) -> runner.Report:
    job = registry.job("bill_audit")
    settings = book.settings()
    lang = book.lang
    period = settings.period
    customers = book.read("Customers")
    usage = book.read("Usage")
    bills = book.read("Bills")
    tariff_frame = book.read("Tariffs")
    found = list(book.read_problems) + runner.require_settings(book, "Period") + settings_in_range(book, "Period")
    if period is None or problems.has_blocking(found):
        return runner.Report(job.key, problems=tuple(found))
    book.progress(1, 3, book.sheet_name("Bills"))
    versions, tariff_problems = tariffs.compile_tariffs(tariff_frame, lang, book.sheet_name("Tariffs"))
    found += tariff_problems
    expected = billing.expected_amounts(versions, usage, customers, period, lang, book.sheet_name("Usage"),
                                        book.sheet_name("Customers"))
    book.progress(2, 3, book.sheet_name("BillAudit"))
    findings = pd.concat([
        auditing.meter_rollbacks(usage, period, lang),
        auditing.zero_usage(usage, customers, period, lang),
        auditing.spikes(usage, period, lang),
        auditing.missing_readings(usage, customers, period, lang),
        auditing.duplicate_bills(bills, period, lang),
        auditing.amount_mismatches(bills, expected, period, lang),
    ], ignore_index=True)
    book.write("BillAudit", findings)
    book.progress(3, 3, "")
    counts = {"findings": len(findings), "bills": int((bills["Period"] == period).sum()), "rows": len(usage)}
    for reason, number in findings["Reason"].value_counts().items():
        counts[reason] = int(number)
    return runner.Report(job.key, counts=counts, problems=tuple(found), written=("BillAudit",))
