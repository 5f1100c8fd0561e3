"""E-mail for the letters job: drafts (.eml) and sending them over SMTP, standard library only.

`draft` makes the message: the plain text, an optional HTML alternative, the letter files
attached with their right MIME types, and a header `X-FeeDesk-Letter` to find it again.
Chinese subjects, names and file names are encoded the portable way (RFC 2047 headers,
RFC 2231 file names, a 7-bit clean body), so any server and any mail program takes them:
raw UTF-8 headers (SMTPUTF8) are only needed for non-ASCII *addresses*, and smtplib asks for
it by itself then. There is no clock inside: a `Date` header only when a date is given, and
a Message-ID made from the letter and its content, so the same letter drafted twice is the
same file and a receiving server can tell a second sending of it from a new letter.

`write_eml` saves a draft atomically; `send_all` sends a batch over one SMTP connection and
tells for each message whether it went, never raising: a server that cannot be reached,
a refused login or a refused recipient become bilingual error strings (zh first) in the
results, one per message, in order.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import hashlib
import mimetypes
import os
import re
import smtplib
import socket
import ssl
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

LETTER_HEADER = "X-FeeDesk-Letter"

# Headers non-ASCII as RFC 2047 words, bodies 7-bit (base64 / quoted-printable, whichever is
# shorter): readable by every server, with or without 8BITMIME / SMTPUTF8.
POLICY = email.policy.default.clone(cte_type="7bit")

MIME_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".csv": "text/csv",
    ".txt": "text/plain",
    ".html": "text/html",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".zip": "application/zip",
}


def mime_type(path: str) -> str:
    """The MIME type of a file to attach, from its extension ('application/octet-stream' if unknown)."""
    ext = os.path.splitext(path)[1].lower()
    return MIME_TYPES.get(ext) or mimetypes.guess_type(path, strict=False)[0] or "application/octet-stream"


def address(name: str, addr: str) -> str:
    """'张伟', 'zw@example.com' -> '张伟 <zw@example.com>', quoted where the name needs it
    (a comma, a dot, quotes); the bare address when the name is blank."""
    name = _one_line(name)
    addr = _one_line(addr)
    if not name:
        return addr
    try:
        return str(Address(display_name=name, addr_spec=addr))
    except (ValueError, IndexError):  # an address that does not parse: leave it to the server to refuse
        return f'"{name}" <{addr}>'


def draft(*, sender: str, recipient: str, subject: str, text: str, html: str | None = None,
          attachments: Sequence[str] = (), message_id_domain: str = "feedesk.local", letter_id: str = "",
          date: datetime.datetime | None = None) -> EmailMessage:
    """The e-mail of one letter.

    sender / recipient: 'name <addr>' or a bare address (see `address`); several recipients
    separated by commas. A blank recipient makes a draft without To (to be filled in by hand),
    an address that does not parse is kept as written: sending reports them, drafting never fails
    for them. text: the plain body; html: an alternative HTML body. attachments: file paths,
    attached under their own file names. letter_id: put in the X-FeeDesk-Letter header and the
    Message-ID. date: the Date header (a naive datetime is local time); none without it.
    """
    message = EmailMessage(policy=POLICY)
    message["From"] = _one_line(sender)
    if _one_line(recipient):
        message["To"] = _one_line(recipient)
    message["Subject"] = _one_line(subject)
    if date is not None:
        message["Date"] = format_datetime(date if date.tzinfo else date.astimezone())
    if letter_id:
        message[LETTER_HEADER] = _one_line(letter_id)
    message.set_content(text or "")
    if html:
        message.add_alternative(html, subtype="html")
    files = []
    for path in attachments:
        with open(path, "rb") as handle:
            data = handle.read()
        name = os.path.basename(path)
        maintype, subtype = mime_type(path).split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name, params={"name": name})
        files.append((name, data))
    digest = _digest(letter_id, sender, recipient, subject, text, html, files, date)
    message["Message-ID"] = _message_id(message_id_domain, letter_id, digest)
    # Boundaries from the content too (the library's are random): the same letter, the same bytes.
    for number, part in enumerate(p for p in message.walk() if p.is_multipart()):
        part.set_boundary(f"==feedesk-{digest[:32]}-{number}==")
    return message


def write_eml(message: EmailMessage, path: str) -> str:
    """Save the message as an .eml file (CRLF lines), atomically: a temporary file beside it, then
    os.replace, so a reader never sees half a draft. Makes the folder if needed; returns path."""
    data = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def read_eml(path: str) -> EmailMessage:
    """A saved draft read back (e.g. after the officer looked at it), ready for send_all."""
    with open(path, "rb") as handle:
        return email.message_from_bytes(handle.read(), policy=POLICY)


@dataclass(frozen=True)
class SendResult:
    """One message of a batch: letter_id from its X-FeeDesk-Letter header ('' if none).
    sent=False: not sent, error says why. sent=True with an error: it went to some of its
    recipients but the server refused the others (named in error)."""
    letter_id: str
    sent: bool
    error: str


class _Unreachable(Exception):
    """Setting up the connection failed; the text is the bilingual error for every message."""


def send_all(messages: list[EmailMessage], *, host: str, port: int, timeout: float = 10,
             username: str | None = None, password: str | None = None, starttls: bool = False,
             implicit_tls: bool | None = None) -> list[SendResult]:
    """Send the messages over one SMTP connection; one SendResult per message, in order.

    A recipient the server refuses, or a message it refuses, fails that message only. A server
    that cannot be reached (refused, timed out, unknown host, TLS or login refused) fails every
    message with the same error; no exception is raised for any of it. If the connection drops
    in the middle, that message fails and the rest go over a new connection.
    starttls: upgrade with STARTTLS (port 587). implicit_tls: TLS from the start (SMTPS);
    None means on port 465 only. username: log in (after TLS) when given.
    """
    if implicit_tls is None:
        implicit_tls = str(port).strip() in ("465", "465.0")
    results: list[SendResult] = []
    smtp = None
    try:
        for message in messages:
            letter_id = str(message.get(LETTER_HEADER, "") or "")
            if smtp is None:
                try:
                    smtp = _open(host, port, timeout, username, password, starttls, implicit_tls)
                except _Unreachable as error:
                    results.extend(SendResult(str(m.get(LETTER_HEADER, "") or ""), False, str(error))
                                   for m in messages[len(results):])
                    break
            try:
                refused = smtp.send_message(message)
            except smtplib.SMTPServerDisconnected as error:
                results.append(SendResult(letter_id, False, _lost(error)))
                _close(smtp)
                smtp = None
                continue
            except smtplib.SMTPRecipientsRefused as error:
                results.append(SendResult(letter_id, False, _refused_recipients(error.recipients)))
                continue
            except smtplib.SMTPResponseException as error:
                results.append(SendResult(letter_id, False, _refused_message(error)))
                if error.smtp_code == 421:  # the server is closing the connection
                    _close(smtp)
                    smtp = None
                continue
            except smtplib.SMTPNotSupportedError:
                results.append(SendResult(letter_id, False, "邮件服务器不支持非 ASCII 邮箱地址（SMTPUTF8）"
                                          " / the mail server does not take non-ASCII addresses (SMTPUTF8)"))
                continue
            except smtplib.SMTPException as error:  # (SMTPException is an OSError: before OSError)
                results.append(SendResult(letter_id, False, f"发送失败（{error}）/ not sent ({error})"))
                continue
            except OSError as error:  # the socket: reset, timed out
                results.append(SendResult(letter_id, False, _lost(error)))
                _close(smtp)
                smtp = None
                continue
            except (ValueError, UnicodeError) as error:
                results.append(SendResult(letter_id, False, f"发送失败（{error}）/ not sent ({error})"))
                continue
            results.append(SendResult(letter_id, True, _refused_recipients(refused, some=True) if refused else ""))
    finally:
        if smtp is not None:
            _close(smtp, quit=True)
    return results


def _open(host, port, timeout, username, password, starttls, implicit_tls) -> smtplib.SMTP:
    where = f"{host}:{port}"
    if not str(host or "").strip():
        raise _Unreachable("没有填写邮件服务器 / no mail server given")
    try:
        port = int(port)
    except (TypeError, ValueError):
        raise _Unreachable(f"邮件服务器端口无效：{port} / not a port number: {port}") from None
    # Host given to the constructor: it is also the name TLS checks the certificate against.
    try:
        if implicit_tls:
            smtp = smtplib.SMTP_SSL(host, int(port), timeout=timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(host, int(port), timeout=timeout)
    except smtplib.SMTPConnectError as error:  # a greeting other than 220
        text = _reply(error.smtp_code, error.smtp_error)
        raise _Unreachable(_cannot_reach(where, f"服务器拒绝连接：{text}", f"the server refused: {text}")) from None
    except smtplib.SMTPServerDisconnected as error:
        raise _Unreachable(_cannot_reach(where, *_why_disconnected(error))) from None
    except OSError as error:
        raise _Unreachable(_cannot_reach(where, *_why(error))) from None
    try:
        try:
            if starttls:
                smtp.ehlo()
                if not smtp.has_extn("starttls"):
                    raise _Unreachable(f"邮件服务器 {where} 不支持 STARTTLS / the mail server {where} "
                                       "does not offer STARTTLS")
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if username:
                smtp.login(username, password or "")
        except smtplib.SMTPAuthenticationError as error:
            text = _reply(error.smtp_code, error.smtp_error)
            raise _Unreachable(f"邮件服务器 {where} 拒绝登录，请检查用户名和密码（{text}）/ the mail server "
                               f"{where} refused the login: check the user name and password ({text})") from None
        except smtplib.SMTPNotSupportedError:
            raise _Unreachable(f"邮件服务器 {where} 不支持登录（AUTH）/ the mail server {where} "
                               "does not offer a login (AUTH)") from None
        except smtplib.SMTPServerDisconnected as error:
            raise _Unreachable(_cannot_reach(where, *_why_disconnected(error))) from None
        except smtplib.SMTPResponseException as error:
            text = _reply(error.smtp_code, error.smtp_error)
            raise _Unreachable(_cannot_reach(where, f"服务器拒绝：{text}", f"the server refused: {text}")) from None
        except (smtplib.SMTPException, OSError) as error:
            raise _Unreachable(_cannot_reach(where, *_why(error))) from None
    except BaseException:
        _close(smtp)
        raise
    return smtp


def _cannot_reach(where: str, zh: str, en: str) -> str:
    return f"无法连接邮件服务器 {where}（{zh}）/ cannot reach the mail server {where} ({en})"


def _why(error: BaseException) -> tuple[str, str]:
    if isinstance(error, ConnectionRefusedError):
        return "连接被拒绝", "connection refused"
    if isinstance(error, TimeoutError):  # socket.timeout is TimeoutError
        return "连接超时", "timed out"
    if isinstance(error, socket.gaierror):
        return f"找不到该主机：{error.strerror or error}", f"host not found: {error.strerror or error}"
    if isinstance(error, ssl.SSLError):
        reason = error.reason or error
        return f"TLS 握手失败：{reason}", f"TLS handshake failed: {reason}"
    text = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return text, text


def _why_disconnected(error: smtplib.SMTPServerDisconnected) -> tuple[str, str]:
    cause = error.__cause__ or error.__context__
    if isinstance(cause, TimeoutError):
        return "服务器没有应答，连接超时", "the server did not answer: timed out"
    return "服务器断开了连接", f"the server closed the connection: {error}"


def _lost(error: BaseException) -> str:
    zh, en = _why_disconnected(error) if isinstance(error, smtplib.SMTPServerDisconnected) else _why(error)
    return f"发送时与邮件服务器的连接中断，未确认送出（{zh}）/ the connection to the mail server was lost " \
           f"while sending, not confirmed sent ({en})"


def _reply(code, text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(str(text).split())}".strip()


def _refused_message(error: smtplib.SMTPResponseException) -> str:
    text = _reply(error.smtp_code, error.smtp_error)
    if isinstance(error, smtplib.SMTPSenderRefused):
        sender = error.sender.decode("utf-8", "replace") if isinstance(error.sender, bytes) else error.sender
        return f"邮件服务器拒绝了发件人 {sender}（{text}）/ the mail server refused the sender {sender} ({text})"
    if error.smtp_code == 421:
        return f"邮件服务器暂停服务，未发送（{text}）/ the mail server is closing the connection, not sent ({text})"
    return f"邮件服务器拒绝了这封邮件（{text}）/ the mail server refused the message ({text})"


def _refused_recipients(refused: dict, some: bool = False) -> str:
    if not refused:
        return "没有收件人 / no recipient"
    who = "; ".join(f"{addr} ({_reply(*reply)})" for addr, reply in refused.items())
    who_zh = "；".join(f"{addr}（{_reply(*reply)}）" for addr, reply in refused.items())
    if some:
        return f"已发送，但邮件服务器拒绝了部分收件人 {who_zh} / sent, but the mail server refused " \
               f"some recipients: {who}"
    return f"邮件服务器拒绝了收件人 {who_zh} / the mail server refused the recipient {who}"


def _close(smtp: smtplib.SMTP, quit: bool = False) -> None:
    if quit:
        try:
            smtp.quit()
            return
        except (smtplib.SMTPException, OSError):
            pass
    try:
        smtp.close()
    except OSError:
        pass


def _one_line(value) -> str:
    """Header values may not hold line breaks (header injection): fold them into spaces."""
    return " ".join(str(value or "").split())


def _digest(letter_id, sender, recipient, subject, text, html, files, date) -> str:
    digest = hashlib.sha256()
    for part in (letter_id, sender, recipient, subject, text, html or "", date.isoformat() if date else ""):
        digest.update(str(part).encode("utf-8", "surrogatepass") + b"\0")
    for name, data in files:
        digest.update(name.encode("utf-8", "surrogatepass") + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def _message_id(domain: str, letter_id: str, digest: str) -> str:
    local = re.sub(r"[^A-Za-z0-9._-]+", "-", letter_id).strip(".-")
    local = re.sub(r"\.{2,}", ".", local)
    local = f"{local}.{digest[:20]}" if local else f"feedesk.{digest[:24]}"
    domain = re.sub(r"[^A-Za-z0-9.-]+", "-", str(domain or "")).strip(".-") or "feedesk.local"
    return f"<{local}@{domain}>"
