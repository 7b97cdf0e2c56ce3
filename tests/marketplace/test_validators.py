import pytest
from django.core.exceptions import ValidationError

from marketplace.core.regions import get_region, region_choices, validate_region_code
from marketplace.core.validators import credit_code_check_character, validate_credit_code

# Published, real unified social credit codes (their check characters computed by their issuers).
VALID_CODES = ["91350100M000100Y43", "91110000600037341L", "91110108551385082Q", "12100000400000624D"]


@pytest.mark.parametrize("code", VALID_CODES)
def test_valid_credit_codes_pass(code):
    validate_credit_code(code)
    validate_credit_code(code.lower())  # people type lower case; the code is case-insensitive


@pytest.mark.parametrize(
    ("code", "error_code"),
    [
        ("91350100M000100Y44", "credit_code_check_digit"),  # last character off by one
        ("91350100M000100Y4", "credit_code_length"),
        ("91350100M000100Y433", "credit_code_length"),
        ("", "credit_code_length"),
        ("91350100M0001O0Y43", "credit_code_characters"),  # letter O is not in the alphabet
        ("91350100I000100Y43", "credit_code_characters"),
        ("913A0100M000100Y43", "credit_code_region"),
        ("91350100M000010Y43", "credit_code_check_digit"),  # two characters swapped
    ],
)
def test_invalid_credit_codes_are_rejected_with_a_reason(code, error_code):
    with pytest.raises(ValidationError) as caught:
        validate_credit_code(code)
    assert caught.value.code == error_code


def test_check_character_matches_the_standard_examples():
    assert credit_code_check_character("91350100M000100Y4") == "3"


def test_regions_cover_every_province_and_nest_cities():
    provinces = [code for code, _ in region_choices() if code.endswith("0000")]
    assert len(provinces) == 34
    guangdong = get_region("440000")
    assert guangdong.contains("440300")
    assert not guangdong.contains("610100")
    assert get_region("610100").name_zh == "西安市"
    with pytest.raises(ValidationError):
        validate_region_code("999999")
