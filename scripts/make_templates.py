"""Write FeeDesk's letter, mail and SMS templates into templates/ (reproducibly: same bytes every run).

    python scripts/make_templates.py [OUT_DIR]

Word letters (docxtpl tags inside python-docx documents), one per kind and language:
notice (催缴通知书, wording by dunning level 1 friendly / 2 firm / 3 urgent), final_notice (最后催告函),
statement (对账单), price_change (调价通知), complaint_reply (投诉答复函); mail bodies
reminder_mail and statement_mail (.html); SMS reminder (.txt). File names: {key}_{lang}.{ext}.
The tags use only the merge fields documented in feedesk/letters.py. Running the script again
overwrites the templates, so an office's own edits belong in copies under other names.
"""

from __future__ import annotations

import datetime
import io
import pathlib
import sys
import zipfile

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "templates"
FIXED_TIME = datetime.datetime(2026, 1, 1, 0, 0, 0)
LANGS = ("zh", "en")
# Latin and East-Asian fonts: Word has SimSun; LibreOffice substitutes a CJK font it has (WenQuanYi).
FONTS = {"zh": ("Times New Roman", "SimSun"), "en": ("Arial", "SimSun")}
BODY_PT = 10.5  # 五号
HEADER_FILL = "DCE6F2"
LEFT, CENTER, RIGHT = WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT


# ---------------------------------------------------------------------------
# A small builder over python-docx
# ---------------------------------------------------------------------------


