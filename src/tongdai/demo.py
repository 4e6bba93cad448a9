"""Demo data: one account per role and a few hundred invented contacts to click through.

Used by ``tongdai demo`` and ``tongdai serve --demo``. Everything here is made up: names
come from Faker's Vietnamese locale, phone numbers are random numbers on real mobile
prefixes, summaries are templates. Never put real people's data here.

Idempotent: accounts that exist are left alone (their passwords are never reset), and
contacts are only generated when no demo account has any yet. Contacts go through
``contact_create`` like any other, so the audit trail records them (``via="cli"``).
The generator is seeded: two fresh installations get the same contacts.

Generated passwords are kept in ``DATA_DIR/demo-accounts.txt`` (mode 0600) and printed on
every run, so a demo can be resumed after a restart.
"""

from __future__ import annotations

import datetime
import os
import random
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from faker import Faker

from tongdai.accounts.models import Agency, AgencyType, Centre, User
from tongdai.accounts.provisioning import user_create
from tongdai.contacts.models import Channel, Contact
from tongdai.contacts.services import contact_create
from tongdai.geo.models import Commune

SEED = 111
DEFAULT_CONTACTS = 200
DAYS = 90
ACCOUNTS_FILE = "demo-accounts.txt"
DEMO_AGENCY = ("Công an tỉnh Lào Cai", AgencyType.POLICE, "15")

#: (username, role, where: ("centre", code) | ("agency", None) | ("commune", province), full name)
DEMO_USERS: list[tuple[str, str, tuple[str, str | None], str]] = [
    ("tuvan.hn", "counsellor", ("centre", "HN"), "Tư vấn viên Hà Nội (demo)"),
    ("tuvan.dn", "counsellor", ("centre", "DN"), "Tư vấn viên Đà Nẵng (demo)"),
    ("tuvan.ag", "counsellor", ("centre", "AG"), "Tư vấn viên An Giang (demo)"),
    ("giamsat.hn", "supervisor", ("centre", "HN"), "Giám sát ca Hà Nội (demo)"),
    ("quanly.ca.hn", "case_manager", ("centre", "HN"), "Quản lý ca Hà Nội (demo)"),
    ("quanly.hn", "centre_manager", ("centre", "HN"), "Giám đốc trung tâm Hà Nội (demo)"),
    ("quantri", "national_admin", ("national", None), "Quản trị quốc gia (demo)"),
    ("phantich", "analyst", ("national", None), "Chuyên viên phân tích (demo)"),
    ("congan.laocai", "agency_officer", ("agency", None), "Cán bộ Công an Lào Cai (demo)"),
    ("canbo.xa", "commune_worker", ("commune", "01"), "Cán bộ bảo vệ trẻ em xã (demo)"),
]

#: Who records contacts at each centre, and the centre's share of the calls.
RECORDERS = {"HN": (["tuvan.hn", "tuvan.hn", "giamsat.hn", "quanly.ca.hn"], 0.5),
             "AG": (["tuvan.ag"], 0.3),
             "DN": (["tuvan.dn"], 0.2)}

CHANNELS = {Channel.PHONE_111: 60, Channel.PHONE_18001567: 5, Channel.ZALO: 12,
            Channel.FACEBOOK: 8, Channel.APP: 5, Channel.WEB: 4, Channel.EMAIL: 3,
            Channel.MEDIA: 2, Channel.WALK_IN: 1}
KINDS = {"information": 25, "counselling_psychological": 12, "counselling_policy": 8,
         "counselling_services": 6, "report": 12, "referral": 5, "silent": 8, "hang_up": 10,
         "prank": 5, "abusive": 2, "wrong_number": 4, "thanks": 2, "test": 1}
