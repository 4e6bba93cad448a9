"""Request and response shapes of API v1: the public contract (see docs/api.md).

Request schemas check *shape* only (types, allowed keys, enumerations) so that a client
gets a precise error for ``"age": "nine"`` or a misspelt key. Every domain rule (codes
exist, commune in province, phone valid, what completing needs) is checked once, in
``tongdai.contacts.services``; the views hand it ``payload.dict(exclude_unset=True)``.

Contract promise: fields and enumeration values may be added in v1, never renamed or
removed. Clients must ignore response fields they do not know.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

from django.conf import settings
from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict, StrictBool, StrictInt
from pydantic import StrictStr as _StrictStr
from pydantic_core import PydanticCustomError

from tongdai.contacts.models import AgeGroup, Channel, Sex, Status


def utc(value: datetime.datetime | None) -> datetime.datetime | None:
    """An aware time as UTC for the JSON output (``None`` stays ``None``)."""
    return value.astimezone(datetime.UTC) if value else None


def storable(value: str) -> str:
    """Refuse text no database can store: NUL (PostgreSQL rejects it even in a lookup)
    and lone UTF-16 surrogates (valid in JSON escapes, not encodable as UTF-8)."""
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("unencodable_text", "contains a lone surrogate") from None
    return value


#: Every text field and query parameter uses these, never plain ``str``.
StrictStr = Annotated[_StrictStr, AfterValidator(storable)]
SafeStr = Annotated[str, AfterValidator(storable)]

# Literal types built from the model choices, so the OpenAPI enums follow the code.
ChannelCode = Literal[tuple(Channel.values)]  # type: ignore[valid-type]
SexCode = Literal[tuple(Sex.values)]  # type: ignore[valid-type]
AgeGroupCode = Literal[tuple(AgeGroup.values)]  # type: ignore[valid-type]
StatusCode = Literal[tuple(Status.values)]  # type: ignore[valid-type]

# Times are ISO 8601 text; the service parses them so every interface shares one rule
# (a time without offset is read as Asia/Ho_Chi_Minh; times in the future are refused).
Moment = Annotated[StrictStr | None, Field(
    json_schema_extra={"format": "date-time", "example": "2026-01-05T09:30:00+07:00"})]
Code = Annotated[StrictStr | None, Field(description="An official or taxonomy code.")]


class StrictIn(Schema):
    """Input: unknown keys are refused, and no type coercion ("9" is not 9)."""

    model_config = ConfigDict(extra="forbid")


class CallerIn(StrictIn):
    phone: StrictStr | None = Field(None, examples=["0912 345 678"])
    name: StrictStr | None = None
    relation: Code = Field(None, description="CallerRelation code (see /taxonomy).")
    sex: SexCode | None = None
    age: StrictInt | None = None
    age_group: AgeGroupCode | None = None
    province: Code = Field(None, description="2-digit province code (see /geo/provinces).")
    commune: Code = Field(None, description="5-digit commune code, inside the province.")
    country: Code = Field(None, description="ISO 3166-1 alpha-2, for callers abroad.")
    anonymous: StrictBool | None = None
    consent_keep: StrictBool | None = None
    consent_share: StrictBool | None = None


class SubjectIn(StrictIn):
    name: StrictStr | None = None
    sex: SexCode | None = None
    age: StrictInt | None = None
    age_estimated: StrictBool | None = None
    age_group: AgeGroupCode | None = None
    province: Code = None
    commune: Code = None
    country: Code = None


class ContactFields(StrictIn):
    channel: ChannelCode | None = None
    kind: Code = Field(None, description="ContactKind code (see /taxonomy).")
    topics: list[StrictStr] | None = Field(None, description="Topic codes (see /taxonomy).")
    summary: StrictStr | None = None
    notes: StrictStr | None = None
    actions_taken: StrictStr | None = None
    urgent: StrictBool | None = None
    received_at: Moment = None
    answered_at: Moment = None
    ended_at: Moment = None
    caller: CallerIn | None = None
    subjects: list[SubjectIn] | None = None


class ContactCreateIn(ContactFields):
    status: StatusCode | None = Field(None, description='"draft" (default) or "completed".')


class ContactPatchIn(ContactFields):
    status: StatusCode | None = Field(None, description='"completed" completes a draft.')
    version: StrictInt | None = Field(
        None, description="The version you loaded; 409 if the contact changed since.")


class ContactListQuery(Schema):
    q: SafeStr = Field("", description="Name (accents optional) or phone number.")
    phone: SafeStr = Field("", description="Any written form of a phone number.")
    date_from: datetime.date | None = Field(None, alias="from",
                                            description="First day (YYYY-MM-DD, Vietnam time).")
    date_to: datetime.date | None = Field(None, alias="to",
                                          description="Last day, inclusive.")
    kind: SafeStr = ""
    topic: SafeStr = Field("", description="A category also matches its subcategories.")
    province: SafeStr = ""
    channel: SafeStr = ""
    centre: SafeStr = Field("", description="HN, DN or AG.")
    urgent: bool | None = None
    status: SafeStr = ""
    page: int = Field(1, ge=1, le=10_000)
    page_size: int = Field(min(settings.CONTACT_PAGE_SIZE, 100), ge=1, le=100)


# --------------------------------------------------------------------------- output


class CallerOut(Schema):
    phone: str = Field(description="E.164, e.g. +84912345678; empty when not known.")
    name: str
    relation: str | None
    sex: str
    age: int | None
    age_group: str
    province: str | None
    commune: str | None
    country: str | None
    anonymous: bool
    consent_keep: bool
    consent_share: bool


class SubjectOut(Schema):
    name: str
    sex: str
    age: int | None
    age_estimated: bool
    age_group: str
    province: str | None
    commune: str | None
    country: str | None


class ContactOut(Schema):
    id: int
    reference: str = Field(description="Short code to read out on the phone, e.g. HN-0000042.")
    status: str
    version: int
    centre: str
    counsellor: str = Field(description="Username of the counsellor who recorded it.")
    channel: str
    kind: str | None
    topics: list[str]
    summary: str
    notes: str
    actions_taken: str
    urgent: bool
    received_at: datetime.datetime
    answered_at: datetime.datetime | None
    ended_at: datetime.datetime | None
    caller: CallerOut
    subjects: list[SubjectOut]
    province: str | None = Field(description="Where the contact is about, for statistics.")
    commune: str | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    completed_at: datetime.datetime | None


class ContactPageOut(Schema):
    items: list[ContactOut]
    page: int
    page_size: int
    has_next: bool


class ErrorOut(Schema):
    message: str
    errors: dict[str, str] | None = Field(
        None, description="Field path (caller.phone, subjects.0.commune) → message.")


# --------------------------------------------------------------------------- reference


class ProvinceOut(Schema):
    code: str
    name: str
    short_name: str
    unit_type: str
    region: str | None


class CommuneOut(Schema):
    code: str
    name: str
    short_name: str
    unit_type: str
    province: str


class CountryOut(Schema):
    code: str
    alpha3: str
    name_vi: str
    name_en: str


class TermOut(Schema):
    code: str
    label_vi: str
    label_en: str
    active: bool


class KindOut(TermOut):
    group: str = Field(description='"substantive" or "non_substantive".')


class TopicOut(TermOut):
    parent: str | None


class ChoiceOut(Schema):
    code: str
    label_vi: str
    label_en: str


class TaxonomyOut(Schema):
    kinds: list[KindOut]
    relations: list[TermOut]
    topics: list[TopicOut]
    channels: list[ChoiceOut]
    sexes: list[ChoiceOut]
    age_groups: list[ChoiceOut]


class MeOut(Schema):
    username: str
    full_name: str
    role: str
    centre: str | None
    can_create_contacts: bool
    can_view_contacts: bool