class Letter:
    """One Word template being written."""

    def __init__(self, lang: str, title: str):
        self.lang = lang
        self.zh = lang == "zh"
        self.doc = Document()
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Mm(22)
        section.top_margin, section.bottom_margin = Mm(16), Mm(16)
        section.header_distance = section.footer_distance = Mm(8)
        self.width_mm = 210 - 2 * 22
        self._fonts()
        props = self.doc.core_properties
        props.title, props.subject, props.author = title, "FeeDesk", "FeeDesk"
        props.last_modified_by, props.revision, props.keywords = "FeeDesk", 1, ""
        props.created = props.modified = props.last_printed = FIXED_TIME
        props.language = "zh-CN" if self.zh else "en-GB"

    def _fonts(self) -> None:
        latin, east = FONTS[self.lang]
        styles = self.doc.styles.element
        defaults = styles.find(qn("w:docDefaults"))
        rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
        _set_rfonts(rpr, latin, east)
        lang = rpr.find(qn("w:lang"))
        lang.set(qn("w:val"), "zh-CN" if self.zh else "en-GB")
        lang.set(qn("w:eastAsia"), "zh-CN")
        for tag in ("w:sz", "w:szCs"):
            rpr.find(qn(tag)).set(qn("w:val"), str(int(BODY_PT * 2)))
        spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
        spacing.set(qn("w:after"), "40")
        spacing.set(qn("w:line"), "288")
        for style in self.doc.styles:
            element = style.element
            style_rpr = element.find(qn("w:rPr"))
            if style_rpr is not None and style_rpr.find(qn("w:rFonts")) is not None:
                _set_rfonts(style_rpr, latin, east)
        normal = self.doc.styles["Normal"]
        normal.font.name = latin
        _set_rfonts(normal.element.get_or_add_rPr(), latin, east)
        normal.font.size = Pt(BODY_PT)

    # -- paragraphs -------------------------------------------------------
    def p(self, *runs, align=LEFT, size=None, bold=False, before=0, after=2, indent=False, border=False,
          color=None, keep=False, container=None):
        """A paragraph of runs: each run is text or (text, {'bold': True, 'size': 9, 'color': '...'})."""
        paragraph = (container or self.doc).add_paragraph()
        fmt = paragraph.paragraph_format
        paragraph.alignment = align
        fmt.space_before, fmt.space_after = Pt(before), Pt(after)
        if indent:
            fmt.first_line_indent = Pt(BODY_PT * 2) if self.zh else Pt(0)
        if keep:
            fmt.keep_with_next = True
        for run_spec in runs:
            text, style = (run_spec, {}) if isinstance(run_spec, str) else run_spec
            run = paragraph.add_run(text)
            run.bold = style.get("bold", bold) or None
            run_size = style.get("size", size)
            if run_size:
                run.font.size = Pt(run_size)
            run_color = style.get("color", color)
            if run_color:
                run.font.color.rgb = RGBColor.from_string(run_color)
        if border:
            _bottom_border(paragraph)
        return paragraph

    def tag(self, text: str) -> None:
        """A paragraph holding only a docxtpl paragraph tag ({%p if ... %}); docxtpl removes it."""
        paragraph = self.doc.add_paragraph(text)
        paragraph.paragraph_format.space_after = Pt(0)

    def heading(self, text: str) -> None:
        self.p(text, bold=True, before=4, after=2, keep=True)

    # -- tables -----------------------------------------------------------
    def table(self, headers, cells, widths, *, loop: str, numeric=(), total=None, size=9):
        """A table with a header row and one row per item: `{%tr for ... %}` row, the item row,
        `{%tr endfor %}` row (docxtpl turns those two into the loop). `total`: (label, value) for
        a last row whose label spans all but the last column."""
        table = self.doc.add_table(rows=1, cols=len(headers))
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        for index, header in enumerate(headers):
            cell = table.rows[0].cells[index]
            _cell_text(cell, header, bold=True, size=size, align=RIGHT if index in numeric else CENTER)
            _shade(cell, HEADER_FILL)
        _repeat_header(table.rows[0])
        _cell_text(table.add_row().cells[0], f"{{%tr for {loop} %}}", size=size)
        row = table.add_row()
        for index, text in enumerate(cells):
            _cell_text(row.cells[index], text, size=size, align=RIGHT if index in numeric else LEFT)
        _cell_text(table.add_row().cells[0], "{%tr endfor %}", size=size)
        if total:
            row = table.add_row()
            merged = row.cells[0].merge(row.cells[len(headers) - 2])
            _cell_text(merged, total[0], bold=True, size=size, align=RIGHT)
            _cell_text(row.cells[len(headers) - 1], total[1], bold=True, size=size, align=RIGHT)
        _widths(table, [width * self.width_mm / sum(widths) for width in widths])
        self.spacer()
        return table

    def spacer(self) -> None:
        """A thin empty paragraph: keeps two tables apart (Word would join them) without a gap."""
        paragraph = self.p("", after=0, size=3)
        paragraph.paragraph_format.line_spacing = Pt(5)

    def summary(self, rows, label_width=42, size=BODY_PT):
        """Label / value rows; a row given as (label, value, condition) shows only when the
        condition holds ({%tr if condition %} rows around it)."""
        table = self.doc.add_table(rows=0, cols=2)
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        for spec in rows:
            label, value, *rest = spec
            condition = rest[0] if rest else None
            bold = bool(rest[1]) if len(rest) > 1 else False
            if condition:
                _cell_text(table.add_row().cells[0], f"{{%tr if {condition} %}}", size=size)
            row = table.add_row()
            _cell_text(row.cells[0], label, bold=True, size=size)
            _shade(row.cells[0], HEADER_FILL)
            _cell_text(row.cells[1], value, bold=bold, size=size)
            if condition:
                _cell_text(table.add_row().cells[0], "{%tr endif %}", size=size)
        _widths(table, (label_width, self.width_mm - label_width))
        self.spacer()
        return table

    # -- letter parts -----------------------------------------------------
    def letterhead(self) -> None:
        zh = self.zh
        self.tag("{%p if company.logo %}")
        self.p("{{ company.logo }}", align=CENTER, after=0)
        self.tag("{%p endif %}")
        self.p("{{ company.name }}", align=CENTER, size=16, bold=True, after=1)
        if zh:
            line = ("{% if company.address %}地址：{{ company.address }}　{% endif %}"
                    "{% if company.phone %}电话：{{ company.phone }}　{% endif %}"
                    "{% if company.email %}邮箱：{{ company.email }}{% endif %}")
        else:
            line = ("{% if company.address %}{{ company.address }}   {% endif %}"
                    "{% if company.phone %}Tel {{ company.phone }}   {% endif %}"
                    "{% if company.email %}{{ company.email }}{% endif %}")
        self.p(line, align=CENTER, size=9, after=8, border=True, color="404040")
        footer = self.doc.sections[0].footer.paragraphs[0]
        footer.alignment = CENTER
        run = footer.add_run("{{ company.name }}{% if company.phone %}　客服电话 {{ company.phone }}{% endif %}" if zh
                             else "{{ company.name }}{% if company.phone %}  ·  Tel {{ company.phone }}{% endif %}")
        run.font.size = Pt(8)
        run.font.color.rgb = RGBColor.from_string("808080")

    def title(self, text: str) -> None:
        self.p(text, align=CENTER, size=18, bold=True, before=4, after=6)

    def meta(self) -> None:
        if self.zh:
            self.p("{% if ref %}编号：{{ ref }}　　{% endif %}日期：{{ date }}", align=RIGHT, after=4)
        else:
            self.p("{% if ref %}Ref. {{ ref }}    {% endif %}Date: {{ date }}", align=RIGHT, after=4)

    def addressee(self) -> None:
        if self.zh:
            self.p(("客户名称：", {"bold": True}), "{{ customer.name }}　　", ("客户编号：", {"bold": True}),
                   "{{ customer.id }}", after=0)
            self.p(("地　　址：", {"bold": True}), "{{ customer.address }}", after=6)
            self.p("尊敬的{{ customer.name }}：", after=3)
        else:
            self.p(("{{ customer.name }}", {"bold": True}), after=0)
            self.p("{{ customer.address }}", after=0)
            self.p("Customer ID: {{ customer.id }}", after=6)
            self.p("Dear {{ customer.name }},", after=3)

    def bills_table(self, with_days=True, with_paid=False) -> None:
        if self.zh:
            headers = ["账单编号", "账期", "费用项目", "到期日"]
            total_label = "合计"
        else:
            headers = ["Bill", "Period", "Item", "Due date"]
            total_label = "Total"
        cells = ["{{ bill.id }}", "{{ bill.period }}", "{{ bill.fee_item }}", "{{ bill.due_date }}"]
        widths = [28, 17, 20, 22] if self.zh else [27, 19, 25, 25]
        if with_days:
            headers.append("逾期天数" if self.zh else "Days late")
            cells.append("{{ bill.days_overdue }}")
            widths.append(17 if self.zh else 14)
        headers.append("账单金额" if self.zh else "Amount")
        cells.append("{{ bill.amount }}")
        if with_paid:
            headers.append("已缴金额" if self.zh else "Paid")
            cells.append("{{ bill.paid }}")
        headers.append("未缴金额" if self.zh else "Open")
        cells.append("{{ bill.open }}")
        money_columns = len(headers) - len(widths)
        rest = self.width_mm - sum(widths)
        widths += [rest / money_columns] * money_columns
        numeric = set(range(len(widths) - money_columns, len(widths)))
        if with_days:
            numeric.add(4)
        self.table(headers, cells, widths, loop="bill in bills", numeric=numeric,
                   total=(total_label, "{{ total.figures }}"))

    def amounts(self, pay_by_label=True) -> None:
        """Open total, late fee, fee, amount due (figures and 大写) and the pay-by date."""
        if self.zh:
            rows = [("欠费合计", "{{ total.figures }}（大写：{{ total.upper }}）"),
                    ("滞纳金", "{{ late_fee.figures }}（计至{{ date }}，未缴清前按日继续计收）", "late_fee.fen"),
                    ("催缴费用", "{{ fee.figures }}", "fee.fen"),
                    ("应缴合计", "{{ amount_due.figures }}（大写：{{ amount_due.upper }}）", None, True)]
            if pay_by_label:
                rows.append(("缴费截止日", "请于{{ pay_by }}前缴清", None, True))
        else:
            rows = [("Outstanding", "{{ total.figures }} (RMB in capitals 大写: {{ total.upper }})"),
                    ("Late fee", "{{ late_fee.figures }} (to {{ date }}; it keeps accruing daily until paid)",
                     "late_fee.fen"),
                    ("Collection fee", "{{ fee.figures }}", "fee.fen"),
                    ("Total to pay", "{{ amount_due.figures }} (大写: {{ amount_due.upper }})", None, True)]
            if pay_by_label:
                rows.append(("Pay by", "{{ pay_by }}", None, True))
        self.summary(rows, label_width=30 if self.zh else 40)

    def how_to_pay(self) -> None:
        if self.zh:
            self.p("缴费方式：营业厅柜台、微信支付、支付宝或银行转账"
                   "{% if company.bank_account %}（户名：{{ company.name }}；开户行：{{ company.bank_name }}；"
                   "账号：{{ company.bank_account }}）{% endif %}。转账时请在附言中注明客户编号{{ customer.id }}。",
                   indent=True)
        else:
            self.p("You can pay at our service counter, by WeChat Pay, Alipay or bank transfer"
                   "{% if company.bank_account %} (payee {{ company.name }}, bank {{ company.bank_name }}, "
                   "account {{ company.bank_account }}){% endif %}. Please quote your customer ID "
                   "{{ customer.id }} with a transfer.")

    def contact(self, zh_text=None, en_text=None) -> None:
        if self.zh:
            self.p(zh_text or "如您已缴费，请忽略本通知；如对账单有疑问，请与经办人{{ officer.name }}联系"
                   "（电话：{{ officer.phone or company.phone }}{% if officer.email %}，邮箱：{{ officer.email }}"
                   "{% endif %}）。", indent=True)
        else:
            self.p(en_text or "If you have already paid, please disregard this notice. If you have a question "
                   "about your bills, please contact {{ officer.name }} on {{ officer.phone or company.phone }}"
                   "{% if officer.email %} or at {{ officer.email }}{% endif %}.")

    def signature(self) -> None:
        if self.zh:
            self.p("此致", before=6, after=0, indent=True)
            self.p("敬礼！", after=6)
            self.p("{{ company.name }}（盖章）", align=RIGHT, after=0)
            self.p("{{ date }}", align=RIGHT, after=8)
            self.p("经办人：{{ officer.name }}{% if officer.title %}（{{ officer.title }}）{% endif %}　"
                   "联系电话：{{ officer.phone or company.phone }}　签字：＿＿＿＿＿＿", size=9, color="404040")
        else:
            self.p("Yours sincerely,", before=6, after=18)
            self.p("______________________", after=0)
            self.p(("{{ officer.name }}", {"bold": True}), after=0)
            self.p("{% if officer.title %}{{ officer.title }}, {% endif %}{{ company.name }}", after=0)
            self.p("Tel {{ officer.phone or company.phone }}{% if officer.email %}  ·  {{ officer.email }}"
                   "{% endif %}", after=0, size=9, color="404040")

    def save(self, path: pathlib.Path) -> None:
        buffer = io.BytesIO()
        self.doc.save(buffer)
        path.write_bytes(_deterministic_zip(buffer.getvalue()))


