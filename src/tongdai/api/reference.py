"""Reference data for clients: geography, classification codes, and who the token is.

Not personal data: readable by every authenticated user, not audited. Clients may cache
these lists; codes never change meaning (retired terms stay, with ``active: false``).
"""

from __future__ import annotations

import re

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import translation
from ninja import Router

from tongdai.accounts.roles import Perm
from tongdai.api.schemas import (
    CommuneOut,
    CountryOut,
    ErrorOut,
    MeOut,
    ProvinceOut,
    SafeStr,
    TaxonomyOut,
)
from tongdai.contacts.models import AgeGroup, Channel, Sex
from tongdai.core.text import search_terms
from tongdai.geo.models import Commune, Country, Province
from tongdai.taxonomy.models import CallerRelation, ContactKind, Topic

router = Router(tags=["reference"])
PROVINCE_CODE = re.compile(r"[0-9]{2}")
ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


@router.get("/geo/provinces", response={200: list[ProvinceOut], **ERRORS},
            url_name="province_list",
            operation_id="province_list", summary="Provinces")
def province_list(request):
    """The 34 provinces and centrally-run cities in force since 1 Jul 2025."""
    return [_province(p) for p in Province.objects.all()]


@router.get("/geo/provinces/{code}/communes", response={200: list[CommuneOut], **ERRORS},
            url_name="commune_list",
            operation_id="commune_list", summary="Communes of a province")
def commune_list(request, code: str, q: SafeStr = ""):
    """Communes of one province; `q` filters by name, accents optional ("ba dinh")."""
    if not PROVINCE_CODE.fullmatch(code):
        raise Http404  # also keeps NUL and the like away from the database
    province = get_object_or_404(Province, pk=code)
    communes = Commune.objects.filter(province=province)
    for term in search_terms(q):
        communes = communes.filter(name_folded__contains=term)
    return [{"code": c.code, "name": c.name, "short_name": c.short_name,
             "unit_type": c.unit_type, "province": c.province_id} for c in communes]


@router.get("/geo/countries", response={200: list[CountryOut], **ERRORS},
            url_name="country_list",
            operation_id="country_list", summary="Countries")
def country_list(request):
    """ISO 3166-1 countries (destination and transit countries, callers abroad)."""
    return list(Country.objects.values("code", "alpha3", "name_vi", "name_en"))


@router.get("/taxonomy", response={200: TaxonomyOut, **ERRORS}, url_name="taxonomy",
            operation_id="taxonomy_get", summary="Classification codes")
def taxonomy(request):
    """Every classification code with Vietnamese and English labels, retired ones included."""
    terms = ("code", "label_vi", "label_en", "active")
    return {
        "kinds": list(ContactKind.objects.values(*terms, "group")),
        "relations": list(CallerRelation.objects.values(*terms)),
        "topics": [{**t, "parent": t.pop("parent_id")}
                   for t in Topic.objects.values(*terms, "parent_id")],
        "channels": _choices(Channel),
        "sexes": _choices(Sex),
        "age_groups": _choices(AgeGroup),
    }


@router.get("/me", response={200: MeOut, **ERRORS}, url_name="me",
            operation_id="me_get", summary="The token's user")
def me(request):
    """The user the token belongs to and what they may do (for clients to check a token)."""
    user = request.auth
    return {"username": user.username, "full_name": user.full_name, "role": user.role,
            "centre": user.centre_id, "can_create_contacts": user.can(Perm.CONTACT_CREATE),
            "can_view_contacts": user.can(Perm.CONTACT_VIEW)}


def _province(p: Province) -> dict:
    return {"code": p.code, "name": p.name, "short_name": p.short_name,
            "unit_type": p.unit_type, "region": p.region_id}


def _choices(choices) -> list[dict]:
    """Code-defined enumerations with labels in both languages (labels are gettext'd)."""
    out = []
    for value, label in choices.choices:
        with translation.override("vi"):
            label_vi = str(label)
        with translation.override("en"):
            label_en = str(label)
        out.append({"code": value, "label_vi": label_vi, "label_en": label_en})
    return out
