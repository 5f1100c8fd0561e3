"""Deterministic demo data for the fee desk: N customers over M months of an invented
property manager (青禾物业服务有限公司) that bills water, electricity and the property fee.

`make()` returns every input table in the core's typed form, the form the workbook's file
host gives back when it reads a table: money is integer fen ("Int64"), counts "Int64",
quantities, prices and rates float64 (NaN blank), dates datetime64[s] at midnight (NaT blank),
yes/no "boolean", and text, periods ('YYYY-MM') and choice codes pandas' "str" dtype with NaN
for a blank (never ''). Building a workbook from the frames and reading it back through the
file host gives the same frames. Columns are the layout's keys in the layout's order;
`TABLE_COLUMNS` repeats them here because the core may not import the workbook package
(tests/test_sample.py keeps the two equal).

The story the data tells, so that every job has something to find:
* Tariffs: tiered (阶梯) residential water and electricity, flat non-residential prices, a flat
  property fee per m² a month; water and electricity prices go up halfway through the span
  (version 1 from 1 January of the first year, version 2 from the change month's first day).
* Customers: ~85 % households, ~13 % shops, ~2 % institutions in five regions, each region with
  an officer; a few move in during the span, ~2 % are closed (no bills after closing), ~3 %
  suspended (meters stop), ~1 % exempt, ~4 % are poor payers who leave most of the arrears.
* Usage: one row per customer, month and fee item (water, electricity, property) while the
  customer is billed; meter readings run on from month to month; summer water, summer and
  winter electricity; ~1.5 % estimated readings. The property fee's quantity is the area.
* Bills: ONE bill per customer and month (账单), as a utility or property manager sends it:
  water, electricity and property fee are its items, and the items themselves are the Usage
  rows (the bill lines are the bill run's output, not sample data). BillID is 'B' + YYYYMM +
  a zero-padded sequence within the period; FeeItem and Quantity are blank. Amount is the sum
  of the month's item amounts, each exact (tier units x price in integer micro-yuan, with the
  tariff version in force at the reading date), each tier's line rounded half-up to the fen once.
  A few poor payers carry property-fee arrears from before the span: property-only bills
  (FeeItem 'property', Quantity the area) with no usage. So customers x months is about the
  number of bills: make(100_000, 12) gives about 1.2 million bills and 3.5 million usage rows.
* Payments pay bills, up to the as-of date, by bank / WeChat / Alipay / counter: mostly on
  time, ~10 % late, ~4 % partial (some settled later by a 补缴), ~1 % overpaid, ~0.5 % paid
  twice, ~5 % never paid; some bank transfers pay two or three months' bills at once.
  Bills.PaidAmount is the sum of the payments for the bill (duplicates and overpayments
  included) and Status follows.
* BankStatement: bank transfers with messy 附言, WeChat and Alipay settlements (T+1, net of
  the 0.6 % fee), counter cash deposits, payroll, the cleaner, the water and power companies,
  bank charges, quarterly interest and a month-end sweep to the head account; Balance is the
  running total.
* GL: account 1122 应收账款 by period: debit = bills of the period, credit = money received in
  the period's month; opening of the first period = the arrears carried over. Finance booked
  one day of counter cash a month late, so one period differs from the sub-ledger.
* AsOfDate is the 10th day after the last period ends (periods 2026-01..2026-12 -> 2027-01-10):
  the last period's bills (dated 2027-01-01, due 2027-01-16) are out but mostly not yet due.
"""

from __future__ import annotations

import dataclasses
import datetime
import operator
from decimal import Decimal

import numpy as np
import pandas as pd

from feedesk import dates

__all__ = ["TABLE_COLUMNS", "SampleBook", "make"]

# ---------------------------------------------------------------------------------------------
# The shape of the input tables (must equal workbook/layout.py; tests check it)
# ---------------------------------------------------------------------------------------------

TABLE_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "Tariffs": (
        ("TariffCode", "text"), ("TariffName", "text"), ("FeeItem", "text"), ("CustomerType", "text"),
        ("Model", "text"), ("Component", "text"), ("Tier", "int"), ("UpperBound", "number"),
        ("UnitPrice", "price"), ("FixedFee", "money"), ("BlockSize", "number"), ("FreeUnits", "number"),
        ("MinCharge", "money"), ("MaxCharge", "money"), ("Unit", "text"), ("ThresholdBasis", "text"),
        ("PersonsIncluded", "int"), ("ExtraPerPerson", "number"), ("SeasonMonths", "text"),
        ("EffectiveFrom", "date"), ("EffectiveTo", "date"), ("Proposed", "bool"), ("VATRate", "rate"),
        ("VATIncluded", "bool"), ("Rounding", "text"), ("Note", "text"),
    ),
    "Customers": (
        ("CustomerID", "text"), ("Name", "text"), ("CustomerType", "text"), ("Region", "text"),
        ("Address", "text"), ("Area", "number"), ("Persons", "int"), ("Phone", "text"), ("Email", "text"),
        ("Officer", "text"), ("Status", "text"), ("Exemption", "text"), ("OpenDate", "date"),
    ),
    "Usage": (
        ("CustomerID", "text"), ("Period", "period"), ("FeeItem", "text"), ("TariffCode", "text"),
        ("MeterID", "text"), ("ReadingDate", "date"), ("PrevReading", "number"), ("CurrReading", "number"),
        ("Quantity", "number"), ("Estimated", "bool"), ("MeterChanged", "bool"),
    ),
    "Bills": (
        ("BillID", "text"), ("CustomerID", "text"), ("Period", "period"), ("FeeItem", "text"),
        ("BillDate", "date"), ("DueDate", "date"), ("Quantity", "number"), ("Amount", "money"),
        ("PaidAmount", "money"), ("Status", "text"), ("Note", "text"),
    ),
    "Payments": (
        ("PaymentID", "text"), ("Channel", "text"), ("PaidDate", "date"), ("Amount", "money"),
        ("Fee", "money"), ("CustomerID", "text"), ("BillID", "text"), ("PayerName", "text"),
        ("Reference", "text"), ("ChannelTxnID", "text"), ("Note", "text"),
    ),
    "BankStatement": (
        ("TxnID", "text"), ("TxnDate", "date"), ("Credit", "money"), ("Debit", "money"), ("Balance", "money"),
        ("CounterpartyName", "text"), ("CounterpartyAccount", "text"), ("Summary", "text"), ("Memo", "text"),
    ),
    "GL": (
        ("Period", "period"), ("Account", "text"), ("AccountName", "text"), ("OpeningBalance", "money"),
        ("Debit", "money"), ("Credit", "money"), ("ClosingBalance", "money"),
    ),
    "Complaints": (
        ("ComplaintID", "text"), ("CustomerID", "text"), ("OpenedDate", "date"), ("Category", "text"),
        ("BillID", "text"), ("IsDispute", "bool"), ("Description", "text"), ("Resolution", "text"), ("Status", "text"),
        ("ResolvedDate", "date"), ("Satisfaction", "int"),
    ),
    "PeerTariffs": (
        ("City", "text"), ("FeeItem", "text"), ("CustomerType", "text"), ("Tier", "int"),
        ("UpperBound", "number"), ("UnitPrice", "price"), ("EffectiveFrom", "date"), ("Source", "text"),
    ),
    "LateFeeRules": (
        ("RuleID", "text"), ("CustomerType", "text"), ("FeeItem", "text"), ("DailyRate", "rate"),
        ("EarlierDailyRate", "rate"), ("GraceDays", "int"), ("Minimum", "money"), ("CapRatio", "rate"),
        ("Note", "text"),
    ),
    "DunningPolicy": (
        ("Level", "int"), ("Name", "text"), ("DaysOverdue", "int"), ("MinAmount", "money"),
        ("Channel", "text"), ("Template", "text"), ("Fee", "money"),
    ),
    "Targets": (
        ("KPI", "text"), ("Direction", "text"), ("Green", "number"), ("Amber", "number"), ("Unit", "text"),
        ("Note", "text"),
    ),
    "Templates": (
        ("TemplateKey", "text"), ("Language", "text"), ("Kind", "text"), ("File", "text"), ("Subject", "text"),
        ("Note", "text"),
    ),
    "ImportProfiles": (
        ("Profile", "text"), ("Kind", "text"), ("TargetColumn", "text"), ("SourceColumn", "text"),
        ("Encoding", "text"), ("Note", "text"),
    ),
}


@dataclasses.dataclass(frozen=True)
class SampleBook:
    tables: dict[str, pd.DataFrame]  # table key -> frame in the core's typed form
    settings: dict[str, object]  # Settings key -> value
    # What the generator knows and a reconciliation must find: PaymentID -> the BillID(s) it
    # pays (several rows for a transfer that pays several months). Not a workbook table.
    truth: pd.DataFrame | None = None


# ---------------------------------------------------------------------------------------------
# Invented world
# ---------------------------------------------------------------------------------------------

COMPANY = {
    "zh": {"CompanyName": "青禾物业服务有限公司", "CompanyAddress": "浙江省杭州市青禾区青禾路88号青禾大厦3楼",
           "ContactPerson": "林晓雯"},
    "en": {"CompanyName": "Qinghe Property Services Co., Ltd.",
           "CompanyAddress": "3/F Qinghe Tower, 88 Qinghe Road, Qinghe District, Hangzhou, Zhejiang",
           "ContactPerson": "Lin Xiaowen"},
}
CONTACT_PHONE = "0571-88652301"
CONTACT_EMAIL = "shoufei@qinghe-wuye.example.cn"
COMPANY_ZH = "青禾物业服务有限公司"
COMPANY_ACCOUNT = "1202001209000123456"
HEAD_ACCOUNT = "1202001209000654321"
WECHAT_MCHID = "1612345678"

ITEMS = ("water", "electricity", "property")
ITEM_ZH = ("水费", "电费", "物业费")
ITEM_EN = ("water", "electricity", "property fee")
# What the people paying call a month's bill (what they type into a bank 附言), and the
# name the payment channels show for it.
BILL_WORDS = ("物业水电费", "物业水电费", "水电费", "物业费", "水电物业费", "缴费")
BILL_GOODS = "物业水电费"
# Bill notes for estimated readings: water, electricity, both.
ESTIMATED_NOTE = {
    "zh": ("水表估抄，下期按实际读数多退少补", "电表估抄，下期按实际读数多退少补", "水表、电表估抄，下期按实际读数多退少补"),
    "en": ("Estimated water reading, trued up next month", "Estimated electricity reading, trued up next month",
           "Estimated water and electricity readings, trued up next month"),
}
TYPES = ("residential", "commercial", "institutional")
CHANNELS = ("bank", "wechat", "alipay", "counter")
REGIONS = ("东区", "西区", "南区", "北区", "中心区")
COMMUNITIES = ("东湖苑", "西溪花园", "南岸家园", "北辰小区", "青禾中心")
OFFICERS = ("陈晓东", "王丽娟", "刘海波", "赵敏", "孙建华")
MONTH_CN = ("一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月")

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚英华玉兰萍红鹏辉建国文斌宇浩凯健俊帆帅旭宁琳雪梅晶燕颖欣怡婷"
         "子轩梓涵诺雨泽思远佳琪晨博嘉睿瑞峰海波志秀桂林春秋德永")
