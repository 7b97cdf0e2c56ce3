# ProviderCertificate moves here from the signing app (issue 14: signing is a generic seal service
# and knows nothing of providers). State only: the table keeps its name and its rows.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('providers', '0003_credit_appeal'),
        ('signing', '0004_organisation_seals_and_contracts'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='ProviderCertificate',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('issued_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('document', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='provider_certificate', to='signing.sealeddocument')),
                        ('provider', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='certificates', to='providers.provider')),
                    ],
                    options={
                        'verbose_name': 'Provider certificate',
                        'verbose_name_plural': 'Provider certificates',
                        'db_table': 'signing_providercertificate',
                        'ordering': ['-issued_at', '-id'],
                    },
                ),
            ],
        ),
    ]
