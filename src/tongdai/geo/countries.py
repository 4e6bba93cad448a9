"""Countries from ISO 3166-1 (``pycountry``), with the names Vietnamese officials use.

pycountry's Vietnamese catalogue (iso-codes) is old and often phonetic ("Căm Bốt",
"Ma-lai-xi-a", "Ă-ru-ba"); the names below follow current usage of the Ministry of Foreign
Affairs and the press. Countries on trafficking routes and labour-migration destinations
come first. For any other country we keep pycountry's translation unless it is a
hyphenated phonetic spelling, which nobody writes today: then the English name is used,
as Vietnamese texts now write most foreign names in their Latin form.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator

import pycountry

VI_NAMES: dict[str, str] = {
    # Neighbours and trafficking routes
    "KH": "Campuchia", "LA": "Lào", "MM": "Myanmar", "CN": "Trung Quốc", "TH": "Thái Lan",
    "MY": "Malaysia", "SG": "Singapore", "ID": "Indonesia", "PH": "Philippines",
    "BN": "Brunei", "TL": "Đông Timor", "TW": "Đài Loan", "HK": "Hồng Kông", "MO": "Ma Cao",
    "KR": "Hàn Quốc", "KP": "Triều Tiên", "JP": "Nhật Bản", "MN": "Mông Cổ", "IN": "Ấn Độ",
    "BD": "Bangladesh", "PK": "Pakistan", "NP": "Nepal", "LK": "Sri Lanka", "VN": "Việt Nam",
    # Labour-migration destinations and others often named
    "US": "Hoa Kỳ", "GB": "Vương quốc Anh", "AU": "Australia", "NZ": "New Zealand",
    "CA": "Canada", "DE": "Đức", "FR": "Pháp", "IT": "Italia", "NL": "Hà Lan",
    "BE": "Bỉ", "CH": "Thụy Sĩ", "AT": "Áo", "SE": "Thụy Điển", "NO": "Na Uy",
    "DK": "Đan Mạch", "FI": "Phần Lan", "IE": "Ireland", "IS": "Iceland", "PL": "Ba Lan",
    "CZ": "Séc", "SK": "Slovakia", "HU": "Hungary", "RO": "Romania", "BG": "Bulgaria",
    "RU": "Nga", "UA": "Ukraine", "BY": "Belarus", "LT": "Litva", "LV": "Latvia",
    "EE": "Estonia", "ES": "Tây Ban Nha", "PT": "Bồ Đào Nha", "GR": "Hy Lạp", "CY": "Síp",
    "RS": "Serbia", "HR": "Croatia", "SI": "Slovenia", "MD": "Moldova",
    "MK": "Bắc Macedonia", "TR": "Thổ Nhĩ Kỳ", "GE": "Gruzia", "AM": "Armenia",
    "AZ": "Azerbaijan", "KZ": "Kazakhstan", "UZ": "Uzbekistan", "KG": "Kyrgyzstan",
    "TJ": "Tajikistan", "TM": "Turkmenistan", "AF": "Afghanistan",
    "SA": "Ả Rập Xê Út", "AE": "Các Tiểu vương quốc Ả Rập Thống nhất", "QA": "Qatar",
    "KW": "Kuwait", "OM": "Oman", "BH": "Bahrain", "JO": "Jordan", "LB": "Liban",
    "IL": "Israel", "PS": "Palestine", "IR": "Iran", "IQ": "Iraq", "SY": "Syria",
    "YE": "Yemen", "EG": "Ai Cập", "LY": "Libya", "DZ": "Algeria", "MA": "Ma-rốc",
    "TN": "Tunisia", "SD": "Sudan", "SS": "Nam Sudan", "ET": "Ethiopia", "KE": "Kenya",
    "TZ": "Tanzania", "UG": "Uganda", "NG": "Nigeria", "GH": "Ghana", "SN": "Senegal",
    "CM": "Cameroon", "AO": "Angola", "MZ": "Mozambique", "ZA": "Nam Phi",
    "CI": "Côte d'Ivoire", "CD": "Cộng hòa Dân chủ Congo", "CG": "Cộng hòa Congo",
    "CF": "Cộng hòa Trung Phi", "MX": "Mexico", "CU": "Cuba", "BR": "Brazil",
    "AR": "Argentina", "CL": "Chile", "CO": "Colombia", "PE": "Peru", "VE": "Venezuela",
    "BO": "Bolivia", "DO": "Cộng hòa Dominica", "PG": "Papua New Guinea", "FJ": "Fiji",
    "MV": "Maldives", "BT": "Bhutan", "LU": "Luxembourg", "CV": "Cabo Verde",
    "SZ": "Eswatini", "VA": "Tòa Thánh Vatican", "GL": "Greenland", "AQ": "Nam Cực",
    "EH": "Tây Sahara", "GQ": "Guinea Xích Đạo", "BA": "Bosnia và Herzegovina",
    "TT": "Trinidad và Tobago", "AG": "Antigua và Barbuda", "KN": "Saint Kitts và Nevis",
    "ST": "São Tomé và Príncipe", "VC": "Saint Vincent và Grenadines", "FM": "Micronesia",
}


def _vietnamese_name(code: str, english: str, translated: str) -> str:
    if code in VI_NAMES:
        return VI_NAMES[code]
    return english if "-" in translated else translated


def iso_countries() -> Iterator[dict[str, str]]:
    """Every ISO 3166-1 country as ``code``/``alpha3``/``name_en``/``name_vi``, offline."""
    catalogue = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["vi"], fallback=True)
    for country in pycountry.countries:
        english = getattr(country, "common_name", None) or country.name
        yield {
            "code": country.alpha_2,
            "alpha3": country.alpha_3,
            "name_en": english,
            "name_vi": _vietnamese_name(country.alpha_2, english, catalogue.gettext(country.name)),
        }
