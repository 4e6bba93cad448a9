"""Reference data: what ``tongdai refdata`` loads, and that loading again is safe.

conftest loads the data once per test database; these tests check it and reload it.
"""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import call_command

from tongdai.accounts.models import Centre
from tongdai.geo.loader import load_reference_data
from tongdai.geo.models import (
    Commune,
    Country,
    LegacyDistrict,
    LegacyProvince,
    LegacyWard,
    Province,
    Region,
)
from tongdai.taxonomy import data as taxonomy_data
from tongdai.taxonomy.models import CallerRelation, ContactKind, Topic

pytestmark = pytest.mark.django_db

ALL_MODELS = [Region, Province, Commune, LegacyProvince, LegacyDistrict, LegacyWard, Country,
              Centre, ContactKind, CallerRelation, Topic]


def _row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in ALL_MODELS}


# --------------------------------------------------------------------------- geography


def test_current_map_has_34_provinces_and_3321_communes_by_type():
    assert Province.objects.count() == 34
    assert Counter(Commune.objects.values_list("unit_type", flat=True)) == {
        "Xã": 2621, "Phường": 687, "Đặc khu": 13}
    hanoi = Province.objects.get(code="01")
    assert (hanoi.name, hanoi.short_name, hanoi.unit_type) == ("Thành phố Hà Nội", "Hà Nội", "Thành phố")


def test_legacy_map_has_63_provinces_696_districts_and_every_ward_mapped():
    assert LegacyProvince.objects.count() == 63
    assert LegacyDistrict.objects.count() == 696
    assert LegacyWard.objects.count() == 10035
    assert not LegacyWard.objects.filter(current__isnull=True).exists()


def test_eight_regions_plus_abroad():
    assert list(Region.objects.values_list("code", flat=True)) == [
        "RRD", "NE", "NW", "NCC", "SCC", "CH", "SE", "MD", "ABROAD"]
    assert Region.objects.get(code="MD").name_vi == "Đồng bằng sông Cửu Long"
    assert Region.objects.get(code="ABROAD").name_en == "Abroad"


def test_every_legacy_province_has_its_region():
    per_region = Counter(LegacyProvince.objects.values_list("region_id", flat=True))
    assert per_region == {"RRD": 10, "NE": 11, "NW": 4, "NCC": 6, "SCC": 8, "CH": 5, "SE": 6, "MD": 13}
    assert LegacyProvince.objects.get(short_name="Hòa Bình").region_id == "NW"
    assert LegacyProvince.objects.get(short_name="Quảng Ninh").region_id == "NE"


@pytest.mark.parametrize(("legacy", "current"), [
    ("Hà Giang", "08"),  # -> Tuyên Quang
    ("Quảng Nam", "48"),  # -> Đà Nẵng
    ("Kiên Giang", "91"),  # -> An Giang (which took Kiên Giang's code)
    ("An Giang", "91"),
    ("Bình Dương", "79"),  # -> Hồ Chí Minh
    ("Bà Rịa - Vũng Tàu", "79"),
    ("Kon Tum", "51"),  # -> Quảng Ngãi
    ("Hà Nội", "01"),
])
def test_legacy_province_maps_to_the_province_it_merged_into(legacy, current):
    assert LegacyProvince.objects.get(short_name=legacy).current_id == current


def test_every_current_province_absorbed_at_least_one_legacy_province():
    assert Province.objects.filter(legacy_units__isnull=True).count() == 0
    assert LegacyProvince.objects.filter(current_id="79").count() == 3


def test_legacy_ward_maps_to_its_successor_commune():
    assert LegacyWard.objects.get(code="00001").current.name == "Phường Hồng Hà"  # Phúc Xá
    assert LegacyWard.objects.get(code="00004").current.name == "Phường Ba Đình"  # Trúc Bạch


def test_split_legacy_ward_maps_to_the_default_successor():
    # Xã Phú Hội (An Phú, An Giang) was split between Xã An Phú (default) and Xã Nhơn Hội.
    assert LegacyWard.objects.get(code="30355").current_id == "30337"


def test_current_units_get_the_region_most_of_their_legacy_wards_came_from():
    assert Province.objects.get(code="01").region_id == "RRD"
    assert Province.objects.get(code="66").region_id == "CH"  # Đắk Lắk + Phú Yên (SCC)
    assert Province.objects.get(code="80").region_id == "MD"  # Tây Ninh (SE) + Long An (MD)
    assert Commune.objects.get(code="26732").region_id == "SE"  # Đặc khu Côn Đảo, no wards before
    assert not Commune.objects.filter(region__isnull=True).exists()
    assert not Province.objects.filter(region__isnull=True).exists()


def test_names_are_folded_for_accent_insensitive_search():
    assert Province.objects.get(code="66").name_folded == "dak lak"
    assert LegacyProvince.objects.get(code="67").name_folded == "dak nong"
    assert Commune.objects.filter(province_id="01", name_folded="ba dinh").count() == 1


# --------------------------------------------------------------------------- countries


def test_all_iso_countries_with_vietnamese_names():
    assert Country.objects.count() >= 249
    names = dict(Country.objects.filter(code__in=["KH", "LA", "MM", "KR", "KP", "TW", "US", "VN", "CN"])
                 .values_list("code", "name_vi"))
    assert names == {"KH": "Campuchia", "LA": "Lào", "MM": "Myanmar", "KR": "Hàn Quốc",
                     "KP": "Triều Tiên", "TW": "Đài Loan", "US": "Hoa Kỳ", "VN": "Việt Nam",
                     "CN": "Trung Quốc"}
    cambodia = Country.objects.get(code="KH")
    assert (cambodia.alpha3, cambodia.name_en, cambodia.name_folded) == ("KHM", "Cambodia", "campuchia cambodia")


