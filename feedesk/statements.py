"""Statement imports: channel and bank exports into Payments / BankStatement frames.

Officers download a WeChat Pay trade bill, an Alipay 账务明细 or their bank's 交易明细 and
want it in the workbook as it is, without retyping. Those exports are full of traps (BOMs,
GBK, preamble and '#' lines, a backtick before every WeChat cell, a TAB after Alipay ids,
'"3,600.00"', summary rows that look like trades, two-row merged headers in Excel), so this
module reads them by header *name*, through a `Profile` that says which source column feeds
which workbook column and how a row's direction (payment, refund, fee, withdrawal) is told.

`read_statement(path, profile)` gives a frame shaped like the workbook's typed Payments or
BankStatement table (money Int64 fen, dates datetime64[s], text 'str'), indexed by the line
number in the source file, and every problem found as `Problem` records naming that line.
The control totals the exports carry (WeChat summary, Alipay '#…合计', bank 合计/笔数) are
checked against the rows read. Input files are only read, never written.

The core does not import `workbook`: the few column keys and headers needed are repeated
here (tests check they agree with workbook/layout.py).
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime
import gzip
import io
import itertools
import math
import os
import re
import types
import unicodedata
import zipfile
import zlib
from decimal import Decimal

import numpy as np
import pandas as pd

from feedesk import dates, money, problems

__all__ = [
    "BANK_COLUMNS",
    "BUILT_IN_PROFILES",
    "PAYMENTS_COLUMNS",
    "Profile",
    "profiles_from_table",
    "read_statement",
]

# --- the workbook's column keys (repeated from workbook/layout.py; the core does not import it) ---

PAYMENTS_COLUMNS = ("PaymentID", "Channel", "PaidDate", "Amount", "Fee", "CustomerID", "BillID", "PayerName",
                    "Reference", "ChannelTxnID", "Note")
BANK_COLUMNS = ("TxnID", "TxnDate", "Credit", "Debit", "Balance", "CounterpartyName", "CounterpartyAccount",
                "Summary", "Memo")
_COLUMNS = {"payments": PAYMENTS_COLUMNS, "bank": BANK_COLUMNS}
_MONEY_KEYS = {"Amount", "Fee", "Credit", "Debit", "Balance"}
_DATE_KEYS = {"PaidDate", "TxnDate"}
_ID_KEY = {"payments": "PaymentID", "bank": "TxnID"}
_REQUIRED_TARGETS = {"payments": ("PaymentID", "PaidDate", "Amount"), "bank": ("TxnID", "TxnDate", "Credit", "Debit")}
# zh / en headers of the target columns, so a saved profile may name them as the officer sees them.
_TARGET_HEADERS = {
    "payments": {
        "PaymentID": ("收款编号", "Payment ID"), "Channel": ("渠道", "Channel"), "PaidDate": ("收款日期", "Paid on"),
        "Amount": ("金额", "Amount"), "Fee": ("手续费", "Fee"), "CustomerID": ("客户编号", "Customer ID"),
        "BillID": ("账单编号", "Bill ID"), "PayerName": ("付款人", "Payer"),
        "Reference": ("附言/商品名称", "Reference"), "ChannelTxnID": ("渠道流水号", "Channel txn ID"),
        "Note": ("备注", "Note"),
    },
    "bank": {
        "TxnID": ("交易流水号", "Transaction ID"), "TxnDate": ("交易日期", "Date"), "Credit": ("贷方（收入）", "Credit (in)"),
        "Debit": ("借方（支出）", "Debit (out)"), "Balance": ("余额", "Balance"),
        "CounterpartyName": ("对方户名", "Counterparty"), "CounterpartyAccount": ("对方账号", "Counterparty account"),
        "Summary": ("摘要", "Summary"), "Memo": ("附言", "Memo"),
    },
}
_KIND_NAMES = {"payments": ("收款记录", "payments"), "bank": ("银行流水", "bank statement")}
_CHANNEL_NAMES = {"bank": ("银行", "bank"), "wechat": ("微信", "wechat"), "alipay": ("支付宝", "alipay"),
                  "counter": ("柜台", "counter")}
_PROFILES_SHEET = ("导入方案", "Import profiles")
_PROFILES_HEADERS = {"Profile": ("方案名称", "Profile"), "Kind": ("导入到", "Imports into"),
                     "TargetColumn": ("目标列", "Target column"), "SourceColumn": ("来源列", "Source column"),
                     "Encoding": ("编码", "Encoding")}

HEADER_SEARCH_LINES = 30  # the header row must start within this many lines (rows) of the top
TEXT_SEPARATOR = " / "  # between texts of several source columns mapped to one target
FOOTER_STARTS = ("#", "合计", "总计", "人民币合计", "本页合计", "总交易单数", "借方笔数", "贷方笔数", "以上数据",
                 "数据仅供参考", "注：", "注:", "[END")
_TOTAL_LABELS = {"合计", "总计", "人民币合计", "本页合计", "合计金额", "总合计"}


@dataclasses.dataclass(frozen=True)
class Profile:
    """How one kind of export maps onto the workbook.

    mapping: (target column key, source header) pairs, in order. A target may appear more than
        once: its texts are joined (Reference from 商品名称 and 商户数据包). A source may list
        alternatives separated by '|' (the first present in the file is used). Headers are
        compared ignoring spaces, case and full-/half-width forms ('（元）' == '(元)').
    kind: 'payments' (into Payments) or 'bank' (into BankStatement).
    encoding: tried first when decoding a CSV; then utf-8-sig, then gb18030.
    channel: the Channel code written on every payment row ('wechat', 'alipay', 'bank', 'counter').
    type_column: the source column that says what a row is (WeChat 交易状态, Alipay 业务类型);
        payment_types (if given) are the values that are payments, refund_types become negative
        payments, fee_types are fees of the payment with the same ChannelTxnID, skip_types are
        not payments at all (withdrawals 提现, revoked orders).
    outflow: payments profiles with separate in/out columns (Alipay): the money-out column; the
        mapped Amount column is money in. Direction comes from the column, never from a sign.
    refund_mapping: (target, source) pairs used instead of `mapping` on refund rows (WeChat takes
        a refund's amount from 退款金额 and its id from 微信退款单号).
    balance: payments profiles: a running-balance column, read only to check the chain and give
        the opening/closing balance (bank profiles map it to Balance).
    summary: a summary block after the rows (WeChat): (summary header, detail header) pairs;
        '#' as detail header means the number of detail rows.
    footer_starts: a row after the header starting with one of these ends the table.
    """

    name: str
    kind: str
    mapping: tuple[tuple[str, str], ...]
    encoding: str | None = None
    channel: str | None = None
    type_column: str | None = None
    payment_types: tuple[str, ...] = ()
    refund_types: tuple[str, ...] = ()
    fee_types: tuple[str, ...] = ()
    skip_types: tuple[str, ...] = ()
    outflow: str | None = None
    refund_mapping: tuple[tuple[str, str], ...] = ()
    balance: str | None = None
    summary: tuple[tuple[str, str], ...] = ()
    footer_starts: tuple[str, ...] = FOOTER_STARTS

    def sources(self, target: str) -> tuple[str, ...]:
        return tuple(source for key, source in self.mapping if key == target)


WECHAT = Profile(
    name="wechat",
    kind="payments",
    channel="wechat",
    encoding="utf-8-sig",
    mapping=(
        ("PaymentID", "微信订单号"),
        ("PaidDate", "交易时间"),
        ("Amount", "应结订单金额|总金额"),  # net of 免充值券; the legacy 24-column layout calls it 总金额
        ("Fee", "手续费"),
        ("PayerName", "用户标识"),
        ("Reference", "商品名称"),
        ("Reference", "商户数据包"),
        ("ChannelTxnID", "微信订单号"),
        ("Note", "商户订单号"),
    ),
    type_column="交易状态",
    payment_types=("SUCCESS",),
    refund_types=("REFUND",),
    skip_types=("REVOKED",),
    refund_mapping=(("PaymentID", "微信退款单号"), ("Amount", "退款金额"), ("Note", "商户订单号"),
                    ("Note", "商户退款单号")),
    summary=(("总交易单数", "#"), ("应结订单总金额", "应结订单金额"), ("总交易额", "总金额"), ("退款总金额", "退款金额"),
             ("总退款金额", "退款金额"), ("手续费总金额", "手续费"), ("订单总金额", "订单金额"),
             ("申请退款总金额", "申请退款金额"), ("充值券退款总金额", "充值券退款金额")),
)

ALIPAY = Profile(
    name="alipay",
    kind="payments",
    channel="alipay",
    encoding="gbk",
    mapping=(
        ("PaymentID", "账务流水号"),  # unique per row; 业务流水号 is shared by a payment, its fee and its refund
        ("PaidDate", "发生时间"),
        ("Amount", "收入金额（+元）"),
        ("PayerName", "对方账号"),
        ("Reference", "商品名称"),
        ("Reference", "备注"),
        ("ChannelTxnID", "业务流水号"),
        ("Note", "商户订单号"),
    ),
    type_column="业务类型",
    refund_types=("交易退款",),
    fee_types=("收费",),
    skip_types=("提现",),
    outflow="支出金额（-元）",
    balance="账户余额（元）",
)

BANK_GENERIC = Profile(
    name="bank_generic",
    kind="bank",
    channel="bank",
    encoding="gbk",
    mapping=(
        ("TxnID", "交易流水号"),
        ("TxnDate", "交易日期"),
        ("Credit", "贷方发生额（收入）|贷方发生额"),
        ("Debit", "借方发生额（支取）|借方发生额"),
        ("Balance", "余额"),
        ("CounterpartyName", "对方户名"),
        ("CounterpartyAccount", "对方账号"),
        ("Summary", "摘要"),
        ("Memo", "附言"),
    ),
)

# A saved payments profile with a new name starts from this: FeeDesk's own Payments headers.
_PAYMENTS_BASE = Profile(
    name="payments",
    kind="payments",
    mapping=tuple((key, headers[0]) for key, headers in _TARGET_HEADERS["payments"].items() if key != "Channel"),
)

BUILT_IN_PROFILES: types.MappingProxyType[str, Profile] = types.MappingProxyType(
    {p.name: p for p in (WECHAT, ALIPAY, BANK_GENERIC)})


# ---------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------


_PADDING = " \t\r\n"


def _clean(value):
    """One cell as the export meant it: no padding TABs/spaces, no leading backtick, no ="…" wrapper."""
    if value.__class__ is str and value:  # fast paths: most cells are clean, or just '`' + clean text
        first = value[0]
        if first == "`":
            if len(value) == 1:
                return ""
            if value[1] not in _PADDING and value[-1] not in _PADDING:
                return value[1:]
        elif first not in _PADDING and first != "=" and value[-1] not in _PADDING:
            return value
    if value is None:
        return ""
    if value.__class__ is not str:
        if isinstance(value, float) and math.isnan(value):
            return ""
        return value
    text = value.strip(" \t\r\n")
    if text.startswith('="') and text.endswith('"') and len(text) >= 3:
        text = text[2:-1]
    if text.startswith("`"):
        text = text[1:].strip(" \t")
    return text


def _norm(text) -> str:
    """Header spelling for comparison: NFKC (full-width forms), no spaces, lower case."""
    text = unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "")
    return "".join(text.split()).strip("`#").lower()


def _flat(text) -> str:
    """Footer spelling: NFKC, no spaces, lower case ('#' kept: it starts Alipay's footer lines)."""
    return "".join(unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "").split()).lower()


def _blank(value) -> bool:
    return value is None or value == ""


_NO_AMOUNT = {"-", "--", "—", "——"}
_MAX_YUAN = Decimal(10) ** 13  # as workbook.tables.MAX_AMOUNT: beyond it a cell is a typo, not money
_EMPTYISH = frozenset({"", "`", "\t", " ", "`\t", None})  # raw cells that are certainly blank


def _amount(value) -> Decimal | None:
    """Exact yuan from a cell (number, '¥1,234.56', full-width digits); None when blank."""
    if value is None or value == "":
        return None
    if isinstance(value, (datetime.date, datetime.time, datetime.timedelta, bool)):
        raise TypeError(f"a date or a boolean is not an amount: {value!r}")
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        text = text.replace("−", "-").replace("元", "").replace("RMB", "").replace("CNY", "").strip()
        if text in _NO_AMOUNT:
            return None
        amount = money.to_decimal(text)
    else:
        amount = money.to_decimal(value)
    if abs(amount) >= _MAX_YUAN:
        raise ValueError(f"far too large to be money: {value!r}")
    return amount


_TIME_TAIL = re.compile(r"^(.*?\d)\s*[ T]\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")
_GLUED_TIME = re.compile(r"^(\d{4}-\d{1,2}-\d{2})(\d{1,2}:\d{2}(?::\d{2})?)$")


def _date(value) -> datetime.date | None:
    """A date from 'yyyy-MM-dd HH:mm:ss', YYYYMMDD text, an Excel date or serial; None when blank."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, bool):
        raise dates.DateTextError(str(value))
    if isinstance(value, (int, float)):
        return dates.number_to_date(value)
    text = dates.normalise_text(str(value))  # full-width digits and colons too
    try:
        return dates.parse_date_text(text)
    except dates.DateTextError:
        # '20260410 17:07:09' (CCB corporate), '2014-11-1016:33:45' (old WeChat examples)
        match = _TIME_TAIL.match(text) or _GLUED_TIME.match(text)
        if not match:
            raise
        return dates.parse_date_text(match[1])


def _text(value) -> str | None:
    """Ids and texts exactly as written (numbers Excel stored as numbers become their digits)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def _fen(amount: Decimal) -> int:
    return money.yuan_to_fen(amount)


def _yuan_text(amount: Decimal) -> str:
    return money.format_yuan(_fen(amount), symbol="") if amount == amount.quantize(Decimal("0.01")) \
        else f"{amount:,}"


# ---------------------------------------------------------------------------
# Opening the file: CSV (any encoding), zip of CSV, gzip, XLSX / XLS
# ---------------------------------------------------------------------------


@dataclasses.dataclass
class _Source:
    """One table-like thing in the file: where it came from and its rows as (line, cells)."""

    sheet: str
    rows: object  # iterator of (line number, list of raw cells)
    encoding: str | None = None
    repair_backticks: bool = False


class _Unreadable(Exception):
    pass


def _encodings(profile: Profile, data: bytes) -> list[str]:
    order = []
    if data.startswith(codecs.BOM_UTF8):
        order.append("utf-8-sig")
    for name in (profile.encoding, "utf-8-sig", "gb18030"):
        if name:
            try:
                canonical = codecs.lookup(name).name
            except LookupError:
                continue
            if canonical not in [codecs.lookup(n).name for n in order]:
                order.append(name)
    return order


def _csv_rows(text: str):
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


def _csv_sources(data: bytes, sheet: str, profile: Profile):
    """The CSV decoded with each candidate encoding in turn (the first whose header is found wins)."""
    for encoding in _encodings(profile, data):
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if "\x00" in text[:4096]:
            continue  # UTF-16 or binary: not a text statement we know
        yield _Source(sheet, _csv_rows(text), encoding, repair_backticks=True)


def _zip_entry_name(info: zipfile.ZipInfo) -> str:
    """Entry names without the UTF-8 flag are GBK in Chinese exports; zipfile reads them as cp437."""
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437")
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _excel_sources(data: bytes, sheet: str):
    try:
        import python_calamine
    except ImportError as error:  # pragma: no cover - a dependency of FeeDesk
        raise _Unreadable(str(error)) from None
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(book.sheet_names)
    except Exception as error:  # noqa: BLE001 - calamine raises its own error types for damaged files
        raise _Unreadable(str(error)) from None
    for name in names:
        try:
            values = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception:  # noqa: BLE001, S112 - a chart sheet or a damaged sheet: try the next one
            continue
        label = sheet if len(names) == 1 else f"{sheet} › {name}"
        yield _Source(label, ((number, list(row)) for number, row in enumerate(values, start=1)))


def _sources(path: str, data: bytes, profile: Profile):
    sheet = os.path.basename(path)
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise _Unreadable(str(error)) from None
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            names = archive.namelist()
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:  # a damaged directory, a bad name
            raise _Unreadable(str(error)) from None
        if "[Content_Types].xml" in names:  # an Excel workbook (xlsx/xlsm)
            yield from _excel_sources(data, sheet)
            return
        entries = [info for info in archive.infolist() if not info.is_dir()]
        named = [(info, _zip_entry_name(info)) for info in entries]
        tables = [(i, n) for i, n in named if n.lower().endswith((".csv", ".txt")) and "汇总" not in n]
        tables += [(i, n) for i, n in named if n.lower().endswith((".xlsx", ".xls")) and "汇总" not in n]
        if not tables:
            raise _Unreadable("zip: no CSV inside / 压缩包里没有 CSV 文件")
        for info, name in tables:
            try:
                inner = archive.read(info)
            except (zipfile.BadZipFile, RuntimeError, OSError, EOFError, NotImplementedError, zlib.error) as error:
                raise _Unreadable(str(error)) from None  # damaged, encrypted or an unknown compression
            label = f"{sheet} › {os.path.basename(name)}"
            if name.lower().endswith((".xlsx", ".xls")):
                yield from _excel_sources(inner, label)
            else:
                yield from _csv_sources(inner, label, profile)
        return
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # legacy .xls
        yield from _excel_sources(data, sheet)
        return
    yield from _csv_sources(data, sheet, profile)


# ---------------------------------------------------------------------------
# Finding the header
# ---------------------------------------------------------------------------


def _alternatives(source: str) -> tuple[str, ...]:
    return tuple(_norm(part) for part in source.split("|") if part.strip())


def _required_sources(profile: Profile) -> list[str]:
    wanted = _REQUIRED_TARGETS[profile.kind]
    required = [source for key, source in profile.mapping if key in wanted]
    required += [source for key, source in profile.refund_mapping if key in ("PaymentID", "Amount")]
    required += [s for s in (profile.type_column, profile.outflow) if s]
    return list(dict.fromkeys(required))


def _all_sources(profile: Profile) -> list[str]:
    found = [source for _key, source in profile.mapping + profile.refund_mapping]
    found += [s for s in (profile.type_column, profile.outflow, profile.balance) if s]
    return list(dict.fromkeys(found))


def _locate(header_norm: list[str], source: str) -> int | None:
    for alternative in _alternatives(source):
        if alternative in header_norm:
            return header_norm.index(alternative)
    return None


def _combined(upper: list, lower: list) -> list:
    """Two header rows read as one: the lower text where there is one (the upper is a group label
    such as 发生额 over 借方/贷方), else the upper (headings merged down over both rows)."""
    width = max(len(upper), len(lower))
    upper = list(upper) + [""] * (width - len(upper))
    lower = list(lower) + [""] * (width - len(lower))
    return [low if not _blank(low) else up for up, low in zip(upper, lower)]


@dataclasses.dataclass
class _Header:
    at: int  # index in the first lines of the header's (last) row
    texts: list[str]
    norms: list[str]
    positions: dict[str, int]  # source spec -> column index


def _find_header(first: list[tuple[int, list]], profile: Profile) -> tuple[_Header | None, list[str]]:
    """The row (or two merged rows) holding every required header; else the required headers missing
    from the closest candidate."""
    required = _required_sources(profile)
    sources = _all_sources(profile)
    best: tuple[int, int] | None = None
    best_missing = required
    chosen: _Header | None = None
    for index, (_line, cells) in enumerate(first):
        candidates = [(index, [_text(_clean(c)) or "" for c in cells])]
        if index + 1 < len(first):
            lower = [_text(_clean(c)) or "" for c in first[index + 1][1]]
            candidates.append((index + 1, _combined(candidates[0][1], lower)))
        for at, texts in candidates:
            norms = [_norm(t) for t in texts]
            positions = {s: p for s in sources if (p := _locate(norms, s)) is not None}
            missing = [s for s in required if s not in positions]
            score = (len(required) - len(missing), len(positions))
            if best is None or score > best:
                best, best_missing = score, missing
                if not missing:
                    chosen = _Header(at, texts, norms, positions)
    return chosen, best_missing


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


def read_statement(path, profile: Profile, lang: str = "zh") -> tuple[pd.DataFrame, tuple[problems.Problem, ...]]:
    """Read one statement export into a Payments- or BankStatement-shaped frame.

    Returns the frame (index: line number in the file, 1-based; typed like the workbook's
    tables) and every problem found. Nothing is raised for bad input and the file is only read.
    `frame.attrs["statement"]` holds what else was learnt: the encoding, header line, preamble
    info (账号 …), rows skipped (withdrawals, fees folded into payments), the control totals
    compared, and the opening/closing balance when the export has a running balance.
    """
    path = os.fspath(path)
    sheet = os.path.basename(path)
    if profile.kind not in _COLUMNS:
        raise ValueError(f"profile kind must be 'payments' or 'bank', got {profile.kind!r}")
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return _empty(profile.kind), (problems.make("file_missing", lang, sheet=sheet, file=path),)
    except OSError as error:
        why = error.strerror or str(error)
        return _empty(profile.kind), (problems.make("statement_unreadable", lang, sheet=sheet, file=sheet, why=why),)

    missing: list[str] | None = None
    try:
        for source in _sources(path, data, profile):
            first = list(itertools.islice(source.rows, HEADER_SEARCH_LINES + 1))
            header, lacking = _find_header(first, profile)
            if header is None:
                if missing is None or len(lacking) < len(missing):
                    missing = lacking
                continue
            reader = _Reader(profile, lang, source, header, first)
            return reader.read()
    except _Unreadable as error:
        return _empty(profile.kind), (problems.make("statement_unreadable", lang, sheet=sheet, file=sheet,
                                                    why=str(error)),)
    if missing is None:
        return _empty(profile.kind), (problems.make("statement_unreadable", lang, sheet=sheet, file=sheet,
                                                    why="不是文本或 Excel 文件" if lang == "zh"
                                                    else "not a text or Excel file"),)
    joiner = " 或 " if lang == "zh" else " or "
    shown = "、".join("“" + joiner.join(s.split("|")) + "”" for s in missing) if lang == "zh" else \
        ", ".join("'" + joiner.join(s.split("|")) + "'" for s in missing)
    return _empty(profile.kind), (problems.make("statement_wrong_kind", lang, sheet=sheet, file=sheet,
                                                profile=profile.name, missing=shown),)


def _empty(kind: str) -> pd.DataFrame:
    return _frame(kind, {key: [] for key in _COLUMNS[kind]}, [])


def _frame(kind: str, columns: dict[str, list], lines: list[int]) -> pd.DataFrame:
    data = {}
    for key in _COLUMNS[kind]:
        values = columns.get(key) or [None] * len(lines)
        if key in _MONEY_KEYS:
            data[key] = pd.array(values, dtype="Int64")
        elif key in _DATE_KEYS:
            data[key] = np.array([np.datetime64(v, "s") if v is not None else np.datetime64("NaT", "s")
                                  for v in values], dtype="datetime64[s]")
        else:
            data[key] = pd.array(values, dtype="str")
    frame = pd.DataFrame(data, index=pd.Index(np.array(lines, dtype=np.int64), name="row"))
    return frame


class _Reader:
    """Reads the rows under a found header, then the footer's control totals."""

    def __init__(self, profile: Profile, lang: str, source: _Source, header: _Header, first: list):
        self.profile = profile
        self.lang = lang
        self.sheet = source.sheet
        self.source = source
        self.header = header
        self.first = first
        self.found: list[problems.Problem] = []
        self.amount_cache: dict = {}
        self.info: dict[str, str] = {}
        self.skipped: list[dict] = []
        self.controls: list[dict] = []
        self.bad_lines: set[int] = set()  # lines with an amount that could not be read
        self.plans: dict = {}
        self.fen_cache: dict[Decimal, int] = {}

    # -- helpers ---------------------------------------------------------------------------

    def problem(self, code: str, line: int | None, column: str = "", value: object = "",
                severity: str = problems.ERROR, **params) -> None:
        self.found.append(problems.make(code, self.lang, sheet=self.sheet, row=line, column=column, value=value,
                                        severity=severity, **params))

    def column_name(self, source: str) -> str:
        at = self.header.positions.get(source)
        return self.header.texts[at] if at is not None else source.split("|")[0]

    def cell(self, cells: list, source: str | None):
        if not source:
            return None
        at = self.header.positions.get(source)
        if at is None or at >= len(cells):
            return None
        return cells[at]

    def amount(self, cells, source, line, report=True) -> Decimal | None:
        return self.amount_of(self.cell(cells, source), source, line, report)

    def amount_of(self, value, source, line, report=True) -> Decimal | None:
        if _blank(value):
            return None
        key = (value.__class__, value)
        try:
            cached = self.amount_cache[key]
        except (KeyError, TypeError):
            try:
                cached = _amount(value)
            except (ValueError, TypeError, ArithmeticError):
                cached = ValueError
            try:
                self.amount_cache[key] = cached
            except TypeError:
                pass
        if cached is ValueError:
            self.bad_lines.add(line)
            if report:
                self.problem("statement_bad_amount", line, self.column_name(source), value)
            return None
        return cached

    def date(self, cells, source, line) -> datetime.date | None:
        value = self.cell(cells, source)
        try:
            return _date(value)
        except (dates.DateTextError, ValueError, TypeError, OverflowError):
            self.problem("statement_bad_date", line, self.column_name(source), value)
            return None

    def text(self, cells, source, line) -> str | None:
        value = self.cell(cells, source)
        if isinstance(value, float) and abs(value) >= 1e15 and source in self.id_sources:
            self.problem("statement_id_as_number", line, self.column_name(source), _text(value),
                         severity=problems.WARNING)
        return _text(value)

    def joined(self, cells, sources, line) -> str | None:
        parts = [t for s in sources if (t := self.text(cells, s, line))]
        return TEXT_SEPARATOR.join(parts) if parts else None

    # -- the table ---------------------------------------------------------------------------

    def rows(self):
        """(line, cells) of the detail rows; the footer rows (from the first footer line) are kept aside."""
        header = self.header
        width = len(header.texts)
        starts = tuple(_flat(s) for s in self.profile.footer_starts)
        self.footer: list[tuple[int, list]] = []
        self.preamble(self.first[:header.at - (1 if self.two_rows else 0)])
        rest = itertools.chain(self.first[header.at + 1:], self.source.rows)
        # Only the cells the profile reads are cleaned (and the first, for footers): a WeChat bill has
        # 27 columns and hundreds of thousands of rows.
        used = sorted({0, *header.positions.values()})
        for line, raw in rest:
            if len(raw) > width and self.source.repair_backticks:
                raw = self.repaired(raw, width) or raw
            present = [c for c in raw if c not in _EMPTYISH]
            if not present or not any(not _blank(_clean(c)) for c in present):
                continue
            cells = list(raw)
            for at in used:
                if at < len(cells):
                    cells[at] = _clean(cells[at])
            first_text = _flat(_text(cells[0]) or "") if cells else ""
            if first_text and (first_text.startswith(starts) or first_text in _TOTAL_LABELS):
                self.footer.append((line, [_clean(c) for c in raw]))
                self.footer.extend((n, [_clean(c) for c in r]) for n, r in rest)
                return
            if len(present) == 1 and len(self.header.positions) > 1:
                self.skipped.append({"line": line, "why": "note", "text": _text(_clean(present[0]))})
                continue
            if any(not _blank(_clean(c)) for c in raw[width:]):
                self.problem("statement_bad_row", line, "", "", fields=len(raw), expected=width)
                continue
            yield line, cells

    @property
    def two_rows(self) -> bool:
        at = self.header.at
        return at > 0 and [_text(_clean(c)) or "" for c in self.first[at][1]] != self.header.texts

    @staticmethod
    def repaired(raw: list, width: int) -> list | None:
        """WeChat writes every field with a leading backtick and no quoting: a comma inside
        商品名称 splits it; pieces without a backtick belong to the field before."""
        if sum(1 for c in raw if str(c).startswith("`")) < width - 1:
            return None
        merged: list[str] = []
        for piece in raw:
            if str(piece).startswith("`") or not merged:
                merged.append(piece)
            else:
                merged[-1] = merged[-1] + "," + piece
        return merged if len(merged) <= width else None

    def preamble(self, lines) -> None:
        """Label/value lines above the header (账　　号：, #账号：[…]) into attrs['info']."""
        for _line, raw in lines:
            cells = [_text(_clean(c)) or "" for c in raw]
            present = [c for c in cells if c]
            if len(present) >= 2 and present[0].rstrip().endswith(("：", ":")):
                self.info[_norm(present[0]).rstrip(":")] = present[1]
            elif len(present) == 1:
                for label, value in re.findall(r"#?\s*([^#：:\[\]]+?)\s*[：:]\s*\[([^\]]*)\]", present[0]):
                    self.info[_norm(label)] = value

    def read(self) -> tuple[pd.DataFrame, tuple[problems.Problem, ...]]:
        profile = self.profile
        id_key = _ID_KEY[profile.kind]
        self.id_sources = set(profile.sources(id_key)) | set(profile.sources("ChannelTxnID")) | \
            {s for k, s in profile.refund_mapping if k == "PaymentID"} | \
            set(profile.sources("CounterpartyAccount"))
        warned: set[str] = set()
        for key, source in profile.mapping:
            if source not in self.header.positions and source not in warned:
                warned.add(source)
                self.problem("statement_column_missing", None, source.split("|")[0], severity=problems.WARNING,
                             profile=profile.name, target=_TARGET_HEADERS[profile.kind][key][0 if self.lang == "zh"
                                                                                                else 1])
        self.detail: list[tuple[int, list]] = []
        if profile.kind == "bank":
            columns, lines = self.bank_rows()
        else:
            columns, lines = self.payment_rows()
        frame = _frame(profile.kind, columns, lines)
        if not lines:
            self.problem("statement_no_rows", None, severity=problems.WARNING, file=self.sheet)
        self.duplicates(frame, id_key)
        self.check_footer()
        balances = self.balance_chain()
        frame.attrs["statement"] = {
            "file": self.sheet,
            "profile": profile.name,
            "encoding": self.source.encoding,
            "header_line": self.first[self.header.at][0],
            "detail_rows": len(self.detail),
            "info": dict(self.info),
            "skipped": list(self.skipped),
            "controls": list(self.controls),
            **balances,
        }
        return frame, tuple(self.found)

    # -- bank --------------------------------------------------------------------------------

    def bank_rows(self):
        profile = self.profile
        out = {key: [] for key in BANK_COLUMNS}
        lines = []
        for line, cells in self.rows():
            self.detail.append((line, cells))
            record = {}
            for key in BANK_COLUMNS:
                sources = profile.sources(key)
                if not sources:
                    record[key] = None
                elif key in _MONEY_KEYS:
                    value = self.amount(cells, sources[0], line)
                    record[key] = None if value is None else self.fen(value)
                elif key in _DATE_KEYS:
                    record[key] = self.date(cells, sources[0], line)
                else:
                    record[key] = self.joined(cells, sources, line)
            self.require(record, line, cells, ("TxnID", "TxnDate"))
            for key in BANK_COLUMNS:
                out[key].append(record[key])
            lines.append(line)
        return out, lines

    def require(self, record, line, cells, keys) -> None:
        """A blank id or date is reported (a bad one was reported already)."""
        for key in keys:
            sources = self.profile.sources(key)
            if record.get(key) is None and sources and _blank(self.cell(cells, sources[0])):
                self.problem("statement_blank", line, self.column_name(sources[0]))

    # -- payments ----------------------------------------------------------------------------

    def payment_rows(self):
        profile = self.profile
        kinds = {t.strip().lower() for t in profile.payment_types}
        refunds = {t.strip().lower() for t in profile.refund_types}
        fees = {t.strip().lower() for t in profile.fee_types}
        skips = {t.strip().lower() for t in profile.skip_types}
        amount_source = (profile.sources("Amount") or (None,))[0]
        records: list[dict] = []
        fee_rows: list[tuple[int, list, Decimal]] = []
        for line, cells in self.rows():
            self.detail.append((line, cells))
            kind = (_text(self.cell(cells, profile.type_column)) or "").strip()
            folded = kind.lower()
            if folded in skips:
                self.skipped.append({"line": line, "why": kind, "text": kind})
                continue
            if folded in fees:
                value = self.amount(cells, profile.outflow, line) if profile.outflow else None
                if value is None or value == 0:
                    value = self.amount(cells, amount_source, line)
                fee_rows.append((line, cells, abs(value) if value is not None else None))
                continue
            is_refund = folded in refunds if profile.type_column else False
            mapping = profile.mapping
            if not is_refund and profile.type_column and kinds and folded not in kinds:
                self.not_a_payment(line, kind)
                continue
            if not is_refund and profile.outflow:
                inflow = self.amount(cells, amount_source, line, report=False)
                outflow = self.amount(cells, profile.outflow, line, report=False)
                if (inflow is None or inflow == 0) and outflow:
                    if profile.type_column:  # money out that is neither a refund nor a fee
                        self.not_a_payment(line, kind)
                        continue
                    is_refund = True
            if is_refund:
                overrides = {key for key, _s in profile.refund_mapping}
                mapping = tuple(m for m in profile.mapping if m[0] not in overrides) + profile.refund_mapping
            records.append(self.payment(line, cells, mapping, is_refund))
        self.link_fees(records, fee_rows)
        out = {key: [r.get(key) for r in records] for key in PAYMENTS_COLUMNS}
        return out, [r["line"] for r in records]

    def not_a_payment(self, line, kind) -> None:
        self.problem("statement_row_skipped", line, self.column_name(self.profile.type_column), kind,
                     severity=problems.WARNING)
        self.skipped.append({"line": line, "why": kind, "text": kind})

    def plan(self, mapping, is_refund) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """(target, sources) in order, worked out once per mapping rather than once per row."""
        cached = self.plans.get((mapping, is_refund))
        if cached is None:
            by_key: dict[str, list[str]] = {}
            for key, source in mapping:
                if key != "Channel":
                    by_key.setdefault(key, []).append(source)
            if is_refund and "Amount" not in dict(self.profile.refund_mapping) and self.profile.outflow:
                by_key["Amount"] = [self.profile.outflow]  # Alipay: a refund's amount is in the 支出 column
            cached = self.plans[(mapping, is_refund)] = tuple((k, tuple(v)) for k, v in by_key.items())
        return cached

    def payment(self, line, cells, mapping, is_refund) -> dict:
        record: dict = {"line": line, "Channel": self.profile.channel}
        for key, sources in self.plan(mapping, is_refund):
            if key in _MONEY_KEYS:
                value = self.amount(cells, sources[0], line)
                if value is not None and key == "Amount" and is_refund:
                    value = -abs(value)
                record[key] = None if value is None else self.fen(value)
            elif key in _DATE_KEYS:
                record[key] = self.date(cells, sources[0], line)
            elif len(sources) == 1:
                record[key] = self.text(cells, sources[0], line)
            else:
                record[key] = self.joined(cells, sources, line)
            if record[key] is None and key in ("PaymentID", "PaidDate", "Amount") \
                    and _blank(self.cell(cells, sources[0])):
                self.problem("statement_blank", line, self.column_name(sources[0]))
        return record

    def fen(self, amount: Decimal) -> int:
        try:
            return self.fen_cache[amount]
        except KeyError:
            fen = self.fen_cache[amount] = _fen(amount)
            return fen

    def link_fees(self, records: list[dict], fee_rows) -> None:
        """Fee rows (Alipay 收费) become the Fee of the payment with the same ChannelTxnID."""
        if not fee_rows:
            return
        link_source = (self.profile.sources("ChannelTxnID") or (None,))[0]
        payments_by_txn: dict[str, dict] = {}
        for record in records:
            txn = record.get("ChannelTxnID")
            if txn and (record.get("Amount") or 0) > 0:
                payments_by_txn.setdefault(txn, record)
        for line, cells, fee in fee_rows:
            if fee is None:
                continue
            txn = _text(self.cell(cells, link_source))
            target = payments_by_txn.get(txn) if txn else None
            if target is None:  # 备注 '服务费[2026…]' names the trade too
                for value in cells:
                    for bracketed in re.findall(r"\[([0-9A-Za-z_-]+)\]", str(value)):
                        target = target or payments_by_txn.get(bracketed)
            if target is None:
                self.problem("statement_fee_unlinked", line, self.column_name(link_source) if link_source else "",
                             txn or "", severity=problems.WARNING, amount=_yuan_text(fee))
                self.skipped.append({"line": line, "why": "fee", "text": txn})
                continue
            target["Fee"] = (target.get("Fee") or 0) + _fen(fee)
            self.skipped.append({"line": line, "why": "fee", "text": txn, "payment_line": target["line"]})

    # -- checks ------------------------------------------------------------------------------

    def duplicates(self, frame: pd.DataFrame, id_key: str) -> None:
        ids = frame[id_key].dropna()
        repeated = ids[ids.duplicated(keep=False)]
        if repeated.empty:
            return
        first_line: dict[str, int] = {}
        sources = self.profile.sources(id_key)
        column = self.column_name(sources[0]) if sources else id_key
        for line, value in repeated.items():
            if value not in first_line:
                first_line[value] = int(line)
            else:
                self.problem("statement_duplicate_id", int(line), column, value, first_row=first_line[value])

    def column_total(self, source: str) -> tuple[Decimal, int]:
        """Sum and count of non-zero values of a source column over every detail row."""
        total, count = Decimal(0), 0
        for line, cells in self.detail:
            value = self.amount(cells, source, line, report=False)
            if value:
                total += value
                count += 1
        return total, count

    def compare(self, line: int, label: str, stated, parsed, is_count: bool = False, absolute: bool = False):
        ok = abs(stated) == abs(parsed) if absolute else stated == parsed
        self.controls.append({"line": line, "label": label, "stated": stated, "parsed": parsed, "ok": ok})
        if ok:
            return
        if is_count:
            shown, parsed_shown, difference = str(stated), str(parsed), str(abs(stated - parsed))
        else:
            shown, parsed_shown = _yuan_text(stated), _yuan_text(parsed)
            difference = _yuan_text(abs(abs(stated) - abs(parsed)) if absolute else abs(stated - parsed))
        self.problem("statement_total_mismatch", line, label, shown, parsed=parsed_shown, difference=difference)

    def sides(self) -> dict[str, str | None]:
        if self.profile.kind == "bank":
            return {"in": (self.profile.sources("Credit") or (None,))[0],
                    "out": (self.profile.sources("Debit") or (None,))[0]}
        if self.profile.outflow:
            return {"in": (self.profile.sources("Amount") or (None,))[0], "out": self.profile.outflow}
        return {"in": None, "out": None}

    _COUNT_LINE = re.compile(r"(借方|贷方|支出|收入)\s*(?:合计|总笔数|笔数)\s*:\s*([0-9,]+)\s*笔?"
                             r"(?:\s*,?\s*共\s*([-+]?[0-9,]*\.?[0-9]+)\s*元?)?")

    def check_footer(self) -> None:
        footer = getattr(self, "footer", [])
        summary = {_norm(header): detail for header, detail in self.profile.summary}
        sides = self.sides()
        money_sources = [s for k, s in self.profile.mapping if k in _MONEY_KEYS] + \
            ([self.profile.outflow] if self.profile.outflow else [])
        for index, (line, cells) in enumerate(footer):
            texts = [_text(c) or "" for c in cells]
            norms = [_norm(t) for t in texts]
            # WeChat: a summary header line, its values on the next line.
            if summary and any(n in summary for n in norms) and index + 1 < len(footer):
                values_line, values = footer[index + 1]
                for position, name in enumerate(norms):
                    if name not in summary or position >= len(values):
                        continue
                    try:
                        stated = _amount(values[position])
                    except (ValueError, TypeError, ArithmeticError):
                        stated = None
                    if stated is None:
                        continue
                    detail = summary[name]
                    if detail == "#":
                        self.compare(values_line, texts[position], int(stated), len(self.detail), is_count=True)
                        continue
                    at = _locate(self.header.norms, detail)
                    if at is None:
                        continue
                    total = Decimal(0)
                    for row_line, row in self.detail:
                        if at < len(row):
                            total += self.amount_of(_clean(row[at]), detail, row_line, report=False) or 0
                    self.compare(values_line, texts[position], stated, total)
                continue
            # Bank: a 合计 row with the totals under the amount columns.
            present = [t for t in texts if t]
            if present and _norm(present[0]) in _TOTAL_LABELS:
                for source in dict.fromkeys(money_sources):
                    at = self.header.positions.get(source)
                    if at is None or at >= len(cells):
                        continue
                    try:
                        stated = _amount(cells[at])
                    except (ValueError, TypeError, ArithmeticError):
                        continue
                    if stated is not None:
                        self.compare(line, f"{present[0]} {self.column_name(source)}", stated,
                                     self.column_total(source)[0], absolute=source == sides["out"])
                continue
            # '借方笔数：4，贷方笔数：11', '#支出合计：7笔，共-2787.26元'.
            joined = unicodedata.normalize("NFKC", ",".join(t for t in texts if t)).lstrip("#")
            for match in self._COUNT_LINE.finditer(joined):
                side = "out" if match[1] in ("借方", "支出") else "in"
                source = sides[side]
                if not source or source not in self.header.positions:
                    continue
                total, count = self.column_total(source)
                label = match[0].split(":")[0].strip()
                self.compare(line, label, int(match[2].replace(",", "")), count, is_count=True)
                if match[3]:
                    self.compare(line, label, money.to_decimal(match[3]), total, absolute=side == "out")

    def balance_chain(self) -> dict:
        """Opening and closing balance, and a warning wherever a balance does not follow from the
        one before (a missing or changed line). Rows may run oldest or newest first."""
        profile = self.profile
        balance_source = (profile.sources("Balance") or (None,))[0] if profile.kind == "bank" else profile.balance
        if not balance_source or balance_source not in self.header.positions or not self.detail:
            return {}
        sides = self.sides()
        date_source = (profile.sources("TxnDate" if profile.kind == "bank" else "PaidDate") or (None,))[0]
        chain = []
        for line, cells in self.detail:
            balance = self.amount(cells, balance_source, line, report=False)
            if balance is None:
                continue
            if sides["in"] or sides["out"]:
                inflow = self.amount(cells, sides["in"], line, report=False) or Decimal(0)
                outflow = self.amount(cells, sides["out"], line, report=False) or Decimal(0)
                net = abs(inflow) - abs(outflow)
            else:
                net = self.amount(cells, (profile.sources("Amount") or (None,))[0], line, report=False) or Decimal(0)
            try:
                day = _date(self.cell(cells, date_source))
            except (dates.DateTextError, ValueError, OverflowError):
                day = None
            chain.append((line, day, net, balance))
        if not chain:
            return {}
        # Newest first (Alipay) or oldest first (banks): the order in which more balances follow.
        def links(rows):
            return sum(1 for before, after in itertools.pairwise(rows) if before[3] + after[2] == after[3])

        backwards = chain[::-1]
        if links(backwards) > links(chain) or (links(backwards) == links(chain) and len(chain) > 1
                                               and chain[0][1] and chain[-1][1] and chain[0][1] > chain[-1][1]):
            chain = backwards
        for previous, current in itertools.pairwise(chain):
            expected = previous[3] + current[2]
            if expected != current[3] and current[0] not in self.bad_lines:
                self.problem("statement_balance_break", current[0], self.column_name(balance_source),
                             _yuan_text(current[3]), severity=problems.WARNING, expected=_yuan_text(expected))
        opening = chain[0][3] - chain[0][2]
        closing = chain[-1][3]
        return {"opening_balance": _fen(opening), "closing_balance": _fen(closing)}


# ---------------------------------------------------------------------------
# Saved profiles (the ImportProfiles table)
# ---------------------------------------------------------------------------


def _lookup_target(kind: str, text: str) -> str | None:
    wanted = _norm(text)
    for key, (zh, en) in _TARGET_HEADERS[kind].items():
        if wanted in (_norm(key), _norm(zh), _norm(en)):
            return key
    return None


def _lookup_kind(text) -> str | None:
    wanted = _norm(text or "")
    for code, names in _KIND_NAMES.items():
        if wanted in {_norm(code), *(_norm(n) for n in names)}:
            return code
    return None


def _table_column(frame: pd.DataFrame, key: str) -> pd.Series | None:
    names = {_norm(key), *(_norm(h) for h in _PROFILES_HEADERS[key])}
    for column in frame.columns:
        if _norm(column) in names:
            return frame[column]
    return None


def _cell_text(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def profiles_from_table(frame: pd.DataFrame, lang: str = "zh",
                        base=BUILT_IN_PROFILES) -> tuple[dict[str, Profile], tuple[problems.Problem, ...]]:
    """The built-in profiles overridden / extended by those saved in the ImportProfiles table.

    One row per column mapping (Profile, Kind, TargetColumn, SourceColumn, Encoding); columns may
    be the keys or the zh/en headers, Kind a code or its label, TargetColumn a key or the zh/en
    header of the Payments/BankStatement column. A profile named like a built-in (same kind)
    keeps the built-in's rules (direction, refunds, fees, controls) and replaces the mapping of
    the target columns it lists; a new name starts from bank_generic (bank) or FeeDesk's own
    Payments headers (payments). Several rows for one target join their texts.
    """
    sheet = _PROFILES_SHEET[0 if lang == "zh" else 1]
    header = {key: zh_en[0 if lang == "zh" else 1] for key, zh_en in _PROFILES_HEADERS.items()}
    found: list[problems.Problem] = []
    profiles = dict(base)
    if frame is None or frame.empty:
        return profiles, ()
    columns = {key: _table_column(frame, key) for key in _PROFILES_HEADERS}
    if columns["Profile"] is None:
        return profiles, ()
    groups: dict[str, list] = {}
    for row in frame.index:
        name = _cell_text(columns["Profile"][row])
        if name:
            groups.setdefault(name, []).append(row)

    def cell(key, row) -> str:
        series = columns[key]
        return _cell_text(series[row]) if series is not None else ""

    for name, rows in groups.items():
        kind = next((k for r in rows if (k := _lookup_kind(cell("Kind", r)))), None)
        if kind is None:
            shown = next((cell("Kind", r) for r in rows if cell("Kind", r)), "")
            allowed = "、".join(n[0] for n in _KIND_NAMES.values()) + " / " + \
                ", ".join(n[1] for n in _KIND_NAMES.values())
            found.append(problems.make("profile_bad_kind", lang, sheet=sheet, row=_row(rows[0]),
                                       column=header["Kind"], value=shown, profile=name, allowed=allowed))
            continue
        key = next((k for k, p in base.items() if k.lower() == name.lower() and p.kind == kind), None)
        start = base[key] if key else (BANK_GENERIC if kind == "bank" else _PAYMENTS_BASE)
        saved: list[tuple[str, str]] = []
        encoding = None
        for row in rows:
            target_text, source = cell("TargetColumn", row), cell("SourceColumn", row)
            if target_text:
                target = _lookup_target(kind, target_text)
                if target is None or (kind == "payments" and target == "Channel"):
                    allowed = "、".join(h[0] for k, h in _TARGET_HEADERS[kind].items() if k != "Channel")
                    found.append(problems.make("profile_bad_target", lang, sheet=sheet, row=_row(row),
                                               column=header["TargetColumn"], value=target_text, profile=name,
                                               allowed=allowed))
                elif source:
                    saved.append((target, source))
            enc = cell("Encoding", row)
            if enc and encoding is None:
                try:
                    codecs.lookup(enc)
                    encoding = enc
                except LookupError:
                    found.append(problems.make("profile_bad_encoding", lang, sheet=sheet, row=_row(row),
                                               column=header["Encoding"], value=enc, profile=name))
        mapping = _overlay(start.mapping, saved)
        channel = start.channel
        if key is None and kind == "payments":
            folded = name.lower()
            channel = next((code for code, words in _CHANNEL_NAMES.items()
                            if any(w in folded for w in words)), None)
        profiles[key or name] = dataclasses.replace(start, name=key or name, kind=kind, mapping=mapping,
                                                    encoding=encoding or start.encoding, channel=channel)
    return profiles, tuple(found)


def _overlay(mapping, saved) -> tuple[tuple[str, str], ...]:
    """The base mapping with every saved target's sources replaced where it stood (new ones last)."""
    replaced = {target for target, _source in saved}
    out, placed = [], set()
    for target, source in mapping:
        if target not in replaced:
            out.append((target, source))
        elif target not in placed:
            out.extend(m for m in saved if m[0] == target)
            placed.add(target)
    out.extend(m for m in saved if m[0] not in placed)
    return tuple(out)


def _row(label) -> int | None:
    try:
        return int(label)
    except (TypeError, ValueError):
        return None

