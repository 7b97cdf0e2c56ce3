# Contract and ContractSeal now live in hiring, ProviderCertificate in providers (issue 14).
# State only: their tables stay, under their old names, owned by the new apps' models.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
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
    ]
