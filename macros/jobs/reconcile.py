"""Reconciliation: payments against the bank, the bills and finance's GL -> Reconciliation,
Allocations, Exceptions, Settlements and Ledger check. The officer's confirm / reject decisions
in Reconciliation are read back first, so a re-run keeps them."""

from __future__ import annotations

import numpy as np

from feedesk import problems, reconcile
from macros import runner
from macros.jobs import settings_in_range
from workbook import layout, registry

WRITES = ("Reconciliation", "Allocations", "Exceptions", "Settlements", "LedgerCheck")


def options_from(settings) -> reconcile.Options:
    return reconcile.Options(
        tolerance=int(settings.match_tolerance),
        window_days=int(settings.match_window_days),
        reference_pattern=settings.reference_pattern or reconcile.Options.reference_pattern,
        name_threshold=float(settings.name_threshold),
        passes=reconcile.parse_passes(settings.match_passes),
        stale_days=int(settings.stale_days),
    )


def run(book) -> runner.Report:
    job = registry.job("reconcile")
    lang = book.lang
    settings = book.settings()
    tables = {key: book.read(key) for key in ("Customers", "Bills", "Payments", "BankStatement", "GL",
                                              "Reconciliation")}
    found = list(book.read_problems) + runner.require_settings(book, "AsOfDate") + settings_in_range(
        book, "AsOfDate", "MatchTolerance", "MatchWindowDays", "NameThreshold", "StaleDays")
    if problems.has_blocking(found):
        return runner.Report(job.key, problems=tuple(found))  # nothing written on bad input
    as_of = settings.as_of
    result = reconcile.reconcile(
        tables["Bills"], tables["Payments"], tables["BankStatement"], tables["Customers"], as_of,
        options_from(settings), decisions=tables["Reconciliation"], lang=lang,
        progress=lambda done, total, text: book.progress(done, total + 1, book.sheet_name("Reconciliation")))
    payments = tables["Payments"]
    received = payments[payments["PaidDate"].to_numpy("datetime64[D]") <= np.datetime64(as_of, "D")]
    ledger = reconcile.ledger_check(tables["Bills"], received, tables["GL"], result.settlements,
                                    settings.gl_account or None, lang)
    book.write("Reconciliation", result.reconciliation)
    book.write("Allocations", result.allocations)
    book.write("Exceptions", result.exceptions)
    book.write("Settlements", result.settlements)
    book.write("LedgerCheck", ledger)
    book.progress(1, 1, "")
    if result.counts.get("stale_decisions"):
        found.append(problems.make("decision_not_found", lang, sheet=book.sheet_name("Reconciliation"),
                                   column=layout.table("Reconciliation").column("Decision").header(lang),
                                   severity=problems.WARNING, count=result.counts["stale_decisions"]))
    counts = dict(result.counts)
    counts["ledger_unexplained_fen"] = int(ledger["Unexplained"].fillna(0).abs().sum()) if len(ledger) else 0
    return runner.Report(job.key, counts=counts, problems=tuple(found), written=WRITES)
