"""Reconciling 200,000 payment lines against a million open bills, ours (the whole
`reconcile.reconcile`) side by side with DuckDB SQL doing the reference pass and the customer +
amount pass (the anchor).

    python bench/reconcile.py [--quick] [--customers N] [--payments N] [--repeat N]

Data: `feedesk.sample.make(84_800, 12)` (just over 1,000,000 bills; `--quick` 8,480 customers, about
100,000 bills). Bills are taken as they are, every one of them open for this purpose (the
reconciliation ignores PaidAmount). Payments are cut to the FIRST 200,000 BY DATE (PaidDate, then
PaymentID; `--quick` 20,000), 2026-02-01 to early April, and the BankStatement to the lines dated
up to three days (the longest settlement window) after the last kept payment, so that every kept
payment's bank transfer or channel settlement is there; the few customer transfers of those last
days whose payment rows were cut are bank credits that settle nothing, and ours matches them too
(counted and printed). Generating the data is not timed.

Ours: `reconcile.reconcile(bills, payments, bank, customers, as_of, reconcile.Options())`, every
step: channel settlement against the bank, reversals, all eight matching passes, allocation,
exceptions and the output frames. It runs in a child process (spawned, the inputs unpickled
there), so its peak RSS (`getrusage(RUSAGE_CHILDREN).ru_maxrss`: interpreter, inputs and ours) is
its own; target < 3 GB. It runs once for its matches, then `--repeat` rounds: in each round ours
(the two passes, then the whole) in the child and DuckDB on two threads and on one in this process,
one after the other, so that other processes on the machine slow both sides alike. Each line gives
the fastest run and the median; the ratios use the fastest runs (the runs the rest of the machine
disturbed least), the median ratio is printed beside them.

Anchor: DuckDB SQL over the same pandas frames (registered), (a) the reference pass: bill IDs in
the payment's Bill ID column or in its text (Reference and Note, full-width letters and digits
folded, upper case, `regexp_extract_all(..., '[A-Z]{1,3}[0-9]{5,}')` unnested) joined to the
bills; the payment's customer from its Customer ID column, else the first customer ID in the text;
a payment naming a customer who owns none of its bills is not matched (ours only suggests it);
(b) customer + exact amount: payments that name no bill and have a customer, joined to that
customer's bills of exactly the amount and not paid in (a), BillDate <= PaidDate + 7 days and
PaidDate <= DueDate + 120 days, the oldest bill per payment (ROW_NUMBER), each bill to its earliest
payment. Result: a (payment, bill, rule) table, counted. Ours' matches compared: rows of
`result.reconciliation` with Status 'auto' and Rule 'reference' or 'customer_amount'.

Like for like, ours also runs `reconcile.match_by_reference` (the same two passes, from the same
tables: receipts, customer codes, bill order, token lookups included). Target: within 2x. The
last line is ratio=<match_by_reference / DuckDB on two threads>, fastest runs; the lines above
it give the whole reconciliation against the same anchor and the ratios of the medians.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import pickle
import platform
import resource
import sys
import tempfile
import time

import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

import timing

from feedesk import reconcile, sample

# duckdb is imported in main() only, so the child process that measures ours never loads it.

RULES = ("reference", "customer_amount")
FULL_WIDTH = "".join(chr(c) for c in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]) \
    + "\u3000"
HALF_WIDTH = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz "


# -- data ---------------------------------------------------------------------------------------

def book_frames(customers: int, payments: int, seed: int = 7):
    """(bills, payments, bank, customers, as_of) and how the cut was made."""
    book = sample.make(customers, months=12, seed=seed)
    tables = book.tables
    all_payments = tables["Payments"]
    kept = all_payments.sort_values(["PaidDate", "PaymentID"], kind="stable").head(payments)
    last = kept["PaidDate"].max()
    reach = pd.Timedelta(days=max(reconcile.SETTLE_DAYS.values()))
    bank = tables["BankStatement"]
    bank = bank[bank["TxnDate"] <= last + reach]
    info = {"payments_made": len(all_payments), "first": kept["PaidDate"].min().date(), "last": last.date(),
            "bank_to": (last + reach).date(), "bank_made": len(tables["BankStatement"])}
    return (tables["Bills"], kept, bank, tables["Customers"], book.settings["AsOfDate"]), info


# -- ours ---------------------------------------------------------------------------------------

def run_ours(bills, payments, bank, customers, as_of) -> reconcile.Result:
    return reconcile.reconcile(bills, payments, bank, customers, as_of, reconcile.Options())


def ours_matches(result: reconcile.Result) -> pd.DataFrame:
    frame = result.reconciliation
    auto = frame[(frame["Status"] == reconcile.AUTO) & frame["Rule"].isin(RULES)]
    return pd.DataFrame({"PaymentID": auto["PaymentID"].to_numpy(object), "BillID": auto["BillID"].to_numpy(object),
                         "Rule": auto["Rule"].to_numpy(object), "Source": auto["Source"].to_numpy(object)})


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure_ours(path: str, pipe) -> None:
    """In a spawned process: load the inputs, run ours once for its matches, then time one run of
    what the parent asks for ('whole' or 'passes') at a time, until it says 'stop'."""
    with open(path, "rb") as file:
        frames = pickle.load(file)
    inputs_rss = rss_bytes()
    result = run_ours(*frames)
    matches, counts = ours_matches(result), dict(result.counts)
    del result  # each timed call's Result is freed right away; only its row count is kept
    pipe.send({"matches": matches, "counts": counts, "inputs_rss": inputs_rss})
    bills, payments, _bank, customers, _as_of = frames
    work = {"whole": lambda: len(run_ours(*frames).reconciliation),
            "passes": lambda: len(reconcile.match_by_reference(bills, payments, customers))}
    while (what := pipe.recv()) != "stop":
        started = time.perf_counter()
        work[what]()
        pipe.send(time.perf_counter() - started)
    pipe.close()


# -- anchor: DuckDB -----------------------------------------------------------------------------

DUCKDB_SQL = """
CREATE OR REPLACE TEMP TABLE anchor_matches AS
WITH
bill AS (
    SELECT upper(BillID) AS bill_key, BillID, CustomerID AS owner, Amount AS amount,
           CAST(BillDate AS DATE) AS bill_date, CAST(DueDate AS DATE) AS due_date
    FROM bills WHERE Amount IS NOT NULL AND CustomerID IS NOT NULL),
