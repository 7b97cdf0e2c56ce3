"""Identifiers in the published data: the process (``ocid``), releases, awards, contracts, organisations.

* **ocid** = the registered OCID prefix (``OCDS_OCID_PREFIX``: "ocds-" + six lowercase letters or
  digits, as the OCDS identifiers guidance prescribes) + "-" + the platform's own process id, which
  never changes: ``rfq-<request id>`` for a request for quotes, ``order-<order number>`` for a direct
  hire (an order placed without a request).
* **release ids** are ``<ocid>-<what happened>``: unique across the whole publication (OCDS asks only
  within the process), and the same every time the data is produced, because each names the record
  that caused it (``award-2`` is the second selection round, ``contract-signed`` the last seal ...).
* **organisations** are identified by their unified social credit code (统一社会信用代码) in the org-id.guide
  list ``CN-USCI`` ("Unified Social Credit Identifier", listed as confirmed, primary and not deprecated
  at org-id.guide, lists/cn/cn-usci.json); the party id is ``CN-USCI-<code>``, the form the OCDS
  guidance recommends. Nothing about a person is ever published: no names of people, no e-mail
  addresses or phone numbers, no user ids.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from marketplace.core.regions import get_region

from . import conf

ORG_SCHEME = "CN-USCI"
# The platform's service-item catalogue (an open itemClassificationScheme value of our own).
ITEM_SCHEME = "OneWindow-ServiceItem"
# Chinese text goes beside the English in OCDS's language-suffixed fields ("name_zh-Hans").
ZH = "zh-Hans"
PREFIX_PATTERN = re.compile(r"^ocds-[a-z0-9]{6}$")
REQUEST, ORDER = "rfq", "order"
_PROCESS = re.compile(r"^(?P<kind>rfq|order)-(?P<key>[A-Za-z0-9]{1,40})$")


def ocid_prefix() -> str:
    """The configured prefix, refused when it cannot be a registered one."""
    prefix = conf.get("OCDS_OCID_PREFIX")
    if not PREFIX_PATTERN.match(prefix or ""):
        raise ImproperlyConfigured(
            f"OCDS_OCID_PREFIX must be 'ocds-' and six lowercase letters or digits, as registered; got {prefix!r}"
        )
    return prefix


def request_ocid(request_id: int) -> str:
    return f"{ocid_prefix()}-{REQUEST}-{request_id}"


def order_ocid(order_number: str) -> str:
    return f"{ocid_prefix()}-{ORDER}-{order_number}"


@dataclass(frozen=True)
class ProcessKey:
    kind: str  # REQUEST or ORDER
    key: str  # the request id (digits) or the order number


def parse_ocid(ocid: str) -> ProcessKey | None:
    """The process an ocid names, or None for anything this publisher did not assign."""
    prefix = ocid_prefix()
    if not (ocid or "").startswith(prefix + "-"):
        return None
    match = _PROCESS.match(ocid[len(prefix) + 1 :])
    if match is None or (match["kind"] == REQUEST and not match["key"].isdigit()):
        return None
    return ProcessKey(kind=match["kind"], key=match["key"])


def party_id(credit_code: str) -> str:
    return f"{ORG_SCHEME}-{credit_code}"


def organisation_reference(organisation) -> dict:
    """An OrganizationReference (``buyer``, ``suppliers``, ``tenderers``)."""
    return {"id": party_id(organisation.credit_code), "name": organisation.name}


def organisation(organisation, roles: list[str]) -> dict:
    """A party: an enterprise or a provider, by its legal name and credit code, with its region.

    Built from named fields only, so no contact person, phone, e-mail or legal representative can slip in.
    """
    party = {
        "id": party_id(organisation.credit_code),
        "name": organisation.name,
        "identifier": {"scheme": ORG_SCHEME, "id": organisation.credit_code, "legalName": organisation.name},
        "roles": list(roles),
    }
    if organisation.name_zh:
        party[f"name_{ZH}"] = organisation.name_zh
        party["identifier"][f"legalName_{ZH}"] = organisation.name_zh
    region = get_region(organisation.region)
    if region is not None:
        party["address"] = {"region": region.name, "countryName": "China", f"countryName_{ZH}": "中国"}
    return party
