"""Synthetic national-scale data for benchmark databases (``tongdai generate``).

Fills the configured database with completed contacts (with their subjects, topics and
caller details), and the cases and referrals that follow from them, in the proportions of
``docs/domain.md`` ("Figures the hotline publishes"). Everything is invented: names come
from Faker's ``vi_VN`` locale (with diacritics), phone numbers are random numbers on real
Vietnamese mobile prefixes, places are real province/commune codes from ``tongdai.geo``.

**For benchmark databases only.** The rows are bulk-loaded (PostgreSQL ``COPY``, SQLite
``executemany``) without going through ``contact_create``: no audit records, no deadline
clocks, no case events or referral steps. The derived columns (``search_text``,
``province``, ``commune``) are computed with the contact service's own rule
(``tongdai.contacts.services.derived_fields``), so searches and reports read the rows as
they read any other. The generator refuses a database holding contacts or cases that it
did not generate unless ``force=True``.

Generated staff accounts are named ``gen.<centre>.*`` and have no usable password; the
generator recognises its own data by them.

Distributions (where ``domain.md`` is silent, the choice is written here):
- kinds: substantive contacts follow the 2021 figures (information ≈ 70 %, counselling
  ≈ 20 %, report ≈ 8 %, referral ≈ 2 %); 35 % of all contacts are non-substantive
  (silent, hang-up, prank, ...), as the demo data has it;
- region of the contact: the Nov 2018 – Feb 2022 shares (Red River Delta 29.3 % ... abroad
  0.1 %); before the 2025 reform half the records carry the legacy province as reported
  (``legacy_province``) with ``province`` its current successor;
- caller relation: 17 % relatives and friends, 4.3 % victims (Oct 2013 – Nov 2018);
- cases: every referral contact and 15 % of reports open a case (≈ 2.3 % of contacts,
  as the 700 cases per 30,170 calls); 90 % of cases older than 120 days are closed;
- referrals: 75 % of cases send one, 15 % two; finished referrals' outcomes: rescued 35 %,
  investigated 30 %, supported 20 %, person not found 10 %, other 5 % (after the 2018
  split: 16 of 25 to police/NGOs for rescue and investigation, 5 missing-person
  searches, 4 returned victims);
- callers: 40 % of contacts with a number come from a pool of repeat callers (N / 25
  numbers, a long-tailed distribution), so caller history has depth;
- time: spread over ``years`` past years, more in recent ones, busy hours by day; all
  the times of a run are drawn first and written in order, so ids follow
  ``received_at`` as in a live system.
"""

from __future__ import annotations

import datetime
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from faker import Faker

from tongdai.accounts.models import Agency, AgencyType, Centre, User
from tongdai.accounts.provisioning import user_create
from tongdai.cases.models import Case, CaseContact, CasePerson, CaseSequence, CaseType, PersonRole
from tongdai.cases.services import FIRST_STAGE
from tongdai.contacts.models import AgeGroup, Contact, ContactTopic, Subject
from tongdai.contacts.services import derived_fields
from tongdai.core.text import fold
from tongdai.demo import ABROAD, ACTIONS, GRAVE, MOBILE_PREFIXES, SUMMARIES
from tongdai.geo.models import REFORM_2025, Commune, LegacyProvince, Province
from tongdai.referrals.models import Outcome, Referral, ReferralStatus, ReferralStep
from tongdai.reports import rollups

GEN_PREFIX = "gen."
COUNSELLORS_PER_CENTRE = 20
VN_OFFSET = datetime.timedelta(hours=7)  # Asia/Ho_Chi_Minh has no daylight saving

#: Domain figures, Nov 2018 – Feb 2022 (domain.md), by statistical region code.
REGION_SHARES = {"RRD": 29.3, "NE": 16.0, "NW": 13.1, "SE": 11.6, "NCC": 10.4, "MD": 8.0,
                 "SCC": 6.0, "CH": 5.5, "ABROAD": 0.1}
KIND_SHARES = {"information": 45.5, "counselling_psychological": 6.5, "counselling_policy": 3.9,
               "counselling_services": 2.6, "report": 5.2, "referral": 1.3,
               "silent": 9, "hang_up": 12, "prank": 6, "abusive": 2, "wrong_number": 4,
               "thanks": 1.5, "test": 0.5}
RELATION_SHARES = {"relative_friend": 17, "victim_self": 4.3, "child_self": 20, "parent": 25,
                   "teacher": 5, "neighbour_witness": 8, "official": 4, "anonymous": 10,
                   "other": 6.7}
CHANNEL_SHARES = {"phone_111": 60, "phone_18001567": 5, "zalo": 12, "facebook": 8, "app": 5,
                  "web": 4, "email": 3, "media": 2, "walk_in": 1}
