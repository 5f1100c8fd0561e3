"""Properties of the reconciliation on random small ledgers, and fifo against a slow loop.

An officer trusts the Allocations table because of a few plain facts: no payment is spent
beyond its amount, no bill is paid beyond its amount, every fen received is either on a bill,
held as credit or still unmatched, running again changes nothing, and a confirm / reject
written in the Decision column is kept. The ledgers here are random but shaped like a desk's:
payments that name their bill or customer, payers called like customers, refunds, bank
credits nobody entered, WeChat / Alipay / counter days settling in the bank.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedesk import allocation, reconcile

AS_OF = datetime.date(2026, 4, 10)
NAMES = ["张伟", "王芳", "李娜", "刘洋餐饮店", "陈静", "张伟"]  # the last is a namesake: a tie
ADDRESSES = ["3栋1单元502", "3栋2单元101", "5栋1单元1101", "商铺A-07", "8栋3单元302", "9栋1单元201"]
STRANGERS = ["赵敏", "王 芳", "李娜(138****0000)", "张伟伟", "某某贸易公司", "LI NA"]
CHANNELS = ["bank", "wechat", "alipay", "counter"]
SETTLE_WORDS = {"wechat": "财付通 结算", "alipay": "支付宝 结算", "counter": "现金 存款", "bank": "转账"}
RECEIPT_KINDS = ("payment", "credit")
MONEY_LEAVES_BILL = ("payment", "writeoff")


def _text(values) -> pd.Series:
    return pd.Series(values, dtype="str")


def _fen(values) -> pd.Series:
    return pd.Series(values, dtype="Int64")


def _days(values) -> pd.Series:
    return pd.Series(pd.to_datetime(pd.Series(values, dtype=object)), dtype="datetime64[ns]").astype("datetime64[s]")


def _day(offset: int) -> datetime.date:
    return AS_OF + datetime.timedelta(days=offset)


# ---------------------------------------------------------------------------------------------
# Random ledgers
# ---------------------------------------------------------------------------------------------

amounts = st.integers(1, 50_000)


@st.composite
def ledgers(draw):
    """Customers, bills, payments (refunds among them) and a bank statement, typed as read."""
    n_customers = draw(st.integers(1, 6))
    customer_ids = [f"C{101 + k:06d}" for k in range(n_customers)]
    names = [NAMES[k] for k in range(n_customers)]
    customers = pd.DataFrame({
        "CustomerID": _text(customer_ids),
        "Name": _text(names),
        "CustomerType": _text(["residential"] * n_customers),
        "Region": _text(["东区"] * n_customers),
        "Address": _text(ADDRESSES[:n_customers]),
        "Area": pd.Series([90.0] * n_customers, dtype="float64"),
        "Persons": _fen([3] * n_customers),
        "Phone": _text([None] * n_customers),
        "Email": _text([None] * n_customers),
        "Officer": _text([None] * n_customers),
        "Status": _text(["active"] * n_customers),
        "Exemption": _text([None] * n_customers),
        "OpenDate": _days([datetime.date(2020, 1, 1)] * n_customers),
    })

    bill_rows = draw(st.lists(st.tuples(st.integers(0, n_customers - 1), st.integers(-100, 0), amounts),
                              max_size=15))
    bill_ids = [f"B2026{k + 1:06d}" for k in range(len(bill_rows))]
    bill_customer = [customer_ids[c] for c, _, _ in bill_rows]
    bill_amount = [a for _, _, a in bill_rows]
    bill_date = [_day(d) for _, d, _ in bill_rows]
    bills = pd.DataFrame({
        "BillID": _text(bill_ids),
        "CustomerID": _text(bill_customer),
        "Period": _text([f"{d.year:04d}-{d.month:02d}" for d in bill_date]),
        "FeeItem": _text(["water"] * len(bill_rows)),
        "BillDate": _days(bill_date),
        "DueDate": _days([d + datetime.timedelta(days=15) for d in bill_date]),
        "Quantity": pd.Series([10.0] * len(bill_rows), dtype="float64"),
        "Amount": _fen(bill_amount),
        "PaidAmount": _fen([0] * len(bill_rows)),
        "Status": _text(["open"] * len(bill_rows)),
        "Note": _text([None] * len(bill_rows)),
    })

    pay: dict[str, list] = {k: [] for k in ("PaymentID", "Channel", "PaidDate", "Amount", "Fee", "CustomerID",
                                             "BillID", "PayerName", "Reference", "ChannelTxnID", "Note")}
    bank: dict[str, list] = {k: [] for k in ("TxnID", "TxnDate", "Credit", "Debit", "Balance", "CounterpartyName",
                                              "CounterpartyAccount", "Summary", "Memo")}

    def bank_line(day, credit, debit=None, counterparty=None, summary=None, memo=None):
        txn = f"T{len(bank['TxnID']) + 1:07d}"
        for key, value in (("TxnID", txn), ("TxnDate", day), ("Credit", credit), ("Debit", debit),
                           ("Balance", None), ("CounterpartyName", counterparty), ("CounterpartyAccount", None),
                           ("Summary", summary), ("Memo", memo)):
            bank[key].append(value)
        return txn

    n_payments = draw(st.integers(0, 20))
    for k in range(n_payments):
        pid = f"P2026{k + 1:06d}"
        channel = draw(st.sampled_from(CHANNELS))
        day = draw(st.integers(-90, 3))  # a few after as_of: left out
        customer = draw(st.sampled_from([None, None] + list(range(n_customers))))
        bill = None
        earlier = [j for j in range(k) if pay["Amount"][j] > 0]
        shape = draw(st.sampled_from(["bill", "bill", "tolerance", "two_bills", "random", "refund"]))
        if shape == "refund" and earlier:
            j = draw(st.sampled_from(earlier))
            amount = -draw(st.sampled_from([pay["Amount"][j], max(1, pay["Amount"][j] // 2),
                                            pay["Amount"][j] + 100]))
            day = max(day, (pay["PaidDate"][j] - AS_OF).days)
            customer_id = pay["CustomerID"][j] if draw(st.booleans()) else None
            payer = pay["PayerName"][j]
            reference = draw(st.sampled_from([f"退款 {pid_j}" for pid_j in [pay["PaymentID"][j]]] + [None, "退款"]))
        else:
            if shape in ("bill", "tolerance", "two_bills") and bill_rows:
                bill = draw(st.integers(0, len(bill_rows) - 1))
                amount = bill_amount[bill]
                if shape == "tolerance":
                    amount = max(1, amount + draw(st.integers(-5, 5)))
                elif shape == "two_bills":
                    owner = bill_rows[bill][0]
                    mates = [b for b in range(len(bill_rows)) if bill_rows[b][0] == owner and b != bill]
                    if mates:
                        amount += bill_amount[draw(st.sampled_from(mates))]
                if customer is None and draw(st.booleans()):
                    customer = bill_rows[bill][0] if draw(st.integers(0, 3)) else customer
            else:
                amount = draw(amounts)
            customer_id = customer_ids[customer] if customer is not None else None
            payer = draw(st.sampled_from([None, None, "某某贸易公司", *STRANGERS[:3],
                                          *(names if customer is None else [names[customer]] * 3)]))
            refs = [None, None, "物业费", "水费"]
            if bill is not None:
                refs += [f"{bill_ids[bill]}", f"缴费 {bill_ids[bill].lower()} 谢谢"]
                if shape == "two_bills":
                    refs += [" ".join(bill_ids[b] for b in range(len(bill_rows))
                                      if bill_rows[b][0] == bill_rows[bill][0])]
            if customer is not None:
                refs += [f"{customer_ids[customer]} 水费", f"{ADDRESSES[customer]} 物业费"]
            reference = draw(st.sampled_from(refs))
        bill_column = bill_ids[bill] if bill is not None and amount > 0 and draw(st.integers(0, 3)) == 0 else None
        fee = draw(st.sampled_from([None, 0, 6])) if channel in ("wechat", "alipay") and amount > 0 else None
        channel_txn = draw(st.sampled_from([None, f"4200{k:08d}", f"4200{max(k - 1, 0):08d}"]))
        # The bank: a transfer shows up once, a channel's money maybe (per payment, so net may differ).
        if amount > 0 and day <= 0 and draw(st.integers(0, 2)) == 0:
            line_day = day + draw(st.integers(0, 2))
            net = amount - (fee or 0) if channel in ("wechat", "alipay") else amount
            txn = bank_line(_day(line_day), net, counterparty=draw(st.sampled_from([payer, None, "财付通"])),
                            summary=SETTLE_WORDS[channel])
            if channel == "bank" and draw(st.booleans()):
                channel_txn = txn
        for key, value in (("PaymentID", pid), ("Channel", channel), ("PaidDate", _day(day)), ("Amount", amount),
                           ("Fee", fee), ("CustomerID", customer_id), ("BillID", bill_column),
                           ("PayerName", payer), ("Reference", reference), ("ChannelTxnID", channel_txn),
                           ("Note", None)):
            pay[key].append(value)

    # Bank credits nobody entered (some of a bill's amount, some naming a customer), and debits.
    for _ in range(draw(st.integers(0, 6))):
        day = draw(st.integers(-90, 2))
        if bill_rows and draw(st.booleans()):
            b = draw(st.integers(0, len(bill_rows) - 1))
            credit = bill_amount[b]
            memo = draw(st.sampled_from([None, bill_ids[b], f"{customer_ids[bill_rows[b][0]]} 物业费"]))
            counterparty = draw(st.sampled_from([None, NAMES[bill_rows[b][0]], "某某贸易公司"]))
        else:
            credit = draw(amounts)
            memo = draw(st.sampled_from([None, "利息"]))
            counterparty = draw(st.sampled_from([None, *names, "某某贸易公司"]))
        if draw(st.integers(0, 4)) == 0:
            bank_line(_day(day), None, debit=credit, counterparty=counterparty, summary="代发")
        else:
            bank_line(_day(day), credit, counterparty=counterparty, summary=draw(st.sampled_from(
                ["转账", "汇入", "财付通 结算", "支付宝 结算"])), memo=memo)

    payments = pd.DataFrame({
        "PaymentID": _text(pay["PaymentID"]),
        "Channel": _text(pay["Channel"]),
        "PaidDate": _days(pay["PaidDate"]),
        "Amount": _fen(pay["Amount"]),
        "Fee": _fen(pay["Fee"]),
        "CustomerID": _text(pay["CustomerID"]),
        "BillID": _text(pay["BillID"]),
        "PayerName": _text(pay["PayerName"]),
        "Reference": _text(pay["Reference"]),
        "ChannelTxnID": _text(pay["ChannelTxnID"]),
        "Note": _text(pay["Note"]),
    })
    statement = pd.DataFrame({
        "TxnID": _text(bank["TxnID"]),
        "TxnDate": _days(bank["TxnDate"]),
        "Credit": _fen(bank["Credit"]),
        "Debit": _fen(bank["Debit"]),
        "Balance": _fen(bank["Balance"]),
        "CounterpartyName": _text(bank["CounterpartyName"]),
        "CounterpartyAccount": _text(bank["CounterpartyAccount"]),
        "Summary": _text(bank["Summary"]),
        "Memo": _text(bank["Memo"]),
    })
    return bills, payments, statement, customers


def run(ledger, decisions=None) -> reconcile.Result:
    bills, payments, bank, customers = ledger
    return reconcile.reconcile(bills, payments, bank, customers, as_of=AS_OF, options=reconcile.Options(),
                               decisions=decisions, lang="zh")


# ---------------------------------------------------------------------------------------------
# What the result says, read back independently
# ---------------------------------------------------------------------------------------------

def bank_receipt_ids(result: reconcile.Result) -> set[str]:
    """Bank credits that became receipts: each has a Reconciliation row or an exception of its own."""
    recon, exc = result.reconciliation, result.exceptions
    ids = set(recon.loc[recon["Source"] == "bank", "PaymentID"].tolist())
    ids |= set(exc.loc[(exc["Source"] == "bank") & (exc["Kind"] != "settlement_difference"), "SourceID"].tolist())
    return ids


def receipt_amounts(ledger, result: reconcile.Result) -> dict[str, int]:
    """Every receipt's amount as input: payments up to as_of, and bank credits settling nothing."""
    _, payments, bank, _ = ledger
    taken = payments[payments["PaidDate"] <= pd.Timestamp(AS_OF)]
    received = dict(zip(taken["PaymentID"].tolist(), taken["Amount"].fillna(0).astype(int).tolist()))
    credit = dict(zip(bank["TxnID"].tolist(), bank["Credit"].tolist()))
    for txn in bank_receipt_ids(result):
        received[txn] = int(credit[txn])
    return received


