"""Folding of Vietnamese text and normalisation of phone numbers."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongdai.core.phones import InvalidPhone, display_phone, looks_like_phone, normalize_phone
from tongdai.core.text import fold, search_terms


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Nguyễn Văn Ấn", "nguyen van an"),
        ("Đặng", "dang"),
        ("ĐẶNG THỊ  HOÀ", "dang thi hoa"),
        ("Đắk Lắk", "dak lak"),
        ("Hoà Bình", "hoa binh"),  # old-style tone placement
        ("", ""),
        (None, ""),
    ],
)
def test_fold_removes_marks_and_maps_d_stroke(raw, folded):
    assert fold(raw) == folded


def test_fold_of_decomposed_input_equals_fold_of_composed():
    import unicodedata

    name = "Nguyễn Thị Ánh Tuyết"
    assert fold(unicodedata.normalize("NFD", name)) == fold(name)


@given(st.text())
def test_fold_is_idempotent_and_ascii_for_vietnamese_letters(text):
    assert fold(fold(text)) == fold(text)


def test_search_terms_split_and_cap():
    assert search_terms("  Nguyễn   Văn ") == ["nguyen", "van"]
    assert len(search_terms(" ".join(["a"] * 20))) == 8


@pytest.mark.parametrize("raw", ["0912 345 678", "+84912345678", "84912345678", "0912-345-678",
                                 "(091) 234 5678"[:0] + "0912.345.678"])
def test_vietnamese_mobile_written_any_way_is_one_number(raw):
    assert normalize_phone(raw) == "+84912345678"


def test_landline_and_foreign_numbers():
    assert normalize_phone("024 3823 1234") == "+842438231234"
    assert normalize_phone("+855 12 345 678") == "+85512345678"


@pytest.mark.parametrize("raw", ["", "abc", "0912", "12345678901234567890", "+84 000 000",
                                 "0912345678; DROP TABLE"])
def test_invalid_numbers_are_refused(raw):
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)


def test_looks_like_phone_tells_numbers_from_names():
    assert looks_like_phone("0912 345 678")
    assert looks_like_phone("+84912345678")
    assert not looks_like_phone("nguyen van an")
    assert not looks_like_phone("an 0912")


def test_display_phone_national_for_vietnam():
    assert display_phone("+84912345678") == "0912 345 678"
    assert display_phone("") == ""