#: What each substantive kind is about (topic codes of the taxonomy, CHI framework based).
KIND_TOPICS = {
    "information": ["family_parenting", "migration_abroad", "access_services", "education_work",
                    "sexuality", "migration_domestic", "physical_health", "family_divorce"],
    "counselling_psychological": ["mental_health_anxiety", "mental_health_depression",
                                  "family_relationships", "peers", "violence_bullying",
                                  "mental_health_self_harm", "mental_health_suicidal",
                                  "violence_psychological"],
    "counselling_policy": ["family_divorce", "migration_abroad", "violence_child_labour",
                           "access_services", "discrimination", "violence_child_marriage"],
    "counselling_services": ["access_services", "physical_health", "mental_health_anxiety"],
    "report": ["violence_physical", "violence_sexual", "violence_neglect", "violence_online",
               "violence_child_marriage", "violence_child_labour", "missing", "violence_cse",
               "violence_psychological", "trafficking_marriage", "trafficking_labour",
               "trafficking_child_sale", "trafficking_domestic"],
    "referral": ["violence_sexual", "trafficking_labour", "trafficking_marriage",
                 "trafficking_criminality", "trafficking_sexual", "missing", "violence_physical",
                 "trafficking_child_sale", "trafficking_organ"],
}
SUBJECT_KINDS = {"report", "referral", "counselling_psychological"}
OUTCOME_SHARES = {Outcome.RESCUED: 35, Outcome.INVESTIGATED: 30, Outcome.SUPPORTED: 20,
                  Outcome.PERSON_NOT_FOUND: 10, Outcome.OTHER: 5}
MIDDLE_F = ["Thị", "Ngọc", "Thu", "Minh", "Thanh", "Hoài"]
MIDDLE_M = ["Văn", "Đức", "Minh", "Quang", "Hữu", "Công"]
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 7, 6, 6, 7, 8, 8, 8, 9, 9, 8, 6, 4, 2]
#: Agencies the generator creates: (type, per province?, name template).
AGENCIES = [(AgencyType.POLICE, True, "Công an {p}"),
            (AgencyType.WOMENS_UNION, True, "Hội Liên hiệp Phụ nữ {p}"),
            (AgencyType.SOCIAL_PROTECTION, True, "Cơ sở bảo trợ xã hội {p}"),
            (AgencyType.BORDER_GUARD, False, "Bộ đội Biên phòng"),
            (AgencyType.FOREIGN_AFFAIRS, False, "Cục Lãnh sự, Bộ Ngoại giao"),
            (AgencyType.NGO, False, "Tổ chức Di cư Quốc tế (IOM) Việt Nam"),
            (AgencyType.SHELTER, False, "Nhà tạm lánh quốc gia")]
AGENCY_SUFFIX = " (dữ liệu giả lập)"


class GenerateRefused(Exception):
    """The database holds data the generator did not make, and ``force`` was not given."""


@dataclass
class GenerateResult:
    contacts: int = 0
    subjects: int = 0
    topics: int = 0
    cases: int = 0
    referrals: int = 0
    seconds: float = 0.0
    load_seconds: float = 0.0
    index_seconds: float = 0.0
    rebuilt_indexes: bool = False
    counts: dict = field(default_factory=dict)


def _pick(rng: np.random.Generator, shares: dict, size: int) -> np.ndarray:
    keys = list(shares)
    weights = np.array([shares[k] for k in keys], dtype=float)
    return rng.choice(len(keys), size=size, p=weights / weights.sum())


# --------------------------------------------------------------------------- safety


def real_data_present() -> bool:
    """True when a contact or case exists that the generator did not make."""
    gen_users = User.objects.filter(username__startswith=GEN_PREFIX).values("pk")
    return (Contact.objects.exclude(counsellor_id__in=gen_users).exists()
            or Case.objects.exclude(opened_by_id__in=gen_users).exists())


# --------------------------------------------------------------------------- setup


def _staff() -> dict[str, dict[str, list[int]]]:
    """Generated counsellors and a case manager per centre (created when missing)."""
    out: dict[str, dict[str, list[int]]] = {}
    for centre in Centre.objects.order_by("code"):
        code = centre.code.lower()
        wanted = [(f"{GEN_PREFIX}{code}.c{i:02d}", "counsellor") for i in range(1, COUNSELLORS_PER_CENTRE + 1)]
        wanted.append((f"{GEN_PREFIX}{code}.cm", "case_manager"))
        existing = set(User.objects.filter(username__in=[u for u, _ in wanted]).values_list("username", flat=True))
        for username, role in wanted:
            if username not in existing:
                user = user_create(username, role, secrets.token_urlsafe(24), centre=centre.code,
                                   full_name=f"{username} (dữ liệu giả lập)", via="cli")
                user.set_unusable_password()
                user.save(update_fields=["password"])
        rows = dict(User.objects.filter(username__in=[u for u, _ in wanted]).values_list("username", "pk"))
        out[centre.code] = {"counsellors": [rows[u] for u, r in wanted if r == "counsellor"],
                            "case_manager": [rows[f"{GEN_PREFIX}{code}.cm"]]}
    return out


