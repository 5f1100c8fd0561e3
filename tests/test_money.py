"""Tests for feedesk.money: officer-style examples first, then properties.

The examples are what a billing officer would check by hand; the properties
compare the fast code with slow, obviously-correct Decimal references and
read the Chinese capitals back with a small independent parser.
"""

import ast
import decimal
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from feedesk import money
from feedesk.money import (
    Rounding,
    fen_to_float,
    fen_to_yuan,
    format_yuan,
    multiply_to_fen,
    rmb_upper,
    rmb_upper_yuan,
    round_decimal,
    to_decimal,
    yuan_array_to_fen,
    yuan_to_fen,
)
from xlfuncs.money_funcs import FD_RMB_UPPER

ALL_MODES = list(Rounding)
MAX_FEN_IN_CAPITALS = 10**18 - 1  # 9999,9999,9999,9999.99 yuan


# ---------------------------------------------------------------------------
# Slow references and the capital-numeral parser (test oracles)
# ---------------------------------------------------------------------------


def reference_fen(amount, mode=Rounding.HALF_UP):
    """Round the decimal Excel displays for a float (its repr) to the fen, the slow way."""
    exact = Decimal(repr(float(amount))) if isinstance(amount, float) else Decimal(amount)
    context = decimal.Context(prec=200)
    return int(context.multiply(exact, 100).to_integral_value(rounding=mode.value, context=context))


def reference_product_fen(price: Decimal, quantity: Decimal, mode=Rounding.HALF_UP):
    context = decimal.Context(prec=200)
    product_in_fen = context.multiply(context.multiply(price, quantity), 100)
    return int(product_in_fen.to_integral_value(rounding=mode.value, context=context))


UPPER_DIGIT_VALUES = {digit: value for value, digit in enumerate("零壹贰叁肆伍陆柒捌玖")}
UPPER_PLACE_VALUES = {"拾": 10, "佰": 100, "仟": 1000}
NONZERO_DIGIT = "[壹贰叁肆伍陆柒捌玖]"
FRACTION_PATTERN = re.compile(f"(零)?(?:({NONZERO_DIGIT})角)?(?:({NONZERO_DIGIT})分)?(整)?")


def parse_rmb_upper(text: str) -> int:
    """Read capital numerals back to fen; strict about the 零/整 rules it can check."""
    sign = 1
    if text.startswith("负"):
        sign, text = -1, text[1:]
    if text == "零元整":
        return 0
    integer_text, has_yuan, fraction_text = text.partition("元")
    if not has_yuan:
        integer_text, fraction_text = "", text
    whole_yuan = parse_upper_integer(integer_text)
    assert (whole_yuan > 0) == bool(has_yuan) == bool(integer_text), text

    match = FRACTION_PATTERN.fullmatch(fraction_text)
    assert match, f"malformed fraction part {fraction_text!r} in {text!r}"
    zero_marker, jiao_digit, fen_digit, whole_marker = match.groups()
    assert bool(whole_marker) == (fen_digit is None), f"整 iff no 分: {text!r}"
    assert bool(zero_marker) == bool(whole_yuan and fen_digit and not jiao_digit), f"零 before 分: {text!r}"
    assert whole_yuan or jiao_digit or fen_digit, text
    jiao = UPPER_DIGIT_VALUES[jiao_digit] if jiao_digit else 0
    fen = UPPER_DIGIT_VALUES[fen_digit] if fen_digit else 0
    return sign * (whole_yuan * 100 + jiao * 10 + fen)


def parse_upper_integer(text: str) -> int:
    """Classic section parser: 万 scales the current section, 亿 scales everything so far."""
    total = section = digit = 0
    for char in text:
        if char in UPPER_DIGIT_VALUES:
            digit = UPPER_DIGIT_VALUES[char]
        elif char in UPPER_PLACE_VALUES:
            assert digit, f"unit without a digit in {text!r}"
            section += digit * UPPER_PLACE_VALUES[char]
            digit = 0
        elif char == "万":
            section = (section + digit) * 10_000
            digit = 0
        elif char == "亿":
            total = (total + section + digit) * 100_000_000
            section = digit = 0
        else:
            raise AssertionError(f"unexpected character {char!r} in {text!r}")
    return total + section + digit


