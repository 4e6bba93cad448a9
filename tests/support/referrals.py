"""Shared fixtures of the referral tests: a small agency network around the ``people``.

- ``net.laocai_police``: the police officer's agency (Lào Cai, province 15)
- ``net.hanoi_police`` / ``net.hanoi_shelter``: agencies of Hà Nội (province 01)
- ``net.national``: a national police department (covers every province)
- ``net.committee``: the People's Committee of the commune worker's commune
- ``net.hanoi_officer``: an officer of the Hà Nội police (another agency than ``police``)
- ``net.case``: an urgent child-protection case of Hà Nội about Đặng Thị Bình, 9, whose
  caller (Nguyễn Văn Ấn, 0912 345 678) did NOT agree to share their details.
"""

from __future__ import annotations

import types

import pytest

from tests.conftest import _make_user

CHILD_NAME = "Đặng Thị Bình"
CALLER_PHONE_DIGITS = "912345678"


def shows_caller_phone(text: str) -> bool:
    """The caller's number appears in ``text`` in any way it is written (E.164 or 0912 345 678)."""
    return any(form in text for form in ("912345678", "912 345 678", "912.345.678"))
CALLER_NAME = "Nguyễn Văn Ấn"


def send_data(to, **overrides):
    data = {"agency": to.pk, "reason": "Đề nghị xác minh và can thiệp khẩn cấp.",
            "urgent": True, "consent": {"child": True, "representative": True},
            "share": ["child_age", "child_location"]}
    data.update(overrides)
    return data


@pytest.fixture(name="net")
def net_fixture(people, make_contact):
    from tongdai.accounts.models import Agency
    from tongdai.cases.services import case_open
    from tongdai.referrals.services import agency_profile_set

    laocai = people.police.agency
    agency_profile_set(laocai, provinces=["15"], services=["rescue", "investigation"])
    hanoi_police = Agency.objects.create(name="Công an thành phố Hà Nội", type="police",
                                         province_id="01")
    agency_profile_set(hanoi_police, provinces=["01"], services=["rescue", "investigation",
                                                                  "missing_search"],
                       contact_points=[{"name": "Trực ban", "phone": "069 123 4567", "email": ""}],
                       always_open=True)
    shelter = Agency.objects.create(name="Nhà tạm lánh Hà Nội", type="shelter", province_id="01")
    agency_profile_set(shelter, provinces=["01"], services=["shelter", "psychological"])
    national = Agency.objects.create(name="Cục Cảnh sát hình sự", type="police")
    agency_profile_set(national, jurisdiction="national", services=["investigation", "rescue"])
    commune = people.commune.commune
    committee = Agency.objects.create(name=f"UBND {commune.name}", type="commune_committee",
                                      province_id=commune.province_id)
    agency_profile_set(committee, jurisdiction="communes", communes=[commune], commune=commune,
                       services=["case_management"])
    contact = make_contact(people.hn, urgent=True)
    case = case_open(people.hn_casemgr, [contact.pk], "child_protection", via="test")
    return types.SimpleNamespace(
        laocai_police=laocai, hanoi_police=hanoi_police, hanoi_shelter=shelter,
        national=national, committee=committee, case=case, contact=contact,
        hanoi_officer=_make_user("hanoi_police_officer", "agency_officer", agency=hanoi_police),
    )
