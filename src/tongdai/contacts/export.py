"""CSV export of a filtered contact list, for supervisors' quality review and managers.

An export leaves the system, so it carries **no direct identifiers**: no names, phone
numbers or free text (summary, notes, actions). It carries what a reviewer needs to
count and sample — reference, times, centre, channel, kind, topics, urgency, place, the
caller's relation and age band, how many people the contact is about. To read a record
in full, open it on screen, where each view is audited. The rows come from
``contact_search`` (so from ``Contact.objects.visible_to``) and the export itself is
audited with the ids it contained.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from tongdai.accounts.roles import Perm
from tongdai.audit.models import Action
from tongdai.audit.services import audit_record
from tongdai.contacts.services import ContactFilter, ContactForbidden, contact_search
from tongdai.core.spreadsheet import safe_cell

#: Rows in one export; past it, narrow the filters (the file says so in its last row).
EXPORT_LIMIT = 50_000


def _header() -> list[str]:
    return [_("Reference"), _("Received (Asia/Ho_Chi_Minh)"), _("Centre"), _("Channel"),
            _("Status"), _("Kind"), _("Topics"), _("Urgent"), _("Province"), _("Commune"),
            _("Caller relation"), _("Caller age group"), _("People concerned")]


def _rows(qs, limit: int) -> Iterator[tuple[int, list[str]]]:
    tz = timezone.get_default_timezone()
    qs = (qs.select_related("kind", "province", "commune", "caller_relation")
          .prefetch_related("topics").annotate(n_subjects=Count("subjects")))[:limit]
    for c in qs.iterator(chunk_size=2000):
        yield c.pk, [c.reference, timezone.localtime(c.received_at, tz).strftime("%Y-%m-%d %H:%M"),
               c.centre_id, c.channel, c.status, c.kind_id or "",
               " ".join(t.code for t in c.topics.all()), "1" if c.urgent else "0",
               c.province_id or "", c.commune_id or "", c.caller_relation_id or "",
               c.caller_age_group, str(c.n_subjects)]


def contact_export_csv(actor, flt: ContactFilter, *, request=None, via: str = "ui") -> str:
    """The CSV text of the contacts ``actor`` may see that match ``flt`` (UTF-8 with BOM
    so Excel shows Vietnamese correctly). Raises ``ContactForbidden`` for roles that may
    not export and ``ContactInvalid`` for bad filters."""
    if not actor.can(Perm.CONTACT_EXPORT):
        audit_record(actor, Action.DENIED, object_type="contact", request=request, via=via,
                     detail={"attempt": "export"})
        raise ContactForbidden(_("Your role cannot export contacts."))
    qs = contact_search(actor, flt)
    ids: list[int] = []
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(_header())
    for pk, row in _rows(qs, EXPORT_LIMIT + 1):
        if len(ids) == EXPORT_LIMIT:
            writer.writerow([_("Export truncated at %(n)d rows: narrow the filters.") % {"n": EXPORT_LIMIT}])
            break
        ids.append(pk)
        writer.writerow([safe_cell(v) for v in row])
    audit_record(actor, Action.EXPORT, object_type="contact", object_ids=ids, request=request,
                 via=via, detail={"filters": flt.used(), "rows": len(ids), "format": "csv"})
    return out.getvalue()
