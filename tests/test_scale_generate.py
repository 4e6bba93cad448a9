"""The benchmark data generator: valid rows that the app's own services read correctly."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from tongdai.accounts.models import Centre, User
from tongdai.cases.models import Case, CaseContact, CasePerson, CaseSequence
from tongdai.cases.services import case_open
from tongdai.contacts.models import Contact, ContactTopic, Status, Subject
from tongdai.contacts.services import (
    ContactFilter,
    _refresh_derived,
    caller_history,
    contact_search,
    contact_update,
)
from tongdai.core.phones import normalize_phone
from tongdai.core.text import fold
from tongdai.geo.models import Commune, LegacyProvince
from tongdai.referrals.models import Referral, ReferralStep
from tongdai.reports.services import report_summary
from tongdai.scale.generate import GEN_PREFIX, GenerateRefused, generate

N = 1500


@pytest.fixture
def generated(people):
    result = generate(N, seed=7, years=3, batch=400)
    return result


def test_counts_and_references(generated):
    assert generated.contacts == N
    assert Contact.objects.count() == N
    assert Contact.objects.filter(status=Status.COMPLETED).count() == N
    assert Subject.objects.count() == generated.subjects > 0
    assert ContactTopic.objects.count() == generated.topics > 0
    assert Case.objects.count() == generated.cases > 0
    assert Referral.objects.count() == generated.referrals > 0
    assert CaseContact.objects.count() == generated.cases
    assert ReferralStep.objects.filter(status="sent").count() == generated.referrals
    # Every reference resolves (the load runs without per-row FK triggers on PostgreSQL).
    with connection.cursor() as cursor:
        for sql in (
            "SELECT COUNT(*) FROM contacts_contact c LEFT JOIN accounts_user u ON u.id = c.counsellor_id WHERE u.id IS NULL",
            "SELECT COUNT(*) FROM contacts_contact c LEFT JOIN taxonomy_contactkind k ON k.code = c.kind_id WHERE k.code IS NULL",
            "SELECT COUNT(*) FROM contacts_contacttopic t LEFT JOIN contacts_contact c ON c.id = t.contact_id WHERE c.id IS NULL",
            "SELECT COUNT(*) FROM contacts_contacttopic t LEFT JOIN taxonomy_topic p ON p.code = t.topic_id WHERE p.code IS NULL",
            "SELECT COUNT(*) FROM contacts_subject s LEFT JOIN contacts_contact c ON c.id = s.contact_id WHERE c.id IS NULL",
            "SELECT COUNT(*) FROM cases_caseperson p LEFT JOIN contacts_subject s ON s.id = p.subject_id WHERE s.id IS NULL",
            "SELECT COUNT(*) FROM referrals_referral r LEFT JOIN accounts_agency a ON a.id = r.agency_id WHERE a.id IS NULL",
        ):
            cursor.execute(sql)
            assert cursor.fetchone()[0] == 0, sql


def test_rows_follow_the_app_rules(generated):
    contacts = list(Contact.objects.prefetch_related("subjects").order_by("pk")[:400])
    for c in contacts:
        before = (c.search_text, c.province_id, c.commune_id)
        _refresh_derived(c)  # the contact service's own rule
        assert (c.search_text, c.province_id, c.commune_id) == before
        if c.caller_phone:
            assert normalize_phone(c.caller_phone) == c.caller_phone
        assert c.received_at <= c.answered_at <= c.ended_at
        if c.commune_id:
            assert Commune.objects.get(pk=c.commune_id).province_id == c.province_id
        assert c.centre_id in {"HN", "DN", "AG"}
        assert c.counsellor.username.startswith(GEN_PREFIX)
        if c.kind.substantive:
            assert c.topics.exists()
        if c.caller_anonymous:
            assert c.caller_name == ""
    names = [c.caller_name for c in contacts if c.caller_name]
    assert names and any(fold(n) != n.lower() for n in names)  # Vietnamese diacritics
    # Routing: the centre serves the contact's province.
    served = {p: centre.code for centre in Centre.objects.prefetch_related("provinces")
              for p in centre.provinces.values_list("code", flat=True)}
    for c in Contact.objects.exclude(province__isnull=True)[:300]:
        assert served.get(c.province_id, c.centre_id) == c.centre_id
    # Legacy records carry only the legacy unit, and only before the 2025 reform.
    legacy = Contact.objects.filter(legacy_province__isnull=False)
    assert legacy.exists()
    reform = datetime.datetime(2025, 7, 1, tzinfo=timezone.get_default_timezone())
    assert not legacy.filter(received_at__gte=reform).exists()
    assert not legacy.filter(province__isnull=False).exists()
    assert LegacyProvince.objects.filter(pk__in=legacy.values("legacy_province_id")).exists()
    # Written in time order, as a live system records them: ids follow received_at.
    by_id = list(Contact.objects.order_by("pk").values_list("received_at", flat=True))
    assert by_id == sorted(by_id)
    # Repeat callers: some numbers call several times.
    from django.db.models import Count

    repeats = (Contact.objects.exclude(caller_phone="").values("caller_phone")
               .annotate(n=Count("id")).filter(n__gt=2))
    assert repeats.exists()


def test_search_and_caller_history_find_generated_contacts(generated, people):
    hn = User.objects.get(username=f"{GEN_PREFIX}hn.c01")
    target = (Contact.objects.filter(centre_id="HN").exclude(caller_name="").exclude(caller_phone="")
              .order_by("pk").first())
    # Without accents, as a counsellor types it.
    found = contact_search(hn, ContactFilter(q=fold(target.caller_name)))
    assert target in found
    history = [item.pk for item in caller_history(hn, target.caller_phone)]
    expected = list(Contact.objects.filter(centre_id="HN", caller_phone=target.caller_phone)
                    .order_by("-received_at", "-id").values_list("pk", flat=True)[:10])
    assert history == expected
    assert target.pk in history or len(expected) == 10


def test_reports_read_generated_data_and_follow_reclassification(generated, people):
    first = timezone.localdate() - datetime.timedelta(days=4 * 366)
    last = timezone.localdate()
    summary = report_summary(people.admin, first, last)
    assert summary["total"] == N
    assert sum(summary["by_region"].values()) == N
    assert sum(summary["by_kind"].values()) == N
    assert summary["referral_cases"] > 0
    # A generated contact reclassified through the service counts under its new kind.
    contact = Contact.objects.filter(kind_id="information", centre_id="HN").first()
    manager = User.objects.get(username=f"{GEN_PREFIX}hn.cm")
    before = summary["by_kind"]
    contact_update(people.hn_super, contact.pk, {"kind": "counselling_policy", "topics": ["family_divorce"]})
    after = report_summary(people.admin, first, last)["by_kind"]
    assert after["information"] == before["information"] - 1
    assert after["counselling_policy"] == before["counselling_policy"] + 1
    assert manager.role == "case_manager"


def test_case_numbers_continue_after_generation(generated, people):
    year = timezone.localdate().year
    last = CaseSequence.objects.filter(centre_id="HN", year=year).values_list("last", flat=True).first() or 0
    contact = Contact.objects.filter(centre_id="HN").first()
    case = case_open(people.hn_casemgr, [contact.pk], "child_protection")
    assert case.number == f"HN-{year}-{last + 1:06d}"
    assert CasePerson.objects.filter(case__in=Case.objects.filter(opened_by__username__startswith=GEN_PREFIX)).exists()


def test_refuses_real_data_unless_forced(people, make_contact):
    make_contact(people.hn)
    with pytest.raises(GenerateRefused):
        generate(10, seed=1)
    assert Contact.objects.count() == 1
    generate(10, seed=1, force=True)
    assert Contact.objects.count() == 11


def test_bulk_path_drops_and_rebuilds_indexes(people):
    def index_names():
        with connection.cursor() as cursor:
            return {i.name if hasattr(i, "name") else i for i in
                    connection.introspection.get_constraints(cursor, "contacts_contact")}

    before = index_names()
    result = generate(200, seed=2, rebuild_indexes=True, batch=100)
    assert result.rebuilt_indexes
    assert index_names() == before
    assert Contact.objects.count() == 200


def test_command(people, capsys):
    call_command("generate", contacts=30, seed=5, years=1)
    assert Contact.objects.count() == 30
    with pytest.raises(CommandError):
        call_command("generate", contacts=0)


def test_bench_reads_runs_app_and_raw_sql_on_a_generated_database(generated, people, make_contact):
    """``tongdai bench reads`` end to end without the HTTP part: every app measure and its
    hand-written SQL twin run on this database (PostgreSQL and SQLite alike)."""
    import io

    from tongdai.reports.models import ContactDayDelta
    from tongdai.scale.bench import run_reads

    make_contact(people.hn)  # leaves pending rollup deltas: the benchmark folds them first
    assert ContactDayDelta.objects.exists()
    out = io.StringIO()
    assert run_reads({"iterations": 4, "report_iterations": 1, "seed": 1, "skip_create": True}, out) == 0
    text = out.getvalue()
    assert "Folded" in text and not ContactDayDelta.objects.exists()
    for measure in ("caller history by phone", "text search", "filtered contact list", "case list",
                    "yearly standard report", "dashboard (30 days, centre HN)", "dashboard (30 days, national)"):
        assert measure in text
