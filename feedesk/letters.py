"""Mail merge for letters, mails and SMS: templates in, finished documents out.

The letters job turns rows (a customer, their bills, the company's settings, the officer) into
merge fields with `letter_context`, renders each template with `render_docx` / `render_text`
(or a whole batch with `render_batch`, which writes nothing unless every letter rendered), and
binds a batch for printing with `combine_docx`. Templates live in templates/ as
`{key}_{lang}.{docx|html|txt}` and are made by scripts/make_templates.py; officers may edit the
.docx files in Word, keeping the `{{ ... }}` tags.

Safety. Templates are rendered in a jinja2 *sandbox* with StrictUndefined: a tag naming a field
the data does not have fails with `LetterError` naming the field and the template (nothing is
printed as blank), and a template reaching for Python internals (``{{ ''.__class__ }}``) fails
with `LetterError` instead of running. Values are escaped for the format (Word XML, HTML), so a
customer called ``A & B <Co> "x"`` prints literally; SMS text is not escaped. Control characters
are removed from the values before rendering (they are not valid in a Word document).

Pure: no workbook or xlwings imports, no clock (the letter date and the pay-by date are passed in).

Merge fields (what `letter_context` returns; the templates use only these)
------------------------------------------------------------------------
Every date below is text; "long" dates read '2026年4月10日' (zh) or '10 April 2026' (en),
table dates read '2026-04-16'. Every *money* value is a dict ``{fen, figures, upper}``:
``fen`` the integer amount, ``figures`` '¥1,234.56', ``upper`` '壹仟贰佰叁拾肆元伍角陆分'
(大写, shown in the English letters too).

lang                'zh' or 'en'
date                the letter date, long
pay_by              the date to pay by, long
ref                 the letter's reference (extra 'ref' or 'letter_id'; '' when none)
level               dunning level, 1 friendly, 2 firm, 3 urgent (0 when not a reminder)
company             name, address, phone, email, website, bank_name, bank_account;
                    logo: None, or an image file's path (drawn 25 mm wide in a .docx)
officer             name, title, phone, email (the officer who signs and takes calls)
customer            id, name, address, phone, email
bills               the bills listed, each: id, period, fee_item (in the letter's language),
                    bill_date, due_date (table dates), days_overdue (int), amount, paid, open,
                    late_fee (figures text) and amount_fen, open_fen, late_fee_fen (int)
bill_count          how many bills
oldest_due_date     the oldest bill's due date (table date; '' without bills)
max_days_overdue    days the oldest bill is overdue at the letter date (0 without bills)
total               money: the bills' open amount
late_fee            money: the late fee (滞纳金) charged with this letter
fee                 money: the dunning fee (催缴费用)
amount_due          money: total + late_fee + fee
extra               the `extra` dict as given (raw values, for an office's own tags)

Present only when `extra` carries them (a template using them fails clearly without them):
period              statement period text, e.g. '2026-01 至 2026-03' (extra 'period')
payments            statement: payments received, each: id, date, channel, amount, reference
                    (extra 'payments': rows with PaymentID, PaidDate, Channel, Amount fen,
                    Reference)
payments_total      money: the payments' sum (with payments)
aging               statement: aging totals, each: bucket, amount (figures), amount_fen
                    (extra 'aging': rows with Bucket, Amount fen, or (bucket, fen) pairs)
aging_total         money: the aging amounts' sum (with aging)
price_lines         price change: each: fee_item, tier, unit, old_price, new_price, change
                    ('¥3.45', '+¥0.35'), change_pct ('+10.1%') (extra 'price_lines': rows with
                    FeeItem, Tier, Unit, CurrentPrice, ProposedPrice in yuan, any precision)
effective_date      price change: the date the new prices apply, long (extra 'effective_date')
reason              price change: why, e.g. the approval document ('' when not given; extra 'reason')
estimate            price change: this customer's own estimate: current, proposed, change
                    (money, change may be negative), change_abs (money), rate ('+12.5%'),
                    increase (bool), basis ('近12个月' / 'the last 12 months' unless given)
                    (extra 'estimate': CurrentAmount, ProposedAmount fen, optional Basis)
complaint           complaint reply: id, opened (long date), category (in the letter's
                    language), bill_id, description, resolution, adjustment (money)
                    (extra 'complaint': ComplaintID, OpenedDate, Category, BillID, Description,
                    Resolution, optional Adjustment fen)

Inputs accepted: rows with the workbook's column keys or the short keys of the fields —
customer: CustomerID|id, Name|name, Address|address, Phone|phone, Email|email; bill: BillID|id,
Period|period, FeeItem|fee_item, BillDate|bill_date, DueDate|due_date, Amount|amount_fen,
PaidAmount|Paid|paid_fen, OpenAmount|Open|open_fen, LateFee|late_fee_fen,
DaysOverdue|days_overdue (open defaults to amount - paid, paid to amount - open, days overdue to
the letter date less the due date); extra rows likewise (PaymentID|id, PaidDate|date ...,
Amount|amount_fen); company and officer dicts with the short keys above or the Settings keys
(CompanyName, CompanyAddress, ContactPhone, ContactEmail, ContactPerson; Customers' Officer).
Money is integer fen (a float is refused with LetterError); dates are date/datetime/Timestamp/
datetime64 or text as officers type it. Blank cells (None, NaN, NA, NaT) read as '' (0 for
money). A customer without a name is left without ``customer.name`` so rendering fails naming
it rather than printing a letter to nobody.
Field names never clash with dict methods (items, values, keys, get ...), which jinja would
find first.
"""


from __future__ import annotations

import copy
import datetime
import decimal
import io
import os
import pathlib
import re
import struct
import tempfile
import threading
import unicodedata
import zipfile
import zlib
from decimal import Decimal

import jinja2
import jinja2.sandbox
import pandas as pd
from jinja2.utils import missing

from feedesk import dates, money

__all__ = [
    "LetterError",
    "combine_docx",
    "letter_context",
    "money_fields",
    "render_batch",
    "render_docx",
    "render_text",
    "safe_filename",
    "sandbox_env",
]

