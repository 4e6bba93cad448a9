"""Load reference data (geography, countries, centres, taxonomy) into our own tables.

Source of the administrative units: the ``vietnamadminunits`` package (MIT), read
offline from the files it ships: ``data/dataset.db`` (SQLite; ``admin_units`` = the
34 provinces / 3,321 communes in force since 1 Jul 2025, ``admin_units_legacy`` = the
63 provinces / 696 districts / 10,035 wards before) and ``data/converter_2025.json``
(legacy province -> current province, legacy ward -> current commune). Rows are
addressed in those files by "keys" (``provinceKey``, ``districtKey``, ``wardKey``);
legacy wards by ``"<provinceKey>_<districtKey>_<wardKey>"``.

``load_reference_data()`` is idempotent: it creates what is missing, updates what
changed, and never deletes (records point at these rows). A second run writes nothing.
"""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import models, transaction

from tongdai.core import refcache
from tongdai.core.text import fold
from tongdai.geo.regions import LEGACY_PROVINCE_REGION, REGION_POSITION, REGIONS

# --------------------------------------------------------------------------- writing


def sync_table(model: type[models.Model], rows: Iterable[dict]) -> dict[str, int]:
    """Create missing rows and update changed ones, keyed by primary key; delete nothing.

    ``rows`` are dicts of attribute names (``province_id``, not ``province``). Existing
    rows are compared field by field, so an unchanged source writes nothing.
    """
    rows = list(rows)
    if not rows:
        return {"created": 0, "updated": 0}
    pk = model._meta.pk.attname
    fields = [name for name in rows[0] if name != pk]
    existing = {row[pk]: row for row in model.objects.values(pk, *fields)}
    to_create, to_update = [], []
    for row in rows:
        current = existing.get(row[pk])
        if current is None:
            to_create.append(model(**row))
        elif any(current[name] != row[name] for name in fields):
            to_update.append(model(**row))
    model.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        model.objects.bulk_update(to_update, [_field_name(model, name) for name in fields], batch_size=500)
    return {"created": len(to_create), "updated": len(to_update)}


def _field_name(model: type[models.Model], attname: str) -> str:
    return next(f.name for f in model._meta.concrete_fields if f.attname == attname)


# --------------------------------------------------------------------------- source


@dataclass
class GeoSource:
    """The rows we load, read from ``vietnamadminunits`` and shaped for our tables."""

    provinces: list[dict] = field(default_factory=list)
    communes: list[dict] = field(default_factory=list)
    legacy_provinces: list[dict] = field(default_factory=list)
    legacy_districts: list[dict] = field(default_factory=list)
    legacy_wards: list[dict] = field(default_factory=list)


def _data_dir() -> Path:
    """The package's data folder, found without importing it (its import pulls in pandas: ~1 s)."""
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The vietnamadminunits package is not installed.")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _query(db: sqlite3.Connection, sql: str) -> list[sqlite3.Row]:
    return db.execute(sql).fetchall()


def read_geo_source() -> GeoSource:
    """Read and map the dataset; raises if the package's data breaks our assumptions."""
    data = _data_dir()
    db = sqlite3.connect((data / "dataset.db").as_uri() + "?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    try:
        current = _query(db, "SELECT provinceCode, province, provinceShort, provinceKey, wardCode, "
                             "ward, wardShort, wardType, wardKey FROM admin_units ORDER BY wardCode")
        legacy = _query(db, "SELECT provinceCode, province, provinceShort, provinceKey, districtCode, "
                            "district, districtType, districtKey, wardCode, ward, wardKey "
                            "FROM admin_units_legacy ORDER BY districtCode, wardCode")
    finally:
        db.close()
    converter = json.loads((data / "converter_2025.json").read_text(encoding="utf-8"))
    return _build(current, legacy, converter)


def _unit_type(name: str, short: str) -> str:
    """"Thành phố Hà Nội" with short "Hà Nội" -> "Thành phố" (the dataset has no column)."""
    return name[: len(name) - len(short)].strip() if name.endswith(short) else ""


def _build(current: list, legacy: list, converter: dict) -> GeoSource:
    src = GeoSource()
    province_code = {r["provinceKey"]: r["provinceCode"] for r in current}
    commune_code = {(r["provinceKey"], r["wardKey"]): r["wardCode"] for r in current}
    legacy_province_code = {r["provinceKey"]: r["provinceCode"] for r in legacy}

    successor = _legacy_successors(converter, commune_code)  # legacy ward key -> commune code
    sources = _commune_sources(converter, commune_code)  # commune code -> legacy ward keys
    merged_into = {old: province_code[new] for new, olds in converter["DICT_PROVINCE"].items()
                   for old in olds}

    commune_region = _commune_regions(current, sources, legacy_province_code)
    province_regions = defaultdict(list)
    for r in current:
        province_regions[r["provinceCode"]].append(commune_region[r["wardCode"]])

    seen_provinces = set()
    for r in current:
        if r["provinceCode"] not in seen_provinces:
            seen_provinces.add(r["provinceCode"])
            src.provinces.append({
                "code": r["provinceCode"], "name": r["province"], "short_name": r["provinceShort"],
                "unit_type": _unit_type(r["province"], r["provinceShort"]),
                "name_folded": fold(r["provinceShort"]),
                "region_id": _majority(province_regions[r["provinceCode"]]),
            })
        src.communes.append({
            "code": r["wardCode"], "province_id": r["provinceCode"], "name": r["ward"],
            "short_name": r["wardShort"], "unit_type": r["wardType"],
            "name_folded": fold(r["wardShort"]), "region_id": commune_region[r["wardCode"]],
        })

    seen_provinces, seen_districts = set(), set()
    for r in legacy:
        if r["provinceCode"] not in seen_provinces:
            seen_provinces.add(r["provinceCode"])
            src.legacy_provinces.append({
                "code": r["provinceCode"], "name": r["province"], "short_name": r["provinceShort"],
                "name_folded": fold(r["provinceShort"]),
                "region_id": LEGACY_PROVINCE_REGION[r["provinceCode"]],
                "current_id": merged_into[r["provinceKey"]],
            })
        if r["districtCode"] not in seen_districts:
            seen_districts.add(r["districtCode"])
            src.legacy_districts.append({
                "code": r["districtCode"], "province_id": r["provinceCode"], "name": r["district"],
                "unit_type": r["districtType"],
            })
        if r["wardCode"]:  # five island districts had no wards
            key = f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}"
            src.legacy_wards.append({
                "code": r["wardCode"], "district_id": r["districtCode"], "name": r["ward"],
                "current_id": successor.get(key),
            })
    return src


