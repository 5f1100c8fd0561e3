"""Reconciliation (对账): collections against bills, channels against the bank, the sub-ledger
against finance's GL.

The month's reconciliation is a list of steps, each a function over tables:

1. `settle_channels`: each payment is found in the bank: a bank transfer by its transaction
   id (or amount and date), a day of WeChat Pay / Alipay receipts in the channel's settlement
   the next days (net of fees), a day of counter cash in the cash deposit.
2. `receipts_from`: the money to match: every payment, and every bank credit that settles no
   payment (a transfer nobody entered in Payments).
3. Matching passes, in the order the settings give, each record saying which rule made it,
   with a score and a reason an officer can check: reference, customer + amount, one payment
   for several bills, several payments for one bill, payer name, amount alone, tolerance,
   customer (oldest first). Refunds cancel the payment they return first of all.
4. `allocate`: matched money applied to bills (a payment that names bills pays them first;
   a payment known only by its customer pays the oldest open bills), the rest held as the
   customer's credit. Suggested matches move no money until the officer confirms them.
5. `exceptions`: what is left, each with the action to take.
6. `ledger_check`: the sub-ledger's receivable balance per period against finance's GL, the
   difference explained by listed items.

Decisions the officer writes in the Reconciliation table (confirm / reject) are inputs: a
confirmed match is kept as it is and its payment never re-matched, a rejected pair is never
proposed again. The same tables and decisions give the same result every time.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import itertools
import re
import string
import unicodedata

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from feedesk import allocation, dates, money

PASSES = ("reference", "customer_amount", "bill_subset", "instalments", "name", "amount", "tolerance", "customer")
RULES = ("reversal", *PASSES)
AUTO = "auto"
SUGGESTED = "suggested"
CONFIRMED = "confirmed"
REJECTED = "rejected"
MOVES_MONEY = (AUTO, CONFIRMED)

# What identifies each channel's settlement line in a bank statement (NFKC, upper case).
CHANNEL_WORDS = {
    "wechat": ("财付通", "微信", "TENPAY", "WECHAT", "WEIXIN"),
    "alipay": ("支付宝", "ALIPAY"),
    "counter": ("现金", "CASH", "柜台"),
}
SETTLE_DAYS = {"wechat": 3, "alipay": 3, "counter": 3, "bank": 2}


DEFAULT_REFERENCE_PATTERN = r"[A-Z]{1,3}\d{5,}"


@dataclasses.dataclass(frozen=True)
class Options:
    """How matching behaves; every field comes from a setting."""

    tolerance: int = 5  # fen; differences up to this are matched and written off
    window_days: int = 120  # a payment matches bills from 7 days after it back to due date + this
    reference_pattern: str = DEFAULT_REFERENCE_PATTERN  # ids in references, found in NFKC upper-case text
    name_threshold: float = 90.0  # rapidfuzz token_set_ratio a payer name must reach
    passes: tuple[str, ...] = PASSES
    stale_days: int = 30  # unmatched items older than this are stale
    subset_limit: int = 6  # open bills searched when one payment pays several
    duplicate_days: int = 7  # same customer and amount this close together: suspected duplicate


@dataclasses.dataclass(frozen=True)
class Result:
    reconciliation: pd.DataFrame
    allocations: pd.DataFrame
    exceptions: pd.DataFrame
    settlements: pd.DataFrame
    counts: dict[str, int]


# ---------------------------------------------------------------------------------------------
# Words
# ---------------------------------------------------------------------------------------------

REASONS = {
    "reference": ("账单编号 {bill} 见于{where}", "Bill ID {bill} found in {where}"),
    "where_column": ("收款记录的“账单编号”列", "the Bill ID column"),
    "where_text": ("附言/摘要", "the reference"),
    "owner_differs": ("账单 {bill} 属于客户 {owner}，收款上写的是客户 {customer}，请核实",
                      "bill {bill} belongs to customer {owner} but the payment names customer {customer}: check"),
    "how_column": ("客户编号 {customer} 见于收款记录", "customer ID {customer} given in Payments"),
    "how_text": ("客户编号 {customer} 见于附言", "customer ID {customer} found in the reference"),
    "how_address": ("附言中的地址“{address}”是客户 {customer} 的", "address '{address}' in the reference is customer "
                                                                  "{customer}'s"),
    "how_name": ("付款人“{payer}”与客户 {customer}“{name}”相似度 {score}",
                 "payer '{payer}' resembles customer {customer} '{name}' ({score})"),
    "customer_amount": ("{how}；金额 {amount} 等于该客户 {period} 账单的未收金额",
                        "{how}; {amount} equals the open amount of the customer's {period} bill"),
    "bill_subset": ("{how}；金额 {amount} 等于该客户 {count} 张账单之和：{bills}",
                    "{how}; {amount} equals the sum of {count} of the customer's bills: {bills}"),
    "instalments": ("{how}；与 {others} 合计等于账单 {bill} 的未收金额（分次缴费）",
                    "{how}; with {others} it adds up to the open amount of bill {bill} (instalments)"),
    "name_amount": ("{how}；金额 {amount} 等于该客户 {period} 账单的未收金额",
                    "{how}; {amount} equals the open amount of the customer's {period} bill"),
    "name_only": ("{how}；没有金额相同的账单，请核实后确认", "{how}; no bill of that amount: check and confirm"),
    "name_tie": ("付款人“{payer}”同样像 {count} 个客户，无法判断", "payer '{payer}' resembles {count} customers "
                                                              "equally: no match"),
    "amount": ("客户未知；{days} 天内只有账单 {bill} 的未收金额是 {amount}，请核实后确认",
               "customer unknown; within {days} days only bill {bill} has {amount} open: check and confirm"),
    "tolerance": ("{how}；与账单 {bill} 相差 {difference}，在容差 {tolerance} 以内，差额核销",
                  "{how}; differs from bill {bill} by {difference}, within the tolerance of {tolerance}: "
                  "the difference is written off"),
    "customer": ("{how}；未指明账单，按先欠先还冲抵", "{how}; no bill named: pays the oldest open bills first"),
    "reversal": ("退款 {amount} 冲销收款 {original}", "refund of {amount} cancels payment {original}"),
    "confirmed": ("（已确认）", " (confirmed)"),
}


def _say(key: str, lang: str, **values) -> str:
    zh, en = REASONS[key]
    return (zh if lang == "zh" else en).format(**values)


def _say_many(key: str, lang: str, **columns) -> np.ndarray:
    """`_say` over arrays of values at once (object arrays concatenated, no per-row formatting)."""
    zh, en = REASONS[key]
    out = None
    for literal, field, _, _ in string.Formatter().parse(zh if lang == "zh" else en):
        parts = [literal] if literal else []
        if field is not None:
            value = columns[field]
            parts.append(value.astype(object) if isinstance(value, np.ndarray) else np.asarray(value, dtype=object))
        for part in parts:
            out = part if out is None else out + part
    return np.asarray(out, dtype=object)


# Exceptions: kind -> (detail zh, detail en, action zh, action en)
EXCEPTION_TEXT = {
    "unmatched_payment": ("找不到这笔收款的客户或账单", "No customer or bill found for this payment",
                          "在收款记录里补上客户编号或账单编号后重新对账；或在对账结果中确认建议",
                          "Enter the customer or bill ID in Payments and run again, or confirm a suggestion"),
    "unmatched_bank": ("银行收入没有对应的收款记录或账单", "Bank credit with no payment or bill",
                       "若是客户缴费，把它录入收款记录并写上客户编号；若不是（利息、退回等），交财务入账",
                       "If a customer paid, add it to Payments with the customer ID; if not (interest, a "
                       "return), pass it to finance"),
    "suggested": ("有建议匹配，等待确认", "A suggested match awaits your decision",
                  "在“对账结果”的“处理”列选择确认或否决，然后重新对账",
                  "Choose confirm or reject in the Reconciliation table's Decision column and run again"),
    "duplicate": ("疑似重复缴费：{other} 同一客户、同样金额，相隔 {days} 天",
                  "Suspected duplicate: {other} from the same customer, same amount, {days} days apart",
                  "联系客户：退款，或留作预存抵下期账单", "Contact the customer: refund, or keep as credit "
                                                           "for the next bill"),
    "duplicate_txn": ("渠道流水号与 {other} 相同，可能重复导入", "Same channel transaction ID as {other}: "
                                                               "imported twice?",
                      "核对后删除重复的收款记录", "Check and delete the duplicate payment row"),
    "overpayment": ("多缴 {amount}，作为客户预存", "Overpaid by {amount}, held as the customer's credit",
                    "联系客户：退款或抵扣下期账单", "Contact the customer: refund or apply to the next bill"),
    "underpayment": ("账单还差 {amount} 未缴", "Bill short by {amount}",
                     "通知客户补缴差额", "Ask the customer for the difference"),
    "settlement_missing": ("{channel} {day} 的 {count} 笔收款（净额 {net}）在银行流水中找不到到账",
                           "{count} {channel} payments of {day} (net {net}) not found in the bank statement",
                           "向渠道或银行查询结算；确认银行流水已导入到该日期之后",
                           "Ask the channel or bank about the settlement; check the bank statement is "
                           "imported past that date"),
    "settlement_difference": ("{channel} {day} 到账 {bank}，应为 {net}，差 {difference}",
                              "{channel} settlement of {day}: {bank} received, {net} expected, {difference} "
                              "apart",
                              "向渠道核对手续费和退款", "Check fees and refunds with the channel"),
    "bank_payment_missing": ("银行转账收款在银行流水中找不到", "Bank transfer not found in the bank statement",
                             "核对银行流水是否已导入，或收款记录是否录错",
                             "Check the bank statement is imported and the payment row is right"),
    "unmatched_refund": ("退款找不到被退的原收款", "Refund whose original payment is not found",
                         "在附言里写上原收款编号或渠道流水号后重新对账",
                         "Write the original payment or channel ID into the reference and run again"),
    "stale": ("超过 {days} 天仍未对上", "Still unmatched after {days} days",
              "尽快查明：联系付款人或银行；必要时转财务挂账",
              "Clear it now: contact the payer or the bank; if need be, pass it to finance as suspense"),
    "no_bills": ("客户 {customer} 没有未缴账单，全额作为预存", "Customer {customer} has no open bill: all held "
                                                                 "as credit",
                 "核对是否预缴；需要时退款", "Check it is a prepayment; refund if need be"),
}


def exception_text(kind: str, lang: str, **values) -> tuple[str, str]:
    zh, en, action_zh, action_en = EXCEPTION_TEXT[kind]
    detail, action = (zh, action_zh) if lang == "zh" else (en, action_en)
    return detail.format(**values), action


def channel_label(channel: str, lang: str) -> str:
    labels = {"wechat": ("微信支付", "WeChat Pay"), "alipay": ("支付宝", "Alipay"), "counter": ("柜台", "counter"),
              "bank": ("银行转账", "bank transfer")}
    zh, en = labels.get(channel, (channel, channel))
    return zh if lang == "zh" else en


# ---------------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------------

_SEPARATOR = "\x1f"


def normalise(values) -> np.ndarray:
    """NFKC (full-width letters and digits folded), upper case, outer spaces stripped; '' for blanks.

    The values are joined into one string and read as a numpy array of code points: only values
    holding a character that folding could change (a lower-case letter, anything outside ASCII
    and the CJK ideographs) or starting or ending with a space are folded one by one; the rest
    are already folded. A million IDs take a few hundredths of a second."""
    items, read = _read_texts(values)
    n = len(items)
    if not n:
        return np.array([], dtype=object)
    if read is None:  # a value holding the separator
        return np.array([_fold(v) for v in items], dtype=object)
    chars, starts, ends = read
    if chars.dtype == np.uint8:
        changes = (chars - np.uint8(0x61)) <= 25  # a-z (below 'a' wraps round to large numbers)
    else:
        changes = ((chars - np.uint16(0x61)) <= 25) | ((chars >= 0x80) & ((chars - np.uint16(0x4E00)) > 0x51FF))
    fold = _spaced(chars, starts, ends)
    fold[np.searchsorted(ends, np.flatnonzero(changes))] = True
    out = np.empty(n, dtype=object)
    out[:] = items
    for k in np.flatnonzero(fold).tolist():
        out[k] = _fold(items[k])
    return out


_SPACES = np.array([0x9, 0xA, 0xB, 0xC, 0xD, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
                    0x2028, 0x2029, 0x202F, 0x205F, 0x3000], dtype=np.uint16)  # str.isspace: what strip() strips


def _read_texts(values) -> tuple[list[str], tuple[np.ndarray, np.ndarray, np.ndarray] | None]:
    """The values as text ('' for a blank: None, NaN, NaT, pd.NA; str() of a number), and the texts
    joined as one numpy array of characters (ASCII bytes, else UTF-16 code units: a character beyond
    the BMP is two surrogates, which every check here counts as a character to fold) with where each
    starts and ends (a separator after each); None instead if a text holds the separator itself."""
    array = np.asarray(values, dtype=object)
    items = array.tolist()
    try:
        joined = _SEPARATOR.join(items)
    except TypeError:  # blanks: '' (one pass in C); then perhaps numbers: their text
        items = np.where(pd.isna(array), "", array).tolist()
        try:
            joined = _SEPARATOR.join(items)
        except TypeError:
            items = [v if isinstance(v, str) else str(v) for v in items]
            joined = _SEPARATOR.join(items)
    joined += _SEPARATOR
    if joined.count(_SEPARATOR) != len(items):
        return items, None
    if joined.isascii():
        chars = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    else:
        chars = np.frombuffer(joined.encode("utf-16-le", "surrogatepass"), dtype=np.uint16)
    ends = np.flatnonzero(chars == ord(_SEPARATOR))
    return items, (chars, np.r_[0, ends[:-1] + 1], ends)


def _spaced(chars: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Per text: whether it starts or ends with a space (what str.strip would remove)."""
    spaced = np.zeros(len(starts), dtype=bool)
    some = ends > starts
    for place in (starts[some], ends[some] - 1):
        spaced[some] |= np.isin(chars[place], _SPACES)
    return spaced


