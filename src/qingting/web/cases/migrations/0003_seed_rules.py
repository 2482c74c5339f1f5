# ruff: noqa  (Django migration class attributes are mutable by design)
"""Seed the editable rules: case categories, the default SLA policies (core DEFAULT_POLICIES, from
STANDARDS.md §3) and the working-day calendar for every year ``chinesecalendar`` knows.

Only rows that do not exist yet are added, so an admin's edits survive a re-run; the reverse
removes nothing (the admin may have edited the rows)."""

from typing import Any

from django.db import migrations

CATEGORIES = [
    # code, name, requires sign-off, offered through Open311, Open311 attributes
    ("enquiry", "咨询", False, True, []),
    (
        "complaint",
        "投诉",
        False,
        True,
        [
            {
                "code": "repeat",
                "description": "此前是否反映过 / raised before?",
                "datatype": "singlevaluelist",
                "required": False,
                "order": 1,
                "values": [["yes", "是 / yes"], ["no", "否 / no"]],
            }
        ],
    ),
    ("suggestion", "建议", False, True, []),
    ("help", "求助", False, True, []),
    ("report", "举报", True, True, []),
    ("opinion", "网络舆情", False, False, []),
    ("other", "其他", False, True, []),
]


def seed(apps: Any, schema_editor: Any) -> None:
    from qingting.core.cases.calendar import WorkingCalendar
    from qingting.core.cases.sla import DEFAULT_POLICIES, policies_to_list

    Category = apps.get_model("cases", "Category")
    SlaPolicy = apps.get_model("cases", "SlaPolicy")
    CalendarYear = apps.get_model("cases", "CalendarYear")
    for order, (code, name, sign_off, open311, attributes) in enumerate(CATEGORIES):
        Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "requires_sign_off": sign_off,
                "open311": open311,
                "attributes": attributes,
                "order": (order + 1) * 10,
            },
        )
    for order, raw in enumerate(policies_to_list(DEFAULT_POLICIES)):
        name = raw.pop("name")
        SlaPolicy.objects.get_or_create(name=name, defaults={**raw, "order": (order + 1) * 10})
    for year, raw in WorkingCalendar.seeded().to_dict()["years"].items():
        CalendarYear.objects.get_or_create(
            year=int(year),
            defaults={"holidays": raw["holidays"], "workdays": raw["workdays"], "source": raw["source"]},
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_append_only_triggers")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
