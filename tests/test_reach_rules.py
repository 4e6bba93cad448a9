"""Who may see which contact: the queryset rule and the object rule agree, for everyone.

The rule (ContactQuerySet.visible_to / Contact.is_visible_to): centre staff see their
centre's contacts (counsellors and case managers: completed ones plus their own drafts;
supervisors and centre managers: drafts too); national admins see all; analysts, partner
agencies, commune workers, inactive users and anonymous users see none.
"""

import pytest
from django.contrib.auth.models import AnonymousUser

from tongdai.contacts.models import Contact

EXPECTED = {
    # persona: names of the contacts they may see
    "hn": {"hn_done", "hn_draft_own"},
    "hn2": {"hn_done"},
    "hn_super": {"hn_done", "hn_draft_own"},
    "hn_casemgr": {"hn_done"},
    "hn_manager": {"hn_done", "hn_draft_own"},
    "ag": {"ag_done"},
    "ag_super": {"ag_done"},
    "dn": set(),
    "admin": {"hn_done", "hn_draft_own", "ag_done"},
    "analyst": set(),
    "police": set(),
    "commune": set(),
    "former": set(),
}


@pytest.fixture
def world(people, make_contact):
    return {
        "hn_done": make_contact(people.hn),
        "hn_draft_own": make_contact(people.hn, status="draft"),
        "ag_done": make_contact(people.ag, caller={"phone": "0987654321", "province": "91"},
                                subjects=[{"name": "Lê Văn Tí", "province": "91"}]),
    }


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_queryset_and_object_rules_agree(people, world, persona):
    user = getattr(people, persona)
    by_query = {name for name, c in world.items()
                if Contact.objects.visible_to(user).filter(pk=c.pk).exists()}
    by_object = {name for name, c in world.items() if c.is_visible_to(user)}
    assert by_query == EXPECTED[persona]
    assert by_object == EXPECTED[persona]


def test_anonymous_user_sees_nothing(world):
    assert not Contact.objects.visible_to(AnonymousUser()).exists()
    assert not world["hn_done"].is_visible_to(AnonymousUser())


def test_unknown_role_fails_closed(people, world):
    user = people.hn
    user.role = "janitor"
    assert not Contact.objects.visible_to(user).exists()
    assert not world["hn_done"].is_visible_to(user)


def test_counsellor_moved_to_another_centre_loses_reach(people, world):
    from tongdai.accounts.models import Centre

    people.hn2.centre = Centre.objects.get(pk="AG")
    assert set(Contact.objects.visible_to(people.hn2)) == {world["ag_done"]}


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_caller_history_reaches_what_the_rule_reaches(people, world, persona):
    """Caller history runs as a prepared statement compiled once per reach scope
    (tongdai.core.statements); it must still show each persona exactly their reach."""
    from tongdai.contacts.services import caller_history

    user = getattr(people, persona)
    shown = {item.pk for phone in ("0912345678", "0987654321") for item in caller_history(user, phone)}
    assert shown == {world[name].pk for name in EXPECTED[persona]}
