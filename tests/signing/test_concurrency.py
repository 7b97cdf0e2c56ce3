"""Permit numbers stay unique and gap-free when officers issue at the same moment (PostgreSQL)."""

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from signing import services
from signing.models import DocumentKind, Permit
from signing.services.seals import _seal_from_chain
from tests.factories import AuthorityMemberFactory, EnterpriseFactory, IssuingAuthorityFactory

from .conftest import permit_data


@pytest.mark.django_db(transaction=True)
def test_concurrent_issuance_numbers_without_duplicates_or_gaps(seal_material):
    if connection.vendor != "postgresql":
        pytest.skip("needs real row locks (PostgreSQL); SQLite serialises every writer anyway")
    authority = IssuingAuthorityFactory(number_prefix="RACE")
    chain_pem, key_ref = seal_material
    seal = _seal_from_chain(
        authority=authority, name="Race", purpose="", chain_pem=chain_pem, key_store="encrypted", key_ref=key_ref
    )
    officers = [AuthorityMemberFactory(authority=authority).user for _ in range(3)]
    for officer in officers:
        services.grant_create(seal=seal, user=officer, document_kind=DocumentKind.PERMIT)
    holder = EnterpriseFactory()
    errors = []
    start = threading.Barrier(len(officers))

    def work(officer):
        try:
            start.wait()
            for _ in range(2):
                services.permit_issue(authority=authority, actor=officer, data=permit_data(holder), seal=seal)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(o,)) for o in officers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    year = timezone.localdate().year
    numbers = sorted(Permit.objects.values_list("number", flat=True))
    assert numbers == [f"RACE-{year}-{i:06d}" for i in range(1, 7)]
    assert services.seal_log_verify().ok


@pytest.mark.django_db(transaction=True)
def test_two_first_uses_of_a_document_signer_share_one_key():
    """Two requests need an authority's QR-signing key at once and neither finds one: both end with the
    same key, and the authority has exactly one active (the partial unique index decides)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs real row locks (PostgreSQL); SQLite serialises every writer anyway")
    from signing.models import DocumentSigner
    from signing.services import document_signers

    authority = IssuingAuthorityFactory(number_prefix="DSRACE")
    start = threading.Barrier(2)
    kids, errors = [], []

    def work():
        try:
            start.wait()
            kids.append(document_signers.document_signer_for(authority=authority).kid)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and len(kids) == 2 and kids[0] == kids[1]
    assert DocumentSigner.objects.filter(authority=authority, status="active").count() == 1
