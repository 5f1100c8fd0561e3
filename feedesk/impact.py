"""Before a price change: what the proposed tariff does to last year's bills, and how our
bills compare with other cities' at typical monthly usage. Pure functions; money in fen."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal

import numpy as np
import pandas as pd

from feedesk import dates, money, tariffs

EVER = datetime.date(1900, 1, 1)
# the spread of bill changes: (lower bound exclusive, upper bound inclusive, zh, en), as fractions
DISTRIBUTION = ((-np.inf, -1e-12, "下降", "lower"), (-1e-12, 0.0, "不变", "unchanged"),
                (0.0, 0.05, "上涨 0–5%", "up 0–5%"), (0.05, 0.10, "上涨 5–10%", "up 5–10%"),
                (0.10, 0.20, "上涨 10–20%", "up 10–20%"), (0.20, np.inf, "上涨 20% 以上", "up over 20%"))
PROFILES = {"water": (5, 10, 20, 40), "electricity": (100, 240, 400, 600)}
UNITS = {"water": "m³", "electricity": "kWh", "gas": "m³", "heating": "GJ"}


def is_proposal(version, as_of: datetime.date) -> bool:
    """Marked proposed, or taking effect after the as-of date."""
    return version.proposed or version.effective_from > as_of


def as_of_pricing(versions, as_of: datetime.date, proposed: bool) -> tuple:
    """Versions that price every period alike: those in force on `as_of` (the latest start wins,
    as in the bill run), or, when `proposed`, the proposal of a tariff where there is one."""
    current = sorted((v for v in versions if not is_proposal(v, as_of)
                      and (v.effective_to is None or v.effective_to >= as_of)), key=lambda v: v.effective_from)
    chosen = {(v.code, v.component, v.season): v for v in current}
    if proposed:
        for version in sorted((v for v in versions if is_proposal(v, as_of)), key=lambda v: v.effective_from):
            chosen[(version.code, version.component, version.season)] = version
    return tuple(dataclasses.replace(v, effective_from=EVER, effective_to=None, proposed=False)
                 for v in chosen.values())


def last_months(usage: pd.DataFrame, period: str, months: int = 12) -> pd.DataFrame:
    first = dates.shift_period(period, -(months - 1))
    return usage[(usage["Period"] >= first) & (usage["Period"] <= period) & (usage["Quantity"] >= 0)]


def per_customer(lines: pd.DataFrame) -> pd.Series:
    return lines.groupby("CustomerID")["Amount"].sum().astype("int64")


def compare(current: pd.Series, proposed: pd.Series, customers: pd.DataFrame, notice_rate: float,
            lang: str, type_labels: dict[str, str]) -> pd.DataFrame:
    """The Impact table: total, by customer type and region, the spread, the customers to notify."""
    both = pd.DataFrame({"current": current, "proposed": proposed}).fillna(0).astype("int64")
    info = customers.drop_duplicates("CustomerID").set_index("CustomerID")
    both["type"] = info["CustomerType"].reindex(both.index).fillna("")
    both["region"] = info["Region"].reindex(both.index).fillna("")
    change = both["proposed"] - both["current"]
    # a bill from nothing rises without bound; no bill before or after stays unchanged
    both["rate"] = np.where(both["current"] > 0, change / both["current"].where(both["current"] > 0, 1),
                            np.sign(change) * np.inf)
    both.loc[change == 0, "rate"] = 0.0
    rows = [_row("total", "全部" if lang == "zh" else "All", both)]
    for code, group in both.groupby("type", sort=True):
        rows.append(_row("customer_type", type_labels.get(code, code), group))
    for region, group in both.groupby("region", sort=True):
        rows.append(_row("region", region, group))
    for low, high, zh, en in DISTRIBUTION:
        group = both[(both["rate"] > low) & (both["rate"] <= high)]
        rows.append(_row("distribution", zh if lang == "zh" else en, group))
    notify = both[both["rate"] > notice_rate].sort_values("rate", ascending=False, kind="stable")
    rows += [_one("notice", customer, int(c), int(p)) for customer, c, p in
             zip(notify.index, notify["current"], notify["proposed"])]
    frame = pd.DataFrame(rows)
    for column in ("Customers", "CurrentAmount", "ProposedAmount", "Change"):
        frame[column] = frame[column].astype("Int64")
    return frame


def _row(scope: str, segment: str, group: pd.DataFrame) -> dict:
    return _one(scope, segment, int(group["current"].sum()), int(group["proposed"].sum()), len(group))


def _one(scope: str, segment: str, current: int, proposed: int, customers: int = 1) -> dict:
    return {"Scope": scope, "Segment": segment, "Customers": customers, "CurrentAmount": current,
            "ProposedAmount": proposed, "Change": proposed - current,
            "ChangeRate": (proposed - current) / current if current else np.nan}


def our_profile_usage(versions, period: str, fee_item: str, customer_type: str = "residential") -> pd.DataFrame:
    """Synthetic usage rows: our base tariff for `fee_item` at each profile quantity."""
    code = next((v.code for v in versions if v.fee_item == fee_item and v.customer_type == customer_type
                 and not v.component), None)
    if code is None:
        return pd.DataFrame(columns=["CustomerID", "TariffCode", "Period", "Quantity"])
    quantities = PROFILES.get(fee_item, ())
    return pd.DataFrame({"CustomerID": [f"{fee_item}:{q}" for q in quantities], "TariffCode": code,
                         "Period": period, "Quantity": [float(q) for q in quantities]},
                        index=pd.RangeIndex(1, len(quantities) + 1))


def peer_bills(peers: pd.DataFrame, fee_item: str, as_of: datetime.date, customer_type: str = "residential") \
        -> tuple[dict[str, dict[float, int]], list[tuple[int, str]]]:
    """City -> {profile quantity: fen} under each city's latest tiers in force on `as_of`, and the
    (first Excel row, city) of the cities whose tiers cannot be priced."""
    rows = peers[(peers["FeeItem"] == fee_item)
                 & (peers["CustomerType"].isna() | (peers["CustomerType"] == customer_type))]
    rows = rows[rows["EffectiveFrom"].isna() | (rows["EffectiveFrom"] <= pd.Timestamp(as_of))]
    out: dict[str, dict[float, int]] = {}
    unusable: list[tuple[int, str]] = []
    for city, group in rows.groupby("City", sort=True):
        latest = group[group["EffectiveFrom"].fillna(pd.Timestamp(EVER)) == group["EffectiveFrom"].fillna(
            pd.Timestamp(EVER)).max()].sort_values("Tier")
        bounds = [float(b) for b in latest["UpperBound"].iloc[:-1]]
        prices = [float(p) for p in latest["UnitPrice"]]
        try:
            if any(pd.isna(b) for b in bounds) or any(pd.isna(p) for p in prices):
                raise ValueError(city)
            out[city] = {q: tariffs.tiered_fen(q, bounds, prices) for q in PROFILES.get(fee_item, ())}
        except (ValueError, ArithmeticError):
            unusable.append((int(latest.index[0]), city))
    return out, unusable


def comparison(ours: pd.Series, peer: dict[str, dict[float, int]], fee_item: str, lang: str,
               fee_label: str) -> pd.DataFrame:
    """PeerComparison rows for one fee item: ours beside the peers' average, lowest and highest."""
    records = []
    for quantity in PROFILES.get(fee_item, ()):
        amounts = [bills[quantity] for bills in peer.values() if quantity in bills]
        mine = ours.get(f"{fee_item}:{quantity}")
        average = money.yuan_to_fen(Decimal(sum(amounts)) / len(amounts) / 100) if amounts else None
        records.append({
            "Profile": f"{fee_label} {quantity:g} {UNITS.get(fee_item, '')}".strip(), "FeeItem": fee_item,
            "Quantity": float(quantity), "OurAmount": None if mine is None else int(mine),
            "PeerAverage": average, "PeerLowest": min(amounts) if amounts else None,
            "PeerHighest": max(amounts) if amounts else None,
            "Difference": None if mine is None or average is None else int(mine) - average,
            "Peers": ("、" if lang == "zh" else ", ").join(peer),
        })
    frame = pd.DataFrame(records, columns=["Profile", "FeeItem", "Quantity", "OurAmount", "PeerAverage",
                                           "PeerLowest", "PeerHighest", "Difference", "Peers"])
    for column in ("OurAmount", "PeerAverage", "PeerLowest", "PeerHighest", "Difference"):
        frame[column] = frame[column].astype("Int64")
    return frame
