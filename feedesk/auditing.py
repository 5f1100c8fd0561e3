"""The audit of bills: each check returns findings with a reason code and an explanation
an officer can act on. Pure functions over typed frames (money in fen)."""

from __future__ import annotations

import pandas as pd

from feedesk import billing, dates, money

COLUMNS = ["BillID", "CustomerID", "Period", "Reason", "Explanation", "Expected", "Actual", "SourceRow"]
METERED = ("water", "electricity", "gas", "heating")
SPIKE_FACTOR = 3
SPIKE_HISTORY = 6

TEXT = {
    "meter_rollback": ("本期读数 {curr} 低于上期 {prev}，且未标记换表：可能抄错或表倒转，请复核。",
                       "Current reading {curr} is below the previous {prev} and no meter change is marked: a "
                       "misread or a meter running back; check it."),
    "negative_usage": ("用量为负数（{quantity}），请复核抄表。", "Negative usage ({quantity}); check the readings."),
    "zero_usage": ("在用客户本期{item}用量为 0，请确认是否空置或表具故障。",
                   "Active customer used no {item} this period; check for a vacant home or a broken meter."),
    "spike": ("{item}用量 {quantity} 是近 {months} 个月中位数 {median} 的 {ratio:.1f} 倍，请核实。",
              "{item} usage {quantity} is {ratio:.1f} times the median {median} of the last {months} months; "
              "check it."),
    "missing_reading": ("上期有{item}用量，本期缺少抄表记录。", "{item} was read last period but not this one."),
    "duplicate_bill": ("同一客户同一账期有 {count} 张账单，请作废重复的账单。",
                       "{count} bills for the same customer and period; cancel the duplicates."),
    "amount_mismatch": ("账单金额 {actual} 与按现行收费标准重算的 {expected} 不符，差额 {difference}。",
                        "The bill's {actual} differs from {expected} recomputed with the tariff in force, by "
                        "{difference}."),
}


def _text(reason: str, lang: str, **params) -> str:
    zh, en = TEXT[reason]
    return (zh if lang == "zh" else en).format(**params)


def _item(code, lang: str) -> str:
    labels = billing.FEE_LABELS.get(code or "", ("", ""))
    return labels[0] if lang == "zh" else labels[1].lower()


