"""Bills from priced usage: the steps of the bill run between the tariff engine and the tables.

Pure functions over typed frames (money in integer fen); nothing here reads the clock or
touches a workbook. A customer is billed whole or not at all: if any of their usage rows for
the period has a problem, the customer keeps whatever bill the period already had. A closed
customer with readings in the period (the month they moved out) gets a final bill.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from feedesk import dates, problems, settings as settings_module, tariffs

FEE_LABELS = {
    "water": ("水费", "Water"), "electricity": ("电费", "Electricity"), "gas": ("燃气费", "Gas"),
    "heating": ("供暖费", "Heating"), "property": ("物业费", "Property fee"), "other": ("其他", "Other"),
}
KIND_LABELS = {
    "fixed": ("固定费", "fixed charge"), "minimum": ("最低收费补足", "top-up to the minimum"),
    "maximum": ("封顶减免", "capped"), "vat": ("增值税", "VAT"),
}
BILLED_STATUSES = ("active", "suspended")
HEADERS = {"Quantity": ("用量", "Quantity"), "CurrReading": ("本期读数", "Current reading"),
           "CustomerID": ("客户编号", "Customer ID"), "TariffCode": ("收费标准代码", "Tariff code")}


def _header(key: str, lang: str) -> str:
    return HEADERS[key][0 if lang == "zh" else 1]


def bill_id(period: str, customer: str) -> str:
    """Deterministic: the same customer and period always give the same bill, so a re-run replaces it."""
    return f"B{period.replace('-', '')}{customer}"


def with_household_and_year(usage: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """Usage with each row's household size and the quantity used on the same tariff in earlier
    periods of the same year (for per-person and annual thresholds), for every row at once."""
    persons = customers.drop_duplicates("CustomerID").set_index("CustomerID")["Persons"]
    quantity = usage["Quantity"].where(usage["Quantity"] > 0, 0.0).fillna(0.0).to_numpy(dtype="float64")
    return usage.assign(Persons=usage["CustomerID"].map(persons).astype("Int64"),
                        YearToDate=_earlier_in_year(usage, quantity))


def _earlier_in_year(usage: pd.DataFrame, quantity: np.ndarray) -> np.ndarray:
    """For each row, the quantity of the same customer and tariff in the earlier periods of its
    year: integer codes, one sort and segment sums (a million rows in about a second)."""
    if not len(usage):
        return np.zeros(0)
    customer = pd.factorize(usage["CustomerID"])[0].astype(np.int64)
    tariff, tariffs_seen = pd.factorize(usage["TariffCode"])
    period_codes, periods = pd.factorize(usage["Period"])
    ranks = np.empty(len(periods), dtype=np.int64)
    ranks[np.argsort(np.asarray(periods, dtype=str))] = np.arange(len(periods))
    years = np.append(pd.factorize(pd.Index(periods, dtype=object).str.slice(0, 4))[0], -1)  # [-1]: no period
    group = (customer * (len(tariffs_seen) + 1) + tariff) * (len(periods) + 1) + years[period_codes]
    unknown = (customer < 0) | (tariff < 0) | (period_codes < 0)  # blank: no year to date (NaN)
    group[unknown] = -1
    rank = np.append(ranks, -1)[period_codes]
    order = np.lexsort((rank, group))
    g, r, q = group[order], rank[order], quantity[order]
    new_segment = np.ones(len(g), dtype=bool)
    new_segment[1:] = (g[1:] != g[:-1]) | (r[1:] != r[:-1])
    starts = np.flatnonzero(new_segment)
    sums = np.add.reduceat(q, starts)  # per (group, period)
    segment_group = g[starts]
    before = np.cumsum(sums) - sums  # every earlier segment, then less those of earlier groups
    first_of_group = np.ones(len(starts), dtype=bool)
    first_of_group[1:] = segment_group[1:] != segment_group[:-1]
    group_base = np.maximum.accumulate(np.where(first_of_group, before, 0.0))
    earlier_segments = before - group_base
    earlier = np.empty(len(g))
    earlier[order] = np.repeat(earlier_segments, np.diff(np.append(starts, len(g))))
    earlier[unknown] = np.nan
    return earlier


def usage_for_period(usage: pd.DataFrame, customers: pd.DataFrame, period: str, lang: str, usage_sheet: str,
                     customer_sheet: str) -> tuple[pd.DataFrame, list[problems.Problem]]:
    """The period's usage rows ready to price, and the problems that hold a customer's bill."""
    found: list[problems.Problem] = []
    enriched = with_household_and_year(usage, customers)
    current = enriched[enriched["Period"] == period]
    known = customers.drop_duplicates("CustomerID").set_index("CustomerID")["Status"]
    status = current["CustomerID"].map(known)

    def report(mask, code, column, values, severity=problems.ERROR, **params):
        for row, customer, value in zip(current.index[mask], current["CustomerID"][mask], values[mask]):
            found.append(problems.make(code, lang, sheet=usage_sheet, row=int(row), column=_header(column, lang),
                                       value=_shown(value), customer=customer, severity=severity, **params))

    unknown = status.isna()
    report(unknown, "unknown_customer", "CustomerID", current["CustomerID"])
    negative = current["Quantity"] < 0
    report(negative, "negative_usage", "Quantity", current["Quantity"])
    changed = current["MeterChanged"].fillna(False).astype(bool) if "MeterChanged" in current else False
    back = (current["CurrReading"] < current["PrevReading"]) & ~changed & ~negative
    for row, customer, prev, curr in zip(current.index[back], current["CustomerID"][back],
                                         current["PrevReading"][back], current["CurrReading"][back]):
        found.append(problems.make("reading_went_back", lang, sheet=usage_sheet, row=int(row),
                                   column=_header("CurrReading", lang), value=_shown(curr), customer=customer,
                                   previous=_shown(prev)))
    twice = current.duplicated(["CustomerID", "TariffCode"], keep="first")
    report(twice, "duplicate_usage", "TariffCode", current["TariffCode"], period=period)

    # a closed customer with readings this period gets its final bill
    priced = current
    billed = customers[customers["Status"].isin(BILLED_STATUSES)]
    without = billed[~billed["CustomerID"].isin(current["CustomerID"])]
    for row, customer in zip(without.index, without["CustomerID"]):
        found.append(problems.make("no_reading", lang, sheet=customer_sheet, row=int(row),
                                   column=_header("CustomerID", lang), value=customer, period=period,
                                   severity=problems.WARNING))
    return priced, found


def _shown(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def customers_with_problems(usage: pd.DataFrame, found, usage_sheet: str) -> set[str]:
    """Customers any of whose usage rows has a blocking problem: they get no new bill this run."""
    rows = {p.row for p in found if p.blocking and p.sheet == usage_sheet and p.row is not None}
    return set(usage.loc[usage.index.isin(list(rows)), "CustomerID"])


def expected_amounts(versions, usage: pd.DataFrame, customers: pd.DataFrame, period: str, lang: str,
                     usage_sheet: str, customer_sheet: str) -> pd.Series:
    """Fen each customer's bill should be this period, the way the bill run makes it (customers
    the bill run would hold are left out)."""
    period_usage, found = usage_for_period(usage, customers, period, lang, usage_sheet, customer_sheet)
    lines, line_problems = tariffs.charge_lines(versions, period_usage, lang=lang, sheet=usage_sheet)
    held = customers_with_problems(usage, [*found, *line_problems], usage_sheet)
    return lines[~lines["CustomerID"].isin(held)].groupby(lines["CustomerID"].astype(object))["Amount"].sum()


def _label(fee_item: str | None, component: str, kind: str, lang: str) -> str:
    index = 0 if lang == "zh" else 1
    fee = FEE_LABELS.get(fee_item or "", ("", ""))[index]
    base = component or fee
    if kind in KIND_LABELS:
        extra = KIND_LABELS[kind][index]
        return extra if kind == "vat" else f"{base} {extra}".strip()
    return base


def bill_dates(period: str, due_days: int) -> tuple[datetime.date, datetime.date]:
    """A period's bill date (the day after it ends) and due date; OverflowError past 9999-12-31."""
    bill_day = dates.period_end(period) + datetime.timedelta(days=1)
    return bill_day, bill_day + datetime.timedelta(days=due_days)


