"""Validate packages against the official OCDS 1.1.5 schemas vendored in ``schema/`` (see its README).

The package schemas name the release schema by its URL; a ``referencing`` registry maps that URL to the
vendored file, so validation never touches the network (an unknown reference fails instead). Formats
are checked too: ``date-time`` through ``rfc3339-validator`` (a pinned dependency) and ``uri``
where jsonschema can check it.
"""

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT4

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
RELEASE_PACKAGE = "release-package-schema.json"
RECORD_PACKAGE = "record-package-schema.json"
RELEASE = "release-schema.json"
VENDORED = (RELEASE, RELEASE_PACKAGE, RECORD_PACKAGE)


@cache
def schema(name: str) -> dict:
    """One of the vendored schemas, parsed (cached; callers must not change it)."""
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


def _refuse_to_fetch(uri: str):
    raise NoSuchResource(ref=uri)


@cache
def _registry() -> Registry:
    resources = [
        (schema(name)["id"], Resource.from_contents(schema(name), default_specification=DRAFT4)) for name in VENDORED
    ]
    return Registry(retrieve=_refuse_to_fetch).with_resources(resources)


@cache
def _validator(name: str) -> Draft4Validator:
    return Draft4Validator(schema(name), registry=_registry(), format_checker=FormatChecker())


def errors(data: dict, *, schema_name: str = RELEASE_PACKAGE) -> list[str]:
    """Every way ``data`` breaks the named schema, as "path: message" lines (empty when valid)."""
    found = sorted(_validator(schema_name).iter_errors(data), key=lambda error: list(map(str, error.absolute_path)))
    return [f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}" for error in found]


def release_package_errors(data: dict) -> list[str]:
    return errors(data, schema_name=RELEASE_PACKAGE)


def record_package_errors(data: dict) -> list[str]:
    return errors(data, schema_name=RECORD_PACKAGE)
