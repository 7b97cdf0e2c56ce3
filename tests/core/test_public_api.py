"""The public JSON API (marketplace/public_api.py): its OpenAPI 3.1 schema is valid and complete —
every JSON address the site answers is in it, served by the operation it documents — the real
answers match it, the documentation page loads nothing from elsewhere, pagination links can be
followed, and every endpoint answers 400, 404, 405 and 429 in one error shape."""

import datetime
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, get_resolver, resolve
from django.urls.resolvers import LocalePrefixPattern
from django.utils import timezone
from openapi_spec_validator import OpenAPIV31SpecValidator
from pydantic import BaseModel

from marketplace import public_api
from marketplace.procurement import services as procurement
from marketplace.transparency import log_api
from marketplace.transparency.ocds import identifiers
from signing import demo as signing_demo
from signing import services as signing_services
from signing.services import tree_heads
from tests.factories import make_quote, make_request, make_search_listing
from translog.models import LogLeaf

pytestmark = pytest.mark.django_db

# The documentation itself (the schema, its page, /api/ and the JSON 404 for the rest of /api/).
DOCUMENTATION = {"api:index", "api:schema", "api:docs", "api:unknown"}
# Endpoints whose clients have always read the message from "error" (ApiRouter.legacy_error).
MESSAGE_IN_ERROR = re.compile(r"^/transparency/log/")


@pytest.fixture(autouse=True)
def _fresh_allowances():
    cache.clear()  # the rate limits count in the cache, per address and minute
    yield
    cache.clear()


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    return response.json()


# --- What the URLconf serves -----------------------------------------------------------------------


def _text(pattern) -> str:
    """A URL pattern as an OpenAPI path piece: converters and named groups become {name}."""
    if isinstance(pattern, LocalePrefixPattern):
        return ""  # English, unprefixed; /zh-hans/ serves the same patterns
    text = str(pattern)
    if text.startswith("^"):  # a regular expression
        text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", text.removeprefix("^").removesuffix("$")).replace("\\", "")
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", text)


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}".strip(":") if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + _text(pattern.pattern), inner)
        else:
            name = f"{namespace}:{pattern.name}".strip(":") if pattern.name else ""
            yield "/" + prefix + _text(pattern.pattern), name


def _is_json_address(path: str) -> bool:
    return path.startswith(("/api/", "/.well-known/")) or ".json" in path


def json_addresses() -> dict[str, str]:
    """Every address the URLconf has for public JSON, by its path and URL name (the criterion is the
    path, so an endpoint added without documentation is found whatever its view)."""
    found = {}
    for path, name in _walk(get_resolver().url_patterns):
        if _is_json_address(path) and name not in DOCUMENTATION:
            found.setdefault(path, name)
    return found


def sample(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: "1" if m.group(1) == "pk" else "x", path)


# --- The schema ------------------------------------------------------------------------------------


def test_the_schema_is_valid_openapi_3_1_in_both_languages(client, schema):
    assert schema["openapi"] == "3.1.0"
    OpenAPIV31SpecValidator(schema).validate()  # raises on any fault, $refs and path parameters included
    assert client.get("/zh-hans/api/schema/").json()["paths"] == schema["paths"]
    assert client.get("/api/schema/")["Access-Control-Allow-Origin"] == "*"


def test_every_json_address_is_documented_and_served_by_its_operation(schema):
    addresses = json_addresses()
    assert {"/api/search/", "/api/verify/", "/api/permits/{token}/", "/requests/results.json"} <= set(addresses)
    assert "/requests/{pk}/result.json" in addresses
    assert {"/transparency/log/entries.json", "/.well-known/onewindow-trust-list.json", "/api/ocds/releases/"} <= set(
        addresses
    )
    undocumented = sorted(set(addresses) - set(schema["paths"]))
    assert undocumented == [], f"JSON addresses missing from the schema: {undocumented}"
    for path in addresses:
        view = resolve(sample(path)).func
        assert getattr(view, "public_api", False), f"{path} is answered by {view}, not by its documented operation"
        route_parameters = set(re.findall(r"\{(\w+)\}", path))
        for operation in schema["paths"][path].values():
            documented = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert documented == route_parameters, path
    # And the other way: nothing in the schema that the URLconf does not serve.
    assert set(schema["paths"]) <= set(addresses)