def _fold(value) -> str:
    text = str(value)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return text.upper().strip()


_NAME_NOISE = re.compile(r"[\s()（）\[\]【】·.,，。'\"*＊-]+")
_MASKED_TAIL = re.compile(r"[(（][^)）]*[)）]$")


def name_key(value) -> str:
    """A person's or company's name for comparison: NFKC, upper case, no spaces or punctuation,
    no trailing '(phone)' that Alipay adds."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).upper().strip()
    text = _MASKED_TAIL.sub("", text)
    return _NAME_NOISE.sub("", text)


def match_score(name_a, name_b) -> float:
    """How alike two payer names are, 0-100 (rapidfuzz token_set_ratio on normalised names)."""
    a, b = name_key(name_a), name_key(name_b)
    if not a or not b:
        return 0.0
    if a == b:
        return 100.0
    spaced_a = unicodedata.normalize("NFKC", str(name_a)).upper()
    spaced_b = unicodedata.normalize("NFKC", str(name_b)).upper()
    return round(max(fuzz.token_set_ratio(a, b), fuzz.token_set_ratio(spaced_a, spaced_b)), 2)


def _yuan(fen) -> str:
    return money.format_yuan(int(fen))


def _yuan_many(fen: np.ndarray) -> np.ndarray:
    """money.format_yuan over an array of fen (¥1,234.56; -¥5.00)."""
    return np.array([("-¥" if v < 0 else "¥") + f"{abs(v) // 100:,}.{abs(v) % 100:02d}" for v in fen.tolist()],
                    dtype=object)


# ---------------------------------------------------------------------------------------------
# Step 1: channels against the bank
# ---------------------------------------------------------------------------------------------

def _days(values) -> np.ndarray:
    return pd.to_datetime(pd.Series(values)).to_numpy("datetime64[D]")


def settle_channels(payments: pd.DataFrame, bank: pd.DataFrame, as_of: datetime.date, lang: str = "zh"):
    """Find each payment's money in the bank statement.

    Returns (payment -> bank TxnID series, Settlements frame, bank credits settling nothing,
    exception rows). Bank transfers link one to one by transaction id, else by amount within
    two days; a day's WeChat Pay, Alipay or counter receipts link to one credit of their net
    (gross less fees; counter cash has no fee) within three days that names the channel, or
    else any credit of that amount.
    """
    pay = payments.reset_index(drop=True)
    bank = bank.reset_index(drop=True)
    as_of_day = np.datetime64(as_of, "D")
    credit = bank["Credit"].astype("Int64").fillna(0).to_numpy(np.int64)
    bank_day = _days(bank["TxnDate"])
    bank_ids = bank["TxnID"].astype(object).to_numpy()
    bank_text = normalise(bank["CounterpartyName"].astype(object).fillna("") + " " +
                          bank["Summary"].astype(object).fillna("") + " " + bank["Memo"].astype(object).fillna(""))
    used = np.zeros(len(bank), dtype=bool)
    used[credit <= 0] = True  # debits and blank lines settle nothing
    landed = np.full(len(pay), None, dtype=object)
    exception_rows = []

    channel = pay["Channel"].astype(object).fillna("").to_numpy()
    amount = pay["Amount"].astype("Int64").fillna(0).to_numpy(np.int64)
    fee = pay["Fee"].astype("Int64").fillna(0).to_numpy(np.int64)
    day = _days(pay["PaidDate"])
    txn = normalise(pay["ChannelTxnID"].astype(object))

    # Bank transfers: by transaction id first.
    is_bank = channel == "bank"
    position = {tid: i for i, tid in enumerate(normalise(bank_ids).tolist()) if tid}
    for i in np.flatnonzero(is_bank & (txn != "")).tolist():
        at = position.get(txn[i])
        if at is not None and not used[at] and credit[at] == amount[i]:
            landed[i] = bank_ids[at]
            used[at] = True
    # ... then by amount within the settlement window (earliest line first).
    waiting = np.flatnonzero(is_bank & (landed == None) & (amount > 0))  # noqa: E711
    if len(waiting):
        free = np.flatnonzero(~used)
        lines = pd.DataFrame({"line": free, "Amount": credit[free], "bday": bank_day[free]})
        wants = pd.DataFrame({"pay": waiting, "Amount": amount[waiting], "pday": day[waiting]})
        pairs = wants.merge(lines, on="Amount")
        gap = (pairs["bday"] - pairs["pday"]).dt.days
        pairs = pairs[(gap >= 0) & (gap <= SETTLE_DAYS["bank"])].sort_values(["pay", "bday", "line"])
        for p, line in zip(pairs["pay"].tolist(), pairs["line"].tolist()):
            if landed[p] is None and not used[line]:
                landed[p] = bank_ids[line]
                used[line] = True
    for i in np.flatnonzero(is_bank & (landed == None) & (amount > 0) & (day + 2 < as_of_day)).tolist():  # noqa: E711
        detail, action = exception_text("bank_payment_missing", lang)
        exception_rows.append(("bank_payment_missing", "payments", pay["PaymentID"].iat[i], pay["CustomerID"].iat[i],
                               int(amount[i]), day[i], detail, action))

    # Channel days: a day's receipts of one channel against one bank credit.
    settlement_rows = []
    grouped = pd.DataFrame({"channel": channel, "day": day, "amount": amount, "fee": fee})
    grouped = grouped[grouped["channel"].isin(list(CHANNEL_WORDS))]
    if len(grouped):
        sums = grouped.groupby(["channel", "day"], sort=True).agg(
            count=("amount", "size"), gross=("amount", "sum"), fees=("fee", "sum")).reset_index()
        sums["net"] = np.where(sums["channel"] == "counter", sums["gross"], sums["gross"] - sums["fees"])
        sums["group"] = np.arange(len(sums))
        sums["reach"] = sums["channel"].map(SETTLE_DAYS).astype(int)
        names = {ch: _mentions(bank_text, words) for ch, words in CHANNEL_WORDS.items()}
        chosen = np.full(len(sums), -1, dtype=np.int64)
        differing = np.full(len(sums), -1, dtype=np.int64)
        # 1: a credit naming the channel, exactly the net, nearest day; 2: any credit of the net;
        # 3: a credit naming the channel in the window with another amount (a difference).
        for attempt in ("named", "any", "difference"):
            todo = sums[(chosen < 0) & (differing < 0)]
            free = np.flatnonzero(~used)
            if not len(todo) or not len(free):
                break
            lines = pd.DataFrame({"line": free, "net": credit[free], "bday": bank_day[free]})
            if attempt == "difference":
                parts = []
                for ch in todo["channel"].unique().tolist():
                    named = lines[names[ch][lines["line"].to_numpy()]]
                    parts.append(todo[todo["channel"] == ch].drop(columns="net").merge(named, how="cross"))
                pairs = pd.concat(parts, ignore_index=True) if parts else None
                if pairs is None or not len(pairs):
                    break
            else:
                pairs = todo.merge(lines, on="net")
                if attempt == "named" and len(pairs):
                    mentioned = np.zeros(len(pairs), dtype=bool)
                    for ch, mask in names.items():
                        here = (pairs["channel"] == ch).to_numpy()
                        mentioned[here] = mask[pairs["line"].to_numpy()[here]]
                    pairs = pairs[mentioned]
            gap = (pairs["bday"] - pairs["day"]).dt.days
            pairs = pairs[(gap >= 0) & (gap <= pairs["reach"])]
            if attempt == "difference":
                pairs = pairs[(gap[pairs.index] >= 1) | (pairs["channel"] == "counter")]
            pairs = pairs.sort_values(["group", "bday", "line"], kind="stable")
            for g, line in _one_to_one(pairs, "group", "line"):
                (differing if attempt == "difference" else chosen)[g] = line
                used[line] = True
        line_of = np.where(chosen >= 0, chosen, differing)
        group_of = pd.DataFrame({"channel": channel, "day": day}).merge(
            sums[["channel", "day", "group"]], on=["channel", "day"], how="left")["group"]
        has_group = group_of.notna().to_numpy()
        group_at = group_of.fillna(0).to_numpy(np.int64)
        settled = has_group & (line_of[group_at] >= 0)
        landed[settled] = bank_ids[line_of[group_at[settled]]]
        for g in range(len(sums)):
            ch, d = sums["channel"].iat[g], np.datetime64(sums["day"].iat[g], "D")
            net, gross, fees, count = (int(sums[k].iat[g]) for k in ("net", "gross", "fees", "count"))
            line = int(line_of[g])
            if line >= 0:
                bank_amount = int(credit[line])
                status = "settled" if chosen[g] >= 0 else "difference"
            else:
                bank_amount = None
                status = "in_transit" if d + SETTLE_DAYS[ch] >= as_of_day else "missing"
            settlement_rows.append({
                "Channel": ch, "PayDate": d, "Payments": count, "Gross": gross, "Fees": fees, "Net": net,
                "BankTxnID": bank_ids[line] if line >= 0 else None,
                "BankDate": bank_day[line] if line >= 0 else None,
                "BankAmount": bank_amount,
                "Difference": (bank_amount - net) if bank_amount is not None else None,
                "Status": status,
            })
            label = channel_label(ch, lang)
            if status == "missing":
                detail, action = exception_text("settlement_missing", lang, channel=label, day=str(d), count=count,
                                                net=_yuan(net))
                exception_rows.append(("settlement_missing", "payments", f"{ch} {d}", None, net, d, detail, action))
            elif status == "difference":
                detail, action = exception_text("settlement_difference", lang, channel=label, day=str(d),
                                                bank=_yuan(bank_amount), net=_yuan(net),
                                                difference=_yuan(bank_amount - net))
                exception_rows.append(("settlement_difference", "bank", bank_ids[line], None, bank_amount - net,
                                       bank_day[line], detail, action))
    settlements = pd.DataFrame(settlement_rows, columns=[
        "Channel", "PayDate", "Payments", "Gross", "Fees", "Net", "BankTxnID", "BankDate", "BankAmount",
        "Difference", "Status"])
    for column in ("Payments", "Gross", "Fees", "Net", "BankAmount", "Difference"):
        settlements[column] = settlements[column].astype("Int64")
    for column in ("PayDate", "BankDate"):
        settlements[column] = pd.to_datetime(settlements[column]).astype("datetime64[s]")
    settlements.insert(0, "SettlementID", [f"S{i + 1:06d}" for i in range(len(settlements))])
    leftover = bank.loc[~used & (credit > 0)]
    return pd.Series(landed, index=payments.index, dtype=object), settlements, leftover, exception_rows


def _mentions(text: np.ndarray, words) -> np.ndarray:
    pattern = "|".join(re.escape(w) for w in words)
    return pd.Series(text, dtype=object).str.contains(pattern, regex=True).to_numpy(bool)


def _one_to_one(pairs: pd.DataFrame, left: str, right: str) -> list[tuple[int, int]]:
    """Greedy pairing in the frame's order: each left and each right used once."""
    chosen: list[tuple[int, int]] = []
    while len(pairs):
        first = pairs.drop_duplicates(left).drop_duplicates(right)
        chosen.extend(zip(first[left].tolist(), first[right].tolist()))
        pairs = pairs[~pairs[left].isin(first[left]) & ~pairs[right].isin(first[right])]
    return chosen


