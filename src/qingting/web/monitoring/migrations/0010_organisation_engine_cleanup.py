# Generated for decision 0061.
"""One engine per organisation (decision 0061): the per-scheme columns and placements go."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0009_organisation_engine_data")]

    operations = [
        migrations.RemoveConstraint(model_name="event", name="event_scheme_engine_id"),
        migrations.RemoveField(model_name="event", name="scheme"),
        migrations.RemoveField(model_name="item", name="scheme"),
        migrations.RemoveField(model_name="pipelinestate", name="scheme"),
        migrations.DeleteModel(name="ItemEvent"),
        migrations.AlterField(
            model_name="event",
            name="organisation",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="accounts.unit",
                verbose_name="organisation",
            ),
        ),
        migrations.AlterField(
            model_name="pipelinestate",
            name="organisation",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE, related_name="pipeline_state", to="accounts.unit"
            ),
        ),
        migrations.AlterField(model_name="item", name="pending", field=models.BooleanField(default=True)),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.UniqueConstraint(
                fields=("organisation", "engine_event_id"), name="event_organisation_engine_id"
            ),
        ),
        migrations.AddIndex(
            model_name="item",
            index=models.Index(condition=models.Q(("pending", True)), fields=["id"], name="item_pending"),
        ),
    ]
