"""Shared test fixtures: the helpline's people, and ways to act as them.

Tests run against a real database: SQLite by default, PostgreSQL when
``TONGDAI_DATABASE_URL`` points at one (``make test`` runs both). Reference data
(provinces, communes, taxonomy, centres) is loaded once per test database.

The people (``people`` fixture), named for who they are at the hotline:
- ``hn`` / ``hn2``: counsellors at the national centre in Hà Nội
- ``hn_super``: a supervisor (shift lead) in Hà Nội
- ``hn_casemgr``: a case manager in Hà Nội;  ``hn_manager``: Hà Nội centre manager
- ``ag``: a counsellor at the Southern centre (An Giang);  ``ag_super``: its supervisor
- ``dn``: a counsellor at the Central centre (Đà Nẵng)
- ``admin``: a national administrator;  ``analyst``: an analyst
- ``police``: an officer of a partner agency (province police)
- ``commune``: a commune child-protection worker
- ``former``: a Hà Nội counsellor whose account was deactivated
"""

from __future__ import annotations

import types

import pytest
from django.core.management import call_command

PASSWORD = "Mat-khau-thu-nghiem-2026"


def pytest_collection_modifyitems(config, items):
    """Browser tests last: they are the slowest, and their session-long Chromium keeps an
    event loop in the main thread that other tests need not share."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 costs ~100 MB and tens of ms per hash by design; tests create many users.
    Production settings keep Argon2 first (tests/test_settings.py checks that)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_reference_cache():
    """Each test starts with an empty reference cache: a test's rolled-back edits of a term
    must not be what the next test reads (tongdai.core.refcache)."""
    from tongdai.core import refcache

    refcache.clear()
    yield
    refcache.clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("refdata", verbosity=0)


def _make_user(username, role, **place):
    from tongdai.accounts.models import User

    user = User(username=username, role=role, full_name=username.replace("_", " ").title(), **place)
    user.set_password(PASSWORD)
    user.full_clean(exclude=["password"])
    user.save()
    return user


@pytest.fixture
def people(db):
    from tongdai.accounts.models import Agency, AgencyType, Centre
    from tongdai.geo.models import Commune

    hn, dn, ag = (Centre.objects.get(pk=c) for c in ("HN", "DN", "AG"))
    police_unit = Agency.objects.create(name="Công an tỉnh Lào Cai", type=AgencyType.POLICE,
                                        province_id="15")
    commune = Commune.objects.filter(province_id="01").order_by("code").first()
    p = types.SimpleNamespace(
        hn=_make_user("hn_counsellor", "counsellor", centre=hn),
        hn2=_make_user("hn_counsellor2", "counsellor", centre=hn),
        hn_super=_make_user("hn_supervisor", "supervisor", centre=hn),
        hn_casemgr=_make_user("hn_casemgr", "case_manager", centre=hn),
        hn_manager=_make_user("hn_manager", "centre_manager", centre=hn),
        ag=_make_user("ag_counsellor", "counsellor", centre=ag),
        ag_super=_make_user("ag_supervisor", "supervisor", centre=ag),
        dn=_make_user("dn_counsellor", "counsellor", centre=dn),
        admin=_make_user("national_admin", "national_admin"),
        analyst=_make_user("analyst", "analyst"),
        police=_make_user("police_officer", "agency_officer", agency=police_unit),
        commune=_make_user("commune_worker", "commune_worker", commune=commune),
        former=_make_user("former_counsellor", "counsellor", centre=hn),
    )
    p.former.is_active = False
    p.former.save()
    p.password = PASSWORD
    return p


def contact_data(**overrides):
    """A valid completed-contact payload (API shape) about a child in Hà Nội."""
    data = {
        "status": "completed",
        "channel": "phone_111",
        "kind": "report",
        "topics": ["violence_physical"],
        "summary": "Hàng xóm báo trẻ bị đánh nhiều lần.",
        "urgent": False,
        "caller": {"phone": "0912 345 678", "name": "Nguyễn Văn Ấn", "relation": "neighbour_witness",
                   "province": "01", "anonymous": False},
        "subjects": [{"name": "Đặng Thị Bình", "sex": "female", "age": 9, "province": "01"}],
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_contact():
    """``make_contact(user, **overrides)`` records a contact through the domain service."""
    from tongdai.contacts.services import contact_create

    def make(user, **overrides):
        return contact_create(user, contact_data(**overrides), via="test")

    return make


@pytest.fixture
def api(client):
    """``api(user)`` returns a Django test client that sends that user's bearer token."""
    from django.test import Client

    from tongdai.accounts.models import ApiToken

    def for_user(user):
        _, raw = ApiToken.issue(user, name="test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return for_user