LOGO_WIDTH_MM = 25

FEE_ITEM_NAMES = {"water": ("水费", "water"), "electricity": ("电费", "electricity"), "gas": ("燃气费", "gas"),
                  "heating": ("供暖费", "heating"), "property": ("物业费", "property fee"),
                  "other": ("其他", "other")}
CHANNEL_NAMES = {"bank": ("银行转账", "bank transfer"), "wechat": ("微信支付", "WeChat Pay"),
                 "alipay": ("支付宝", "Alipay"), "counter": ("柜台", "counter")}
COMPLAINT_CATEGORY_NAMES = {"billing": ("账单疑问", "billing"), "meter": ("计量抄表", "meter reading"),
                            "payment": ("缴费问题", "payment"), "service": ("服务态度", "service"),
                            "other": ("其他", "other")}
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December")
_DEFAULT_BASIS = ("近12个月", "the last 12 months")

_COMPANY_KEYS = {"name": ("name", "CompanyName"), "address": ("address", "CompanyAddress"),
                 "phone": ("phone", "ContactPhone", "CompanyPhone"), "email": ("email", "ContactEmail"),
                 "website": ("website", "Website"), "bank_name": ("bank_name", "BankName"),
                 "bank_account": ("bank_account", "BankAccount")}
_OFFICER_KEYS = {"name": ("name", "Officer", "ContactPerson"), "title": ("title", "Title"),
                 "phone": ("phone", "ContactPhone", "Phone"), "email": ("email", "ContactEmail", "Email")}
_CUSTOMER_KEYS = {"id": ("CustomerID", "id"), "name": ("Name", "name"), "address": ("Address", "address"),
                  "phone": ("Phone", "phone"), "email": ("Email", "email")}


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class LetterError(Exception):
    """A letter that cannot be made, said in zh and en.

    `field` names the merge field at fault ('customer.name', 'bills[1].period') or is None;
    `template` is the template's file name (None when no template was involved).
    `str(error)` gives both languages; `message(lang)` one of them.
    """

    def __init__(self, message_zh: str, message_en: str, *, field: str | None = None,
                 template: str | None = None):
        super().__init__(f"{message_zh} / {message_en}")
        self.message_zh = message_zh
        self.message_en = message_en
        self.field = field
        self.template = template

    def message(self, lang: str = "zh") -> str:
        return self.message_zh if lang == "zh" else self.message_en

    def __reduce__(self):  # picklable, so it can cross a process pool
        return _rebuild_letter_error, (self.message_zh, self.message_en, self.field, self.template)


def _rebuild_letter_error(message_zh, message_en, field, template) -> LetterError:
    return LetterError(message_zh, message_en, field=field, template=template)


class _MissingField(jinja2.UndefinedError):
    """StrictUndefined's error, remembering what was looked up on what (to name the field)."""

    def __init__(self, message: str, obj=missing, name: str | None = None):
        super().__init__(message)
        self.obj = obj
        self.name = name


class _Undefined(jinja2.StrictUndefined):
    """StrictUndefined whose error knows the object and the attribute (the sandbox's SecurityError
    passes through untouched)."""

    __slots__ = ()

    def __init__(self, hint=None, obj=missing, name=None, exc=jinja2.UndefinedError):
        if exc is jinja2.UndefinedError:
            def exc(message, _obj=obj, _name=name):
                return _MissingField(message, _obj, _name)
        super().__init__(hint, obj, name, exc)


def _blank_none(value):
    """Print None as nothing rather than 'None'."""
    return "" if value is None else value


_MAX_REPEAT = 100_000  # longest string or list a template may build with '*'
_MAX_POWER = 1_000


class _Sandbox(jinja2.sandbox.SandboxedEnvironment):
    """The jinja sandbox, also refusing 'x' * 10**9 and 10 ** 10**9 (memory and CPU bombs)."""

    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context, operator, left, right):
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if isinstance(sequence, (str, list, tuple)) and isinstance(count, int) \
                        and len(sequence) * count > _MAX_REPEAT:
                    raise jinja2.sandbox.SecurityError("the template builds a string or list that is far too long")
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > _MAX_POWER:
            raise jinja2.sandbox.SecurityError("the template raises a number to a far too large power")
        return super().call_binop(context, operator, left, right)


class _CachingSandbox(_Sandbox):
    """Keeps compiled templates by source text: docxtpl compiles a letter's whole XML on every
    render, and compiling is half the time of a letter. For render_docx only (its autoescape is
    always on, so docxtpl setting it again changes nothing)."""

    _LIMIT = 128

    def __init__(self, **options):
        super().__init__(**options)
        self._compiled: dict[str, jinja2.Template] = {}
        self._lock = threading.Lock()

    def from_string(self, source, globals=None, template_class=None):
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        template = self._compiled.get(source)
        if template is None:
            template = super().from_string(source)
            with self._lock:
                while len(self._compiled) >= self._LIMIT:
                    self._compiled.pop(next(iter(self._compiled)))
                self._compiled[source] = template
        return template


def sandbox_env(autoescape: bool = True) -> jinja2.sandbox.SandboxedEnvironment:
    """The environment every template renders in: sandboxed, strict about missing fields, None
    printed as nothing.

    A fresh one per render (docxtpl sets `autoescape` on the environment it is given)."""
    return _Sandbox(undefined=_Undefined, autoescape=autoescape, finalize=_blank_none, keep_trailing_newline=False)


_DOCX_ENV = _CachingSandbox(undefined=_Undefined, autoescape=True, finalize=_blank_none, keep_trailing_newline=False)


def _path_of(root, target, path: str = "", depth: int = 0) -> str | None:
    """Where `target` sits inside the context: 'customer', 'bills[2]', ..."""
    if root is target:
        return path
    if depth > 8:
        return None
    if isinstance(root, dict):
        children = ((f"{path}.{key}" if path else str(key), value) for key, value in root.items())
    elif isinstance(root, (list, tuple)):
        children = ((f"{path}[{index}]", value) for index, value in enumerate(root))
    else:
        return None
    for child_path, value in children:
        if isinstance(value, (dict, list, tuple)) or value is target:
            found = _path_of(value, target, child_path, depth + 1)
            if found is not None:
                return found
    return None