def _findings(records: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(records, columns=COLUMNS)
    for column in ("Expected", "Actual", "SourceRow"):
        frame[column] = frame[column].astype("Int64")
    return frame


def meter_rollbacks(usage: pd.DataFrame, period: str, lang: str) -> pd.DataFrame:
    """Readings that went down without a meter change, and negative usage."""
    rows = usage[usage["Period"] == period]
    changed = rows["MeterChanged"].fillna(False).astype(bool)
    back = rows[(rows["CurrReading"] < rows["PrevReading"]) & ~changed]
    negative = rows[(rows["Quantity"] < 0) & ~rows.index.isin(back.index)]
    records = [dict(BillID=billing.bill_id(period, c), CustomerID=c, Period=period, Reason="meter_rollback",
                    Explanation=_text("meter_rollback", lang, curr=_n(cur), prev=_n(prev)), SourceRow=row)
               for row, c, cur, prev in zip(back.index, back["CustomerID"], back["CurrReading"], back["PrevReading"])]
    records += [dict(BillID=billing.bill_id(period, c), CustomerID=c, Period=period, Reason="negative_usage",
                     Explanation=_text("negative_usage", lang, quantity=_n(q)), SourceRow=row)
                for row, c, q in zip(negative.index, negative["CustomerID"], negative["Quantity"])]
    return _findings(records)


def zero_usage(usage: pd.DataFrame, customers: pd.DataFrame, period: str, lang: str) -> pd.DataFrame:
    active = set(customers.loc[customers["Status"] == "active", "CustomerID"])
    rows = usage[(usage["Period"] == period) & (usage["Quantity"] == 0) & usage["FeeItem"].isin(METERED)
                 & usage["CustomerID"].isin(active)]
    return _findings([dict(BillID=billing.bill_id(period, c), CustomerID=c, Period=period, Reason="zero_usage",
                           Explanation=_text("zero_usage", lang, item=_item(f, lang)), SourceRow=row)
                      for row, c, f in zip(rows.index, rows["CustomerID"], rows["FeeItem"])])


def spikes(usage: pd.DataFrame, period: str, lang: str, factor: float = SPIKE_FACTOR,
           months: int = SPIKE_HISTORY) -> pd.DataFrame:
    """Usage above `factor` x the median of the customer's own last `months` periods."""
    first = dates.shift_period(period, -months)
    history = usage[(usage["Period"] >= first) & (usage["Period"] < period) & usage["FeeItem"].isin(METERED)]
    medians = history.groupby(["CustomerID", "FeeItem"])["Quantity"].median()
    rows = usage[(usage["Period"] == period) & usage["FeeItem"].isin(METERED)]
    keys = pd.MultiIndex.from_arrays([rows["CustomerID"], rows["FeeItem"]])
    median = pd.Series(medians.reindex(keys).to_numpy(), index=rows.index)
    hit = rows[(median > 0) & (rows["Quantity"] > factor * median)]
    return _findings([dict(BillID=billing.bill_id(period, c), CustomerID=c, Period=period, Reason="spike",
                           Explanation=_text("spike", lang, item=_item(f, lang), quantity=_n(q), months=months,
                                             median=_n(median[row]), ratio=q / median[row]), SourceRow=row)
                      for row, c, f, q in zip(hit.index, hit["CustomerID"], hit["FeeItem"], hit["Quantity"])])


def missing_readings(usage: pd.DataFrame, customers: pd.DataFrame, period: str, lang: str) -> pd.DataFrame:
    previous = usage[(usage["Period"] == dates.shift_period(period, -1)) & usage["FeeItem"].isin(METERED)]
    current = usage[usage["Period"] == period]
    billed = set(customers.loc[customers["Status"].isin(billing.BILLED_STATUSES), "CustomerID"])
    had = previous[["CustomerID", "FeeItem"]].drop_duplicates()
    has = set(zip(current["CustomerID"], current["FeeItem"]))
    missing = [(c, f) for c, f in zip(had["CustomerID"], had["FeeItem"]) if (c, f) not in has and c in billed]
    return _findings([dict(BillID=billing.bill_id(period, c), CustomerID=c, Period=period, Reason="missing_reading",
                           Explanation=_text("missing_reading", lang, item=_item(f, lang))) for c, f in missing])


def duplicate_bills(bills: pd.DataFrame, period: str, lang: str) -> pd.DataFrame:
    """Two live bills for the same customer, period and fee item (blank: a bill of all items)."""
    rows = bills[(bills["Period"] == period) & (bills["Status"] != "cancelled")]
    item = rows["FeeItem"].astype(object).fillna("")
    keys = pd.DataFrame({"customer": rows["CustomerID"].astype(object), "item": item}, index=rows.index)
    twice = keys.duplicated(keep=False)
    # a bill of all items next to an item's own bill charges that item twice as well
    whole = set(keys.loc[keys["item"] == "", "customer"])
    twice |= keys["customer"].isin(whole) & (keys["item"] != "")
    hit = rows[twice.to_numpy()]
    size = keys[twice.to_numpy()].groupby("customer")["item"].transform("size")
    return _findings([dict(BillID=bill, CustomerID=customer, Period=period, Reason="duplicate_bill",
                           Explanation=_text("duplicate_bill", lang, count=int(count)), SourceRow=row)
                      for row, bill, customer, count in zip(hit.index, hit["BillID"], hit["CustomerID"], size)])


def amount_mismatches(bills: pd.DataFrame, expected: pd.Series, period: str, lang: str) -> pd.DataFrame:
    """Live bills whose amount differs from the recomputation (`expected`: fen by customer)."""
    rows = bills[(bills["Period"] == period) & (bills["Status"] != "cancelled")
                 & bills["CustomerID"].isin(expected.index)]
    customers = rows["CustomerID"].astype(object)
    have = rows.groupby(customers)["Amount"].sum().astype("int64")
    want = expected.astype("int64")
    actual = customers.map(have).to_numpy()
    target = customers.map(want).to_numpy()
    differs = actual != target
    return _findings([dict(BillID=bill, CustomerID=customer, Period=period, Reason="amount_mismatch",
                           Explanation=_text("amount_mismatch", lang, actual=money.format_yuan(int(a)),
                                             expected=money.format_yuan(int(w)),
                                             difference=money.format_yuan(int(a) - int(w))),
                           Expected=int(w), Actual=int(a), SourceRow=row)
                      for row, bill, customer, a, w in zip(rows.index[differs], rows["BillID"][differs],
                                                           customers[differs], actual[differs], target[differs])])


def _n(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