def after_reversals(received: dict[str, int], recon: pd.DataFrame) -> dict[str, int]:
    """What each receipt has left to match once refunds cancelled what they return: a reversal
    row on refund R of amount -x, linked to payment P, moves x from P to R."""
    left = dict(received)
    reversal = recon[recon["Rule"] == "reversal"]
    for refund, original, amount in zip(reversal["PaymentID"], reversal["LinkedID"], reversal["Amount"]):
        left[refund] -= int(amount)
        left[original] += int(amount)
    return left


def moving_receipts(recon: pd.DataFrame) -> set[str]:
    moving = recon[recon["Status"].isin(reconcile.MOVES_MONEY) & (recon["Rule"] != "reversal")]
    return set(moving["PaymentID"].tolist())


def check_allocations(ledger, result: reconcile.Result, exact_receipts: bool = True) -> None:
    """Properties 1-3: receipts and bills never over-allocated; the fen all accounted for."""
    bills, payments, bank, _ = ledger
    alloc, recon, counts = result.allocations, result.reconciliation, result.counts
    received = receipt_amounts(ledger, result)

    # Bank receipts are bank credits (dated <= as_of, > 0) that settle nothing.
    settled_lines = set(result.settlements["BankTxnID"].dropna().tolist())
    bank_ids = bank_receipt_ids(result)
    credit = dict(zip(bank["TxnID"].tolist(), bank["Credit"].tolist()))
    on_time = dict(zip(bank["TxnID"].tolist(), (bank["TxnDate"] <= pd.Timestamp(AS_OF)).tolist()))
    for txn in bank_ids:
        assert txn in credit and pd.notna(credit[txn]) and credit[txn] > 0 and on_time[txn], txn
        assert txn not in settled_lines, txn
    assert counts["bank_only"] == len(bank_ids)
    assert counts["receipts"] == len(received)

    # 1. Every allocation is positive and names a receipt; no receipt spends more than it has.
    assert (alloc["Amount"] > 0).all()
    assert set(alloc["Kind"]) <= {"payment", "credit", "writeoff"}
    assert set(alloc["PaymentID"]) <= set(received)
    source = dict(zip(recon["PaymentID"], recon["Source"]))
    for pid, src in zip(alloc["PaymentID"], alloc["Source"]):
        assert src == ("bank" if pid in bank_ids else "payments"), (pid, src)
        assert source.get(pid, src) == src
    spent = alloc[alloc["Kind"].isin(RECEIPT_KINDS)].groupby("PaymentID")["Amount"].sum()
    for pid, value in spent.items():
        assert value <= received[pid], (pid, int(value), received[pid])

    # 2. No bill is paid (or written off) beyond its amount.
    bill_amount = dict(zip(bills["BillID"], bills["Amount"]))
    settled = alloc[alloc["Kind"].isin(MONEY_LEAVES_BILL)].groupby("BillID")["Amount"].sum()
    for bid, value in settled.items():
        assert value <= bill_amount[bid], (bid, int(value), int(bill_amount[bid]))
    assert alloc.loc[alloc["Kind"] == "credit", "BillID"].isna().all()
    assert alloc.loc[alloc["Kind"] != "credit", "BillID"].notna().all()

    # 3. Every fen received is on a bill, held as credit, or unmatched.
    left = after_reversals(received, recon)
    assert sum(left.values()) == sum(received.values())
    moving = moving_receipts(recon)
    unmatched = sum(v for pid, v in left.items() if pid not in moving)
    allocated = int(alloc.loc[alloc["Kind"] == "payment", "Amount"].sum())
    credits = int(alloc.loc[alloc["Kind"] == "credit", "Amount"].sum())
    writeoffs = int(alloc.loc[alloc["Kind"] == "writeoff", "Amount"].sum())
    if exact_receipts:
        # A receipt that moves money moves all it has left after refunds: onto bills or as credit.
        for pid in moving:
            assert int(spent.get(pid, 0)) == left[pid], (pid, int(spent.get(pid, 0)), left[pid])
        assert sum(received.values()) == allocated + credits + unmatched
    for pid in set(spent.index) - moving:
        raise AssertionError(f"{pid} allocated without an automatic or confirmed match")
    # The counts agree with the tables and with the input.
    bank_total = sum(received[t] for t in bank_ids)
    taken = payments[payments["PaidDate"] <= pd.Timestamp(AS_OF)]
    assert counts["received_fen"] == int(taken["Amount"].fillna(0).sum()) + bank_total
    assert counts["received_fen"] == sum(received.values())
    assert counts["allocated_fen"] == allocated
    assert counts["credit_fen"] == credits
    assert counts["writeoff_fen"] == writeoffs
    assert counts["unmatched_fen"] == counts["received_fen"] - allocated - credits
    if exact_receipts:
        assert counts["unmatched_fen"] == unmatched
    # Unmatched receipts (after refunds) are each listed as an exception.
    listed = set(result.exceptions["SourceID"].dropna().tolist())
    for pid, value in left.items():
        if pid not in moving and value != 0:
            assert pid in listed, pid


