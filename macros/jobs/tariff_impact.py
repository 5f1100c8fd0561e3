"""Tariff impact: the proposed tariff (rows marked proposed, or a version taking effect after
the as-of date) applied to the last 12 months of usage next to the tariff in force -> Impact;
and our typical monthly bills against other cities' -> PeerComparison."""

from __future__ import annotations

import pandas as pd

from feedesk import billing, impact, problems, tariffs
from macros import runner
from macros.jobs import settings_in_range
from workbook import layout, registry


def run(book) -> runner.Report:
    job = registry.job("tariff_impact")
    settings = book.settings()
    lang = book.lang
    tariff_frame = book.read("Tariffs")
    customers = book.read("Customers")
    usage = book.read("Usage")
    peers = book.read("PeerTariffs")
    found = list(book.read_problems) + runner.require_settings(book, "AsOfDate", "Period") + \
        settings_in_range(book, "AsOfDate", "Period", "NoticeRate")
    if settings.period is None or settings.as_of is None or problems.has_blocking(found):
        return runner.Report(job.key, problems=tuple(found))
    versions, tariff_problems = tariffs.compile_tariffs(tariff_frame, lang, book.sheet_name("Tariffs"))
    found += tariff_problems
    usage_sheet = book.sheet_name("Usage")
    changing = {v.code for v in versions if impact.is_proposal(v, settings.as_of)}
    if not changing:
        found.append(problems.make("no_proposal", lang, sheet=book.sheet_name("Tariffs"),
                                   severity=problems.WARNING))
    months = impact.last_months(billing.with_household_and_year(usage, customers), settings.period)
    months = months[months["TariffCode"].isin(changing)]  # the bills the proposal changes
    book.progress(1, 4, book.sheet_name("Impact"))
    in_force = impact.as_of_pricing(versions, settings.as_of, False)
    current_lines, line_problems = tariffs.charge_lines(in_force, months, lang=lang, sheet=usage_sheet)
    proposed_lines, _ = tariffs.charge_lines(impact.as_of_pricing(versions, settings.as_of, True), months,
                                             lang=lang, sheet=usage_sheet)
    found += line_problems
    type_labels = {c.code: c.label(lang) for c in layout.CUSTOMER_TYPES}
    table = impact.compare(impact.per_customer(current_lines), impact.per_customer(proposed_lines), customers,
                           settings.notice_rate, lang, type_labels)
    table["Scope"] = table["Scope"].astype(object)
    book.write("Impact", table)

    book.progress(3, 4, book.sheet_name("PeerComparison"))
    comparisons = []
    as_of_period = f"{settings.as_of.year:04d}-{settings.as_of.month:02d}"
    for fee_item in impact.PROFILES:
        profile = impact.our_profile_usage(in_force, as_of_period, fee_item)
        lines, _ = tariffs.charge_lines(in_force, profile, lang=lang, sheet=usage_sheet)
        label = billing.FEE_LABELS[fee_item][0 if lang == "zh" else 1]
        peer, unusable = impact.peer_bills(peers, fee_item, settings.as_of)
        for row, city in unusable:
            found.append(problems.make("peer_tiers_unusable", lang, sheet=book.sheet_name("PeerTariffs"), row=row,
                                       column=layout.table("PeerTariffs").column("City").header(lang), value=city))
        comparisons.append(impact.comparison(impact.per_customer(lines), peer, fee_item, lang, label))
    book.write("PeerComparison", pd.concat(comparisons, ignore_index=True))
    book.progress(4, 4, "")
    total = table.iloc[0]
    counts = {"customers": int(total["Customers"]), "rows": len(months), "change_fen": int(total["Change"]),
              "notices": int((table["Scope"] == "notice").sum())}
    return runner.Report(job.key, counts=counts, problems=tuple(found), written=("Impact", "PeerComparison"))
