"""Aging (账龄): what is open as of a date, and how long it has been due.

Open items come from the bills and what paid them as of the date: the reconciliation's
Allocations (payments and write-offs dated on or before the as-of date; later ones are ignored,
so an aging for a past date is reproduced exactly), or, before any reconciliation, the Bills'
own paid amounts. Credits (money held for a customer, credit notes) are open items too, with a
negative amount, in their own bucket. Days are counted from the due date or the bill date (a
setting) to the as-of date; buckets come from a list of upper bounds in days.
"""

from __future__ import annotations

import dataclasses
import datetime

import numpy as np
import pandas as pd

from feedesk import allocation, problems

CREDIT_BUCKET = -1  # the bucket index of credits


# ---------------------------------------------------------------------------------------------
# Buckets
# ---------------------------------------------------------------------------------------------

def bucket_index(days, bounds) -> np.ndarray:
    """Bucket of each day count: 0 for days <= bounds[0], k for bounds[k-1] < days <= bounds[k],
    len(bounds) beyond the last bound."""
    return np.searchsorted(np.asarray(bounds, dtype=np.int64), np.asarray(days, dtype=np.int64), side="left")


def bucket_labels(bounds, lang: str = "zh") -> list[str]:
    """Labels of the len(bounds) + 1 buckets: (0, 30, 60) -> 未到期, 1-30天, 31-60天, 60天以上."""
    zh = lang == "zh"
    bounds = [int(b) for b in bounds]
    labels = []
    for k, upper in enumerate(bounds):
        if k == 0:
            if upper == 0:
                labels.append("未到期" if zh else "not yet due")
            else:
                labels.append(f"{upper}天以内" if zh else f"up to {upper}")
        else:
            lower = bounds[k - 1] + 1
            labels.append(f"{lower}-{upper}天" if zh else f"{lower}-{upper}")
    labels.append(f"{bounds[-1]}天以上" if zh else f"over {bounds[-1]}")
    return labels


def credit_label(lang: str) -> str:
    return "预存/贷项" if lang == "zh" else "credit"


def days_between(start, end) -> np.ndarray:
    """Whole days from `start` to `end` (datetime64 arrays or dates), end - start."""
    start = np.asarray(start, dtype="datetime64[D]")
    end = np.asarray(end, dtype="datetime64[D]")
    return (end - start).astype(np.int64)


def days_overdue(due_date: datetime.date, as_of: datetime.date) -> int:
    """Days past the due date on `as_of` (0 when not yet due)."""
    return max(0, (as_of - due_date).days)


# ---------------------------------------------------------------------------------------------
# Open items
# ---------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class OpenItems:
    items: pd.DataFrame  # one row per open bill or credit, see `open_items`
    problems: tuple[problems.Problem, ...]
    source: str  # "allocations" or "bills" (the Bills' paid amounts)


ITEM_COLUMNS = ("CustomerID", "BillID", "Kind", "BillDate", "DueDate", "Amount", "Paid", "Open")


