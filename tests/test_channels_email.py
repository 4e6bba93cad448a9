"""The e-mail channel against real servers started by the tests.

- IMAP: Debian's Dovecot (``dovecot-imapd``, installed by ``make system-packages``) run as a
  private instance: its own config, port, users file and maildir in a temporary directory.
  Mails are delivered the way a mail server does it, by IMAP APPEND of real RFC 822 bytes.
- SMTP: aiosmtpd, capturing our replies at the network edge (as in test_notifications).

Nothing of ours is patched: the poll talks IMAP, the worker processes the stored events,
the outbox sender talks SMTP.
"""

from __future__ import annotations

import base64
import datetime
import email
import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from email import policy
from email.quoprimime import body_encode, header_encode
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from huey.contrib.djhuey import HUEY
from hypothesis import given
from hypothesis import settings as settings_hypothesis
from hypothesis import strategies as st

from tongdai.channels import services
from tongdai.channels.email import email_send, raw_for_inbox
from tongdai.channels.email_imap import KEYWORD, mailbox_check, mailbox_poll
from tongdai.channels.email_parse import html_to_text, parse_mail
from tongdai.channels.email_tasks import mailbox_poll_job
from tongdai.channels.models import (
    Conversation,
    ConversationStatus,
    Direction,
    InboundEvent,
    Message,
    MessageAttachment,
    Outbox,
    OutboxStatus,
    Provider,
)
from tongdai.channels.outbox import DeliveryError, outbox_deliver, reply_send
from tongdai.core.env import imap_from_url

pytestmark = pytest.mark.django_db

HOTLINE = "tuvan@111.test"
USER, PASSWORD = "hotline", "mat-khau-hop-thu"
CHILD = "be.lan.2012@example.vn"
SUBJECT = "Cứu em với: bố dượng đánh em"
BODY = "Em tên Lan, 13 tuổi, ở Sóc Trăng.\nTối qua bố dượng lại đánh em, em sợ lắm ạ."
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64 + b"PE\x00\x00"


