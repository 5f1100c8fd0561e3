"""Letters: every template renders in zh and en, LibreOffice prints them (text and Chinese glyphs
checked), bad data fails whole batches cleanly, customer text prints literally, templates cannot
reach Python internals, and a batch binds into one printable document."""

from __future__ import annotations

import datetime
import io
import os
import pathlib
import re
import struct
import subprocess
import sys
import zipfile
import zlib

import numpy as np
import pytest

from feedesk import letters
from tests import office

ROOT = pathlib.Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
LETTER_KEYS = ("notice", "final_notice", "statement", "price_change", "complaint_reply")
MAIL_KEYS = ("reminder_mail", "statement_mail")
LETTER_DATE = datetime.date(2026, 4, 20)
PAY_BY = datetime.date(2026, 4, 30)
PAY_BY_TEXT = {"zh": "2026年4月30日", "en": "30 April 2026"}


def tiny_png(path: pathlib.Path, width: int = 60, height: int = 20) -> pathlib.Path:
    """A solid navy logo, written without any imaging library."""
    raw = b"".join(b"\x00" + bytes((31, 56, 100)) * width for _ in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return path


def context(lang: str = "zh", *, name: str = "张伟", level: int = 2, logo=None, **extra_fields) -> dict:
    """A realistic letter: three bills (one partly paid), a late fee, a dunning fee and everything
    the statement, price change and complaint reply need."""
    zh = lang == "zh"
    customer = {"CustomerID": "C000101", "Name": name, "Address": "杭州市西湖区文三路88号 3栋1单元502",
                "Phone": "13800001111", "Email": None}
    bills = [
        {"BillID": "B2026010001", "Period": "2026-01", "FeeItem": "water", "BillDate": "2026-02-01",
         "DueDate": datetime.date(2026, 2, 16), "Amount": 7590, "PaidAmount": 0},
        {"BillID": "B2026020001", "Period": "2026-02", "FeeItem": "property", "BillDate": "2026-03-01",
         "DueDate": datetime.date(2026, 3, 16), "Amount": 19690, "PaidAmount": 5000},
        {"BillID": "B2026030001", "Period": "2026-03", "FeeItem": "water", "BillDate": "2026-04-01",
         "DueDate": datetime.date(2026, 4, 16), "Amount": 100166, "PaidAmount": None},
    ]
    company = {"CompanyName": "青禾物业服务有限公司", "CompanyAddress": "杭州市西湖区天目山路100号",
               "ContactPhone": "0571-88880000", "email": "fee@qinghe.example", "bank_name": "中国工商银行杭州西湖支行",
               "bank_account": "1202 0210 0900 1234 567", "logo": logo}
    officer = {"name": "李娜", "title": "收费运营干事" if zh else "Fee officer", "phone": "0571-88880012",
               "email": "lina@qinghe.example"}
    extra = {
        "ref": "L2026-0001",
        "period": "2026-01 至 2026-03" if zh else "January to March 2026",
        "payments": [{"PaymentID": "P20260305001", "PaidDate": "2026-03-05", "Channel": "wechat", "Amount": 5000,
                      "Reference": "B2026020001"}],
        "aging": [{"Bucket": "0-30天" if zh else "0-30 days", "Amount": 100166},
                  {"Bucket": "31-60天" if zh else "31-60 days", "Amount": 14690},
                  {"Bucket": "61-90天" if zh else "61-90 days", "Amount": 7590}],
        "price_lines": [{"FeeItem": "water", "Tier": 1, "Unit": "m³", "CurrentPrice": 3.45, "ProposedPrice": "3.80"},
                        {"FeeItem": "water", "Tier": 2, "Unit": "m³", "CurrentPrice": 4.83, "ProposedPrice": 5.3125}],
        "effective_date": "2026-07-01",
        "reason": "杭发改价格〔2026〕12号文" if zh else "the price bureau's decision No. 12 (2026)",
        "estimate": {"CurrentAmount": 91080, "ProposedAmount": 101352},
        "complaint": {"ComplaintID": "T2026-031", "OpenedDate": "2026-03-20", "Category": "billing",
                      "BillID": "B2026030001", "Description": "3月水费比上月高出很多，要求核实账单",
                      "Resolution": "经上门复核，3月抄表读数有误，已更正账单。", "Adjustment": 3000},
    }
    extra.update(extra_fields)
    return letters.letter_context(customer, bills, company, officer, level=level, late_fee_fen=1234, fee_fen=500,
                                  letter_date=LETTER_DATE, pay_by=PAY_BY, lang=lang, extra=extra)


# 7590 + (19690 - 5000) + 100166 open, + 1234 late fee + 500 fee
TOTAL = {"fen": 122446, "figures": "¥1,224.46", "upper": "壹仟贰佰贰拾肆元肆角陆分"}
DUE = {"fen": 124180, "figures": "¥1,241.80", "upper": "壹仟贰佰肆拾壹元捌角整"}


def docx_xml(data: bytes, part: str = "word/document.xml") -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read(part).decode("utf-8")


def docx_text(data: bytes) -> str:
    return "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", docx_xml(data)))


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def png_pixels(path: pathlib.Path) -> np.ndarray:
    """Decode an 8-bit PNG (pdftoppm's) into a height x width x channels array."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat = 8, []
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat.append(body)
    assert depth == 8
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows = np.zeros((height, stride), np.int16)
    previous = np.zeros(stride, np.int16)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = np.frombuffer(raw, np.uint8, stride, start + 1).astype(np.int16)
        if kind == 0:
            current = line
        elif kind == 2:
            current = (line + previous) & 255
        elif kind == 1:
            current = line.copy()
            for channel in range(channels):
                current[channel::channels] = np.cumsum(line[channel::channels]) & 255
        else:  # Average and Paeth, byte by byte
            values, above, out = line.tolist(), previous.tolist(), [0] * stride
            for x in range(stride):
                a = out[x - channels] if x >= channels else 0
                b = above[x]
                c = above[x - channels] if x >= channels else 0
                if kind == 3:
                    predictor = (a + b) >> 1
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                out[x] = (values[x] + predictor) & 255
            current = np.array(out, np.int16)
        rows[y] = current
        previous = current
    return rows.reshape(height, width, channels).astype(np.uint8)


def convert_all(sources: list[pathlib.Path], out_dir: pathlib.Path) -> dict[str, pathlib.Path]:
    """One soffice call converting every .docx to PDF (a private profile, as tests/office.py does)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [office.SOFFICE, f"-env:UserInstallation={office._profile(out_dir)}", "--headless", "--norestore",
         "--convert-to", "pdf", "--outdir", str(out_dir), *map(str, sources)],
        check=False, capture_output=True, text=True, timeout=240)
    pdfs = {source.stem: out_dir / f"{source.stem}.pdf" for source in sources}
    missing = [name for name, pdf in pdfs.items() if not pdf.exists()]
    assert result.returncode == 0 and not missing, f"soffice failed for {missing}: {result.stdout}\n{result.stderr}"
    return pdfs


