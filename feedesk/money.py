"""Exact money for the fee desk.

Why this module exists: Excel hands us binary floats and bank statement exports
hand us text such as '¥1,234.56'.  Inside the core every amount is an integer
number of fen (1 yuan = 100 fen), so sums never drift, and rounding happens
exactly once, with a rule the caller names.

Ground rules kept here:
* a float is read through its shortest decimal repr (what Excel displays),
  never through ``Decimal(float)`` (its binary expansion);
* rounding always gets an explicit rule and a local ``decimal.Context``;
  the thread's global decimal context is never used;
* no Excel libraries, no clock.
"""

from __future__ import annotations

import decimal
import enum
import math
import numbers
import operator
import re
from decimal import Decimal

import numpy as np

__all__ = [
    "Rounding",
    "to_decimal",
    "round_decimal",
    "yuan_to_fen",
    "fen_to_yuan",
    "fen_to_float",
    "yuan_array_to_fen",
    "multiply_to_fen",
    "format_yuan",
    "rmb_upper",
    "rmb_upper_yuan",
]


class Rounding(enum.Enum):
    """Rounding rules used on the desk; each value is the decimal-module constant.

    HALF_UP is the desk default: ties go away from zero (2.675 -> 2.68,
    -2.675 -> -2.68), which is what finance staff expect from "四舍五入".
    """

    HALF_UP = decimal.ROUND_HALF_UP
    HALF_EVEN = decimal.ROUND_HALF_EVEN
    DOWN = decimal.ROUND_DOWN  # toward zero
    UP = decimal.ROUND_UP  # away from zero


# ---------------------------------------------------------------------------
# Reading amounts
# ---------------------------------------------------------------------------

_CURRENCY_SYMBOLS = ("¥", "￥")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_GROUPED_INTEGER = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+")
# Largest decimal exponent we accept: beyond any float, small enough that
# quantizing to the fen stays cheap (text like '1e999999999' must not eat memory).
_MAX_ADJUSTED_EXPONENT = 400
# Only used to make Decimal(str) raise on malformed text whatever the
# thread's context says (the text is validated first anyway).
_PARSE_CONTEXT = decimal.Context(traps=[decimal.InvalidOperation])


def to_decimal(value) -> Decimal:
    """Read an amount in yuan exactly, as a person reading the cell would.

    Floats go through ``repr`` (shortest round-trip text) so 2.675 stays
    2.675 instead of 2.67499999999999982236431605997495353221893310546875.
    Text may carry '¥'/'￥', thousands commas, spaces, a leading backtick or a
    trailing tab, as bank statement exports do.
    """
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"a boolean is not an amount: {value!r}")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, numbers.Integral):
        amount = Decimal(int(value))
    elif isinstance(value, (float, np.floating)):
        amount = _float_to_decimal(value)
    elif isinstance(value, str):
        amount = _text_to_decimal(value)
    else:
        raise TypeError(f"expected a number or numeric text, got {type(value).__name__}: {value!r}")
    if not amount.is_finite():
        raise ValueError(f"amount must be a finite number, got {value!r}")
    if amount.adjusted() > _MAX_ADJUSTED_EXPONENT:
        raise ValueError(f"amount is far too large to be money: {value!r}")
    return amount


def _float_to_decimal(value) -> Decimal:
    """Shortest repr, because that is the number Excel showed the user."""
    if not math.isfinite(value):
        raise ValueError(f"amount must be a finite number, got {value!r}")
    if isinstance(value, float):
        text = repr(float(value))  # float() so numpy's 'np.float64(...)' repr never leaks in
    else:
        text = str(value)  # float32/float16: numpy prints their own shortest repr
    return Decimal(text, context=_PARSE_CONTEXT)


def _text_to_decimal(text: str) -> Decimal:
    """Clean statement-export noise, then insist on plain decimal notation."""
    cleaned = text.strip()
    if cleaned.startswith("`"):
        cleaned = cleaned[1:]
    for symbol in _CURRENCY_SYMBOLS:
        cleaned = cleaned.replace(symbol, "")
    cleaned = "".join(cleaned.split())  # every kind of space, incl. full-width and NBSP
    if not cleaned:
        raise ValueError(f"no amount in text {text!r}")
    if "," in cleaned:
        cleaned = _drop_thousands_separators(cleaned, text)
    if not _PLAIN_NUMBER.fullmatch(cleaned):
        raise ValueError(
            f"cannot read {text!r} as an amount in yuan "
            "(expected a number such as '1234.56', '¥1,234.56' or '-12.5')"
        )
    return Decimal(cleaned, context=_PARSE_CONTEXT)


