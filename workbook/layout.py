"""The one description of the master workbook's shape.

Every sheet, table, column, header (zh and en), type, number format, drop-down list and
named setting is declared here and nowhere else: the builder writes the workbook from it,
the hosts read and write tables by it, validation checks against it. Table (ListObject)
names are the English keys in every language; sheet names and headers follow the language.
"""

from __future__ import annotations

import dataclasses
import enum


class Kind(enum.Enum):
    """What a column holds, which fixes how it is read, typed, formatted and written."""

    TEXT = "text"
    INT = "int"
    NUMBER = "number"  # quantities, readings: float in the DataFrame
    PRICE = "price"  # unit prices with up to 6 decimals: float, made exact where used
    RATE = "rate"  # 0.001 = 1‰ a day; shown as a percentage
    MONEY = "money"  # integer fen in the DataFrame, yuan in the sheet
    DATE = "date"
    DATETIME = "datetime"
    PERIOD = "period"  # billing period 'YYYY-MM', text in the sheet
    BOOL = "bool"  # 是/否 yes/no in the sheet


NUMBER_FORMATS = {
    Kind.TEXT: "@",
    Kind.INT: "#,##0",
    Kind.NUMBER: "#,##0.00",
    Kind.PRICE: "0.0000##",
    Kind.RATE: "0.00##%",
    Kind.MONEY: "¥#,##0.00;-¥#,##0.00",
    Kind.DATE: "yyyy-mm-dd",
    Kind.DATETIME: "yyyy-mm-dd hh:mm:ss",
    Kind.PERIOD: "@",
    Kind.BOOL: "@",
}

DEFAULT_WIDTHS = {
    Kind.TEXT: 16,
    Kind.INT: 10,
    Kind.NUMBER: 12,
    Kind.PRICE: 11,
    Kind.RATE: 10,
    Kind.MONEY: 14,
    Kind.DATE: 12,
    Kind.DATETIME: 19,
    Kind.PERIOD: 10,
    Kind.BOOL: 8,
}

LANGUAGES = ("zh", "en")


@dataclasses.dataclass(frozen=True)
class Choice:
    """One value of a closed list: a stable code inside, a label per language in the sheet."""

    code: str
    zh: str
    en: str

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


def choices(*triples: tuple[str, str, str]) -> tuple[Choice, ...]:
    return tuple(Choice(*t) for t in triples)


YES_NO = choices(("yes", "是", "yes"), ("no", "否", "no"))
CUSTOMER_TYPES = choices(
    ("residential", "居民", "residential"),
    ("commercial", "商业", "commercial"),
    ("institutional", "机关事业", "institutional"),
)
FEE_ITEMS = choices(
    ("water", "水费", "water"),
    ("electricity", "电费", "electricity"),
    ("gas", "燃气费", "gas"),
    ("heating", "供暖费", "heating"),
    ("property", "物业费", "property"),
    ("other", "其他", "other"),
)
CHANNELS = choices(
    ("bank", "银行转账", "bank transfer"),
    ("wechat", "微信支付", "WeChat Pay"),
    ("alipay", "支付宝", "Alipay"),
    ("counter", "柜台", "counter"),
)
TARIFF_MODELS = choices(
    ("fixed", "固定费用", "fixed"),
    ("per_unit", "单一价", "per unit"),
    ("graduated", "阶梯累进", "graduated"),
    ("volume", "阶梯全量", "volume"),
    ("block", "按块计价", "block"),
)
THRESHOLD_BASES = choices(("monthly", "按月", "monthly"), ("annual", "按年累计", "annual"))
ROUNDING_MODES = choices(
    ("half_up", "四舍五入", "half up"),
    ("half_even", "银行家舍入", "half even"),
    ("down", "舍去", "down"),
    ("up", "进一", "up"),
)
BILL_STATUSES = choices(
    ("open", "未缴", "open"),
    ("partial", "部分缴", "partly paid"),
    ("paid", "已缴清", "paid"),
    ("cancelled", "已作废", "cancelled"),
)
CUSTOMER_STATUSES = choices(
    ("active", "正常", "active"), ("suspended", "暂停", "suspended"), ("closed", "销户", "closed")
)
EXEMPTIONS = choices(("hardship", "困难减免", "hardship"), ("vip", "重点客户", "VIP by decision"))
COMPLAINT_CATEGORIES = choices(
    ("billing", "账单疑问", "billing"),
    ("meter", "计量抄表", "meter"),
    ("payment", "缴费问题", "payment"),
    ("service", "服务态度", "service"),
    ("other", "其他", "other"),
)
COMPLAINT_STATUSES = choices(("open", "处理中", "open"), ("resolved", "已解决", "resolved"))
DUNNING_CHANNELS = choices(
    ("letter", "书面函件", "letter"),
    ("email", "电子邮件", "email"),
    ("sms", "短信", "SMS"),
    ("phone", "电话", "phone"),
)
TEMPLATE_KINDS = choices(("letter", "函件", "letter"), ("email", "邮件", "email"), ("sms", "短信", "SMS"))
IMPORT_KINDS = choices(("payments", "收款记录", "payments"), ("bank", "银行流水", "bank statement"))
SEVERITIES = choices(("error", "错误", "error"), ("warning", "提醒", "warning"))
KPI_DIRECTIONS = choices(("higher", "越高越好", "higher is better"), ("lower", "越低越好", "lower is better"))
LANGUAGE_CHOICES = choices(("zh", "中文", "Chinese"), ("en", "英文", "English"))
AGING_BASES = choices(("due", "到期日", "due date"), ("bill", "账单日", "bill date"))
IMPACT_SCOPES = choices(
    ("total", "合计", "total"),
    ("customer_type", "客户类别", "customer type"),
    ("region", "片区", "region"),
    ("distribution", "变化分布", "distribution"),
    ("notice", "需通知客户", "customer to notify"),
)
RECEIPT_SOURCES = choices(
    ("payments", "收款记录", "payments"), ("bank", "银行流水", "bank statement"), ("bills", "账单", "bills"),
)
MATCH_RULES = choices(
    ("reversal", "退款冲销", "refund reversal"),
    ("reference", "编号匹配", "reference"),
    ("customer_amount", "客户+金额", "customer + amount"),
    ("bill_subset", "一笔缴多单", "one payment, several bills"),
    ("instalments", "分次缴费", "instalments"),
    ("name", "户名匹配", "payer name"),
    ("amount", "仅金额", "amount only"),
    ("tolerance", "容差核销", "within tolerance"),
    ("customer", "按客户先欠先还", "customer, oldest first"),
)
MATCH_STATUSES = choices(
    ("auto", "自动", "automatic"), ("suggested", "待确认", "suggested"), ("confirmed", "已确认", "confirmed"),
    ("rejected", "已否决", "rejected"),
)
DECISIONS = choices(("confirm", "确认", "confirm"), ("reject", "否决", "reject"))
ALLOCATION_KINDS = choices(
    ("payment", "冲抵账单", "payment"), ("writeoff", "差额核销", "write-off"), ("credit", "预存", "credit"),
)
EXCEPTION_KINDS = choices(
    ("unmatched_payment", "收款未对上", "unmatched payment"),
    ("unmatched_bank", "银行收入未对上", "unmatched bank line"),
    ("suggested", "待确认匹配", "match to confirm"),
    ("duplicate", "疑似重复缴费", "suspected duplicate"),
    ("overpayment", "多缴", "overpayment"),
    ("underpayment", "少缴", "underpayment"),
    ("settlement_missing", "渠道未到账", "settlement missing"),
    ("settlement_difference", "到账差额", "settlement difference"),
    ("bank_payment_missing", "银行无此转账", "transfer not in bank"),
    ("unmatched_refund", "退款未对上", "unmatched refund"),
    ("stale", "长期未达", "stale item"),
)
SETTLEMENT_STATUSES = choices(
    ("settled", "已到账", "settled"), ("difference", "有差额", "difference"), ("in_transit", "在途", "in transit"),
    ("missing", "未到账", "missing"),
)
AGING_SCOPES = choices(
    ("total", "合计", "total"), ("region", "片区", "region"), ("officer", "责任干事", "officer"),
    ("customer_type", "客户类别", "customer type"),
)
OPEN_ITEM_KINDS = choices(("bill", "账单", "bill"), ("credit_note", "贷项账单", "credit note"),
                          ("credit", "预存", "credit"))
