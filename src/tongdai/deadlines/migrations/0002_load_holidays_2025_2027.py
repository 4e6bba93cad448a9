"""Seed Vietnam's public holidays for 2025–2027 (see tongdai.deadlines.holidays_vn)."""

from django.db import migrations


def load(apps, schema_editor):
    from tongdai.deadlines.holidays_vn import load_holidays

    load_holidays(apps.get_model("deadlines", "Holiday"))


class Migration(migrations.Migration):
    dependencies = [("deadlines", "0001_deadlines_and_holidays")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
