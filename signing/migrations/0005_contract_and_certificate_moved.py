# Contract and ContractSeal now live in hiring, ProviderCertificate in providers (issue 14).
# State only: their tables stay, under their old names, owned by the new apps' models. Their
# content types follow them, so permissions and admin history granted on them are kept.

from django.db import migrations

MOVED = (("contract", "hiring"), ("contractseal", "hiring"), ("providercertificate", "providers"))


def _move_content_types(apps, *, forwards: bool) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model, new_app in MOVED:
        source, target = ("signing", new_app) if forwards else (new_app, "signing")
        if not ContentType.objects.filter(app_label=target, model=model).exists():
            ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def content_types_forwards(apps, schema_editor):
    _move_content_types(apps, forwards=True)


def content_types_backwards(apps, schema_editor):
    _move_content_types(apps, forwards=False)


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('signing', '0004_organisation_seals_and_contracts'),
        ('hiring', '0003_contract_moved'),
        ('providers', '0004_provider_certificate_moved'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='ContractSeal'),
                migrations.DeleteModel(name='Contract'),
                migrations.DeleteModel(name='ProviderCertificate'),
            ],
        ),
        migrations.RunPython(content_types_forwards, content_types_backwards),
    ]