SHOP_PREFIX = ("鑫源", "华联", "佳美", "永盛", "恒通", "金利", "福满", "德顺", "祥和", "瑞丰", "宏达", "兴旺", "新世纪",
               "好又多", "品味", "一品", "老街", "阿强", "小王", "百姓", "优选", "晨光", "喜乐", "东方", "万家", "青禾")
SHOP_SUFFIX = ("餐饮店", "超市", "便利店", "商贸有限公司", "理发店", "大药房", "五金店", "水果店", "培训中心",
               "科技有限公司", "服装店", "茶楼", "烘焙坊", "口腔诊所", "面馆", "洗衣店", "花店", "房产中介", "宠物店",
               "快递驿站")
INSTITUTION_PREFIX = ("青禾", "东湖", "西溪", "南岸", "北辰")
INSTITUTION_SUFFIX = ("街道办事处", "社区居民委员会", "第一幼儿园", "社区卫生服务中心", "警务室", "实验小学", "图书分馆",
                      "老年活动中心", "文化站", "党群服务中心")
MOBILE_PREFIXES = (130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 155, 156, 157, 158, 159, 166, 176,
                   177, 178, 180, 181, 182, 183, 185, 186, 187, 188, 189, 191, 198, 199)
MAIL_DOMAINS = ("qq.com", "163.com", "126.com", "sina.com", "outlook.com", "139.com")
BANK_SUMMARIES = ("跨行转入", "转账存入", "网银转入", "手机银行转入", "汇入")

# Seasonal factors by calendar month (January first).
WATER_SEASON = np.array([0.90, 0.88, 0.92, 0.97, 1.03, 1.12, 1.25, 1.28, 1.15, 1.00, 0.93, 0.90])
POWER_SEASON = np.array([1.35, 1.30, 1.05, 0.90, 0.92, 1.15, 1.60, 1.70, 1.25, 0.92, 1.00, 1.25])

# Tariffs: code, fee item, customer type, model, unit, VAT rate, tiers (upper bound, price v1,
# price v2 or None when the price does not change), zh name, en name. Prices in yuan, text.
TARIFFS = (
    ("WATER-RES", "water", "residential", "graduated", "m³", "0.09",
     ((15, "3.45", "3.65"), (22, "4.83", "5.11"), (None, "5.83", "6.17")), "居民生活用水（阶梯）",
     "Residential water (tiered)"),
    ("WATER-COM", "water", "commercial", "per_unit", "m³", "0.09", ((None, "5.20", "5.45"),),
     "非居民用水（经营）", "Non-residential water (business)"),
    ("WATER-INS", "water", "institutional", "per_unit", "m³", "0.09", ((None, "4.90", "5.10"),),
     "非居民用水（机关事业）", "Non-residential water (institutions)"),
    ("ELEC-RES", "electricity", "residential", "graduated", "kWh", "0.13",
     ((240, "0.4883", "0.5083"), (400, "0.5383", "0.5583"), (None, "0.7883", "0.8083")), "居民生活用电（阶梯）",
     "Residential electricity (tiered)"),
    ("ELEC-COM", "electricity", "commercial", "per_unit", "kWh", "0.13", ((None, "0.8163", "0.8463"),),
     "一般工商业用电", "Business electricity"),
    ("ELEC-INS", "electricity", "institutional", "per_unit", "kWh", "0.13", ((None, "0.7426", "0.7626"),),
     "机关事业单位用电", "Institutional electricity"),
    ("PROP-RES", "property", "residential", "per_unit", "㎡", "0.06", ((None, "2.20", None),),
     "住宅物业服务费", "Residential property fee"),
    ("PROP-COM", "property", "commercial", "per_unit", "㎡", "0.06", ((None, "6.50", None),),
     "商铺物业服务费", "Shop property fee"),
    ("PROP-INS", "property", "institutional", "per_unit", "㎡", "0.06", ((None, "4.00", None),),
     "办公用房物业服务费", "Office property fee"),
)
_TARIFF_INDEX = {(t[2], t[1]): i for i, t in enumerate(TARIFFS)}

_BIG_UNITS = np.int64(1) << 40  # "no upper bound", in hundredths of a unit


# ---------------------------------------------------------------------------------------------
# Typed columns
# ---------------------------------------------------------------------------------------------


def _column(kind: str, values, length: int):
    """One column in the core's typed form; None means all blank."""
    if kind in ("money", "int"):
        if values is None:
            return pd.arrays.IntegerArray(np.zeros(length, dtype=np.int64), np.ones(length, dtype=bool))
        if isinstance(values, pd.arrays.IntegerArray):
            return values
        return pd.arrays.IntegerArray(np.asarray(values, dtype=np.int64), np.zeros(length, dtype=bool))
    if kind in ("number", "price", "rate"):
        if values is None:
            return np.full(length, np.nan)
        return np.asarray(values, dtype=np.float64)
    if kind in ("date", "datetime"):
        if values is None:
            return np.full(length, np.datetime64("NaT"), dtype="datetime64[s]")
        return np.asarray(values).astype("datetime64[s]")
    if kind == "bool":
        if values is None:
            return pd.arrays.BooleanArray(np.zeros(length, dtype=bool), np.ones(length, dtype=bool))
        if isinstance(values, pd.arrays.BooleanArray):
            return values
        return pd.arrays.BooleanArray(np.asarray(values, dtype=bool), np.zeros(length, dtype=bool))
    # text, period and choice codes: an object array of str or None here; _frame makes it "str"
    if values is None:
        return np.full(length, None, dtype=object)
    out = np.asarray(values, dtype=object)
    if out.ndim != 1:  # a list of equal tuples would make numpy build a matrix
        out = np.empty(length, dtype=object)
        out[:] = list(values)
    return out


def _frame(key: str, data: dict, length: int | None = None) -> pd.DataFrame:
    spec = TABLE_COLUMNS[key]
    unknown = set(data) - {k for k, _ in spec}
    if unknown:
        raise KeyError(f"{key} has no column(s) {sorted(unknown)}")
    if length is None:
        length = len(next(iter(data.values())))
    columns = {}
    for column, kind in spec:
        values = _column(kind, data.get(column), length)
        if len(values) != length:
            raise ValueError(f"{key}.{column}: {len(values)} values for {length} rows")
        dtype = "str" if kind in ("text", "period") else None  # pandas' str: NaN blank, as the host reads
        columns[column] = pd.Series(values, dtype=dtype, copy=False)
    return pd.DataFrame(columns)


def _ints(values, mask) -> pd.arrays.IntegerArray:
    """Int64 with NA where mask is True."""
    values = np.asarray(values, dtype=np.int64)
    return pd.arrays.IntegerArray(np.where(mask, 0, values), np.asarray(mask, dtype=bool).copy())


def _bools(values, mask) -> pd.arrays.BooleanArray:
    return pd.arrays.BooleanArray(np.asarray(values, dtype=bool) & ~mask, np.asarray(mask, dtype=bool).copy())


def _objects(items) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _day(value: datetime.date) -> np.datetime64:
    return np.datetime64(value, "D")


def _date_parts(days: np.ndarray):
    """datetime64[D] -> (year, month, day) int64 arrays."""
    months = days.astype("datetime64[M]")
    index = months.astype(np.int64)
    day = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    return index // 12 + 1970, index % 12 + 1, day


def _ymd(days: np.ndarray) -> np.ndarray:
    year, month, day = _date_parts(days)
    return year * 10000 + month * 100 + day


