"""Fewer indexes on the contact tables, which every new contact writes to
(docs/architecture.md, "Indexes"): the single-column foreign-key indexes Django adds, and
on PostgreSQL their ``_like`` twins for LIKE on code columns, go (28 in all). No read used
them but kind and province, the list filters, which get indexes of their own below.

Only indexes change, so the database side is plain DROP INDEX: Django's own AlterField
would drop and re-add each foreign key (a scan of the whole table to validate it, fifteen
times) on PostgreSQL and copy the table fifteen times on SQLite. The ``_like`` indexes
exist only on PostgreSQL; IF EXISTS covers SQLite. Reversing restores the model state but
not the dropped indexes (rebuild them by hand if you ever need them back).
"""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DROPPED = [
    "contacts_contact_caller_commune_id_e0976d44",
    "contacts_contact_caller_commune_id_e0976d44_like",
    "contacts_contact_caller_country_id_e8cacac5",
    "contacts_contact_caller_country_id_e8cacac5_like",
    "contacts_contact_caller_province_id_6d867d9b",
    "contacts_contact_caller_province_id_6d867d9b_like",
    "contacts_contact_caller_relation_id_b82a0a84",
    "contacts_contact_caller_relation_id_b82a0a84_like",
    "contacts_contact_centre_id_98c0aef7",
    "contacts_contact_centre_id_98c0aef7_like",
    "contacts_contact_commune_id_e720a455",
    "contacts_contact_commune_id_e720a455_like",
    "contacts_contact_counsellor_id_00cafe74",
    "contacts_contact_kind_id_476052f6",
    "contacts_contact_kind_id_476052f6_like",
    "contacts_contact_legacy_province_id_ee5f04df",
    "contacts_contact_legacy_province_id_ee5f04df_like",
    "contacts_contact_province_id_f90bbb57",
    "contacts_contact_province_id_f90bbb57_like",
    "contacts_contacttopic_contact_id_476b7ec2",
    "contacts_contacttopic_topic_id_9942caa9",
    "contacts_contacttopic_topic_id_9942caa9_like",
    "contacts_subject_commune_id_4638294f",
    "contacts_subject_commune_id_4638294f_like",
    "contacts_subject_country_id_5e02d903",
    "contacts_subject_country_id_5e02d903_like",
    "contacts_subject_province_id_650a5821",
    "contacts_subject_province_id_650a5821_like",
]


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('contacts', '0003_contact_centre_kind_recv'),
        ('geo', '0001_initial'),
        ('taxonomy', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='contact',
                    name='caller_commune',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='geo.commune'),
                ),
                migrations.AlterField(
                    model_name='contact',
                    name='caller_country',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='geo.country'),
                ),
                migrations.AlterField(
                    model_name='contact',
                    name='caller_province',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='geo.province'),
                ),
                migrations.AlterField(
                    model_name='contact',
                    name='caller_relation',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='taxonomy.callerrelation'),
                ),
                migrations.AlterField(
                    model_name='contact',
                    name='centre',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='contacts', to='accounts.centre'),
                ),
                migrations.AlterField(
                    model_name='contact',
                    name='commune',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='geo.commune'),
                ),
                migrations.AlterField(
                    model_name='contact',
                    name='counsellor',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='contacts', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='contact',
                    name='kind',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='contacts', to='taxonomy.contactkind'),
                ),
                migrations.AlterField(
                    model_name='contact',
                    name='legacy_province',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='geo.legacyprovince'),
                ),
                migrations.AlterField(
                    model_name='contact',
                    name='province',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='geo.province'),
                ),
                migrations.AlterField(
                    model_name='contacttopic',
                    name='contact',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, to='contacts.contact'),
                ),
                migrations.AlterField(
                    model_name='contacttopic',
                    name='topic',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, to='taxonomy.topic'),
                ),
                migrations.AlterField(
                    model_name='subject',
                    name='commune',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='geo.commune'),
                ),
                migrations.AlterField(
                    model_name='subject',
                    name='country',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='geo.country'),
                ),
                migrations.AlterField(
                    model_name='subject',
                    name='province',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='geo.province'),
                ),
            ],
            database_operations=[
                migrations.RunSQL([f"DROP INDEX IF EXISTS {name}" for name in DROPPED],
                                  reverse_sql=migrations.RunSQL.noop),
            ],
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(fields=['kind'], name='contact_kind'),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(fields=['province'], name='contact_province'),
        ),
    ]