def make_bills(lines: pd.DataFrame, usage: pd.DataFrame, run_settings: settings_module.Settings,
               held: set[str], ids: dict[str, str], lang: str):
    """(bills, bill lines) for the period: one bill per customer with a non-zero total, lines
    numbered within it. `ids` gives the ID a customer's bill already has this period."""
    period = run_settings.period
    lines = lines[~lines["CustomerID"].isin(held)].copy()
    lines["FeeItem"] = usage["FeeItem"].reindex(lines["UsageRow"].to_numpy()).to_numpy()
    components = lines["Component"].astype(object).fillna("")
    lines = lines.assign(_base=components != "").sort_values(
        ["CustomerID", "UsageRow", "_base", "VersionFrom", "Tier"], kind="stable", na_position="last")
    customers = lines["CustomerID"].astype(object)
    unique_customers = pd.unique(customers)
    id_of = {c: ids.get(c) or bill_id(period, c) for c in unique_customers}
    lines["BillID"] = customers.map(id_of)
    lines["Line"] = lines.groupby("BillID", sort=False).cumcount() + 1
    keys = list(zip(lines["FeeItem"], lines["Component"].astype(object).fillna(""), lines["Kind"].astype(object)))
    labels = {key: _label(*key, lang) for key in set(keys)}
    bill_lines = pd.DataFrame({
        "BillID": lines["BillID"], "Line": lines["Line"].astype("Int64"), "CustomerID": customers,
        "Period": period, "FeeItem": lines["FeeItem"], "TariffCode": lines["TariffCode"],
        "Component": [labels[key] for key in keys], "Tier": lines["Tier"], "Quantity": lines["Quantity"],
        "UnitPrice": lines["UnitPrice"], "Amount": lines["Amount"],
    }).reset_index(drop=True)

    bill_day, due_day = bill_dates(period, run_settings.payment_due_days)
    grouped = bill_lines.groupby("BillID", sort=True)
    totals = grouped["Amount"].sum()
    single_item = grouped["FeeItem"].nunique() == 1
    first_item = grouped["FeeItem"].first()
    bills = pd.DataFrame({
        "BillID": totals.index.to_numpy(),
        "CustomerID": grouped["CustomerID"].first().to_numpy(),
        "Period": period,
        "FeeItem": first_item.where(single_item, None).to_numpy(),
        "BillDate": np.datetime64(bill_day, "s"),
        "DueDate": np.datetime64(due_day, "s"),
        "Quantity": np.nan,
        "Amount": pd.array(totals.to_numpy(), dtype="Int64"),
        "PaidAmount": pd.array([None] * len(totals), dtype="Int64"),
        "Status": "open",
        "Note": None,
    })
    nothing_due = bills["Amount"] == 0
    return bills[~nothing_due].reset_index(drop=True), bill_lines[
        ~bill_lines["BillID"].isin(bills.loc[nothing_due, "BillID"])].reset_index(drop=True)


