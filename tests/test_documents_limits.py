"""Upload size: the upload endpoint takes files up to TONGDAI_MAX_UPLOAD_MB; every other
endpoint keeps the 1 MB body limit, also over ASGI."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from tests.support.asgi import run_asgi
from tongdai.asgi import application
from tongdai.cases.services import case_open
from tongdai.core.middleware import body_limit_for
from tongdai.documents.models import Attachment

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "media")}}}


@pytest.fixture
def hn_case(people, make_contact):
    return case_open(people.hn_casemgr, [make_contact(people.hn).pk], "child_protection", via="test")


def pdf_of(size: int) -> SimpleUploadedFile:
    return SimpleUploadedFile("lon.pdf", b"%PDF-1.7\n" + b"0" * (size - 9), "application/pdf")


def too_large_message() -> str:
    with translation.override("vi"):
        return gettext("The file is too large: at most %(mb)d MB.") % {"mb": 10}


def test_the_larger_limit_applies_only_to_upload_paths(settings):
    assert settings.MAX_UPLOAD_MB == 10
    assert body_limit_for("/cases/12/documents/") > 10 * MB
    for path in ("/api/v1/contacts", "/cases/12/notes", "/cases/12/documents/x", "/documents/1/download"):
        assert body_limit_for(path) == settings.MAX_REQUEST_BYTES


def test_a_5_mb_pdf_is_accepted(client, people, hn_case):
    client.force_login(people.hn)
    response = client.post(reverse("case_documents", args=[hn_case.pk]),
                           {"file": pdf_of(5 * MB), "kind": "scan"})
    assert response.status_code == 302
    assert Attachment.objects.get().size == 5 * MB


def test_an_11_mb_pdf_is_refused_with_413_and_a_page_in_vietnamese(client, people, hn_case):
    client.force_login(people.hn)
    response = client.post(reverse("case_documents", args=[hn_case.pk]),
                           {"file": pdf_of(11 * MB), "kind": "scan"})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert too_large_message() in response.content.decode()
    assert not Attachment.objects.exists()


def test_a_file_just_over_the_limit_is_refused_by_the_view_with_the_form(client, people, hn_case):
    client.force_login(people.hn)
    response = client.post(reverse("case_documents", args=[hn_case.pk]),
                           {"file": pdf_of(10 * MB + 1), "kind": "scan"})
    assert response.status_code == 413
    assert too_large_message() in response.content.decode()
    assert 'id="upload-form"' in response.content.decode()
    assert not Attachment.objects.exists()


def test_a_2_mb_json_body_to_the_api_is_still_refused(api, people):
    body = json.dumps({"summary": "x" * (2 * MB)})
    response = api(people.hn).post("/api/v1/contacts", body, content_type="application/json")
    assert response.status_code == 413


def _asgi(path: str, total: int, declare_length: bool):
    sent: list[dict] = []
    state = {"read": 0}
    chunk = 64 * 1024

    async def receive():
        if state["read"] >= total:
            return {"type": "http.request", "body": b"", "more_body": False}
        state["read"] += chunk
        return {"type": "http.request", "body": b"x" * chunk, "more_body": state["read"] < total}

    async def send(message):
        sent.append(message)

    headers = [(b"content-type", b"multipart/form-data; boundary=zzz")]
    headers.append((b"content-length", str(total).encode()) if declare_length
                   else (b"transfer-encoding", b"chunked"))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}
    run_asgi(application(scope, receive, send))
    return sent, state["read"]


def test_asgi_refuses_a_declared_11_mb_upload_without_reading_it():
    sent, read = _asgi("/cases/1/documents/", 11 * MB, declare_length=True)
    assert sent[0]["status"] == 413 and read == 0
    assert too_large_message().encode() in b"".join(m.get("body", b"") for m in sent[1:])


def test_asgi_stops_reading_a_chunked_upload_after_the_upload_limit(settings):
    sent, read = _asgi("/cases/1/documents/", 40 * MB, declare_length=False)
    assert sent[0]["status"] == 413
    assert read <= body_limit_for("/cases/1/documents/") + 64 * 1024


def test_asgi_keeps_the_1_mb_limit_for_the_api(settings):
    sent, read = _asgi("/api/v1/contacts", 2 * MB, declare_length=True)
    assert sent[0]["status"] == 413 and read == 0
    sent, read = _asgi("/api/v1/contacts", 2 * MB, declare_length=False)
    assert sent[0]["status"] == 413 and read <= settings.MAX_REQUEST_BYTES + 64 * 1024
