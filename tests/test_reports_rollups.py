"""The daily contact-count rollups behind the reports: kept by the contact services on
every create, completion and edit, and rebuilt from the contacts table by ``tongdai
rollups rebuild`` to exactly the same rows."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command

from tests.support.reports import JUNE, at, build
from tongdai.contacts.models import Contact
from tongdai.contacts.services import contact_update
from tongdai.reports import rollups
from tongdai.reports.models import ContactDayCount, ContactDayDelta
from tongdai.reports.rollups import computed_rows, contact_stat_keys, fold, rebuild, stored_rows
from tongdai.reports.services import report_summary

pytestmark = pytest.mark.django_db

JUNE_5 = datetime.date(2026, 6, 5)


@pytest.fixture(autouse=True)
def _in_july():
    with time_machine.travel(at(7, 2, 9), tick=False):
        yield


def _rows(centre="HN", day=JUNE_5) -> dict[tuple[str, str], int]:
    """What the rollups count for the centre and day (counter rows plus pending deltas)."""
    return {(dim, key): n for (d, c, dim, key), n in stored_rows(day, day).items() if c == centre}


def _create(make_contact, user, when=None, **overrides):
    when = when or at(6, 5)
    with time_machine.travel(when + datetime.timedelta(minutes=20), tick=False):
        return make_contact(user, received_at=when.isoformat(), **overrides)


def test_a_completed_contact_counts_under_each_of_its_keys(people, make_contact):
    c = _create(make_contact, people.hn, kind="report",
                topics=["violence_physical", "violence_sexual", "family"])
    assert contact_stat_keys(c) == {
        ("total", ""), ("kind", "report"), ("channel", "phone_111"),
        ("relation", "neighbour_witness"), ("province", "01"), ("region", "RRD"),
        ("topic", "violence_physical"), ("topic", "violence_sexual"), ("topic", "violence"),
        ("topic", "family")}
    # Two subcategories of one category count the category once.
    assert _rows() == {key: 1 for key in contact_stat_keys(c)}


def test_a_draft_counts_nowhere_until_completed(people, make_contact):
    d = _create(make_contact, people.hn, status="draft", kind="information", topics=["family"])
    assert not ContactDayCount.objects.exists() and not ContactDayDelta.objects.exists()
    with time_machine.travel(at(6, 5, 11), tick=False):
        contact_update(people.hn, d.pk, {"status": "completed"}, via="test")
    assert _rows()[("kind", "information")] == 1 and _rows()[("total", "")] == 1
    assert stored_rows() == computed_rows()


def test_a_reclassified_contact_moves_in_the_rollup(people, make_contact):
    c = _create(make_contact, people.hn, kind="report", topics=["violence_sexual"])
    other = _create(make_contact, people.hn, kind="report", topics=["violence_physical"])
    with time_machine.travel(at(6, 25), tick=False):
        contact_update(people.hn, c.pk, {
            "kind": "referral", "topics": ["trafficking_sexual"],
            "subjects": [{"name": "Trẻ C", "age": 12, "province": "15"}],
            "caller": {"relation": "relative_friend", "anonymous": True, "province": "15"}}, via="test")
    rows = _rows()
    assert rows[("total", "")] == 2
    assert rows[("kind", "report")] == 1 and rows[("kind", "referral")] == 1
    assert ("topic", "violence_sexual") not in rows  # zero rows are removed
    assert rows[("topic", "violence")] == 1 and rows[("topic", "trafficking")] == 1
    assert rows[("province", "01")] == 1 and rows[("province", "15")] == 1
    assert rows[("region", "RRD")] == 1 and rows[("region", "NE")] == 1
    assert rows[("relation", "neighbour_witness")] == 1 and rows[("relation", "relative_friend")] == 1
    assert stored_rows() == computed_rows()
    s = report_summary(people.analyst, *JUNE)
    assert s["by_kind"]["report"] == 1 and s["by_topic"]["violence_sexual"] == 0
    assert s["by_province"]["15"] == 1 and other.pk != c.pk


def test_a_contact_edited_twice_moves_day_and_centre_counts(people, make_contact):
    c = _create(make_contact, people.hn, kind="information", topics=["family"])
    with time_machine.travel(at(6, 26), tick=False):
        contact_update(people.hn, c.pk, {"topics": ["family_parenting", "violence_bullying"]}, via="test")
    with time_machine.travel(at(6, 27), tick=False):
        # A received time corrected across local midnight moves it to the previous day.
        contact_update(people.hn, c.pk, {"received_at": at(6, 4, 23, 50).isoformat(),
                                         "channel": "zalo"}, via="test")
    assert _rows() == {}
    rows = _rows(day=datetime.date(2026, 6, 4))
    assert rows[("channel", "zalo")] == 1 and ("channel", "phone_111") not in rows
    assert rows[("topic", "family")] == rows[("topic", "family_parenting")] == 1
    assert rows[("topic", "violence")] == rows[("topic", "violence_bullying")] == 1
    assert stored_rows() == computed_rows()
    c.refresh_from_db()
    assert c.version == 3


def test_an_edit_that_changes_no_statistic_leaves_the_rows(people, make_contact):
    c = _create(make_contact, people.hn)
    before = stored_rows()
    with time_machine.travel(at(6, 26), tick=False):
        contact_update(people.hn, c.pk, {"summary": "Đã gọi lại, trẻ an toàn."}, via="test")
    assert stored_rows() == before


def test_rebuild_gives_the_same_table_as_incremental_maintenance(people):
    build(people)
    incremental = stored_rows()
    assert incremental and incremental == computed_rows()
    # Every dimension is present, for both centres.
    assert {row[2] for row in incremental} == {"total", "kind", "topic", "channel", "region",
                                              "province", "relation"}
    assert {row[1] for row in incremental} == {"HN", "AG"}
    assert rebuild() == len(incremental)
    assert stored_rows() == incremental
    s = report_summary(people.analyst, *JUNE)
    assert s["total"] == 8 and s["by_province"]["51"] == 1 and s["by_region"]["CH"] == 1


def test_the_command_rebuilds_a_day_range_and_checks(people, make_contact):
    c = _create(make_contact, people.hn, kind="report")
    kept = _create(make_contact, people.hn, when=at(6, 20), kind="report")
    # A bulk write that bypasses the services (an import, a manual fix) leaves them stale.
    Contact.objects.filter(pk__in=[c.pk, kept.pk]).update(channel="zalo")
    with pytest.raises(CommandError, match="4 rollup rows differ"):
        call_command("rollups", "check", stdout=io.StringIO())
    out = io.StringIO()
    call_command("rollups", "rebuild", "--from", "2026-06-05", "--to", "2026-06-05", stdout=out)
    assert "Rebuilt 8 rollup rows" in out.getvalue()
    assert _rows()[("channel", "zalo")] == 1
    assert _rows(day=datetime.date(2026, 6, 20))[("channel", "phone_111")] == 1  # outside the range
    with pytest.raises(CommandError, match="2026-06-20 to 2026-06-20"):
        call_command("rollups", "check", "--from", "2026-06-01", stdout=io.StringIO())
    call_command("rollups", "rebuild", stdout=io.StringIO())
    out = io.StringIO()
    call_command("rollups", "check", stdout=out)
    assert "are correct" in out.getvalue()


@pytest.mark.parametrize("args", [["rebuild", "--from", "5/6/2026"],
                                  ["rebuild", "--from", "2026-06-30", "--to", "2026-06-01"]])
def test_the_command_refuses_bad_dates(args):
    with pytest.raises(CommandError):
        call_command("rollups", *args, stdout=io.StringIO())


def test_generated_data_leaves_rollups_that_match_the_contacts(people, make_contact):
    from tongdai.scale.generate import generate

    generate(400, seed=5, years=2, batch=150)
    rows = stored_rows()
    assert rows and rows == computed_rows()
    # Legacy-unit-only and abroad contacts are among them, and counted as the report does.
    legacy = Contact.objects.filter(province__isnull=True, legacy_province__isnull=False).first()
    assert legacy is not None
    assert ("province", legacy.legacy_province.current_id) in contact_stat_keys(legacy)
    assert ("region", legacy.legacy_province.region_id) in contact_stat_keys(legacy)
    # A total independent of the rollup rules: the contacts received in a local year.
    year = datetime.date.today().year - 1
    period = (datetime.date(year, 1, 1), datetime.date(year, 12, 31))
    received = Contact.objects.filter(received_at__gte=at(1, 1, 0).replace(year=year),
                                      received_at__lt=at(1, 1, 0).replace(year=year + 1))
    s = report_summary(people.analyst, *period)
    assert s["total"] == received.count() > 0
    assert sum(s["by_province"].values()) == sum(s["by_region"].values()) == s["total"]
    assert s["by_centre"] == {c: received.filter(centre_id=c).count() for c in s["by_centre"]}


# --------------------------------------------------------------------------- pending deltas


def _counter_rows() -> dict:
    return {(r.day, r.centre_id, r.dimension, r.key): r.count for r in ContactDayCount.objects.all()}


def test_a_save_writes_deltas_that_fold_into_the_counter_rows(people, make_contact):
    c = _create(make_contact, people.hn, kind="report", topics=["violence_physical"])
    # The save only inserted deltas: no counter row was touched (no wait on other savers).
    assert not ContactDayCount.objects.exists()
    assert ContactDayDelta.objects.filter(delta=1).count() == len(contact_stat_keys(c))
    before = report_summary(people.analyst, *JUNE)
    assert before["total"] == 1 and before["by_topic"]["violence"] == 1
    assert fold() == len(contact_stat_keys(c))
    assert not ContactDayDelta.objects.exists()
    assert _counter_rows() == stored_rows() == computed_rows()
    assert report_summary(people.analyst, *JUNE) == before
    # A reclassification after the fold writes −1/+1 deltas; folded, the emptied rows go.
    with time_machine.travel(at(6, 25), tick=False):
        contact_update(people.hn, c.pk, {"kind": "information"}, via="test")
    assert stored_rows() == computed_rows() and report_summary(people.analyst, *JUNE)["by_kind"]["report"] == 0
    assert fold() == 2
    assert _counter_rows() == computed_rows()
    assert not ContactDayCount.objects.filter(dimension="kind", key="report").exists()


def test_deltas_are_counted_with_the_rows_in_every_figure(people, make_contact):
    _create(make_contact, people.hn, kind="report")
    fold()
    _create(make_contact, people.hn, kind="report")          # folded and pending rows add up
    _create(make_contact, people.ag, when=at(6, 6), kind="information")
    s = report_summary(people.analyst, *JUNE)
    assert s["total"] == 3 and s["by_kind"]["report"] == 2 and s["by_centre"]["HN"] == 2
    from tongdai.reports.services import Period, contact_total, trend

    june = Period(*JUNE)
    assert contact_total("HN", june) == 2 and contact_total(None, june) == 3
    days = dict(trend(None, june, "day"))
    assert days["2026-06-05"] == 2 and days["2026-06-06"] == 1


def test_the_fold_is_queued_after_commit(people, make_contact, django_capture_on_commit_callbacks):
    from huey.contrib.djhuey import HUEY

    rollups._last_fold_request[0] = 0.0
    was, HUEY.immediate = HUEY.immediate, True
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            _create(make_contact, people.hn, kind="report")
        assert len(callbacks) == 1
    finally:
        HUEY.immediate = was
    assert not ContactDayDelta.objects.exists()
    assert _counter_rows() == computed_rows() and _rows()[("kind", "report")] == 1
    # Within a second of that request, another save does not queue a second fold.
    with django_capture_on_commit_callbacks(execute=True):
        _create(make_contact, people.hn, kind="report")
    assert ContactDayDelta.objects.exists()


def test_rebuild_replaces_the_pending_deltas_of_its_range_only(people, make_contact):
    c = _create(make_contact, people.hn, kind="report")
    _create(make_contact, people.hn, when=at(6, 20), kind="report")
    assert rebuild(JUNE_5, JUNE_5) == len(contact_stat_keys(c))
    assert not ContactDayDelta.objects.filter(day=JUNE_5).exists()
    assert ContactDayDelta.objects.filter(day=datetime.date(2026, 6, 20)).exists()
    assert stored_rows() == computed_rows()


def test_a_fold_claims_its_deltas_in_batches(people, make_contact):
    for day in (5, 6, 7):
        for _ in range(3):
            _create(make_contact, people.hn, when=at(6, day), kind="report")
    pending = ContactDayDelta.objects.count()
    # Batches of 7 deltas: a (day, key) pair split across two batches still adds up.
    assert fold(limit=7) == pending
    assert not ContactDayDelta.objects.exists()
    assert _counter_rows() == computed_rows()
    assert _rows()[("total", "")] == 3
    assert fold() == 0
