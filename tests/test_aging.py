"""Aging and dunning as an officer checks them: a few bills, what paid them and when, the
buckets and reminders expected next to them. Amounts in the tables are yuan as typed."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from feedesk import aging, dunning
from tests.test_reconcile import typed

BOUNDS = (0, 30, 60, 90, 180, 365)
AS_OF = datetime.date(2026, 6, 30)

CUSTOMERS = typed("Customers", {
    "CustomerID": ["C1", "C2", "C3", "C4", "C5", "C6"],
    "Name": ["张伟", "王芳", "李娜", "刘洋餐饮店", "陈静", "赵敏"],
    "CustomerType": ["residential", "residential", "residential", "commercial", "residential", "residential"],
    "Region": ["东区", "东区", "西区", "西区", "南区", "南区"],
    "Officer": ["陈晓东", "陈晓东", "王丽娟", "王丽娟", "刘海波", "刘海波"],
    "Status": ["active"] * 6,
    "Exemption": [None, None, None, None, "hardship", None],
})

# Five bills an officer would recognise (ERPNext's and Odoo's aging cases):
#   B1 C1 100.00 due 03-31, paid 40.00 on 04-10: partly paid, 91 days overdue -> 91-180天
#   B2 C2 200.00 due 05-31, paid in full on 07-05, after the as-of date -> still open, 1-30天
#   B3 C3 300.00 due 07-15: not yet due
#   B4 C4 -50.00 credit note (a refund of an overcharge)
#   B5 C4 500.00 due 2025-06-15: 380 days overdue -> 365天以上
BILLS = typed("Bills", {
    "BillID": ["B1", "B2", "B3", "B4", "B5"],
    "CustomerID": ["C1", "C2", "C3", "C4", "C4"],
    "Period": ["2026-02", "2026-04", "2026-06", "2026-05", "2025-05"],
    "BillDate": ["2026-03-16", "2026-05-16", "2026-06-30", "2026-06-10", "2025-05-31"],
    "DueDate": ["2026-03-31", "2026-05-31", "2026-07-15", "2026-06-10", "2025-06-15"],
    "Amount": [100.00, 200.00, 300.00, -50.00, 500.00],
})

# A customer with only credit (C6 paid 80.00 with nothing to pay) and the payments above.
ALLOCATIONS = typed("Allocations", {
    "AllocationID": ["A1", "A2", "A3"],
    "PaymentID": ["P1", "P2", "P3"],
    "BillID": ["B1", "B2", None],
    "CustomerID": ["C1", "C2", "C6"],
    "AllocDate": ["2026-04-10", "2026-07-05", "2026-05-02"],
    "Amount": [40.00, 200.00, 80.00],
    "Kind": ["payment", "payment", "credit"],
})


def aged(as_of=AS_OF, allocations=ALLOCATIONS, bills=BILLS, basis="due"):
    items = aging.open_items(bills, allocations, as_of, "zh")
    return aging.bucket_open_items(items.items, as_of, BOUNDS, basis, "zh"), items


def test_buckets_of_the_five_bills():
    result, opened = aged()
    by_item = {(r.CustomerID, r.BillID if isinstance(r.BillID, str) else None): (r.Open, r.DaysOverdue, r.Bucket)
               for r in result.itertuples()}
    assert by_item == {
        ("C1", "B1"): (6000, 91, "91-180天"),  # due 31 March, 91 days on 30 June
        ("C2", "B2"): (20000, 30, "1-30天"),  # paid after the as-of date: still open
        ("C3", "B3"): (30000, 0, "未到期"),
        ("C4", "B4"): (-5000, 0, "预存/贷项"),  # credit note
        ("C4", "B5"): (50000, 380, "365天以上"),
        ("C6", None): (-8000, 0, "预存/贷项"),  # a customer with only credit
    }
    assert opened.source == "allocations" and opened.problems == ()


def test_bucket_totals_equal_the_open_balance_per_customer_and_in_total():
    result, _ = aged()
    summary = aging.summarise(result, CUSTOMERS, BOUNDS, "zh")
    total = summary[summary["Scope"] == "total"]
    assert int(total["Amount"].sum()) == int(result["Open"].sum()) == 6000 + 20000 + 30000 - 5000 + 50000 - 8000
    assert list(total["Bucket"]) == ["未到期", "1-30天", "31-60天", "61-90天", "91-180天", "181-365天", "365天以上",
                                     "预存/贷项"]
    by_region = summary[summary["Scope"] == "region"].groupby("Segment")["Amount"].sum().to_dict()
    assert by_region == {"东区": 26000, "西区": 75000, "南区": -8000}
    per_customer = result.groupby("CustomerID")["Open"].sum().to_dict()
    assert per_customer == {"C1": 6000, "C2": 20000, "C3": 30000, "C4": 45000, "C6": -8000}


def test_an_aging_for_a_past_date_is_reproduced_after_later_payments():
    then, _ = aged(datetime.date(2026, 4, 30))
    later = pd.concat([ALLOCATIONS, typed("Allocations", {
        "AllocationID": ["A9"], "PaymentID": ["P9"], "BillID": ["B1"], "CustomerID": ["C1"],
        "AllocDate": ["2026-06-01"], "Amount": [60.00], "Kind": ["payment"]})])
    again, _ = aged(datetime.date(2026, 4, 30), allocations=later)
    pd.testing.assert_frame_equal(then, again)
    now, _ = aged(allocations=later)
    assert "B1" not in set(now["BillID"].dropna())  # paid off in June


def test_bills_paid_amounts_are_used_before_any_reconciliation():
    bills = BILLS.assign(PaidAmount=pd.array([4000, 0, 0, 0, 10000], dtype="Int64"))
    result, opened = aged(allocations=None, bills=bills)
    assert opened.source == "bills"
    assert dict(zip(result["BillID"], result["Open"])) == {"B1": 6000, "B2": 20000, "B3": 30000, "B4": -5000,
                                                           "B5": 40000}


def test_aging_from_the_bill_date():
    result, _ = aged(basis="bill")
    assert dict(zip(result["BillID"].dropna(), result.loc[result["BillID"].notna(), "DaysOverdue"]))["B1"] == 106


def test_any_list_of_bounds_works():
    labels = aging.bucket_labels((0, 15, 45), "en")
    assert labels == ["not yet due", "1-15", "16-45", "over 45"]
    assert list(aging.bucket_index([0, 1, 15, 16, 45, 46], (0, 15, 45))) == [0, 1, 1, 2, 2, 3]


def test_bad_bills_are_problems_naming_the_row():
    bills = typed("Bills", {
        "BillID": ["B1", "B2"], "CustomerID": ["C1", "C2"], "Period": ["2026-02", "2026-03"],
        "BillDate": ["2026-03-16", "2026-04-16"], "DueDate": ["2026-03-01", "2026-05-01"],
        "Amount": [100.00, 50.00], "PaidAmount": [0, 80.00],
    })
    found = aging.open_items(bills, None, AS_OF, "zh").problems
    codes = {(p.code, p.row) for p in found}
    assert codes == {("due_before_bill_date", 2), ("negative_balance", 3)}
    assert "2026-03-01" in next(p for p in found if p.code == "due_before_bill_date").message


# -- dunning ------------------------------------------------------------------------------------------

POLICY = typed("DunningPolicy", {
    "Level": [1, 2, 3], "Name": ["短信提醒", "催缴通知书", "正式催告函"], "DaysOverdue": [7, 30, 60],
    "MinAmount": [1.00, 50.00, 100.00], "Channel": ["sms", "letter", "letter"],
    "Template": ["reminder", "notice", "final_notice"],
})


def letters(rows):
    keys = ("LetterID", "CustomerID", "Kind", "Level", "Template", "Channel", "File", "SentAt", "Status")
    return typed("Letters", {k: [r.get(k) for r in rows] for k in keys})


def propose(as_of=AS_OF, sent=None, complaints=None, allocations=ALLOCATIONS):
    result, _ = aged(as_of, allocations=allocations)
    result = result.assign(LateFee=np.zeros(len(result), dtype=np.int64))
    frame = dunning.propose(result, CUSTOMERS, POLICY, sent, complaints, as_of, "zh")
    return {r.CustomerID: (r.Status, r.Level if pd.notna(r.Level) else None) for r in frame.itertuples()}, frame


def test_first_reminders_step_by_step():
    proposals, frame = propose()
    # C1 91 days overdue, 60.00: level 1 first (levels are never skipped);
    # C2 30 days, 200.00: level 1; C4 owes 500.00 less its 50.00 credit note: level 1.
    assert proposals == {"C1": ("proposed", 1), "C2": ("proposed", 1), "C4": ("proposed", 1)}
    c4 = frame[frame["CustomerID"] == "C4"].iloc[0]
    assert (c4["OpenAmount"], c4["Bills"], c4["Channel"], c4["Template"]) == (45000, "B5", "sms", "reminder")


def test_the_next_level_only_once_its_days_have_passed():
    sent = letters([{"LetterID": "L1", "CustomerID": "C1", "Kind": "dunning", "Level": 1, "SentAt": "2026-04-10",
                     "Status": "sent"},
                    {"LetterID": "L2", "CustomerID": "C2", "Kind": "dunning", "Level": 1, "SentAt": "2026-06-08",
                     "Status": "sent"}])
    proposals, _ = propose(sent=sent)
    assert proposals["C1"] == ("proposed", 2)  # 91 days >= 30, 60.00 >= 50.00, level 1 81 days ago
    # C2 is 30 days overdue, but level 1 went out 22 days ago and levels 1 and 2 lie 23 days apart.
    assert "C2" not in proposals
    later = sent.assign(SentAt=sent["SentAt"].where(sent["CustomerID"] != "C2", pd.Timestamp("2026-06-07")))
    proposals, _ = propose(sent=later)
    assert proposals["C2"] == ("proposed", 2)
    early, _ = propose(as_of=datetime.date(2026, 6, 29), sent=later)
    assert "C2" not in early  # 29 days overdue: level 1 already sent, level 2 not yet


def test_never_the_same_level_twice_and_a_failed_letter_does_not_count():
    sent = letters([{"LetterID": "L1", "CustomerID": "C4", "Level": 1, "SentAt": "2025-06-25", "Status": "sent"},
                    {"LetterID": "L2", "CustomerID": "C4", "Level": 2, "SentAt": "2025-07-20", "Status": "sent"},
                    {"LetterID": "L3", "CustomerID": "C4", "Level": 3, "SentAt": "2025-08-20", "Status": "failed"}])
    proposals, frame = propose(sent=sent)
    assert proposals["C4"] == ("proposed", 3)
    sent3 = pd.concat([sent, letters([{"LetterID": "L4", "CustomerID": "C4", "Level": 3, "SentAt": "2025-09-01",
                                       "Status": "sent"}])])
    proposals, frame = propose(sent=sent3)
    assert proposals["C4"] == ("skipped", 3)
    assert "各级催缴均已发出" in frame[frame["CustomerID"] == "C4"].iloc[0]["Reason"]


def test_paying_stops_the_escalation_and_new_arrears_start_again_at_level_one():
    paid_up = pd.concat([ALLOCATIONS, typed("Allocations", {
        "AllocationID": ["A8"], "PaymentID": ["P8"], "BillID": ["B1"], "CustomerID": ["C1"],
        "AllocDate": ["2026-06-20"], "Amount": [60.00], "Kind": ["payment"]})])
    sent = letters([{"LetterID": "L1", "CustomerID": "C1", "Level": 1, "SentAt": "2026-04-10", "Status": "sent"},
                    {"LetterID": "L2", "CustomerID": "C1", "Level": 2, "SentAt": "2026-05-10", "Status": "sent"}])
    proposals, _ = propose(sent=sent, allocations=paid_up)
    assert "C1" not in proposals  # paid: nothing to chase
    newer = pd.concat([BILLS, typed("Bills", {  # May's bill, due 15 June, unpaid
        "BillID": ["B9"], "CustomerID": ["C1"], "Period": ["2026-05"], "BillDate": ["2026-05-31"],
        "DueDate": ["2026-06-15"], "Amount": [100.00]})], ignore_index=True)
    result, _ = aged(allocations=paid_up, bills=newer)
    frame = dunning.propose(result.assign(LateFee=0), CUSTOMERS, POLICY, sent, None, AS_OF, "zh")
    row = frame[frame["CustomerID"] == "C1"].iloc[0]
    assert (row["Status"], row["Level"], row["Bills"]) == ("proposed", 1, "B9")  # a new episode


def test_exempt_and_disputed_customers_are_held_back_with_the_reason():
    exempt = CUSTOMERS.copy()
    exempt.loc[exempt["CustomerID"] == "C2", "Exemption"] = "vip"
    complaints = typed("Complaints", {
        "ComplaintID": ["T1"], "CustomerID": ["C1"], "OpenedDate": ["2026-04-02"], "Category": ["billing"],
        "BillID": ["B1"], "IsDispute": ["是"], "Status": ["open"],
    })
    result, _ = aged()
    frame = dunning.propose(result.assign(LateFee=0), exempt, POLICY, None, complaints, AS_OF, "zh")
    rows = {r.CustomerID: (r.Status, r.Reason) for r in frame.itertuples()}
    assert rows["C1"][0] == "skipped" and "T1" in rows["C1"][1]
    assert rows["C2"][0] == "skipped" and "重点客户" in rows["C2"][1]
    assert rows["C4"][0] == "proposed"