# ---------------------------------------------------------------------------------------------
# Step 2: the receipts to match
# ---------------------------------------------------------------------------------------------

def receipts_from(payments: pd.DataFrame, landed: pd.Series, bank_left: pd.DataFrame | None) -> pd.DataFrame:
    """Payments and unlinked bank credits (None: none) as one table, oldest first (the matching order:
    date, source, receipt ID)."""
    pay = pd.DataFrame({  # text columns as they come (no copy to objects: read with to_numpy(object))
        "Source": "payments",
        "ReceiptID": payments["PaymentID"],
        "Date": _days(payments["PaidDate"]),
        "Amount": payments["Amount"].astype("Int64").fillna(0).to_numpy(np.int64),
        "Channel": payments["Channel"],
        "CustomerID": payments["CustomerID"],
        "BillID": payments["BillID"],
        "Payer": payments["PayerName"],
        "Text": pd.Series(_two_texts(payments["Reference"], payments["Note"]), index=payments.index, dtype=object),
        "ChannelTxnID": payments["ChannelTxnID"],
        "BankTxnID": landed.astype(object).to_numpy(),
    }, copy=False)  # the columns are shared, not copied (copy on write keeps the inputs as they are)
    if bank_left is None:
        return _oldest_first([pay])
    bank = pd.DataFrame({
        "Source": "bank",
        "ReceiptID": bank_left["TxnID"].astype(object),
        "Date": _days(bank_left["TxnDate"]),
        "Amount": bank_left["Credit"].astype("Int64").fillna(0).to_numpy(np.int64),
        "Channel": "bank",
        "CustomerID": None,
        "BillID": None,
        "Payer": bank_left["CounterpartyName"].astype(object),
        "Text": pd.Series(_two_texts(bank_left["Memo"], bank_left["Summary"]), index=bank_left.index, dtype=object),
        "ChannelTxnID": bank_left["TxnID"].astype(object),
        "BankTxnID": bank_left["TxnID"].astype(object),
    })
    frames = [f for f in (pay, bank) if len(f)]
    return _oldest_first(frames) if frames else _oldest_first([pay])


def _two_texts(first: pd.Series, second: pd.Series) -> np.ndarray:
    """first + ' ' + second, stripped, per row (a blank is ''). Only the rows with both texts are
    joined, and only texts starting or ending with a space are stripped."""
    (a, read_a), (b, read_b) = _read_texts(first), _read_texts(second)
    if read_a is None or read_b is None:
        return np.array([(x + " " + y).strip() for x, y in zip(a, b)], dtype=object)
    out = np.empty(len(a), dtype=object)
    out[:] = a  # a first text and no second: the first, stripped
    has_a, has_b = read_a[2] > read_a[1], read_b[2] > read_b[1]
    spaced = np.where(has_b, _spaced(*read_b), _spaced(*read_a))
    both = np.flatnonzero(has_a & has_b)
    if len(both):
        out[both] = [(a[k] + " " + b[k]).strip() for k in both.tolist()]
    for k in np.flatnonzero(~has_b & spaced).tolist():
        out[k] = a[k].strip()
    for k in np.flatnonzero(~has_a & has_b).tolist():
        out[k] = b[k].strip() if spaced[k] else b[k]
    return out


def _oldest_first(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The frames (each of one Source) as one, sorted by Date, Source and ReceiptID (stable). When
    each frame is in date and ID order already (payments exported so, a bank statement by date and
    transaction ID) they are only merged by date and source, with no sort on the ID strings."""
    receipts = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
    if not all(_in_date_and_id_order(f) for f in frames):
        return receipts.sort_values(["Date", "Source", "ReceiptID"], kind="stable").reset_index(drop=True)
    if len(frames) == 1:
        return receipts
    names = [f["Source"].iat[0] for f in frames]
    rank = np.argsort(np.argsort(np.array(names, dtype=object), kind="stable"))
    source = np.repeat(rank, [len(f) for f in frames])
    day = receipts["Date"].to_numpy("datetime64[D]").astype(np.int64)
    order = np.argsort(day * len(frames) + source, kind="stable")  # runs already sorted: a merge
    return receipts.take(order).reset_index(drop=True)


def _in_date_and_id_order(frame: pd.DataFrame) -> bool:
    """Whether the rows are sorted by Date, then ReceiptID (every date and ID there, IDs all text)."""
    day = frame["Date"].to_numpy("datetime64[D]")
    ids = frame["ReceiptID"].to_numpy(object)
    if np.isnat(day).any() or (len(ids) and not isinstance(ids[0], str)):
        return False
    try:
        later = np.asarray(ids[1:] >= ids[:-1], dtype=bool)  # a blank or a number among text: TypeError
    except TypeError:
        return False
    day = day.astype(np.int64)
    return bool(((day[1:] > day[:-1]) | ((day[1:] == day[:-1]) & later)).all())


# ---------------------------------------------------------------------------------------------
# Step 3: matching
# ---------------------------------------------------------------------------------------------

def _tokens(texts: np.ndarray, pattern: str) -> tuple[np.ndarray, np.ndarray]:
    """Every match of `pattern` in each text, in order: (tokens, count per text). One regex scan
    over the texts joined, not one per text: `re.split` on the pattern as one group gives the
    pieces between matches and the matches in turn, their lengths where each match starts."""
    if not len(texts):
        return np.array([], dtype=object), np.zeros(0, dtype=np.int64)
    items = texts.tolist()
    joined = _SEPARATOR.join(items)
    ends = np.cumsum(np.fromiter(map(len, items), dtype=np.int64, count=len(items)) + 1)
    grouped = _as_one_group(pattern)
    if grouped is not None:
        pieces = grouped.split(joined)
        found = pieces[1::2]
        size = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
        starts = np.cumsum(size)[::2][:-1]  # a match starts where the piece before it ends
        keep = size[1::2] > 0
        if _SEPARATOR in "".join(found):  # a match across two texts (a pattern that takes the separator)
            keep &= np.array([_SEPARATOR not in t for t in found], dtype=bool)
        tokens = np.array(found, dtype=object)
        if not keep.all():
            tokens, starts = tokens[keep], starts[keep]
    else:
        tokens, start_list = [], []
        for match in re.finditer(pattern, joined):
            token = match.group(0)
            if token and _SEPARATOR not in token:
                tokens.append(token)
                start_list.append(match.start())
        tokens, starts = np.array(tokens, dtype=object), np.array(start_list, dtype=np.int64)
    owner = np.searchsorted(ends, starts, side="right")
    return tokens, np.bincount(owner, minlength=len(texts)).astype(np.int64)


class _Tokens:
    """The tokens found in texts: where each lies among the texts' characters (a TextGrid, to read
    IDs from), how many each text has, and the tokens as strings (made when first asked for)."""

    def __init__(self, grid: allocation.TextGrid, per_text: np.ndarray, strings: np.ndarray | None = None,
                 joined: str | None = None):
        self.grid, self.per_text, self._strings, self._joined = grid, per_text, strings, joined

    @property
    def strings(self) -> np.ndarray:
        if self._strings is None:
            ends = self.grid.starts + self.grid.lengths
            self._strings = np.array([self._joined[a:b] for a, b in zip(self.grid.starts.tolist(), ends.tolist())],
                                     dtype=object)
        return self._strings

    def __len__(self) -> int:
        return len(self.grid)

    def positions(self, index: allocation.KeyIndex) -> np.ndarray:
        """Each token's position in the index (-1: none), read from the grid when the index has codes."""
        if index.shape is not None:
            return index.positions_of_codes(index.shape.codes(self.grid))
        return index.positions(self.strings)


def _find_tokens(texts: np.ndarray, pattern: str) -> _Tokens:
    """Every match of `pattern` in each text, in order (see `_tokens`); the default pattern by numpy."""
    if pattern == DEFAULT_REFERENCE_PATTERN:
        found = _default_tokens(texts)
        if found is not None:
            return found
    strings, per_text = _tokens(texts, pattern)
    return _Tokens(allocation.TextGrid.of(strings), per_text, strings)


def _default_tokens(texts: np.ndarray) -> _Tokens | None:
    """The matches of DEFAULT_REFERENCE_PATTERN ([A-Z]{1,3}\\d{5,}) in the texts, found with numpy on
    their characters: a run of capital letters right before a run of five digits or more is a match,
    its last three letters (or fewer) and all the digits (what the leftmost-first, greedy regular
    expression finds, and no match overlaps another). None when a text holds a decimal digit beyond
    ASCII (the expression's \\d takes those too) or a character beyond the BMP: the regular
    expression is used then."""
    items = texts.tolist()
    joined = _SEPARATOR.join(items) + _SEPARATOR
    if joined.count(_SEPARATOR) != len(items):
        return None
    if joined.isascii():
        chars = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    else:
        chars = np.frombuffer(joined.encode("utf-16-le", "surrogatepass"), dtype=np.uint16)
    kind = _token_classes()[chars]  # 0 other, 1 A-Z, 2 0-9, 3 another digit or a surrogate
    if (kind == 3).any():
        return None
    edge = np.flatnonzero(kind[1:] != kind[:-1]) + 1
    run_start, run_end = np.r_[0, edge], np.r_[edge, len(kind)]
    run_kind = kind[run_start]
    digits = np.flatnonzero((run_kind[1:] == 2) & (run_kind[:-1] == 1)) + 1  # digits right after letters
    digits = digits[run_end[digits] - run_start[digits] >= 5]
    start = np.maximum(run_start[digits - 1], run_start[digits] - 3)
    end = run_end[digits]
    owner = np.searchsorted(np.flatnonzero(chars == ord(_SEPARATOR)), start)
    per_text = np.bincount(owner, minlength=len(items)).astype(np.int64)
    return _Tokens(allocation.TextGrid(chars, start, end - start), per_text, joined=joined)


@functools.cache
def _token_classes() -> np.ndarray:
    """Per UTF-16 code unit: 1 for A-Z, 2 for 0-9, 3 for any other decimal digit or a surrogate."""
    kind = np.zeros(0x10000, dtype=np.uint8)
    kind[ord("A"):ord("Z") + 1] = 1
    kind[ord("0"):ord("9") + 1] = 2
    kind[[c for c in range(0x80, 0x10000) if chr(c).isdecimal()]] = 3
    kind[0xD800:0xE000] = 3
    return kind


@functools.lru_cache(maxsize=8)
def _as_one_group(pattern: str):
    """The pattern wrapped in one capturing group (for `re.split`), None when it has groups of
    its own or does not compile so wrapped (global flags)."""
    try:
        if re.compile(pattern).groups:
            return None
        return re.compile(f"({pattern})")
    except re.error:
        return None


def _first_index(values) -> allocation.KeyIndex:
    """An index of the values as `normalise` folds them: the position each folded value stands for
    (the first of any that fold alike). IDs of one shape that folding leaves as they are (B2026030001,
    C000101) are indexed as integer codes without folding them."""
    shaped = allocation.id_shape(values)
    if shaped is not None and shaped[0].folds_to_itself:
        return allocation.KeyIndex(values, shaped)
    return allocation.KeyIndex(normalise(values))


def _folded_positions(index: allocation.KeyIndex, values: np.ndarray) -> np.ndarray:
    """Positions in a `_first_index` of the values as `normalise` folds them. With IDs of one shape
    that folding leaves as they are, a value of that shape is already folded: only the others
    (blanks, IDs in lower case, full width or with spaces) are folded before they are looked up."""
    shape = index.shape
    if shape is None or not shape.folds_to_itself:
        return index.positions(normalise(values))
    grid = allocation.TextGrid.of(values, numbers_as_text=True)  # a number: its text, as normalise has it
    code = shape.codes(grid)
    other = np.flatnonzero((code < 0) & (grid.lengths != 0))  # blanks ('') stay out
    if len(other):
        code[other] = shape.codes(normalise(values[other]))
    return index.positions_of_codes(code)


MATCH_COLUMNS = ["receipt", "bill", "customer", "amount", "rule", "score", "status", "reason", "linked"]


