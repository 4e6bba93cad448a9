"""The three hotline centres and the provinces each serves by default.

The national centre in Hà Nội also serves the North; the Central centre in Đà Nẵng and
the Southern centre in An Giang serve their halves of the country (domain brief). The
default split follows the 34 current provinces: Hà Nội takes everything from Hà Tĩnh
northwards, Đà Nẵng from Quảng Trị to Lâm Đồng, An Giang the Southeast and the Mekong
Delta. Administrators may change it; ``tongdai refdata`` applies it only when it creates
a centre, so their edits survive re-runs.
"""

from __future__ import annotations

#: code -> (name_vi, name_en, seat province code, national?, provinces served by default)
CENTRES: dict[str, tuple[str, str, str, bool, list[str]]] = {
    "HN": (
        "Trung tâm quốc gia (Hà Nội)", "National centre (Hà Nội)", "01", True,
        # Hà Nội, Cao Bằng, Tuyên Quang, Điện Biên, Lai Châu, Sơn La, Lào Cai, Thái Nguyên,
        # Lạng Sơn, Quảng Ninh, Bắc Ninh, Phú Thọ, Hải Phòng, Hưng Yên, Ninh Bình,
        # Thanh Hóa, Nghệ An, Hà Tĩnh
        ["01", "04", "08", "11", "12", "14", "15", "19", "20", "22", "24", "25", "31", "33",
         "37", "38", "40", "42"],
    ),
    "DN": (
        "Trung tâm khu vực miền Trung (Đà Nẵng)", "Central regional centre (Đà Nẵng)", "48", False,
        # Quảng Trị, Huế, Đà Nẵng, Quảng Ngãi, Gia Lai, Khánh Hòa, Đắk Lắk, Lâm Đồng
        ["44", "46", "48", "51", "52", "56", "66", "68"],
    ),
    "AG": (
        "Trung tâm khu vực miền Nam (An Giang)", "Southern regional centre (An Giang)", "91", False,
        # Đồng Nai, Hồ Chí Minh, Tây Ninh, Đồng Tháp, Vĩnh Long, An Giang, Cần Thơ, Cà Mau
        ["75", "79", "80", "82", "86", "91", "92", "96"],
    ),
}


def load_centres() -> dict[str, int]:
    """Create missing centres with their default provinces; leave existing ones as admins set them."""
    from tongdai.accounts.models import Centre

    existing = set(Centre.objects.values_list("code", flat=True))
    created = 0
    for code, (name_vi, name_en, seat, national, provinces) in CENTRES.items():
        if code in existing:
            continue
        centre = Centre.objects.create(code=code, name_vi=name_vi, name_en=name_en,
                                       province_id=seat, is_national=national)
        centre.provinces.set(provinces)
        created += 1
    return {"centres": len(CENTRES), "written": created}
