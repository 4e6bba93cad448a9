"""Reports from people without an account: the public web form and the 111 mobile app.

Entry points (the web views and ``tongdai.api.app_reports`` call only these):
- ``report_submit``: a new report becomes a waiting ``Conversation`` (routed by province)
  with its first ``Message``, and a ``Receipt``; returns the code and the passphrase, the
  only time the passphrase exists in clear.
- ``receipt_unlock``: code + passphrase → the receipt, or ``ReceiptRefused`` with the same
  message whether the code does not exist or the passphrase is wrong (same work too: a
  password hash is checked either way), rate-limited per code and per client address.
- ``report_thread`` / ``report_add``: what the reporter may read (their messages and the
  delivered replies) and adding information.
- ``deliver_stored``: the outbox sender for web and app replies.

Nothing here logs what a reporter wrote, their name, phone or address.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.hashers import check_password, get_hasher, make_password
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongdai.channels.models import (
    PROVIDER_CHANNEL,
    Conversation,
    ConversationStatus,
    Direction,
    Message,
    MessageKind,
    OutboxStatus,
    Provider,
)
from tongdai.channels.outbox import DeliveryError
from tongdai.core.phones import display_phone
from tongdai.geo.models import Province
from tongdai.webreport import throttle
from tongdai.webreport.forms import AddForm, ReportForm
from tongdai.webreport.models import Affected, ContactPreference, Receipt
from tongdai.webreport.words import WORDS

#: No 0/O, 1/I/L: a code read aloud over the phone or copied by hand stays unambiguous.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
PASSPHRASE_WORDS = 4
REPORT_PROVIDERS = (Provider.WEB, Provider.APP)


class ReportInvalid(Exception):
    """Some fields are not valid. ``errors``: field name → translated message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("invalid report")
        self.errors = errors


class ReportDuplicate(Exception):
    """This form (its one-time ``submission_id``) was already sent: nothing new is made."""


class ReportThrottled(Exception):
    """Too many reports from this client address; ``until``: when it may send again."""

    def __init__(self, until: datetime):
        super().__init__("throttled")
        self.until = until


class ReceiptRefused(Exception):
    """Wrong or unknown code/passphrase (``until`` None) or locked until ``until``."""

    def __init__(self, until: datetime | None = None):
        super().__init__("refused")
        self.until = until


#: Answers shared by the web pages and the app API (kept here so both say the same).
WRONG_TEXT = gettext_lazy("The code or the secret words are not right.")
LOCKED_TEXT = gettext_lazy("Too many wrong attempts: this is locked for a while. Try again "
                           "later or call 111.")
THROTTLED_TEXT = gettext_lazy("Too many reports from this connection. Please wait, or call 111.")
DUPLICATE_TEXT = gettext_lazy("This report was already received (same submission_id).")


@dataclass(frozen=True)
class Submitted:
    receipt: Receipt
    code: str  # display form, ABCDE-FGHJK
    passphrase: str


# ----------------------------------------------------------------------------- secrets


def code_new() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def code_display(code: str) -> str:
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def code_normalize(raw: str | None) -> str:
    """What the reporter typed (any case, spaces, hyphens) → the stored form, or "" when it
    cannot be a code."""
    cleaned = "".join(ch for ch in (raw or "").upper() if ch.isalnum())
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        return ""
    return cleaned


def passphrase_new() -> str:
    return " ".join(secrets.choice(WORDS) for _ in range(PASSPHRASE_WORDS))


def passphrase_normalize(raw: str | None) -> str:
    """Case, accents, hyphens and extra spaces do not matter when typing it back."""
    from tongdai.core.text import fold

    return " ".join("".join(ch if ch.isalnum() else " " for ch in fold(raw or "")).split())


_DUMMY_HASHES: dict[str, str] = {}


def _dummy_hash() -> str:
    """A hash of a random passphrase, made with the current hasher: checked when the code
    does not exist so that the answer takes as long as for a wrong passphrase."""
    algorithm = get_hasher().algorithm
    if algorithm not in _DUMMY_HASHES:
        _DUMMY_HASHES[algorithm] = make_password(passphrase_new())
    return _DUMMY_HASHES[algorithm]


# ----------------------------------------------------------------------------- submit


def _header(data: dict) -> str:
    """The lines a counsellor reads first, in the hotline's language (Vietnamese)."""
    with translation.override(settings.LANGUAGE_CODE):
        lines = []
        if data["urgent"]:
            lines.append(_("[URGENT] The reporter says a child is in danger right now."))
        lines.append(_("Who is affected: %(who)s") % {"who": Affected(data["affected"]).label})
        province = Province.objects.filter(pk=data["province"]).first() if data["province"] else None
        lines.append(_("Province: %(name)s") % {
            "name": province.short_name if province else _("not given")})
        if data["name"] or data["phone"]:
            lines.append(_("Reporter: %(name)s, phone %(phone)s") % {
                "name": data["name"] or "—", "phone": display_phone(data["phone"]) or "—"})
        else:
            lines.append(_("Reporter: anonymous"))
        lines.append(_("Contact: %(how)s") % {
            "how": ContactPreference(data["contact_preference"]).label})
        return "\n".join(lines)


def _subject(provider: str, urgent: bool) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Report from the web form") if provider == Provider.WEB else _(
            "Report from the 111 app")
        return _("URGENT: %(title)s") % {"title": title} if urgent else title


