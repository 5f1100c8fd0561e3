"""Letters: the mail merge an officer would otherwise do in Word.

For the proposed rows of Dunning (or, with params["kind"] = "statement", a statement of account
for every customer with a balance): one .docx per letter from the Templates table's Word
template, one combined .docx for printing, PDFs through LibreOffice in one batch when it is
installed, .eml drafts with the PDF attached for the e-mail channel, and sending over SMTP when
the SendMail setting says yes (drafts only otherwise). SMS and phone levels become lists. Every
letter is logged in Letters (a re-run of the same day replaces its rows, never doubles them):
the dunning job reads its levels from there."""

from __future__ import annotations

import datetime
import os
import re

import pandas as pd

from feedesk import letters, money, problems
from macros import mail, office, runner
from macros.jobs import settings_in_range
from workbook import layout, registry

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def book_folder(book) -> str:
    path = getattr(book, "path", "") or getattr(getattr(book, "xl_book", None), "fullname", "")
    return os.path.dirname(os.path.abspath(path)) if path else os.getcwd()


def template_path(templates: pd.DataFrame, key: str, lang: str, kind: str, folder: str) -> str | None:
    rows = templates[(templates["TemplateKey"] == key) & (templates["Kind"] == kind)]
    rows = pd.concat([rows[rows["Language"] == lang], rows[rows["Language"] != lang]])
    for name in rows["File"].dropna().tolist():
        for base in (folder, PACKAGE_ROOT):
            candidate = name if os.path.isabs(name) else os.path.join(base, name)
            if os.path.isfile(candidate):
                return candidate
    return None