def _field_name(error: _MissingField, context: dict) -> str:
    if error.obj is missing or error.name is None:
        if error.name is not None:
            return str(error.name)
        match = re.search(r"'([^']+)' is undefined", str(error))
        return match[1] if match else str(error)
    owner = _path_of(context, error.obj)
    return f"{owner}.{error.name}" if owner else str(error.name)


def _template_error(error: Exception, template: str, context: dict) -> LetterError:
    """Turn what jinja or docxtpl raised into a LetterError naming the field and the template."""
    if isinstance(error, LetterError):
        return error
    if isinstance(error, jinja2.sandbox.SecurityError):
        return LetterError(f"模板 {template} 试图访问程序内部或做不允许的操作（已阻止）：{error}",
                           f"template {template} tried to reach Python internals or do something not allowed "
                           f"(blocked): {error}", template=template)
    if isinstance(error, _MissingField):
        field = _field_name(error, context)
        return LetterError(f"模板 {template} 需要字段 {field}，函件数据中没有",
                           f"template {template} needs the field {field}, which the letter data does not have",
                           field=field, template=template)
    if isinstance(error, jinja2.TemplateSyntaxError):
        near = " ".join(line.strip() for line in getattr(error, "docx_context", ()) if line.strip())[:200]
        where = f"（附近文字：{near}）" if near else ""
        where_en = f" (near: {near})" if near else ""
        return LetterError(f"模板 {template} 的标签写错了：{error.message}{where}",
                           f"template {template} has a malformed tag: {error.message}{where_en}", template=template)
    if isinstance(error, jinja2.TemplateError):
        return LetterError(f"模板 {template} 无法生成：{error}", f"template {template} failed: {error}",
                           template=template)
    return LetterError(f"模板 {template} 无法生成：{type(error).__name__}: {error}",
                       f"template {template} failed: {type(error).__name__}: {error}", template=template)


# ---------------------------------------------------------------------------
# File names
# ---------------------------------------------------------------------------

_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", *(f"COM{i}" for i in range(10)),
                     *(f"LPT{i}" for i in range(10)), "COM¹", "COM²", "COM³", "LPT¹", "LPT²", "LPT³"}
_FORBIDDEN = set('<>:"/\\|?*')


def safe_filename(text, max_length: int = 80) -> str:
    """A file name made from `text` (a customer's name, say) that stays inside its folder on
    Windows, macOS and Linux: no path separators or '..', no control or invisible format
    characters, none of <>:"/\\|?*, not a reserved Windows device name (CON, NUL, COM1 ...),
    no leading dot, no trailing dot or space. Chinese and other letters are kept. Never empty
    ('_' when nothing is left); at most `max_length` characters."""
    if max_length < 1:
        raise ValueError("max_length must be at least 1")
    text = "" if _is_blank(text) else str(text)
    text = unicodedata.normalize("NFC", text)
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category == "Zs" or char == "\t":
            kept.append(" ")
        elif char in _FORBIDDEN or category in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            kept.append("_")
        else:
            kept.append(char)
    name = re.sub(r"\s+", " ", "".join(kept))
    name = re.sub(r"\.{2,}", "_", name)  # no '..' anywhere
    name = re.sub(r"_{2,}", "_", name)
    name = name.strip(" ").lstrip(".").rstrip(". ")
    if name.split(".")[0].strip().upper() in _WINDOWS_RESERVED:
        name = "_" + name
    name = name[:max_length].rstrip(". ")
    return name or "_"


# ---------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------


def _is_blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        blank = pd.isna(value)
    except (TypeError, ValueError):
        return False
    return blank is True or (not hasattr(blank, "__len__") and bool(blank))


def _text(value) -> str:
    if _is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an ID or tier read from Excel as 101.0
    return str(value).strip()


def _pick(row: dict, keys) -> object:
    for key in keys:
        if key in row and not _is_blank(row[key]):
            return row[key]
    return None


def _as_date(value, what: str) -> datetime.date | None:
    if _is_blank(value):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        if isinstance(value, str):
            return dates.parse_date_text(value)  # '2026-04-16', '2026/4/16', '2026年4月16日' ...
        return pd.Timestamp(value).date()
    except (TypeError, ValueError) as error:
        raise LetterError(f"{what} 不是日期：{value!r}", f"{what} is not a date: {value!r}", field=what) from error


def _long_date(day: datetime.date | None, lang: str) -> str:
    if day is None:
        return ""
    if lang == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def _short_date(day: datetime.date | None) -> str:
    return "" if day is None else day.isoformat()


def _fen(value, what: str) -> int:
    """Integer fen; blank is 0; floats are refused (money is never a float in the core)."""
    if _is_blank(value):
        return 0
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise LetterError(f"{what} 应为整数（分）：{value!r}", f"{what} must be an integer number of fen: {value!r}",
                          field=what)
    return int(value.__index__())


def money_fields(fen) -> dict:
    """{'fen': 123456, 'figures': '¥1,234.56', 'upper': '壹仟贰佰叁拾肆元伍角陆分'} for an amount in fen."""
    fen = _fen(fen, "amount")
    return {"fen": fen, "figures": money.format_yuan(fen), "upper": money.rmb_upper(fen)}


def _label(names: dict, code, lang: str) -> str:
    text = _text(code)
    pair = names.get(text.lower())
    return (pair[0] if lang == "zh" else pair[1]) if pair else text


