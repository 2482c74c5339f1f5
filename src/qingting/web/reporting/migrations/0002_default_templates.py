"""Seed one shared default template per report kind (the standard wording; admins edit or replace them)."""

from django.db import migrations

DEFAULTS = [
    ("daily", "标准日报"),
    ("weekly", "标准周报"),
    ("monthly", "标准月报"),
    ("quarterly", "标准季报"),
    ("half", "标准半年报"),
    ("annual", "标准年报"),
    ("work", "标准工作情况报告"),
]


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    ReportTemplate = apps.get_model("reporting", "ReportTemplate")
    for kind, name in DEFAULTS:
        if not ReportTemplate.objects.filter(kind=kind, unit__isnull=True, is_default=True).exists():
            ReportTemplate.objects.create(kind=kind, name=name, is_default=True)


def unseed(apps, schema_editor):  # type: ignore[no-untyped-def]
    ReportTemplate = apps.get_model("reporting", "ReportTemplate")
    ReportTemplate.objects.filter(unit__isnull=True, name__in=[n for _, n in DEFAULTS], title="", lead="").delete()


class Migration(migrations.Migration):
    dependencies = [("reporting", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
