"""Reconciliation as an officer checks it: a handful of bills and payments, the expected match,
money and exception next to them. Amounts in the tables are yuan as typed in the sheet."""

from __future__ import annotations

import datetime

import pandas as pd
import pytest

from feedesk import reconcile, sample
from workbook import layout, tables
from xlfuncs import FD_MATCH_SCORE

AS_OF = datetime.date(2026, 5, 10)


def typed(key: str, columns: dict) -> pd.DataFrame:
    """A table as the workbook host gives it back: typed by the layout, money in fen."""
    header = list(columns)
    rows = [list(r) for r in zip(*columns.values())]
    read = tables.type_table(layout.table(key), header, rows, 2, "zh", key)
    assert not read.problems, read.problems
    return read.frame


CUSTOMERS = typed("Customers", {
    "CustomerID": ["C000101", "C000102", "C000103", "C000104", "C000105", "C000106"],
    "Name": ["张伟", "王芳", "李娜", "刘洋餐饮店", "陈静", "王芳"],
    "CustomerType": ["residential"] * 3 + ["commercial"] + ["residential"] * 2,
    "Address": ["东湖苑3栋1单元502", "东湖苑3栋2单元101", "西溪花园5栋1单元1101", "商铺A-07",
                "南岸家园8栋3单元302", "北辰小区1栋1单元101"],
    "Status": ["active"] * 6,
})

BILLS = typed("Bills", {
    "BillID": ["B2026030001", "B2026030002", "B2026030003", "B2026030004", "B2026030005", "B2026040001",
               "B2026040002", "B2026030006"],
    "CustomerID": ["C000101", "C000102", "C000103", "C000104", "C000105", "C000101", "C000103", "C000106"],
    "Period": ["2026-03"] * 5 + ["2026-04"] * 2 + ["2026-03"],
    "BillDate": ["2026-04-01"] * 5 + ["2026-05-01"] * 2 + ["2026-04-01"],
    "DueDate": ["2026-04-16"] * 5 + ["2026-05-16"] * 2 + ["2026-04-16"],
    "Amount": [75.90, 34.50, 51.75, 866.00, 66.24, 80.10, 48.30, 99.99],
})


def payments(rows: list[dict]) -> pd.DataFrame:
    keys = layout.table("Payments").keys
    return typed("Payments", {k: [r.get(k) for r in rows] for k in keys})


def bank(rows: list[dict]) -> pd.DataFrame:
    keys = layout.table("BankStatement").keys
    return typed("BankStatement", {k: [r.get(k) for r in rows] for k in keys})


NO_BANK = bank([])


def run(pay, bank_lines=NO_BANK, bills=BILLS, decisions=None, **options):
    return reconcile.reconcile(bills, pay, bank_lines, CUSTOMERS, AS_OF, reconcile.Options(**options),
                               decisions=decisions, lang="zh")


def pay(pid, amount, day="2026-04-10", channel="counter", **more):
    return {"PaymentID": pid, "Amount": amount, "PaidDate": day, "Channel": channel, **more}


def only(frame: pd.DataFrame, **where) -> pd.Series:
    for key, value in where.items():
        frame = frame[frame[key] == value]
    assert len(frame) == 1, frame
    return frame.iloc[0]


def money_of(result, payment_id: str, kind: str = "payment") -> dict[str, int]:
    a = result.allocations
    a = a[(a["PaymentID"] == payment_id) & (a["Kind"] == kind)]
    return dict(zip(a["BillID"].fillna(""), a["Amount"].astype(int)))


# -- matching passes ------------------------------------------------------------------------------

def test_bill_id_in_a_full_width_memo_pays_that_bill():
    result = run(payments([pay("P1", 75.90, Reference="Ｂ２０２６０３０００１ 水费")]))
    match = only(result.reconciliation, PaymentID="P1")
    assert (match["BillID"], match["Rule"], match["Status"], match["Score"]) == ("B2026030001", "reference", "auto",
                                                                                1.0)
    assert "B2026030001" in match["Reason"]
    assert money_of(result, "P1") == {"B2026030001": 7590}


def test_customer_and_amount_finds_the_bill():
    result = run(payments([pay("P1", 51.75, CustomerID="C000103")]))  # C000103 owes 51.75 (Mar) and 48.30 (Apr)
    match = only(result.reconciliation, PaymentID="P1")
    assert (match["BillID"], match["Rule"]) == ("B2026030003", "customer_amount")
    assert "C000103" in match["Reason"]


