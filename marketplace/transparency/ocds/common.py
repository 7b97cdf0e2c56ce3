"""What every release builder shares: dates, amounts, bilingual text, and the process being written.

A process's releases are built from *milestones*: each is a moment with a builder that writes one
release. They run in date order, so each release lists its organisations with the roles they hold at
that moment (a bidder becomes a "tenderer" when the quotes open, a "supplier" when it is selected);
roles are whole-list values in OCDS merging, so every release carries the roles held so far.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import identifiers

CURRENCY = "CNY"
LANGUAGE = "en"


def iso(moment: datetime.datetime) -> str:
    """RFC 3339 with the platform's UTC offset, to the second (``2026-06-01T09:30:00+08:00``)."""
    return timezone.localtime(moment).isoformat(timespec="seconds")


def value(amount: Decimal) -> dict:
    """A Value in yuan: a JSON number (not a string), two decimals at most."""
    amount = Decimal(amount).quantize(Decimal("0.01"))
    number = int(amount) if amount == amount.to_integral_value() else float(amount)
    return {"amount": number, "currency": CURRENCY}


def absolute(viewname: str, **kwargs) -> str:
    """A public page's address, in English (no language prefix)."""
    with translation.override(LANGUAGE):
        return settings.PUBLIC_BASE_URL + reverse(viewname, kwargs=kwargs)


def bilingual(field_name: str, build: Callable[[], str]) -> dict:
    """``{field: English}`` plus ``{field_zh-Hans: Chinese}`` when the Chinese says something else."""
    with translation.override(LANGUAGE):
        english = str(build())
    with translation.override("zh-hans"):
        chinese = str(build())
    text = {field_name: english}
    if chinese and chinese != english:
        text[f"{field_name}_{identifiers.ZH}"] = chinese
    return text


def service_item(category) -> list[dict]:
    """The one item of a process: the service item of the platform's catalogue."""
    if category is None:
        return [{"id": "1", **bilingual("description", lambda: _("Intermediary service")), "quantity": 1}]
    classification = {
        "scheme": identifiers.ITEM_SCHEME,
        "id": category.code or str(category.pk),
        "description": category.name,
    }
    item = {"id": "1", "description": category.name, "classification": classification, "quantity": 1}
    if category.name_zh:
        classification[f"description_{identifiers.ZH}"] = category.name_zh
        item[f"description_{identifiers.ZH}"] = category.name_zh
    return [item]


@dataclass(order=True)
class Milestone:
    at: datetime.datetime
    rank: int  # among milestones at the same moment: tender before award before contract
    # Writes the milestone's release(s), dated by the time given (the milestone's own).
    write: Callable[["Process", datetime.datetime], None] = field(compare=False)


@dataclass
class Process:
    """One contracting process being written: its ocid, its organisations' roles, its releases."""

    ocid: str
    releases: list[dict] = field(default_factory=list)
    moments: list[datetime.datetime] = field(default_factory=list)
    # Each contract's award: every contract object in every release names it (``awardID`` is required).
    contract_awards: dict[str, str] = field(default_factory=dict)
    _organisations: dict[str, object] = field(default_factory=dict)
    _roles: dict[str, list[str]] = field(default_factory=dict)

    def grant(self, organisation, *roles: str) -> str:
        """Record that ``organisation`` now holds ``roles``; returns its party id."""
        party = identifiers.party_id(organisation.credit_code)
        self._organisations[party] = organisation
        held = self._roles.setdefault(party, [])
        held.extend(role for role in roles if role not in held)
        return party

    def release(self, *, at: datetime.datetime, suffix: str, tags: list[str], involving=(), **sections) -> dict:
        """Write one release dated ``at``; ``involving``: the organisations it refers to, as parties."""
        parties = []
        for organisation in involving:
            party = identifiers.party_id(organisation.credit_code)
            if all(existing["id"] != party for existing in parties):
                parties.append(identifiers.organisation(self._organisations[party], self._roles[party]))
        release = {
            "ocid": self.ocid,
            "id": f"{self.ocid}-{suffix}",
            "date": iso(at),
            "tag": tags,
            "initiationType": "tender",
            "language": LANGUAGE,
        }
        if parties:
            release["parties"] = parties
        release.update(sections)
        self.releases.append(release)
        self.moments.append(at)
        return release

    def run(self, milestones: list[Milestone]) -> "Process":
        for milestone in sorted(milestones):
            milestone.write(self, milestone.at)
        return self
