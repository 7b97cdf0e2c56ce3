# CreditAppeal moved to the credit app (issue 14). State only: the table ``providers_creditappeal``
# and its rows stay where they are; ``credit.0001_initial`` takes the model over with that table.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('providers', '0003_credit_appeal'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='CreditAppeal')],
            database_operations=[],
        ),
    ]
