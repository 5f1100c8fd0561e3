"""10,000 dunning letters as .docx files, ours (`letters.render_batch`, the fast path) side by side
with docxtpl rendering each letter from scratch (the anchor), then the PDF batch rate.

    python bench/letters.py [--quick] [--letters N] [--sample N] [--pdfs N] [--template NAME]

Data (seed 2026; made before timing and timed on its own): N synthetic customers (10,000;
`--quick` 1,000), each with three open bills (water, electricity, property fee over 2026-01..03,
some partly paid), a dunning level 1..3, a late fee and a dunning fee, turned into merge fields by
`feedesk.letters.letter_context` (zh, letter date 2026-04-20, pay by 2026-04-30, no logo: the
letters job passes none). Every 97th customer is called 'A & B <Co> "x"' and every 89th has a
two-line address, so escaping and line breaks are on the path.

Ours (timed): `letters.render_batch` of every letter to templates/notice_zh.docx into a temporary
folder (rendered in memory, each written to a temporary name, fsync'ed, then renamed into place).

Anchor: plain docxtpl, `DocxTemplate(template).render(context, autoescape=True)` then `save()` to a
file in the same folder, per letter, on the same template and the first `--sample` contexts (300;
`--quick` 150), its seconds per letter extrapolated to N. Also timed on the same sample, for the
record: the docxtpl path render_docx took before the fast path (the sandbox, compiled templates
cached; still the fallback for letters with a logo), whose word/document.xml must equal ours byte
for byte on every sampled letter (asserted).

PDF: the first `--pdfs` of our letters (50; `--quick` 20) converted by ONE LibreOffice call,
`soffice --headless -env:UserInstallation=<private profile> --convert-to pdf --outdir OUT a.docx ...`,
every PDF checked to exist and the first one's text to hold its customer's name.

Last line: ratio=<ours seconds per letter / the anchor's>. Target: 10,000 letters in under 60 s.
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import pathlib
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import docxtpl

from feedesk import letters
from macros import office

ROOT = pathlib.Path(__file__).resolve().parent.parent
LETTER_DATE = datetime.date(2026, 4, 20)
PAY_BY = datetime.date(2026, 4, 30)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ("伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
         "超")
STREETS = ("文三路", "天目山路", "教工路", "莫干山路", "延安路", "凤起路", "庆春路", "解放路")
COMPANY = {"CompanyName": "青禾物业服务有限公司", "CompanyAddress": "杭州市西湖区天目山路100号",
           "ContactPhone": "0571-88880000", "email": "fee@qinghe.example",
           "bank_name": "中国工商银行杭州西湖支行", "bank_account": "1202 0210 0900 1234 567", "logo": None}
OFFICER = {"name": "李娜", "title": "收费运营干事", "phone": "0571-88880012", "email": "lina@qinghe.example"}


def contexts(count: int, seed: int = 2026) -> list[dict]:
    """`count` letters' merge fields: synthetic customers, three bills each."""
    rng = random.Random(seed)
    made = []
    for number in range(1, count + 1):
        name = SURNAMES[rng.randrange(len(SURNAMES))] + GIVEN[rng.randrange(len(GIVEN))]
        if number % 97 == 0:
            name = 'A & B <Co> "x"'
        address = f"杭州市西湖区{STREETS[rng.randrange(len(STREETS))]}{rng.randint(1, 300)}号 " \
                  f"{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元{rng.randint(1, 30)}{rng.randint(1, 4):02d}"
        if number % 89 == 0:
            address += "\n（转交物业前台）"
        customer = {"CustomerID": f"C{number:07d}", "Name": name, "Address": address,
                    "Phone": f"138{rng.randrange(10**8):08d}", "Email": None}
        bills = []
        for month, item in ((1, "water"), (2, "electricity"), (3, "property")):
            amount = rng.randint(3_000, 60_000)
            paid = rng.choice((0, 0, 0, amount // 3))
            bills.append({"BillID": f"B2026{month:02d}{number:05d}", "Period": f"2026-{month:02d}", "FeeItem": item,
                          "BillDate": datetime.date(2026, month + 1, 1), "DueDate": datetime.date(2026, month + 1, 16),
                          "Amount": amount, "PaidAmount": paid})
        made.append(letters.letter_context(
            customer, bills, COMPANY, OFFICER, level=1 + number % 3, late_fee_fen=rng.randint(0, 3_000),
            fee_fen=rng.choice((0, 500)), letter_date=LETTER_DATE, pay_by=PAY_BY, lang="zh",
            extra={"ref": f"L2026-{number:05d}"}))
    return made


def document_xml(data: bytes) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 letters, 150 for the anchor, 20 PDFs")
    parser.add_argument("--letters", type=int)
    parser.add_argument("--sample", type=int, help="letters the anchor renders (its rate is extrapolated)")
    parser.add_argument("--pdfs", type=int)
    parser.add_argument("--template", default="notice_zh.docx")
    args = parser.parse_args()
    count = args.letters or (1_000 if args.quick else 10_000)
    sample = min(count, args.sample or (150 if args.quick else 300))
    pdf_count = min(count, args.pdfs if args.pdfs is not None else (20 if args.quick else 50))
    template = ROOT / "templates" / args.template

    started = time.perf_counter()
    made = contexts(count)
    context_seconds = time.perf_counter() - started

    with tempfile.TemporaryDirectory(prefix="feedesk-bench-letters-") as folder:
        work = pathlib.Path(folder)
        out = work / "letters"
        items = [(template, context,
                  out / f"{letters.safe_filename(context['ref'] + '_' + context['customer']['name'])}.docx")
                 for context in made]

        # ours: the whole batch, first use of the template included (preparing it is part of the run)
        started = time.perf_counter()
        letters.render_batch(items)
        ours_seconds = time.perf_counter() - started
        written = sorted(out.iterdir())
        assert len(written) == count and all(p.suffix == ".docx" for p in written), len(written)
        ours_bytes = sum(p.stat().st_size for p in written)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

        # in memory only (no files), for the record
        started = time.perf_counter()
        for context in made[:sample]:
            letters.render_docx(template, context)
        memory_seconds = (time.perf_counter() - started) / sample

        # anchor: plain docxtpl, one DocxTemplate per letter, saved to a file
        anchor_out = work / "anchor"
        anchor_out.mkdir()
        started = time.perf_counter()
        for index, context in enumerate(made[:sample]):
            document = docxtpl.DocxTemplate(str(template))
            document.render(context, autoescape=True)
            document.save(str(anchor_out / f"{index}.docx"))
        anchor_seconds = (time.perf_counter() - started) / sample

        # before: render_docx's docxtpl path (sandbox, compiled templates cached); same XML as ours
        started = time.perf_counter()
        before = [letters._render_docx_docxtpl(template, template.name, letters._clean(dict(context)))
                  for context in made[:sample]]
        before_seconds = (time.perf_counter() - started) / sample
        for (_template, _context, path), data in zip(items, before):
            assert document_xml(path.read_bytes()) == document_xml(data), path.name

        # PDF: one LibreOffice call for the first pdf_count letters
        pdf_seconds, pdf_note = None, "LibreOffice (soffice) is not installed"
        program = office.soffice()
        if program and pdf_count:
            sources = [str(path) for _t, _c, path in items[:pdf_count]]
            pdf_dir = work / "pdf"
            profile = office.profile_uri(str(work / "lo"))
            started = time.perf_counter()
            result = subprocess.run([program, "--headless", f"-env:UserInstallation={profile}", "--norestore",
                                     "--convert-to", "pdf", "--outdir", str(pdf_dir), *sources],
                                    capture_output=True, text=True, timeout=600)
            pdf_seconds = time.perf_counter() - started
            pdfs = [pdf_dir / f"{pathlib.Path(source).stem}.pdf" for source in sources]
            missing = [p.name for p in pdfs if not p.exists() or p.stat().st_size == 0]
            assert result.returncode == 0 and not missing, (result.returncode, missing, result.stderr[-2000:])
            pdf_note = f"{pdf_count} PDFs, all written"
            if shutil.which("pdftotext"):
                text = subprocess.run(["pdftotext", str(pdfs[0]), "-"], capture_output=True, text=True,
                                      check=True).stdout
                name = made[0]["customer"]["name"]
                assert name in text.replace(" ", ""), (name, text[:300])
                pdf_note += f", the first shows its customer ({name})"

    ours_per_letter = ours_seconds / count
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, python "
          f"{platform.python_version()}, docxtpl {docxtpl.__version__}; template {args.template}")
    print(f"{count:,} letter contexts (3 bills each) by letter_context in {context_seconds:.2f} s "
          f"({count / context_seconds:,.0f}/s, not in the rates below)")
    print(f"{'method':<58}{'letters':>9}{'seconds':>10}{'ms/letter':>11}{'letters/s':>11}{'10,000 in (s)':>15}")
    rows = (
        ("ours: render_batch to files (fast path)", count, ours_seconds, ours_per_letter),
        ("ours: render_docx in memory, no files", sample, memory_seconds * sample, memory_seconds),
        ("anchor: plain docxtpl render + save to file", sample, anchor_seconds * sample, anchor_seconds),
        ("before: render_docx's docxtpl path, in memory", sample, before_seconds * sample, before_seconds),
    )
    for label, letters_done, seconds, per_letter in rows:
        print(f"{label:<58}{letters_done:>9,}{seconds:>10.2f}{per_letter * 1000:>11.2f}{1 / per_letter:>11,.0f}"
              f"{per_letter * 10_000:>15.1f}")
    print(f"ours wrote {ours_bytes / 2**20:,.1f} MB ({ours_bytes / count / 1024:.1f} KB a letter); peak RSS "
          f"{peak / 2**20:,.0f} MB (render_batch holds the whole batch in memory before writing)")
    print(f"word/document.xml of the {sample} sampled letters: byte for byte the same as docxtpl's (asserted)")
    if pdf_seconds is not None:
        print(f"PDF: {pdf_count} letters in one soffice call: {pdf_seconds:.1f} s, "
              f"{pdf_count / pdf_seconds:.2f} PDFs/s ({pdf_note})")
    else:
        print(f"PDF: not run ({pdf_note})")
    verdict = "PASS" if ours_per_letter * 10_000 < 60 else "FAIL"
    how = "measured" if count == 10_000 else f"extrapolated from {count:,}"
    print(f"target 10,000 letters in under 60 s: {ours_per_letter * 10_000:.1f} s ({how}): {verdict}")
    print(f"ratio={ours_per_letter / anchor_seconds:.3f}")


if __name__ == "__main__":
    main()