# ---------------------------------------------------------------------------
# Reading amounts
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        (2.675, "2.675"),  # through repr, not the binary 2.67499999...
        (np.float64(2.675), "2.675"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e-9, "1E-9"),
        (5, "5"),
        (np.int64(7), "7"),
        (Decimal("1.10"), "1.10"),
        ("1234.56", "1234.56"),
        ("¥1,234.56", "1234.56"),
        ("￥ 1,234.56", "1234.56"),
        ("`1234.56\t", "1234.56"),  # statement export: leading backtick, trailing tab
        ("  -¥0.05 ", "-0.05"),
        ("¥-12.50", "-12.50"),
        ("+3.5", "3.5"),
        (".5", "0.5"),
        ("1 234 567.00", "1234567.00"),
        ("12,345,678.9", "12345678.9"),
        ("1.5E+3", "1500"),
    ],
)
def test_to_decimal_reads_what_the_officer_sees(raw, expected):
    assert to_decimal(raw) == Decimal(expected)


@pytest.mark.parametrize(
    "raw, message",
    [
        ("abc", "cannot read 'abc'"),
        ("", "no amount"),
        ("  \t", "no amount"),
        ("¥", "no amount"),
        ("1.2.3", "cannot read"),
        ("12,34", "thousands separator"),  # could be a European 12.34: refuse, don't guess
        ("1,234,56", "thousands separator"),
        ("1,234.5,6", "thousands separator"),
        ("NaN", "cannot read"),
        ("inf", "cannot read"),
        ("(12.50)", "cannot read"),
        ("12元", "cannot read"),
        ("1e999999999", "far too large"),
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        (float("-inf"), "finite"),
        (Decimal("NaN"), "finite"),
        (Decimal("-Infinity"), "finite"),
        (True, "boolean"),
        (np.bool_(False), "boolean"),
    ],
)
def test_to_decimal_rejects_non_numbers_with_a_clear_message(raw, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        to_decimal(raw)


@pytest.mark.parametrize("raw", [None, [1], object()])
def test_to_decimal_rejects_other_types(raw):
    with pytest.raises(TypeError, match="expected a number or numeric text"):
        to_decimal(raw)


# ---------------------------------------------------------------------------
# Rounding to the fen
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount, mode, expected_fen",
    [
        (2.675, Rounding.HALF_UP, 268),  # Python's round(2.675, 2) gives 2.67
        (-2.675, Rounding.HALF_UP, -268),  # half-up means half away from zero
        (0.005, Rounding.HALF_UP, 1),
        (1.005, Rounding.HALF_UP, 101),
        (1e-9, Rounding.HALF_UP, 0),
        (0.1 + 0.2, Rounding.HALF_UP, 30),
        ("1,234.565", Rounding.HALF_UP, 123457),
        ("¥-1,234.565", Rounding.HALF_UP, -123457),
        (Decimal("0.015"), Rounding.HALF_UP, 2),
        (100, Rounding.HALF_UP, 10000),
        (-0.0, Rounding.HALF_UP, 0),
        (2.675, Rounding.HALF_EVEN, 268),
        (2.665, Rounding.HALF_EVEN, 266),
        (0.125, Rounding.HALF_EVEN, 12),
        (-0.135, Rounding.HALF_EVEN, -14),
        (1.999, Rounding.DOWN, 199),
        (-1.999, Rounding.DOWN, -199),
        (1.001, Rounding.UP, 101),
        (-1.001, Rounding.UP, -101),
        (1e-9, Rounding.UP, 1),
        (-1e-9, Rounding.DOWN, 0),
        (12345678901.235, Rounding.HALF_UP, 1234567890124),
    ],
)
def test_yuan_to_fen_examples(amount, mode, expected_fen):
    assert yuan_to_fen(amount, mode) == expected_fen
    assert type(yuan_to_fen(amount, mode)) is int