def _drop_thousands_separators(cleaned: str, original: str) -> str:
    """Accept commas only as thousands separators: '12,34' could be a European 12.34."""
    unsigned = cleaned.lstrip("+-")
    sign = cleaned[: len(cleaned) - len(unsigned)]
    integer_part, dot, fraction_part = unsigned.partition(".")
    if "," in fraction_part or not _GROUPED_INTEGER.fullmatch(integer_part):
        raise ValueError(
            f"misplaced thousands separator in {original!r} "
            "(commas must split the integer part into groups of three, as in '1,234.56')"
        )
    return sign + integer_part.replace(",", "") + dot + fraction_part


def _as_fen(fen) -> int:
    """Fen are whole numbers; refuse bools and floats rather than guess."""
    if isinstance(fen, (bool, np.bool_)):
        raise TypeError(f"fen must be an integer, got a boolean: {fen!r}")
    try:
        return operator.index(fen)
    except TypeError:
        raise TypeError(
            f"fen must be an integer, got {type(fen).__name__}: {fen!r} (convert with yuan_to_fen first)"
        ) from None


# ---------------------------------------------------------------------------
# Rounding and conversions
# ---------------------------------------------------------------------------


def round_decimal(value: Decimal, places: int, mode: Rounding = Rounding.HALF_UP) -> Decimal:
    """Round to ``places`` decimals with an explicit rule and a local context.

    The context is sized to the value so quantize can never fail or round
    twice, whatever precision the caller's thread context happens to have.
    """
    if not isinstance(mode, Rounding):
        raise TypeError(f"mode must be a Rounding member, got {mode!r}")
    amount = to_decimal(value)
    places = operator.index(places)
    quantum = Decimal((0, (1,), -places))
    digits_needed = amount.adjusted() + places + 2  # +1 for the units digit, +1 for a carry
    context = decimal.Context(
        prec=max(digits_needed, 28),
        rounding=mode.value,
        Emin=decimal.MIN_EMIN,
        Emax=decimal.MAX_EMAX,
        traps=[decimal.InvalidOperation, decimal.Overflow],
    )
    return amount.quantize(quantum, rounding=mode.value, context=context)


def _decimal_to_fen(amount: Decimal, mode: Rounding) -> int:
    """Round once to the fen and read the coefficient: no float, no context maths."""
    rounded = round_decimal(amount, 2, mode)
    sign, digits, _exponent = rounded.as_tuple()  # exponent is -2 after quantize
    fen = int("".join(map(str, digits)))
    return -fen if sign else fen


def yuan_to_fen(value, mode: Rounding = Rounding.HALF_UP) -> int:
    """One amount in yuan (float, text, Decimal or int) to integer fen, rounded once."""
    return _decimal_to_fen(to_decimal(value), mode)


def fen_to_yuan(fen: int) -> Decimal:
    """Exact yuan with two places, for reports and Decimal-aware callers."""
    # The string constructor is exact and ignores the context.
    return Decimal(f"{_as_fen(fen)}E-2")


def fen_to_float(fen: int) -> float:
    """Nearest float to the yuan amount, for writing into Excel cells.

    int / int is correctly rounded in Python, so the float's repr reads back
    as the same amount (for any |fen| below 1e15).
    """
    return _as_fen(fen) / 100


def multiply_to_fen(price, quantity, mode: Rounding = Rounding.HALF_UP) -> int:
    """price x quantity computed exactly, then rounded once to the fen.

    Rounding the unit price first (or multiplying floats) is how a line of
    3 x 0.125 becomes 0.36 instead of 0.38.
    """
    price_amount = to_decimal(price)
    quantity_amount = to_decimal(quantity)
    coefficient_digits = len(price_amount.as_tuple().digits) + len(quantity_amount.as_tuple().digits)
    context = decimal.Context(
        prec=coefficient_digits + 1,
        Emin=decimal.MIN_EMIN,
        Emax=decimal.MAX_EMAX,
        traps=[decimal.Inexact, decimal.InvalidOperation, decimal.Overflow],
    )
    product = context.multiply(price_amount, quantity_amount)
    return _decimal_to_fen(product, mode)


