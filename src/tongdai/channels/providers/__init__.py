"""Senders of outbound replies, one module per messaging provider.

Each module exposes a sender ``fn(message) -> provider message id`` that raises
``tongdai.channels.outbox.DeliveryError`` when the provider refuses or cannot be reached.
``register_all`` (called from the channels app's ``ready``) registers them with the
outbox. A provider whose credentials are not configured still has its sender: it fails
the delivery at once with a clear ``*_not_configured`` code rather than leaving replies
pending forever.
"""

from __future__ import annotations


def register_all() -> None:
    from tongdai.channels.models import Provider
    from tongdai.channels.outbox import register_sender
    from tongdai.channels.providers import messenger, zalo

    register_sender(Provider.ZALO, zalo.zalo_send)
    register_sender(Provider.MESSENGER, messenger.messenger_send)
