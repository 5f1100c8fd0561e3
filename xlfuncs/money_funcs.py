"""Excel worksheet functions for money (xlwings UDFs).

Why a thin wrapper: the rules live in feedesk.money; this layer only turns
Excel's way of passing things (None for an empty cell, text from pasted
statements) into calls, and turns bad input into an error string that shows
in the cell instead of an exception dialog.
"""

import xlwings as xw

from feedesk import money

NOT_A_NUMBER = "#VALUE! 金额不是数字 / amount is not a number"
OUT_OF_RANGE = "#NUM! 金额超出大写范围 / amount too large for capital numerals"


@xw.func
@xw.arg("amount", doc="金额（元） / amount in yuan")
def FD_RMB_UPPER(amount):
    """金额大写：把金额（元）换成中文大写，先四舍五入到分。Amount in Chinese capital numerals, rounded half-up to the fen first."""
    if amount is None or (isinstance(amount, str) and not amount.strip()):
        return ""  # empty cell stays empty
    try:
        fen = money.yuan_to_fen(amount, money.Rounding.HALF_UP)
    except (TypeError, ValueError):
        return NOT_A_NUMBER
    try:
        return money.rmb_upper(fen)
    except ValueError:
        return OUT_OF_RANGE
