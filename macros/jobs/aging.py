"""Aging and dunning: open items as of the as-of date -> Aging, Aging summary and Customer
balances; the next reminder for each customer in arrears -> Dunning. Both read what paid each
bill from Allocations (made by Reconcile), or the Bills' paid amounts before any reconciliation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from feedesk import aging, dunning, latefees, problems
from macros import runner
from macros.jobs import settings_in_range
from workbook import layout, registry


def aged_items(book) -> tuple[pd.DataFrame | None, list[problems.Problem], dict]:
    """The aging's items with late fees and customer details, or None when the job cannot run."""
    lang = book.lang
    settings = book.settings()
    bills = book.read("Bills")
    allocations = book.read("Allocations")
    customers = book.read("Customers")
    rule_rows = book.read("LateFeeRules")
    found = list(book.read_problems) + runner.require_settings(book, "AsOfDate") + \
        settings_in_range(book, "AsOfDate")
    if problems.has_blocking(found):
        return None, found, {}
    as_of = settings.as_of
    opened = aging.open_items(bills, allocations, as_of, lang, book.sheet_name("Bills"))
    found += _with_headers(opened.problems, "Bills", lang)
    rules, rule_problems = latefees.rules_from_table(rule_rows, lang, book.sheet_name("LateFeeRules"))
    found += _with_headers(rule_problems, "LateFeeRules", lang)
    items = opened.items
    aged = aging.bucket_open_items(items, as_of, settings.aging_bounds, settings.aging_basis, lang)
    # Late fees on the open bills: from the original amount and what paid it when (Allocations),
    # else on the open amount as it stands (Bills' paid amounts carry no dates).
    is_bill = (aged["Kind"] == "bill").to_numpy() & (aged["Open"].to_numpy() > 0)
    owing = aged[is_bill]
    fee_items = bills.set_index("BillID").reindex(owing["BillID"].to_numpy(object))
    fee_bills = pd.DataFrame({
        "BillID": owing["BillID"].to_numpy(object), "CustomerID": owing["CustomerID"].to_numpy(object),
        "FeeItem": fee_items["FeeItem"].to_numpy(object) if "FeeItem" in fee_items else None,
        "DueDate": owing["DueDate"].to_numpy("datetime64[s]"),
        "Amount": pd.array((owing["Amount"] if opened.source == "allocations" else owing["Open"]).to_numpy(np.int64),
                           dtype="Int64"),
    })
    if opened.source == "allocations":
        paying = allocations[allocations["Kind"].isin(["payment", "writeoff"])
                             & allocations["BillID"].isin(fee_bills["BillID"])]
        paid = pd.DataFrame({"BillID": paying["BillID"].to_numpy(object),
                             "PaidDate": paying["AllocDate"].to_numpy("datetime64[s]"),
                             "Amount": paying["Amount"].astype("Int64")})
    else:
        paid = pd.DataFrame({"BillID": pd.Series(dtype=object), "PaidDate": pd.Series(dtype="datetime64[s]"),
                             "Amount": pd.Series(dtype="Int64")})
    info = customers.drop_duplicates("CustomerID").set_index("CustomerID")
    types = info["CustomerType"] if "CustomerType" in info else pd.Series(dtype=object)
    fees = latefees.bill_late_fees(fee_bills, paid, types, rules, as_of)
    late = fees.set_index("BillID")["LateFee"].astype("Int64")
    aged["LateFee"] = late.reindex(aged["BillID"].to_numpy(object)).fillna(0).to_numpy(np.int64)
    for key in ("Name", "CustomerType", "Region", "Officer"):
        aged[key] = info[key].reindex(aged["CustomerID"].to_numpy(object)).to_numpy(object) if key in info else None
    return aged, found, {"source": opened.source, "customers": customers, "as_of": as_of}


def _with_headers(found, table: str, lang: str) -> list[problems.Problem]:
    """Core problems name columns by key; the officer sees the header of the workbook's language."""
    import dataclasses

    spec = layout.table(table)
    out = []
    seen = set()
    for problem in found:
        if (problem.sheet, problem.row, problem.column, problem.code) in seen:
            continue
        seen.add((problem.sheet, problem.row, problem.column, problem.code))
        try:
            header = spec.column(problem.column).header(lang) if problem.column else problem.column
        except KeyError:
            header = problem.column
        out.append(dataclasses.replace(problem, column=header))
    return out


def _aging_frame(aged: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "CustomerID": aged["CustomerID"].to_numpy(object), "Name": aged["Name"].to_numpy(object),
        "BillID": aged["BillID"].to_numpy(object), "Kind": aged["Kind"].to_numpy(object),
        "BillDate": aged["BillDate"], "DueDate": aged["DueDate"],
        "DaysOverdue": pd.array(aged["DaysOverdue"].to_numpy(np.int64), dtype="Int64"),
        "Bucket": aged["Bucket"].to_numpy(object),
        "Amount": pd.array(aged["Amount"].to_numpy(np.int64), dtype="Int64"),
        "Paid": pd.array(aged["Paid"].to_numpy(np.int64), dtype="Int64"),
        "OpenAmount": pd.array(aged["Open"].to_numpy(np.int64), dtype="Int64"),
        "LateFee": pd.array(aged["LateFee"].to_numpy(np.int64), dtype="Int64"),
        "CustomerType": aged["CustomerType"].to_numpy(object), "Region": aged["Region"].to_numpy(object),
        "Officer": aged["Officer"].to_numpy(object),
    }).sort_values(["CustomerID", "DueDate", "BillID"], kind="stable", na_position="last").reset_index(drop=True)