def test_customer_id_in_the_memo_identifies_the_customer():
    result = run(payments([pay("P1", 48.30, Reference="c000103 四月水费", day="2026-05-06")]))
    assert only(result.reconciliation, PaymentID="P1")["BillID"] == "B2026040002"


def test_one_transfer_for_two_months():
    result = run(payments([pay("P1", 100.05, CustomerID="C000103", day="2026-05-05")]))  # 51.75 + 48.30
    rows = result.reconciliation[result.reconciliation["PaymentID"] == "P1"]
    assert list(rows["BillID"]) == ["B2026030003", "B2026040002"]
    assert set(rows["Rule"]) == {"bill_subset"}
    assert money_of(result, "P1") == {"B2026030003": 5175, "B2026040002": 4830}


def test_two_instalments_pay_one_bill():
    result = run(payments([pay("P1", 500.00, CustomerID="C000104", day="2026-04-05"),
                           pay("P2", 366.00, CustomerID="C000104", day="2026-04-20")]))
    rows = result.reconciliation
    assert set(rows["Rule"]) == {"instalments"} and set(rows["BillID"]) == {"B2026030004"}
    assert money_of(result, "P1") == {"B2026030004": 50000}
    assert money_of(result, "P2") == {"B2026030004": 36600}


def test_payer_name_and_amount_match_automatically():
    result = run(payments([pay("P1", 66.24, PayerName="陈 静")]))
    match = only(result.reconciliation, PaymentID="P1")
    assert (match["CustomerID"], match["BillID"], match["Rule"], match["Status"]) == (
        "C000105", "B2026030005", "name", "auto")


def test_a_name_two_customers_share_is_no_match():
    result = run(payments([pay("P1", 12.34, PayerName="王芳")]))
    assert result.reconciliation.empty
    assert only(result.exceptions, SourceID="P1")["Kind"] == "unmatched_payment"


def test_amount_alone_is_only_a_suggestion_and_moves_no_money():
    result = run(payments([pay("P1", 99.99, PayerName="某某")]))
    match = only(result.reconciliation, PaymentID="P1")
    assert (match["BillID"], match["Rule"], match["Status"]) == ("B2026030006", "amount", "suggested")
    assert result.allocations.empty
    assert only(result.exceptions, SourceID="P1")["Kind"] == "suggested"
    assert result.counts["unmatched_fen"] == 9999


def test_small_shortfall_within_tolerance_is_written_off():
    result = run(payments([pay("P1", 75.87, CustomerID="C000101")]), tolerance=5)  # 3 fen short
    match = only(result.reconciliation, PaymentID="P1")
    assert (match["BillID"], match["Rule"]) == ("B2026030001", "tolerance")
    assert money_of(result, "P1") == {"B2026030001": 7587}
    assert money_of(result, "P1", "writeoff") == {"B2026030001": 3}


def test_refund_cancels_the_payment_it_returns():
    result = run(payments([
        pay("P1", 75.90, CustomerID="C000101", Reference="B2026030001", day="2026-04-05"),
        pay("P2", 75.90, CustomerID="C000101", Reference="B2026030001", day="2026-04-06"),
        pay("R1", -75.90, CustomerID="C000101", Reference="退款 P2", day="2026-04-08"),
    ]))
    reversal = only(result.reconciliation, PaymentID="R1")
    assert (reversal["Rule"], reversal["LinkedID"], reversal["Amount"]) == ("reversal", "P2", -7590)
    assert money_of(result, "P1") == {"B2026030001": 7590}
    assert money_of(result, "P2") == {} and money_of(result, "P2", "credit") == {}
    assert result.counts["received_fen"] == 7590 and result.counts["allocated_fen"] == 7590


def test_customer_known_pays_oldest_first_and_the_rest_is_credit():
    result = run(payments([pay("P1", 200.00, CustomerID="C000101", day="2026-05-05")]))
    match = only(result.reconciliation, PaymentID="P1")
    assert (match["Rule"], match["BillID"] if isinstance(match["BillID"], str) else None) == ("customer", None)
    assert money_of(result, "P1") == {"B2026030001": 7590, "B2026040001": 8010}
    assert money_of(result, "P1", "credit") == {"": 4400}
    assert only(result.exceptions, SourceID="P1", Kind="overpayment")["Amount"] == 4400


