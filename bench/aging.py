"""Aging (账龄) of a million bills and a million allocations as of a date, ours side by side with
DuckDB SQL producing the same bucket totals (the anchor).

    python bench/aging.py [--quick] [--bills N] [--allocations N] [--repeat N]

Data (numpy, seed 2026; generating it is not timed), in the typed form the core takes: 1,000,000
Bills (`--quick` 100,000) of 100,000 customers (a tenth of the bills), BillID 'B%010d', bill dates
over the 730 days up to the as-of date 2026-11-30 (0.5 % of bills dated up to 30 days after it),
due 15 days after the bill date, Amount 1,000..200,000 fen (0.2 % credit notes of -1,000..-50,000),
Status 'open' (0.5 % 'cancelled'); 1,000,000 Allocations (`--quick` 100,000): 1 % credits (Kind
'credit', BillID blank, a random customer), the rest on bills that are not credit notes: a fifth
of those allocations come in pairs on one bill (70 % two payments paying it in full, 20 % a
payment and a write-off of the rest, 10 % two payments leaving some open), the others one to a
bill (80 % in full, 19.9 % partly, 0.1 % overpaying, which ours reports as a negative balance and
leaves out); the remaining bills (about a tenth) are not paid at all. Allocations are dated up to
75 days after their bill (capped at the as-of date) and 3 % of them at random 1..60 days after the
as-of date, so they must be ignored. Customers: 5 regions, 5 officers, 3 customer types.

Ours (timed, each step and the three in a row): `aging.open_items(bills, allocations, as_of)`,
`aging.bucket_open_items(items.items, as_of, (0, 30, 60, 90, 180, 365), "due")`,
`aging.summarise(aged, customers, bounds)`. Anchor: DuckDB SQL over the same registered frames:
open per bill = Amount - payments and write-offs dated on or before the as-of date, bills dated
after it and cancelled ones left out, non-zero opens kept (negative only for credit notes), each
customer's credit allocations so dated as one negative item, days = as-of - DueDate clamped at 0,
the bucket by CASE on the bounds (negative items their own bucket), totals (amount and item count)
per bucket overall and per region and bucket by GROUPING SETS. The totals must equal summarise's
'total' and 'region' rows exactly (asserted).

Timing: each step `--repeat` times on its own, then `--repeat` rounds of ours (the three in a row)
and DuckDB on two threads and on one, one after the other, so that other processes on the machine
slow both sides alike. Each line gives the fastest run and the median; the last line is
ratio=<ours, the three steps / DuckDB on two threads>, fastest runs (the runs the rest of the
machine disturbed least), the ratio of the medians above it.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

import timing

from feedesk import aging

AS_OF = datetime.date(2026, 11, 30)
BOUNDS = (0, 30, 60, 90, 180, 365)
REGIONS = ("东城片区", "西城片区", "南湖片区", "北岸片区", "新区")
OFFICERS = ("王芳", "李强", "张伟", "刘洋", "陈静")
TYPES = ("residential", "commercial", "institutional")
TYPE_WEIGHTS = (0.85, 0.12, 0.03)


# -- data ---------------------------------------------------------------------------------------

def text(values) -> pd.arrays.StringArray:
    """Object values (None for blanks) as the hosts' text dtype 'str'."""
    return pd.array(np.asarray(values, dtype=object), dtype="str")


