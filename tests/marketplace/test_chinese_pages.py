"""Every key page rendered in Chinese, with the demo data, shows none of our own catalogue's English.

The catalogue is read from locale/zh_Hans/LC_MESSAGES/django.po: every translated message whose
English is distinctive (several words, not a code or a name) must not appear in a Chinese page's
text or its aria-label / placeholder / title / alt attributes. A string that reaches a page without
passing through gettext, or through it before the language was chosen, fails here.
"""

import html
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import translation

from tests.e2e.key_pages import LOGINS, key_pages

PO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


def english_phrases() -> set[str]:
    """The literal runs of translated msgids that could only be our untranslated English."""
    phrases = set()
    for entry in polib.pofile(str(PO)):
        if entry.obsolete or not (entry.msgstr or any(entry.msgstr_plural.values())):
            continue
        for msgid in filter(None, (entry.msgid, entry.msgid_plural)):
            for run in PLACEHOLDER.split(msgid):
                run = re.sub(r"<[^>]+>", " ", run)
                run = " ".join(run.split()).strip(" .,:;()—·")
                if len(run) >= 12 and len(run.split()) >= 3 and re.search("[a-z]", run):
                    phrases.add(run)
    return phrases


def visible_text(page: str) -> str:
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    attributes = re.findall(r'(?:aria-label|placeholder|title|alt)="([^"]*)"', page)
    text = re.sub(r"(?s)<[^>]+>", " ", page)
    return " ".join(html.unescape(" ".join([text, *attributes])).split())


@pytest.mark.django_db
def test_no_page_shows_untranslated_strings_of_our_catalogue_in_chinese(client):
    call_command("load_demo", quiet_logins=True)
    phrases = english_phrases()
    assert len(phrases) > 300  # the catalogue was read
    found = []
    signed_in = object()
    for role, path in key_pages():
        if role != signed_in:
            client.logout()
            if role:
                client.force_login(get_user_model().objects.get(email=LOGINS[role]))
            signed_in = role
        response = client.get("/zh-hans" + path)
        assert response.status_code == 200, path
        text = visible_text(response.content.decode())
        found += [f"{path} ({role}): {phrase!r}" for phrase in sorted(phrases) if phrase in text]
    translation.activate("en")
    assert not found, "\n".join(found)
