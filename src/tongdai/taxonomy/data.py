"""The classification terms, as plain data. Codes are a public contract (API, reports,
exports): never rename or reuse one. To retire a term, remove it here; ``tongdai refdata``
then marks it inactive and records that used it keep it.

Topics follow the Child Helpline International data framework (categories and their
subcategories), extended with the hotline's trafficking and safe-migration branches
(Law 53/2024/QH15 on prevention of human trafficking; Decree 162/2025/NĐ-CP).
"""

from __future__ import annotations

SUBSTANTIVE = "substantive"
NON_SUBSTANTIVE = "non_substantive"

#: (code, group, Vietnamese label, English label)
CONTACT_KINDS: list[tuple[str, str, str, str]] = [
    ("information", SUBSTANTIVE, "Cung cấp thông tin", "Information"),
    ("counselling_psychological", SUBSTANTIVE, "Tư vấn tâm lý", "Psychological counselling"),
    ("counselling_policy", SUBSTANTIVE, "Tư vấn pháp luật, chính sách", "Law and policy counselling"),
    ("counselling_services", SUBSTANTIVE, "Tư vấn dịch vụ", "Counselling on services"),
    ("report", SUBSTANTIVE, "Tố giác, tin báo", "Report or tip-off"),
    ("referral", SUBSTANTIVE, "Chuyển tuyến, can thiệp", "Referral and intervention"),
    ("silent", NON_SUBSTANTIVE, "Cuộc gọi im lặng", "Silent call"),
    ("hang_up", NON_SUBSTANTIVE, "Gọi nhỡ, cúp máy", "Hang-up"),
    ("prank", NON_SUBSTANTIVE, "Gọi trêu đùa", "Prank call"),
    ("abusive", NON_SUBSTANTIVE, "Quấy rối, lăng mạ", "Abusive call"),
    ("wrong_number", NON_SUBSTANTIVE, "Gọi nhầm số", "Wrong number"),
    ("thanks", NON_SUBSTANTIVE, "Cảm ơn", "Thanks"),
    ("test", NON_SUBSTANTIVE, "Gọi thử", "Test call"),
]

#: (code, Vietnamese label, English label)
CALLER_RELATIONS: list[tuple[str, str, str]] = [
    ("child_self", "Trẻ em tự gọi", "Child (self)"),
    ("victim_self", "Nạn nhân tự gọi", "Victim (self)"),
    ("relative_friend", "Người thân, bạn bè của nạn nhân", "Relative or friend of the victim"),
    ("parent", "Cha mẹ, người chăm sóc", "Parent or caregiver"),
    ("teacher", "Giáo viên", "Teacher"),
    ("neighbour_witness", "Hàng xóm, người chứng kiến", "Neighbour or witness"),
    ("official", "Cán bộ, cơ quan", "Official or agency"),
    ("anonymous", "Giấu tên", "Anonymous"),
    ("other", "Khác", "Other"),
]

#: (code, parent code or None, Vietnamese label, English label); categories before
#: their subcategories.
TOPICS: list[tuple[str, str | None, str, str]] = [
    ("missing", None, "Trẻ em mất tích, người mất tích", "Missing children and people"),
    ("violence", None, "Bạo lực, xâm hại", "Violence and abuse"),
    ("violence_physical", "violence", "Bạo lực thể chất", "Physical violence"),
    ("violence_sexual", "violence", "Xâm hại tình dục", "Sexual abuse"),
    ("violence_psychological", "violence", "Bạo lực tinh thần", "Psychological violence"),
    ("violence_neglect", "violence", "Bỏ mặc, sao nhãng", "Neglect"),
    ("violence_bullying", "violence", "Bắt nạt", "Bullying"),
    ("violence_child_labour", "violence", "Lao động trẻ em", "Child labour"),
    ("violence_child_marriage", "violence", "Tảo hôn, cưỡng ép kết hôn",
     "Child, early and forced marriage"),
    ("violence_cse", "violence", "Bóc lột tình dục vì mục đích thương mại",
     "Commercial sexual exploitation"),
    ("violence_online", "violence", "Xâm hại, bóc lột tình dục trên mạng",
     "Online sexual abuse and exploitation"),
    ("mental_health", None, "Sức khỏe tâm thần", "Mental health"),
    ("mental_health_anxiety", "mental_health", "Lo âu, căng thẳng", "Anxiety and stress"),
    ("mental_health_depression", "mental_health", "Trầm cảm", "Depression"),
    ("mental_health_self_harm", "mental_health", "Tự gây thương tích", "Self-harm"),
    ("mental_health_suicidal", "mental_health", "Ý nghĩ, hành vi tự tử", "Suicidal thoughts and behaviour"),
    ("physical_health", None, "Sức khỏe thể chất", "Physical health"),
    ("access_services", None, "Tiếp cận dịch vụ", "Access to services"),
    ("discrimination", None, "Phân biệt đối xử", "Discrimination"),
    ("family", None, "Gia đình", "Family"),
    ("family_relationships", "family", "Quan hệ trong gia đình", "Family relationships"),
    ("family_divorce", "family", "Ly hôn, ly thân của cha mẹ", "Parents' divorce or separation"),
    ("family_parenting", "family", "Nuôi dạy con", "Parenting"),
    ("peers", None, "Quan hệ bạn bè", "Peer relationships"),
    ("education_work", None, "Học tập, việc làm", "Education and work"),
    ("sexuality", None, "Giới tính, tình dục", "Sexuality"),
    ("trafficking", None, "Mua bán người", "Human trafficking"),
    ("trafficking_sexual", "trafficking", "Mua bán người vì mục đích bóc lột tình dục",
     "Trafficking for sexual exploitation"),
    ("trafficking_labour", "trafficking", "Cưỡng bức lao động", "Forced labour"),
    ("trafficking_marriage", "trafficking", "Cưỡng ép kết hôn", "Forced marriage"),
    ("trafficking_child_sale", "trafficking", "Mua bán trẻ em, trẻ sơ sinh", "Sale of babies and children"),
    ("trafficking_organ", "trafficking", "Lấy bộ phận cơ thể người", "Organ removal"),
    ("trafficking_domestic", "trafficking", "Giúp việc nhà bị cưỡng bức", "Domestic servitude"),
    ("trafficking_criminality", "trafficking", "Cưỡng ép phạm tội (lừa đảo trực tuyến…)",
     "Forced criminality (e.g. online-scam compounds)"),
    ("safe_migration", None, "Di cư an toàn", "Safe migration"),
    ("migration_domestic", "safe_migration", "Di cư trong nước", "Domestic migration"),
    ("migration_abroad", "safe_migration", "Đi làm việc, di cư ra nước ngoài", "Migration abroad"),
]
