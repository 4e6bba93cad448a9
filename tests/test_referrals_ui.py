"""The hotline's referral page of a case and the agencies directory page."""

from __future__ import annotations

from django.urls import reverse

from tests.support.referrals import CHILD_NAME, net_fixture  # noqa: F401
from tongdai.referrals.models import Referral, ReferralStatus


def _form(net, **overrides):
    data = {"agency": net.laocai_police.pk, "reason": "Đề nghị can thiệp.", "urgent": "on",
            "consent_child": "on", "consent_representative": "on", "share": ["child_age"],
            "action": "send"}
    data.update(overrides)
    return data


def test_the_case_referrals_page_offers_agencies_of_the_childs_province(client, people, net):
    client.force_login(people.hn)
    response = client.get(reverse("case_referrals", args=[net.case.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="agency-{net.hanoi_police.pk}"' in html and f'id="agency-{net.national.pk}"' in html
    assert f'id="agency-{net.laocai_police.pk}"' not in html  # Lào Cai does not cover Hà Nội
    assert 'id="share-child_name"' in html and CHILD_NAME in html  # the sender sees what they choose


def test_preview_shows_what_the_partner_will_see_and_stores_nothing(client, people, net):
    client.force_login(people.hn)
    response = client.post(reverse("case_referrals", args=[net.case.pk]),
                           _form(net, action="preview", share=["child_sex"]))
    html = response.content.decode()
    assert 'id="share-preview"' in html and not Referral.objects.exists()
    preview = html.split('id="share-preview"')[1].split("</div>")[0]
    assert "Nữ" in preview and CHILD_NAME not in preview


def test_sending_from_the_page_creates_the_referral(client, people, net):
    client.force_login(people.hn)
    response = client.post(reverse("case_referrals", args=[net.case.pk]), _form(net))
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.sent_by == people.hn and referral.share == ["child_age"] and referral.urgent


def test_missing_consent_is_refused_with_a_message_and_nothing_stored(client, people, net):
    client.force_login(people.hn)
    response = client.post(reverse("case_referrals", args=[net.case.pk]),
                           _form(net, consent_child=""))
    assert response.status_code == 400
    assert "error-summary" in response.content.decode()
    assert not Referral.objects.exists()


def test_revoking_from_the_page(client, people, net):
    client.force_login(people.hn)
    client.post(reverse("case_referrals", args=[net.case.pk]), _form(net))
    referral = Referral.objects.get()
    response = client.post(reverse("case_referral_action", args=[net.case.pk, referral.pk, "revoke"]),
                           {"version": referral.version, "reason": "Nhầm."})
    assert response.status_code == 302
    assert Referral.objects.get().status == ReferralStatus.REVOKED


def test_other_centres_reach_no_case_referrals_page(client, people, net):
    client.force_login(people.ag)
    assert client.get(reverse("case_referrals", args=[net.case.pk])).status_code == 404
    assert client.post(reverse("case_referrals", args=[net.case.pk]), _form(net)).status_code == 404
    assert not Referral.objects.exists()


def test_the_agencies_directory_page_searches_by_place_and_service(client, people, net):
    client.force_login(people.hn)
    html = client.get(reverse("agency_directory"), {"province": "01", "service": "rescue"}).content.decode()
    assert "Công an thành phố Hà Nội" in html and "Cục Cảnh sát hình sự" in html
    assert "Nhà tạm lánh Hà Nội" not in html and "069 123 4567" in html
    bad = client.get(reverse("agency_directory"), {"service": "magic"})
    assert bad.status_code == 200 and "field-error" in bad.content.decode()
    client.force_login(people.analyst)
    assert client.get(reverse("agency_directory")).status_code == 403