# --- the servers ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _dovecot_conf(base: Path, port: int, tls_port: int) -> str:
    """A self-contained Dovecot 2.3 instance. As root (CI), Dovecot's login processes must
    not run as root and mail must not belong to uid 0: the packaged ``dovenull``/``dovecot``
    users take those roles. As any other user, everything runs as that user."""
    if os.geteuid() == 0:
        internal, login = "dovecot", "dovenull"
        mail_user = pwd.getpwnam("dovecot")
    else:
        mail_user = pwd.getpwuid(os.getuid())
        internal = login = mail_user.pw_name
    for sub in ("mail", "home"):
        (base / sub).mkdir()
        os.chown(base / sub, mail_user.pw_uid, mail_user.pw_gid)
    (base / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n", encoding="utf-8")
    return f"""
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{base}/cert.pem
ssl_key = <{base}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name}
default_login_user = {login}
first_valid_uid = {mail_user.pw_uid}
mail_location = maildir:{base}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {base}/users
  default_fields = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={base}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""


@dataclass(frozen=True)
class Dovecot:
    port: int       # IMAP, STARTTLS offered
    tls_port: int   # IMAPS
    cert: Path      # its self-signed certificate


@pytest.fixture(scope="module")
def dovecot():
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    if not os.path.exists(binary):
        pytest.fail("Dovecot is needed for the e-mail channel tests: "
                    "apt-get install dovecot-imapd (make system-packages)")
    base = Path(tempfile.mkdtemp(prefix="tongdai-dovecot-"))
    base.chmod(0o755)  # the unprivileged Dovecot processes must reach their files
    port, tls_port = _free_port(), _free_port()
    # A self-signed certificate for localhost: the TLS tests trust it through
    # SSL_CERT_FILE, the way an operator trusts a private CA.
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", str(base / "key.pem"), "-out", str(base / "cert.pem")],
                   check=True, capture_output=True)
    conf = base / "dovecot.conf"
    conf.write_text(_dovecot_conf(base, port, tls_port), encoding="utf-8")
    process = subprocess.Popen([binary, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while True:
        try:
            with imaplib.IMAP4("127.0.0.1", port, timeout=2) as probe:
                probe.login(USER, PASSWORD)
            break
        except (OSError, imaplib.IMAP4.error):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log = (base / "dovecot.log").read_text() if (base / "dovecot.log").exists() else ""
                shutil.rmtree(base, ignore_errors=True)
                pytest.fail(f"Dovecot did not start: {process.stderr.read().decode()} {log}")
            time.sleep(0.1)
    yield Dovecot(port, tls_port, base / "cert.pem")
    process.terminate()
    process.wait(timeout=10)
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "media")}}}
    return tmp_path / "media"


@pytest.fixture
def mailbox(dovecot, settings, request):
    """A fresh folder of the hotline mailbox for this test, configured as TONGDAI_IMAP."""
    folder = "T" + str(abs(hash(request.node.nodeid)))[:12]
    with imaplib.IMAP4("127.0.0.1", dovecot.port) as imap:
        imap.login(USER, PASSWORD)
        imap.create(folder)
    settings.TONGDAI_IMAP = imap_from_url(
        f"imap://{USER}:{PASSWORD}@127.0.0.1:{dovecot.port}/{folder}?starttls=no")
    settings.TONGDAI_IMAP_TIMEOUT = 5
    return Mailbox(dovecot.port, folder)


class Mailbox:
    """The test's side of the mailbox: deliver mails and look at their flags."""

    def __init__(self, port: int, folder: str):
        self.port, self.folder = port, folder

    def _session(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.port)
        imap.login(USER, PASSWORD)
        imap.select(self.folder)
        return imap

    def deliver(self, raw: bytes, flags: str | None = None) -> int:
        with self._session() as imap:
            typ, data = imap.append(self.folder, flags, None, raw)
            assert typ == "OK", data
            return int(data[0].split(b"]")[0].split()[-1])  # [APPENDUID validity uid]

    def flags(self, uid: int) -> str:
        with self._session() as imap:
            _typ, data = imap.uid("FETCH", str(uid), "(FLAGS)")
            return data[0].decode()

    def unflag(self, uid: int) -> None:
        with self._session() as imap:
            imap.uid("STORE", str(uid), "-FLAGS.SILENT", f"({KEYWORD} \\Seen)")


class SmtpInbox:
    def __init__(self):
        self.messages = []
        self.unknown: set[str] = set()  # recipients this server refuses (550)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.unknown:
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append((envelope.rcpt_tos,
                              email.message_from_bytes(envelope.original_content,
                                                       policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    settings.TONGDAI_MAILBOX_FROM = f"Tổng đài 111 <{HOTLINE}>"
    yield inbox
    controller.stop()


# --- mails as people's mail programs write them --------------------------------------


def cp1258(text: str) -> bytes:
    """Vietnamese in windows-1258 the way Windows writes it: base letters with their
    vowel marks precomposed where the code page has them, tone marks combining."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", char)
        for cut in range(len(decomposed), 0, -1):
            try:
                out += (unicodedata.normalize("NFC", decomposed[:cut]) + decomposed[cut:]).encode(
                    "cp1258")
                break
            except UnicodeEncodeError:
                continue
        else:
            raise ValueError(char)
    return bytes(out)


def b64(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii")


def mail(message_id: str, *, sender=CHILD, subject=SUBJECT, body=BODY, in_reply_to="",
         references="", files=(), html=None) -> bytes:
    """A multipart mail: windows-1258 quoted-printable text, RFC 2047 subject and name,
    files as base64 parts (``(filename, content type, bytes)``)."""
    head = [
        f"From: {header_encode('Bé Lan'.encode(), charset='utf-8')} <{sender}>",
        f"To: {header_encode(cp1258('Tổng đài 111'), charset='windows-1258')} <{HOTLINE}>",
        f"Subject: {header_encode(cp1258(subject), charset='windows-1258')}",
        f"Message-ID: {message_id}",
        "Date: Sun, 22 Nov 2026 21:15:00 +0700",
        "MIME-Version: 1.0",
    ]
    if in_reply_to:
        head.append(f"In-Reply-To: {in_reply_to}")
    if references:
        head.append(f"References: {references}")
    if html is not None:
        head += ["Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: base64"]
        return ("\r\n".join(head) + "\r\n\r\n" + b64(html.encode("utf-8"))).replace(
            "\n", "\r\n").replace("\r\r\n", "\r\n").encode("ascii")
    head.append('Content-Type: multipart/mixed; boundary="ranh-gioi"')
    parts = ["--ranh-gioi\r\nContent-Type: text/plain; charset=windows-1258\r\n"
             "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
             + body_encode(cp1258(body).decode("latin-1")).replace("\n", "\r\n")]
    for filename, content_type, data in files:
        encoded_name = "utf-8''" + "".join(
            c if c.isascii() and c.isalnum() or c in "._-" else "".join(
                f"%{b:02X}" for b in c.encode("utf-8")) for c in filename)
        parts.append(f"--ranh-gioi\r\nContent-Type: {content_type}\r\n"
                     f"Content-Disposition: attachment; filename*={encoded_name}\r\n"
                     "Content-Transfer-Encoding: base64\r\n\r\n"
                     + b64(data).replace("\n", "\r\n"))
    return ("\r\n".join(head) + "\r\n\r\n" + "\r\n".join(parts)
            + "\r\n--ranh-gioi--\r\n").encode("ascii")


def process_all() -> list[Message]:
    """What the worker does: process every stored, unprocessed event."""
    pks = InboundEvent.objects.filter(processed_at__isnull=True).values_list("pk", flat=True)
    return [m for m in (services.inbound_process(pk) for pk in list(pks)) if m is not None]


# --- inbound -------------------------------------------------------------------------


def test_a_vietnamese_mail_with_files_becomes_one_conversation_and_message(mailbox, settings):
    uid = mailbox.deliver(mail("<thu-1@example.vn>", files=[
        ("Giấy khám sức khỏe.pdf", "application/pdf", PDF),
        ("ảnh chụp.jpg", "image/jpeg", EXE),  # an executable dressed as a photo
    ]))
    result = mailbox_poll()
    assert (result.found, result.accepted, result.duplicates, result.error) == (1, 1, 0, "")
    event = InboundEvent.objects.get()
    assert event.provider == Provider.EMAIL and event.provider_event_id.startswith("sha256:")
    [message] = process_all()

    conversation = message.conversation
    assert conversation.channel == "email" and conversation.provider_user_id == CHILD
    assert conversation.subject == SUBJECT  # windows-1258 encoded words, decoded intact
    assert conversation.status == ConversationStatus.WAITING
    assert conversation.centre.is_national  # no province known: the national centre
    assert message.provider_message_id == "<thu-1@example.vn>"
    assert message.direction == Direction.IN
    assert message.text.startswith(BODY)  # windows-1258 QP, combining tones → NFC
    assert unicodedata.is_normalized("NFC", message.text)
    assert "sợ lắm ạ" in message.text

    [kept] = MessageAttachment.objects.filter(message=message)
    assert kept.filename == "Giấy khám sức khỏe.pdf"
    assert kept.content_type == "application/pdf" and kept.size == len(PDF)
    assert kept.storage_name.endswith(".pdf")
    with default_storage.open(kept.storage_name) as stored:
        assert stored.read() == PDF
    # The disguised executable is refused by its bytes, named in a note, never stored.
    assert "ảnh chụp.jpg" in message.text.split(BODY, 1)[1]
    assert default_storage.listdir(f"channels/{conversation.pk}")[1] == [
        kept.storage_name.rsplit("/", 1)[1]]

    # The mail is flagged on the server only after the inbox has it.
    assert KEYWORD in mailbox.flags(uid) and "\\Seen" in mailbox.flags(uid)


def test_polling_again_and_redelivery_make_nothing_new(mailbox):
    raw = mail("<thu-2@example.vn>")
    mailbox.deliver(raw)
    assert mailbox_poll().accepted == 1
    process_all()
    assert mailbox_poll().found == 0  # flagged: not taken again
    # The same mail delivered again (the sender's server retried): one inbox event.
    mailbox.deliver(raw)
    again = mailbox_poll()
    assert (again.found, again.accepted, again.duplicates) == (1, 0, 1)
    # Relayed again with one more Received line: a new event, but the same Message-ID.
    mailbox.deliver(b"Received: from relay.example.vn by mx.111.test; Sun, 22 Nov 2026\r\n"
                    + raw)
    assert mailbox_poll().accepted == 1
    assert process_all() == []
    assert Message.objects.count() == 1 and Conversation.objects.count() == 1
    assert InboundEvent.objects.filter(processed_at__isnull=True).count() == 0


def test_a_crash_before_flagging_reads_the_mail_again_without_a_duplicate(mailbox):
    uid = mailbox.deliver(mail("<thu-3@example.vn>"))
    assert mailbox_poll().accepted == 1
    # What the server holds after a crash between the inbox commit and the STORE.
    mailbox.unflag(uid)
    assert KEYWORD not in mailbox.flags(uid)
    result = mailbox_poll()
    assert (result.found, result.accepted, result.duplicates) == (1, 0, 1)
    assert KEYWORD in mailbox.flags(uid)
    assert InboundEvent.objects.count() == 1
    assert len(process_all()) == 1


def test_the_worker_processes_a_polled_mail_through_the_job_queue(
        mailbox, django_capture_on_commit_callbacks):
    mailbox.deliver(mail("<thu-queue@example.vn>"))
    was, HUEY.immediate = HUEY.immediate, True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert mailbox_poll().accepted == 1
    finally:
        HUEY.immediate = was
    message = Message.objects.get(provider_message_id="<thu-queue@example.vn>")
    assert message.conversation.subject == SUBJECT
    assert InboundEvent.objects.get().processed_at is not None


def test_a_mail_someone_already_opened_in_a_mail_program_is_still_taken(mailbox):
    mailbox.deliver(mail("<thu-4@example.vn>"), flags="(\\Seen)")
    assert mailbox_poll().accepted == 1


def test_an_unreachable_or_refusing_server_loses_nothing(mailbox, settings):
    uid = mailbox.deliver(mail("<thu-5@example.vn>"))
    down = dict(settings.TONGDAI_IMAP, port=_free_port())
    assert mailbox_poll(down).error == "ConnectionRefusedError"
    wrong = dict(settings.TONGDAI_IMAP, password="sai-mat-khau")
    assert mailbox_poll(wrong).error == "error"  # imaplib.IMAP4.error: login refused
    assert InboundEvent.objects.count() == 0
    assert KEYWORD not in mailbox.flags(uid)
    # Next poll with the server back: the mail is taken.
    assert mailbox_poll().accepted == 1
    assert len(process_all()) == 1


def test_imaps_and_starttls_verify_the_server_certificate(mailbox, dovecot, settings,
                                                         monkeypatch):
    mailbox.deliver(mail("<thu-tls@example.vn>"))
    folder = settings.TONGDAI_IMAP["folder"]
    imaps = imap_from_url(f"imaps://{USER}:{PASSWORD}@localhost:{dovecot.tls_port}/{folder}")
    starttls = imap_from_url(f"imap://{USER}:{PASSWORD}@localhost:{dovecot.port}/{folder}")
    # Not trusted (self-signed, not in the system store): refused, nothing read.
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot.cert.parent / "users"))
    assert mailbox_poll(imaps).error == "SSLCertVerificationError"
    assert mailbox_poll(starttls).error == "SSLCertVerificationError"
    assert InboundEvent.objects.count() == 0
    # Trusted the way an operator trusts a private CA: both read the mailbox.
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot.cert))
    assert mailbox_check(imaps) == (1, "")
    assert mailbox_poll(starttls).accepted == 1


def test_an_html_only_mail_is_read_as_plain_text(mailbox):
    mailbox.deliver(mail("<thu-6@example.vn>", html=(
        "<html><head><style>p{color:red}</style><script>alert('x')</script></head>"
        "<body><p>Chào anh chị,</p><p>Em cần giúp đỡ &amp; tư vấn.<br>Em ở Hà Giang</p>"
        "</body></html>")))
    mailbox_poll()
    [message] = process_all()
    assert message.text == "Chào anh chị,\n\nEm cần giúp đỡ & tư vấn.\nEm ở Hà Giang"


def test_an_attachment_over_the_upload_limit_is_refused_by_size(mailbox, settings):
    settings.MAX_UPLOAD_MB, settings.MAX_UPLOAD_BYTES = 1, 1024 * 1024
    big = PDF + b"0" * (1024 * 1024)
    mailbox.deliver(mail("<thu-7@example.vn>", files=[("ho-so.pdf", "application/pdf", big)]))
    mailbox_poll()
    [message] = process_all()
    assert not message.files.exists()
    assert "ho-so.pdf" in message.text and "1 MB" in message.text


def test_the_management_command_and_the_periodic_job_poll(mailbox, settings):
    mailbox.deliver(mail("<thu-8@example.vn>"))
    from io import StringIO

    out = StringIO()
    call_command("mailbox", "check", stdout=out)
    assert "1 mails" in out.getvalue()
    call_command("mailbox", "poll", stdout=out)
    assert "1 waiting, 1 new, 0 already in the inbox" in out.getvalue()
    mailbox.deliver(mail("<thu-9@example.vn>"))
    # Registered with the scheduler (ChannelsConfig.ready) to run every minute.
    due = {task.name for task in HUEY.read_periodic(datetime.datetime(2026, 11, 22, 23, 7))}
    assert "channels_mailbox_poll" in due
    assert mailbox_poll_job.call_local() == 1
    settings.TONGDAI_IMAP = dict(settings.TONGDAI_IMAP, port=_free_port())
    with pytest.raises(CommandError, match="ConnectionRefusedError"):
        call_command("mailbox", "poll", stdout=out)
    settings.TONGDAI_IMAP = None
    assert mailbox_poll_job.call_local() == 0
    assert mailbox_check() == (0, "not_configured")


# --- threads and replies -------------------------------------------------------------


def _answer(reply: Message) -> Message:
    assert outbox_deliver(reply.pk) == OutboxStatus.SENT
    return reply


def test_a_reply_goes_out_by_email_and_the_answer_threads_back(mailbox, smtp, people):
    mailbox.deliver(mail("<thu-10@example.vn>"))
    mailbox_poll()
    [first] = process_all()
    conversation = first.conversation

    reply = _answer(reply_send(people.hn, conversation.pk, "Chào Lan, tổng đài 111 đây. "
                                                            "Em đang ở đâu?"))
    [(recipients, sent)] = smtp.messages
    ours = Outbox.objects.get(message=reply).provider_message_id
    assert recipients == [CHILD]
    assert sent["Message-ID"] == ours and ours.endswith("@111.test>")
    assert sent["In-Reply-To"] == "<thu-10@example.vn>"
    assert sent["References"] == "<thu-10@example.vn>"
    # Django folds the encoded subject onto a continuation line: unfolded, it is the same.
    assert sent["Subject"].strip() == "Re: " + SUBJECT
    assert sent["From"].addresses[0].display_name == "Tổng đài 111"
    assert sent["From"].addresses[0].addr_spec == HOTLINE
    assert sent.get_body(("plain",)).get_content().strip() == (
        "Chào Lan, tổng đài 111 đây. Em đang ở đâu?")

    # Lan answers from her mail program: In-Reply-To is our Message-ID.
    mailbox.deliver(mail("<thu-11@example.vn>", subject="Re: " + SUBJECT,
                         body="Em đang ở nhà bà ngoại.", in_reply_to=ours,
                         references=f"<thu-10@example.vn> {ours}"))
    # A stranger who learnt the ids (in Cc) cannot write into Lan's conversation.
    mailbox.deliver(mail("<la-1@example.com>", sender="nguoi.la@example.com",
                         in_reply_to=ours, references=f"<thu-10@example.vn> {ours}"))
    mailbox_poll()
    answer, stranger = process_all()
    assert answer.conversation_id == conversation.pk
    assert answer.in_reply_to == ours
    assert stranger.conversation_id != conversation.pk
    assert Conversation.objects.count() == 2
    # A copy of our own reply landing in the mailbox (Bcc, a list) is not a new message.
    mailbox.deliver(sent.as_bytes())
    assert mailbox_poll().accepted == 1
    assert process_all() == []

    # The next reply answers Lan's latest mail and carries the whole thread.
    _answer(reply_send(people.hn, conversation.pk, "Bà ngoại có biết chuyện không em?"))
    second = smtp.messages[1][1]
    assert second["In-Reply-To"] == "<thu-11@example.vn>"
    assert second["References"].split() == ["<thu-10@example.vn>", ours, "<thu-11@example.vn>"]
    assert second["Subject"].strip() == "Re: " + SUBJECT  # not "Re: Re: …"


def test_an_answer_to_a_closed_conversation_opens_a_new_one(mailbox, smtp, people):
    mailbox.deliver(mail("<thu-12@example.vn>"))
    mailbox_poll()
    [first] = process_all()
    Conversation.objects.filter(pk=first.conversation_id).update(
        status=ConversationStatus.CLOSED)
    mailbox.deliver(mail("<thu-13@example.vn>", in_reply_to="<thu-12@example.vn>"))
    mailbox_poll()
    [later] = process_all()
    assert later.conversation_id != first.conversation_id
    assert later.conversation.status == ConversationStatus.WAITING


def test_an_unreachable_smtp_server_keeps_the_reply_pending_for_a_retry(mailbox, people, settings):
    mailbox.deliver(mail("<thu-14@example.vn>"))
    mailbox_poll()
    [first] = process_all()
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", _free_port(), False
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    reply = reply_send(people.hn, first.conversation_id, "Em ơi, em còn đó không?")
    assert outbox_deliver(reply.pk) == OutboxStatus.PENDING
    row = Outbox.objects.get(message=reply)
    assert row.attempts == 1 and row.last_error == "ConnectionRefusedError"
    settings.EMAIL_HOST = ""
    with pytest.raises(DeliveryError) as refused:
        email_send(reply)
    assert refused.value.code == "smtp_not_configured" and not refused.value.retryable


def test_a_recipient_the_smtp_server_refuses_fails_at_once(mailbox, smtp, people):
    mailbox.deliver(mail("<thu-15@example.vn>"))
    mailbox_poll()
    [first] = process_all()
    smtp.unknown.add(CHILD)
    reply = reply_send(people.hn, first.conversation_id, "Em ơi?")
    assert outbox_deliver(reply.pk) == OutboxStatus.FAILED  # retrying cannot help
    assert Outbox.objects.get(message=reply).last_error == "smtp_recipient_refused"
    assert smtp.messages == []


# --- parsing and settings ------------------------------------------------------------


def test_a_mail_that_is_not_base64_in_the_inbox_is_marked_not_retried(db):
    event, _ = services.inbox_accept(Provider.EMAIL, "sha256:broken", "not base64 ***")
    assert services.inbound_process(event.pk) is None
    event.refresh_from_db()
    assert event.processed_at is not None and event.last_error == "ValueError"


def test_parsing_utf8_base64_subject_and_a_mail_without_message_id():
    raw = ("From: =?utf-8?B?" + base64.b64encode("Nguyễn Văn Bình".encode()).decode()
           + "?= <Binh@Example.VN>\r\nSubject: =?utf-8?B?"
           + base64.b64encode("Tố giác mua bán người".encode()).decode()
           + "?=\r\nContent-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: 8bit\r\n\r\n").encode() + "Xin chào".encode()
    parsed = parse_mail(raw)
    assert parsed.subject == "Tố giác mua bán người"
    assert (parsed.sender, parsed.sender_name) == ("binh@example.vn", "Nguyễn Văn Bình")
    assert parsed.text == "Xin chào"
    assert parsed.message_id == raw_for_inbox(raw)[0]  # sha256 of the bytes
    assert html_to_text("<p>a</p><script>b</script><p>c &lt; d</p>") == "a\n\nc < d"


def test_text_in_an_unknown_charset_is_read_as_utf8_or_windows_1258():
    def body(data: bytes) -> str:
        return parse_mail(b"Content-Type: text/plain; charset=x-khong-ro\r\n"
                          b"Content-Transfer-Encoding: 8bit\r\n\r\n" + data).text

    # Dovecot stores a NUL byte as 0x80: the rest of the UTF-8 text stays readable.
    assert body("Em ở Cà Mau\x00 ạ".encode().replace(b"\x00", b"\x80")) == "Em ở Cà Mau\ufffd ạ"
    assert body(cp1258("Em ở Cà Mau ạ")) == "Em ở Cà Mau ạ"
    assert body("Em ở\x00 Cà Mau".encode()) == "Em ở Cà Mau"  # NUL: not storable on PostgreSQL


def test_imap_url_settings(tmp_path, monkeypatch):
    assert imap_from_url("") is None
    secure = imap_from_url("imaps://tuvan%40111.gov.vn:p%40ss@mail.111.gov.vn/Hop%20thu")
    assert secure == {"host": "mail.111.gov.vn", "port": 993, "user": "tuvan@111.gov.vn",
                      "password": "p@ss", "folder": "Hop thu", "tls": True, "starttls": False}
    starttls = imap_from_url("imap://tuvan@mail.111.gov.vn", password="from-file")
    assert (starttls["port"], starttls["starttls"], starttls["password"], starttls["folder"]) == (
        143, True, "from-file", "INBOX")
    assert imap_from_url("imap://u:p@localhost:1143/?starttls=no")["starttls"] is False
    for bad in ("pop3://u:p@host", "imaps://host/INBOX", "imaps://u@host",
                "imap://u:p@host?starttls=maybe", "imaps://u:p@host/H%E1%BB%99p"):
        with pytest.raises(ImproperlyConfigured):
            imap_from_url(bad)
    # The password from a file (Docker/K8s secret), as settings.py reads it.
    from tongdai.core.env import envsecret

    (tmp_path / "imap").write_text("bi-mat\n", encoding="utf-8")
    monkeypatch.setenv("TONGDAI_IMAP_PASSWORD_FILE", str(tmp_path / "imap"))
    assert imap_from_url("imaps://u@host", envsecret("TONGDAI_IMAP_PASSWORD"))["password"] == (
        "bi-mat")


def test_a_malformed_mail_is_kept_and_a_reply_without_an_address_fails_visibly(
        mailbox, people, smtp):
    mailbox.deliver(b"Subject: =?x-khong-ro?Q?abc?=\r\nDate: hom qua\r\n"
                    b"Content-Type: text/plain; charset=x-khong-ro\r\n"
                    b"Content-Transfer-Encoding: 8bit\r\n\r\n"
                    + "Em bị lạc, không biết địa chỉ.\r\n".encode())
    mailbox_poll()
    [message] = process_all()
    assert message.text == "Em bị lạc, không biết địa chỉ."  # unknown charset: UTF-8 tried
    assert message.provider_message_id.startswith("sha256:")  # no Message-ID
    assert message.conversation.provider_user_id == ""  # no From: nobody to answer
    reply = reply_send(people.hn, message.conversation_id, "Em ở gần đâu?")
    assert outbox_deliver(reply.pk) == OutboxStatus.FAILED
    assert Outbox.objects.get(message=reply).last_error == "no_address"
    assert smtp.messages == []


@settings_hypothesis(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.sampled_from([
    b"", b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n",
    b"From: \"=?utf-8?Q?B=C3=A9?=\" <@>\r\nSubject: =?windows-1258?B?!!?=\r\n",
    b"Content-Type: text/html; charset=\"\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"]))
def test_any_bytes_parse_into_a_mail_without_an_exception(tail, head):
    parsed = parse_mail(head + tail)
    assert "\x00" not in parsed.text + parsed.subject + parsed.sender_name
    assert parsed.message_id
