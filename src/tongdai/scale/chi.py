"""Child Helpline International (CHI) annual data-framework figures for one year.

CHI asks its members every year for the contacts they received, broken down by how they
came in, who got in touch, the child's gender and age, and the reasons for contact (the
CHI categories our topic taxonomy is built on, see ``docs/domain.md``). This module maps
our records onto those breakdowns. The mapping, and what cannot be mapped, is documented
in ``docs/performance.md`` ("CHI data-framework export") and below.

- **Contacts**: completed contacts received in the year (Asia/Ho_Chi_Minh), as the
  standard report counts them; split into counselling contacts (substantive kinds) and
  other contacts (silent, hang-up, prank, abusive, wrong number, thanks, test).
- **Mode of contact**: phone (111, 18001567); chat/messaging (Zalo, Facebook Messenger,
  the 111 app); web form; e-mail; walk-in; other (press / social media reports picked up
  by the hotline: CHI has no such mode).
- **Who contacted**: child or young person (caller relation ``child_self``, or
  ``victim_self`` under 18 or of unknown age); adult on behalf of a child (parent,
  relative/friend, teacher, neighbour/witness, official, other); unknown (anonymous, or no
  relation recorded).
- **Gender and age** of the child the contact is about: the first subject, else the
  caller. Girl / boy / other / unknown. Age bands 0–6, 7–9, 10–12, 13–15, 16–17, 18+ and
  unknown; 7–9 and 10–12 come from the exact age; when only the ``7_12`` band was recorded
  the contact goes to ``7-12 (not split)`` — CHI's split cannot be recovered.
- **Reasons for contact** (a contact with topics in several categories counts once in
  each; counselling contacts only): ``REASONS`` maps each topic; the anti-trafficking
  branch is reported under violence (commercial exploitation / trafficking); **safe
  migration** has no CHI category and is reported as ``other (not in CHI framework)``.

Not mappable: CHI's interventions/referrals breakdown by service type (our referrals go to
agencies, not to CHI's service list), contact duration bands for non-phone modes, the
caller's disability, migrant/refugee status and the LGBTQI+ categories (not recorded).
"""

from __future__ import annotations

import csv
import datetime
import io
from collections import Counter

from django.utils import translation
from django.utils.translation import gettext as _

from tongdai.contacts.models import Contact, ContactTopic, Status, Subject
from tongdai.core.spreadsheet import safe_cell
from tongdai.reports.services import Period, ReportForbidden, report_centre
from tongdai.taxonomy.models import ContactKind, Topic

MODES = {"phone_111": "phone", "phone_18001567": "phone", "zalo": "chat_messaging",
         "facebook": "chat_messaging", "app": "chat_messaging", "web": "web", "email": "email",
         "walk_in": "walk_in", "media": "other"}
ADULT_RELATIONS = {"parent", "relative_friend", "teacher", "neighbour_witness", "official", "other"}
GENDERS = {"female": "girl", "male": "boy", "other": "other", "unknown": "unknown"}
#: Our topic (or topic category) → CHI reason for contact.
REASONS = {
    "missing": "missing_children",
    "violence": "abuse_violence",
    "violence_physical": "abuse_violence:physical",
    "violence_sexual": "abuse_violence:sexual",
    "violence_psychological": "abuse_violence:emotional_psychological",
    "violence_neglect": "abuse_violence:neglect",
    "violence_bullying": "abuse_violence:bullying",
    "violence_child_labour": "abuse_violence:child_labour",
    "violence_child_marriage": "abuse_violence:child_early_forced_marriage",
    "violence_cse": "abuse_violence:commercial_sexual_exploitation",
    "violence_online": "abuse_violence:online_sexual_abuse_exploitation",
    "trafficking": "abuse_violence:trafficking",
    "mental_health": "mental_health",
    "physical_health": "physical_health",
    "access_services": "access_to_services",
    "discrimination": "discrimination",
    "family": "family_relationships",
    "peers": "peer_relationships",
    "education_work": "education_work",
    "sexuality": "sexuality",
    "safe_migration": "other_not_in_chi",
}
AGE_BANDS = ["0-6", "7-9", "10-12", "7-12 (not split)", "13-15", "16-17", "18+", "unknown"]
BAND_OF_GROUP = {"0_6": "0-6", "7_12": "7-12 (not split)", "13_15": "13-15", "16_17": "16-17",
                 "18_24": "18+", "25_59": "18+", "60_plus": "18+", "unknown": "unknown"}


def _age_band(age: int | None, group: str) -> str:
    if age is None:
        return BAND_OF_GROUP.get(group, "unknown")
    for upper, band in ((6, "0-6"), (9, "7-9"), (12, "10-12"), (15, "13-15"), (17, "16-17")):
        if age <= upper:
            return band
    return "18+"


def _reason(topic: str, parent: str | None) -> str:
    if topic in REASONS and (parent is None or parent not in ("trafficking", "safe_migration")):
        return REASONS[topic]
    return REASONS.get(parent or "", "other_not_in_chi")


