"""Domain tunables live with their apps' defaults (``<app>/conf.py``), not in settings.py; a setting
or an environment variable of the same name still changes them. Credit's: tests/credit/test_conf.py."""

import pytest

from marketplace.credit import conf as credit_conf
from marketplace.payments import conf as payments_conf
from marketplace.procurement import conf as procurement_conf
from marketplace.ratings import conf as ratings_conf
from marketplace.transparency import conf as oversight_conf
from tests.marketplace.test_settings import run_django

APPS = [credit_conf, payments_conf, procurement_conf, ratings_conf, oversight_conf]


@pytest.mark.parametrize("conf", APPS)
def test_settings_py_keeps_infrastructure_only(conf, settings):
    for name in conf.DEFAULTS:
        assert not hasattr(settings, name), f"{name} belongs to {conf.__name__}, not settings.py"


def test_published_defaults():
    assert procurement_conf.get("PROCUREMENT_PUBLICITY_DAYS") == 3
    assert procurement_conf.get("PROCUREMENT_SCORE_WEIGHTS") == {"price": 60, "rating": 25, "service_days": 15}
    assert [oversight_conf.get(name) for name in oversight_conf.DEFAULTS] == [90, 3.5, 0.8, 3, 30]
    assert (ratings_conf.get("RATING_PRIOR_MEAN"), ratings_conf.get("RATING_PRIOR_WEIGHT")) == (4.0, 10)
    assert payments_conf.get("PLATFORM_FEE_PERCENT") == 5


def test_a_setting_of_the_same_name_wins(settings):
    settings.PROCUREMENT_PUBLICITY_DAYS = 5
    settings.OVERSIGHT_MIN_SAMPLE = 7
    assert procurement_conf.get("PROCUREMENT_PUBLICITY_DAYS") == 5
    assert oversight_conf.get("OVERSIGHT_MIN_SAMPLE") == 7


def test_unknown_names_are_an_error():
    with pytest.raises(KeyError):
        procurement_conf.get("PROCUREMENT_NO_SUCH_THING")


def test_the_environment_still_sets_them():
    result = run_django(
        "from marketplace.procurement import conf as p; from marketplace.transparency import conf as t;"
        " print(p.get('PROCUREMENT_SCORE_WEIGHTS')['rating'], p.get('PROCUREMENT_PUBLICITY_DAYS'),"
        " t.get('OVERSIGHT_MIN_RATING'));"
        " from marketplace.ratings import conf as r; from marketplace.payments import conf as m;"
        " print(r.get('RATING_PRIOR_WEIGHT'), m.get('PLATFORM_FEE_PERCENT'))",
        PROCUREMENT_WEIGHT_RATING="40",
        PROCUREMENT_PUBLICITY_DAYS="4",
        OVERSIGHT_MIN_RATING="4.2",
        RATING_PRIOR_WEIGHT="3",
        PLATFORM_FEE_PERCENT="7.5",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["40", "4", "4.2", "3", "7.5"]