def _seq_within(keys: np.ndarray) -> np.ndarray:
    """1, 2, 3 ... within runs of equal keys (keys sorted)."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.ones(n, dtype=bool)
    starts[1:] = keys[1:] != keys[:-1]
    positions = np.arange(n)
    first = np.maximum.accumulate(np.where(starts, positions, 0))
    return positions - first + 1


def _groups(link: np.ndarray) -> np.ndarray:
    """Group numbers 0, 1, 2 ... where link[i] joins item i to item i + 1."""
    start = np.ones(len(link), dtype=bool)
    start[1:] = ~link[:-1]
    return np.cumsum(start) - 1


def _width(count: int, least: int = 4) -> int:
    return max(least, len(str(max(int(count), 1))))


def _digits(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    """Random non-negative integers with at most `width` digits (width <= 18)."""
    return rng.integers(0, 10**width, size=n, dtype=np.int64)


_FULL_WIDTH = {code: code + 0xFEE0 for code in range(0x21, 0x7F)}
_FULL_WIDTH[0x20] = 0x3000


def _full_width(text: str) -> str:
    return text.translate(_FULL_WIDTH)


def _mask_name(name: str) -> str:
    if len(name) <= 2:
        return name[0] + "*"
    if len(name) == 3:
        return name[0] + "*" + name[2]
    return name[0] + "**" + name[-1]


def _price_units(text: str) -> int:
    """Yuan price text -> integer ten-thousandths of a yuan (exact)."""
    value = Decimal(text) * 10000
    if value != value.to_integral_value():
        raise ValueError(f"price {text} has more than 4 decimals")
    return int(value)


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------


def make(customers: int = 2000, months: int = 12, start_period: str = "2026-01", seed: int = 7,
         lang: str = "zh") -> SampleBook:
    """Demo data for `customers` customers over `months` billing periods from `start_period`.

    Same arguments, same frames, on every machine (numpy's PCG64 seeded from `seed`).
    """
    customers = operator.index(customers)
    months = operator.index(months)
    if customers < 1:
        raise ValueError("customers must be at least 1")
    if months < 1:
        raise ValueError("months must be at least 1")
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    start = dates.parse_period(start_period)
    return _Generator(customers, months, start, operator.index(seed), lang).run()


class _Generator:
    def __init__(self, customers: int, months: int, start: str, seed: int, lang: str):
        self.n = customers
        self.m = months
        self.lang = lang
        self.zh = lang == "zh"
        streams = np.random.SeedSequence([seed, 20260101]).spawn(8)
        self.rng_customers, self.rng_usage, self.rng_pay, self.rng_text, self.rng_bank, self.rng_complaints, \
            self.rng_legacy, self.rng_misc = (np.random.default_rng(s) for s in streams)
        self.periods = [dates.shift_period(start, i) for i in range(months)]
        self.period_objects = _objects(self.periods)
        # Period p runs from starts[p] to starts[p + 1] - 1 (one extra entry for the bill dates).
        self.starts = np.array([_day(dates.period_start(dates.shift_period(start, i))) for i in range(months + 1)])
        self.period_year, self.period_month, _ = _date_parts(self.starts[:months])
        self.last_period = self.periods[-1]
        self.as_of = dates.period_end(self.last_period) + datetime.timedelta(days=10)
        self.as_of_day = _day(self.as_of)
        self.first_year = dates.period_start(start).year
        self.change_index = max(1, months // 2)
        self.change_day = dates.period_start(dates.shift_period(start, self.change_index))

    # -- driver -------------------------------------------------------------------------------

    def run(self) -> SampleBook:
        tables = {}
        tables["Tariffs"] = self.tariffs()
        tables["Customers"] = self.customers()
        usage, bills = self.usage_and_bills()
        tables["Usage"] = usage
        tables["Bills"] = bills
        self.payments()
        self._payment_details()
        tables["BankStatement"] = self.bank_statement()
        tables["Payments"] = self.payments_frame()
        tables["Bills"] = self.bills_with_payments(bills)
        tables["GL"] = self.general_ledger()
        tables["Complaints"] = self.complaints()
        tables["PeerTariffs"] = self.peer_tariffs()
        tables["LateFeeRules"] = self.late_fee_rules()
        tables["DunningPolicy"] = self.dunning_policy()
        tables["Targets"] = self.targets()
        tables["Templates"] = self.templates()
        tables["ImportProfiles"] = self.import_profiles()
        ordered = {key: tables[key] for key in TABLE_COLUMNS}
        settings = {
            "AsOfDate": self.as_of,
            "Period": self.last_period,
            "Language": self.lang,
            "Currency": "CNY",
            **COMPANY[self.lang],
            "ContactPhone": CONTACT_PHONE,
            "ContactEmail": CONTACT_EMAIL,
            "PaymentDueDays": 15,
        }
        return SampleBook(ordered, settings, self.payment_truth())

    # -- tariffs ------------------------------------------------------------------------------

    def tariffs(self) -> pd.DataFrame:
        first_day = datetime.date(self.first_year, 1, 1)
        property_from = datetime.date(self.first_year - 3, 1, 1)
        change = self.change_day
        rows = []
        # price arrays: [type, item, version, tier]
        price = np.zeros((3, 3, 2, 3), dtype=np.int64)
        lower = np.zeros((3, 3, 2, 3), dtype=np.int64)
        width = np.zeros((3, 3, 2, 3), dtype=np.int64)
        for code, item, ctype, model, unit, vat, tiers, name_zh, name_en in TARIFFS:
            t, k = TYPES.index(ctype), ITEMS.index(item)
            versions = (0, 1) if tiers[0][2] is not None else (0,)
            for version in versions:
                if len(versions) == 1:
                    valid_from, valid_to = (property_from if item == "property" else first_day), None
                    note = None
                elif version == 0:
                    valid_from, valid_to = first_day, change - datetime.timedelta(days=1)
                    note = None
                else:
                    valid_from, valid_to = change, None
                    note = (f"{change.year}年{change.month}月{change.day}日起调价" if self.zh
                            else f"New price from {change.isoformat()}")
                previous_bound = 0
                for tier, (bound, price_v1, price_v2) in enumerate(tiers):
                    text = price_v1 if version == 0 else price_v2
                    rows.append({
                        "TariffCode": code, "TariffName": name_zh if self.zh else name_en, "FeeItem": item,
                        "CustomerType": ctype, "Model": model, "Tier": tier + 1,
                        "UpperBound": np.nan if bound is None else float(bound), "UnitPrice": float(text),
                        "Unit": unit, "ThresholdBasis": "monthly", "EffectiveFrom": _day(valid_from),
                        "EffectiveTo": np.datetime64("NaT") if valid_to is None else _day(valid_to),
                        "VATRate": float(vat), "VATIncluded": True, "Rounding": "half_up", "Note": note,
                        "Proposed": False,
                    })
                    for v in ((0, 1) if len(versions) == 1 else (version,)):
                        price[t, k, v, tier] = _price_units(text)
                        lower[t, k, v, tier] = previous_bound * 100
                        width[t, k, v, tier] = _BIG_UNITS if bound is None else (bound - previous_bound) * 100
                    previous_bound = bound if bound is not None else previous_bound
        self.price, self.lower, self.width = price.reshape(18, 3), lower.reshape(18, 3), width.reshape(18, 3)
        self.tariff_codes = _objects([TARIFFS[_TARIFF_INDEX[(t, k)]][0] for t in TYPES for k in ITEMS])
        rows += self._proposed_water(rows)
        data = {key: [row.get(key) for row in rows] for key in rows[0]}
        data["Proposed"] = np.array([bool(p) for p in data["Proposed"]], dtype=bool)
        data["VATIncluded"] = np.array(data["VATIncluded"], dtype=bool)
        data["EffectiveFrom"] = np.array(data["EffectiveFrom"], dtype="datetime64[D]")
        data["EffectiveTo"] = np.array(data["EffectiveTo"], dtype="datetime64[D]")
        data["Tier"] = np.array(data["Tier"], dtype=np.int64)
        return _frame("Tariffs", data)

    def _proposed_water(self, rows: list[dict]) -> list[dict]:
        """A proposed residential water price (拟调价) from the first day after the span: the
        tariff-impact job compares it with the price in force. Bills never use it."""
        start = dates.period_end(self.last_period) + datetime.timedelta(days=1)
        latest = max(r["EffectiveFrom"] for r in rows if r["TariffCode"] == "WATER-RES")
        proposed = []
        for row in rows:
            if row["TariffCode"] == "WATER-RES" and row["EffectiveFrom"] == latest:
                price = Decimal(repr(row["UnitPrice"])) + Decimal("0.35") * row["Tier"]
                proposed.append({**row, "UnitPrice": float(price), "EffectiveFrom": _day(start),
                                 "EffectiveTo": np.datetime64("NaT"), "Proposed": True,
                                 "Note": "拟调整（听证中）" if self.zh else "Proposed (under hearing)"})
        return proposed

    # -- customers ----------------------------------------------------------------------------

    def _person_names(self, rng: np.random.Generator, count: int) -> list[str]:
        weights = 1.0 / (np.arange(len(SURNAMES)) + 6.0)
        surname = rng.choice(len(SURNAMES), size=count, p=weights / weights.sum())
        first = rng.integers(0, len(GIVEN), size=count)
        second = rng.integers(0, len(GIVEN), size=count)
        single = rng.random(count) < 0.3
        return [SURNAMES[s] + GIVEN[a] + ("" if one else GIVEN[b])
                for s, a, b, one in zip(surname.tolist(), first.tolist(), second.tolist(), single.tolist())]

    def customers(self) -> pd.DataFrame:
        rng, n, m = self.rng_customers, self.n, self.m
        ctype = rng.choice(3, size=n, p=[0.85, 0.13, 0.02])
        self.ctype = ctype
        residential = ctype == 0
        width = _width(n, 6)
        ids = _objects([f"C{i:0{width}d}" for i in range(1, n + 1)])
        self.customer_ids = ids

        names = np.array(self._person_names(rng, n), dtype=object)
        shop = rng.integers(0, len(SHOP_PREFIX), n), rng.integers(0, len(SHOP_SUFFIX), n)
        inst = rng.integers(0, len(INSTITUTION_PREFIX), n), rng.integers(0, len(INSTITUTION_SUFFIX), n)
        for i in np.flatnonzero(ctype == 1).tolist():
            names[i] = SHOP_PREFIX[shop[0][i]] + SHOP_SUFFIX[shop[1][i]]
        for i in np.flatnonzero(ctype == 2).tolist():
            names[i] = INSTITUTION_PREFIX[inst[0][i]] + INSTITUTION_SUFFIX[inst[1][i]]
        self.names = names

        # Homes: every household its own flat; buildings are split evenly between the regions.
        res_index = np.flatnonzero(residential)
        per_building = 4 * 18 * 2  # units x floors x flats a floor
        buildings = max(5, -(-len(res_index) * 10 // (per_building * 8)))
        slots = rng.choice(buildings * per_building, size=len(res_index), replace=False)
        building, rest = np.divmod(slots, per_building)
        unit, rest = np.divmod(rest, 36)
        floor, flat = np.divmod(rest, 2)
        region = rng.integers(0, 5, size=n)
        region[res_index] = building * 5 // buildings
        first_building = (np.arange(5) * buildings + 4) // 5
        address = np.empty(n, dtype=object)
        for i, b, u, f, r, reg in zip(res_index.tolist(), building.tolist(), unit.tolist(), floor.tolist(),
                                      flat.tolist(), region[res_index].tolist()):
            address[i] = f"{COMMUNITIES[reg]}{b - first_building[reg] + 1}栋{u + 1}单元{f + 1}{r + 1:02d}"
        counters = [0] * 5
        for i in np.flatnonzero(~residential).tolist():
            reg = int(region[i])
            counters[reg] += 1
            k = counters[reg]
            if ctype[i] == 1:
                address[i] = f"{COMMUNITIES[reg]}商铺{(k - 1) // 200 + 1}-{(k - 1) % 200 + 1:03d}"
            else:
                address[i] = f"{COMMUNITIES[reg]}配套楼{k}号"
        self.region = region
        self.address = address

        area100 = np.empty(n, dtype=np.int64)
        area100[residential] = np.rint(np.clip(rng.normal(95, 20, n), 60, 150) * 100)[residential]
        shop_area = np.clip(np.exp(rng.normal(np.log(110), 0.6, n)), 20, 1500)
        area100[ctype == 1] = np.rint(shop_area * 100)[ctype == 1]
        area100[ctype == 2] = np.rint(rng.uniform(200, 2500, n) * 100)[ctype == 2]
        self.area100 = area100
        persons = rng.choice(np.arange(1, 9), size=n, p=[0.12, 0.25, 0.30, 0.18, 0.09, 0.045, 0.01, 0.005])
        self.persons = np.where(residential, persons, 0)

        prefixes = np.array(MOBILE_PREFIXES)[rng.integers(0, len(MOBILE_PREFIXES), n)]
        phone_tail = _digits(rng, n, 8)
        phones = _objects([f"{p}{t:08d}" for p, t in zip(prefixes.tolist(), phone_tail.tolist())])
        self.phones = phones
        has_mail = rng.random(n) < 0.4
        domains = rng.integers(0, len(MAIL_DOMAINS), n)
        qq_number = rng.integers(100000, 3_000_000_000, n)
        letters = rng.integers(97, 123, size=(n, 6), dtype=np.uint8)
        letter_len = rng.integers(4, 7, n)
        suffix = rng.integers(0, 100, n)
        handles = letters.view("S6").ravel()
        mail = np.full(n, None, dtype=object)
        for i in np.flatnonzero(has_mail).tolist():
            domain = MAIL_DOMAINS[domains[i]]
            if domain == "qq.com":
                mail[i] = f"{qq_number[i]}@qq.com"
            else:
                mail[i] = f"{handles[i][:letter_len[i]].decode()}{suffix[i]:02d}@{domain}"
        self.mail = mail

        # Life cycle: who is billed in which periods.
        start_day = self.starts[0]
        opened_before = start_day - rng.integers(30, 18 * 365, n).astype("timedelta64[D]")
        first = np.zeros(n, dtype=np.int64)
        end = np.full(n, m, dtype=np.int64)
        status = np.zeros(n, dtype=np.int64)  # 0 active, 1 suspended, 2 closed
        suspend = np.full(n, m, dtype=np.int64)
        open_day = opened_before
        if m >= 3:
            newcomer = residential & (rng.random(n) < 0.03)
            span_days = int((self.starts[m - 1] - start_day).astype(np.int64))
            open_in_span = start_day + rng.integers(0, max(span_days, 1), n).astype("timedelta64[D]")
            open_day = np.where(newcomer, open_in_span, opened_before)
            first = np.where(newcomer, (open_day.astype("datetime64[M]") - start_day.astype("datetime64[M]"))
                             .astype(np.int64) + 1, 0)
        else:
            newcomer = np.zeros(n, dtype=bool)
        draw = rng.random(n)
        closed = ~newcomer & (draw < 0.02)
        suspended = ~newcomer & (draw >= 0.02) & (draw < 0.05)
        end = np.where(closed, rng.integers(1, m + 1, n), end)
        suspend = np.where(suspended, rng.integers(0, m, n), suspend)
        status[suspended] = 1
        status[closed] = 2
        self.first, self.end, self.suspend = first, end, suspend
        self.open_day = open_day
        self.bad_payer = rng.random(n) < 0.04
        exemption = np.full(n, None, dtype=object)
        exempt = rng.random(n) < 0.01
        exemption[exempt & residential] = "hardship"
        exemption[exempt & ~residential] = "vip"
        self.exemption = exemption

        # How each customer pays: preferred channel, payer names as the channels show them.
        res_p, other_p = [0.30, 0.35, 0.25, 0.10], [0.55, 0.20, 0.15, 0.10]
        channel = np.where(residential, rng.choice(4, size=n, p=res_p), rng.choice(4, size=n, p=other_p))
        self.preferred_channel = channel
        openid_chars = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", dtype=np.uint8)
        openid = openid_chars[rng.integers(0, 62, size=(n, 22))].copy().view("S22").ravel()
        self.openid = _objects(["oUpF8u" + x.decode() for x in openid.tolist()])
        masked = [_mask_name(x) for x in names.tolist()]
        alipay = []
        for i in range(n):
            if mail[i] is not None and i % 3 == 0:
                user, domain = mail[i].split("@")
                alipay.append(f"{masked[i]}({user[:3]}***@{domain})")
            else:
                alipay.append(f"{masked[i]}({phones[i][:3]}****{phones[i][-4:]})")
        self.alipay_payer = _objects(alipay)
        card = _digits(rng, n, 17)
        corporate = _digits(rng, n, 15)
        self.bank_account = _objects([
            f"62{c:017d}" if t == 0 else f"3{k:015d}01" for c, k, t in zip(card.tolist(), corporate.tolist(),
                                                                          ctype.tolist())])

        status_codes = np.array(["active", "suspended", "closed"], dtype=object)
        return _frame("Customers", {
            "CustomerID": ids,
            "Name": names,
            "CustomerType": np.array(TYPES, dtype=object)[ctype],
            "Region": np.array(REGIONS, dtype=object)[region],
            "Address": address,
            "Area": area100 / 100,
            "Persons": _ints(self.persons, ~residential),
            "Phone": phones,
            "Email": mail,
            "Officer": np.array(OFFICERS, dtype=object)[region],
            "Status": status_codes[status],
            "Exemption": exemption,
            "OpenDate": open_day,
        })

    # -- usage and bills ----------------------------------------------------------------------

    def usage_and_bills(self):
        rng, n, m = self.rng_usage, self.n, self.m
        ctype = self.ctype
        month_of_year = self.period_month - 1  # 0..11 for each period
        water_season = WATER_SEASON[month_of_year][:, None]
        power_season = POWER_SEASON[month_of_year][:, None]
        area = self.area100 / 100
        persons = self.persons
        level = np.exp(rng.normal(0, 0.25, size=(2, n)))  # each customer's own habits
        water_base = np.select([ctype == 0, ctype == 1], [2.2 + 2.6 * persons, area * 0.12], area * 0.05)
        power_base = np.select([ctype == 0, ctype == 1], [70 + 45 * persons, area * 9.0], area * 5.0)
        # Shops and offices feel the seasons less than homes do.
        soften = np.where(ctype == 0, 1.0, 0.5)
        water_mean = water_base * level[0] * (1 + (water_season - 1) * soften)
        power_mean = power_base * level[1] * (1 + (power_season - 1) * soften)
        mean = np.stack([water_mean, power_mean], axis=2)  # (m, n, 2)
        noise = rng.gamma(12.0, 1 / 12.0, size=mean.shape)
        estimated = rng.random(mean.shape) < 0.015
        quantity = np.rint(np.where(estimated, mean, mean * noise)).astype(np.int64)
        periods = np.arange(m)[:, None]
        active = (periods >= self.first[None, :]) & (periods < self.end[None, :])  # (m, n)
        stopped = periods >= self.suspend[None, :]
        quantity[~active | stopped] = 0
        estimated &= (active & ~stopped)[:, :, None]
        initial = np.stack([rng.integers(0, 3000, n), rng.integers(0, 40000, n)], axis=1)  # per meter
        current = initial[None, :, :] + np.cumsum(quantity, axis=0)
        previous = current - quantity

        # Rows: period-major, then customer, then fee item (water, electricity, property).
        flat = np.flatnonzero(np.repeat(active.ravel(), 3))
        pi, rest = np.divmod(flat, 3 * n)
        ci, ki = np.divmod(rest, 3)
        metered = ki < 2
        km = np.minimum(ki, 1)
        q = quantity[pi, ci, km]
        q100 = np.where(metered, q * 100, self.area100[ci])
        prev = np.where(metered, previous[pi, ci, km].astype(np.float64), np.nan)
        curr = np.where(metered, current[pi, ci, km].astype(np.float64), np.nan)
        est = estimated[pi, ci, km] & metered
        reading_day = 20 + self.region * 1 + rng.integers(0, 3, n)  # 20..26 by region, then a day or two
        jitter = rng.integers(0, 2, len(flat))
        read_on = self.starts[pi] + (reading_day[ci] - 1 + jitter).astype("timedelta64[D]")
        read_on = np.where(metered, read_on, np.datetime64("NaT"))
        width = _width(n, 7)
        meter_ids = np.empty((n, 2), dtype=object)
        meter_ids[:, 0] = [f"W{i:0{width}d}" for i in range(1, n + 1)]
        meter_ids[:, 1] = [f"E{i:0{width}d}" for i in range(1, n + 1)]
        meter = np.where(metered, meter_ids[ci, km], None)
        combo = ctype[ci] * 3 + ki
        tariff = self.tariff_codes[combo]

        # Exact amounts: units (1/100) x price (1/10000 yuan) = micro-yuan, each tier's line
        # rounded half-up once, as the bill run does (a bill's lines add up to the bill).
        version = (pi >= self.change_index).astype(np.int64)
        row = combo * 2 + version
        item_amount = np.zeros(len(flat), dtype=np.int64)
        for tier in range(3):
            units = np.clip(q100 - self.lower[row, tier], 0, self.width[row, tier])
            item_amount += (units * self.price[row, tier] + 5000) // 10000

        items = np.array(ITEMS, dtype=object)
        customer = self.customer_ids[ci]
        usage = _frame("Usage", {
            "CustomerID": customer, "Period": self.period_objects[pi], "FeeItem": items[ki], "TariffCode": tariff,
            "MeterID": meter, "ReadingDate": read_on, "PrevReading": prev, "CurrReading": curr,
            "Quantity": q100 / 100, "Estimated": _bools(est, ~metered),
        })
        del customer, meter, read_on, prev, curr, tariff

        # Bills: one per customer and period, covering that month's three fee items (the usage
        # rows of a bill are its three consecutive rows, water, electricity, property).
        self.usage_pi, self.usage_ki, self.usage_amount = pi, ki, item_amount
        self.usage_bill = np.arange(len(flat)) // 3
        pi, ci = pi[::3], ci[::3]
        amount = item_amount.reshape(-1, 3).sum(axis=1)
        self.bill_count = len(pi)
        self.pi, self.ci, self.amount = pi, ci, amount
        estimated_items = est.reshape(-1, 3)[:, :2]

        # Arrears carried over from the old system: property fee of a few poor payers.
        legacy = self._legacy_bills()
        bill_period = np.concatenate([legacy["period"], pi])
        counts = np.bincount(bill_period + legacy["depth"], minlength=m + legacy["depth"])
        width = _width(counts.max())
        seq = _seq_within(bill_period)
        period_code = np.array([int(p.replace("-", "")) for p in
                                (dates.shift_period(self.periods[0], k - legacy["depth"])
                                 for k in range(m + legacy["depth"]))], dtype=np.int64)
        codes = period_code[bill_period + legacy["depth"]] * 10**width + seq
        bill_ids = _objects([f"B{x}" for x in codes.tolist()])
        legacy_count = len(legacy["period"])
        self.bill_ids = bill_ids[legacy_count:]
        self.legacy = legacy
        self.legacy_ids = bill_ids[:legacy_count]
        bill_day = self.starts[pi + 1]
        self.bill_day = bill_day
        notes = np.array([None, *ESTIMATED_NOTE[self.lang]], dtype=object)
        note = notes[estimated_items[:, 0] * 1 + estimated_items[:, 1] * 2]
        bills = {
            "BillID": bill_ids,
            "CustomerID": np.concatenate([self.customer_ids[legacy["customer"]], self.customer_ids[ci]]),
            "Period": np.concatenate([legacy["period_text"], self.period_objects[pi]]),
            "FeeItem": np.concatenate([np.full(legacy_count, "property", dtype=object),
                                       np.full(len(pi), None, dtype=object)]),
            "BillDate": np.concatenate([legacy["bill_day"], bill_day]),
            "DueDate": np.concatenate([legacy["bill_day"], bill_day]) + np.timedelta64(15, "D"),
            "Quantity": np.concatenate([legacy["q100"] / 100, np.full(len(pi), np.nan)]),
            "Amount": np.concatenate([legacy["amount"], amount]),
            "Note": np.concatenate([np.full(legacy_count, "历史欠费（系统切换前）" if self.zh
                                            else "Arrears carried over from the old system", dtype=object), note]),
        }
        return usage, bills

    def _legacy_bills(self) -> dict:
        rng, n = self.rng_legacy, self.n
        carries = self.bad_payer & (self.first == 0) & (rng.random(n) < 0.5)
        who = np.flatnonzero(carries)
        depth_each = rng.integers(1, 7, len(who))  # months owed before the span
        depth = int(depth_each.max()) if len(who) else 0
        customer = np.repeat(who, depth_each)
        back = np.concatenate([np.arange(d, 0, -1) for d in depth_each.tolist()]) if len(who) else \
            np.zeros(0, dtype=np.int64)
        order = np.lexsort((customer, -back))
        customer, back = customer[order], back[order]
        period = -back  # relative to the first period
        prop = self.ctype[customer] * 3 + 2
        q100 = self.area100[customer]
        amount = (q100 * self.price[prop * 2, 0] + 5000) // 10000
        starts = np.array([_day(dates.period_start(dates.shift_period(self.periods[0], -k)))
                           for k in range(depth, -1, -1)], dtype="datetime64[D]")
        return {
            "customer": customer, "period": period.astype(np.int64), "depth": depth, "q100": q100,
            "amount": amount,
            "period_text": _objects([dates.shift_period(self.periods[0], int(p)) for p in period.tolist()]),
            "bill_day": starts[period + 1 + depth] if len(customer) else np.zeros(0, dtype="datetime64[D]"),
        }

    # -- payments -----------------------------------------------------------------------------

    def payments(self) -> None:
        """Who pays which bill, when, how much and by which channel (arrays, no frame yet)."""
        rng = self.rng_pay
        count, n, m = self.bill_count, self.n, self.m
        pi, ci, amount = self.pi, self.ci, self.amount
        bad = self.bad_payer[ci]
        unpaid = rng.random(count) < np.where(bad, 0.45, 0.03)
        channel = self.preferred_channel[ci].copy()
        switch = rng.random(count) < 0.12
        channel[switch] = rng.choice(4, size=int(switch.sum()), p=[0.30, 0.35, 0.25, 0.10])
        late = rng.random(count) < np.where(bad, 0.35, 0.085)
        delay = np.where(late, 16 + rng.integers(0, 75, count), np.minimum(rng.integers(0, 16, count),
                                                                         rng.integers(0, 16, count)))
        day = self.starts[pi + 1] + delay.astype("timedelta64[D]")

        u = rng.random(count)
        payable = ~unpaid & (amount > 0)
        outcome = np.select([u < 0.04, u < 0.05, u < 0.055], [1, 2, 3], 0)  # full, partial, over, twice
        part = amount * rng.integers(30, 81, count) // 100 // 100 * 100
        outcome = np.where((outcome == 1) & ((part <= 0) | (part >= amount)), 0, outcome)
        first_amount = np.select([outcome == 1, outcome == 2], [part, (amount // 1000 + 1) * 1000], amount)

        # A bank customer sometimes pays two or three months' bills in one transfer, on the day
        # the last of them is paid (the earlier ones late). A customer's bills are consecutive
        # periods, so in customer-major order a bill's next month is the next bill.
        bill_at = np.full((m, n), -1, dtype=np.int64)
        bill_at[pi, ci] = np.arange(count)
        order = bill_at.T.ravel()
        order = order[order >= 0]
        same_customer = np.zeros(count, dtype=bool)
        same_customer[:-1] = ci[order[1:]] == ci[order[:-1]]
        simple = (payable & (outcome == 0) & (channel == 0))[order]
        link = same_customer & simple & (rng.random(count) < 0.15)
        link[:-1] &= simple[1:]
        group = _groups(link)
        link &= _seq_within(group) % 3 != 0  # three months at most
        group = _groups(link)
        last = np.ones(count, dtype=bool)
        last[:-1] = group[1:] != group[:-1]
        last_of_group = np.flatnonzero(last)
        lead_of = np.empty(count, dtype=np.int64)  # the bill whose payment pays this one
        lead_of[order] = order[last_of_group[group]]
        merged = np.zeros(count, dtype=bool)
        merged[order] = (np.bincount(group) >= 2)[group]
        lead = merged & (lead_of == np.arange(count))
        day = day[lead_of]

        first = np.flatnonzero(payable)
        twice = np.flatnonzero(payable & (outcome == 3))
        topup = np.flatnonzero(payable & (outcome == 1) & (rng.random(count) < 0.4))
        twice_channel = np.where(rng.random(len(twice)) < 0.5, channel[twice],
                                 rng.choice(4, size=len(twice), p=[0.30, 0.35, 0.25, 0.10]))
        bill = np.concatenate([first, twice, topup])
        kind = np.concatenate([np.zeros(len(first), np.int64), np.ones(len(twice), np.int64),
                               np.full(len(topup), 2, np.int64)])
        pay_amount = np.concatenate([first_amount[first], amount[twice], amount[topup] - part[topup]])
        pay_day = np.concatenate([
            day[first],
            day[twice] + rng.integers(1, 7, len(twice)).astype("timedelta64[D]"),
            day[topup] + rng.integers(10, 41, len(topup)).astype("timedelta64[D]"),
        ])
        pay_channel = np.concatenate([channel[first], twice_channel, channel[topup]])
        keep = pay_day <= self.as_of_day
        bill, kind, pay_amount, pay_day, pay_channel = (x[keep] for x in (bill, kind, pay_amount, pay_day,
                                                                          pay_channel))
        self.paid = np.zeros(count, dtype=np.int64)
        np.add.at(self.paid, bill, pay_amount)

        # Fold each group of months paid together into one payment, kept at its last bill.
        is_member = (kind == 0) & merged[bill]
        totals = np.zeros(count, dtype=np.int64)
        np.add.at(totals, lead_of[bill[is_member]], pay_amount[is_member])
        at_lead = is_member & lead[bill]
        pay_amount = np.where(at_lead, totals[bill], pay_amount)
        keep = ~is_member | at_lead
        bill, kind, pay_amount, pay_day, pay_channel, folded = (
            x[keep] for x in (bill, kind, pay_amount, pay_day, pay_channel, at_lead))
        members = {}
        if folded.any():
            position = np.empty(count, dtype=np.int64)
            position[order] = np.arange(count)
            first_of_group = np.concatenate([[0], last_of_group[:-1] + 1])
            for at, b in zip(np.flatnonzero(folded).tolist(), bill[folded].tolist()):
                g = group[position[b]]
                members[at] = order[first_of_group[g]:last_of_group[g] + 1].tolist()
        self.pay = {
            "bill": bill, "kind": kind, "amount": pay_amount, "day": pay_day, "channel": pay_channel,
            "merged": folded, "members": members,
        }

    def _references(self, rng, bill, channel, kind, members, has_bill) -> np.ndarray:
        """The reference text each channel's export carries, messy where people typed it."""
        count = len(bill)
        out = np.full(count, None, dtype=object)
        pattern = rng.random(count)
        pi, ci = self.pi[bill], self.ci[bill]
        words = np.array(BILL_WORDS, dtype=object)[rng.integers(0, len(BILL_WORDS), count)]

        def fill(mask, build):
            at = np.flatnonzero(mask)
            if not len(at):
                return
            rows = bill[at]
            pieces = {
                "bill": self.bill_ids[rows], "cust": self.customer_ids[ci[at]], "item": words[at],
                "year": self.period_year[pi[at]], "month": self.period_month[pi[at]], "address": self.address[ci[at]],
            }
            lists = {key: value.tolist() for key, value in pieces.items()}
            out[at] = _objects(build(lists))

        def month_of(d):  # the goods name the WeChat and Alipay orders carry
            return [f"{BILL_GOODS}{y}年{m}月" for y, m in zip(d["year"], d["month"])]

        bank, wechat, alipay, counter = (channel == c for c in range(4))
        # WeChat 商户数据包, or the 商品名称 when the bill id was not passed on.
        fill(wechat & has_bill & (pattern < 0.8), lambda d: [f"{b}|{c}" for b, c in zip(d["bill"], d["cust"])])
        fill(wechat & has_bill & (pattern >= 0.8), lambda d: d["bill"])
        fill(wechat & ~has_bill, lambda d: [f"{t} {a}" for t, a in zip(month_of(d), d["address"])])
        # Alipay 商品名称.
        fill(alipay & has_bill, lambda d: [f"{t} {b}" for t, b in zip(month_of(d), d["bill"])])
        fill(alipay & ~has_bill & (pattern < 0.6), lambda d: [f"{t} {c}" for t, c in zip(month_of(d), d["cust"])])
        fill(alipay & ~has_bill & (pattern >= 0.6), month_of)
        # Counter receipts.
        fill(counter & has_bill, lambda d: ["柜台缴费 " + b for b in d["bill"]])
        fill(counter & ~has_bill, lambda d: ["柜台缴费 " + a for a in d["address"]])
        # Bank 附言, typed by people.
        plain = bank & (kind != 2)
        plain[list(members)] = False
        fill(bank & (kind == 2), lambda d: [f"{c} {b} 补缴" for c, b in zip(d["cust"], d["bill"])])
        fill(plain & has_bill & (pattern < 0.5), lambda d: [b + i for b, i in zip(d["bill"], d["item"])])
        fill(plain & has_bill & (pattern >= 0.5) & (pattern < 0.65),
             lambda d: [f"{c} {b}" for c, b in zip(d["cust"], d["bill"])])
        fill(plain & has_bill & (pattern >= 0.65) & (pattern < 0.85), lambda d: d["bill"])
        fill(plain & has_bill & (pattern >= 0.85), lambda d: [_full_width(b + " ") + i for b, i in
                                                             zip(d["bill"], d["item"])])
        fill(plain & ~has_bill & (pattern < 0.35),
             lambda d: [f"{c} {MONTH_CN[m - 1]}{i}" for c, m, i in zip(d["cust"], d["month"], d["item"])])
        fill(plain & ~has_bill & (pattern >= 0.35) & (pattern < 0.5),
             lambda d: [c.lower() + i for c, i in zip(d["cust"], d["item"])])
        fill(plain & ~has_bill & (pattern >= 0.5) & (pattern < 0.7),
             lambda d: [a + i for a, i in zip(d["address"], d["item"])])
        fill(plain & ~has_bill & (pattern >= 0.7) & (pattern < 0.8),
             lambda d: [f"{y}年{m}月{i}" for y, m, i in zip(d["year"], d["month"], d["item"])])
        # pattern >= 0.8 without a bill id: an empty 附言.
        for at, rows in members.items():  # one transfer for several bills
            ids = [self.bill_ids[b] for b in rows]
            out[at] = ",".join(ids) + f" {len(ids)}个月{BILL_GOODS}"
        return out

    def payment_truth(self) -> pd.DataFrame:
        pay = self.pay
        payment, bill = [], []
        for at, (pid, b) in enumerate(zip(pay["id"].tolist(), pay["bill"].tolist())):
            for member in pay["members"].get(at, [b]):
                payment.append(pid)
                bill.append(self.bill_ids[member])
        return pd.DataFrame({"PaymentID": pd.array(payment, dtype="str"), "BillID": pd.array(bill, dtype="str")})

    def payments_frame(self) -> pd.DataFrame:
        pay = self.pay
        return _frame("Payments", {
            "PaymentID": pay["id"], "Channel": np.array(CHANNELS, dtype=object)[pay["channel"]],
            "PaidDate": pay["day"], "Amount": pay["amount"], "Fee": _ints(pay["fee"], pay["fee"] < 0),
            "CustomerID": pay["customer_id"], "BillID": pay["bill_id"], "PayerName": pay["payer"],
            "Reference": pay["reference"], "ChannelTxnID": pay["txn"], "Note": pay["note"],
        })

    def _payment_details(self) -> None:
        """Ids, payer names, references and channel ids for the payments (bank txn ids come later)."""
        rng = self.rng_text
        pay = self.pay
        count = len(pay["bill"])
        # Order by day, with the channels interleaved as a day's receipts would be.
        order = np.lexsort((rng.random(count), pay["day"]))
        for key in ("bill", "kind", "amount", "day", "channel", "merged"):
            pay[key] = pay[key][order]
        position = np.empty(count, dtype=np.int64)
        position[order] = np.arange(count)
        pay["members"] = {int(position[at]): rows for at, rows in pay["members"].items()}
        bill, channel, amount, day = pay["bill"], pay["channel"], pay["amount"], pay["day"]
        ci = self.ci[bill]
        online = (channel == 1) | (channel == 2)
        pay["fee"] = np.where(online, (amount * 6 + 500) // 1000, -1)
        has_customer = rng.random(count) < np.array([0.55, 0.97, 0.95, 0.99])[channel]
        has_bill = (rng.random(count) < np.array([0.35, 0.90, 0.85, 0.95])[channel]) & ~pay["merged"]
        customer_id = self.customer_ids[ci]
        customer_id[~has_customer] = None
        pay["customer_id"] = customer_id
        bill_id = self.bill_ids[bill]
        bill_id[~has_bill] = None
        pay["bill_id"] = bill_id
        # The payer as each channel shows it; someone else in the family sometimes pays by bank.
        payer = self.names[ci]
        account = self.bank_account[ci]
        wechat, alipay, counter = (np.flatnonzero(channel == c) for c in (1, 2, 3))
        payer[wechat] = self.openid[ci[wechat]]
        payer[alipay] = self.alipay_payer[ci[alipay]]
        other = np.flatnonzero((channel == 0) & (self.ctype[ci] == 0) & (rng.random(count) < 0.12))
        payer[other] = _objects(self._person_names(rng, len(other)))
        account[other] = _objects([f"62{x:017d}" for x in _digits(rng, len(other), 17).tolist()])
        pay["payer"], pay["account"] = payer, account
        pay["reference"] = self._references(rng, bill, channel, pay["kind"], pay["members"], has_bill)
        ymd = _ymd(day)
        per_day = _seq_within(ymd)
        width = _width(per_day.max() if count else 1)
        pay["id"] = _objects([f"P{x}" for x in (ymd * 10**width + per_day).tolist()])
        txn = np.full(count, None, dtype=object)
        a, b = _digits(rng, count, 5), _digits(rng, count, 10)
        txn[wechat] = _objects([f"42000{x:05d}{d}{y:010d}" for x, d, y in
                                zip(a[wechat].tolist(), ymd[wechat].tolist(), b[wechat].tolist())])
        txn[alipay] = _objects([f"{d}22001{x:05d}{y:010d}" for x, d, y in
                                zip(a[alipay].tolist(), ymd[alipay].tolist(), b[alipay].tolist())])
        txn[counter] = _objects([f"{d}{s:05d}" for d, s in
                                 zip(ymd[counter].tolist(), _seq_within(ymd[counter]).tolist())])
        pay["txn"] = txn
        note = np.full(count, None, dtype=object)
        note[pay["kind"] == 2] = "补缴" if self.zh else "balance of a partial payment"
        pay["note"] = note

    # -- bank statement -----------------------------------------------------------------------

    def bank_statement(self) -> pd.DataFrame:
        rng = self.rng_bank
        pay = self.pay
        n = self.n
        as_of = self.as_of_day
        span_start = self.starts[0]
        parts = []

        def add(day, seconds, credit, debit, name, account, summary, memo, source=None):
            size = len(day)
            parts.append({
                "day": np.asarray(day, dtype="datetime64[D]"), "sec": np.asarray(seconds, dtype=np.int64),
                "credit": np.asarray(credit, dtype=np.int64), "debit": np.asarray(debit, dtype=np.int64),
                "name": _column("text", name, size), "account": _column("text", account, size),
                "summary": _column("text", summary, size), "memo": _column("text", memo, size),
                "source": np.full(size, -1, np.int64) if source is None else np.asarray(source, np.int64),
            })

        # Customers' own transfers.
        bank = np.flatnonzero(pay["channel"] == 0)
        size = len(bank)
        ci = self.ci[pay["bill"][bank]]
        summary = np.array(BANK_SUMMARIES, dtype=object)[rng.integers(0, len(BANK_SUMMARIES), size)]
        summary = np.where(self.ctype[ci] == 0, summary, "汇入")
        add(pay["day"][bank], rng.integers(7 * 3600 + 1800, 22 * 3600, size), pay["amount"][bank],
            np.full(size, -1), pay["payer"][bank], pay["account"][bank], summary, pay["reference"][bank], bank)

        # WeChat and Alipay settle the day's receipts the next morning, net of fees.
        for code, name, account, summary, time_of_day in (
                (1, "财付通支付科技有限公司", "1103520290000321654", "汇入", 9 * 3600 + 5 * 60),
                (2, "支付宝（中国）网络技术有限公司", "1001300219000008761", "支付宝提现", 10 * 3600 + 31 * 60)):
            mine = pay["channel"] == code
            days, inverse = np.unique(pay["day"][mine], return_inverse=True)
            net = np.bincount(inverse, weights=(pay["amount"][mine] - pay["fee"][mine]).astype(np.float64),
                              minlength=len(days))
            net = np.rint(net).astype(np.int64)
            settle = days + np.timedelta64(1, "D")
            ok = settle <= as_of
            if code == 1:
                memo = [f"微信支付结算 {WECHAT_MCHID} {d}" for d in _ymd(days[ok]).tolist()]
            else:
                memo = [f"支付宝提现 {d}" for d in _ymd(days[ok]).tolist()]
            add(settle[ok], np.full(ok.sum(), time_of_day) + rng.integers(0, 300, ok.sum()), net[ok],
                np.full(ok.sum(), -1), np.full(ok.sum(), name, object), np.full(ok.sum(), account, object),
                np.full(ok.sum(), summary, object), memo)

        # The counter's cash goes to the bank the same afternoon.
        mine = pay["channel"] == 3
        days, inverse = np.unique(pay["day"][mine], return_inverse=True)
        cash = np.rint(np.bincount(inverse, weights=pay["amount"][mine].astype(np.float64),
                                   minlength=len(days))).astype(np.int64)
        add(days, np.full(len(days), 16 * 3600 + 40 * 60), cash, np.full(len(days), -1), None, None,
            np.full(len(days), "现金存入", object),
            [f"柜台收款现金存入 {d}" for d in _ymd(days).tolist()])
        self.counter_cash = (days, cash)

        # The company's own outgoings, month by month.
        staff = max(4, round(n / 250))
        payroll = staff * 560000
        cleaner = n * 850
        billed_water, billed_power = (
            np.bincount(self.usage_pi, weights=np.where(self.usage_ki == k, self.usage_amount, 0).astype(np.float64),
                        minlength=self.m) for k in (0, 1))
        rows = []  # (day, seconds, credit, debit, name, account, summary, memo)
        month = span_start.astype("datetime64[M]")
        last_month = as_of.astype("datetime64[M]")
        index = 0
        while month <= last_month:
            first = month.astype("datetime64[D]")
            year, mon, _ = (int(x[0]) for x in _date_parts(np.array([first])))
            prev_year, prev_mon = (year, mon - 1) if mon > 1 else (year - 1, 12)
            end = (month + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
            wobble = int(rng.integers(-30000, 30000))
            rows.append((first + 4, 10 * 3600 + 12 * 60, -1, cleaner + wobble, "某保洁服务有限公司",
                         "110923456710201", "网银转账", f"{prev_mon}月保洁服务费"))
            rows.append((first + 4, 10 * 3600 + 12 * 60 + 1, -1, 1200, None, None, "手续费", "网银转账手续费"))
            rows.append((first + 9, 9 * 3600 + 30 * 60, -1, payroll + int(rng.integers(-50000, 50000)) * staff,
                         None, None, "代发工资", f"{prev_year}年{prev_mon}月工资"))
            rows.append((first + 9, 9 * 3600 + 30 * 60 + 1, -1, staff * 100, None, None, "手续费", "代发工资手续费"))
            if 1 <= index <= self.m:
                water = int(billed_water[index - 1]) * 95 // 100
                power = int(billed_power[index - 1]) * 95 // 100
                rows.append((first + 19, 14 * 3600, -1, water, "青禾自来水有限公司", "33001618835053001234", "网银转账",
                             f"{prev_year}年{prev_mon}月代收水费结算"))
                rows.append((first + 19, 14 * 3600 + 5 * 60, -1, power, "国网青禾市供电公司", "33001618835053005678",
                             "网银转账", f"{prev_year}年{prev_mon}月代收电费结算"))
            rows.append((first + 20, 8 * 3600, -1, 350, None, None, "服务费", "短信通知服务费"))
            if mon in (3, 6, 9, 12):
                rows.append((first + 20, 8 * 3600 + 1, max(100, n * 45), -1, None, None, "结息", "活期存款利息"))
            rows.append((end, 18 * 3600, -1, 5000, None, None, "手续费", "账户管理费"))
            month += 1
            index += 1
        rows = [r for r in rows if span_start <= r[0] <= as_of]
        if rows:
            columns = list(zip(*rows))
            add(np.array(columns[0]), columns[1], columns[2], columns[3], list(columns[4]), list(columns[5]),
                list(columns[6]), list(columns[7]))

        lines = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
        reserve = max(10_000_000, 2 * (payroll + cleaner + int((billed_water.sum() + billed_power.sum()) / self.m)))
        opening = reserve + 8_642_015

        # Sweep the surplus to the head account at each month end (needs the running balance).
        key = lines["day"].astype(np.int64) * 86400 + lines["sec"]
        order = np.argsort(key, kind="stable")
        net = np.where(lines["credit"] >= 0, lines["credit"], 0) - np.where(lines["debit"] >= 0, lines["debit"], 0)
        running = np.cumsum(net[order])
        sorted_key = key[order]
        sweeps, swept = [], 0
        month = span_start.astype("datetime64[M]")
        while month <= last_month:
            end = (month + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
            month += 1
            if end > as_of:
                break
            moment = int(end.astype(np.int64)) * 86400 + 15 * 3600
            position = np.searchsorted(sorted_key, moment, side="left")
            balance = opening + (int(running[position - 1]) if position else 0) - swept
            amount = (balance - reserve) // 1_000_000 * 1_000_000
            if amount > 0:
                sweeps.append((end, amount))
                swept += amount
        if sweeps:
            size = len(sweeps)
            add(np.array([s[0] for s in sweeps]), np.full(size, 15 * 3600), np.full(size, -1),
                [s[1] for s in sweeps], np.full(size, COMPANY_ZH, object), np.full(size, HEAD_ACCOUNT, object),
                np.full(size, "转账支取", object), np.full(size, "资金归集", object))
            lines = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}

        key = lines["day"].astype(np.int64) * 86400 + lines["sec"]
        order = np.argsort(key, kind="stable")
        lines = {k: v[order] for k, v in lines.items()}
        credit, debit = lines["credit"], lines["debit"]
        balance = opening + np.cumsum(np.where(credit >= 0, credit, 0) - np.where(debit >= 0, debit, 0))
        count = len(credit)
        width = _width(count)
        seconds = lines["sec"]
        hms = seconds // 3600 * 10000 + seconds % 3600 // 60 * 100 + seconds % 60
        ids = _objects([f"{d}{t:06d}{s:0{width}d}" for d, t, s in
                        zip(_ymd(lines["day"]).tolist(), hms.tolist(), range(1, count + 1))])
        # The bank's transaction id is the channel id of a bank payment.
        source = lines["source"]
        from_payment = source >= 0
        pay["txn"][source[from_payment]] = ids[from_payment]
        self.bank_opening = opening
        return _frame("BankStatement", {
            "TxnID": ids, "TxnDate": lines["day"], "Credit": _ints(credit, credit < 0),
            "Debit": _ints(debit, debit < 0), "Balance": balance, "CounterpartyName": lines["name"],
            "CounterpartyAccount": lines["account"], "Summary": lines["summary"], "Memo": lines["memo"],
        })

    # -- bills with what was paid -------------------------------------------------------------

    def bills_with_payments(self, bills: dict) -> pd.DataFrame:
        legacy_count = len(self.legacy["customer"])
        paid = np.concatenate([np.zeros(legacy_count, np.int64), self.paid])
        amount = bills["Amount"]
        status = np.select([paid >= amount, paid > 0], ["paid", "partial"], "open").astype(object)
        return _frame("Bills", {**bills, "PaidAmount": paid, "Status": status})

    # -- general ledger -----------------------------------------------------------------------

    def general_ledger(self) -> pd.DataFrame:
        m = self.m
        debit = np.rint(np.bincount(self.pi, weights=self.amount.astype(np.float64), minlength=m)).astype(np.int64)
        month_of_payment = (self.pay["day"].astype("datetime64[M]") - self.starts[0].astype("datetime64[M]")) \
            .astype(np.int64)
        inside = month_of_payment < m
        credit = np.rint(np.bincount(month_of_payment[inside], weights=self.pay["amount"][inside].astype(np.float64),
                                     minlength=m)).astype(np.int64)
        # Finance booked the last day's counter cash of one period in the next period.
        late_period = max(0, (m - 1) // 2) if m > 1 else 0
        days, cash = self.counter_cash
        period_end = self.starts[late_period + 1] - np.timedelta64(1, "D")
        candidates = np.flatnonzero((days >= self.starts[late_period]) & (days <= period_end) & (cash > 0))
        if len(candidates) and m > 1:
            late_amount = int(cash[candidates[-1]])
            credit[late_period] -= late_amount
            credit[late_period + 1] += late_amount
        opening = np.zeros(m, dtype=np.int64)
        closing = np.zeros(m, dtype=np.int64)
        balance = int(self.legacy["amount"].sum())
        for p in range(m):
            opening[p] = balance
            balance = balance + int(debit[p]) - int(credit[p])
            closing[p] = balance
        return _frame("GL", {
            "Period": self.period_objects, "Account": np.full(m, "1122", object),
            "AccountName": np.full(m, "应收账款" if self.zh else "Accounts receivable", object),
            "OpeningBalance": opening, "Debit": debit, "Credit": credit, "ClosingBalance": closing,
        })

    # -- complaints ---------------------------------------------------------------------------

    def complaints(self) -> pd.DataFrame:
        rng = self.rng_complaints
        count = max(1, round(self.n * 0.015 * self.m / 12))
        category = rng.choice(5, size=count, p=[0.35, 0.20, 0.20, 0.15, 0.10])
        codes = ("billing", "meter", "payment", "service", "other")
        span_start, as_of = self.starts[0], self.as_of_day
        span_days = int((as_of - span_start).astype(np.int64))
        opened = span_start + rng.integers(0, span_days + 1, count).astype("timedelta64[D]")
        customer = rng.integers(0, self.n, count)
        bill_row = np.full(count, -1, dtype=np.int64)
        # Disputes are about the water or electricity on a bill already sent, often a big one.
        item = rng.integers(0, 2, count)
        metered = np.flatnonzero((self.usage_ki < 2)
                                 & (self.bill_day[self.usage_bill] + np.timedelta64(3, "D") <= as_of))
        dispute = np.isin(category, (0, 1)) & (rng.random(count) < 0.7) & (len(metered) > 0)
        if dispute.any():
            weights = self.usage_amount[metered].astype(np.float64) + 100.0
            pick = rng.choice(metered, size=int(dispute.sum()), p=weights / weights.sum())
            bills = self.usage_bill[pick]
            bill_row[dispute] = bills
            item[dispute] = self.usage_ki[pick]
            customer[dispute] = self.ci[bills]
            opened[dispute] = np.minimum(self.bill_day[bills] + rng.integers(1, 21, len(pick))
                                         .astype("timedelta64[D]"), as_of)
        order = np.lexsort((customer, opened))
        category, opened, customer, bill_row, dispute, item = (
            x[order] for x in (category, opened, customer, bill_row, dispute, item))
        took = np.minimum(rng.geometric(0.18, count), 45)
        resolved_on = opened + took.astype("timedelta64[D]")
        resolved = (resolved_on <= as_of) & (rng.random(count) < 0.92)
        satisfaction = np.where(dispute, rng.choice(np.arange(1, 6), size=count, p=[0.12, 0.15, 0.25, 0.28, 0.20]),
                                rng.choice(np.arange(1, 6), size=count, p=[0.04, 0.06, 0.15, 0.35, 0.40]))
        ym = _ymd(opened) // 100
        seq = _seq_within(ym)
        width = _width(seq.max())
        ids = _objects(["TS" + x for x in (ym * 10**width + seq).astype(str).tolist()])
        describe = _COMPLAINT_TEXT[self.lang]
        pick = rng.random(count)
        months = _date_parts(np.where(bill_row >= 0, self.starts[self.pi[np.maximum(bill_row, 0)]], opened)
                             .astype("datetime64[D]"))[1]
        items = ITEM_ZH if self.zh else ITEM_EN
        texts = []
        for c, p, k, mo in zip(category.tolist(), pick.tolist(), item.tolist(), months.tolist()):
            options = describe[codes[c]]
            texts.append(options[int(p * len(options))].format(item=items[k], m=mo))
        bill_ids = np.where(bill_row >= 0, self.bill_ids[np.maximum(bill_row, 0)], None)
        return _frame("Complaints", {
            "ComplaintID": ids, "CustomerID": self.customer_ids[customer], "OpenedDate": opened,
            "Category": np.array(codes, dtype=object)[category], "BillID": bill_ids,
            "IsDispute": dispute, "Description": _objects(texts),
            "Resolution": np.where(resolved, "经核实已处理，详见答复" if self.zh else "Checked and settled; see the reply",
                                   None).astype(object),
            "Status": np.where(resolved, "resolved", "open").astype(object),
            "ResolvedDate": np.where(resolved, resolved_on, np.datetime64("NaT")),
            "Satisfaction": _ints(satisfaction, ~resolved),
        })

    # -- reference tables ---------------------------------------------------------------------

    def peer_tariffs(self) -> pd.DataFrame:
        cities = (("杭州", "Hangzhou", (18, 25), ("2.90", "3.85", "6.70"), ("0.5380", "0.5880", "0.8380")),
                  ("宁波", "Ningbo", (15, 25), ("3.20", "4.80", "6.40"), ("0.5380", "0.5880", "0.8380")),
                  ("绍兴", "Shaoxing", (16, 24), ("2.75", "3.65", "5.45"), ("0.5380", "0.5880", "0.8380")),
                  ("嘉兴", "Jiaxing", (16, 25), ("3.35", "4.55", "6.80"), ("0.5380", "0.5880", "0.8380")),
                  ("苏州", "Suzhou", (20, 30), ("3.40", "4.65", "7.20"), ("0.5283", "0.5783", "0.8283")))
        power_bounds = (230, 400)
        rows = []
        for zh, en, water_bounds, water, power in cities:
            for item, bounds, prices, since in (("water", water_bounds, water, datetime.date(self.first_year - 2, 7, 1)),
                                                ("electricity", power_bounds, power,
                                                 datetime.date(self.first_year - 3, 1, 1))):
                for tier, price in enumerate(prices):
                    rows.append((zh if self.zh else en, item, "residential", tier + 1,
                                 float(bounds[tier]) if tier < 2 else np.nan, float(price), _day(since),
                                 f"{zh}市发展和改革委员会价格公告（示例，按月折算）" if self.zh
                                 else f"{en} price bureau notice (example, monthly equivalent)"))
        columns = list(zip(*rows))
        return _frame("PeerTariffs", {
            "City": list(columns[0]), "FeeItem": list(columns[1]), "CustomerType": list(columns[2]),
            "Tier": np.array(columns[3]), "UpperBound": np.array(columns[4]), "UnitPrice": np.array(columns[5]),
            "EffectiveFrom": np.array(columns[6], dtype="datetime64[D]"), "Source": list(columns[7]),
        })

    def late_fee_rules(self) -> pd.DataFrame:
        zh = self.zh
        return _frame("LateFeeRules", {
            "RuleID": ["LF-RES", "LF-COM", "LF-INS"],
            "CustomerType": ["residential", "commercial", "institutional"],
            "FeeItem": [None, None, None],
            "DailyRate": [0.001, 0.002, 0.002],
            "EarlierDailyRate": [0.001, 0.003, 0.003],
            "GraceDays": [10, 5, 5],
            "Minimum": [100, 100, 100],
            "CapRatio": [1.0, 1.0, 1.0],
            "Note": ["居民每日1‰，滞纳金不超过欠费本金" if zh else "Households 0.1 % a day, never more than the arrears",
                     "经营户当年每日2‰，往年每日3‰" if zh else "Shops 0.2 % a day this year, 0.3 % for earlier years",
                     "机关事业单位同经营户" if zh else "Institutions as shops"],
        })

    def dunning_policy(self) -> pd.DataFrame:
        zh = self.zh
        return _frame("DunningPolicy", {
            "Level": [1, 2, 3, 4],
            "Name": ["短信提醒", "催缴通知书", "正式催告函", "电话及上门催缴"] if zh else
                    ["SMS reminder", "Payment notice", "Formal notice", "Phone call and visit"],
            "DaysOverdue": [7, 30, 60, 90],
            "MinAmount": [100, 5000, 10000, 20000],
            "Channel": ["sms", "letter", "letter", "phone"],
            "Template": ["reminder", "notice", "final_notice", "final_notice"],
            "Fee": _ints([0, 0, 0, 0], [True, True, True, True]),
        })

    def targets(self) -> pd.DataFrame:
        zh = self.zh
        rows = (
            ("collection_rate", "higher", 0.95, 0.90, "比例", "ratio", "当期实收 ÷ 当期应收", "collected ÷ billed"),
            ("dso", "lower", 30.0, 45.0, "天", "days", "应收账款周转天数", "days sales outstanding"),
            ("cei", "higher", 0.90, 0.80, "比例", "ratio", "催收有效性指数", "collection effectiveness index"),
            ("billing_accuracy", "higher", 0.995, 0.98, "比例", "ratio", "审核无误的账单占比",
             "share of bills that pass the audit"),
            ("complaint_resolution_rate", "higher", 0.95, 0.85, "比例", "ratio", "当期办结的投诉占比",
             "share of complaints resolved"),
            ("arrears_ratio", "lower", 0.05, 0.10, "比例", "ratio", "逾期欠费 ÷ 应收", "overdue ÷ receivable"),
            ("on_time_rate", "higher", 0.85, 0.75, "比例", "ratio", "到期日前缴清的账单占比",
             "share of bills paid by the due date"),
        )
        return _frame("Targets", {
            "KPI": [r[0] for r in rows], "Direction": [r[1] for r in rows], "Green": [r[2] for r in rows],
            "Amber": [r[3] for r in rows], "Unit": [r[4] if zh else r[5] for r in rows],
            "Note": [r[6] if zh else r[7] for r in rows],
        })

    def templates(self) -> pd.DataFrame:
        specs = (
            ("reminder", "sms", "txt", None, None, "逾期短信提醒", "SMS reminder"),
            ("reminder_mail", "email", "html", "缴费提醒：您有账单已逾期", "Payment reminder: a bill is overdue",
             "逾期邮件提醒", "Reminder by e-mail"),
            ("notice", "letter", "docx", None, None, "催缴通知书", "Payment notice"),
            ("final_notice", "letter", "docx", None, None, "正式催告函（最后通知）", "Formal notice (final)"),
            ("statement", "letter", "docx", None, None, "客户对账单", "Customer statement"),
            ("statement_mail", "email", "html", "您的对账单", "Your statement", "对账单邮件", "Statement by e-mail"),
            ("price_change", "letter", "docx", None, None, "调价通知", "Price change notice"),
            ("complaint_reply", "letter", "docx", None, None, "投诉答复", "Complaint reply"),
        )
        rows = []
        for key, kind, ext, subject_zh, subject_en, note_zh, note_en in specs:
            for language in ("zh", "en"):
                rows.append((key, language, kind, f"templates/{key}_{language}.{ext}",
                             subject_zh if language == "zh" else subject_en, note_zh if self.zh else note_en))
        columns = list(zip(*rows))
        return _frame("Templates", {key: list(values) for key, values in
                                    zip(("TemplateKey", "Language", "Kind", "File", "Subject", "Note"), columns)})

    def import_profiles(self) -> pd.DataFrame:
        zh = self.zh
        rows = (
            ("wechat", "payments", "PaidDate", "交易时间", "utf-8-sig",
             "每个单元格先去掉开头的 `" if zh else "strip the leading ` of every cell"),
            ("wechat", "payments", "Amount", "应结订单金额", "utf-8-sig",
             "交易状态=SUCCESS 为收款；REFUND 行取退款金额" if zh else "SUCCESS rows are receipts; REFUND rows: 退款金额"),
            ("wechat", "payments", "Fee", "手续费", "utf-8-sig", None),
            ("wechat", "payments", "ChannelTxnID", "微信订单号", "utf-8-sig", None),
            ("wechat", "payments", "Reference", "商户数据包", "utf-8-sig", None),
            ("wechat", "payments", "PayerName", "用户标识", "utf-8-sig", None),
            ("wechat", "payments", "Note", "商品名称", "utf-8-sig", None),
            ("alipay", "payments", "PaidDate", "发生时间", "gb18030",
             "跳过 # 开头的行" if zh else "skip lines starting with #"),
            ("alipay", "payments", "Amount", "收入金额（+元）", "gb18030",
             "业务类型=在线支付 的行；收费行是手续费" if zh else "rows with 业务类型=在线支付; 收费 rows are fees"),
            ("alipay", "payments", "ChannelTxnID", "业务流水号", "gb18030", None),
            ("alipay", "payments", "Reference", "商品名称", "gb18030", None),
            ("alipay", "payments", "PayerName", "对方账号", "gb18030", None),
            ("alipay", "payments", "Note", "备注", "gb18030", None),
            ("bank_generic", "bank", "TxnID", "交易流水号", "gb18030", None),
            ("bank_generic", "bank", "TxnDate", "交易日期", "gb18030",
             "表头在第8行；跳过合计行" if zh else "header on line 8; skip the 合计 rows"),
            ("bank_generic", "bank", "Credit", "贷方发生额（收入）", "gb18030", None),
            ("bank_generic", "bank", "Debit", "借方发生额（支取）", "gb18030", None),
            ("bank_generic", "bank", "Balance", "余额", "gb18030", None),
            ("bank_generic", "bank", "CounterpartyName", "对方户名", "gb18030", None),
            ("bank_generic", "bank", "CounterpartyAccount", "对方账号", "gb18030", None),
            ("bank_generic", "bank", "Summary", "摘要", "gb18030", None),
            ("bank_generic", "bank", "Memo", "附言", "gb18030", None),
        )
        columns = list(zip(*rows))
        return _frame("ImportProfiles", {key: list(values) for key, values in
                                         zip(("Profile", "Kind", "TargetColumn", "SourceColumn", "Encoding", "Note"),
                                             columns)})


_COMPLAINT_TEXT = {
    "zh": {
        "billing": ("{m}月{item}比上月高出很多，要求核实账单", "对{m}月{item}账单金额有异议，认为用量偏高",
                    "阶梯价格计算有误，要求重新计算{m}月{item}"),
        "meter": ("怀疑{item}表计量不准，申请校表", "抄表员未入户，{m}月为估抄，要求按实际读数结算",
                  "{item}表读数与账单不符"),
        "payment": ("微信已缴费但系统仍显示欠费", "银行转账后未收到缴费确认", "重复缴费，要求退款",
                    "支付宝缴费显示失败但已扣款"),
        "service": ("物业前台态度差，电话长时间无人接听", "催缴短信发送过于频繁", "报修后维修响应慢"),
        "other": ("咨询发票开具事宜", "申请变更账单寄送地址", "咨询困难家庭减免政策", "物业费计费面积与房产证不一致"),
    },
    "en": {
        "billing": ("The {item} bill for month {m} is much higher than last month; asks for a check",
                    "Disputes the {item} bill for month {m}: usage looks too high",
                    "Tier prices applied wrongly; asks to recompute the {item} bill for month {m}"),
        "meter": ("Suspects the {item} meter is inaccurate; asks for a meter test",
                  "Reader did not come in; month {m} was estimated, asks for the actual reading",
                  "The {item} meter reading does not match the bill"),
        "payment": ("Paid by WeChat but the bill still shows as unpaid", "No confirmation after a bank transfer",
                    "Paid twice; asks for a refund", "Alipay said the payment failed but the money was taken"),
        "service": ("Front desk was rude; phone not answered", "Too many reminder SMS", "Slow response to a repair"),
        "other": ("Asks how to get an invoice", "Asks to change the billing address",
                  "Asks about relief for hardship households", "Billed area for the property fee differs from the deed"),
    },
}
