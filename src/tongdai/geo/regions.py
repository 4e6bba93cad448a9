"""The statistical regions of Vietnam and the legacy provinces in each.

The hotline's published figures (e.g. calls by region, Nov 2018 - Feb 2022) use the
**eight regions** (8 vùng) of the Atlat Địa lí Việt Nam and the national geography
curriculum, which the General Statistics Office also used before its 2005 six-region
scheme: Red River Delta, Northeast, Northwest, North Central Coast, South Central Coast,
Central Highlands, Southeast and Mekong Delta, plus "abroad" for calls from outside
Vietnam. The split is defined on the 63 provinces in force before 1 Jul 2025, keyed
here by their official (legacy) province codes; current units get a region derived
from these in ``geo.loader``.
"""

from __future__ import annotations

ABROAD = "ABROAD"

#: (code, Vietnamese name, English name), in the order reports list them.
REGIONS: list[tuple[str, str, str]] = [
    ("RRD", "Đồng bằng sông Hồng", "Red River Delta"),
    ("NE", "Đông Bắc", "Northeast"),
    ("NW", "Tây Bắc", "Northwest"),
    ("NCC", "Bắc Trung Bộ", "North Central Coast"),
    ("SCC", "Nam Trung Bộ (Duyên hải Nam Trung Bộ)", "South Central Coast"),
    ("CH", "Tây Nguyên", "Central Highlands"),
    ("SE", "Đông Nam Bộ", "Southeast"),
    ("MD", "Đồng bằng sông Cửu Long", "Mekong Delta"),
    (ABROAD, "Nước ngoài", "Abroad"),
]

#: Region code -> legacy province codes (63 provinces, before Resolution 202/2025/QH15).
REGION_LEGACY_PROVINCES: dict[str, list[str]] = {
    # Hà Nội, Vĩnh Phúc, Bắc Ninh, Hà Nam, Hưng Yên, Hải Dương, Hải Phòng, Thái Bình,
    # Nam Định, Ninh Bình
    "RRD": ["01", "26", "27", "35", "33", "30", "31", "34", "36", "37"],
    # Hà Giang, Cao Bằng, Bắc Kạn, Tuyên Quang, Lào Cai, Yên Bái, Thái Nguyên, Lạng Sơn,
    # Quảng Ninh, Bắc Giang, Phú Thọ
    "NE": ["02", "04", "06", "08", "10", "15", "19", "20", "22", "24", "25"],
    # Điện Biên, Lai Châu, Sơn La, Hòa Bình
    "NW": ["11", "12", "14", "17"],
    # Thanh Hóa, Nghệ An, Hà Tĩnh, Quảng Bình, Quảng Trị, Thừa Thiên Huế
    "NCC": ["38", "40", "42", "44", "45", "46"],
    # Đà Nẵng, Quảng Nam, Quảng Ngãi, Bình Định, Phú Yên, Khánh Hòa, Ninh Thuận, Bình Thuận
    "SCC": ["48", "49", "51", "52", "54", "56", "58", "60"],
    # Kon Tum, Gia Lai, Đắk Lắk, Đắk Nông, Lâm Đồng
    "CH": ["62", "64", "66", "67", "68"],
    # TP Hồ Chí Minh, Bình Dương, Bình Phước, Tây Ninh, Đồng Nai, Bà Rịa - Vũng Tàu
    "SE": ["79", "74", "70", "72", "75", "77"],
    # Long An, Tiền Giang, Bến Tre, Trà Vinh, Vĩnh Long, Đồng Tháp, An Giang, Kiên Giang,
    # Cần Thơ, Hậu Giang, Sóc Trăng, Bạc Liêu, Cà Mau
    "MD": ["80", "82", "83", "84", "86", "87", "89", "91", "92", "93", "94", "95", "96"],
}

#: Legacy province code -> region code.
LEGACY_PROVINCE_REGION: dict[str, str] = {
    province: region for region, provinces in REGION_LEGACY_PROVINCES.items() for province in provinces
}

#: Region code -> position in reports.
REGION_POSITION: dict[str, int] = {code: i for i, (code, _vi, _en) in enumerate(REGIONS)}