def run(book) -> runner.Report:
    job = registry.job("letters")
    lang = book.lang
    settings = book.settings()
    kind = (book.params.get("kind") or "dunning").lower()
    customers = book.read("Customers")
    dunning = book.read("Dunning")
    aging = book.read("Aging")
    bill_table = book.read("Bills")
    allocations = book.read("Allocations") if kind == "statement" else None
    impact = book.read("Impact") if kind == "price_change" else None
    complaints = book.read("Complaints") if kind == "complaint_reply" else None
    tariff_rows = book.read("Tariffs") if kind == "price_change" else None
    templates = book.read("Templates")
    log = book.read("Letters")
    found = list(book.read_problems) + runner.require_settings(book, "AsOfDate") + \
        settings_in_range(book, "AsOfDate", "PaymentDueDays")
    if problems.has_blocking(found):
        return runner.Report(job.key, problems=tuple(found))
    as_of = settings.as_of
    due_days = int(settings.payment_due_days or 15)
    try:
        pay_by = as_of + datetime.timedelta(days=due_days)
    except OverflowError:
        found.append(problems.make("pay_by_out_of_range", lang, sheet=book.sheet_name("Settings"),
                                   column=layout.SETTINGS_BY_KEY["AsOfDate"].label(lang), value=as_of.isoformat(),
                                   days=due_days))
        return runner.Report(job.key, problems=tuple(found))
    folder = book_folder(book)
    out_dir = os.path.join(settings.letters_folder or os.path.join(folder, "函件" if lang == "zh" else "letters"),
                           as_of.isoformat())
    info = customers.drop_duplicates("CustomerID").set_index("CustomerID")
    price_extra = None
    if kind == "statement":
        rows = _statement_rows(aging)
    elif kind == "price_change":
        rows = impact[impact["Scope"] == "notice"].rename(columns={"Segment": "CustomerID"})
        price_extra = _price_extra(tariff_rows, as_of)
    elif kind == "complaint_reply":  # complaints resolved in the 30 days up to the as-of date
        since = pd.Timestamp(as_of) - pd.Timedelta(days=30)
        rows = complaints[(complaints["Status"] == "resolved") & (complaints["ResolvedDate"] > since)
                          & (complaints["ResolvedDate"] <= pd.Timestamp(as_of))]
    else:
        rows = dunning[dunning["Status"] == "proposed"]
    rows = _filtered(rows, info, book.params.get("customers"), book.params.get("region"))
    company = {"name": settings.company_name, "address": settings.company_address, "phone": settings.contact_phone,
               "email": settings.contact_email, "logo": None}
    planned, lists, skipped = [], [], []
    for row in rows.itertuples(index=False):
        cid = row.CustomerID
        customer = info.loc[cid] if cid in info.index else None
        name = _text(customer["Name"]) if customer is not None else _text(getattr(row, "Name", ""))
        level = int(row.Level) if kind == "dunning" and pd.notna(row.Level) else None
        channel = row.Channel if kind == "dunning" else "letter"
        key = (row.Template if kind == "dunning" else kind) or ""
        letter_id = f"L{as_of:%Y%m%d}-{cid}-{kind}{level or ''}" + (
            f"-{row.ComplaintID}" if kind == "complaint_reply" else "")
        recipient = _text(customer["Email"]) if customer is not None and "Email" in customer else ""
        if channel in ("sms", "phone"):
            lists.append({"LetterID": letter_id, "CustomerID": cid, "Name": name, "Kind": kind, "Level": level,
                          "Template": key, "Channel": channel,
                          "Recipient": _text(customer["Phone"]) if customer is not None else "",
                          "Amount": int(row.OpenAmount) if pd.notna(row.OpenAmount) else 0})
            continue
        docx_template = template_path(templates, key, lang, "letter", folder)
        if docx_template is None:
            found.append(problems.make("letter_template_missing", lang, sheet=book.sheet_name("Templates"),
                                       value=key, kind=kind))
            skipped.append(cid)
            continue
        bills = _bills_of(aging, cid, bill_table)
        extra = _statement_extra(cid, aging, allocations, as_of, lang) if kind == "statement" else None
        if kind == "price_change":
            extra = {**price_extra, "estimate": {"CurrentAmount": int(row.CurrentAmount),
                                                 "ProposedAmount": int(row.ProposedAmount)}}
        if kind == "complaint_reply":
            extra = {"complaint": {"ComplaintID": row.ComplaintID, "OpenedDate": row.OpenedDate.date(),
                                   "Category": row.Category, "BillID": _text(row.BillID),
                                   "Description": _text(row.Description), "Resolution": _text(row.Resolution)}}
        context = letters.letter_context(
            {"id": cid, "name": name, "address": _text(customer["Address"]) if customer is not None else "",
             "phone": _text(customer["Phone"]) if customer is not None else "", "email": recipient},
            bills, company,
            {"name": _text(customer["Officer"]) if customer is not None else settings.contact_person,
             "contact": settings.contact_person, "phone": settings.contact_phone, "email": settings.contact_email},
            level=level or 0, late_fee_fen=int(getattr(row, "LateFee", 0) or 0) if kind == "dunning" else 0,
            fee_fen=int(getattr(row, "Fee", 0) or 0) if kind == "dunning" else 0, letter_date=as_of, pay_by=pay_by,
            lang=lang, extra=extra)
        stem = letters.safe_filename(f"{letter_id}_{name}")
        planned.append({"id": letter_id, "customer": cid, "name": name, "level": level, "key": key,
                        "channel": channel, "recipient": recipient, "template": docx_template, "context": context,
                        "docx": os.path.join(out_dir, stem + ".docx")})
    if problems.has_blocking(found):
        return runner.Report(job.key, problems=tuple(found))
    book.progress(1, 4, book.sheet_name("Letters"))
    try:
        letters.render_batch([(p["template"], p["context"], p["docx"]) for p in planned])
    except letters.LetterError as error:  # nothing of the batch was written
        if error.field:
            found.append(problems.make("letter_field_missing", lang, sheet=book.sheet_name("Templates"),
                                       value=error.field, template=os.path.basename(error.template or "")))
        else:  # a template the sandbox stopped, or one that cannot be read
            found.append(problems.make("letter_template_failed", lang, sheet=book.sheet_name("Templates"),
                                       template=os.path.basename(error.template or ""), error=error.message(lang)))
        return runner.Report(job.key, problems=tuple(found))
    combined = ""
    if planned:
        combined = os.path.join(out_dir, ("全部函件" if lang == "zh" else "all-letters") + ".docx")
        letters.combine_docx([p["docx"] for p in planned], combined)
    book.progress(2, 4, "PDF")
    pdfs = _pdfs([p["docx"] for p in planned], out_dir, found, lang)
    book.progress(3, 4, "mail")
    status = {p["id"]: ("generated", "") for p in planned}
    mails = [p for p in planned if p["channel"] == "email"]
    messages = []
    for p in mails:
        body_template = template_path(templates, f"{p['key']}_mail", lang, "email", folder) or \
            template_path(templates, "reminder_mail", lang, "email", folder)
        html = letters.render_text(body_template, p["context"], html=True) if body_template else None
        text = _plain(p, lang)
        subject = _subject(templates, p, lang)
        attachments = [pdfs[p["docx"]]] if p["docx"] in pdfs else [p["docx"]]
        message = mail.draft(sender=settings.mail_from or settings.contact_email or "feedesk@localhost",
                             recipient=p["recipient"] or "", subject=subject, text=text, html=html,
                             attachments=attachments, letter_id=p["id"])
        mail.write_eml(message, os.path.splitext(p["docx"])[0] + ".eml")
        if p["recipient"]:
            messages.append((p, message))
        else:
            status[p["id"]] = ("failed", "没有邮箱地址" if lang == "zh" else "no e-mail address")
    if settings.send_mail and messages:
        if not settings.smtp_host:
            found.append(problems.make("blank_required", lang, sheet=book.sheet_name("Settings"),
                                       column=layout.SETTINGS_BY_KEY["SmtpHost"].label(lang)))
        else:
            results = mail.send_all([m for _, m in messages], host=settings.smtp_host, port=settings.smtp_port,
                                    username=settings.smtp_user or None,
                                    password=os.environ.get("FEEDESK_SMTP_PASSWORD"),
                                    starttls=settings.smtp_port == 587)  # 465: TLS from the start (mail's default)
            for (p, _), result in zip(messages, results):
                status[p["id"]] = ("sent", "") if result.sent else ("failed", result.error)
            failed = [r for r in results if not r.sent]
            if failed:
                found.append(problems.make("mail_not_sent", lang, sheet=book.sheet_name("Letters"),
                                           severity=problems.WARNING, count=len(failed), error=failed[0].error))
    lists_file = _write_lists(lists, out_dir, lang)
    sent_at = pd.Timestamp(as_of).as_unit("s")
    new_rows = pd.DataFrame([{
        "LetterID": p["id"], "CustomerID": p["customer"], "Name": p["name"], "Kind": kind, "Level": p["level"],
        "Template": p["key"], "Channel": p["channel"], "Recipient": p["recipient"] or None,
        "File": pdfs.get(p["docx"], p["docx"]), "SentAt": sent_at, "Status": status[p["id"]][0],
        "Note": status[p["id"]][1] or None} for p in planned] + [{
        "LetterID": item["LetterID"], "CustomerID": item["CustomerID"], "Name": item["Name"], "Kind": kind,
        "Level": item["Level"], "Template": item["Template"], "Channel": item["Channel"],
        "Recipient": item["Recipient"] or None, "File": lists_file, "SentAt": sent_at, "Status": "generated",
        "Note": None} for item in lists], columns=layout.table("Letters").keys)
    kept = log[~log["LetterID"].isin(new_rows["LetterID"])] if len(log) else log
    table = pd.concat([kept, _typed(new_rows)], ignore_index=True) if len(kept) else _typed(new_rows)
    book.write("Letters", table)
    book.progress(4, 4, "")
    counts = {"rows": len(new_rows), "letters": len(planned), "pdf": len(pdfs), "email": len(mails),
              "sent": sum(1 for s in status.values() if s[0] == "sent"),
              "not_sent": sum(1 for s in status.values() if s[0] == "failed"), "sms_phone": len(lists)}
    return runner.Report(job.key, counts=counts, problems=tuple(found), written=("Letters",),
                         note=combined or out_dir)


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) or value is pd.NA else str(value)