class _State:
    """Everything the passes share: who each receipt is from, what it pays, what bills owe."""

    def __init__(self, receipts: pd.DataFrame, bills: pd.DataFrame, customers: pd.DataFrame, options: Options,
                 lang: str, explain: bool = True):
        self.options = options
        self.lang = lang
        self.explain = explain  # False: the matches' reasons are left blank (nobody will read them)
        self.r = receipts
        n = len(receipts)
        self.amount = receipts["Amount"].to_numpy(np.int64).copy()  # what is left to match after reversals
        self.date = receipts["Date"].to_numpy("datetime64[D]")
        self.ids = receipts["ReceiptID"].to_numpy(object)
        # Customers by code: the Customers table's order, then customers only bills know.
        listed = customers["CustomerID"].to_numpy(object)
        codes, uniques = pd.factorize(np.concatenate([listed, bills["CustomerID"].to_numpy(object)]))
        self.customer_ids = np.asarray(uniques, dtype=object)
        # Bills, oldest first within each customer (due date, bill date, then the table's order).
        bill_customer = codes[len(listed):].astype(np.int64)
        if not (bill_customer >= 0).all():  # a bill with no customer: nothing can pay it here
            named = bill_customer >= 0
            bills, bill_customer = bills[named], bill_customer[named]
        due = bills["DueDate"].to_numpy("datetime64[D]")
        dated = bills["BillDate"].to_numpy("datetime64[D]")
        order = np.lexsort((np.arange(len(bills)), dated.astype(np.int64), due.astype(np.int64), bill_customer))
        self.bill_customer = bill_customer[order]
        self._bill_table_ids = bills["BillID"].to_numpy(object)  # the table's order: as they lie in memory
        self.bill_amount = bills["Amount"].to_numpy(np.int64)[order]
        self.remaining = np.maximum(self.bill_amount, 0).copy()
        self.bill_date = dated[order]
        self.due_date = due[order]
        self._bills, self._bill_order, self._customers = bills, order, customers  # for what is read lazily
        self._bill_index = None
        self._customer_index = None
        # Evidence of the customer: code, and how we know (a reason fragment).
        self.customer = np.full(n, -1, dtype=np.int64)
        self.how = np.full(n, "", dtype=object)  # how the customer is known, in words ...
        self.how_column = np.zeros(n, dtype=np.int8)  # ... or 1: CustomerID column, 2: ID in the text
        self.resolved = np.zeros(n, dtype=bool)
        self._rows: list[dict] = []  # single matches not yet in a chunk
        self._chunks: list[pd.DataFrame] = []
        self.forbidden: set[tuple[str, str]] = set()  # (receipt id, bill id or customer id) rejected
        self.text = normalise(receipts["Text"])
        self.payer = receipts["Payer"].to_numpy(object)

    # -- lookups --------------------------------------------------------------------------

    @property
    def bill_index(self) -> allocation.KeyIndex:
        """Where each bill ID, folded as `normalise` does, stands in the bill order (the first, if two
        fold alike)."""
        if self._bill_index is None:
            # Indexed in the table's order (read in memory order, and often sorted already), then
            # renumbered to the bill order; with a repeated ID, in the bill order (its first wins).
            index = _first_index(self._bill_table_ids)
            if index.unique:
                position = np.empty(len(self._bill_order), dtype=np.int64)
                position[self._bill_order] = np.arange(len(self._bill_order))
                self._bill_index = index.renumbered(position)
            else:
                self._bill_index = _first_index(self.bill_ids)
        return self._bill_index

    @property
    def customer_index(self) -> allocation.KeyIndex:
        if self._customer_index is None:
            self._customer_index = _first_index(self.customer_ids)
        return self._customer_index

    def bill_position(self, bill_id: str) -> int:
        return int(self.bill_index.positions(np.array([_fold(bill_id)], dtype=object))[0])

    @functools.cached_property
    def bill_ids(self) -> np.ndarray:
        """Bill IDs in the bill order."""
        return self._bill_table_ids[self._bill_order]

    def bill_ids_at(self, bill: np.ndarray) -> np.ndarray:
        """The IDs of some bills (positions in the bill order), without ordering all the IDs."""
        return self._bill_table_ids[self._bill_order[bill]]

    @functools.cached_property
    def customer_code(self) -> dict:
        return {c: i for i, c in enumerate(self.customer_ids.tolist())}

    @functools.cached_property
    def bill_period(self) -> np.ndarray:
        return self._bills["Period"].to_numpy(object)[self._bill_order]

    @functools.cached_property
    def _names(self) -> pd.DataFrame:
        names = self._customers.drop_duplicates("CustomerID")
        return names[[c for c in ("CustomerID", "Name", "Address") if c in names]]

    @functools.cached_property
    def customer_name(self) -> dict:
        if "Name" not in self._names:
            return {}
        return dict(zip(self._names["CustomerID"].tolist(), self._names["Name"].tolist()))

    @functools.cached_property
    def customer_address(self) -> dict:
        if "Address" not in self._names:
            return {}
        return dict(zip(self._names["CustomerID"].tolist(), self._names["Address"].tolist()))

    # -- recording ------------------------------------------------------------------------

    def add(self, receipt: int, bill: int, customer: int, amount: int, rule: str, score: float, status: str,
            reason: str, linked: str | None = None) -> None:
        self._rows.append({
            "receipt": receipt, "bill": bill, "customer": customer, "amount": int(amount), "rule": rule,
            "score": round(float(score), 2), "status": status, "reason": reason, "linked": linked,
        })

    def add_many(self, receipt, bill, customer, amount, rule: str, score, status, reason) -> None:
        """Record many matches at once (arrays of equal length; rule, score, status and reason (None
        when the state does not explain) may be scalars)."""
        self._flush()
        size = len(receipt)
        if not size:
            return
        self._chunks.append(pd.DataFrame({
            "receipt": np.asarray(receipt, np.int64), "bill": np.asarray(bill, np.int64),
            "customer": np.asarray(customer, np.int64), "amount": np.asarray(amount, np.int64),
            "rule": rule, "score": np.round(np.broadcast_to(np.asarray(score, np.float64), size), 2),
            "status": np.broadcast_to(np.asarray(status, object), size),
            "reason": np.broadcast_to(np.asarray(reason, object), size),
            "linked": None,
        }))

    def _flush(self) -> None:
        if self._rows:
            self._chunks.append(pd.DataFrame(self._rows, columns=MATCH_COLUMNS))
            self._rows = []

    @property
    def matches(self) -> pd.DataFrame:
        self._flush()
        if not self._chunks:
            return pd.DataFrame({c: pd.Series(dtype=np.int64 if c in ("receipt", "bill", "customer", "amount")
                                              else object) for c in MATCH_COLUMNS})
        if len(self._chunks) > 1:
            self._chunks = [pd.concat(self._chunks, ignore_index=True)]
        return self._chunks[0]

    def allowed(self, receipt: int, target: str) -> bool:
        return (self.ids[receipt], target) not in self.forbidden

    def window_ok(self, receipt, bill) -> np.ndarray:
        d = self.date[receipt]
        return (self.bill_date[bill] <= d + 7) & (d <= self.due_date[bill] + self.options.window_days)

    def customer_how_many(self, receipts: np.ndarray) -> np.ndarray:
        """`customer_how` for many receipts at once."""
        written = self.how[receipts].astype(object)
        code = self.how_column[receipts]
        customers = self.customer_ids[np.maximum(self.customer[receipts], 0)] if len(self.customer_ids) else \
            np.full(len(receipts), "", dtype=object)
        column = _say_many("how_column", self.lang, customer=customers)
        text = _say_many("how_text", self.lang, customer=customers)
        built = np.where(code == 1, column, np.where(code == 2, text, ""))
        return np.where(written != "", written, built).astype(object)

    def customer_how(self, receipt: int) -> str:
        if self.how[receipt] or not self.how_column[receipt]:
            return self.how[receipt] or ""
        key = "how_column" if self.how_column[receipt] == 1 else "how_text"
        return _say(key, self.lang, customer=self.customer_ids[self.customer[receipt]])

    def period_of(self, bill: int) -> str:
        return str(self.bill_period[bill])


def _open_bills_by_customer(state: _State) -> tuple[np.ndarray, np.ndarray]:
    """Start and end positions of each customer's bills in the bill order."""
    codes = state.bill_customer
    count = len(state.customer_ids)
    start = np.searchsorted(codes, np.arange(count), side="left")
    end = np.searchsorted(codes, np.arange(count), side="right")
    return start, end


def apply_decisions(state: _State, decisions: pd.DataFrame) -> list[str]:
    """Confirmed rows fix their receipt; rejected pairs are never proposed again.

    Returns the ids of decisions that no longer fit the tables (for a warning)."""
    stale = []
    if decisions is None or not len(decisions):
        return stale
    index_of = {rid: i for i, rid in enumerate(state.ids.tolist())}
    rows = decisions[decisions["Decision"].isin(["confirm", "reject"])]
    for row in rows.itertuples(index=False):
        receipt = index_of.get(row.PaymentID)
        bill_id = row.BillID if isinstance(row.BillID, str) else ""
        customer_id = row.CustomerID if isinstance(row.CustomerID, str) else ""
        linked = row.LinkedID if isinstance(getattr(row, "LinkedID", None), str) else ""
        target = bill_id or linked or customer_id
        if receipt is None or not target:
            stale.append(str(row.PaymentID))
            continue
        if row.Decision == "reject":
            state.forbidden.add((row.PaymentID, target))
            continue
        bill = state.bill_position(bill_id) if bill_id else -1
        customer = state.customer_code.get(customer_id, -1)
        if bill_id and bill < 0:
            stale.append(str(row.PaymentID))
            continue
        if bill >= 0:
            customer = int(state.bill_customer[bill])
        amount = int(row.Amount) if pd.notna(row.Amount) else int(state.amount[receipt])
        rule = row.Rule if isinstance(row.Rule, str) and row.Rule in RULES else ("reference" if bill >= 0 else
                                                                                   "customer")
        reason = row.Reason if isinstance(row.Reason, str) else ""
        state.add(receipt, bill, customer, amount, rule, 1.0, CONFIRMED, reason, linked or None)
        state.resolved[receipt] = True
        if customer >= 0:
            state.customer[receipt] = customer
        if bill >= 0:
            state.remaining[bill] = max(0, state.remaining[bill] - amount)
    return stale


def pass_reversals(state: _State) -> None:
    """A negative receipt cancels the payment it returns: the one whose id or channel id its text
    names, else the latest earlier payment of the same amount from the same customer or payer."""
    negative = np.flatnonzero((state.amount < 0) & ~state.resolved)
    if not len(negative):
        return
    r = state.r
    ids_upper = {str(v).upper(): i for i, v in enumerate(r["ReceiptID"].tolist())}
    txn_upper = {normalise([v])[0]: i for i, v in enumerate(r["ChannelTxnID"].tolist()) if isinstance(v, str)}
    customer_col = r["CustomerID"].astype(object).tolist()
    payer_keys = [name_key(p) for p in state.payer.tolist()]
    cancelled = np.zeros(len(r), dtype=bool)
    for i in negative.tolist():
        want = -int(state.amount[i])
        original = -1
        for token in re.findall(r"[0-9A-Z]{6,}", state.text[i]):
            j = ids_upper.get(token, txn_upper.get(token, -1))
            if j >= 0 and j != i and state.amount[j] > 0 and not cancelled[j] and state.allowed(i, state.ids[j]):
                original = j
                break
        if original < 0:
            same = [j for j in range(i - 1, -1, -1)
                    if state.amount[j] == want and not cancelled[j] and state.allowed(i, state.ids[j])
                    and ((isinstance(customer_col[i], str) and customer_col[j] == customer_col[i])
                         or (payer_keys[i] and payer_keys[j] == payer_keys[i]))]
            original = same[0] if same else -1
        if original < 0:
            continue
        cancelled[original] = True
        take = min(want, int(state.amount[original]))
        state.amount[original] -= take
        state.amount[i] += take
        customer = state.customer_code.get(customer_col[original], -1) if isinstance(customer_col[original],
                                                                                     str) else -1
        state.add(i, -1, customer, -take, "reversal", 1.0, AUTO,
                  _say("reversal", state.lang, amount=_yuan(take), original=state.ids[original]),
                  linked=state.ids[original])
        state.resolved[i] = state.amount[i] == 0
        if state.amount[original] == 0:
            state.resolved[original] = True