def test_yuan_to_fen_defaults_to_half_up():
    assert yuan_to_fen(0.125) == 13


@pytest.mark.parametrize(
    "value, places, mode, expected",
    [
        (Decimal("2.675"), 2, Rounding.HALF_UP, "2.68"),
        (Decimal("-2.675"), 2, Rounding.HALF_UP, "-2.68"),
        (Decimal("2.5"), 0, Rounding.HALF_EVEN, "2"),
        (Decimal("-2.5"), 0, Rounding.HALF_EVEN, "-2"),
        (Decimal("9.999"), 2, Rounding.DOWN, "9.99"),
        (Decimal("9.991"), 2, Rounding.UP, "10.00"),
        (Decimal("1234.5"), -2, Rounding.HALF_UP, "1.2E+3"),
        (Decimal("123456789012345678901234567890.125"), 2, Rounding.HALF_UP, "123456789012345678901234567890.13"),
    ],
)
def test_round_decimal_examples(value, places, mode, expected):
    rounded = round_decimal(value, places, mode)
    assert rounded == Decimal(expected)
    assert rounded.as_tuple().exponent == -places


def test_round_decimal_needs_a_rounding_member():
    with pytest.raises(TypeError, match="Rounding"):
        round_decimal(Decimal("1.5"), 0, decimal.ROUND_HALF_UP)


def test_results_ignore_a_hostile_global_decimal_context():
    """A caller's tiny precision or odd rounding must not leak into money."""
    with decimal.localcontext() as hostile:
        hostile.prec = 3
        hostile.rounding = decimal.ROUND_FLOOR
        hostile.traps[decimal.InvalidOperation] = False
        assert yuan_to_fen(2.675) == 268
        assert yuan_to_fen("-9,876,543.215") == -987654322
        assert multiply_to_fen("12345.67", "3.333") == 4114812
        assert round_decimal(Decimal("123456.785"), 2, Rounding.HALF_UP) == Decimal("123456.79")
        assert fen_to_yuan(123456789) == Decimal("1234567.89")
        with pytest.raises(ValueError):
            to_decimal("abc")


# ---------------------------------------------------------------------------
# Back to yuan, formatting
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fen, yuan_text, as_float, formatted",
    [
        (123456, "1234.56", 1234.56, "¥1,234.56"),
        (-5, "-0.05", -0.05, "-¥0.05"),
        (0, "0.00", 0.0, "¥0.00"),
        (100, "1.00", 1.0, "¥1.00"),
        (-123456789, "-1234567.89", -1234567.89, "-¥1,234,567.89"),
    ],
)
def test_fen_back_to_yuan(fen, yuan_text, as_float, formatted):
    assert str(fen_to_yuan(fen)) == yuan_text
    assert fen_to_float(fen) == as_float
    assert format_yuan(fen) == formatted


def test_format_yuan_other_symbol():
    assert format_yuan(123456, symbol="") == "1,234.56"
    assert format_yuan(-123456, symbol="RMB ") == "-RMB 1,234.56"


@pytest.mark.parametrize("bad", [1.5, "100", True])
def test_fen_must_be_an_integer(bad):
    with pytest.raises(TypeError, match="fen must be an integer"):
        format_yuan(bad)


# ---------------------------------------------------------------------------
# Line totals
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "price, quantity, mode, expected_fen",
    [
        (19.99, 3, Rounding.HALF_UP, 5997),
        (0.1, 3, Rounding.HALF_UP, 30),  # 0.1 * 3 == 0.30000000000000004 in floats
        (0.125, 3, Rounding.HALF_UP, 38),  # rounding the price first would give 36
        (-0.125, 3, Rounding.HALF_UP, -38),
        (0.125, 3, Rounding.DOWN, 37),
        (0.125, 3, Rounding.HALF_EVEN, 38),
        ("¥1,234.50", "0.333", Rounding.HALF_UP, 41109),
        (2.675, 1, Rounding.HALF_UP, 268),
        ("12345678901234.5678", "1000.001", Rounding.HALF_UP, 1234569124691346903),
        (Decimal("0.0001"), Decimal("0.0001"), Rounding.UP, 1),
    ],
)
def test_multiply_to_fen_examples(price, quantity, mode, expected_fen):
    assert multiply_to_fen(price, quantity, mode) == expected_fen


