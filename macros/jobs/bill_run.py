"""The bill run: Customers x Usage x Tariffs for the settings' period -> Bills and BillLines.

One bill per customer and period, its ID made from the period and the customer (so a re-run
finds and replaces it, never duplicates it), one line per tier or component so the customer
can read how it adds up. A customer without a valid tariff or reading gets a Problem, never
a zero bill.
"""

from __future__ import annotations

from feedesk import billing, problems, tariffs
from macros import runner
from macros.jobs import settings_in_range
from workbook import layout, registry


def run(book) -> runner.Report:
    job = registry.job("bill_run")
    settings = book.settings()
    lang = book.lang
    book.progress(0, 4, book.sheet_name("Tariffs"))
    tariff_frame = book.read("Tariffs")
    customers = book.read("Customers")
    usage = book.read("Usage")
    bills = book.read("Bills")
    old_lines = book.read("BillLines")
    found = list(book.read_problems) + runner.require_settings(book, "Period") + \
        settings_in_range(book, "Period", "PaymentDueDays")
    if settings.period is None or problems.has_blocking(found):
        return runner.Report(job.key, problems=tuple(found))
    try:
        billing.bill_dates(settings.period, settings.payment_due_days)
    except OverflowError:
        found.append(problems.make("bill_date_out_of_range", lang, sheet=book.sheet_name("Settings"),
                                   column=layout.SETTINGS_BY_KEY["Period"].label(lang), value=settings.period,
                                   days=settings.payment_due_days))
        return runner.Report(job.key, problems=tuple(found))

    versions, tariff_problems = tariffs.compile_tariffs(tariff_frame, lang, book.sheet_name("Tariffs"))
    found += tariff_problems
    book.progress(1, 4, book.sheet_name("Usage"))
    usage_sheet = book.sheet_name("Usage")
    period_usage, usage_problems = billing.usage_for_period(usage, customers, settings.period, lang, usage_sheet,
                                                            book.sheet_name("Customers"))
    found += usage_problems
    lines, line_problems = tariffs.charge_lines(versions, period_usage, lang=lang, sheet=usage_sheet)
    found += line_problems
    book.progress(2, 4, book.sheet_name("Bills"))
    ids, several = billing.existing_ids(bills, settings.period)
    for customer in sorted(several):
        rows = bills[(bills["Period"] == settings.period) & (bills["CustomerID"] == customer)]
        found.append(problems.make("bills_kept", lang, sheet=book.sheet_name("Bills"), row=int(rows.index[0]),
                                   column=layout.table("Bills").column("CustomerID").header(lang), value=customer,
                                   count=len(rows), severity=problems.WARNING))
    held = billing.customers_with_problems(usage, found, usage_sheet) | several
    new_bills, new_lines = billing.make_bills(lines, period_usage, settings, held, ids, lang)
    all_bills = billing.replace_period(bills, new_bills, settings.period)
    all_lines = billing.replace_lines(old_lines, new_lines, settings.period)
    book.progress(3, 4, layout.table("BillLines").sheet_name(lang))
    book.write("Bills", all_bills)
    book.write("BillLines", all_lines)
    book.progress(4, 4, "")
    counts = {"bills": len(new_bills), "lines": len(new_lines), "rows": len(period_usage), "held": len(held),
              "amount_fen": int(new_bills["Amount"].sum()) if len(new_bills) else 0}
    return runner.Report(job.key, counts=counts, problems=tuple(found), written=("Bills", "BillLines"))
