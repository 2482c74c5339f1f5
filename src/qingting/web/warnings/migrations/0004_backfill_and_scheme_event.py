# Generated for decision 0061.
"""Warnings read the (scheme, event) membership of the monitoring app (decision 0061); a warning
raised by a scheme's backfill over stored items says so."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("warnings", "0003_alter_warning_kind"),
        ("monitoring", "0010_organisation_engine_cleanup"),
    ]

    operations = [
        migrations.AddField(
            model_name="warning",
            name="backfill",
            field=models.BooleanField(default=False, verbose_name="raised by a backfill"),
        ),
        migrations.DeleteModel(name="EventMatch"),
        migrations.RemoveConstraint(model_name="warning", name="warning_open_event_tier"),
        migrations.AddConstraint(
            model_name="warning",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ["new", "acknowledged"])),
                fields=("scheme", "event", "tier"),
                name="warning_open_scheme_event_tier",
            ),
        ),
    ]