def test_each_operation_says_what_it_answers(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation["summary"] and operation["tags"], where
            assert "application/json" in operation["responses"]["200"]["content"], where
            assert "Retry-After" in operation["responses"]["429"]["headers"], where
            for status, answer in operation["responses"].items():
                if int(status) >= 400:  # every error documented in the common shape (or one that extends it)
                    error = schema["components"]["schemas"][_ref_name(answer)]
                    assert {"code", "message", "error"} <= set(error["required"]), f"{where} {status}"
            for parameter in operation.get("parameters", []):
                assert parameter.get("description"), f"{where}: {parameter['name']}"


def _ref_name(answer) -> str:
    return answer["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]


def test_no_two_documented_models_share_a_name():
    """Schemas are listed by class name; two classes of one name would silently overwrite each other."""
    seen: dict[str, type] = {}

    def visit(annotation):
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            wrapper = annotation.__name__ == "NinjaResponseSchema"  # django-ninja's, around each response
            if not wrapper and seen.setdefault(annotation.__name__, annotation) is not annotation:
                raise AssertionError(f"two models are called {annotation.__name__}")
            for field in annotation.model_fields.values():
                visit(field.annotation)
        for argument in getattr(annotation, "__args__", ()):
            visit(argument)

    for router in public_api.ROUTERS:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in operation.response_models.values():
                    visit(model)
    assert "ApiError" in seen and "Page" in seen


# --- The answers match it ----------------------------------------------------------------------------


def _strict(node):
    """A copy of a JSON schema in which an object with documented properties admits no other field
    (unless it says so): an answer's undocumented field fails the check."""
    if isinstance(node, dict):
        node = {key: _strict(value) for key, value in node.items()}
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_strict(value) for value in node]
    return node


def assert_documented(schema, path: str, method: str, response, body=None):
    """The answer's status is documented for the operation, and its JSON body (or ``body``) matches that schema."""
    responses = schema["paths"][path][method]["responses"]
    assert str(response.status_code) in responses, f"{method.upper()} {path} answered an undocumented {response}"
    body_schema = responses[str(response.status_code)]["content"]["application/json"]["schema"]
    root = {**_strict(body_schema), "components": _strict(schema["components"])}
    jsonschema.Draft202012Validator(root).validate(response.json() if body is None else body)


@pytest.fixture
def published(settings, issued_permit, category, providers, buyer, catalogue, django_capture_on_commit_callbacks):
    """Something of everything the API publishes: a listing, a permit under a signed tree head, a
    request with its selection, the platform's trust list."""
    settings.VERIFY_ISOLATE = False  # isolation has its own tests
    with django_capture_on_commit_callbacks(execute=True):
        make_search_listing(title="Environmental impact assessment for factories", category="eia")
    enterprise, owner = buyer
    request = make_request(enterprise=enterprise, user=owner, category=category)
    make_quote(request, providers[0], price="100")
    procurement.request_close(request=request, now=timezone.now() + datetime.timedelta(hours=49))
    signing_services.authority_ensure(**signing_demo.PLATFORM)
    first = tree_heads.tree_head_sign()
    return {"permit": issued_permit, "request": request, "head": first}


def test_the_answers_match_the_schema(client, schema, published):
    permit, request, size = published["permit"], published["request"], published["head"].tree_size
    record = LogLeaf.objects.order_by("index").first()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    calls = {
        "/api/search/": "/api/search/?q=environmental",
        "/api/search/suggest/": "/api/search/suggest/?q=env",
        "/api/permits/{token}/": f"/api/permits/{permit.token}/",
        "/.well-known/onewindow-trust-list.json": "/.well-known/onewindow-trust-list.json",
        "/requests/{pk}/result.json": f"/requests/{request.pk}/result.json",
        "/requests/results.json": "/requests/results.json",
        "/transparency/log/head.json": "/transparency/log/head.json",
        "/transparency/log/heads.json": "/transparency/log/heads.json?start=0",
        "/transparency/log/entries.json": f"/transparency/log/entries.json?start=0&end={size}",
        "/transparency/log/proof/inclusion.json": (
            f"/transparency/log/proof/inclusion.json?leaf_hash={record.leaf_hash}&tree_size={size}"
        ),
        "/transparency/log/proof/consistency.json": f"/transparency/log/proof/consistency.json?first=1&second={size}",
        "/api/ocds/releases/": "/api/ocds/releases/",
        "/api/ocds/processes/{ocid}/": f"/api/ocds/processes/{identifiers.request_ocid(request.pk)}/",
        "/api/ocds/packages/{day}.json": f"/api/ocds/packages/{yesterday.isoformat()}.json",
    }
    assert set(calls) | {"/api/verify/"} == set(schema["paths"]), "every operation is checked here"
    for path, url in calls.items():
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:300])
        assert_documented(schema, path, "get", response)
    assert client.get(calls["/api/search/"]).json()["total"] == 1
    assert client.get(calls["/requests/{pk}/result.json"]).json()["selections"]  # a round, with its table

    verified = client.post("/api/verify/", {"file": SimpleUploadedFile("p.pdf", bytes(permit.document.pdf))})
    assert verified.json()["verdict"] == "valid" and verified.json()["permit"]["transparency_log"]
    assert_documented(schema, "/api/verify/", "post", verified)
    # The Chinese answers have the same shape.
    assert_documented(schema, "/api/search/", "get", client.get("/zh-hans/api/search/?q=环评"))
    results = client.get(calls["/requests/results.json"]).json()["results"]
    assert [row["request"] for row in results] == [request.pk] and results[0]["winner"]["provider"]["credit_code"]
    bad_filter = client.get("/requests/results.json?method=coin_toss")
    assert_documented(schema, "/requests/results.json", "get", bad_filter)
    assert list(bad_filter.json()["errors"]) == ["method"]
    # The check is strict: a field the schema does not describe fails it.
    searched = client.get(calls["/api/search/"])
    with pytest.raises(jsonschema.ValidationError, match="surprise"):
        assert_documented(schema, "/api/search/", "get", searched, body={**searched.json(), "surprise": 1})