TOPICS = {
    "information": ["family_parenting", "migration_abroad", "access_services", "education_work",
                    "sexuality", "migration_domestic"],
    "counselling_psychological": ["mental_health_anxiety", "mental_health_depression",
                                  "family_relationships", "peers", "violence_bullying",
                                  "mental_health_self_harm", "mental_health_suicidal"],
    "counselling_policy": ["family_divorce", "migration_abroad", "violence_child_labour",
                           "access_services", "discrimination"],
    "counselling_services": ["access_services", "physical_health", "mental_health_anxiety"],
    "report": ["violence_physical", "violence_sexual", "violence_neglect", "violence_online",
               "violence_child_marriage", "violence_child_labour", "missing",
               "trafficking_marriage", "trafficking_labour"],
    "referral": ["violence_sexual", "trafficking_labour", "trafficking_marriage",
                 "trafficking_criminality", "trafficking_sexual", "missing", "violence_physical"],
}
RELATIONS = {
    "information": ["parent", "parent", "other", "child_self", "relative_friend"],
    "counselling_psychological": ["child_self", "child_self", "child_self", "parent", "teacher"],
    "counselling_policy": ["parent", "relative_friend", "victim_self", "other"],
    "counselling_services": ["parent", "child_self", "official"],
    "report": ["neighbour_witness", "relative_friend", "teacher", "parent", "official"],
    "referral": ["relative_friend", "victim_self", "official", "parent"],
}
#: Topics that put a child's life, health or dignity at serious risk (12-hour clock).
GRAVE = {"violence_sexual", "mental_health_suicidal", "missing", "trafficking_sexual",
         "trafficking_labour", "trafficking_criminality", "trafficking_marriage"}
#: Destinations of trafficking reports from abroad.
ABROAD = ["KH", "CN", "MM", "LA", "MY"]
SUMMARIES = {
    "violence_physical": "Người gọi báo một trẻ thường xuyên bị người lớn trong nhà đánh, có vết bầm.",
    "violence_sexual": "Người gọi nghi ngờ trẻ bị xâm hại tình dục; trẻ sợ hãi, không muốn về nhà.",
    "violence_neglect": "Trẻ nhỏ bị bỏ ở nhà một mình nhiều ngày, thiếu ăn.",
    "violence_online": "Trẻ bị người lạ trên mạng xã hội đe dọa phát tán hình ảnh nhạy cảm.",
    "violence_child_marriage": "Gia đình định gả con gái chưa đủ tuổi kết hôn.",
    "violence_child_labour": "Trẻ phải làm việc nặng nhọc tại xưởng, không được đi học.",
    "violence_bullying": "Học sinh bị bạn cùng lớp bắt nạt, quay video đăng lên mạng.",
    "missing": "Trẻ rời nhà từ hai ngày trước, gia đình không liên lạc được.",
    "trafficking_marriage": "Người thân bị môi giới đưa sang biên giới để lấy chồng, nay mất liên lạc.",
    "trafficking_labour": "Người thân đi làm xa theo lời hứa lương cao, bị giữ giấy tờ, không được về.",
    "trafficking_criminality": "Người thân bị dụ sang nước ngoài làm việc, bị ép tham gia lừa đảo trực tuyến.",
    "trafficking_sexual": "Nạn nhân cho biết bị lừa bán vào cơ sở mại dâm, xin được giải cứu.",
    "mental_health_anxiety": "Trẻ căng thẳng, mất ngủ trước kỳ thi, cần được lắng nghe.",
    "mental_health_depression": "Trẻ buồn bã kéo dài, không muốn đến trường.",
    "mental_health_self_harm": "Trẻ kể đã tự làm đau bản thân khi buồn.",
    "mental_health_suicidal": "Trẻ có ý nghĩ tự tử; đã giữ trẻ trên máy và trấn an.",
    "family_relationships": "Trẻ mâu thuẫn với cha mẹ, muốn bỏ nhà đi.",
    "family_divorce": "Phụ huynh hỏi về quyền nuôi con khi ly hôn.",
    "family_parenting": "Phụ huynh hỏi cách nói chuyện với con tuổi dậy thì.",
    "peers": "Trẻ buồn vì bị bạn thân xa lánh.",
    "migration_abroad": "Người gọi hỏi cách kiểm tra công ty đưa người đi làm việc ở nước ngoài.",
    "migration_domestic": "Thanh niên hỏi cách tìm việc an toàn khi lên thành phố.",
    "access_services": "Người gọi hỏi địa chỉ cơ sở hỗ trợ tâm lý gần nhà.",
    "physical_health": "Phụ huynh hỏi nơi khám cho trẻ khuyết tật.",
    "education_work": "Trẻ hỏi về học nghề sau khi nghỉ học.",
    "sexuality": "Trẻ vị thành niên hỏi về sức khỏe sinh sản.",
    "discrimination": "Trẻ bị kỳ thị vì cha mẹ nhiễm HIV.",
}
ACTIONS = {
    "report": "Đã ghi nhận và chuyển thông tin cho UBND xã nơi xảy ra sự việc.",
    "referral": "Đã liên hệ thành viên tổ công tác liên ngành và cơ quan công an địa phương.",
    "counselling_psychological": "Đã lắng nghe, hỗ trợ tâm lý và hẹn gọi lại.",
    "counselling_policy": "Đã tư vấn quy định pháp luật liên quan.",
    "counselling_services": "Đã cung cấp thông tin dịch vụ hỗ trợ phù hợp.",
    "information": "Đã cung cấp thông tin.",
}
MOBILE_PREFIXES = ["032", "033", "034", "035", "036", "037", "038", "039", "070", "076", "077",
                   "078", "079", "081", "082", "083", "084", "085", "086", "088", "090",
                   "091", "093", "094", "096", "097", "098"]


