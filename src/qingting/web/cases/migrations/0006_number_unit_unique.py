# mypy: disable-error-code="misc"
"""The uniqueness moves from (unit, year, seq) to (number_unit, year, seq); one case per item.

(A separate migration from 0005: PostgreSQL refuses to alter a table with pending trigger events
from the data step in the same transaction.)
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("cases", "0005_number_unit"),
    ]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="number_unit",
            field=models.ForeignKey(
                on_delete=models.deletion.PROTECT, related_name="+", to="accounts.unit", verbose_name="numbering unit"
            ),
        ),
        migrations.RemoveConstraint(model_name="case", name="case_unit_year_seq"),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.UniqueConstraint(fields=("number_unit", "year", "seq"), name="case_number_unit_year_seq"),
        ),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.UniqueConstraint(fields=("item",), name="case_one_per_item"),
        ),
    ]
