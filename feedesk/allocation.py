"""First-in-first-out allocation of money to debts, exact and vectorised.

Within each key (a bill, a customer) supplies are spent on demands in the order given: the
first supply pays the first demand until one of them runs out, then the next, like laying
two rulers side by side. Every allocated fen comes from one supply and goes to one demand,
so neither is ever allocated beyond its amount.
"""

from __future__ import annotations

import dataclasses

import numpy as np

_SPAN = np.int64(1) << 41  # room per key: 21,990 million yuan in fen


@dataclasses.dataclass(frozen=True)
class Allocation:
    supply: np.ndarray  # position of the supply in the arrays given
    demand: np.ndarray  # position of the demand
    amount: np.ndarray  # fen, > 0
    supply_left: np.ndarray  # per supply: what was not allocated
    demand_left: np.ndarray  # per demand: what is still open


def _cumulative_within(keys: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    """Running total of `amounts` restarting at each new key (keys sorted)."""
    total = np.cumsum(amounts)
    if not len(keys):
        return total
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    before = np.r_[0, total[:-1]][starts]
    run = np.diff(np.r_[starts, len(keys)])
    return total - np.repeat(before, run)


def fifo(supply_key, supply_amount, demand_key, demand_amount) -> Allocation:
    """Allocate supplies to demands with the same key, each side in the order given.

    Keys are non-negative integers; each side must be sorted by key (stable within a key:
    the order within a key is the priority). Amounts are integer fen; zero or negative
    amounts take no part.
    """
    supply_key = np.asarray(supply_key, dtype=np.int64)
    demand_key = np.asarray(demand_key, dtype=np.int64)
    supply_amount = np.asarray(supply_amount, dtype=np.int64)
    demand_amount = np.asarray(demand_amount, dtype=np.int64)
    for keys in (supply_key, demand_key):
        if len(keys) and (np.any(np.diff(keys) < 0) or keys[0] < 0):
            raise ValueError("keys must be non-negative and sorted")
    s_amount = np.maximum(supply_amount, 0)
    d_amount = np.maximum(demand_amount, 0)
    if len(s_amount) and (s_amount.max() >= _SPAN or d_amount.max(initial=0) >= _SPAN):
        raise ValueError("an amount is too large to allocate")
    s_end = supply_key * _SPAN + _cumulative_within(supply_key, s_amount)
    d_end = demand_key * _SPAN + _cumulative_within(demand_key, d_amount)
    points = np.unique(np.concatenate([s_end, d_end]))
    point_key = points // _SPAN
    start = np.r_[0, points[:-1]]
    first_of_key = np.r_[True, point_key[1:] != point_key[:-1]]
    start = np.where(first_of_key, point_key * _SPAN, start)
    size = points - start
    s_at = np.searchsorted(s_end, points, side="left")
    d_at = np.searchsorted(d_end, points, side="left")
    s_ok = s_at < len(s_end)
    d_ok = d_at < len(d_end)
    s_at_safe = np.minimum(s_at, max(len(s_end) - 1, 0))
    d_at_safe = np.minimum(d_at, max(len(d_end) - 1, 0))
    valid = s_ok & d_ok & (size > 0)
    if len(s_end):
        valid &= supply_key[s_at_safe] == point_key
    if len(d_end):
        valid &= demand_key[d_at_safe] == point_key
    supply = s_at_safe[valid]
    demand = d_at_safe[valid]
    amount = size[valid]
    supply_left = s_amount.copy()
    np.subtract.at(supply_left, supply, amount)
    demand_left = d_amount.copy()
    np.subtract.at(demand_left, demand, amount)
    return Allocation(supply, demand, amount, supply_left, demand_left)