def _price_text(value: Decimal) -> str:
    """'¥3.45', '¥0.3125': two decimals at least, more only when the price has them."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    places = max(2, -value.normalize().as_tuple().exponent) if value else 2
    text = f"{value:,.{places}f}"
    return f"{sign}¥{text}"


def _signed(text: str, negative: bool, zero: bool) -> str:
    return text if zero else ("-" if negative else "+") + text.lstrip("-")


def _rate_text(change: Decimal, base: Decimal) -> str:
    if base == 0:
        return "" if change == 0 else "—"
    with decimal.localcontext() as context:
        context.prec = 28
        rate = (change / base * 100).quantize(Decimal("0.1"), rounding=decimal.ROUND_HALF_UP)
    return f"{rate:+}%" if rate else "0.0%"


# ---------------------------------------------------------------------------
# The merge fields
# ---------------------------------------------------------------------------


def letter_context(customer: dict, bills: list[dict], company: dict, officer: dict, *, level, late_fee_fen,
                   fee_fen, letter_date, pay_by, lang: str, extra: dict | None = None) -> dict:
    """The merge fields for one letter (documented in the module docstring)."""
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    extra = dict(extra or {})
    day = _as_date(letter_date, "letter_date")
    if day is None:
        raise LetterError("缺少函件日期", "the letter date is missing", field="date")
    level = 0 if _is_blank(level) else int(level)

    customer = dict(customer or {})
    customer_fields = {key: _text(_pick(customer, keys)) for key, keys in _CUSTOMER_KEYS.items()}
    if not customer_fields["name"]:
        del customer_fields["name"]  # rendering then names the missing field instead of greeting nobody

    company = dict(company or {})
    company_fields = {key: _text(_pick(company, keys)) for key, keys in _COMPANY_KEYS.items()}
    logo = company.get("logo")
    company_fields["logo"] = None if _is_blank(logo) else logo
    officer = dict(officer or {})
    officer_fields = {key: _text(_pick(officer, keys)) for key, keys in _OFFICER_KEYS.items()}

    rows = [_bill_fields(dict(bill), index, day, lang) for index, bill in enumerate(bills or ())]
    total = sum(row["open_fen"] for row in rows)
    late_fee = _fen(late_fee_fen, "late_fee_fen")
    fee = _fen(fee_fen, "fee_fen")
    due_dates = [row["_due"] for row in rows if row["_due"] is not None]
    for row in rows:
        del row["_due"]
    oldest = min(due_dates) if due_dates else None

    context = {
        "lang": lang,
        "date": _long_date(day, lang),
        "pay_by": _long_date(_as_date(pay_by, "pay_by"), lang),
        "ref": _text(extra.get("ref", extra.get("letter_id"))),
        "level": level,
        "company": company_fields,
        "officer": officer_fields,
        "customer": customer_fields,
        "bills": rows,
        "bill_count": len(rows),
        "oldest_due_date": _short_date(oldest),
        "max_days_overdue": max(0, (day - oldest).days) if oldest else 0,
        "total": money_fields(total),
        "late_fee": money_fields(late_fee),
        "fee": money_fields(fee),
        "amount_due": money_fields(total + late_fee + fee),
        "extra": extra,
    }

    if "period" in extra:
        context["period"] = _text(extra["period"])
    if "payments" in extra:
        payments = [_payment_fields(dict(row), index, lang) for index, row in enumerate(extra["payments"] or ())]
        context["payments"] = payments
        context["payments_total"] = money_fields(sum(row.pop("_fen") for row in payments))
    if "aging" in extra:
        aging = [_aging_fields(row, index) for index, row in enumerate(extra["aging"] or ())]
        context["aging"] = aging
        context["aging_total"] = money_fields(sum(row["amount_fen"] for row in aging))
    if "price_lines" in extra:
        context["price_lines"] = [_price_line(dict(row), index, lang)
                                  for index, row in enumerate(extra["price_lines"] or ())]
    if "effective_date" in extra:
        context["effective_date"] = _long_date(_as_date(extra["effective_date"], "effective_date"), lang)
    if "price_lines" in extra or "estimate" in extra or "reason" in extra:
        context["reason"] = _text(extra.get("reason"))
    if "estimate" in extra:
        context["estimate"] = _estimate_fields(dict(extra["estimate"] or {}), lang)
    if "complaint" in extra:
        context["complaint"] = _complaint_fields(dict(extra["complaint"] or {}), lang)
    return context


def _bill_fields(bill: dict, index: int, day: datetime.date, lang: str) -> dict:
    where = f"bills[{index}]"
    amount_raw = _pick(bill, ("Amount", "amount_fen"))
    paid_raw = _pick(bill, ("PaidAmount", "Paid", "paid_fen"))
    open_raw = _pick(bill, ("OpenAmount", "Open", "open_fen"))
    paid = _fen(paid_raw, f"{where}.PaidAmount")
    if open_raw is None:
        amount = _fen(amount_raw, f"{where}.Amount")
        open_amount = amount - paid
    else:
        open_amount = _fen(open_raw, f"{where}.OpenAmount")
        amount = open_amount + paid if amount_raw is None else _fen(amount_raw, f"{where}.Amount")
        paid = amount - open_amount if paid_raw is None else paid
    late = _fen(_pick(bill, ("LateFee", "late_fee_fen")), f"{where}.LateFee")
    due = _as_date(_pick(bill, ("DueDate", "due_date")), f"{where}.DueDate")
    days = _pick(bill, ("DaysOverdue", "days_overdue"))
    days = int(days) if days is not None else (max(0, (day - due).days) if due else 0)
    return {
        "id": _text(_pick(bill, ("BillID", "id"))),
        "period": _text(_pick(bill, ("Period", "period"))),
        "fee_item": _label(FEE_ITEM_NAMES, _pick(bill, ("FeeItem", "fee_item")), lang),
        "bill_date": _short_date(_as_date(_pick(bill, ("BillDate", "bill_date")), f"{where}.BillDate")),
        "due_date": _short_date(due),
        "days_overdue": days,
        "amount": money.format_yuan(amount),
        "paid": money.format_yuan(paid),
        "open": money.format_yuan(open_amount),
        "late_fee": money.format_yuan(late),
        "amount_fen": amount,
        "open_fen": open_amount,
        "late_fee_fen": late,
        "_due": due,
    }


def _payment_fields(row: dict, index: int, lang: str) -> dict:
    amount = _fen(_pick(row, ("Amount", "amount_fen")), f"payments[{index}].Amount")
    return {"id": _text(_pick(row, ("PaymentID", "id"))),
            "date": _short_date(_as_date(_pick(row, ("PaidDate", "date")), f"payments[{index}].PaidDate")),
            "channel": _label(CHANNEL_NAMES, _pick(row, ("Channel", "channel")), lang),
            "amount": money.format_yuan(amount), "reference": _text(_pick(row, ("Reference", "reference"))),
            "_fen": amount}


def _aging_fields(row, index: int) -> dict:
    if not isinstance(row, dict):
        row = {"Bucket": row[0], "Amount": row[1]}
    amount = _fen(_pick(row, ("Amount", "amount_fen")), f"aging[{index}].Amount")
    return {"bucket": _text(_pick(row, ("Bucket", "bucket"))), "amount": money.format_yuan(amount),
            "amount_fen": amount}


def _price_line(row: dict, index: int, lang: str) -> dict:
    where = f"price_lines[{index}]"
    try:
        old = money.to_decimal(_pick(row, ("CurrentPrice", "OldPrice", "old_price")))
        new = money.to_decimal(_pick(row, ("ProposedPrice", "NewPrice", "new_price")))
    except (TypeError, ValueError) as error:
        raise LetterError(f"{where} 的单价无法读取：{error}", f"{where} has an unreadable price: {error}",
                          field=where) from error
    change = new - old
    return {"fee_item": _label(FEE_ITEM_NAMES, _pick(row, ("FeeItem", "Item", "fee_item")), lang),
            "tier": _text(_pick(row, ("Tier", "tier"))), "unit": _text(_pick(row, ("Unit", "unit"))),
            "old_price": _price_text(old), "new_price": _price_text(new),
            "change": _signed(_price_text(change), change < 0, change == 0), "change_pct": _rate_text(change, old)}


def _estimate_fields(row: dict, lang: str) -> dict:
    current = _fen(_pick(row, ("CurrentAmount", "current_fen", "current")), "estimate.CurrentAmount")
    proposed = _fen(_pick(row, ("ProposedAmount", "proposed_fen", "proposed")), "estimate.ProposedAmount")
    change = proposed - current
    basis = _text(_pick(row, ("Basis", "basis"))) or _DEFAULT_BASIS[0 if lang == "zh" else 1]
    return {"current": money_fields(current), "proposed": money_fields(proposed), "change": money_fields(change),
            "change_abs": money_fields(abs(change)), "rate": _rate_text(Decimal(change), Decimal(current)),
            "increase": change > 0, "basis": basis}


def _complaint_fields(row: dict, lang: str) -> dict:
    return {"id": _text(_pick(row, ("ComplaintID", "id"))),
            "opened": _long_date(_as_date(_pick(row, ("OpenedDate", "opened")), "complaint.OpenedDate"), lang),
            "category": _label(COMPLAINT_CATEGORY_NAMES, _pick(row, ("Category", "category")), lang),
            "bill_id": _text(_pick(row, ("BillID", "bill_id"))),
            "description": _text(_pick(row, ("Description", "description"))),
            "resolution": _text(_pick(row, ("Resolution", "resolution"))),
            "adjustment": money_fields(_fen(_pick(row, ("Adjustment", "adjustment_fen")), "complaint.Adjustment"))}


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------

# Not allowed in XML 1.0 (and docxtpl turns \a and \f into paragraph and page breaks): C0 controls
# other than tab, newline, carriage return; DEL and C1; surrogates; U+FFFE/U+FFFF.
_INVALID_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _clean(value):
    """A copy of the context with control characters taken out of every string."""
    if isinstance(value, str):
        return _INVALID_CHARS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_clean(item) for item in value)
    return value


def _name(template_path) -> str:
    return pathlib.Path(template_path).name


def render_docx(template_path, context: dict) -> bytes:
    """A Word letter from a docxtpl template, as the bytes of a .docx file.

    Values are XML-escaped (autoescape), so text prints as typed. `company.logo`, when given as
    an image path (or bytes / a file object), becomes an inline image 25 mm wide.

    Fast path: each template is prepared once (per path, re-read when its file changes) by
    docxtpl's own pre-processing, its tagged parts compiled in the sandbox; a letter then renders
    only those parts and copies every other part of the template's zip as it is stored. A letter
    with a logo (an InlineImage) or a template the fast path does not cover (tags in the document
    properties, footnotes in several sections ...) is rendered by docxtpl as a whole."""
    return b"".join(_docx_chunks(template_path, context))


def _docx_chunks(template_path, context: dict) -> list[bytes]:
    """render_docx's file as pieces to be written one after the other (a batch keeps thousands of
    letters in memory: the parts copied from the template are then shared, not copied)."""
    name = _name(template_path)
    context = _clean(dict(context))
    if not os.path.isfile(template_path):
        raise LetterError(f"找不到模板文件 {template_path}", f"template file not found: {template_path}",
                          template=name)
    fast = None if _needs_docxtpl(context) else _fast_template(template_path)
    if fast is None:
        return [_render_docx_docxtpl(template_path, name, context)]
    try:
        return fast.render(context)
    except Exception as error:  # jinja and lxml errors become one LetterError, as docxtpl's do
        raise _template_error(error, name, context) from error


def _render_docx_docxtpl(template_path, name: str, context: dict) -> bytes:
    """The whole letter by docxtpl: the fallback for what the fast path does not do."""
    from docx.opc.exceptions import PackageNotFoundError
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage

    try:
        template = DocxTemplate(os.fspath(template_path))
        template.init_docx()
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise LetterError(f"模板 {name} 不是有效的 Word 文件：{error}", f"template {name} is not a valid .docx: {error}",
                          template=name) from error
    company = context.get("company")
    if isinstance(company, dict) and not _is_blank(company.get("logo")) \
            and not isinstance(company["logo"], InlineImage):
        logo = company["logo"]
        if isinstance(logo, (str, os.PathLike)) and not os.path.isfile(logo):
            raise LetterError(f"找不到单位标志图片 {logo}", f"the company logo image {logo} does not exist",
                              field="company.logo", template=name)
        if isinstance(logo, (bytes, bytearray)):
            logo = io.BytesIO(logo)
        elif isinstance(logo, os.PathLike):
            logo = os.fspath(logo)
        context["company"] = {**company, "logo": InlineImage(template, logo, width=Mm(LOGO_WIDTH_MM))}
    try:
        template.render(context, jinja_env=_DOCX_ENV, autoescape=True)
        buffer = io.BytesIO()
        template.save(buffer)
    except Exception as error:  # jinja, docxtpl, lxml and image errors all become one LetterError
        raise _template_error(error, name, context) from error
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# The fast path: docxtpl's work per template done once
# ---------------------------------------------------------------------------


def _needs_docxtpl(value, depth: int = 0) -> bool:
    """Whether the letter needs docxtpl itself: a logo (an InlineImage, tied to docxtpl's document
    object), or any value that writes its own XML other than RichText and Listing (a Subdoc ...)."""
    if depth == 0:
        company = value.get("company")
        if isinstance(company, dict) and not _is_blank(company.get("logo")):
            return True
    if isinstance(value, dict):
        return any(_needs_docxtpl(item, depth + 1) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(_needs_docxtpl(item, depth + 1) for item in value)
    if isinstance(value, (str, int, float, type(None))):
        return False
    if hasattr(value, "__html__"):
        return not isinstance(value, _markup_types())
    return False


def _markup_types() -> tuple:
    """Values that write their own XML without docxtpl's document: RichText, Listing, Markup."""
    import markupsafe
    from docxtpl import Listing, RichText
    from docxtpl.richtext import RichTextParagraph

    return markupsafe.Markup, RichText, RichTextParagraph, Listing