def assert_same(first: reconcile.Result, second: reconcile.Result) -> None:
    for name in ("reconciliation", "allocations", "exceptions", "settlements"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name), obj=name)
    assert first.counts == second.counts


QUICK = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                         HealthCheck.data_too_large])


# ---------------------------------------------------------------------------------------------
# Properties 1-4
# ---------------------------------------------------------------------------------------------

@QUICK
@given(ledgers())
def test_money_is_neither_made_nor_lost(ledger):
    """1-3: receipts and bills are never over-allocated; received = allocated + credit + unmatched."""
    check_allocations(ledger, run(ledger))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(ledgers())
def test_running_again_changes_nothing(ledger):
    """4: the result read back as decisions gives the same result."""
    first = run(ledger)
    assert_same(first, run(ledger, first.reconciliation))


# ---------------------------------------------------------------------------------------------
# Property 5: decisions are kept
# ---------------------------------------------------------------------------------------------

def _target(row) -> tuple[str, str]:
    return "bill" if isinstance(row.BillID, str) else "customer", (row.BillID if isinstance(row.BillID, str)
                                                                  else row.CustomerID)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(ledgers(), st.data())
def test_decisions_are_kept(ledger, data):
    first = run(ledger)
    recon = first.reconciliation.copy()
    suggested = np.flatnonzero((recon["Status"] == reconcile.SUGGESTED).to_numpy())
    choice = data.draw(st.lists(st.sampled_from(["confirm", "reject", None]), min_size=len(suggested),
                                max_size=len(suggested)), label="decisions")
    for at, decision in zip(suggested.tolist(), choice):
        if decision:
            recon.loc[at, "Decision"] = decision
    second = run(ledger, recon)
    again = second.reconciliation
    key = ["PaymentID", "BillID", "CustomerID"]
    for row in recon[recon["Decision"] == "confirm"].itertuples(index=False):
        same = again[(again["PaymentID"] == row.PaymentID) & (again["BillID"].fillna("") == (
            row.BillID if isinstance(row.BillID, str) else "")) & (again["CustomerID"].fillna("") == (
                row.CustomerID if isinstance(row.CustomerID, str) else ""))]
        assert len(same) == 1, (row.PaymentID, row.BillID, row.CustomerID)
        assert same["Status"].iat[0] == reconcile.CONFIRMED
        assert same["Amount"].iat[0] == row.Amount
        assert same["Decision"].iat[0] == "confirm"
        # A confirmed payment is never matched again.
        others = again[(again["PaymentID"] == row.PaymentID) & (again["Status"] != reconcile.REJECTED)]
        assert set(others["Status"]) == {reconcile.CONFIRMED}, others[key + ["Status"]]
    for row in recon[recon["Decision"] == "reject"].itertuples(index=False):
        kind, target = _target(row)
        mine = again[again["PaymentID"] == row.PaymentID]
        column = "BillID" if kind == "bill" else "CustomerID"
        same = mine[mine[column] == target]
        if kind == "customer":
            same = same[same["BillID"].isna()]
        assert (same["Status"] == reconcile.REJECTED).sum() == 1, same[key + ["Status"]]
        assert (same["Status"] == reconcile.REJECTED).all(), (row.PaymentID, target, same[key + ["Status"]])
    check_allocations(ledger, second, exact_receipts=False)
    third = run(ledger, second.reconciliation)
    assert_same(second, third)