def _commune_regions(current: list, sources: dict[str, list[str]],
                     legacy_province_code: dict[str, str]) -> dict[str, str | None]:
    """Statistical region of each current commune, for reports on current-unit records.

    The eight regions are defined on the 63 legacy provinces, so a current commune takes
    the region of the legacy province most of its legacy wards came from (a ward split
    between communes counts for each). A current province then takes the region of most
    of its communes (see ``_build``). A commune with no recorded source would fall back
    to the legacy province sharing its province's code; with 1.0.4 data none needs it.
    """
    regions = {}
    for r in current:
        from_wards = [LEGACY_PROVINCE_REGION[legacy_province_code[key.split("_", 1)[0]]]
                      for key in sources.get(r["wardCode"], [])]
        regions[r["wardCode"]] = _majority(from_wards) or LEGACY_PROVINCE_REGION.get(r["provinceCode"])
    return regions


def _legacy_successors(converter: dict, commune_code: dict) -> dict[str, str]:
    """Legacy ward key -> the current commune it became (the default one if it was split)."""
    result = {}
    for province, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_ward, old_keys in wards.items():
            for old in old_keys:
                result[old] = commune_code[(province, new_ward)]
    for province, old_wards in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, parts in old_wards.items():
            default = next((p for p in parts if p["isDefaultNewWard"]), None)
            if default is not None and old not in result:
                result[old] = commune_code[(province, default["newWardKey"])]
    return result


def _commune_sources(converter: dict, commune_code: dict) -> dict[str, list[str]]:
    """Current commune code -> keys of every legacy ward (or part of one) it was made from."""
    result = defaultdict(list)
    for province, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_ward, old_keys in wards.items():
            result[commune_code[(province, new_ward)]].extend(old_keys)
    for province, old_wards in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, parts in old_wards.items():
            for part in parts:
                result[commune_code[(province, part["newWardKey"])]].append(old)
    return result


def _majority(regions: list[str]) -> str | None:
    """The most frequent region; ties go to the region listed first (deterministic)."""
    counts = Counter(r for r in regions if r)
    if not counts:
        return None
    return min(counts, key=lambda r: (-counts[r], REGION_POSITION[r]))


# --------------------------------------------------------------------------- loading


def _written(*results: dict[str, int]) -> int:
    return sum(r["created"] + r["updated"] for r in results)


def load_regions() -> dict[str, int]:
    from tongdai.geo.models import Region

    result = sync_table(Region, ({"code": c, "name_vi": vi, "name_en": en, "position": i}
                                 for i, (c, vi, en) in enumerate(REGIONS)))
    return {"regions": len(REGIONS), "written": _written(result)}


def load_geography(src: GeoSource | None = None) -> dict[str, int]:
    """Current and legacy units; returns row counts and how many legacy wards have no successor."""
    from tongdai.geo.models import Commune, LegacyDistrict, LegacyProvince, LegacyWard, Province

    src = src or read_geo_source()
    written = _written(
        sync_table(Province, src.provinces),
        sync_table(Commune, src.communes),
        sync_table(LegacyProvince, src.legacy_provinces),
        sync_table(LegacyDistrict, src.legacy_districts),
        sync_table(LegacyWard, src.legacy_wards),
    )
    return {
        "provinces": len(src.provinces), "communes": len(src.communes),
        "legacy_provinces": len(src.legacy_provinces), "legacy_districts": len(src.legacy_districts),
        "legacy_wards": len(src.legacy_wards),
        "legacy_wards_unmapped": sum(1 for w in src.legacy_wards if w["current_id"] is None),
        "written": written,
    }


def load_countries() -> dict[str, int]:
    from tongdai.geo.countries import iso_countries
    from tongdai.geo.models import Country

    rows = [{**c, "name_folded": fold(f"{c['name_vi']} {c['name_en']}")[:200]} for c in iso_countries()]
    return {"countries": len(rows), "written": _written(sync_table(Country, rows))}


def load_reference_data() -> dict[str, int]:
    """Load or refresh all reference data in one transaction.

    Returns the number of rows of each kind in the source, plus ``rows_written``: how
    many rows were created, updated or retired (0 when the database was already current).
    """
    from tongdai.geo.centres import load_centres
    from tongdai.taxonomy.loader import load_taxonomy

    src = read_geo_source()  # parse before the transaction: no write lock held meanwhile
    counts: dict[str, int] = {"rows_written": 0}
    with transaction.atomic():
        for result in (load_regions(), load_geography(src), load_countries(), load_centres(),
                       load_taxonomy()):
            counts["rows_written"] += result.pop("written")
            counts.update(result)
    counts["rows_written"] = counts.pop("rows_written")  # last, for the command's output
    # Bulk writes send no signals: forget the cached tables now and once committed.
    refcache.clear()
    transaction.on_commit(refcache.clear)
    return counts