def _agencies() -> dict[str, list[int] | dict[str, int]]:
    """Partner agencies referrals go to: per province (police, Women's Union, social
    protection) and national ones. Keyed by type; per-province types map province → id."""
    provinces = list(Province.objects.order_by("code"))
    out: dict = {}
    for agency_type, per_province, template in AGENCIES:
        if per_province:
            out[agency_type] = {}
            for p in provinces:
                agency, _ = Agency.objects.get_or_create(
                    name=template.format(p=p.name) + AGENCY_SUFFIX,
                    defaults={"type": agency_type, "province": p})
                out[agency_type][p.code] = agency.pk
        else:
            agency, _ = Agency.objects.get_or_create(name=template.format(p="") + AGENCY_SUFFIX,
                                                     defaults={"type": agency_type})
            out[agency_type] = agency.pk
    return out


@dataclass
class _Geo:
    regions: list[str]
    provinces_by_region: dict[str, list[str]]
    legacy_by_region: dict[str, list[tuple[str, str]]]  # (legacy code, current code)
    communes: dict[str, list[str]]
    centre_of: dict[str, str]


def _geo() -> _Geo:
    provinces_by_region: dict[str, list[str]] = {}
    for code, region in Province.objects.order_by("code").values_list("code", "region_id"):
        provinces_by_region.setdefault(region, []).append(code)
    legacy_by_region: dict[str, list[tuple[str, str]]] = {}
    for code, region, current in LegacyProvince.objects.order_by("code").values_list("code", "region_id", "current_id"):
        legacy_by_region.setdefault(region, []).append((code, current))
    communes: dict[str, list[str]] = {}
    for code, province in Commune.objects.order_by("code").values_list("code", "province_id"):
        communes.setdefault(province, []).append(code)
    centre_of = {}
    for centre in Centre.objects.prefetch_related("provinces"):
        for p in centre.provinces.all():
            centre_of.setdefault(p.code, centre.code)
    national = Centre.objects.filter(is_national=True).values_list("code", flat=True).first() or "HN"
    for codes in provinces_by_region.values():
        for code in codes:
            centre_of.setdefault(code, national)
    centre_of[""] = national  # abroad
    return _Geo([r for r in REGION_SHARES], provinces_by_region, legacy_by_region, communes, centre_of)


class _Names:
    """Pools of Vietnamese full names (with diacritics), by sex."""

    def __init__(self, seed: int, size: int = 20_000):
        fake = Faker("vi_VN")
        fake.seed_instance(seed)
        rng = np.random.default_rng(seed)
        self.female = [f"{fake.last_name()} {MIDDLE_F[rng.integers(len(MIDDLE_F))]} {fake.first_name_female()}"
                       for _ in range(size)]
        self.male = [f"{fake.last_name()} {MIDDLE_M[rng.integers(len(MIDDLE_M))]} {fake.first_name_male()}"
                     for _ in range(size)]

    def get(self, female: bool, index: int) -> str:
        pool = self.female if female else self.male
        return pool[index % len(pool)]


def _phone(prefix_index: int, number: int) -> str:
    return f"+84{MOBILE_PREFIXES[prefix_index][1:]}{number:07d}"


# --------------------------------------------------------------------------- writing


class _Writer:
    """Appends rows to tables: PostgreSQL ``COPY`` or SQLite ``executemany``."""

    def __init__(self):
        self.vendor = connection.vendor
        self.extra: dict[str, tuple[list[str], tuple]] = {}

    def columns(self, model, columns: list[str]) -> tuple[list[str], tuple]:
        """``columns`` plus any concrete column the generator does not fill (added by a
        later migration), with its default, so a newer schema does not break the load."""
        table = model._meta.db_table
        if table not in self.extra:
            known = {f.column for f in model._meta.concrete_fields}
            unknown = [c for c in columns if c not in known]
            if unknown:
                raise RuntimeError(f"{table} has no column(s) {unknown}")
            extra_cols, extra_vals = [], []
            for f in model._meta.concrete_fields:
                if f.column not in columns and not f.primary_key:
                    value = f.get_default()
                    extra_cols.append(f.column)
                    extra_vals.append(f.get_db_prep_save(value, connection))
            self.extra[table] = (columns + extra_cols, tuple(extra_vals))
        return self.extra[table]

    def write(self, model, columns: list[str], rows: list[tuple]) -> None:
        if not rows:
            return
        cols, extra = self.columns(model, columns)
        table = model._meta.db_table
        if extra:
            rows = [row + extra for row in rows]
        with connection.cursor() as cursor:
            raw = cursor.cursor
            if self.vendor == "postgresql":
                names = ", ".join(f'"{c}"' for c in cols)
                with raw.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                names = ", ".join(f'"{c}"' for c in cols)
                marks = ", ".join("?" for _ in cols)
                raw.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)

    def stamp(self, seconds: np.ndarray) -> list[str]:
        """UTC epoch seconds → timestamp text in the database's stored form."""
        text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
        text = np.char.replace(text, "T", " ")
        if self.vendor == "postgresql":
            text = np.char.add(text, "+00")
        return text.tolist()


