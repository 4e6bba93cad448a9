"""Phone numbers: one caller, whatever way the number was written.

``0912 345 678``, ``+84912345678`` and ``84912345678`` all normalise to the E.164 form
``+84912345678``. Foreign numbers must be written with ``+`` and a country code.
"""

from __future__ import annotations

import re

import phonenumbers

DEFAULT_REGION = "VN"
_DIGITS = re.compile(r"\D")


class InvalidPhone(ValueError):
    """The text is not a dialable phone number."""


def normalize_phone(raw: str | None) -> str:
    """Return the E.164 form of ``raw``, or raise ``InvalidPhone``.

    Short service numbers (111, 113) are accepted as they are: callers from a payphone or
    a PBX that hides the number show up that way.
    """
    text = (raw or "").strip()
    if not text:
        raise InvalidPhone("empty")
    digits = _DIGITS.sub("", text)
    if len(digits) > 17 or len(text) > 32:
        raise InvalidPhone("too long")
    if not text.startswith("+") and digits.startswith("84") and len(digits) >= 11:
        text = "+" + digits  # 84912345678 written without the plus
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(str(exc)) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("not a valid number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def looks_like_phone(text: str | None) -> bool:
    """True when a search box holds a phone number rather than a name."""
    value = (text or "").strip()
    if not value:
        return False
    digits = _DIGITS.sub("", value)
    return len(digits) >= 8 and len(digits) >= len(re.sub(r"[\s().+-]", "", value))


def display_phone(e164: str | None) -> str:
    """National format for Vietnamese numbers (0912 345 678), international otherwise."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return e164
    fmt = (phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 84
           else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, fmt)
