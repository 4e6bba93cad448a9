"""Index for the filtered contact list on PostgreSQL: (centre, kind, received_at DESC).

With ten million contacts a list filtered by kind and period (often a channel too) walked
``contact_centre_recv`` through every contact of the centre in the period: p95 212 ms;
with this index it walks one kind of one centre newest first: p95 23 ms
(docs/performance.md). PostgreSQL only, like ``contact_search_trgm``: SQLite's planner,
without fresh statistics, chose this index for the name search too and sorted the whole
centre, and the embedded database meets its target without it.
"""

from django.db import migrations


def up(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS contact_centre_kind_recv ON contacts_contact "
        "(centre_id, kind_id, received_at DESC);"
    )


def down(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS contact_centre_kind_recv;")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0002_search_trigram")]
    operations = [migrations.RunPython(up, down)]