# ---------------------------------------------------------------------------------------------
# Property 6: fifo against a slow loop, and worked examples
# ---------------------------------------------------------------------------------------------

def slow_fifo(supply_key, supply_amount, demand_key, demand_amount):
    """Within each key, the first supply pays the first demand until one runs out: a plain loop."""
    s_left = [max(int(a), 0) for a in supply_amount]
    d_left = [max(int(a), 0) for a in demand_amount]
    pairs = []
    for key in sorted(set(supply_key) | set(demand_key)):
        s = [i for i, k in enumerate(supply_key) if k == key]
        d = [j for j, k in enumerate(demand_key) if k == key]
        p = q = 0
        while p < len(s) and q < len(d):
            if s_left[s[p]] == 0:
                p += 1
            elif d_left[d[q]] == 0:
                q += 1
            else:
                amount = min(s_left[s[p]], d_left[d[q]])
                pairs.append((s[p], d[q], amount))
                s_left[s[p]] -= amount
                d_left[d[q]] -= amount
    return pairs, s_left, d_left


def fast_fifo(supply_key, supply_amount, demand_key, demand_amount):
    got = allocation.fifo(supply_key, supply_amount, demand_key, demand_amount)
    pairs = list(zip(got.supply.tolist(), got.demand.tolist(), got.amount.tolist()))
    return pairs, got.supply_left.tolist(), got.demand_left.tolist()