# ---------------------------------------------------------------------------
# Capitals (大写金额)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fen, capitals",
    [
        (101005, "壹仟零壹拾元零伍分"),
        (10000, "壹佰元整"),
        (0, "零元整"),
        (150, "壹元伍角整"),
        (5, "伍分"),
        (1005, "壹拾元零伍分"),
        (100000005, "壹佰万元零伍分"),
        (1000010000, "壹仟万零壹佰元整"),
        (10001_00, "壹万零壹元整"),
        (100010_00, "壹拾万零壹拾元整"),
        (100000000_00, "壹亿元整"),
        (100001000_00, "壹亿零壹仟元整"),
        (110000_00, "壹拾壹万元整"),
        (10_00, "壹拾元整"),
        (1_50, "壹元伍角整"),
        (50, "伍角整"),
        (1_05, "壹元零伍分"),
        (1_55, "壹元伍角伍分"),
        (1_00, "壹元整"),
        (55, "伍角伍分"),
        (1001_00, "壹仟零壹元整"),
        (101000_00, "壹拾万壹仟元整"),  # zeros ending a group are silent
        (100100_00, "壹拾万零壹佰元整"),
        (10001000_00, "壹仟万壹仟元整"),
        (100000001_00, "壹亿零壹元整"),
        (1000000_50, "壹佰万元伍角整"),
        (10000_01, "壹万元零壹分"),
        (123456789_12, "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
        (1_0000_0000_0000_00, "壹万亿元整"),
        (1_0001_0000_0000_00, "壹万零壹亿元整"),
        (1_0000_0001_0000_00, "壹万亿零壹万元整"),
        (1_1000_0000_0000_00, "壹万壹仟亿元整"),
        (MAX_FEN_IN_CAPITALS, "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
        (-1_50, "负壹元伍角整"),
        (-5, "负伍分"),
    ],
)
def test_rmb_upper_examples(fen, capitals):
    assert rmb_upper(fen) == capitals
    assert parse_rmb_upper(capitals) == fen  # the oracle agrees with the table


@pytest.mark.parametrize("fen", [MAX_FEN_IN_CAPITALS + 1, -MAX_FEN_IN_CAPITALS - 1, 10**30])
def test_rmb_upper_refuses_amounts_beyond_capitals(fen):
    with pytest.raises(ValueError, match="beyond the largest amount"):
        rmb_upper(fen)


@pytest.mark.parametrize(
    "amount, capitals",
    [
        (1010.05, "壹仟零壹拾元零伍分"),
        ("¥1,010.05", "壹仟零壹拾元零伍分"),
        (2.675, "贰元陆角捌分"),
        (Decimal("0.005"), "壹分"),
        (0.004, "零元整"),
        (-1.5, "负壹元伍角整"),
        (10000, "壹万元整"),
    ],
)
def test_rmb_upper_yuan_rounds_half_up_first(amount, capitals):
    assert rmb_upper_yuan(amount) == capitals


# ---------------------------------------------------------------------------
# Excel function
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell, shown",
    [
        (1010.05, "壹仟零壹拾元零伍分"),
        (10000.0, "壹万元整"),
        ("¥1,010.05", "壹仟零壹拾元零伍分"),
        (None, ""),
        ("", ""),
        ("   ", ""),
    ],
)
def test_fd_rmb_upper(cell, shown):
    assert FD_RMB_UPPER(cell) == shown


@pytest.mark.parametrize("cell", ["abc", "12,34", True, float("nan")])
def test_fd_rmb_upper_shows_an_error_string_for_bad_input(cell):
    assert FD_RMB_UPPER(cell) == "#VALUE! 金额不是数字 / amount is not a number"


def test_fd_rmb_upper_shows_an_error_string_for_huge_amounts():
    assert FD_RMB_UPPER(1e20).startswith("#NUM!")