def pass_reference(state: _State) -> None:
    """Bill IDs in the Bill ID column or the text pay those bills; customer IDs in them say whose
    money it is (later passes use that). Vectorised: ids are looked up as tokens."""
    r = state.r
    lang = state.lang
    todo = np.flatnonzero(~state.resolved & (state.amount > 0))
    if not len(todo):
        return
    # Customer evidence: the CustomerID column, else the first customer ID in the text.
    tokens = _find_tokens(state.text[todo], state.options.reference_pattern)
    lengths = tokens.per_text
    receipt_of_token = np.repeat(np.arange(len(todo)), lengths)
    column_b = _folded_positions(state.bill_index, r["BillID"].to_numpy(object)[todo])
    token_bill = tokens.positions(state.bill_index)
    customer = _folded_positions(state.customer_index, r["CustomerID"].to_numpy(object)[todo])
    token_customer = tokens.positions(state.customer_index)
    how_column = customer >= 0
    # Customer from the text where the column gave none.
    text_customer = (token_customer >= 0) & (token_bill < 0)
    first_text_customer = pd.Series(token_customer[text_customer]).groupby(receipt_of_token[text_customer]).first()
    if len(first_text_customer):
        where_ = first_text_customer.index.to_numpy()
        customer[where_] = np.where(customer[where_] < 0, first_text_customer.to_numpy(), customer[where_])
    has_customer = customer >= 0
    state.customer[todo[has_customer]] = customer[has_customer]
    state.how_column[todo[has_customer]] = np.where(how_column[has_customer], 1, 2)
    # Bill candidates in order: column (rank 0), text tokens (rank 1..); each bill once per receipt.
    k_all = np.concatenate([np.arange(len(todo)), receipt_of_token])
    rank_all = np.concatenate([np.zeros(len(todo), np.int64),
                               1 + np.arange(len(tokens)) - np.repeat(np.cumsum(lengths) - lengths, lengths)])
    bill_all = np.concatenate([column_b, token_bill])
    from_column = np.concatenate([np.ones(len(todo), bool), np.zeros(len(tokens), bool)])
    found_bill = bill_all >= 0
    k_all, rank_all, bill_all, from_column = (x[found_bill] for x in (k_all, rank_all, bill_all, from_column))
    order = np.lexsort((rank_all, k_all))
    k_all, bill_all, from_column = k_all[order], bill_all[order], from_column[order]
    _, first = np.unique(k_all * np.int64(len(state.bill_customer) + 1) + bill_all, return_index=True)
    first.sort()
    k_all, bill_all, from_column = k_all[first], bill_all[first], from_column[first]
    if state.forbidden and len(k_all):
        keep = np.array([state.allowed(int(todo[k]), state.bill_ids[b]) for k, b in zip(k_all.tolist(),
                                                                                       bill_all.tolist())], dtype=bool)
        k_all, bill_all, from_column = k_all[keep], bill_all[keep], from_column[keep]
    if not len(k_all):
        return
    per = np.bincount(k_all, minlength=len(todo))[k_all]
    # One bill named: the common case, all at once.
    k = k_all[per == 1]
    bill = bill_all[per == 1]
    receipt = todo[k]
    owner = state.bill_customer[bill]
    mismatch = (customer[k] >= 0) & (customer[k] != owner)
    wheres = {w: _say(f"where_{w}", lang) for w in ("column", "text")}
    reasons = None
    if state.explain:
        where_text = np.where(from_column[per == 1], wheres["column"], wheres["text"])
        reasons = _say_many("reference", lang, bill=state.bill_ids[bill], where=where_text.astype(object))
        for at in np.flatnonzero(mismatch).tolist():
            reasons[at] += ("；" if lang == "zh" else "; ") + _say(
                "owner_differs", lang, bill=state.bill_ids[bill[at]], owner=state.customer_ids[owner[at]],
                customer=state.customer_ids[customer[k[at]]])
    amount = state.amount[receipt]
    state.add_many(receipt, bill, owner, amount, "reference", np.where(mismatch, 0.6, 1.0),
                   np.where(mismatch, SUGGESTED, AUTO), reasons)
    ok = ~mismatch
    taken = allocation.sum_by(bill[ok], amount[ok], len(state.remaining))
    state.remaining = np.maximum(state.remaining - taken, 0)
    state.customer[receipt[ok]] = owner[ok]
    state.resolved[receipt] = True
    # Several bills named: split in the order named (each gets its open amount, the last the rest).
    several = per > 1
    if several.any():
        _pay_several(state, todo, customer, k_all[several], bill_all[several], from_column[several], wheres)


def _pay_several(state: _State, todo: np.ndarray, customer: np.ndarray, k: np.ndarray, bill: np.ndarray,
                 from_column: np.ndarray, wheres: dict[str, str]) -> None:
    """Receipts naming several bills (rows sorted by receipt, bills in the order named): each bill
    gets what it still owes and the last one the rest; a receipt whose customer owns none of its
    bills is only suggested. Vectorised when no bill is named by two receipts (then no receipt's
    pieces depend on another's), else one receipt after the other."""
    lang = state.lang
    start = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    size = np.diff(np.r_[start, len(k)])
    group = np.repeat(np.arange(len(start)), size)
    owner = state.bill_customer[bill]
    c = customer[k[start]]
    wrong = (c >= 0) & ~np.logical_or.reduceat(owner == customer[k], start)
    receipt = todo[k]
    apart = len(np.unique(bill)) == len(bill)  # no bill named by two of these receipts
    if apart:
        left = state.amount[receipt]
        owed = state.remaining[bill].astype(np.int64)
        before = np.cumsum(owed) - owed
        before -= np.repeat(before[start], size)  # what the bills named earlier owe
        left_here = np.maximum(left - before, 0)
        last = np.r_[start[1:] - 1, len(k) - 1]
        piece = np.minimum(left_here, owed)
        piece[last] = left_here[last]
    else:
        piece = np.zeros(len(k), dtype=np.int64)
        for g, (first, count) in enumerate(zip(start.tolist(), size.tolist())):
            left = int(state.amount[receipt[first]])
            for n in range(first, first + count):
                b = int(bill[n])
                piece[n] = left if n == first + count - 1 else min(left, int(state.remaining[b]))
                left -= int(piece[n])
                if not wrong[g]:
                    state.remaining[b] = max(0, int(state.remaining[b]) - int(piece[n]))
    row_wrong = wrong[group]
    if apart:
        paying = ~row_wrong
        state.remaining[bill[paying]] = np.maximum(state.remaining[bill[paying]] - piece[paying], 0)
    reasons = None
    if state.explain:
        where = np.where(from_column, wheres["column"], wheres["text"]).astype(object)
        reasons = _say_many("reference", lang, bill=state.bill_ids[bill], where=where)
        for n in np.flatnonzero(row_wrong).tolist():
            reasons[n] += ("；" if lang == "zh" else "; ") + _say(
                "owner_differs", lang, bill=state.bill_ids[bill[n]], owner=state.customer_ids[owner[n]],
                customer=state.customer_ids[c[group[n]]])
    state.add_many(receipt, bill, owner, piece, "reference", np.where(row_wrong, 0.6, 1.0),
                   np.where(row_wrong, SUGGESTED, AUTO), reasons)
    right = ~wrong
    state.customer[receipt[start[right]]] = owner[start[right]]
    state.resolved[receipt[start]] = True


def _addresses(state: _State) -> tuple[dict[str, int], list[int]]:
    by_address: dict[str, int] = {}
    seen_twice = set()
    for cid, address in state.customer_address.items():
        key = name_key(address)
        if len(key) < 6 or cid not in state.customer_code:
            continue
        if key in by_address:
            seen_twice.add(key)
        by_address[key] = state.customer_code[cid]
    for key in seen_twice:
        by_address.pop(key)
    return by_address, sorted({len(k) for k in by_address}, reverse=True)


def pass_address(state: _State) -> None:
    """An address at the start of a word of the text says whose money it is."""
    todo = np.flatnonzero(~state.resolved & (state.customer < 0) & (state.text != ""))
    if not len(todo):
        return
    by_address, lengths = _addresses(state)
    if not by_address:
        return
    for i in todo.tolist():
        for word in re.split(r"[\s,;，；|/]+", state.text[i]):
            word = name_key(word)
            found = next((by_address[word[:n]] for n in lengths if len(word) >= n and word[:n] in by_address), -1)
            if found >= 0:
                state.customer[i] = found
                state.how[i] = _say("how_address", state.lang, address=word[:len(name_key(
                    state.customer_address[state.customer_ids[found]]))], customer=state.customer_ids[found])
                break


def _match_by_amount(state: _State, receipts: np.ndarray, tolerance: int) -> list[tuple[int, int]]:
    """`_pairs_by_amount` as (receipt, bill) tuples."""
    receipt, bill = _pairs_by_amount(state, receipts, tolerance)
    return list(zip(receipt.tolist(), bill.tolist()))


def _pairs_by_amount(state: _State, receipts: np.ndarray, tolerance: int) -> tuple[np.ndarray, np.ndarray]:
    """Pair receipts with their customer's open bills whose open amount is the receipt's (within
    `tolerance`), each bill once, receipts oldest first, bills oldest first: (receipt, bill) arrays.

    Candidates come from binary search on (customer, open amount) keys, not a join: each receipt
    looks at the few bills of its customer with that amount."""
    none = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    if not len(receipts):
        return none
    theirs = np.zeros(len(state.customer_ids), dtype=bool)
    known = state.customer[receipts]
    theirs[known[known >= 0]] = True  # the receipts' customers, as a table (no np.isin over a million bills)
    open_bills = np.flatnonzero((state.remaining > 0) & theirs[state.bill_customer])
    if not len(open_bills):
        return none
    shift = np.int64(1) << 40
    keys = state.bill_customer[open_bills] * shift + state.remaining[open_bills]
    order = np.argsort(keys, kind="stable")  # bills keep their oldest-first order within a key
    keys, bills = keys[order], open_bills[order]
    wanted = state.customer[receipts] * shift + state.amount[receipts]
    lo, hi = _search_sorted(keys, wanted - tolerance, "left"), _search_sorted(keys, wanted + tolerance, "right")
    count = hi - lo
    if not count.sum():
        return none
    receipt = np.repeat(receipts, count)
    at = np.repeat(lo - np.cumsum(count) + count, count) + np.arange(count.sum())
    bill = bills[at]
    ok = state.window_ok(receipt, bill)
    if state.forbidden:
        ok &= np.array([state.allowed(r, state.bill_ids[b]) for r, b in zip(receipt.tolist(), bill.tolist())],
                       dtype=bool)
    receipt, bill = receipt[ok], bill[ok]
    if not len(receipt):
        return none
    inexact = (state.remaining[bill] != state.amount[receipt]).astype(np.int64)
    order = np.lexsort((bill, inexact, receipt))
    return _pair_once(receipt[order], bill[order])


def _search_sorted(keys: np.ndarray, values: np.ndarray, side: str) -> np.ndarray:
    """np.searchsorted for many values: the values sorted first, so that the binary searches walk
    the keys in order (far fewer cache misses on a large table)."""
    if len(values) < 1000:
        return np.searchsorted(keys, values, side=side)
    order = np.argsort(values)
    at = np.empty(len(values), dtype=np.int64)
    at[order] = np.searchsorted(keys, values[order], side=side)
    return at