customer AS (
    SELECT DISTINCT upper(CustomerID) AS customer_key, CustomerID FROM customers WHERE CustomerID IS NOT NULL),
pay AS (
    SELECT PaymentID, CAST(PaidDate AS DATE) AS paid, Amount AS amount,
           upper(trim(fold(CustomerID))) AS customer_key, upper(trim(fold(BillID))) AS bill_key,
           regexp_extract_all(upper(fold(concat_ws(' ', Reference, Note))), '[A-Z]{1,3}[0-9]{5,}') AS tokens
    FROM payments WHERE Amount > 0),
token AS (  -- every ID-like token of the text and its place
    SELECT PaymentID, unnest(tokens) AS token_key, unnest(range(1, len(tokens) + 1)) AS at FROM pay),
named AS (  -- (a) bills named in the Bill ID column or the text, each once a payment
    SELECT DISTINCT n.PaymentID, b.BillID, b.owner
    FROM (SELECT PaymentID, bill_key AS key FROM pay WHERE bill_key IS NOT NULL
          UNION ALL SELECT PaymentID, token_key FROM token) n
    JOIN bill b ON b.bill_key = n.key),
text_customer AS (  -- the first customer ID in the text
    SELECT t.PaymentID, arg_min(c.CustomerID, t.at) AS customer
    FROM token t JOIN customer c ON c.customer_key = t.token_key GROUP BY t.PaymentID),
who AS (  -- the payment's customer: the Customer ID column, else the text
    SELECT p.PaymentID, p.paid, p.amount, coalesce(c.CustomerID, t.customer) AS customer
    FROM pay p LEFT JOIN customer c ON c.customer_key = p.customer_key
               LEFT JOIN text_customer t ON t.PaymentID = p.PaymentID),
