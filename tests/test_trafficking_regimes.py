"""Support regimes by status (Law 53/2024 Art. 37), exactly as the table in domain.md."""

import pytest

from tongdai.trafficking.regimes import REGIMES, regime_label, regimes_for

A_TO_K = ["a", "b", "c", "d", "dd", "e", "g", "h", "i", "k"]


def test_the_ten_regimes_are_lettered_as_in_the_law():
    assert list(REGIMES) == A_TO_K
    assert [v[0] for v in REGIMES.values()] == ["a", "b", "c", "d", "đ", "e", "g", "h", "i", "k"]
    assert regime_label("dd", "en") == "đ. Legal aid"
    assert regime_label("dd", "vi") == "đ. Trợ giúp pháp lý"


@pytest.mark.parametrize("abroad", [False, True])
def test_vietnamese_victims_get_a_to_k(abroad):
    assert regimes_for("victim", abroad=abroad) == A_TO_K


@pytest.mark.parametrize("abroad", [False, True])
def test_children_travelling_with_a_victim_get_a_to_h(abroad):
    assert regimes_for("victim", abroad=abroad, accompanying_child=True) == [
        "a", "b", "c", "d", "dd", "e", "g", "h"]


def test_person_being_identified_abroad_gets_a_to_d():
    assert regimes_for("identifying", abroad=True) == ["a", "b", "c", "d"]


def test_person_being_identified_in_vietnam_gets_a_to_g():
    assert regimes_for("identifying", abroad=False) == ["a", "b", "c", "d", "dd", "e", "g"]


@pytest.mark.parametrize("abroad", [False, True])
def test_foreign_victims_get_a_b_c_d_dd_g(abroad):
    assert regimes_for("foreign", abroad=abroad) == ["a", "b", "c", "d", "dd", "g"]


@pytest.mark.parametrize("status", ["identifying", "foreign"])
def test_the_table_names_accompanying_children_only_beside_vietnamese_victims(status):
    assert regimes_for(status, abroad=False, accompanying_child=True) == []


def test_case_types_are_accepted_as_statuses():
    assert regimes_for("trafficking_victim", abroad=False) == A_TO_K
    assert regimes_for("trafficking_identifying", abroad=True) == ["a", "b", "c", "d"]
    assert regimes_for("trafficking_foreign", abroad=False) == ["a", "b", "c", "d", "dd", "g"]


@pytest.mark.parametrize("status", ["", "child_protection", "nạn nhân", None])
def test_an_unknown_status_is_entitled_to_nothing(status):
    with pytest.raises(ValueError):
        regimes_for(status, abroad=False)
