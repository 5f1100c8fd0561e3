"""First-in-first-out allocation of money to debts, exact and vectorised, and the integer keys
it works on.

Within each key (a bill, a customer) supplies are spent on demands in the order given: the
first supply pays the first demand until one of them runs out, then the next, like laying
two rulers side by side. Every allocated fen comes from one supply and goes to one demand,
so neither is ever allocated beyond its amount.

Keys: `KeyIndex` finds IDs among IDs (a payment's bill among a million bills). IDs that share a
shape (a prefix and digits: B2026030001, C000101) are read by numpy from their bytes as int64
codes and looked up by integer, with no Python string hashed; other IDs go through pandas.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pandas as pd

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


def _fits(supply_key, s_amount, demand_key, d_amount) -> bool:
    """Whether every key's running total stays well inside its _SPAN and every key * _SPAN inside
    int64 (a running total past the span would spill into the next key's range). Screened in
    float64, which is exact enough at this size; a near miss takes the exact path."""
    top = max(int(supply_key.max(initial=0)), int(demand_key.max(initial=0)))
    if top >= np.iinfo(np.int64).max // int(_SPAN) - 1:
        return False
    limit = 0.99 * float(_SPAN)
    for keys, amounts in ((supply_key, s_amount), (demand_key, d_amount)):
        if len(amounts) and float(amounts.sum(dtype=np.float64)) >= limit and \
                _cumulative_within(keys, amounts.astype(np.float64)).max() >= limit:
            return False
    return True


def _fifo_exact(supply_key, s_amount, demand_key, d_amount) -> Allocation:
    """The same allocation by walking both sides key by key in Python integers: for amounts too
    large for the vectorised ranges (a typo of 1e12 yuan must give a result, not an overflow)."""
    supply, demand, amount = [], [], []
    s_left, d_left = s_amount.tolist(), d_amount.tolist()
    s_keys, d_keys = supply_key.tolist(), demand_key.tolist()
    i = j = 0
    while i < len(s_keys) and j < len(d_keys):
        if s_keys[i] < d_keys[j] or s_left[i] <= 0:
            i += 1
        elif d_keys[j] < s_keys[i] or d_left[j] <= 0:
            j += 1
        else:
            moved = min(s_left[i], d_left[j])
            supply.append(i)
            demand.append(j)
            amount.append(moved)
            s_left[i] -= moved
            d_left[j] -= moved
    return Allocation(np.array(supply, dtype=np.int64), np.array(demand, dtype=np.int64),
                      np.array(amount, dtype=np.int64), np.array(s_left, dtype=np.int64),
                      np.array(d_left, dtype=np.int64))


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
    if not _fits(supply_key, s_amount, demand_key, d_amount):
        return _fifo_exact(supply_key, s_amount, demand_key, d_amount)
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


def sum_by(keys: np.ndarray, fen: np.ndarray, size: int) -> np.ndarray:
    """Integer fen summed per key (0 <= key < size), exactly: int64 out.

    np.add.at is exact but slow on a large random scatter (tens of ms for a million rows), so the
    sums are two np.bincount passes over the amounts split into their low 24 bits and the rest:
    each pass adds integers whose totals stay below 2**53, where float64 is exact, checked before
    it is trusted (else np.add.at)."""
    keys = np.asarray(keys, dtype=np.int64)
    fen = np.asarray(fen, dtype=np.int64)
    low, high = fen & 0xFFFFFF, fen >> 24  # fen == high * 2**24 + low, 0 <= low < 2**24
    if len(fen) < 2**29 and int(np.abs(high).sum()) < 2**53:
        out = np.bincount(keys, weights=low, minlength=size).astype(np.int64)
        out += np.bincount(keys, weights=high, minlength=size).astype(np.int64) << 24
        return out
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, keys, fen)
    return out


# ---------------------------------------------------------------------------------------------
# Looking IDs up as integers
# ---------------------------------------------------------------------------------------------

_MAX_DIGITS = 18  # 10**18 - 1 < 2**63
_DENSE_PER_ID = 16  # a code-to-position table is kept when it has at most this many entries per ID
_SEPARATOR = "\x1f"


@dataclasses.dataclass(frozen=True)
class TextGrid:
    """Text values as one numpy array of characters (ASCII bytes, or UTF-16 code units when any
    value is not ASCII: IDs of a shape are ASCII, so a surrogate pair never fits one), where each
    value starts in it and its length. A blank is read as '', as is a number unless asked to read
    it as its text; a value holding the separator has length -1. One join and one encode, no Python
    call per value; one grid serves several look-ups."""

    chars: np.ndarray
    starts: np.ndarray
    lengths: np.ndarray

    @classmethod
    def of(cls, values, numbers_as_text: bool = False) -> TextGrid:
        array = np.asarray(values, dtype=object)
        items = array.tolist()
        n = len(items)
        if not n:
            return cls(np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        try:
            joined = _SEPARATOR.join(items)
        except TypeError:  # blanks (NaN, None) among the text: '' (one pass in C), then perhaps numbers
            items = np.where(pd.isna(array), "", array).tolist()
            try:
                joined = _SEPARATOR.join(items)
            except TypeError:
                items = [v if isinstance(v, str) else (str(v) if numbers_as_text else "") for v in items]
                joined = _SEPARATOR.join(items)
        inside = None
        if joined.count(_SEPARATOR) != n - 1:  # a value holding the separator: no ID either (length -1)
            inside = np.array([_SEPARATOR in v for v in items], dtype=bool)
            items = ["" if bad else v for v, bad in zip(items, inside.tolist())]
            joined = _SEPARATOR.join(items)
        joined += _SEPARATOR
        if joined.isascii():
            chars = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
        else:
            chars = np.frombuffer(joined.encode("utf-16-le", "surrogatepass"), dtype=np.uint16)
        ends = np.flatnonzero(chars == ord(_SEPARATOR))
        starts = np.r_[0, ends[:-1] + 1]
        lengths = ends - starts
        if inside is not None:
            lengths[inside] = -1
        return cls(chars, starts, lengths)

    def __len__(self) -> int:
        return len(self.starts)


@dataclasses.dataclass(frozen=True)
class IdShape:
    """What a set of IDs has in common: one length, the same character in some places (a prefix
    like 'B', a dash) and digits in the others (at most 18). Such an ID is its digits read as one
    int64 number: a code that two IDs of the shape share only when they are equal."""

    width: int
    fixed: np.ndarray  # places whose character every ID shares
    fixed_chars: np.ndarray  # those characters (ASCII codes)
    digits: np.ndarray  # the other places, a digit in every ID

    @property
    def folds_to_itself(self) -> bool:
        """Whether NFKC, upper case and stripping leave every ID of the shape as it is (its fixed
        characters are printable ASCII and no lower-case letter)."""
        c = self.fixed_chars
        return not bool(np.any((c <= 0x20) | (c >= 0x7F) | ((c >= 0x61) & (c <= 0x7A))))

    def codes(self, values) -> np.ndarray:
        """The code of each value (values, or their TextGrid); -1 where a value is no ID of this
        shape (another length, other fixed characters, a non-digit, not text)."""
        grid = values if isinstance(values, TextGrid) else TextGrid.of(values)
        out = np.full(len(grid), -1, dtype=np.int64)
        fits = grid.lengths == self.width
        if len(grid) and fits.all() and len(grid.chars) == len(grid) * (self.width + 1):
            # all of this width, one after the other (IDs as a column holds them): a view, no gather
            columns = grid.chars.reshape(len(grid), self.width + 1)[:, :self.width].T
            ok = np.ones(len(grid), dtype=bool)
            for place, char in zip(self.fixed.tolist(), self.fixed_chars.tolist()):
                ok &= columns[place] == char
            code, digits_ok = self._read(columns)
            return np.where(ok & digits_ok, code, -1)
        at = np.flatnonzero(fits)
        if len(at):
            columns = grid.chars[grid.starts[at][None, :] + np.arange(self.width)[:, None]]  # a row per place
            ok = np.ones(len(at), dtype=bool)
            for place, char in zip(self.fixed.tolist(), self.fixed_chars.tolist()):
                ok &= columns[place] == char
            code, digits_ok = self._read(columns)
            ok &= digits_ok
            out[at[ok]] = code[ok]
        return out

    def _read(self, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(code, all digits) of IDs given as one row of characters per place."""
        ok = np.ones(columns.shape[1], dtype=bool)
        code = np.zeros(columns.shape[1], dtype=np.int64)
        for place in self.digits.tolist():
            digit = columns[place] - columns.dtype.type(48)  # wraps round below '0'
            ok &= digit <= 9
            code *= 10
            code += digit
        return code, ok


def id_shape(ids) -> tuple[IdShape, np.ndarray] | None:
    """The shape all of `ids` share and their codes, or None when they share none (a blank, a
    non-ASCII character, two lengths, a place whose characters differ and are not all digits,
    more than 18 such places)."""
    items = np.asarray(ids, dtype=object).tolist()
    n = len(items)
    if not n:
        return None
    try:
        joined = _SEPARATOR.join(items) + _SEPARATOR
    except TypeError:  # a blank or a number
        return None
    width = len(joined) // n - 1
    if width < 1 or len(joined) != n * (width + 1) or not joined.isascii() or joined.count(_SEPARATOR) != n:
        return None
    grid = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(n, width + 1)
    if not (grid[:, width] == ord(_SEPARATOR)).all():  # n separators, each after `width` characters
        return None
    columns = np.ascontiguousarray(grid[:, :width].T)  # one row of characters per place
    same = np.array([row.min() == row.max() for row in columns], dtype=bool)
    fixed, digits = np.flatnonzero(same), np.flatnonzero(~same)
    if len(digits) > _MAX_DIGITS:
        return None
    shape = IdShape(width, fixed, columns[fixed, 0].astype(np.int64), digits)
    code, ok = shape._read(columns)
    return (shape, code) if ok.all() else None


class KeyIndex:
    """Where each of a set of IDs stands, to look many up at once: `positions(wanted)` gives the
    position of each wanted ID (the first, if an ID repeats), -1 for one that is not there.

    IDs of one shape (`id_shape`: B2026030001, C000101) are looked up as int64 codes (a table from
    code to position when the codes lie close together, as numbered IDs do, else binary search),
    no Python string hashed; any others through a pandas hash index of the strings."""

    def __init__(self, keys, shaped: tuple[IdShape, np.ndarray] | None = None):
        keys = np.asarray(keys, dtype=object)
        self.size = len(keys)
        self.shape: IdShape | None = None
        self.unique = True  # no key twice
        self._first = None  # position of each entry (None: the entries are the positions)
        self._table = None  # position by code - lowest code, when the codes lie close together
        self._renumber = None  # the position to give for each position (see `renumbered`)
        shaped = shaped if shaped is not None else id_shape(keys)
        if shaped is not None:
            self.shape, code = shaped
            self._low = int(code.min()) if len(code) else 0
            span = int(code.max()) - self._low + 1 if len(code) else 0
            if span <= _DENSE_PER_ID * len(code) + 1024 and len(code) < 2**31:
                table = np.full(span, -1, dtype=np.int32)
                table[code[::-1] - self._low] = np.arange(len(code) - 1, -1, -1, dtype=np.int32)  # the first wins
                self._table = table
                self.unique = int(np.count_nonzero(table >= 0)) == len(code)
            elif len(code) < 2 or bool((code[1:] > code[:-1]).all()):  # IDs in order, each once: no sort
                self._codes = code
            else:
                order = np.argsort(code, kind="stable")
                ranked = code[order]
                first = np.r_[True, ranked[1:] != ranked[:-1]]
                self._codes, self._first = ranked[first], order[first]
                self.unique = bool(first.all())
            return
        index = pd.Index(keys)
        if index.is_unique:
            self._index = index
        else:
            codes, uniques = pd.factorize(keys, use_na_sentinel=False)  # a blank is a key too, as in pd.Index
            first = np.empty(len(uniques), dtype=np.int64)
            first[codes[::-1]] = np.arange(len(keys) - 1, -1, -1)
            self._index, self._first = pd.Index(uniques), first
            self.unique = False

    def renumbered(self, position: np.ndarray) -> KeyIndex:
        """The same index giving position[p] where this one gives p (the keys reordered)."""
        other = copy.copy(self)
        other._renumber = np.asarray(position, dtype=np.int64) if self._renumber is None \
            else np.asarray(position, dtype=np.int64)[self._renumber]
        return other

    def positions(self, wanted, grid: TextGrid | None = None) -> np.ndarray:
        """Position of each wanted value; `grid`, the values' TextGrid if there is one already."""
        if self.shape is not None:
            return self.positions_of_codes(self.shape.codes(grid if grid is not None else wanted))
        wanted = np.asarray(wanted, dtype=object)
        if not len(wanted) or not self.size:
            return np.full(len(wanted), -1, dtype=np.int64)
        at = self._index.get_indexer(wanted)
        return self._finish(at, at >= 0)

    def positions_of_codes(self, code: np.ndarray) -> np.ndarray:
        """Position of each ID given by its code under `shape` (-1: none)."""
        if not len(code) or not self.size:
            return np.full(len(code), -1, dtype=np.int64)
        if self._table is not None:
            offset = code - self._low
            inside = (code >= 0) & (offset >= 0) & (offset < len(self._table))
            at = np.full(len(code), -1, dtype=np.int64)
            at[inside] = self._table[offset[inside]]
            return self._finish(at, at >= 0)
        if len(code) > 1000:  # binary search is kinder to the cache on sorted needles
            order = np.argsort(code)
            at = np.empty(len(code), dtype=np.int64)
            at[order] = np.searchsorted(self._codes, code[order])
        else:
            at = np.searchsorted(self._codes, code)
        at = np.minimum(at, len(self._codes) - 1)
        return self._finish(at, (self._codes[at] == code) & (code >= 0))

    def _finish(self, at: np.ndarray, hit: np.ndarray) -> np.ndarray:
        if self._first is not None:
            at = self._first[np.maximum(at, 0)]
        at = np.where(hit, at, -1).astype(np.int64)
        if self._renumber is not None:
            at = np.where(hit, self._renumber[np.maximum(at, 0)], -1)
        return at
