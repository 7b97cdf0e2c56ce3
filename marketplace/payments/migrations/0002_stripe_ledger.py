"""Ledger amounts become integer fen; Stripe payments, webhook events, payout accounts and payouts."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def yuan_to_fen(apps, schema_editor):
    PaymentRecord = apps.get_model("payments", "PaymentRecord")
    for record in PaymentRecord.objects.all():
        record.amount_fen = int(record.amount * 100)
        record.save(update_fields=["amount_fen"])


class Migration(migrations.Migration):
    dependencies = [
        ("hiring", "0001_initial"),
        ("providers", "0001_initial"),
        ("payments", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="paymentrecord", name="amount_fen", field=models.BigIntegerField(default=0), preserve_default=False
        ),
        migrations.RunPython(yuan_to_fen, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="paymentrecord", name="payment_amount_positive"),
        migrations.RemoveField(model_name="paymentrecord", name="amount"),
        migrations.AlterField(
            model_name="paymentrecord",
            name="kind",
            field=models.CharField(
                choices=[
                    ("charge", "Charge"),
                    ("refund", "Refund"),
                    ("fee", "Platform fee"),
                    ("transfer", "Transfer to the provider"),
                ],
                max_length=10,
            ),
        ),
        migrations.AddConstraint(
            model_name="paymentrecord",
            constraint=models.CheckConstraint(condition=models.Q(amount_fen__gt=0), name="payment_amount_fen_positive"),
        ),
        migrations.CreateModel(
            name="StripeEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("event_id", models.CharField(max_length=255, unique=True)),
                ("type", models.CharField(max_length=100)),
                ("received_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.CreateModel(
            name="StripePayment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("intent_id", models.CharField(max_length=255, unique=True)),
                ("client_secret", models.CharField(max_length=255)),
                ("amount_fen", models.BigIntegerField()),
                ("status", models.CharField(max_length=40)),
                ("last_error", models.CharField(blank=True, max_length=500)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "service_order",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="stripe_payments",
                        to="hiring.serviceorder",
                    ),
                ),
            ],
            options={"ordering": ["-created_at", "-pk"]},
        ),
        migrations.CreateModel(
            name="PayoutAccount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "stripe_account_id",
                    models.CharField(blank=True, max_length=255, verbose_name="Stripe connected account id"),
                ),
                (
                    "provider",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="payout_account",
                        to="providers.provider",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="Payout",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("amount_fen", models.BigIntegerField()),
                ("fee_fen", models.BigIntegerField()),
                (
                    "status",
                    models.CharField(
                        choices=[("pending", "Pending"), ("paid", "Paid out")], default="pending", max_length=10
                    ),
                ),
                ("transfer_id", models.CharField(blank=True, max_length=255)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("paid_at", models.DateTimeField(blank=True, null=True)),
                (
                    "provider",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="payouts", to="providers.provider"
                    ),
                ),
                (
                    "service_order",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT, related_name="payout", to="hiring.serviceorder"
                    ),
                ),
            ],
            options={"ordering": ["-created_at", "-pk"]},
        ),
    ]
