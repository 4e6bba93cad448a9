"""The deadline sweep: escalate overdue legal deadlines (thin and idempotent).

Every 5 minutes: an open deadline past due goes to level 1 (the case's supervisors, or a
kind-specific recipient such as the working-group member for ``referral_ack``); still
open ``TONGDAI_ESCALATION_LEVEL2_HOURS`` after that, to level 2 (the centre managers).
Each step is a conditional UPDATE, so a second run or a concurrent worker never notifies
twice (see ``deadlines.services.deadline_escalate``).
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from tongdai.deadlines.services import deadlines_escalate_due

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/5"), name="deadlines_escalate", expires=300)
def deadlines_escalate() -> None:
    escalated = deadlines_escalate_due()
    if escalated:
        logger.info("deadlines escalated: %d", escalated)
