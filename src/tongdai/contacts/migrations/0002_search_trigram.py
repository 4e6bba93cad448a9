"""Trigram index for accent-insensitive name search on PostgreSQL.

``search_text`` holds folded names; ``LIKE '%term%'`` on it uses a GIN ``pg_trgm`` index.
Creating the extension needs a superuser or a database owner with the extension allowed;
where that is not possible, a DBA runs ``CREATE EXTENSION pg_trgm`` once (docs/operations.md).
On SQLite the search is a scan of the (much smaller) embedded database.
"""

from django.db import migrations


def up(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm;")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS contact_search_trgm ON contacts_contact "
        "USING gin (search_text gin_trgm_ops);"
    )


def down(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS contact_search_trgm;")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial")]
    operations = [migrations.RunPython(up, down)]