def open_items(bills: pd.DataFrame, allocations: pd.DataFrame | None, as_of: datetime.date, lang: str = "zh",
               sheet: str = "Bills") -> OpenItems:
    """Open bills and credits as of `as_of`.

    Bills dated after `as_of` and cancelled bills are left out. With Allocations, a bill's paid
    amount is its payments and write-offs dated on or before `as_of`, and each customer's credit
    the credit allocations so dated; without them, Bills.PaidAmount (which carries no dates). A
    bill with a negative amount is a credit note. Bad bills (due date before the bill date, a
    negative balance that is no credit note) are Problems naming the Bills row."""
    as_of_day = np.datetime64(as_of, "D")
    found: list[problems.Problem] = []
    # Column arrays; the bills kept are positions into them (no copy of the whole frame).
    bill_day = bills["BillDate"].to_numpy("datetime64[D]")
    all_ids = bills["BillID"].to_numpy(object)
    kept_mask = (bills["Amount"].notna().to_numpy() & ~np.isnat(bill_day) & (bill_day <= as_of_day)
                 & ~np.equal(bills["Status"].to_numpy(object), "cancelled"))  # a blank customer: dropped below
    kept = np.flatnonzero(kept_mask)
    rows = bills.index.to_numpy()[kept]
    bill_date = bill_day[kept]
    due = bills["DueDate"].to_numpy("datetime64[D]")[kept]
    amount = bills["Amount"].to_numpy(np.int64, na_value=0)[kept]
    early = np.flatnonzero(~np.isnat(due) & (due < bill_date))
    for k in early.tolist():
        found.append(problems.make("due_before_bill_date", lang, sheet=sheet, row=int(rows[k]), column="DueDate",
                                   value=str(due[k]), bill_date=str(bill_date[k])))
    use_allocations = allocations is not None and len(allocations) > 0
    if use_allocations:
        # Each allocation's bill looked up once among the bills kept (no sort, no second look-up).
        in_time = allocations["AllocDate"].to_numpy("datetime64[D]") <= as_of_day
        kind = allocations["Kind"].to_numpy(object)
        money_in = allocations["Amount"].to_numpy(np.int64, na_value=0)
        is_credit = np.equal(kind, "credit")  # the kinds are payment, writeoff, credit: one comparison
        paying = in_time & ~is_credit
        at = _bill_positions(all_ids, kept, allocations["BillID"].to_numpy(object), paying)
        found_bill = at >= 0
        paid = allocation.sum_by(at[found_bill], money_in[paying][found_bill], len(kept))
        crediting = in_time & is_credit
        credit = pd.Series(money_in[crediting]).groupby(
            allocations["CustomerID"].to_numpy(object)[crediting]).sum()
    else:
        paid = bills["PaidAmount"].to_numpy(np.int64, na_value=0)[kept]
        credit = pd.Series(dtype=np.int64)
    open_amount = amount - paid
    is_credit_note = amount < 0
    negative = np.flatnonzero((open_amount < 0) & ~is_credit_note)
    for k in negative.tolist():
        found.append(problems.make("negative_balance", lang, sheet=sheet, row=int(rows[k]), column="PaidAmount",
                                   severity=problems.WARNING, value=str(all_ids[kept[k]])))
    keep = np.flatnonzero((open_amount != 0) & ((open_amount > 0) | is_credit_note))
    customer_ids = bills["CustomerID"].to_numpy(object)[kept[keep]]
    named = ~pd.isna(customer_ids)  # a blank customer: checked on the open items only, the cheap side
    if not named.all():
        keep, customer_ids = keep[named], customer_ids[named]
    kind_of = np.full(len(keep), "bill", dtype=object)
    kind_of[is_credit_note[keep]] = "credit_note"
    due_or_billed = np.where(np.isnat(due[keep]), bill_date[keep], due[keep])
    had_credit = len(credit) > 0
    credit = credit[credit != 0] if had_credit else credit
    if len(credit) and len(keep):  # bills and credits: the columns built whole, in their final types
        day = np.datetime64(as_of, "D")
        owed = -credit.to_numpy(np.int64)
        items = pd.DataFrame({
            "CustomerID": pd.array(np.concatenate([customer_ids, credit.index.to_numpy(object)]), dtype="str"),
            "BillID": pd.Series(np.concatenate([all_ids[kept[keep]], np.full(len(credit), None, dtype=object)]),
                                dtype=object),
            "Kind": pd.array(np.concatenate([kind_of, np.full(len(credit), "credit", dtype=object)]), dtype="str"),
            "BillDate": np.concatenate([bill_date[keep], np.full(len(credit), day)]).astype("datetime64[s]"),
            "DueDate": np.concatenate([due_or_billed, np.full(len(credit), day)]).astype("datetime64[s]"),
            "Amount": np.concatenate([amount[keep], owed]),
            "Paid": np.concatenate([paid[keep], np.zeros(len(credit), dtype=np.int64)]),
            "Open": np.concatenate([open_amount[keep], owed]),
        }, copy=False)
        return OpenItems(items, tuple(found), "allocations" if use_allocations else "bills")
    items = pd.DataFrame({
        "CustomerID": customer_ids,
        "BillID": all_ids[kept[keep]],
        "Kind": kind_of,
        "BillDate": bill_date[keep],
        "DueDate": due_or_billed,
        "Amount": amount[keep],
        "Paid": paid[keep],
        "Open": open_amount[keep],
    })
    if had_credit:  # (all zero: no rows, but the same columns as ever)
        credit_items = pd.DataFrame({
            "CustomerID": credit.index.to_numpy(object), "BillID": None, "Kind": "credit",
            "BillDate": np.datetime64(as_of, "D"), "DueDate": np.datetime64(as_of, "D"),
            "Amount": -credit.to_numpy(np.int64), "Paid": 0, "Open": -credit.to_numpy(np.int64),
        })
        items = pd.concat([items, credit_items], ignore_index=True)
    items["BillDate"] = items["BillDate"].astype("datetime64[s]")
    items["DueDate"] = items["DueDate"].astype("datetime64[s]")
    for column in ("Amount", "Paid", "Open"):
        items[column] = items[column].astype(np.int64)
    return OpenItems(items, tuple(found), "allocations" if use_allocations else "bills")


