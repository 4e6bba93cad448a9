"""Demo data: one account per role, invented contacts, and safe to run again."""

from __future__ import annotations

import datetime
import io
import unicodedata

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from tongdai.accounts.models import Agency, User
from tongdai.accounts.roles import Role
from tongdai.audit.models import Action, AuditEvent
from tongdai.contacts.models import Contact, Status
from tongdai.demo import DEMO_USERS, SEED, _ContactMaker, demo_build, demo_report


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path


def _passwords(path) -> dict[str, str]:
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()
            if not line.startswith("#")]
    return {row[0]: row[3] for row in rows}


def test_demo_creates_one_valid_account_per_role_with_a_working_password(db, data_dir):
    result = demo_build(contacts=0, data_dir=data_dir)
    assert {u.role for u in User.objects.all()} == set(Role.values)
    passwords = _passwords(result.accounts_file)
    for username, *_ in DEMO_USERS:
        user = User.objects.get(username=username)
        user.full_clean(exclude=["password"])  # role and place agree
        assert user.check_password(passwords[username]), username
    assert User.objects.get(username="tuvan.ag").centre_id == "AG"
    officer = User.objects.get(username="congan.laocai")
    assert (officer.agency.name, officer.agency.type, officer.agency.province_id) == (
        "Công an tỉnh Lào Cai", "police", "15")
    assert User.objects.get(username="canbo.xa").commune.province_id == "01"
    assert AuditEvent.objects.filter(action=Action.USER_CREATE, via="cli").count() == len(DEMO_USERS)


def test_demo_passwords_are_kept_private_and_printed(db, data_dir):
    result = demo_build(contacts=0, data_dir=data_dir)
    assert result.accounts_file.stat().st_mode & 0o777 == 0o600
    report = demo_report(result)
    for account in result.accounts:
        assert account.username in report and account.password in report


def test_running_demo_again_duplicates_nothing_and_keeps_passwords(db, data_dir):
    first = demo_build(contacts=30, data_dir=data_dir)
    hashes = dict(User.objects.values_list("username", "password"))
    contacts = Contact.objects.count()
    second = demo_build(contacts=30, data_dir=data_dir)
    assert second.contacts_created == 0
    assert Contact.objects.count() == contacts
    assert dict(User.objects.values_list("username", "password")) == hashes
    assert Agency.objects.filter(name="Công an tỉnh Lào Cai").count() == 1
    assert [a.password for a in second.accounts] == [a.password for a in first.accounts]
    assert not any(a.created for a in second.accounts)


def test_demo_never_resets_a_password_someone_changed(db, data_dir):
    demo_build(contacts=0, data_dir=data_dir)
    user = User.objects.get(username="quantri")
    user.set_password("Doi-mat-khau-moi-2026")
    user.save()
    demo_build(contacts=0, data_dir=data_dir)
    user.refresh_from_db()
    assert user.check_password("Doi-mat-khau-moi-2026")


def test_demo_contacts_look_like_a_quarter_at_the_hotline(db, data_dir):
    result = demo_build(data_dir=data_dir)
    contacts = Contact.objects.all()
    assert result.contacts_created == contacts.count() >= 200
    assert set(contacts.values_list("centre_id", flat=True)) == {"HN", "DN", "AG"}
    oldest = contacts.order_by("received_at").first().received_at
    assert timezone.now() - oldest <= datetime.timedelta(days=91)
    assert contacts.filter(urgent=True).exists()
    assert contacts.filter(caller_anonymous=True).exists()
    assert contacts.filter(status=Status.DRAFT).exists()
    assert len(set(contacts.values_list("kind_id", flat=True))) >= 10
    assert len(set(contacts.values_list("channel", flat=True))) >= 5
    repeat = (contacts.exclude(caller_phone="").values("caller_phone")
              .annotate(n=Count("id")).filter(n__gt=1))
    assert repeat.exists()
    named = contacts.exclude(caller_name="").values_list("caller_name", flat=True)
    # Vietnamese names with their diacritics, not ASCII stand-ins.
    assert any(unicodedata.normalize("NFD", n) != n for n in named)
    assert contacts.filter(commune__isnull=False).exists()
    # Written through the domain service, so audited like any other contact.
    assert AuditEvent.objects.filter(action=Action.CREATE, object_type="contact",
                                     via="cli").count() == contacts.count()


def test_demo_contacts_are_reproducible_from_the_seed(db):
    now = timezone.now()
    first, second = _ContactMaker(SEED, now), _ContactMaker(SEED, now)
    assert [first.contact("HN") for _ in range(20)] == [second.contact("HN") for _ in range(20)]
    other = _ContactMaker(SEED + 1, now)
    assert [other.contact("HN") for _ in range(20)] != [_ContactMaker(SEED, now).contact("HN")
                                                          for _ in range(20)]


def test_demo_command_prints_accounts_and_then_says_contacts_exist(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    out = io.StringIO()
    call_command("demo", "--contacts", "5", stdout=out)
    assert "tuvan.hn" in out.getvalue() and "Recorded 8 demo contacts" in out.getvalue()
    out = io.StringIO()
    call_command("demo", "--contacts", "5", stdout=out)
    assert "already present (8)" in out.getvalue()
    assert (tmp_path / "demo-accounts.txt").exists()
