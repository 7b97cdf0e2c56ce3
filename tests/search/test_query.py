"""The one parser of search parameters: bad input becomes a message or is ignored, never an error."""

from decimal import Decimal

from django.http import QueryDict

from search.query import MAX_QUERY_LENGTH, category_codes_for_term, near_miss_correction, parse_search_params


def parse(qs: str):
    return parse_search_params(QueryDict(qs))


def test_good_parameters_are_kept():
    query, errors = parse(
        "q=环评&category=eia&region=610100&price_min=100&price_max=2000.5&rating_min=4&max_days=30&certified=1"
        "&sort=price_asc&page=3"
    )
    assert errors == []
    assert (query.q, query.category, query.region) == ("环评", "eia", "610100")
    assert (query.price_min, query.price_max, query.rating_min) == (Decimal("100"), Decimal("2000.5"), Decimal("4"))
    assert (query.max_days, query.certified, query.sort, query.page) == (30, True, "price_asc", 3)


def test_negative_and_garbage_prices_are_ignored_with_a_message():
    query, errors = parse("price_min=-5&price_max=abc")
    assert query.price_min is None and query.price_max is None
    assert len(errors) == 2 and "price" in errors[0].lower()


def test_infinite_and_nan_prices_are_ignored():
    query, errors = parse("price_min=NaN&price_max=Infinity")
    assert query.price_min is None and query.price_max is None and errors


def test_swapped_price_bounds_are_put_right():
    query, errors = parse("price_min=900&price_max=100")
    assert (query.price_min, query.price_max) == (Decimal("100"), Decimal("900"))
    assert "swapped" in errors[0]


def test_unknown_sort_falls_back_to_best_match():
    query, errors = parse("sort=DROP TABLE")
    assert query.sort == "relevance" and "sort" in errors[0].lower()


def test_a_10kb_query_is_cut_with_a_message():
    query, errors = parse("q=" + "a" * 10_000)
    assert len(query.q) == MAX_QUERY_LENGTH and "too long" in errors[0]


def test_bad_page_region_category_days_rating_and_certified_are_ignored():
    query, errors = parse("page=-2&region=999999&category=<script>&max_days=soon&rating_min=9&certified=maybe")
    assert (query.page, query.region, query.category, query.max_days, query.rating_min, query.certified) == (
        1,
        "",
        "",
        None,
        None,
        None,
    )
    assert len(errors) == 6


def test_abbreviations_name_their_service_items():
    assert category_codes_for_term("环评") == ("eia",)
    assert category_codes_for_term("EIA") == ("eia",)
    assert "soil-water" in category_codes_for_term("水保")
    assert category_codes_for_term("nothing-like-this") == ()


def test_a_correction_looks_each_distinct_word_up_once_and_at_most_eight():
    """``near_words`` may ask the database: a long or repetitive query must not make one query a word."""
    asked = []

    def near_words(word):
        asked.append(word)
        return ("assessment",) if word == "assesment" else ()

    q = "assesment " * 30 + " ".join(f"word{letter}" for letter in "abcdefghijkl")
    corrected = near_miss_correction(q, near_words)
    assert corrected.split()[:30] == ["assessment"] * 30
    assert asked == ["assesment", *[f"word{letter}" for letter in "abcdefg"]]