owner_differs AS (  -- the payment names a customer who owns none of its bills (ours: a suggestion)
    SELECT n.PaymentID FROM named n JOIN who w ON w.PaymentID = n.PaymentID
    WHERE w.customer IS NOT NULL GROUP BY n.PaymentID HAVING NOT bool_or(n.owner = w.customer)),
reference AS (
    SELECT PaymentID, BillID FROM named n
    WHERE NOT EXISTS (SELECT 1 FROM owner_differs o WHERE o.PaymentID = n.PaymentID)),
amount_match AS (  -- (b) no bill named, a customer: its oldest unpaid bill of exactly the amount
    SELECT w.PaymentID, b.BillID, w.paid
    FROM who w JOIN bill b ON b.owner = w.customer AND b.amount = w.amount
    WHERE w.customer IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM named n WHERE n.PaymentID = w.PaymentID)
      AND NOT EXISTS (SELECT 1 FROM reference r WHERE r.BillID = b.BillID)
      AND b.bill_date <= w.paid + 7 AND w.paid <= b.due_date + 120
    QUALIFY row_number() OVER (PARTITION BY w.PaymentID ORDER BY b.due_date, b.bill_date, b.BillID) = 1),
customer_amount AS (  -- each bill to its earliest payment
    SELECT PaymentID, BillID FROM amount_match
    QUALIFY row_number() OVER (PARTITION BY BillID ORDER BY paid, PaymentID) = 1)
SELECT PaymentID, BillID, 'reference' AS rule FROM reference
UNION ALL
SELECT PaymentID, BillID, 'customer_amount' AS rule FROM customer_amount
"""
# NFKC as far as IDs go: full-width digits, letters and space to ASCII (translate only where there are
# any: DuckDB's translate costs about 2 us a call however short the text)
DUCKDB_FOLD = f"""
CREATE OR REPLACE TEMP MACRO fold(x) AS
    CASE WHEN regexp_matches(x, '[{FULL_WIDTH}]') THEN translate(x, '{FULL_WIDTH}', '{HALF_WIDTH}') ELSE x END