def _bills_of(aging: pd.DataFrame, customer: str, bills: pd.DataFrame) -> list[dict]:
    mine = aging[(aging["CustomerID"] == customer) & (aging["Kind"] == "bill") & (aging["OpenAmount"].fillna(0) > 0)]
    details = bills[bills["BillID"].isin(mine["BillID"])].drop_duplicates("BillID").set_index("BillID")
    out = []
    for row in mine.sort_values("DueDate").itertuples(index=False):
        period = details["Period"].get(row.BillID) if len(details) else None
        fee_item = details["FeeItem"].get(row.BillID) if len(details) else None
        out.append({"id": row.BillID, "period": _text(period), "fee_item": _text(fee_item),
                    "bill_date": row.BillDate.date() if pd.notna(row.BillDate) else None,
                    "due_date": row.DueDate.date() if pd.notna(row.DueDate) else None,
                    "amount_fen": int(row.Amount) if pd.notna(row.Amount) else 0,
                    "open_fen": int(row.OpenAmount), "late_fee_fen": int(row.LateFee) if pd.notna(row.LateFee) else 0,
                    "days_overdue": int(row.DaysOverdue) if pd.notna(row.DaysOverdue) else 0})
    return out


def _statement_extra(customer: str, aging: pd.DataFrame, allocations: pd.DataFrame | None, as_of, lang: str) -> dict:
    """What a statement of account adds: the last 90 days' payments and the aging totals."""
    since = pd.Timestamp(as_of) - pd.Timedelta(days=90)
    payments = []
    if allocations is not None and len(allocations):
        mine = allocations[(allocations["CustomerID"] == customer) & (allocations["Kind"] == "payment")
                           & (allocations["AllocDate"] >= since)]
        for payment_id, group in mine.groupby("PaymentID", sort=False):
            payments.append({"PaymentID": payment_id, "PaidDate": group["AllocDate"].min().date(),
                             "Channel": "", "Amount": int(group["Amount"].sum()), "Reference": ""})
    buckets = aging[aging["CustomerID"] == customer].groupby("Bucket", sort=False)["OpenAmount"].sum()
    start = (since.date()).isoformat()
    return {"period": f"{start} 至 {as_of.isoformat()}" if lang == "zh" else f"{start} to {as_of.isoformat()}",
            "payments": payments, "aging": [(bucket, int(amount)) for bucket, amount in buckets.items()]}