# ---------------------------------------------------------------------------
# Vectorised float -> fen
# ---------------------------------------------------------------------------

# Why the fast paths are exact (x a float, D its shortest repr, which is what
# yuan_to_fen rounds):
# * |x| < 2**43: x's rounding interval is narrower than 0.001, so it holds at
#   most one number with <= 3 decimals.  If it holds one, D is that number
#   (a shorter-or-equal repr with more decimals cannot exist) and we round its
#   thousandths in integers.  If it holds none, no rounding boundary (all have
#   <= 3 decimals) lies between D and x, so rounding x*100 *exactly* (float
#   product plus its exact error term) gives the same fen as rounding D.
# * 2**43 <= |x| < 2**44: floats are multiples of 2**-9 yuan; see
#   _top_binade_to_fen.
# * anything larger (beyond the desk's 1e13 yuan range) uses the scalar path.
_THREE_PLACES_LIMIT = 2.0**43
_TOP_BINADE_LIMIT = 2.0**44
_DEKKER_SPLIT = 2.0**27 + 1
_INT64_MAX = int(np.iinfo(np.int64).max)
_INT64_MIN = int(np.iinfo(np.int64).min)


def yuan_array_to_fen(values, mode: Rounding = Rounding.HALF_UP) -> np.ndarray:
    """Float yuan column to int64 fen, equal element-wise to ``yuan_to_fen``.

    Why vectorised: sheets have a million rows and a Python loop over
    Decimal is ~100x slower.  The fast paths are exact (reasoning above
    _THREE_PLACES_LIMIT); only exact repr ties near 1e13 yuan and amounts
    beyond 2**44 yuan go through the scalar path.
    """
    if not isinstance(mode, Rounding):
        raise TypeError(f"mode must be a Rounding member, got {mode!r}")
    array = _as_numeric_array(values)
    if array.dtype == np.bool_:
        raise ValueError("boolean values are not amounts")
    if array.dtype.kind in "iu":
        return _integer_yuan_to_fen(array)
    if array.dtype != np.float64:
        # Decimal/text columns or float32: correct first, fast second.
        flat_objects = array.ravel()
        fen = np.empty(flat_objects.shape, dtype=np.int64)
        for position, item in enumerate(flat_objects):
            fen[position] = _checked_int64(yuan_to_fen(item, mode), position)
        return fen.reshape(array.shape)

    yuan = array.ravel()
    _reject_non_finite(yuan)
    magnitude = np.abs(yuan)
    in_main_range = magnitude < _THREE_PLACES_LIMIT
    in_top_binade = ~in_main_range & (magnitude < _TOP_BINADE_LIMIT)
    needs_scalar = ~(in_main_range | in_top_binade)

    main_yuan = np.where(in_main_range, yuan, 0.0)
    thousandths, has_three_places = _find_thousandths(main_yuan)
    fen = np.where(
        has_three_places,
        _thousandths_to_fen(thousandths, mode),
        _round_hundredfold_exactly(main_yuan, mode),
    )

    if in_top_binade.any():
        top_positions = np.flatnonzero(in_top_binade)
        top_fen, top_ambiguous = _top_binade_to_fen(yuan[top_positions], mode)
        fen[top_positions] = top_fen
        needs_scalar[top_positions[top_ambiguous]] = True

    for position in np.flatnonzero(needs_scalar):
        fen[position] = _checked_int64(yuan_to_fen(float(yuan[position]), mode), position)
    return fen.reshape(array.shape)


def _as_numeric_array(values) -> np.ndarray:
    """Accept numpy arrays, pandas Series (incl. nullable Float64) and lists."""
    if hasattr(values, "to_numpy") and not isinstance(values, np.ndarray):
        dtype = getattr(values, "dtype", None)
        if str(dtype) in ("Float32", "Float64"):
            return values.to_numpy(dtype=np.float64, na_value=np.nan)
        return values.to_numpy()
    return np.asarray(values)


def _reject_non_finite(yuan: np.ndarray) -> None:
    """Blanks must be handled by the caller; silently turning NaN into 0 fen would lose money."""
    finite = np.isfinite(yuan)
    if finite.all():
        return
    bad_positions = np.flatnonzero(~finite)
    first = int(bad_positions[0])
    raise ValueError(
        f"{bad_positions.size} value(s) are NaN or infinite (first at position {first}: {yuan[first]!r}); "
        "fill or drop blank cells before converting to fen"
    )