def _pair_once(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`_one_to_one` on integer arrays: greedy pairing in the order given, each left and each right
    used once. Each round takes every left's first pair whose right no earlier left of the round
    took, then drops the pairs of what was taken (marked in tables over the distinct values)."""
    if not len(left):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    _, left_code = np.unique(left, return_inverse=True)
    _, right_code = np.unique(right, return_inverse=True)
    left_used = np.zeros(left_code.max() + 1, dtype=bool)
    right_used = np.zeros(right_code.max() + 1, dtype=bool)
    rows = np.arange(len(left))
    taken_rows = []
    while len(rows):
        code = left_code[rows]
        if len(code) < 2 or (code[1:] >= code[:-1]).all():  # grouped by left (as sorted pairs are)
            first = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
        else:
            first = np.sort(np.unique(code, return_index=True)[1])
        _, once = np.unique(right_code[rows[first]], return_index=True)
        taken = rows[first[np.sort(once)]]
        taken_rows.append(taken)
        left_used[left_code[taken]] = True
        right_used[right_code[taken]] = True
        rows = rows[~left_used[left_code[rows]] & ~right_used[right_code[rows]]]
    taken = np.concatenate(taken_rows)
    return np.asarray(left, dtype=np.int64)[taken], np.asarray(right, dtype=np.int64)[taken]


def pass_customer_amount(state: _State, tolerance: int = 0, rule: str = "customer_amount") -> None:
    """Known customer, an open bill of exactly the amount (the oldest if several)."""
    todo = np.flatnonzero(~state.resolved & (state.customer >= 0) & (state.amount > 0))
    receipt, bill = _pairs_by_amount(state, todo, tolerance)
    if not len(receipt):
        return
    amount = state.amount[receipt]
    open_amount = state.remaining[bill]
    if not state.explain:
        reasons = None
    elif rule == "tolerance":
        how = state.customer_how_many(receipt)
        reasons = _say_many("tolerance", state.lang, how=how, bill=state.bill_ids[bill],
                            difference=_yuan_many(amount - open_amount),
                            tolerance=_yuan(state.options.tolerance))
    else:
        reasons = _say_many("customer_amount", state.lang, how=state.customer_how_many(receipt),
                            amount=_yuan_many(amount),
                            period=state.bill_period[bill].astype(object))
    state.add_many(receipt, bill, state.bill_customer[bill], amount, rule, 0.95, AUTO, reasons)
    state.remaining[bill] = np.maximum(open_amount - amount, 0)  # each bill once in `pairs`
    state.resolved[receipt] = True


def pass_tolerance(state: _State) -> None:
    """Known customer, an open bill within the tolerance: matched, the difference written off."""
    if state.options.tolerance > 0:
        pass_customer_amount(state, state.options.tolerance, "tolerance")


def pass_bill_subset(state: _State) -> None:
    """Known customer; the amount is the sum of several of its open bills (oldest first, bounded)."""
    todo = np.flatnonzero(~state.resolved & (state.customer >= 0) & (state.amount > 0))
    start, end = _open_bills_by_customer(state)
    tol = state.options.tolerance
    for i in todo.tolist():
        c = int(state.customer[i])
        candidates = [b for b in range(start[c], end[c]) if state.remaining[b] > 0
                      and bool(state.window_ok(i, b)) and state.allowed(i, state.bill_ids[b])]
        candidates = candidates[: state.options.subset_limit]
        want = int(state.amount[i])
        found = _subset(candidates, [int(state.remaining[b]) for b in candidates], want, tol)
        if not found:
            continue
        bills_text = "、".join(state.bill_ids[b] for b in found) if state.lang == "zh" else \
            ", ".join(state.bill_ids[b] for b in found)
        reason = _say("bill_subset", state.lang, how=state.customer_how(i), amount=_yuan(want), count=len(found),
                      bills=bills_text)
        pieces, left = [], want
        for k, b in enumerate(found):  # each bill its open amount, the last what is left
            piece = left if k == len(found) - 1 else min(left, int(state.remaining[b]))
            pieces.append(piece)
            left -= piece
        if min(pieces) <= 0:  # within the tolerance but one bill alone takes it all: not this subset
            continue
        for b, piece in zip(found, pieces):
            state.add(i, b, c, piece, "bill_subset", 0.9, AUTO, reason)
            state.remaining[b] = max(0, int(state.remaining[b]) - piece)
        state.resolved[i] = True


def _subset(items: list[int], amounts: list[int], want: int, tolerance: int) -> list[int] | None:
    """The first combination of two or more items (smallest first, oldest first) whose amounts add
    up to `want` exactly, else within `tolerance`."""
    for limit in (0, tolerance) if tolerance else (0,):
        for size in range(2, len(items) + 1):
            for combo in itertools.combinations(range(len(items)), size):
                if abs(sum(amounts[k] for k in combo) - want) <= limit:
                    return [items[k] for k in combo]
    return None


def pass_instalments(state: _State) -> None:
    """Known customer; two or three of its unmatched receipts add up to one open bill."""
    todo = np.flatnonzero(~state.resolved & (state.customer >= 0) & (state.amount > 0))
    if len(todo) < 2:
        return
    start, end = _open_bills_by_customer(state)
    by_customer: dict[int, list[int]] = {}
    for i in todo.tolist():
        by_customer.setdefault(int(state.customer[i]), []).append(i)
    for c, mine in by_customer.items():
        if len(mine) < 2:
            continue
        mine = mine[:8]
        for b in range(start[c], end[c]):
            if state.remaining[b] <= 0:
                continue
            free = [i for i in mine if not state.resolved[i] and state.allowed(i, state.bill_ids[b])
                    and bool(state.window_ok(i, b))]
            found = None
            for size in (2, 3):
                for combo in itertools.combinations(free, size):
                    if sum(int(state.amount[i]) for i in combo) == state.remaining[b]:
                        found = combo
                        break
                if found:
                    break
            if not found:
                continue
            for i in found:
                others = "、".join(state.ids[j] for j in found if j != i)
                state.add(i, b, c, int(state.amount[i]), "instalments", 0.9, AUTO,
                          _say("instalments", state.lang, how=state.customer_how(i), others=others,
                               bill=state.bill_ids[b]))
                state.resolved[i] = True
            state.remaining[b] = 0


def pass_name(state: _State) -> None:
    """Unknown customer: the payer's name finds it (rapidfuzz token_set_ratio, a tie is no match);
    then a bill of the amount makes an automatic match, none a suggestion."""
    todo = np.flatnonzero(~state.resolved & (state.customer < 0) & (state.amount > 0))
    if not len(todo):
        return
    threshold = state.options.name_threshold
    by_name: dict[str, list[int]] = {}
    for cid, name in state.customer_name.items():
        key = name_key(name)
        if key and cid in state.customer_code:
            by_name.setdefault(key, []).append(state.customer_code[cid])
    blocks: dict[str, list[str]] = {}
    for key in by_name:
        blocks.setdefault(key[0], []).append(key)
    found_customer: dict[int, tuple[int, float]] = {}
    for i in todo.tolist():
        key = name_key(state.payer[i])
        if len(key) < 2:
            continue
        hit = by_name.get(key)
        if hit is not None:
            if len(hit) == 1:
                found_customer[i] = (hit[0], 100.0)
            continue
        choices = blocks.get(key[0], [])
        if not choices:
            continue
        best = process.extract(key, choices, scorer=fuzz.token_set_ratio, limit=2, score_cutoff=threshold)
        if not best:
            continue
        if len(best) == 2 and best[1][1] >= best[0][1]:
            continue  # a tie is no match
        if len(by_name[best[0][0]]) != 1:
            continue
        found_customer[i] = (by_name[best[0][0]][0], float(best[0][1]))
    if not found_customer:
        return
    receipts = np.array(sorted(found_customer), dtype=np.int64)
    for i in receipts.tolist():
        c, score = found_customer[i]
        state.customer[i] = c
        state.how[i] = _say("how_name", state.lang, payer=state.payer[i], customer=state.customer_ids[c],
                            name=state.customer_name.get(state.customer_ids[c], ""), score=f"{score:g}")
    paired = dict(_match_by_amount(state, receipts, 0))
    for i in receipts.tolist():
        c, score = found_customer[i]
        b = paired.get(i)
        if b is not None:
            automatic = score >= 100.0
            state.add(i, b, c, int(state.amount[i]), "name", 0.92 if automatic else 0.8 * score / 100,
                      AUTO if automatic else SUGGESTED,
                      _say("name_amount", state.lang, how=state.how[i], amount=_yuan(state.amount[i]),
                           period=state.period_of(b)))
            if automatic:
                state.remaining[b] = max(0, int(state.remaining[b]) - int(state.amount[i]))
        elif state.allowed(i, state.customer_ids[c]):
            state.add(i, -1, c, int(state.amount[i]), "name", 0.6 * score / 100, SUGGESTED,
                      _say("name_only", state.lang, how=state.how[i]))
        state.resolved[i] = True


def pass_amount(state: _State) -> None:
    """Unknown customer: the only open bill of exactly the amount within the window, suggested."""
    todo = np.flatnonzero(~state.resolved & (state.customer < 0) & (state.amount > 0))
    if not len(todo):
        return
    wants = pd.DataFrame({"receipt": todo, "amount": state.amount[todo]})
    open_bills = np.flatnonzero(state.remaining > 0)
    have = pd.DataFrame({"bill": open_bills, "amount": state.remaining[open_bills]})
    pairs = wants.merge(have, on="amount")
    if not len(pairs):
        return
    ok = state.window_ok(pairs["receipt"].to_numpy(), pairs["bill"].to_numpy())
    pairs = pairs[ok]
    if state.forbidden and len(pairs):
        pairs = pairs[np.array([state.allowed(r, state.bill_ids[b]) for r, b in zip(pairs["receipt"], pairs["bill"])],
                               dtype=bool)]
    if not len(pairs):
        return
    per_receipt = pairs.groupby("receipt")["bill"].transform("size")
    per_bill = pairs.groupby("bill")["receipt"].transform("size")
    pairs = pairs[(per_receipt == 1) & (per_bill == 1)]
    for i, b in zip(pairs["receipt"].tolist(), pairs["bill"].tolist()):
        state.add(i, b, int(state.bill_customer[b]), int(state.amount[i]), "amount", 0.5, SUGGESTED,
                  _say("amount", state.lang, days=state.options.window_days, bill=state.bill_ids[b],
                       amount=_yuan(state.amount[i])))
        state.resolved[i] = True


def pass_customer(state: _State) -> None:
    """Known customer, no bill found: the money is the customer's and pays the oldest bills."""
    todo = np.flatnonzero(~state.resolved & (state.customer >= 0) & (state.amount > 0))
    for i in todo.tolist():
        c = int(state.customer[i])
        if not state.allowed(i, state.customer_ids[c]):
            continue
        state.add(i, -1, c, int(state.amount[i]), "customer", 0.9, AUTO,
                  _say("customer", state.lang, how=state.customer_how(i)))
        state.resolved[i] = True


PASS_FUNCTIONS = {
    "reference": pass_reference,
    "customer_amount": pass_customer_amount,
    "bill_subset": pass_bill_subset,
    "instalments": pass_instalments,
    "name": pass_name,
    "amount": pass_amount,
    "tolerance": pass_tolerance,
    "customer": pass_customer,
}


def parse_passes(text: str | None) -> tuple[str, ...]:
    """'reference, customer_amount, ...' -> the pass names; ValueError naming an unknown one."""
    if not text or not str(text).strip():
        return PASSES
    names = tuple(p.strip().lower() for p in re.split(r"[,，;；\s]+", str(text)) if p.strip())
    unknown = [n for n in names if n not in PASS_FUNCTIONS]
    if unknown:
        raise ValueError(", ".join(unknown))
    return tuple(dict.fromkeys(names))


# ---------------------------------------------------------------------------------------------
# Step 4: allocation
# ---------------------------------------------------------------------------------------------

def allocate(state: _State) -> pd.DataFrame:
    """Money of automatic and confirmed matches applied to bills; the rest is credit.

    A receipt with bill matches pays those bills first (each bill's payers in date order), what
    is left is the customer's credit; a receipt matched only to its customer pays the customer's
    oldest open bills, then becomes credit. Tolerance matches write off the small remainder.
    """
    m = state.matches
    moving = m[m["status"].isin(MOVES_MONEY) & (m["rule"] != "reversal")]
    n_bills = len(state.bill_ids)
    paid = np.zeros(n_bills, dtype=np.int64)
    rows = []
    credit_of: dict[int, int] = {}

    # Phase 1: bill matches, per bill in receipt order.
    pieces = moving[moving["bill"] >= 0].sort_values(["bill", "receipt"], kind="stable")
    bill_amount = np.maximum(state.bill_amount, 0)
    if len(pieces):
        bills = np.unique(pieces["bill"].to_numpy())
        got = allocation.fifo(pieces["bill"].to_numpy(), pieces["amount"].to_numpy(), bills, bill_amount[bills])
        receipt_of = pieces["receipt"].to_numpy()
        rows.append(pd.DataFrame({"receipt": receipt_of[got.supply], "bill": bills[got.demand], "amount": got.amount,
                                  "kind": "payment"}))
        np.add.at(paid, bills[got.demand], got.amount)
        left = pd.Series(got.supply_left, index=receipt_of).groupby(level=0).sum()
        for r, value in left[left > 0].items():
            credit_of[int(r)] = credit_of.get(int(r), 0) + int(value)
    # Phase 2: customer matches, per customer oldest bill first.
    whole = moving[moving["bill"] < 0].sort_values(["customer", "receipt"], kind="stable")
    if len(whole):
        open_left = bill_amount - paid
        wanted = np.flatnonzero((open_left > 0) & np.isin(state.bill_customer, whole["customer"].to_numpy()))
        got = allocation.fifo(whole["customer"].to_numpy(), whole["amount"].to_numpy(),
                              state.bill_customer[wanted], open_left[wanted])
        receipt_of = whole["receipt"].to_numpy()
        rows.append(pd.DataFrame({"receipt": receipt_of[got.supply], "bill": wanted[got.demand],
                                  "amount": got.amount, "kind": "payment"}))
        np.add.at(paid, wanted[got.demand], got.amount)
        for r, value in zip(receipt_of.tolist(), got.supply_left.tolist()):
            if value > 0:
                credit_of[r] = credit_of.get(r, 0) + int(value)
    # Write-offs of tolerance matches.
    tol = moving[moving["rule"] == "tolerance"]
    for r, b in zip(tol["receipt"].tolist(), tol["bill"].tolist()):
        short = int(bill_amount[b] - paid[b])
        if 0 < short <= state.options.tolerance:
            rows.append(pd.DataFrame({"receipt": [r], "bill": [b], "amount": [short], "kind": ["writeoff"]}))
            paid[b] += short
    if credit_of:
        credits = sorted(credit_of.items())
        rows.append(pd.DataFrame({"receipt": [r for r, _ in credits], "bill": -1,
                                  "amount": [v for _, v in credits], "kind": "credit"}))
    frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        {"receipt": pd.Series(dtype=np.int64), "bill": pd.Series(dtype=np.int64),
         "amount": pd.Series(dtype=np.int64), "kind": pd.Series(dtype=object)})
    frame = frame[frame["amount"] != 0]
    kind_order = frame["kind"].map({"payment": 0, "writeoff": 1, "credit": 2})
    frame = frame.assign(_k=kind_order).sort_values(["receipt", "_k", "bill"], kind="stable").drop(columns="_k")
    return frame.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# The whole reconciliation