def chi_figures(actor, year: int, centre: str | None = None) -> dict[str, dict[str, int]]:
    """``{section: {code: count}}`` for ``year``, within ``actor``'s report reach
    (``ReportForbidden`` / ``ReportInvalid`` as for the standard report)."""
    centre = report_centre(actor, centre)
    period = Period(datetime.date(year, 1, 1), datetime.date(year, 12, 31))
    start, end = period.start, period.end
    contacts = Contact.objects.filter(status=Status.COMPLETED, received_at__gte=start, received_at__lt=end)
    if centre:
        contacts = contacts.filter(centre_id=centre)
    substantive = set(ContactKind.objects.filter(group="substantive").values_list("code", flat=True))
    parent = dict(Topic.objects.values_list("code", "parent_id"))
    subjects = {cid: (sex, age, group) for cid, sex, age, group in
                Subject.objects.filter(contact__in=contacts.values("pk"), position=0)
                .values_list("contact_id", "sex", "age", "age_group").iterator(chunk_size=20_000)}
    counts = {name: Counter() for name in ("contacts", "mode", "who", "gender", "age", "reason")}
    for pk, kind, channel, relation, sex, age, group in (
            contacts.order_by().values_list("pk", "kind_id", "channel", "caller_relation_id",
                                            "caller_sex", "caller_age", "caller_age_group")
            .iterator(chunk_size=20_000)):
        counts["contacts"]["total"] += 1
        counselling = kind in substantive
        counts["contacts"]["counselling" if counselling else "other_contacts"] += 1
        counts["mode"][MODES.get(channel, "other")] += 1
        if relation == "child_self" or (relation == "victim_self" and (age is None or age < 18)):
            who = "child"
        elif relation in ADULT_RELATIONS or relation == "victim_self":
            who = "adult"
        else:
            who = "unknown"
        counts["who"][who] += 1
        if pk in subjects:
            sex, age, group = subjects[pk]
        counts["gender"][GENDERS.get(sex, "unknown")] += 1
        counts["age"][_age_band(age, group)] += 1
    reasons = Counter()
    tagged = (ContactTopic.objects.filter(contact__in=contacts.filter(kind_id__in=substantive).values("pk"))
              .order_by().values_list("contact_id", "topic_id").iterator(chunk_size=20_000))
    seen: set[tuple[int, str]] = set()
    for contact_id, topic in tagged:
        reason = _reason(topic, parent.get(topic))
        main = reason.split(":")[0]
        for key in {reason, main}:
            if (contact_id, key) not in seen:
                seen.add((contact_id, key))
                reasons[key] += 1
    counts["reason"] = reasons
    ordered = {
        "contacts": ["total", "counselling", "other_contacts"],
        "mode": ["phone", "chat_messaging", "web", "email", "walk_in", "other"],
        "who": ["child", "adult", "unknown"],
        "gender": ["girl", "boy", "other", "unknown"],
        "age": AGE_BANDS,
        "reason": sorted(set(REASONS.values()) | {r.split(":")[0] for r in REASONS.values()}),
    }
    return {section: {key: counts[section].get(key, 0) for key in keys} for section, keys in ordered.items()}


SECTION_TITLES = {
    "contacts": "Contacts", "mode": "Mode of contact", "who": "Who contacted",
    "gender": "Gender of the child", "age": "Age of the child", "reason": "Reasons for contact",
}


def chi_rows(figures: dict[str, dict[str, int]]) -> list[tuple[str, str, int]]:
    return [(section, key, n) for section, values in figures.items() for key, n in values.items()]


def chi_csv(figures: dict, year: int) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([safe_cell(f"# Child Helpline International data framework figures, {year}")])
    writer.writerow(["section", "code", "count"])
    for section, key, n in chi_rows(figures):
        writer.writerow([safe_cell(section), safe_cell(key), n])
    return out.getvalue().encode("utf-8")


def chi_xlsx(figures: dict, year: int) -> bytes:
    from openpyxl import Workbook

    with translation.override("vi"):
        book = Workbook()
        sheet = book.active
        sheet.title = f"CHI {year}"
        sheet.append([safe_cell(_("Child Helpline International figures, %(year)s") % {"year": year})])
        for section, values in figures.items():
            sheet.append([])
            sheet.append([safe_cell(section), safe_cell(SECTION_TITLES[section])])
            for key, n in values.items():
                sheet.append([safe_cell(key), n])
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()


FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def chi_export(actor, year: int, fmt: str, *, centre: str | None = None, request=None,
               via: str = "ui") -> tuple[bytes, str, str]:
    """(file, file name, content type) of the CHI figures for ``year``, audited: the
    export with the centre it covers (``None``: national), or the refusal
    (``ReportForbidden``, recorded here for the web page and the command alike)."""
    from tongdai.audit.models import Action
    from tongdai.audit.services import audit_record

    if fmt not in FORMATS:
        raise ValueError(fmt)
    try:
        covered = report_centre(actor, centre)
    except ReportForbidden:
        audit_record(actor, Action.DENIED, object_type="chi_figures", request=request, via=via,
                     detail={"attempt": "chi_export", "year": year, "centre": centre})
        raise
    figures = chi_figures(actor, year, covered)
    data = chi_csv(figures, year) if fmt == "csv" else chi_xlsx(figures, year)
    audit_record(actor, Action.EXPORT, object_type="chi_figures", request=request, via=via,
                 detail={"year": year, "centre": covered, "format": fmt})
    return data, f"tongdai-chi-{year}.{fmt}", FORMATS[fmt]
