"""The letters job on a real workbook: dunning letters as Word and PDF files, mail drafts sent to a
real SMTP server on 127.0.0.1, the Letters log, and the dunning -> letters -> dunning loop."""

from __future__ import annotations

import datetime
import email
import email.policy
import pathlib
import socket

import openpyxl
import pandas as pd
import pytest

from feedesk import sample
from macros import runner
from tests import office
from workbook import build, filehost, layout

pytestmark = pytest.mark.skipif(office.SOFFICE is None, reason="LibreOffice is not installed")


@pytest.fixture(scope="module")
def sample_data():
    return sample.make(customers=60, months=4, seed=21)


@pytest.fixture
def book(tmp_path, sample_data) -> pathlib.Path:
    path = pathlib.Path(build.build(str(tmp_path / "FeeDesk.xlsm"), "zh", sample_data.tables, sample_data.settings))
    for job in ("reconcile", "aging", "dunning"):
        assert runner.run_file(job, str(path)).status == "ok"
    return path


def read(path, *keys):
    with filehost.FileBook(str(path), writable=False) as handle:
        return [handle.read(key) for key in keys]


def set_settings(path, values: dict) -> None:
    (settings,) = read(path, "Settings")
    workbook = openpyxl.load_workbook(path, keep_vba=True)
    sheet = workbook[layout.CONTROL_SHEET["zh"]]
    column = layout.CONTROL_SETTINGS_ANCHOR[1] + 1 + layout.SETTINGS_TABLE.keys.index("Value")
    for key, value in values.items():
        row = int(settings.index[settings["Key"] == key][0])
        sheet.cell(row=row, column=column).value = value
    workbook.save(path)


def only_letters(path, channel: str) -> None:
    """Make every dunning level use one channel (the sample's first level is an SMS)."""
    (policy,) = read(path, "DunningPolicy")
    from tests.test_validate import edit

    labels = layout.choice_label(layout.DUNNING_CHANNELS, channel, "zh")
    edit(path, "DunningPolicy", {(row, "Channel"): labels for row in policy.index})
    edit(path, "DunningPolicy", {(int(policy.index[0]), "Template"): "notice"})


def test_dunning_letters_become_word_pdf_and_a_log(book, tmp_path):
    only_letters(book, "letter")
    assert runner.run_file("dunning", str(book)).status == "ok"
    (dunning,) = read(book, "Dunning")
    proposed = dunning[dunning["Status"] == "proposed"]
    assert len(proposed) > 0
    set_settings(book, {"LettersFolder": str(tmp_path / "out")})
    report = runner.run_file("letters", str(book))
    assert report.status == "ok", report.problems
    (log,) = read(book, "Letters")
    assert len(log) == len(proposed) == report.counts["letters"]
    assert set(log["Status"]) == {"generated"} and set(log["Level"]) == {1}
    first = proposed.iloc[0]
    row = log[log["CustomerID"] == first["CustomerID"]].iloc[0]
    pdf = pathlib.Path(row["File"])
    assert pdf.suffix == ".pdf" and pdf.parent.parent == tmp_path / "out"
    text = office.pdf_text(pdf)
    assert first["Name"] in text
    from feedesk import money

    assert money.format_yuan(int(first["OpenAmount"])) in text.replace(" ", "")
    assert money.rmb_upper(int(first["OpenAmount"])) in text.replace(" ", "").replace("\n", "")
    assert list((tmp_path / "out").rglob("全部函件.docx"))
    # The same day again: the log is replaced, never doubled.
    assert runner.run_file("letters", str(book)).status == "ok"
    (again,) = read(book, "Letters")
    assert len(again) == len(log)


def test_level_two_only_once_its_days_have_passed(book, tmp_path, sample_data):
    only_letters(book, "letter")
    set_settings(book, {"LettersFolder": str(tmp_path / "out")})
    assert runner.run_file("dunning", str(book)).status == "ok"
    assert runner.run_file("letters", str(book)).status == "ok"
    assert runner.run_file("dunning", str(book)).status == "ok"
    (dunning,) = read(book, "Dunning")
    assert (dunning["Status"] == "proposed").sum() == 0  # the same day: level 1 went out, level 2 must wait
    later = sample_data.settings["AsOfDate"] + datetime.timedelta(days=40)
    set_settings(book, {"AsOfDate": later})
    assert runner.run_file("aging", str(book)).status == "ok"
    assert runner.run_file("dunning", str(book)).status == "ok"
    (dunning,) = read(book, "Dunning")
    assert set(dunning.loc[dunning["Status"] == "proposed", "Level"]) <= {1, 2}
    assert (dunning["Level"] == 2).any()