def customer_balances(aged: pd.DataFrame, bounds, lang: str) -> pd.DataFrame:
    """One row per customer: not yet due, overdue, credit, balance, late fee, the oldest item."""
    open_amount = aged["Open"].to_numpy(np.int64)
    overdue = (open_amount > 0) & (aged["DaysOverdue"].to_numpy(np.int64) > 0)
    frame = pd.DataFrame({
        "CustomerID": aged["CustomerID"].to_numpy(object),
        "NotDue": np.where((open_amount > 0) & ~overdue, open_amount, 0),
        "Overdue": np.where(overdue, open_amount, 0),
        "Credit": np.where(open_amount < 0, -open_amount, 0),
        "LateFee": aged["LateFee"].to_numpy(np.int64),
        "OldestDays": np.where(open_amount > 0, aged["DaysOverdue"].to_numpy(np.int64), 0),
    })
    per = frame.groupby("CustomerID", sort=True).agg(
        NotDue=("NotDue", "sum"), Overdue=("Overdue", "sum"), Credit=("Credit", "sum"), LateFee=("LateFee", "sum"),
        OldestDays=("OldestDays", "max"), Items=("NotDue", "size")).reset_index()
    per["Balance"] = per["NotDue"] + per["Overdue"] - per["Credit"]
    labels = np.array(aging.bucket_labels(bounds, lang), dtype=object)
    per["OldestBucket"] = labels[aging.bucket_index(per["OldestDays"].to_numpy(np.int64), bounds)]
    first = aged.drop_duplicates("CustomerID").set_index("CustomerID")
    out = pd.DataFrame({"CustomerID": per["CustomerID"].to_numpy(object)})
    for key in ("Name", "CustomerType", "Region", "Officer"):
        out[key] = first[key].reindex(out["CustomerID"]).to_numpy(object)
    for key in ("NotDue", "Overdue", "Credit", "Balance", "LateFee", "OldestDays"):
        out[key] = pd.array(per[key].to_numpy(np.int64), dtype="Int64")
    out["OldestBucket"] = per["OldestBucket"].to_numpy(object)
    out["Items"] = pd.array(per["Items"].to_numpy(np.int64), dtype="Int64")
    order = np.lexsort((out["CustomerID"].to_numpy(object).astype(str), -per["Overdue"].to_numpy(np.int64)))
    return out.iloc[order].reset_index(drop=True)


def run(book) -> runner.Report:
    job = registry.job("aging")
    lang = book.lang
    settings = book.settings()
    aged, found, context = aged_items(book)
    if aged is None or problems.has_blocking(found):
        return runner.Report(job.key, problems=tuple(found))
    book.progress(1, 3, book.sheet_name("Aging"))
    summary = aging.summarise(aged, context["customers"], settings.aging_bounds, lang)
    balances = customer_balances(aged, settings.aging_bounds, lang)
    book.write("Aging", _aging_frame(aged))
    book.write("AgingSummary", summary.drop(columns=["BucketIndex"]).assign(
        Amount=lambda f: pd.array(f["Amount"].to_numpy(np.int64), dtype="Int64"),
        Items=lambda f: pd.array(f["Items"].to_numpy(np.int64), dtype="Int64")))
    book.write("AgingCustomers", balances)
    book.progress(3, 3, "")
    open_amount = aged["Open"].to_numpy(np.int64)
    counts = {
        "rows": len(aged), "items": len(aged), "customers": int(balances["CustomerID"].nunique()),
        "open_fen": int(open_amount[open_amount > 0].sum()), "credit_fen": int(-open_amount[open_amount < 0].sum()),
        "overdue_fen": int(balances["Overdue"].sum()), "late_fee_fen": int(aged["LateFee"].sum()),
        "from_allocations": int(context["source"] == "allocations"),
    }
    return runner.Report(job.key, counts=counts, problems=tuple(found),
                         written=("Aging", "AgingSummary", "AgingCustomers"))


def run_dunning(book) -> runner.Report:
    job = registry.job("dunning")
    lang = book.lang
    policy = book.read("DunningPolicy")
    letters = book.read("Letters")
    complaints = book.read("Complaints")
    aged, found, context = aged_items(book)
    if aged is None or problems.has_blocking(found):
        return runner.Report(job.key, problems=tuple(found))
    book.progress(1, 2, book.sheet_name("Dunning"))
    proposals = dunning.propose(aged, context["customers"], policy, letters, complaints, context["as_of"], lang)
    book.write("Dunning", proposals)
    book.progress(2, 2, "")
    proposed = proposals[proposals["Status"] == "proposed"]
    counts = {"rows": len(proposals), "proposed": len(proposed),
              "skipped": int((proposals["Status"] == "skipped").sum()),
              "overdue_fen": int(proposed["OpenAmount"].fillna(0).sum())}
    for level, number in proposed["Level"].value_counts().sort_index().items():
        counts[f"level_{int(level)}"] = int(number)
    return runner.Report(job.key, counts=counts, problems=tuple(found), written=("Dunning",))
