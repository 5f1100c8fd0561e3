"""KPIs: the period's scorecard -> KPI (overall and by region, officer and customer type, against
targets, last period and last year), KPI history (one set per period, a re-run replaces it) and
Customer analysis. `params["from_period"]` fills the history from that period up to the
settings' period in one run (the demo does this)."""

from __future__ import annotations

from feedesk import dates, kpi, problems
from macros import runner
from macros.jobs import settings_in_range
from workbook import layout, registry

READS = ("Customers", "Bills", "Allocations", "Complaints", "Reconciliation", "Exceptions", "Letters", "Targets",
         "KPIHistory")


def periods_to_run(book, settings) -> list[str]:
    last = book.params.get("period") or settings.period
    first = book.params.get("from_period") or last
    first, last = dates.parse_period(first), dates.parse_period(last)
    out, period = [], first
    while period <= last and len(out) < 240:
        out.append(period)
        period = dates.shift_period(period, 1)
    return out


def run(book) -> runner.Report:
    job = registry.job("kpi")
    lang = book.lang
    settings = book.settings()
    tables = {key: book.read(key) for key in READS}
    found = list(book.read_problems) + runner.require_settings(book, "AsOfDate", "Period") + \
        settings_in_range(book, "AsOfDate", "Period")
    if problems.has_blocking(found):
        return runner.Report(job.key, problems=tuple(found))
    try:
        periods = periods_to_run(book, settings)
    except ValueError as error:
        found.append(problems.make("bad_period", lang, sheet=book.sheet_name("Settings"), value=str(error)))
        return runner.Report(job.key, problems=tuple(found))
    history = tables["KPIHistory"]
    result = None
    for n, period in enumerate(periods, start=1):
        book.progress(n, len(periods) + 1, f"{book.sheet_name('KPI')} {period}")
        as_of = min(settings.as_of, dates.period_end(period))
        computed = kpi.compute(tables, period, as_of, lang=lang)
        history = kpi.update_history(history, computed)
        result = computed
    targets, unknown = kpi.apply_targets(result, tables["Targets"])
    scored = kpi.apply_trends(targets, history)
    for code in unknown:
        found.append(problems.make("kpi_unknown_target", lang, sheet=book.sheet_name("Targets"),
                                   column=layout.table("Targets").column("KPI").header(lang), value=code,
                                   severity=problems.WARNING))
    missing = sorted(set(scored.loc[scored["Status"] == "none", "KPI"]) & set(layout.SCORECARD_TILES))
    if missing:
        found.append(problems.make("kpi_no_target", lang, sheet=book.sheet_name("Targets"),
                                   severity=problems.WARNING, value="、".join(missing) if lang == "zh" else
                                   ", ".join(missing)))
    analysis = kpi.customer_analysis(tables, periods[-1], min(settings.as_of, dates.period_end(periods[-1])), lang)
    book.write("KPI", scored[layout.table("KPI").keys])
    book.write("KPIHistory", history[layout.table("KPIHistory").keys])
    book.write("CustomerAnalysis", analysis[layout.table("CustomerAnalysis").keys])
    book.progress(1, 1, "")
    total = scored[scored["Scope"] == "total"]
    counts = {"rows": len(scored), "kpis": len(total), "periods": len(periods),
              "green": int((total["Status"] == "green").sum()), "amber": int((total["Status"] == "amber").sum()),
              "red": int((total["Status"] == "red").sum()), "history_rows": len(history)}
    return runner.Report(job.key, counts=counts, problems=tuple(found),
                         written=("KPI", "KPIHistory", "CustomerAnalysis"), note=", ".join(periods[-1:]))