def test_duplicate_payment_is_flagged_and_held_as_credit():
    result = run(payments([pay("P1", 66.24, CustomerID="C000105", day="2026-04-05"),
                           pay("P2", 66.24, CustomerID="C000105", day="2026-04-07")]))
    assert money_of(result, "P1") == {"B2026030005": 6624}
    assert money_of(result, "P2", "credit") == {"": 6624}
    assert "P1" in only(result.exceptions, SourceID="P2", Kind="duplicate")["Detail"]


def test_passes_can_be_switched_off():
    result = run(payments([pay("P1", 51.75, CustomerID="C000103")]), passes=("reference", "customer"))
    assert only(result.reconciliation, PaymentID="P1")["Rule"] == "customer"


# -- channels against the bank ----------------------------------------------------------------------

def test_a_day_of_wechat_receipts_settles_net_of_fees():
    pay_rows = payments([
        pay("W1", 75.90, channel="wechat", Fee=0.46, Reference="B2026030001", day="2026-04-10"),
        pay("W2", 34.50, channel="wechat", Fee=0.21, Reference="B2026030002", day="2026-04-10"),
        pay("W3", 51.75, channel="wechat", Fee=0.31, Reference="B2026030003", day="2026-04-11"),
    ])
    lines = bank([
        {"TxnID": "T1", "TxnDate": "2026-04-11", "Credit": 109.73, "CounterpartyName": "财付通支付科技有限公司"},
        {"TxnID": "T2", "TxnDate": "2026-04-12", "Credit": 51.40, "CounterpartyName": "财付通支付科技有限公司"},
        {"TxnID": "T3", "TxnDate": "2026-04-12", "Credit": 3.21, "Summary": "结息"},
    ])
    result = run(pay_rows, lines)
    s = result.settlements
    first = only(s, PayDate=pd.Timestamp("2026-04-10"))
    assert (first["Payments"], first["Gross"], first["Fees"], first["Net"], first["BankTxnID"], first["Status"]) == (
        2, 11040, 67, 10973, "T1", "settled")
    second = only(s, PayDate=pd.Timestamp("2026-04-11"))
    assert (second["BankTxnID"], second["Difference"], second["Status"]) == ("T2", -4, "difference")
    assert only(result.exceptions, Kind="settlement_difference")["Amount"] == -4
    assert only(result.reconciliation, PaymentID="W1")["BankTxnID"] == "T1"
    # The interest line settles nothing and pays no bill.
    assert only(result.exceptions, SourceID="T3")["Kind"] == "unmatched_bank"


def test_bank_transfer_links_to_its_bank_line_and_a_bank_only_credit_is_matched_itself():
    pay_rows = payments([pay("P1", 75.90, channel="bank", ChannelTxnID="T9", Reference="B2026030001")])
    lines = bank([{"TxnID": "T9", "TxnDate": "2026-04-10", "Credit": 75.90},
                  {"TxnID": "T10", "TxnDate": "2026-04-12", "Credit": 34.50, "CounterpartyName": "王芳",
                   "Memo": "B2026030002 水费"}])
    result = run(pay_rows, lines)
    assert only(result.reconciliation, PaymentID="P1")["BankTxnID"] == "T9"
    bank_only = only(result.reconciliation, PaymentID="T10")
    assert (bank_only["Source"], bank_only["BillID"]) == ("bank", "B2026030002")
    assert money_of(result, "T10") == {"B2026030002": 3450}


def test_settlement_not_in_the_bank_after_three_days_is_missing():
    result = run(payments([pay("A1", 75.90, channel="alipay", Fee=0.46, Reference="B2026030001",
                               day="2026-04-20")]))
    assert only(result.settlements)["Status"] == "missing"
    assert only(result.exceptions, Kind="settlement_missing")["Amount"] == 7544


# -- the officer decides -----------------------------------------------------------------------------

def test_confirmed_suggestion_moves_money_and_is_kept():
    first = run(payments([pay("P1", 99.99, PayerName="某某")]))
    decided = first.reconciliation.assign(Decision="confirm")
    second = run(payments([pay("P1", 99.99, PayerName="某某")]), decisions=decided)
    match = only(second.reconciliation, PaymentID="P1")
    assert (match["Status"], match["Decision"], match["BillID"]) == ("confirmed", "confirm", "B2026030006")
    assert money_of(second, "P1") == {"B2026030006": 9999}
    third = run(payments([pay("P1", 99.99, PayerName="某某")]), decisions=second.reconciliation)
    pd.testing.assert_frame_equal(third.reconciliation, second.reconciliation)
    pd.testing.assert_frame_equal(third.allocations, second.allocations)


