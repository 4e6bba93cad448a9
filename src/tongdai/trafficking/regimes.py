"""Support regimes for trafficking victims (Law 53/2024/QH15 Art. 37) and who gets which.

The regimes are lettered as in the law: a, b, c, d, đ, e, g, h, i, k. Codes are ASCII
(``đ`` → ``"dd"``) because they are stored and sent through the API.
The entitlement table is written once here; the support service refuses any regime
``regimes_for`` does not list, and the support panel offers only those.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ESSENTIAL = "a"
MEDICAL = "b"
INTERPRETATION = "c"
LEGAL_INFO = "d"
LEGAL_AID = "dd"
TRAVEL = "e"
PSYCHOLOGICAL = "g"
SCHOOLING = "h"
VOCATIONAL = "i"
HARDSHIP = "k"

#: code → (letter in the law, Vietnamese label, English label), in the law's order.
REGIMES: dict[str, tuple[str, str, str]] = {
    ESSENTIAL: ("a", "Hỗ trợ nhu cầu thiết yếu", "Essential needs"),
    MEDICAL: ("b", "Hỗ trợ y tế", "Medical support"),
    INTERPRETATION: ("c", "Hỗ trợ phiên dịch", "Interpretation"),
    LEGAL_INFO: ("d", "Hỗ trợ thông tin pháp luật", "Legal information"),
    LEGAL_AID: ("đ", "Trợ giúp pháp lý", "Legal aid"),
    TRAVEL: ("e", "Hỗ trợ chi phí đi lại", "Travel costs"),
    PSYCHOLOGICAL: ("g", "Hỗ trợ tâm lý", "Psychological support"),
    SCHOOLING: ("h", "Hỗ trợ học văn hóa", "Schooling"),
    VOCATIONAL: ("i", "Hỗ trợ học nghề, giới thiệu việc làm", "Vocational training and jobs"),
    HARDSHIP: ("k", "Trợ cấp khó khăn ban đầu, hỗ trợ vay vốn", "Initial hardship allowance and loans"),
}
ALL = tuple(REGIMES)

# The person's status (Law 53/2024: victim; person being identified as a victim; foreign victim).
VICTIM = "victim"
IDENTIFYING = "identifying"
FOREIGN = "foreign"
STATUSES: dict[str, str] = {
    VICTIM: _("Victim (Vietnamese)"),
    IDENTIFYING: _("Person being identified as a victim"),
    FOREIGN: _("Foreign victim"),
}
#: The case type that carries each status (Case.type), and back.
CASE_TYPE_FOR_STATUS = {VICTIM: "trafficking_victim", IDENTIFYING: "trafficking_identifying",
                        FOREIGN: "trafficking_foreign"}
STATUS_FOR_CASE_TYPE = {v: k for k, v in CASE_TYPE_FOR_STATUS.items()}

_VICTIM = ALL  # a–k
_ACCOMPANYING_CHILD = (ESSENTIAL, MEDICAL, INTERPRETATION, LEGAL_INFO, LEGAL_AID, TRAVEL,
                       PSYCHOLOGICAL, SCHOOLING)  # a–h
_IDENTIFYING_ABROAD = (ESSENTIAL, MEDICAL, INTERPRETATION, LEGAL_INFO)  # a–d
_IDENTIFYING_IN_VIETNAM = (ESSENTIAL, MEDICAL, INTERPRETATION, LEGAL_INFO, LEGAL_AID, TRAVEL,
                           PSYCHOLOGICAL)  # a–g
_FOREIGN = (ESSENTIAL, MEDICAL, INTERPRETATION, LEGAL_INFO, LEGAL_AID, PSYCHOLOGICAL)  # a, b, c, d, đ, g


def regimes_for(status: str, *, abroad: bool, accompanying_child: bool = False) -> list[str]:
    """The support regimes a person is entitled to, in the law's order (Law 53/2024 Art. 37).

    - Vietnamese victims: a–k (all ten);
    - children under 18 travelling with a Vietnamese victim (``accompanying_child``): a–h;
    - persons being identified as victims: abroad a–d, in Vietnam a–g;
    - foreign victims: a, b, c, d, đ, g.
    ``abroad`` matters only for persons being identified. The table names accompanying
    children only beside Vietnamese victims, so for any other status they get none here.
    ``status`` is a status code or the trafficking case type carrying it; anything else
    raises ``ValueError`` (fail closed: an unknown status is entitled to nothing).
    """
    status = STATUS_FOR_CASE_TYPE.get(status, status)
    if status not in STATUSES:
        raise ValueError(f"unknown trafficking status {status!r}")
    if accompanying_child:
        return list(_ACCOMPANYING_CHILD) if status == VICTIM else []
    if status == VICTIM:
        return list(_VICTIM)
    if status == FOREIGN:
        return list(_FOREIGN)
    return list(_IDENTIFYING_ABROAD if abroad else _IDENTIFYING_IN_VIETNAM)


def regime_letter(code: str) -> str:
    return REGIMES[code][0]


def regime_label(code: str, language: str | None = None) -> str:
    """The regime's label in the UI language (Vietnamese unless English is chosen)."""
    from django.utils.translation import get_language

    letter, vi, en = REGIMES[code]
    lang = language or get_language() or "vi"
    return f"{letter}. {en if lang.startswith('en') else vi}"


def regime_choices(codes) -> list[tuple[str, str]]:
    return [(c, regime_label(c)) for c in codes]