sides = st.lists(st.tuples(st.integers(0, 4), st.integers(-20, 60)), max_size=10).map(
    lambda rows: sorted(rows, key=lambda r: r[0]))  # sorted by key, stable: order within a key kept


@settings(max_examples=400, deadline=None)
@given(sides, sides)
def test_fifo_matches_a_slow_loop(supplies, demands):
    args = ([k for k, _ in supplies], [a for _, a in supplies], [k for k, _ in demands], [a for _, a in demands])
    assert fast_fifo(*args) == slow_fifo(*args)


@pytest.mark.parametrize("args, pairs, supply_left, demand_left", [
    # 5.00 + 7.00 yuan against two bills of 10.00: the first bill takes 5.00 then 5.00, the second 2.00.
    (([0, 0], [500, 700], [0, 0], [1000, 1000]), [(0, 0, 500), (1, 0, 500), (1, 1, 200)], [0, 0], [0, 800]),
    # Overpaid: 30.00 against bills of 10.00 and 15.00 leaves 5.00 of the payment.
    (([3], [3000], [3, 3], [1000, 1500]), [(0, 0, 1000), (0, 1, 1500)], [500], [0, 0]),
    # Keys keep apart: customer 1's money pays nothing of customer 2; a zero and a refund take no part.
    (([1, 1, 1, 2], [0, -300, 400, 250], [1, 2, 2], [100, 200, 200]),
     [(2, 0, 100), (3, 1, 200), (3, 2, 50)], [0, 0, 300, 0], [0, 0, 150]),
    # A key with bills and no money, a key with money and no bills.
    (([0], [900], [1], [900]), [], [900], [900]),
])
def test_fifo_examples(args, pairs, supply_left, demand_left):
    assert fast_fifo(*args) == (pairs, supply_left, demand_left)
    assert slow_fifo(*args) == (pairs, supply_left, demand_left)


def test_fifo_refuses_unsorted_keys():
    with pytest.raises(ValueError):
        allocation.fifo([1, 0], [100, 100], [0, 1], [100, 100])
