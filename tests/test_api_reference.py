"""API v1 reference data (geography, taxonomy, token owner) and the OpenAPI document."""

from __future__ import annotations

import openapi_spec_validator
import pytest

from tongdai.geo.models import Commune


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """The people fixture hashes a dozen passwords; argon2 would cost seconds per test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_provinces_are_the_34_current_units(people, api):
    response = api(people.hn).get("/api/v1/geo/provinces")

    assert response.status_code == 200
    provinces = response.json()
    assert len(provinces) == 34
    hanoi = next(p for p in provinces if p["code"] == "01")
    assert hanoi["short_name"] == "Hà Nội"
    assert set(hanoi) == {"code", "name", "short_name", "unit_type", "region"}


def test_communes_of_a_province(people, api):
    response = api(people.hn).get("/api/v1/geo/provinces/01/communes")

    assert response.status_code == 200
    communes = response.json()
    assert len(communes) == Commune.objects.filter(province_id="01").count() > 100
    assert {c["province"] for c in communes} == {"01"}


@pytest.mark.parametrize("query", ["ba dinh", "Ba Đình", "BA ĐINH"])
def test_commune_filter_ignores_accents(people, api, query):
    response = api(people.hn).get("/api/v1/geo/provinces/01/communes", {"q": query})

    assert response.status_code == 200
    names = [c["short_name"] for c in response.json()]
    assert "Ba Đình" in names
    assert all("ba dinh" in c["short_name"].lower().replace("đ", "d").replace("ì", "i")
               for c in response.json())


@pytest.mark.parametrize("code", ["99", "1", "001", "xx", "%00"])
def test_communes_of_an_unknown_province_is_404(people, api, code):
    response = api(people.hn).get(f"/api/v1/geo/provinces/{code}/communes")
    assert response.status_code == 404
    assert response.json()["message"]


def test_countries_include_destination_countries(people, api):
    response = api(people.hn).get("/api/v1/geo/countries")

    assert response.status_code == 200
    by_code = {c["code"]: c for c in response.json()}
    assert {"CN", "KH", "LA", "MM", "MY", "VN"} <= set(by_code)
    assert by_code["KH"]["alpha3"] == "KHM"


def test_taxonomy_lists_every_code_family_with_both_labels(people, api):
    response = api(people.police).get("/api/v1/taxonomy")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"kinds", "relations", "topics", "channels", "sexes", "age_groups"}
    kinds = {k["code"]: k for k in body["kinds"]}
    assert kinds["report"]["group"] == "substantive"
    assert kinds["prank"]["group"] == "non_substantive"
    assert kinds["report"]["label_vi"] == "Tố giác, tin báo"
    assert kinds["report"]["label_en"] == "Report or tip-off"
    topics = {t["code"]: t for t in body["topics"]}
    assert topics["violence_physical"]["parent"] == "violence"
    assert topics["violence"]["parent"] is None
    assert all(t["active"] is True for t in body["topics"])
    assert {c["code"] for c in body["channels"]} == {
        "phone_111", "phone_18001567", "zalo", "facebook", "app", "web", "email", "media",
        "walk_in"}
    assert "neighbour_witness" in {r["code"] for r in body["relations"]}


def test_me_tells_a_client_whose_token_it_holds(people, api):
    body = api(people.ag).get("/api/v1/me").json()
    assert body == {"username": "ag_counsellor", "full_name": "Ag Counsellor",
                    "role": "counsellor", "centre": "AG", "can_create_contacts": True,
                    "can_view_contacts": True}
    assert api(people.analyst).get("/api/v1/me").json()["can_view_contacts"] is False


@pytest.mark.parametrize("path", ["/api/v1/geo/provinces", "/api/v1/geo/provinces/01/communes",
                                  "/api/v1/geo/countries", "/api/v1/taxonomy", "/api/v1/me"])
def test_reference_data_needs_a_token(client, db, path):
    assert client.get(path).status_code == 401


def test_openapi_document_lists_every_endpoint(client, db):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    assert set(paths) >= {
        "/api/v1/contacts", "/api/v1/contacts/{contact_id}", "/api/v1/geo/provinces",
        "/api/v1/geo/provinces/{code}/communes", "/api/v1/geo/countries", "/api/v1/taxonomy",
        "/api/v1/me",
    }
    assert set(paths["/api/v1/contacts"]) == {"get", "post"}
    assert set(paths["/api/v1/contacts/{contact_id}"]) == {"get", "patch"}
    assert spec["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    create = spec["components"]["schemas"]["ContactCreateIn"]
    assert create["additionalProperties"] is False


def test_openapi_document_is_valid(client, db):
    openapi_spec_validator.validate(client.get("/api/v1/openapi.json").json())


def test_docs_page_loads_only_local_assets(client, db):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200