_FAST_LIMIT = 32  # templates kept prepared
_fast_cache: dict[str, tuple[tuple, "_FastTemplate | None"]] = {}
_fast_lock = threading.Lock()


def _fast_template(template_path) -> "_FastTemplate | None":
    """The prepared template for this path, prepared again when the file changed (modification
    or status-change time, size or inode); None when the fast path cannot render it (docxtpl then does, and raises
    what it raises for a template that is not a valid .docx)."""
    path = os.path.abspath(os.fspath(template_path))
    try:
        stat = os.stat(path)
    except OSError:
        return None
    key = (stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino)
    cached = _fast_cache.get(path)
    if cached is not None and cached[0] == key:
        return cached[1]
    try:
        prepared = _FastTemplate(path)
    except Exception:  # anything unexpected: docxtpl renders this template as before
        prepared = None
    with _fast_lock:
        _fast_cache.pop(path, None)
        while len(_fast_cache) >= _FAST_LIMIT:
            _fast_cache.pop(next(iter(_fast_cache)))
        _fast_cache[path] = (key, prepared)
    return prepared


class _Unsupported(Exception):
    """A template the fast path leaves to docxtpl."""


_NEW_PARAGRAPH = re.compile(r"<w:p([ >])")
_MARKED_PARAGRAPH = re.compile(r"\n<w:p([ >])")
_JINJA_SYNTAX = ("{{", "{%", "{#")
_LISTING_CHARS = ("\t", "\a", "\n", "\f")
_ZIP_LOCAL = struct.Struct("<4s5H3L2H")
_ZIP_CENTRAL = struct.Struct("<4s6H3L5HLL")
_ZIP_END = struct.Struct("<4s4H2LH")


