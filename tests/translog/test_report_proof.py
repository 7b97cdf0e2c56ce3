"""Proofs travel with the documents: a verification report (page, JSON, the verify_pdf command)
carries the issued file's inclusion proof and the signed head it is proven against, and the command
checks it offline; a proof altered anywhere is refused."""

import copy
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from signing import verifier
from signing.services import tree_heads
from signing.verification import report_as_dict
from translog.checks import HeadError

pytestmark = pytest.mark.django_db


def pdf_of(permit) -> bytes:
    return bytes(permit.document.pdf)


def test_the_report_carries_a_proof_that_checks_out_offline(issued_permit):
    tree_heads.tree_head_sign()
    report = verifier.verify_document(pdf_of(issued_permit))
    proof = report.permit.log_proof
    assert proof is not None and json.loads(proof["leaf"]["data"])["number"] == issued_permit.number
    assert report_as_dict(report)["permit"]["transparency_log"] == proof
    tree_heads.log_proof_check(proof, sha256=issued_permit.sha256)

    def altered(change):
        broken = copy.deepcopy(proof)
        change(broken)
        return broken

    for broken in (
        altered(lambda p: p["leaf"].update(data=p["leaf"]["data"].replace(issued_permit.number, "TEB-FORGED"))),
        altered(lambda p: p["inclusion"].update(inclusion_path=["00" * 32, *p["inclusion"]["inclusion_path"][1:]])),
        altered(lambda p: p["head"].update(root_hash="11" * 32)),
        altered(lambda p: p["head"].update(signature=p["head"]["signature"][::-1])),
    ):
        with pytest.raises(HeadError):
            tree_heads.log_proof_check(broken, sha256=issued_permit.sha256)
    with pytest.raises(HeadError, match="not this document"):
        tree_heads.log_proof_check(proof, sha256="ab" * 32)


def test_verify_pdf_checks_the_proof_and_says_so(issued_permit, tmp_path, capsys):
    path = tmp_path / "permit.pdf"
    path.write_bytes(pdf_of(issued_permit))
    call_command("verify_pdf", str(path))
    assert "not yet under a signed tree head" in capsys.readouterr().out
    tree_heads.tree_head_sign()
    call_command("verify_pdf", str(path))
    out = capsys.readouterr().out
    assert out.startswith("VALID") and "inclusion proof checked" in out


def test_the_report_page_says_where_the_document_is_in_the_log(client, issued_permit):
    def page():
        upload = SimpleUploadedFile("permit.pdf", pdf_of(issued_permit), content_type="application/pdf")
        return client.post(reverse("signing:verify"), {"file": upload}).content.decode()

    assert 'data-log="pending"' in page()
    head = tree_heads.tree_head_sign()
    html = page()
    assert 'data-log="included"' in html and f"tree of {head.tree_size} records" in html
