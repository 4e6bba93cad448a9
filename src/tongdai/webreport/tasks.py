"""Worker job: forget expired rate-limit counters (they hold HMACs of client addresses)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="7"), name="webreport_throttle_cleanup", expires=600)
def throttle_cleanup() -> int:
    from tongdai.webreport.throttle import cleanup

    return cleanup()