class _Part:
    """One part docxtpl renders (the document body, a header, a footer, footnotes): its patched
    XML compiled in the sandbox, exactly as docxtpl's render_xml_part would compile it."""

    def __init__(self, source_xml: str):
        from docxtpl import DocxTemplate

        source = _NEW_PARAGRAPH.sub(r"\n<w:p\1", DocxTemplate.patch_xml(None, source_xml))
        self.source = source
        self.static = not any(mark in source for mark in _JINJA_SYNTAX)
        self.template = _DOCX_ENV.from_string(source)

    def render(self, context: dict) -> str:
        """docxtpl's render_xml_part: render, take the paragraph marks out, resolve listings."""
        from docxtpl import DocxTemplate

        try:
            xml = self.template.render(context)
        except jinja2.TemplateError as error:
            if getattr(error, "lineno", None) is not None:
                line = max(error.lineno - 4, 0)
                error.docx_context = [re.sub(r"<[^>]+>", "", text)
                                      for text in self.source.splitlines()[line:line + 7]]
            raise
        xml = _MARKED_PARAGRAPH.sub(r"<w:p\1", xml)
        if "{_" in xml or "_}" in xml:
            xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        if any(char in xml for char in _LISTING_CHARS):
            xml = DocxTemplate.resolve_listing(None, xml)
        return xml


class _Entry:
    """A zip entry of the letter: the template's compressed bytes, or a part rendered per letter."""

    __slots__ = ("name", "flags", "method", "time", "date", "crc", "size", "usize", "data", "part")

    def __init__(self, name: bytes, flags: int, method: int, time: int, date: int):
        self.name, self.flags, self.method, self.time, self.date = name, flags, method, time, date
        self.crc = self.size = self.usize = 0
        self.data: bytes = b""
        self.part: str | None = None  # the rendered part's key

    def set_data(self, raw: bytes, method: int, crc: int, usize: int) -> None:
        self.data, self.method, self.crc, self.size, self.usize = raw, method, crc, len(raw), usize


_DOC_PR: list = []


def _doc_pr_ids():
    """docxtpl's fix_docpr_ids query ('//wp:docPr'), compiled once."""
    if not _DOC_PR:
        from docx.oxml.ns import nsmap
        from lxml import etree

        _DOC_PR.append(etree.XPath("//wp:docPr", namespaces=nsmap))
    return _DOC_PR[0]


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


