"""API v1 failures: authentication, bad input, oversized bodies, languages, and never a 500.

Every refusal must be a 4xx JSON body with a ``message`` and must store nothing.
"""

from __future__ import annotations

import datetime
import io
import json

import pytest
import time_machine
from django.core.handlers.asgi import ASGIRequest
from django.core.handlers.base import BaseHandler
from django.test import Client
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import contact_data
from tongdai.accounts.models import ApiToken
from tongdai.contacts.models import Contact
from tongdai.geo.models import Commune

URL = "/api/v1/contacts"
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """The people fixture hashes a dozen passwords; argon2 would cost seconds per test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def post(client, data, **extra):
    return client.post(URL, data, content_type="application/json", **extra)


def assert_refused(response, status: int):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert isinstance(body["message"], str) and body["message"]
    return body


# --------------------------------------------------------------------------- authentication


def bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def assert_unauthorized(response):
    assert_refused(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_no_token_is_401_with_a_bearer_challenge(people, make_contact):
    contact = make_contact(people.hn)
    assert_unauthorized(Client().get(URL))
    assert_unauthorized(Client().get(f"{URL}/{contact.pk}"))
    assert_unauthorized(post(Client(), contact_data()))


@pytest.mark.parametrize("header", ["Bearer td_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz",
                                    "td_missing-scheme", "Bearer " + "x" * 5000])
def test_a_bad_token_is_401(db, header):
    response = Client(HTTP_AUTHORIZATION=header).get(URL)
    assert_unauthorized(response)


def test_a_revoked_token_is_401(people):
    token, raw = ApiToken.issue(people.hn)
    assert bearer(raw).get(URL).status_code == 200
    token.revoke()
    assert_unauthorized(bearer(raw).get(URL))


def test_an_expired_token_is_401(people):
    _, raw = ApiToken.issue(people.hn, expires_at=timezone.now() + datetime.timedelta(days=1))
    assert bearer(raw).get(URL).status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2)):
        assert_unauthorized(bearer(raw).get(URL))


def test_a_token_of_a_deactivated_user_is_401(people):
    _, raw = ApiToken.issue(people.former)
    assert_unauthorized(bearer(raw).get(URL))
    assert_unauthorized(post(bearer(raw), contact_data()))
    assert Contact.objects.count() == 0


@pytest.mark.parametrize("who", ["hn", "analyst"])
def test_token_lookup_returns_what_the_orm_returns(people, who, django_assert_num_queries):
    """The hand-written token join (accounts.models._token_join) gives the same token, user
    and centre as the ORM's select_related query, converted alike (aware datetimes on
    SQLite too), in one statement; a user without a centre gets None."""
    user = getattr(people, who)
    token, raw = ApiToken.issue(user, expires_at=timezone.now() + datetime.timedelta(days=3))
    expected = (ApiToken.objects.select_related("user", "user__centre").get(pk=token.pk))
    with django_assert_num_queries(1):
        found = ApiToken.objects.authenticate(raw)
        found_user, found_centre = found.user, found.user.centre
    fields = lambda obj: {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}  # noqa: E731
    assert fields(found) == fields(expected)
    assert fields(found_user) == fields(expected.user)
    assert found.expires_at.tzinfo is not None and found_user.date_joined.tzinfo is not None
    if expected.user.centre is None:
        assert found_centre is None
    else:
        assert fields(found_centre) == fields(expected.user.centre)


def test_token_use_is_recorded_at_most_once_a_minute(people):
    token, raw = ApiToken.issue(people.hn)
    start = datetime.datetime(2026, 2, 1, 3, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        bearer(raw).get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_at == start

    with time_machine.travel(start + datetime.timedelta(seconds=30), tick=False):
        bearer(raw).get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_at == start

    later = start + datetime.timedelta(minutes=2)
    with time_machine.travel(later, tick=False):
        bearer(raw).get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_at == later


def test_bearer_requests_need_no_csrf_token(people):
    _, raw = ApiToken.issue(people.hn)
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert post(client, contact_data()).status_code == 201


# --------------------------------------------------------------------------- bad input


def other_province_commune() -> str:
    return Commune.objects.exclude(province_id="01").order_by("code").values_list("code", flat=True)[0]


BAD_BODIES = {
    "unknown province": (lambda: contact_data(subjects=[{"name": "B", "province": "99"}]),
                         "subjects.0.province"),
    "unknown commune": (lambda: contact_data(subjects=[{"name": "B", "commune": "99999"}]),
                        "subjects.0.commune"),
    "commune outside the province": (
        lambda: contact_data(caller={"phone": "0912345678", "province": "01",
                                     "commune": other_province_commune()}), "caller.commune"),
    "invalid phone": (lambda: contact_data(caller={"phone": "12345"}), "caller.phone"),
    "letters for a phone": (lambda: contact_data(caller={"phone": "gọi lại sau"}), "caller.phone"),
    "unknown topic": (lambda: contact_data(topics=["violence_physical", "aliens"]), "topics"),
    "unknown kind": (lambda: contact_data(kind="gossip"), "kind"),
    "unknown channel": (lambda: contact_data(channel="carrier_pigeon"), "channel"),
    "unknown status": (lambda: contact_data(status="closed"), "status"),
    "age as text": (lambda: contact_data(subjects=[{"name": "B", "age": "9"}]), "subjects.0.age"),
    "age out of range": (lambda: contact_data(subjects=[{"age": 300}]), "subjects.0.age"),
    "urgent as text": (lambda: contact_data(urgent="yes"), "urgent"),
    "topics as text": (lambda: contact_data(topics="violence_physical"), "topics"),
    "caller as list": (lambda: contact_data(caller=["0912345678"]), "caller"),
    "subject as text": (lambda: contact_data(subjects=["Bình"]), "subjects.0"),
    "province as number": (lambda: contact_data(caller={"province": 1}), "caller.province"),
    "unknown top-level field": (lambda: contact_data(priority="high"), "priority"),
    "unknown caller field": (lambda: contact_data(caller={"email": "a@b.vn"}), "caller.email"),
    "time in the future": (lambda: contact_data(received_at="2999-01-01T00:00:00Z"), "received_at"),
    "time not a time": (lambda: contact_data(received_at="hôm qua"), "received_at"),
    "NUL in a code": (lambda: contact_data(kind="report\x00"), "kind"),
    "NUL in text": (lambda: contact_data(summary="a\x00b"), "summary"),
    "lone surrogate": (lambda: contact_data(summary="\ud800"), "summary"),
    "anonymous with a name": (lambda: contact_data(caller={"anonymous": True, "name": "Ấn"}),
                              "caller.name"),
    "completed without kind": (lambda: contact_data(kind=None), "kind"),
    "ended before answered": (lambda: contact_data(
        received_at="2026-01-05T09:00:00+07:00", answered_at="2026-01-05T09:01:00+07:00",
        ended_at="2026-01-05T08:00:00+07:00"), "ended_at"),
}


@pytest.mark.parametrize("case", BAD_BODIES)
def test_bad_input_is_422_with_the_field_path_and_stores_nothing(people, api, case):
    build, path = BAD_BODIES[case]
    before = Contact.objects.count()

    body = assert_refused(post(api(people.hn), build()), 422)

    assert path in body["errors"], body
    assert all(isinstance(m, str) and m for m in body["errors"].values())
    assert Contact.objects.count() == before


@pytest.mark.parametrize("raw", [b"{not json", b'{"summary": "unterminated', b"\xff\xfe\x00",
                                 b"[" * 100_000 + b"]" * 100_000, b'{"a":1}{"b":2}'])
def test_malformed_json_is_400_and_stores_nothing(people, api, raw):
    assert_refused(post(api(people.hn), raw), 400)
    assert Contact.objects.count() == 0


@pytest.mark.parametrize("raw", [b"[]", b'"text"', b"42", b"null", b"true"])
def test_json_that_is_not_an_object_is_refused(people, api, raw):
    response = post(api(people.hn), raw)
    assert 400 <= response.status_code < 500
    assert response.json()["message"]
    assert Contact.objects.count() == 0


def test_wrong_types_are_reported_for_every_field(people, api):
    body = assert_refused(post(api(people.hn), contact_data(
        urgent="true", summary=5, caller={"age": 9.5, "anonymous": "no"})), 422)
    assert set(body["errors"]) >= {"urgent", "summary", "caller.age", "caller.anonymous"}


def test_patch_with_bad_input_changes_nothing(people, api, make_contact):
    contact = make_contact(people.hn)
    response = api(people.hn).patch(f"{URL}/{contact.pk}", {"caller": {"phone": "12"},
                                                             "summary": "mới"},
                                    content_type="application/json")
    assert_refused(response, 422)
    contact.refresh_from_db()
    assert (contact.summary, contact.caller_phone, contact.version) == (
        contact_data()["summary"], "+84912345678", 1)


@pytest.mark.parametrize("contact_id", ["0", "99999999999999999999999", str(2**63)])
def test_ids_nobody_has_are_404_not_500(people, api, contact_id):
    client = api(people.hn)
    assert_refused(client.get(f"{URL}/{contact_id}"), 404)
    assert_refused(client.patch(f"{URL}/{contact_id}", {"summary": "x"},
                                content_type="application/json"), 404)


@pytest.mark.parametrize("path", ["/api/v1/contacts/abc", "/api/v1/nothing-here"])
def test_unknown_api_paths_are_json_404(people, api, path):
    assert_refused(api(people.hn).get(path), 404)


def test_analyst_cannot_record_and_the_refusal_explains(people, api):
    body = assert_refused(post(api(people.analyst), contact_data()), 403)
    assert "errors" not in body
    assert Contact.objects.count() == 0


# --------------------------------------------------------------------------- body size


class LazyBody(io.RawIOBase):
    """``size`` bytes of JSON-ish filler produced on demand; counts what was read."""

    def __init__(self, size: int):
        self.size = size
        self.read_bytes = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.size - self.read_bytes)
        buffer[:n] = b" " * n
        self.read_bytes += n
        return n


def test_a_100_mb_body_is_refused_before_it_is_read(people):
    token, raw = ApiToken.issue(people.hn)
    body = LazyBody(100 * MB)
    response = Client().generic(
        "POST", URL, b"{}", content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        CONTENT_LENGTH=str(body.size), **{"wsgi.input": body})

    assert_refused(response, 413)
    assert body.read_bytes == 0
    assert Contact.objects.count() == 0


def test_a_chunked_body_without_length_is_refused_after_the_limit_not_buffered(people, settings):
    """Over ASGI a chunked upload has no Content-Length; reading must stop at the limit."""
    token, raw = ApiToken.issue(people.hn)
    body = LazyBody(100 * MB)
    scope = {"type": "http", "method": "POST", "path": URL, "query_string": b"",
             "headers": [(b"authorization", f"Bearer {raw}".encode()),
                         (b"content-type", b"application/json"),
                         (b"transfer-encoding", b"chunked")],
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
    handler = BaseHandler()
    handler.load_middleware()

    response = handler.get_response(ASGIRequest(scope, body))

    assert_refused(response, 413)
    assert body.read_bytes <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    assert Contact.objects.count() == 0


# --------------------------------------------------------------------------- language


def test_messages_are_vietnamese_by_default_and_english_on_request(people, api, make_contact):
    contact = make_contact(people.hn)
    client = api(people.ag)
    msgid = "Not found."

    vietnamese = client.get(f"{URL}/{contact.pk}").json()["message"]
    english = client.get(f"{URL}/{contact.pk}", HTTP_ACCEPT_LANGUAGE="en").json()["message"]

    with translation.override("vi"):
        assert vietnamese == translation.gettext(msgid)
    assert english == msgid


def test_field_errors_follow_the_language_too(people, api):
    english = post(api(people.hn), contact_data(urgent="yes"), HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["errors"]["urgent"] == "Must be true or false."
    assert english["message"] == "Some fields are not valid."


# --------------------------------------------------------------------------- never a 500

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
codes = st.sampled_from(["01", "79", "00004", "99", "", "report", "violence", "phone_111", "VN",
                         "KH", "female", "7_12", "neighbour_witness", "0912345678", "+84912345678",
                         "2026-01-05T09:00:00+07:00", "2999-01-01", "\x00", "draft", "completed"])
value = codes | json_values
caller = st.fixed_dictionaries({}, optional={k: value for k in (
    "phone", "name", "relation", "sex", "age", "age_group", "province", "commune", "country",
    "anonymous", "consent_keep", "consent_share", "extra")})
subject = st.fixed_dictionaries({}, optional={k: value for k in (
    "name", "sex", "age", "age_estimated", "age_group", "province", "commune", "country")})
contact_bodies = st.fixed_dictionaries({}, optional={
    "status": value, "channel": value, "kind": value, "topics": st.lists(codes, max_size=3) | value,
    "summary": value, "notes": value, "actions_taken": value, "urgent": value,
    "received_at": value, "answered_at": value, "ended_at": value,
    "caller": caller | value, "subjects": st.lists(subject, max_size=3) | value,
    "version": value,
}) | json_values


FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ
@given(body=contact_bodies)
def test_random_bodies_on_create_never_cause_a_500(people, body):
    client = _client_for(people.hn)
    before = Contact.objects.count()

    response = post(client, json.dumps(body))

    assert response.status_code < 500, (body, response.content)
    assert response.json()["message"] if response.status_code >= 400 else True
    expected = before + (1 if response.status_code == 201 else 0)
    assert Contact.objects.count() == expected


@FUZZ
@given(body=contact_bodies)
def test_random_bodies_on_patch_never_cause_a_500(people, make_contact, body):
    contact = Contact.objects.filter(counsellor=people.hn).first() or make_contact(people.hn)
    version = Contact.objects.get(pk=contact.pk).version
    before = Contact.objects.count()

    response = _client_for(people.hn).patch(f"{URL}/{contact.pk}", json.dumps(body),
                                            content_type="application/json")

    assert response.status_code < 500, (body, response.content)
    if response.status_code >= 400:
        assert response.json()["message"]
        assert Contact.objects.get(pk=contact.pk).version == version
    assert Contact.objects.count() == before


@FUZZ
@given(params=st.dictionaries(st.sampled_from(
    ["q", "phone", "from", "to", "kind", "topic", "province", "channel", "centre", "urgent",
     "status", "page", "page_size"]), codes | st.text(max_size=30) | st.integers().map(str)))
def test_random_list_filters_never_cause_a_500(people, params):
    response = _client_for(people.hn).get(URL, params)
    assert response.status_code < 500, (params, response.content)
    assert response.status_code in (200, 422)


_tokens: dict[int, str] = {}


def _client_for(user) -> Client:
    """One token per user for a whole hypothesis run (issuing one per example is slow)."""
    if user.pk not in _tokens or not ApiToken.objects.authenticate(_tokens[user.pk]):
        _tokens[user.pk] = ApiToken.issue(user)[1]
    return bearer(_tokens[user.pk])