def test_old_phonetic_country_names_give_way_to_the_latin_form():
    assert Country.objects.get(code="AW").name_vi == "Aruba"  # pycountry: "Ă-ru-ba"
    assert Country.objects.get(code="CH").name_vi == "Thụy Sĩ"  # a real Vietnamese name stays


# --------------------------------------------------------------------------- centres


def test_three_centres_with_their_seats():
    centres = {c.code: c for c in Centre.objects.all()}
    assert set(centres) == {"HN", "DN", "AG"}
    assert (centres["HN"].province_id, centres["HN"].is_national) == ("01", True)
    assert (centres["DN"].province_id, centres["DN"].is_national) == ("48", False)
    assert (centres["AG"].province_id, centres["AG"].is_national) == ("91", False)


def test_every_province_is_served_by_exactly_one_centre():
    served = Counter(Centre.provinces.through.objects.values_list("province_id", flat=True))
    assert set(served) == set(Province.objects.values_list("code", flat=True))
    assert set(served.values()) == {1}
    assert Province.objects.get(code="42").served_by.get().code == "HN"  # Hà Tĩnh
    assert Province.objects.get(code="44").served_by.get().code == "DN"  # Quảng Trị
    assert Province.objects.get(code="79").served_by.get().code == "AG"  # Hồ Chí Minh


def test_reload_keeps_the_provinces_an_admin_assigned_to_centres():
    hn, dn = Centre.objects.get(code="HN"), Centre.objects.get(code="DN")
    dn.provinces.remove("44")
    hn.provinces.add("44")
    load_reference_data()
    assert Province.objects.get(code="44").served_by.get().code == "HN"


# --------------------------------------------------------------------------- taxonomy


def test_taxonomy_codes_are_exactly_the_published_ones():
    assert set(ContactKind.objects.filter(group="substantive").values_list("code", flat=True)) == {
        "information", "counselling_psychological", "counselling_policy", "counselling_services",
        "report", "referral"}
    assert set(ContactKind.objects.filter(group="non_substantive").values_list("code", flat=True)) == {
        "silent", "hang_up", "prank", "abusive", "wrong_number", "thanks", "test"}
    assert set(CallerRelation.objects.values_list("code", flat=True)) == {
        "child_self", "victim_self", "relative_friend", "parent", "teacher", "neighbour_witness",
        "official", "anonymous", "other"}
    assert ContactKind.objects.get(code="counselling_policy").label_vi == "Tư vấn pháp luật, chính sách"


def test_topics_are_categories_with_subcategories():
    categories = set(Topic.objects.filter(parent__isnull=True).values_list("code", flat=True))
    assert categories == {"missing", "violence", "mental_health", "physical_health", "access_services",
                          "discrimination", "family", "peers", "education_work", "sexuality",
                          "trafficking", "safe_migration"}
    assert set(Topic.objects.filter(parent="trafficking").values_list("code", flat=True)) == {
        "trafficking_sexual", "trafficking_labour", "trafficking_marriage", "trafficking_child_sale",
        "trafficking_organ", "trafficking_domestic", "trafficking_criminality"}
    assert Topic.objects.filter(parent="violence").count() == 9
    assert Topic.objects.get(code="migration_abroad").parent_id == "safe_migration"
    assert Topic.objects.get(code="violence_sexual").label_folded == "xam hai tinh duc sexual abuse"
    ordered = list(Topic.objects.values_list("code", flat=True)[:3])
    assert ordered == ["missing", "violence", "violence_physical"]


def test_code_removed_from_the_data_is_retired_not_deleted(monkeypatch):
    monkeypatch.setattr(taxonomy_data, "CONTACT_KINDS",
                        [k for k in taxonomy_data.CONTACT_KINDS if k[0] != "prank"])
    monkeypatch.setattr(taxonomy_data, "TOPICS",
                        [t for t in taxonomy_data.TOPICS if t[0] != "violence_bullying"])
    load_reference_data()
    assert ContactKind.objects.get(code="prank").active is False
    assert Topic.objects.get(code="violence_bullying").active is False
    assert not ContactKind.objects.active().filter(code="prank").exists()
    assert ContactKind.objects.get(code="report").active is True

    monkeypatch.undo()
    load_reference_data()
    assert ContactKind.objects.get(code="prank").active is True


# --------------------------------------------------------------------------- reloading


def test_second_load_writes_nothing_and_creates_no_duplicates():
    before = _row_counts()
    counts = load_reference_data()
    assert counts["rows_written"] == 0
    assert _row_counts() == before
    assert counts["communes"] == 3321 and counts["legacy_wards_unmapped"] == 0


def test_reload_restores_data_edited_away_from_the_source():
    Province.objects.filter(code="66").update(name_folded="x", region=None)
    ContactKind.objects.filter(code="report").update(label_vi="x")
    counts = load_reference_data()
    assert counts["rows_written"] == 2
    assert Province.objects.get(code="66").name_folded == "dak lak"
    assert ContactKind.objects.get(code="report").label_vi == "Tố giác, tin báo"


def test_command_prints_counts_unless_quiet():
    out = io.StringIO()
    call_command("refdata", stdout=out)
    assert "communes: 3,321" in out.getvalue()
    assert "rows written: 0" in out.getvalue()
    quiet = io.StringIO()
    call_command("refdata", verbosity=0, stdout=quiet)
    assert quiet.getvalue() == ""
