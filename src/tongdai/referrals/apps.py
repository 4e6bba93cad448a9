from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "tongdai.referrals"
    label = "referrals"

    def ready(self) -> None:
        # An unacknowledged urgent referral escalates first to the inter-agency working
        # group member for the agency's type (the deadlines app asks us who that is).
        try:
            from tongdai.deadlines.services import register_escalation_recipients
        except ImportError:  # pragma: no cover - deadlines app not installed
            return
        from tongdai.referrals.services import escalation_recipients

        register_escalation_recipients("referral_ack")(escalation_recipients)