DUNNING_STATUSES = choices(("proposed", "建议催缴", "proposed"), ("skipped", "暂不催缴", "skipped"))
LETTER_STATUSES = choices(("generated", "已生成", "generated"), ("sent", "已发送", "sent"),
                          ("failed", "未发出", "not sent"))
RAG_STATUSES = choices(("green", "达标", "green"), ("amber", "预警", "amber"), ("red", "未达标", "red"),
                       ("none", "无目标", "no target"))
ANALYSIS_CATEGORIES = choices(
    ("high_value", "高价值客户", "high-value customer"),
    ("stopped_paying", "停止缴费", "stopped paying"),
    ("arrears_fee_item", "欠费最多的费用项目", "arrears by fee item"),
    ("arrears_region", "欠费最多的片区", "arrears by region"),
)
RUN_STATUSES = choices(("ok", "完成", "ok"), ("problems", "有问题", "problems"), ("failed", "失败", "failed"))


@dataclasses.dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    kind: Kind = Kind.TEXT
    required: bool = False
    unique: bool = False
    choices: tuple[Choice, ...] = ()
    ref: str | None = None  # "Table.Column" that every value must exist in
    width: float | None = None

    def header(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    @property
    def number_format(self) -> str:
        return NUMBER_FORMATS[self.kind]

    @property
    def display_width(self) -> float:
        return self.width or max(DEFAULT_WIDTHS[self.kind], len(self.zh) * 2.2 + 2, len(self.en) * 1.1 + 2)


class Role(enum.Enum):
    INPUT = "input"  # officers fill or paste; jobs only read
    OUTPUT = "output"  # a job owns it and rewrites it whole


@dataclasses.dataclass(frozen=True)
class Table:
    key: str  # ListObject name, the same in every language
    zh: str  # sheet name in a zh workbook
    en: str  # sheet name in an en workbook
    role: Role
    columns: tuple[Column, ...]
    about_zh: str = ""
    about_en: str = ""
    sheet_key: str | None = None  # when the table lives on another table's or a fixed sheet
    job_written: bool = False  # an input table a job may also write (Bills: pasted, or made by the bill run)
    anchor: tuple[int, int] = (0, 0)  # zero-based (row, col) of the header cell

    def sheet_name(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(f"{self.key} has no column {key}")

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]


def col(key, zh, en, kind=Kind.TEXT, **kw) -> Column:
    return Column(key, zh, en, kind, **kw)


# Sheets that are not tables.
CONTROL_SHEET = {"zh": "控制台", "en": "Control"}
GUIDE_SHEET = {"zh": "使用说明", "en": "Guide"}
CONF_SHEET = "xlwings.conf"  # name fixed by xlwings; hidden
SCORECARD_SHEET = {"zh": "绩效看板", "en": "Scorecard"}
# The Scorecard's tiles (KPI codes), and where its blocks sit (zero-based row, col).
SCORECARD_TILES = ("collection_rate", "dso", "cei", "arrears_ratio", "on_time_rate", "billing_accuracy")
SCORECARD_TILE_ROW = 3
SCORECARD_TABLE_ROW = 8
SCORECARD_TREND_ROW = 52  # 13 periods ending at the settings' period: label, collection rate, DSO
SCORECARD_TREND_PERIODS = 13

# Where things sit on the Control sheet (zero-based row, col).
CONTROL_TITLE_CELL = (0, 0)
CONTROL_SETTINGS_ANCHOR = (3, 0)
CONTROL_JOBS_ANCHOR = (3, 5)  # step list; issue 02 puts a button in JOBS_BUTTON_COL per row
CONTROL_JOBS_BUTTON_COL = 9
CONTROL_SELF_TEST_CELL = (0, 11)  # L1: the VBA self-test writes here (named FeeDeskSelfTest)
CONTROL_SUMMARY_TITLE = {"zh": "概览（公式自动计算）", "en": "Overview (live formulas)"}


@dataclasses.dataclass(frozen=True)
class Setting:
    key: str  # also the workbook's defined name for the value cell
    zh: str
    en: str
    kind: Kind
    default: object
    note_zh: str = ""
    note_en: str = ""
    choices: tuple[Choice, ...] = ()
    required: bool = False

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def note(self, lang: str) -> str:
        return self.note_zh if lang == "zh" else self.note_en


SETTINGS: tuple[Setting, ...] = (
    Setting("AsOfDate", "截止日期", "As-of date", Kind.DATE, None,
            "账龄、滞纳金、催缴都按这一天计算", "Aging, late fees and dunning are computed as of this day",
            required=True),
    Setting("Period", "账期", "Billing period", Kind.PERIOD, None, "格式 2026-03", "Format 2026-03", required=True),
    Setting("Language", "语言", "Language", Kind.TEXT, "zh", "表头、消息和函件的语言",
            "Language of headers, messages and letters", LANGUAGE_CHOICES),
    Setting("Currency", "币种", "Currency", Kind.TEXT, "CNY", "", ""),
    Setting("CompanyName", "单位名称", "Company name", Kind.TEXT, "", "印在函件和报表上", "Printed on letters and reports"),
    Setting("CompanyAddress", "单位地址", "Company address", Kind.TEXT, ""),
    Setting("ContactPerson", "联系人", "Contact person", Kind.TEXT, ""),
    Setting("ContactPhone", "联系电话", "Contact phone", Kind.TEXT, ""),
    Setting("ContactEmail", "联系邮箱", "Contact email", Kind.TEXT, ""),
    Setting("PaymentDueDays", "缴费期限（天）", "Days to pay", Kind.INT, 15,
            "账单日起多少天内缴清", "Days from the bill date to the due date"),
    Setting("AgingBasis", "账龄起算", "Age from", Kind.TEXT, "due", "到期日或账单日", "Due date or bill date",
            AGING_BASES),
    Setting("AgingBounds", "账龄分段（天）", "Aging buckets (days)", Kind.TEXT, "0,30,60,90,180,365",
            "各段上限，逗号分隔", "Upper bounds, comma separated"),
    Setting("MatchTolerance", "对账容差", "Matching tolerance", Kind.MONEY, 5,
            "差额不超过此数可自动核销", "Differences up to this are matched and flagged"),
    Setting("MatchWindowDays", "对账日期窗口（天）", "Matching window (days)", Kind.INT, 120,
            "收款只与出账不晚于收款后 7 天、且收款不晚于到期日后这么多天的账单匹配",
            "A payment matches bills dated up to 7 days after it and due no more than this many days before it"),
    Setting("NameThreshold", "户名相似度阈值", "Payer-name threshold", Kind.NUMBER, 90,
            "付款人与客户名称相似度（0-100）达到此值才认作同一客户",
            "How alike (0-100) a payer's name must be to a customer's to count as the customer"),
    Setting("ReferencePattern", "附言编号格式", "Reference ID pattern", Kind.TEXT, r"[A-Z]{1,3}\d{5,}",
            "在附言中查找账单编号、客户编号的正则表达式（按大写比较）",
            "Regular expression finding bill and customer IDs in references (compared in upper case)"),
    Setting("MatchPasses", "匹配顺序", "Matching passes", Kind.TEXT,
            "reference,customer_amount,bill_subset,instalments,name,amount,tolerance,customer",
            "对账规则及其先后，逗号分隔；去掉一项即不用该规则",
            "The matching rules in order, comma separated; leave one out to switch it off"),
    Setting("StaleDays", "长期未达（天）", "Stale after (days)", Kind.INT, 30,
            "未对上的收款或银行收入超过此天数列为长期未达", "Unmatched items older than this are listed as stale"),
    Setting("GLAccount", "应收科目", "Receivable account", Kind.TEXT, "1122",
            "三方核对使用的财务总账科目代码；空白则合计所有科目",
            "The GL account the ledger check compares; blank: all accounts together"),
    Setting("LettersFolder", "函件文件夹", "Letters folder", Kind.TEXT, "",
            "函件、PDF 和邮件草稿保存的文件夹；空白则为工作簿旁的“函件”文件夹",
            "Where letters, PDFs and mail drafts go; blank: a 'letters' folder beside the workbook"),
    Setting("SendMail", "发送邮件", "Send e-mail", Kind.BOOL, "no",
            "“是”才真正通过邮件服务器发送；否则只生成邮件草稿（.eml）", "Only 'yes' sends through the mail server; "
            "otherwise drafts (.eml) are written", YES_NO),
    Setting("SmtpHost", "邮件服务器", "Mail server", Kind.TEXT, "", "SMTP 服务器地址", "SMTP server host"),
    Setting("SmtpPort", "邮件服务器端口", "Mail server port", Kind.INT, 25, "", ""),
    Setting("SmtpUser", "邮件账号", "Mail user", Kind.TEXT, "",
            "需要登录时填写；密码放在环境变量 FEEDESK_SMTP_PASSWORD 中，不写在工作簿里",
            "If the server needs a login; the password goes in the environment variable FEEDESK_SMTP_PASSWORD, "
            "never in the workbook"),
    Setting("MailFrom", "发件人", "Mail from", Kind.TEXT, "", "邮件的发件地址", "The sender's address"),
    Setting("ImportFile", "导入文件", "File to import", Kind.TEXT, "",
            "“导入”按钮选择的对账单文件", "The statement file an import button picked"),
    Setting("NoticeRate", "调价通知阈值", "Price-notice threshold", Kind.RATE, 0.1,
            "账单上涨超过此比例的客户列入调价通知", "Customers whose bill rises more than this get a notice"),
)
SETTINGS_BY_KEY = {s.key: s for s in SETTINGS}

SETTINGS_TABLE = Table(
    "Settings", CONTROL_SHEET["zh"], CONTROL_SHEET["en"], Role.INPUT,
    (
        col("Key", "键", "Key", required=True, unique=True, width=16),
        col("Label", "设置项", "Setting", width=16),
        col("Value", "值", "Value", width=22),
        col("Note", "说明", "Note", width=34),
    ),
    "运行参数：截止日期、账期、语言等。", "Run settings: as-of date, period, language and more.",
    sheet_key="Control", anchor=CONTROL_SETTINGS_ANCHOR,
)

CUSTOMER_ID = col("CustomerID", "客户编号", "Customer ID", required=True, ref="Customers.CustomerID")
FEE_ITEM = col("FeeItem", "费用项目", "Fee item", required=True, choices=FEE_ITEMS)

INPUT_TABLES: tuple[Table, ...] = (
    Table("Tariffs", "收费标准", "Tariffs", Role.INPUT, (
        col("TariffCode", "收费标准代码", "Tariff code", required=True),
        col("TariffName", "收费标准名称", "Tariff name", width=22),
        FEE_ITEM,
        col("CustomerType", "客户类别", "Customer type", choices=CUSTOMER_TYPES),
        col("Model", "计价方式", "Model", required=True, choices=TARIFF_MODELS),
        col("Component", "收费项目", "Component"),  # blank: the base charge; e.g. 污水处理费 is its own
        col("Tier", "阶梯", "Tier", Kind.INT, required=True),
        col("UpperBound", "阶梯上限", "Tier upper bound", Kind.NUMBER),
        col("UnitPrice", "单价", "Unit price", Kind.PRICE),
        col("FixedFee", "固定费", "Fixed fee", Kind.MONEY),
        col("BlockSize", "计费块大小", "Block size", Kind.NUMBER),
        col("FreeUnits", "免费用量", "Free units", Kind.NUMBER),
        col("MinCharge", "最低收费", "Minimum charge", Kind.MONEY),
        col("MaxCharge", "最高收费", "Maximum charge", Kind.MONEY),
        col("Unit", "计量单位", "Unit"),
        col("ThresholdBasis", "阶梯周期", "Threshold basis", choices=THRESHOLD_BASES),
        col("PersonsIncluded", "基准人口", "Persons included", Kind.INT),
        col("ExtraPerPerson", "每增一人增加用量", "Extra units per person", Kind.NUMBER),
        col("SeasonMonths", "适用月份", "Season months"),  # e.g. 6-9; blank: all year
        col("EffectiveFrom", "生效日期", "Effective from", Kind.DATE, required=True),
        col("EffectiveTo", "失效日期", "Effective to", Kind.DATE),
        col("Proposed", "拟调整", "Proposed", Kind.BOOL, choices=YES_NO),
        col("VATRate", "增值税率", "VAT rate", Kind.RATE),
        col("VATIncluded", "含税", "VAT included", Kind.BOOL, choices=YES_NO),
        col("Rounding", "舍入方式", "Rounding", choices=ROUNDING_MODES),
        col("Note", "备注", "Note", width=24),
    ), "每个收费标准、收费项目、版本、阶梯一行。", "One row per tariff, component, version and tier."),
    Table("Customers", "客户", "Customers", Role.INPUT, (
        col("CustomerID", "客户编号", "Customer ID", required=True, unique=True),
        col("Name", "客户名称", "Name", required=True, width=18),
        col("CustomerType", "客户类别", "Customer type", required=True, choices=CUSTOMER_TYPES),
        col("Region", "片区", "Region"),
        col("Address", "地址", "Address", width=30),
        col("Area", "面积（㎡）", "Area (m²)", Kind.NUMBER),
        col("Persons", "人口数", "Persons", Kind.INT),
        col("Phone", "电话", "Phone", width=14),
        col("Email", "邮箱", "Email", width=22),
        col("Officer", "责任干事", "Officer"),
        col("Status", "状态", "Status", required=True, choices=CUSTOMER_STATUSES),
        col("Exemption", "豁免", "Exemption", choices=EXEMPTIONS),
        col("OpenDate", "开户日期", "Opened", Kind.DATE),
    ), "客户档案，每个客户一行。", "Customer master, one row per customer."),
    Table("Usage", "抄表用量", "Usage", Role.INPUT, (
        CUSTOMER_ID,
        col("Period", "账期", "Period", Kind.PERIOD, required=True),
        FEE_ITEM,
        col("TariffCode", "收费标准代码", "Tariff code", required=True, ref="Tariffs.TariffCode"),
        col("MeterID", "表号", "Meter ID"),
        col("ReadingDate", "抄表日期", "Reading date", Kind.DATE),
        col("PrevReading", "上期读数", "Previous reading", Kind.NUMBER),
        col("CurrReading", "本期读数", "Current reading", Kind.NUMBER),
        col("Quantity", "用量", "Quantity", Kind.NUMBER, required=True),
        col("Estimated", "估抄", "Estimated", Kind.BOOL, choices=YES_NO),
        col("MeterChanged", "换表", "Meter changed", Kind.BOOL, choices=YES_NO),
    ), "每个客户每个账期每个费用项目一行；物业费的用量是面积。",
        "One row per customer, period and fee item; for the property fee the quantity is the area."),
    Table("Bills", "账单", "Bills", Role.INPUT, (
        col("BillID", "账单编号", "Bill ID", required=True, unique=True),
        CUSTOMER_ID,
        col("Period", "账期", "Period", Kind.PERIOD, required=True),
        col("FeeItem", "费用项目", "Fee item", choices=FEE_ITEMS),  # blank: a bill of several items
        col("BillDate", "账单日期", "Bill date", Kind.DATE, required=True),
        col("DueDate", "到期日", "Due date", Kind.DATE, required=True),
        col("Quantity", "用量", "Quantity", Kind.NUMBER),
        col("Amount", "应收金额", "Amount", Kind.MONEY, required=True),
        col("PaidAmount", "已收金额", "Paid", Kind.MONEY),
        col("Status", "状态", "Status", choices=BILL_STATUSES),
        col("Note", "备注", "Note"),
    ), "账单：每个客户每个账期一张，出账作业生成，或从原系统导出粘贴。",
        "Bills: one per customer and period, made by the bill run or pasted from the old system.",
        job_written=True),
    Table("Payments", "收款记录", "Payments", Role.INPUT, (
        col("PaymentID", "收款编号", "Payment ID", required=True, unique=True),
        col("Channel", "渠道", "Channel", required=True, choices=CHANNELS),
        col("PaidDate", "收款日期", "Paid on", Kind.DATE, required=True),
        col("Amount", "金额", "Amount", Kind.MONEY, required=True),
        col("Fee", "手续费", "Fee", Kind.MONEY),
        col("CustomerID", "客户编号", "Customer ID"),
        col("BillID", "账单编号", "Bill ID"),
        col("PayerName", "付款人", "Payer"),
        col("Reference", "附言/商品名称", "Reference", width=26),
        col("ChannelTxnID", "渠道流水号", "Channel txn ID", width=22),
        col("Note", "备注", "Note"),
    ), "各渠道收款：银行、微信支付、支付宝、柜台。", "Collections by channel: bank, WeChat Pay, Alipay, counter.",
        job_written=True),
    Table("BankStatement", "银行流水", "Bank statement", Role.INPUT, (
        col("TxnID", "交易流水号", "Transaction ID", required=True, unique=True, width=22),
        col("TxnDate", "交易日期", "Date", Kind.DATE, required=True),
        col("Credit", "贷方（收入）", "Credit (in)", Kind.MONEY),
        col("Debit", "借方（支出）", "Debit (out)", Kind.MONEY),
        col("Balance", "余额", "Balance", Kind.MONEY),
        col("CounterpartyName", "对方户名", "Counterparty", width=22),
        col("CounterpartyAccount", "对方账号", "Counterparty account", width=22),
        col("Summary", "摘要", "Summary"),
        col("Memo", "附言", "Memo", width=26),
    ), "银行对账单明细。", "Bank statement lines.", job_written=True),
    Table("GL", "财务总账", "GL", Role.INPUT, (
        col("Period", "账期", "Period", Kind.PERIOD, required=True),
        col("Account", "科目代码", "Account", required=True),
        col("AccountName", "科目名称", "Account name", width=18),
        col("OpeningBalance", "期初余额", "Opening balance", Kind.MONEY),
        col("Debit", "借方发生", "Debit", Kind.MONEY),
        col("Credit", "贷方发生", "Credit", Kind.MONEY),
        col("ClosingBalance", "期末余额", "Closing balance", Kind.MONEY, required=True),
    ), "财务应收账款科目余额，按账期。", "Finance's receivable balances by period."),
    Table("Complaints", "投诉", "Complaints", Role.INPUT, (
        col("ComplaintID", "投诉编号", "Complaint ID", required=True, unique=True),
        CUSTOMER_ID,
        col("OpenedDate", "受理日期", "Opened", Kind.DATE, required=True),
        col("Category", "类别", "Category", required=True, choices=COMPLAINT_CATEGORIES),
        col("BillID", "账单编号", "Bill ID"),
        col("IsDispute", "争议账单", "Disputed bill", Kind.BOOL, choices=YES_NO),
        col("Description", "内容", "Description", width=30),
        col("Resolution", "处理结果", "Resolution", width=30),
        col("Status", "状态", "Status", required=True, choices=COMPLAINT_STATUSES),
        col("ResolvedDate", "办结日期", "Resolved", Kind.DATE),
        col("Satisfaction", "满意度（1-5）", "Satisfaction (1-5)", Kind.INT),
    ), "投诉与争议登记。", "Complaints and disputes."),
    Table("PeerTariffs", "同业价格", "Peer tariffs", Role.INPUT, (
        col("City", "城市", "City", required=True),
        FEE_ITEM,
        col("CustomerType", "客户类别", "Customer type", choices=CUSTOMER_TYPES),
        col("Tier", "阶梯", "Tier", Kind.INT, required=True),
        col("UpperBound", "阶梯上限", "Tier upper bound", Kind.NUMBER),
        col("UnitPrice", "单价", "Unit price", Kind.PRICE, required=True),
        col("EffectiveFrom", "生效日期", "Effective from", Kind.DATE),
        col("Source", "来源", "Source", width=24),
    ), "周边城市的收费标准，用于调价比较。", "Other cities' tariffs, for price-change comparisons."),
    Table("LateFeeRules", "滞纳金规则", "Late fee rules", Role.INPUT, (
        col("RuleID", "规则编号", "Rule ID", required=True, unique=True),
        col("CustomerType", "客户类别", "Customer type", choices=CUSTOMER_TYPES),
        col("FeeItem", "费用项目", "Fee item", choices=FEE_ITEMS),
        col("DailyRate", "日费率（当年）", "Daily rate (this year)", Kind.RATE, required=True),
        col("EarlierDailyRate", "日费率（往年）", "Daily rate (earlier years)", Kind.RATE),
        col("GraceDays", "宽限天数", "Grace days", Kind.INT),
        col("Minimum", "最低金额", "Minimum", Kind.MONEY),
        col("CapRatio", "上限（占本金）", "Cap (of principal)", Kind.RATE),
        col("Note", "备注", "Note"),
    ), "滞纳金按客户类别和费用项目计收的规则。", "Late-fee rules by customer type and fee item."),
    Table("DunningPolicy", "催缴策略", "Dunning policy", Role.INPUT, (
        col("Level", "级别", "Level", Kind.INT, required=True, unique=True),
        col("Name", "名称", "Name", required=True),
        col("DaysOverdue", "逾期天数", "Days overdue", Kind.INT, required=True),
        col("MinAmount", "最低欠费", "Minimum arrears", Kind.MONEY),
        col("Channel", "方式", "Channel", required=True, choices=DUNNING_CHANNELS),
        col("Template", "模板", "Template", ref="Templates.TemplateKey"),
        col("Fee", "催缴费用", "Fee", Kind.MONEY),
    ), "催缴级别：逾期多少天、欠多少、用什么方式。", "Dunning levels: days overdue, amount, channel."),
    Table("Targets", "绩效目标", "Targets", Role.INPUT, (
        col("KPI", "指标", "KPI", required=True, unique=True),
        col("Direction", "方向", "Direction", required=True, choices=KPI_DIRECTIONS),
        col("Green", "达标值", "Green", Kind.NUMBER, required=True),
        col("Amber", "预警值", "Amber", Kind.NUMBER, required=True),
        col("Unit", "单位", "Unit"),
        col("Note", "备注", "Note"),
    ), "绩效指标的目标（绿/黄/红）。", "KPI targets (green / amber / red)."),
    Table("Templates", "模板", "Templates", Role.INPUT, (
        col("TemplateKey", "模板代码", "Template key", required=True),
        col("Language", "语言", "Language", required=True, choices=LANGUAGE_CHOICES),
        col("Kind", "类型", "Kind", required=True, choices=TEMPLATE_KINDS),
        col("File", "文件", "File", required=True, width=28),
        col("Subject", "邮件主题", "Subject", width=28),
        col("Note", "备注", "Note"),
    ), "函件、邮件、短信模板。", "Letter, mail and SMS templates."),
    Table("ImportProfiles", "导入方案", "Import profiles", Role.INPUT, (
        col("Profile", "方案名称", "Profile", required=True),
        col("Kind", "导入到", "Imports into", required=True, choices=IMPORT_KINDS),
        col("TargetColumn", "目标列", "Target column", required=True),
        col("SourceColumn", "来源列", "Source column", required=True, width=22),
        col("Encoding", "编码", "Encoding"),
        col("Note", "备注", "Note"),
    ), "对账单导入的列对应方案，每列一行。", "Column mappings for statement imports, one row a column."),
)

OUTPUT_TABLES: tuple[Table, ...] = (
    Table("Problems", "问题清单", "Problems", Role.OUTPUT, (
        col("Severity", "级别", "Severity", choices=SEVERITIES, width=8),
        col("Sheet", "工作表", "Sheet", width=14),
        col("Row", "行号", "Row", Kind.INT, width=8),
        col("Column", "列", "Column", width=16),
        col("Value", "单元格内容", "Value", width=18),
        col("Code", "问题代码", "Code", width=18),
        col("Message", "说明及处理办法", "What is wrong and what to do", width=70),
        col("Job", "作业", "Job", width=12),
    ), "最近一次作业发现的问题；改正后重新运行。", "Problems found by the last job; fix them and run it again."),
    Table("BillLines", "账单明细", "Bill lines", Role.OUTPUT, (
        col("BillID", "账单编号", "Bill ID"),
        col("Line", "行", "Line", Kind.INT),
        col("CustomerID", "客户编号", "Customer ID"),
        col("Period", "账期", "Period", Kind.PERIOD),
        col("FeeItem", "费用项目", "Fee item", choices=FEE_ITEMS),
        col("TariffCode", "收费标准代码", "Tariff code"),
        col("Component", "项目", "Component", width=22),
        col("Tier", "阶梯", "Tier", Kind.INT),
        col("Quantity", "数量", "Quantity", Kind.NUMBER),
        col("UnitPrice", "单价", "Unit price", Kind.PRICE),
        col("Amount", "金额", "Amount", Kind.MONEY),
    ), "出账作业生成的账单明细：每个阶梯、每个收费项目一行，合计等于账单金额。",
        "Bill lines made by the bill run: one per tier and component; they add up to the bill."),
    Table("BillAudit", "账单审核", "Bill audit", Role.OUTPUT, (
        col("BillID", "账单编号", "Bill ID"),
        col("CustomerID", "客户编号", "Customer ID"),
        col("Period", "账期", "Period", Kind.PERIOD),
        col("Reason", "原因代码", "Reason"),
        col("Explanation", "说明", "Explanation", width=60),
        col("Expected", "应为", "Expected", Kind.MONEY),
        col("Actual", "实际", "Actual", Kind.MONEY),
        col("SourceRow", "来源行号", "Source row", Kind.INT),
    ), "账单审核发现的疑点，每条附原因和说明。", "Findings of the bill audit, each with a reason and an explanation."),
    Table("Impact", "调价影响", "Impact", Role.OUTPUT, (
        col("Scope", "维度", "Scope", choices=IMPACT_SCOPES),
        col("Segment", "分组", "Segment", width=18),
        col("Customers", "客户数", "Customers", Kind.INT),
        col("CurrentAmount", "现行标准金额", "Current amount", Kind.MONEY),
        col("ProposedAmount", "新标准金额", "Proposed amount", Kind.MONEY),
        col("Change", "变化", "Change", Kind.MONEY),
        col("ChangeRate", "变化率", "Change rate", Kind.RATE),
    ), "拟调整收费标准对近 12 个月用量的影响：总额、按客户类别和片区、账单变化分布、需发调价通知的客户。",
        "What the proposed tariff does to the last 12 months of usage: total, by customer type and region, "
        "the spread of bill changes, customers to send a price-change notice."),
    Table("PeerComparison", "同业比较", "Peer comparison", Role.OUTPUT, (
        col("Profile", "用量情形", "Profile", width=16),
        col("FeeItem", "费用项目", "Fee item", choices=FEE_ITEMS),
        col("Quantity", "月用量", "Monthly quantity", Kind.NUMBER),
        col("OurAmount", "本单位", "Ours", Kind.MONEY),
        col("PeerAverage", "同业平均", "Peer average", Kind.MONEY),
        col("PeerLowest", "同业最低", "Peer lowest", Kind.MONEY),
        col("PeerHighest", "同业最高", "Peer highest", Kind.MONEY),
        col("Difference", "高于平均", "Above average", Kind.MONEY),
        col("Peers", "比较城市", "Cities compared", width=24),
    ), "典型月用量下本单位与周边城市的居民账单比较（市场调研与竞争分析）。",
        "Typical monthly bills at usage profiles, ours against other cities' (market comparison)."),
    Table("Reconciliation", "对账结果", "Reconciliation", Role.OUTPUT, (
        col("MatchID", "匹配编号", "Match ID", width=13),
        col("Source", "来源", "Source", choices=RECEIPT_SOURCES, width=10),
        col("PaymentID", "收款编号", "Payment ID", width=20),
        col("PaidDate", "收款日期", "Paid on", Kind.DATE),
        col("CustomerID", "客户编号", "Customer ID"),
        col("BillID", "账单编号", "Bill ID"),
        col("LinkedID", "关联收款", "Linked payment", width=16),
        col("Amount", "金额", "Amount", Kind.MONEY),
        col("BankTxnID", "银行到账流水", "Bank txn ID", width=20),
        col("Rule", "匹配规则", "Rule", choices=MATCH_RULES, width=14),
        col("Score", "可信度", "Score", Kind.NUMBER, width=8),
        col("Reason", "依据", "Reason", width=60),
        col("Status", "状态", "Status", choices=MATCH_STATUSES, width=9),
        col("Decision", "处理", "Decision", choices=DECISIONS, width=9),
    ), "每笔收款对上了哪张账单或哪个客户、按哪条规则、依据是什么。“待确认”的在“处理”列选确认或否决后重新对账；"
       "已确认的不再改动，否决的不再提出。",
        "Which bill or customer each payment was matched to, by which rule and why. Choose confirm or reject "
        "in Decision for suggested matches and run again; confirmed matches stay, rejected ones are not "
        "proposed again."),
    Table("Allocations", "核销分配", "Allocations", Role.OUTPUT, (
        col("AllocationID", "分配编号", "Allocation ID", width=12),
        col("Source", "来源", "Source", choices=RECEIPT_SOURCES, width=10),
        col("PaymentID", "收款编号", "Payment ID", width=20),
        col("BillID", "账单编号", "Bill ID"),
        col("CustomerID", "客户编号", "Customer ID"),
        col("AllocDate", "日期", "Date", Kind.DATE),
        col("Amount", "金额", "Amount", Kind.MONEY),
        col("Kind", "类型", "Kind", choices=ALLOCATION_KINDS, width=10),
    ), "收款冲抵账单的明细：指明账单的先冲该账单，只知道客户的按先欠先还；多出的作为客户预存。"
       "账单未收金额 = 应收金额 − 冲抵 − 核销。",
        "Money applied to bills: a payment naming a bill pays it first, one known only by its customer pays the "
        "oldest bills; the rest is the customer's credit. A bill's open amount = amount − payments − write-offs."),
    Table("Exceptions", "异常清单", "Exceptions", Role.OUTPUT, (
        col("ExceptionID", "异常编号", "Exception ID", width=11),
        col("Kind", "类型", "Kind", choices=EXCEPTION_KINDS, width=14),
        col("Source", "来源", "Source", choices=RECEIPT_SOURCES, width=10),
        col("SourceID", "来源编号", "Source ID", width=20),
        col("CustomerID", "客户编号", "Customer ID"),
        col("Amount", "金额", "Amount", Kind.MONEY),
        col("ItemDate", "日期", "Date", Kind.DATE),
        col("Detail", "说明", "Detail", width=48),
        col("Action", "建议处理", "Suggested action", width=48),
    ), "对账后需要处理的事项，每条附建议。", "What reconciliation left for you to act on, each with a suggested action."),
    Table("Settlements", "渠道到账", "Settlements", Role.OUTPUT, (
        col("SettlementID", "到账编号", "Settlement ID", width=11),
        col("Channel", "渠道", "Channel", choices=CHANNELS, width=10),
        col("PayDate", "收款日期", "Paid on", Kind.DATE),
        col("Payments", "笔数", "Payments", Kind.INT),
        col("Gross", "收款金额", "Gross", Kind.MONEY),
        col("Fees", "手续费", "Fees", Kind.MONEY),
        col("Net", "应到账", "Net", Kind.MONEY),
        col("BankTxnID", "银行流水号", "Bank txn ID", width=20),
        col("BankDate", "到账日期", "Bank date", Kind.DATE),
        col("BankAmount", "实到账", "Bank amount", Kind.MONEY),
        col("Difference", "差额", "Difference", Kind.MONEY),
        col("Status", "状态", "Status", choices=SETTLEMENT_STATUSES, width=9),
    ), "微信支付、支付宝、柜台每天的收款与银行到账（扣除手续费）的核对。",
        "Each day's WeChat Pay, Alipay and counter receipts against the bank credit that settles them, net of fees."),
    Table("LedgerCheck", "三方核对", "Ledger check", Role.OUTPUT, (
        col("Period", "账期", "Period", Kind.PERIOD),
        col("Account", "科目", "Account", width=8),
        col("LedgerOpening", "台账期初", "Ledger opening", Kind.MONEY),
        col("Billed", "本期应收", "Billed", Kind.MONEY),
        col("Collected", "本期实收", "Collected", Kind.MONEY),
        col("LedgerClosing", "台账期末", "Ledger closing", Kind.MONEY),
        col("GLDebit", "总账借方", "GL debit", Kind.MONEY),
        col("GLCredit", "总账贷方", "GL credit", Kind.MONEY),
        col("GLClosing", "总账期末", "GL closing", Kind.MONEY),
        col("Variance", "差异", "Variance", Kind.MONEY),
        col("Explained", "已说明", "Explained", Kind.MONEY),
        col("Unexplained", "未说明", "Unexplained", Kind.MONEY),
        col("Explanation", "差异说明", "Explanation", width=60),
    ), "收费台账（账单、收款）的应收余额与财务总账逐期核对，差异列出原因。",
        "The billing ledger's receivable balance against finance's GL per period, the variance explained by items."),
    Table("Aging", "账龄", "Aging", Role.OUTPUT, (
        col("CustomerID", "客户编号", "Customer ID"),
        col("Name", "客户名称", "Name", width=18),
        col("BillID", "账单编号", "Bill ID"),
        col("Kind", "类型", "Kind", choices=OPEN_ITEM_KINDS, width=9),
        col("BillDate", "账单日期", "Bill date", Kind.DATE),
        col("DueDate", "到期日", "Due date", Kind.DATE),
        col("DaysOverdue", "逾期天数", "Days overdue", Kind.INT),
        col("Bucket", "账龄段", "Bucket", width=11),
        col("Amount", "应收金额", "Amount", Kind.MONEY),
        col("Paid", "已收金额", "Paid", Kind.MONEY),
        col("OpenAmount", "未收金额", "Open amount", Kind.MONEY),
        col("LateFee", "滞纳金", "Late fee", Kind.MONEY),
        col("CustomerType", "客户类别", "Customer type", choices=CUSTOMER_TYPES),
        col("Region", "片区", "Region"),
        col("Officer", "责任干事", "Officer"),
    ), "截止日期时每张未结清账单（及预存、贷项）的账龄：逾期天数、账龄段、未收金额和滞纳金。",
        "Every open bill (and credit) as of the as-of date: days overdue, bucket, open amount and late fee."),
    Table("AgingSummary", "账龄汇总", "Aging summary", Role.OUTPUT, (
        col("Scope", "维度", "Scope", choices=AGING_SCOPES, width=10),
        col("Segment", "分组", "Segment", width=14),
        col("Bucket", "账龄段", "Bucket", width=11),
        col("Amount", "金额", "Amount", Kind.MONEY),
        col("Items", "笔数", "Items", Kind.INT),
        col("Share", "占比", "Share", Kind.RATE),
    ), "账龄段合计：总计、按片区、责任干事和客户类别；颜色越深占比越高，图表为总计。",
        "Bucket totals: overall and by region, officer and customer type; darker is a larger share; the chart "
        "shows the total."),
    Table("AgingCustomers", "客户欠费", "Customer balances", Role.OUTPUT, (
        col("CustomerID", "客户编号", "Customer ID"),
        col("Name", "客户名称", "Name", width=18),
        col("CustomerType", "客户类别", "Customer type", choices=CUSTOMER_TYPES),
        col("Region", "片区", "Region"),
        col("Officer", "责任干事", "Officer"),
        col("NotDue", "未到期", "Not yet due", Kind.MONEY),
        col("Overdue", "已逾期", "Overdue", Kind.MONEY),
        col("Credit", "预存/贷项", "Credit", Kind.MONEY),
        col("Balance", "余额", "Balance", Kind.MONEY),
        col("LateFee", "滞纳金", "Late fee", Kind.MONEY),
        col("OldestDays", "最长逾期天数", "Oldest (days)", Kind.INT),
        col("OldestBucket", "最长账龄段", "Oldest bucket", width=11),
        col("Items", "笔数", "Items", Kind.INT),
    ), "每个客户的欠费与预存：未到期、已逾期、预存、余额、滞纳金和最长账龄。",
        "Each customer's balance: not yet due, overdue, credit, balance, late fee and the oldest item."),
    Table("Dunning", "催缴清单", "Dunning", Role.OUTPUT, (
        col("CustomerID", "客户编号", "Customer ID"),
        col("Name", "客户名称", "Name", width=18),
        col("Status", "结果", "Status", choices=DUNNING_STATUSES, width=10),
        col("Level", "级别", "Level", Kind.INT),
        col("LevelName", "级别名称", "Level name", width=14),
        col("OpenAmount", "逾期欠费", "Overdue amount", Kind.MONEY),
        col("LateFee", "滞纳金", "Late fee", Kind.MONEY),
        col("Fee", "催缴费用", "Fee", Kind.MONEY),
        col("DaysOverdue", "逾期天数", "Days overdue", Kind.INT),
        col("OldestDueDate", "最早到期日", "Oldest due date", Kind.DATE),
        col("Bills", "逾期账单", "Overdue bills", width=30),
        col("Template", "模板", "Template"),
        col("Channel", "方式", "Channel", choices=DUNNING_CHANNELS),
        col("Reason", "原因", "Reason", width=50),
    ), "本次建议发出的催缴（函件作业据此生成函件），以及因已缴清以外的原因暂不催缴的客户。",
        "The dunning proposed now (the letters job makes the letters from it), and customers held back and why."),
    Table("KPI", "绩效指标", "KPI", Role.OUTPUT, (
        col("Period", "账期", "Period", Kind.PERIOD),
        col("KPI", "指标代码", "KPI", width=22),
        col("Name", "指标", "Name", width=20),
        col("Scope", "维度", "Scope", choices=AGING_SCOPES, width=10),
        col("Segment", "分组", "Segment", width=12),
        col("Value", "数值", "Value", Kind.NUMBER),
        col("Unit", "单位", "Unit", width=6),
        col("Target", "目标", "Target", Kind.NUMBER),
        col("Status", "状态", "Status", choices=RAG_STATUSES, width=8),
        col("Previous", "上期", "Previous", Kind.NUMBER),
        col("Change", "环比变化", "Change", Kind.NUMBER),
        col("LastYear", "去年同期", "Same period last year", Kind.NUMBER),
        col("YoYChange", "同比变化", "Change on last year", Kind.NUMBER),
        col("Note", "说明", "Note", width=30),
    ), "本账期的绩效指标：总体及按片区、责任干事、客户类别；与目标比较，并与上期、去年同期比较。公式见“使用说明”。",
        "The period's KPIs overall and by region, officer and customer type, against their targets, last period "
        "and the same period last year. The formulas are in the Guide."),
    Table("KPIHistory", "绩效历史", "KPI history", Role.OUTPUT, (
        col("Period", "账期", "Period", Kind.PERIOD),
        col("KPI", "指标代码", "KPI", width=22),
        col("Scope", "维度", "Scope", choices=AGING_SCOPES, width=10),
        col("Segment", "分组", "Segment", width=12),
        col("Value", "数值", "Value", Kind.NUMBER),
    ), "每个账期一组指标；重算某账期会替换该账期的记录。", "One set of KPIs per period; recomputing a period replaces it."),
    Table("CustomerAnalysis", "客户分析", "Customer analysis", Role.OUTPUT, (
        col("Category", "类别", "Category", choices=ANALYSIS_CATEGORIES, width=16),
        col("Rank", "排名", "Rank", Kind.INT, width=6),
        col("Key", "客户/分组", "Customer or segment", width=14),
        col("Name", "名称", "Name", width=18),
        col("Amount", "金额", "Amount", Kind.MONEY),
        col("Measure", "指标", "Measure", Kind.NUMBER),
        col("Detail", "说明", "Detail", width=40),
    ), "数据分析：高价值客户（收入和按时缴费）、停止缴费的客户、欠费最多的费用项目和片区。",
        "Analysis: high-value customers (revenue and punctuality), customers who stopped paying, the fee items and "
        "regions carrying the most arrears."),
    Table("Letters", "函件", "Letters", Role.OUTPUT, (
        col("LetterID", "函件编号", "Letter ID", width=22),
        col("CustomerID", "客户编号", "Customer ID"),
        col("Name", "客户名称", "Name", width=18),
        col("Kind", "类型", "Kind", width=12),
        col("Level", "催缴级别", "Dunning level", Kind.INT),
        col("Template", "模板", "Template"),
        col("Channel", "方式", "Channel", choices=DUNNING_CHANNELS),
        col("Recipient", "收件人", "Recipient", width=22),
        col("File", "文件", "File", width=40),
        col("SentAt", "发送时间", "Sent at", Kind.DATETIME),
        col("Status", "状态", "Status", choices=LETTER_STATUSES),
        col("Note", "说明", "Note", width=30),
    ), "每封函件一行：生成的文件、发送方式和结果；催缴作业据此决定下一级。",
        "One row per letter: the file made, how it went out and whether it did; dunning escalates from here."),
    Table("Audit", "运行日志", "Audit", Role.OUTPUT, (
        col("Time", "时间", "Time", Kind.DATETIME),
        col("User", "用户", "User"),
        col("Job", "作业", "Job"),
        col("InputDigest", "输入摘要", "Input digest", width=14),
        col("Status", "结果", "Status", choices=RUN_STATUSES),
        col("Rows", "行数", "Rows", Kind.INT),
        col("Problems", "问题数", "Problems", Kind.INT),
        col("Seconds", "耗时（秒）", "Seconds", Kind.NUMBER),
        col("Note", "说明", "Note", width=40),
    ), "每次作业运行追加一行，不会改写旧行。", "One row appended per job run; old rows are never changed."),
)

# The month's close: one row per step, on the Control sheet beside the settings (the jobs list's
# columns keep their widths: step, job, detail, status, seconds, then rows, amount, problems).
CONTROL_CLOSE_ANCHOR = (CONTROL_JOBS_ANCHOR[0] + 19, CONTROL_JOBS_ANCHOR[1])
CLOSE_TITLE = {"zh": "本次月结（月结作业写入）", "en": "Last month's close (written by the close)"}
CLOSE_STATUSES = choices(("ok", "完成", "ok"), ("problems", "有问题", "problems"), ("failed", "失败", "failed"),
                         ("skipped", "未运行", "not run"))
CLOSE_TABLE = Table("CloseSummary", "控制台", "Control", Role.OUTPUT, (
    col("Step", "步骤", "Step", Kind.INT, width=6),
    col("Job", "作业", "Job", width=14),
    col("Detail", "结果摘要", "What it did", width=72),
    col("Status", "结果", "Status", choices=CLOSE_STATUSES, width=18),
    col("Seconds", "耗时（秒）", "Seconds", Kind.NUMBER, width=18),
    col("Rows", "行数", "Rows", Kind.INT, width=12),
    col("Amount", "金额", "Amount", Kind.MONEY, width=16),
    col("Errors", "错误", "Errors", Kind.INT, width=8),
    col("Warnings", "提醒", "Warnings", Kind.INT, width=8),
), "月结作业的一页摘要：每个步骤做了什么、数量、金额、问题，函件在哪里。",
    "The close on one page: what each step did, counts, money, problems, where the letters are.",
    sheet_key="Control", anchor=CONTROL_CLOSE_ANCHOR)

TABLES: tuple[Table, ...] = (SETTINGS_TABLE, CLOSE_TABLE, *INPUT_TABLES, *OUTPUT_TABLES)
TABLES_BY_KEY: dict[str, Table] = {t.key: t for t in TABLES}

# The sheet order of a new workbook: Control and Guide first, then inputs, then outputs.
SHEET_TABLES: tuple[Table, ...] = (*INPUT_TABLES, *OUTPUT_TABLES)


def table(key: str) -> Table:
    try:
        return TABLES_BY_KEY[key]
    except KeyError:
        raise KeyError(f"no table named {key!r}; known: {', '.join(TABLES_BY_KEY)}") from None


def sheet_name(key: str, lang: str) -> str:
    """Sheet name of a table or of a fixed sheet ('Control', 'Guide')."""
    if key == "Control":
        return CONTROL_SHEET[lang]
    if key == "Guide":
        return GUIDE_SHEET[lang]
    if key == "Scorecard":
        return SCORECARD_SHEET[lang]
    return table(key).sheet_name(lang)


def choice_by_text(options: tuple[Choice, ...]) -> dict[str, str]:
    """Every accepted spelling of a choice (code, zh, en; case-insensitive) -> its code."""
    found: dict[str, str] = {}
    for option in options:
        for text in (option.code, option.zh, option.en):
            found[text.strip().lower()] = option.code
    if options is YES_NO:
        found.update({"y": "yes", "n": "no", "true": "yes", "false": "no", "1": "yes", "0": "no",
                      "√": "yes", "×": "no", "对": "yes", "不": "no"})
    return found


def choice_label(options: tuple[Choice, ...], code: str, lang: str) -> str:
    for option in options:
        if option.code == code:
            return option.label(lang)
    return code


# --- tables longer than a sheet -------------------------------------------------------------
# A sheet holds 1,048,576 rows. A longer table (a large desk's year of bills, its meter readings)
# continues on sheets named like Excel's own copies, "账单 (2)", "账单 (3)" ..., each holding an
# Excel table named Bills_2, Bills_3 ... with the same columns. Jobs see one table; inside, the
# rows of continuation k are numbered k' = (k - 1) * CONTINUED_ROW_STRIDE + their sheet row, and a
# Problem names the continuation sheet and its own row.
CONTINUED_ROW_STRIDE = 10_000_000


def continuation_table(key: str, number: int) -> str:
    """Name of the Excel table holding part `number` (2, 3 ...) of table `key`."""
    return f"{key}_{number}"


def continuation_sheet(sheet: str, number: int) -> str:
    return f"{sheet} ({number})"


def part_of_row(row: int) -> tuple[int, int]:
    """(part number, sheet row) of a row number as jobs see it: part 1 is the table's own sheet."""
    return row // CONTINUED_ROW_STRIDE + 1, row % CONTINUED_ROW_STRIDE


def continued_rows(count: int, capacity: int) -> "list[tuple[int, int, int]]":
    """How `count` rows lie over a table and its continuations: (part, start, stop) slices, each
    part holding at most `capacity` rows (a table keeps one part, empty or not)."""
    parts, start, number = [], 0, 1
    while start < count or number == 1:
        stop = min(count, start + capacity)
        parts.append((number, start, stop))
        start, number = stop, number + 1
    return parts