TABLES = [Contact, Subject, ContactTopic, Case, CaseContact, CasePerson, Referral, ReferralStep]


def _index_file() -> Path:
    """Where the definitions of the dropped indexes wait while a load runs: one file per
    database, so an interrupted load can be repaired by the next run on that database."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(connection.settings_dict["NAME"]))[-80:]
    return Path(settings.DATA_DIR) / f"generate-dropped-indexes-{connection.vendor}-{name}.sql"


def _secondary_indexes() -> list[tuple[str, str]]:
    """(name, CREATE statement) of the plain secondary indexes of the bulk-loaded tables:
    not primary keys, not unique (constraints stay in force during the load)."""
    tables = [m._meta.db_table for m in TABLES]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "JOIN pg_class c ON c.relname = i.indexname "
                "JOIN pg_index x ON x.indexrelid = c.oid "
                "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) "
                "AND NOT x.indisunique AND NOT x.indisprimary", [tables])
        else:
            marks = ", ".join("%s" for _ in tables)
            cursor.execute(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({marks}) AND sql NOT LIKE 'CREATE UNIQUE%%'", tables)
        return list(cursor.fetchall())


def _create_indexes(statements: list[str], progress) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute("SET max_parallel_maintenance_workers = 2")
        for sql in statements:
            sql = sql.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1)
            started = time.monotonic()
            cursor.execute(sql)
            progress(f"  index rebuilt in {time.monotonic() - started:.1f} s: {sql[:90]}")
        if connection.vendor == "postgresql":
            cursor.execute("RESET maintenance_work_mem")
            cursor.execute("RESET max_parallel_maintenance_workers")


def restore_dropped_indexes(progress=lambda _m: None) -> int:
    """Recreate indexes a previous, interrupted run dropped (kept in DATA_DIR)."""
    path = _index_file()
    if not path.exists():
        return 0
    statements = [s for s in path.read_text().split(";\n") if s.strip()]
    _create_indexes(statements, progress)
    path.unlink()
    return len(statements)


def _analyze() -> None:
    with connection.cursor() as cursor:
        for model in TABLES:
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')


def _reset_sequences() -> None:
    if connection.vendor != "postgresql":
        return  # SQLite AUTOINCREMENT follows explicit ids by itself
    with connection.cursor() as cursor:
        for model in TABLES:
            table = model._meta.db_table
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                           f"COALESCE((SELECT MAX(id) FROM \"{table}\"), 1))")


def _next_id(model) -> int:
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


# --------------------------------------------------------------------------- the load


CONTACT_COLS = ["id", "status", "channel", "received_at", "answered_at", "ended_at", "centre_id",
                "counsellor_id", "caller_anonymous", "caller_phone", "caller_name",
                "caller_relation_id", "caller_sex", "caller_age", "caller_age_group",
                "caller_province_id", "caller_commune_id", "caller_country_id",
                "caller_consent_keep", "caller_consent_share", "kind_id", "summary", "notes",
                "actions_taken", "urgent", "province_id", "commune_id", "legacy_province_id",
                "search_text", "draft_form", "version", "created_at", "updated_at", "completed_at"]
SUBJECT_COLS = ["id", "contact_id", "position", "name", "sex", "age", "age_estimated", "age_group",
                "province_id", "commune_id", "country_id"]
TOPIC_COLS = ["contact_id", "topic_id"]
CASE_COLS = ["id", "number", "centre_id", "type", "stage", "status", "sensitivity", "urgent", "title",
             "case_manager_id", "opened_by_id", "received_at", "opened_at", "closed_at",
             "closure_reason", "version", "updated_at"]
CASE_CONTACT_COLS = ["case_id", "contact_id", "linked_at", "linked_by_id"]
PERSON_COLS = ["case_id", "role", "name", "name_folded", "sex", "age", "age_group", "province_id",
               "commune_id", "country_id", "subject_id", "notes"]
REFERRAL_COLS = ["id", "case_id", "plan_item_label", "agency_id", "reason", "urgent", "consent_child",
                 "consent_representative", "child_age", "emergency_exemption", "emergency_reason",
                 "share", "snapshot", "status", "version", "sent_at", "sent_by_id",
                 "acknowledged_at", "decline_reason", "outcome", "outcome_text", "revoke_reason",
                 "updated_at"]
STEP_COLS = ["referral_id", "status", "at", "by_id", "text"]


def generate(contacts: int, *, seed: int = 111, years: int = 10, batch: int = 50_000,
             force: bool = False, now: datetime.datetime | None = None,
             rebuild_indexes: bool | None = None,
             progress: Callable[[str], None] = lambda _m: None) -> GenerateResult:
    """Add ``contacts`` synthetic completed contacts (and their cases and referrals).

    ``rebuild_indexes``: drop the secondary indexes of the loaded tables and build them
    again after the load (much faster for large loads); default: when the load is at
    least as large as what is there already and 100,000 rows or more.
    """
    if contacts < 1:
        raise ValueError("contacts must be at least 1")
    if not force and real_data_present():
        raise GenerateRefused("This database holds contacts or cases that were not generated. "
                              "tongdai generate is for benchmark databases; use --force to add "
                              "synthetic data anyway.")
    started = time.monotonic()
    restored = restore_dropped_indexes(progress)
    if restored:
        progress(f"Restored {restored} indexes dropped by an interrupted run.")
    if not Province.objects.exists():
        from tongdai.geo.loader import load_reference_data

        load_reference_data()
    now = now or timezone.now()
    with transaction.atomic():
        staff = _staff()
        agencies = _agencies()
    gen = _Generator(contacts, seed, years, now, staff, agencies, _Writer())
    existing = Contact.objects.count()
    if rebuild_indexes is None:
        rebuild_indexes = contacts >= 100_000 and contacts >= existing
    result = GenerateResult(rebuilt_indexes=rebuild_indexes)
    dropped: list[tuple[str, str]] = []
    if rebuild_indexes:
        dropped = _secondary_indexes()
        _index_file().parent.mkdir(parents=True, exist_ok=True)
        _index_file().write_text("".join(sql + ";\n" for _n, sql in dropped))
        with connection.cursor() as cursor:
            for name, _sql in dropped:
                cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        progress(f"Dropped {len(dropped)} secondary indexes for the load.")
    _tune_session(True)
    try:
        done = 0
        while done < contacts:
            size = min(batch, contacts - done)
            with transaction.atomic():
                gen.batch(size, result)
            done += size
            elapsed = time.monotonic() - started
            progress(f"{done:,} contacts ({done / elapsed:,.0f}/s), {result.cases:,} cases, "
                     f"{result.referrals:,} referrals, {elapsed:,.0f} s")
        with transaction.atomic():
            gen.save_sequences()
    finally:
        _tune_session(False)
        result.load_seconds = time.monotonic() - started
        if dropped:
            t0 = time.monotonic()
            _create_indexes([sql for _n, sql in dropped], progress)
            _index_file().unlink(missing_ok=True)
            result.index_seconds = time.monotonic() - t0
    _reset_sequences()
    t0 = time.monotonic()
    # The bulk load bypassed the services that keep the report rollups: recount its days.
    rows = rollups.rebuild(timezone.localdate(now) - datetime.timedelta(days=366 * years + 1),
                           timezone.localdate(now))
    progress(f"Rebuilt {rows:,} report rollup rows in {time.monotonic() - t0:.1f} s")
    t0 = time.monotonic()
    _analyze()
    progress(f"ANALYZE in {time.monotonic() - t0:.1f} s")
    result.seconds = time.monotonic() - started
    return result


def _tune_session(on: bool) -> None:
    """Bulk-load settings for this connection only."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A crash loses at most the last batches; the data is synthetic.
            cursor.execute("SET synchronous_commit = off" if on else "RESET synchronous_commit")
            # Foreign keys are right by construction (every id comes from the tables read
            # in setup); skipping their per-row triggers halves the load. Needs a superuser;
            # without one the triggers simply run.
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if cursor.fetchone()[0]:
                cursor.execute("SET session_replication_role = replica" if on
                               else "RESET session_replication_role")
        elif not connection.in_atomic_block:  # SQLite refuses these inside a transaction
            if on:
                cursor.execute("PRAGMA synchronous")
                _SQLITE_SAVED["synchronous"] = cursor.fetchone()[0]
                cursor.execute("PRAGMA synchronous = OFF")
                cursor.execute("PRAGMA cache_size = -262144")  # 256 MB
                cursor.execute("PRAGMA temp_store = MEMORY")
            elif "synchronous" in _SQLITE_SAVED:
                cursor.execute(f"PRAGMA synchronous = {int(_SQLITE_SAVED.pop('synchronous'))}")