def _filtered(rows: pd.DataFrame, info: pd.DataFrame, customers, region) -> pd.DataFrame:
    """Only the customers named (a list or 'C1,C2') and / or of one region."""
    if customers:
        wanted = [c.strip() for c in (customers.split(",") if isinstance(customers, str) else customers) if c.strip()]
        rows = rows[rows["CustomerID"].isin(wanted)]
    if region:
        in_region = set(info.index[info["Region"] == region]) if "Region" in info else set()
        rows = rows[rows["CustomerID"].isin(in_region)]
    return rows


def _price_extra(tariffs: pd.DataFrame, as_of) -> dict:
    """The price lines of the proposed tariff next to the prices in force, and when it applies."""
    proposed = tariffs[tariffs["Proposed"].fillna(False).astype(bool)
                       | (tariffs["EffectiveFrom"] > pd.Timestamp(as_of))]
    current = tariffs[~tariffs.index.isin(proposed.index) & (tariffs["EffectiveFrom"] <= pd.Timestamp(as_of))]
    current = current.sort_values("EffectiveFrom").drop_duplicates(["TariffCode", "Component", "Tier"], keep="last")
    lines = []
    for row in proposed.itertuples(index=False):
        same = current[(current["TariffCode"] == row.TariffCode) & (current["Tier"] == row.Tier)
                       & (current["Component"].fillna("") == (row.Component if isinstance(row.Component, str) else ""))]
        if len(same) and pd.notna(row.UnitPrice) and pd.notna(same["UnitPrice"].iloc[0]):
            lines.append({"FeeItem": row.FeeItem, "Tier": int(row.Tier), "Unit": _text(row.Unit),
                          "CurrentPrice": float(same["UnitPrice"].iloc[0]), "ProposedPrice": float(row.UnitPrice)})
    start = proposed["EffectiveFrom"].min()
    return {"price_lines": lines, "effective_date": start.date() if pd.notna(start) else as_of}


