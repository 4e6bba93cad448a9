from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tongdai.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Sign-ins, sign-outs and failed attempts go to the audit trail.
        from tongdai.accounts import signals  # noqa: F401
