"""macros.mail: drafts with Chinese subjects, names and attachments, sent to a real SMTP server on
127.0.0.1 (aiosmtpd) and read back from what it received; refused recipients, refused logins,
servers that cannot be reached or do not answer; the .eml round trip."""

from __future__ import annotations

import datetime
import email
import email.policy
import os
import socket
import time

import pytest

pytest.importorskip("aiosmtpd")
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

from macros import mail  # noqa: E402

SENDER = mail.address("青禾物业服务有限公司 收费部", "billing@qinghe.example")
REFUSED = "nobody@example.com"  # the server answers 550 for it
BUSY = "busy@example.com"  # the server answers 421 (closing) to the DATA of a letter to it
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class Store:
    """An aiosmtpd handler keeping what it received: (peer, mail_from, rcpt_tos, bytes)."""

    def __init__(self):
        self.received = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() == REFUSED:
            return "550 5.1.1 <nobody@example.com>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if BUSY in envelope.rcpt_tos:
            return "421 4.3.2 too busy, closing"
        self.received.append((session.peer, envelope.mail_from, list(envelope.rcpt_tos),
                              bytes(envelope.original_content)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(handler, **kwargs) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller


@pytest.fixture(scope="module")
def server():
    store = Store()
    controller = start(store)
    yield controller, store
    controller.stop()


@pytest.fixture
def smtp(server):
    controller, store = server
    store.received.clear()
    return controller.hostname, controller.port, store


def pdf(folder, name: str, body: str) -> tuple[str, bytes]:
    data = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Title (" + body.encode() + b") >> endobj\ntrailer\n%%EOF\n"
    path = os.path.join(folder, name)
    with open(path, "wb") as out:
        out.write(data)
    return path, data


PEOPLE = [("L20260410-C000101-dunning1", "张伟", "zhangwei@example.com"),
          ("L20260410-C000102-dunning2", "王芳", "wangfang@example.com"),
          ("L20260410-C000104-dunning3", "刘洋餐饮店, 西区", "liuyang@example.com")]


def letters(folder, people=PEOPLE):
    drafted = []
    for letter_id, name, addr in people:
        path, data = pdf(folder, f"催缴函_{letter_id}_{name}.pdf", letter_id)
        subject = f"【青禾物业】{name}：2026年3月水费催缴通知"
        text = f"{name} 您好：\n您 2026年3月 的水费尚未缴清，请于 2026年4月25日 前缴纳。\n青禾物业 收费部"
        message = mail.draft(sender=SENDER, recipient=mail.address(name, addr), subject=subject, text=text,
                             html=f"<p>{name} 您好：</p><p>请于 2026年4月25日 前缴纳。</p>",
                             attachments=[path], letter_id=letter_id)
        drafted.append({"id": letter_id, "name": name, "addr": addr, "subject": subject, "text": text,
                        "file": os.path.basename(path), "data": data, "message": message})
    return drafted


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_three_letters_arrive_with_chinese_subjects_names_and_pdfs(smtp, tmp_path):
    host, port, store = smtp
    drafted = letters(str(tmp_path))
    results = mail.send_all([d["message"] for d in drafted], host=host, port=port, timeout=5)
    assert results == [mail.SendResult(d["id"], True, "") for d in drafted]
    assert len(store.received) == 3
    assert len({peer for peer, *_ in store.received}) == 1  # one connection for the batch
    by_letter = {parse(raw)[mail.LETTER_HEADER]: (mail_from, rcpt, parse(raw))
                 for _, mail_from, rcpt, raw in store.received}
    for d in drafted:
        mail_from, rcpt, got = by_letter[d["id"]]
        assert mail_from == "billing@qinghe.example" and rcpt == [d["addr"]]
        assert got["Subject"] == d["subject"]
        assert [(a.display_name, a.addr_spec) for a in got["To"].addresses] == [(d["name"], d["addr"])]
        assert got["From"].addresses[0].display_name == "青禾物业服务有限公司 收费部"
        assert got.get_body(("plain",)).get_content() == d["text"] + "\n"
        assert "您好" in got.get_body(("html",)).get_content()
        (attachment,) = got.iter_attachments()
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_filename() == d["file"]
        assert attachment.get_content() == d["data"]
        assert "Date" not in got  # no clock inside


def test_a_refused_recipient_fails_that_letter_only(smtp, tmp_path):
    host, port, store = smtp
    people = PEOPLE[:1] + [("L20260410-C000199-dunning1", "查无此人", REFUSED)] + PEOPLE[1:2]
    drafted = letters(str(tmp_path), people)
    results = mail.send_all([d["message"] for d in drafted], host=host, port=port, timeout=5)
    assert [r.letter_id for r in results] == [d["id"] for d in drafted]
    assert [r.sent for r in results] == [True, False, True]
    assert results[0].error == results[2].error == ""
    assert results[1].error.startswith("邮件服务器拒绝了收件人 nobody@example.com")
    assert "550" in results[1].error and "/ the mail server refused the recipient nobody@example.com" in results[1].error
    assert sorted(rcpt[0] for _, _, rcpt, _ in store.received) == ["wangfang@example.com", "zhangwei@example.com"]


def test_some_recipients_refused_is_sent_with_a_note(smtp, tmp_path):
    host, port, store = smtp
    message = mail.draft(sender=SENDER, recipient=f"张伟 <zhangwei@example.com>, {REFUSED}", subject="通知",
                         text="正文", letter_id="L-both")
    (result,) = mail.send_all([message], host=host, port=port, timeout=5)
    assert result.sent and REFUSED in result.error and result.error.startswith("已发送")
    assert [rcpt for _, _, rcpt, _ in store.received] == [["zhangwei@example.com"]]


def test_a_closing_server_fails_that_letter_and_the_rest_go_on_a_new_connection(smtp, tmp_path):
    host, port, store = smtp
    people = PEOPLE[:1] + [("L20260410-C000198-dunning1", "忙", BUSY)] + PEOPLE[1:2]
    drafted = letters(str(tmp_path), people)
    results = mail.send_all([d["message"] for d in drafted], host=host, port=port, timeout=5)
    assert [r.sent for r in results] == [True, False, True]
    assert results[1].error.startswith("邮件服务器暂停服务") and "421" in results[1].error
    assert len({peer for peer, *_ in store.received}) == 2


def test_unreachable_server_fails_every_letter_fast(tmp_path):
    drafted = letters(str(tmp_path))
    port = free_port()  # nothing listens there
    started = time.perf_counter()
    results = mail.send_all([d["message"] for d in drafted], host="127.0.0.1", port=port, timeout=1)
    assert time.perf_counter() - started < 5
    expected = (f"无法连接邮件服务器 127.0.0.1:{port}（连接被拒绝）/ "
                f"cannot reach the mail server 127.0.0.1:{port} (connection refused)")
    assert results == [mail.SendResult(d["id"], False, expected) for d in drafted]


def test_a_server_that_never_answers_times_out(tmp_path):
    drafted = letters(str(tmp_path), PEOPLE[:2])
    with socket.socket() as silent:  # accepts connections (the backlog) but never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        port = silent.getsockname()[1]
        started = time.perf_counter()
        results = mail.send_all([d["message"] for d in drafted], host="127.0.0.1", port=port, timeout=0.3)
        assert time.perf_counter() - started < 3
    assert [r.sent for r in results] == [False, False]
    assert results[0].error == results[1].error
    assert results[0].error.startswith(f"无法连接邮件服务器 127.0.0.1:{port}（服务器没有应答")
    assert "timed out" in results[0].error


def test_unknown_host_and_no_messages():
    message = mail.draft(sender=SENDER, recipient="a@example.com", subject="s", text="t", letter_id="L1")
    (result,) = mail.send_all([message], host="no-such-host.invalid", port=25, timeout=1)
    assert not result.sent and result.letter_id == "L1"
    assert result.error.startswith("无法连接邮件服务器 no-such-host.invalid:25（找不到该主机")
    assert mail.send_all([], host="127.0.0.1", port=free_port(), timeout=1) == []
    (result,) = mail.send_all([message], host="", port=25, timeout=1)
    assert (result.sent, result.error) == (False, "没有填写邮件服务器 / no mail server given")
    (result,) = mail.send_all([message], host="127.0.0.1", port="smtp", timeout=1)
    assert not result.sent and "not a port number" in result.error


def test_tls_asked_of_a_plain_server_fails_every_letter_with_a_clear_error(smtp):
    host, port, store = smtp
    message = mail.draft(sender=SENDER, recipient="a@example.com", subject="s", text="t", letter_id="L1")
    (result,) = mail.send_all([message], host=host, port=port, timeout=2, starttls=True)
    assert not result.sent and "不支持 STARTTLS" in result.error and "STARTTLS" in result.error.split(" / ")[1]
    (result,) = mail.send_all([message], host=host, port=port, timeout=2, implicit_tls=True)
    assert not result.sent and "TLS 握手失败" in result.error and "TLS handshake failed" in result.error
    assert store.received == []


def test_login(tmp_path):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"desk", b"s3cret")
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself

    store = Store()
    controller = start(store, authenticator=authenticator, auth_require_tls=False)
    try:
        drafted = letters(str(tmp_path), PEOPLE[:2])
        messages = [d["message"] for d in drafted]
        results = mail.send_all(messages, host=controller.hostname, port=controller.port, timeout=5,
                                username="desk", password="s3cret")
        assert [r.sent for r in results] == [True, True] and len(store.received) == 2
        results = mail.send_all(messages, host=controller.hostname, port=controller.port, timeout=5,
                                username="desk", password="wrong")
        assert [r.sent for r in results] == [False, False]
        assert results[0].error.startswith(f"邮件服务器 {controller.hostname}:{controller.port} 拒绝登录")
        assert "535" in results[0].error and "refused the login" in results[0].error
        assert len(store.received) == 2
    finally:
        controller.stop()


def test_draft_mime_types_headers_and_no_clock(tmp_path):
    docx = tmp_path / "对账单.docx"
    docx.write_bytes(b"PK\x03\x04 not really a docx")
    other = tmp_path / "notes.unknownext"
    other.write_bytes(b"\x00\x01")
    kwargs = dict(sender=SENDER, recipient="王芳 <wangfang@example.com>", subject="对账单\r\nBcc: x@evil.example",
                  text="您好", attachments=[str(docx), str(other)], letter_id="L20260410-C000102-statement",
                  message_id_domain="qinghe.example")
    message = mail.draft(**kwargs)
    assert message.as_bytes().isascii()  # 7-bit clean: any server takes it
    assert message["Subject"] == "对账单 Bcc: x@evil.example" and "Bcc" not in message  # no header injection
    assert "Date" not in message
    assert message["X-FeeDesk-Letter"] == "L20260410-C000102-statement"
    assert message["Message-ID"].startswith("<L20260410-C000102-statement.")
    assert message["Message-ID"].endswith("@qinghe.example>")
    types = {p.get_filename(): p.get_content_type() for p in message.iter_attachments()}
    assert types == {"对账单.docx": DOCX, "notes.unknownext": "application/octet-stream"}
    assert message.get_content_type() == "multipart/mixed"
    # The same letter drafted twice is the same bytes; another letter another Message-ID.
    assert mail.draft(**kwargs).as_bytes() == message.as_bytes()
    assert mail.draft(**{**kwargs, "letter_id": "L2"})["Message-ID"] != message["Message-ID"]
    dated = mail.draft(**kwargs, date=datetime.datetime(2026, 4, 10, 9, 30, tzinfo=datetime.timezone(
        datetime.timedelta(hours=8))))
    assert dated["Date"] == "Fri, 10 Apr 2026 09:30:00 +0800"
    assert dated["Date"].datetime == datetime.datetime(2026, 4, 10, 1, 30, tzinfo=datetime.timezone.utc)
    # A letter without an address is still drafted (to be filled in by hand); sending reports it.
    blank = mail.draft(sender=SENDER, recipient="", subject="s", text="t", letter_id="L3")
    assert "To" not in blank
    (result,) = mail.send_all([blank], host="127.0.0.1", port=free_port(), timeout=1)
    assert not result.sent


def test_write_eml_round_trip(tmp_path):
    (d,) = letters(str(tmp_path), PEOPLE[2:])
    path = tmp_path / "函件" / "2026-04-10" / "L20260410-C000104-dunning3.eml"
    assert mail.write_eml(d["message"], str(path)) == str(path)
    raw = path.read_bytes()
    assert raw == d["message"].as_bytes(policy=email.policy.SMTP) and b"\r\n" in raw
    assert os.listdir(path.parent) == [path.name]  # no temporary file left behind
    for back in (parse(raw), mail.read_eml(str(path))):
        assert back["Subject"] == d["subject"]
        assert back["To"].addresses[0].display_name == "刘洋餐饮店, 西区"
        assert back[mail.LETTER_HEADER] == d["id"]
        assert back["Message-ID"] == d["message"]["Message-ID"]
        (attachment,) = back.iter_attachments()
        assert (attachment.get_filename(), attachment.get_content()) == (d["file"], d["data"])
    mail.write_eml(d["message"], str(path))  # over an existing draft
    assert path.read_bytes() == raw and os.listdir(path.parent) == [path.name]
