"""Jobs of the reports: folding the pending rollup deltas (``tongdai.reports.rollups``).

Run by Huey's consumer (``tongdai serve`` starts it). ``rollups_fold`` is queued by
``rollups.fold_soon`` shortly after contacts are saved; the minute sweep folds whatever
is left (deltas written while the queue was unreachable, or by a process that stopped).
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from tongdai.reports import rollups


@db_task(name="reports_rollups_fold", retries=3, retry_delay=10)
def rollups_fold() -> int:
    return rollups.fold()


@db_periodic_task(crontab(minute="*"), name="reports_rollups_fold_sweep", expires=120)
def rollups_fold_sweep() -> int:
    return rollups.fold()
