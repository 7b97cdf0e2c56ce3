# CreditAppeal taken over from the providers app (issue 14). State only: the table
# ``providers_creditappeal`` (made by providers.0003) keeps its name, rows and constraint.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('providers', '0004_credit_appeal_moved'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='CreditAppeal',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('source', models.CharField(choices=[('buyer', 'Buyer rating'), ('authority', 'Authority evaluation'), ('platform', 'Platform evaluation'), ('delivery', 'Delivery against the deadline'), ('dispute', 'Dispute decided against the provider'), ('objection', 'Upheld objection to an award')], max_length=20, verbose_name='Source')),
                        ('source_id', models.PositiveBigIntegerField()),
                        ('entry_summary', models.CharField(help_text='The entry as the provider saw it.', max_length=300, verbose_name='Entry')),
                        ('reason', models.TextField(verbose_name='Reason for the appeal')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('upheld', 'Upheld: entry excluded'), ('rejected', 'Rejected')], default='pending', max_length=20, verbose_name='Status')),
                        ('decision', models.TextField(blank=True, verbose_name='Decision')),
                        ('decided_at', models.DateTimeField(blank=True, null=True)),
                        ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('filed_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('provider', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='credit_appeals', to='providers.provider')),
                    ],
                    options={
                        'verbose_name': 'Credit appeal',
                        'verbose_name_plural': 'Credit appeals',
                        'ordering': ['-created_at', '-pk'],
                        'db_table': 'providers_creditappeal',
                        'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'pending')), fields=('provider', 'source', 'source_id'), name='one_open_credit_appeal_per_entry')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