# ---------------------------------------------------------------------------------------------

def _text(values) -> pd.arrays.StringArray:
    """Object values as the hosts' text dtype ('str'), blanks (None, NaN, '') as NaN."""
    values = np.asarray(values, dtype=object)
    return pd.array(np.where(values == "", None, values), dtype="str")


def _match_ids(receipts: np.ndarray, targets: np.ndarray) -> list[str]:
    """A stable id per (payment, bill or customer): the same pair gets the same id in every run."""
    if not len(receipts):
        return []
    a = pd.util.hash_array(np.asarray(receipts, dtype=object))
    b = pd.util.hash_array(np.asarray(targets, dtype=object))
    mixed = (a * np.uint64(0x9E3779B97F4A7C15)) ^ b
    return [f"M{x:010X}" for x in (mixed >> np.uint64(24)).tolist()]


def reconcile(bills: pd.DataFrame, payments: pd.DataFrame, bank: pd.DataFrame, customers: pd.DataFrame,
              as_of: datetime.date, options: Options = Options(), decisions: pd.DataFrame | None = None,
              lang: str = "zh", progress=None) -> Result:
    """Match, allocate and list the exceptions. Inputs are typed tables (money in integer fen);
    none is changed. Payments and bank lines dated after `as_of` are left out."""
    step = progress or (lambda done, total, text: None)
    as_of_day = np.datetime64(as_of, "D")
    payments = payments[_days(payments["PaidDate"]) <= as_of_day]
    bank = bank[_days(bank["TxnDate"]) <= as_of_day]
    bills = _matchable(bills, drop_cancelled=True)
    step(1, 6, "settle")
    landed, settlements, bank_left, exception_rows = settle_channels(payments, bank, as_of, lang)
    receipts = receipts_from(payments, landed, bank_left)
    state = _State(receipts, bills, customers, options, lang)
    stale_decisions = apply_decisions(state, decisions)
    step(2, 6, "match")
    pass_reversals(state)
    for name in options.passes:
        if name == "reference":
            pass_reference(state)
            pass_address(state)
        else:
            PASS_FUNCTIONS[name](state)
    # A rejected match that nothing replaced stays in the table, so the decision is kept.
    if decisions is not None and len(decisions):
        _keep_rejections(state, decisions)
    step(4, 6, "allocate")
    alloc = allocate(state)
    step(5, 6, "exceptions")
    recon = _reconciliation_frame(state)
    allocations = _allocations_frame(state, alloc)
    exceptions = _exceptions(state, alloc, exception_rows, as_of)
    moved = int(alloc.loc[alloc["kind"] == "payment", "amount"].sum())
    credit = int(alloc.loc[alloc["kind"] == "credit", "amount"].sum())
    total = int(receipts["Amount"].sum())
    counts = {
        "rows": len(receipts), "receipts": len(receipts), "payments": int((receipts["Source"] == "payments").sum()),
        "bank_only": int((receipts["Source"] == "bank").sum()),
        "matched": int(state.resolved.sum()),
        "automatic": int(recon["Status"].isin(MOVES_MONEY).groupby(recon["PaymentID"]).any().sum())
        if len(recon) else 0,
        "suggested": int((recon["Status"] == SUGGESTED).sum()),
        "exceptions": len(exceptions), "allocated_fen": moved, "credit_fen": credit,
        "writeoff_fen": int(alloc.loc[alloc["kind"] == "writeoff", "amount"].sum()),
        "unmatched_fen": total - moved - credit, "received_fen": total,
        "settlements": len(settlements), "stale_decisions": len(stale_decisions),
    }
    step(6, 6, "")
    return Result(recon, allocations, exceptions, settlements, counts)


_BILL_COLUMNS = ("BillID", "CustomerID", "Period", "BillDate", "DueDate", "Amount")  # what matching reads


def _matchable(bills: pd.DataFrame, drop_cancelled: bool) -> pd.DataFrame:
    """The bills matching can pay (an amount; not cancelled, when asked; a customer: _State drops
    the bills without, from its customer codes), with only the columns matching reads (no copy of
    the rest of a million-row table)."""
    keep = bills["Amount"].notna().to_numpy()
    if drop_cancelled:
        keep = keep & (bills["Status"].to_numpy(object) != "cancelled")
    frame = bills[[c for c in _BILL_COLUMNS if c in bills]]
    return frame if keep.all() else frame[keep]


def _keep_rejections(state: _State, decisions: pd.DataFrame) -> None:
    index_of = {rid: i for i, rid in enumerate(state.ids.tolist())}
    for row in decisions[decisions["Decision"] == "reject"].itertuples(index=False):
        receipt = index_of.get(row.PaymentID)
        if receipt is None:
            continue
        bill_id = row.BillID if isinstance(row.BillID, str) else ""
        bill = state.bill_position(bill_id) if bill_id else -1
        customer = state.customer_code.get(row.CustomerID, -1) if isinstance(row.CustomerID, str) else -1
        linked = row.LinkedID if isinstance(getattr(row, "LinkedID", None), str) else None
        state.add(receipt, bill, customer, int(row.Amount) if pd.notna(row.Amount) else 0,
                  row.Rule if isinstance(row.Rule, str) and row.Rule in RULES else "reference",
                  float(row.Score) if pd.notna(row.Score) else 0.0, REJECTED,
                  row.Reason if isinstance(row.Reason, str) else "", linked)


def _reconciliation_frame(state: _State) -> pd.DataFrame:
    m = state.matches
    r = state.r
    receipt = m["receipt"].to_numpy(np.int64)
    bill = m["bill"].to_numpy(np.int64)
    customer = m["customer"].to_numpy(np.int64)
    bill_id = np.where(bill >= 0, state.bill_ids[np.maximum(bill, 0)] if len(state.bill_ids) else None, None)
    customer_id = np.where(customer >= 0, state.customer_ids[np.maximum(customer, 0)]
                           if len(state.customer_ids) else None, None)
    receipt_id = state.ids[receipt] if len(receipt) else np.array([], dtype=object)
    target = [b if isinstance(b, str) else (lk if isinstance(lk, str) else (c if isinstance(c, str) else ""))
              for b, lk, c in zip(bill_id.tolist(), m["linked"].tolist(), customer_id.tolist())]
    frame = pd.DataFrame({
        "MatchID": _match_ids(receipt_id, np.array(target, dtype=object)),
        "Source": r["Source"].to_numpy(object)[receipt] if len(receipt) else [],
        "PaymentID": receipt_id,
        "PaidDate": pd.to_datetime(state.date[receipt]).astype("datetime64[s]") if len(receipt) else
        pd.Series(dtype="datetime64[s]"),
        "CustomerID": customer_id,
        "BillID": bill_id,
        "LinkedID": m["linked"].to_numpy(object),
        "Amount": pd.array(m["amount"].to_numpy(np.int64), dtype="Int64"),
        "BankTxnID": r["BankTxnID"].to_numpy(object)[receipt] if len(receipt) else [],
        "Rule": m["rule"].to_numpy(object),
        "Score": m["score"].to_numpy(np.float64),
        "Reason": m["reason"].to_numpy(object),
        "Status": m["status"].to_numpy(object),
        "Decision": np.where(m["status"] == CONFIRMED, "confirm", np.where(m["status"] == REJECTED, "reject", None)),
    })
    order = np.lexsort((np.arange(len(frame)), receipt))
    frame = frame.iloc[order].reset_index(drop=True)
    for column in ("CustomerID", "BillID", "LinkedID", "BankTxnID", "Decision", "Source", "PaymentID", "Rule",
                   "Reason", "Status", "MatchID"):
        frame[column] = _text(frame[column].to_numpy(object))
    return frame


def _allocations_frame(state: _State, alloc: pd.DataFrame) -> pd.DataFrame:
    r = state.r
    receipt = alloc["receipt"].to_numpy(np.int64)
    bill = alloc["bill"].to_numpy(np.int64)
    receipt_day = state.date[receipt]
    bill_day = np.where(bill >= 0, state.bill_date[np.maximum(bill, 0)] if len(state.bill_date) else receipt_day,
                        receipt_day)
    customer = np.where(bill >= 0, state.bill_customer[np.maximum(bill, 0)] if len(state.bill_customer) else -1,
                        state.customer[receipt] if len(receipt) else -1)
    frame = pd.DataFrame({
        "AllocationID": [f"A{i + 1:07d}" for i in range(len(alloc))],
        "Source": r["Source"].to_numpy(object)[receipt] if len(receipt) else [],
        "PaymentID": state.ids[receipt] if len(receipt) else [],
        "BillID": np.where(bill >= 0, state.bill_ids[np.maximum(bill, 0)] if len(state.bill_ids) else None, None),
        "CustomerID": np.where(customer >= 0, state.customer_ids[np.maximum(customer, 0)]
                               if len(state.customer_ids) else None, None),
        "AllocDate": pd.to_datetime(np.maximum(receipt_day, bill_day)).astype("datetime64[s]"),
        "Amount": pd.array(alloc["amount"].to_numpy(np.int64), dtype="Int64"),
        "Kind": alloc["kind"].to_numpy(object),
    })
    for column in ("Source", "PaymentID", "BillID", "CustomerID", "Kind", "AllocationID"):
        frame[column] = _text(frame[column].to_numpy(object))
    return frame