def _statement_rows(aging: pd.DataFrame) -> pd.DataFrame:
    owing = aging[aging["OpenAmount"].fillna(0) != 0]
    per = owing.groupby("CustomerID", sort=True).agg(OpenAmount=("OpenAmount", "sum")).reset_index()
    return per[per["OpenAmount"] > 0]


def _pdfs(docx_paths: list[str], out_dir: str, found: list, lang: str) -> dict[str, str]:
    """All letters to PDF in one LibreOffice call; {docx: pdf} for those made."""
    if not docx_paths:
        return {}
    try:
        made, said = office.documents_to_pdf(docx_paths, out_dir)
    except office.OfficeError:
        found.append(problems.make("no_libreoffice", lang, severity=problems.WARNING))
        return {}
    if len(made) < len(docx_paths):
        found.append(problems.make("pdf_not_made", lang, severity=problems.WARNING, count=len(docx_paths) - len(made),
                                   error=said[:200]))
    return made


def _plain(planned: dict, lang: str) -> str:
    context = planned["context"]
    total = context.get("total", {}).get("figures", "") if isinstance(context.get("total"), dict) else ""
    if lang == "zh":
        return f"{planned['name']}：您好！您有账单尚未缴清，合计 {total}，详见附件。请于 {context.get('pay_by', '')} 前缴清。"
    return f"Dear {planned['name']}, bills totalling {total} are unpaid; details attached. Please pay by " \
           f"{context.get('pay_by', '')}."


def _subject(templates: pd.DataFrame, planned: dict, lang: str) -> str:
    rows = templates[(templates["TemplateKey"].isin([f"{planned['key']}_mail", "reminder_mail"]))
                     & (templates["Language"] == lang) & templates["Subject"].notna()]
    if len(rows):
        return str(rows["Subject"].iloc[0])
    return "缴费提醒" if lang == "zh" else "Payment reminder"


def _write_lists(items: list[dict], out_dir: str, lang: str) -> str | None:
    """SMS and phone levels: one CSV for the SMS platform or the phone round."""
    if not items:
        return None
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, ("短信及电话催缴清单" if lang == "zh" else "sms-and-phone") + ".csv")
    frame = pd.DataFrame(items)
    frame["Amount"] = [money.format_yuan(v) for v in frame["Amount"]]
    for column in ("Name", "Recipient"):  # a name like "=HYPERLINK(...)" must stay text when the CSV is opened
        frame[column] = [_csv_text(v) for v in frame[column]]  # (a phone number "+86 138..." stays as it is)
    tmp = path + ".part"
    frame.to_csv(tmp, index=False, encoding="utf-8-sig")
    os.replace(tmp, path)
    return path


def _csv_text(value) -> str:
    """Text a spreadsheet opening the CSV shows as typed: a leading =, +, -, @, tab or CR would
    start a formula, so such text gets a leading apostrophe."""
    text = _text(value)
    if text[:1] not in ("=", "+", "-", "@", "\t", "\r") or re.fullmatch(r"\+[\d][\d ()-]*", text):
        return text
    return "'" + text


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["Level"] = pd.array([None if v is None or v != v else int(v) for v in out["Level"]], dtype="Int64")
    out["SentAt"] = pd.to_datetime(out["SentAt"]).astype("datetime64[s]")
    for column in ("LetterID", "CustomerID", "Name", "Kind", "Template", "Channel", "Recipient", "File", "Status",
                   "Note"):
        out[column] = pd.array([v if isinstance(v, str) and v else None for v in out[column]], dtype="str")
    return out