"""


def duckdb_run(connection, bills, payments, customers) -> dict[str, int]:
    connection.register("bills", bills)
    connection.register("payments", payments)
    connection.register("customers", customers)
    connection.execute(DUCKDB_FOLD)
    connection.execute(DUCKDB_SQL)
    return dict(connection.execute("SELECT rule, count(*) FROM anchor_matches GROUP BY rule").fetchall())


# -- main ---------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8,480 customers (~100,000 bills), 20,000 payments")
    parser.add_argument("--customers", type=int)
    parser.add_argument("--payments", type=int)
    parser.add_argument("--repeat", type=int)
    args = parser.parse_args()
    customers = args.customers or (8_480 if args.quick else 84_800)
    payments = args.payments or (20_000 if args.quick else 200_000)
    repeat = args.repeat or 5

    started = time.perf_counter()
    frames, info = book_frames(customers, payments)
    make_seconds = time.perf_counter() - started
    bills, pay, bank, customer_frame, as_of = frames

    import duckdb

    connection = duckdb.connect()
    threads = connection.execute("SELECT current_setting('threads')").fetchall()[0][0]
    duck_counts = duckdb_run(connection, bills, pay, customer_frame)
    duck_found = connection.execute("SELECT PaymentID, BillID, rule FROM anchor_matches").fetchall()

    # ours in a fresh process (it waits while this one runs DuckDB, and the other way round)
    seconds = {"passes": [], "whole": [], "duck": [], "duck_one": []}
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "inputs.pickle")
        with open(path, "wb") as file:
            pickle.dump(frames, file, protocol=pickle.HIGHEST_PROTOCOL)
        context = multiprocessing.get_context("spawn")
        here, there = context.Pipe(duplex=True)
        child = context.Process(target=measure_ours, args=(path, there))
        child.start()
        there.close()
        report = here.recv()
        for _ in range(repeat):
            for what in ("passes", "whole"):
                here.send(what)
                seconds[what].append(here.recv())
            for key, count in (("duck", threads), ("duck_one", 1)):
                connection.execute(f"SET threads = {count}")  # ours runs on one core: DuckDB on one too
                started = time.perf_counter()
                duckdb_run(connection, bills, pay, customer_frame)
                seconds[key].append(time.perf_counter() - started)
        here.send("stop")
        child.join()
    assert child.exitcode == 0, child.exitcode
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    ours_found, counts = report["matches"], report["counts"]
    t = {key: timing.Timing(tuple(values)) for key, values in seconds.items()}

    ours_by_rule = ours_found["Rule"].value_counts().to_dict()
    from_bank = int((ours_found["Source"] == "bank").sum())
    ours_pairs = {(p, b): r for p, b, r in zip(ours_found["PaymentID"], ours_found["BillID"], ours_found["Rule"])}
    duck_pairs = {(p, b): r for p, b, r in duck_found}
    both = ours_pairs.keys() & duck_pairs.keys()
    same_rule = sum(1 for k in both if ours_pairs[k] == duck_pairs[k])
    ours_total, duck_total = len(ours_found), len(duck_found)

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, pandas {pd.__version__}, duckdb {duckdb.__version__} "
          f"({threads} threads), text columns stored by {bills['BillID'].dtype.storage}")
    print(f"sample.make({customers:,} customers, 12 months) in {make_seconds:.1f} s (not timed): {len(bills):,} bills "
          f"(all taken as open), {len(customer_frame):,} customers; the first {len(pay):,} of "
          f"{info['payments_made']:,} payments by date ({info['first']} to {info['last']}); {len(bank):,} of {info['bank_made']:,} bank "
          f"lines (to {info['bank_to']}), {counts['bank_only']:,} credits of them settling no kept payment; "
          f"as of {as_of}")
    print(f"{'method':<58}{'best / median (s)':>19}{'matches':>10}{'reference':>11}{'cust+amount':>13}")
    print(f"{'ours: reconcile.reconcile (every step), auto matches':<58}{t['whole']!s:>19}{ours_total:>10,}"
          f"{ours_by_rule.get('reference', 0):>11,}{ours_by_rule.get('customer_amount', 0):>13,}")
    print(f"{'ours: reconcile.match_by_reference (the same two passes)':<58}{t['passes']!s:>19}")
    print(f"{f'anchor: DuckDB SQL, reference + customer+amount ({threads} threads)':<58}{t['duck']!s:>19}"
          f"{duck_total:>10,}{duck_counts.get('reference', 0):>11,}{duck_counts.get('customer_amount', 0):>13,}")
    print(f"{'anchor: the same SQL on one thread':<58}{t['duck_one']!s:>19}")
    print(f"pairs (payment, bill): {len(both):,} found by both ({same_rule:,} by the same rule), "
          f"{ours_total - len(both):,} by ours only ({from_bank:,} of ours are bank credits, which the anchor "
          f"does not read), {duck_total - len(both):,} by DuckDB only")
    print(f"ours, all passes: {counts['receipts']:,} receipts, {counts['automatic']:,} with money moved, "
          f"{counts['suggested']:,} suggestions, {counts['exceptions']:,} exceptions, "
          f"{counts['settlements']:,} channel days checked against the bank; {repeat} rounds, ours on one core")
    verdict = "PASS" if peak < 3000 * 2**20 else "FAIL"
    print(f"memory: ours in a child process: {report['inputs_rss'] / 2**20:,.0f} MB RSS with the inputs loaded, "
          f"peak {peak / 2**20:,.0f} MB (ru_maxrss of the child), target < 3,000 MB: {verdict}")
    print(f"whole reconciliation / anchor: {t['whole'].best / t['duck'].best:.2f} (medians "
          f"{t['whole'].median / t['duck'].median:.2f})")
    print(f"two passes / anchor on one thread: {t['passes'].best / t['duck_one'].best:.2f} (medians "
          f"{t['passes'].median / t['duck_one'].median:.2f})")
    print(f"two passes / anchor, medians: {t['passes'].median / t['duck'].median:.2f}")
    print(f"ratio={t['passes'].best / t['duck'].best:.2f}")


if __name__ == "__main__":
    main()