def _exceptions(state: _State, alloc: pd.DataFrame, settlement_rows: list, as_of: datetime.date) -> pd.DataFrame:
    lang = state.lang
    r = state.r
    rows = list(settlement_rows)
    as_of_day = np.datetime64(as_of, "D")
    m = state.matches
    # What each receipt's automatic and confirmed matches cover; the rest of it is listed.
    moved = m[m["status"].isin(MOVES_MONEY) & (m["rule"] != "reversal")]
    covered = np.zeros(len(r), dtype=np.int64)
    np.add.at(covered, moved["receipt"].to_numpy(np.int64), moved["amount"].to_numpy(np.int64))
    left = state.amount - covered
    suggested = set(m.loc[m["status"] == SUGGESTED, "receipt"].tolist())
    customer_ids = state.customer_ids
    sources = r["Source"].to_numpy(object)
    for i in np.flatnonzero(left != 0).tolist():
        age = int((as_of_day - state.date[i]).astype(int))
        source = sources[i]
        customer = customer_ids[state.customer[i]] if state.customer[i] >= 0 else None
        if left[i] < 0:
            kind, values = "unmatched_refund", {}
        elif i in suggested:
            kind, values = "suggested", {}
        elif age > state.options.stale_days:
            kind, values = "stale", {"days": state.options.stale_days}
        else:
            kind, values = ("unmatched_payment" if source == "payments" else "unmatched_bank"), {}
        detail, action = exception_text(kind, lang, **values)
        if kind == "stale":
            first, _ = exception_text("unmatched_payment" if source == "payments" else "unmatched_bank", lang)
            detail = f"{first}；{detail}" if lang == "zh" else f"{first}; {detail}"
        rows.append((kind, source, state.ids[i], customer, int(left[i]), state.date[i], detail, action))
    # Duplicates: same customer, same amount, a few days apart (the later one is flagged).
    known = np.flatnonzero((state.customer >= 0) & (state.amount > 0))
    if len(known):
        frame = pd.DataFrame({"i": known, "c": state.customer[known], "a": state.amount[known],
                              "d": state.date[known]}).sort_values(["c", "a", "d", "i"], kind="stable")
        same = (frame["c"].diff() == 0) & (frame["a"].diff() == 0)
        gap = frame["d"].diff().dt.days
        flagged = frame[same & (gap <= state.options.duplicate_days)]
        previous = frame["i"].shift(1)
        for i, p, days in zip(flagged["i"].tolist(), previous[flagged.index].tolist(), gap[flagged.index].tolist()):
            detail, action = exception_text("duplicate", lang, other=state.ids[int(p)], days=int(days))
            rows.append(("duplicate", sources[i], state.ids[i], customer_ids[state.customer[i]],
                         int(state.amount[i]), state.date[i], detail, action))
    txn = normalise(r["ChannelTxnID"])
    pay_rows = np.flatnonzero((r["Source"].to_numpy(object) == "payments") & (txn != ""))
    if len(pay_rows):
        seen: dict[str, int] = {}
        for i in pay_rows.tolist():
            if txn[i] in seen:
                detail, action = exception_text("duplicate_txn", lang, other=state.ids[seen[txn[i]]])
                rows.append(("duplicate", "payments", state.ids[i], None, int(state.amount[i]), state.date[i], detail,
                             action))
            else:
                seen[txn[i]] = i
    # Over- and underpayments.
    credits = alloc[alloc["kind"] == "credit"]
    has_bills = set(alloc.loc[alloc["kind"] == "payment", "receipt"].tolist())
    for i, amount in zip(credits["receipt"].tolist(), credits["amount"].tolist()):
        customer = customer_ids[state.customer[i]] if state.customer[i] >= 0 else None
        if i in has_bills:
            if amount <= state.options.tolerance:
                continue
            detail, action = exception_text("overpayment", lang, amount=_yuan(amount))
        else:
            detail, action = exception_text("no_bills", lang, customer=customer)
        rows.append(("overpayment", sources[i], state.ids[i], customer, int(amount), state.date[i], detail,
                     action))
    paid = alloc[alloc["kind"].isin(["payment", "writeoff"])].groupby("bill")["amount"].sum()
    short = np.maximum(state.bill_amount[paid.index.to_numpy()], 0) - paid.to_numpy()
    flagged = short > state.options.tolerance
    for b, left in zip(paid.index.to_numpy()[flagged].tolist(), short[flagged].tolist()):
        detail, action = exception_text("underpayment", lang, amount=_yuan(left))
        rows.append(("underpayment", "bills", state.bill_ids[b], customer_ids[state.bill_customer[b]], int(left),
                     state.due_date[b], detail, action))
    frame = pd.DataFrame(rows, columns=["Kind", "Source", "SourceID", "CustomerID", "Amount", "ItemDate", "Detail",
                                        "Action"])
    order = {k: n for n, k in enumerate(EXCEPTION_TEXT)}
    frame = frame.assign(_o=frame["Kind"].map(order)).sort_values(["_o", "ItemDate", "SourceID"],
                                                                 kind="stable").drop(columns="_o")
    frame.insert(0, "ExceptionID", [f"E{i + 1:06d}" for i in range(len(frame))])
    frame["Amount"] = pd.array(frame["Amount"].astype("Int64"), dtype="Int64")
    frame["ItemDate"] = pd.to_datetime(frame["ItemDate"]).astype("datetime64[s]")
    for column in ("ExceptionID", "Kind", "Source", "SourceID", "CustomerID", "Detail", "Action"):
        frame[column] = _text(frame[column].to_numpy(object))
    return frame.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Step 6: the sub-ledger against finance's GL
# ---------------------------------------------------------------------------------------------

def ledger_check(bills: pd.DataFrame, payments: pd.DataFrame, gl: pd.DataFrame, settlements: pd.DataFrame,
                 account: str | None = None, lang: str = "zh") -> pd.DataFrame:
    """Per GL period: the sub-ledger's opening, billed, collected and closing receivable against
    finance's, the variance and the items that explain it.

    Sub-ledger: billed = bills of the period (by Period); collected = payments received in the
    period's month; opening = finance's opening of the first period (what was carried over), then
    the previous closing. A variance is explained by an item of exactly its size near the period
    end: a day's settlement or cash deposit, a payment, or a bill (booked in the other period).
    """
    columns = ["Period", "Account", "LedgerOpening", "Billed", "Collected", "LedgerClosing", "GLDebit", "GLCredit",
               "GLClosing", "Variance", "Explained", "Unexplained", "Explanation"]
    if gl is None or not len(gl):
        return pd.DataFrame(columns=columns)
    gl = gl.dropna(subset=["Period"]).sort_values("Period", kind="stable")
    if account:
        gl = gl[gl["Account"].astype(str) == str(account)]
    billed = bills.groupby(bills["Period"].astype(object))["Amount"].sum()
    pay_period = pd.to_datetime(payments["PaidDate"]).dt.strftime("%Y-%m")
    collected = payments["Amount"].astype("Int64").groupby(pay_period).sum()
    rows = []
    opening = None
    for record in gl.groupby("Period", sort=True).agg(
            Account=("Account", "first"), OpeningBalance=("OpeningBalance", "sum"), Debit=("Debit", "sum"),
            Credit=("Credit", "sum"), ClosingBalance=("ClosingBalance", "sum")).reset_index().itertuples():
        period = record.Period
        gl_opening = int(record.OpeningBalance) if pd.notna(record.OpeningBalance) else None
        if opening is None:
            opening = gl_opening or 0
        billed_p = int(billed.get(period, 0))
        collected_p = int(collected.get(period, 0))
        closing = opening + billed_p - collected_p
        variance = int(record.ClosingBalance) - closing
        carried = (gl_opening - opening) if gl_opening is not None else 0
        debit_gap = int(record.Debit) - billed_p if pd.notna(record.Debit) else None
        credit_gap = int(record.Credit) - collected_p if pd.notna(record.Credit) else None
        explanation, explained = _explain(period, variance, carried, debit_gap, credit_gap, bills, payments,
                                          settlements, lang)
        rows.append({
            "Period": period, "Account": record.Account, "LedgerOpening": opening, "Billed": billed_p,
            "Collected": collected_p, "LedgerClosing": closing,
            "GLDebit": int(record.Debit) if pd.notna(record.Debit) else None,
            "GLCredit": int(record.Credit) if pd.notna(record.Credit) else None,
            "GLClosing": int(record.ClosingBalance), "Variance": variance, "Explained": explained,
            "Unexplained": variance - explained, "Explanation": explanation,
        })
        opening = closing
    frame = pd.DataFrame(rows, columns=columns)
    for column in columns[2:12]:
        frame[column] = frame[column].astype("Int64")
    for column in ("Period", "Account", "Explanation"):
        frame[column] = _text(frame[column].to_numpy(object))
    return frame


def _explain(period, variance, carried, debit_gap, credit_gap, bills, payments, settlements,
             lang) -> tuple[str, int]:
    """Name the items behind a variance: a difference carried from the period before, and an item of
    exactly a gap's size dated in the period or within a week of it (booked across periods)."""
    zh = lang == "zh"
    if variance == 0 and not carried and not debit_gap and not credit_gap:
        return ("一致" if zh else "agrees"), 0
    start = np.datetime64(dates.period_start(period), "D")
    end = np.datetime64(dates.period_end(period), "D")

    def near(day):
        return (day >= start - 7) & (day <= end + 7)

    notes, explained = [], 0
    if carried:
        explained += carried
        notes.append(f"上期差异延续 {_yuan(carried)}" if zh else f"{_yuan(carried)} carried from the period before")
    if credit_gap:
        want = abs(credit_gap)
        side = ("财务少记收款" if credit_gap < 0 else "财务多记收款") if zh else \
            ("finance booked less collected" if credit_gap < 0 else "finance booked more collected")
        found = None
        if settlements is not None and len(settlements):
            day = settlements["PayDate"].to_numpy("datetime64[D]")
            gross = settlements["Gross"].astype("Int64").fillna(-1).to_numpy(np.int64)
            hit = np.flatnonzero((gross == want) & near(day))
            if len(hit):
                k = hit[0]
                found = (f"{channel_label(settlements['Channel'].iat[k], lang)} {str(day[k])} "
                         f"{'收款' if zh else 'receipts'} {_yuan(want)}")
        if found is None:
            day = _days(payments["PaidDate"])
            amount = payments["Amount"].astype("Int64").fillna(-1).to_numpy(np.int64)
            hit = np.flatnonzero((amount == want) & near(day))
            if len(hit):
                found = f"{payments['PaymentID'].iat[hit[0]]} {_yuan(want)}"
        if found:
            explained -= credit_gap
            notes.append(f"{side} {_yuan(want)}：{found}，疑为跨期入账" if zh else
                         f"{side} by {_yuan(want)}: {found}, booked in another period?")
        else:
            notes.append(f"{side} {_yuan(want)}，未找到对应项目" if zh else f"{side} by {_yuan(want)}; no item found")
    if debit_gap:
        want = abs(debit_gap)
        side = ("财务少记账单" if debit_gap < 0 else "财务多记账单") if zh else \
            ("finance booked less billed" if debit_gap < 0 else "finance booked more billed")
        amount = bills["Amount"].astype("Int64").fillna(-1).to_numpy(np.int64)
        hit = np.flatnonzero((amount == want) & near(_days(bills["BillDate"])))
        if len(hit):
            explained += debit_gap
            notes.append(f"{side} {_yuan(want)}：账单 {bills['BillID'].iat[hit[0]]}" if zh else
                         f"{side} by {_yuan(want)}: bill {bills['BillID'].iat[hit[0]]}")
        else:
            notes.append(f"{side} {_yuan(want)}，未找到对应账单" if zh else f"{side} by {_yuan(want)}; no bill found")
    return ("；" if zh else "; ").join(notes), explained


# ---------------------------------------------------------------------------------------------
# How good the automatic matches are, against a known truth (the sample data knows it)
# ---------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Quality:
    automatic: int  # automatic or confirmed matches (rows with a bill or a customer)
    correct: int  # of those, the right bill (bill matches) or the right customer (customer matches)
    payments: int  # payments the truth knows
    found: int  # of those, payments with at least one correct automatic match

    @property
    def precision(self) -> float:
        return self.correct / self.automatic if self.automatic else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.payments if self.payments else 1.0


def match_quality(reconciliation: pd.DataFrame, truth: pd.DataFrame, bills: pd.DataFrame) -> Quality:
    """Precision and recall of the automatic matches against `truth` (PaymentID, BillID): a bill
    match is right when the truth pairs that payment with that bill, a customer match when the
    truth's bill belongs to that customer."""
    moved = reconciliation[reconciliation["Status"].isin(MOVES_MONEY) & (reconciliation["Rule"] != "reversal")]
    pairs = set(zip(truth["PaymentID"].tolist(), truth["BillID"].tolist()))
    owner = dict(zip(bills["BillID"].tolist(), bills["CustomerID"].tolist()))
    customers = {(p, owner.get(b)) for p, b in pairs}
    right = [((p, b) in pairs) if isinstance(b, str) else ((p, c) in customers)
             for p, b, c in zip(moved["PaymentID"].tolist(), moved["BillID"].tolist(), moved["CustomerID"].tolist())]
    right = np.array(right, dtype=bool)
    found = set(moved["PaymentID"].to_numpy(object)[right].tolist()) & set(truth["PaymentID"].tolist())
    return Quality(len(moved), int(right.sum()), int(truth["PaymentID"].nunique()), len(found))


def match_by_reference(bills: pd.DataFrame, payments: pd.DataFrame, customers: pd.DataFrame,
                       options: Options = Options(), lang: str = "zh") -> pd.DataFrame:
    """The passes joins alone can do: bill IDs named in the payment (reference), then the customer's
    open bill of exactly the amount (customer_amount). The first two steps of `reconcile`, on their
    own for a quick look and for comparing with an SQL engine doing the same joins.
    Returns PaymentID, BillID, CustomerID, Amount, Rule, Status."""
    receipts = receipts_from(payments, pd.Series(None, index=payments.index, dtype=object), None)
    bills = _matchable(bills, drop_cancelled=False)
    state = _State(receipts, bills, customers, options, lang, explain=False)  # no Reason column returned
    pass_reference(state)
    pass_customer_amount(state)
    m = state.matches
    bill = m["bill"].to_numpy(np.int64)
    return pd.DataFrame({
        "PaymentID": _text(state.ids[m["receipt"].to_numpy(np.int64)]),
        "BillID": _text(np.where(bill >= 0, state.bill_ids_at(np.maximum(bill, 0)), None)),
        "CustomerID": _text(state.customer_ids[m["customer"].to_numpy(np.int64)]),
        "Amount": pd.array(m["amount"].to_numpy(np.int64), dtype="Int64"),
        "Rule": _text(m["rule"].to_numpy(object)),
        "Status": _text(m["status"].to_numpy(object)),
    })
