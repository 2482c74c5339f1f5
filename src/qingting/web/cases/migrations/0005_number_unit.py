# mypy: disable-error-code="misc"
"""A case's number belongs to the unit that issued it (``number_unit``), not to whoever handles it
now (decision 0057). Existing rows: the unit in the case's ``create`` audit entry, else its unit.
One case per citizen message (decision 0058): a message linked to several cases stays on the oldest.
"""

from django.db import migrations, models
from django.db.models import F


def fill(apps, schema_editor):  # type: ignore[no-untyped-def]
    Case = apps.get_model("cases", "Case")
    CaseAction = apps.get_model("cases", "CaseAction")
    Case.objects.filter(number_unit__isnull=True).update(number_unit=F("unit"))
    moved = CaseAction.objects.filter(action__in=["transfer", "assign"]).values("case_id")
    for case_id, new in CaseAction.objects.filter(action="create", case_id__in=moved).values_list("case_id", "new"):
        issued = (new or {}).get("unit_id")
        if issued:
            Case.objects.filter(pk=case_id).update(number_unit_id=issued)
    seen: set[int] = set()
    for pk, item_id in Case.objects.filter(item__isnull=False).order_by("item_id", "pk").values_list("pk", "item_id"):
        if item_id in seen:
            Case.objects.filter(pk=pk).update(item=None)
        seen.add(item_id)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("cases", "0004_figure_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="number_unit",
            field=models.ForeignKey(
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to="accounts.unit",
                verbose_name="numbering unit",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