def make_frames(n_bills: int, n_allocations: int, seed: int = 2026):
    """(bills, allocations, customers) as the core takes them, and a few counts about them."""
    rng = np.random.default_rng(seed)
    as_of = np.datetime64(AS_OF, "D")
    n_customers = max(1, n_bills // 10)

    customer_ids = np.array([f"C{i:07d}" for i in range(1, n_customers + 1)], dtype=object)
    customers = pd.DataFrame({
        "CustomerID": text(customer_ids),
        "Name": text([f"客户{i:07d}" for i in range(1, n_customers + 1)]),
        "CustomerType": text(np.array(TYPES, dtype=object)[rng.choice(len(TYPES), n_customers, p=TYPE_WEIGHTS)]),
        "Region": text(np.array(REGIONS, dtype=object)[rng.integers(0, len(REGIONS), n_customers)]),
        "Officer": text(np.array(OFFICERS, dtype=object)[rng.integers(0, len(OFFICERS), n_customers)]),
    })

    # bills, numbered in date order
    bill_day = as_of - rng.integers(0, 730, n_bills).astype("timedelta64[D]")
    future = rng.random(n_bills) < 0.005
    bill_day[future] = as_of + rng.integers(1, 31, int(future.sum())).astype("timedelta64[D]")
    bill_day.sort()
    bill_customer = rng.integers(0, n_customers, n_bills)
    amount = rng.integers(1_000, 200_001, n_bills)
    credit_note = rng.random(n_bills) < 0.002
    amount[credit_note] = -rng.integers(1_000, 50_001, int(credit_note.sum()))
    cancelled = rng.random(n_bills) < 0.005
    bill_ids = np.array([f"B{i:010d}" for i in range(1, n_bills + 1)], dtype=object)

    # allocations on bills: pairs, singles, none
    n_credits = round(n_allocations * 0.01)
    n_paying = n_allocations - n_credits
    n_pairs = n_paying // 5 // 2
    n_singles = n_paying - 2 * n_pairs
    eligible = rng.permutation(np.flatnonzero(~credit_note))
    assert n_pairs + n_singles <= len(eligible), "more allocations than the bills can take"
    pair_bills, single_bills = eligible[:n_pairs], eligible[n_pairs:n_pairs + n_singles]

    single_amount = amount[single_bills].copy()
    kind = rng.random(n_singles)
    partly = (kind >= 0.800) & (kind < 0.999)
    over = kind >= 0.999
    single_amount[partly] = rng.integers(1, single_amount[partly])  # 1 .. amount-1
    single_amount[over] += rng.integers(1, 5_001, int(over.sum()))

    pair_total = amount[pair_bills]
    kind = rng.random(n_pairs)
    with_writeoff, two_partly = (kind >= 0.7) & (kind < 0.9), kind >= 0.9  # the rest (70 %): two paying in full
    first = rng.integers(1, pair_total)  # 1 .. amount-1
    second = pair_total - first
    writeoff = rng.integers(1, np.minimum(pair_total - 1, 500) + 1)  # a small rest written off
    first[with_writeoff] = (pair_total - writeoff)[with_writeoff]
    second[with_writeoff] = writeoff[with_writeoff]
    half = rng.integers(1, pair_total // 2)  # two payments leaving some open: 1 .. amount/2, then less than the rest
    first[two_partly] = half[two_partly]
    second[two_partly] = rng.integers(1, (pair_total - half)[two_partly])
    assert (second[two_partly] < (pair_total - first)[two_partly]).all()

    alloc_bill = np.concatenate([single_bills, pair_bills, pair_bills])
    alloc_amount = np.concatenate([single_amount, first, second])
    alloc_kind = np.concatenate([np.full(n_singles, "payment", dtype=object), np.full(n_pairs, "payment", dtype=object),
                                 np.where(with_writeoff, "writeoff", "payment").astype(object)])
    delay = np.concatenate([rng.integers(0, 46, n_singles), rng.integers(0, 46, n_pairs), np.zeros(n_pairs, np.int64)])
    delay[n_singles + n_pairs:] = delay[n_singles:n_singles + n_pairs] + rng.integers(0, 31, n_pairs)
    base = bill_day[alloc_bill]
    alloc_day = base + delay.astype("timedelta64[D]")
    alloc_day = np.where(base <= as_of, np.minimum(alloc_day, as_of), alloc_day)
    payment_no = np.concatenate([np.arange(n_singles), np.arange(n_singles, n_singles + n_pairs),
                                 np.where(with_writeoff, np.arange(n_singles, n_singles + n_pairs),
                                          np.arange(n_singles + n_pairs, n_singles + 2 * n_pairs))])

    # credits: money held for a customer, no bill
    credit_customer = rng.integers(0, n_customers, n_credits)
    credit_day = as_of - rng.integers(0, 700, n_credits).astype("timedelta64[D]")
    credit_amount = rng.integers(100, 50_001, n_credits)
    payment_no_credit = np.arange(n_singles + 2 * n_pairs, n_singles + 2 * n_pairs + n_credits)

    bill_part = len(alloc_bill)
    all_day = np.concatenate([alloc_day, credit_day])
    late = rng.random(len(all_day)) < 0.03  # dated after the as-of date: ignored
    all_day[late] = np.maximum(np.concatenate([base, credit_day])[late], as_of) \
        + rng.integers(1, 61, int(late.sum())).astype("timedelta64[D]")
    all_bill = np.concatenate([bill_ids[alloc_bill], np.full(n_credits, None, dtype=object)])
    all_customer = np.concatenate([customer_ids[bill_customer[alloc_bill]], customer_ids[credit_customer]])
    all_amount = np.concatenate([alloc_amount, credit_amount])
    all_kind = np.concatenate([alloc_kind, np.full(n_credits, "credit", dtype=object)])
    all_payment = np.concatenate([payment_no, payment_no_credit])
    order = rng.permutation(len(all_day))  # the table in no particular order
    allocations = pd.DataFrame({
        "AllocationID": text([f"A{i:07d}" for i in range(1, len(order) + 1)]),
        "Source": text(np.full(len(order), "payments", dtype=object)),
        "PaymentID": text([f"P{i:010d}" for i in (all_payment[order] + 1).tolist()]),
        "BillID": text(all_bill[order]),
        "CustomerID": text(all_customer[order]),
        "AllocDate": all_day[order].astype("datetime64[s]"),
        "Amount": pd.array(all_amount[order], dtype="Int64"),
        "Kind": text(all_kind[order]),
    })

    paid_amount = np.zeros(n_bills, np.int64)
    np.add.at(paid_amount, alloc_bill, alloc_amount)
    period = np.datetime_as_string(bill_day.astype("datetime64[M]"), unit="M").astype(object)
    bills = pd.DataFrame({
        "BillID": text(bill_ids),
        "CustomerID": text(customer_ids[bill_customer]),
        "Period": text(period),
        "BillDate": bill_day.astype("datetime64[s]"),
        "DueDate": (bill_day + np.timedelta64(15, "D")).astype("datetime64[s]"),
        "Amount": pd.array(amount, dtype="Int64"),
        "PaidAmount": pd.array(paid_amount, dtype="Int64"),
        "Status": text(np.where(cancelled, "cancelled", "open").astype(object)),
    })
    info = {"customers": n_customers, "future_bills": int(future.sum()), "cancelled": int(cancelled.sum()),
            "credit_notes": int(credit_note.sum()), "unpaid": len(eligible) - n_pairs - n_singles,
            "pairs": n_pairs, "singles": n_singles, "credits": n_credits, "late": int(late.sum()),
            "late_share": float(late.mean()), "writeoffs": int(with_writeoff.sum()), "overpaid": int(over.sum()),
            "bill_allocations": bill_part}
    return bills, allocations, customers, info


# -- ours ---------------------------------------------------------------------------------------

def ours_steps(bills, allocations, customers):
    items = aging.open_items(bills, allocations, AS_OF)
    aged = aging.bucket_open_items(items.items, AS_OF, BOUNDS, "due")
    return items, aged, aging.summarise(aged, customers, BOUNDS)


# -- anchor: DuckDB -----------------------------------------------------------------------------

def duckdb_sql(as_of: datetime.date, bounds) -> str:
    day = f"DATE '{as_of.isoformat()}'"
    cases = " ".join(f"WHEN days <= {b} THEN {k}" for k, b in enumerate(bounds))
    return f"""
CREATE OR REPLACE TEMP TABLE anchor_buckets AS
WITH
bill AS (
    SELECT BillID, CustomerID, Amount, coalesce(CAST(DueDate AS DATE), CAST(BillDate AS DATE)) AS due_date
    FROM bills
    WHERE Amount IS NOT NULL AND CustomerID IS NOT NULL AND BillDate IS NOT NULL
      AND Status IS DISTINCT FROM 'cancelled' AND CAST(BillDate AS DATE) <= {day}),
alloc AS (
    SELECT BillID, CustomerID, Amount, Kind FROM allocations WHERE CAST(AllocDate AS DATE) <= {day}),
paid AS (
    SELECT BillID, sum(Amount) AS paid FROM alloc
    WHERE Kind IN ('payment', 'writeoff') AND BillID IS NOT NULL GROUP BY BillID),
bill_open AS (
    SELECT b.CustomerID, b.Amount - coalesce(p.paid, 0) AS open_fen, b.Amount < 0 AS credit_note,
           greatest(date_diff('day', b.due_date, {day}), 0) AS days
    FROM bill b LEFT JOIN paid p ON p.BillID = b.BillID),
item AS (
    SELECT CustomerID, open_fen, days FROM bill_open WHERE open_fen > 0 OR (open_fen < 0 AND credit_note)
    UNION ALL
    SELECT CustomerID, -sum(Amount) AS open_fen, 0 AS days FROM alloc
    WHERE Kind = 'credit' AND CustomerID IS NOT NULL GROUP BY CustomerID HAVING sum(Amount) <> 0),
aged AS (
    SELECT coalesce(c.Region, '') AS region, i.open_fen,
           CASE WHEN i.open_fen < 0 THEN {aging.CREDIT_BUCKET} {cases} ELSE {len(bounds)} END AS bucket
    FROM item i LEFT JOIN customers c ON c.CustomerID = i.CustomerID)
SELECT grouping(region) = 1 AS overall, region, bucket, sum(open_fen) AS amount, count(*) AS items
FROM aged GROUP BY GROUPING SETS ((bucket), (region, bucket))
"""


def duckdb_run(connection, bills, allocations, customers) -> int:
    connection.register("bills", bills)
    connection.register("allocations", allocations)
    connection.register("customers", customers)
    connection.execute(duckdb_sql(AS_OF, BOUNDS))
    return connection.execute("SELECT count(*) FROM anchor_buckets").fetchall()[0][0]


def duckdb_buckets(connection):
    rows = connection.execute("SELECT overall, region, bucket, amount, items FROM anchor_buckets").fetchall()
    total = {int(b): (int(a), int(n)) for overall, _r, b, a, n in rows if overall}
    region = {(r, int(b)): (int(a), int(n)) for overall, r, b, a, n in rows if not overall}
    return total, region


def ours_buckets(summary: pd.DataFrame):
    def keyed(scope):
        part = summary[(summary["Scope"] == scope) & (summary["Items"] > 0)]
        return {(s, int(b)): (int(a), int(n)) for s, b, a, n in
                zip(part["Segment"], part["BucketIndex"], part["Amount"], part["Items"])}
    return {b: v for (_s, b), v in keyed("total").items()}, keyed("region")


# -- main ---------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 bills and 100,000 allocations")
    parser.add_argument("--bills", type=int)
    parser.add_argument("--allocations", type=int)
    parser.add_argument("--repeat", type=int)
    args = parser.parse_args()
    n_bills = args.bills or (100_000 if args.quick else 1_000_000)
    n_allocations = args.allocations or (100_000 if args.quick else 1_000_000)
    repeat = args.repeat or 5

    started = time.perf_counter()
    bills, allocations, customers, info = make_frames(n_bills, n_allocations)
    make_seconds = time.perf_counter() - started

    # ours: each step on the previous step's result
    items = aging.open_items(bills, allocations, AS_OF)
    aged = aging.bucket_open_items(items.items, AS_OF, BOUNDS, "due")
    t_open, items = timing.times(lambda: aging.open_items(bills, allocations, AS_OF), repeat)
    t_bucket, aged = timing.times(lambda: aging.bucket_open_items(items.items, AS_OF, BOUNDS, "due"), repeat)
    t_summary, summary = timing.times(lambda: aging.summarise(aged, customers, BOUNDS), repeat)

    # then the three in a row and DuckDB (two threads, one thread), in turn
    connection = duckdb.connect()
    threads = connection.execute("SELECT current_setting('threads')").fetchall()[0][0]
    duckdb_run(connection, bills, allocations, customers)
    duck_total, duck_region = duckdb_buckets(connection)
    seconds = {"ours": [], "duck": [], "duck_one": []}
    for _ in range(repeat):
        started = time.perf_counter()
        items, aged, summary = ours_steps(bills, allocations, customers)
        seconds["ours"].append(time.perf_counter() - started)
        for key, count in (("duck", threads), ("duck_one", 1)):  # ours runs on one core: DuckDB on one too
            connection.execute(f"SET threads = {count}")
            started = time.perf_counter()
            duckdb_run(connection, bills, allocations, customers)
            seconds[key].append(time.perf_counter() - started)
            assert duckdb_buckets(connection) == (duck_total, duck_region)
    t_total, t_duck, t_duck_one = (timing.Timing(tuple(seconds[k])) for k in ("ours", "duck", "duck_one"))

    our_total, our_region = ours_buckets(summary)
    labels = aging.bucket_labels(BOUNDS, "en") + [aging.credit_label("en")]
    label_of = dict(zip(list(range(len(BOUNDS) + 1)) + [aging.CREDIT_BUCKET], labels))
    negative = sum(1 for p in items.problems if p.code == "negative_balance")

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__}, "
          f"duckdb {duckdb.__version__} ({threads} threads), text columns stored by "
          f"{bills['BillID'].dtype.storage}")
    print(f"data (numpy, {make_seconds:.1f} s, not timed): {len(bills):,} bills of {info['customers']:,} customers "
          f"({info['future_bills']:,} dated after {AS_OF}, {info['cancelled']:,} cancelled, "
          f"{info['credit_notes']:,} credit notes, {info['unpaid']:,} unpaid); {len(allocations):,} allocations "
          f"({info['singles']:,} single, {info['pairs']:,} pairs of which {info['writeoffs']:,} with a write-off, "
          f"{info['overpaid']:,} overpaying, {info['credits']:,} credits; {info['late']:,} = "
          f"{info['late_share']:.1%} dated after {AS_OF}); as of {AS_OF}, bounds {BOUNDS}, basis due")
    print(f"ours: {len(items.items):,} open items, {negative:,} negative-balance warnings; "
          f"summary {len(summary):,} rows; {repeat} runs, one core")
    print(f"{'method':<62}{'best / median (s)':>19}")
    print(f"{'ours: aging.open_items':<62}{t_open!s:>19}")
    print(f"{'ours: aging.bucket_open_items':<62}{t_bucket!s:>19}")
    print(f"{'ours: aging.summarise':<62}{t_summary!s:>19}")
    print(f"{'ours: the three in a row':<62}{t_total!s:>19}")
    print(f"{f'anchor: DuckDB SQL, totals overall + by region ({threads} threads)':<62}{t_duck!s:>19}")
    print(f"{'anchor: the same SQL on one thread':<62}{t_duck_one!s:>19}")
    print(f"{'bucket':<16}{'items':>11}{'open (yuan)':>20}{'DuckDB items':>14}{'DuckDB (yuan)':>20}")
    for b in list(range(len(BOUNDS) + 1)) + [aging.CREDIT_BUCKET]:
        o, d = our_total.get(b, (0, 0)), duck_total.get(b, (0, 0))
        print(f"{label_of[b]:<16}{o[1]:>11,}{o[0] / 100:>20,.2f}{d[1]:>14,}{d[0] / 100:>20,.2f}")
    if our_total != duck_total or our_region != duck_region:
        off_total = sorted(b for b in our_total.keys() | duck_total.keys() if our_total.get(b) != duck_total.get(b))
        off_region = sorted(k for k in our_region.keys() | duck_region.keys() if our_region.get(k) != duck_region.get(k))
        raise AssertionError(f"buckets differ: overall {off_total}, by region {off_region[:10]} "
                             f"({len(off_region)} region x bucket cells)")
    print(f"buckets agree: every bucket's amount and item count, overall ({len(our_total)} buckets) and by region "
          f"({len(our_region)} region x bucket cells), equals DuckDB's exactly")
    print(f"ours / anchor on one thread: {t_total.best / t_duck_one.best:.2f} (medians "
          f"{t_total.median / t_duck_one.median:.2f})")
    print(f"ours / anchor, medians: {t_total.median / t_duck.median:.2f}")
    print(f"ratio={t_total.best / t_duck.best:.2f}")


if __name__ == "__main__":
    main()
