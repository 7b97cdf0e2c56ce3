"""One form style everywhere (partials/form_fields.html with the ``styled`` filter): label above its
field, required fields marked, help text and errors linked to the field, hidden fields unlabelled."""

import re

from django import forms
from django.template.loader import render_to_string


class SampleForm(forms.Form):
    name = forms.CharField(label="Project name", help_text="As in the approval application.")
    notes = forms.CharField(label="Notes", widget=forms.Textarea, required=False)
    region = forms.ChoiceField(label="Region", choices=[("110000", "Beijing")])
    agree = forms.BooleanField(label="I agree")
    token = forms.CharField(widget=forms.HiddenInput)


def render(form) -> str:
    return render_to_string("partials/form_fields.html", {"form": form})


def test_labels_sit_above_styled_fields_and_required_ones_are_marked():
    html = render(SampleForm())
    assert html.index('<label for="id_notes">') < html.index("<textarea")
    assert re.search(r'<label for="id_name">Project name <span class="required" aria-hidden="true">\*</span>', html)
    assert '<label for="id_notes">Notes</label>' in html  # optional: no mark
    assert re.search(r'<input type="text" name="name" class="form-control"[^>]*aria-describedby="id_name-help"', html)
    assert 'id="id_name-help"' in html
    assert re.search(r'<textarea name="notes"[^>]*class="form-control"', html)
    assert re.search(r'<select name="region" class="custom-select"', html)
    assert re.search(r'<input type="checkbox" name="agree" class="form-check-input"', html)
    assert "token" in html and 'for="id_token"' not in html  # hidden: no label


def test_errors_sit_beside_their_field_and_are_announced():
    html = render(SampleForm(data={"notes": "x"}))
    field = re.search(r'<input type="text" name="name"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field and "is-invalid" in field
    assert 'aria-describedby="id_name-help id_name-errors"' in field
    errors = html.index('id="id_name-errors"')
    assert html.index('name="name"') < errors < html.index('<label for="id_notes">')