def report_submit(data: dict, *, provider: str, ip: str | None) -> Submitted:
    """Make a report from ``data`` (form fields) sent through ``provider`` (web or app).

    Raises ``ReportThrottled`` when this client address sent too many reports,
    ``ReportInvalid`` with per-field messages, ``ReportDuplicate`` when the same form was
    already sent. Nothing is stored in those cases.
    """
    from tongdai.workspace.routing import route

    until = throttle.locked_until(throttle.reports_per_ip(), ip)
    if until:
        raise ReportThrottled(until)
    form = ReportForm(data)
    if not form.is_valid():
        raise ReportInvalid({name: str(errors[0]) for name, errors in form.errors.items()})
    clean = form.cleaned_data
    submission_id = clean["submission_id"] or None
    if submission_id and Receipt.objects.filter(submission_id=submission_id).exists():
        raise ReportDuplicate()
    passphrase = passphrase_new()
    passphrase_hash = make_password(passphrase)  # slow by design: outside the transaction
    channel = PROVIDER_CHANNEL[provider]
    target = route(channel, clean["province"] or None)
    text = f"{_header(clean)}\n\n{clean['text']}"
    for _attempt in range(5):
        code, now = code_new(), timezone.now()
        try:
            with transaction.atomic():
                conversation = Conversation.objects.create(
                    channel=channel, provider_user_id=f"report:{uuid.uuid4().hex}",
                    centre=target.centre, province_id=clean["province"] or None,
                    overflowed=target.overflowed, subject=_subject(provider, clean["urgent"]),
                    started_at=now, last_message_at=now)
                Message.objects.create(
                    conversation=conversation, provider=provider,
                    provider_message_id=f"in:{uuid.uuid4().hex}", direction=Direction.IN,
                    kind=MessageKind.TEXT, text=text, sent_at=now)
                receipt = Receipt.objects.create(
                    conversation=conversation, code=code, passphrase_hash=passphrase_hash,
                    affected=clean["affected"], urgent=clean["urgent"],
                    contact_preference=clean["contact_preference"],
                    submission_id=submission_id, created_at=now)
        except IntegrityError:
            if submission_id and Receipt.objects.filter(submission_id=submission_id).exists():
                raise ReportDuplicate() from None
            continue  # the random code was taken (about one in 10^14): draw another
        break
    else:  # pragma: no cover — five collisions in a row means the generator is broken
        raise RuntimeError("could not allocate a receipt code")
    throttle.count(throttle.reports_per_ip(), ip)
    return Submitted(receipt=receipt, code=code_display(code), passphrase=passphrase)


# ----------------------------------------------------------------------------- return


def receipt_unlock(code: str, passphrase: str, *, ip: str | None) -> Receipt:
    """The receipt for ``code`` when ``passphrase`` matches; else ``ReceiptRefused``.

    An unknown code and a wrong passphrase are indistinguishable: same exception, a hash
    check either way, and both count as a failure for the typed code and for the client
    address. A locked code or address is refused without checking anything.
    """
    normalized = code_normalize(code)
    typed_code = normalized or "".join((code or "").split()).upper()[:40]
    for limit, value in ((throttle.failures_per_code(), typed_code),
                         (throttle.failures_per_ip(), ip)):
        until = throttle.locked_until(limit, value)
        if until:
            raise ReceiptRefused(until)
    receipt = (Receipt.objects.select_related("conversation").filter(code=normalized).first()
               if normalized else None)
    typed = passphrase_normalize(passphrase)
    matches = check_password(typed, receipt.passphrase_hash if receipt else _dummy_hash())
    if receipt is not None and matches:
        throttle.clear(throttle.failures_per_code(), typed_code)
        return receipt
    locked = throttle.count(throttle.failures_per_code(), typed_code)
    locked = throttle.count(throttle.failures_per_ip(), ip) or locked
    if locked:
        until = max(filter(None, (throttle.locked_until(throttle.failures_per_code(), typed_code),
                                  throttle.locked_until(throttle.failures_per_ip(), ip))),
                    default=None)
        raise ReceiptRefused(until)
    raise ReceiptRefused()


def report_thread(receipt: Receipt) -> list[Message]:
    """What the reporter may read: everything they sent, and the replies already delivered
    (a reply whose delivery is still pending or failed is not shown yet)."""
    return list(receipt.conversation.messages.filter(
        Q(direction=Direction.IN) | Q(direction=Direction.OUT, delivery__status=OutboxStatus.SENT))
        .order_by("sent_at", "pk"))


def report_add(receipt: Receipt, data: dict) -> Message:
    """Add information to a report; a closed conversation goes back to the waiting queue
    of its centre (unassigned) so that a counsellor reads it."""
    form = AddForm(data)
    if not form.is_valid():
        raise ReportInvalid({name: str(errors[0]) for name, errors in form.errors.items()})
    provider = Provider.APP if receipt.conversation.channel == PROVIDER_CHANNEL[Provider.APP] \
        else Provider.WEB
    now = timezone.now()
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=receipt.conversation_id)
        message = Message.objects.create(
            conversation=conversation, provider=provider,
            provider_message_id=f"in:{uuid.uuid4().hex}", direction=Direction.IN,
            kind=MessageKind.TEXT, text=form.cleaned_data["text"], sent_at=now)
        changes = {"last_message_at": now}
        if conversation.status == ConversationStatus.CLOSED:
            changes.update(status=ConversationStatus.WAITING, closed_at=None, assigned_to=None,
                           version=F("version") + 1)
        Conversation.objects.filter(pk=conversation.pk).update(**changes)
    return message


def deliver_stored(message: Message) -> str:
    """Outbox sender for web and app replies: the reply is already stored; delivering it
    makes it readable by the reporter (``report_thread``). Returns a local id."""
    if not Receipt.objects.filter(conversation_id=message.conversation_id).exists():
        raise DeliveryError("no_receipt", retryable=False)
    return f"{message.provider}:{message.pk}"