_SQLITE_SAVED: dict[str, int] = {}


class _Generator:
    def __init__(self, total: int, seed: int, years: int, now: datetime.datetime, staff, agencies,
                 writer: _Writer):
        self.rng = np.random.default_rng(seed)
        self.names = _Names(seed)
        self.geo = _geo()
        self.staff = staff
        self.agencies = agencies
        self.writer = writer
        self.now_s = int(now.timestamp())
        self.start_s = self.now_s - years * 365 * 86400
        self.reform_s = int(datetime.datetime.combine(REFORM_2025, datetime.time.min,
                                                      tzinfo=datetime.UTC).timestamp() - VN_OFFSET.total_seconds())
        self.kinds = list(KIND_SHARES)
        self.relations = list(RELATION_SHARES)
        self.channels = list(CHANNEL_SHARES)
        self.outcomes = list(OUTCOME_SHARES)
        # Repeat callers: a pool of numbers with a long-tailed share of the calls.
        pool = max(100, total // 25)
        self.pool_prefix = self.rng.integers(len(MOBILE_PREFIXES), size=pool)
        self.pool_number = self.rng.integers(10**7, size=pool)
        weights = 1.0 / (np.arange(pool) + 10.0)
        self.pool_p = weights / weights.sum()
        self.pool_female = self.rng.random(pool) < 0.65
        self.received = self._times(total)
        self.taken = 0
        self.contact_id = _next_id(Contact)
        self.subject_id = _next_id(Subject)
        self.case_id = _next_id(Case)
        self.referral_id = _next_id(Referral)
        self.sequences: dict[tuple[str, int], int] = dict(
            ((c, y), last) for c, y, last in CaseSequence.objects.values_list("centre_id", "year", "last"))

    def _times(self, n: int) -> np.ndarray:
        """Every received time of the run (UTC epoch seconds), in time order: contacts are
        written as a live system records them, so ids follow ``received_at`` and a period's
        rows sit together on disk. More contacts in recent years (the line grew), busy
        hours by day."""
        rng = self.rng
        u = rng.random(n) ** 0.8
        days = (u * (self.now_s - self.start_s - 86400) // 86400).astype(np.int64)
        local_midnight = (self.start_s + VN_OFFSET.total_seconds()) // 86400 * 86400
        hours = rng.choice(24, size=n, p=np.array(HOUR_WEIGHTS) / sum(HOUR_WEIGHTS))
        received = (local_midnight + days * 86400 + hours * 3600 + rng.integers(3600, size=n)
                    - int(VN_OFFSET.total_seconds())).astype(np.int64)
        return np.sort(np.minimum(received, self.now_s - 3600))

    def repeat_phone(self, index: int) -> str:
        return _phone(int(self.pool_prefix[index]), int(self.pool_number[index]))

    def batch(self, n: int, result: GenerateResult) -> None:  # noqa: C901, PLR0912, PLR0915 - one row builder
        rng, geo, names, w = self.rng, self.geo, self.names, self.writer
        # Times: more contacts in recent years (the line grew), busy hours by day.
        received = self.received[self.taken:self.taken + n]
        self.taken += n
        answered = received + rng.integers(3, 46, size=n)
        kind_ix = _pick(rng, KIND_SHARES, n)
        substantive_kinds = set(KIND_TOPICS)
        minutes = rng.integers(3, 36, size=n)
        ended = answered + np.where(np.isin(kind_ix, [self.kinds.index(k) for k in substantive_kinds]),
                                    minutes * 60, 0) + rng.integers(5, 60, size=n)
        closing = ended + rng.integers(30, 600, size=n)
        stamps = {name: w.stamp(arr) for name, arr in
                  (("received", received), ("answered", answered), ("ended", ended), ("closing", closing))}
        region_ix = _pick(rng, REGION_SHARES, n)
        channel_ix = _pick(rng, CHANNEL_SHARES, n)
        relation_ix = _pick(rng, RELATION_SHARES, n)
        r = rng.random((n, 12))
        ints = rng.integers(0, 2**31, size=(n, 8))
        repeat_ix = rng.choice(len(self.pool_p), size=n, p=self.pool_p)
        fresh_prefix = rng.integers(len(MOBILE_PREFIXES), size=n)
        fresh_number = rng.integers(10**7, size=n)

        contacts, subjects, topics, cases, links, persons, referrals, steps = [], [], [], [], [], [], [], []
        received_l = received.tolist()
        kind_ix, region_ix, channel_ix, relation_ix = (
            kind_ix.tolist(), region_ix.tolist(), channel_ix.tolist(), relation_ix.tolist())
        r, ints, repeat_ix = r.tolist(), ints.tolist(), repeat_ix.tolist()
        fresh_prefix, fresh_number = fresh_prefix.tolist(), fresh_number.tolist()
        for i in range(n):
            cid = self.contact_id
            self.contact_id += 1
            kind = self.kinds[kind_ix[i]]
            substantive = kind in substantive_kinds
            ri = r[i]
            ii = ints[i]
            # Where: region, then a current province, or the legacy one as reported.
            region = geo.regions[region_ix[i]]
            province = commune = legacy = country = routed = None
            if region == "ABROAD":
                country = ABROAD[ii[0] % len(ABROAD)]
            elif received_l[i] < self.reform_s and ri[0] < 0.5 and geo.legacy_by_region.get(region):
                # Imported before the reform: only the legacy unit, as reported.
                legacy, routed = geo.legacy_by_region[region][ii[0] % len(geo.legacy_by_region[region])]
            else:
                options = geo.provinces_by_region[region]
                province = options[ii[0] % len(options)]
                if ri[1] < 0.6:
                    communes = geo.communes[province]
                    commune = communes[ii[1] % len(communes)]
            centre = geo.centre_of[province or (routed if legacy else "")]
            counsellors = self.staff[centre]["counsellors"]
            counsellor = counsellors[ii[2] % len(counsellors)]
            # Who called.
            phone = name = ""
            relation = None
            sex = "unknown"
            age = None
            anonymous = consent_keep = consent_share = False
            has_phone = ri[2] < (0.85 if substantive else 0.7)
            repeat = ri[3] < 0.4
            female = bool(self.pool_female[repeat_ix[i]]) if repeat else ri[4] < 0.65
            if has_phone:
                phone = self.repeat_phone(repeat_ix[i]) if repeat else _phone(fresh_prefix[i], fresh_number[i])
            caller_place = (None, None)
            if substantive:
                relation = self.relations[relation_ix[i]]
                caller_place = (province, commune)
                if relation == "anonymous":
                    anonymous = True
                    phone = phone if ri[5] < 0.5 else ""
                else:
                    sex = "female" if female else "male"
                    name = names.get(female, repeat_ix[i] if repeat else ii[3])
                    age = 10 + ii[4] % 8 if relation in ("child_self", "victim_self") else 22 + ii[4] % 39
                    consent_keep = True
                    consent_share = kind in ("report", "referral")
            # Who it is about.
            subject_rows = []
            topic = None
            if substantive:
                options = KIND_TOPICS[kind]
                topic = options[ii[5] % len(options)]
                chosen = [topic]
                if ri[6] < 0.2:
                    extra = options[ii[6] % len(options)]
                    if extra != topic:
                        chosen.append(extra)
                for code in chosen:
                    topics.append((cid, code))
                if kind in SUBJECT_KINDS:
                    if relation == "child_self" and name:
                        subject_rows.append((name, sex, age, False, province, commune, None))
                    else:
                        for pos in range(1 if ri[7] < 0.85 else 2):
                            s_female = (ii[7] >> pos) & 3 != 0
                            s_name = names.get(s_female, ii[3] + 7919 * (pos + 1)) if ri[8] < 0.8 else ""
                            adult = topic.startswith("trafficking") and ri[9] < 0.5
                            s_age = 18 + ii[4] % 13 if adult else 3 + (ii[4] >> 4) % 15
                            subject_rows.append((s_name, "female" if s_female else "male", s_age,
                                                 ri[10] < 0.3, province, commune, country))
            search_text, d_province, d_commune = derived_fields(
                name, caller_place, [(s[0], s[4], s[5]) for s in subject_rows])
            urgent = kind in ("report", "referral") and topic in GRAVE and ri[11] < 0.6
            contacts.append((
                cid, "completed", self.channels[channel_ix[i]], stamps["received"][i],
                stamps["answered"][i], stamps["ended"][i], centre, counsellor, anonymous, phone, name,
                relation, sex, age, AgeGroup.for_age(age), caller_place[0], caller_place[1],
                country, consent_keep, consent_share, kind, SUMMARIES.get(topic, "") if topic else "", "",
                ACTIONS.get(kind, ""), urgent, d_province, d_commune,
                legacy, search_text, "{}", 1, stamps["received"][i], stamps["closing"][i],
                stamps["closing"][i]))
            subject_ids = []
            for pos, (s_name, s_sex, s_age, s_est, s_prov, s_comm, s_country) in enumerate(subject_rows):
                subjects.append((self.subject_id, cid, pos, s_name, s_sex, s_age, s_est,
                                 AgeGroup.for_age(s_age), s_prov, s_comm, s_country))
                subject_ids.append(self.subject_id)
                self.subject_id += 1
            # Cases and referrals.
            if kind == "referral" or (kind == "report" and ri[9] > 0.85):
                self._case(i, cid, centre, counsellor, topic, urgent, received_l[i], stamps, subject_rows,
                           subject_ids, province or routed, ii, ri, cases, links, persons, referrals, steps)
        w.write(Contact, CONTACT_COLS, contacts)
        w.write(Subject, SUBJECT_COLS, subjects)
        w.write(ContactTopic, TOPIC_COLS, topics)
        w.write(Case, CASE_COLS, cases)
        w.write(CaseContact, CASE_CONTACT_COLS, links)
        w.write(CasePerson, PERSON_COLS, persons)
        w.write(Referral, REFERRAL_COLS, referrals)
        w.write(ReferralStep, STEP_COLS, steps)
        result.contacts += len(contacts)
        result.subjects += len(subjects)
        result.topics += len(topics)
        result.cases += len(cases)
        result.referrals += len(referrals)

    def _case(self, i, cid, centre, counsellor, topic, urgent, received_s, stamps, subject_rows,
              subject_ids, province, ii, ri, cases, links, persons, referrals, steps) -> None:
        rng = self.rng
        case_id = self.case_id
        self.case_id += 1
        if topic and topic.startswith("trafficking"):
            case_type = CaseType.TRAFFICKING_VICTIM if ri[5] < 0.7 else CaseType.TRAFFICKING_IDENTIFYING
        elif topic == "missing":
            case_type = CaseType.MISSING_PERSON
        else:
            case_type = CaseType.CHILD_PROTECTION
        opened_local = datetime.datetime.fromtimestamp(received_s, tz=datetime.UTC) + VN_OFFSET
        year = opened_local.year
        seq = self.sequences.get((centre, year), 0) + 1
        self.sequences[(centre, year)] = seq
        old = self.now_s - received_s > 120 * 86400
        closed = old and ri[4] < 0.9
        opened_at = stamps["closing"][i]
        closed_at = self.writer.stamp(np.array([received_s + int(30 + ii[6] % 90) * 86400]))[0] if closed else None
        manager = self.staff[centre]["case_manager"][0]
        cases.append((case_id, f"{centre}-{year}-{seq:06d}", centre, case_type, FIRST_STAGE[case_type],
                      "closed" if closed else "open", "restricted" if ri[3] < 0.03 else "normal", urgent,
                      "", manager, counsellor, stamps["received"][i], opened_at, closed_at,
                      "Trẻ đã an toàn, hồ sơ được đóng (dữ liệu giả lập)." if closed else "", 1,
                      closed_at or opened_at))
        links.append((case_id, cid, opened_at, counsellor))
        for (s_name, s_sex, s_age, _est, s_prov, s_comm, s_country), sid in zip(subject_rows, subject_ids, strict=True):
            persons.append((case_id, PersonRole.CHILD_VICTIM, s_name, fold(s_name), s_sex, s_age,
                            AgeGroup.for_age(s_age), s_prov, s_comm, s_country, sid, ""))
        count = 0 if ri[1] < 0.10 else (2 if ri[1] > 0.85 else 1)
        for k in range(count):
            agency = self._agency(case_type, province, int(ii[k + 1]))
            if closed:
                status = ReferralStatus.COMPLETED if rng.random() < 0.85 else ReferralStatus.DECLINED
            else:
                status = [ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED, ReferralStatus.IN_PROGRESS][ii[k] % 3]
            outcome = ""
            if status == ReferralStatus.COMPLETED:
                outcome = self.outcomes[_pick(rng, OUTCOME_SHARES, 1)[0]]
            age = subject_rows[0][2] if subject_rows else None
            snapshot = {"case_type": str(case_type)}
            share = ["case_type"]
            if age is not None:
                snapshot["child_age"] = age
                share.append("child_age")
            referral_id = self.referral_id
            self.referral_id += 1
            manager = self.staff[centre]["case_manager"][0]
            steps.append((referral_id, ReferralStatus.SENT, opened_at, manager, ""))
            if status != ReferralStatus.SENT:
                steps.append((referral_id, status, closed_at or opened_at, manager, ""))
            referrals.append((
                referral_id, case_id, "", agency, "Đề nghị phối hợp xác minh và hỗ trợ (dữ liệu giả lập).", urgent,
                True, True, age if age is not None and age < 18 else None, False, "",
                _json(share), _json(snapshot), status, 1, opened_at, self.staff[centre]["case_manager"][0],
                None if status == ReferralStatus.SENT else opened_at,
                "Không thuộc thẩm quyền (dữ liệu giả lập)." if status == ReferralStatus.DECLINED else "",
                outcome, "", "", closed_at or opened_at))

    def _agency(self, case_type: str, province: str | None, pick: int) -> int:
        a = self.agencies
        if case_type in CaseType.trafficking():
            choice = [AgencyType.POLICE, AgencyType.POLICE, AgencyType.BORDER_GUARD, AgencyType.NGO,
                      AgencyType.WOMENS_UNION, AgencyType.FOREIGN_AFFAIRS][pick % 6]
        elif case_type == CaseType.MISSING_PERSON:
            choice = AgencyType.POLICE
        else:
            choice = [AgencyType.POLICE, AgencyType.SOCIAL_PROTECTION, AgencyType.WOMENS_UNION,
                      AgencyType.SHELTER][pick % 4]
        target = a[choice]
        if isinstance(target, dict):
            return target.get(province) or next(iter(target.values()))
        return target

    def save_sequences(self) -> None:
        for (centre, year), last in self.sequences.items():
            CaseSequence.objects.update_or_create(centre_id=centre, year=year, defaults={"last": last})


def _json(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)