# ---------------------------------------------------------------------------
# Templates and merge fields
# ---------------------------------------------------------------------------


def test_every_template_named_in_the_workbook_exists_and_complaint_reply_too():
    from feedesk import sample

    files = set(sample.make(customers=5, months=1).tables["Templates"]["File"])
    files |= {f"templates/complaint_reply_{lang}.docx" for lang in ("zh", "en")}
    assert len(files) == 16
    for name in files:
        assert (ROOT / name).is_file(), name


def test_make_templates_writes_the_shipped_files_byte_for_byte(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import make_templates
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    written = make_templates.main(tmp_path)
    assert len(written) == 16
    for path in written:
        if path.suffix != ".docx":
            assert path.read_bytes() == (TEMPLATES / path.name).read_bytes(), f"{path.name}: run scripts/make_templates.py"
            continue
        # Every part of the Word file but its document properties (python-docx fills those from
        # process-wide defaults, which an earlier test's documents may have touched).
        with zipfile.ZipFile(path) as made, zipfile.ZipFile(TEMPLATES / path.name) as shipped:
            assert made.namelist() == shipped.namelist(), path.name
            for name in made.namelist():
                if name != "docProps/core.xml":
                    assert made.read(name) == shipped.read(name), f"{path.name} {name}: run scripts/make_templates.py"
    styles = docx_xml((TEMPLATES / "notice_zh.docx").read_bytes(), "word/styles.xml")
    assert 'w:eastAsia="SimSun"' in styles and "asciiTheme" not in styles.split("</w:docDefaults>")[0]


def test_money_fields():
    assert letters.money_fields(123456) == {"fen": 123456, "figures": "¥1,234.56", "upper": "壹仟贰佰叁拾肆元伍角陆分"}
    assert letters.money_fields(0) == {"fen": 0, "figures": "¥0.00", "upper": "零元整"}
    assert letters.money_fields(-500)["figures"] == "-¥5.00"
    with pytest.raises(letters.LetterError):
        letters.money_fields(12.5)  # money is never a float


def test_letter_context_fields():
    ctx = context("zh")
    assert ctx["total"] == TOTAL and ctx["amount_due"] == DUE
    assert ctx["late_fee"]["figures"] == "¥12.34" and ctx["fee"]["figures"] == "¥5.00"
    assert ctx["date"] == "2026年4月20日" and ctx["pay_by"] == PAY_BY_TEXT["zh"]
    assert ctx["bill_count"] == 3 and ctx["oldest_due_date"] == "2026-02-16" and ctx["max_days_overdue"] == 63
    first, second = ctx["bills"][:2]
    assert first == {"id": "B2026010001", "period": "2026-01", "fee_item": "水费", "bill_date": "2026-02-01",
                     "due_date": "2026-02-16", "days_overdue": 63, "amount": "¥75.90", "paid": "¥0.00",
                     "open": "¥75.90", "late_fee": "¥0.00", "amount_fen": 7590, "open_fen": 7590, "late_fee_fen": 0}
    assert second["open"] == "¥146.90" and second["fee_item"] == "物业费"
    assert ctx["company"]["name"] == "青禾物业服务有限公司" and ctx["company"]["logo"] is None
    assert ctx["customer"] == {"id": "C000101", "name": "张伟", "address": "杭州市西湖区文三路88号 3栋1单元502",
                               "phone": "13800001111", "email": ""}
    assert ctx["payments"][0]["channel"] == "微信支付" and ctx["payments_total"]["figures"] == "¥50.00"
    assert ctx["aging_total"]["fen"] == TOTAL["fen"]
    assert [(line["old_price"], line["new_price"], line["change"], line["change_pct"]) for line in ctx["price_lines"]] \
        == [("¥3.45", "¥3.80", "+¥0.35", "+10.1%"), ("¥4.83", "¥5.3125", "+¥0.4825", "+10.0%")]
    assert ctx["estimate"]["change"]["figures"] == "¥102.72" and ctx["estimate"]["rate"] == "+11.3%"
    assert ctx["estimate"]["increase"] and ctx["estimate"]["basis"] == "近12个月"
    assert ctx["complaint"]["opened"] == "2026年3月20日" and ctx["complaint"]["adjustment"]["fen"] == 3000
    en = context("en")
    assert en["date"] == "20 April 2026" and en["bills"][1]["fee_item"] == "property fee"
    assert en["complaint"]["category"] == "billing" and en["estimate"]["basis"] == "the last 12 months"
    short_keys = letters.letter_context(  # the keys a job builds by hand, as macros/jobs/letters.py does
        {"id": "C000101", "name": "张伟", "address": "3栋1单元502"},
        [{"id": "B1", "due_date": datetime.date(2026, 3, 16), "amount_fen": 19690, "open_fen": 14690,
          "late_fee_fen": 120, "days_overdue": 35}, {"id": "B2", "open_fen": 7590}],
        {"name": "青禾", "phone": "0571-88880000", "logo": None}, {"name": "李娜", "phone": "0571-88880012"},
        level=1, late_fee_fen=120, fee_fen=0, letter_date=LETTER_DATE, pay_by=PAY_BY, lang="zh")
    assert short_keys["customer"]["name"] == "张伟" and short_keys["total"]["figures"] == "¥222.80"
    assert [(b["id"], b["amount"], b["paid"], b["open"], b["days_overdue"]) for b in short_keys["bills"]] == [
        ("B1", "¥196.90", "¥50.00", "¥146.90", 35), ("B2", "¥75.90", "¥0.00", "¥75.90", 0)]
    with pytest.raises(letters.LetterError) as caught:
        letters.letter_context({"Name": "x"}, [{"BillID": "B1", "Amount": 12.5}], {}, {}, level=1, late_fee_fen=0,
                               fee_fen=0, letter_date=LETTER_DATE, pay_by=PAY_BY, lang="zh")
    assert caught.value.field == "bills[0].Amount"
    bare = letters.letter_context({"CustomerID": "C1", "Name": "王芳"}, [], {}, {}, level=None, late_fee_fen=None,
                                  fee_fen=0, letter_date="2026-04-20", pay_by=None, lang="en")
    assert bare["level"] == 0 and bare["bills"] == [] and bare["max_days_overdue"] == 0 and bare["pay_by"] == ""
    assert "payments" not in bare and "estimate" not in bare  # only when the job passes them


def documented_fields() -> set[str]:
    """The top-level merge fields listed in feedesk/letters.py's docstring."""
    section = letters.__doc__.split("Merge fields", 1)[1].split("Inputs accepted", 1)[0]
    return set(re.findall(r"^([a-z_]+) {2,}", section, flags=re.MULTILINE))


def test_templates_use_only_the_documented_fields():
    import jinja2.meta
    from docxtpl import DocxTemplate

    documented = documented_fields()
    assert set(context("zh")) == documented  # the docstring lists exactly what letter_context makes
    for path in sorted(TEMPLATES.glob("*_??.*")):
        if path.suffix == ".docx":
            used = DocxTemplate(str(path)).get_undeclared_template_variables(letters.sandbox_env())
        else:
            used = jinja2.meta.find_undeclared_variables(letters.sandbox_env().parse(path.read_text("utf-8")))
        assert used and used <= documented, (path.name, used - documented)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_template_renders(lang, tmp_path):
    logo = tiny_png(tmp_path / "logo.png")
    for key in LETTER_KEYS:
        data = letters.render_docx(TEMPLATES / f"{key}_{lang}.docx", context(lang, logo=logo))
        text = docx_text(data)
        xml = docx_xml(data)
        assert "{{" not in xml and "{%" not in xml and "}}" not in xml, key
        for expected in ("张伟", "C000101", "青禾物业服务有限公司", "李娜", "0571-88880012", PAY_BY_TEXT[lang],
                         TOTAL["figures"], TOTAL["upper"], DUE["upper"], "B2026020001", "¥146.90", "¥12.34"):
            assert expected in text, (key, expected)
        assert "<w:drawing>" in xml, key  # the logo
        media = [n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.startswith("word/media/")]
        assert media, key
        footer = "".join(docx_xml(data, n) for n in zipfile.ZipFile(io.BytesIO(data)).namelist()
                         if n.startswith("word/footer"))
        assert "0571-88880000" in footer and "{{" not in footer
    without_logo = letters.render_docx(TEMPLATES / f"notice_{lang}.docx", context(lang))
    assert "<w:drawing>" not in docx_xml(without_logo)
    for key in MAIL_KEYS:
        html = letters.render_text(TEMPLATES / f"{key}_{lang}.html", context(lang), html=True)
        assert html.startswith("<!DOCTYPE html>") and "{{" not in html and "{%" not in html
        for expected in ("张伟", TOTAL["figures"], TOTAL["upper"], DUE["figures"], PAY_BY_TEXT[lang], "B2026030001"):
            assert expected in html, (key, expected)
    sms = letters.render_text(TEMPLATES / f"reminder_{lang}.txt", context(lang), html=False)
    assert "\n" not in sms and "  " not in sms and len(sms) < 260
    assert DUE["figures"] in sms and PAY_BY_TEXT[lang] in sms and "张伟" in sms and "0571-88880012" in sms


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_dunning_level_sets_the_tone(lang):
    wording = {"zh": ("缴费提醒函", "催缴通知书", "紧急"), "en": ("slipped your mind", "reminded you earlier", "URGENT")}
    texts = [docx_text(letters.render_docx(TEMPLATES / f"notice_{lang}.docx", context(lang, level=level)))
             for level in (1, 2, 3)]
    friendly, firm, urgent = wording[lang]
    assert friendly in texts[0] and urgent not in texts[0] and firm not in texts[0]
    assert firm in texts[1] and urgent not in texts[1]
    assert urgent in texts[2] and friendly not in texts[2]
    for key, template in (("reminder_mail", f"reminder_mail_{lang}.html"), ("reminder", f"reminder_{lang}.txt")):
        calm = letters.render_text(TEMPLATES / template, context(lang, level=1), html=key != "reminder")
        loud = letters.render_text(TEMPLATES / template, context(lang, level=3), html=key != "reminder")
        assert ("紧急" if lang == "zh" else "URGENT") in loud and ("紧急" if lang == "zh" else "URGENT") not in calm


def test_optional_parts_disappear():
    ctx = context("zh")
    ctx["late_fee"] = letters.money_fields(0)
    ctx["fee"] = letters.money_fields(0)
    ctx["complaint"]["adjustment"] = letters.money_fields(0)
    ctx["bills"] = []
    notice = docx_text(letters.render_docx(TEMPLATES / "notice_zh.docx", ctx))
    assert "滞纳金¥" not in squeeze(notice) and "催缴费用" not in notice
    reply = docx_text(letters.render_docx(TEMPLATES / "complaint_reply_zh.docx", ctx))
    assert "核减" not in reply and "尚需缴纳" not in reply and "T2026-031" in reply


# ---------------------------------------------------------------------------
# Printed through LibreOffice
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """Every letter in zh and en plus a combined print run of three, converted in ONE soffice call."""
    if not office.SOFFICE:
        pytest.skip("LibreOffice (soffice) is not installed")
    folder = tmp_path_factory.mktemp("letters")
    logo = tiny_png(folder / "logo.png")
    items = [(TEMPLATES / f"{key}_{lang}.docx", context(lang, logo=logo if key == "notice" else None),
              folder / f"{key}_{lang}.docx") for lang in ("zh", "en") for key in LETTER_KEYS]
    letters.render_batch(items)
    three = [folder / "notice_zh.docx", folder / "final_notice_zh.docx", folder / "statement_en.docx"]
    combined = letters.combine_docx(three, folder / "print_run.docx")
    pdfs = convert_all([out for _t, _c, out in items] + [combined], folder / "pdf")
    return folder, pdfs


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("key", LETTER_KEYS)
def test_pdf_shows_name_amounts_in_figures_and_capitals_and_pay_by(printed, key, lang):
    _folder, pdfs = printed
    pdf = pdfs[f"{key}_{lang}"]
    assert office.pdf_pages(pdf) == 1  # a letter fits on one A4 page with three bills
    text = squeeze(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout)
    for expected in ("张伟", "C000101", TOTAL["figures"], TOTAL["upper"], DUE["figures"], DUE["upper"],
                     squeeze(PAY_BY_TEXT[lang]), "青禾物业服务有限公司", "李娜"):
        assert expected in text, (key, lang, expected)


def test_pdf_page_image_has_chinese_glyphs(printed):
    folder, pdfs = printed
    fonts = subprocess.run(["pdffonts", str(pdfs["notice_zh"])], capture_output=True, text=True, check=True).stdout
    assert re.search(r"WenQuanYi|Noto\w*CJK|SimSun|Source\w*Han", fonts), fonts  # a CJK font drew the Chinese
    png = office.pdf_to_png(pdfs["notice_zh"], 1, folder / "notice_zh_page1")
    pixels = png_pixels(png)
    assert pixels.shape[0] > 800 and pixels.shape[1] > 600
    ink = (pixels[..., :3].min(axis=2) < 128).mean()
    assert 0.01 < ink < 0.3, ink  # text on the page, not a blank (or black) sheet
    header = pixels[: pixels.shape[0] // 6, :, :3]
    navy = (np.abs(header.astype(int) - (31, 56, 100)).sum(axis=2) < 40).sum()
    assert navy > 300  # the logo was drawn in the letterhead


def test_combine_docx_puts_each_letter_on_its_own_page(printed):
    folder, pdfs = printed
    xml = docx_xml((folder / "print_run.docx").read_bytes())
    assert len(re.findall(r'<w:br w:type="page"/>', xml)) == 2  # before the second and the third letter
    assert xml.count("<w:sectPr") == 1
    assert office.pdf_pages(pdfs["print_run"]) >= 3
    text = office.pdf_text(pdfs["print_run"])
    assert text.count("张伟") >= 3 and "Statement of account" in text and "正式催告函" in text
    pages = [squeeze(office.pdf_text(pdfs["print_run"], page, page)) for page in (1, 2, 3)]
    assert "催缴通知书" in pages[0] and "正式催告函" in pages[1] and "Statementofaccount" in pages[2]


def test_combine_docx_accepts_rendered_bytes(tmp_path):
    letters_bytes = [letters.render_docx(TEMPLATES / "notice_zh.docx", context("zh", name=name))
                     for name in ("张伟", "王芳")]
    out = letters.combine_docx(letters_bytes, tmp_path / "two.docx")
    text = docx_text(out.read_bytes())
    assert "张伟" in text and "王芳" in text
    assert [p.name for p in tmp_path.iterdir()] == ["two.docx"]  # no temporary file left behind


# ---------------------------------------------------------------------------
# Failures, escaping, file names, the sandbox
# ---------------------------------------------------------------------------


def test_missing_field_names_field_and_template_and_the_batch_writes_nothing(tmp_path):
    good = context("zh")
    nameless = letters.letter_context({"CustomerID": "C000102", "Name": "  "}, [], {"name": "青禾"}, {"name": "李娜"},
                                      level=1, late_fee_fen=0, fee_fen=0, letter_date=LETTER_DATE, pay_by=PAY_BY,
                                      lang="zh")
    out = tmp_path / "out"
    items = [(TEMPLATES / "notice_zh.docx", good, out / "C000101.docx"),
             (TEMPLATES / "reminder_zh.txt", good, out / "C000101.txt"),
             (TEMPLATES / "notice_zh.docx", nameless, out / "C000102.docx")]
    with pytest.raises(letters.LetterError) as caught:
        letters.render_batch(items)
    assert caught.value.field == "customer.name" and caught.value.template == "notice_zh.docx"
    assert "customer.name" in caught.value.message("zh") and "notice_zh.docx" in caught.value.message("en")
    assert "缺" in str(caught.value) or "没有" in str(caught.value)
    assert not out.exists() or not any(out.iterdir())  # not one letter of the batch was written

    bad_bill = context("en")
    del bad_bill["bills"][1]["due_date"]
    with pytest.raises(letters.LetterError) as caught:
        letters.render_text(TEMPLATES / "reminder_mail_en.html", bad_bill, html=True)
    assert caught.value.field == "bills[1].due_date" and caught.value.template == "reminder_mail_en.html"
    no_payments = context("zh")
    del no_payments["payments"]
    with pytest.raises(letters.LetterError) as caught:
        letters.render_docx(TEMPLATES / "statement_zh.docx", no_payments)
    assert (caught.value.field, caught.value.template) == ("payments", "statement_zh.docx")
    with pytest.raises(letters.LetterError) as caught:
        letters.render_docx(tmp_path / "nope.docx", good)
    assert caught.value.template == "nope.docx"


def test_render_batch_writes_every_file_atomically(tmp_path):
    out = tmp_path / "letters"
    out.mkdir()
    (out / "C000101.docx").write_bytes(b"old")
    items = [(TEMPLATES / "notice_zh.docx", context("zh"), out / "C000101.docx"),
             (TEMPLATES / "reminder_mail_zh.html", context("zh"), out / "mail" / "C000101.html"),
             (TEMPLATES / "reminder_en.txt", context("en"), out / "C000101.txt")]
    letters.render_batch(items)
    assert zipfile.is_zipfile(out / "C000101.docx")
    assert "张伟" in (out / "mail" / "C000101.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in out.iterdir()) == ["C000101.docx", "C000101.txt", "mail"]  # no .tmp left
    with pytest.raises(ValueError):
        letters.render_batch([items[0], (TEMPLATES / "notice_en.docx", context("en"), out / "C000101.docx")])
    with pytest.raises(letters.LetterError):
        letters.render_batch([(TEMPLATES / "README.md", context("zh"), out / "x.md")])


def test_customer_text_prints_literally(tmp_path):
    nasty = 'A & B <Co> "x"'
    ctx = context("zh", name=nasty + "\x01\x0c")  # control characters are dropped, not written into XML
    data = letters.render_docx(TEMPLATES / "notice_zh.docx", ctx)
    assert nasty in docx_text(data).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    assert "A &amp; B &lt;Co&gt;" in docx_xml(data)
    from docx import Document

    assert nasty in "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)  # Word reads it back
    html = letters.render_text(TEMPLATES / "reminder_mail_zh.html", ctx, html=True)
    assert "A &amp; B &lt;Co&gt; &#34;x&#34;" in html and "<Co>" not in html
    sms = letters.render_text(TEMPLATES / "reminder_zh.txt", ctx, html=False)
    assert nasty in sms
    tag_like = context("en", name="{{ company.bank_account }}{% if 1 %}x{% endif %}")
    text = docx_text(letters.render_docx(TEMPLATES / "notice_en.docx", tag_like))
    assert "{{ company.bank_account }}{% if 1 %}x{% endif %}" in text  # values are never rendered again


@pytest.mark.parametrize("text, expected", [
    ("../../x", "_x"), ("..\\..\\windows\\system32", "_windows_system32"), ("张伟", "张伟"),
    ("刘洋餐饮店/商铺A-07", "刘洋餐饮店_商铺A-07"), ("CON", "_CON"), ("nul.txt", "_nul.txt"), ("COM1", "_COM1"),
    ('a<b>c:"d"|e?f*g', "a_b_c_d_e_f_g"), ("..", "_"), ("", "_"), (None, "_"), ("  . ", "_"),
    ("name. ", "name"), (".hidden", "hidden"), ("tab\there\nnew", "tab here_new"), ("x\u202egnp.exe", "x_gnp.exe"),
])
def test_safe_filename(text, expected):
    assert letters.safe_filename(text) == expected


def test_safe_filename_stays_in_its_folder(tmp_path):
    for hostile in ("../../x", "/etc/passwd", "C:\\Windows\\x", "..", "a/../../b", "\x00", "名字" * 100):
        name = letters.safe_filename(hostile)
        assert name and len(name) <= 80
        path = (tmp_path / f"{name}.docx").resolve()
        assert path.parent == tmp_path.resolve()
        path.write_bytes(b"x")
    assert len(letters.safe_filename("名字" * 100, max_length=10)) == 10


PAYLOADS = (
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.system('touch PWNED') }}",
    "{{ ().__class__.__base__.__subclasses__() }}",
    "{{ lipsum.__globals__['os'].popen('touch PWNED').read() }}",
    "{{ self._TemplateReference__context }}",
    "{{ 'x' * 1000000000 }}",
    "{{ 10 ** 100000000 }}",
)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_sandbox_blocks_python_internals(payload, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from docx import Document

    document = Document()
    document.add_paragraph(f"Dear {{{{ customer.name }}}}, {payload}")
    document.save(tmp_path / "evil.docx")
    (tmp_path / "evil.html").write_text(f"<p>{payload}</p>", encoding="utf-8")
    (tmp_path / "evil.txt").write_text(payload, encoding="utf-8")
    for template in ("evil.docx", "evil.html", "evil.txt"):
        with pytest.raises(letters.LetterError) as caught:
            letters.render_batch([(tmp_path / template, context("zh"), tmp_path / "out" / template)])
        assert caught.value.template == template
        assert "(blocked)" in caught.value.message("en") and "已阻止" in caught.value.message("zh")
    assert not (tmp_path / "PWNED").exists() and not (tmp_path / "out").exists()
    assert not os.path.exists("PWNED")


# ---------------------------------------------------------------------------
# The fast path (templates prepared once, parts rendered per letter)
# ---------------------------------------------------------------------------


def docxtpl_render(template: pathlib.Path, ctx: dict) -> bytes:
    """docxtpl's own render of the same context in the same kind of sandbox."""
    from docxtpl import DocxTemplate

    document = DocxTemplate(str(template))
    document.render(ctx, jinja_env=letters.sandbox_env(), autoescape=True)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def paragraph_texts(data: bytes) -> list[str]:
    """Every paragraph's text, body and table cells (python-docx reading the document back)."""
    from docx import Document

    document = Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        texts += [p.text for row in table.rows for cell in row.cells for p in cell.paragraphs]
    return texts


@pytest.fixture
def no_docxtpl(monkeypatch):
    """Fail if a letter is rendered by the docxtpl fallback."""
    def refuse(*_args):
        raise AssertionError("rendered by the docxtpl fallback")

    monkeypatch.setattr(letters, "_render_docx_docxtpl", refuse)


@pytest.mark.parametrize("key", ["notice", "statement"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_fast_path_gives_what_docxtpl_gives(key, lang, no_docxtpl):
    template = TEMPLATES / f"{key}_{lang}.docx"
    tricky = context(lang, name='A & B <Co> "x"', level=3)
    tricky["customer"]["address"] = "3栋1单元502\n（转交前台）\t东门"  # a line break and a tab
    tricky["late_fee"] = letters.money_fields(0)
    tricky["bills"] = tricky["bills"][:2]
    for ctx in (context(lang), tricky):
        fast = letters.render_docx(template, ctx)
        expected = docxtpl_render(template, ctx)
        assert paragraph_texts(fast) == paragraph_texts(expected)
        assert docx_xml(fast) == docx_xml(expected)  # the very same XML
        assert docx_xml(fast, "word/footer1.xml") == docx_xml(expected, "word/footer1.xml")
        with zipfile.ZipFile(io.BytesIO(fast)) as made, zipfile.ZipFile(template) as source:
            assert made.testzip() is None
            assert made.namelist() == source.namelist()
            for name in made.namelist():  # every other part is the template's, as stored
                if name not in ("word/document.xml", "word/footer1.xml"):
                    assert made.read(name) == source.read(name), name
    texts = paragraph_texts(letters.render_docx(template, tricky))
    assert any('A & B <Co> "x"' in text for text in texts) and any("（转交前台）" in text for text in texts)


def test_fast_path_errors_are_the_docxtpl_paths_errors(tmp_path):
    cases = []
    nameless = context("zh")
    del nameless["customer"]["name"]
    cases.append(("notice_zh.docx", nameless, "customer.name"))
    phoneless = context("en")
    del phoneless["company"]["phone"]
    cases.append(("statement_en.docx", phoneless, "company.phone"))
    billless = context("zh")
    del billless["bills"][2]["open"]
    cases.append(("notice_zh.docx", billless, "bills[2].open"))
    for name, ctx, field in cases:
        with pytest.raises(letters.LetterError) as fast:
            letters.render_docx(TEMPLATES / name, ctx)
        with pytest.raises(letters.LetterError) as slow:
            letters._render_docx_docxtpl(TEMPLATES / name, name, letters._clean(dict(ctx)))
        assert (fast.value.field, fast.value.template) == (field, name)
        assert str(fast.value) == str(slow.value)
    from docx import Document

    document = Document()
    document.add_paragraph("{{ customer.name }} {{ cycler.__init__.__globals__.os.system('touch PWNED') }}")
    document.save(tmp_path / "evil.docx")
    with pytest.raises(letters.LetterError) as caught:
        letters.render_docx(tmp_path / "evil.docx", context("zh"))
    assert "(blocked)" in caught.value.message("en") and caught.value.template == "evil.docx"
    assert letters._fast_template(tmp_path / "evil.docx") is not None  # blocked on the fast path itself
    assert not (tmp_path / "PWNED").exists() and not pathlib.Path("PWNED").exists()


def test_a_cached_template_is_read_again_when_its_file_changes(tmp_path, no_docxtpl):
    from docx import Document

    template = tmp_path / "letter.docx"

    def write(text: str, mtime_ns: int) -> None:
        document = Document()
        document.add_paragraph(text)
        document.save(template)
        os.utime(template, ns=(mtime_ns, mtime_ns))

    write("Hello {{ customer.name }}", 1_700_000_000_000_000_000)
    assert "Hello 张伟" in docx_text(letters.render_docx(template, context("zh")))
    prepared = letters._fast_template(template)
    assert letters._fast_template(template) is prepared  # kept while the file is unchanged
    write("Goodbye {{ customer.name }}", 1_700_000_001_000_000_000)  # same size, a new time
    text = docx_text(letters.render_docx(template, context("zh")))
    assert "Goodbye 张伟" in text and "Hello" not in text
    assert letters._fast_template(template) is not prepared
    (tmp_path / "other.docx").write_bytes((TEMPLATES / "notice_en.docx").read_bytes())
    os.replace(tmp_path / "other.docx", template)  # replaced by another file (an officer saving from Word)
    assert "Dear 张伟" in docx_text(letters.render_docx(template, context("en")))


def test_the_logo_falls_back_to_docxtpl_and_still_draws(tmp_path, monkeypatch):
    used = []
    real = letters._render_docx_docxtpl

    def spy(*args):
        used.append(args[1])
        return real(*args)

    monkeypatch.setattr(letters, "_render_docx_docxtpl", spy)
    logo = tiny_png(tmp_path / "logo.png")
    with_logo = letters.render_docx(TEMPLATES / "notice_zh.docx", context("zh", logo=logo))
    assert used == ["notice_zh.docx"]
    assert "<w:drawing>" in docx_xml(with_logo)
    assert [n for n in zipfile.ZipFile(io.BytesIO(with_logo)).namelist() if n.startswith("word/media/")]
    assert "张伟" in docx_text(with_logo)
    without = letters.render_docx(TEMPLATES / "notice_zh.docx", context("zh"))
    assert used == ["notice_zh.docx"] and "<w:drawing>" not in docx_xml(without)  # the fast path again
    with pytest.raises(letters.LetterError) as caught:
        letters.render_docx(TEMPLATES / "notice_zh.docx", context("zh", logo=tmp_path / "missing.png"))
    assert caught.value.field == "company.logo" and used == ["notice_zh.docx"] * 2
    used.clear()
    from docxtpl import RichText

    rich = context("zh")
    rich["customer"]["name"] = RichText("张伟", bold=True)  # RichText needs no docxtpl document: fast path
    assert "<w:b/>" in docx_xml(letters.render_docx(TEMPLATES / "notice_zh.docx", rich))
    assert used == []


def test_render_batch_of_many_letters_writes_all_or_nothing(tmp_path, monkeypatch):
    out = tmp_path / "many"
    items = [(TEMPLATES / "notice_zh.docx", context("zh", name=f"客户{i}"), out / f"{i:02d}.docx") for i in range(20)]
    letters.render_batch(items)
    assert sorted(p.name for p in out.iterdir()) == [f"{i:02d}.docx" for i in range(20)]
    assert "客户7" in docx_text((out / "07.docx").read_bytes())

    again = tmp_path / "again"
    calls = []
    real_fsync = os.fsync

    def failing_fsync(fd):
        calls.append(fd)
        if len(calls) == 9:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError):
        letters.render_batch([(t, c, again / p.name) for t, c, p in items])
    assert not again.exists() or not any(again.iterdir())  # no letter and no temporary file left
