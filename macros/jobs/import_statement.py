"""Importing statement exports: WeChat Pay and Alipay into Payments, bank exports into Bank
statement. The file comes from the command line or from the file the button asked for (the
ImportFile setting); rows already in the table (same ID) are not added again."""

from __future__ import annotations

import os

import pandas as pd

from feedesk import problems, statements
from macros import runner
from workbook import layout, registry

NOT_THIS_KIND = ("statement_wrong_kind",)


def import_payments(book) -> runner.Report:
    return _import(book, "import_payments", "payments", "Payments", "PaymentID")


def import_bank(book) -> runner.Report:
    return _import(book, "import_bank", "bank", "BankStatement", "TxnID")


def _import(book, key: str, kind: str, table: str, id_column: str) -> runner.Report:
    job = registry.job(key)
    lang = book.lang
    settings = book.settings()
    path = book.params.get("file") or settings.import_file
    existing = book.read(table)
    profile_rows = book.read("ImportProfiles")
    found = list(book.read_problems)
    if not path:
        found.append(problems.make("import_no_file", lang, sheet=book.sheet_name("Settings"),
                                   column=layout.SETTINGS_BY_KEY["ImportFile"].label(lang)))
        return runner.Report(job.key, problems=tuple(found))
    profiles, profile_problems = statements.profiles_from_table(profile_rows, lang)
    found += profile_problems
    name = book.params.get("profile")
    if name and name not in profiles:
        found.append(problems.make("import_unknown_profile", lang, sheet=book.sheet_name("ImportProfiles"),
                                   value=name, known="、".join(profiles)))
        return runner.Report(job.key, problems=tuple(found))
    candidates = [profiles[name]] if name else [p for p in profiles.values() if p.kind == kind]
    frame, file_problems = None, ()
    for profile in candidates:  # the first profile whose headers the file has
        frame, file_problems = statements.read_statement(path, profile, lang)
        if not any(p.code in NOT_THIS_KIND for p in file_problems):
            break
    found += file_problems
    if frame is None or problems.has_blocking(file_problems):
        return runner.Report(job.key, counts={"rows": 0}, problems=tuple(found))
    known = set(existing[id_column].dropna())
    new = frame[~frame[id_column].isin(known)]
    book.write(table, pd.concat([existing, new], ignore_index=True) if len(existing) else new)
    counts = {"rows": len(frame), "imported": len(new), "already_there": len(frame) - len(new),
              "amount_fen": int(new["Amount" if kind == "payments" else "Credit"].fillna(0).sum())}
    return runner.Report(job.key, counts=counts, problems=tuple(found), written=(table,),
                         note=os.path.basename(path))