# ---------------------------------------------------------------------------
# Vectorised conversion
# ---------------------------------------------------------------------------


def test_yuan_array_to_fen_examples():
    yuan = np.array([2.675, -2.675, 0.005, 1e-9, 1234.565, 0.0, 0.1 + 0.2, 9_000_000_000_000.125])
    fen = yuan_array_to_fen(yuan)
    assert fen.dtype == np.int64
    assert fen.tolist() == [268, -268, 1, 0, 123457, 0, 30, 900_000_000_000_013]


def test_yuan_array_to_fen_accepts_series_and_keeps_shape():
    series = pd.Series([1.005, 2.675, -0.125], index=["a", "b", "c"])
    assert yuan_array_to_fen(series).tolist() == [101, 268, -13]
    assert yuan_array_to_fen(series, Rounding.HALF_EVEN).tolist() == [100, 268, -12]
    grid = np.array([[1.005, 2.0], [3.5, -4.125]])
    assert yuan_array_to_fen(grid).tolist() == [[101, 200], [350, -413]]
    assert yuan_array_to_fen(np.array([], dtype=float)).tolist() == []
    assert yuan_array_to_fen(np.array([1, -2, 3])).tolist() == [100, -200, 300]
    assert yuan_array_to_fen(pd.Series([1.005, 2.675], dtype="Float64")).tolist() == [101, 268]


@pytest.mark.parametrize(
    "blank_column",
    [
        np.array([1.0, np.nan, 2.0]),
        pd.Series([1.0, None]),
        pd.Series([1.0, None], dtype="Float64"),
        np.array([np.inf]),
    ],
)
def test_yuan_array_to_fen_refuses_blanks(blank_column):
    with pytest.raises(ValueError, match="NaN or infinite"):
        yuan_array_to_fen(blank_column)


def test_yuan_array_to_fen_matches_scalar_on_a_large_adversarial_sample():
    """Half-fen boundaries and their float neighbours are where shortcuts break."""
    rng = np.random.default_rng(7)
    odd_thousandths = rng.integers(-10**12, 10**12, 20_000) * 10 + 5  # x.xx5 exactly in decimal
    on_boundary = np.array([float(Decimal(int(k)).scaleb(-3)) for k in odd_thousandths])
    column = np.concatenate(
        [
            on_boundary,
            np.nextafter(on_boundary, np.inf),
            np.nextafter(on_boundary, -np.inf),
            rng.uniform(2.0**43, 1e13, 5_000),  # floats 2**-9 apart
            -rng.uniform(8e12, 2.0**43, 5_000),
        ]
    )
    for mode in ALL_MODES:
        expected = [yuan_to_fen(float(x), mode) for x in column]
        assert yuan_array_to_fen(column, mode).tolist() == expected


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------


@st.composite
def typed_amounts(draw, max_coefficient=10**17, max_places=4):
    """A decimal as typed into Excel (up to 4 places), as the float Excel stores."""
    coefficient = draw(st.integers(-max_coefficient, max_coefficient))
    places = draw(st.integers(0, max_places))
    value = float(Decimal(coefficient).scaleb(-places))
    if abs(value) >= 1e13:
        value = float(Decimal(coefficient % 10**13).scaleb(-places))
    return value


raw_floats = st.floats(min_value=-1e13, max_value=1e13, exclude_min=True, exclude_max=True, allow_nan=False)


@st.composite
def near_half_fen_floats(draw):
    """Floats a few ulps from an x.xx5 boundary (or exactly on it)."""
    odd_thousandths = draw(st.integers(-10**15, 10**15)) * 10 + 5
    value = float(Decimal(odd_thousandths).scaleb(-3))
    for _ in range(draw(st.integers(0, 3))):
        value = float(np.nextafter(value, draw(st.sampled_from([np.inf, -np.inf]))))
    return value


