"""Upload checks: the content decides the type; name, size and programs are refused clearly."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.core.uploads import (
    DOCUMENT_KINDS,
    IMAGE_KINDS,
    JPEG,
    PDF,
    PNG,
    UploadValidator,
    sniff,
    validate_upload,
)

PDF_BYTES = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32


def upload(name, content):
    return SimpleUploadedFile(name, content)


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("scan.pdf", PDF_BYTES, PDF),
        ("scan.PNG", PNG_BYTES, PNG),
        ("photo.jpg", JPEG_BYTES, JPEG),
        ("a.jpeg", JPEG_BYTES, JPEG),
    ],
)
def test_accepts_documents_whose_content_and_name_agree(name, content, kind):
    assert validate_upload(upload(name, content)) is kind


def test_sniff_reads_the_content_and_leaves_the_file_position_alone():
    file = upload("x.bin", PNG_BYTES)
    file.seek(3)
    assert sniff(file) is PNG
    assert file.tell() == 3
    assert sniff(upload("x.txt", b"hello")) is None


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("scan.pdf", b"MZ\x90\x00\x03" + b"\x00" * 40),  # a Windows program renamed to .pdf
        ("scan.png", b"\x7fELF\x02\x01\x01" + b"\x00" * 40),  # a Linux program renamed to .png
        ("scan.pdf", b"#!/bin/sh\nrm -rf /\n"),
    ],
)
def test_refuses_renamed_executables(name, content):
    with pytest.raises(ValidationError) as error:
        validate_upload(upload(name, content))
    assert error.value.code == "upload_executable"
    assert "program" in error.value.messages[0]


def test_refuses_content_of_the_wrong_type_whatever_its_name():
    with pytest.raises(ValidationError) as error:
        validate_upload(upload("letter.pdf", b"Dear sir, this is plain text"))
    assert error.value.code == "upload_wrong_type"
    assert "PDF, PNG, JPEG" in error.value.messages[0]


def test_refuses_a_pdf_where_only_images_are_accepted():
    with pytest.raises(ValidationError) as error:
        validate_upload(upload("logo.pdf", PDF_BYTES), kinds=IMAGE_KINDS)
    assert error.value.code == "upload_wrong_type"


def test_refuses_an_extension_that_contradicts_the_content():
    with pytest.raises(ValidationError) as error:
        validate_upload(upload("scan.pdf", PNG_BYTES))
    assert error.value.code == "upload_extension_mismatch"
    assert ".pdf" in error.value.messages[0] and "PNG" in error.value.messages[0]


def test_refuses_oversized_and_empty_files(settings):
    settings.MAX_UPLOAD_SIZE = 1000
    with pytest.raises(ValidationError) as error:
        validate_upload(upload("scan.pdf", PDF_BYTES + b"0" * 1000))
    assert error.value.code == "upload_too_large"
    assert "1000" in error.value.messages[0] or "KB" in error.value.messages[0]
    with pytest.raises(ValidationError) as error:
        validate_upload(upload("scan.pdf", PDF_BYTES + b"0" * 100), max_size=50)
    assert error.value.code == "upload_too_large"
    with pytest.raises(ValidationError) as error:
        validate_upload(upload("scan.pdf", b""))
    assert error.value.code == "upload_empty"


def test_a_field_limit_cannot_raise_the_platform_limit(settings):
    settings.MAX_UPLOAD_SIZE = 100
    with pytest.raises(ValidationError):
        validate_upload(upload("scan.pdf", PDF_BYTES + b"0" * 200), max_size=10_000)


def test_validator_is_serialisable_and_checks_new_files():
    validator = UploadValidator(kinds=("PNG", "JPEG"), max_size=2048)
    path, args, kwargs = validator.deconstruct()
    assert path == "marketplace.core.uploads.UploadValidator"
    assert UploadValidator(**kwargs) == validator
    validator(upload("logo.png", PNG_BYTES))
    with pytest.raises(ValidationError):
        validator(upload("logo.png", PDF_BYTES))
    assert {kind.name for kind in DOCUMENT_KINDS} == {"PDF", "PNG", "JPEG"}