def test_rejected_match_is_never_proposed_again():
    pay_rows = payments([pay("P1", 99.99, PayerName="某某")])
    first = run(pay_rows)
    second = run(pay_rows, decisions=first.reconciliation.assign(Decision="reject"))
    match = only(second.reconciliation, PaymentID="P1")
    assert (match["Status"], match["Decision"]) == ("rejected", "reject")
    assert second.allocations.empty
    assert only(second.exceptions, SourceID="P1")["Kind"] == "unmatched_payment"


def test_confirmed_match_is_not_rematched_when_a_better_one_appears():
    pay_rows = payments([pay("P1", 75.90, CustomerID="C000101")])
    first = run(pay_rows)
    confirmed = first.reconciliation.assign(Decision="confirm")
    # The officer later types the April bill into the memo: the confirmed March match stays.
    later = payments([pay("P1", 75.90, CustomerID="C000101", Reference="B2026040001")])
    second = run(later, decisions=confirmed)
    assert list(second.reconciliation["BillID"]) == ["B2026030001"]


def test_running_twice_gives_the_same_tables():
    pay_rows = payments([pay("P1", 75.90, Reference="B2026030001"), pay("P2", 99.99, PayerName="某某"),
                         pay("P3", 200.00, CustomerID="C000103")])
    first = run(pay_rows)
    second = run(pay_rows, decisions=first.reconciliation)
    for a, b in zip((first.reconciliation, first.allocations, first.exceptions, first.settlements),
                    (second.reconciliation, second.allocations, second.exceptions, second.settlements)):
        pd.testing.assert_frame_equal(a, b)


# -- the ledger against the GL -----------------------------------------------------------------------

def test_ledger_check_explains_cash_booked_in_the_next_period():
    bills = BILLS[BILLS["Period"] == "2026-03"]
    pay_rows = payments([pay("P1", 75.90, day="2026-03-31", Reference="B2026030001"),
                         pay("P2", 34.50, day="2026-04-02", Reference="B2026030002")])
    gl = typed("GL", {
        "Period": ["2026-03", "2026-04"], "Account": ["1122", "1122"],
        "OpeningBalance": [0, 1194.38], "Debit": [1194.38, 0], "Credit": [0, 110.40],
        "ClosingBalance": [1194.38, 1083.98],  # finance booked P1 (31 March) in April
    })
    check = reconcile.ledger_check(bills, pay_rows, gl, None, "1122", "zh")
    march, april = check.iloc[0], check.iloc[1]
    assert (march["LedgerClosing"], march["GLClosing"], march["Variance"], march["Unexplained"]) == (
        111848, 119438, 7590, 0)  # March bills 1,194.38 less P1 75.90; the GL still has P1 open
    assert "P1" in march["Explanation"]
    assert (april["Variance"], april["Unexplained"]) == (0, 0)


# -- the sample's known truth ----------------------------------------------------------------------

def test_automatic_matches_on_the_sample_are_precise_and_complete():
    book = sample.make(customers=600, months=6, seed=11)
    t = book.tables
    result = reconcile.reconcile(t["Bills"], t["Payments"], t["BankStatement"], t["Customers"],
                                 book.settings["AsOfDate"])
    quality = reconcile.match_quality(result.reconciliation, book.truth, t["Bills"])
    assert quality.precision >= 0.995, quality
    assert quality.recall >= 0.97, quality
    assert result.counts["received_fen"] == (result.counts["allocated_fen"] + result.counts["credit_fen"]
                                             + result.counts["unmatched_fen"])


# -- worksheet function ------------------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b", "score"), [
    ("王芳", "王芳", 100.0),
    ("刘洋餐饮店", "刘洋 餐饮店", 100.0),
    ("ＡＢＣ Trading", "abc trading", 100.0),
    ("张伟", "", 0.0),
])
def test_match_score(a, b, score):
    assert FD_MATCH_SCORE(a, b) == score


def test_match_score_of_different_names_is_low():
    assert FD_MATCH_SCORE("王芳", "李娜") < 50
