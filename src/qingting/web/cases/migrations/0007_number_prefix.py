# mypy: disable-error-code="misc"
"""Case-number prefixes unique across units (decision 0071); existing numbers are kept as they are.

Each unit that has issued numbers keeps the prefix of its latest number, unless another unit's
numbers carry the same prefix (two units whose names began alike): then neither gets it, and both
choose a free, longer prefix when they next number a case. No stored number changes.
"""

from collections import defaultdict

import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):  # type: ignore[no-untyped-def]
    Case = apps.get_model("cases", "Case")
    CasePrefix = apps.get_model("cases", "CasePrefix")
    units_by_prefix: dict[str, set[int]] = defaultdict(set)
    latest: dict[int, tuple[int, int, str]] = {}
    for unit_id, year, seq, number in Case.objects.values_list("number_unit_id", "year", "seq", "number").iterator():
        prefix = number.split("〔", 1)[0]
        if not prefix or prefix == number:
            continue
        units_by_prefix[prefix].add(unit_id)
        if unit_id not in latest or (year, seq) > latest[unit_id][:2]:
            latest[unit_id] = (year, seq, prefix)
    rows = [
        CasePrefix(unit_id=unit_id, prefix=prefix, wanted=prefix)
        for unit_id, (_y, _s, prefix) in sorted(latest.items())
        if units_by_prefix[prefix] == {unit_id}
    ]
    CasePrefix.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("cases", "0006_number_unit_unique"),
    ]

    operations = [
        migrations.CreateModel(
            name="CasePrefix",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("prefix", models.CharField(max_length=40, unique=True, verbose_name="number prefix")),
                ("wanted", models.CharField(blank=True, max_length=40)),
                (
                    "unit",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="accounts.unit"
                    ),
                ),
            ],
            options={"verbose_name": "case number prefix", "verbose_name_plural": "case number prefixes"},
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