def _checked_int64(fen: int, position: int) -> int:
    """Fen beyond int64 cannot live in the array; say so instead of wrapping around."""
    if not _INT64_MIN <= fen <= _INT64_MAX:
        raise ValueError(f"amount at position {position} is too large for int64 fen: {fen}")
    return fen


def _integer_yuan_to_fen(array: np.ndarray) -> np.ndarray:
    """Whole-yuan columns: just x100, with an overflow check."""
    limit = _INT64_MAX // 100
    if array.size and (int(array.max()) > limit or int(array.min()) < -limit):
        raise ValueError("amounts too large for int64 fen")
    return array.astype(np.int64) * 100


def _find_thousandths(yuan: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The number with <= 3 decimals that reads back as x, if any (|x| < 2**43).

    rint(x*1000) can be off by one near 2**43 because x*1000 is itself
    rounded, so the neighbours are tried too; k/1000 == x is an exact test
    (k is an exact integer and IEEE division is correctly rounded).
    """
    nearest = np.rint(yuan * 1000.0)
    thousandths = nearest
    found = nearest / 1000.0 == yuan
    for offset in (-1.0, 1.0):
        candidate = nearest + offset
        hit = ~found & (candidate / 1000.0 == yuan)
        thousandths = np.where(hit, candidate, thousandths)
        found |= hit
    return np.where(found, thousandths, 0.0).astype(np.int64), found


def _thousandths_to_fen(thousandths: np.ndarray, mode: Rounding) -> np.ndarray:
    """Exact integer rounding of signed thousandths of a yuan to fen."""
    sign = np.sign(thousandths)
    magnitude = np.abs(thousandths)
    if mode is Rounding.HALF_UP:
        fen_magnitude = (magnitude + 5) // 10
    elif mode is Rounding.HALF_EVEN:
        fen_magnitude, remainder = np.divmod(magnitude, 10)
        round_up = (remainder > 5) | ((remainder == 5) & (fen_magnitude % 2 == 1))
        fen_magnitude = fen_magnitude + round_up
    elif mode is Rounding.DOWN:
        fen_magnitude = magnitude // 10
    else:  # Rounding.UP
        fen_magnitude = (magnitude + 9) // 10
    return sign * fen_magnitude


def _round_hundredfold_exactly(yuan: np.ndarray, mode: Rounding) -> np.ndarray:
    """Round the exact real |x|*100 by ``mode`` (|x| < 2**43), sign restored after.

    Dekker's error-free product gives |x|*100 == product + error exactly; the
    float product decides the rounding unless it sits exactly on a boundary,
    where the sign of the tiny error does.  Exact ties cannot reach here (a
    tie means x has <= 3 decimals), so the tie rule of each mode never applies.
    """
    magnitude = np.abs(yuan)
    product = magnitude * 100.0
    split = magnitude * _DEKKER_SPLIT
    high = split - (split - magnitude)
    low = magnitude - high
    error = (high * 100.0 - product) + low * 100.0  # 100 splits trivially: 7 bits
    whole = np.floor(product)
    fraction = product - whole  # exact for non-negative floats
    if mode in (Rounding.HALF_UP, Rounding.HALF_EVEN):
        step = (fraction > 0.5) | ((fraction == 0.5) & (error > 0))
    elif mode is Rounding.DOWN:
        step = -((fraction == 0.0) & (error < 0)).astype(np.int64)
    else:  # Rounding.UP
        step = (fraction > 0.0) | (error > 0)
    fen_magnitude = whole.astype(np.int64) + step
    return np.where(yuan < 0, -fen_magnitude, fen_magnitude)


def _top_binade_to_fen(yuan: np.ndarray, mode: Rounding) -> tuple[np.ndarray, np.ndarray]:
    """Exact fen for 2**43 <= |x| < 2**44, where floats are multiples of 2**-9 yuan.

    Works in units of 1/512000 yuan (x = n/512 exactly): the shortest repr is
    the unique multiple of 0.01 within half an ulp (500 units) if there is one,
    otherwise the nearest multiple of 0.001.  Exact ties are flagged for the
    scalar path rather than second-guessing repr's tie-breaking.
    """
    sign = np.where(yuan < 0, -1, 1).astype(np.int64)
    units = (np.abs(yuan) * 512.0).astype(np.int64) * 1000  # < 2**53 * 1000 < 2**63
    nearest_cent = (units + 2560) // 5120 * 5120
    cent_gap = np.abs(units - nearest_cent)
    nearest_milli = (units + 256) // 512 * 512
    milli_gap = np.abs(units - nearest_milli)
    has_cent = cent_gap < 500
    ambiguous = (cent_gap == 500) | (~has_cent & (milli_gap == 256))
    thousandths = np.where(has_cent, nearest_cent, nearest_milli) // 512
    return _thousandths_to_fen(sign * thousandths, mode), ambiguous


# ---------------------------------------------------------------------------
# Display
# ---------------------------------------------------------------------------


def format_yuan(fen: int, symbol: str = "¥") -> str:
    """'¥1,234.56' for people; the minus goes before the symbol as on statements."""
    fen = _as_fen(fen)
    sign = "-" if fen < 0 else ""
    whole_yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{symbol}{whole_yuan:,}.{cents:02d}"


_UPPER_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACE_UNITS = ("", "拾", "佰", "仟")  # index = power of ten inside a 4-digit group
# Group units, least significant first.  The top group is a count of 万 that
# multiplies 亿 (so 1e12 yuan reads 壹万亿); 亿 itself is written by the caller
# whenever either of the two top groups is non-zero.
_GROUP_UNITS = ("", "万", "亿", "万")
_MAX_UPPER_FEN = 10**18 - 1  # 9999,9999,9999,9999.99 yuan


def rmb_upper(fen: int) -> str:
    """Amount in Chinese capital numerals (大写金额) as written on receipts and cheques.

    Capitals exist so an amount cannot be altered by adding a stroke; the
    零/整 rules below follow the usual bank-note conventions:
    one 零 per run of zeros, none for zeros that end a 4-digit group,
    零 between 元 and 分 when 角 is zero, 整 when there are no 分.
    """
    fen = _as_fen(fen)
    if abs(fen) > _MAX_UPPER_FEN:
        raise ValueError(
            f"{fen} fen is beyond the largest amount written in capitals (9999,9999,9999,9999.99 yuan)"
        )
    whole_yuan, cents = divmod(abs(fen), 100)
    jiao, fen_digit = divmod(cents, 10)
    integer_words = _integer_upper(whole_yuan)
    if not integer_words and not cents:
        return "零元整"

    parts = ["负" if fen < 0 else ""]
    if integer_words:
        parts.append(integer_words + "元")
    if jiao:
        parts.append(_UPPER_DIGITS[jiao] + "角")
    elif fen_digit and integer_words:
        parts.append("零")
    if fen_digit:
        parts.append(_UPPER_DIGITS[fen_digit] + "分")
    else:
        parts.append("整")
    return "".join(parts)


def _integer_upper(whole_yuan: int) -> str:
    """Capital numerals for the yuan part; '' for zero (the caller decides on 零元)."""
    groups = []  # 4-digit groups, least significant first
    while whole_yuan:
        whole_yuan, group = divmod(whole_yuan, 10000)
        groups.append(group)

    words: list[str] = []
    zero_pending = False  # a zero run seen since the last written digit
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group:
            if words and (zero_pending or group < 1000):
                words.append("零")
            words.append(_group_upper(group) + _GROUP_UNITS[index])
            zero_pending = False
        elif words:
            zero_pending = True
        if index == 2 and not group and len(groups) > 3 and groups[3]:
            words.append("亿")  # 壹万亿: the 亿 belongs to the 万 count above
    return "".join(words)


def _group_upper(group: int) -> str:
    """One group 1..9999: inner zero runs read as one 零, trailing zeros are silent."""
    words: list[str] = []
    zero_pending = False
    for power in (3, 2, 1, 0):
        digit = group // 10**power % 10
        if not digit:
            zero_pending = bool(words)
            continue
        if zero_pending:
            words.append("零")
            zero_pending = False
        words.append(_UPPER_DIGITS[digit] + _PLACE_UNITS[power])
    return "".join(words)


def rmb_upper_yuan(amount) -> str:
    """Capitals for an amount in yuan (float, text or Decimal), rounded half-up to the fen first."""
    return rmb_upper(yuan_to_fen(amount, Rounding.HALF_UP))