@dataclass
class DemoAccount:
    username: str
    role: str
    place: str
    password: str | None  # None: created earlier and the password was not kept
    created: bool


@dataclass
class DemoResult:
    accounts: list[DemoAccount] = field(default_factory=list)
    contacts_created: int = 0
    contacts_existing: int = 0
    accounts_file: Path | None = None


# --------------------------------------------------------------------------- accounts


def _new_password() -> str:
    """Four groups of four unambiguous characters: strong and easy to type in a demo."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def _read_accounts_file(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    passwords = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 4 and not line.startswith("#"):
            passwords[parts[0]] = parts[3]
    return passwords


def _write_accounts_file(path: Path, accounts: list[DemoAccount]) -> None:
    lines = ["# tongdai demo accounts: username, role, place, password (demo use only)"]
    lines += [f"{a.username}\t{a.role}\t{a.place}\t{a.password}" for a in accounts if a.password]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    path.chmod(0o600)  # in case the file existed with wider permissions


def _place_args(where: tuple[str, str | None]) -> tuple[dict, str]:
    kind, value = where
    if kind == "centre":
        return {"centre": value}, f"centre {value}"
    if kind == "agency":
        name, agency_type, province = DEMO_AGENCY
        agency, _ = Agency.objects.get_or_create(name=name, type=agency_type,
                                                 defaults={"province_id": province})
        return {"agency": agency.pk}, name
    if kind == "commune":
        commune = Commune.objects.filter(province_id=value).order_by("code").first()
        return {"commune": commune.pk}, f"{commune.name}, {commune.province.short_name}"
    return {}, "national"


def demo_accounts(data_dir: Path) -> tuple[list[DemoAccount], Path]:
    """Create the missing demo accounts; never touch existing ones."""
    path = data_dir / ACCOUNTS_FILE
    known = _read_accounts_file(path)
    accounts = []
    for username, role, where, full_name in DEMO_USERS:
        place_kwargs, place = _place_args(where)
        if User.objects.filter(username=username).exists():
            accounts.append(DemoAccount(username, role, place, known.get(username), False))
            continue
        password = _new_password()
        user_create(username, role, password, full_name=full_name, via="cli", **place_kwargs)
        accounts.append(DemoAccount(username, role, place, password, True))
    if any(a.created for a in accounts) or not path.exists():
        _write_accounts_file(path, accounts)
    return accounts, path


# --------------------------------------------------------------------------- agencies

#: National agencies of the demo directory (jurisdiction: the whole country).
NATIONAL_AGENCIES = [
    ("Cục Cảnh sát hình sự, Bộ Công an", AgencyType.POLICE, ["rescue", "investigation", "missing_search"]),
    ("Bộ Tư lệnh Bộ đội Biên phòng", AgencyType.BORDER_GUARD, ["rescue", "repatriation"]),
    ("Bộ Tư lệnh Cảnh sát biển", AgencyType.COAST_GUARD, ["rescue"]),
    ("Cục Lãnh sự, Bộ Ngoại giao", AgencyType.FOREIGN_AFFAIRS, ["repatriation"]),
    ("Hội Liên hiệp Phụ nữ Việt Nam", AgencyType.WOMENS_UNION, ["psychological", "vocational"]),
    ("Trung tâm Trợ giúp pháp lý nhà nước (demo)", AgencyType.LEGAL_AID, ["legal_aid"]),
    ("Bệnh viện Nhi Trung ương", AgencyType.HOSPITAL, ["medical", "psychological"]),
    ("Tổ chức phi chính phủ hỗ trợ nạn nhân (demo)", AgencyType.NGO,
     ["shelter", "psychological", "vocational", "education", "repatriation"]),
    ("Cơ sở bảo trợ xã hội quốc gia (demo)", AgencyType.SOCIAL_PROTECTION, ["shelter", "case_management"]),
]


def _lower_first(name: str) -> str:
    """"Tỉnh Lào Cai" → "tỉnh Lào Cai", as it reads after "Công an"."""
    return name[:1].lower() + name[1:]


def _demo_agency(name: str, agency_type: str, province_id: str | None, **profile) -> Agency:
    """Get or create an agency and, if it has none, its directory entry (never overwrite
    what an administrator edited)."""
    from tongdai.referrals.models import AgencyProfile
    from tongdai.referrals.services import agency_profile_set

    agency, _ = Agency.objects.get_or_create(name=name, type=agency_type,
                                             defaults={"province_id": province_id})
    if not AgencyProfile.objects.filter(agency=agency).exists():
        agency_profile_set(agency, **profile)
    return agency


def demo_agencies() -> int:
    """A police unit and a shelter per province, national agencies, the demo commune
    worker's People's Committee, and a working-group member per agency type. Idempotent."""
    from tongdai.geo.models import Province
    from tongdai.referrals.models import WorkingGroupMember

    before = Agency.objects.count()
    for province in Province.objects.order_by("code"):
        where = {"provinces": [province.code]}
        _demo_agency(f"Công an {_lower_first(province.name)}", AgencyType.POLICE, province.code,
                     services=["rescue", "investigation", "missing_search"], always_open=True,
                     contact_points=[{"name": "Trực ban", "phone": "113", "email": ""}],
                     hours="24/7", **where)
        _demo_agency(f"Cơ sở trợ giúp xã hội {_lower_first(province.name)}", AgencyType.SHELTER,
                     province.code, services=["shelter", "psychological", "case_management"],
                     hours="07:30–17:00", **where)
    for name, agency_type, services in NATIONAL_AGENCIES:
        _demo_agency(name, agency_type, None, jurisdiction="national", services=services)
    commune = Commune.objects.filter(province_id="01").order_by("code").first()  # canbo.xa's
    if commune is not None:
        _demo_agency(f"UBND {commune.name}", AgencyType.COMMUNE_COMMITTEE, commune.province_id,
                     jurisdiction="communes", communes=[commune], commune=commune,
                     services=["case_management", "psychological"], hours="07:30–17:00")
    for number, (code, label) in enumerate(AgencyType.choices, start=1):
        if not WorkingGroupMember.objects.filter(agency_type=code).exists():
            WorkingGroupMember.objects.create(
                agency_type=code, name=f"Thành viên tổ công tác liên ngành: {label} (demo)",
                phone=f"0243 000 {number:04d}", email=f"tocongtac.{code}@example.invalid")
    return Agency.objects.count() - before


# --------------------------------------------------------------------------- contacts


class _ContactMaker:
    """Builds realistic contact payloads from a seeded generator."""

    def __init__(self, seed: int, now: datetime.datetime):
        self.rng = random.Random(seed)
        self.fake = Faker("vi_VN")
        self.fake.seed_instance(seed)
        self.now = now
        self.repeat_callers: list[dict] = []
        self.provinces = {code: list(Centre.objects.get(pk=code).provinces.values_list("code", flat=True))
                          for code in RECORDERS}
        self.communes: dict[str, list[str]] = {}

    def pick(self, weights: dict):
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def phone(self) -> str:
        digits = f"{self.rng.randrange(10**7):07d}"
        return f"{self.rng.choice(MOBILE_PREFIXES)} {digits[:3]} {digits[3:]}"

    def name(self, sex: str) -> str:
        last = self.fake.last_name()
        if sex == "female":
            return f"{last} {self.rng.choice(['Thị', 'Ngọc', 'Thu', 'Minh'])} {self.fake.first_name_female()}"
        return f"{last} {self.rng.choice(['Văn', 'Đức', 'Minh', 'Quang'])} {self.fake.first_name_male()}"

    def commune(self, province: str) -> str | None:
        if province not in self.communes:
            self.communes[province] = list(Commune.objects.filter(province_id=province)
                                           .order_by("code").values_list("code", flat=True))
        return self.rng.choice(self.communes[province]) if self.rng.random() < 0.6 else None

    def times(self) -> dict[str, str]:
        day = self.rng.randrange(DAYS)
        local_now = timezone.localtime(self.now)
        hour = self.rng.choices(range(24), weights=[1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 7, 6, 6, 7,
                                                    8, 8, 8, 9, 9, 8, 6, 4, 2])[0]
        received = (local_now - datetime.timedelta(days=day)).replace(
            hour=hour, minute=self.rng.randrange(60), second=self.rng.randrange(60), microsecond=0)
        if received > local_now - datetime.timedelta(hours=1):
            received -= datetime.timedelta(days=1)
        answered = received + datetime.timedelta(seconds=self.rng.randint(3, 45))
        return {"received_at": received.isoformat(), "answered_at": answered.isoformat()}

    def caller(self, kind: str, centre: str) -> dict:
        if self.repeat_callers and self.rng.random() < 0.1:
            return dict(self.rng.choice(self.repeat_callers))
        if kind not in TOPICS:  # non-substantive: all we have is the number, if any
            return {"phone": self.phone()} if self.rng.random() < 0.7 else {}
        province = self.rng.choice(self.provinces[centre])
        if self.rng.random() < 0.15:
            caller = {"anonymous": True, "relation": "anonymous", "province": province}
            if self.rng.random() < 0.5:
                caller["phone"] = self.phone()
        else:
            relation = self.rng.choice(RELATIONS[kind])
            sex = self.rng.choice(["female", "female", "male"])
            child = relation == "child_self"
            caller = {"phone": self.phone(), "name": self.name(sex), "relation": relation,
                      "sex": sex, "age": self.rng.randint(10, 17) if child else self.rng.randint(22, 60),
                      "province": province, "commune": self.commune(province),
                      "consent_keep": True, "consent_share": kind in {"report", "referral"}}
        if self.rng.random() < 0.2:
            self.repeat_callers.append(caller)
        return caller

    def subjects(self, kind: str, topic: str, caller: dict, centre: str) -> list[dict]:
        if kind not in {"report", "referral", "counselling_psychological"}:
            return []
        if caller.get("relation") == "child_self":
            return [{"name": caller["name"], "sex": caller["sex"], "age": caller["age"],
                     "province": caller["province"], "commune": caller.get("commune")}]
        rows = []
        for _ in range(1 if self.rng.random() < 0.85 else 2):
            sex = self.rng.choice(["female", "female", "male"])
            adult = topic.startswith("trafficking") and self.rng.random() < 0.5
            row = {"name": self.name(sex) if self.rng.random() < 0.8 else "", "sex": sex,
                   "age": self.rng.randint(18, 30) if adult else self.rng.randint(3, 17),
                   "age_estimated": self.rng.random() < 0.3}
            if topic in {"trafficking_criminality", "trafficking_marriage"} and self.rng.random() < 0.6:
                row["country"] = self.rng.choice(ABROAD)
            else:
                province = self.rng.choice(self.provinces[centre])
                row.update(province=province, commune=self.commune(province))
            rows.append(row)
        return rows

    def contact(self, centre: str) -> dict:
        kind = self.pick(KINDS)
        times = self.times()
        answered = datetime.datetime.fromisoformat(times["answered_at"])
        substantive = kind in TOPICS
        minutes = self.rng.randint(3, 35) if substantive else 0
        ended = answered + datetime.timedelta(minutes=minutes, seconds=self.rng.randint(5, 59))
        data = {"status": "completed", "channel": self.pick(CHANNELS), "kind": kind,
                "ended_at": ended.isoformat(), "caller": self.caller(kind, centre), **times}
        if substantive:
            topic = self.rng.choice(TOPICS[kind])
            extra = self.rng.choice(TOPICS[kind]) if self.rng.random() < 0.2 else topic
            data["topics"] = list(dict.fromkeys([topic, extra]))
            data["subjects"] = self.subjects(kind, topic, data["caller"], centre)
            data["summary"] = SUMMARIES.get(topic, "")
            data["actions_taken"] = ACTIONS[kind]
            data["urgent"] = kind in {"report", "referral"} and topic in GRAVE and self.rng.random() < 0.6
        return data


def demo_contacts(count: int = DEFAULT_CONTACTS, seed: int = SEED) -> int:
    """Record ``count`` invented contacts unless demo contacts exist already; return how many."""
    recorders = {u.username: u for u in User.objects.filter(
        username__in={name for names, _ in RECORDERS.values() for name in names})}
    if Contact.objects.filter(counsellor__in=recorders.values()).exists():
        return 0
    maker = _ContactMaker(seed, timezone.now())
    centres = list(RECORDERS)
    shares = [share for _, share in RECORDERS.values()]
    for _ in range(count):
        centre = maker.rng.choices(centres, weights=shares)[0]
        user = recorders[maker.rng.choice(RECORDERS[centre][0])]
        contact_create(user, maker.contact(centre), via="cli")
    # A few drafts still open, as a counsellor would leave them mid-call.
    for username in ("tuvan.hn", "tuvan.dn", "tuvan.ag"):
        data = {"channel": Channel.PHONE_111, "caller": {"phone": maker.phone()},
                **maker.times()}
        contact_create(recorders[username], data, via="cli")
    return count + 3


# --------------------------------------------------------------------------- both


def demo_build(contacts: int = DEFAULT_CONTACTS, seed: int = SEED,
               data_dir: Path | None = None) -> DemoResult:
    """Accounts, then contacts; safe to run again (see module doc)."""
    data_dir = Path(data_dir or settings.DATA_DIR)
    with transaction.atomic():
        accounts, path = demo_accounts(data_dir)
        demo_agencies()
        created = demo_contacts(contacts, seed)
    existing = Contact.objects.filter(counsellor__username__in=[u[0] for u in DEMO_USERS]).count()
    return DemoResult(accounts, created, existing, path)


def demo_report(result: DemoResult) -> str:
    """What to print for the person starting the demo."""
    from tongdai.accounts.management.commands.user import format_table

    rows = [(a.username, a.role, a.place, a.password or "(not stored)") for a in result.accounts]
    lines = ["", "Demo accounts (for demonstration only; passwords kept in "
             f"{result.accounts_file}):", "",
             format_table(("USERNAME", "ROLE", "PLACE", "PASSWORD"), rows), ""]
    if result.contacts_created:
        lines.append(f"Recorded {result.contacts_created} demo contacts.")
    else:
        lines.append(f"Demo contacts already present ({result.contacts_existing}); none added.")
    return "\n".join(lines) + "\n"
