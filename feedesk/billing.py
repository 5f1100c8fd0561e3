"""Bills from priced usage: the steps of the bill run between the tariff engine and the tables.

Pure functions over typed frames (money in integer fen); nothing here reads the clock or
touches a workbook.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from feedesk import dates, problems, settings as settings_module

FEE_LABELS = {
    "water": ("水费", "Water"), "electricity": ("电费", "Electricity"), "gas": ("燃气费", "Gas"),
    "heating": ("供暖费", "Heating"), "property": ("物业费", "Property fee"), "other": ("其他", "Other"),
}
KIND_LABELS = {
    "fixed": ("固定费", "fixed charge"), "minimum": ("最低收费补足", "top-up to the minimum"),
    "maximum": ("封顶减免", "capped"), "vat": ("增值税", "VAT"),
}
BILLED_STATUSES = ("active", "suspended")


def bill_id(period: str, customer: str) -> str:
    """Deterministic: the same customer and period always give the same bill, so a re-run replaces it."""
    return f"B{period.replace('-', '')}{customer}"


def usage_for_period(usage: pd.DataFrame, customers: pd.DataFrame, period: str, lang: str, usage_sheet: str,
                     customer_sheet: str) -> tuple[pd.DataFrame, list[problems.Problem]]:
    """The period's usage rows ready to price (Persons, YearToDate), and what stops a customer's bill."""
    found: list[problems.Problem] = []
    current = usage[usage["Period"] == period].copy()
    negative = current["Quantity"] < 0
    for row, customer, quantity in zip(current.index[negative], current["CustomerID"][negative],
                                       current["Quantity"][negative]):
        found.append(problems.make("negative_usage", lang, sheet=usage_sheet, row=int(row),
                                   column="用量" if lang == "zh" else "Quantity", value=quantity, customer=customer))
    changed = current["MeterChanged"].fillna(False).astype(bool) if "MeterChanged" in current else False
    back = (current["CurrReading"] < current["PrevReading"]) & ~changed & ~negative
    for row, customer, prev, curr in zip(current.index[back], current["CustomerID"][back],
                                         current["PrevReading"][back], current["CurrReading"][back]):
        found.append(problems.make("reading_went_back", lang, sheet=usage_sheet, row=int(row),
                                   column="本期读数" if lang == "zh" else "Current reading", value=curr,
                                   customer=customer, previous=prev))
    current = current[~negative & ~back]
    persons = customers.drop_duplicates("CustomerID").set_index("CustomerID")["Persons"]
    current["Persons"] = current["CustomerID"].map(persons).astype("Int64")
    year = period[:4]
    earlier = usage[(usage["Period"] < period) & usage["Period"].str.startswith(year) & (usage["Quantity"] > 0)]
    to_date = earlier.groupby(["CustomerID", "TariffCode"])["Quantity"].sum()
    keys = pd.MultiIndex.from_arrays([current["CustomerID"], current["TariffCode"]])
    current["YearToDate"] = to_date.reindex(keys).fillna(0.0).to_numpy()

    billed = customers[customers["Status"].isin(BILLED_STATUSES)]
    without = billed[~billed["CustomerID"].isin(current["CustomerID"])]
    for row, customer in zip(without.index, without["CustomerID"]):
        found.append(problems.make("no_reading", lang, sheet=customer_sheet, row=int(row),
                                   column="客户编号" if lang == "zh" else "Customer ID", value=customer,
                                   period=period, severity=problems.WARNING))
    return current, found


def customers_with_problems(usage: pd.DataFrame, found, usage_sheet: str) -> set[str]:
    """Customers any of whose usage rows has a blocking problem: they get no bill this run."""
    rows = {p.row for p in found if p.blocking and p.sheet == usage_sheet and p.row is not None}
    hit = usage.index.isin(list(rows))
    return set(usage.loc[hit, "CustomerID"])


def _label(fee_item: str | None, component: str, kind: str, lang: str) -> str:
    index = 0 if lang == "zh" else 1
    fee = FEE_LABELS.get(fee_item or "", ("", ""))[index]
    base = component or fee
    if kind in KIND_LABELS:
        extra = KIND_LABELS[kind][index]
        return extra if kind == "vat" else f"{base} {extra}".strip()
    return base


def make_bills(lines: pd.DataFrame, usage: pd.DataFrame, customers: pd.DataFrame,
               run_settings: settings_module.Settings, refused: set[str], lang: str):
    """(bills, bill lines) for the period: one bill per customer, lines numbered within it."""
    period = run_settings.period
    lines = lines[~lines["CustomerID"].isin(refused)].copy()
    fee_items = usage["FeeItem"]
    lines["FeeItem"] = fee_items.reindex(lines["UsageRow"].to_numpy()).to_numpy()
    lines = lines.sort_values(["CustomerID", "UsageRow", "Component", "VersionFrom", "Tier"], kind="stable",
                              na_position="last")
    lines["BillID"] = [bill_id(period, c) for c in lines["CustomerID"]]
    lines["Line"] = lines.groupby("BillID").cumcount() + 1
    lines["Period"] = period
    lines["Component"] = [_label(f, c, k, lang) for f, c, k in
                          zip(lines["FeeItem"], lines["Component"].astype(object).fillna(""), lines["Kind"])]
    bill_lines = pd.DataFrame({
        "BillID": lines["BillID"], "Line": lines["Line"].astype("Int64"), "CustomerID": lines["CustomerID"],
        "Period": lines["Period"], "FeeItem": lines["FeeItem"], "TariffCode": lines["TariffCode"],
        "Component": lines["Component"], "Tier": lines["Tier"], "Quantity": lines["Quantity"],
        "UnitPrice": lines["UnitPrice"], "Amount": lines["Amount"],
    }).reset_index(drop=True)

    bill_day = dates.period_end(period) + datetime.timedelta(days=1)
    due_day = bill_day + datetime.timedelta(days=run_settings.payment_due_days)
    grouped = bill_lines.groupby("BillID", sort=True)
    totals = grouped["Amount"].sum()
    items = grouped["FeeItem"].agg(lambda s: s.iloc[0] if s.nunique() == 1 else None)
    customer_of = grouped["CustomerID"].first()
    bills = pd.DataFrame({
        "BillID": totals.index.to_numpy(),
        "CustomerID": customer_of.to_numpy(),
        "Period": period,
        "FeeItem": items.to_numpy(),
        "BillDate": np.datetime64(bill_day, "s"),
        "DueDate": np.datetime64(due_day, "s"),
        "Quantity": np.nan,
        "Amount": pd.array(totals.to_numpy(), dtype="Int64"),
        "PaidAmount": pd.array([None] * len(totals), dtype="Int64"),
        "Status": "open",
        "Note": None,
    })
    return bills, bill_lines


def replace_period(bills: pd.DataFrame, new_bills: pd.DataFrame, period: str) -> pd.DataFrame:
    """Bills of other periods as they were, then the period's new bills; money already received
    on a re-made bill stays with it."""
    previous = bills[bills["Period"] == period].drop_duplicates("BillID").set_index("BillID")["PaidAmount"]
    paid = new_bills["BillID"].map(previous).astype("Int64") if len(previous) else new_bills["PaidAmount"]
    made = new_bills.assign(PaidAmount=paid)
    made["Status"] = status_of(made["Amount"], made["PaidAmount"])
    kept = bills[bills["Period"] != period]
    return pd.concat([kept, made], ignore_index=True) if len(kept) else made.reset_index(drop=True)


def status_of(amount: pd.Series, paid: pd.Series) -> np.ndarray:
    paid_fen = paid.fillna(0).astype("int64").to_numpy()
    owed = amount.fillna(0).astype("int64").to_numpy()
    return np.where(paid_fen <= 0, "open", np.where(paid_fen >= owed, "paid", "partial"))


def replace_lines(old_lines: pd.DataFrame, new_lines: pd.DataFrame, period: str) -> pd.DataFrame:
    kept = old_lines[old_lines["Period"] != period]
    return pd.concat([kept, new_lines], ignore_index=True) if len(kept) else new_lines
