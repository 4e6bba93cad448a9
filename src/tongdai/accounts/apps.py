from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tongdai.accounts"
    label = "accounts"