class _FastTemplate:
    """A .docx template prepared once: what docxtpl's DocxTemplate.render would do for it, split
    into the per-template work (done here) and the per-letter work (`render`).

    Per letter, exactly as docxtpl: the body's compiled XML is rendered, its tables fixed
    (`fix_tables`, which parses it), the drawing ids renumbered from 1001, and put into the
    document element, which is serialized as python-docx saves it; each header and footer with
    tags is rendered, parsed and serialized the same way; footnotes are rendered as text. Parts
    without tags are rendered once, here. Every other zip entry is copied as stored."""

    def __init__(self, path: str):
        from docx import Document
        from docx.opc.constants import RELATIONSHIP_TYPE as RT
        from docx.opc.oxml import parse_xml as opc_parse_xml
        from docx.opc.oxml import serialize_part_xml
        from docxtpl import DocxTemplate

        self._lock = threading.Lock()
        with open(path, "rb") as stream:
            data = stream.read()
        document = Document(io.BytesIO(data))
        package = document.part.package
        try:
            core = package.part_related_by(RT.CORE_PROPERTIES)
        except KeyError:
            raise _Unsupported("no core properties: docxtpl would add a default part") from None
        properties = core.core_properties
        for prop in ("author", "comments", "identifier", "language", "subject", "title"):
            text = getattr(properties, prop) or ""
            if any(char in text for char in "{}\r\n") or len(text) > 255:
                raise _Unsupported(f"the document property {prop} would be rendered")

        self._parts: dict[str, _Part] = {}
        self._static: dict[str, bytes] = {}  # part key -> its rendered bytes, when it has no tags
        order: list[tuple[str, str]] = []  # (key, kind) in docxtpl's rendering order

        # The body (docxtpl's get_xml), then headers, then footers (get_headers_footers), then footnotes
        root = document.element
        self._body_part = document.part.partname.membername
        order.append((self._body_part, "body"))
        self._parts[self._body_part] = _Part(DocxTemplate.xml_to_string(None, root.body))
        for uri in (DocxTemplate.HEADER_URI, DocxTemplate.FOOTER_URI):
            for rel in document.part.rels.values():
                if rel.reltype == uri and rel.target_part.blob:
                    member = rel.target_part.partname.membername
                    if member in self._parts:
                        raise _Unsupported(f"{member} is related twice")
                    xml = DocxTemplate.xml_to_string(None, opc_parse_xml(rel.target_part.blob))
                    if DocxTemplate.get_headers_footers_encoding(None, xml).lower().replace("-", "") != "utf8":
                        raise _Unsupported(f"{member} is not UTF-8")
                    self._parts[member] = _Part(xml)
                    order.append((member, "xml"))
        footnotes = [part for part in package.parts if part.content_type ==
                     "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"]
        if footnotes:
            if len(document.sections) != 1 or len(footnotes) != 1:
                raise _Unsupported("docxtpl renders footnotes once per section")
            blob = footnotes[0].blob
            member = footnotes[0].partname.membername
            if member in self._parts:
                raise _Unsupported(f"{member} is rendered twice")
            self._parts[member] = _Part(blob.decode("utf-8") if isinstance(blob, bytes) else blob)
            order.append((member, "text"))
        self._order = order
        self._kind = dict(order)

        # The document element the rendered body goes into (python-docx's, copied: the rest of the
        # loaded document is not kept)
        self._root = copy.deepcopy(root)
        self._body = self._root.body
        self._serialize = serialize_part_xml
        del document, package, core, properties, root

        # The zip entries, each one's stored bytes as they are
        self._entries: list[_Entry] = []
        members = set()
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if info.filename in members:
                    raise _Unsupported(f"{info.filename} twice in the zip")
                members.add(info.filename)
                if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise _Unsupported(f"{info.filename}: encrypted or an unusual compression")
                if max(info.file_size, info.compress_size, info.header_offset) >= 0xFFFFFFFF:
                    raise _Unsupported("zip64")
                name = info.filename.encode("ascii", "ignore")
                flags = info.flag_bits & 0x0006  # the deflate level hint; no data descriptor
                if name.decode("ascii") != info.filename:
                    name, flags = info.filename.encode("utf-8"), flags | 0x800
                year, month, day, hour, minute, second = info.date_time
                entry = _Entry(name, flags, info.compress_type, (hour << 11) | (minute << 5) | (second // 2),
                               (max(year, 1980) - 1980) << 9 | (month << 5) | day)
                if info.filename in self._parts:
                    entry.part = info.filename
                else:
                    header = data[info.header_offset:info.header_offset + 30]
                    signature, *_rest, name_length, extra_length = _ZIP_LOCAL.unpack(header)
                    if signature != b"PK\x03\x04":
                        raise _Unsupported(f"{info.filename}: bad local header")
                    start = info.header_offset + 30 + name_length + extra_length
                    raw = data[start:start + info.compress_size]
                    if len(raw) != info.compress_size:
                        raise _Unsupported(f"{info.filename}: truncated")
                    entry.set_data(raw, info.compress_type, info.CRC, info.file_size)
                self._entries.append(entry)
        missing_parts = set(self._parts) - members
        if missing_parts:
            raise _Unsupported(f"parts not found in the zip: {sorted(missing_parts)}")

        # Parts without tags come out the same for every letter: render them now
        for key, part in self._parts.items():
            if part.static and key != self._body_part:
                self._static[key] = self._finish(key, part.render({}))
        for entry in self._entries:
            if entry.part in self._static:
                plain = self._static[entry.part]
                entry.set_data(_deflate(plain), zipfile.ZIP_DEFLATED, zlib.crc32(plain), len(plain))
                entry.flags &= ~0x0006
                entry.part = None

    def _finish(self, key: str, xml: str) -> bytes:
        """A header's or footer's rendered XML as docxtpl saves it (parsed into a new XmlPart and
        serialized by python-docx); footnotes as the rendered text."""
        from docx.oxml.parser import parse_xml

        if self._kind[key] == "xml":
            return self._serialize(parse_xml(xml.encode("utf-8")))
        return xml.encode("utf-8")

    def _document(self, xml: str) -> bytes:
        """docxtpl's fix_tables + fix_docpr_ids + map_tree, then python-docx's serialization."""
        from docxtpl import DocxTemplate

        tree = DocxTemplate.fix_tables(None, xml)
        for number, element in enumerate(_doc_pr_ids()(tree), start=1001):
            element.attrib["id"] = str(number)
        with self._lock:
            self._root.replace(self._body, tree)
            self._body = tree
            return self._serialize(self._root)

    def render(self, context: dict) -> list[bytes]:
        """The letter's .docx file, in pieces (joined, they are the file)."""
        rendered: dict[str, bytes] = {}
        for key, kind in self._order:  # docxtpl's order, so the first missing field is the same one
            if key in self._static:
                continue
            xml = self._parts[key].render(context)
            rendered[key] = self._document(xml) if kind == "body" else self._finish(key, xml)
        return self._zip(rendered)

    def _zip(self, rendered: dict[str, bytes]) -> list[bytes]:
        """The letter's zip: the template's entries in their order, rendered parts deflated."""
        chunks: list[bytes] = []
        central: list[bytes] = []
        offset = 0
        for entry in self._entries:
            if entry.part is None:
                flags, method, crc, raw, usize = entry.flags, entry.method, entry.crc, entry.data, entry.usize
            else:
                plain = rendered[entry.part]
                flags, method, crc, raw, usize = entry.flags & ~0x0006, zipfile.ZIP_DEFLATED, zlib.crc32(plain), \
                    _deflate(plain), len(plain)
            chunks.append(_ZIP_LOCAL.pack(b"PK\x03\x04", 20, flags, method, entry.time, entry.date, crc, len(raw),
                                          usize, len(entry.name), 0))
            chunks.append(entry.name)
            chunks.append(raw)
            central.append(_ZIP_CENTRAL.pack(b"PK\x01\x02", 20, 20, flags, method, entry.time, entry.date, crc,
                                             len(raw), usize, len(entry.name), 0, 0, 0, 0, 0, offset))
            central.append(entry.name)
            offset += 30 + len(entry.name) + len(raw)
        directory = b"".join(central)
        count = len(self._entries)
        chunks.append(directory)
        chunks.append(_ZIP_END.pack(b"PK\x05\x06", 0, 0, count, count, len(directory), offset, 0))
        return chunks


def render_text(template_path, context: dict, html: bool) -> str:
    """A mail body (html=True: values HTML-escaped) or an SMS text (html=False: as typed)."""
    name = _name(template_path)
    try:
        source = pathlib.Path(template_path).read_text(encoding="utf-8-sig")
    except FileNotFoundError as error:
        raise LetterError(f"找不到模板文件 {template_path}", f"template file not found: {template_path}",
                          template=name) from error
    except UnicodeDecodeError as error:
        raise LetterError(f"模板 {name} 不是 UTF-8 文本", f"template {name} is not UTF-8 text",
                          template=name) from error
    context = _clean(dict(context))
    try:
        return sandbox_env(autoescape=html).from_string(source).render(context)
    except Exception as error:
        raise _template_error(error, name, context) from error


def _render_any(template_path, context: dict) -> list[bytes]:
    """The file for one batch item, in pieces."""
    suffix = pathlib.Path(template_path).suffix.lower()
    if suffix == ".docx":
        return _docx_chunks(template_path, context)
    if suffix in (".html", ".htm"):
        return [render_text(template_path, context, html=True).encode("utf-8")]
    if suffix == ".txt":
        return [render_text(template_path, context, html=False).encode("utf-8")]
    name = _name(template_path)
    raise LetterError(f"不支持的模板类型 {name}（应为 .docx、.html 或 .txt）",
                      f"unsupported template type {name} (expected .docx, .html or .txt)", template=name)


def _write_atomically(path: pathlib.Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name[:40]}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def render_batch(items) -> None:
    """Render every (template_path, context, out_path) in memory; write only if all rendered.

    The first LetterError is raised (nothing written) when any letter fails. Files are then
    written to temporary names beside their targets and renamed into place (os.replace), so a
    reader never sees half a file; if a write fails, the temporary files are removed. Two items
    with the same out_path are refused (ValueError): one letter would silently replace another."""
    items = list(items)
    targets = [pathlib.Path(out_path).resolve() for _template, _context, out_path in items]
    seen: dict[pathlib.Path, int] = {}
    for index, target in enumerate(targets):
        if target in seen:
            raise ValueError(f"items {seen[target]} and {index} both write {target}")
        seen[target] = index
    rendered = [_render_any(template, context) for template, context, _out in items]

    # Written by a few threads: fsync waits on the disk, not on Python, and the waits overlap.
    staged: list[str | None] = [None] * len(items)

    def stage(index: int) -> None:
        target = targets[index]
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, staged[index] = tempfile.mkstemp(prefix=f".{target.name[:40]}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(handle, "wb") as stream:
            stream.writelines(rendered[index])
            stream.flush()
            os.fsync(stream.fileno())

    try:
        if len(items) < 2 * _WRITERS:
            for index in range(len(items)):
                stage(index)
        else:
            from concurrent.futures import ThreadPoolExecutor

            pool = ThreadPoolExecutor(_WRITERS, thread_name_prefix="feedesk-letters")
            try:
                for _done in pool.map(stage, range(len(items))):  # raises the first error
                    pass
            finally:  # on an error the files not begun are not written; those begun are finished
                pool.shutdown(wait=True, cancel_futures=True)
    except BaseException:
        for temporary in staged:
            if temporary is not None and os.path.exists(temporary):
                os.unlink(temporary)
        raise
    for temporary, target in zip(staged, targets):
        os.replace(temporary, target)


_WRITERS = 4  # threads writing a batch's files


def combine_docx(paths, out_path) -> pathlib.Path:
    """One .docx of several letters for printing, a page break before each appended letter.

    `paths` are .docx files (or their bytes, as render_docx returns them); styles, page setup
    and headers come from the first. Written atomically; returns out_path."""
    from docx import Document
    from docxcompose.composer import Composer

    sources = list(paths)
    if not sources:
        raise ValueError("combine_docx needs at least one letter")

    def load(source):
        return Document(io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else os.fspath(source))

    master = load(sources[0])
    composer = Composer(master)
    for source in sources[1:]:
        master.add_page_break()
        composer.append(load(source))
    buffer = io.BytesIO()
    composer.save(buffer)
    out_path = pathlib.Path(out_path)
    _write_atomically(out_path, buffer.getvalue())
    return out_path
