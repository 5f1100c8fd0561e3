"""Dunning (催缴): who gets which reminder now.

Levels come from the DunningPolicy table (days overdue, minimum arrears, channel, template,
fee). For each customer with overdue bills, the next level is the one after the highest level
already sent in the current episode of arrears (letters in the Letters log sent on or after the
due date of the customer's oldest unpaid bill: once everything is paid, a later arrears starts
again at the first level). It is proposed once the oldest bill is that many days overdue, as many
days have passed since the last letter as lie between the two levels' days (a customer already 90
days late still gets a week or a month between reminders), and the overdue amount, less any
credit, reaches the level's minimum. Levels are never skipped and never
sent twice in an episode. Customers exempt by decision (hardship, VIP) and customers with an open
dispute are held back and listed with the reason.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from feedesk import money

COLUMNS = ("CustomerID", "Name", "Status", "Level", "LevelName", "OpenAmount", "LateFee", "Fee", "DaysOverdue",
           "OldestDueDate", "Bills", "Template", "Channel", "Reason")

TEXT = {
    "proposed": ("最早一张账单逾期 {days} 天，逾期欠费 {amount}（{count} 张账单）；{last}。",
                 "oldest bill {days} days overdue, {amount} overdue ({count} bills); {last}."),
    "no_letter": ("本轮欠费尚未催缴", "no reminder yet for these arrears"),
    "last_letter": ("上次催缴为第 {level} 级（{date}）", "last reminder: level {level} on {date}"),
    "exempt": ("豁免催缴（{why}）：逾期欠费 {amount}", "exempt ({why}): {amount} overdue"),
    "dispute": ("有未办结的账单争议 {complaint}：逾期欠费 {amount}，争议解决前不催缴",
                "open billing dispute {complaint}: {amount} overdue; no reminder until it is resolved"),
    "all_sent": ("各级催缴均已发出（最高第 {level} 级），逾期欠费 {amount}：请考虑停供或法律途径",
                 "every level already sent (up to level {level}), {amount} overdue: consider suspension or legal "
                 "steps"),
}

EXEMPTION_WORDS = {"hardship": ("困难减免", "hardship"), "vip": ("重点客户", "VIP by decision")}


def _say(key: str, lang: str, **values) -> str:
    zh, en = TEXT[key]
    return (zh if lang == "zh" else en).format(**values)


def overdue_by_customer(aged: pd.DataFrame, as_of: datetime.date) -> pd.DataFrame:
    """Per customer: overdue amount net of credit, oldest due date and days, bills, late fees.

    `aged` is the aging's item table (CustomerID, BillID, Kind, DueDate, Open, LateFee). Days are
    always counted from the due date here, whatever the aging basis."""
    as_of_day = np.datetime64(as_of, "D")
    days = (as_of_day - aged["DueDate"].to_numpy("datetime64[D]")).astype(np.int64)
    open_amount = aged["Open"].to_numpy(np.int64)
    late = aged["LateFee"].to_numpy(np.int64) if "LateFee" in aged else np.zeros(len(aged), np.int64)
    overdue = (open_amount > 0) & (days > 0)
    frame = pd.DataFrame({"CustomerID": aged["CustomerID"].to_numpy(object), "BillID": aged["BillID"].to_numpy(object),
                          "Due": aged["DueDate"].to_numpy("datetime64[D]"), "Days": days, "Open": open_amount,
                          "Late": late})
    late_items = frame[overdue].sort_values(["CustomerID", "Due", "BillID"], kind="stable")
    if not len(late_items):
        return pd.DataFrame(columns=["CustomerID", "Overdue", "Credit", "OldestDue", "Days", "Count", "Bills",
                                     "LateFee"])
    per = late_items.groupby("CustomerID", sort=True).agg(
        Overdue=("Open", "sum"), OldestDue=("Due", "first"), Days=("Days", "max"), Count=("Open", "size"),
        LateFee=("Late", "sum"), Bills=("BillID", lambda ids: ",".join(str(i) for i in ids)))
    credit = frame[open_amount < 0].groupby("CustomerID")["Open"].sum()
    per["Credit"] = (-credit).reindex(per.index).fillna(0).astype(np.int64)
    return per.reset_index()


def last_levels(letters: pd.DataFrame, since: pd.Series) -> pd.DataFrame:
    """Highest dunning level sent to each customer on or after `since[customer]`, and when it was
    sent (letters that failed to go out do not count). Columns Level, SentOn; index CustomerID."""
    empty = pd.DataFrame({"Level": pd.Series(dtype=np.int64), "SentOn": pd.Series(dtype="datetime64[D]")})
    if letters is None or not len(letters):
        return empty
    sent = letters[letters["Level"].notna() & letters["SentAt"].notna()
                   & (letters["Status"].astype(object) != "failed")]
    if not len(sent):
        return empty
    start = since.reindex(sent["CustomerID"].to_numpy(object)).to_numpy("datetime64[D]")
    when = sent["SentAt"].to_numpy("datetime64[D]")
    current = ~np.isnat(start) & (when >= start)
    mine = pd.DataFrame({"CustomerID": sent["CustomerID"].to_numpy(object)[current],
                         "Level": sent["Level"].to_numpy(np.int64)[current], "SentOn": when[current]})
    mine = mine.sort_values(["CustomerID", "Level", "SentOn"], kind="stable")
    return mine.groupby("CustomerID").last()


def propose(aged: pd.DataFrame, customers: pd.DataFrame, policy: pd.DataFrame, letters: pd.DataFrame | None,
            complaints: pd.DataFrame | None, as_of: datetime.date, lang: str = "zh") -> pd.DataFrame:
    """The Dunning table: one row per customer to remind now (proposed) or held back (skipped)."""
    per = overdue_by_customer(aged, as_of)
    levels = policy.dropna(subset=["Level"]).sort_values("Level", kind="stable")
    if not len(per) or not len(levels):
        return _empty()
    per["Net"] = per["Overdue"] - per["Credit"]
    per = per[per["Net"] > 0]
    info = customers.drop_duplicates("CustomerID").set_index("CustomerID")
    since = pd.Series(per["OldestDue"].to_numpy("datetime64[D]"), index=per["CustomerID"].to_numpy(object))
    last = last_levels(letters, since)
    disputes = _open_disputes(complaints)
    level_no = levels["Level"].to_numpy(np.int64)
    rows = []
    for record in per.itertuples(index=False):
        cid = record.CustomerID
        name = info["Name"].get(cid) if "Name" in info else None
        amount = money.format_yuan(int(record.Net))
        sent = int(last["Level"].get(cid, 0))
        base = {"CustomerID": cid, "Name": name, "OpenAmount": int(record.Net), "LateFee": int(record.LateFee),
                "DaysOverdue": int(record.Days), "OldestDueDate": record.OldestDue, "Bills": record.Bills}
        exemption = info["Exemption"].get(cid) if "Exemption" in info else None
        if isinstance(exemption, str) and exemption:
            why = EXEMPTION_WORDS.get(exemption, (exemption, exemption))[0 if lang == "zh" else 1]
            rows.append({**base, "Status": "skipped", "Reason": _say("exempt", lang, why=why, amount=amount)})
            continue
        if cid in disputes:
            rows.append({**base, "Status": "skipped",
                         "Reason": _say("dispute", lang, complaint=disputes[cid], amount=amount)})
            continue
        after = np.flatnonzero(level_no > sent)
        if not len(after):
            rows.append({**base, "Status": "skipped", "Level": sent,
                         "Reason": _say("all_sent", lang, level=sent, amount=amount)})
            continue
        level = levels.iloc[after[0]]
        minimum = int(level["MinAmount"]) if pd.notna(level["MinAmount"]) else 0
        if record.Days < int(level["DaysOverdue"]) or record.Net < minimum:
            continue  # its days have not passed, or too little is owed: nothing to do yet
        if sent:  # and as many days since the last letter as lie between the two levels
            before = levels[level_no == sent]
            gap = int(level["DaysOverdue"]) - (int(before["DaysOverdue"].iloc[0]) if len(before) else 0)
            waited = (as_of - pd.Timestamp(last["SentOn"][cid]).date()).days
            if waited < gap:
                continue
        previous = _say("no_letter", lang) if not sent else _say(
            "last_letter", lang, level=sent, date=_last_date(letters, cid, sent))
        rows.append({**base, "Status": "proposed", "Level": int(level["Level"]), "LevelName": level["Name"],
                     "Fee": int(level["Fee"]) if pd.notna(level["Fee"]) else 0,
                     "Template": level["Template"] if isinstance(level["Template"], str) else None,
                     "Channel": level["Channel"],
                     "Reason": _say("proposed", lang, days=int(record.Days), amount=amount, count=int(record.Count),
                                    last=previous)})
    return _frame(rows)


def _open_disputes(complaints: pd.DataFrame | None) -> dict[str, str]:
    if complaints is None or not len(complaints):
        return {}
    open_ = complaints[(complaints["IsDispute"].fillna(False).astype(bool))
                       & (complaints["Status"].astype(object) == "open")]
    return dict(zip(open_["CustomerID"].astype(object).tolist()[::-1], open_["ComplaintID"].astype(object).tolist()[::-1]))


def _last_date(letters: pd.DataFrame, customer: str, level: int) -> str:
    mine = letters[(letters["CustomerID"] == customer) & (letters["Level"] == level)]
    when = mine["SentAt"].max()
    return str(when.date()) if pd.notna(when) else ""


def _empty() -> pd.DataFrame:
    return _frame([])


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for column in ("Level", "OpenAmount", "LateFee", "Fee", "DaysOverdue"):
        frame[column] = pd.array(frame[column].tolist(), dtype="Int64") if len(frame) else \
            pd.Series(dtype="Int64")
    frame["OldestDueDate"] = pd.to_datetime(frame["OldestDueDate"]).astype("datetime64[s]")
    for column in ("CustomerID", "Name", "Status", "LevelName", "Bills", "Template", "Channel", "Reason"):
        values = np.asarray(frame[column].tolist(), dtype=object)
        frame[column] = pd.array([v if isinstance(v, str) and v else None for v in values.tolist()], dtype="str")
    return frame