@settings(deadline=None)
@given(st.one_of(typed_amounts(), raw_floats, near_half_fen_floats()), st.sampled_from(ALL_MODES))
@example(2.675, Rounding.HALF_UP)
@example(5e-324, Rounding.UP)
def test_yuan_to_fen_matches_decimal_reference(amount, mode):
    assert yuan_to_fen(amount, mode) == reference_fen(amount, mode)


@settings(deadline=None)
@given(st.integers(-(10**14), 10**14), st.integers(0, 4))
def test_a_typed_amount_rounds_as_typed(coefficient, places):
    """Up to 15 digits survive the trip through a float, so the typed decimal is what gets rounded."""
    typed = Decimal(coefficient).scaleb(-places)
    assert yuan_to_fen(float(typed)) == reference_fen(typed)


@settings(deadline=None)
@given(st.lists(typed_amounts(), min_size=1, max_size=60), st.sampled_from(ALL_MODES))
def test_yuan_array_to_fen_equals_scalar_for_typed_amounts(amounts, mode):
    expected = [yuan_to_fen(x, mode) for x in amounts]
    assert yuan_array_to_fen(np.array(amounts), mode).tolist() == expected


@settings(deadline=None)
@given(
    st.lists(st.one_of(raw_floats, near_half_fen_floats()), min_size=1, max_size=60),
    st.sampled_from(ALL_MODES),
)
def test_yuan_array_to_fen_equals_scalar_for_arbitrary_floats(amounts, mode):
    expected = [yuan_to_fen(x, mode) for x in amounts]
    assert yuan_array_to_fen(pd.Series(amounts, dtype="float64"), mode).tolist() == expected


@st.composite
def decimals(draw, max_coefficient, max_places):
    return Decimal(draw(st.integers(-max_coefficient, max_coefficient))).scaleb(-draw(st.integers(0, max_places)))


@settings(deadline=None)
@given(decimals(10**16, 4), decimals(10**7, 3), st.sampled_from(ALL_MODES))
def test_multiply_to_fen_matches_decimal_reference(price, quantity, mode):
    expected = reference_product_fen(price, quantity, mode)
    assert multiply_to_fen(price, quantity, mode) == expected
    assert multiply_to_fen(str(price), str(quantity), mode) == expected


@settings(deadline=None)
@given(decimals(10**14, 4), st.integers(-10_000, 10_000))
def test_multiply_to_fen_with_excel_floats(price, quantity):
    """Price typed in Excel (<= 15 digits) arrives as a float; the product is still exact."""
    assert multiply_to_fen(float(price), quantity) == reference_product_fen(price, Decimal(quantity))


zero_heavy_digits = st.lists(st.sampled_from([0, 0, 0, 0, 1, 5, 9]), min_size=1, max_size=18)


@settings(deadline=None)
@given(
    st.one_of(
        st.integers(-MAX_FEN_IN_CAPITALS, MAX_FEN_IN_CAPITALS),
        zero_heavy_digits.map(lambda digits: int("".join(map(str, digits)))),
        st.integers(0, 10**6),
    ),
    st.booleans(),
)
def test_rmb_upper_reads_back_to_the_same_amount(fen, negate):
    fen = -fen if negate else fen
    capitals = rmb_upper(fen)
    assert parse_rmb_upper(capitals) == fen
    if fen == 0:
        assert capitals == "零元整"
        return
    assert "零零" not in capitals
    assert not re.search("零[万亿元拾佰仟]", capitals), capitals  # no 零 before a unit
    assert not capitals.lstrip("负").startswith("零"), capitals


@given(st.integers(-(10**15) + 1, 10**15 - 1))
def test_fen_survive_a_trip_through_excel_floats_and_text(fen):
    assert yuan_to_fen(fen_to_float(fen)) == fen
    assert yuan_to_fen(format_yuan(fen)) == fen
    assert to_decimal(format_yuan(fen, symbol="￥")) == fen_to_yuan(fen)


# ---------------------------------------------------------------------------
# Module hygiene
# ---------------------------------------------------------------------------


def test_money_module_imports_no_excel_library_and_no_clock():
    tree = ast.parse(Path(money.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"__future__", "decimal", "enum", "math", "numbers", "operator", "re", "numpy"}
