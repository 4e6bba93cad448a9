"""Worker job of the e-mail channel: poll the hotline mailbox every
``TONGDAI_IMAP_POLL_MINUTES`` (default every minute). Does nothing when ``TONGDAI_IMAP_URL``
is not set. Overlapping polls are harmless: the inbox stores each mail once."""

from __future__ import annotations

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute=f"*/{settings.TONGDAI_IMAP_POLL_MINUTES}"),
                  name="channels_mailbox_poll", expires=120)
def mailbox_poll_job() -> int:
    from tongdai.channels.email_imap import mailbox_poll

    if not settings.TONGDAI_IMAP:
        return 0
    return mailbox_poll().accepted
