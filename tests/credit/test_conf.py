"""Credit's tunables default in the app, yet a setting or an environment variable of the same name
still changes them (as README documents); settings.py itself no longer carries them."""

import pytest

from marketplace.credit import conf, formula
from tests.marketplace.test_settings import run_django


def test_defaults_are_the_published_ones(settings):
    for name in conf.DEFAULTS:
        assert not hasattr(settings, name), f"{name} belongs to credit's defaults, not settings.py"
    config = formula.Config.from_settings()
    assert config.party_weights == {"buyer": 5, "authority": 3, "platform": 2}
    assert config.component_weights == {"evaluation": 70, "on_time": 30}
    assert config.penalties == {
        "objection_upheld": 10,
        "dispute_refund": 10,
        "dispute_split": 5,
        "delivery_overdue": 5,
        "award_declined": 10,
        "contract_unsigned": 10,
        "qualification_false": 20,
    }
    assert config.overdue_days == 30 and conf.get("CREDIT_NEGATIVE_LIST_DAYS") == 365
    assert config.grade_bands[0] == (5, 90) and config.suspend_threshold == 40 and config.window_days == 730


def test_a_setting_of_the_same_name_wins(settings):
    settings.CREDIT_WINDOW_DAYS = 30
    settings.CREDIT_GRADE_THRESHOLDS = {5: 95, 4: 80, 3: 65, 2: 45}
    config = formula.Config.from_settings()
    assert config.window_days == 30 and config.grade_bands[0] == (5, 95)


@pytest.mark.parametrize(
    ("env", "expression", "expected"),
    [
        ({"CREDIT_SUSPEND_THRESHOLD": "25"}, "conf.get('CREDIT_SUSPEND_THRESHOLD')", "25"),
        # README's form (commas); settings.py used to accept only semicolons and failed on it.
        (
            {"CREDIT_PENALTIES": "objection_upheld=3,dispute_refund=4"},
            "sorted(conf.get('CREDIT_PENALTIES').items())",
            "[('dispute_refund', 4), ('objection_upheld', 3)]",
        ),
        (
            {"CREDIT_EVALUATION_WEIGHTS": "buyer=1;authority=2;platform=3"},
            "conf.get('CREDIT_EVALUATION_WEIGHTS')",
            "{'buyer': 1, 'authority': 2, 'platform': 3}",
        ),
        ({}, "conf.get('CREDIT_WINDOW_DAYS')", "730"),
    ],
)
def test_the_environment_still_sets_them(env, expression, expected):
    result = run_django(f"from marketplace.credit import conf; print({expression})", **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_a_malformed_environment_value_stops_at_start_up_with_its_name():
    result = run_django("from marketplace.credit import conf", CREDIT_COMPONENT_WEIGHTS="evaluation=lots")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "CREDIT_COMPONENT_WEIGHTS" in result.stderr