# --- One error shape everywhere ----------------------------------------------------------------------


def assert_error(response, status: int, code: str | None = None):
    """The common error body, and ``error`` as the endpoint's older clients read it."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert {"code", "message", "error"} <= set(body) and body["message"], body
    if code is not None:
        assert body["code"] == code, body
    path = response.wsgi_request.path.removeprefix("/zh-hans")
    assert body["error"] == (body["message"] if MESSAGE_IN_ERROR.match(path) else body["code"]), body
    return body


def test_a_method_an_address_does_not_take_is_a_json_405_on_every_endpoint(client, schema):
    for path, operations in schema["paths"].items():
        response = client.generic("DELETE", sample(path))
        assert_error(response, 405, "method_not_allowed")
        assert {method.upper() for method in operations} <= set(response["Allow"].split(", ")), path
    assert_error(client.get("/api/verify/"), 405, "method_not_allowed")
    assert_error(client.post("/zh-hans/transparency/log/head.json"), 405, "method_not_allowed")


def test_over_the_allowance_every_endpoint_answers_429_with_retry_after(client, schema, settings, monkeypatch):
    """The clock is held mid-minute: the allowance is per clock minute, and a pair of requests
    either side of a minute's turn is rightly allowed twice (seen once in a full run)."""
    monkeypatch.setattr("signing.ratelimit.time.time", lambda: 1_790_000_030.0)
    settings.API_RATE_LIMIT_PER_MINUTE = 1
    for path, operations in schema["paths"].items():
        for method in operations:
            cache.clear()
            client.generic(method.upper(), sample(path))  # the one allowed, whatever it answers
            response = client.generic(method.upper(), sample(path))
            body = assert_error(response, 429, "rate_limited")
            assert 0 < int(response["Retry-After"]) <= 60, path
            assert response["Retry-After"] in body["message"]
    # Another address has its own allowance; /zh-hans/ counts against the same one.
    assert client.get("/api/search/", REMOTE_ADDR="10.9.8.7").status_code == 200
    assert_error(client.get("/zh-hans/api/search/"), 429, "rate_limited")


