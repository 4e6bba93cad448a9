"""Files on referrals: partners upload through their referral, the hotline shares chosen
case files, and one reach rule (``Attachment.objects.visible_to``) decides who opens what."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.support.referrals import net_fixture, send_data  # noqa: F401
from tongdai.core.middleware import is_upload_path
from tongdai.documents.models import Attachment
from tongdai.documents.services import attachment_add, referral_attachment_add
from tongdai.referrals.services import referral_send, referral_step

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "media")}}}


def _pdf(name="bien-ban-xac-minh.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def to_commune(people, net):
    return referral_send(people.hn_casemgr, net.case.pk, send_data(net.committee))


def _upload(client, referral, content=PDF, name="bien-ban-xac-minh.pdf"):
    return client.post(reverse("portal_referral_upload", args=[referral.pk]),
                       {"file": _pdf(name, content), "kind": "document", "description": ""})


def test_the_portal_upload_path_gets_the_upload_body_limit():
    assert is_upload_path(reverse("portal_referral_upload", args=[7]))


def test_a_commune_worker_uploads_a_pdf_and_the_hotline_sees_it_on_the_case(client, people, net, to_commune):
    client.force_login(people.commune)
    assert _upload(client, to_commune).status_code == 302
    attachment = Attachment.objects.get(referral=to_commune)
    assert attachment.case_id == net.case.pk and attachment.uploaded_by == people.commune
    page = client.get(reverse("portal_referral", args=[to_commune.pk])).content.decode()
    assert reverse("attachment_download", args=[attachment.pk]) in page
    client.force_login(people.hn_casemgr)
    docs = client.get(reverse("case_documents", args=[net.case.pk])).content.decode()
    assert "bien-ban-xac-minh.pdf" in docs
    refs = client.get(reverse("case_referrals", args=[net.case.pk])).content.decode()
    assert reverse("attachment_download", args=[attachment.pk]) in refs
    event = net.case.events.filter(data__attachment=attachment.pk).get()
    assert event.data["referral"] == to_commune.pk and event.text == ""


def test_a_shared_case_file_is_downloadable_by_that_partner_only(client, people, net, to_commune):
    case_file = attachment_add(people.hn_casemgr, net.case.pk, _pdf("ho-so.pdf"), "document")
    client.force_login(people.commune)
    url = reverse("attachment_download", args=[case_file.pk])
    assert client.get(url).status_code == 404  # not shared yet
    client.force_login(people.hn_casemgr)
    shared = client.post(reverse("case_referral_action", args=[net.case.pk, to_commune.pk, "share-file"]),
                         {"attachment": case_file.pk})
    assert shared.status_code == 302
    client.force_login(people.commune)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    client.force_login(people.police)  # another agency, by guessed URL
    assert client.get(url).status_code == 404


def test_another_agency_cannot_reach_a_partner_upload_or_upload_there(client, people, net, to_commune):
    upload = referral_attachment_add(people.commune, to_commune.pk, _pdf(), "document")
    client.force_login(people.police)
    assert client.get(reverse("attachment_download", args=[upload.pk])).status_code == 404
    assert _upload(client, to_commune).status_code == 404
    assert Attachment.objects.count() == 1


def test_an_unshared_case_file_stays_not_found_for_the_partner(client, people, net, to_commune):
    referral_attachment_add(people.commune, to_commune.pk, _pdf(), "document")
    private = attachment_add(people.hn_casemgr, net.case.pk, _pdf("noi-bo.pdf"), "document")
    client.force_login(people.commune)
    assert client.get(reverse("attachment_download", args=[private.pk])).status_code == 404
    page = client.get(reverse("portal_referral", args=[to_commune.pk])).content.decode()
    assert "noi-bo.pdf" not in page


def test_a_file_of_the_wrong_type_is_refused_and_nothing_stored(client, people, net, to_commune):
    client.force_login(people.commune)
    response = _upload(client, to_commune, content=b"MZ\x90\x00 not a pdf", name="virus.pdf")
    assert response.status_code == 400
    assert not Attachment.objects.exists()


def test_after_revoke_the_partner_can_no_longer_upload_or_open(client, people, net, to_commune):
    upload = referral_attachment_add(people.commune, to_commune.pk, _pdf(), "document")
    referral_step(people.hn_casemgr, to_commune.pk, "revoke", reason="Nhầm cơ quan")
    client.force_login(people.commune)
    assert _upload(client, to_commune).status_code == 404
    assert client.get(reverse("attachment_download", args=[upload.pk])).status_code == 404
    assert Attachment.objects.count() == 1


def test_a_closed_referral_takes_no_more_files(people, net, to_commune):
    from tongdai.documents.services import AttachmentInvalid

    for step, who in (("acknowledge", people.commune), ("decline", people.commune),
                      ("close", people.hn_casemgr)):
        referral_step(who, to_commune.pk, step, reason="Ngoài phạm vi")
    with pytest.raises(AttachmentInvalid):
        referral_attachment_add(people.commune, to_commune.pk, _pdf(), "document")