def _bill_positions(all_ids: np.ndarray, kept: np.ndarray, wanted: np.ndarray, asked: np.ndarray) -> np.ndarray:
    """For each wanted bill ID where `asked`, its position among the bills kept (the first, if an ID
    repeats there), -1 if none. The IDs are indexed in the table's order (as read, often sorted)
    and, being of one shape (B2026030001), compared as integer codes (`allocation.KeyIndex`): all
    wanted IDs are read at once, no string hashed."""
    index = allocation.KeyIndex(all_ids)
    if not index.unique:  # a repeated ID: the first among the bills kept is the one
        index = allocation.KeyIndex(all_ids[kept])
    elif len(kept) < len(all_ids):
        position = np.full(len(all_ids), -1, dtype=np.int64)
        position[kept] = np.arange(len(kept))
        index = index.renumbered(position)
    return index.positions(wanted[asked])


def bucket_open_items(items: pd.DataFrame, as_of: datetime.date, bounds, basis: str = "due",
                      lang: str = "zh") -> pd.DataFrame:
    """Each open item with DaysOverdue (days past the due date, or since the bill date when the
    basis is 'bill'; 0 when not yet due), its bucket index and label; credits in their own bucket."""
    start = items["DueDate"] if basis == "due" else items["BillDate"]
    days = np.maximum(days_between(start.to_numpy("datetime64[D]"), np.datetime64(as_of, "D")), 0)
    index = bucket_index(days, bounds)
    credit = (items["Open"].to_numpy(np.int64) < 0) | (items["Kind"].to_numpy(object) == "credit")
    index = np.where(credit, CREDIT_BUCKET, index)
    labels = np.array(bucket_labels(bounds, lang) + [credit_label(lang)], dtype=object)
    return items.assign(DaysOverdue=np.where(credit, 0, days), BucketIndex=index, Bucket=labels[index])


def summarise(aged: pd.DataFrame, customers: pd.DataFrame, bounds, lang: str = "zh") -> pd.DataFrame:
    """Bucket totals overall and by region, officer and customer type (long: one row per segment
    and bucket that has items, every bucket of the total kept so the total always shows them all).

    Segments are coded once per customer and the totals are integer sums over (segment, bucket)
    cells."""
    labels = bucket_labels(bounds, lang) + [credit_label(lang)]
    buckets = len(labels)  # the credit bucket (-1) is counted in the last slot
    slot = np.where(aged["BucketIndex"].to_numpy(np.int64) == CREDIT_BUCKET, buckets - 1,
                    aged["BucketIndex"].to_numpy(np.int64))
    amount = aged["Open"].to_numpy(np.int64)
    # Each item's customer row (the first of a repeated ID), looked up once as an integer code; a
    # segment value found only on a repeated row names a segment with no items (not shown).
    info = customers
    at = allocation.KeyIndex(info["CustomerID"].to_numpy(object)).positions(aged["CustomerID"].to_numpy(object))
    parts = []
    for scope, key in (("total", None), ("region", "Region"), ("officer", "Officer"),
                       ("customer_type", "CustomerType")):
        if key is None:
            code, names = np.zeros(len(aged), dtype=np.int64), np.array([""], dtype=object)
        else:
            values = info[key].to_numpy(object) if key in info else np.full(len(info), None, dtype=object)
            values = np.where(pd.isna(values), "", values)
            per_customer, names = pd.factorize(values, sort=True)
            code = np.where(at >= 0, per_customer[np.maximum(at, 0)] if len(per_customer) else 0, -1)
            if (code < 0).any():  # customers the Customers table does not know: a blank segment
                names = np.append(np.asarray(names, dtype=object), "")
                code = np.where(code < 0, len(names) - 1, code)
        cell = code * buckets + slot
        size = len(names) * buckets
        totals = allocation.sum_by(cell, amount, size)
        items = np.bincount(cell, minlength=size)
        grid_amount, grid_items = totals.reshape(-1, buckets), items.reshape(-1, buckets)
        owed = np.where(grid_amount > 0, grid_amount, 0).sum(axis=1, keepdims=True)
        share = np.where(owed > 0, np.clip(grid_amount, 0, None) / np.where(owed > 0, owed, 1), 0.0)
        segment, bucket = np.divmod(np.arange(size), buckets)
        keep = np.ones(size, dtype=bool) if key is None else items > 0
        names = np.asarray(names, dtype=object)
        parts.append(pd.DataFrame({
            "Scope": scope, "Segment": names[segment[keep]], "BucketSlot": bucket[keep],
            "Amount": grid_amount.ravel()[keep], "Items": grid_items.ravel()[keep], "Share": share.ravel()[keep],
        }))
    summary = pd.concat(parts, ignore_index=True)
    slot_labels = np.array(labels, dtype=object)
    summary["Bucket"] = slot_labels[summary["BucketSlot"].to_numpy()]
    summary["BucketIndex"] = np.where(summary["BucketSlot"] == buckets - 1, CREDIT_BUCKET, summary["BucketSlot"])
    return summary[["Scope", "Segment", "Bucket", "BucketIndex", "Amount", "Items", "Share"]].reset_index(drop=True)
