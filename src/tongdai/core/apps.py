from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tongdai.core"
    label = "core"