def test_the_allowance_is_per_minute_and_can_be_turned_off(client, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    for _ in range(5):
        assert client.get("/transparency/log/heads.json").status_code == 200


def test_unknown_things_are_a_json_404(client, db):
    assert_error(client.get("/api/permits/no-such-token/"), 404, "not_found")
    assert_error(client.get("/requests/999999/result.json"), 404, "not_found")
    body = assert_error(client.get("/transparency/log/head.json"), 404, "not_found")
    assert body["error"] == "No tree head has been signed yet."  # what the log's clients always read
    assert_error(client.get("/transparency/log/proof/inclusion.json?leaf_hash=" + "ab" * 32 + "&tree_size=5"), 404)
    assert_error(client.get("/api/ocds/processes/ocds-onewnd-rfq-999999/"), 404, "unknown_process")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert_error(client.get(f"/api/ocds/packages/{tomorrow.isoformat()}.json"), 404, "not_published")
    body = assert_error(client.get("/api/no/such/endpoint/"), 404, "not_found")
    assert "/api/docs/" in body["message"]
    assert "/zh-hans/api/docs/" in client.get("/zh-hans/api/nothing").json()["message"]


def test_a_malformed_parameter_is_a_json_400_that_names_it(client, db):
    body = assert_error(client.get("/transparency/log/entries.json?start=x&end=2"), 400, "bad_parameter")
    assert body["message"] == "“start” must be a whole number."
    missing = assert_error(client.get("/transparency/log/entries.json?start=1"), 400, "bad_parameter")
    assert missing["message"] == "“end” is required."
    assert "at least 0" in assert_error(client.get("/transparency/log/heads.json?start=-1"), 400)["message"]
    assert_error(client.get("/transparency/log/proof/inclusion.json?leaf_hash=zz&tree_size=1"), 400, "bad_parameter")
    assert_error(client.get("/transparency/log/proof/consistency.json?first=9&second=x"), 400, "bad_parameter")
    assert_error(client.post("/api/verify/", {"document": "nothing"}), 400, "missing_file")
    assert_error(client.get("/api/ocds/releases/?from=2026-13-01"), 400, "bad_date")
    assert_error(client.get("/api/ocds/packages/2026-1-1.json"), 400, "bad_date")
    assert "method" in assert_error(client.get("/requests/results.json?method=nope"), 400, "bad_parameter")["errors"]
    assert_error(client.get("/requests/results.json?page=0"), 400, "bad_parameter")
    chinese = assert_error(client.get("/zh-hans/transparency/log/entries.json?start=x&end=2"), 400)
    assert chinese["message"] != body["message"]  # in the address's language
    # Search forgives instead: what it could not use is said in "errors", with the results.
    lenient = client.get("/api/search/?price_max=-3&sort=nope")
    assert lenient.status_code == 200 and len(lenient.json()["errors"]) == 2


def test_head_and_options_are_answered_like_any_http_resource(client, db):
    head = client.head("/api/search/")
    assert head.status_code == 200 and head["Content-Type"].startswith("application/json")
    options = client.options("/api/verify/")
    assert options.status_code == 200 and set(options["Allow"].split(", ")) == {"POST", "OPTIONS"}


def test_verification_holds_no_database_transaction_open(client):
    """As before the API had a schema: verifying a file only reads (ATOMIC_REQUESTS is on)."""
    assert resolve("/api/verify/").func._non_atomic_requests == {"default"}
    assert not getattr(resolve("/api/search/").func, "_non_atomic_requests", set())


# --- Pagination ---------------------------------------------------------------------------------------


def follow(client, url: str, key: str) -> list:
    """Every item of a list, page after page, as a client does: by the page's next_url."""
    items, seen = [], 0
    while url:
        page = client.get(url).json()
        items += page[key]
        url, seen = page["page"]["next_url"], seen + 1
        assert seen < 100
    return items


def test_following_next_url_reads_the_log_a_page_at_a_time(client, issued_permit, monkeypatch):
    tree_heads.tree_head_sign()
    tree_heads.tree_head_sign()
    size = LogLeaf.objects.count()
    assert size >= 3
    entries = follow(client, "/transparency/log/entries.json?start=0&end=1", "entries")
    assert [entry["index"] for entry in entries] == list(range(size))
    last = client.get(f"/transparency/log/entries.json?start={size - 1}&end={size}").json()["page"]
    assert last["has_next"] is False and last["has_previous"] is True
    assert client.get(last["previous_url"]).json()["entries"][0]["index"] == size - 2

    monkeypatch.setattr(log_api, "MAX_HEADS", 1)
    heads = follow(client, "/transparency/log/heads.json", "heads")
    assert [head["id"] for head in heads] == sorted(head["id"] for head in heads) and len(heads) == 2
    second = client.get(f"/transparency/log/heads.json?start={heads[1]['id']}").json()["page"]
    assert client.get(second["previous_url"]).json()["heads"][0]["id"] == heads[0]["id"]
    chinese = client.get("/zh-hans/transparency/log/entries.json?start=0&end=1").json()["page"]["next_url"]
    assert chinese.startswith("/zh-hans/transparency/log/entries.json?")


def test_search_pages_link_to_the_api_not_to_the_page(client, catalogue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(21):
            make_search_listing(title=f"Topographic survey {n}", category="surveying", regions=("440300",))
    first = client.get("/api/search/?q=survey").json()
    assert first["page"]["count"] == 2
    next_url = first["page"]["next_url"]
    assert urlsplit(next_url).path == "/api/search/" and parse_qs(urlsplit(next_url).query)["page"] == ["2"]
    hits = follow(client, "/api/search/?q=survey", "hits")
    assert len({hit["listing_id"] for hit in hits}) == 21
    assert first["facets"][0]["values"][0]["url"].startswith("/search/?")  # facets stay links for people


# --- The documentation page ---------------------------------------------------------------------------


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.assets: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            if attrs.get("src"):
                self.assets.append(attrs["src"])
            elif attrs.get("type") not in ("application/json", "application/ld+json"):
                self.inline_scripts += 1
        elif tag == "link" and attrs.get("rel") in ("stylesheet", "icon"):
            self.assets.append(attrs["href"])
        elif tag in ("img", "iframe") and attrs.get("src"):
            self.assets.append(attrs["src"])


def test_the_docs_page_renders_from_our_own_static_files(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Public API" in html and 'data-schema-url="/api/schema/"' in html
    assert 'href="/api/schema/"' in html and "429" in html
    parser = _Assets()
    parser.feed(html)
    assert any(src.endswith("ninja/swagger-ui-bundle.js") for src in parser.assets)
    for asset in parser.assets:
        assert asset.startswith(django_settings.STATIC_URL), f"{asset} is not one of our static files"
        assert finders.find(asset.removeprefix(django_settings.STATIC_URL)), f"{asset} does not exist"
    script = finders.find("js/api-docs.js")
    with open(script, encoding="utf-8") as source:
        assert "validatorUrl: null" in source.read()  # Swagger UI's badge would call validator.swagger.io


def test_the_docs_page_is_there_in_chinese_and_api_leads_to_it(client, db):
    response = client.get("/zh-hans/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-hans"' in html and 'data-schema-url="/zh-hans/api/schema/"' in html
    assert client.get("/api/")["Location"] == "/api/docs/"


def test_the_results_list_reads_in_constant_queries(client, category, providers, buyer):
    enterprise, owner = buyer

    def closed_request():
        request = make_request(enterprise=enterprise, user=owner, category=category)
        make_quote(request, providers[0], price="100")
        procurement.request_close(request=request, now=timezone.now() + datetime.timedelta(hours=49))

    closed_request()
    with CaptureQueriesContext(connection) as one:
        assert client.get("/requests/results.json").json()["total"] == 1
    closed_request()
    closed_request()
    with CaptureQueriesContext(connection) as three:
        page = client.get("/requests/results.json").json()
    assert page["total"] == 3 and len(three.captured_queries) == len(one.captured_queries)
    assert page["page"] == {
        "number": 1,
        "size": 20,
        "count": 1,
        "has_previous": False,
        "has_next": False,
        "previous_url": None,
        "next_url": None,
    }