def existing_ids(bills: pd.DataFrame, period: str) -> tuple[dict[str, str], set[str]]:
    """The ID each customer's bill already has this period (so payments that name it still find
    it), and the customers with several bills this period (pasted per fee item: kept as they are)."""
    rows = bills[bills["Period"] == period]
    counts = rows.groupby("CustomerID")["BillID"].count()
    several = set(counts[counts > 1].index)
    single = rows[~rows["CustomerID"].isin(several)]
    return dict(zip(single["CustomerID"], single["BillID"])), several


def replace_period(bills: pd.DataFrame, new_bills: pd.DataFrame, period: str) -> pd.DataFrame:
    """Bills of other periods, and this period's bills of customers not billed anew, as they were;
    then the new bills, keeping what the old bill of that customer had received, its note and a
    cancellation."""
    old = bills[bills["Period"] == period].drop_duplicates("CustomerID").set_index("CustomerID")
    made = new_bills.copy()
    if len(old):
        made["PaidAmount"] = made["CustomerID"].map(old["PaidAmount"]).astype("Int64")
        made["Note"] = made["CustomerID"].map(old["Note"]).astype(object).where(lambda s: s.notna(), None)
    made["Status"] = status_of(made["Amount"], made["PaidAmount"])
    if len(old):
        cancelled = made["CustomerID"].map(old["Status"]) == "cancelled"
        made.loc[cancelled.to_numpy(), "Status"] = "cancelled"
    kept = bills[(bills["Period"] != period) | ~bills["CustomerID"].isin(made["CustomerID"])]
    return pd.concat([kept, made], ignore_index=True) if len(kept) else made.reset_index(drop=True)


def status_of(amount: pd.Series, paid: pd.Series) -> np.ndarray:
    paid_fen = paid.fillna(0).astype("int64").to_numpy()
    owed = amount.fillna(0).astype("int64").to_numpy()
    return np.where(paid_fen <= 0, "open", np.where(paid_fen >= owed, "paid", "partial"))


def replace_lines(old_lines: pd.DataFrame, new_lines: pd.DataFrame, period: str) -> pd.DataFrame:
    """Lines of bills made anew replace theirs; lines of bills kept as they were stay."""
    kept = old_lines[(old_lines["Period"] != period) | ~old_lines["BillID"].isin(new_lines["BillID"])]
    return pd.concat([kept, new_lines], ignore_index=True) if len(kept) else new_lines
