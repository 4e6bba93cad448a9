"""Attachments on cases: what is accepted, how it is stored, and who may reach it."""

import hashlib
import io
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tongdai.audit.models import AuditEvent
from tongdai.cases.models import CaseEvent, EventKind
from tongdai.cases.services import CaseForbidden, CaseNotFound, case_open, case_restrict
from tongdai.documents.models import Attachment
from tongdai.documents.services import (
    AttachmentInvalid,
    attachment_add,
    attachment_delete,
    attachment_open,
    clean_name,
)
from tongdai.documents.views import content_disposition

MB = 1024 * 1024
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def ooxml(main_part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(main_part, "<x/>")
    return buffer.getvalue()


def upload(content: bytes, name: str = "bien-ban.pdf", content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Each test stores files in its own folder."""
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "media")}}}
    yield


@pytest.fixture
def hn_case(people, make_contact):
    contact = make_contact(people.hn, urgent=True)
    return case_open(people.hn_casemgr, [contact.pk], "child_protection", via="test")


@pytest.fixture
def attachment(people, hn_case):
    return attachment_add(people.hn, hn_case.pk, upload(PDF, "Biên bản ghi lời khai.pdf"),
                          "scan", "Ảnh chụp biên bản", via="test")


# --------------------------------------------------------------------------- types


@pytest.mark.parametrize("content,name,extension", [
    (PDF, "a.pdf", "pdf"), (PNG, "a.png", "png"), (JPEG, "photo.jpeg", "jpg"),
    (ooxml("word/document.xml"), "a.docx", "docx"), (ooxml("xl/workbook.xml"), "a.xlsx", "xlsx"),
])
def test_allowed_types_are_recognised_by_their_bytes(people, hn_case, content, name, extension):
    att = attachment_add(people.hn, hn_case.pk, upload(content, name, "application/octet-stream"),
                         "document", via="test")
    assert att.extension == extension
    assert att.stored_name.endswith("." + extension)


@pytest.mark.parametrize("content,name", [
    (b"<!doctype html><script>alert(1)</script>", "bao-cao.pdf"),  # HTML named .pdf
    (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64, "anh.jpg"),  # Windows executable
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "scan.png"),  # Linux executable
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "anh.svg"),
    (b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>", "anh.png"),
    (ooxml("payload.bin").replace(b"[Content_Types].xml", b"[Content_Types].xmm"), "a.docx"),
    (b"PK\x03\x04 not really a zip", "a.xlsx"),
])
def test_files_that_are_not_what_they_claim_are_refused(people, hn_case, content, name):
    with pytest.raises(AttachmentInvalid) as refused:
        attachment_add(people.hn, hn_case.pk, upload(content, name), "document", via="test")
    assert "file" in refused.value.errors and refused.value.status == 400
    assert not Attachment.objects.exists()


def test_an_empty_file_is_refused(people, hn_case):
    with pytest.raises(AttachmentInvalid):
        attachment_add(people.hn, hn_case.pk, upload(b""), "document", via="test")


# --------------------------------------------------------------------------- names and storage


@pytest.mark.parametrize("raw", [
    "../../etc/passwd", "a/b.pdf", "..\\..\\windows\\system32\\x.pdf", "bad\x00name.pdf",
    "x" * 5000 + ".pdf", "/abs/path.pdf", "....pdf", "\u202egpj.exe.pdf",
])
def test_path_tricks_in_names_are_harmless(people, hn_case, raw, settings):
    att = attachment_add(people.hn, hn_case.pk, upload(PDF, raw), "document", via="test")
    # The stored path never comes from the user's name.
    assert att.stored_name.startswith(f"cases/{hn_case.pk}/")
    assert len(att.stored_name.rsplit("/", 1)[1]) == len("0" * 32 + ".pdf")
    assert default_storage.exists(att.stored_name)
    # The shown name has no path, control or bidi characters and a bounded length.
    assert "/" not in att.original_name and "\\" not in att.original_name
    assert "\x00" not in att.original_name and "\u202e" not in att.original_name
    assert not att.original_name.startswith(".") and 0 < len(att.original_name) <= 150


def test_clean_name_keeps_vietnamese_and_the_extension():
    assert clean_name("C:\\Users\\Lan\\Biên bản.PDF") == "Biên bản.PDF"
    assert clean_name("a" * 400 + ".docx").endswith(".docx")
    assert clean_name("") == "file"


def test_upload_stores_size_hash_uploader_and_writes_timeline_and_audit(people, hn_case, attachment):
    assert attachment.size == len(PDF) and attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    assert attachment.content_type == "application/pdf" and attachment.uploaded_by == people.hn
    assert attachment.original_name == "Biên bản ghi lời khai.pdf"
    with default_storage.open(attachment.stored_name, "rb") as stored:
        assert stored.read() == PDF
    assert CaseEvent.objects.filter(case=hn_case, kind=EventKind.DOCUMENT,
                                    data__attachment=attachment.pk).exists()
    assert AuditEvent.objects.filter(object_type="attachment", object_id=attachment.pk,
                                     action="create").exists()


def test_a_refused_upload_leaves_no_file_behind(people, hn_case, tmp_path):
    with pytest.raises(AttachmentInvalid):
        attachment_add(people.hn, hn_case.pk, upload(PDF), "not-a-kind", via="test")
    media = tmp_path / "media"
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_attachments_only_on_open_cases_the_user_can_reach(people, hn_case):
    with pytest.raises(CaseNotFound):
        attachment_add(people.ag, hn_case.pk, upload(PDF), "document", via="test")
    with pytest.raises(CaseNotFound):
        attachment_add(people.police, hn_case.pk, upload(PDF), "document", via="test")
    with pytest.raises(CaseForbidden):
        attachment_add(people.hn_manager, hn_case.pk, upload(PDF), "document", via="test")
    assert not Attachment.objects.exists()
    assert AuditEvent.objects.filter(action="denied", object_type="case", object_id=hn_case.pk,
                                     detail__attempt="attachment_add").count() == 3


# --------------------------------------------------------------------------- download


def test_upload_and_download_round_trip_through_the_ui(client, people, hn_case):
    client.force_login(people.hn)
    url = reverse("case_documents", args=[hn_case.pk])
    response = client.post(url, {"file": upload(PDF, "Biên bản đánh giá.pdf"), "kind": "scan",
                                 "description": "bản chụp"})
    assert response.status_code == 302
    att = Attachment.objects.get()
    page = client.get(url)
    assert page.status_code == 200 and "Biên bản đánh giá.pdf" in page.content.decode()

    response = client.get(reverse("attachment_download", args=[att.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith('attachment; filename="Bien_ban_danh_gia.pdf"')
    assert "filename*=UTF-8''Bi%C3%AAn%20b%E1%BA%A3n" in response["Content-Disposition"]
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert AuditEvent.objects.filter(object_type="attachment", object_id=att.pk, action="view").exists()


def test_inline_preview_is_sandboxed(client, people, attachment):
    client.force_login(people.hn)
    response = client.get(reverse("attachment_download", args=[attachment.pk]) + "?inline=1")
    assert response["Content-Disposition"].startswith("inline;")
    assert "sandbox" in response["Content-Security-Policy"]


def test_content_disposition_has_an_ascii_fallback_and_utf8_name():
    header = content_disposition('Đơn "tố giác"\r\nX: y.pdf')
    assert header.startswith('attachment; filename="Don__to_giac___X__y.pdf"; filename*=UTF-8\'\'')
    assert "\r" not in header and "\n" not in header


def test_media_is_not_served_by_any_static_route(client, people, attachment):
    client.force_login(people.hn)
    for url in (f"/media/{attachment.stored_name}", f"/{attachment.stored_name}",
                f"/static/{attachment.stored_name}", f"/static/../media/{attachment.stored_name}"):
        assert client.get(url).status_code == 404


# --------------------------------------------------------------------------- reach

OUTSIDERS = ["ag", "ag_super", "dn", "police", "commune", "analyst"]


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_outsiders_get_404_for_list_download_and_delete(client, people, hn_case, attachment, persona):
    client.force_login(getattr(people, persona))
    assert client.get(reverse("case_documents", args=[hn_case.pk])).status_code == 404
    assert client.post(reverse("case_documents", args=[hn_case.pk]),
                       {"file": upload(PDF), "kind": "scan"}).status_code == 404
    assert client.get(reverse("attachment_download", args=[attachment.pk])).status_code == 404
    assert client.get(f"/documents/{attachment.pk + 1000}/download").status_code == 404
    assert client.post(reverse("attachment_delete", args=[attachment.pk])).status_code == 404
    assert Attachment.objects.filter(deleted_at__isnull=True).count() == 1
    assert AuditEvent.objects.filter(object_type="attachment", object_id=attachment.pk,
                                     action="denied").exists()


def test_restricted_case_attachments_only_for_named_users(client, people, hn_case, attachment):
    case_restrict(people.hn_super, hn_case.pk, [people.hn.pk], via="test")
    with pytest.raises(CaseNotFound):
        attachment_open(people.hn2, attachment.pk, via="test")
    stream, att = attachment_open(people.hn, attachment.pk, via="test")
    stream.close()
    client.force_login(people.hn2)
    assert client.get(reverse("attachment_download", args=[attachment.pk])).status_code == 404
    assert client.get(reverse("case_documents", args=[hn_case.pk])).status_code == 404
    client.force_login(people.hn_casemgr)  # the case manager is always named
    assert client.get(reverse("attachment_download", args=[attachment.pk])).status_code == 200


def test_anonymous_users_are_sent_to_login(client, attachment):
    response = client.get(reverse("attachment_download", args=[attachment.pk]))
    assert response.status_code == 302 and "/login" in response["Location"]


# --------------------------------------------------------------------------- delete


def test_soft_delete_hides_the_file_but_keeps_it(people, hn_case, attachment):
    with pytest.raises(CaseForbidden):
        attachment_delete(people.hn2, attachment.pk, via="test")  # not theirs, no CASE_EDIT
    attachment_delete(people.hn, attachment.pk, via="test")
    attachment.refresh_from_db()
    assert attachment.deleted_at is not None and attachment.deleted_by == people.hn
    assert default_storage.exists(attachment.stored_name)  # kept for retention
    with pytest.raises(CaseNotFound):
        attachment_open(people.hn_casemgr, attachment.pk, via="test")
    assert AuditEvent.objects.filter(object_type="attachment", object_id=attachment.pk,
                                     action="update", fields=["deleted_at"]).exists()
    assert CaseEvent.objects.filter(case=hn_case, data__action="deleted").exists()


def test_a_case_manager_may_remove_someone_elses_file_from_the_page(client, people, hn_case, attachment):
    client.force_login(people.hn_casemgr)
    response = client.post(reverse("attachment_delete", args=[attachment.pk]), {"case": hn_case.pk})
    assert response.status_code == 302
    assert Attachment.objects.get().deleted_at is not None
