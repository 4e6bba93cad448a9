"""Administrative geography of Vietnam, current and legacy, and countries.

Current units follow Resolution 202/2025/QH15 (in force 1 Jul 2025): 34 provinces and
3,321 communes, no districts. Legacy units (63 provinces, their districts and wards) stay
because older records and published statistics use them; each legacy unit points to the
current unit it became, so reports can map old records onto today's map.
Reference data is loaded by ``tongdai refdata`` (see ``geo.loader``); these tables are not
personal data and are readable by every signed-in user.
"""

from __future__ import annotations

import datetime

from django.db import models

#: The day the 2025 reorganisation took effect (Resolution 202/2025/QH15).
REFORM_2025 = datetime.date(2025, 7, 1)


class Region(models.Model):
    """One of the 8 statistical regions used by the hotline's published figures, or abroad."""

    code = models.CharField(max_length=8, primary_key=True)
    name_vi = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.name_vi


class Province(models.Model):
    """A province or centrally-run city in force since 1 Jul 2025 (official 2-digit code)."""

    code = models.CharField(max_length=2, primary_key=True)
    name = models.CharField(max_length=100)  # "Thành phố Hà Nội"
    short_name = models.CharField(max_length=60)  # "Hà Nội"
    unit_type = models.CharField(max_length=20)  # "Tỉnh" / "Thành phố"
    name_folded = models.CharField(max_length=100, db_index=True)
    # The region most of its population came from (for reports on current-unit records).
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Commune(models.Model):
    """A commune-level unit (xã, phường or đặc khu) in force since 1 Jul 2025."""

    code = models.CharField(max_length=5, primary_key=True)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="communes")
    name = models.CharField(max_length=100)  # "Phường Ba Đình"
    short_name = models.CharField(max_length=80)
    unit_type = models.CharField(max_length=20)  # "Xã" / "Phường" / "Đặc khu"
    name_folded = models.CharField(max_length=100)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["province_id", "name_folded"]
        indexes = [models.Index(fields=["province", "name_folded"], name="geo_commune_prov_name")]

    def __str__(self) -> str:
        return f"{self.name}, {self.province.short_name}"


class LegacyProvince(models.Model):
    """One of the 63 provinces before 1 Jul 2025, with its statistical region."""

    code = models.CharField(max_length=2, primary_key=True)
    name = models.CharField(max_length=100)
    short_name = models.CharField(max_length=60)
    name_folded = models.CharField(max_length=100)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="legacy_provinces")
    current = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="legacy_units")
    mapped_on = models.DateField(default=REFORM_2025)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class LegacyDistrict(models.Model):
    """A district (huyện, quận, thị xã, thành phố thuộc tỉnh) of the 63-province map."""

    code = models.CharField(max_length=3, primary_key=True)
    province = models.ForeignKey(LegacyProvince, on_delete=models.PROTECT, related_name="districts")
    name = models.CharField(max_length=100)
    unit_type = models.CharField(max_length=20)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class LegacyWard(models.Model):
    """A commune-level unit of the 63-province map, and the current commune it became.

    Where a legacy ward was split, ``current`` is the commune the source marks as its
    default successor (``vietnamadminunits``' ``isDefaultNewWard``).
    """

    code = models.CharField(max_length=5, primary_key=True)
    district = models.ForeignKey(LegacyDistrict, on_delete=models.PROTECT, related_name="wards")
    name = models.CharField(max_length=100)
    current = models.ForeignKey(Commune, on_delete=models.PROTECT, null=True, related_name="legacy_wards")
    mapped_on = models.DateField(default=REFORM_2025)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Country(models.Model):
    """ISO 3166-1 country, for callers and victims abroad and for trafficking routes."""

    code = models.CharField(max_length=2, primary_key=True)  # alpha-2
    alpha3 = models.CharField(max_length=3, unique=True)
    name_vi = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100)
    name_folded = models.CharField(max_length=200)

    class Meta:
        ordering = ["name_en"]
        verbose_name_plural = "countries"

    def __str__(self) -> str:
        return self.name_vi