class _Inbox:
    def __init__(self, refuse: str = ""):
        self.messages = []
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, options):
        if self.refuse and address == self.refuse:
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_email_letters_sent_to_a_real_smtp_server(book, tmp_path):
    from aiosmtpd.controller import Controller

    only_letters(book, "email")
    assert runner.run_file("dunning", str(book)).status == "ok"
    (dunning,) = read(book, "Dunning")
    proposed = dunning[dunning["Status"] == "proposed"]
    assert len(proposed) >= 3
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        set_settings(book, {"LettersFolder": str(tmp_path / "out"), "SendMail": "是", "SmtpHost": "127.0.0.1",
                            "SmtpPort": port, "MailFrom": "shoufei@example.cn"})
        report = runner.run_file("letters", str(book))
    finally:
        controller.stop()
    assert report.status == "ok", report.problems
    (log,) = read(book, "Letters")
    with_mail = log[log["Recipient"].notna()]
    assert report.counts["sent"] == len(with_mail) == len(inbox.messages) > 0
    assert set(with_mail["Status"]) == {"sent"}
    message = inbox.messages[0]
    attachment = next(part for part in message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF")
    assert message["X-FeeDesk-Letter"] in set(log["LetterID"])


def test_an_unreachable_mail_server_is_a_clear_message_and_marks_letters_not_sent(book, tmp_path):
    only_letters(book, "email")
    assert runner.run_file("dunning", str(book)).status == "ok"
    set_settings(book, {"LettersFolder": str(tmp_path / "out"), "SendMail": "是", "SmtpHost": "127.0.0.1",
                        "SmtpPort": _free_port()})
    report = runner.run_file("letters", str(book))
    problem = next(p for p in report.problems if p.code == "mail_not_sent")
    assert "127.0.0.1" in problem.message
    (log,) = read(book, "Letters")
    with_mail = log[log["Recipient"].notna()]
    assert len(with_mail) > 0 and set(with_mail["Status"]) == {"failed"}
    assert list((tmp_path / "out").rglob("*.eml"))  # the drafts are kept for a later try
    assert pd.notna(log["File"]).all()


def test_statements_for_customers_with_a_balance(book, tmp_path):
    set_settings(book, {"LettersFolder": str(tmp_path / "out")})
    report = runner.run_file("letters", str(book), params={"kind": "statement"})
    assert report.status == "ok", report.problems
    (log,) = read(book, "Letters")
    (balances,) = read(book, "AgingCustomers")
    assert set(log["Kind"]) == {"statement"}
    assert set(log["CustomerID"]) == set(balances.loc[balances["Balance"] > 0, "CustomerID"])
    text = office.pdf_text(pathlib.Path(log["File"].iloc[0]))
    assert "对账单" in text


def test_price_change_notices_for_the_customers_impact_lists(book, tmp_path):
    assert runner.run_file("tariff_impact", str(book)).status == "ok"
    (impact,) = read(book, "Impact")
    notices = impact[impact["Scope"] == "notice"]
    assert len(notices) > 0
    set_settings(book, {"LettersFolder": str(tmp_path / "out")})
    report = runner.run_file("letters", str(book), params={"kind": "price_change"})
    assert report.status == "ok", report.problems
    (log,) = read(book, "Letters")
    assert set(log["CustomerID"]) == set(notices["Segment"])
    first = notices.iloc[0]
    pdf = pathlib.Path(log.loc[log["CustomerID"] == first["Segment"], "File"].iloc[0])
    text = office.pdf_text(pdf).replace(" ", "")
    assert "调价" in text
    from feedesk import money

    assert money.format_yuan(int(first["ProposedAmount"]) - int(first["CurrentAmount"])).lstrip("¥") in text


def test_replies_to_the_complaints_resolved_in_the_last_month(book, tmp_path, sample_data):
    from tests.test_validate import edit

    (complaints,) = read(book, "Complaints")
    assert len(complaints) >= 1
    row = int(complaints.index[0])
    resolved_on = sample_data.settings["AsOfDate"] - datetime.timedelta(days=5)
    edit(book, "Complaints", {(row, "Status"): "已解决", (row, "ResolvedDate"): resolved_on,
                              (row, "Resolution"): "已重新抄表，多收 ¥12.30 已退回"})
    set_settings(book, {"LettersFolder": str(tmp_path / "out")})
    report = runner.run_file("letters", str(book), params={"kind": "complaint_reply"})
    assert report.status == "ok", report.problems
    (log,) = read(book, "Letters")
    assert list(log["Kind"]) == ["complaint_reply"] and log["CustomerID"].iloc[0] == complaints.iloc[0]["CustomerID"]
    text = office.pdf_text(pathlib.Path(log["File"].iloc[0])).replace(" ", "")
    assert complaints.iloc[0]["ComplaintID"] in text and "已重新抄表" in text


def test_statements_for_chosen_customers_only(book, tmp_path):
    (balances,) = read(book, "AgingCustomers")
    owing = balances.loc[balances["Balance"] > 0, "CustomerID"].tolist()[:2]
    set_settings(book, {"LettersFolder": str(tmp_path / "out")})
    from macros import cli

    assert cli.main(["run", "letters", str(book), "--kind", "statement", "--customers", ",".join(owing)]) == 0
    (log,) = read(book, "Letters")
    assert sorted(log["CustomerID"]) == sorted(owing)