def _set_rfonts(rpr, latin: str, east: str) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east)
    fonts.set(qn("w:cs"), latin)


def _bottom_border(paragraph) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "8"), ("w:space", "4"), ("w:color", "1F3864")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    ppr.append(borders)


def _cell_text(cell, text: str, bold=False, size=9, align=LEFT) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.space_before = Pt(0)
    run = paragraph.add_run(text)
    run.bold = bold or None
    run.font.size = Pt(size)


def _shade(cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _repeat_header(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    trpr.append(header)


def _widths(table, widths_mm) -> None:
    grid = table._tbl.tblGrid
    for column, width in zip(grid.findall(qn("w:gridCol")), widths_mm):
        column.set(qn("w:w"), str(int(Mm(width).twips)))
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm):
            cell.width = Mm(width)


def _deterministic_zip(data: bytes) -> bytes:
    """The same package with fixed timestamps, so a re-run writes identical bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


# ---------------------------------------------------------------------------
# The letters
# ---------------------------------------------------------------------------


def notice(lang: str) -> Letter:
    """催缴通知书: one template, the wording by level (1 friendly, 2 firm, 3 urgent)."""
    zh = lang == "zh"
    letter = Letter(lang, "催缴通知书" if zh else "Payment reminder")
    letter.letterhead()
    letter.title("{% if level == 1 %}缴费提醒函{% elif level == 2 %}催缴通知书{% else %}催缴通知书（紧急）{% endif %}"
                 if zh else "{% if level == 1 %}Payment reminder{% elif level == 2 %}Notice of arrears"
                 "{% else %}URGENT: notice of arrears{% endif %}")
    letter.meta()
    letter.addressee()
    levels = {
        1: (("感谢您一直以来对我们工作的支持！经核对，截至{{ date }}，您有以下{{ bill_count }}张账单尚未缴清，"
            "最早一张于{{ oldest_due_date }}到期。可能是您近期事务繁忙未及缴纳，烦请于{{ pay_by }}前缴清，以免产生滞纳金。"),
            ("Thank you for being our customer. Our records show that, as of {{ date }}, {{ bill_count }} "
            "bill(s) below are still unpaid, the oldest due on {{ oldest_due_date }}. Perhaps this has simply "
            "slipped your mind: please pay by {{ pay_by }} to avoid late fees.")),
        2: (("我司此前已提醒您缴费，但截至{{ date }}，以下账单仍未缴清，最早一张已逾期{{ max_days_overdue }}天。"
            "根据服务合同约定，逾期未缴的费用按日计收滞纳金。请您务必于{{ pay_by }}前缴清全部欠费及滞纳金。"),
            ("We reminded you earlier, but as of {{ date }} the bills below are still unpaid; the oldest is "
            "{{ max_days_overdue }} days overdue. Under your service contract, late fees accrue daily on overdue "
            "amounts. You must pay the full arrears and late fees by {{ pay_by }}.")),
        3: (("紧急催缴：您的账单已严重逾期（最早一张已逾期{{ max_days_overdue }}天），经我司多次催缴仍未缴清。"
            "请立即于{{ pay_by }}前缴清下列全部欠费、滞纳金及催缴费用。逾期仍不缴纳的，我司将依照合同约定及有关规定"
            "采取进一步措施追收欠费，由此产生的一切费用和后果由您承担。"),
            ("URGENT: your account is seriously overdue (the oldest bill by {{ max_days_overdue }} days) and "
            "our earlier reminders have gone unanswered. Pay the full arrears, late fees and collection fee below "
            "by {{ pay_by }} at the latest. If you do not, we will take further steps to recover the debt as "
            "your contract and the regulations allow, and you will bear the costs.")),
    }
    for level, (zh_text, en_text) in levels.items():
        letter.tag("{%p if level == 1 %}" if level == 1 else "{%p elif level == 2 %}" if level == 2 else
                   "{%p else %}")
        letter.p(zh_text if zh else en_text, indent=True,
                 color="C00000" if level == 3 else None)
    letter.tag("{%p endif %}")
    letter.p("欠费明细如下：" if zh else "The unpaid bills:", keep=True)
    letter.bills_table()
    letter.amounts()
    letter.how_to_pay()
    letter.contact()
    letter.signature()
    return letter


def final_notice(lang: str) -> Letter:
    """正式催告函（最后通知）."""
    zh = lang == "zh"
    letter = Letter(lang, "最后催告函" if zh else "Final notice")
    letter.letterhead()
    letter.title("正式催告函（最后通知）" if zh else "FINAL NOTICE before further action")
    letter.meta()
    letter.addressee()
    if zh:
        letter.p("我司已多次以通知书、电话或短信等方式向您催缴下列费用，但截至{{ date }}，您仍欠缴费用"
                 "{{ total.figures }}（大写：{{ total.upper }}），最早一张账单已逾期{{ max_days_overdue }}天。",
                 indent=True)
        letter.p((("现正式催告：请您于{{ pay_by }}前缴清全部欠费、滞纳金及催缴费用，合计{{ amount_due.figures }}"
                  "（大写：{{ amount_due.upper }}）。"), {"bold": True}), indent=True)
        letter.p("逾期仍未缴纳的，我司将依照《中华人民共和国民法典》和双方合同的约定，依法采取申请支付令、提起诉讼等方式追收欠费，"
                 "由此产生的诉讼费、律师费等费用将由您承担。本函为最后通知。", indent=True)
    else:
        letter.p("We have asked you several times, by letter, phone and text message, to pay the bills below. As "
                 "of {{ date }} you still owe {{ total.figures }} (大写: {{ total.upper }}); the oldest bill is "
                 "{{ max_days_overdue }} days overdue.")
        letter.p((("We now formally demand that you pay the arrears, late fees and collection fee, "
                  "{{ amount_due.figures }} in total (大写: {{ amount_due.upper }}), by {{ pay_by }}."),
                  {"bold": True}))
        letter.p("If payment is not received by then, we will recover the debt through the courts under the Civil "
                 "Code of the People's Republic of China and your contract, including a payment order or a lawsuit, "
                 "and you will bear the legal costs. This is our final notice.")
    letter.p("欠费明细：" if zh else "The unpaid bills:", keep=True)
    letter.bills_table()
    letter.amounts()
    letter.how_to_pay()
    letter.contact("如您已缴清上述费用，请将缴费凭证提供给经办人{{ officer.name }}（电话：{{ officer.phone or company.phone }}）"
                   "核对，并请忽略本函。",
                   "If you have already paid, please send the receipt to {{ officer.name }} "
                   "({{ officer.phone or company.phone }}) and disregard this letter.")
    letter.signature()
    return letter


def statement(lang: str) -> Letter:
    """客户对账单: open bills, payments received, aging totals."""
    zh = lang == "zh"
    letter = Letter(lang, "客户对账单" if zh else "Customer statement")
    letter.letterhead()
    letter.title("客户对账单" if zh else "Statement of account")
    letter.meta()
    letter.addressee()
    if zh:
        letter.p("现将您的账户情况列示如下（对账期间：{{ period }}，截至{{ date }}），请核对。", indent=True)
    else:
        letter.p("Here is your account for {{ period }}, as of {{ date }}. Please check it.")
    letter.heading("一、未结清账单" if zh else "1. Open bills")
    letter.bills_table(with_days=False, with_paid=True)
    letter.heading("二、收款记录" if zh else "2. Payments received")
    if zh:
        headers, widths = ["收款日期", "收款编号", "渠道", "附言", "金额"], [24, 34, 24, 58, 30]
    else:
        headers, widths = ["Date", "Payment", "Channel", "Reference", "Amount"], [24, 34, 24, 58, 30]
    letter.table(headers, ["{{ pay.date }}", "{{ pay.id }}", "{{ pay.channel }}", "{{ pay.reference }}",
                           "{{ pay.amount }}"], widths, loop="pay in payments", numeric={4},
                 total=("合计" if zh else "Total", "{{ payments_total.figures }}"))
    letter.heading("三、账龄分析" if zh else "3. Aging of what is open")
    letter.table(["账龄段", "未收金额"] if zh else ["Age", "Open amount"], ["{{ age.bucket }}", "{{ age.amount }}"],
                 [100, 70], loop="age in aging", numeric={1},
                 total=("合计" if zh else "Total", "{{ aging_total.figures }}"))
    letter.amounts()
    if zh:
        letter.p("如对本对账单有异议，请于收到之日起15日内与经办人{{ officer.name }}联系（电话：{{ officer.phone or company.phone }}）；"
                 "逾期未提出异议的，视为您确认上述账目无误。", indent=True)
    else:
        letter.p("If anything here looks wrong, please tell {{ officer.name }} "
                 "({{ officer.phone or company.phone }}) within 15 days of receiving this statement; after that we "
                 "take the statement as agreed.")
    letter.how_to_pay()
    letter.signature()
    return letter


def price_change(lang: str) -> Letter:
    """调价通知: old and new prices, the customer's own estimated change."""
    zh = lang == "zh"
    letter = Letter(lang, "调价通知" if zh else "Price change notice")
    letter.letterhead()
    letter.title("收费标准调整通知" if zh else "Notice of a change in prices")
    letter.meta()
    letter.addressee()
    if zh:
        letter.p("{% if reason %}根据{{ reason }}，{% endif %}{{ company.name }}的收费标准将自{{ effective_date }}起调整。"
                 "调整前后的单价如下：", indent=True)
        headers = ["费用项目", "阶梯", "计量单位", "现行单价", "调整后单价", "变化", "变化率"]
    else:
        letter.p("{% if reason %}Following {{ reason }}, {% endif %}{{ company.name }} will change its prices "
                 "from {{ effective_date }}. The prices before and after:")
        headers = ["Item", "Tier", "Unit", "Current price", "New price", "Change", "Change %"]
    letter.table(headers, ["{{ line.fee_item }}", "{{ line.tier }}", "{{ line.unit }}", "{{ line.old_price }}",
                           "{{ line.new_price }}", "{{ line.change }}", "{{ line.change_pct }}"],
                 [24, 14, 20, 28, 28, 30, 26], loop="line in price_lines", numeric={3, 4, 5, 6})
    if zh:
        letter.p("按您{{ estimate.basis }}的实际用量测算，调整后您的费用将由{{ estimate.current.figures }}变为"
                 "{{ estimate.proposed.figures }}，{% if estimate.increase %}增加{{ estimate.change_abs.figures }}"
                 "{% elif estimate.change.fen %}减少{{ estimate.change_abs.figures }}{% else %}没有变化{% endif %}"
                 "{% if estimate.rate %}（{{ estimate.rate }}）{% endif %}：", indent=True, keep=True)
        letter.summary([("现行标准", "{{ estimate.current.figures }}（大写：{{ estimate.current.upper }}）"),
                        ("调整后", "{{ estimate.proposed.figures }}（大写：{{ estimate.proposed.upper }}）"),
                        ("变化", ("{% if estimate.increase %}+{% endif %}{{ estimate.change.figures }}"
                                 "{% if estimate.rate %}（{{ estimate.rate }}）{% endif %}"), None, True)],
                       label_width=30)
    else:
        letter.p("At your own usage over {{ estimate.basis }}, your charges would go from "
                 "{{ estimate.current.figures }} to {{ estimate.proposed.figures }}: "
                 "{% if estimate.increase %}{{ estimate.change_abs.figures }} more{% elif estimate.change.fen %}"
                 "{{ estimate.change_abs.figures }} less{% else %}no change{% endif %}"
                 "{% if estimate.rate %} ({{ estimate.rate }}){% endif %}.", keep=True)
        letter.summary([("At current prices", "{{ estimate.current.figures }} (大写: {{ estimate.current.upper }})"),
                        ("At new prices", "{{ estimate.proposed.figures }} (大写: {{ estimate.proposed.upper }})"),
                        ("Change", ("{% if estimate.increase %}+{% endif %}{{ estimate.change.figures }}"
                                   "{% if estimate.rate %} ({{ estimate.rate }}){% endif %}"), None, True)],
                       label_width=40)
    letter.tag("{%p if bills %}")
    letter.p("另，截至{{ date }}，您尚有以下账单未缴清，请于{{ pay_by }}前缴纳：" if zh else
             "Also, as of {{ date }} the bills below are unpaid; please pay them by {{ pay_by }}:", keep=True)
    letter.bills_table()
    letter.amounts()
    letter.how_to_pay()
    letter.tag("{%p endif %}")
    letter.contact("如您对本次调价有疑问，欢迎与经办人{{ officer.name }}联系（电话：{{ officer.phone or company.phone }}）。"
                   "感谢您的理解与支持！",
                   "If you have questions about the new prices, please call {{ officer.name }} on "
                   "{{ officer.phone or company.phone }}. Thank you for your understanding.")
    letter.signature()
    return letter


def complaint_reply(lang: str) -> Letter:
    """投诉答复函."""
    zh = lang == "zh"
    letter = Letter(lang, "投诉答复函" if zh else "Reply to a complaint")
    letter.letterhead()
    letter.title("投诉答复函" if zh else "Reply to your complaint")
    letter.meta()
    letter.addressee()
    if zh:
        letter.p("您于{{ complaint.opened }}向我司反映的问题（受理编号：{{ complaint.id }}，类别：{{ complaint.category }}"
                 "{% if complaint.bill_id %}，涉及账单：{{ complaint.bill_id }}{% endif %}）我司已收悉。您反映的内容为："
                 "“{{ complaint.description }}”", indent=True)
        letter.p("经认真核查，现答复如下：{{ complaint.resolution }}", indent=True)
        letter.tag("{%p if complaint.adjustment.fen %}")
        letter.p((("经核实，我司为您核减费用{{ complaint.adjustment.figures }}（大写：{{ complaint.adjustment.upper }}），"
                  "已在您的账单中冲减。"), {"bold": True}), indent=True)
        letter.tag("{%p endif %}")
    else:
        letter.p("Thank you for contacting us on {{ complaint.opened }} (case {{ complaint.id }}, "
                 "{{ complaint.category }}{% if complaint.bill_id %}, bill {{ complaint.bill_id }}{% endif %}). "
                 "You told us: \u201c{{ complaint.description }}\u201d")
        letter.p("We have looked into it carefully. Our answer: {{ complaint.resolution }}")
        letter.tag("{%p if complaint.adjustment.fen %}")
        letter.p((("We have reduced your charges by {{ complaint.adjustment.figures }} (大写: "
                  "{{ complaint.adjustment.upper }}); the credit is applied to your bills."), {"bold": True}))
        letter.tag("{%p endif %}")
    letter.tag("{%p if bills %}")
    letter.p("目前您尚需缴纳的账单如下，请于{{ pay_by }}前缴清：" if zh else
             "The bills still to pay, by {{ pay_by }}:", keep=True)
    letter.bills_table()
    letter.amounts()
    letter.how_to_pay()
    letter.tag("{%p endif %}")
    letter.contact("感谢您对我们工作的理解与支持。如您对本答复仍有异议，请于收到本函之日起15日内与经办人{{ officer.name }}联系"
                   "（电话：{{ officer.phone or company.phone }}）。",
                   "Thank you for your patience. If you are not satisfied with this answer, please contact "
                   "{{ officer.name }} on {{ officer.phone or company.phone }} within 15 days of this letter.")
    letter.signature()
    return letter


LETTERS = {"notice": notice, "final_notice": final_notice, "statement": statement, "price_change": price_change,
           "complaint_reply": complaint_reply}


# ---------------------------------------------------------------------------
# Mail bodies and SMS
# ---------------------------------------------------------------------------

_HTML_HEAD = """<!DOCTYPE html>
<html lang="{html_lang}">
<head>
<meta charset="utf-8">
<title>{title}</title>
</head>
<body style="margin:0;padding:16px;font-family:{font};font-size:14px;line-height:1.6;color:#222;">
<div style="max-width:640px;margin:0 auto;">
<div style="border-bottom:2px solid #1f3864;padding-bottom:6px;margin-bottom:12px;">
<div style="font-size:18px;font-weight:bold;color:#1f3864;">{{{{ company.name }}}}</div>
<div style="font-size:12px;color:#555;">{{% if company.address %}}{{{{ company.address }}}} {{% endif %}}\
{{% if company.phone %}}{phone} {{{{ company.phone }}}}{{% endif %}}</div>
</div>
"""
_HTML_FOOT = """<p style="margin-top:18px;">{{{{ officer.name }}}}{{% if officer.title %}}{open}{{{{ officer.title }}}}{close}\
{{% endif %}}<br>{{{{ company.name }}}}<br>{phone} {{{{ officer.phone or company.phone }}}}\
{{% if officer.email %}} · {{{{ officer.email }}}}{{% endif %}}<br>{{{{ date }}}}</p>
<p style="font-size:12px;color:#888;border-top:1px solid #ddd;padding-top:6px;">{note}</p>
</div>
</body>
</html>
"""
_TH = 'style="background:#dce6f2;border:1px solid #999;padding:4px 6px;text-align:{align};"'
_TD = 'style="border:1px solid #999;padding:4px 6px;text-align:{align};"'


def _html_table(headers, cells, loop, numeric, total=None) -> str:
    def align(index):
        return "right" if index in numeric else "left"

    lines = ['<table style="border-collapse:collapse;width:100%;font-size:13px;margin:8px 0;">', "<tr>"]
    lines += [f"<th {_TH.format(align=align(i))}>{h}</th>" for i, h in enumerate(headers)]
    lines += ["</tr>", f"{{% for {loop} %}}", "<tr>"]
    lines += [f"<td {_TD.format(align=align(i))}>{c}</td>" for i, c in enumerate(cells)]
    lines += ["</tr>", "{% endfor %}"]
    if total:
        lines += [(f'<tr><td colspan="{len(headers) - 1}" {_TD.format(align="right")}><b>{total[0]}</b></td>'
                  f'<td {_TD.format(align="right")}><b>{total[1]}</b></td></tr>')]
    lines.append("</table>")
    return "\n".join(lines) + "\n"


def _html_bills(zh: bool) -> str:
    headers = (["账单编号", "账期", "费用项目", "到期日", "逾期天数", "未缴金额"] if zh else
               ["Bill", "Period", "Item", "Due date", "Days late", "Open"])
    return _html_table(headers, ["{{ bill.id }}", "{{ bill.period }}", "{{ bill.fee_item }}", "{{ bill.due_date }}",
                                 "{{ bill.days_overdue }}", "{{ bill.open }}"], "bill in bills", {4, 5},
                       ("合计" if zh else "Total", "{{ total.figures }}"))


def _html_amounts(zh: bool) -> str:
    if zh:
        return ("<p>欠费合计：<b>{{ total.figures }}</b>（大写：{{ total.upper }}）"
                "{% if late_fee.fen %}<br>滞纳金：{{ late_fee.figures }}（计至{{ date }}）{% endif %}"
                "{% if fee.fen %}<br>催缴费用：{{ fee.figures }}{% endif %}"
                "<br>应缴合计：<b>{{ amount_due.figures }}</b>（大写：{{ amount_due.upper }}）"
                "<br>请于 <b>{{ pay_by }}</b> 前缴清。</p>\n")
    return ("<p>Amount outstanding: <b>{{ total.figures }}</b> (大写: {{ total.upper }})"
            "{% if late_fee.fen %}<br>Late fee: {{ late_fee.figures }} (to {{ date }}){% endif %}"
            "{% if fee.fen %}<br>Collection fee: {{ fee.figures }}{% endif %}"
            "<br>Total to pay: <b>{{ amount_due.figures }}</b> (大写: {{ amount_due.upper }})"
            "<br>Please pay by <b>{{ pay_by }}</b>.</p>\n")


def _html_how_to_pay(zh: bool) -> str:
    if zh:
        return ("<p>缴费方式：营业厅柜台、微信支付、支付宝或银行转账{% if company.bank_account %}（户名：{{ company.name }}；"
                "开户行：{{ company.bank_name }}；账号：{{ company.bank_account }}）{% endif %}。"
                "转账时请在附言中注明客户编号 {{ customer.id }}。</p>\n")
    return ("<p>You can pay at our counter, by WeChat Pay, Alipay or bank transfer{% if company.bank_account %} "
            "(payee {{ company.name }}, bank {{ company.bank_name }}, account {{ company.bank_account }})"
            "{% endif %}. Please quote your customer ID {{ customer.id }} with a transfer.</p>\n")


def reminder_mail(lang: str) -> str:
    zh = lang == "zh"
    head = _HTML_HEAD.format(html_lang="zh-CN" if zh else "en", title="缴费提醒" if zh else "Payment reminder",
                             font="'Microsoft YaHei','PingFang SC',SimSun,sans-serif" if zh else
                             "Arial,Helvetica,'Microsoft YaHei',sans-serif", phone="电话" if zh else "Tel")
    if zh:
        body = ("<p>尊敬的{{ customer.name }}（客户编号 {{ customer.id }}）：</p>\n"
                "{% if level == 1 %}<p>感谢您一直以来的支持！截至{{ date }}，您有 {{ bill_count }} 张账单尚未缴清，"
                "烦请于{{ pay_by }}前缴纳，以免产生滞纳金。</p>\n"
                "{% elif level == 2 %}<p>我们此前已提醒您缴费，但截至{{ date }}，以下账单仍未缴清，最早一张已逾期"
                "{{ max_days_overdue }} 天，逾期费用按日计收滞纳金。请务必于{{ pay_by }}前缴清。</p>\n"
                "{% else %}<p style=\"color:#c00000;\"><b>紧急催缴：</b>您的账单已严重逾期（最早一张逾期 "
                "{{ max_days_overdue }} 天），请立即于{{ pay_by }}前缴清全部欠费、滞纳金及催缴费用，"
                "逾期我们将依照合同约定采取进一步措施。</p>\n{% endif %}")
        note = "如您已缴费，请忽略本邮件。本邮件由系统发送，如有疑问请致电经办人。"
    else:
        body = ("<p>Dear {{ customer.name }} (customer ID {{ customer.id }}),</p>\n"
                "{% if level == 1 %}<p>Thank you for being our customer. As of {{ date }}, {{ bill_count }} "
                "bill(s) are still unpaid; please pay by {{ pay_by }} to avoid late fees.</p>\n"
                "{% elif level == 2 %}<p>We reminded you earlier, but as of {{ date }} the bills below are still "
                "unpaid; the oldest is {{ max_days_overdue }} days overdue and late fees accrue daily. You must pay "
                "by {{ pay_by }}.</p>\n"
                "{% else %}<p style=\"color:#c00000;\"><b>URGENT:</b> your account is seriously overdue (the oldest "
                "bill by {{ max_days_overdue }} days). Pay the arrears, late fees and collection fee by "
                "{{ pay_by }} at the latest, or we will take further steps under your contract.</p>\n{% endif %}")
        note = "If you have already paid, please ignore this e-mail. Questions: call the officer named above."
    return (head + body + _html_bills(zh) + _html_amounts(zh) + _html_how_to_pay(zh)
            + _HTML_FOOT.format(phone="电话" if zh else "Tel", note=note, open="（" if zh else ", ",
                                close="）" if zh else ""))


def statement_mail(lang: str) -> str:
    zh = lang == "zh"
    head = _HTML_HEAD.format(html_lang="zh-CN" if zh else "en", title="对账单" if zh else "Statement",
                             font="'Microsoft YaHei','PingFang SC',SimSun,sans-serif" if zh else
                             "Arial,Helvetica,'Microsoft YaHei',sans-serif", phone="电话" if zh else "Tel")
    if zh:
        body = ("<p>尊敬的{{ customer.name }}（客户编号 {{ customer.id }}）：</p>\n"
                "<p>以下是您的对账单（对账期间：{{ period }}，截至{{ date }}），请核对。</p>\n"
                "<h3 style=\"font-size:15px;margin:12px 0 4px;\">未结清账单</h3>\n")
        payments = "<h3 style=\"font-size:15px;margin:12px 0 4px;\">收款记录</h3>\n"
        aging = "<h3 style=\"font-size:15px;margin:12px 0 4px;\">账龄分析</h3>\n"
        payment_headers, aging_headers, total = ["收款日期", "收款编号", "渠道", "附言", "金额"], ["账龄段", "未收金额"], "合计"
        objection = "<p>如对本对账单有异议，请于收到之日起15日内与经办人联系；逾期未提出异议的，视为您确认上述账目无误。</p>\n"
        note = "本邮件由系统发送。"
    else:
        body = ("<p>Dear {{ customer.name }} (customer ID {{ customer.id }}),</p>\n"
                "<p>Here is your statement for {{ period }}, as of {{ date }}. Please check it.</p>\n"
                "<h3 style=\"font-size:15px;margin:12px 0 4px;\">Open bills</h3>\n")
        payments = "<h3 style=\"font-size:15px;margin:12px 0 4px;\">Payments received</h3>\n"
        aging = "<h3 style=\"font-size:15px;margin:12px 0 4px;\">Aging of what is open</h3>\n"
        payment_headers, aging_headers, total = ["Date", "Payment", "Channel", "Reference", "Amount"], \
            ["Age", "Open amount"], "Total"
        objection = ("<p>If anything here looks wrong, please tell us within 15 days of receiving this statement; "
                     "after that we take the statement as agreed.</p>\n")
        note = "This e-mail was sent automatically."
    payments += _html_table(payment_headers, ["{{ pay.date }}", "{{ pay.id }}", "{{ pay.channel }}",
                                              "{{ pay.reference }}", "{{ pay.amount }}"], "pay in payments", {4},
                            (total, "{{ payments_total.figures }}"))
    aging += _html_table(aging_headers, ["{{ age.bucket }}", "{{ age.amount }}"], "age in aging", {1},
                         (total, "{{ aging_total.figures }}"))
    return (head + body + _html_bills(zh) + payments + aging + _html_amounts(zh) + objection + _html_how_to_pay(zh)
            + _HTML_FOOT.format(phone="电话" if zh else "Tel", note=note, open="（" if zh else ", ",
                                close="）" if zh else ""))


# One line each, whitespace-controlled, so the SMS has no stray spaces or line breaks.
SMS = {
    "zh": ("【{{ company.name }}】{{ customer.name }}您好，"
           "{%- if level == 3 %}紧急提醒：{% endif -%}"
           "您（户号{{ customer.id }}）有{{ bill_count }}张账单共{{ amount_due.figures }}未缴，最早{{ oldest_due_date }}到期，"
           "请于{{ pay_by }}前缴清{% if late_fee.fen %}（含滞纳金{{ late_fee.figures }}）{% endif %}。已缴请忽略。"
           "咨询{{ officer.phone or company.phone }}\n"),
    "en": ("[{{ company.name }}] Dear {{ customer.name }}, "
           "{%- if level == 3 %} URGENT:{% endif %} "
           "{{ bill_count }} bill(s) on account {{ customer.id }} totalling {{ amount_due.figures }} are unpaid "
           "(oldest due {{ oldest_due_date }}{% if late_fee.fen %}, incl. late fee {{ late_fee.figures }}{% endif %}). "
           "Please pay by {{ pay_by }}. Ignore if paid. Enquiries: {{ officer.phone or company.phone }}\n"),
}


def main(out_dir: pathlib.Path = OUT) -> list[pathlib.Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for lang in LANGS:
        for key, make in LETTERS.items():
            path = out_dir / f"{key}_{lang}.docx"
            make(lang).save(path)
            written.append(path)
        for key, make in (("reminder_mail", reminder_mail), ("statement_mail", statement_mail)):
            path = out_dir / f"{key}_{lang}.html"
            path.write_text(make(lang), encoding="utf-8", newline="\n")
            written.append(path)
        path = out_dir / f"reminder_{lang}.txt"
        path.write_text(SMS[lang], encoding="utf-8", newline="\n")
        written.append(path)
    return written


if __name__ == "__main__":
    target = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    for written_path in main(target):
        print(written_path.relative_to(target.parent) if target.parent in written_path.parents else written_path)
