# Contract and ContractSeal move here from the signing app (issue 14: signing is a generic seal
# service and knows nothing of orders). State only: the tables keep their names and their rows.

import django.db.models.deletion
import django.utils.timezone
import signing.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('hiring', '0002_initial'),
        ('signing', '0004_organisation_seals_and_contracts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Contract',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('awaiting_buyer', "Awaiting the buyer's seal"), ('awaiting_provider', "Awaiting the provider's seal"), ('sealed', 'Sealed by all parties')], default='awaiting_buyer', max_length=20, verbose_name='Status')),
                        ('token', models.CharField(default=signing.models.new_verification_token, editable=False, max_length=64, unique=True)),
                        ('issued_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='Issued at')),
                        ('document', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='contract', to='signing.sealeddocument')),
                        ('service_order', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='contract', to='hiring.serviceorder')),
                    ],
                    options={
                        'verbose_name': 'Service contract',
                        'verbose_name_plural': 'Service contracts',
                        'db_table': 'signing_contract',
                        'ordering': ['-issued_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='ContractSeal',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('party', models.CharField(choices=[('platform', 'Platform'), ('buyer', 'Buyer'), ('provider', 'Provider')], max_length=20, verbose_name='Party')),
                        ('sealed_at', models.DateTimeField(verbose_name='Sealed at')),
                        ('sha256', models.CharField(max_length=64, unique=True, verbose_name='SHA-256')),
                        ('size', models.PositiveIntegerField()),
                        ('actor', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('contract', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='seals', to='hiring.contract')),
                        ('seal', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='contract_seals', to='signing.seal')),
                    ],
                    options={
                        'verbose_name': 'Contract seal',
                        'verbose_name_plural': 'Contract seals',
                        'db_table': 'signing_contractseal',
                        'ordering': ['sealed_at', 'id'],
                        'constraints': [models.UniqueConstraint(fields=('contract', 'party'), name='one_seal_per_contract_party')],
                    },
                ),
            ],
        ),
    ]
